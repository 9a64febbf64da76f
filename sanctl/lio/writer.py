"""The writer: applies changes to the LIO configuration as one transaction.

Two implementations share this module's logic —
:class:`sanctl.lio.rtslib_writer.RtslibWriter` (the real kernel, through
rtslib-fb) and :class:`sanctl.sim.writer.SimWriter` (the demo SAN's simulated
kernel) — and differ only in how one primitive step is executed.

:meth:`Writer.apply` does, for a sequence of :mod:`~sanctl.lio.changes`:

1. refuse at once in read-only mode (:class:`ReadOnlyError`, the reason
   given) — checked here, whatever the UI did;
2. take targetcli's lock for the duration of the write only
   (:mod:`sanctl.lio.lock`); if someone holds it, say who
   (:class:`LockedError`) instead of waiting;
3. for each change: re-read the part of configfs it touches, check that its
   preconditions still hold (the object exists or not, the dependents the
   confirmation listed are still exactly those, a setting still has the
   value the form showed) and plan its primitive steps — a delete becomes
   its whole cascade, a LUN its mapped LUNs in every ACL — each with the
   step that undoes it, computed from what was just read;
4. execute the steps; on the first failure undo every step done, in
   reverse order, and report which were rolled back and any undo that
   itself failed.

Nothing raises out of ``apply`` but the two refusals above: a kernel or
rtslib-fb error becomes a :class:`WriteError` naming the object and the
cause, in an :class:`ApplyReport`. Saving is never implicit: nothing here
writes saveconfig.json (see :mod:`sanctl.lio.savefile`).

No Textual here.
"""

from __future__ import annotations

import contextlib
import errno as E
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sanctl.model import Auth, SanConfig, Settings, StorageObject, Tpg
from sanctl.names import InvalidValue
from sanctl.lio import changes as C
from sanctl.lio import configfs as cf
from sanctl.lio import journal as J
from sanctl.lio import rebuild
from sanctl.lio.impact import find_acl, find_target, find_tpg, impact
from sanctl.lio.steps import StepTable
from sanctl.lio.lock import DEFAULT_TIMEOUT, LockBusy, LockHeldByUser, targetcli_lock

# ---------------------------------------------------------------------------
# Errors and refusals
# ---------------------------------------------------------------------------


class WriteRefused(Exception):
    """Nothing was tried: the writer may not write now. ``str()`` says why."""


class ReadOnlyError(WriteRefused):
    def __init__(self, reason: str | None) -> None:
        self.reason = reason or "read-only"
        super().__init__(f"Read-only: {self.reason}. Nothing was changed.")


class LockedError(WriteRefused):
    """targetcli's lock is held by someone else (``holders``: pid and command)."""

    def __init__(self, busy: LockBusy) -> None:
        self.holders = busy.holders
        self.path = busy.path
        #: Held by no process of root's: the operator may go ahead without it (``ignore_user_locks``).
        self.by_user = isinstance(busy, LockHeldByUser)
        super().__init__(busy.message)


class PreconditionFailed(Exception):
    """A change cannot be applied to the configuration as it is now."""


@dataclass(frozen=True, slots=True)
class WriteError:
    """A failed step: which object, and why (never a traceback)."""

    subject: str
    cause: str
    #: True when configfs changed since the operator looked (or the object is not as expected).
    conflict: bool = False

    def __str__(self) -> str:
        return f"{self.subject}: {self.cause}"


_ERRNO_WORDS = {
    E.EEXIST: "already exists",
    E.EBUSY: "is in use",
    E.ENOTEMPTY: "still has objects in it",
    E.EINVAL: "the kernel refused the value",
    E.ENOENT: "does not exist",
    E.ENODEV: "no such device",
    E.EACCES: "permission denied (changes need root)",
    E.EPERM: "not permitted (changes need root)",
    E.EADDRINUSE: "the address and port are already in use by another listener",
    E.EADDRNOTAVAIL: "that address is not configured on this host",
    E.ENOSPC: "no space left",
    E.EROFS: "read-only file system",
}


