"""Filter the configuration tree by name, on the model, not on widgets.

The TUI builds tree nodes only for what the operator expanded, so a search
must look at every path of the model (:func:`sanctl.tree.walk`). The result
is the small set of nodes to show: every match and its ancestors, in tree
order. Plain Python, no Textual: the walk over a big configuration runs in a
worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sanctl import tree
from sanctl.model import SanConfig
from sanctl.tree import Node

#: More matches than this are counted but not all shown.
SHOW_LIMIT = 2000


def parent_path(path: str) -> str:
    head = path.rsplit("/", 1)[0]
    return head or "/"


def ancestors(path: str) -> list[str]:
    """``/a/b/c`` -> ``["/a", "/a/b"]`` (the root excluded)."""
    out = []
    while True:
        path = parent_path(path)
        if path == "/":
            return list(reversed(out))
        out.append(path)


def flatten(config: SanConfig) -> list[Node]:
    """Every node except the root, in tree order."""
    nodes = tree.walk(config)
    next(nodes)
    return list(nodes)


@dataclass(frozen=True)
class FilterResult:
    query: str
    #: Matches and their ancestors, in tree order (parents before children).
    nodes: tuple[Node, ...] = ()
    #: Paths of the nodes whose name matched.
    matches: frozenset[str] = field(default_factory=frozenset)
    #: Paths to show expanded: the ancestors of the matches shown.
    expanded: frozenset[str] = field(default_factory=frozenset)
    #: How many names matched (may exceed those shown).
    total: int = 0

    @property
    def truncated(self) -> bool:
        return self.total > len(self.matches)


def filter_nodes(flat: list[Node], query: str, limit: int = SHOW_LIMIT) -> FilterResult:
    """Nodes whose name contains ``query`` (case-insensitive), with their ancestors."""
    needle = query.strip().casefold()
    if not needle:
        return FilterResult(query)
    matches: list[str] = []
    total = 0
    for node in flat:
        if needle in node.name.casefold():
            total += 1
            if len(matches) < limit:
                matches.append(node.path)
    expanded: set[str] = set()
    for path in matches:
        expanded.update(ancestors(path))
    keep = expanded.union(matches)
    nodes = tuple(node for node in flat if node.path in keep)
    return FilterResult(query, nodes, frozenset(matches), frozenset(expanded), total)
