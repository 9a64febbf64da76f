"""The TUI's doctor: one per app, evaluated in a thread worker, shown by the header badge and the panel.

When it evaluates (never on the UI thread, never two at once — a request
while one runs is remembered and runs after it):

- when the save state was checked (:meth:`DoctorService.save_state_checked`):
  after the first frame and after every write, save and restore — the
  configuration is read again (in full, mapped LUNs included) and the host's
  facts gathered again;
- at every live sample (:meth:`DoctorService.live_frame`, from the live
  service while a live panel or the doctor panel is on screen): only the rules
  run again, over the kept configuration and facts (the facts are gathered
  again when older than :data:`FACTS_TTL`);
- when asked (``r`` on the doctor panel), and when the panel is first opened:
  only from then on is iscsiadm asked for the node records (no process at
  start-up, no calls in the initiator tab's way).

The live state is not sampled for the doctor alone: until a live panel (or
the doctor's) has been shown, the findings that need sessions, counters or
logs are absent, and the panel says so.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from sanctl.ui.session import session_of

if TYPE_CHECKING:
    from textual.app import App

    from sanctl.doctor.findings import Report
    from sanctl.live.frame import LiveFrame

#: Host facts older than this are gathered again at the next live sample (seconds).
FACTS_TTL = 60.0
#: On live samples the rules run again at most this often (seconds of the live clock) while the
#: doctor panel is not on screen — the badge need not follow every second — and every sample while
#: it is, unless that would cost more than RULES_SHARE of one core.
LIVE_EVERY = 10.0
#: The share of one core the rules may take on live samples (their last run's time decides): half a percent.
RULES_SHARE = 0.005
_UNSET: Any = object()


class DoctorService:
    """The app's doctor: the last :class:`~sanctl.doctor.findings.Report` and how to get the next."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.session = session_of(app)
        self.host = self.session.host
        self.report: Report | None = None
        self.evaluations = 0
        #: The doctor panel while it is on screen (it is told of every new report).
        self.panel: Any = None
        self._observer: Any = None
        self._save_status: Any = _UNSET
        self._config: Any = None
        self._facts: Any = None
        self._facts_at = 0.0
        self._running = False
        self._pending: bool | None = None  #: a request made while one ran: refresh or not
        #: The live clock's reading when a live sample last ran the rules; how long they took then.
        self._live_at: float | None = None
        self._changes_seen: tuple[int, int] = (0, 0)
        self.rules_seconds = 0.0
        #: iscsiadm is asked for the node records only once the doctor panel has been opened: no
        #: process at start-up, and no calls in the initiator tab's way.
        self.initiator_checks = False

    # --- what the app tells it ---------------------------------------------------------

    def start(self) -> None:
        """The first evaluation, when nothing else will ask for one (a captured tree saves nothing)."""
        if not self.host.capabilities.has_live and self.report is None and not self._running:
            self.request(refresh=True)

    def save_state_checked(self, status: Any) -> None:
        """The configuration screen checked whether the running configuration is saved: after its first
        frame and after every write. ``status`` is its :class:`~sanctl.lio.savefile.SaveStatus` (or None)."""
        self._save_status = status
        self.request(refresh=True)

    def live_frame(self, frame: LiveFrame) -> None:
        """A live sample: the sessions, counters and log findings it shows are looked at.

        The observer takes every frame (it is what tells a flapping session);
        the rules run again when a session changed (logged in, out, or was
        replaced) or a connection error came, else every :data:`LIVE_EVERY`,
        and never more than :data:`RULES_SHARE` allows: on 1,000 steady
        sessions and 10,000 LUNs running them every second cost 13 % of a
        core (``bench/live_load.py``).
        """
        observer = self.observer
        observer.add(frame)
        sessions_changed = (observer.changes, frame.incidents_version) != self._changes_seen
        idle_wait = 0.0 if (self.panel is not None or sessions_changed) else LIVE_EVERY
        wait = max(idle_wait, self.rules_seconds / RULES_SHARE)
        if self._live_at is not None and frame.mono - self._live_at < wait:
            return
        self._live_at = frame.mono
        self._changes_seen = (observer.changes, frame.incidents_version)
        self.request(refresh=False)

    def recheck(self) -> None:
        self.request(refresh=True)

    def panel_opened(self) -> None:
        """The doctor panel is on screen: from now on the initiator's records are looked at too."""
        if not self.initiator_checks:
            self.initiator_checks = True
            self.request(refresh=True)

    @property
    def observer(self):
        if self._observer is None:
            from sanctl.doctor.observer import Observer

            self._observer = Observer()
        return self._observer

    # --- evaluating ------------------------------------------------------------------------

    def request(self, *, refresh: bool) -> None:
        if self._running:
            self._pending = bool(self._pending) or refresh
            return
        self._running = True
        snapshot = self._observer.snapshot() if self._observer is not None else None  # immutable, made here
        save_status = self._save_status

        def work() -> None:
            try:
                report = self._evaluate(refresh, snapshot, save_status)
            except Exception as exc:  # never a traceback: the panel says the doctor could not look
                report = exc
            self.app.call_from_thread(self._done, report)

        self.app.run_worker(work, thread=True, group="doctor", exit_on_error=False, description="doctor")

    def _iscsiadm(self) -> Any:
        if not self.initiator_checks:
            return None
        backend = getattr(self.app, "initiator_backend", None)
        if backend is not None:
            return backend.iscsiadm
        adm = getattr(self.app, "iscsiadm", None)
        return adm if adm is not None else _UNSET

    def _evaluate(self, refresh: bool, snapshot: Any, save_status: Any) -> Report:
        """In the worker thread: read, gather, run the rules."""
        from dataclasses import replace

        from sanctl.doctor import facts as F
        from sanctl.doctor.rules import evaluate

        if refresh or self._config is None:
            from sanctl.lio.errors import ConfigfsNotFound

            try:
                self._config = self.host.target.read_config()
            except ConfigfsNotFound:
                self._config = self.host.target.empty_config()
        config = self._config
        status = F._UNSET if save_status is _UNSET else save_status
        if refresh or self._facts is None or time.monotonic() - self._facts_at > FACTS_TTL:
            options: dict[str, Any] = {"host": self.host, "save_status": status}
            adm = self._iscsiadm()
            if adm is not _UNSET:
                options["iscsiadm"] = adm
            self._facts = F.gather(config, **options)
            self._facts_at = time.monotonic()
        elif status is not F._UNSET and self._facts.save_status is not status:
            self._facts = replace(self._facts, save_status=status)
        started = time.perf_counter()
        report = evaluate(config, snapshot, self._facts)
        self.rules_seconds = time.perf_counter() - started
        return report

    def _done(self, report: Any) -> None:
        self._running = False
        from sanctl.doctor.findings import Report

        if isinstance(report, Report):
            self.report = report
            self.evaluations += 1
            self.session.doctor_badge = (report.badge(), report.worst)
            for bar in self._bars():
                bar.set_doctor(report.badge(), report.worst)
            if self.panel is not None:
                self.panel.show_report(report)
        elif self.panel is not None:
            self.panel.show_problem(report)
        pending, self._pending = self._pending, None
        if pending is not None:
            self.request(refresh=pending)

    def _bars(self) -> list[Any]:
        """The header of every screen that has one: those on the stack and the installed panels
        (each header registers in the session while it is mounted)."""
        return list(self.session.bars)


def service(app: App) -> DoctorService:
    """The app's doctor, made on first use."""
    session = session_of(app)
    if session.doctor is None:
        session.doctor = DoctorService(app)
    return session.doctor


def frame_listener(app: App):
    """What the live service calls with each frame: the app's doctor looks at it."""

    def listen(frame: LiveFrame) -> None:
        service(app).live_frame(frame)

    return listen
