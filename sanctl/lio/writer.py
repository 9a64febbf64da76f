"""The writer: applies changes to the LIO configuration as one transaction.

Two implementations share this module's logic (each Host builds its own:
``host.target.writer()``) —
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
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from sanctl.model import SanConfig
from sanctl.names import InvalidValue
from sanctl.lio import changes as C
from sanctl.lio import configfs as cf
from sanctl.lio import journal as J
from sanctl.lio import rebuild
from sanctl.lio.planner import (  # noqa: F401  (re-exported: callers know them from here)
    PLANS,
    CreateBackingFile,
    Planned,
    Planner,
    RemoveBackingFile,
)
from sanctl.lio.report import (  # noqa: F401  (re-exported: callers know them from here)
    ApplyReport,
    COMPLETED,
    DONE,
    FAILED,
    LockedError,
    NOTHING_TO_DO,
    PreconditionFailed,
    ROLLBACK_INCOMPLETE,
    ROLLED_BACK,
    ROLLED_BACK_ALL,
    ReadOnlyError,
    Step,
    UNCHANGED,
    UNDO_FAILED,
    WriteError,
    WriteRefused,
    explain,
)
from sanctl.lio.lock import DEFAULT_TIMEOUT, LockBusy, targetcli_lock

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
    #: A running system is behind it (its live sessions can be read): not a captured tree.
    live = True

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


class NoWriter(Writer):
    """A writer that never writes (captured trees: not the running kernel)."""

    mode = "captured"
    live = False

    def available_fabrics(self, config: SanConfig | None = None) -> tuple[str, ...]:
        return tuple(f.name for f in config.fabrics) if config is not None else ()

    def execute(self, change: C.Change) -> None:  # pragma: no cover - check_writable refuses first
        raise ReadOnlyError(self.readonly_reason)

