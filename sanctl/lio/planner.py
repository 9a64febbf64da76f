"""Planning: one change against the configuration as just read -> primitive steps.

The :class:`Planner` checks a change's preconditions against a fresh read
(the object exists or not, the dependents the confirmation listed are still
exactly those, a setting still has the value the form showed) and turns it
into primitive steps, each with the steps that undo it, computed from what
was read: a delete becomes its whole cascade, a LUN its mapped LUNs in every
ACL. The writer (:mod:`sanctl.lio.writer`) executes them.

No Textual here, and nothing writes: the planner only reads through its writer.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

from sanctl.model import Auth, SanConfig, Settings, StorageObject, Tpg
from sanctl.names import InvalidValue
from sanctl.lio import changes as C
from sanctl.lio import configfs as cf
from sanctl.lio import rebuild
from sanctl.lio.impact import find_acl, find_target, find_tpg, impact
from sanctl.lio.report import PreconditionFailed
from sanctl.lio.steps import StepTable


class Backing(Protocol):
    """What the planner asks its writer: the kind and size of a fileio backstore's file."""

    def backing_file(self, path: str) -> tuple[str, int]: ...

# ---------------------------------------------------------------------------
# Planning: a change against the current configuration -> primitive steps
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Planned:
    """A primitive step and the primitive steps that undo it."""

    change: C.Change
    undo: tuple[C.Change, ...] = ()
    unchanged: bool = False
    note: str | None = None


@dataclass(frozen=True, slots=True)
class _BackingFileStep(C.Change):
    """A step on a fileio backstore's file: outside configfs, so no path and nothing to re-read."""

    file: str

    @property
    def subject(self) -> str:
        return f"file {self.file}"

    @property
    def cfs_path(self) -> str:
        return ""

    def scope(self) -> C.Scope:
        return C.Scope()


@dataclass(frozen=True, slots=True)
class CreateBackingFile(_BackingFileStep):
    """Internal step: create the file of a new fileio backstore (like targetcli does)."""

    size: int = 0
    sparse: bool = True

    def describe(self) -> str:
        how = "sparse" if self.sparse else "fully allocated"
        return f"Create {how} file {self.file} of {C.format_size(self.size)}"

    def targetcli(self) -> str:
        return f"# targetcli creates {self.file} itself"


@dataclass(frozen=True, slots=True)
class RemoveBackingFile(_BackingFileStep):
    """Internal undo step: remove a file this transaction created."""

    def describe(self) -> str:
        return f"Remove the file {self.file} created for it"

    def targetcli(self) -> str:
        return f"# rm {self.file}"


def _setting(settings: Settings | None, name: str) -> str | None:
    if settings is None:
        return None
    item = settings.get(name)
    return None if item is None else item.value


def _need_tpg(config: SanConfig, change) -> Tpg:
    tpg = find_tpg(config, change.fabric, change.target, change.tpg)
    if tpg is None:
        if find_target(config, change.fabric, change.target) is None:
            raise PreconditionFailed(f"{C._target_label(change.fabric, change.target)} does not exist")
        raise PreconditionFailed(f"TPG {change.tpg} of {change.target} does not exist")
    return tpg


def _need_acl(config: SanConfig, change):
    acl = find_acl(_need_tpg(config, change), change.initiator)
    if acl is None:
        raise PreconditionFailed(f"there is no ACL for {change.initiator} in "
                                 f"{C._tpg_label(change.fabric, change.target, change.tpg)}")
    return acl


def _lowest_free(used: set[int], start: int = 0) -> int:
    n = start
    while n in used:
        n += 1
    return n


def _auth_chap(auth: Auth | None) -> C.Chap:
    """The credentials configfs holds, as a Chap value (not re-validated: they exist already)."""
    if auth is None:
        return C.NO_CHAP
    chap = object.__new__(C.Chap)
    for name, value in (("userid", auth.userid), ("password", auth.password.reveal()),
                        ("mutual_userid", auth.mutual_userid), ("mutual_password", auth.mutual_password.reveal())):
        object.__setattr__(chap, name, value)
    return chap


def _onoff(flag: bool | None) -> str:
    return "on" if flag else "off"


