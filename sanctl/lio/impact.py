"""What a delete takes with it, computed from a :class:`~sanctl.model.SanConfig`.

configfs refuses to remove a directory something still links to, so every
delete is really a cascade: a backstore takes every LUN using it in every
target, each LUN takes the mapped LUNs pointing at it, a target takes its
TPGs with their ACLs, LUNs and portals. :func:`impact` lists all of it for
the confirmation dialog ("deleting backstore X also deletes LUN 0 of A,
LUN 3 of B and LUN 1 of C"), with the live sessions that drop or lose a
disk, and gives the writer the same cascade as primitive steps
(:attr:`Impact.steps`), children first.

``Impact.keys`` identifies the dependents; a confirmed delete carries them
(:func:`sanctl.lio.changes.confirmed`) so the writer can refuse when
configfs changed between the confirmation and the write.

Changes that remove nothing can still hurt an initiator — disabling a TPG,
turning demo mode off, write-protecting a mapped LUN, deleting a portal or
its iSER listener: :func:`impact` names their sessions too, and
:func:`touches_initiators` says which changes are worth asking about.

What the operator confirms is judged against the system, not the screen:
:func:`sanctl.lio.impact_read.read_impacts` (the host's ``target.impacts``)
reads configfs and the live sessions (ACL ``info``, ``dynamic_sessions``)
afresh, when the confirmation opens. This module reads nothing (the caller
passes the config and the sessions): no I/O, no Textual here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sanctl import words
from sanctl.model import NodeAcl, SanConfig, Target, Tpg
from sanctl.lio import changes as C


@dataclass(frozen=True, slots=True)
class Dependent:
    """One object removed along with the one being deleted."""

    kind: str  #: "mapped_lun", "lun", "acl", "portal", "tpg" or "target"
    key: tuple
    label: str


@dataclass(frozen=True, slots=True)
class Impact:
    """Everything a change removes, for the confirmation and the writer."""

    change: C.Change
    exists: bool
    removes: tuple[Dependent, ...] = ()
    sessions: tuple[str, ...] = ()
    steps: tuple[C.Change, ...] = ()
    #: What changes without being removed (LUNs going back to default_tg_pt_gp), for the confirmation.
    notes: tuple[str, ...] = ()

    @property
    def keys(self) -> frozenset:
        return frozenset(d.key for d in self.removes)

    def count(self, kind: str) -> int:
        return sum(1 for d in self.removes if d.kind == kind)

    def summary(self) -> str:
        """One sentence: what goes with it."""
        if not self.exists:
            return f"{self.change.subject} does not exist (already deleted?)."
        groups = sum(1 for n in self.notes if n.startswith("its ALUA group "))
        if not self.removes and not groups and not _deletes(self.change):
            extra = f": {_plural(len(self.sessions), 'live session')} affected" if self.sessions else ""
            return f"{self.change.describe()}{extra}."
        if not self.removes and not groups:
            extra = f"; {_plural(len(self.sessions), 'session')} affected" if self.sessions else ""
            return f"{self.change.describe()}: nothing else depends on it{extra}."
        parts = []
        for kind, word in (("target", "target"), ("tpg", "TPG"), ("lun", "LUN"), ("acl", "ACL"),
                           ("mapped_lun", "mapped LUN"), ("portal", "portal"), ("alua_group", "ALUA group")):
            n = self.count(kind)
            if n:
                parts.append(_plural(n, word))
        if groups:
            parts.append(_plural(groups, "ALUA group"))
        text = f"{self.change.describe()}: also removes {_join(parts)}"
        luns = [d for d in self.removes if d.kind == "lun"]
        targets = {d.key[2] for d in luns}
        if isinstance(self.change, C.DeleteStorageObject) and len(targets) > 1:
            text += f" (LUNs in {words.plural(len(targets), 'target')})"
        if self.sessions:
            text += f"; {_plural(len(self.sessions), 'live session')} affected"
        return text + "."

    def lines(self) -> list[str]:
        """The confirmation's body: the summary, then every dependent and session."""
        out = [self.summary()]
        out.extend(f"  - {d.label}" for d in self.removes)
        out.extend(f"  ~ {n}" for n in self.notes)
        out.extend(f"  ! {s}" for s in self.sessions)
        return out


def _deletes(change: C.Change) -> bool:
    return type(change).__name__.startswith("Delete")


def _plural(n: int, word: str) -> str:
    return words.plural(n, word)


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


# ---------------------------------------------------------------------------
# lookups
# ---------------------------------------------------------------------------


def find_target(config: SanConfig, fabric: str, wwn: str) -> Target | None:
    fab = config.fabric(fabric)
    if fab is None:
        return None
    for target in fab.targets:
        if target.wwn == wwn:
            return target
    return None


