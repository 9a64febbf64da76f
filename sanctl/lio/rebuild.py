"""Changes that rebuild objects from their saveconfig.json form.

Two users: the plan of a restore or an apply (:mod:`sanctl.lio.plan`
builds each new object's changes — backstore, LUN, portal, discovery
authentication — with these functions, so a file goes through the same
rules as a form), and the writers' undo of a delete (the object's dump,
taken just before it goes, recreates it with the same serial, aliases,
attributes and CHAP). :func:`plan` lists a file's top-level objects with
their changes or why they cannot be rebuilt.

The order follows rtslib-fb's ``restore()``: a backstore, then its
attributes and ALUA groups; a TPG, its attributes and parameters, LUNs, portals, ACLs
(attributes, mapped LUNs, tag, CHAP), then ``enable`` and the TPG's CHAP.
A LUN joins its ALUA group right after it is created.

A malformed entry raises :class:`RebuildError` naming the object; a name
the rules of :mod:`sanctl.names` refuse raises
:class:`~sanctl.names.InvalidValue` — the file is never trusted more than a
form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sanctl.errors import SanctlError
from sanctl.names import InvalidValue
from sanctl.lio import changes as C

#: The ALUA group the kernel gives every backstore (never created or restored).
DEFAULT_ALUA_GROUP = C.DEFAULT_ALUA_GROUP


class RebuildError(SanctlError, ValueError):
    """An entry of a saveconfig file that cannot become changes."""


@dataclass(frozen=True, slots=True)
class Group:
    """One top-level object of a file and the changes that rebuild it."""

    kind: str  #: "storage_object", "target" or "fabric"
    key: tuple
    label: str
    changes: tuple[C.Change, ...] = ()
    error: str | None = None  #: why it cannot be rebuilt (malformed or invalid)
    warnings: tuple[str, ...] = field(default_factory=tuple)


def _get(d: Mapping, key: str, what: str, kind: type | tuple = object) -> Any:
    if not isinstance(d, Mapping) or key not in d:
        raise RebuildError(f"{what} has no '{key}'")
    value = d[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise RebuildError(f"{what}: '{key}' has the wrong type ({type(value).__name__})")
    return value


def _chap(d: Mapping, prefix: str) -> C.Chap | None:
    keys = ("userid", "password", "mutual_userid", "mutual_password")
    values = {k: d.get(prefix + k) or "" for k in keys}
    if not any(values.values()):
        return None
    for k, v in values.items():
        if not isinstance(v, str):
            raise RebuildError(f"'{prefix}{k}' is not text")
    return C.Chap(values["userid"], values["password"], values["mutual_userid"], values["mutual_password"])


def _attributes(d: Mapping) -> list[tuple[str, Any]]:
    attrs = d.get("attributes") or {}
    if not isinstance(attrs, Mapping):
        raise RebuildError("'attributes' is not a table")
    return sorted(attrs.items())


# ---------------------------------------------------------------------------
# storage objects
# ---------------------------------------------------------------------------


def storage_object_key(d: Mapping) -> tuple[str, str]:
    return (str(d.get("plugin", "?")), str(d.get("name", "?")))


def alua_group(plugin: str, name: str, g: Mapping) -> list[C.Change]:
    """An ``alua_tpgs[]`` entry: the group with its id, then its parameters in rtslib-fb's order."""
    what = f"an ALUA group of {plugin}/{name}"
    group = _get(g, "name", what, str)
    out: list[C.Change] = [C.CreateAluaGroup(plugin, name, group, _get(g, "tg_pt_gp_id", what, int))]
    for param in C.ALUA_PARAMS:
        value = g.get(param)
        if value is not None:
            out.append(C.alua_group_parameter(plugin, name, group, param, value))
    return out


