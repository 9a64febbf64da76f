"""The initiator tab's record and session actions through a fake iscsiadm replaying captured outputs:
session CHAP (``a``), discovery with options (``d``), every key (``k``), statistics (``s``),
rescan (``R``) and ifaces (``i``) — their successes, failures and a hang past the deadline.
"""

from __future__ import annotations

import pytest

from .helpers import settle
from .initiator_tab_helpers import (
    BASIC,
    NO_ACL,
    FakeIscsiadm,
    details,
    listing_rules,
    open_tab,
    select,
    status,
    tab,
    text_of,
)

BASIC_KEY = ("target", (BASIC, "127.0.0.1:3260", "default"))
NO_ACL_KEY = ("target", (NO_ACL, "127.0.0.1:3262", "default"))
PORTAL_KEY = ("portal", "127.0.0.1:3262")
SECRET = "in-secret-123"
MUTUAL = "out-secret-456"
AUTH_PREFIX = ["-o", "update", "-n"]


def updates(fake: FakeIscsiadm) -> list[tuple[str, str]]:
    """``(key, value)`` of every ``-o update -n KEY -v VALUE`` the tab ran, in order."""
    found = []
    for argv in fake.calls():
        if "update" in argv and "-n" in argv:
            found.append((argv[argv.index("-n") + 1], argv[argv.index("-v") + 1]))
    return found


async def type_into(pilot, selector: str, text: str) -> None:
    field = pilot.app.screen.query_one(selector)
    field.focus()
    await pilot.pause()
    field.value = ""
    await pilot.press(*text) if text else None
    await pilot.pause()


def form_error(app) -> str:
    """What the form says is wrong or risky: the reasons shown under its fields, its problem line, its warnings."""
    lines = app.screen.query(".form-error.-shown, #form-problem, #form-warnings")
    return "".join(text_of(widget) for widget in lines if widget.display)


def everything_shown(app) -> str:
    """The tab's status, details, name lines and every notification: where a secret must never be."""
    screen = tab(app)
    parts = [status(app), details(app), text_of(screen.query_one("#init-warnings"))]
    parts += [n.message for n in app.notices]
    return "\n".join(parts)


# --- session CHAP of a node record (a) ---------------------------------------------------------------

async def test_auth_form_sets_one_way_chap_validated_and_masked(fake, app_with):
    from sanctl.ui.screens.initiator_forms import AuthModal

    fake.rules([{"match": ["-m", "node", "-o", "update"], "case": "node_update_auth_password"}, *listing_rules()])
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        select(app, NO_ACL_KEY)
        await pilot.pause()
        assert "CHAP  none (a to set it)" in details(app)
        await pilot.press("a")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, AuthModal)
        assert dialog.query_one("#chap-user").disabled  # "None" is chosen: nothing to type
        await pilot.click("#chap-chap")
        await pilot.pause()
        assert not dialog.query_one("#chap-user").disabled and dialog.query_one("#chap-user-in").disabled
        await type_into(pilot, "#chap-user", "sanctl in")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "cannot contain whitespace" in form_error(app) and app.screen is dialog
        await type_into(pilot, "#chap-user", "sanctl-in")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "secret is required" in form_error(app)
        await type_into(pilot, "#chap-secret", "short 1")
        assert "cannot contain whitespace" in form_error(app)
        await type_into(pilot, "#chap-secret", "short1")
        assert form_error(app).startswith("▲") and "shorter than 12" in form_error(app)  # a warning only
        await type_into(pilot, "#chap-secret", SECRET)
        assert dialog.query_one("#chap-secret").password  # masked as typed
        assert updates(fake) == []  # nothing written before it is confirmed
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert updates(fake) == [("node.session.auth.authmethod", "CHAP"), ("node.session.auth.username", "sanctl-in"),
                                 ("node.session.auth.password", SECRET), ("node.session.auth.username_in", ""),
                                 ("node.session.auth.password_in", "")]
        assert all(argv[:6] == ["-m", "node", "-T", NO_ACL, "-p", "127.0.0.1:3262"]
                   for argv in fake.calls() if "update" in argv)
        assert status(app) == f"✔ {NO_ACL} now uses CHAP as sanctl-in. l logs in with it.\n"
        assert SECRET not in everything_shown(app)


