"""The initiator tab (key 5) driven with Pilot inside the VM, in the app's real mode, against the LIO
target built by sanctl's writer — the real iscsiadm, iscsid, kernel sessions and disks.

Only two things are replaced in the tab's backend: the boot-service check (the VM has no systemd) and
"restart iscsid", which restarts the VM's own iscsid the way tests/kernel/guest.sh started it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from test_initiator_wrapper import build_writer_san

pytestmark = pytest.mark.kernel

REPO = Path(__file__).resolve().parents[2]
if str(REPO / "tests") not in sys.path:
    sys.path.append(str(REPO / "tests"))  # the package ui (its initiator_tab_helpers); appended, it shadows nothing

NAME_FILE = Path("/etc/iscsi/initiatorname.iscsi")
ISCSID_SOCKET = "@ISCSIADM_ABSTRACT_NAMESPACE"


# --- the VM's iscsid ---------------------------------------------------------------------------------

def _iscsid_pids() -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if Path(f"/proc/{entry}/comm").read_text().strip() == "iscsid":
                stat = Path(f"/proc/{entry}/stat").read_text()
                if stat.rsplit(")", 1)[1].split()[0] != "Z":  # a zombie has stopped already
                    pids.append(int(entry))
        except OSError:
            continue
    return pids


def _socket_open() -> bool:
    return ISCSID_SOCKET in Path("/proc/net/unix").read_text()


def restart_vm_iscsid():
    """Stop iscsid and start it again (``iscsid -f -n`` in its own session, as guest.sh does)."""
    import ktools

    from sanctl.initiator.services import ServiceResult

    for pid in _iscsid_pids():
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    ktools.wait_for(lambda: not _iscsid_pids() and not _socket_open(), "iscsid to stop", 30)
    log = open(os.path.join(os.environ.get("TMPDIR", "/tmp"), "iscsid-restarted.log"), "ab")
    subprocess.Popen(["iscsid", "-f", "-n"], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                     start_new_session=True)
    ktools.wait_for(_socket_open, "iscsid's socket after the restart", 30)
    return ServiceResult(True, "iscsid restarted.")


# --- the app -----------------------------------------------------------------------------------------

def real_app(tmp_path):
    """SanctlApp on this VM's real kernel with a tab backend whose deadlines suit TCG."""
    from sanctl.initiator.iscsiadm import Iscsiadm, Timeouts
    from sanctl.initiator.overview import InitiatorBackend
    from sanctl.initiator.services import UnitState
    from sanctl.ui import panels
    from sanctl.ui.app import SanctlApp

    app = SanctlApp(root="/", mode="real", readonly=False, readonly_reason=None, theme=None, host="sanctl-vm",
                    theme_dirs=[tmp_path / "themes"])
    app.initiator_backend = InitiatorBackend(
        Iscsiadm(timeouts=Timeouts(query=30, action=90, discovery=90)), root="/",
        boot_login=lambda: UnitState("open-iscsi.service", "unknown", "no systemd in the VM"),
        restart_iscsid=restart_vm_iscsid)
    panels.configure(app, autostart=False)
    return app


async def until(pilot, probe, what: str, timeout: float = 150.0) -> None:
    from ui.initiator_tab_helpers import status, tab

    deadline = time.monotonic() + timeout
    while True:
        await pilot.pause(0.2)
        if probe():
            return
        if time.monotonic() > deadline:
            screen = tab(pilot.app)
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; "
                                 f"status: {status(pilot.app) if screen else '-'!r}")


async def idle(pilot, timeout: float = 150.0) -> None:
    """Until the tab runs no change and no refresh (twice in a row: a change ends with a refresh)."""
    from ui.initiator_tab_helpers import tab

    def quiet() -> bool:
        screen = tab(pilot.app)
        return screen is not None and screen.busy is None and not screen.refreshing

    for _ in range(2):
        await until(pilot, quiet, "the tab to be idle", timeout)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.3)


