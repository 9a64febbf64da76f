"""The configuration tree: built lazily from the model, labelled with summaries.

Only what the operator expands becomes a ``TreeNode``: the children of a node
are computed from the in-memory :class:`~sanctl.model.SanConfig` by
:func:`sanctl.tree.children` when it is expanded. A node with thousands of
children says "loading…" while they are computed in a thread and added a few
hundred at a time, yielding to the event loop between chunks, so 10,000 LUNs
never freeze the screen.

Labels are drawn from each node's domain :class:`~sanctl.tree.Node` when the
line is rendered (``render_label``), as :class:`rich.text.Text` — never
markup, an IQN may contain ``[`` — with the summary dimmed and state words
coloured through component classes, so they follow the theme.
"""

from __future__ import annotations

import asyncio
import re

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from sanctl import tree as domain
from sanctl.model import SanConfig
from sanctl.tree import Node
from sanctl.ui.widgets.styling import component_fg
from sanctl.ui.model_filter import FilterResult, ancestors, parent_path

#: Children added per chunk before yielding to the event loop.
BATCH = 250
#: A configuration of at most this many tree lines opens expanded, as ``targetcli ls`` shows it whole.
EXPAND_ALL_LIMIT = 300
#: Above this many children, compute them (labels, summaries) in a thread.
THREAD_THRESHOLD = 1000

LOADING = "loading…"
_TOGGLE_STYLE = Style.from_meta({"toggle": True})

#: Words of a summary that carry a state, and the component class colouring them.
_STATE_WORDS = (
    (re.compile(r"\b(?:activated|enabled|OK)\b"), "config-tree--ok"),
    (re.compile(r"\b(?:deactivated|disabled|not configured|unknown)\b"), "config-tree--warn"),
    (re.compile(r"\bBROKEN [A-Z ]*LINK\b"), "config-tree--bad"),
)