async def test_auth_form_on_a_chap_record_keeps_secrets_left_empty(fake, app_with):
    from sanctl.ui.screens.initiator_forms import AuthModal

    fake.rules([{"match": ["-m", "node", "-o", "update"], "case": "node_update_auth_username"}, *listing_rules()])
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        select(app, BASIC_KEY)
        await pilot.pause()
        assert "CHAP  mutual: as sanctl-in (secret set), the target as sanctl-out (secret set)" in details(app)
        await pilot.press("a")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, AuthModal)
        assert dialog.chosen() == "mutual"
        assert dialog.query_one("#chap-user").value == "sanctl-in"
        assert dialog.query_one("#chap-user-in").value == "sanctl-out"
        assert dialog.query_one("#chap-secret").value == ""  # a secret is never read back to be shown
        assert "leave empty to keep it" in dialog.query_one("#chap-secret").placeholder
        assert "keeps its settings until it logs in again" in text_of(dialog.query_one("#form-intro"))
        await type_into(pilot, "#chap-user-in", "target-2")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert updates(fake) == [("node.session.auth.authmethod", "CHAP"), ("node.session.auth.username", "sanctl-in"),
                                 ("node.session.auth.username_in", "target-2")]
        text = status(app)
        assert "mutual CHAP as sanctl-in, the target as target-2 (secret and mutual secret kept)" in text
        assert "The session keeps its old settings until it logs in again (o, then l)." in text


async def test_auth_form_refuses_equal_mutual_secrets_and_none_clears_everything(fake, app_with):
    fake.rules([{"match": ["-m", "node", "-o", "update"], "case": "node_update_auth_username_in_clear"},
                *listing_rules()])
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        select(app, BASIC_KEY)
        await pilot.press("a")
        await pilot.pause()
        await type_into(pilot, "#chap-secret", SECRET)
        await type_into(pilot, "#chap-secret-in", SECRET)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "must differ from the initiator's secret" in form_error(app)
        await pilot.click("#chap-none")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert updates(fake) == [("node.session.auth.authmethod", "None"), ("node.session.auth.username", ""),
                                 ("node.session.auth.password", ""), ("node.session.auth.username_in", ""),
                                 ("node.session.auth.password_in", "")]
        assert status(app).startswith(f"✔ {BASIC} now uses no authentication.")


async def test_auth_escape_writes_nothing_and_read_only_refuses(fake, app_with):
    fake.rules(listing_rules())
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        select(app, NO_ACL_KEY)
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is tab(app) and fake.writes() == []
    app = app_with({"readonly": True, "readonly_reason": "--readonly"})
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        select(app, NO_ACL_KEY)
        for key in ("a", "d", "R"):
            await pilot.press(key)
            await pilot.pause()
        assert len([n for n in app.notices if "sanctl is read-only here" in n.message]) == 3
        assert app.screen is tab(app) and fake.writes() == []


async def test_auth_update_says_what_it_waits_for(fake, app_with, tmp_path):
    """While iscsiadm runs, the status says what and until when (it blocks on a gate: no clock to race)."""
    gate = tmp_path / "update-may-return"
    fake.rules([{"match": ["-m", "node", "-o", "update"], "sleep": 600, "until": str(gate)}, *listing_rules()])
    app = app_with(timeout=300)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        select(app, NO_ACL_KEY)
        await pilot.press("a")
        await pilot.pause()
        await pilot.click("#chap-chap")
        await type_into(pilot, "#chap-user", "sanctl-in")
        await type_into(pilot, "#chap-secret", SECRET)
        await pilot.press("ctrl+s")
        for _ in range(500):  # until the worker has started iscsiadm
            if any("update" in argv for argv in fake.calls()):
                break
            await pilot.pause(0.02)
        assert "Setting the CHAP of" in status(app) and "stopped after 300 s" in status(app)
        gate.touch()
        await settle(pilot)


