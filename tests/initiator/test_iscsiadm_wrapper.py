"""The iscsiadm wrapper against a fake iscsiadm replaying real outputs and exit codes."""

from __future__ import annotations

import os
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sanctl.initiator.iscsiadm import (
    PACKAGE_HINT,
    Chap,
    DiscoveredTarget,
    Iscsiadm,
    IscsiadmError,
    IscsiadmNotFound,
    IscsiadmTimeout,
    LoginFailed,
    NodeRecord,
    PortalLogin,
    Timeouts,
    check_iface_name,
    check_setting,
    find_iscsiadm,
    portal_arg,
)
from sanctl.model import Secret
from sanctl.names import InvalidValue

BASIC = "iqn.2024-01.test.sanctl:basic"
PORTAL = "127.0.0.1:3260"


@pytest.fixture
def adm(fake_iscsiadm) -> Iscsiadm:
    return Iscsiadm(timeouts=Timeouts(query=10, action=10, discovery=10))


# --- finding the binary -------------------------------------------------------
def test_the_fake_first_on_path_is_the_one_used(fake_iscsiadm, adm):
    assert adm.binary == str(fake_iscsiadm.shim)


def test_missing_binary_names_the_package(tmp_path, monkeypatch):
    monkeypatch.setattr("sanctl.initiator.iscsiadm.operations.SBIN_DIRS", (str(tmp_path / "none"),))
    with pytest.raises(IscsiadmNotFound) as exc:
        find_iscsiadm(str(tmp_path))
    assert exc.value.code is None
    assert "open-iscsi" in exc.value.hint and "iscsi-initiator-utils" in exc.value.hint
    assert exc.value.hint == PACKAGE_HINT
    with pytest.raises(IscsiadmNotFound):
        Iscsiadm(env={"PATH": str(tmp_path)}).sessions()


def test_calls_run_with_lc_all_c(fake_iscsiadm, adm):
    fake_iscsiadm.use("no_records")
    adm.sessions()
    assert fake_iscsiadm.entries()[0]["lc_all"] == "C"


# --- option injection is refused before any process starts --------------------
@pytest.mark.parametrize("target", ["--help", "-o delete", "-u", "iqn.2024-01.x:y -o delete", "", "iqn.2024-01.x:y\n-u"])
def test_a_target_that_looks_like_an_option_is_refused(fake_iscsiadm, adm, target):
    fake_iscsiadm.use("login_ok")
    for call in (lambda: adm.login(target, PORTAL), lambda: adm.logout(target), lambda: adm.delete_node(target),
                 lambda: adm.set_favourite(target, PORTAL, True), lambda: adm.node_settings(target, PORTAL)):
        with pytest.raises(InvalidValue):
            call()
    assert fake_iscsiadm.calls() == []


@pytest.mark.parametrize("portal", ["--help", "-o", "1.2.3.4:99999", "1.2.3.4:-1", "0.0.0.0", "[::]:3260",
                                    "host name", "a;b", "[::1", "1.2.3.4:3260:1", "-p 1.2.3.4"])
def test_a_bad_portal_is_refused(fake_iscsiadm, adm, portal):
    fake_iscsiadm.use("discovery_ok")
    with pytest.raises(InvalidValue):
        adm.discover(portal)
    with pytest.raises(InvalidValue):
        adm.login(BASIC, portal)
    assert fake_iscsiadm.calls() == []


def test_other_values_are_checked_too(fake_iscsiadm, adm):
    fake_iscsiadm.use("login_ok")
    with pytest.raises(InvalidValue):
        adm.login(BASIC, PORTAL, iface="--help")
    with pytest.raises(InvalidValue):
        adm.session_stats("-1")
    with pytest.raises(InvalidValue):
        adm.rescan("1 -u")
    with pytest.raises(InvalidValue):
        adm.update_node(BASIC, PORTAL, "-o delete", "x")
    with pytest.raises(InvalidValue):
        adm.update_node(BASIC, PORTAL, "node.session.timeo.replacement_timeout", "--help")
    with pytest.raises(InvalidValue):
        adm.set_startup(BASIC, PORTAL, "always")
    with pytest.raises(InvalidValue):
        adm.login_all("everything")
    with pytest.raises(InvalidValue):
        adm.run(["-m", "node", "-T", "x\ny"])
    assert fake_iscsiadm.calls() == []


