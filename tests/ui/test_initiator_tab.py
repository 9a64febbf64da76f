"""The initiator tab (key 5) driven through a fake iscsiadm on PATH that replays real captured outputs.

Every iscsiadm the tab runs is the shim of ``initiator_tab_helpers`` (the log
proves it); failures, "already" answers and a hang past the deadline are the
exit codes and texts a real open-iscsi 2.1.8 gave.
"""

from __future__ import annotations

import re

import pytest

from .live_helpers import utc  # noqa: F401  (a fixture, used by name)

from .helpers import settle
from .initiator_tab_helpers import (
    BASIC,
    MULTIPATH_FAILED,
    NAME,
    NEW_NAME,
    NO_ACL,
    NOTICE,
    all_records,
    details,
    host_root,
    listing_rules,
    make_backend,
    open_tab,
    select,
    status,
    tab,
    tab_app,
    text_of,
    tree_lines,
)

BASIC_KEY = ("target", (BASIC, "127.0.0.1:3260", "default"))
NO_ACL_KEY = ("target", (NO_ACL, "127.0.0.1:3262", "default"))
PORTAL_KEY = ("portal", "127.0.0.1:3262")


# --- the tab: portals, targets, states, details ------------------------------------------------

async def test_key_5_lists_portals_targets_and_their_states(fake, app_with):
    fake.rules(listing_rules())
    app = app_with(multipath=str(MULTIPATH_FAILED))
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        screen = tab(app)
        assert app.screen is screen
        lines = tree_lines(app)
        assert "127.0.0.1:3262  2 targets, 1 logged in" in lines
        assert f"● {BASIC}  logged in  127.0.0.1:3260,1" in lines
        assert f"○ {NO_ACL}  not logged in  127.0.0.1:3262,1" in lines
        assert "[::1]:3260  no targets" in lines  # IPv6 discovery records come back bracketed
        assert NAME in text_of(screen.query_one("#init-name"))
        assert NOTICE in text_of(screen.query_one("#init-notice"))
        # three reads, every one with LC_ALL=C, nothing written
        assert [e["argv"][:4] for e in fake.entries()] == [["-m", "discoverydb"], ["-m", "node", "-o", "show"],
                                                          ["-m", "session", "-P", "3"]]
        assert {e["lc_all"] for e in fake.entries()} == {"C"}
        assert fake.writes() == []


async def test_details_record_keys_masked_negotiated_disks_and_dead_paths(fake, app_with):
    fake.rules(listing_rules())
    app = app_with(multipath=str(MULTIPATH_FAILED))
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        select(app, BASIC_KEY)
        await pilot.pause()
        text = details(app)
        assert "● logged in (session 1)" in text
        assert "MaxRecvDataSegmentLength  262144" in text  # the session's negotiated parameters
        assert "node.session.auth.username    sanctl-in" in text or "sanctl-in" in text
        assert "node.session.auth.password" in text and "********" in text
        assert "in-secret" not in text and "out-secret" not in text
        assert "/dev/sda" in text and "32.0 MiB" in text and "/mnt/basic" in text
        assert "/dev/sdc" in text and "held by dm-0" in text
        # multipath: mpatha's second path is dead, and says so in words
        assert "mpatha dm-0 32M  2 paths  ▲ 1 dead" in text
        assert "✖ dead  7:0:0:0 sdc  failed faulty offline" in text
        assert "● ok    6:0:0:0 sda  active ready running" in text


async def test_portal_details_and_empty_database(fake, app_with):
    fake.rules(listing_rules(sessions="session_P3_empty", records="") + [])
    fake.rules([{"match": ["-m", "discoverydb"], "case": "discoverydb_list_empty"},
                {"match": ["-m", "node"], "case": "node_list_empty"},
                {"match": ["-m", "session"], "case": "session_P3_empty"}])
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        assert tree_lines(app) == [""] or tree_lines(app) == []
        assert "No discovery portal yet. Press c" in details(app)
        assert "✖" not in status(app)  # exit 21 everywhere is "nothing", not an error


# --- quick connect -------------------------------------------------------------------------------