def storage_object(d: Mapping, *, attributes: bool = True, alua: bool = True) -> list[C.Change]:
    """The create (same serial), attribute and ALUA group changes of one ``storage_objects[]`` entry.

    ``default_tg_pt_gp`` is left as the kernel makes it, as rtslib-fb's restore does.
    """
    plugin = _get(d, "plugin", "storage object", str)
    name = _get(d, "name", f"storage object of plugin {plugin}", str)
    what = f"storage object {plugin}/{name}"
    wwn = d.get("wwn") or None
    if plugin == "block":
        create: C.Change = C.CreateBlock(name, _get(d, "dev", what, str), readonly=bool(d.get("readonly")),
                                         wwn=wwn, exclusive=bool(d.get("exclusive", True)))
    elif plugin == "fileio":
        size = d.get("size")
        create = C.CreateFileio(name, _get(d, "dev", what, str), size=size if size else None,
                                write_back=bool(d.get("write_back")), wwn=wwn, aio=bool(d.get("aio")))
    elif plugin == "ramdisk":
        create = C.CreateRamdisk(name, _get(d, "size", what, int), nullio=bool(d.get("nullio")), wwn=wwn)
    elif plugin == "pscsi":
        create = C.CreatePscsi(name, _get(d, "dev", what, str))
    elif plugin == "user":
        config = _get(d, "config", what, str)
        handler, sep, cfgstring = config.partition("/")
        if not sep:
            raise RebuildError(f"{what}: 'config' is not '<handler>/<config string>'")
        create = C.CreateUser(name, handler, cfgstring, _get(d, "size", what, int), wwn=wwn,
                              hw_max_sectors=d.get("hw_max_sectors"), control=d.get("control") or None)
    else:
        raise RebuildError(f"{what}: unknown plugin")
    out: list[C.Change] = [create]
    if attributes:
        out.extend(C.backstore_attribute(plugin, name, key, value) for key, value in _attributes(d))
    if alua:
        groups = d.get("alua_tpgs") or ()
        if not isinstance(groups, (list, tuple)):
            raise RebuildError(f"{what}: 'alua_tpgs' is not a list")
        for g in groups:
            if isinstance(g, Mapping) and g.get("name") == DEFAULT_ALUA_GROUP:
                continue
            out.extend(alua_group(plugin, name, g))
    return out


# ---------------------------------------------------------------------------
# targets
# ---------------------------------------------------------------------------


def _so_ref(text: Any, what: str) -> tuple[str, str]:
    if not isinstance(text, str) or not text.startswith("/backstores/") or text.count("/") != 3:
        raise RebuildError(f"{what}: malformed storage_object {text!r}")
    _, _, plugin, name = text.split("/")
    return plugin, name


def acl(fabric: str, wwn: str, tag: int, d: Mapping, *, mapped: bool = True) -> list[C.Change]:
    """An ACL with its attributes, mapped LUNs (unless ``mapped`` is False), tag and CHAP."""
    initiator = _get(d, "node_wwn", f"an ACL of {wwn}/tpg{tag}", str)
    out: list[C.Change] = [C.CreateAcl(wwn, tag, initiator, map_all_luns=False, fabric=fabric)]
    out.extend(C.acl_attribute(wwn, tag, initiator, k, v, fabric=fabric) for k, v in _attributes(d))
    if mapped:
        what = f"ACL {initiator} of {wwn}/tpg{tag}"
        for m in d.get("mapped_luns") or ():
            out.append(C.CreateMappedLun(
                wwn, tag, initiator, _get(m, "index", f"a mapped LUN of {what}", int),
                _get(m, "tpg_lun", f"a mapped LUN of {what}", int),
                write_protect=bool(m.get("write_protect")), alias=m.get("alias") or None, fabric=fabric,
            ))
    if d.get("tag"):
        out.append(C.SetAclTag(wwn, tag, initiator, d["tag"], fabric=fabric))
    chap = _chap(d, "chap_")
    if chap is not None:
        out.append(C.SetAclAuth(wwn, tag, initiator, chap, fabric=fabric))
    return out


def lun(fabric: str, wwn: str, tag: int, d: Mapping) -> C.Change:
    what = f"a LUN of {wwn}/tpg{tag}"
    return C.CreateLun(wwn, tag, _so_ref(d.get("storage_object"), what), index=_get(d, "index", what, int),
                       alias=d.get("alias") or None, map_to_acls=False, fabric=fabric)


def portal(fabric: str, wwn: str, tag: int, d: Mapping) -> C.Change:
    what = f"a portal of {wwn}/tpg{tag}"
    return C.CreatePortal(wwn, tag, _get(d, "ip_address", what, str), _get(d, "port", what, int),
                          iser=bool(d.get("iser")), offload=bool(d.get("offload")), fabric=fabric)