def test_portal_forms():
    assert portal_arg("10.0.0.5") == "10.0.0.5:3260"
    assert portal_arg(" 10.0.0.5:3261 ") == "10.0.0.5:3261"
    assert portal_arg("10.0.0.5:3260,2") == "10.0.0.5:3260,2"
    assert portal_arg("::1") == "[::1]:3260"
    assert portal_arg("[fd00::1]:3261") == "[fd00::1]:3261"
    assert portal_arg("Storage.Example.com") == "storage.example.com:3260"
    assert portal_arg("san-a:3270") == "san-a:3270"


def test_setting_values():
    assert check_setting("node.startup", "Automatic") == ("node.startup", "automatic")
    assert check_setting("node.session.auth.authmethod", "chap") == ("node.session.auth.authmethod", "CHAP")
    assert check_setting("node.session.xmit_thread_priority", "-20")[1] == "-20"
    assert check_setting("node.conn[0].timeo.noop_out_interval", "10")[1] == "10"
    # A secret may start with '-': getopt takes -v's argument verbatim.
    assert check_setting("node.session.auth.password", Secret("-weird-secret")) == (
        "node.session.auth.password", "-weird-secret")
    with pytest.raises(InvalidValue):
        check_setting("node.session.auth.password", "has space")


# --- discovery -----------------------------------------------------------------
def test_discovery_adds_new_records_only(fake_iscsiadm, adm):
    fake_iscsiadm.use("discovery_ok")
    found = adm.discover("127.0.0.1")
    assert found == [DiscoveredTarget(BASIC, PORTAL, 1),
                     DiscoveredTarget("iqn.2024-01.test.sanctl:no-acl", "127.0.0.1:3262", 1)]
    assert fake_iscsiadm.calls() == [
        ["-m", "discoverydb", "-t", "sendtargets", "-p", PORTAL, "--discover", "-o", "new"]]


def test_discovery_prune_adds_delete(fake_iscsiadm, adm):
    fake_iscsiadm.use("discovery_ok")
    adm.discover(PORTAL, prune=True, iface="default")
    assert fake_iscsiadm.calls()[-1] == ["-m", "discoverydb", "-t", "sendtargets", "-p", PORTAL, "-I", "default",
                                         "--discover", "-o", "new", "-o", "delete"]


def test_discovery_chap_is_set_in_the_record_before_discovering(fake_iscsiadm, adm):
    fake_iscsiadm.use("discovery_ok")
    chap = Chap("disc-user", Secret("disc-secret-1"), "disc-target", Secret("disc-secret-2"))
    adm.discover(PORTAL, chap=chap)
    calls = fake_iscsiadm.calls()
    base = ["-m", "discoverydb", "-t", "sendtargets", "-p", PORTAL]
    assert calls[0] == ["-m", "discoverydb"]
    assert calls[1] == [*base, "-o", "new"]
    updates = [(c[-3], c[-1]) for c in calls[2:-1]]
    assert updates == [
        ("discovery.sendtargets.auth.authmethod", "CHAP"),
        ("discovery.sendtargets.auth.username", "disc-user"),
        ("discovery.sendtargets.auth.password", "disc-secret-1"),
        ("discovery.sendtargets.auth.username_in", "disc-target"),
        ("discovery.sendtargets.auth.password_in", "disc-secret-2"),
    ]
    assert calls[-1] == [*base, "--discover", "-o", "new"]


def test_discovery_record_that_exists_is_not_recreated(fake_iscsiadm, adm, captured):
    fake_iscsiadm.rules([
        {"match": ["-m", "discoverydb", "--discover"], "case": "discoverydb_discover"},
        {"match": ["-m", "discoverydb", "-o", "update"], "rc": 0},
        {"match": ["-m", "discoverydb"], "case": "discoverydb_list"},
    ])
    adm.discover(PORTAL, reset_auth=True)
    calls = fake_iscsiadm.calls()
    assert not any("new" in c and "--discover" not in c for c in calls)
    assert [(c[-3], c[-1]) for c in calls if "update" in c] == [
        ("discovery.sendtargets.auth.authmethod", "None"), ("discovery.sendtargets.auth.username", ""),
        ("discovery.sendtargets.auth.password", ""), ("discovery.sendtargets.auth.username_in", ""),
        ("discovery.sendtargets.auth.password_in", "")]


