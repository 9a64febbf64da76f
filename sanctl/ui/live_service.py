"""Sampling in the background for the live panels: a thread worker and a re-armed one-shot timer.

Dolphie's pattern (shared/textual/ANCHORS.md §3): the sampler runs in a
thread worker; when it is done, the frame goes to the screen being shown
and the next sample is armed with ``set_timer`` for what is left of the
interval — so a slow read delays the next one instead of piling up, and the
UI never waits for configfs. Nothing is sampled or painted while paused or
while no live panel is on screen; the panel on screen tells the sampler
which rows it shows, and only those are read at full rate.

Clocks are injectable: tests pass fake monotonic and wall clocks and
``autostart=False``, then drive one sample at a time with :meth:`request`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Protocol

from sanctl.live.frame import LiveConfig, LiveFrame

if TYPE_CHECKING:  # a type only: the sampler comes from the host (host.target.sampler)
    from textual.app import App
    from textual.timer import Timer

    from sanctl.host.protocol import Host
    from sanctl.live.sampler import Sampler

#: The intervals ``+`` and ``-`` step through, in seconds.
INTERVALS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)


class LivePanel(Protocol):
    def show_frame(self, frame: LiveFrame) -> None: ...

    def show_state(self) -> None: ...


class LiveService:
    """One per app; shared by the sessions, errors and initiator panels."""

    def __init__(self, app: App, *, host: Host, clock: Callable[[], float] = time.monotonic,
                 wall_clock: Callable[[], float] = time.time, autostart: bool = True,
                 interval: float = 1.0, config: LiveConfig | None = None,
                 sampler_factory: Callable[[], Sampler] | None = None) -> None:
        self.app = app
        self.host = host
        self.clock = clock
        self.wall_clock = wall_clock
        self.autostart = autostart
        self.interval = interval
        self.paused = False
        self.config = config
        self.frame: LiveFrame | None = None
        self._factory = sampler_factory
        self._sampler: Sampler | None = None
        self._panel: LivePanel | None = None
        self._timer: Timer | None = None
        self._running = False
        self._hot: frozenset = frozenset()
        self.samples = 0
        #: Called with every frame, on the UI thread (the doctor re-evaluates on each sample).
        self.listeners: list[Callable[[LiveFrame], None]] = []

    # --- the panel on screen -----------------------------------------------------------------

    def attach(self, panel: LivePanel) -> None:
        """``panel`` is on screen now: give it the last frame at once, and sample."""
        self._panel = panel
        if self.frame is not None:
            panel.show_frame(self.frame)
        if self.autostart and not self.paused:
            self._arm(0.0)

    def detach(self, panel: LivePanel) -> None:
        if self._panel is panel:
            self._panel = None
            self._cancel()

    def set_hot(self, rows: Iterable[tuple]) -> None:
        self._hot = frozenset(rows)
        if self._sampler is not None:
            self._sampler.set_hot(self._hot)

    # --- controls --------------------------------------------------------------------------------

    def toggle_pause(self) -> bool:
        self.paused = not self.paused
        if self.paused:
            self._cancel()
        elif self.autostart and self._panel is not None:
            self._arm(0.0)
        self._state_changed()
        return self.paused

    def faster(self) -> float:
        return self._set_interval(-1)

    def slower(self) -> float:
        return self._set_interval(+1)

    def _set_interval(self, step: int) -> float:
        steps = list(INTERVALS)
        current = min(range(len(steps)), key=lambda i: abs(steps[i] - self.interval))
        self.interval = steps[max(0, min(len(steps) - 1, current + step))]
        if self.autostart and self._timer is not None and not self._running:
            self._cancel()
            self._arm(self.interval)
        self._state_changed()
        return self.interval

    def _state_changed(self) -> None:
        if self._panel is not None:
            self._panel.show_state()

    # --- sampling --------------------------------------------------------------------------------

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _arm(self, delay: float) -> None:
        self._cancel()
        self._timer = self.app.set_timer(max(0.01, delay), self.request, name="live-sample")  # 0 breaks Timer

    def request(self) -> None:
        """Take one sample now (in a thread worker) unless one is running or the panels are paused."""
        self._timer = None
        if self._running or self._panel is None or self.paused:
            return
        self._running = True
        self.app.run_worker(self._work, thread=True, group="live", exclusive=True, exit_on_error=False,
                            description="live sample")

    def prime(self) -> None:
        """One sample with no panel on screen, for its listeners (the doctor's live checks at start-up,
        so the header's count is the one ``sanctl doctor`` gives). Not when the panels sample on their own
        only when told (``autostart=False``: tests), nor once a frame exists."""
        if self.frame is not None or self._running or not self.autostart:
            return
        self._running = True
        self.app.run_worker(self._work, thread=True, group="live", exclusive=True, exit_on_error=False,
                            description="live sample (start-up)")

    def sampler(self) -> Sampler:
        if self._sampler is None:
            if self._factory is not None:
                self._sampler = self._factory()
            else:
                self._sampler = self.host.target.sampler(clock=self.clock, wall_clock=self.wall_clock,
                                                         config=self.config)
            self._sampler.set_hot(self._hot)
        return self._sampler

    def _work(self) -> None:
        started = time.monotonic()
        try:
            frame = self.sampler().sample()
        except Exception as exc:  # the tree vanished, a log broke: say so, keep the UI alive
            self.app.call_from_thread(self._failed, exc)
            return
        self.app.call_from_thread(self._deliver, frame, time.monotonic() - started)

    def _failed(self, exc: Exception) -> None:
        self._running = False
        self.app.fail(exc, title="Live", doing="live sampling failed", timeout=10)
        if self.autostart and not self.paused and self._panel is not None:
            self._arm(self.interval)

    def _deliver(self, frame: LiveFrame, took: float) -> None:
        self._running = False
        self.frame = frame
        self.samples += 1
        for listener in self.listeners:
            listener(frame)
        if self._panel is not None and not self.paused:
            self._panel.show_frame(frame)
        if self.autostart and not self.paused and self._panel is not None:
            self._arm(max(0.05, self.interval - took))

    def close(self) -> None:
        self._cancel()
        if self._sampler is not None:
            self._sampler.close()