async def test_auth_update_hang_is_stopped_and_said(fake, app_with):
    fake.rules([{"match": ["-m", "node", "-o", "update"], "sleep": 60}, *listing_rules()])
    app = app_with(timeout=1.5)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        select(app, NO_ACL_KEY)
        await pilot.press("a")
        await pilot.pause()
        await pilot.click("#chap-chap")
        await type_into(pilot, "#chap-user", "sanctl-in")
        await type_into(pilot, "#chap-secret", SECRET)
        await pilot.press("ctrl+s")
        await settle(pilot)
        text = status(app)
        assert text.startswith(f"✖ CHAP of {NO_ACL}: iscsiadm did not answer within 1.5 s and was stopped.")
        assert SECRET not in everything_shown(app)


async def test_wrong_secret_and_mutual_failures_say_what_to_check(fake, app_with):
    fake.rules([{"match": ["-m", "node", "--login"], "case": "login_auth_failure_wrong_secret", "times": 1},
                {"match": ["-m", "node", "--login"], "case": "login_mutual_failure"}, *listing_rules()])
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        select(app, NO_ACL_KEY)
        await pilot.press("l")
        await settle(pilot)
        text = status(app)
        assert "(exit 24)" in text and "CHAP" in text and "ACL" in text
        await pilot.press("l")
        await settle(pilot)
        text = status(app)
        assert "(exit 19)" in text and "mutual CHAP" in text


async def test_the_tabs_dialogs_are_the_one_form_screen(fake, app_with):
    """a, d and N open the configuration's form screen on a FormSpec of sanctl.forms.initiator."""
    from sanctl.forms.spec import FormSpec
    from sanctl.ui.forms.screen import FormScreen

    fake.rules(listing_rules())
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        select(app, NO_ACL_KEY)
        titles = []
        for key in ("a", "d", "N"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, FormScreen) and isinstance(app.screen.spec, FormSpec)
            titles.append(app.screen.query_one("#form").border_title)
            await pilot.press("escape")
            await pilot.pause()
        assert titles == ["Session CHAP of a node record", "Discover the targets of a portal",
                          "Targets discovery does not list"]
        assert fake.writes() == []


# --- discovery with options (d) --------------------------------------------------------------------------

async def test_discover_form_with_iface_and_discovery_chap(fake, app_with):
    from sanctl.ui.screens.initiator_forms import DiscoverModal

    fake.rules([{"match": ["--discover"], "case": "discoverydb_discover"},
                {"match": ["-m", "discoverydb", "-o", "update"], "case": "discoverydb_update_authmethod"},
                {"match": ["-m", "discoverydb", "-o", "new"], "case": "discoverydb_new"},
                *listing_rules()])
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        select(app, BASIC_KEY)
        await pilot.press("d")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, DiscoverModal) and app.focused.id == "disc-portal"
        await pilot.press(*"-o delete")
        await pilot.pause()
        assert "is not a portal" in form_error(app)
        await type_into(pilot, "#disc-portal", "127.0.0.1:3263")
        await type_into(pilot, "#disc-iface", "-x")
        assert "An iface name" in form_error(app)
        await type_into(pilot, "#disc-iface", "iser")
        await pilot.click("#chap-mutual")
        await type_into(pilot, "#chap-user", "disc-in")
        await type_into(pilot, "#chap-secret", SECRET)
        await type_into(pilot, "#chap-user-in", "disc-out")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "needs the target's secret" in form_error(app)  # discovery never keeps an unseen secret
        await type_into(pilot, "#chap-secret-in", MUTUAL)
        await pilot.press("enter")
        await settle(pilot)
        prefix = ["-m", "discoverydb", "-t", "sendtargets", "-p", "127.0.0.1:3263", "-I", "iser"]
        calls = fake.calls()
        assert prefix + ["-o", "new"] in calls  # no discovery record yet: made first, then its CHAP set
        assert updates(fake) == [("discovery.sendtargets.auth.authmethod", "CHAP"),
                                 ("discovery.sendtargets.auth.username", "disc-in"),
                                 ("discovery.sendtargets.auth.password", SECRET),
                                 ("discovery.sendtargets.auth.username_in", "disc-out"),
                                 ("discovery.sendtargets.auth.password_in", MUTUAL)]
        assert [argv for argv in calls if "--discover" in argv] == [prefix + ["--discover", "-o", "new"]]
        text = status(app)
        assert text.startswith("✔ Discovered 127.0.0.1:3263:") and "With mutual discovery CHAP." in text
        assert SECRET not in everything_shown(app) and MUTUAL not in everything_shown(app)


