"""Apply: the plan as one transaction, then save, the boot service, the firewall.

:class:`ApplyRun` does, blocking (the screen runs it in a worker thread and
shows each :class:`Phase` as it changes):

1. the plan's changes as **one** writer transaction — every group done, or
   every step undone (:meth:`~sanctl.lio.writer.Writer.apply` rolls back
   on the first failure); progress is reported per group as the writer
   executes each primitive step, and the undo steps are reported too;
2. **save** the running configuration for boot, the previous file kept as a
   backup (:func:`sanctl.lio.savefile.save`);
3. **enable the boot-time restore service** under this distribution's name
   (``systemctl enable``, never ``--now``: starting it would restore the
   file over the running configuration);
4. **check the firewall** for the portal's port: whether it is open, and
   the command that opens it — run only when the operator asks
   (:func:`sanctl.setup.firewall.open_port`).

A failed transaction stops there: nothing is saved, nothing enabled, and
the configuration is as it was (directories created for new files are
removed again). A failed save or enable does not undo the configuration —
it works, and the phase says what to do.

Every change goes through what it is handed: the writer, and the probe of
the host (:mod:`sanctl.setup.probe`: directories, the save, the boot
service, the firewall). No Textual and no I/O of its own here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sanctl.errors import SanctlError
from sanctl.setup.checks import ENABLED_STATES, boot_unit
from sanctl.setup.firewall import FirewallStatus, check_firewall
from sanctl.setup.plan import Plan
from sanctl.lio import changes as C

if TYPE_CHECKING:
    from sanctl.setup.probe import HostProbe

PENDING = "pending"
RUNNING = "running"
DONE = "done"
FAILED = "failed"
ROLLED_BACK = "rolled back"
SKIPPED = "skipped"
WARNING = "warning"

LOOPBACK = ("127.0.0.1", "[::1]")


@dataclass(frozen=True, slots=True)
class Phase:
    key: str  #: group:N, save, boot, firewall
    title: str
    status: str = PENDING
    detail: str = ""


class ApplyRun:
    """One Apply. ``progress(phases)`` is called (from the calling thread) whenever a phase changes."""

    def __init__(self, plan: Plan, writer, probe: HostProbe, *, save_location=None,
                 progress: Callable[[list[Phase]], None] | None = None,
                 shown: Callable[[str], str] = lambda text: text) -> None:
        self.plan = plan
        self.writer = writer
        self.probe = probe
        self.save_location = save_location
        self.progress = progress or (lambda _phases: None)
        self.shown = shown
        self.phases: list[Phase] = [Phase(f"group:{i}", g.title) for i, g in enumerate(plan.groups)]
        self.phases += [Phase("save", "Save for boot"), Phase("boot", "Boot-time restore"),
                        Phase("firewall", f"Firewall, port {plan.port}/tcp")]
        self.report = None
        self.save_result = None
        self.unit = boot_unit(probe)
        self.firewall: FirewallStatus | None = None

    # -- phases ----------------------------------------------------------------
    def _set(self, key: str, status: str, detail: str | None = None) -> None:
        for i, phase in enumerate(self.phases):
            if phase.key == key:
                new = replace(phase, status=status, detail=phase.detail if detail is None else detail)
                if new != phase:
                    self.phases[i] = new
                    self.progress(list(self.phases))
                return

    def phase(self, key: str) -> Phase:
        return next(p for p in self.phases if p.key == key)

    @property
    def ok(self) -> bool:
        """The configuration is applied (whatever became of save, boot service and firewall)."""
        return self.report is not None and self.report.ok

    # -- the transaction -------------------------------------------------------
    def _owner(self) -> Callable[[C.Change], int]:
        """Primitive step -> the group it belongs to: the requested change it came from, tracked in order."""
        changes = self.plan.changes
        groups = self.plan.group_of()
        cursor = [0]

        def owner(step: C.Change) -> int:
            for j in range(cursor[0], len(changes)):
                want = changes[j]
                same_file = (getattr(step, "file", None) is not None and isinstance(want, C.CreateFileio)
                             and want.file == step.file)
                if step.cfs_path and want.cfs_path == step.cfs_path or same_file:
                    cursor[0] = j
                    break
            return groups[cursor[0]] if groups else 0

        return owner

    def _transaction(self) -> bool:
        writer = self.writer
        owner = self._owner()
        undoing = [False]
        original = writer.execute

        def execute(step: C.Change) -> None:
            if undoing[0]:
                self._set(f"group:{owner(step)}", RUNNING, f"undoing: {step.describe()}")
            else:
                self._set(f"group:{owner(step)}", RUNNING, step.describe())
            try:
                original(step)
            except BaseException:
                undoing[0] = True
                raise

        created = self._directories()
        if created is None:
            return False
        writer.execute = execute  # the writer calls self.execute for each step and each undo
        try:
            report = writer.apply(self.plan.changes)
        except Exception as exc:  # refused: read-only, or targetcli's lock held by someone
            self._remove(created)
            self._set("group:0", FAILED, str(exc))
            self._skip_rest("nothing was changed")
            return False
        finally:
            with contextlib.suppress(AttributeError):
                del writer.execute
        self.report = report
        self._final(report)
        if not report.ok:
            self._remove(created)
            self._skip_rest("nothing was changed" if not report.changed_anything else "the configuration is "
                                                                                     "partly changed: check it")
            return False
        return True

    def _directories(self) -> list[str] | None:
        created, error = self.probe.make_directories(self.plan.directories)
        if error is not None:
            self._remove(created)
            self._set("group:0", FAILED, error)
            self._skip_rest("nothing was changed")
            return None
        return created

    def _remove(self, created: list[str]) -> None:
        self.probe.remove_directories(created)

    def _final(self, report) -> None:
        from sanctl.lio import report as W

        groups = self.plan.group_of()
        by_group: dict[int, list] = {}
        for step in report.steps:
            by_group.setdefault(groups[step.parent] if step.parent < len(groups) else 0, []).append(step)
        for i, group in enumerate(self.plan.groups):
            steps = by_group.get(i, [])
            statuses = {s.status for s in steps}
            if W.FAILED in statuses:
                error = next(s.error for s in steps if s.status == W.FAILED)
                self._set(f"group:{i}", FAILED, f"{report.error or error}")
            elif W.UNDO_FAILED in statuses:
                self._set(f"group:{i}", FAILED, "could not be undone: " + "; ".join(
                    s.error or "" for s in steps if s.status == W.UNDO_FAILED))
            elif W.ROLLED_BACK in statuses:
                self._set(f"group:{i}", ROLLED_BACK, "undone")
            elif not report.ok and report.failed_change is not None and groups and \
                    groups[report.failed_change] == i:
                self._set(f"group:{i}", FAILED, str(report.error))
            elif steps and report.ok:
                n = len(group.changes)
                self._set(f"group:{i}", DONE, f"{n} operation{'s' if n != 1 else ''}")
            else:
                self._set(f"group:{i}", SKIPPED, "not run")

    def _skip_rest(self, why: str) -> None:
        for key in ("save", "boot", "firewall"):
            self._set(key, SKIPPED, why)

    # -- after the transaction -------------------------------------------------
    def _save(self) -> None:
        self._set("save", RUNNING, "")
        try:
            result = self.probe.save_config(self.writer, self.save_location)
        except (SanctlError, OSError) as exc:  # refused, or the file could not be written
            self._set("save", FAILED, f"{self.shown(str(exc))} — the configuration runs, but is not saved for boot: "
                                      "press s on the configuration screen to retry.")
            return
        self.save_result = result
        detail = f"saved to {self.shown(result.path)}"
        if result.backup:
            detail += f"; the previous file is kept as {self.shown(result.backup)}"
        for note in result.notes:
            detail += f". Note: {note}"
        self._set("save", DONE, detail)

    def _boot(self) -> None:
        unit = self.unit
        self._set("boot", RUNNING, "")
        state = self.probe.unit_state(unit)
        if state in ENABLED_STATES:
            self._set("boot", DONE, f"{unit} is {state}: the saved configuration comes back at boot.")
            return
        if state == "not-found":
            from sanctl.setup.checks import packages

            self._set("boot", WARNING, f"{unit} is not installed: nothing restores the configuration at boot. "
                                       f"Install it ({packages(self.probe.family())['target']}), then "
                                       f"systemctl enable {unit}.")
            return
        result = self.probe.enable_unit(unit)
        self._set("boot", DONE if result.ok else WARNING, result.message)

    def check_firewall(self) -> None:
        port = self.plan.port
        if self.plan.address in LOOPBACK:
            self.firewall = FirewallStatus("none", True, f"The portal listens on {self.plan.address} only: clients "
                                                         "on this host only, no firewall involved.")
        else:
            self._set("firewall", RUNNING, "")
            self.firewall = check_firewall(port, self.probe.firewall_runner())
        fw = self.firewall
        status = DONE if fw.open else WARNING
        detail = fw.detail
        if fw.commands and not fw.open:
            detail += " To open it: " + " && ".join(fw.commands)
        self._set("firewall", status, detail)

    def run(self) -> bool:
        """Everything, in order; whether the configuration was applied."""
        if not self._transaction():
            return False
        self._save()
        self._boot()
        self.check_firewall()
        return True

    def applied(self) -> dict[str, Any]:
        """What the Client step and a resumed wizard need to know."""
        save = self.phase("save")
        return {
            "target": self.plan.target,
            "address": self.plan.address,
            "port": self.plan.port,
            "phases": [{"key": p.key, "title": p.title, "status": p.status, "detail": p.detail}
                       for p in self.phases],
            "saved": save.status == DONE,
        }