def explain(exc: BaseException) -> str:
    """A kernel, rtslib-fb or internal error as one sentence."""
    if isinstance(exc, OSError) and exc.errno is not None:
        name = E.errorcode.get(exc.errno, str(exc.errno))
        text = exc.strerror or os.strerror(exc.errno)
        word = _ERRNO_WORDS.get(exc.errno)
        if word and not text.lower().startswith(word):
            return f"{word} ({name}: {text})"
        return f"{text} ({name})"
    if type(exc).__name__.startswith("RTSLib"):
        return str(exc) or type(exc).__name__
    if isinstance(exc, (InvalidValue, PreconditionFailed, rebuild.RebuildError, cf.ConfigfsNotFound)):
        return str(exc)
    if isinstance(exc, ImportError):
        return f"rtslib-fb is not available ({exc}); install it (pip install rtslib-fb, or python3-rtslib-fb)"
    return f"internal error ({type(exc).__name__}: {exc})"


# ---------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------

DONE = "done"
UNCHANGED = "unchanged"
FAILED = "failed"
ROLLED_BACK = "rolled back"
UNDO_FAILED = "undo failed"

COMPLETED = "completed"
ROLLED_BACK_ALL = "rolled back"
ROLLBACK_INCOMPLETE = "rollback incomplete"
NOTHING_TO_DO = "nothing to do"


@dataclass(frozen=True, slots=True)
class Step:
    """One primitive step of a transaction and what became of it."""

    change: C.Change
    parent: int  #: index of the requested change it belongs to
    status: str
    error: str | None = None
    note: str | None = None

    def line(self) -> str:
        text = f"[{self.status}] {self.change.describe()}"
        if self.note:
            text += f" ({self.note})"
        if self.error:
            text += f": {self.error}"
        return text


@dataclass(frozen=True, slots=True)
class ApplyReport:
    """What :meth:`Writer.apply` did."""

    changes: tuple[C.Change, ...]
    steps: tuple[Step, ...]
    outcome: str
    error: WriteError | None = None
    undo_errors: tuple[WriteError, ...] = ()
    failed_change: int | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in (COMPLETED, NOTHING_TO_DO)

    @property
    def changed_anything(self) -> bool:
        """Whether configfs is now different (completed, or an undo failed)."""
        if self.outcome == ROLLBACK_INCOMPLETE:
            return True
        return self.outcome == COMPLETED and any(s.status == DONE for s in self.steps)

    def message(self) -> str:
        """One sentence for the status line."""
        done = sum(1 for s in self.steps if s.status in (DONE, ROLLED_BACK, UNDO_FAILED))
        if self.outcome == NOTHING_TO_DO:
            return "Nothing to do."
        if self.outcome == COMPLETED:
            n = len(self.changes)
            if not any(s.status == DONE for s in self.steps):
                return "Nothing changed: the configuration already was like that."
            return f"Done: {n} change{'s' if n != 1 else ''} applied ({done} step{'s' if done != 1 else ''})."
        where = ""
        if self.failed_change is not None and len(self.changes) > 1:
            where = f"change {self.failed_change + 1} of {len(self.changes)} failed — "
        if self.outcome == ROLLED_BACK_ALL:
            undone = sum(1 for s in self.steps if s.status == ROLLED_BACK)
            tail = f"; the {undone} step{'s' if undone != 1 else ''} already done were undone" if undone else ""
            return f"Nothing changed: {where}{self.error}{tail}."
        return (f"FAILED, and the undo failed too: {where}{self.error}; "
                f"{len(self.undo_errors)} step(s) could not be undone ({'; '.join(map(str, self.undo_errors))}). "
                "The configuration is partly changed: check it.")

    def lines(self) -> list[str]:
        return [self.message(), *(f"  {s.line()}" for s in self.steps)]

    def targetcli(self) -> list[str]:
        """What was done, as targetcli lines (completed steps only)."""
        return C.targetcli_script([s.change for s in self.steps if s.status == DONE])


# ---------------------------------------------------------------------------
# Reading the part of configfs a change touches
# ---------------------------------------------------------------------------