def find_tpg(config: SanConfig, fabric: str, wwn: str, tag: int) -> Tpg | None:
    target = find_target(config, fabric, wwn)
    if target is None:
        return None
    return next((t for t in target.tpgs if t.tag == tag), None)


def find_acl(tpg: Tpg | None, initiator: str) -> NodeAcl | None:
    if tpg is None:
        return None
    return next((a for a in tpg.acls if a.node_wwn == initiator), None)


# ---------------------------------------------------------------------------
# the cascade
# ---------------------------------------------------------------------------


class _Cascade:
    def __init__(self, fabric: str, wwn: str) -> None:
        self.fabric = fabric
        self.wwn = wwn
        self.removes: list[Dependent] = []
        self.steps: list[C.Change] = []
        self.session_keys: set[tuple] = set()  # (tag, initiator or None for the whole TPG)
        self._unmapped: set[tuple[int, str, int]] = set()

    def label(self, tag: int) -> str:
        return C._tpg_label(self.fabric, self.wwn, tag)

    def mapped_lun(self, tag: int, acl: NodeAcl, index: int, note: str = "") -> None:
        if (tag, acl.node_wwn, index) in self._unmapped:
            return
        self._unmapped.add((tag, acl.node_wwn, index))
        self.removes.append(Dependent(
            "mapped_lun", ("mapped_lun", self.fabric, self.wwn, tag, acl.node_wwn, index),
            f"mapped LUN {index} of {acl.node_wwn} in {self.label(tag)}{note}",
        ))
        self.steps.append(C.DeleteMappedLun(self.wwn, tag, acl.node_wwn, index, fabric=self.fabric))

    def lun(self, tpg: Tpg, index: int, *, as_dependent: bool = True, backing: str = "") -> None:
        for acl in tpg.acls:
            for mlun in acl.mapped_luns:
                if mlun.tpg_lun == index:
                    self.mapped_lun(tpg.tag, acl, mlun.index)
                    self.session_keys.add((tpg.tag, acl.node_wwn))
        if tpg.demo_mode:
            self.session_keys.add((tpg.tag, None))
        if as_dependent:
            self.removes.append(Dependent(
                "lun", ("lun", self.fabric, self.wwn, tpg.tag, index),
                f"LUN {index} of {self.label(tpg.tag)}{backing}",
            ))
        self.steps.append(C.DeleteLun(self.wwn, tpg.tag, index, fabric=self.fabric))

    def acl(self, tpg: Tpg, acl: NodeAcl, *, as_dependent: bool = True) -> None:
        for mlun in sorted(acl.mapped_luns, key=lambda m: m.index):
            self.mapped_lun(tpg.tag, acl, mlun.index)
        if as_dependent:
            auth = " with its CHAP credentials" if acl.auth is not None and acl.auth.chap else ""
            self.removes.append(Dependent(
                "acl", ("acl", self.fabric, self.wwn, tpg.tag, acl.node_wwn),
                f"ACL {acl.node_wwn} of {self.label(tpg.tag)}{auth}",
            ))
        self.session_keys.add((tpg.tag, acl.node_wwn))
        self.steps.append(C.DeleteAcl(self.wwn, tpg.tag, acl.node_wwn, fabric=self.fabric))

    def portal(self, tpg: Tpg, ip: str, port: int, *, as_dependent: bool = True) -> None:
        if as_dependent:
            self.removes.append(Dependent(
                "portal", ("portal", self.fabric, self.wwn, tpg.tag, ip, port),
                f"portal {ip}:{port} of {self.label(tpg.tag)}",
            ))
        self.steps.append(C.DeletePortal(self.wwn, tpg.tag, ip, port, fabric=self.fabric))

    def tpg(self, tpg: Tpg, *, as_dependent: bool = True) -> None:
        if tpg.enabled and self.fabric not in C.NEXUS_FABRICS:  # a loopback TPG has no enable switch
            self.steps.append(C.SetTpgEnabled(self.wwn, tpg.tag, False, fabric=self.fabric))
        for acl in tpg.acls:
            self.acl(tpg, acl)
        for lun in tpg.luns:
            self.lun(tpg, lun.index, backing=_backing(lun.storage_object))
        for portal in tpg.portals:
            self.portal(tpg, portal.ip_address, portal.port)
        if as_dependent:
            self.removes.append(Dependent(
                "tpg", ("tpg", self.fabric, self.wwn, tpg.tag), f"TPG {self.label(tpg.tag)}",
            ))
        self.session_keys.add((tpg.tag, None))
        self.steps.append(C.DeleteTpg(self.wwn, tpg.tag, fabric=self.fabric))


def _backing(key: tuple[str, str] | None) -> str:
    return f" ({key[0]}/{key[1]})" if key else " (broken link)"