async def test_quick_connect_discovers_with_o_new_and_logs_in_to_what_it_finds(fake, app_with):
    fake.rules([{"match": ["-m", "node", "-T", BASIC, "--login"], "case": "login"},
                {"match": ["-m", "node", "-T", NO_ACL, "--login"], "case": "login_no_acl"},
                *listing_rules()])
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        await pilot.press("c")
        assert app.focused is tab(app).quick_connect
        await pilot.press(*"127.0.0.1", "enter")
        await settle(pilot)
        discover = [argv for argv in fake.calls() if "--discover" in argv]
        assert discover == [["-m", "discoverydb", "-t", "sendtargets", "-p", "127.0.0.1:3260", "--discover",
                             "-o", "new"]]  # -o new: rediscovery never resets a record's settings
        logins = [argv for argv in fake.calls() if "--login" in argv]
        assert logins == [["-m", "node", "-T", BASIC, "-p", "127.0.0.1:3260", "--login"],
                          ["-m", "node", "-T", NO_ACL, "-p", "127.0.0.1:3262", "--login"]]
        assert not [argv for argv in fake.calls() if "update" in argv]
        text = status(app)
        assert "2 targets at 127.0.0.1:3260; logged in to 1; 1 failed" in text
        assert "exit 24" in text and "Traceback" not in text
        # the refused target is "failed" in the tree, and its details say why and what to do
        assert f"✖ {NO_ACL}  failed  127.0.0.1:3262,1" in tree_lines(app)
        select(app, NO_ACL_KEY)
        await pilot.pause()
        why = details(app)
        assert "Last login failed (exit 24)" in why
        assert "iscsiadm: initiator reported error (24 - iSCSI login failed due to authorization failure)" in why


async def test_quick_connect_refused_portal_is_a_sentence_with_the_exit_code(fake, app_with):
    fake.rules([{"match": ["--discover"], "case": "discoverydb_discover_without_record"}, *listing_rules()])
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        await pilot.press("c", *"127.0.0.1:3299", "enter")
        await settle(pilot)
        text = status(app)
        assert text.startswith("✖ Discovery at 127.0.0.1:3299:")
        assert "(exit 11)" in text and "connection refused" in text
        assert "iscsiadm: " in text and "Traceback" not in text
        assert not [argv for argv in fake.calls() if "--login" in argv]


async def test_quick_connect_rejects_a_bad_address_before_running_anything(fake, app_with):
    fake.rules(listing_rules())
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        before = len(fake.calls())
        await pilot.press("c", *"-o delete", "enter")
        await settle(pilot)
        assert status(app).startswith("✖ Quick connect: '-o delete' is not a portal")
        assert len(fake.calls()) == before
        assert app.focused is tab(app).quick_connect  # to correct it
        await pilot.press("escape")
        assert app.focused is tab(app).tree


async def test_no_targets_found_is_an_answer_not_a_failure(fake, app_with):
    # exit 21 from discovery: the portal answered, with nothing for this initiator
    fake.rules([{"match": ["--discover"], "rc": 21, "stderr": "iscsiadm: No portals found\n"}, *listing_rules()])
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        await pilot.press("c", *"127.0.0.1", "enter")
        await settle(pilot)
        assert "offers no target to this initiator" in status(app)
        assert tab(app).query_one("#init-status").has_class("-warn")


# --- login, logout: "already" is success -------------------------------------------------------------

async def test_already_logged_in_and_not_logged_in_are_successes(fake, app_with):
    fake.rules([{"match": ["-m", "node", "--login"], "case": "login_again"},
                {"match": ["-m", "node", "--logout"], "case": "logout_again"}, *listing_rules()])
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        select(app, NO_ACL_KEY)
        await pilot.press("l")
        await settle(pilot)
        assert status(app) == f"✔ Already logged in to {NO_ACL} (nothing to do).\n"
        await pilot.press("o")
        await settle(pilot)
        assert status(app) == f"✔ Was not logged in to {NO_ACL} (nothing to do).\n"


async def test_login_failure_shows_plain_message_and_hint(fake, app_with):
    fake.rules([{"match": ["-m", "node", "--login"], "case": "login_auth_failure_no_chap"}, *listing_rules()])
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        select(app, NO_ACL_KEY)
        await pilot.press("l")
        await settle(pilot)
        text = status(app)
        assert text.startswith(f"✖ Login to {NO_ACL}:") and "(exit 24)" in text
        assert "Traceback" not in text
        assert tab(app).query_one("#init-status").has_class("-error")


