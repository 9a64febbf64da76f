"""The setup wizard driven by Pilot: every step on the demo SAN and on an empty simulated kernel.

From the Checks step to a logged-in client through the wizard alone; the
refusals (a disk in use, a bad IQN, two clients with one initiator name);
Cancel at every step leaving the configuration as it was (``sanctl export``
before and after); resuming where it was left; the dry run of read-only
mode; the offer on an empty host and the command palette's entry; and a
snapshot of each step (80×24, some at 120×40).
"""

from __future__ import annotations

import contextlib
import io

import pytest

from sanctl.ui.screens.config import ConfigScreen
from sanctl.ui.screens.setup import SetupScreen

from .conftest import HOST
from .helpers import settle
from .wizard_helpers import pinned_wizard  # noqa: F401  (autouse: pins the day, secrets and state file)

T = "iqn.2024-05.org.linux-iscsi.san01:disk1"
STEP_ORDER = ("checks", "storage", "target", "portal", "access", "preset", "review")



def export(root) -> str:
    """``sanctl --demo --root ROOT export``: the configuration as saveconfig.json."""
    from sanctl.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--demo", "--root", str(root), "export"]) == 0
    return out.getvalue()


def wizard(app):
    from sanctl.ui.screens.setup import SetupScreen

    screen = app.screen
    assert isinstance(screen, SetupScreen), type(screen).__name__
    return screen


async def open_wizard(pilot):
    pilot.app.action_setup()
    await settle(pilot)
    return wizard(pilot.app)


async def put(pilot, key: str, value) -> None:
    wizard(pilot.app).query_one("#f-" + key.replace(".", "-")).value = value
    await settle(pilot)


async def click(pilot, button_id: str) -> None:
    wizard(pilot.app).query_one(f"#{button_id}").press()
    await settle(pilot)


async def next_step(pilot) -> None:
    await pilot.press("ctrl+n")
    await settle(pilot)


def error(app, key: str) -> str:
    widget = wizard(app).query_one("#e-" + key.replace(".", "-"))
    return str(widget.content) if widget.has_class("-shown") else ""


async def to_step(pilot, step: str, *, this_host: bool = True) -> None:
    """From the Checks step with the defaults (a 10 GiB file), this host as the client."""
    screen = wizard(pilot.app)
    while screen.step != step:
        if screen.step == "target":
            await put(pilot, "target", T)
        if screen.step == "access" and this_host and not screen.answers.clients[0].initiator:
            await click(pilot, "b-thishost-0")
        before = screen.step
        await next_step(pilot)
        assert screen.step != before, (before, screen.check)


# ---------------------------------------------------------------------------
# the whole way, on the demo SAN and on an empty kernel
# ---------------------------------------------------------------------------


async def test_demo_san_to_a_logged_in_client(make_app, demo):
    from sanctl.sim.iscsiadm import demo_backend

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.initiator_backend = demo_backend(str(demo), delay=0)
        screen = await open_wizard(pilot)
        assert screen.step == "checks"
        await to_step(pilot, "review")
        assert screen.query_one("#setup-next").label.plain == "Apply"
        assert T in str(screen.query_one("#setup-targetcli").content)
        await next_step(pilot)  # Apply
        assert screen.step == "apply" and screen.applied is not None, screen.apply_message
        assert [p.status for p in screen.phases][:6] == ["done"] * 6
        assert (demo / "etc/target/saveconfig.json").is_file()
        await next_step(pilot)
        assert screen.step == "client"
        await click(pilot, "b-login-here")
        assert screen.login_result.ok, screen.login_result
        assert screen.login_result.disks == ("/dev/sdh",)
        adm = app.initiator_backend.iscsiadm
        assert (T, "127.0.0.1:3260") in adm.sessions
        await click(pilot, "setup-next")  # Finish
        assert not any(isinstance(s, SetupScreen) for s in app.screen_stack)
        assert not (demo / "var/lib/sanctl/setup.json").exists()
        await settle(pilot)
        assert app.screen.tree.select_path(f"/iscsi/{T}/tpg1/acls")