def _sessions(sessions: Iterable, fabric: str, wwn: str, keys: set[tuple], verb: str) -> list[str]:
    if fabric != "iscsi":
        return []
    out = []
    whole = {tag for tag, init in keys if init is None}
    for s in sessions:
        if getattr(s, "target", None) != wwn:
            continue
        if s.tpg in whole or (s.tpg, s.initiator) in keys:
            where = f" from {', '.join(s.addresses)}" if getattr(s, "addresses", ()) else ""
            kind = " (demo mode)" if getattr(s, "kind", "") == "dynamic" else ""
            out.append(f"session of {s.initiator}{where}{kind} on {wwn}/tpg{s.tpg} {verb}")
    return out


def impact(config: SanConfig, change: C.Change, sessions: Iterable = ()) -> Impact:
    """What ``change`` removes in ``config`` (and the live ``sessions`` it drops).

    ``sessions`` are :class:`sanctl.lio.live.TargetSession` values (or
    anything with ``target``, ``tpg``, ``initiator``, ``kind``, ``addresses``).
    For a change that deletes nothing the impact is empty, with ``steps``
    being the change itself.
    """
    sessions = tuple(sessions)
    if isinstance(change, C.DeleteStorageObject):
        return _storage_object(config, change, sessions)
    if isinstance(change, C.DeleteTarget):
        target = find_target(config, change.fabric, change.target)
        if target is None:
            return Impact(change, False)
        cascade = _Cascade(change.fabric, change.target)
        for tpg in target.tpgs:
            cascade.tpg(tpg)
        cascade.steps.append(C.DeleteTarget(change.target, change.fabric))
        return _done(change, cascade, sessions, "drops")
    if isinstance(change, C.DeleteTpg):
        tpg = find_tpg(config, change.fabric, change.target, change.tpg)
        if tpg is None:
            return Impact(change, False)
        cascade = _Cascade(change.fabric, change.target)
        cascade.tpg(tpg, as_dependent=False)
        return _done(change, cascade, sessions, "drops")
    if isinstance(change, C.DeleteLun):
        tpg = find_tpg(config, change.fabric, change.target, change.tpg)
        if tpg is None or not any(lun.index == change.index for lun in tpg.luns):
            return Impact(change, False)
        cascade = _Cascade(change.fabric, change.target)
        cascade.lun(tpg, change.index, as_dependent=False)
        return _done(change, cascade, sessions, f"loses LUN {change.index}")
    if isinstance(change, C.DeleteAcl):
        tpg = find_tpg(config, change.fabric, change.target, change.tpg)
        acl = find_acl(tpg, change.initiator)
        if tpg is None or acl is None:
            return Impact(change, False)
        cascade = _Cascade(change.fabric, change.target)
        cascade.acl(tpg, acl, as_dependent=False)
        return _done(change, cascade, sessions, "drops")
    if isinstance(change, C.DeleteMappedLun):
        acl = find_acl(find_tpg(config, change.fabric, change.target, change.tpg), change.initiator)
        if acl is None or not any(m.index == change.index for m in acl.mapped_luns):
            return Impact(change, False)
        keys = {(change.tpg, change.initiator)}
        found = _sessions(sessions, change.fabric, change.target, keys, f"loses LUN {change.index}")
        return Impact(change, True, (), tuple(found), (change,))
    if isinstance(change, C.DeleteAluaGroup):
        so = config.storage_object(change.key)
        if so is None or (so.alua_groups is not None and not any(g.name == change.group for g in so.alua_groups)):
            return Impact(change, False)
        notes = tuple(f"LUN {lun.index} of {C._tpg_label(t.fabric, t.wwn, tpg.tag)} returns to "
                      f"{C.DEFAULT_ALUA_GROUP}"
                      for t, tpg, lun in config.users_of(change.key) if lun.alua_tg_pt_gp_name == change.group)
        return Impact(change, True, (), (), (change,), notes)
    if isinstance(change, C.DeletePortal):
        tpg = find_tpg(config, change.fabric, change.target, change.tpg)
        if tpg is None or not any((p.ip_address, p.port) == (change.address, change.port) for p in tpg.portals):
            return Impact(change, False)
        verb = (f"may drop: {change.address}:{change.port} is its TPG's only portal" if len(tpg.portals) == 1
                else f"cannot log in again through {change.address}:{change.port}")
        found = _sessions(sessions, change.fabric, change.target, {(change.tpg, None)}, verb)
        return Impact(change, True, (), tuple(found), (change,))
    return _setting(config, change, sessions)


#: The settings whose change reaches initiators already logged in (see :func:`_setting`).
_TOUCHING = (C.SetTpgEnabled, C.SetSetting, C.SetMappedLunWriteProtect, C.SetPortalFlag, C.DeletePortal)