def read_scope(root: str, scope: C.Scope) -> SanConfig:
    """The configuration with details, limited to the targets and backstores in ``scope``.

    Every loaded fabric is listed (with its discovery auth); only the targets
    named are read, so checking a change on a big host reads one target, not
    all of them.
    """
    return cf.read_config(
        root,
        details=True,
        targets=None if scope.all_targets else scope.targets,
        storage_objects=None if scope.all_storage_objects else scope.storage_objects,
    )


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
        raise PreconditionFailed(f"there is no ACL for {change.initiator} in {change.tpg_label}")
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


def _setting_change(change, current: str | None, what: str, make_undo) -> list[Planned]:
    if current is None:
        raise PreconditionFailed(f"{what} does not exist here")
    expect = getattr(change, "expect", None)
    if expect is not None and str(expect) != current:
        raise PreconditionFailed(
            f"changed meanwhile: it was {expect} when shown and is now {current}; nothing was written")
    if current == change.value:
        return [Planned(change, unchanged=True)]
    return [Planned(change, (make_undo(current),))]


#: The planner's step for each change type an operator can ask for.
PLANS = StepTable("planner")


class Planner:
    """Turns one change into primitive steps against ``config`` (read just before)."""

    def __init__(self, writer: Writer, config: SanConfig) -> None:
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

    @PLANS.step(C.SetStorageObjectAttribute)
    def _SetStorageObjectAttribute(self, change: C.SetStorageObjectAttribute) -> list[Planned]:
        so = self.config.storage_object(change.key)
        if so is None:
            raise PreconditionFailed(f"backstore {change.plugin}/{change.name} does not exist")
        item = so.attributes.get(change.attribute) if so.attributes else None
        if item is not None and not item.writable:
            raise PreconditionFailed(f"{change.attribute} is read-only")
        return _setting_change(change, None if item is None else item.value, change.subject,
                               lambda old: replace(change, value=old, expect=None))

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

    @PLANS.step(C.SetTpgAttribute)
    def _SetTpgAttribute(self, change: C.SetTpgAttribute) -> list[Planned]:
        tpg = _need_tpg(self.config, change)
        return _setting_change(change, _setting(tpg.attributes, change.attribute), change.subject,
                               lambda old: replace(change, value=old, expect=None))

    @PLANS.step(C.SetTpgParameter)
    def _SetTpgParameter(self, change: C.SetTpgParameter) -> list[Planned]:
        tpg = _need_tpg(self.config, change)
        return _setting_change(change, _setting(tpg.parameters, change.parameter), change.subject,
                               lambda old: replace(change, value=old, expect=None))

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

    @PLANS.step(C.SetAluaGroupParameter)
    def _SetAluaGroupParameter(self, change: C.SetAluaGroupParameter) -> list[Planned]:
        so = self._alua_so(change)
        group = next((g for g in so.alua_groups or () if g.name == change.group), None)
        if group is None:
            raise PreconditionFailed(f"{change.group_label} does not exist")
        raw = group.settings.value(change.parameter)
        if raw is None:
            raise PreconditionFailed(f"{change.subject} cannot be read")
        current = str(C.alua_number(change.parameter, raw))
        if change.expect is not None and str(C.alua_number(change.parameter, change.expect)) != current:
            raise PreconditionFailed(f"changed meanwhile: it was {change.expect} when shown and is now {raw}; "
                                     "nothing was written")
        if current == change.value:
            return [Planned(change, unchanged=True)]
        undo = [replace(change, value=current, expect=None)]
        if change.parameter == "alua_access_state":  # an implicit transition also sets the status
            status = group.settings.value("alua_access_status")
            if status is not None:
                undo.append(replace(change, parameter="alua_access_status",
                                    value=str(C.alua_number("alua_access_status", status)), expect=None))
        return [Planned(change, tuple(undo))]

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

    @PLANS.step(C.SetAclAttribute)
    def _SetAclAttribute(self, change: C.SetAclAttribute) -> list[Planned]:
        acl = _need_acl(self.config, change)
        return _setting_change(change, _setting(acl.attributes, change.attribute), change.subject,
                               lambda old: replace(change, value=old, expect=None))

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


