"""Everything about one tree node, as titled sections of key/value rows.

The detail pane of the TUI shows these; ``sanctl show PATH`` could print
them. Loading reads the node's object again with the configfs detail
loaders (attributes, parameters, auth, ALUA groups), so call
:func:`load_details` off the UI thread. No Textual, no Rich: rows are plain
strings with a ``state`` hint (``ok``, ``warn``, ``bad``, ``muted``) that the
screen turns into colour; the word itself always carries the meaning, so a
monochrome terminal loses nothing. CHAP secrets are only ever shown through
``str(Secret)``, which masks them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from sanctl import summary
from sanctl.model import Auth, Fabric, Lun, MappedLun, NodeAcl, Portal, SanConfig, Setting, Settings, StorageObject, Target, Tpg
from sanctl.tree import Node

OK, WARN, BAD, MUTED = "ok", "warn", "bad", "muted"
#: Where LIO's configfs tree is under a root (as :mod:`sanctl.lio.configfs` reads it), for the root's row.
CONFIGFS_TARGET = "sys/kernel/config/target"


@dataclass(frozen=True, slots=True)
class Row:
    key: str
    value: str
    state: str | None = None
    #: A short remark shown after the value, e.g. ``ro`` for a read-only attribute.
    note: str = ""


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    rows: tuple[Row, ...]
    #: Shown instead of rows when there are none.
    empty: str = "none"


@dataclass(frozen=True, slots=True)
class Details:
    kind: str
    title: str
    path: str
    sections: tuple[Section, ...]


KIND_TITLES = {
    "root": "Configuration",
    "backstores": "Backstores",
    "plugin": "Backstore plugin",
    "storage_object": "Storage object",
    "fabric": "Fabric",
    "target": "Target",
    "tpg": "TPG",
    "acls": "ACLs",
    "luns": "LUNs",
    "portals": "Portals",
    "acl": "ACL",
    "lun": "LUN",
    "mapped_lun": "Mapped LUN",
    "portal": "Portal",
}


class Reader(Protocol):
    """What :func:`load_details` reads with: the host's target part (:class:`~sanctl.host.protocol.TargetPart`)."""

    def read_in_full(self, obj: Any, storage_object: Any = None) -> Any: ...

    def mapped_luns(self, acl: NodeAcl) -> NodeAcl: ...


def load_details(config: SanConfig, node: Node, read: Reader) -> Details:
    """Read (through ``read``, the host's target part) and describe ``node``; blocking."""
    builder = _BUILDERS.get(node.kind, _generic)
    sections = tuple(builder(config, node, read))
    return Details(node.kind, title_of(node), node.path, sections)


def title_of(node: Node) -> str:
    """``LUN lun0``, ``Target iqn…``; a group is just its kind (``ACLs``)."""
    kind = KIND_TITLES.get(node.kind, node.kind)
    if node.kind == "root":
        return kind
    if kind.lower() == node.name.lower():
        return kind
    return f"{kind} {node.name}"


#: SPC-4 asymmetric access states, as ``alua_access_state`` holds them.
ALUA_STATES = {
    "0": "active/optimized",
    "1": "active/non-optimized",
    "2": "standby",
    "3": "unavailable",
    "4": "LBA dependent",
    "14": "offline",
    "15": "transitioning",
}


# --- rows -------------------------------------------------------------------


def _yes_no(value: bool | None, yes: str = "yes", no: str = "no") -> str:
    return "?" if value is None else (yes if value else no)


def _flag_row(key: str, value: bool | None, *, good: bool | None = None) -> Row:
    """A yes/no row; ``good`` says which answer is the healthy one, if any."""
    state = None
    if value is None:
        state = MUTED
    elif good is not None:
        state = OK if value == good else WARN
    return Row(key, _yes_no(value), state)


def _opt(key: str, value: object, state: str | None = None) -> Row:
    if value is None or value == "":
        return Row(key, "-", MUTED)
    return Row(key, str(value), state)


def settings_rows(settings: Settings | None) -> tuple[Row, ...]:
    if settings is None:
        return ()
    return tuple(_setting_row(s) for s in settings)


def _setting_row(setting: Setting) -> Row:
    note = "" if setting.writable else "ro"
    if setting.unreadable:
        return Row(setting.name, setting.shown(), BAD, note)
    if not setting.readable:
        return Row(setting.name, "(write-only)", MUTED, note)
    return Row(setting.name, setting.shown(), None, note)