class ConfigTree(Tree[Node]):
    """The LIO configuration as a lazily expanded tree (``#config-tree``)."""

    BINDINGS = [
        # not in the footer (every tree opens with Enter; ? lists it): there, it pushed "q Quit" off 80 columns
        Binding("enter", "select_cursor", "Open/close", show=False, id="tree.toggle"),
        Binding("j", "cursor_down", "Down", show=False, id="tree.down"),
        Binding("k", "cursor_up", "Up", show=False, id="tree.up"),
        Binding("right,l", "open", "Open", show=False, id="tree.open"),
        Binding("left,h", "close_or_parent", "Close, or go to parent", show=False, id="tree.close"),
        # + and - reach every terminal (shift+space does not): the whole tree, loaded in the background
        Binding("plus", "expand_everything", "Expand all", show=False, id="tree.expand_all"),
        Binding("minus", "collapse_everything", "Collapse all", show=False, id="tree.collapse_all"),
    ]

    COMPONENT_CLASSES = {
        "config-tree--summary",
        "config-tree--ok",
        "config-tree--warn",
        "config-tree--bad",
        "config-tree--match",
        "config-tree--loading",
    }

    def __init__(self, config: SanConfig, *, populate: bool = True, fabrics: tuple[str, ...] = (),
                 id: str | None = None, classes: str | None = None) -> None:
        """``populate=False``: start empty (the configuration is still being read).

        ``fabrics``: fabric modules the kernel has but has not loaded (shown as empty fabric nodes).
        A configuration small enough (:data:`EXPAND_ALL_LIMIT` lines) opens expanded.
        """
        self.fabrics = tuple(fabrics)
        super().__init__("/", data=domain.root_node(config, self.fabrics), id=id, classes=classes)
        self.config = config
        self.filter: FilterResult | None = None
        self._loaded: set[int] = set()
        self._by_path: dict[str, TreeNode[Node]] = {}
        self._want_expanded: set[str] = set()
        self._pending_cursor: str | None = None
        self._generation = 0
        self._populating = 0
        #: Nodes whose children are being added: id -> open them when done.
        self._building: dict[int, bool] = {}
        #: "Expand all" in progress: the nodes it has gone through so far — the border says it.
        self.expanding: int | None = None
        self.show_root = False
        self.guide_depth = 3
        self._reset(config)
        if populate:
            if line_count(config) <= EXPAND_ALL_LIMIT:
                self._want_expanded = expandable_paths(config, self.fabrics)
            self._load(self.root)

    def on_mount(self) -> None:
        if self.cursor_line < 0 and self.root.children:
            self.cursor_line = 0

    # --- queries --------------------------------------------------------------

    @property
    def cursor_path(self) -> str | None:
        """The path of the node under the cursor."""
        node = self.cursor_node
        return node.data.path if node is not None and node.data is not None else None

    def expanded_paths(self) -> set[str]:
        """Paths of every expanded node (the root excluded)."""
        found: set[str] = set()
        stack = list(self.root.children)
        while stack:
            node = stack.pop()
            if node.is_expanded and node.data is not None:
                found.add(node.data.path)
                stack.extend(node.children)
        return found

    def node_at(self, path: str) -> TreeNode[Node] | None:
        """The tree node showing ``path``, if it has been built."""
        return self._by_path.get(path)

    @property
    def populating(self) -> bool:
        """Whether children are still being added in the background."""
        return self._populating > 0

    # --- building -------------------------------------------------------------

    def _reset(self, config: SanConfig) -> None:
        self._generation += 1
        self.config = config
        self.clear()
        self._loaded.clear()
        self._by_path.clear()
        self._building.clear()
        self._want_expanded = set()
        self._pending_cursor = None
        self.root.data = domain.root_node(config, self.fabrics)
        self._by_path["/"] = self.root

    def rebuild(self, config: SanConfig, *, expanded: set[str] | frozenset[str] | None = frozenset(), cursor: str | None = None,
                fabrics: tuple[str, ...] | None = None) -> None:
        """Show ``config`` whole, with ``expanded`` paths open and the cursor on ``cursor``.

        ``expanded=None``: as at start — everything open if the configuration is small, else
        nothing. A cursor path that no longer exists lands on its nearest surviving ancestor.
        """
        self.filter = None
        if fabrics is not None:
            self.fabrics = tuple(fabrics)
        self._reset(config)
        target = self._surviving(config, cursor) if cursor else None
        if expanded is None:
            expanded = expandable_paths(config, self.fabrics) if line_count(config) <= EXPAND_ALL_LIMIT else set()
        self._want_expanded = set(expanded)
        if target:
            self._want_expanded.update(ancestors(target))
        self._pending_cursor = target
        self._load(self.root)
        if target is None:
            self._place_cursor(None)

    def show_filter(self, result: FilterResult) -> None:
        """Show only the matches of ``result`` and their ancestors, expanded."""
        self._reset(self.config)
        self.filter = result
        self._loaded.add(self.root.id)
        first: TreeNode[Node] | None = None
        for node in result.nodes:
            parent = self._by_path.get(parent_path(node.path))
            if parent is None:
                continue
            child = self._add(parent, node)
            if node.path in result.expanded:
                self._loaded.add(child.id)  # holds the filtered children only
                child.expand()
            if first is None and node.path in result.matches:
                first = child
        self._pending_cursor = None
        self._place_cursor(first)

    def select_path(self, path: str) -> bool:
        """Expand the ancestors of ``path`` and put the cursor on it.

        Returns ``False`` if the path does not exist in the configuration. The
        cursor moves as soon as the node is built (at once unless its parent
        has thousands of children still being added).
        """
        chain = domain.find(self.config, path, self.fabrics)
        if not chain:
            return False
        for node in chain[1:-1]:
            tnode = self._by_path.get(node.path)
            if tnode is None:
                break
            if not tnode.is_expanded:
                tnode.expand()
            if tnode.id not in self._loaded:
                self._load(tnode)
        target = self._by_path.get(chain[-1].path)
        if target is not None and not self._building:
            self._place_cursor(target)
        else:
            self._want_expanded.update(n.path for n in chain[1:-1])
            self._pending_cursor = chain[-1].path
        return True

    def _surviving(self, config: SanConfig, path: str) -> str | None:
        while path and path != "/":
            if domain.find(config, path, self.fabrics):
                return path
            path = parent_path(path)
        return None

    def _add(self, parent: TreeNode[Node], node: Node) -> TreeNode[Node]:
        child = parent.add(Text(node.name), data=node, allow_expand=node.expandable)
        self._by_path[node.path] = child
        if node.expandable and node.path in self._want_expanded:
            child.expand()
            self._load(child)
        if node.path == self._pending_cursor and not self._building:
            self._place_cursor(child)
        return child

    def _place_cursor(self, tnode: TreeNode[Node] | None) -> None:
        self._pending_cursor = None
        self.last_line  # noqa: B018 - builds the lines, so node lines are current
        if tnode is None:
            self.cursor_line = 0 if self.root.children else -1
        else:
            self.move_cursor(tnode)

    def _child_count(self, node: Node) -> int:
        obj = node.obj
        kind = node.kind
        if kind == "luns":
            return len(obj.luns)  # type: ignore[union-attr]
        if kind == "acls":
            return len(obj.acls)  # type: ignore[union-attr]
        if kind == "portals":
            return len(obj.portals)  # type: ignore[union-attr]
        if kind == "acl":
            return obj.mapped_lun_count  # type: ignore[union-attr]
        if kind == "fabric":
            return len(obj.targets)  # type: ignore[union-attr]
        if kind == "target":
            return len(obj.tpgs)  # type: ignore[union-attr]
        if kind == "plugin":
            return sum(1 for so in self.config.storage_objects if so.plugin == obj)
        return 0

    def _load(self, tnode: TreeNode[Node]) -> None:
        """Build the children of ``tnode`` from the model (once)."""
        self._loaded.add(tnode.id)
        node = tnode.data
        if node is None:
            return
        count = self._child_count(node)
        if count <= BATCH:
            for kid in domain.children(self.config, node):
                self._add(tnode, kid)
            return
        self._build_big(tnode, node, count)

    def _build_big(self, tnode: TreeNode[Node], node: Node, count: int) -> None:
        """Add thousands of children without freezing the screen.

        The node is drawn expanded with "loading…" but kept collapsed in the
        widget while its children are added in chunks, so the tree's lines are
        not recomputed for every chunk (that would be quadratic); it opens
        once all are there. Above :data:`THREAD_THRESHOLD` children the
        children themselves (labels, summaries) are computed in a thread.
        """
        generation = self._generation
        config = self.config
        self._building[tnode.id] = tnode.is_expanded
        if tnode.is_expanded:
            tnode.collapse()
        self._populating += 1

        async def build() -> None:
            try:
                if count > THREAD_THRESHOLD:
                    kids = await asyncio.to_thread(domain.children, config, node)
                else:
                    kids = domain.children(config, node)
                for start in range(0, len(kids), BATCH):
                    if generation != self._generation:
                        return
                    for kid in kids[start:start + BATCH]:
                        self._add(tnode, kid)
                    await asyncio.sleep(0)
                if generation != self._generation:
                    return
                if self._building.pop(tnode.id, False):
                    tnode.expand()
                if not self._building and self._pending_cursor in self._by_path:
                    self._place_cursor(self._by_path[self._pending_cursor])
            finally:
                self._building.pop(tnode.id, None)
                self._populating -= 1
                self.refresh()

        self.run_worker(build(), group="populate", description=f"children of {node.path}")

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[Node]) -> None:
        tnode = event.node
        if tnode.id in self._building:
            # opened while its children are still being added: open it when they are
            self._building[tnode.id] = True
            tnode.collapse()
        elif tnode.id not in self._loaded:
            self._load(tnode)

    def action_open(self) -> None:
        node = self.cursor_node
        if node is not None and node.allow_expand and not node.is_expanded:
            node.expand()

    def action_close_or_parent(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.allow_expand and node.is_expanded:
            node.collapse()
        elif node.parent is not None and node.parent is not self.root:
            self.move_cursor(node.parent)

    def action_expand_everything(self) -> None:
        """Open every node, level by level in the background (a big list loads in chunks); the border counts."""
        if self.expanding is not None:
            return
        generation = self._generation
        self.expanding = 0
        self._show_progress()

        async def expand() -> None:
            queue = [self.root]
            try:
                while queue:
                    tnode = queue.pop(0)
                    while tnode.id in self._building:  # its children are still being added
                        if generation != self._generation:
                            return
                        await asyncio.sleep(0.02)
                    for child in list(tnode.children):
                        if generation != self._generation:
                            return
                        self.expanding = (self.expanding or 0) + 1
                        if self.expanding % BATCH == 0:
                            self._show_progress()
                            await asyncio.sleep(0)
                        if not child.allow_expand:
                            continue
                        if child.id not in self._loaded:
                            self._load(child)
                        if not child.is_expanded and child.id not in self._building:
                            child.expand()
                        elif child.id in self._building:
                            self._building[child.id] = True  # open it when its children are there
                        queue.append(child)
            finally:
                self.expanding = None
                self._show_progress()

        self.run_worker(expand(), group="expand-all", exclusive=True, description="expand all")

    def _show_progress(self) -> None:
        if self.expanding is None:
            if str(self.border_subtitle).startswith("expanding"):
                self.border_subtitle = ""
        else:
            self.border_subtitle = f"expanding… {self.expanding:,} nodes"

    def action_collapse_everything(self) -> None:
        """Close every node; the cursor goes to the top-level node it was under."""
        self.workers.cancel_group(self, "expand-all")
        cursor = self.cursor_node
        while cursor is not None and cursor.parent is not None and cursor.parent is not self.root:
            cursor = cursor.parent
        for child in self.root.children:
            child.collapse_all()
        for tnode_id in self._building:
            self._building[tnode_id] = False
        self.expanding = None
        self._show_progress()
        self._place_cursor(cursor if cursor is not None and cursor is not self.root else None)

    # --- drawing --------------------------------------------------------------

    def render_label(self, node: TreeNode[Node], base_style: Style, style: Style) -> Text:
        data = node.data
        building = node.id in self._building
        if node.allow_expand:
            icon = self.ICON_NODE_EXPANDED if node.is_expanded or building else self.ICON_NODE
            text = Text.assemble((icon, base_style + _TOGGLE_STYLE))
        else:
            text = Text()
        plain = node is self.cursor_node
        name = Text(data.name, style=style)
        if self.filter is not None and not plain:
            name.highlight_words(
                [self.filter.query.strip()],
                component_fg(self, "config-tree--match"),
                case_sensitive=False,
            )
        text.append_text(name)
        if data.summary:
            if plain:
                text.append(f"  [{data.summary}]", style)
            else:
                summary = Text(f"  [{data.summary}]", style=style + component_fg(self, "config-tree--summary"))
                for pattern, component in _STATE_WORDS:
                    summary.highlight_regex(pattern, component_fg(self, component))
                text.append_text(summary)
        if building:
            text.append(f"  {LOADING}", style + component_fg(self, "config-tree--loading"))
        return text

    def get_label_width(self, node: TreeNode[Node]) -> int:
        # Called for every visible line whenever the lines are rebuilt: keep it cheap.
        data = node.data
        width = 2 if node.allow_expand else 0
        width += _width(data.name)
        if data.summary:
            width += _width(data.summary) + 4
        return width


def line_count(config: SanConfig) -> int:
    """How many lines the whole tree has, counted from the model (nothing read)."""
    lines = 2 + len(config.storage_objects) + 5  # backstores, its plugins, the fabrics
    for fabric in config.fabrics:
        lines += 1
        for target in fabric.targets:
            lines += 1
            for tpg in target.tpgs:
                lines += 4 + len(tpg.luns) + len(tpg.portals)
                lines += sum(1 + acl.mapped_lun_count for acl in tpg.acls)
    return lines


def expandable_paths(config: SanConfig, fabrics: tuple[str, ...] = ()) -> set[str]:
    """The path of every node that has children: all of them open, as ``targetcli ls`` shows the tree."""
    return {node.path for node in domain.walk(config, domain.root_node(config, fabrics)) if node.expandable and node.path != "/"}


def _width(text: str) -> int:
    return len(text) if text.isascii() else cell_len(text)