async def test_logout_of_mounted_disks_asks_first(fake, app_with):
    fake.rules([{"match": ["-m", "node", "--logout"], "case": "logout"}, *listing_rules()])
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        select(app, BASIC_KEY)
        await pilot.press("o")
        await pilot.pause()
        from sanctl.ui.screens.confirm import ConfirmScreen

        assert isinstance(app.screen, ConfirmScreen)
        body = text_of(app.screen.query_one("#confirm-body"))
        assert "/dev/sda: /mnt/basic" in body and "Unmount first" in body
        assert app.focused.id == "confirm-cancel"  # Enter on a fresh dialog destroys nothing
        await pilot.press("enter")
        await settle(pilot)
        assert not [argv for argv in fake.calls() if "--logout" in argv]
        await pilot.press("o")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert [argv for argv in fake.calls() if "--logout" in argv] == [
            ["-m", "node", "-T", BASIC, "-p", "127.0.0.1:3260", "--logout"]]
        assert status(app) == f"✔ Logged out of {BASIC}.\n"


# --- a hang: the UI keeps answering, iscsiadm is stopped at its deadline ------------------------------

async def test_the_ui_keeps_answering_while_iscsiadm_hangs(fake, app_with, tmp_path):
    """While a login hangs, the cursor moves and a second change is refused politely.

    The fake's login blocks until the test opens its gate (no clock to race), and the
    deadline is far away, so "still busy" is a fact when the second key arrives.
    """
    gate = tmp_path / "login-may-return"
    fake.rules([{"match": ["-m", "node", "--login"], "case": "login_no_acl", "sleep": 600,
                 "until": str(gate)},
                *listing_rules()])
    app = app_with(timeout=300)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        select(app, NO_ACL_KEY)
        await pilot.press("l")
        screen = tab(app)
        for _ in range(200):  # until the worker has started iscsiadm
            if fake.calls() and any("--login" in argv for argv in fake.calls()):
                break
            await pilot.pause(0.05)
        assert screen.busy and "Logging in to" in status(app) and "stopped after 300 s" in status(app)
        await pilot.press("up")
        await pilot.pause()
        assert screen.tree.cursor_node.data == BASIC_KEY
        await pilot.press("l")
        await pilot.pause()
        assert any("Still running: Logging in to" in n.message for n in app.notices)
        assert screen.busy  # still waiting: only the gate ends it
        assert [argv for argv in fake.calls() if "--login" in argv] == [
            ["-m", "node", "-T", NO_ACL, "-p", "127.0.0.1:3262", "--login"]]  # the second l ran nothing
        gate.touch()
        await settle(pilot)
        assert not screen.busy


async def test_a_hang_past_the_timeout_is_stopped_and_the_login_cancelled(fake, app_with):
    fake.rules([{"match": ["-m", "node", "--logout"], "case": "logout_again"},
                {"match": ["-m", "node", "--login"], "sleep": 60,
                 "stdout": f"Logging in to [iface: default, target: {NO_ACL}, portal: 127.0.0.1,3262]\n"},
                *listing_rules()])
    app = app_with(timeout=1.5)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        select(app, NO_ACL_KEY)
        await pilot.press("l")
        await settle(pilot)
        text = status(app)
        assert "iscsiadm did not answer within 1.5 s and was stopped." in text
        assert "The pending login was cancelled." in text
        # the pending login was cancelled with a logout of that node
        calls = fake.calls()
        login = calls.index(["-m", "node", "-T", NO_ACL, "-p", "127.0.0.1:3262", "--login"])
        assert calls[login + 1] == ["-m", "node", "-T", NO_ACL, "-p", "127.0.0.1:3262", "--logout"]