def test_discovery_refused_says_nothing_listens(fake_iscsiadm, adm):
    fake_iscsiadm.use("discovery_refused")
    with pytest.raises(IscsiadmError) as exc:
        adm.discover("127.0.0.1:3299")
    err = exc.value
    assert err.code == 11
    assert "connection refused" in err.message
    assert "listening" in err.hint
    assert "Could not perform SendTargets discovery: iSCSI PDU timed out" in err.details


def test_discovery_mute_portal_says_it_never_answered(fake_iscsiadm, adm):
    fake_iscsiadm.use("discovery_timeout")
    with pytest.raises(IscsiadmError) as exc:
        adm.discover("127.0.0.1:3298")
    assert exc.value.code == 19 and "never answered" in exc.value.message
    assert "Login response timeout. Waited 30 seconds and did not get response PDU." in exc.value.details


def test_discovery_iscsid_down(fake_iscsiadm, adm):
    fake_iscsiadm.use("iscsid_down")
    with pytest.raises(IscsiadmError) as exc:
        adm.discover(PORTAL)
    assert exc.value.code == 20 and "iscsid" in exc.value.message
    assert "systemctl start iscsid" in exc.value.hint


def test_discovery_nothing_offered_is_an_error_with_advice(fake_iscsiadm, adm):
    fake_iscsiadm.rules([{"match": ["--discover"], "rc": 21, "stderr": "iscsiadm: No portals found\n"}])
    with pytest.raises(IscsiadmError) as exc:
        adm.discover(PORTAL)
    assert exc.value.code == 21 and "offered no targets" in exc.value.message and "ACL" in exc.value.hint


def test_discovery_records_list_and_delete(fake_iscsiadm, adm):
    fake_iscsiadm.rules([
        {"match": ["-o", "delete"], "case": "discoverydb_delete", "times": 1},
        {"match": ["-o", "delete"], "case": "discoverydb_delete_again"},
        {"match": ["-m", "discoverydb", "-o", "show"], "case": "discoverydb_show"},
        {"match": ["-m", "discoverydb"], "case": "discoverydb_list"},
    ])
    assert len(adm.discovery_records()) == 4
    assert adm.discovery_settings(PORTAL).get("discovery.sendtargets.reopen_max") == "5"
    assert adm.delete_discovery_record(PORTAL) is True
    assert adm.delete_discovery_record(PORTAL) is False  # real: exit 6 "not found"


# --- node records ---------------------------------------------------------------
def test_nodes_and_empty_lists(fake_iscsiadm, adm):
    fake_iscsiadm.use("no_records")
    assert adm.nodes() == [] and adm.sessions() == [] and adm.session_details() == []
    assert adm.discovery_records() == []
    fake_iscsiadm.rules([{"match": ["-m", "node", "-P", "1"], "case": "node_list_P1"},
                         {"match": ["-m", "node"], "case": "node_list"}])
    assert adm.nodes()[0] == NodeRecord(BASIC, PORTAL, 1)
    assert adm.nodes(with_ifaces=True)[0] == NodeRecord(BASIC, PORTAL, 1, "default")


def test_node_settings_show(fake_iscsiadm, adm):
    fake_iscsiadm.rules([{"match": ["-o", "show"], "case": "node_show_chap"}])
    [record] = adm.node_settings(BASIC, PORTAL)
    assert record.chap.username == "sanctl-in" and isinstance(record.get("node.session.auth.password"), Secret)
    adm.node_settings(BASIC, PORTAL, reveal=True)
    assert fake_iscsiadm.calls()[-1][-1] == "--show"


def test_favourite_toggle_updates_startup(fake_iscsiadm, adm):
    fake_iscsiadm.rules([{"match": ["-o", "update"], "case": "node_update_startup"}])
    adm.set_favourite(BASIC, PORTAL, True)
    adm.set_favourite(BASIC, PORTAL, False)
    updates = [(c[-3], c[-1]) for c in fake_iscsiadm.calls()]
    assert ("node.startup", "automatic") in updates and ("node.startup", "manual") in updates
    assert fake_iscsiadm.calls()[0][:6] == ["-m", "node", "-T", BASIC, "-p", PORTAL]