def auth_rows(auth: Auth | None) -> tuple[Row, ...]:
    """CHAP credentials; secrets pass through ``str(Secret)`` and come out masked."""
    if auth is None:
        return ()
    rows = [
        Row("mode", auth.summary(), OK if auth.chap else MUTED),
        _opt("userid", auth.userid),
        _opt("password", str(auth.password)),
        _opt("mutual_userid", auth.mutual_userid),
        _opt("mutual_password", str(auth.mutual_password)),
    ]
    if auth.authenticate_target is not None:
        rows.append(_flag_row("authenticate_target", auth.authenticate_target))
    if auth.enforce is not None:
        rows.append(_flag_row("enforce_discovery_auth", auth.enforce))
    return tuple(rows)


def _status_state(text: str | None) -> str | None:
    word = (text or "").lower()
    if word == "activated":
        return OK
    if word in ("deactivated", ""):
        return WARN
    return None


def _size(size: int | None) -> str:
    if size is None:
        return "?"
    return f"{summary.human_size(size)} ({size} bytes)"


# --- per kind ---------------------------------------------------------------


def _generic(config: SanConfig, node: Node, read: Reader) -> Iterable[Section]:
    yield Section("General", (Row("path", node.path), Row("summary", node.summary or "-")))


def _root(config: SanConfig, node: Node, read: Reader) -> Iterable[Section]:
    targets = list(config.targets)
    rows = [
        Row("configfs", os.path.join(config.root, CONFIGFS_TARGET)),
        Row("storage objects", str(len(config.storage_objects))),
        Row("fabrics", ", ".join(f.name for f in config.fabrics) or "none loaded", None if config.fabrics else MUTED),
        Row("targets", str(len(targets))),
    ]
    yield Section("General", tuple(rows))
    if config.problems:
        yield Section("Unreadable", tuple(Row(p.path, p.message, BAD) for p in config.problems))


def _backstores(config: SanConfig, node: Node, read: Reader) -> Iterable[Section]:
    counts: dict[str, int] = {}
    for so in config.storage_objects:
        counts[so.plugin] = counts.get(so.plugin, 0) + 1
    rows = tuple(Row(plugin, str(count)) for plugin, count in sorted(counts.items()))
    yield Section("Storage objects by plugin", rows, "no storage objects")


def _plugin(config: SanConfig, node: Node, read: Reader) -> Iterable[Section]:
    sos = sorted((so for so in config.storage_objects if so.plugin == node.obj), key=lambda so: so.name)
    rows = tuple(Row(so.name, summary.storage_object_summary(so), _status_state(so.status)) for so in sos[:200])
    if len(sos) > 200:
        rows += (Row("…", f"{len(sos) - 200} more", MUTED),)
    yield Section(f"{node.name} storage objects ({len(sos)})", rows, "none")


def _storage_object(config: SanConfig, node: Node, read: Reader) -> Iterable[Section]:
    so: StorageObject = read.read_in_full(node.obj)
    rows = [
        Row("plugin", so.plugin),
        Row("name", so.name),
        _opt("device", so.dev),
        Row("size", _size(so.size), MUTED if so.size is None else None),
        _opt("serial (wwn)", so.wwn),
        Row("status", so.status or "unknown", _status_state(so.status)),
        _flag_row("configured", so.enabled, good=True),
    ]
    if so.write_back is not None:
        rows.append(Row("write cache", "write-back" if so.write_back else "write-thru"))
    if so.readonly is not None:
        rows.append(_flag_row("read-only", so.readonly))
    if so.exclusive is not None:
        rows.append(_flag_row("exclusive", so.exclusive))
    if so.aio is not None:
        rows.append(_flag_row("async io", so.aio))
    if so.nullio is not None:
        rows.append(_flag_row("nullio", so.nullio))
    if so.plugin == "user":
        rows.append(_opt("config", so.config))
    rows.append(_opt("hw max sectors", so.hw_max_sectors))
    rows.append(Row("configfs", so.path, MUTED))
    yield Section("General", tuple(rows))
    users = config.users_of(so.key)
    yield Section(
        "Used by",
        tuple(Row(f"tpg{tpg.tag}/lun{lun.index}", f"{t.fabric}/{t.wwn}") for t, tpg, lun in users),
        "no LUN uses it",
    )
    groups = so.alua_groups or ()
    alua = []
    for group in groups:
        state = group.settings.value("alua_access_state")
        gid = "?" if group.tg_pt_gp_id is None else group.tg_pt_gp_id
        text = f"id {gid}" + (f", {ALUA_STATES.get(state, 'state ' + state)}" if state else "")
        alua.append(Row(group.name, text))
    yield Section("ALUA groups", tuple(alua), "none")
    yield Section("Attributes", settings_rows(so.attributes), "none")