async def test_an_empty_kernel_is_offered_the_wizard_and_ends_logged_in(tmp_path):
    from sanctl.sim.iscsiadm import demo_backend
    from sanctl.sim.layout import SimKernel
    from sanctl.ui.app import SanctlApp
    from sanctl.ui.screens.setup_entry import SetupOffer

    root = tmp_path / "empty"
    SimKernel.boot(root)
    app = SanctlApp(root=str(root), mode="demo", host=HOST, live_checks=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, SetupOffer)
        app.initiator_backend = demo_backend(str(root), delay=0)
        await pilot.press("enter")  # "Start the wizard" is focused
        await settle(pilot)
        screen = wizard(app)
        await to_step(pilot, "review")
        await next_step(pilot)
        assert screen.applied is not None, screen.apply_message
        await next_step(pilot)
        await click(pilot, "b-login-here")
        assert screen.login_result.ok and len(screen.login_result.disks) == 1
    assert T in export(root)


async def test_the_offer_is_not_made_when_targets_exist_or_read_only(make_app, tmp_path):
    from sanctl.sim.layout import SimKernel
    from sanctl.ui.app import SanctlApp

    async with make_app().run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(pilot.app.screen, ConfigScreen)
    root = tmp_path / "empty"
    SimKernel.boot(root)
    app = SanctlApp(root=str(root), mode="demo", host=HOST, readonly=True, readonly_reason="--readonly", live_checks=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(pilot.app.screen, ConfigScreen)


async def test_sanctl_setup_opens_the_wizard_and_the_palette_has_it(demo):
    from sanctl.ui.app import SanctlApp

    app = SanctlApp(root=str(demo), mode="demo", host=HOST, setup=True, live_checks=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        wizard(app)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfigScreen)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"setup wiz")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        wizard(app)


# ---------------------------------------------------------------------------
# refusals, shown inline
# ---------------------------------------------------------------------------


async def test_a_disk_in_use_is_refused_with_the_reason(make_app):
    async with make_app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await open_wizard(pilot)
        await next_step(pilot)
        await put(pilot, "storage.0.kind", "block")
        picker = screen.query_one("#p-storage-0-dev")
        notes = [str(picker.get_option_at_index(i).prompt) for i in range(picker.option_count)]
        assert any("/dev/vdb1" in n and "mounted on /srv" in n for n in notes)
        await put(pilot, "storage.0.dev", "/dev/vdb1")
        assert "mounted on /srv" in error(pilot.app, "storage.0.dev")
        await next_step(pilot)
        assert screen.step == "storage"
        await put(pilot, "storage.0.dev", "/dev/vg_san/ora-data-1")
        assert "already exported by backstore block/ora-data-1" in error(pilot.app, "storage.0.dev")
        picker = screen.query_one("#p-storage-0-dev")
        spare = next(i for i in range(picker.option_count) if picker.get_option_at_index(i).id == "/dev/vg_san/spare-1")
        picker.highlighted = spare
        picker.action_select()
        await settle(pilot)
        assert screen.answers.storage[0].dev == "/dev/vg_san/spare-1"
        assert screen.answers.storage[0].name == "spare-1"  # named after the device
        assert error(pilot.app, "storage.0.dev") == ""
        await next_step(pilot)
        assert screen.step == "target"


async def test_a_bad_iqn_is_refused(make_app):
    async with make_app().run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await open_wizard(pilot)
        await to_step(pilot, "target")
        assert screen.answers.target == "iqn.2024-05.org.linux-iscsi.san01:disk1"  # suggested
        await put(pilot, "target", "iqn.2024-13.Example:Disk")
        assert "Use lower case" in error(pilot.app, "target")
        await put(pilot, "target", "iqn.2024-01.com.example:web")
        assert "exists already" in error(pilot.app, "target")
        await next_step(pilot)
        assert screen.step == "target"
        await click(pilot, "b-generate-target")
        assert screen.answers.target == T and error(pilot.app, "target") == ""


