"""Snapshots of the configuration screen on the demo SAN.

Deterministic: the demo is seeded, the host is "san01", there is no clock,
the filter's cursor does not blink, animations are off, workers are waited
for (never slept on). Update with ``pytest tests/ui --snapshot-update`` after
looking at ``snapshot_report.html``.
"""

from __future__ import annotations

import pytest

from .conftest import RAC_TPG
from .helpers import settle

RAC_LUN = f"{RAC_TPG}/luns/lun0"


async def open_rac_lun(pilot) -> None:
    """Expand the RAC target down to its LUNs and put the cursor on lun0."""
    await settle(pilot)
    assert pilot.app.screen.tree.select_path(RAC_LUN)
    await settle(pilot)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_config_screen(snap_compare, make_app, size):
    assert snap_compare(make_app(), run_before=open_rac_lun, terminal_size=size)


def test_config_screen_light_readonly(snap_compare, make_app):
    app = make_app(theme="sanctl-light", readonly=True, readonly_reason="not root")
    assert snap_compare(app, run_before=open_rac_lun, terminal_size=(120, 40))


def test_config_screen_ansi_16_colours(snap_compare, make_app):
    assert snap_compare(make_app(theme="ansi-dark"), run_before=open_rac_lun, terminal_size=(80, 24))


def test_filter(snap_compare, make_app):
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("slash", *"client")
        await settle(pilot)

    assert snap_compare(make_app(), run_before=run_before, terminal_size=(80, 24))


def test_help(snap_compare, make_app):
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(make_app(), run_before=run_before, terminal_size=(80, 24))
