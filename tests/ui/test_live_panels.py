"""Pilot tests of the live panels on the live demo SAN, with fake clocks."""

from __future__ import annotations

import pytest

from sanctl.sim.demo import RAC_IQN, SCRATCH_IQN, WEB_CLIENT, WEB_IQN
from sanctl.sim.live import LOCAL_INITIATOR
from sanctl.ui import panels
from sanctl.ui.screens.config import ConfigScreen
from sanctl.ui.screens.errors import ErrorsScreen
from sanctl.ui.screens.initiator_sessions import InitiatorScreen
from sanctl.ui.screens.sessions import SessionsScreen

from .live_helpers import Clocks, live_app, live_root, sample, utc  # noqa: F401  (utc is a fixture)

WEB_ROW = ("session", WEB_IQN, 1, "acl", WEB_CLIENT)
RAC_ROW = ("session", RAC_IQN, 1, "acl", LOCAL_INITIATOR)
SCRATCH_ROW = ("session", SCRATCH_IQN, 1, "dynamic", LOCAL_INITIATOR)


@pytest.fixture
def clocks() -> Clocks:
    return Clocks()


async def test_number_keys_switch_panels(tmp_path, clocks):
    app = live_app(live_root(tmp_path), clocks)
    async with app.run_test(size=(120, 40)) as pilot:
        names = []
        for key in ("2", "3", "4", "2", "1"):
            await pilot.press(key)
            await pilot.pause()
            names.append(type(app.screen))
        assert names == [SessionsScreen, ErrorsScreen, InitiatorScreen, SessionsScreen, ConfigScreen]
        keys = {binding.key for binding in app.BINDINGS}
        assert {"1", "2", "3", "4"} <= keys


async def test_sessions_panel_rows_and_rates(tmp_path, clocks):
    app = live_app(live_root(tmp_path), clocks)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await sample(pilot, clocks)
        grid = app.screen.grid
        assert {WEB_ROW, RAC_ROW, SCRATCH_ROW} <= set(grid.visible_keys())
        assert "dyn  LOGGED_IN  demo-mode session" in grid.line_text(SCRATCH_ROW)
        assert "·" in grid.line_text(WEB_ROW)  # one reading: no rate yet
        await sample(pilot, clocks, times=2)
        line = grid.line_text(WEB_ROW)
        assert "acl  LOGGED_IN" in line and "·" not in line.split("|")[1]
        # only what the screen shows is sampled at full rate
        assert panels.service(app).sampler().hot_rows == frozenset(app.screen.hot_rows())


async def test_only_changed_cells_are_repainted(tmp_path, clocks):
    app = live_app(live_root(tmp_path), clocks)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await sample(pilot, clocks, times=3)
        grid = app.screen.lun_grid
        full_before, numbers_before = grid.repaints[3], grid.repaints[1]
        await sample(pilot, clocks, times=3)
        assert grid.repaints[3] == full_before  # no whole-grid repaint while only rates move
        assert grid.repaints[1] > numbers_before


async def test_pause_stops_sampling_and_says_so(tmp_path, clocks):
    app = live_app(live_root(tmp_path), clocks)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await sample(pilot, clocks)
        service = panels.service(app)
        taken = service.samples
        await pilot.press("p")
        assert service.paused
        assert "PAUSED" in app.screen.grid.border_title
        await sample(pilot, clocks, times=2)
        assert service.samples == taken  # a paused panel takes no samples
        await pilot.press("p")
        assert not service.paused and "every 1 s" in app.screen.grid.border_title
        await sample(pilot, clocks)
        assert service.samples == taken + 1


async def test_plus_and_minus_change_the_interval(tmp_path, clocks):
    app = live_app(live_root(tmp_path), clocks)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await pilot.pause()
        service = panels.service(app)
        await pilot.press("plus", "plus")
        assert service.interval == 5.0 and "every 5 s" in app.screen.grid.border_title
        await pilot.press("minus")
        assert service.interval == 2.0
        await pilot.press("minus", "minus", "minus")
        assert service.interval == 1.0  # the floor