def test_session_chap_and_clearing(fake_iscsiadm, adm):
    fake_iscsiadm.rules([{"match": ["-o", "update"], "rc": 0}])
    adm.set_session_auth(BASIC, PORTAL, Chap("sanctl-in", "in-secret-123"))
    adm.set_session_auth(BASIC, PORTAL, None)
    updates = [(c[-3], c[-1]) for c in fake_iscsiadm.calls()]
    assert updates[:3] == [("node.session.auth.authmethod", "CHAP"), ("node.session.auth.username", "sanctl-in"),
                           ("node.session.auth.password", "in-secret-123")]
    assert updates[5:] == [("node.session.auth.authmethod", "None"), ("node.session.auth.username", ""),
                           ("node.session.auth.password", ""), ("node.session.auth.username_in", ""),
                           ("node.session.auth.password_in", "")]


def test_chap_rules():
    with pytest.raises(InvalidValue):
        Chap("user", "")
    with pytest.raises(InvalidValue):
        Chap("user", "secret-one-1", "", "secret-two-2")  # mutual secret without its user
    with pytest.raises(InvalidValue):
        Chap("user", "same-secret-1", "target", "same-secret-1")
    assert Chap("user", "secret-one-1", "target", "secret-two-2").mutual
    assert "secret-one" not in repr(Chap("user", "secret-one-1"))


def test_bad_key_error_names_the_setting(fake_iscsiadm, adm):
    fake_iscsiadm.rules([{"match": ["-o", "update"], "case": "node_update_bad_key"}])
    with pytest.raises(IscsiadmError) as exc:
        adm.update_node(BASIC, PORTAL, "node.no.such.key", "1")
    assert exc.value.code == 7 and "does not know that setting" in exc.value.message


def test_delete_node(fake_iscsiadm, adm):
    fake_iscsiadm.rules([{"match": ["-o", "delete"], "case": "node_delete", "times": 1},
                         {"match": ["-o", "delete"], "case": "node_delete_again"}])
    assert adm.delete_node(BASIC, PORTAL) is True
    assert adm.delete_node(BASIC, PORTAL) is False  # gone already: what the operator wanted


def test_delete_node_in_use_says_log_out_first(fake_iscsiadm, adm):
    fake_iscsiadm.rules([{"match": ["-o", "delete"], "case": "node_delete_while_logged_in"}])
    with pytest.raises(IscsiadmError) as exc:
        adm.delete_node(BASIC, PORTAL)
    assert exc.value.code == 15 and "Log out" in exc.value.hint


# --- login and logout ---------------------------------------------------------------
def test_login_ok(fake_iscsiadm, adm):
    fake_iscsiadm.use("login_ok")
    result = adm.login(BASIC, PORTAL)
    assert result.logged_in == (PortalLogin("default", BASIC, PORTAL),) and not result.already
    assert fake_iscsiadm.calls() == [["-m", "node", "-T", BASIC, "-p", PORTAL, "--login"]]


def test_login_all_portals_of_a_target(fake_iscsiadm, adm):
    fake_iscsiadm.rules([{"match": ["--login"], "case": "node_target_login_all_portals"},
                         {"match": ["--logout"], "case": "node_target_logout_all_portals"}])
    assert len(adm.login(BASIC).logged_in) == 1
    assert adm.logout(BASIC).logged_out[0].sid == 5
    assert fake_iscsiadm.calls() == [["-m", "node", "-T", BASIC, "--login"], ["-m", "node", "-T", BASIC, "--logout"]]


def test_already_logged_in_and_not_logged_in_are_successes(fake_iscsiadm, adm):
    fake_iscsiadm.use("already_logged_in")
    login = adm.login(BASIC, PORTAL)
    assert login.already and login.logged_in == ()
    assert "default: 1 session requested, but 1 already present." in login.warnings
    logout = adm.logout(BASIC, PORTAL)
    assert logout.already and logout.logged_out == ()
    assert adm.logout_all().already