async def test_a_hung_refresh_keeps_the_last_view(fake, app_with):
    fake.rules(listing_rules())
    app = app_with(timeout=1.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        before = tree_lines(app)
        fake.rules([{"match": ["-m", "session"], "sleep": 60}, *listing_rules()])
        await pilot.press("r")
        await settle(pilot)
        assert "Reading open-iscsi's records: iscsiadm did not answer within 1 s and was stopped." in status(app)
        assert "iscsid may be stuck" in status(app)
        assert tree_lines(app) == before


async def test_iscsid_down_says_how_to_start_it(fake, app_with):
    fake.rules([{"match": ["-m", "node", "--login"], "case": "login_iscsid_down"}, *listing_rules()])
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        select(app, NO_ACL_KEY)
        await pilot.press("l")
        await settle(pilot)
        text = status(app)
        assert "(exit 20)" in text and "systemctl start iscsid" in text


# --- favourites ---------------------------------------------------------------------------------------

async def test_favourite_sets_startup_automatic_and_checks_the_boot_service(fake, app_with, recorder):
    recorder.boot = recorder.boot.__class__("open-iscsi.service", "disabled")
    fake.rules([{"match": ["-m", "node", "-o", "update"], "case": "node_update_startup"}, *listing_rules()])
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        select(app, BASIC_KEY)
        await pilot.press("f")
        await settle(pilot)
        updates = [argv for argv in fake.calls() if "update" in argv]
        assert updates == [
            ["-m", "node", "-T", BASIC, "-p", "127.0.0.1:3260", "-o", "update", "-n", "node.startup", "-v", "automatic"],
            ["-m", "node", "-T", BASIC, "-p", "127.0.0.1:3260", "-o", "update", "-n", "node.conn[0].startup",
             "-v", "automatic"]]
        text = status(app)
        assert "open-iscsi.service is disabled" in text and "systemctl enable open-iscsi.service" in text


async def test_favourites_are_starred_and_a_disabled_boot_service_is_a_warning(fake, app_with, recorder):
    recorder.boot = recorder.boot.__class__("iscsi.service", "disabled")
    records = all_records().replace("node.startup = manual", "node.startup = automatic", 1)
    fake.rules([{"match": ["-m", "node", "-o", "update"], "case": "node_update_startup_manual"},
                *listing_rules(records=records)])
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        assert f"● {BASIC}  logged in  ★ favourite  127.0.0.1:3260,1" in tree_lines(app)
        warnings = text_of(tab(app).query_one("#init-warnings"))
        assert "1 favourite, but iscsi.service is disabled" in warnings
        select(app, BASIC_KEY)
        await pilot.press("f")  # a favourite already: the toggle takes it back to manual
        await settle(pilot)
        assert [argv[-1] for argv in fake.calls() if "update" in argv] == ["manual", "manual"]
        assert "is no favourite any more" in status(app)


# --- rediscovery and delete ---------------------------------------------------------------------------

async def test_rediscover_uses_o_new(fake, app_with):
    fake.rules(listing_rules())
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        select(app, ("portal", "127.0.0.1:3260"))
        await pilot.press("D")
        await settle(pilot)
        assert [argv for argv in fake.calls() if "--discover" in argv] == [
            ["-m", "discoverydb", "-t", "sendtargets", "-p", "127.0.0.1:3260", "--discover", "-o", "new"]]
        assert "Existing records kept their settings" in status(app)


async def test_delete_asks_and_refuses_a_logged_in_record(fake, app_with):
    fake.rules([{"match": ["-m", "node", "-o", "delete"], "case": "node_delete_again"}, *listing_rules()])
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        select(app, BASIC_KEY)
        await pilot.press("x")
        await pilot.pause()
        assert any("Log out first" in n.message for n in app.notices)
        select(app, NO_ACL_KEY)
        await pilot.press("x")
        await pilot.pause()
        from sanctl.ui.screens.confirm import ConfirmScreen

        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        # exit 21: the record was gone already — what the operator wanted
        assert status(app) == f"✔ {NO_ACL} had no record any more (nothing to do).\n"


# --- read-only, iscsiadm missing ---------------------------------------------------------------------

async def test_read_only_refuses_every_change_and_says_why(fake, app_with):
    fake.rules(listing_rules())
    app = app_with({"readonly": True, "readonly_reason": "--readonly"})
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        select(app, NO_ACL_KEY)
        for key in ("l", "o", "f", "x", "n", "c"):
            await pilot.press(key)
            await pilot.pause()
        select(app, PORTAL_KEY)
        await pilot.press("D")
        await pilot.pause()
        messages = [n.message for n in app.notices]
        assert len([m for m in messages if "sanctl is read-only here (--readonly)" in m]) == 7
        assert fake.writes() == []
        assert app.screen is tab(app)  # no dialog opened


async def test_missing_iscsiadm_names_the_package(fake, app_with, monkeypatch, tmp_path):
    import sanctl.initiator.iscsiadm.operations as iscsiadm

    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setattr(iscsiadm, "SBIN_DIRS", ())
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        screen = tab(app)
        panel = text_of(screen.query_one("#init-missing"))
        assert "iscsiadm, open-iscsi's command, is not installed." in panel
        assert re.search(r"Debian, Ubuntu +open-iscsi +apt install open-iscsi", panel)
        assert re.search(r"RHEL, Fedora +iscsi-initiator-utils +dnf install iscsi-initiator-utils", panel)
        assert not screen.query_one("#init-main").display
        await pilot.press("l")
        await pilot.pause()
        assert any("iscsiadm is not installed" in n.message for n in app.notices)


# --- the initiator name --------------------------------------------------------------------------------

async def test_change_name_validates_backs_up_warns_and_offers_a_restart(fake, app_with, recorder, tmp_path):
    fake.rules(listing_rules())
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        await pilot.press("n")
        await pilot.pause()
        from sanctl.ui.screens.confirm import ConfirmScreen
        from sanctl.ui.screens.initiator_modals import NameModal

        dialog = app.screen
        assert isinstance(dialog, NameModal)
        assert "Every target ACL" in text_of(dialog.query_one("#name-warnings"))
        await pilot.press(*"not a name", "enter")
        await pilot.pause()
        assert text_of(dialog.query_one("#name-error")).startswith("✖")
        assert app.screen is dialog
        dialog.field.value = ""
        await pilot.click("#name-generate")
        await settle(pilot)
        assert dialog.field.value == NEW_NAME
        await pilot.press("enter")
        await settle(pilot)
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        body = text_of(confirm.query_one("#confirm-body"))
        assert f"Every target ACL for {NAME} must be changed to {NEW_NAME}" in body
        assert "iscsid reads the name only when it starts" in body
        name_file = tmp_path / "host" / "etc" / "iscsi" / "initiatorname.iscsi"
        assert f"InitiatorName={NEW_NAME}" in name_file.read_text()
        assert "## DO NOT EDIT OR REMOVE THIS FILE!" in name_file.read_text()  # other lines kept
        backups = list(name_file.parent.glob("initiatorname.iscsi.*.bak"))
        assert len(backups) == 1 and f"InitiatorName={NAME}" in backups[0].read_text()
        assert recorder.restarts == 0
        await pilot.press("y")
        await settle(pilot)
        assert recorder.restarts == 1
        assert status(app) == "✔ iscsid restarted.\n"
        assert NEW_NAME in text_of(tab(app).query_one("#init-name"))


async def test_declining_the_restart_says_iscsid_keeps_the_old_name(fake, app_with, recorder):
    fake.rules(listing_rules())
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        await pilot.press("n")
        await pilot.pause()
        app.screen.field.value = NEW_NAME
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert recorder.restarts == 0
        assert "iscsid still uses the old name until it restarts" in status(app)


async def test_missing_name_file_is_a_warning(fake, make_app, tmp_path):
    fake.rules(listing_rules())
    app = tab_app(make_app, make_backend(host_root(tmp_path, name=None)))
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        assert "(none: /etc/iscsi/initiatorname.iscsi is missing)" in text_of(tab(app).query_one("#init-name"))
        assert "iscsid will not start" in text_of(tab(app).query_one("#init-warnings"))


# --- the shared-name flap, from the live panels ----------------------------------------------------------

async def test_name_seen_from_another_address_is_a_warning(fake, make_app, tmp_path, utc):
    from sanctl.sim.live import LOCAL_INITIATOR
    from sanctl.ui import panels

    from .live_helpers import Clocks, live_root, sample

    fake.rules(listing_rules())
    clocks = Clocks()
    root = live_root(tmp_path)
    app = make_app(root=str(root))
    app.initiator_backend = make_backend(host_root(tmp_path, LOCAL_INITIATOR))
    panels.configure(app, clock=lambda: clocks.mono, wall_clock=lambda: clocks.wall, autostart=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        assert "also logged in from another address" not in text_of(tab(app).query_one("#init-warnings"))
        # the tab listens to the live sampler while it is shown: a dozen seconds of the demo's flap
        await sample(pilot, clocks, times=12)
        warnings = text_of(tab(app).query_one("#init-warnings"))
        assert "This host's name is also logged in from another address" in warnings
        assert "192.168.50.10 and 192.168.50.12" in warnings


# --- snapshots ------------------------------------------------------------------------------------------

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])


