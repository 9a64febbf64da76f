"""Issue 14, reproducers 2 and 5: huge numbers in logs and outputs; log lines forged by a local user."""

from __future__ import annotations

import json

import pytest

from .conftest import run_cli

HUGE = "9" * 5000
FORGED = {"MESSAGE": "Kernel reported iSCSI connection 1:0 error (1020 - ISCSI_ERR_TCP_CONN_CLOSE: TCP connection "
                     "closed) state (3)", "SYSLOG_IDENTIFIER": "iscsid", "_COMM": "logger", "_UID": "1000",
          "_TRANSPORT": "syslog", "__REALTIME_TIMESTAMP": "1700000000000000"}
TRUSTED = {**FORGED, "_COMM": "iscsid", "_UID": "0", "MESSAGE": FORGED["MESSAGE"].replace("1:0", "2:0")}


def _demo(tmp_path):
    root = tmp_path / "demo"
    assert run_cli("--demo", "--root", str(root), "show").returncode == 0
    return root


@pytest.mark.parametrize("line", [
    f"[ 12.5] connection{HUGE}:0: detected conn error (1020)",
    f"6,{HUGE},5,-;connection1:0: detected conn error (1020)",
    f"iscsid: Kernel reported iSCSI connection 1:0 error ({HUGE} - X: y) state (3)",
    json.dumps({"MESSAGE": "session1: session recovery timed out after 5 secs", "_TRANSPORT": "kernel",
                "__REALTIME_TIMESTAMP": HUGE}),
    '{"MESSAGE": ' + "[" * 50_000 + "]" * 50_000 + "}",
    f"[ 1.0] Detected NON_EXISTENT_LUN Access for 0x{'f' * 5000}",
], ids=["dmesg-sid", "kmsg-seq", "iscsid-code", "journal-time", "journal-nested", "hex-lun"])
def test_errors_log_with_a_hostile_line_is_read_without_a_traceback(tmp_path, line):
    root = _demo(tmp_path)
    log = tmp_path / "hostile.log"
    log.write_text(line + "\n[ 13.0] connection7:0: detected conn error (1011)\n")
    done = run_cli("--demo", "--root", str(root), "errors", "--json", "--log", str(log))
    assert done.clean, done.stderr
    assert done.returncode == 0
    document = json.loads(done.stdout)
    assert any(i.get("connection") == "7:0" or "7:0" in json.dumps(i) for i in document["incidents"])


def test_a_forged_iscsid_line_is_ignored_and_counted_as_untrusted(tmp_path):
    root = _demo(tmp_path)
    log = tmp_path / "journal.json"
    log.write_text(json.dumps(FORGED) + "\n" + json.dumps(TRUSTED) + "\n")
    done = run_cli("--demo", "--root", str(root), "errors", "--json", "--log", str(log))
    assert done.returncode == 0 and done.clean, done.stderr
    document = json.loads(done.stdout)
    assert document["untrusted"] == 1
    # by field: the text of the whole document holds the demo's clock ("T01:05:…"), which has "1:0" in it
    connections = {incident["connection"] for incident in document["incidents"]}
    messages = " ".join(incident["message"] for incident in document["incidents"])
    assert "2:0" in connections and "1:0" not in connections
    assert "connection 1:0" not in messages


@pytest.mark.parametrize("entry, source", [
    ({"_TRANSPORT": "kernel"}, "kernel"),
    ({"_COMM": "iscsid", "_UID": "0"}, "iscsid"),
    ({"_SYSTEMD_UNIT": "iscsid.service", "_UID": "0"}, "iscsid"),
    ({"_COMM": "iscsid", "_UID": "1000"}, None),
    ({"SYSLOG_IDENTIFIER": "iscsid"}, None),
    ({"SYSLOG_IDENTIFIER": "kernel", "_TRANSPORT": "syslog"}, None),
])
def test_only_the_journals_trusted_fields_say_who_logged(entry, source):
    from sanctl.kernel_log import trusted_source

    assert trusted_source(entry) == source


def test_huge_numbers_in_iscsiadm_output_and_acl_info_are_not_a_crash():
    from sanctl.initiator import iscsiadm as I
    from sanctl.lio.live import parse_acl_info

    assert I.parse_discovery(f"10.0.0.1:3260,{HUGE} iqn.2003-01.org.x:t\n10.0.0.2:3260,1 iqn.2003-01.org.x:u") \
        == I.parse_discovery("10.0.0.2:3260,1 iqn.2003-01.org.x:u")
    assert I.parse_sessions(f"tcp: [{HUGE}] 10.0.0.1:3260,1 iqn.2003-01.org.x:t (non-flash)") == []
    assert I.parse_stats(f"Stats for session [sid: {HUGE}, target: t, portal: p,{HUGE}]\n  txdata_octets: {HUGE}\n")
    assert I.parse_portal_tuples(f"Login to [sid: {HUGE}, iface: default, target: t, portal: 1.2.3.4,{HUGE}]",
                                 "Login to")
    assert I.parse_login_failures(f"Could not login to [iface: default, target: t, portal: 1.2.3.4,3260].\n"
                                  f"initiator reported error ({HUGE} - x)")
    assert I.parse_session_details(f"Target: t (non-flash)\n\tCurrent Portal: 1.2.3.4:3260,{HUGE}\n"
                                   f"\t\tInterface:\n\t\tSID: {HUGE}\n") == []
    info = parse_acl_info(f"InitiatorName: iqn.x\nLIO Session ID: {HUGE}   ISID: 0x1   TSIH: 1\n"
                          "Session State: TARG_SESS_STATE_LOGGED_IN\n"
                          "---------------------[iSCSI Connections]-------------------------\n"
                          f"CID: {HUGE}  Connection State: TARG_CONN_STATE_LOGGED_IN\n")
    assert info is not None and info.sid is None and info.connections == ()