async def test_discover_form_on_a_portal_none_turns_discovery_chap_off(fake, app_with):
    fake.rules([{"match": ["-m", "discoverydb", "-o", "update"], "case": "discoverydb_update_authmethod"},
                *listing_rules()])
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        select(app, PORTAL_KEY)
        await pilot.press("a")  # on a portal: discovery CHAP, in the discovery form
        await pilot.pause()
        assert app.screen.query_one("#disc-portal").value == "127.0.0.1:3262"
        assert app.focused.id == "chap-method"
        await pilot.click("#chap-none")
        await pilot.click("#disc-prune")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert [k for k, _ in updates(fake)] == [f"discovery.sendtargets.auth.{k}" for k in
                                                 ("authmethod", "username", "password", "username_in", "password_in")]
        assert [argv for argv in fake.calls() if "--discover" in argv] == [
            ["-m", "discoverydb", "-t", "sendtargets", "-p", "127.0.0.1:3262", "--discover", "-o", "new",
             "-o", "delete"]]
        assert "Discovery CHAP off." in status(app)


async def test_discovery_chap_refused_is_a_sentence(fake, app_with):
    fake.rules([{"match": ["--discover"], "rc": 24,
                 "stderr": "iscsiadm: Login failed to authenticate with target \n"
                           "iscsiadm: discovery login to 127.0.0.1 rejected: initiator failed authorization\n"
                           "iscsiadm: Could not perform SendTargets discovery: iSCSI login failed due to "
                           "authorization failure\n"},
                *listing_rules()])
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        await pilot.press("d")
        await pilot.pause()
        await type_into(pilot, "#disc-portal", "127.0.0.1")
        await pilot.press("enter")
        await settle(pilot)
        text = status(app)
        assert text.startswith("✖ Discovery at 127.0.0.1:3260: The portal refused discovery: discovery CHAP failed."
                               " (exit 24)")
        assert "discovery_auth" in text


# --- every key, statistics, rescan, ifaces -------------------------------------------------------------

async def test_K_shows_every_key_of_the_record_and_of_the_discovery_record(fake, app_with):
    from sanctl.ui.screens.initiator_views import ReadingModal

    fake.rules([{"match": ["-m", "node", "-T", BASIC, "-o", "show"], "case": "node_show_chap"},
                {"match": ["-m", "discoverydb", "-p", "127.0.0.1:3262", "-o", "show"], "case": "discoverydb_show"},
                *listing_rules()])
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        select(app, BASIC_KEY)
        await pilot.press("K")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ReadingModal)
        body = text_of(dialog.query_one("#reading-body"))
        assert "keys," in body and "empty (open-iscsi 2.1.8); secrets masked" in body
        assert "iface.chap_auth" in body and "<empty>" in body  # the empty keys too
        assert "node.session.auth.password" in body and "(set)" in body
        assert "********" not in body and SECRET not in body
        await pilot.press("escape")
        await pilot.pause()
        select(app, PORTAL_KEY)
        await pilot.press("K")
        await settle(pilot)
        body = text_of(app.screen.query_one("#reading-body"))
        assert "discovery.sendtargets.auth.authmethod" in body and "discovery.sendtargets.reopen_max" in body
        assert ["-m", "discoverydb", "-t", "sendtargets", "-p", "127.0.0.1:3262", "-o", "show"] in fake.calls()
        assert fake.writes() == []