def test_login_auth_failure(fake_iscsiadm, adm):
    fake_iscsiadm.use("login_auth_failure")
    with pytest.raises(LoginFailed) as exc:
        adm.login(BASIC, PORTAL)
    err = exc.value
    assert err.code == 24
    assert "refused this initiator" in err.message
    assert "ACL" in err.hint and "CHAP" in err.hint and "initiatorname.iscsi" in err.hint
    assert err.failures == ((PortalLogin("default", BASIC, PORTAL), 24),)
    assert "initiator reported error (24 - iSCSI login failed due to authorization failure)" in err.details
    assert "--login" in err.command


def test_login_mutual_chap_failure(fake_iscsiadm, adm):
    fake_iscsiadm.rules([{"match": ["--login"], "case": "login_mutual_failure"}])
    with pytest.raises(LoginFailed) as exc:
        adm.login(BASIC, PORTAL)
    assert exc.value.code == 19 and "mutual CHAP" in exc.value.hint


def test_login_without_record_says_discover_first(fake_iscsiadm, adm):
    fake_iscsiadm.use("no_records")
    with pytest.raises(IscsiadmError) as exc:
        adm.login(BASIC, PORTAL)
    assert exc.value.code == 21 and "no node record" in exc.value.message and "discover" in exc.value.hint


def test_login_timed_out_by_iscsiadm(fake_iscsiadm, adm):
    fake_iscsiadm.use("login_timeout")
    with pytest.raises(LoginFailed) as exc:
        adm.login("iqn.2024-01.test.sanctl:nothing", PORTAL)
    assert exc.value.code == 8 and "3260" in exc.value.hint and "firewall" in exc.value.hint


def test_login_iscsid_down(fake_iscsiadm, adm):
    fake_iscsiadm.use("iscsid_down")
    with pytest.raises(LoginFailed) as exc:
        adm.login(BASIC, PORTAL)
    assert exc.value.code == 20 and "iscsid" in exc.value.message and "systemctl start iscsid" in exc.value.hint
    assert adm.nodes()  # listing works without iscsid
    assert adm.sessions() == []


def test_partial_login_reports_what_worked_and_what_failed(fake_iscsiadm, adm):
    fake_iscsiadm.rules([{"match": ["--loginall=all"], "case": "node_loginall_all"}])
    with pytest.raises(LoginFailed) as exc:
        adm.login_all()
    err = exc.value
    assert err.code == 24 and err.message.startswith("Logged in on 1 of 2 portals.")
    assert [p.target for p in err.logged_in] == [BASIC]


def test_exit_15_does_not_hide_another_records_failure(fake_iscsiadm, adm):
    # Real: --loginall returned 15 ("already") while another record failed with 24.
    fake_iscsiadm.rules([{"match": ["--loginall=all"], "case": "node_loginall_all_again"}])
    with pytest.raises(LoginFailed) as exc:
        adm.login_all()
    assert exc.value.code == 24


def test_two_records_one_already_one_refused(fake_iscsiadm, adm):
    fake_iscsiadm.rules([{"match": ["--login"], "case": "login_no_acl"}])
    with pytest.raises(LoginFailed) as exc:
        adm.login("iqn.2024-01.test.sanctl:no-acl", "127.0.0.1:3262")
    assert exc.value.code == 24 and [c for _, c in exc.value.failures] == [24, 15]


# --- timeouts: a hang is killed and reported ---------------------------------------
def test_a_hang_is_killed_and_reported(fake_iscsiadm):
    fake_iscsiadm.use("hang")
    adm = Iscsiadm(timeouts=Timeouts(query=0.5, action=1.0, discovery=1.0))
    start = time.monotonic()
    with pytest.raises(IscsiadmTimeout) as exc:
        adm.sessions()
    assert time.monotonic() - start < 5
    err = exc.value
    assert err.code is None and err.seconds == 0.5
    assert "did not answer within 0.5 s" in err.message and "iscsid" in err.hint
    pid = fake_iscsiadm.entries()[0]["pid"]
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_a_hung_login_is_killed_and_the_pending_login_cancelled(fake_iscsiadm):
    fake_iscsiadm.use("hang")
    adm = Iscsiadm(timeouts=Timeouts(query=2, action=1.0, discovery=1.0))
    with pytest.raises(IscsiadmTimeout) as exc:
        adm.login(BASIC, PORTAL)
    assert "firewall" in exc.value.hint and "cancelled" in exc.value.hint
    assert exc.value.stdout.startswith("Logging in to")  # what it printed before it hung
    assert fake_iscsiadm.calls() == [["-m", "node", "-T", BASIC, "-p", PORTAL, "--login"],
                                     ["-m", "node", "-T", BASIC, "-p", PORTAL, "--logout"]]