async def test_two_clients_with_one_initiator_name_are_refused(make_app):
    async with make_app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await open_wizard(pilot)
        await to_step(pilot, "access")
        await click(pilot, "b-thishost-0")
        await click(pilot, "b-add-client")
        await click(pilot, "b-thishost-1")
        assert "has this initiator name already" in error(pilot.app, "clients.1.initiator")
        problem = str(screen.query_one("#setup-problem").content)
        assert "1020" in problem
        await next_step(pilot)
        assert screen.step == "access"
        await click(pilot, "b-geninit-1")
        assert screen.answers.clients[1].initiator == "iqn.2024-05.org.linux-iscsi.san01:san01"  # from its label
        await next_step(pilot)
        assert screen.step == "preset"


async def test_ramdisk_and_demo_mode_come_with_their_warnings(make_app):
    async with make_app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await open_wizard(pilot)
        await next_step(pilot)
        await put(pilot, "storage.0.kind", "ramdisk")
        assert "lost when this host reboots" in str(screen.query_one("#setup-warnings").content)
        await to_step(pilot, "access", this_host=False)
        await put(pilot, "demo_mode", True)
        assert "Demo mode: any initiator" in str(screen.query_one("#setup-warnings").content)
        await next_step(pilot)
        assert screen.step == "preset"


async def test_chap_secrets_are_generated_masked_and_windows_length_is_enforced(make_app):
    async with make_app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await open_wizard(pilot)
        await to_step(pilot, "access")
        await click(pilot, "b-thishost-0")
        await put(pilot, "chap", True)
        client = screen.answers.clients[0]
        assert client.chap_user == HOST and len(client.chap_secret) == 16
        assert screen.query_one("#f-clients-0-chap_secret").password
        await put(pilot, "show_secrets", True)
        assert not screen.query_one("#f-clients-0-chap_secret").password
        await put(pilot, "clients.0.chap_secret", "x" * 20)
        await next_step(pilot)
        await put(pilot, "preset", "windows")
        assert "12 to 16 characters" in str(screen.query_one("#setup-problem").content)
        await click(pilot, "b-fix-secrets")
        assert len(screen.answers.clients[0].chap_secret) == 16 and screen.check.ok


# ---------------------------------------------------------------------------
# cancel, resume, dry run, rollback
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("step", STEP_ORDER)
async def test_cancel_at_any_step_changes_nothing(make_app, demo, step):
    before = export(demo)
    async with make_app().run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await open_wizard(pilot)
        await to_step(pilot, step)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ConfigScreen)
        assert screen.step == step
    assert export(demo) == before
    assert not (demo / "etc/target/saveconfig.json").exists()


async def test_leaving_half_way_resumes_at_that_step(make_app, demo):
    import os
    import stat

    async with make_app().run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_wizard(pilot)
        await to_step(pilot, "access")
        await put(pilot, "clients.0.label", "web02")
        await click(pilot, "setup-cancel")
    path = demo / "var/lib/sanctl/setup.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    async with make_app().run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await open_wizard(pilot)
        assert screen.step == "access" and screen.answers.clients[0].label == "web02"
        assert screen.answers.target == T
        await pilot.press("ctrl+r")  # start over
        await settle(pilot)
        assert screen.step == "checks" and screen.answers.clients[0].label == ""
        assert not path.exists()


async def test_read_only_is_a_dry_run_ending_at_review(make_app, demo):
    before = export(demo)
    async with make_app(readonly=True, readonly_reason="--readonly").run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await open_wizard(pilot)
        await to_step(pilot, "review")
        assert screen.query_one("#setup-next").disabled
        assert "Dry run" in str(screen.query_one("#setup-problem").content)
        await next_step(pilot)
        assert screen.step == "review"
    assert export(demo) == before


