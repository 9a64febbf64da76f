"""What a write reports: its refusals, its errors explained, and each step's outcome.

:meth:`sanctl.lio.writer.Writer.apply` refuses with :class:`WriteRefused`
(read-only, locked) and otherwise returns an :class:`ApplyReport`; a kernel
or rtslib-fb error becomes a :class:`WriteError` naming the object and the
cause in words (:func:`explain`). Callers that only read a report (the save
guard, the UI) import this module, not the writer.

No Textual here, and no I/O.
"""

from __future__ import annotations

import errno as E
import os
from dataclasses import dataclass

from sanctl.errors import SanctlError
from sanctl.lio import changes as C
from sanctl.lio.lock import LockBusy, LockHeldByUser

# ---------------------------------------------------------------------------
# Errors and refusals
# ---------------------------------------------------------------------------


class WriteRefused(SanctlError):
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


class PreconditionFailed(SanctlError):
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
    if isinstance(exc, SanctlError) and str(exc):  # meant for the operator as it is
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


def touched_scope(report: ApplyReport) -> C.Scope | None:
    """What an :class:`~sanctl.lio.writer.ApplyReport` may have changed, as a
    :class:`~sanctl.lio.changes.Scope` — or ``None`` when only a full read can tell.

    Each executed step names its target or backstore; a delete's cascade is
    made of such steps. A rolled-back transaction changed nothing; one whose
    undo failed, and the rare step touching every target (an ALUA group's
    delete moves LUNs anywhere), need a full read.
    """
    if report.outcome in (NOTHING_TO_DO, ROLLED_BACK_ALL):
        return C.Scope()
    if report.outcome != COMPLETED:
        return None
    scope = C.Scope()
    for step in report.steps:
        change = step.change
        if isinstance(change, C.DeleteStorageObject):  # its LUNs are steps of their own
            scope = scope | C.Scope(storage_objects=frozenset({change.key}))
            continue
        part = change.scope()
        if part.all_targets or part.all_storage_objects:
            return None
        scope = scope | part
    return scope
