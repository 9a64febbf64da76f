"""The configuration screen: the tree, the detail pane, filter and refresh.

The configuration is read once, synchronously, before the first paint (a few
milliseconds on the demo SAN); every later read — refresh, details, the walk
behind the filter — runs in a thread worker and comes back as a message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static, Tree

from sanctl.model import SanConfig

if TYPE_CHECKING:
    from textual.widgets import Input

    from sanctl.host.protocol import Host

from sanctl.ui.forms.controller import Follow, Writes
from sanctl.lio.errors import ConfigfsNotFound
from sanctl.tree import Node
from sanctl.ui.initial_read import BIG, InitialRead
from sanctl.ui.model_filter import FilterResult, ancestors, filter_nodes, flatten
from sanctl.ui.widgets.config_tree import ConfigTree
from sanctl.ui.widgets.detail import DetailPane
from sanctl.ui.widgets.key_bar import KeyBar
from sanctl.ui.widgets.status_bar import StatusBar

EMPTY_HINT = "No target configured yet"
#: What the tree reads: mapped LUNs only counted (read when an ACL is opened, or
#: before a change is planned) and of a TPG's attributes only the labels' (its
#: details read them all): most of a big configuration's files wait until asked for.
TREE_READ = {"mapped_luns": False, "tpg_attributes": False}
#: How long the screen waits for the first read before drawing without it (s).
START_WAIT = 0.1
#: Below this many columns the panes share the width equally and guides narrow.
NARROW = 100
#: The detail pane keeps at least this many columns when the tree widens to fit its labels (wide, narrow).
MIN_DETAIL = (36, 30)


#: Fabrics a target can be added in from the tree, shown even before their module is loaded (targetcli lists them).
TREE_FABRICS = ("iscsi", "loopback")


def unloaded_fabrics(host: Host, config: SanConfig, *, quick: bool = False) -> tuple[str, ...]:
    """The fabrics of :data:`TREE_FABRICS` the host's kernel has a module for but has not loaded yet.

    ``quick``: only modules the kernel has loaded (``/sys/module``), not the installed ones (reading
    ``modules.dep`` is for after the first frame).
    """
    loaded = {fabric.name for fabric in config.fabrics}
    missing = [name for name in TREE_FABRICS if name not in loaded]
    if not missing or not host.capabilities.has_live:
        return ()
    available = host.facts.available_fabrics(loaded=quick)
    return tuple(name for name in missing if name in available)


def _no_configfs_hint(exc: Exception) -> str:
    if isinstance(exc, ConfigfsNotFound):
        return f"No LIO configfs at {exc.path}: is the target_core_mod module loaded? (r re-reads)"
    return f"Could not read the configuration: {exc} (r re-reads)"


class ConfigScreen(Screen[None]):
    """Tree (``#config-tree``), details (``#detail``), filter (``#filter``), hint (``#hint``)."""

    BINDINGS = [
        Binding("slash", "filter", "Filter", id="config.filter"),
        Binding("escape", "clear_filter", "Clear filter", id="config.clear_filter"),
        Binding("r", "refresh", "Refresh", id="config.refresh"),
        # writing keys (sanctl.ui.forms.controller); in read-only mode they say why and do nothing
        Binding("a", "add", "Add", id="config.add"),
        Binding("e", "edit", "Edit", id="config.edit"),
        Binding("d,delete", "delete", "Delete", id="config.delete"),
        Binding("s", "save", "Save", id="config.save"),
        Binding("D", "diff", "Diff", id="config.diff"),
        Binding("R", "restore", "Restore", show=False, id="config.restore"),
        Binding("w", "widen", "Widen tree", show=False, id="config.widen"),
    ]

    class Reloaded(Message):
        """A refresh's result: the new configuration, or why there is none."""

        def __init__(self, config: SanConfig | None, error: Exception | None = None, *, initial: bool = False,
                     quiet: bool = False, expand: tuple[str, ...] = (), follow: Follow | None = None) -> None:
            super().__init__()
            self.config = config
            #: After a write: no "re-read" notification; open these paths (the new object's parent).
            self.quiet = quiet
            self.expand = expand
            #: After a write: the object whose form or confirmation it came from, to select again.
            self.follow = follow
            self.error = error
            #: The start-up read that took longer than the first frame.
            self.initial = initial

    class Filtered(Message):
        """A filter's result, for the configuration it was computed on."""

        def __init__(self, seq: int, result: FilterResult, config: SanConfig) -> None:
            super().__init__()
            self.seq = seq
            self.result = result
            self.config = config

    def __init__(self, *, system: Host) -> None:
        """``system``: the Host read and written (its name and read-only reason come from it)."""
        super().__init__()
        self.system = system
        self.filtering = False
        self._filter_seq = 0
        self._saved_expanded: set[str] = set()
        self._flat: tuple[SanConfig, list[Node]] | None = None
        self._startup_error: Exception | None = None
        self._filter_field: Input | None = None
        self._painted = False
        self._reading = False
        #: ``w``: the tree takes the whole width (the detail pane hidden) until pressed again.
        self.wide = False
        #: Fabric modules the kernel has but has not loaded (the tree shows them empty).
        self.fabrics: tuple[str, ...] = ()
        #: The object to select once the filter has been computed again after a write.
        self._follow_filtered: str | None = None
        # started now, so it overlaps Textual's start-up; compose waits for it
        #: A big configuration (by the two-listing probe): read after the first frame, and the doctor's
        #: live checks wait for a live panel (sampling thousands of LUNs at start costs memory and time).
        self.big = system.target.rough_size() >= BIG
        self._initial = InitialRead(reader=lambda: self._read_tree(quick=True), start=not self.big)


    @property
    def host(self) -> str:
        """The host's name (the forms' and the wizard's offers say it)."""
        return self.system.name

    @property
    def readonly(self) -> bool:
        return self.system.readonly

    @property
    def readonly_reason(self) -> str | None:
        return self.system.readonly_reason

    def _read_tree(self, *, quick: bool = False) -> SanConfig:
        """What the tree shows (in a worker thread): the configuration, and the fabrics not loaded yet
        (``quick``: the loaded modules only; the first frame's read — :meth:`_check_fabrics` completes it)."""
        config = self.system.target.read_config(**TREE_READ)
        self.fabrics = unloaded_fabrics(self.system, config, quick=quick)
        return config

    def _check_fabrics(self) -> None:
        """After the first frame: the fabrics whose module is installed but not loaded get their node too."""
        system, config = self.system, self.tree.config

        def work() -> None:
            found = unloaded_fabrics(system, config)
            self.app.call_from_thread(self._fabrics_found, config, found)

        if system.capabilities.is_this_machine and self._startup_error is None:
            self.run_worker(work, thread=True, group="fabrics", exit_on_error=False)

    def _fabrics_found(self, config: SanConfig, found: tuple[str, ...]) -> None:
        tree = self.tree
        if config is not tree.config or found == tree.fabrics or self.filtering:
            return
        self.fabrics = found
        tree.rebuild(config, expanded=tree.expanded_paths(), cursor=tree.cursor_path, fabrics=found)

    # --- layout ---------------------------------------------------------------

    def compose(self) -> ComposeResult:
        reading = not self._initial.done(START_WAIT)
        config = self.system.target.empty_config()
        if not reading:
            if self._initial.config is not None:
                config = self._initial.config
            else:
                self._startup_error = self._initial.error
        self._reading = reading
        yield StatusBar(system=self.system, id="status-bar")
        with Horizontal(id="main"):
            with Vertical(id="tree-pane"):
                yield ConfigTree(config, id="config-tree", populate=not reading, fabrics=self.fabrics)
                # the filter's Input (#filter) is mounted here on the first "/"
            yield DetailPane(id="detail")
        yield Static(id="hint", markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        tree = self.tree
        tree.border_title = "Configuration"
        self.watch(tree, "virtual_size", lambda _size: self._fit_panes(), init=False)
        if self._reading:
            tree.border_subtitle = "reading configfs…"
            initial = self._initial

            def wait() -> None:
                initial.start()  # a big tree's read starts here, after the first frame
                initial.done()
                self.post_message(self.Reloaded(initial.config, initial.error, initial=True))

            def start_waiting() -> None:
                self.run_worker(wait, thread=True, group="initial-read", exit_on_error=False)

            if initial.started:
                start_waiting()
            else:
                self.call_after_refresh(start_waiting)
        else:
            self._update_hint(tree.config)
        # The first details are read after the first frame is on the screen:
        # a worker thread started now would compete with it for the GIL.
        self.call_after_refresh(self._first_frame_done)

    def _first_frame_done(self) -> None:
        self._painted = True
        self._show_cursor_details()
        self.writes.refresh_status()
        if not self._reading:
            self._check_fabrics()

    def on_resize(self, event: events.Resize) -> None:
        narrow = event.size.width < NARROW
        self.set_class(narrow, "-narrow")
        self.tree.guide_depth = 2 if narrow else 3
        self._fit_panes()

    def tree_width(self) -> int:
        """The tree pane's width: what its longest label needs, between its share (3/5, half
        when narrow) and what leaves the detail pane :data:`MIN_DETAIL` columns; everything with ``w``."""
        total = self.size.width
        if self.wide:
            return total
        narrow = total < NARROW
        share = total // 2 if narrow else total * 3 // 5
        needed = self.tree.virtual_size.width + 3  # the borders and the scrollbar
        room = total - MIN_DETAIL[1 if narrow else 0]
        return max(share, min(needed, room))

    def _fit_panes(self) -> None:
        if not self.is_attached or not self.size.width:
            return
        pane = self.query_one("#tree-pane")
        width = self.tree_width()
        if pane.styles.width is None or pane.styles.width.cells != width:
            pane.styles.width = width
        self.detail.display = not self.wide

    def action_widen(self) -> None:
        """``w``: the tree at the whole width (long labels whole), or back beside the details."""
        self.wide = not self.wide
        self._fit_panes()
        if not self.wide:
            self._show_cursor_details()

    @property
    def tree(self) -> ConfigTree:
        return self.query_one("#config-tree", ConfigTree)

    @property
    def detail(self) -> DetailPane:
        return self.query_one("#detail", DetailPane)

    @property
    def filter_input(self) -> Input | None:
        """The filter field, once "/" has been pressed."""
        return self._filter_field

    def _update_hint(self, config: SanConfig, error: Exception | None = None) -> None:
        hint = self.query_one("#hint", Static)
        error = error or self._startup_error
        if error is not None:
            text = _no_configfs_hint(error)
        elif config.empty:
            text = EMPTY_HINT
        else:
            text = ""
        hint.update(Text(text))
        hint.set_class(bool(text), "-shown")
        if not getattr(self, "_setup_offered", False):  # the first read's result: an empty host gets the wizard offered
            self._setup_offered = True
            if error is None and not any(True for _ in config.targets):
                from sanctl.ui.screens.setup_entry import offer_setup

                self.call_after_refresh(offer_setup, self)

    # --- details --------------------------------------------------------------

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[Node]) -> None:
        if self._painted:
            self.detail.show(self.tree.config, event.node.data)

    def _show_cursor_details(self) -> None:
        node = self.tree.cursor_node
        self.detail.show(self.tree.config, node.data if node is not None else None)

    # --- filter ---------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clear_filter":
            field = self._filter_field
            return self.filtering or (field is not None and field.has_class("-active"))
        return True

    async def action_filter(self) -> None:
        field = self._filter_field
        if field is None:
            # created on first use: the Input's import and CSS stay out of start-up
            from textual.widgets import Input

            field = Input(placeholder="filter by name (esc clears)", id="filter")
            field.cursor_blink = False  # a blinking cursor repaints twice a second over SSH
            self._filter_field = field
            await self.query_one("#tree-pane").mount(field)
        if not self.filtering and not field.has_class("-active"):
            self._saved_expanded = self.tree.expanded_paths()
        field.add_class("-active")
        field.focus()
        self.refresh_bindings()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "filter":
            return
        event.stop()
        query = event.value.strip()
        self._filter_seq += 1
        if not query:
            if self.filtering:
                self._restore_tree()
            return
        self._start_filter(query)

    def _start_filter(self, query: str) -> None:
        seq = self._filter_seq
        config = self.tree.config
        cached = self._flat

        def work() -> None:
            flat = cached[1] if cached is not None and cached[0] is config else flatten(config)
            self._flat = (config, flat)
            self.post_message(self.Filtered(seq, filter_nodes(flat, query), config))

        self.run_worker(work, thread=True, exclusive=True, group="filter", exit_on_error=False)

    def on_config_screen_filtered(self, message: Filtered) -> None:
        if message.seq != self._filter_seq or message.config is not self.tree.config:
            return
        self.filtering = True
        result = message.result
        tree = self.tree
        tree.show_filter(result)
        follow, self._follow_filtered = self._follow_filtered, None
        if follow is not None and tree.node_at(follow) is not None:
            tree.select_path(follow)  # the object written, not the first match
        if result.total == 0:
            tree.border_subtitle = "no matches"
        elif result.truncated:
            tree.border_subtitle = f"{result.total} matches, first {len(result.matches)} shown"
        else:
            tree.border_subtitle = f"{result.total} match" + ("" if result.total == 1 else "es")
        self._show_cursor_details()
        self.refresh_bindings()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            event.stop()
            self.tree.focus()

    def action_clear_filter(self) -> None:
        field = self._filter_field
        self._filter_seq += 1
        if self.filtering:
            self._restore_tree()
        if field is not None:
            field.remove_class("-active")
            with field.prevent(type(field).Changed):
                field.value = ""
        self.tree.focus()
        self.refresh_bindings()

    def _restore_tree(self) -> None:
        """Back to the whole tree: the expansion from before the filter, the cursor where it is now."""
        tree = self.tree
        cursor = tree.cursor_path
        expanded = set(self._saved_expanded)
        if cursor:
            expanded.update(ancestors(cursor))
        self.filtering = False
        tree.border_subtitle = ""
        tree.rebuild(tree.config, expanded=expanded, cursor=cursor)
        self._show_cursor_details()

    # --- refresh --------------------------------------------------------------

    def after_setup(self) -> None:
        """The wizard finished (:class:`~sanctl.ui.screens.setup.AfterSetup`): re-read, and the save state."""
        self.action_refresh(quiet=True)
        self.writes.refresh_status()

    def action_refresh(self, quiet: bool = False, expand: tuple[str, ...] = (), follow: Follow | None = None) -> None:
        """Re-read configfs; ``follow``: after a write, the object to select again by its path."""
        if not quiet:
            self.writes.refresh_status()

        def work() -> None:
            try:
                config = self._read_tree()
            except Exception as exc:  # ConfigfsNotFound, or the tree vanished mid-read
                self.post_message(self.Reloaded(None, exc))
            else:
                self.post_message(self.Reloaded(config, quiet=quiet, expand=expand, follow=follow))

        self.run_worker(work, thread=True, exclusive=True, group="refresh", exit_on_error=False)

    def on_config_screen_reloaded(self, message: Reloaded) -> None:
        tree = self.tree
        if message.initial:
            self._initial_read_done(message)
            return
        if message.config is None:
            exc = message.error
            if isinstance(exc, ConfigfsNotFound) and self._startup_error is not None:
                text = f"still {exc}"
            elif isinstance(exc, ConfigfsNotFound):
                text = f"configfs vanished: {exc}. Showing the configuration read before."
            else:
                text = f"could not re-read configfs: {exc}"
            self.app.fail(text, title="Refresh failed", timeout=10)
            return
        config = message.config
        self._startup_error = None
        changed = config != tree.config or self.fabrics != tree.fabrics
        follow = message.follow
        if follow is not None:
            follow = self._followed(config, follow)
        if changed:
            expanded = self._saved_expanded if self.filtering else tree.expanded_paths()
            cursor = follow or tree.cursor_path
            expanded = set(expanded) | set(message.expand)
            if cursor:
                expanded = set(expanded) | set(ancestors(cursor))
            tree.rebuild(config, expanded=expanded, cursor=cursor, fabrics=self.fabrics)
            if self.filtering:
                self.filtering = False
                tree.border_subtitle = ""
                query = self._filter_field.value.strip() if self._filter_field is not None else ""
                if query:
                    self._follow_filtered = cursor
                    self._filter_seq += 1
                    self._start_filter(query)
            if not message.quiet:
                self.notify("configuration re-read", timeout=3)
        elif not message.quiet:
            self.notify("configuration re-read: no change", timeout=3)
        if not changed and follow is not None and tree.cursor_path != follow and tree.node_at(follow) is not None:
            tree.select_path(follow)
        self._update_hint(config)
        self._show_cursor_details()

    def _followed(self, config: SanConfig, follow: Follow) -> str:
        """The path to select after a write: ``follow``'s object, or its nearest surviving parent."""
        from sanctl.tree import find

        if find(config, follow.path):
            return follow.path
        path = follow.path
        while path not in ("", "/") and not find(config, path):
            path = path.rsplit("/", 1)[0] or "/"
        if not follow.gone_expected:
            name = follow.path.rsplit("/", 1)[-1]
            self.notify(f"{name} ({follow.path}) is gone: someone else removed it meanwhile.",
                        title="Gone", severity="warning", timeout=10)
        return path if path not in ("", "/") else follow.path

    def _initial_read_done(self, message: Reloaded) -> None:
        tree = self.tree
        self._reading = False
        tree.border_subtitle = ""
        if message.config is None:
            exc = message.error
            self._startup_error = exc
            self._update_hint(tree.config)
            return
        tree.rebuild(message.config, expanded=None, fabrics=self.fabrics)
        self._update_hint(message.config)
        self._check_fabrics()
        if self._painted:
            self._show_cursor_details()

    # --- writing: add, edit, delete, save, diff, restore ------------------------

    @property
    def writes(self) -> Writes:
        """The writing keys' work (:mod:`sanctl.ui.forms.controller`), made on first use."""
        found = getattr(self, "_writes", None)
        if found is None:
            found = self._writes = Writes(self)
        return found

    def action_add(self) -> None:
        self.writes.add()

    def action_edit(self) -> None:
        self.writes.edit()

    def action_delete(self) -> None:
        self.writes.delete()

    def action_save(self) -> None:
        self.writes.save()

    def action_diff(self) -> None:
        self.writes.diff()

    def action_restore(self) -> None:
        self.writes.restore()
