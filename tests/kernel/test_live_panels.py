"""The live panels on the real kernel: a login, a provoked connection error, the shared-name flap.

Each test drives the real TUI (Pilot) on ``/`` in the VM, sampling on
demand, and reads what the panels show — the same grids an operator sees.
"""

from __future__ import annotations

import asyncio
import time

import pytest

pytestmark = pytest.mark.kernel


def _app():
    from sanctl.kernel_log import KmsgSource, boot_wall_time
    from sanctl.live.sampler import Sampler
    from sanctl.ui import panels
    from sanctl.ui.app import SanctlApp

    app = SanctlApp(root="/", mode="real", readonly=True, readonly_reason="test", host="sanctl-vm")
    # The kernel log from now on (what happened before this test is not its business).
    panels.configure(app, autostart=False, sampler_factory=lambda: Sampler(
        "/", log_sources=[KmsgSource(from_start=False, boot_wall=boot_wall_time("/"))]))
    return app


async def _sample(pilot, times: int = 1, every: float = 1.0) -> None:
    from sanctl.ui import panels

    for n in range(times):
        if n:
            await asyncio.sleep(every)
        panels.service(pilot.app).request()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def _lines(grid) -> list[str]:
    return [grid.line_text(key) for key in grid.keys]


def test_a_login_shows_in_both_panels(basic_san, logged_in, kernel_env):
    kt = kernel_env
    app = _app()

    async def run() -> None:
        async with app.run_test(size=(160, 50)) as pilot:
            await pilot.press("2")
            await _sample(pilot, times=2)
            frame = app.screen.frame
            (session,) = [s for s in frame.sessions if s.target == basic_san.target_iqn]
            assert (session.kind, session.initiator, session.state) == ("acl", basic_san.acl, "LOGGED_IN")
            assert session.addresses == (kt.PORTAL_IP,)
            lines = _lines(app.screen.grid)
            assert any(basic_san.acl in line and "LOGGED_IN" in line for line in lines)
            port = next(c.local_port for s in frame.initiator.sessions for c in s.connections)
            assert any(f"cid 0  {kt.PORTAL_IP}:{port}" in line for line in lines)  # the port, from sysfs

            await pilot.press("4")
            await _sample(pilot)
            lines = _lines(app.screen.grid)
            assert any(f"{basic_san.target_iqn}" in line and "LOGGED_IN" in line for line in lines)
            assert any(f"{kt.PORTAL_IP}:{kt.PORTAL_PORT}" in line for line in lines)
            for disk in logged_in["disks"]:
                assert any(f"/dev/{disk}" in line for line in lines), disk

    asyncio.run(run())


def test_a_disabled_tpg_shows_as_1020_with_its_meaning(basic_san, logged_in, kernel_env):
    kt = kernel_env
    from rtslib import TPG, FabricModule, Target

    app = _app()
    tpg = TPG(Target(FabricModule("iscsi"), basic_san.target_iqn, mode="lookup"), 1, mode="lookup")

    async def run() -> None:
        async with app.run_test(size=(160, 50)) as pilot:
            await pilot.press("3")
            await _sample(pilot)
            tpg.enable = False
            try:
                kt.wait_for(lambda: kt.read_value(f"{logged_in['dir']}/state") == "FAILED", "the session to fail", 60)
                deadline = time.monotonic() + 30
                incidents = []
                while time.monotonic() < deadline:
                    await _sample(pilot)
                    incidents = [i for i in app.screen.frame.incidents if i.code == 1020]
                    if incidents:
                        break
                    await asyncio.sleep(0.5)
                assert incidents, "no 1020 in the errors panel"
                first = incidents[0]
                assert first.connection and first.target == basic_san.target_iqn
                grid = app.screen.grid
                line = next(grid.line_text(key) for key in grid.keys if "1020 TCP_CONN_CLOSE" in grid.line_text(key))
                assert f"conn {first.connection}" in line
                grid.move_cursor(grid.index_of(first.key))
                await pilot.pause()
                detail = str(app.screen.query_one("#incident-detail").render())
                assert "The target closed the connection" in detail and "fix:" in detail
            finally:
                tpg.enable = True
            kt.wait_for(lambda: kt.read_value(f"{logged_in['dir']}/state") == "LOGGED_IN", "the session to recover", 90)

    asyncio.run(run())


def test_the_shared_initiator_name_flap_is_diagnosed(basic_san, logged_in, kernel_env):
    """A second "host" (127.0.0.2) logs in with this host's initiator name and ISID, again and again."""
    kt = kernel_env
    import rogue_login

    from sanctl.lio.live import parse_acl_info

    info = parse_acl_info((kt.CFS / "iscsi" / basic_san.target_iqn / "tpgt_1" / "acls" / basic_san.acl / "info")
                          .read_text())
    app = _app()
    second_gone = [0.0]

    async def run() -> None:
        async with app.run_test(size=(160, 50)) as pilot:
            await pilot.press("3")
            await _sample(pilot)
            with rogue_login.SecondHost(basic_san.target_iqn, basic_san.acl, info.isid) as second:
                second.wait_for_logins(1)
                findings = ()
                deadline = time.monotonic() + 90
                while time.monotonic() < deadline:
                    await _sample(pilot)
                    findings = app.screen.frame.findings
                    if {f.kind for f in findings} >= {"shared_initiator_name", "connection_flap"}:
                        break
                    await asyncio.sleep(0.7)
            second_gone[0] = time.monotonic()
            kinds = {f.kind for f in findings}
            assert "shared_initiator_name" in kinds, (findings, second.logins, second.errors[-3:])
            shared = next(f for f in findings if f.kind == "shared_initiator_name")
            assert shared.initiator == basic_san.acl and shared.target == basic_san.target_iqn
            assert set(shared.addresses) == {"127.0.0.1", "127.0.0.2"}
            assert "initiatorname.iscsi" in shared.fix
            flap = next((f for f in findings if f.kind == "connection_flap"), None)
            assert flap is not None and 1020 in flap.codes
            text = str(app.screen.query_one("#findings").render())
            assert "One initiator name, 2 hosts" in text
        kt.wait_for(lambda: kt.read_value(f"{logged_in['dir']}/state") == "LOGGED_IN", "the session to recover", 90)

    asyncio.run(run())
    # The second host dropped its last connection without a logout: the target keeps that session for
    # DefaultTime2Retain (20 s) in case it comes back. In two whole runs of this tier, a refused login in the next
    # test within those seconds was followed by Debian 6.1's iscsi_tcp oopsing (iscsi_sw_tcp_release_conn);
    # in a fresh VM the same test passes. Let the retained session expire before the next test.
    time.sleep(max(0.0, second_gone[0] + 25 - time.monotonic()))