async def modal_read(pilot, timeout: float = 60.0) -> str:
    from ui.initiator_tab_helpers import text_of

    await until(pilot, lambda: getattr(pilot.app.screen, "reading", True) is False, "the view to read", timeout)
    return text_of(pilot.app.screen.query_one("#reading-body"))


async def type_into(pilot, selector: str, text: str) -> None:
    """Fill a field as typing would (its Changed message runs the checks); key by key costs seconds under
    TCG, and typing itself is covered by the UI tests."""
    field = pilot.app.screen.query_one(selector)
    field.focus()
    field.value = text
    field.cursor_position = len(text)
    await pilot.pause()


def node_show(kt, target: str, portal: str) -> str:
    return kt.iscsiadm("-m", "node", "-T", target, "-p", portal, "-o", "show").stdout


def _shown(app) -> str:
    from ui.initiator_tab_helpers import details, status

    return status(app) + details(app) + "".join(n.message for n in app.notices)


# --- discovery, login, details, statistics, rescan, favourite, logout, delete ---------------------------

async def test_tab_discovers_logs_in_shows_disks_logs_out_and_deletes(lab, kernel_env, tmp_path):
    from ui.initiator_tab_helpers import details, select, status, tab, text_of, tree_lines

    from sanctl.ui.screens.initiator_forms import DiscoverModal
    from sanctl.ui.screens.confirm import ConfirmScreen

    kt = kernel_env
    san = build_writer_san(lab, kt, "iqn.2024-01.test.sanctl:tab", prefix="tab")
    target, portal = san.target_iqn, f"{kt.PORTAL_IP}:{kt.PORTAL_PORT}"
    key = ("target", (target, portal, "default"))
    app = real_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        await idle(pilot)
        screen = tab(app)
        assert screen.overview is not None and screen.overview.targets == ()
        assert "No discovery portal yet" in details(app)
        assert kt.initiator_name() in text_of(screen.query_one("#init-name"))

        # discovery (d): the real record appears, not logged in
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, DiscoverModal)
        await type_into(pilot, "#disc-portal", kt.PORTAL_IP)
        await pilot.press("enter")
        await idle(pilot)
        assert status(app).startswith(f"✔ Discovered {portal}: 1 target portal, new: {target}."), status(app)
        lines = tree_lines(app)
        assert f"{portal}  1 target" in lines and f"○ {target}  not logged in  {portal},1" in lines
        assert kt.iscsiadm("-m", "node").stdout.split() == [f"{portal},1", target]

        # login (l): logged in, and the disks /dev/sdX with their sizes in the details
        select(app, key)
        await pilot.press("l")
        await idle(pilot)
        assert status(app) == f"✔ Logged in to {target} at {portal}.\n", status(app)
        assert f"● {target}  logged in  {portal},1" in tree_lines(app)
        session = kt.wait_for(lambda: next((s for s in kt.iscsi_sessions()
                                            if len(s["disks"]) == len(san.mapped)), None), "the disks", 90)

        async def disks_shown() -> bool:
            await pilot.press("r")
            await idle(pilot)
            return all(f"/dev/{d}" in details(app) for d in session["disks"])

        deadline = time.monotonic() + 90
        while not await disks_shown():
            assert time.monotonic() < deadline, details(app)
        text = details(app)
        sid = int(session["name"].removeprefix("session"))
        assert f"● logged in (session {sid})" in text
        assert "64.0 MiB" in text and "16.0 MiB" in text and "not mounted" in text
        assert "MaxRecvDataSegmentLength" in text  # the negotiated parameters
        assert san.acl in text  # the session's initiator name

        # statistics (s) and every key (K), read from the real iscsiadm
        await pilot.press("s")
        body = await modal_read(pilot)
        assert f"Session {sid}  {target} at {portal}" in body and "scsicmd_pdus" in body
        await pilot.press("escape")
        await pilot.press("K")
        body = await modal_read(pilot)
        assert "node.startup" in body and "node.session.auth.authmethod" in body and "<empty>" in body
        await pilot.press("escape")
        await pilot.press("i")
        body = await modal_read(pilot)
        assert "default" in body and "tcp" in body
        await pilot.press("escape")
        await pilot.pause()

        # rescan (R)
        await pilot.press("R")
        await idle(pilot)
        assert status(app) == f"✔ Rescanned session {sid}: LUNs mapped since the login show up as disks.\n"

        # favourite (f): node.startup automatic in the real record, then back
        await pilot.press("f")
        await idle(pilot)
        assert "node.startup = automatic" in node_show(kt, target, portal), status(app)
        assert f"● {target}  logged in  ★ favourite  {portal},1" in tree_lines(app)
        await pilot.press("f")
        await idle(pilot)
        assert "node.startup = manual" in node_show(kt, target, portal)

        # delete is refused while logged in; logout (o); delete (x) with its confirmation
        await pilot.press("x")
        await pilot.pause()
        assert any("Log out first" in n.message for n in app.notices)
        await pilot.press("o")
        await idle(pilot)
        assert status(app) == f"✔ Logged out of {target}.\n", status(app)
        kt.wait_for(lambda: not kt.iscsi_sessions(), "the session to go", 60)
        assert f"○ {target}  not logged in  {portal},1" in tree_lines(app)
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await idle(pilot)
        assert status(app) == f"✔ Deleted the record of {target}.\n", status(app)
        assert kt.iscsiadm("-m", "node", ok=(21,)).returncode == 21
        assert f"{portal}  no targets" in tree_lines(app)


