"""The setup wizard on the real kernel: driven by Pilot, it sets up a fileio LUN; the real iscsiadm logs in.

Every step through the TUI as an operator would (the answers typed into the
fields, Next pressed), Apply through rtslib-fb on real configfs, then the
Client step's "Log in from this host" through sanctl's iscsiadm wrapper
over 127.0.0.1 — and the session and its disk checked in sysfs.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.kernel

T = "iqn.2024-05.test.sanctl:wizard"
SIZE = 64 << 20


async def _settle(pilot) -> None:
    for _ in range(4):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_the_wizard_sets_up_a_fileio_lun_and_this_host_logs_in(lab, kernel_env, tmp_path, monkeypatch):
    kt = kernel_env
    from sanctl.initiator.iscsiadm import Iscsiadm, Timeouts
    from sanctl.initiator.overview import InitiatorBackend
    from sanctl.lio import savefile
    from sanctl.ui.app import SanctlApp
    from sanctl.ui.screens.setup import SetupScreen

    lab.rtsroot()
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    location = savefile.SaveLocation("/", str(tmp_path / "etc-target"), "test")
    monkeypatch.setattr(savefile, "locate", lambda root="/": location)
    image = tmp_path / "wizard.img"

    app = SanctlApp(root="/", mode="real", readonly=False, readonly_reason=None, host="sanctl-vm", setup=True)
    app.initiator_backend = InitiatorBackend(Iscsiadm(timeouts=Timeouts(query=30, action=90, discovery=90)))

    async def run() -> SetupScreen:
        async with app.run_test(size=(120, 40)) as pilot:
            await _settle(pilot)
            screen = app.screen
            assert isinstance(screen, SetupScreen)
            checks = {c.key: c.status for c in screen.ctx.checks}
            assert checks["root"] == "ok" and checks["configfs"] == "ok" and checks["rtslib"] == "ok", checks

            async def put(key: str, value) -> None:
                screen.query_one("#f-" + key.replace(".", "-")).value = value
                await _settle(pilot)

            async def next_step(expect: str) -> None:
                await pilot.press("ctrl+n")
                await _settle(pilot)
                assert screen.step == expect, (screen.step, screen.check, screen.apply_message)

            await next_step("storage")
            await put("storage.0.kind", "fileio")
            await put("storage.0.name", "wizard")
            await put("storage.0.file", str(image))
            await put("storage.0.size", "64M")
            await next_step("target")
            await put("target", T)
            await next_step("portal")
            await put("address", kt.PORTAL_IP)
            await next_step("access")
            screen.query_one("#b-thishost-0").press()
            await _settle(pilot)
            assert screen.answers.clients[0].initiator == kt.initiator_name()
            await next_step("preset")
            await next_step("review")
            await next_step("apply")
            assert screen.applied is not None, [(p.key, p.status, p.detail) for p in screen.phases]
            await next_step("client")
            screen.query_one("#b-login-here").press()
            await _settle(pilot)
            assert screen.login_result is not None and screen.login_result.ok, screen.login_result
            return screen

    screen = asyncio.run(run())
    phases = {p.key: p.status for p in screen.phases}
    assert all(phases[f"group:{i}"] == "done" for i in range(5)), phases
    assert phases["save"] == "done" and Path(location.path).is_file()
    assert image.is_file() and os.path.getsize(image) == SIZE

    # the real kernel has it, as the wizard planned
    assert (kt.CFS / "iscsi" / T / "tpgt_1" / "enable").read_text().strip() == "1"
    assert (kt.CFS / "iscsi" / T / "tpgt_1" / "acls" / kt.initiator_name() / "lun_0").is_dir()
    # and the real initiator is logged in and sees the disk
    session = kt.wait_for(lambda: next((s for s in kt.iscsi_sessions()
                                        if s["targetname"] == T and s["state"] == "LOGGED_IN" and s["disks"]), None),
                          "the wizard's session with its disk", timeout=60)
    (disk,) = session["disks"]
    assert int(Path(f"/sys/block/{disk}/size").read_text()) * 512 == SIZE
    assert screen.login_result.disks == (f"/dev/{disk}",)
    startup = kt.iscsiadm("-m", "node", "-T", T, "-p", f"{kt.PORTAL_IP}:{kt.PORTAL_PORT}").stdout
    assert "node.startup = automatic" in startup
