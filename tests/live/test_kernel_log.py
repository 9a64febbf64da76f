"""Kernel log and iscsid lines from real captures, in every container format."""

from __future__ import annotations

import json
import os

import pytest

from sanctl.kernel_log import (
    FileTailSource,
    ListSource,
    LogEvent,
    parse_journal_json,
    parse_kmsg_record,
    parse_line,
    parse_lines,
)

from .conftest import FIXTURES, rac_text, scenario_text


def test_the_flap_in_dmesg():
    events = parse_lines(rac_text("dmesg-flap.txt").splitlines())
    assert [(e.kind, e.connection, e.code) for e in events] == [("conn_error", "1:0", 1020)] * 3
    assert [round(e.uptime, 3) for e in events] == [91.861, 97.464, 103.040]
    assert all(e.source == "kernel" and e.side == "initiator" for e in events)


def test_the_flap_in_iscsids_log():
    events = parse_lines(rac_text("iscsid-flap.log").splitlines())
    assert [e.kind for e in events] == ["operational"] + ["conn_error", "recovered"] * 3
    first = events[0]
    assert (first.target, first.portal, first.connection) == ("iqn.2024-01.storage.oracle:rac", "127.0.0.1:3260", "1:0")
    assert events[1].code == 1020 and events[1].source == "iscsid"
    assert events[2].detail == "1 attempt"


def test_target_side_lines_of_the_four_scenarios():
    kinds = {e.kind for name in ("dmesg_error2_tpg_disable.txt", "dmesg_error3_acl_deleted.txt")
             for e in parse_lines(scenario_text(name).splitlines())}
    assert {"conn_error", "target_no_tpg", "target_negotiation_failed", "target_not_authorized"} <= kinds
    (denied, *_) = [e for e in parse_lines(scenario_text("dmesg_error3_acl_deleted.txt").splitlines())
                    if e.kind == "target_not_authorized"]
    assert (denied.initiator, denied.tpgt, denied.side) == ("iqn.1993-08.org.debian:01:vt-init1", 1, "target")


def test_boot_noise_is_ignored():
    assert parse_lines((FIXTURES / "kernel" / "dmesg.txt").read_text().splitlines()) == []


def test_kmsg_records():
    event = parse_kmsg_record("3,1050,91861387,-,caller=T1; connection1:0: detected conn error (1020)",
                              boot_wall=1000.0)
    assert (event.seq, event.uptime, event.wall, event.code) == (1050, 91.861387, 1091.861387, 1020)
    assert parse_kmsg_record(" SUBSYSTEM=iscsi_connection") is None


def test_journal_json_with_a_byte_array_message():
    line = json.dumps({"MESSAGE": list(b"connection2:0 is operational after recovery (3 attempts)"),
                       "SYSLOG_IDENTIFIER": "iscsid", "_COMM": "iscsid", "_UID": "0",
                       "__REALTIME_TIMESTAMP": "1700000000500000"})
    event = parse_journal_json(line)
    assert (event.kind, event.connection, event.detail, event.wall) == ("recovered", "2:0", "3 attempts", 1700000000.5)
    kernel = json.dumps({"MESSAGE": " session3: session recovery timed out after 120 secs", "_TRANSPORT": "kernel",
                         "_SOURCE_MONOTONIC_TIMESTAMP": "5000000", "__REALTIME_TIMESTAMP": "1"})
    event = parse_line(kernel)
    assert (event.kind, event.sid, event.uptime, event.detail) == ("recovery_timeout", 3, 5.0, "after 120 s")


@pytest.mark.parametrize("line, kind, fields", [
    ("[ 12.5] connection4:0: ping timeout of 5 secs expired, recv timeout 5, last rx 1, last ping 2, now 3",
     "ping_timeout", {"sid": 4, "cid": 0}),
    ("iscsid: connection1:0 login rejected: initiator failed authorization with target", "login_rejected",
     {"sid": 1, "detail": "initiator failed authorization with target"}),
    ("iscsid: session 2 login rejected: Initiator failed authentication with target", "login_rejected", {"sid": 2}),
    ("Nov 21 21:28:22 host iscsid[12]: Login failed to authenticate with target iqn.x:y", "login_auth_failed",
     {"target": "iqn.x:y"}),
    ("[ 9.1] Did not receive response to NOPIN on CID: 0, failing connection for I_T Nexus "
     "iqn.a:b,i,0x00023d000001,iqn.t:x,t,0x01", "target_nopin_timeout",
     {"initiator": "iqn.a:b", "target": "iqn.t:x", "tpgt": 1}),
    ("[ 9.2] iSCSI Login timeout on Network Portal 0.0.0.0:3260", "target_login_timeout", {"portal": "0.0.0.0:3260"}),
    ("[ 9.3] TARGET_CORE[iSCSI]: Detected NON_EXISTENT_LUN Access for 0x00000007 from iqn.a:b",
     "target_non_existent_lun", {"detail": "LUN 7", "initiator": "iqn.a:b"}),
    ("[ 9.4] Time2Retain timer expired for SID: 12, cleaning up iSCSI session.", "target_time2retain",
     {"detail": "SID 12"}),
    ("2026-01-01T12:00:00+00:00 san01 iscsid[77]: can't bind conn 1:0 to session 1, retcode -107 (107)",
     "bind_failed", {"sid": 1}),
])
def test_recognised_lines(line, kind, fields):
    event = parse_line(line)
    assert event is not None and event.kind == kind
    for key, value in fields.items():
        assert getattr(event, key) == value


def test_a_tailed_file_gives_complete_lines_only_and_survives_rotation(tmp_path):
    path = tmp_path / "kmsg"
    path.write_text("")
    source = FileTailSource(str(path), boot_wall=100.0)
    with open(path, "a") as handle:
        handle.write("3,1,1000000,-; connection1:0: detected conn error (1020)\n3,2,2000000,-; connection1:0: det")
    assert [e.seq for e in source.read_new()] == [1]
    with open(path, "a") as handle:
        handle.write("ected conn error (1022)\n SUBSYSTEM=iscsi_connection\n")
    (event,) = source.read_new()
    assert (event.code, event.wall) == (1022, 102.0)
    os.replace(tmp_path / "kmsg", tmp_path / "old")
    path.write_text("3,3,3000000,-; connection2:0: detected conn error (1011)\n")
    assert [e.code for e in source.read_new()] == [1011]


def test_a_file_followed_from_now(tmp_path):
    path = tmp_path / "log"
    path.write_text("[ 1.0] connection1:0: detected conn error (1020)\n")
    source = FileTailSource(str(path), from_start=False)
    assert source.read_new() == []
    with open(path, "a") as handle:
        handle.write("[ 2.0] connection1:0: detected conn error (1020)\n")
    assert len(source.read_new()) == 1


def test_list_source_hands_events_once():
    source = ListSource([LogEvent("conn_error", "kernel", "x", code=1020)])
    assert len(source.read_new()) == 1 and source.read_new() == []
