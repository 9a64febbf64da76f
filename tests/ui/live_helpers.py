"""The live panels under test: the live demo SAN at a fixed moment, fake clocks, one sample at a time."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

#: 2026-01-01 12:00:00 UTC: the demo's "now" in every live UI test.
T0 = 1767268800.0
HOST = "san01"


class Clocks:
    """A monotonic and a wall clock that move only when told."""

    def __init__(self, wall: float = T0) -> None:
        self.mono = 1000.0
        self.wall = wall

    def step(self, seconds: float = 1.0) -> None:
        self.mono += seconds
        self.wall += seconds


@pytest.fixture
def utc(monkeypatch):
    """Times on screen in UTC, whatever the machine's zone."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def live_root(tmp_path: Path, *, flap_phase: float = 180.0) -> Path:
    from sanctl.sim.demo import build_demo
    from sanctl.sim.live import start_live_demo

    root = tmp_path / "live-demo"
    build_demo(root)
    start_live_demo(root, now=T0, flap_phase=flap_phase)
    return root


def live_app(root: Path, clocks: Clocks, **overrides):
    """A SanctlApp on ``root`` whose live panels sample only when the test says so."""
    from sanctl.ui import panels
    from sanctl.ui.app import SanctlApp

    options = {"root": str(root), "mode": "demo", "readonly": False, "readonly_reason": None, "theme": None,
               "host": HOST}
    options.update(overrides)
    app = SanctlApp(**options)
    panels.configure(app, clock=lambda: clocks.mono, wall_clock=lambda: clocks.wall, autostart=False)
    return app


async def sample(pilot, clocks: Clocks | None = None, times: int = 1, step: float = 1.0) -> None:
    """Take ``times`` samples (moving the fake clocks by ``step`` before each but the first)."""
    from sanctl.ui import panels

    service = panels.service(pilot.app)
    for n in range(times):
        if n and clocks is not None:
            clocks.step(step)
        service.request()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    await pilot.pause()
