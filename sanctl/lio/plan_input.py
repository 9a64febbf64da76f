"""A saveconfig dictionary (desired or running) as the planner's model, with every problem found in it.

Each object of the file is turned into the :mod:`~sanctl.lio.changes`
value that would create or set it, so a file is held to the same name and
value rules as the forms; ``strict`` collects a :class:`Problem` per entry
that breaks one (the desired file), else what cannot be read is skipped
(the running configuration, read from configfs).

No Textual and no I/O here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from sanctl.names import InvalidValue
from sanctl.lio import changes as C
from sanctl.lio.plan_result import NotSaveconfig, Problem, so_path, target_path, tpg_path
from sanctl.lio.rebuild import DEFAULT_ALUA_GROUP, RebuildError

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

    def settings(self, d: Mapping, key: str, path: str, build) -> dict[str, _Setting]:
        """The ``key`` table of ``d`` (attributes or parameters) as settings, in name order;
        ``build(name, value)`` makes the set change that checks one."""
        word = key[:-1]  # "attributes" -> "attribute"
        out: dict[str, _Setting] = {}
        for name, value in sorted(self.table(d, key, path).items(), key=lambda kv: str(kv[0])):
            got = self.setting(f"{path} {word}", name, value, lambda n=name, v=value: build(n, v))
            if got:
                out[got[0]] = got[1]
        return out

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
        so.attrs = self.settings(d, "attributes", path,
                                 lambda a, v: C.backstore_attribute(key[0], key[1], a, v))
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
                                   lambda p=param, v=value: C.alua_group_parameter(key[0], key[1], name, p, v))
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
        tpg.attrs = self.settings(d, "attributes", path,
                                  lambda a, v: C.tpg_attribute(t.wwn, tag, a, v, fabric=t.fabric))
        tpg.params = self.settings(d, "parameters", path,
                                   lambda a, v: C.tpg_parameter(t.wwn, tag, a, v, fabric=t.fabric))
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
        acl.attrs = self.settings(d, "attributes", apath,
                                  lambda a, v: C.acl_attribute(t.wwn, tag, acl.initiator, a, v, fabric=t.fabric))
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