# ---------------------------------------------------------------------------
# One transaction's progress
# ---------------------------------------------------------------------------


class _Run:
    """The steps done so far, their undo, and the journal they are written to."""

    def __init__(self, writer: Writer, changes: tuple[C.Change, ...]) -> None:
        self.writer = writer
        self.changes = changes
        self.steps: list[Step] = []
        #: (index in steps, undo actions, index in the journal or None, uncertain)
        self.undo: list[tuple[int, tuple[C.Change, ...], int | None, bool]] = []
        self.journal: J.Journal | None = None
        self.error: WriteError | None = None
        self.failed_change: int | None = None

    def fail(self, parent: int, error: WriteError) -> None:
        self.error = error
        self.failed_change = parent

    def kept(self, js: J.JournalStep, slot: int) -> None:
        """A step done before an interruption: reported, and undone if the rest fails."""
        self.steps.append(Step(js.change, js.parent, DONE, note="done before the interruption"))
        self.undo.append((len(self.steps) - 1, js.undo, slot, False))

    def execute(self, change: C.Change, parent: int, undo: tuple[C.Change, ...], slot: int | None,
                note: str | None = None, *, uncertain: bool = False) -> bool:
        """Run one step (journaled as done once it ran); False, with the error recorded, when it fails.

        ``uncertain``: the step was being executed when sanctl was killed; if
        it fails now, it is taken as done then (the kernel says it exists or
        is gone already).
        """
        journal = self.journal
        try:
            try:
                self.writer.execute(change)
            except Exception as exc:
                if not uncertain:
                    raise
                note = f"already done before the interruption ({explain(exc)})"
            if journal is not None and slot is not None:
                journal.mark(slot, J.DONE)
        except J.JournalError as exc:
            self.steps.append(Step(change, parent, FAILED, str(exc), note))
            self.undo.append((len(self.steps) - 1, undo, slot, True))  # it may have run: undo it, tolerantly
            self.fail(parent, WriteError(change.subject, str(exc)))
            return False
        except Exception as exc:
            self.error = WriteError(change.subject, explain(exc))
            self.steps.append(Step(change, parent, FAILED, str(self.error.cause), note))
            self.failed_change = parent
            return False
        self.steps.append(Step(change, parent, DONE, note=note))
        self.undo.append((len(self.steps) - 1, undo, slot, False))
        return True


# ---------------------------------------------------------------------------
# The writer
# ---------------------------------------------------------------------------