def _fabric(config: SanConfig, node: Node, read: Reader) -> Iterable[Section]:
    fabric: Fabric = node.obj  # type: ignore[assignment]
    rows = [Row("name", fabric.name), Row("targets", str(len(fabric.targets))), _opt("version", fabric.version)]
    if config.fabric(fabric.name) is None:
        rows.append(Row("module", "not loaded yet: it loads when its first target is added (a)", MUTED))
    yield Section("General", tuple(rows))
    if fabric.discovery_auth is not None:
        yield Section("Discovery auth", auth_rows(fabric.discovery_auth))


def _target(config: SanConfig, node: Node, read: Reader) -> Iterable[Section]:
    target: Target = read.read_in_full(node.obj)
    rows = [
        Row("fabric", target.fabric),
        Row("wwn", target.wwn),
        Row("TPGs", str(len(target.tpgs))),
        Row("configfs", target.path, MUTED),
    ]
    yield Section("General", tuple(rows))
    if target.parameters is not None and len(target.parameters):
        yield Section("Parameters", settings_rows(target.parameters))


def _tpg(config: SanConfig, node: Node, read: Reader) -> Iterable[Section]:
    tpg: Tpg = read.read_in_full(node.obj)
    target: Target | None = node.parent_obj  # type: ignore[assignment]
    have = summary.features(target.fabric if target else "iscsi")
    rows = [_opt("target", target.wwn if target else None), Row("tag", str(tpg.tag))]
    if "nexus" not in have:  # a loopback TPG has no enable switch, no ACLs, no CHAP, no portals
        rows.append(_flag_row("enabled", tpg.enabled, good=True))
    if "acls" in have:
        rows.append(Row("demo mode", _yes_no(tpg.demo_mode)))
    if "auth" in have:
        rows.append(Row("authentication", _yes_no(tpg.authentication)))
    rows.append(Row("LUNs", str(len(tpg.luns))))
    if "acls" in have:
        rows.append(Row("ACLs", str(len(tpg.acls))))
    if "nps" in have:
        rows.append(Row("portals", str(len(tpg.portals))))
    if tpg.nexus:
        rows.append(Row("nexus", tpg.nexus))
    rows.append(Row("configfs", tpg.path, MUTED))
    yield Section("General", tuple(rows))
    yield Section("Attributes", settings_rows(tpg.attributes), "none")
    if tpg.parameters is not None:
        yield Section("Parameters", settings_rows(tpg.parameters), "none")
    if tpg.auth is not None and "auth" in have:
        yield Section("Auth (demo mode)", auth_rows(tpg.auth))


def _group(config: SanConfig, node: Node, read: Reader) -> Iterable[Section]:
    tpg: Tpg = node.obj  # type: ignore[assignment]
    count = {"acls": len(tpg.acls), "luns": len(tpg.luns), "portals": len(tpg.portals)}[node.kind]
    yield Section("General", (Row("TPG", f"tpg{tpg.tag}"), Row(KIND_TITLES[node.kind], str(count))))


def _acl(config: SanConfig, node: Node, read: Reader) -> Iterable[Section]:
    acl: NodeAcl = read.read_in_full(node.obj)
    tpg: Tpg = node.parent_obj  # type: ignore[assignment]
    rows = [
        Row("initiator", acl.node_wwn),
        _opt("tag", acl.tag),
        _opt("cmdsn_depth", acl.cmdsn_depth),
        Row("auth", acl.auth.summary() if acl.auth else "-", OK if acl.auth and acl.auth.chap else MUTED),
        Row("configfs", acl.path, MUTED),
    ]
    yield Section("General", tuple(rows))
    mapped = tuple(
        Row(f"mapped_lun{m.index}", summary.mapped_lun_summary(config, tpg, m), BAD if m.tpg_lun is None else None)
        for m in sorted(acl.mapped_luns, key=lambda m: m.index)
    )
    yield Section("Mapped LUNs", mapped, "none — this initiator sees no LUN")
    yield Section("Auth", auth_rows(acl.auth), "no auth directory")
    yield Section("Attributes", settings_rows(acl.attributes), "none")