def _changed_meanwhile(change, shown, now, say=str) -> None:
    """Refuse ``change`` when what its form showed (``shown``; None: not known) is not ``now``."""
    if shown is not None and shown != now:
        raise PreconditionFailed(f"changed meanwhile: it was {say(shown)} when shown and is now {say(now)}; "
                                 "nothing was written: look again")


def _chap_changed_meanwhile(change, now: C.Chap) -> None:
    shown = getattr(change, "expect", None)
    if shown is not None and shown != now:
        raise PreconditionFailed(f"changed meanwhile: {C.chap_difference(shown, now)} since the form showed it "
                                 "(secrets not shown); nothing was written: look again")


def _setting_change(change: C.SetSetting, current: str | None) -> list[Planned]:
    """A setting's step: refused if it changed since the form showed it; undone by writing back what it held."""
    if current is None:
        raise PreconditionFailed(f"{change.subject} does not exist here")
    expect = getattr(change, "expect", None)
    if expect is not None and str(expect) != current:
        raise PreconditionFailed(
            f"changed meanwhile: it was {expect} when shown and is now {current}; nothing was written")
    if current == change.value:
        return [Planned(change, unchanged=True)]
    return [Planned(change, (replace(change, value=current, expect=None),))]


#: The planner's step for each change type an operator can ask for.
PLANS = StepTable("planner")
#: The planner's step for a setting (:class:`~sanctl.lio.changes.SetSetting`) of each kind of object.
SETTING_PLANS = StepTable("planner (settings)")


