"""Snapshots of the live panels on the live demo SAN, at 80×24 and 120×40.

Deterministic: the demo is started at a fixed moment (2026-01-01 12:00 UTC)
with a fixed seed, the sampler's clocks are fake and move one second per
sample, times are shown in UTC, sampling happens only when the test asks.
Update with ``pytest tests/ui/test_live_snapshots.py --snapshot-update``
after looking at ``snapshot_report.html``.
"""

from __future__ import annotations

import pytest

from .live_helpers import Clocks, live_app, live_root, sample, utc  # noqa: F401  (utc is a fixture)

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])


def _run_before(key: str, clocks: Clocks, samples: int):
    async def run_before(pilot) -> None:
        await pilot.press(key)
        await sample(pilot, clocks, times=samples)

    return run_before


@SIZES
def test_sessions_panel(snap_compare, tmp_path, utc, size):
    clocks = Clocks()
    app = live_app(live_root(tmp_path), clocks)
    assert snap_compare(app, run_before=_run_before("2", clocks, 3), terminal_size=size)


@SIZES
def test_errors_panel(snap_compare, tmp_path, utc, size):
    clocks = Clocks()
    app = live_app(live_root(tmp_path), clocks)
    # a dozen seconds of watching: enough reinstatements for the shared-name diagnosis
    assert snap_compare(app, run_before=_run_before("3", clocks, 12), terminal_size=size)


@SIZES
def test_initiator_panel(snap_compare, tmp_path, utc, size):
    clocks = Clocks()
    app = live_app(live_root(tmp_path), clocks)
    assert snap_compare(app, run_before=_run_before("4", clocks, 2), terminal_size=size)