@SIZES
def test_snapshot_after_quick_connect(snap_compare, fake, app_with, size):
    """Two targets found at 127.0.0.1: one logged in (disks, one multipath path dead), one refused (exit 24)."""
    fake.rules([{"match": ["-m", "node", "-T", BASIC, "--login"], "case": "login_again"},
                {"match": ["-m", "node", "-T", NO_ACL, "--login"], "case": "login_no_acl"},
                *listing_rules()])
    app = app_with(multipath=str(MULTIPATH_FAILED))

    async def run_before(pilot) -> None:
        await open_tab(pilot)
        await pilot.press("c", *"127.0.0.1", "enter")
        await settle(pilot)

    assert snap_compare(app, run_before=run_before, terminal_size=size)


def test_snapshot_logged_in_details(snap_compare, fake, app_with):
    fake.rules(listing_rules())
    app = app_with(multipath=str(MULTIPATH_FAILED))

    async def run_before(pilot) -> None:
        await open_tab(pilot)
        select(pilot.app, BASIC_KEY)
        await pilot.pause()

    assert snap_compare(app, run_before=run_before, terminal_size=(120, 40))


def test_snapshot_name_dialog(snap_compare, fake, app_with):
    fake.rules(listing_rules())
    app = app_with()

    async def run_before(pilot) -> None:
        await open_tab(pilot)
        await pilot.press("n")
        await pilot.pause()

    assert snap_compare(app, run_before=run_before, terminal_size=(80, 24))