async def test_a_failed_apply_is_rolled_back_and_goes_back_to_review(make_app, demo):
    import errno

    from sanctl.lio.changes import CreatePortal
    from sanctl.sim.writer import SimWriter

    before = export(demo)
    app = make_app()
    writer = SimWriter(str(demo))

    execute = writer.execute

    def refuse(change):  # the kernel refuses the listener
        if isinstance(change, CreatePortal):
            raise OSError(errno.EADDRINUSE, "Address already in use")
        execute(change)

    writer.execute = refuse
    app.session.writer = writer
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await open_wizard(pilot)
        await to_step(pilot, "review")
        await next_step(pilot)
        assert screen.step == "apply" and screen.applied is None
        statuses = {p.key: p.status for p in screen.phases}
        assert statuses["group:0"] == "rolled back" and statuses["group:2"] == "failed"
        assert "Nothing changed" in screen.apply_message
        assert screen.query_one("#setup-next").disabled
        await pilot.press("ctrl+b")
        await settle(pilot)
        assert screen.step == "review"
    assert export(demo) == before


async def test_the_firewall_is_opened_only_when_asked(make_app, demo):
    async with make_app().run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await open_wizard(pilot)
        await to_step(pilot, "review")
        await next_step(pilot)
        assert not (demo / "var/lib/sanctl/demo-firewalld-ports").exists()
        assert screen.firewall_closed()
        await click(pilot, "b-open-firewall")
        assert (demo / "var/lib/sanctl/demo-firewalld-ports").read_text() == "3260/tcp\n"
        firewall = next(p for p in screen.phases if p.key == "firewall")
        assert firewall.status == "done" and "allows 3260/tcp" in firewall.detail


# ---------------------------------------------------------------------------
# snapshots of each step
# ---------------------------------------------------------------------------

SNAPSHOT_STEPS = ("checks", "storage", "target", "portal", "access", "preset", "review", "apply", "client")


def _run_to(step: str, *, chap: bool = False):
    async def run_before(pilot) -> None:
        await settle(pilot)
        await open_wizard(pilot)
        if step in ("apply", "client"):
            await to_step(pilot, "review")
            await next_step(pilot)
            if step == "client":
                await next_step(pilot)
        else:
            await to_step(pilot, step)
        if chap:
            await put(pilot, "chap", True)
            await put(pilot, "mutual", True)
        await settle(pilot)

    return run_before


@pytest.mark.parametrize("step", SNAPSHOT_STEPS)
def test_snapshot_80x24(snap_compare, make_app, step):
    assert snap_compare(make_app(), run_before=_run_to(step), terminal_size=(80, 24))


@pytest.mark.parametrize("step", ("storage", "access", "review", "apply", "client"))
def test_snapshot_120x40(snap_compare, make_app, step):
    assert snap_compare(make_app(), run_before=_run_to(step, chap=step == "access"), terminal_size=(120, 40))


def test_snapshot_refused_disk(snap_compare, make_app):
    async def run_before(pilot) -> None:
        await _run_to("storage")(pilot)
        await put(pilot, "storage.0.kind", "block")
        await put(pilot, "storage.0.dev", "/dev/vdb1")
        await next_step(pilot)

    assert snap_compare(make_app(), run_before=run_before, terminal_size=(80, 24))


def test_snapshot_duplicate_initiators(snap_compare, make_app):
    async def run_before(pilot) -> None:
        await _run_to("access")(pilot)
        await click(pilot, "b-thishost-0")
        await click(pilot, "b-add-client")
        await click(pilot, "b-thishost-1")

    assert snap_compare(make_app(), run_before=run_before, terminal_size=(120, 40))


def test_snapshot_offer_on_an_empty_host(snap_compare, tmp_path):
    from sanctl.sim.layout import SimKernel
    from sanctl.ui.app import SanctlApp

    root = tmp_path / "empty"
    SimKernel.boot(root)
    app = SanctlApp(root=str(root), mode="demo", host=HOST, live_checks=False)
    assert snap_compare(app, run_before=settle, terminal_size=(80, 24))