def tpg(fabric: str, wwn: str, d: Mapping, *, children: bool = True, enable: bool = True) -> list[C.Change]:
    """A TPG; with ``children`` its LUNs, portals and ACLs too; ``enable`` sets its enable flag."""
    tag = _get(d, "tag", f"a TPG of {wwn}", int)
    out: list[C.Change] = [C.CreateTpg(wwn, tag, fabric=fabric)]
    out.extend(C.tpg_attribute(wwn, tag, k, v, fabric=fabric) for k, v in _attributes(d))
    params = d.get("parameters") or {}
    if not isinstance(params, Mapping):
        raise RebuildError(f"TPG {wwn}/tpg{tag}: 'parameters' is not a table")
    out.extend(C.tpg_parameter(wwn, tag, k, v, fabric=fabric) for k, v in sorted(params.items()))
    if children:
        for x in d.get("luns") or ():
            out.append(lun(fabric, wwn, tag, x))
            group = x.get("alua_tg_pt_gp_name")
            if group and group != DEFAULT_ALUA_GROUP:
                out.append(C.SetLunAluaGroup(wwn, tag, x["index"], group, fabric=fabric))
        out.extend(portal(fabric, wwn, tag, x) for x in d.get("portals") or ())
        for x in d.get("node_acls") or ():
            out.extend(acl(fabric, wwn, tag, x))
    if enable and d.get("enable", True) and fabric in C.TPGTS_FABRICS:
        out.append(C.SetTpgEnabled(wwn, tag, True, fabric=fabric))
    chap = _chap(d, "chap_")
    if chap is not None:
        out.append(C.SetTpgAuth(wwn, tag, chap, fabric=fabric))
    return out


def target(d: Mapping, *, children: bool = True) -> list[C.Change]:
    wwn = _get(d, "wwn", "a target", str)
    fabric = _get(d, "fabric", f"target {wwn}", str)
    out: list[C.Change] = [C.CreateTarget(wwn, fabric)]
    if children:
        for x in d.get("tpgs") or ():
            out.extend(tpg(fabric, wwn, x))
    return out


def fabric(d: Mapping) -> list[C.Change]:
    """A ``fabric_modules[]`` entry: discovery authentication."""
    name = _get(d, "name", "a fabric module", str)
    if name != "iscsi":
        return []
    chap = _chap(d, "discovery_") or C.NO_CHAP
    return [C.SetDiscoveryAuth(chap, enforce=bool(d.get("discovery_enable_auth")))]


# ---------------------------------------------------------------------------
# a whole file
# ---------------------------------------------------------------------------


def _group(kind: str, key: tuple, label: str, build, d: Mapping, warnings=()) -> Group:
    try:
        return Group(kind, key, label, tuple(build(d)), None, tuple(warnings))
    except (RebuildError, InvalidValue) as exc:
        return Group(kind, key, label, (), f"cannot rebuild it from the file: {exc}", tuple(warnings))


def used_storage_objects(target_dump: Mapping) -> list[tuple[str, str]]:
    """The ``(plugin, name)`` of every backstore a target's LUNs use, in order."""
    out: list[tuple[str, str]] = []
    for t in target_dump.get("tpgs") or ():
        for x in t.get("luns") or ():
            try:
                key = _so_ref(x.get("storage_object"), "LUN")
            except RebuildError:
                continue
            if key not in out:
                out.append(key)
    return out


def plan(data: Mapping, *, target: str | None = None) -> list[Group]:
    """Every top-level object of a saveconfig dictionary as a :class:`Group`.

    Backstores first, then discovery authentication, then targets — the
    order ``RTSRoot.restore`` uses. With ``target``, only that target and the
    backstores its LUNs use.
    """
    if not isinstance(data, Mapping):
        raise RebuildError("the file is not a saveconfig.json object")
    targets = list(data.get("targets") or ())
    sos = list(data.get("storage_objects") or ())
    fabrics = list(data.get("fabric_modules") or ())
    if target is not None:
        targets = [t for t in targets if isinstance(t, Mapping) and t.get("wwn") == target]
        wanted = {key for t in targets for key in used_storage_objects(t)}
        sos = [s for s in sos if isinstance(s, Mapping) and storage_object_key(s) in wanted]
        fabrics = []
    groups = []
    for d in sos:
        key = storage_object_key(d) if isinstance(d, Mapping) else ("?", "?")
        groups.append(_group("storage_object", key, f"backstore {key[0]}/{key[1]}", storage_object, d))
    for d in fabrics:
        name = d.get("name", "?") if isinstance(d, Mapping) else "?"
        groups.append(_group("fabric", (name,), f"{name} discovery authentication", fabric, d))
    for d in targets:
        wwn = d.get("wwn", "?") if isinstance(d, Mapping) else "?"
        fab = d.get("fabric", "iscsi") if isinstance(d, Mapping) else "iscsi"
        groups.append(_group("target", (fab, wwn), C._target_label(fab, wwn), target_changes, d))
    return groups


def target_changes(d: Mapping) -> list[C.Change]:
    return target(d)