async def test_flapping_finding_appears(tmp_path, clocks, utc):
    """A quiet start; a minute later the clone joins and the diagnosis appears, cause and fix named."""
    app = live_app(live_root(tmp_path, flap_phase=-60), clocks)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await sample(pilot, clocks)
        assert panels.service(app).frame.findings == ()
        clocks.step(59)
        await sample(pilot, clocks, times=25)
        frame = panels.service(app).frame
        kinds = {f.kind for f in frame.findings}
        assert kinds == {"connection_flap", "shared_initiator_name"}
        shared = next(f for f in frame.findings if f.kind == "shared_initiator_name")
        assert set(shared.addresses) == {"192.168.50.10", "192.168.50.12"}
        text = str(app.screen.query_one("#findings").render())
        assert f"One initiator name, 2 hosts: {LOCAL_INITIATOR}" in text
        assert "/etc/iscsi/initiatorname.iscsi" in text
        assert any("1020 TCP_CONN_CLOSE" in app.screen.grid.line_text(k) for k in app.screen.grid.visible_keys())


async def test_the_errors_detail_explains_the_highlighted_incident(tmp_path, clocks, utc):
    app = live_app(live_root(tmp_path), clocks)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await sample(pilot, clocks)
        grid = app.screen.grid
        grid.focus()
        for _ in range(grid.row_count):
            if grid.cursor_row.code == 1020:
                break
            await pilot.press("down")
        detail = str(app.screen.query_one("#incident-detail").render())
        assert "1020 TCP_CONN_CLOSE" in detail and "fix:" in detail and "kernel + iscsid" in detail


async def test_a_row_is_found_by_its_key_and_the_cursor_moved_to_it(tmp_path, clocks, utc):
    """What the kernel tier's errors-panel test does: find the 1020 row among the keys, move there."""
    app = live_app(live_root(tmp_path), clocks)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await sample(pilot, clocks)
        grid = app.screen.grid
        assert len(grid.keys) == grid.row_count > 1
        key = next(k for k in grid.keys if "1020 TCP_CONN_CLOSE" in grid.line_text(k))
        grid.move_cursor(grid.index_of(key))
        assert grid.cursor_key == key and grid.keys[grid.index_of(key)] == key
        assert grid.index_of(("no", "such", "row")) is None


async def test_enter_shows_io_per_mapped_lun(tmp_path, clocks):
    app = live_app(live_root(tmp_path), clocks)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await sample(pilot, clocks)
        grid = app.screen.grid
        grid.focus()
        for _ in range(grid.row_count):  # down to web01's row, as the operator would
            if grid.cursor_key == WEB_ROW:
                break
            await pilot.press("down")
        assert grid.cursor_key == WEB_ROW
        await pilot.press("enter")
        await sample(pilot, clocks, times=2)
        mapped = ("mlun", WEB_IQN, 1, WEB_CLIENT, 0)
        assert mapped in grid.visible_keys()
        assert "lun 0  attached" in grid.line_text(mapped)
        assert ("mapped", WEB_IQN, 1, WEB_CLIENT) in app.screen.hot_rows()


async def test_initiator_panel_lists_sessions_and_disks(tmp_path, clocks):
    app = live_app(live_root(tmp_path), clocks)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("4")
        await sample(pilot, clocks)
        grid = app.screen.grid
        keys = grid.visible_keys()
        assert ("isession", 1) in keys and ("disk", 1, 5) in keys
        assert "/dev/sdf" in grid.line_text(("disk", 1, 5)) and "20.0 GiB" in grid.line_text(("disk", 1, 5))
        assert "errors in 5 min" in grid.line_text(("isession", 1))


async def test_an_unreadable_log_is_said_on_the_errors_panel(tmp_path, clocks):
    from sanctl.live.sampler import Sampler
    from sanctl.ui.app import SanctlApp

    root = live_root(tmp_path)
    app = SanctlApp(root=str(root), mode="captured", readonly=True, readonly_reason="test", theme=None, host="san01")
    problem = "/dev/kmsg: Permission denied (kernel messages need root or dmesg_restrict=0)"
    panels.configure(app, autostart=False, sampler_factory=lambda: Sampler(
        str(root), clock=lambda: clocks.mono, wall_clock=lambda: clocks.wall, problems=[problem]))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await sample(pilot, clocks)
        assert problem in str(app.screen.query_one("#incident-detail").render())