# --- a failure on the real stack, then the CHAP form ----------------------------------------------------

async def test_tab_wrong_chap_is_explained_and_the_chap_form_fixes_it(lab, kernel_env, tmp_path):
    from ui.initiator_tab_helpers import details, select, status, tree_lines

    from sanctl.lio import changes as C
    from sanctl.ui.screens.initiator_forms import AuthModal

    kt = kernel_env
    secret, mutual = "tab-secret-123", "tab-mutual-456"
    san = build_writer_san(lab, kt, "iqn.2024-01.test.sanctl:tab-chap", prefix="tabchap",
                           chap=C.Chap("tab-in", secret, "tab-out", mutual))
    target, portal = san.target_iqn, f"{kt.PORTAL_IP}:{kt.PORTAL_PORT}"
    key = ("target", (target, portal, "default"))
    app = real_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        await idle(pilot)

        # quick connect: discovery works, the login is refused (no CHAP in the record yet)
        await pilot.press("c", *kt.PORTAL_IP, "enter")
        await idle(pilot)
        text = status(app)
        assert text.startswith(f"✖ Quick connect: 1 target at {portal}; 1 failed — {target}: "), text
        assert "(exit 24)" in text and "Traceback" not in text
        assert f"✖ {target}  failed  {portal},1" in tree_lines(app)
        select(app, key)
        await pilot.pause()
        why = details(app)
        assert "Last login failed (exit 24)" in why and "CHAP" in why and "ACL" in why
        assert "iscsiadm: initiator reported error (24 - iSCSI login failed due to authorization failure)" in why

        async def set_chap(user_secret: str, mutual_secret: str) -> None:
            await pilot.press("a")
            await pilot.pause()
            assert isinstance(app.screen, AuthModal)
            await pilot.click("#chap-mutual")
            await type_into(pilot, "#chap-user", "tab-in")
            await type_into(pilot, "#chap-secret", user_secret)
            await type_into(pilot, "#chap-user-in", "tab-out")
            await type_into(pilot, "#chap-secret-in", mutual_secret)
            await pilot.press("ctrl+s")
            await idle(pilot)
            assert status(app).startswith(f"✔ {target} now uses mutual CHAP as tab-in, the target as tab-out."), \
                status(app)

        # a wrong secret: the target refuses, the message says to check CHAP on both sides
        await set_chap("wrong-secret-99", mutual)
        shown = node_show(kt, target, portal)
        assert "node.session.auth.authmethod = CHAP" in shown and "node.session.auth.username = tab-in" in shown
        await pilot.press("l")
        await idle(pilot)
        text = status(app)
        assert text.startswith(f"✖ Login to {target}: ") and "(exit 24)" in text and "CHAP" in text, text

        # the right secret, a wrong mutual one: the target cannot prove itself (exit 19)
        await set_chap(secret, "wrong-mutual-99")
        await pilot.press("l")
        await idle(pilot)
        text = status(app)
        assert "(exit 19)" in text and "mutual CHAP" in text, text

        # both right: logged in, and the details name the CHAP users (never a secret)
        await set_chap(secret, mutual)
        await pilot.press("l")
        await idle(pilot)
        assert status(app) == f"✔ Logged in to {target} at {portal}.\n", status(app)
        assert "CHAP  mutual: as tab-in (secret set), the target as tab-out (secret set)" in details(app)
        for word in (secret, mutual, "wrong-secret-99", "wrong-mutual-99"):
            assert word not in _shown(app)
        await pilot.press("o")
        await idle(pilot)
        kt.wait_for(lambda: not kt.iscsi_sessions(), "the session to go", 60)


