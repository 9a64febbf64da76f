"""From a desired configuration to the fewest changes that make the running one match it.

``sanctl apply``, ``sanctl restore`` and the TUI's restore and diff views
share this one engine: the desired configuration (a saveconfig.json
dictionary, or the running one with a targetcli script applied) is first
turned, object by object, into :mod:`~sanctl.lio.changes` values — the
same name and value rules as the forms, so a file is never trusted more
than a form — and every problem is collected with the object's targetcli
path. A file with any problem plans nothing (:attr:`Plan.problems`).

Otherwise it is compared with the running configuration (a fresh read,
passed in) and only what differs is planned:

* deletes first, dependents before what they depend on (mapped LUNs, ACLs,
  LUNs, portals, TPGs, targets, ALUA groups, backstores) — only of objects
  the file does not have when ``prune`` is set, or of objects whose identity
  differs (a LUN on another backstore, a backstore on another device),
  which the kernel cannot change in place and which are then recreated;
* then creates, in the order the kernel needs them (backstores before LUNs,
  LUNs before mapped LUNs), each new object with its settings;
* settings that differ on objects that stay are changed in place.

An identical file plans nothing; an object that does not differ gets no
step, so initiators logged in to untouched targets keep their sessions.
With ``target`` only that target is planned (with the backstores its LUNs
use that are missing); other targets, backstores and discovery
authentication are left as they are.

:func:`with_sessions` adds, per step, the live sessions it drops or
disturbs (from :func:`sanctl.lio.impact.impact`).

No Textual and no I/O here: the caller reads configfs and the live state.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from sanctl.model import SanConfig
from sanctl.names import InvalidValue
from sanctl.lio import changes as C
from sanctl.lio.rebuild import DEFAULT_ALUA_GROUP, RebuildError

CREATE, DELETE, SET = "create", "delete", "set"


# ---------------------------------------------------------------------------
# What comes out
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    """Why one entry of the desired configuration cannot be applied."""

    path: str  #: the object's targetcli path (or where in the file)
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass(frozen=True, slots=True)
class PlanStep:
    """One change of the plan, with the object it is about and the sessions it drops or disturbs."""

    op: str  #: "create", "delete" or "set"
    path: str  #: the object's targetcli path
    change: C.Change
    sessions: tuple[str, ...] = ()

    def targetcli(self) -> str:
        """The equivalent targetcli command (secrets shown as ``<secret>``)."""
        return self.change.targetcli()

    def line(self) -> str:
        mark = {CREATE: "+", DELETE: "-", SET: "~"}[self.op]
        text = f"{mark} {self.change.describe()}"
        for s in self.sessions:
            text += f"\n    ! {s}"
        return text

    def as_json(self) -> dict[str, Any]:
        return {"op": self.op, "object": self.path, "targetcli": self.targetcli(),
                "description": self.change.describe(), "sessions": list(self.sessions)}


@dataclass(frozen=True, slots=True)
class Plan:
    """The steps that make the running configuration the desired one, or why there are none."""

    steps: tuple[PlanStep, ...] = ()
    problems: tuple[Problem, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def empty(self) -> bool:
        return not self.steps

    @property
    def changes(self) -> tuple[C.Change, ...]:
        return tuple(s.change for s in self.steps)

    @property
    def sessions(self) -> tuple[str, ...]:
        """Every session some step drops or disturbs (each once)."""
        out: list[str] = []
        for step in self.steps:
            out.extend(s for s in step.sessions if s not in out)
        return tuple(out)

    def counts(self) -> dict[str, int]:
        return {op: sum(1 for s in self.steps if s.op == op) for op in (CREATE, DELETE, SET)}

    def summary(self) -> str:
        if self.problems:
            n = len(self.problems)
            return f"Refused: {n} problem{'s' if n != 1 else ''} in the file; nothing was changed."
        if not self.steps:
            return "Nothing to do: the running configuration already is like that."
        c = self.counts()
        parts = [f"{c[op]} {word}" for op, word in ((CREATE, "to create"), (SET, "to change"), (DELETE, "to delete"))
                 if c[op]]
        text = f"{len(self.steps)} step{'s' if len(self.steps) != 1 else ''}: " + ", ".join(parts)
        n = len(self.sessions)
        if n:
            text += f"; {n} live session{'s' if n != 1 else ''} dropped or disturbed"
        return text + "."

    def lines(self) -> list[str]:
        out = [self.summary()]
        out.extend(f"  {p}" for p in self.problems)
        for step in self.steps:
            out.extend(f"  {line}" for line in step.line().splitlines())
        out.extend(f"  note: {n}" for n in self.notes)
        return out

    def as_json(self) -> dict[str, Any]:
        return {"plan": [s.as_json() for s in self.steps],
                "problems": [{"object": p.path, "reason": p.reason} for p in self.problems],
                "sessions": list(self.sessions), "notes": list(self.notes), "summary": self.summary()}

    def only(self, keep) -> Plan:
        """The steps ``keep(step)`` selects (the diff view applies one target's part)."""
        return replace(self, steps=tuple(s for s in self.steps if keep(s)))


class NotSaveconfig(ValueError):
    """The data is not shaped like a saveconfig.json file; ``str()`` says why."""


# ---------------------------------------------------------------------------
# targetcli paths
# ---------------------------------------------------------------------------


def so_path(plugin: Any, name: Any) -> str:
    return f"/backstores/{plugin}/{name}"


def target_path(fabric: Any, wwn: Any) -> str:
    return f"/{fabric}/{wwn}"


def tpg_path(fabric: Any, wwn: Any, tag: Any) -> str:
    return f"/{fabric}/{wwn}/tpg{tag}"


def path_of(change: C.Change) -> str:
    """The targetcli path of the object a change is about."""
    if isinstance(change, (C.CreateAluaGroup, C.DeleteAluaGroup, C.SetAluaGroupParameter)):
        return f"{so_path(change.plugin, change.name)}/alua/{change.group}"
    key = getattr(change, "key", None)
    if isinstance(key, tuple) and hasattr(change, "plugin"):
        return so_path(*key)
    if isinstance(change, C.SetDiscoveryAuth):
        return "/iscsi"
    wwn = getattr(change, "target", None)
    fabric = getattr(change, "fabric", "iscsi")
    tag = getattr(change, "tpg", None)
    if wwn is None:
        return "/"
    if tag is None or isinstance(change, (C.CreateTarget, C.DeleteTarget)):
        return target_path(fabric, wwn)
    base = tpg_path(fabric, wwn, tag)
    if isinstance(change, (C.CreateLun, C.DeleteLun, C.SetLunAluaGroup)):
        return f"{base}/luns/lun{change.index}"
    if isinstance(change, (C.CreatePortal, C.DeletePortal, C.SetPortalFlag)):
        return f"{base}/portals/{change.address}:{change.port}"
    initiator = getattr(change, "initiator", None)
    if initiator is not None:
        acl = f"{base}/acls/{initiator}"
        if isinstance(change, (C.CreateMappedLun, C.DeleteMappedLun, C.SetMappedLunWriteProtect)):
            return f"{acl}/mapped_lun{change.index}"
        return acl
    return base


# ---------------------------------------------------------------------------
# The parsed configuration (desired or running)
# ---------------------------------------------------------------------------


@dataclass
class _Setting:
    value: str
    change: C.Change | None = None


@dataclass
class _Group:
    name: str
    tg_pt_gp_id: Any
    params: dict[str, _Setting] = field(default_factory=dict)
    create: C.Change | None = None


@dataclass
class _So:
    key: tuple[str, str]
    identity: dict[str, Any]
    attrs: dict[str, _Setting] = field(default_factory=dict)
    groups: dict[str, _Group] = field(default_factory=dict)
    create: C.Change | None = None


@dataclass
class _Lun:
    index: int
    so: tuple[str, str] | None
    group: str | None
    create: C.Change | None = None
    alias: str | None = None


@dataclass
class _Mapped:
    index: int
    tpg_lun: Any
    write_protect: bool
    create: C.Change | None = None


@dataclass
class _Acl:
    initiator: str
    attrs: dict[str, _Setting] = field(default_factory=dict)
    mapped: dict[int, _Mapped] = field(default_factory=dict)
    tag: str | None = None
    chap: C.Chap | None = None
    raw_chap: tuple = ()


@dataclass
class _Portal:
    key: tuple[str, int]
    iser: bool
    offload: bool


@dataclass
class _Tpg:
    tag: int
    attrs: dict[str, _Setting] = field(default_factory=dict)
    params: dict[str, _Setting] = field(default_factory=dict)
    luns: dict[int, _Lun] = field(default_factory=dict)
    portals: dict[tuple[str, int], _Portal] = field(default_factory=dict)
    acls: dict[str, _Acl] = field(default_factory=dict)
    enable: bool = True
    chap: C.Chap | None = None
    raw_chap: tuple = ()


@dataclass
class _Target:
    fabric: str
    wwn: str
    tpgs: dict[int, _Tpg] = field(default_factory=dict)


@dataclass
class _Config:
    sos: dict[tuple[str, str], _So] = field(default_factory=dict)
    targets: dict[tuple[str, str], _Target] = field(default_factory=dict)
    discovery: C.SetDiscoveryAuth | None = None  #: None: no iscsi fabric entry (not enforced)
    discovery_raw: tuple = ()


_ERRORS = (InvalidValue, RebuildError, TypeError, ValueError, KeyError, AttributeError, IndexError)


class _Parser:
    """Turns a saveconfig dictionary into a :class:`_Config`, collecting problems (``strict``)
    or skipping what cannot be read (the running configuration, read from configfs)."""

    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.problems: list[Problem] = []

    def problem(self, path: str, exc: BaseException | str) -> None:
        if self.strict:
            reason = str(exc) if not isinstance(exc, KeyError) else f"missing {exc}"
            self.problems.append(Problem(path, reason or type(exc).__name__))

    def make(self, path: str, build):
        try:
            return build()
        except _ERRORS as exc:
            self.problem(path, exc)
            return None

    @staticmethod
    def _list(d: Mapping, key: str, path: str) -> list:
        value = d.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise RebuildError(f"'{key}' is not a list")
        return value

    def items(self, d: Mapping, key: str, path: str) -> list:
        try:
            return [x for x in self._list(d, key, path)]
        except RebuildError as exc:
            self.problem(path, exc)
            return []

    def table(self, d: Mapping, key: str, path: str) -> dict:
        value = d.get(key)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.problem(path, f"'{key}' is not a table")
            return {}
        return dict(value)

    def setting(self, path: str, name: Any, value: Any, build) -> tuple[str, _Setting] | None:
        if not isinstance(name, str):
            self.problem(path, f"a setting name is text, not {type(name).__name__}")
            return None
        if not self.strict:
            return name, _Setting(_raw(value))
        change = self.make(f"{path} {name}", build)
        if change is None:
            return None
        return name, _Setting(str(change.value), change)

    # -- the whole file ------------------------------------------------------

    def config(self, data: Any) -> _Config:
        out = _Config()
        if not isinstance(data, Mapping):
            raise NotSaveconfig("the top level is not an object")
        for key in ("storage_objects", "targets", "fabric_modules"):
            if data.get(key) is not None and not isinstance(data.get(key), list):
                raise NotSaveconfig(f"'{key}' is not a list")
        for d in self.items(data, "storage_objects", "/backstores"):
            so = self.storage_object(d)
            if so is None:
                continue
            if so.key in out.sos:
                self.problem(so_path(*so.key), "listed twice")
                continue
            out.sos[so.key] = so
        for d in self.items(data, "fabric_modules", "/"):
            self.fabric(d, out)
        for d in self.items(data, "targets", "/"):
            t = self.target(d)
            if t is None:
                continue
            if (t.fabric, t.wwn) in out.targets:
                self.problem(target_path(t.fabric, t.wwn), "listed twice")
                continue
            out.targets[(t.fabric, t.wwn)] = t
        return out

    # -- backstores ------------------------------------------------------------

    def storage_object(self, d: Any) -> _So | None:
        if not isinstance(d, Mapping):
            self.problem("/backstores", "an entry is not an object")
            return None
        plugin, name = d.get("plugin"), d.get("name")
        path = so_path(plugin, name)
        if not isinstance(plugin, str) or not isinstance(name, str):
            self.problem(path, "a backstore needs a 'plugin' and a 'name' (text)")
            return None
        from sanctl.lio import rebuild

        create = self.make(path, lambda: rebuild.storage_object(d, attributes=False, alua=False)[0])
        if create is None and self.strict:
            return None
        key = create.key if create is not None else (plugin, name)
        so = _So(key, _identity(create) if create is not None else {}, create=create)
        path = so_path(*key)
        for attr, value in sorted(self.table(d, "attributes", path).items(), key=lambda kv: str(kv[0])):
            got = self.setting(path + " attribute", attr, value,
                               lambda a=attr, v=value: C.SetStorageObjectAttribute(key[0], key[1], a, v))
            if got:
                so.attrs[got[0]] = got[1]
        for g in self.items(d, "alua_tpgs", path):
            group = self.alua_group(key, g, path)
            if group is None or group.name == DEFAULT_ALUA_GROUP:
                continue  # the kernel's own group is left as it is, as rtslib-fb's restore does
            if group.name in so.groups:
                self.problem(f"{path}/alua/{group.name}", "listed twice")
                continue
            so.groups[group.name] = group
        return so

    def alua_group(self, key: tuple[str, str], g: Any, path: str) -> _Group | None:
        if not isinstance(g, Mapping) or not isinstance(g.get("name"), str):
            self.problem(f"{path}/alua", "an ALUA group needs a 'name'")
            return None
        name = g["name"]
        gpath = f"{path}/alua/{name}"
        group = _Group(name, g.get("tg_pt_gp_id"))
        if name != DEFAULT_ALUA_GROUP and self.strict:
            group.create = self.make(gpath, lambda: C.CreateAluaGroup(key[0], key[1], name, g.get("tg_pt_gp_id")))
            if group.create is None:
                return None
        for param in C.ALUA_PARAMS:
            value = g.get(param)
            if value is None:
                continue
            if self.strict:
                change = self.make(f"{gpath} {param}",
                                   lambda p=param, v=value: C.SetAluaGroupParameter(key[0], key[1], name, p, v))
                if change is not None:
                    group.params[param] = _Setting(str(change.value), change)
            else:
                try:
                    group.params[param] = _Setting(str(C.alua_number(param, value)))
                except _ERRORS:
                    group.params[param] = _Setting(_raw(value))
        return group

    # -- discovery authentication ------------------------------------------------

    def fabric(self, d: Any, out: _Config) -> None:
        if not isinstance(d, Mapping) or not isinstance(d.get("name"), str):
            self.problem("/", "a fabric module entry needs a 'name'")
            return
        if d["name"] != "iscsi":
            return
        from sanctl.lio import rebuild

        raw = tuple(d.get("discovery_" + k) or "" for k in ("userid", "password", "mutual_userid", "mutual_password"))
        out.discovery_raw = raw + (bool(d.get("discovery_enable_auth")),)
        change = self.make("/iscsi discovery_auth", lambda: rebuild.fabric(d)[0])
        if change is not None:
            out.discovery = change

    # -- targets -----------------------------------------------------------------

    def target(self, d: Any) -> _Target | None:
        if not isinstance(d, Mapping):
            self.problem("/", "a target entry is not an object")
            return None
        fabric, wwn = d.get("fabric"), d.get("wwn")
        path = target_path(fabric, wwn)
        created = self.make(path, lambda: C.CreateTarget(wwn, fabric) if isinstance(wwn, str) and wwn
                            else _fail("a target needs a 'wwn'"))
        if created is None:
            if self.strict or not isinstance(wwn, str) or not isinstance(fabric, str):
                return None
            t = _Target(fabric, wwn)
        else:
            t = _Target(created.fabric, created.target)
        path = target_path(t.fabric, t.wwn)
        for x in self.items(d, "tpgs", path):
            tpg = self.tpg(t, x, path)
            if tpg is None:
                continue
            if tpg.tag in t.tpgs:
                self.problem(tpg_path(t.fabric, t.wwn, tpg.tag), "listed twice")
                continue
            t.tpgs[tpg.tag] = tpg
        return t

    def tpg(self, t: _Target, d: Any, path: str) -> _Tpg | None:
        if not isinstance(d, Mapping):
            self.problem(path, "a TPG entry is not an object")
            return None
        tag = d.get("tag")
        ok = self.make(f"{path}/tpg{tag}", lambda: C.CreateTpg(t.wwn, tag, fabric=t.fabric) if tag is not None
                       else _fail("a TPG needs a 'tag'"))
        if ok is None and (self.strict or not isinstance(tag, int)):
            return None
        tpg = _Tpg(tag)
        path = tpg_path(t.fabric, t.wwn, tag)
        tpg.enable = bool(d.get("enable", True))
        for name, value in sorted(self.table(d, "attributes", path).items(), key=lambda kv: str(kv[0])):
            got = self.setting(path + " attribute", name, value,
                               lambda a=name, v=value: C.SetTpgAttribute(t.wwn, tag, a, v, fabric=t.fabric))
            if got:
                tpg.attrs[got[0]] = got[1]
        for name, value in sorted(self.table(d, "parameters", path).items(), key=lambda kv: str(kv[0])):
            got = self.setting(path + " parameter", name, value,
                               lambda a=name, v=value: C.SetTpgParameter(t.wwn, tag, a, v, fabric=t.fabric))
            if got:
                tpg.params[got[0]] = got[1]
        for x in self.items(d, "luns", path + "/luns"):
            lun = self.lun(t, tag, x, path)
            if lun is None:
                continue
            if lun.index in tpg.luns:
                self.problem(f"{path}/luns/lun{lun.index}", "listed twice")
                continue
            tpg.luns[lun.index] = lun
        for x in self.items(d, "portals", path + "/portals"):
            portal = self.portal(t, tag, x, path)
            if portal is None:
                continue
            if portal.key in tpg.portals:
                self.problem(f"{path}/portals/{portal.key[0]}:{portal.key[1]}", "listed twice")
                continue
            tpg.portals[portal.key] = portal
        for x in self.items(d, "node_acls", path + "/acls"):
            acl = self.acl(t, tag, x, path, tpg)
            if acl is None:
                continue
            if acl.initiator in tpg.acls:
                self.problem(f"{path}/acls/{acl.initiator}", "listed twice")
                continue
            tpg.acls[acl.initiator] = acl
        tpg.raw_chap = _raw_chap(d, "chap_")
        if any(tpg.raw_chap):
            tpg.chap = self.make(path + " auth", lambda: C.SetTpgAuth(t.wwn, tag, _chap(d), fabric=t.fabric).chap)
        else:
            tpg.chap = C.NO_CHAP
        return tpg

    def lun(self, t: _Target, tag: int, d: Any, path: str) -> _Lun | None:
        from sanctl.lio import rebuild

        index = d.get("index") if isinstance(d, Mapping) else None
        lpath = f"{path}/luns/lun{index}"
        create = self.make(lpath, lambda: rebuild.lun(t.fabric, t.wwn, tag, d))
        group = d.get("alua_tg_pt_gp_name") if isinstance(d, Mapping) else None
        if create is None:
            if self.strict or not isinstance(index, int):
                return None
            so = d.get("storage_object")
            key = tuple(so.split("/")[2:4]) if isinstance(so, str) and so.count("/") == 3 else None
            return _Lun(index, key, group if isinstance(group, str) else None)
        if group is not None and self.strict:
            if self.make(lpath + " alua_tg_pt_gp_name", lambda: C.check_alua_group_name(group)) is None:
                return None
        return _Lun(create.index, create.storage_object, group, create, d.get("alias") or None)

    def portal(self, t: _Target, tag: int, d: Any, path: str) -> _Portal | None:
        from sanctl.lio import rebuild

        where = f"{path}/portals/{d.get('ip_address')}:{d.get('port')}" if isinstance(d, Mapping) else path
        create = self.make(where, lambda: rebuild.portal(t.fabric, t.wwn, tag, d))
        if create is None:
            if self.strict or not isinstance(d, Mapping):
                return None
            return _Portal((str(d.get("ip_address")), d.get("port")), bool(d.get("iser")), bool(d.get("offload")))
        return _Portal((create.address, create.port), create.iser, create.offload)

    def acl(self, t: _Target, tag: int, d: Any, path: str, tpg: _Tpg) -> _Acl | None:
        if not isinstance(d, Mapping):
            self.problem(path + "/acls", "an ACL entry is not an object")
            return None
        node = d.get("node_wwn")
        apath = f"{path}/acls/{node}"
        created = self.make(apath, lambda: C.CreateAcl(t.wwn, tag, node, map_all_luns=False, fabric=t.fabric)
                            if isinstance(node, str) else _fail("an ACL needs a 'node_wwn'"))
        if created is None:
            if self.strict or not isinstance(node, str):
                return None
            acl = _Acl(node)
        else:
            acl = _Acl(created.initiator)
        apath = f"{path}/acls/{acl.initiator}"
        for name, value in sorted(self.table(d, "attributes", apath).items(), key=lambda kv: str(kv[0])):
            got = self.setting(apath + " attribute", name, value,
                               lambda a=name, v=value: C.SetAclAttribute(t.wwn, tag, acl.initiator, a, v,
                                                                         fabric=t.fabric))
            if got:
                acl.attrs[got[0]] = got[1]
        for m in self.items(d, "mapped_luns", apath):
            mapped = self.mapped(t, tag, acl, m, apath)
            if mapped is None:
                continue
            if mapped.index in acl.mapped:
                self.problem(f"{apath}/mapped_lun{mapped.index}", "listed twice")
                continue
            acl.mapped[mapped.index] = mapped
        tagname = d.get("tag") or None
        if tagname is not None and self.strict:
            made = self.make(apath + " tag", lambda: C.SetAclTag(t.wwn, tag, acl.initiator, tagname, fabric=t.fabric))
            tagname = made.acl_tag if made is not None else None
        acl.tag = tagname
        acl.raw_chap = _raw_chap(d, "chap_")
        if any(acl.raw_chap):
            acl.chap = self.make(apath + " auth", lambda: C.SetAclAuth(t.wwn, tag, acl.initiator, _chap(d),
                                                                        fabric=t.fabric).chap)
        else:
            acl.chap = C.NO_CHAP
        return acl

    def mapped(self, t: _Target, tag: int, acl: _Acl, m: Any, apath: str) -> _Mapped | None:
        if not isinstance(m, Mapping):
            self.problem(apath, "a mapped LUN entry is not an object")
            return None
        index = m.get("index")
        mpath = f"{apath}/mapped_lun{index}"
        create = self.make(mpath, lambda: C.CreateMappedLun(
            t.wwn, tag, acl.initiator, index, m.get("tpg_lun"), write_protect=bool(m.get("write_protect")),
            alias=m.get("alias") or None, fabric=t.fabric))
        if create is None:
            if self.strict or not isinstance(index, int):
                return None
            return _Mapped(index, m.get("tpg_lun"), bool(m.get("write_protect")))
        return _Mapped(create.index, create.tpg_lun, create.write_protect, create)


def _fail(reason: str):
    raise RebuildError(reason)


def _raw(value: Any) -> str:
    if isinstance(value, bool):
        return str(int(value))
    return str(value).strip() if value is not None else ""


def _raw_chap(d: Mapping, prefix: str) -> tuple:
    return tuple(d.get(prefix + k) or "" for k in ("userid", "password", "mutual_userid", "mutual_password"))


def _chap(d: Mapping) -> C.Chap:
    from sanctl.lio import rebuild

    return rebuild._chap(d, "chap_") or C.NO_CHAP


def _identity(create: C.Change) -> dict[str, Any]:
    """What a backstore is (device, size, serial…): a difference there means a new backstore."""
    return {f.name: getattr(create, f.name) for f in fields(create) if f.name not in ("name", "sparse")}


def parse(data: Any, *, strict: bool = True) -> tuple[_Config, list[Problem]]:
    """A saveconfig dictionary as the planner's model and every problem found in it.

    Raises :class:`NotSaveconfig` when the shape is not a saveconfig file's at all.
    """
    parser = _Parser(strict)
    return parser.config(data), parser.problems


def validate(data: Any) -> list[Problem]:
    """Every problem of a desired configuration (empty: it can be planned)."""
    return parse(data)[1]


# ---------------------------------------------------------------------------
# Planning
# ---------------------------------------------------------------------------


class _Planner:
    def __init__(self, want: _Config, have: _Config, *, prune: bool, target: tuple[str, str] | None,
                 known: _Known) -> None:
        self.want = want
        self.have = have
        self.prune = prune
        self.target = target
        self.known = known
        self.problems: list[Problem] = []
        self.notes: list[str] = []
        self.deletes: list[C.Change] = []
        self.creates: list[C.Change] = []
        # objects of the running configuration that are gone once the deletes are done
        self.gone_sos: set[tuple[str, str]] = set()
        self.gone_groups: set[tuple[tuple[str, str], str]] = set()
        self.gone_targets: set[tuple[str, str]] = set()
        self.gone_tpgs: set[tuple] = set()
        self.gone_luns: set[tuple] = set()
        self.gone_acls: set[tuple] = set()
        self.gone_mapped: set[tuple] = set()
        self.gone_portals: set[tuple] = set()

    # -- scope ---------------------------------------------------------------

    def targets_in_scope(self) -> list[tuple[str, str]]:
        if self.target is None:
            return list(self.want.targets)
        return [k for k in self.want.targets if k == self.target]

    def so_in_scope(self, key: tuple[str, str]) -> bool:
        """With ``target``, only the backstores its LUNs use (and only to create them)."""
        if self.target is None:
            return True
        t = self.want.targets.get(self.target)
        return t is not None and any(lun.so == key for tpg in t.tpgs.values() for lun in tpg.luns.values())

    # -- checks of references and of names this kernel knows ------------------

    def check(self) -> None:
        will_have = set(self.want.sos) if self.prune and self.target is None else set(self.want.sos) | set(self.have.sos)
        for key in self.targets_in_scope():
            t = self.want.targets[key]
            for tag, tpg in t.tpgs.items():
                base = tpg_path(t.fabric, t.wwn, tag)
                for index, lun in tpg.luns.items():
                    if lun.so not in will_have:
                        why = ("the file does not have it and it is not in the running configuration"
                               if lun.so not in self.have.sos else "the file does not have it, so it would be deleted")
                        self.problems.append(Problem(f"{base}/luns/lun{index}",
                                                     f"uses backstore {'/'.join(lun.so)}: {why}"))
                    elif lun.group not in (None, "", DEFAULT_ALUA_GROUP):
                        so = self.want.sos.get(lun.so) or self.have.sos.get(lun.so)
                        if so is not None and lun.group not in so.groups:
                            self.problems.append(Problem(f"{base}/luns/lun{index}",
                                                         f"ALUA group {lun.group} is not a group of "
                                                         f"backstore {'/'.join(lun.so)}"))
                for init, acl in tpg.acls.items():
                    for index, m in acl.mapped.items():
                        if m.tpg_lun not in tpg.luns:
                            self.problems.append(Problem(f"{base}/acls/{init}/mapped_lun{index}",
                                                         f"maps LUN {m.tpg_lun}, which this TPG does not have"))
                self._known_names(t.fabric, base, tpg)
        for key, so in self.want.sos.items():
            if not self.so_in_scope(key):
                continue
            names = self.known.so_attrs.get(key[0])
            for name in so.attrs:
                if names and name not in names:
                    self.problems.append(Problem(so_path(*key), f"attribute {name}: this kernel's {key[0]} "
                                                                f"backstores have no such attribute"))

    def _known_names(self, fabric: str, base: str, tpg: _Tpg) -> None:
        for kind, have, names in (("attribute", tpg.attrs, self.known.tpg_attrs.get(fabric)),
                                  ("parameter", tpg.params, self.known.tpg_params.get(fabric))):
            for name in have:
                if names and name not in names:
                    self.problems.append(Problem(base, f"{kind} {name}: this kernel's {fabric} TPGs have no such "
                                                       f"{kind}"))
        names = self.known.acl_attrs.get(fabric)
        for init, acl in tpg.acls.items():
            for name in acl.attrs:
                if names and name not in names:
                    self.problems.append(Problem(f"{base}/acls/{init}", f"attribute {name}: this kernel's "
                                                                        f"{fabric} ACLs have no such attribute"))

    # -- phase 1: what goes --------------------------------------------------

    def plan_deletes(self) -> None:
        mapped: list[C.Change] = []
        acls: list[C.Change] = []
        luns: list[C.Change] = []
        portals: list[C.Change] = []
        tpgs: list[C.Change] = []
        targets: list[C.Change] = []
        groups: list[C.Change] = []
        sos: list[C.Change] = []
        whole = self.prune and self.target is None
        # backstores: gone from the file, or changed in what they are
        for key, so in self.have.sos.items():
            want = self.want.sos.get(key)
            if want is None:
                if whole:
                    self._delete(sos, lambda k=key: C.DeleteStorageObject(*k), so_path(*key))
                    self._so_gone(key)
                continue
            if not self.so_in_scope(key) or self.target is not None:
                continue  # one target: backstores present are kept as they are
            differs = _identity_differs(want.identity, so.identity)
            if differs:
                self.notes.append(f"backstore {'/'.join(key)} is recreated: its {', '.join(differs)} differ "
                                  "(the kernel cannot change them in place)")
                self._delete(sos, lambda k=key: C.DeleteStorageObject(*k), so_path(*key))
                self._so_gone(key)
                continue
            for name, group in so.groups.items():
                if name == DEFAULT_ALUA_GROUP:
                    continue
                wg = want.groups.get(name)
                if wg is None and self.prune or wg is not None and wg.tg_pt_gp_id != group.tg_pt_gp_id:
                    self._delete(groups, lambda k=key, n=name: C.DeleteAluaGroup(k[0], k[1], n),
                                 f"{so_path(*key)}/alua/{name}")
                    self.gone_groups.add((key, name))
        for key, t in self.have.targets.items():
            if self.target is not None and key != self.target:
                continue
            want = self.want.targets.get(key)
            if want is None:
                if self.prune:
                    self._delete(targets, lambda k=key: C.DeleteTarget(k[1], k[0]), target_path(*key))
                    self.gone_targets.add(key)
                continue
            for tag, tpg in t.tpgs.items():
                wt = want.tpgs.get(tag)
                tk = key + (tag,)
                if wt is None:
                    if self.prune:
                        self._delete(tpgs, lambda k=key, g=tag: C.DeleteTpg(k[1], g, fabric=k[0]), tpg_path(*tk))
                        self.gone_tpgs.add(tk)
                    continue
                for index, lun in tpg.luns.items():
                    wl = wt.luns.get(index)
                    replaced = wl is not None and (wl.so != lun.so or lun.so in self.gone_sos)
                    if wl is None and self.prune or replaced:
                        if lun.so not in self.gone_sos:  # else the backstore's delete takes it
                            self._delete(luns, lambda k=key, g=tag, i=index: C.DeleteLun(k[1], g, i, fabric=k[0]),
                                         f"{tpg_path(*tk)}/luns/lun{index}")
                        self.gone_luns.add(tk + (index,))
                for init, acl in tpg.acls.items():
                    wa = wt.acls.get(init)
                    if wa is None:
                        if self.prune:
                            self._delete(acls, lambda k=key, g=tag, n=init: C.DeleteAcl(k[1], g, n, fabric=k[0]),
                                         f"{tpg_path(*tk)}/acls/{init}")
                            self.gone_acls.add(tk + (init,))
                        continue
                    for index, m in acl.mapped.items():
                        wm = wa.mapped.get(index)
                        under = tk + (m.tpg_lun,) in self.gone_luns
                        if under:
                            self.gone_mapped.add(tk + (init, index))  # the LUN's delete takes it
                            continue
                        if wm is None and self.prune or wm is not None and wm.tpg_lun != m.tpg_lun:
                            self._delete(mapped, lambda k=key, g=tag, n=init, i=index:
                                         C.DeleteMappedLun(k[1], g, n, i, fabric=k[0]),
                                         f"{tpg_path(*tk)}/acls/{init}/mapped_lun{index}")
                            self.gone_mapped.add(tk + (init, index))
                for pkey in tpg.portals:
                    if pkey not in wt.portals and self.prune:
                        self._delete(portals, lambda k=key, g=tag, p=pkey: C.DeletePortal(k[1], g, p[0], p[1],
                                                                                          fabric=k[0]),
                                     f"{tpg_path(*tk)}/portals/{pkey[0]}:{pkey[1]}")
                        self.gone_portals.add(tk + pkey)
        self.deletes = mapped + acls + luns + portals + tpgs + targets + groups + sos

    def _delete(self, into: list, build, path: str) -> None:
        try:
            into.append(build())
        except _ERRORS as exc:
            self.problems.append(Problem(path, f"cannot be deleted: {exc}"))

    def _so_gone(self, key: tuple[str, str]) -> None:
        self.gone_sos.add(key)
        for tkey, t in self.have.targets.items():
            for tag, tpg in t.tpgs.items():
                for index, lun in tpg.luns.items():
                    if lun.so == key:
                        self.gone_luns.add(tkey + (tag, index))

    # -- phase 2: what comes and what changes ----------------------------------

    def plan_creates(self) -> None:
        out = self.creates
        for key, so in self.want.sos.items():
            if not self.so_in_scope(key):
                continue
            have = None if key in self.gone_sos else self.have.sos.get(key)
            if have is None:
                out.append(so.create)
                out.extend(s.change for s in so.attrs.values())
                for name, group in so.groups.items():
                    if name != DEFAULT_ALUA_GROUP:
                        out.append(group.create)
                    out.extend(_changed_settings(group.params, {}))
                continue
            if self.target is not None:
                continue  # present backstores are kept as they are for one target
            out.extend(_changed_settings(so.attrs, have.attrs))
            for name, group in so.groups.items():
                hg = have.groups.get(name)
                if hg is None or (key, name) in self.gone_groups:
                    if name != DEFAULT_ALUA_GROUP:
                        out.append(group.create)
                    out.extend(_changed_settings(group.params, {}))
                else:
                    out.extend(_changed_settings(group.params, hg.params))
        if self.target is None and (self.want.discovery is not None or self.prune):
            want = self.want.discovery or C.SetDiscoveryAuth(C.NO_CHAP, False)
            have_raw = self.have.discovery_raw or ("", "", "", "", False)
            want_raw = (want.chap.userid, want.chap.password, want.chap.mutual_userid, want.chap.mutual_password,
                        want.enforce)
            if self.want.discovery is None and not have_raw[4]:
                pass  # not enforced either way: credentials left as they are
            elif want_raw != tuple(have_raw):
                out.append(want)
        for key in self.targets_in_scope():
            self.target_changes(self.want.targets[key])

    def target_changes(self, t: _Target) -> None:
        from sanctl.lio import rebuild

        out = self.creates
        key = (t.fabric, t.wwn)
        have = None if key in self.gone_targets else self.have.targets.get(key)
        if have is None:
            out.append(C.CreateTarget(t.wwn, t.fabric))
        for tag, tpg in t.tpgs.items():
            tk = key + (tag,)
            htpg = None if have is None or tk in self.gone_tpgs else have.tpgs.get(tag)
            if htpg is None:
                out.append(C.CreateTpg(t.wwn, tag, fabric=t.fabric))
                htpg = _Tpg(tag, enable=False, chap=C.NO_CHAP)
                fresh = True
            else:
                fresh = False
            out.extend(_changed_settings(tpg.attrs, htpg.attrs))
            out.extend(_changed_settings(tpg.params, htpg.params))
            for index, lun in tpg.luns.items():
                hl = None if tk + (index,) in self.gone_luns else htpg.luns.get(index)
                if hl is None:
                    out.append(lun.create)
                    if lun.group not in (None, "", DEFAULT_ALUA_GROUP):
                        out.append(C.SetLunAluaGroup(t.wwn, tag, index, lun.group, fabric=t.fabric))
                    continue
                hgroup = hl.group
                if hl.so is not None and (hl.so, hgroup) in self.gone_groups:
                    hgroup = DEFAULT_ALUA_GROUP
                if lun.group not in (None, "") and hgroup is not None and lun.group != hgroup:
                    out.append(C.SetLunAluaGroup(t.wwn, tag, index, lun.group, fabric=t.fabric))
            for pkey, portal in tpg.portals.items():
                hp = None if tk + pkey in self.gone_portals else htpg.portals.get(pkey)
                if hp is None:
                    out.append(rebuild.portal(t.fabric, t.wwn, tag, {"ip_address": pkey[0], "port": pkey[1],
                                                                     "iser": portal.iser, "offload": portal.offload}))
                    continue
                for flag, on, now in (("iser", portal.iser, hp.iser), ("offload", portal.offload, hp.offload)):
                    if on != now:
                        out.append(C.SetPortalFlag(t.wwn, tag, pkey[0], pkey[1], flag, on, fabric=t.fabric))
            for init, acl in tpg.acls.items():
                ha = None if tk + (init,) in self.gone_acls else htpg.acls.get(init)
                if ha is None:
                    out.append(C.CreateAcl(t.wwn, tag, init, map_all_luns=False, fabric=t.fabric))
                    ha = _Acl(init, chap=C.NO_CHAP)
                out.extend(_changed_settings(acl.attrs, ha.attrs))
                for index, m in acl.mapped.items():
                    hm = None if tk + (init, index) in self.gone_mapped else ha.mapped.get(index)
                    if hm is None:
                        out.append(m.create)
                    elif hm.write_protect != m.write_protect:
                        out.append(C.SetMappedLunWriteProtect(t.wwn, tag, init, index, m.write_protect,
                                                              fabric=t.fabric))
                if (acl.tag or None) != (ha.tag or None):
                    out.append(C.SetAclTag(t.wwn, tag, init, acl.tag, fabric=t.fabric))
                if t.fabric == "iscsi" and acl.chap is not None and acl.raw_chap != (ha.raw_chap or ("",) * 4):
                    if any(acl.raw_chap) or any(ha.raw_chap):
                        out.append(C.SetAclAuth(t.wwn, tag, init, acl.chap, fabric=t.fabric))
            if t.fabric in C.TPGTS_FABRICS and (tpg.enable != htpg.enable or fresh and tpg.enable):
                out.append(C.SetTpgEnabled(t.wwn, tag, tpg.enable, fabric=t.fabric))
            if t.fabric == "iscsi" and tpg.chap is not None and tpg.raw_chap != (htpg.raw_chap or ("",) * 4):
                if any(tpg.raw_chap) or any(htpg.raw_chap):
                    out.append(C.SetTpgAuth(t.wwn, tag, tpg.chap, fabric=t.fabric))


def _changed_settings(want: Mapping[str, _Setting], have: Mapping[str, _Setting]) -> list[C.Change]:
    """The set changes of the settings whose value differs (a setting the file leaves out is kept)."""
    out = []
    for name, setting in want.items():
        current = have.get(name)
        if setting.change is not None and (current is None or current.value != setting.value):
            out.append(setting.change)
    return out


def _identity_differs(want: Mapping[str, Any], have: Mapping[str, Any]) -> list[str]:
    """The identity fields that differ; a field the file leaves out (None) is not a difference."""
    out = []
    for name, value in want.items():
        if value is None or name not in have:
            continue
        current = have[name]
        if name == "size" and current is None:
            continue
        if value != current:
            out.append(name)
    return out


@dataclass(frozen=True, slots=True)
class _Known:
    """The setting names this kernel has, per fabric and plugin (from the running configuration)."""

    tpg_attrs: dict[str, frozenset[str]] = field(default_factory=dict)
    tpg_params: dict[str, frozenset[str]] = field(default_factory=dict)
    acl_attrs: dict[str, frozenset[str]] = field(default_factory=dict)
    so_attrs: dict[str, frozenset[str]] = field(default_factory=dict)


def _known(have: _Config) -> _Known:
    known = _Known()
    for t in have.targets.values():
        for tpg in t.tpgs.values():
            known.tpg_attrs.setdefault(t.fabric, frozenset())
            known.tpg_attrs[t.fabric] |= frozenset(tpg.attrs)
            known.tpg_params.setdefault(t.fabric, frozenset())
            known.tpg_params[t.fabric] |= frozenset(tpg.params)
            for acl in tpg.acls.values():
                known.acl_attrs.setdefault(t.fabric, frozenset())
                known.acl_attrs[t.fabric] |= frozenset(acl.attrs)
    for key, so in have.sos.items():
        known.so_attrs.setdefault(key[0], frozenset())
        known.so_attrs[key[0]] |= frozenset(so.attrs)
    return known


def _op(change: C.Change) -> str:
    name = type(change).__name__
    if name.startswith("Create"):
        return CREATE
    if name.startswith("Delete"):
        return DELETE
    return SET


def plan(desired: Any, current: Mapping, *, prune: bool = False, target: str | None = None) -> Plan:
    """The plan that makes ``current`` (the running configuration as saveconfig.json holds it)
    into ``desired``. See the module docstring.

    ``target`` limits it to one target (its WWN); with ``prune`` objects of
    the running configuration that ``desired`` does not have are deleted.
    Raises :class:`NotSaveconfig` for data that is not a saveconfig file at all.
    """
    want, problems = parse(desired, strict=True)
    have, _ = parse(current, strict=False)
    target_key = None
    if target is not None:
        found = [k for k in want.targets if k[1] == target]
        if not found:
            if prune:
                return Plan((), (Problem(f"/iscsi/{target}", "there is no such target in the file"),))
            found = [k for k in have.targets if k[1] == target] or [("iscsi", target)]
        target_key = found[0]
    planner = _Planner(want, have, prune=prune, target=target_key, known=_known(have))
    planner.check()
    problems = problems + planner.problems
    if problems:
        return Plan((), tuple(problems))
    planner.plan_deletes()
    planner.plan_creates()
    if planner.problems:
        return Plan((), tuple(planner.problems))
    changes = [c for c in planner.deletes + planner.creates if c is not None]
    steps = tuple(PlanStep(_op(c), path_of(c), c) for c in changes)
    return Plan(steps, (), tuple(planner.notes))


# ---------------------------------------------------------------------------
# Sessions
# ---------------------------------------------------------------------------


def with_sessions(found: Plan, config: SanConfig, sessions: Iterable) -> Plan:
    """``found`` with, per step, the live sessions it drops or disturbs.

    ``config`` is the running configuration with details (mapped LUNs
    filled), ``sessions`` :class:`sanctl.lio.live.TargetSession` values,
    both read just before.
    """
    from sanctl.lio.impact import _sessions, impact

    sessions = tuple(sessions)
    if not sessions or not found.steps:
        return found
    steps = []
    for step in found.steps:
        c = step.change
        affected: tuple[str, ...] = ()
        if step.op == DELETE:
            affected = impact(config, c, sessions).sessions
        elif isinstance(c, C.SetTpgEnabled) and not c.enabled:
            affected = tuple(_sessions(sessions, c.fabric, c.target, {(c.tpg, None)}, "drops (TPG disabled)"))
        elif isinstance(c, C.SetMappedLunWriteProtect):
            affected = tuple(_sessions(sessions, c.fabric, c.target, {(c.tpg, c.initiator)},
                                       f"sees LUN {c.index} become {'read-only' if c.write_protect else 'writable'}"))
        steps.append(replace(step, sessions=tuple(affected)))
    return replace(found, steps=tuple(steps))


def dumps(found: Plan, **extra: Any) -> str:
    """The plan as the JSON ``sanctl apply --json`` prints (secrets are never in it)."""
    return json.dumps({**found.as_json(), **extra}, indent=2)