class Writer:
    """Applies changes as transactions; subclasses execute one primitive step.

    ``root`` is the filesystem root (``/`` for the real kernel, the demo
    tree's root otherwise); ``readonly_reason`` not None makes every write
    raise :class:`ReadOnlyError` with it. Calls block while they write (a
    UI runs them in a worker thread); one transaction runs at a time per
    writer, and targetcli's lock keeps other processes out meanwhile.
    """

    #: "real" or "demo": where saves go and what the UI calls it.
    mode = "real"

    def __init__(self, root: str = "/", *, readonly_reason: str | None = None,
                 lock_timeout: float = DEFAULT_TIMEOUT) -> None:
        self.root = root
        self.readonly_reason = readonly_reason
        self.lock_timeout = lock_timeout
        #: Write even when targetcli's lock is held by a process that is not root's (--force, or confirmed).
        self.ignore_user_locks = False
        self._lock_depth = 0
        #: One transaction at a time per writer (threads of this process wait their turn).
        self._mutex = threading.RLock()

    # -- state -------------------------------------------------------------

    @property
    def readonly(self) -> bool:
        return self.readonly_reason is not None

    def check_writable(self) -> None:
        if self.readonly_reason is not None:
            raise ReadOnlyError(self.readonly_reason)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold targetcli's lock (re-entrant within this writer). Raises LockedError."""
        self.check_writable()
        with self._mutex:
            if self._lock_depth:
                self._lock_depth += 1
                try:
                    yield
                finally:
                    self._lock_depth -= 1
                return
            try:
                lock = targetcli_lock(self.root, timeout=self.lock_timeout, force=self.ignore_user_locks)
                lock.__enter__()
            except LockBusy as busy:
                raise LockedError(busy) from None
            self._lock_depth = 1
            try:
                yield
            finally:
                self._lock_depth = 0
                lock.__exit__(None, None, None)

    def read(self, scope: C.Scope = C.EVERYTHING) -> SanConfig:
        """The configuration as configfs holds it now (details read), limited to ``scope``."""
        return read_scope(self.root, scope)

    # -- the transaction ---------------------------------------------------

    def apply(self, changes: Sequence[C.Change]) -> ApplyReport:
        """Apply ``changes`` in order, all or nothing. See the module docstring."""
        changes = tuple(changes)
        for change in changes:
            if not isinstance(change, C.Change):
                raise TypeError(f"not a Change: {change!r}")
        self.check_writable()
        if not changes:
            return ApplyReport((), (), NOTHING_TO_DO)
        with self.locked():
            session = self.session()
            try:
                session.__enter__()
            except Exception as exc:  # rtslib-fb missing, configfs gone: a report, not a traceback
                error = WriteError("the LIO target", f"cannot open it: {explain(exc)}")
                return ApplyReport(changes, (), ROLLED_BACK_ALL, error, (), 0)
            try:
                return self._transaction(changes)
            finally:
                session.__exit__(None, None, None)

    def _transaction(self, changes: tuple[C.Change, ...], resume: J.Unfinished | None = None) -> ApplyReport:
        """Plan and execute each change; journaled when it takes more than one step (see :mod:`.journal`).

        ``resume``: an interrupted transaction's journal — its done steps are
        kept (and undone on failure), its planned steps run first, then the
        changes after the one it was in.
        """
        run = _Run(self, changes)
        start = 0
        if resume is not None:
            run.journal = J.Journal.resume(self.root, resume)
            start = resume.planned
            leftover = []
            for index, js in enumerate(resume.steps):
                if js.state == J.DONE:
                    run.kept(js, index)
                elif js.state in (J.PENDING, J.STARTED):
                    leftover.append((index, js))
            for index, js in leftover:
                if not run.execute(js.change, js.parent, js.undo, index, None,
                                   uncertain=js.state == J.STARTED):
                    break
        for i in range(start, len(changes)):
            if run.error is not None:
                break
            change = changes[i]
            try:
                planned = Planner(self, self.read(change.scope())).plan(change)
                todo = [p for p in planned if not p.unchanged]
                if run.journal is None and (len(changes) > 1 or len(todo) > 1):
                    run.journal = J.Journal.begin(self.root, changes)
                slots = iter(run.journal.plan(i, [(p.change, p.undo) for p in todo]) if run.journal else ())
            except (PreconditionFailed, InvalidValue, rebuild.RebuildError) as exc:
                run.fail(i, WriteError(change.subject, str(exc), conflict=isinstance(exc, PreconditionFailed)))
                break
            except J.JournalError as exc:
                run.fail(i, WriteError(change.subject, f"{exc}; nothing of it was done"))
                break
            except Exception as exc:  # reading configfs, planning: never a traceback
                run.fail(i, WriteError(change.subject, explain(exc)))
                break
            for p in planned:
                if p.unchanged:
                    run.steps.append(Step(p.change, i, UNCHANGED, note=p.note))
                elif not run.execute(p.change, i, p.undo, next(slots, None), p.note):
                    break
        if run.error is None:
            if run.journal is not None:
                run.journal.close()
            return ApplyReport(changes, tuple(run.steps), COMPLETED)
        undo_errors = self._rollback(run.steps, run.undo, run.journal)
        outcome = ROLLBACK_INCOMPLETE if undo_errors else ROLLED_BACK_ALL
        return ApplyReport(changes, tuple(run.steps), outcome, run.error, tuple(undo_errors), run.failed_change)

    def _rollback(self, steps: list[Step], undo: list[tuple], journal: J.Journal | None = None) -> list[WriteError]:
        """Undo the done steps, newest first. ``undo`` holds (step index, undo actions[, journal index, uncertain]).

        An uncertain step (sanctl was killed while executing it) whose undo
        fails is taken as never done. The journal goes when all is undone,
        and stays (with what is left) when an undo fails.
        """
        errors: list[WriteError] = []
        if journal is not None and undo:
            with contextlib.suppress(J.JournalError):
                journal.rolling_back()
        for entry in reversed(undo):
            index, actions = entry[0], entry[1]
            slot = entry[2] if len(entry) > 2 else None
            uncertain = entry[3] if len(entry) > 3 else False
            failed = None
            if not actions:
                failed = WriteError(steps[index].change.subject, "cannot be undone (no record of it)")
            for action in actions:
                try:
                    self.execute(action)
                except Exception as exc:
                    failed = WriteError(action.subject, explain(exc))
                    break
            if failed is not None and uncertain:
                failed = None
                steps[index] = replace(steps[index], note="it had not been done before the interruption")
            if failed is None:
                steps[index] = replace(steps[index], status=ROLLED_BACK)
                if journal is not None and slot is not None:
                    with contextlib.suppress(J.JournalError):
                        journal.mark(slot, J.UNDONE)
            else:
                errors.append(failed)
                steps[index] = replace(steps[index], status=UNDO_FAILED, error=failed.cause)
        if journal is not None and not errors:
            journal.close()
        return errors

    # -- an interrupted transaction (its journal) ----------------------------

    def unfinished(self) -> J.Unfinished | None:
        """The transaction a killed sanctl left half done here, or None (:class:`~.journal.JournalError`: unreadable)."""
        return J.read(self.root)

    def finish(self, record: J.Unfinished) -> ApplyReport:
        """Complete an interrupted transaction: its planned steps, then the changes after; all undone on failure."""
        self.check_writable()
        if record.rolling_back:
            raise WriteRefused("It was interrupted while being rolled back: it can only be undone. Nothing was changed.")
        return self._recover(record, lambda: self._transaction(record.changes, resume=record))

    def undo(self, record: J.Unfinished) -> ApplyReport:
        """Undo what an interrupted transaction did, newest step first; the journal goes when all is undone."""
        self.check_writable()

        def work() -> ApplyReport:
            steps: list[Step] = []
            undo: list[tuple] = []
            done = [i for i, js in enumerate(record.steps) if js.state == J.DONE]
            # killed while rolling back: the newest step not yet marked undone may be undone already
            midway = done[-1] if record.rolling_back and done else None
            for index, js in enumerate(record.steps):
                if js.state in (J.DONE, J.STARTED):
                    steps.append(Step(js.change, js.parent, DONE))
                    undo.append((len(steps) - 1, js.undo, index, js.state == J.STARTED or index == midway))
            journal = J.Journal.resume(self.root, record)
            if not undo:
                journal.close()
                return ApplyReport(record.changes, (), NOTHING_TO_DO)
            errors = self._rollback(steps, undo, journal)
            outcome = ROLLBACK_INCOMPLETE if errors else ROLLED_BACK_ALL
            error = WriteError("the interrupted change", "undone on request")
            return ApplyReport(record.changes, tuple(steps), outcome, error, tuple(errors), record.current)

        return self._recover(record, work)

    def _recover(self, record: J.Unfinished, work) -> ApplyReport:
        with self.locked():
            current = J.read(self.root)
            if current is None or current.raw != record.raw:
                raise WriteRefused("The interrupted change's journal changed or is gone (finished or undone "
                                   "meanwhile?). Nothing was changed.")
            session = self.session()
            try:
                session.__enter__()
            except Exception as exc:
                error = WriteError("the LIO target", f"cannot open it: {explain(exc)}")
                return ApplyReport(record.changes, (), ROLLED_BACK_ALL, error, (), 0)
            try:
                return work()
            finally:
                session.__exit__(None, None, None)

    # -- what subclasses provide -------------------------------------------

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        """Around one transaction (the sim attaches its kernel, rtslib-fb opens its root)."""
        yield

    def execute(self, change: C.Change) -> None:
        """Execute one primitive step (exactly one configfs object)."""
        raise NotImplementedError

    def backing_file(self, path: str) -> tuple[str, int]:
        """``("missing"|"file"|"block"|"other", size)`` of a fileio path."""
        raise NotImplementedError

    def available_fabrics(self, config: SanConfig | None = None) -> tuple[str, ...]:
        """The fabrics a target can be created in: loaded, or whose module this kernel has.

        rtslib-fb loads a fabric's module when its first target is created
        (``FabricModule``), so a module on disk is enough.
        """
        loaded = [f.name for f in config.fabrics] if config is not None else []
        out = list(loaded)
        for fabric, module in FABRIC_MODULES.items():
            if fabric not in out and kernel_has_module(self.root, module):
                out.append(fabric)
        return tuple(out)

    def dump(self) -> dict[str, Any]:
        """The running configuration as saveconfig.json holds it."""
        from sanctl.lio.saveconfig import dump

        return dump(cf.read_config(self.root, details=True))

    def restore(self, data: Mapping, *, target: str | None = None) -> list[str]:
        """Replace the running configuration (or one target) with ``data``; the errors, per object."""
        raise NotImplementedError