def test_snapshot_iscsiadm_missing(snap_compare, fake, app_with, monkeypatch, tmp_path):
    import sanctl.initiator.iscsiadm.operations as iscsiadm

    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setattr(iscsiadm, "SBIN_DIRS", ())
    app = app_with()
    assert snap_compare(app, run_before=open_tab, terminal_size=(80, 24))


# --- the demo SAN: a simulated iscsiadm ------------------------------------------------------------------

async def test_demo_mode_drives_the_simulation_not_this_host(make_app, monkeypatch, tmp_path):
    from sanctl.sim.demo import RAC_CLIENTS, RAC_IQN, SCRATCH_IQN, WEB_IQN
    from sanctl.ui import panels

    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))  # no iscsiadm would be found anyway
    app = make_app()
    panels.configure(app, autostart=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        screen = tab(app)
        assert "iscsiadm is simulated against the demo SAN" in text_of(screen.query_one("#init-notice"))
        assert RAC_CLIENTS[0] in text_of(screen.query_one("#init-name"))
        assert f"● {RAC_IQN}  logged in  ★ favourite  192.168.50.10:3260,1" in tree_lines(app)
        await pilot.press("c", *"127.0.0.1", "enter")
        await settle(pilot)
        lines = tree_lines(app)
        assert "127.0.0.1:3260  2 targets, 1 logged in" in lines
        assert f"✖ {WEB_IQN}  failed  127.0.0.1:3260,1" in lines  # no ACL for this host's name
        assert any(line.startswith(f"● {SCRATCH_IQN}  logged in") for line in lines)  # demo mode: anyone
        assert "logged in to 2; 1 failed" in status(app)


async def test_an_iscsiadm_on_the_app_is_used(fake, make_app):
    from sanctl.initiator.iscsiadm import Iscsiadm, Timeouts
    from sanctl.ui import panels

    fake.rules(listing_rules())
    app = make_app()
    app.iscsiadm = Iscsiadm(timeouts=Timeouts(query=5, action=5, discovery=5))
    panels.configure(app, autostart=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        assert f"○ {NO_ACL}  not logged in  127.0.0.1:3262,1" in tree_lines(app)
        assert tab(app).backend.iscsiadm is app.iscsiadm
        # the demo app with this host's iscsiadm: the notice says so
        assert "drives this host's real iscsiadm" in text_of(tab(app).query_one("#init-notice"))


async def test_an_onboot_record_is_not_toggled(fake, app_with):
    records = all_records().replace("node.startup = manual", "node.startup = onboot", 1)
    fake.rules(listing_rules(records=records))
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        select(app, BASIC_KEY)
        await pilot.press("f")
        await settle(pilot)
        assert any("node.startup is onboot" in n.message for n in app.notices)
        assert fake.writes() == []