def touches_initiators(change: C.Change) -> bool:
    """Whether ``change`` can drop a session or take a disk (or its writes) from one.

    Deletes always can; of the settings: disabling a TPG, demo mode off (its
    dynamic sessions go) or read-only, a mapped LUN made read-only, an iSER or
    offload listener turned off. Other settings (CHAP, parameters) apply at the
    next login.
    """
    if _deletes(change):
        return True
    if isinstance(change, C.SetTpgEnabled):
        return not change.enabled
    if isinstance(change, C.SetSetting) and change.sets(C.TpgRef, "attribute"):
        return (change.key, str(change.value)) in (("generate_node_acls", "0"),
                                                         ("demo_mode_write_protect", "1"))
    if isinstance(change, C.SetMappedLunWriteProtect):
        return change.write_protect
    if isinstance(change, C.SetPortalFlag):
        return not change.on
    return False


def _setting(config: SanConfig, change: C.Change, sessions: tuple) -> Impact:
    """A change that removes nothing: which sessions it drops or takes a disk's writes from."""
    if not touches_initiators(change):
        return Impact(change, True, (), (), (change,))
    where = change.owner if isinstance(change, C.SetSetting) else change  # a TPG attribute: its TPG
    fabric, wwn, tag = where.fabric, where.target, where.tpg  # type: ignore[attr-defined]
    tpg = find_tpg(config, fabric, wwn, tag)
    if tpg is None:
        return Impact(change, False)
    if isinstance(change, C.SetTpgEnabled):
        keys, verb = {(tag, None)}, "drops"
    elif isinstance(change, C.SetSetting) and change.key == "generate_node_acls":
        keys, verb = {(tag, None)}, "drops (demo mode off)"
        sessions = tuple(s for s in sessions if getattr(s, "kind", "") == "dynamic")
    elif isinstance(change, C.SetSetting):
        keys, verb = {(tag, None)}, "can no longer write (demo mode read-only)"
        sessions = tuple(s for s in sessions if getattr(s, "kind", "") == "dynamic")
    elif isinstance(change, C.SetMappedLunWriteProtect):
        acl = find_acl(tpg, change.initiator)
        if acl is None or not any(m.index == change.index for m in acl.mapped_luns):
            return Impact(change, False)
        keys, verb = {(tag, change.initiator)}, f"can no longer write to LUN {change.index}"
    else:  # SetPortalFlag off: its connections over iSER / offload drop
        if not any((p.ip_address, p.port) == (change.address, change.port) for p in tpg.portals):
            return Impact(change, False)
        keys, verb = {(tag, None)}, f"drops if connected over {change.flag} to {change.address}:{change.port}"
        sessions = tuple(s for s in sessions if getattr(s, "kind", "") != "acl" or _not_tcp(s))
    found = _sessions(sessions, fabric, wwn, keys, verb)
    return Impact(change, True, (), tuple(found), (change,))


def _not_tcp(session) -> bool:
    info = getattr(session, "info", None)
    return info is None or any(c.transport not in (None, "TCP") for c in info.connections)


def _done(change: C.Change, cascade: _Cascade, sessions: tuple, verb: str) -> Impact:
    found = _sessions(sessions, cascade.fabric, cascade.wwn, cascade.session_keys, verb)
    return Impact(change, True, tuple(cascade.removes), tuple(found), tuple(cascade.steps))


def _storage_object(config: SanConfig, change: C.DeleteStorageObject, sessions: tuple) -> Impact:
    if config.storage_object(change.key) is None:
        return Impact(change, False)
    removes: list[Dependent] = []
    steps: list[C.Change] = []
    found: list[str] = []
    by_target: dict[tuple[str, str], list[tuple[Tpg, int]]] = {}
    for target, tpg, lun in config.users_of(change.key):
        by_target.setdefault((target.fabric, target.wwn), []).append((tpg, lun.index))
    for (fabric, wwn), uses in by_target.items():
        cascade = _Cascade(fabric, wwn)
        for tpg, index in uses:
            cascade.lun(tpg, index)
        removes.extend(cascade.removes)
        steps.extend(cascade.steps)
        found.extend(_sessions(sessions, fabric, wwn, cascade.session_keys,
                               f"loses the disk {change.plugin}/{change.name}"))
    so = config.storage_object(change.key)
    groups = [g.name for g in (so.alua_groups or ()) if g.name != C.DEFAULT_ALUA_GROUP]
    # its ALUA groups go with it (rtslib-fb deletes them first; configfs refuses the rmdir otherwise)
    steps.extend(C.DeleteAluaGroup(change.plugin, change.name, g) for g in groups)
    notes = tuple(f"its ALUA group {g}" for g in groups)
    steps.append(C.DeleteStorageObject(change.plugin, change.name))
    return Impact(change, True, tuple(removes), tuple(found), tuple(steps), notes)
