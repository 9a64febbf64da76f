"""The configuration as a tree of nodes, built one level at a time.

targetcli's hierarchy (``/backstores/block/x``, ``/iscsi/<iqn>/tpg1/luns/lun0``)
without Textual: the TUI asks for a node's children when the operator expands
it, so 10,000 LUNs cost nothing until their TPG is opened; ``sanctl show``
walks the whole tree. Every node has a stable ``path`` (targetcli's spelling)
so the filter, the doctor and tests can name it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from sanctl import summary
from sanctl.model import FABRIC_DIRS, PLUGIN_BY_DIR_PREFIX, Fabric, Lun, NodeAcl, SanConfig, StorageObject, Target, Tpg

#: Backstore plugins in targetcli's order.
PLUGINS = ("block", "fileio", "pscsi", "ramdisk", "user")


@dataclass(frozen=True, slots=True)
class Node:
    """One line of the tree."""

    kind: str
    name: str
    summary: str
    path: str
    obj: object = None
    parent_obj: object = None
    expandable: bool = False

    @property
    def depth(self) -> int:
        return 0 if self.path == "/" else self.path.count("/")


def root_node(config: SanConfig, fabrics: tuple[str, ...] = ()) -> Node:
    """The root; ``fabrics``: fabric modules this kernel has but has not loaded yet (``loopback``),
    shown as empty fabric nodes as targetcli shows them, so a target is added from its own fabric."""
    return Node("root", "/", "", "/", config, tuple(fabrics), True)


def children(config: SanConfig, node: Node) -> list[Node]:
    """The children of ``node``, computed now."""
    builder = _BUILDERS.get(node.kind)
    return builder(config, node) if builder else []


def walk(config: SanConfig, node: Node | None = None) -> Iterator[Node]:
    """Every node under ``node`` (the root by default), depth first."""
    node = node or root_node(config)
    yield node
    for child in children(config, node):
        yield from walk(config, child)


def _join(parent: str, name: str) -> str:
    return f"/{name}" if parent == "/" else f"{parent}/{name}"


def _root(config: SanConfig, node: Node) -> list[Node]:
    out = [Node("backstores", "backstores", "", "/backstores", None, None, True)]
    loaded = {fabric.name for fabric in config.fabrics}
    unloaded = [Fabric(name, FABRIC_DIRS.get(name, name)) for name in (node.parent_obj or ()) if name not in loaded]
    order = list(FABRIC_DIRS)
    fabrics = sorted([*config.fabrics, *unloaded], key=lambda f: order.index(f.name) if f.name in order else len(order))
    for fabric in fabrics:
        out.append(
            Node("fabric", fabric.name, summary.fabric_summary(fabric), _join("/", fabric.name), fabric, None, bool(fabric.targets))
        )
    return out


def _backstores(config: SanConfig, node: Node) -> list[Node]:
    counts: dict[str, int] = {}
    for so in config.storage_objects:
        counts[so.plugin] = counts.get(so.plugin, 0) + 1
    plugins = list(PLUGINS) + sorted(p for p in counts if p not in PLUGINS)
    return [
        Node("plugin", plugin, summary.plugin_summary(counts.get(plugin, 0)), _join(node.path, plugin), plugin, None, counts.get(plugin, 0) > 0)
        for plugin in plugins
        if plugin in counts or plugin in PLUGIN_BY_DIR_PREFIX.values()
    ]


def _plugin(config: SanConfig, node: Node) -> list[Node]:
    sos = sorted((so for so in config.storage_objects if so.plugin == node.obj), key=lambda so: so.name)
    return [_so_node(node.path, so) for so in sos]


def _so_node(parent: str, so: StorageObject) -> Node:
    return Node("storage_object", so.name, summary.storage_object_summary(so), _join(parent, so.name), so)


def _fabric(config: SanConfig, node: Node) -> list[Node]:
    fabric: Fabric = node.obj  # type: ignore[assignment]
    return [
        Node("target", t.wwn, summary.target_summary(t), _join(node.path, t.wwn), t, fabric, bool(t.tpgs))
        for t in sorted(fabric.targets, key=lambda t: t.wwn)
    ]


def _target(config: SanConfig, node: Node) -> list[Node]:
    target: Target = node.obj  # type: ignore[assignment]
    return [
        Node("tpg", f"tpg{t.tag}", summary.tpg_summary(_with_tpg_auth(config, t), target.fabric),
             _join(node.path, f"tpg{t.tag}"), t, target, True)
        for t in sorted(target.tpgs, key=lambda t: t.tag)
    ]


def _read_auth(config: SanConfig, path: str):
    """The ``auth/`` of the object at configfs ``path``, read now (the tree's first read leaves it)."""
    return config.later.auth(path) if config.later is not None else None


def _with_tpg_auth(config: SanConfig, tpg: Tpg) -> Tpg:
    """``tpg`` with its CHAP read when its label names it (demo mode with authentication)."""
    if tpg.auth is None and tpg.demo_mode and tpg.authentication and config.later is not None:
        auth = _read_auth(config, tpg.path)
        if auth is not None:
            return replace(tpg, auth=auth)
    return tpg


def _with_acl_auth(config: SanConfig, tpg: Tpg, acl: NodeAcl) -> NodeAcl:
    """``acl`` with its CHAP read when its label names it (the TPG requires CHAP per ACL)."""
    if acl.auth is None and tpg.authentication and not tpg.demo_mode and config.later is not None:
        auth = _read_auth(config, acl.path)
        if auth is not None:
            return replace(acl, auth=auth)
    return acl


def _tpg(config: SanConfig, node: Node) -> list[Node]:
    tpg: Tpg = node.obj  # type: ignore[assignment]
    have = summary.features(getattr(node.parent_obj, "fabric", "iscsi"))
    out = []
    if "acls" in have or tpg.acls:  # a loopback TPG has none: tcm_loop's nexus is its one initiator
        out.append(Node("acls", "acls", summary.plural(len(tpg.acls), "ACLs"), _join(node.path, "acls"), tpg, node.parent_obj, bool(tpg.acls)))
    out.append(Node("luns", "luns", summary.plural(len(tpg.luns), "LUNs"), _join(node.path, "luns"), tpg, node.parent_obj, bool(tpg.luns)))
    if node.parent_obj is not None and "nps" in have:
        out.append(
            Node("portals", "portals", summary.plural(len(tpg.portals), "Portals"), _join(node.path, "portals"), tpg, node.parent_obj, bool(tpg.portals))
        )
    return out


def _acls(config: SanConfig, node: Node) -> list[Node]:
    tpg: Tpg = node.obj  # type: ignore[assignment]
    return [
        Node("acl", a.node_wwn, summary.acl_summary(_with_acl_auth(config, tpg, a), tpg), _join(node.path, a.node_wwn), a, tpg,
             bool(a.mapped_lun_count))
        for a in sorted(tpg.acls, key=lambda a: a.node_wwn)
    ]


def _acl(config: SanConfig, node: Node) -> list[Node]:
    acl: NodeAcl = node.obj  # type: ignore[assignment]
    tpg: Tpg = node.parent_obj  # type: ignore[assignment]
    if acl.unread_mapped_luns is not None and config.later is not None:  # the TUI's first read left them for now
        acl = config.later.mapped_luns(acl)
    return [
        Node("mapped_lun", f"mapped_lun{m.index}", summary.mapped_lun_summary(config, tpg, m), _join(node.path, f"mapped_lun{m.index}"), m, acl)
        for m in sorted(acl.mapped_luns, key=lambda m: m.index)
    ]


def _luns(config: SanConfig, node: Node) -> list[Node]:
    tpg: Tpg = node.obj  # type: ignore[assignment]
    return [
        Node("lun", f"lun{lun.index}", summary.lun_summary(config, _with_alua_group(config, lun)), _join(node.path, f"lun{lun.index}"),
             lun, tpg)
        for lun in sorted(tpg.luns, key=lambda lun: lun.index)
    ]


def _with_alua_group(config: SanConfig, lun: Lun) -> Lun:
    """``lun`` with its ALUA group read (targetcli 3 names it on the label), when the first read left it."""
    if lun.alua_tg_pt_gp_name is not None or lun.storage_object is None or config.later is None:
        return lun
    return config.later.lun_details(lun, config.storage_object(lun.storage_object))


def _portals(config: SanConfig, node: Node) -> list[Node]:
    tpg: Tpg = node.obj  # type: ignore[assignment]
    return [
        Node("portal", p.label, summary.portal_summary(p), _join(node.path, p.label), p, tpg)
        for p in sorted(tpg.portals, key=lambda p: (p.ip_address, p.port))
    ]


_BUILDERS = {
    "root": _root,
    "backstores": _backstores,
    "plugin": _plugin,
    "fabric": _fabric,
    "target": _target,
    "tpg": _tpg,
    "acls": _acls,
    "acl": _acl,
    "luns": _luns,
    "portals": _portals,
}


def find(config: SanConfig, path: str, fabrics: tuple[str, ...] = ()) -> list[Node]:
    """The chain of nodes from the root to ``path`` (empty if it does not exist); ``fabrics`` as for :func:`root_node`."""
    chain = [root_node(config, fabrics)]
    if path in ("", "/"):
        return chain
    remaining = path.strip("/")
    while remaining:
        current = chain[-1]
        match = None
        for child in children(config, current):
            prefix = child.path.strip("/")
            if path.strip("/") == prefix or path.strip("/").startswith(prefix + "/"):
                match = child
                break
        if match is None:
            return []
        chain.append(match)
        if match.path.strip("/") == path.strip("/"):
            return chain
    return chain


def render_text(config: SanConfig, *, width: int = 100, fabrics: tuple[str, ...] = ()) -> str:
    """The whole tree as text, like ``targetcli ls``; ``fabrics`` as for :func:`root_node`."""
    lines = []
    for node in walk(config, root_node(config, fabrics)):
        indent = "  " * node.depth
        head = f"{indent}o- {node.name} "
        tail = f" [{node.summary}]" if node.summary else ""
        dots = "." * max(1, width - len(head) - len(tail))
        lines.append(f"{head}{dots}{tail}" if tail else head.rstrip())
    return "\n".join(lines) + "\n"


def complete(config: SanConfig, node: Node) -> tuple[SanConfig, Node]:
    """``config`` with every mapped LUN read, and ``node`` as found in it.

    The TUI's first read leaves mapped LUNs unread; a change must be planned
    on the whole configuration (the next free index, what a delete takes
    with it), and its node must hold the complete objects.
    """
    full = config.later.all_mapped_luns(config) if config.later is not None else config
    if full is config:
        return config, node
    chain = find(full, node.path)
    return full, (chain[-1] if chain else node)