async def test_s_shows_the_session_statistics_and_a_hang_keeps_the_ui(fake, app_with):
    from sanctl.ui.screens.initiator_views import ReadingModal

    fake.rules([{"match": ["-m", "session", "-r", "1", "-s"], "case": "session_stats", "times": 1},
                {"match": ["-m", "session", "-r", "1", "-s"], "sleep": 60}, *listing_rules()])
    app = app_with(timeout=1.5)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        select(app, NO_ACL_KEY)
        await pilot.press("s")
        await pilot.pause()
        assert any("Select a logged-in target" in n.message for n in app.notices)
        select(app, BASIC_KEY)
        await pilot.press("s")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ReadingModal)
        body = text_of(dialog.query_one("#reading-body"))
        assert f"Session 1  {BASIC} at 127.0.0.1:3260" in body
        assert "scsicmd_pdus" in body and "111" in body and "45,252" in body
        assert "iSCSI Extended" in body and "eh_abort_cnt" in body
        await pilot.press("r")  # read again: this time iscsiadm hangs
        assert dialog.reading  # set as the key is handled, long before the 1.5 s deadline
        await settle(pilot)
        body = text_of(dialog.query_one("#reading-body"))
        assert "✖ iscsiadm did not answer within 1.5 s and was stopped." in body and "iscsid may be stuck" in body
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is tab(app)


async def test_R_rescans_the_session_and_an_unknown_session_is_a_sentence(fake, app_with):
    fake.rules([{"match": ["--rescan"], "case": "session_rescan", "times": 1},
                {"match": ["--rescan"], "case": "session_rescan_unknown_sid"}, *listing_rules()])
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        select(app, BASIC_KEY)
        await pilot.press("R")
        await settle(pilot)
        assert ["-m", "session", "-r", "1", "--rescan"] in fake.calls()
        assert status(app) == "✔ Rescanned session 1: LUNs mapped since the login show up as disks.\n"
        select(app, ("portal", "127.0.0.1:3262"))
        await pilot.press("R")
        await settle(pilot)
        text = status(app)
        assert text.startswith("✖ Rescan:") and "(exit 22)" in text and "Traceback" not in text


async def test_i_lists_the_ifaces_and_the_discovery_form_offers_them(fake, app_with):
    from sanctl.ui.screens.initiator_views import ReadingModal

    fake.rules([{"match": ["-m", "iface"], "case": "iface_list"}, *listing_rules()])
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        await pilot.press("i")
        await settle(pilot)
        assert isinstance(app.screen, ReadingModal)
        body = text_of(app.screen.query_one("#reading-body"))
        assert "default" in body and "tcp" in body and "iser" in body and "bind one to a NIC" in body
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        assert "known: default, iser" in app.screen.query_one("#disc-iface").placeholder


async def test_read_views_work_in_read_only_mode(fake, app_with):
    fake.rules([{"match": ["-m", "iface"], "case": "iface_list"}, *listing_rules()])
    app = app_with({"readonly": True, "readonly_reason": "--readonly"})
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        await pilot.press("i")
        await settle(pilot)
        assert "iser" in text_of(app.screen.query_one("#reading-body"))
        assert fake.writes() == []


async def test_details_name_the_keys_of_a_logged_in_record(fake, app_with):
    fake.rules(listing_rules())
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        select(app, BASIC_KEY)
        await pilot.pause()
        text = details(app)
        assert "o log out · a CHAP · f favourite · K all keys · s statistics · R rescan · x delete" in text
        assert "empty not shown: K shows all" in text
        select(app, NO_ACL_KEY)
        await pilot.pause()
        assert "l log in · a CHAP · f favourite · K all keys · x delete" in details(app)


# --- every record, every session (L, O) -------------------------------------------------------------------

async def test_L_lists_every_record_not_logged_in_then_logs_in(fake, app_with):
    from sanctl.ui.screens.confirm import ConfirmScreen

    fake.rules([{"match": ["-m", "node", "--login"], "case": "login_no_acl"}, *listing_rules()])
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        await pilot.press("L")
        await pilot.pause()
        # the list first, and nothing tried yet
        assert isinstance(app.screen, ConfirmScreen)
        body = text_of(app.screen.query_one("#confirm-body"))
        assert "Log in to 1 node record:" in body and f"{NO_ACL} at 127.0.0.1:3262" in body and BASIC not in body
        assert [argv for argv in fake.calls() if "--login" in argv] == []
        await pilot.press("y")
        await settle(pilot)
        # the logged-in record is left alone; the other one is tried and refused (exit 24)
        assert [argv for argv in fake.calls() if "--login" in argv] == [
            ["-m", "node", "-T", NO_ACL, "-p", "127.0.0.1:3262", "--login"]]
        assert status(app).startswith(f"✖ Login to {NO_ACL}:") and "(exit 24)" in status(app)


