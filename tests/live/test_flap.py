"""Incidents merged and counted; flapping and the shared-initiator-name diagnosis."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from sanctl.kernel_log import LogEvent, parse_lines
from sanctl.live.events import EventLog
from sanctl.live.flap import SessionChanges, connection_flaps, shared_name_findings
from sanctl.lio.live import TargetSession, parse_acl_info

from .conftest import rac_text

if TYPE_CHECKING:
    from sanctl.live.flap import Finding, SessionChange

RAC = "iqn.2024-01.storage.oracle:rac"
CLIENT = "iqn.2024-01.storage.oracle:client"


def _conn_error(wall: float, source: str = "kernel", code: int = 1020, sid: int = 1) -> LogEvent:
    return LogEvent("conn_error", source, "x", wall=wall, sid=sid, cid=0, code=code)


def test_kernel_and_iscsid_lines_of_one_error_are_one_incident():
    log = EventLog()
    log.add([LogEvent("operational", "iscsid", "y", sid=1, cid=0, target=RAC, portal="10.0.0.1:3260")])
    new = log.add([_conn_error(100.0), _conn_error(100.01, "iscsid")])
    assert len(new) == 1 and len(log.incidents) == 1
    (incident,) = log.incidents
    assert incident.sources == ("kernel", "iscsid")
    assert (incident.target, incident.portal, incident.title) == (RAC, "10.0.0.1:3260", "1020 TCP_CONN_CLOSE")
    assert log.counts_by_connection() == {"1:0": 1}
    assert log.counts_by_target() == {RAC: 1}


def test_two_errors_far_apart_stay_two():
    log = EventLog()
    log.add([_conn_error(100.0), _conn_error(160.0, "iscsid")])
    assert len(log.incidents) == 2


def test_not_authorized_swallows_the_negotiation_line_and_the_counter_step():
    log = EventLog()
    log.add([LogEvent("target_not_authorized", "kernel", "denied", wall=50.0, initiator="iqn.x:fs", tpgt=1),
             LogEvent("target_negotiation_failed", "kernel", "failed", wall=50.0004)])
    log.add_derived("target_login_failure", 50.8, message="login failure", target=RAC, initiator="iqn.x:fs",
                    address="10.0.0.30", detail="authorize")
    (incident,) = log.incidents
    assert incident.kind == "target_not_authorized"
    assert incident.sources == ("kernel", "configfs")
    assert (incident.target, incident.address) == (RAC, "10.0.0.30")
    assert "negotiation" in incident.detail


def test_a_lone_negotiation_failure_is_listed():
    log = EventLog()
    log.add([LogEvent("target_negotiation_failed", "kernel", "failed", wall=5.0)])
    assert [i.kind for i in log.incidents] == ["target_negotiation_failed"]


def test_the_captured_flap_is_flapping():
    """dmesg-flap.txt + iscsid-flap.log: three 1020s on connection 1:0, each recovered."""
    log = EventLog()
    log.add(parse_lines(rac_text("iscsid-flap.log").splitlines()))
    log.add(parse_lines(rac_text("dmesg-flap.txt").splitlines()))
    assert log.counts_by_connection() == {"1:0": 3}  # six lines, three incidents
    (finding,) = connection_flaps(log.incidents, None)
    assert finding.kind == "connection_flap" and finding.connection == "1:0"
    assert finding.target == RAC and finding.codes == (1020,)
    assert any("initiator name" in line for line in finding.lines)
    assert "initiatorname.iscsi" in finding.fix


def test_a_flap_needs_enough_errors_in_the_window():
    log = EventLog()
    log.add([_conn_error(0.0), _conn_error(200.0), _conn_error(400.0)])
    assert connection_flaps(log.incidents, 400.0) == []
    log.add([_conn_error(410.0)])
    (finding,) = connection_flaps(log.incidents, 410.0)
    assert finding.count == 3 and finding.active
    (later,) = connection_flaps(log.incidents, 410.0 + 600)
    assert not later.active
    assert connection_flaps(log.incidents, 410.0 + 7200) == []


def _session(text: str) -> TargetSession:
    return TargetSession(RAC, 1, CLIENT, "acl", parse_acl_info(text))


def _info(sid: int, address: str) -> str:
    return rac_text("flap-info-1.txt").replace("LIO Session ID: 3", f"LIO Session ID: {sid}").replace(
        "TSIH: 3", f"TSIH: {sid}").replace("Address 127.0.0.1", f"Address {address}")


def test_the_captured_flap_rounds_name_the_shared_initiator():
    changes = SessionChanges()
    seen = [changes.observe(t, RAC, 1, CLIENT, _session(rac_text(f"flap-info-{n}.txt")))
            for t, n in ((91.0, 1), (97.0, 2), (103.0, 3))]
    assert seen[0] is None and seen[1].old == (3, 3) and seen[1].new == (5, 5)
    assert shared_name_findings(changes.changes, 103.0) == []  # two replacements: not yet
    changes.observe(109.0, RAC, 1, CLIENT, _session(_info(9, "127.0.0.1")))
    (finding,) = shared_name_findings(changes.changes, 110.0)
    assert finding.kind == "shared_initiator_name" and finding.initiator == CLIENT
    assert finding.addresses == ("127.0.0.1",)  # the capture's two "hosts" were one VM
    assert "same name and ISID" in " ".join(finding.lines)


def test_alternating_addresses_are_named_with_the_fix():
    changes = SessionChanges()
    for i in range(8):
        changes.observe(1000.0 + 3 * i, RAC, 1, CLIENT, _session(_info(40 + i, ("10.0.0.11", "10.0.0.12")[i % 2])))
    log = EventLog()
    log.add([LogEvent("operational", "iscsid", "", sid=1, cid=0, target=RAC)])
    log.add([_conn_error(1000.0 + 6 * i) for i in range(4)])
    flaps = connection_flaps(log.incidents, 1030.0)
    (finding,) = shared_name_findings(changes.changes, 1030.0, flaps=flaps)
    assert finding.title == f"One initiator name, 2 hosts: {CLIENT}"
    assert finding.addresses == ("10.0.0.11", "10.0.0.12")
    assert finding.count == 7
    text = " ".join(finding.lines)
    assert "10.0.0.11 and 10.0.0.12" in text and "connection 1:0" in text
    assert "/etc/iscsi/initiatorname.iscsi" in finding.fix and "ACL" in finding.fix


def test_an_ordinary_relogin_is_not_a_reinstatement():
    changes = SessionChanges()
    changes.observe(0.0, RAC, 1, CLIENT, _session(_info(5, "10.0.0.11")))
    changes.observe(1.0, RAC, 1, CLIENT, None)  # logged out
    assert changes.observe(600.0, RAC, 1, CLIENT, _session(_info(6, "10.0.0.11"))) is None


def test_findings_serialise():
    from sanctl.live.report import finding_json

    log = EventLog()
    log.add([_conn_error(float(t)) for t in range(0, 30, 6)])
    (finding,) = connection_flaps(log.incidents, 30.0)
    data = finding_json(finding)
    assert json.loads(json.dumps(data))["connection"] == "1:0"


# ---------------------------------------------------------------------------
# named early, cleared early (fake clocks)
# ---------------------------------------------------------------------------


def _change(t: float, old: str, new: str, n: int) -> "SessionChange":
    from sanctl.live.flap import SessionChange

    return SessionChange(t, "iqn.t", 1, "iqn.i", (n, n), (n + 1, n + 1), old, new)


def _flap_1020(last: float) -> "Finding":
    from sanctl.live.flap import Finding

    return Finding(kind="connection_flap", key=("flap", "1:0"), title="", lines=(), fix="", count=3, first=last - 10,
                   last=last, active=True, connection="1:0", target="iqn.t", codes=(1020,))


def test_a_shared_name_is_named_at_the_first_move_while_1020_is_current():
    from sanctl.live.flap import shared_name_findings

    moved = [_change(100.0, "127.0.0.1", "10.99.0.2", 1)]
    assert shared_name_findings(moved, 101.0) == []  # one move alone: a host whose address changed
    (found,) = shared_name_findings(moved, 101.0, flaps=[_flap_1020(100.0)])
    assert found.addresses == ("127.0.0.1", "10.99.0.2") and found.active
    back = moved + [_change(104.0, "10.99.0.2", "127.0.0.1", 2)]
    (found,) = shared_name_findings(back, 105.0)  # there and back: two hosts
    assert "replaced the session of iqn.i on iqn.t (TPG 1) 2 times" in found.lines[0]


def test_findings_clear_after_a_stable_minute():
    from sanctl.live.events import Incident
    from sanctl.live.flap import connection_flaps, shared_name_findings

    errors = [Incident(seq=n, kind="conn_error", time=100.0 + 5 * n, side="initiator", message="", sources=("kernel",),
                       connection="1:0", sid=1, code=1020, target="iqn.t") for n in range(4)]
    last = 115.0
    assert [f.active for f in connection_flaps(errors, last + 59)] == [True]
    assert [f.active for f in connection_flaps(errors, last + 61)] == [False]
    changes = [_change(100.0 + 5 * n, *(("a", "b") if n % 2 else ("b", "a")), n) for n in range(3)]
    assert [f.active for f in shared_name_findings(changes, 110.0 + 59)] == [True]
    assert [f.active for f in shared_name_findings(changes, 110.0 + 61)] == [False]