#: The kernel module of each fabric rtslib-fb knows (the ones a form may create targets in first).
FABRIC_MODULES = {"iscsi": "iscsi_target_mod", "loopback": "tcm_loop", "vhost": "vhost_scsi"}


def kernel_has_module(root: str, module: str) -> bool:
    """Whether ``module`` is loaded or installed for the running kernel (under ``root``)."""
    if os.path.isdir(os.path.join(root, "sys", "module", module)):
        return True
    try:
        release = os.uname().release if root in ("", "/") else None
    except AttributeError:  # pragma: no cover - not POSIX
        return False
    if release is None:
        return False
    for name in ("modules.dep", "modules.builtin"):
        try:
            with open(os.path.join("/lib/modules", release, name), encoding="utf-8", errors="replace") as handle:
                if any(line.split(":", 1)[0].rsplit("/", 1)[-1].split(".ko", 1)[0].replace("-", "_") == module
                       for line in handle):
                    return True
        except OSError:
            continue
    return False


def path_kind(path: str) -> tuple[str, int]:
    """What :meth:`Writer.backing_file` answers for a real path."""
    import stat as S

    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "missing", 0
    if S.S_ISREG(st.st_mode):
        return "file", st.st_size
    if S.S_ISBLK(st.st_mode):
        return "block", 0
    return "other", 0