async def test_O_lists_every_session_and_their_mounted_disks_before_logging_out(fake, app_with):
    from sanctl.ui.screens.confirm import ConfirmScreen

    fake.rules([{"match": ["-m", "node", "--logout"], "case": "logout"}, *listing_rules()])
    app = app_with()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        select(app, NO_ACL_KEY)  # wherever the cursor is
        await pilot.press("O")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and app.focused.id == "confirm-cancel"
        body = text_of(app.screen.query_one("#confirm-body"))
        assert f"Log out of {BASIC} at 127.0.0.1:3260." in body and "/dev/sda: /mnt/basic" in body
        await pilot.press("y")
        await settle(pilot)
        assert [argv for argv in fake.calls() if "--logout" in argv] == [
            ["-m", "node", "-T", BASIC, "-p", "127.0.0.1:3260", "--logout"]]


# --- snapshots --------------------------------------------------------------------------------------------

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])


@SIZES
def test_snapshot_auth_form(snap_compare, fake, app_with, size):
    """The CHAP form on a mutual-CHAP record: users filled in, secrets kept unless typed."""
    fake.rules(listing_rules())
    app = app_with()

    async def run_before(pilot) -> None:
        await open_tab(pilot)
        select(pilot.app, BASIC_KEY)
        await pilot.press("a")
        await pilot.pause()
        await type_into(pilot, "#chap-secret", "short1")

    assert snap_compare(app, run_before=run_before, terminal_size=size)


@SIZES
def test_snapshot_discover_form(snap_compare, fake, app_with, size):
    """The discovery form with CHAP chosen and the secret missing: the reason under the fields."""
    fake.rules(listing_rules())
    app = app_with()

    async def run_before(pilot) -> None:
        await open_tab(pilot)
        await pilot.press("d")
        await pilot.pause()
        await type_into(pilot, "#disc-portal", "192.0.2.10")
        await pilot.click("#chap-chap")
        await type_into(pilot, "#chap-user", "disc-in")

    assert snap_compare(app, run_before=run_before, terminal_size=size)


@SIZES
def test_snapshot_all_keys(snap_compare, fake, app_with, size):
    fake.rules([{"match": ["-m", "node", "-T", BASIC, "-o", "show"], "case": "node_show_chap"}, *listing_rules()])
    app = app_with()

    async def run_before(pilot) -> None:
        await open_tab(pilot)
        select(pilot.app, BASIC_KEY)
        await pilot.press("K")
        await settle(pilot)

    assert snap_compare(app, run_before=run_before, terminal_size=size)


@SIZES
def test_snapshot_statistics(snap_compare, fake, app_with, size):
    fake.rules([{"match": ["-m", "session", "-r", "1", "-s"], "case": "session_stats"}, *listing_rules()])
    app = app_with()

    async def run_before(pilot) -> None:
        await open_tab(pilot)
        select(pilot.app, BASIC_KEY)
        await pilot.press("s")
        await settle(pilot)

    assert snap_compare(app, run_before=run_before, terminal_size=size)


@SIZES
def test_snapshot_ifaces(snap_compare, fake, app_with, size):
    fake.rules([{"match": ["-m", "iface"], "case": "iface_list"}, *listing_rules()])
    app = app_with()

    async def run_before(pilot) -> None:
        await open_tab(pilot)
        await pilot.press("i")
        await settle(pilot)

    assert snap_compare(app, run_before=run_before, terminal_size=size)


@SIZES
def test_snapshot_chap_failure_details(snap_compare, fake, app_with, size):
    """A login refused for a wrong secret: the target is failed, the details say what to check."""
    fake.rules([{"match": ["-m", "node", "--login"], "case": "login_auth_failure_wrong_secret"}, *listing_rules()])
    app = app_with()

    async def run_before(pilot) -> None:
        await open_tab(pilot)
        select(pilot.app, NO_ACL_KEY)
        await pilot.press("l")
        await settle(pilot)

    assert snap_compare(app, run_before=run_before, terminal_size=size)