# --- the initiator name: backup, warning, restart, and what the target then says ------------------------

async def test_tab_name_change_keeps_a_backup_restarts_iscsid_and_the_acl_must_follow(lab, kernel_env, tmp_path):
    from ui.initiator_tab_helpers import select, status, tab, text_of

    from sanctl.ui.screens.confirm import ConfirmScreen
    from sanctl.ui.screens.initiator_modals import NameModal

    kt = kernel_env
    san = build_writer_san(lab, kt, "iqn.2024-01.test.sanctl:tab-name", prefix="tabname")
    target, portal = san.target_iqn, f"{kt.PORTAL_IP}:{kt.PORTAL_PORT}"
    old_name, new_name = kt.initiator_name(), "iqn.2024-01.test.sanctl:vm-renamed"
    original = NAME_FILE.read_text()
    before = set(NAME_FILE.parent.glob("initiatorname.iscsi.*"))
    app = real_app(tmp_path)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("5")
            await idle(pilot)
            await pilot.press("c", *kt.PORTAL_IP, "enter")  # with the old name: in
            await idle(pilot)
            assert status(app).startswith(f"✔ Quick connect: 1 target at {portal}; logged in to 1"), status(app)
            select(app, ("target", (target, portal, "default")))
            await pilot.press("o")
            await idle(pilot)
            kt.wait_for(lambda: not kt.iscsi_sessions(), "the session to go", 60)

            await pilot.press("n")
            await pilot.pause()
            assert isinstance(app.screen, NameModal)
            assert "Every target ACL" in text_of(app.screen.query_one("#name-warnings"))
            await type_into(pilot, "#name-input", new_name)
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the restart question", 30)
            body = text_of(app.screen.query_one("#confirm-body"))
            assert f"Every target ACL for {old_name} must be changed to {new_name}" in body
            assert "iscsid reads the name only when it starts" in body
            assert f"InitiatorName={new_name}" in NAME_FILE.read_text()
            [backup] = set(NAME_FILE.parent.glob("initiatorname.iscsi.*")) - before
            assert f"InitiatorName={old_name}" in backup.read_text()
            await pilot.press("y")
            await idle(pilot)
            assert status(app) == "✔ iscsid restarted.\n", status(app)
            assert new_name in text_of(tab(app).query_one("#init-name"))

            # the target's ACL is for the old name: iscsid now logs in as the new one and is refused
            await pilot.press("l")
            await idle(pilot)
            text = status(app)
            assert text.startswith(f"✖ Login to {target}: ") and "(exit 24)" in text, text
            assert "ACL must be for exactly this initiator's name" in text
    finally:
        if NAME_FILE.read_text() != original:
            NAME_FILE.write_text(original)
            restart_vm_iscsid()
        for extra in set(NAME_FILE.parent.glob("initiatorname.iscsi.*")) - before:
            extra.unlink()
    assert kt.initiator_name() == old_name