def create_backing_file(path: str, size: int, sparse: bool) -> None:
    """Create a new fileio file as targetcli does: ``ftruncate`` (sparse) or ``posix_fallocate``."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        if sparse:
            os.ftruncate(fd, size)
        else:
            os.posix_fallocate(fd, 0, size)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise
    os.close(fd)


def writer_for(source) -> Writer:
    """The writer for a :class:`sanctl.startup.Source`: rtslib-fb for the kernel, the sim for the demo.

    A captured tree gets a writer that is read-only with the source's reason.
    """
    reason = source.readonly_reason if source.readonly else None
    if source.mode == "demo":
        from sanctl.sim.writer import SimWriter

        return SimWriter(source.root, readonly_reason=reason)
    if source.mode == "real":
        from sanctl.lio.rtslib_writer import RtslibWriter

        return RtslibWriter(source.root, readonly_reason=reason)
    return _NoWriter(source.root, readonly_reason=reason or "reading a captured tree, not the running kernel")


class _NoWriter(Writer):
    """A writer that never writes (captured trees)."""

    mode = "captured"

    def available_fabrics(self, config: SanConfig | None = None) -> tuple[str, ...]:
        return tuple(f.name for f in config.fabrics) if config is not None else ()

    def execute(self, change: C.Change) -> None:  # pragma: no cover - check_writable refuses first
        raise ReadOnlyError(self.readonly_reason)