def _lun(config: SanConfig, node: Node, read: Reader) -> Iterable[Section]:
    tpg: Tpg = node.parent_obj  # type: ignore[assignment]
    so = config.storage_object(node.obj.storage_object)  # type: ignore[union-attr]
    lun: Lun = read.read_in_full(node.obj, so)
    rows = [
        Row("index", str(lun.index)),
        _opt("alias", lun.alias),
        Row("storage object", summary.so_label(config, lun.storage_object), BAD if lun.storage_object is None else None),
    ]
    if so is not None:
        rows += [
            _opt("device", so.dev),
            Row("size", _size(so.size), MUTED if so.size is None else None),
            _opt("serial (wwn)", so.wwn),
            Row("status", so.status or "unknown", _status_state(so.status)),
        ]
        if so.write_back is not None:
            rows.append(Row("write cache", "write-back" if so.write_back else "write-thru"))
    elif lun.storage_object is not None:
        rows.append(Row("storage object", "missing from backstores", BAD))
    rows.append(_opt("ALUA group", lun.alua_tg_pt_gp_name))
    rows.append(Row("configfs", lun.path, MUTED))
    yield Section("General", tuple(rows))
    seen_by = []
    for acl in sorted(tpg.acls, key=lambda a: a.node_wwn):
        for m in read.mapped_luns(acl).mapped_luns:  # read now if the first read left them
            if m.tpg_lun == lun.index:
                seen_by.append(Row(f"mapped_lun{m.index} ({'ro' if m.write_protect else 'rw'})", acl.node_wwn))
    empty = "every initiator (demo mode)" if tpg.demo_mode else "no ACL maps it"
    yield Section("Mapped by", tuple(seen_by), empty)


def _mapped_lun(config: SanConfig, node: Node, read: Reader) -> Iterable[Section]:
    mlun: MappedLun = node.obj  # type: ignore[assignment]
    acl: NodeAcl = node.parent_obj  # type: ignore[assignment]
    tpg = next((t for t in _all_tpgs(config) if any(a.path == acl.path for a in t.acls)), None)
    rows = [
        Row("index", str(mlun.index)),
        Row("initiator", acl.node_wwn),
        Row("TPG LUN", f"lun{mlun.tpg_lun}" if mlun.tpg_lun is not None else "BROKEN LUN LINK", BAD if mlun.tpg_lun is None else None),
        Row("access", "read-only" if mlun.write_protect else "read-write"),
        _opt("alias", mlun.alias),
    ]
    if tpg is not None and mlun.tpg_lun is not None:
        lun = next((l for l in tpg.luns if l.index == mlun.tpg_lun), None)
        if lun is not None:
            rows.append(Row("storage object", summary.so_label(config, lun.storage_object)))
            so = config.storage_object(lun.storage_object)
            if so is not None:
                rows.append(_opt("device", so.dev))
    rows.append(Row("configfs", mlun.path, MUTED))
    yield Section("General", tuple(rows))


def _all_tpgs(config: SanConfig) -> Iterable[Tpg]:
    for target in config.targets:
        yield from target.tpgs


def _portal(config: SanConfig, node: Node, read: Reader) -> Iterable[Section]:
    portal: Portal = node.obj  # type: ignore[assignment]
    rows = [
        Row("address", portal.ip_address),
        Row("port", str(portal.port)),
        Row("listens on", "every address" if portal.wildcard else portal.ip_address),
        _flag_row("iSER", portal.iser),
        _flag_row("offload (cxgbit)", portal.offload),
        Row("configfs", portal.path, MUTED),
    ]
    yield Section("General", tuple(rows))


_BUILDERS = {
    "root": _root,
    "backstores": _backstores,
    "plugin": _plugin,
    "storage_object": _storage_object,
    "fabric": _fabric,
    "target": _target,
    "tpg": _tpg,
    "acls": _group,
    "luns": _group,
    "portals": _group,
    "acl": _acl,
    "lun": _lun,
    "mapped_lun": _mapped_lun,
    "portal": _portal,
}