def test_a_hung_discovery_hint(fake_iscsiadm):
    fake_iscsiadm.use("hang")
    with pytest.raises(IscsiadmTimeout) as exc:
        Iscsiadm(timeouts=Timeouts(discovery=0.5)).discover(PORTAL)
    assert "3260" in exc.value.hint and "dropped" in exc.value.hint


def test_per_call_timeout_wins(fake_iscsiadm):
    fake_iscsiadm.use("hang")
    with pytest.raises(IscsiadmTimeout) as exc:
        Iscsiadm().run(["-m", "session"], timeout=0.3)
    assert exc.value.seconds == 0.3


# --- sessions, rescan, stats, ifaces, version ----------------------------------------
def test_sessions_details_rescan_stats_ifaces_version(fake_iscsiadm, adm):
    fake_iscsiadm.rules([
        {"match": ["-m", "session", "-P", "3"], "case": "session_P3"},
        {"match": ["-m", "session", "-r", "1", "--rescan"], "case": "session_rescan"},
        {"match": ["-m", "session", "-r", "999", "--rescan"], "case": "session_rescan_unknown_sid"},
        {"match": ["-m", "session", "-r", "1", "-s"], "case": "session_stats"},
        {"match": ["-m", "session", "-r", "1", "--logout"], "case": "logout"},
        {"match": ["-m", "session"], "case": "session_list"},
        {"match": ["-m", "iface"], "case": "iface_list"},
        {"match": ["--version"], "case": "version"},
    ])
    [summary] = adm.sessions()
    assert summary.sid == 1 and summary.target == BASIC
    [detail] = adm.session_details()
    assert [d.device for d in detail.disks] == ["sda", "sdc", "sdb"]
    assert adm.rescan(1)[0].sid == 1
    with pytest.raises(IscsiadmError) as exc:
        adm.rescan(999)
    assert exc.value.code == 22
    assert adm.session_stats(1).counters["scsicmd_pdus"] == 111
    assert adm.logout_session(1).logged_out[0].sid == 1
    assert [i.name for i in adm.ifaces()] == ["default", "iser"]
    assert adm.version() == "2.1.8"


def test_error_text_never_shows_a_secret(fake_iscsiadm, adm):
    fake_iscsiadm.rules([{"match": ["-o", "update"], "rc": 6, "stderr": "iscsiadm: database failure\n"}])
    with pytest.raises(IscsiadmError) as exc:
        adm.set_session_auth(BASIC, PORTAL, Chap("user", "very-secret-99"))
    err = exc.value
    assert "very-secret-99" not in err.command and "very-secret-99" not in err.explain()
    assert err.code == 6


def test_explain_is_message_hint_and_iscsiadm_lines(fake_iscsiadm, adm):
    fake_iscsiadm.use("login_auth_failure")
    with pytest.raises(IscsiadmError) as exc:
        adm.login(BASIC, PORTAL)
    lines = exc.value.explain().splitlines()
    assert lines[0] == exc.value.message and lines[1] == exc.value.hint
    assert lines[-1] == "iscsiadm: Could not log into all portals"


# --- property: whatever is typed, nothing that reaches argv can be an option ----------
@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_portal_arg_never_yields_an_option_or_whitespace(text):
    try:
        portal = portal_arg(text)
    except InvalidValue:
        return
    assert not portal.startswith("-") and not any(c.isspace() for c in portal)
    assert portal.rsplit(":", 1)[1].split(",")[0].isdigit()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_iface_and_setting_values_never_yield_an_option(text):
    try:
        name = check_iface_name(text)
    except InvalidValue:
        pass
    else:
        assert not name.startswith("-") and not any(c.isspace() for c in name)
    try:
        _, value = check_setting("node.session.timeo.replacement_timeout", text)
    except InvalidValue:
        return
    assert "\n" not in value and (not value.startswith("-") or value[1:].isdigit())