class Planner:
    """Turns one change into primitive steps against ``config`` (read just before)."""

    def __init__(self, writer: Backing, config: SanConfig) -> None:
        self.writer = writer
        self.config = config
        self._dump: dict | None = None

    # -- helpers -----------------------------------------------------------

    def dump(self) -> dict:
        if self._dump is None:
            from sanctl.lio.saveconfig import dump

            self._dump = dump(self.config)
        return self._dump

    def _target_dump(self, fabric: str, wwn: str) -> dict | None:
        for t in self.dump()["targets"]:
            if t["fabric"] == fabric and t["wwn"] == wwn:
                return t
        return None

    def _tpg_dump(self, fabric: str, wwn: str, tag: int) -> dict | None:
        t = self._target_dump(fabric, wwn)
        return next((x for x in t["tpgs"] if x["tag"] == tag), None) if t else None

    # -- dispatch ----------------------------------------------------------

    def plan(self, change: C.Change) -> list[Planned]:
        step = PLANS.find(type(change))
        if step is None:
            raise PreconditionFailed(f"sanctl cannot apply {type(change).__name__} yet")
        return step(self, change)

    # -- storage objects ---------------------------------------------------

    @PLANS.step(C.CreateBlock, C.CreatePscsi, C.CreateRamdisk, C.CreateUser)
    def _create_so(self, change) -> list[Planned]:
        if self.config.storage_object(change.key) is not None:
            raise PreconditionFailed(f"backstore {change.plugin}/{change.name} already exists")
        return [Planned(change, (C.DeleteStorageObject(change.plugin, change.name),))]

    @PLANS.step(C.CreateFileio)
    def _CreateFileio(self, change: C.CreateFileio) -> list[Planned]:
        if self.config.storage_object(change.key) is not None:
            raise PreconditionFailed(f"backstore fileio/{change.name} already exists")
        kind, size = self.writer.backing_file(change.file)
        out: list[Planned] = []
        note = None
        if kind == "missing":
            if not change.size:
                raise PreconditionFailed(f"{change.file} does not exist: give a size to create it")
            make = CreateBackingFile(change.file, change.size, change.sparse)
            out.append(Planned(make, (RemoveBackingFile(change.file),)))
        elif kind == "file":
            if change.size and change.size != size:
                note = f"{change.file} exists: its size, {C.format_size(size)}, is used"
            change = replace(change, size=size)
        elif kind != "block":
            raise PreconditionFailed(f"{change.file} is neither a regular file nor a block device")
        out.append(Planned(change, (C.DeleteStorageObject("fileio", change.name),), note=note))
        return out

    # -- settings (an attribute or parameter file of any object) -------------

    @PLANS.step(C.SetSetting)
    def _SetSetting(self, change: C.SetSetting) -> list[Planned]:
        step = SETTING_PLANS.find(type(change.owner))
        if step is None:
            raise PreconditionFailed(f"sanctl cannot set a setting of a {type(change.owner).__name__} yet")
        return step(self, change)

    @SETTING_PLANS.step(C.BackstoreRef)
    def _backstore_setting(self, change: C.SetSetting) -> list[Planned]:
        so = self.config.storage_object(change.owner.key)
        if so is None:
            raise PreconditionFailed(f"{change.owner.label} does not exist")
        item = so.attributes.get(change.key) if so.attributes else None
        if item is not None and not item.writable:
            raise PreconditionFailed(f"{change.key} is read-only")
        return _setting_change(change, None if item is None else item.value)

    @SETTING_PLANS.step(C.TpgRef)
    def _tpg_setting(self, change: C.SetSetting) -> list[Planned]:
        tpg = _need_tpg(self.config, change.owner)
        return _setting_change(change, _setting(tpg.attributes if change.group == "attribute" else tpg.parameters,
                                                change.key))

    @SETTING_PLANS.step(C.AclRef)
    def _acl_setting(self, change: C.SetSetting) -> list[Planned]:
        return _setting_change(change, _setting(_need_acl(self.config, change.owner).attributes, change.key))

    @SETTING_PLANS.step(C.AluaGroupRef)
    def _alua_setting(self, change: C.SetSetting) -> list[Planned]:
        owner, key = change.owner, change.key
        group = next((g for g in self._alua_so(owner).alua_groups or () if g.name == owner.group), None)
        if group is None:
            raise PreconditionFailed(f"{owner.label} does not exist")
        raw = group.settings.value(key)
        if raw is None:
            raise PreconditionFailed(f"{change.subject} cannot be read")
        current = str(C.alua_number(key, raw))
        if change.expect is not None and str(C.alua_number(key, change.expect)) != current:
            raise PreconditionFailed(f"changed meanwhile: it was {change.expect} when shown and is now {raw}; "
                                     "nothing was written")
        if current == change.value:
            return [Planned(change, unchanged=True)]
        undo = [replace(change, value=current, expect=None)]
        if key == "alua_access_state":  # an implicit transition also sets the status
            status = group.settings.value("alua_access_status")
            if status is not None:
                undo.append(replace(change, key="alua_access_status",
                                    value=str(C.alua_number("alua_access_status", status)), expect=None))
        return [Planned(change, tuple(undo))]

    # -- deletes (the cascade, each step with its undo) --------------------

    @PLANS.step(C.DeleteStorageObject, C.DeleteTarget, C.DeleteTpg, C.DeleteLun, C.DeleteAcl,
                C.DeleteMappedLun, C.DeletePortal, C.DeleteAluaGroup)
    def _delete(self, change) -> list[Planned]:
        found = impact(self.config, change)
        if not found.exists:
            raise PreconditionFailed("does not exist (deleted meanwhile?)")
        expect = getattr(change, "expect", None)
        if expect is not None and found.keys != expect:
            added = sorted(d.label for d in found.removes if d.key not in expect)
            gone = len(expect - found.keys)
            parts = []
            if added:
                parts.append("it now also takes " + ", ".join(added))
            if gone:
                parts.append(f"{gone} of the objects listed are gone")
            raise PreconditionFailed("changed meanwhile: " + "; ".join(parts)
                                     + ". Nothing was deleted: look again and confirm")
        gone = frozenset((x.fabric, x.target, x.tpg, x.index) for x in found.steps if isinstance(x, C.DeleteLun))
        return [Planned(step, tuple(self.undo_of_delete(step, gone))) for step in found.steps]

    def undo_of_delete(self, step: C.Change, gone: frozenset = frozenset()) -> list[C.Change]:
        """The changes recreating what ``step`` removes, from the configuration read before.

        ``gone``: the ``(fabric, target, tpg, lun)`` of LUNs the same cascade
        deletes (their own undo puts them back in their ALUA group).
        """
        if isinstance(step, C.SetTpgEnabled):
            return [replace(step, enabled=not step.enabled)]
        if isinstance(step, C.DeleteAluaGroup):
            d = next((s for s in self.dump()["storage_objects"] if (s["plugin"], s["name"]) == step.key), None)
            g = next((g for g in d.get("alua_tpgs") or () if g.get("name") == step.group), None) if d else None
            if g is None:
                return []
            out = rebuild.alua_group(step.plugin, step.name, g)
            for target, tpg, lun in self.config.users_of(step.key):
                if lun.alua_tg_pt_gp_name == step.group and (target.fabric, target.wwn, tpg.tag, lun.index) not in gone:
                    out.append(C.SetLunAluaGroup(target.wwn, tpg.tag, lun.index, step.group, fabric=target.fabric))
            return out
        if isinstance(step, C.DeleteMappedLun):
            acl = find_acl(find_tpg(self.config, step.fabric, step.target, step.tpg), step.initiator)
            m = next((m for m in acl.mapped_luns if m.index == step.index), None) if acl else None
            if m is None or m.tpg_lun is None:
                return []
            return [C.CreateMappedLun(step.target, step.tpg, step.initiator, m.index, m.tpg_lun,
                                      m.write_protect, _safe_alias(m.alias), fabric=step.fabric)]
        if isinstance(step, C.DeleteLun):
            tpg = find_tpg(self.config, step.fabric, step.target, step.tpg)
            lun = next((x for x in tpg.luns if x.index == step.index), None) if tpg else None
            if lun is None or lun.storage_object is None:
                return []
            out = [C.CreateLun(step.target, step.tpg, lun.storage_object, lun.index, _safe_alias(lun.alias),
                               map_to_acls=False, fabric=step.fabric)]
            if lun.alua_tg_pt_gp_name not in (None, "", C.DEFAULT_ALUA_GROUP):
                out.append(C.SetLunAluaGroup(step.target, step.tpg, lun.index, lun.alua_tg_pt_gp_name,
                                             fabric=step.fabric))
            return out
        if isinstance(step, C.DeleteAcl):
            t = self._tpg_dump(step.fabric, step.target, step.tpg)
            d = next((a for a in t["node_acls"] if a["node_wwn"] == step.initiator), None) if t else None
            if d is None:
                return []
            out = rebuild.acl(step.fabric, step.target, step.tpg, d, mapped=False)
            acl = find_acl(find_tpg(self.config, step.fabric, step.target, step.tpg), step.initiator)
            if acl is not None and acl.cmdsn_depth:
                out.append(C.SetAclCmdsnDepth(step.target, step.tpg, step.initiator, acl.cmdsn_depth,
                                              fabric=step.fabric))
            return out
        if isinstance(step, C.DeletePortal):
            tpg = find_tpg(self.config, step.fabric, step.target, step.tpg)
            p = next((p for p in tpg.portals if (p.ip_address, p.port) == (step.address, step.port)), None)
            if p is None:
                return []
            return [C.CreatePortal(step.target, step.tpg, p.ip_address, p.port, p.iser, p.offload)]
        if isinstance(step, C.DeleteTpg):
            d = self._tpg_dump(step.fabric, step.target, step.tpg)
            return rebuild.tpg(step.fabric, step.target, d, children=False, enable=False) if d else []
        if isinstance(step, C.DeleteTarget):
            return [C.CreateTarget(step.target, step.fabric)]
        if isinstance(step, C.DeleteStorageObject):
            d = next((s for s in self.dump()["storage_objects"]
                      if (s["plugin"], s["name"]) == step.key), None)
            return rebuild.storage_object(d, alua=False) if d else []  # its groups: their own undo
        return []

    # -- targets and TPGs --------------------------------------------------

    @PLANS.step(C.CreateTarget)
    def _CreateTarget(self, change: C.CreateTarget) -> list[Planned]:
        if find_target(self.config, change.fabric, change.target) is not None:
            raise PreconditionFailed(f"{change.subject} already exists")
        return [Planned(change, (C.DeleteTarget(change.target, change.fabric),))]

    @PLANS.step(C.CreateTpg)
    def _CreateTpg(self, change: C.CreateTpg) -> list[Planned]:
        target = find_target(self.config, change.fabric, change.target)
        if target is None:
            raise PreconditionFailed(f"{C._target_label(change.fabric, change.target)} does not exist")
        tags = {t.tag for t in target.tpgs}
        note = None
        if change.tpg is None:
            change = replace(change, tpg=_lowest_free(tags, 1))
            note = "the lowest free tag"
        elif change.tpg in tags:
            raise PreconditionFailed(f"TPG {change.tpg} of {change.target} already exists")
        if change.fabric not in C.TPGTS_FABRICS and tags:
            raise PreconditionFailed(f"a {change.fabric} target has only one TPG")
        return [Planned(change, (C.DeleteTpg(change.target, change.tpg, fabric=change.fabric),), note=note)]

    @PLANS.step(C.SetTpgEnabled)
    def _SetTpgEnabled(self, change: C.SetTpgEnabled) -> list[Planned]:
        tpg = _need_tpg(self.config, change)
        if change.fabric in C.NEXUS_FABRICS:
            if change.enabled:
                return [Planned(change, unchanged=True)]
            raise PreconditionFailed(f"a {change.fabric} TPG cannot be disabled (it has no enable switch)")
        _changed_meanwhile(change, change.expect, tpg.enabled, lambda v: "enabled" if v else "disabled")
        if tpg.enabled == change.enabled:
            return [Planned(change, unchanged=True)]
        return [Planned(change, (replace(change, enabled=not change.enabled, expect=None),))]

    @PLANS.step(C.SetTpgAuth)
    def _SetTpgAuth(self, change: C.SetTpgAuth) -> list[Planned]:
        tpg = _need_tpg(self.config, change)
        return self._auth(change, _auth_chap(tpg.auth))

    def _auth(self, change, old: C.Chap) -> list[Planned]:
        _chap_changed_meanwhile(change, old)
        if old == change.chap:
            return [Planned(change, unchanged=True)]
        return [Planned(change, (replace(change, chap=old, expect=None),))]

    @PLANS.step(C.SetDiscoveryAuth)
    def _SetDiscoveryAuth(self, change: C.SetDiscoveryAuth) -> list[Planned]:
        fabric = self.config.fabric("iscsi")
        if fabric is None or fabric.discovery_auth is None:
            raise PreconditionFailed("the iSCSI fabric is not loaded")
        old = replace(change, chap=_auth_chap(fabric.discovery_auth), enforce=bool(fabric.discovery_auth.enforce),
                      expect=None, expect_enforce=None)
        _chap_changed_meanwhile(change, old.chap)
        _changed_meanwhile(change, change.expect_enforce, old.enforce, lambda v: "enforced" if v else "not enforced")
        if old == replace(change, expect=None, expect_enforce=None):
            return [Planned(change, unchanged=True)]
        return [Planned(change, (old,))]

    # -- LUNs ----------------------------------------------------------------

    @PLANS.step(C.CreateLun)
    def _CreateLun(self, change: C.CreateLun) -> list[Planned]:
        tpg = _need_tpg(self.config, change)
        plugin, name = change.storage_object
        if self.config.storage_object(change.storage_object) is None:
            raise PreconditionFailed(f"backstore {plugin}/{name} does not exist")
        used = {lun.index for lun in tpg.luns}
        for lun in tpg.luns:
            if lun.storage_object == change.storage_object:
                raise PreconditionFailed(f"{plugin}/{name} is already LUN {lun.index} of {change.tpg_label}")
        note = None
        if change.index is None:
            change = replace(change, index=_lowest_free(used))
            note = "the lowest free number"
        elif change.index in used:
            raise PreconditionFailed(f"LUN {change.index} of {change.tpg_label} already exists")
        out = [Planned(replace(change, map_to_acls=False),
                       (C.DeleteLun(change.target, change.tpg, change.index, fabric=change.fabric),), note=note)]
        if change.map_to_acls and change.fabric in C.ACL_FABRICS:
            for acl in sorted(tpg.acls, key=lambda a: a.node_wwn):
                taken = {m.index for m in acl.mapped_luns}
                index = change.index if change.index not in taken else _lowest_free(taken)
                m = C.CreateMappedLun(change.target, change.tpg, acl.node_wwn, index, change.index,
                                      fabric=change.fabric)
                out.append(Planned(m, (C.DeleteMappedLun(change.target, change.tpg, acl.node_wwn, index,
                                                         fabric=change.fabric),)))
        return out

    @PLANS.step(C.SetLunAluaGroup)
    def _SetLunAluaGroup(self, change: C.SetLunAluaGroup) -> list[Planned]:
        tpg = _need_tpg(self.config, change)
        lun = next((x for x in tpg.luns if x.index == change.index), None)
        if lun is None:
            raise PreconditionFailed(f"LUN {change.index} of {change.tpg_label} does not exist")
        if lun.storage_object is None:
            raise PreconditionFailed(f"LUN {change.index} of {change.tpg_label} has no backstore (broken link)")
        # the LUN's group is read with its backstore's groups
        config = self.writer.read(C.Scope(targets=frozenset({(change.fabric, change.target)}),
                                          storage_objects=frozenset({lun.storage_object})))
        lun = next(x for x in _need_tpg(config, change).luns if x.index == change.index)
        so = config.storage_object(lun.storage_object)
        if so is None or so.alua_groups is None or lun.alua_tg_pt_gp_name is None:
            raise PreconditionFailed(f"backstore {'/'.join(lun.storage_object)} passes ALUA through: "
                                     "its LUNs have no ALUA group")
        group = next((g for g in so.alua_groups if g.name == change.group), None)
        if group is None:
            raise PreconditionFailed(f"backstore {'/'.join(lun.storage_object)} has no ALUA group {change.group}")
        if change.group != C.DEFAULT_ALUA_GROUP and not group.tg_pt_gp_id:
            raise PreconditionFailed(f"ALUA group {change.group} has no id yet: the kernel cannot use it")
        current = lun.alua_tg_pt_gp_name
        if change.expect is not None and change.expect != current:
            raise PreconditionFailed(f"changed meanwhile: it was in {change.expect} when shown and is now in {current}")
        if current == change.group:
            return [Planned(change, unchanged=True)]
        return [Planned(change, (replace(change, group=current, expect=None),))]

    # -- ALUA groups ---------------------------------------------------------

    def _alua_so(self, change) -> StorageObject:
        so = self.config.storage_object(change.key)
        if so is None:
            raise PreconditionFailed(f"backstore {change.plugin}/{change.name} does not exist")
        if so.alua_groups is None or not cf.alua_supported(so):
            raise PreconditionFailed(f"backstore {change.plugin}/{change.name} passes ALUA through "
                                     "(alua_support=0): it has no ALUA groups")
        return so

    @PLANS.step(C.CreateAluaGroup)
    def _CreateAluaGroup(self, change: C.CreateAluaGroup) -> list[Planned]:
        so = self._alua_so(change)
        for g in so.alua_groups or ():
            if g.name == change.group:
                raise PreconditionFailed(f"{change.group_label} already exists")
            if g.tg_pt_gp_id == change.tg_pt_gp_id:
                raise PreconditionFailed(f"ALUA group {g.name} of {change.plugin}/{change.name} has id "
                                         f"{change.tg_pt_gp_id} already")
        return [Planned(change, (C.DeleteAluaGroup(change.plugin, change.name, change.group),))]

    # -- ACLs and mapped LUNs ---------------------------------------------

    @PLANS.step(C.CreateAcl)
    def _CreateAcl(self, change: C.CreateAcl) -> list[Planned]:
        tpg = _need_tpg(self.config, change)
        if find_acl(tpg, change.initiator) is not None:
            raise PreconditionFailed(f"{change.acl_label} already exists")
        out = [Planned(replace(change, map_all_luns=False, acl_tag=None),
                       (C.DeleteAcl(change.target, change.tpg, change.initiator, fabric=change.fabric),))]
        if change.acl_tag:
            out.append(Planned(C.SetAclTag(change.target, change.tpg, change.initiator, change.acl_tag,
                                           fabric=change.fabric)))
        if change.map_all_luns:
            for lun in sorted(tpg.luns, key=lambda x: x.index):
                m = C.CreateMappedLun(change.target, change.tpg, change.initiator, lun.index, lun.index,
                                      fabric=change.fabric)
                out.append(Planned(m, (C.DeleteMappedLun(change.target, change.tpg, change.initiator,
                                                         lun.index, fabric=change.fabric),)))
        return out

    @PLANS.step(C.SetAclTag)
    def _SetAclTag(self, change: C.SetAclTag) -> list[Planned]:
        acl = _need_acl(self.config, change)
        _changed_meanwhile(change, change.expect, acl.tag or "", lambda v: repr(v) if v else "no tag")
        if (acl.tag or None) == change.acl_tag:
            return [Planned(change, unchanged=True)]
        return [Planned(change, (replace(change, acl_tag=acl.tag or None, expect=None),))]

    @PLANS.step(C.SetAclCmdsnDepth)
    def _SetAclCmdsnDepth(self, change: C.SetAclCmdsnDepth) -> list[Planned]:
        acl = _need_acl(self.config, change)
        current = acl.cmdsn_depth
        if change.expect is not None and current != change.expect:
            raise PreconditionFailed(f"changed meanwhile: it was {change.expect} when shown and is now {current}; "
                                     "nothing was written")
        if current == change.depth:
            return [Planned(change, unchanged=True)]
        undo = (replace(change, depth=current, expect=None),) if current else ()
        return [Planned(change, undo)]

    @PLANS.step(C.SetAclAuth)
    def _SetAclAuth(self, change: C.SetAclAuth) -> list[Planned]:
        acl = _need_acl(self.config, change)
        return self._auth(change, _auth_chap(acl.auth))

    @PLANS.step(C.CreateMappedLun)
    def _CreateMappedLun(self, change: C.CreateMappedLun) -> list[Planned]:
        tpg = _need_tpg(self.config, change)
        acl = _need_acl(self.config, change)
        if any(m.index == change.index for m in acl.mapped_luns):
            raise PreconditionFailed(f"{change.subject} already exists")
        if not any(lun.index == change.tpg_lun for lun in tpg.luns):
            raise PreconditionFailed(f"LUN {change.tpg_lun} of {change.tpg_label} does not exist")
        note = None
        if any(m.tpg_lun == change.tpg_lun for m in acl.mapped_luns):
            note = f"LUN {change.tpg_lun} was already mapped to this initiator: it will see it twice"
        return [Planned(change, (C.DeleteMappedLun(change.target, change.tpg, change.initiator, change.index,
                                                   fabric=change.fabric),), note=note)]

    @PLANS.step(C.SetMappedLunWriteProtect)
    def _SetMappedLunWriteProtect(self, change: C.SetMappedLunWriteProtect) -> list[Planned]:
        acl = _need_acl(self.config, change)
        m = next((m for m in acl.mapped_luns if m.index == change.index), None)
        if m is None:
            raise PreconditionFailed(f"{change.subject} does not exist")
        _changed_meanwhile(change, change.expect, m.write_protect, lambda v: "read-only" if v else "read-write")
        if m.write_protect == change.write_protect:
            return [Planned(change, unchanged=True)]
        return [Planned(change, (replace(change, write_protect=m.write_protect, expect=None),))]

    # -- portals -------------------------------------------------------------

    @PLANS.step(C.CreatePortal)
    def _CreatePortal(self, change: C.CreatePortal) -> list[Planned]:
        tpg = _need_tpg(self.config, change)
        if any((p.ip_address, p.port) == (change.address, change.port) for p in tpg.portals):
            raise PreconditionFailed(f"{change.subject} already exists")
        out = [Planned(replace(change, iser=False, offload=False),
                       (C.DeletePortal(change.target, change.tpg, change.address, change.port),))]
        for flag, on in (("iser", change.iser), ("offload", change.offload)):
            if on:
                f = C.SetPortalFlag(change.target, change.tpg, change.address, change.port, flag, True)
                out.append(Planned(f, (replace(f, on=False),)))
        return out

    @PLANS.step(C.SetPortalFlag)
    def _SetPortalFlag(self, change: C.SetPortalFlag) -> list[Planned]:
        tpg = _need_tpg(self.config, change)
        p = next((p for p in tpg.portals if (p.ip_address, p.port) == (change.address, change.port)), None)
        if p is None:
            raise PreconditionFailed(f"{change.subject} does not exist")
        current = p.iser if change.flag == "iser" else p.offload
        _changed_meanwhile(change, change.expect, bool(current), lambda v: f"{change.flag} {_onoff(v)}")
        if current == change.on:
            return [Planned(change, unchanged=True)]
        return [Planned(change, (replace(change, on=current, expect=None),))]


def _safe_alias(alias: str | None) -> str | None:
    """A link name read from configfs, kept for the undo if it passes the name rules."""
    if not alias:
        return None
    try:
        return C._alias(alias, "alias")
    except InvalidValue:
        return None
