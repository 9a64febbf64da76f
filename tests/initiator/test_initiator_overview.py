"""What the initiator tab reads (sanctl.initiator.overview) and the demo SAN's simulated iscsiadm.

The overview is built from real captured outputs (through the fake iscsiadm
on PATH); the demo's iscsiadm is checked against the demo SAN's configfs.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from sanctl.initiator.iscsiadm import (
    DiscoveryRecord,
    IscsiadmError,
    LoginFailed,
    parse_records,
    parse_session_details,
)
from sanctl.initiator.overview import (
    FAILED,
    LOGGED_IN,
    NOT_LOGGED_IN,
    build_overview,
    disk_facts,
    read_overview,
)

BASIC = "iqn.2024-01.test.sanctl:basic"
NO_ACL = "iqn.2024-01.test.sanctl:no-acl"


def _records(captured) -> str:
    no_acl = captured["node_show"]["stdout"].replace(BASIC, NO_ACL).replace("node.conn[0].port = 3260",
                                                                           "node.conn[0].port = 3262")
    return captured["node_show_chap"]["stdout"] + no_acl


@pytest.mark.parametrize("module", ["sanctl.initiator.overview", "sanctl.initiator.quick_connect", "sanctl.sim.iscsiadm"])
def test_imports_without_textual(module):
    code = f"import sys, {module}; sys.exit(1 if 'textual' in sys.modules else 0)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_targets_grouped_under_the_portal_that_discovered_them(captured):
    records = parse_records(_records(captured))
    sessions = parse_session_details(captured["session_P3"]["stdout"])
    discovery = [DiscoveryRecord("127.0.0.1:3260", "sendtargets"),
                 DiscoveryRecord("127.0.0.1:3262", "sendtargets")]
    overview = build_overview(discovery, records, sessions)
    by_portal = {p.portal: [(t.target, t.portal, t.state) for t in p.targets] for p in overview.portals}
    # both records name 127.0.0.1:3262 as their discovery portal (node.discovery_port)
    assert by_portal == {"127.0.0.1:3260": [],
                         "127.0.0.1:3262": [(BASIC, "127.0.0.1:3260", LOGGED_IN),
                                            (NO_ACL, "127.0.0.1:3262", NOT_LOGGED_IN)]}
    basic = overview.target((BASIC, "127.0.0.1:3260", "default"))
    assert basic.session.sid == 1 and [d.device for d in basic.session.disks] == ["sda", "sdc", "sdb"]
    assert not basic.favourite and basic.startup == "manual"
    assert overview.others == ()


def test_records_without_discovery_record_and_sessions_without_record_are_others(captured):
    records = parse_records(_records(captured))
    failed = captured["session_P3"]["stdout"].replace("iSCSI Session State: LOGGED_IN", "iSCSI Session State: FAILED")
    sessions = parse_session_details(failed)
    overview = build_overview([], records[1:], sessions)  # basic's record deleted while logged in
    others = {(t.target, t.state, t.has_record) for t in overview.others}
    assert others == {(NO_ACL, NOT_LOGGED_IN, True), (BASIC, FAILED, False)}


def test_read_overview_through_the_fake(fake_iscsiadm, captured):
    from sanctl.initiator.iscsiadm import Iscsiadm

    fake_iscsiadm.rules([
        {"match": ["-m", "discoverydb"], "case": "discoverydb_list"},
        {"match": ["-m", "node", "-o", "show"], "stdout": _records(captured)},
        {"match": ["-m", "session", "-P", "3"], "case": "session_P3"},
    ])
    asked = []
    overview = read_overview(Iscsiadm(), disks=lambda devices: asked.append(list(devices)) or {},
                             multipath=lambda: [])
    assert [p.portal for p in overview.portals] == ["[::1]:3260", "127.0.0.1:3260", "127.0.0.1:3262",
                                                    "127.0.0.1:3299"]
    assert asked == [["sda", "sdb", "sdc"]]
    assert overview.multipath == ()
    assert fake_iscsiadm.calls() == [["-m", "discoverydb"], ["-m", "node", "-o", "show"], ["-m", "session", "-P", "3"]]


def test_read_overview_of_an_empty_database(fake_iscsiadm):
    from sanctl.initiator.iscsiadm import Iscsiadm

    fake_iscsiadm.use("no_records")
    overview = read_overview(Iscsiadm(), disks=lambda d: pytest.fail("no disks to look at"))
    assert overview.portals == () and overview.others == () and overview.multipath is None


def test_disk_facts_from_sysfs(tmp_path):
    block = tmp_path / "sys" / "block"
    (block / "sdb" / "sdb1" / "holders" / "dm-3").mkdir(parents=True)
    (block / "sdb" / "holders").mkdir()
    (block / "sdb" / "size").write_text("2097152\n")
    facts = disk_facts(["sdb", "sdz"], root=str(tmp_path))
    assert facts["sdb"].size == 1 << 30 and facts["sdb"].holders == ("dm-3",) and facts["sdb"].mounts == ()
    assert facts["sdz"].size is None


# --- the demo SAN's iscsiadm ------------------------------------------------------------------------------

def test_demo_starts_as_the_live_demo_host(demo_adm):
    from sanctl.sim.demo import RAC_CLIENTS, RAC_IQN

    overview = demo_adm.overview()
    (portal,) = overview.portals
    assert portal.portal == "192.168.50.10:3260"
    rac = next(t for t in portal.targets if t.target == RAC_IQN)
    assert rac.state == LOGGED_IN and rac.favourite
    assert [d.device for d in rac.session.disks] == ["sda", "sdb", "sdc", "sdd", "sde", "sdf"]
    assert rac.session.initiator_name == RAC_CLIENTS[0]
    assert overview.disks["sda"].size and overview.multipath is None


def test_demo_discovery_login_chap_and_refusals(demo_adm):
    from sanctl.initiator.iscsiadm import Chap
    from sanctl.sim.demo import RAC_IQN, SCRATCH_IQN, WEB_CHAP, WEB_IQN

    adm = demo_adm.iscsiadm
    found = adm.discover("127.0.0.1")
    assert {(f.target, f.portal) for f in found} == {(RAC_IQN, "127.0.0.1:3260"), (WEB_IQN, "127.0.0.1:3260"),
                                                     (SCRATCH_IQN, "[::1]:3260")}
    assert adm.login(RAC_IQN, "192.168.50.10:3260").already
    with pytest.raises(LoginFailed) as refused:
        adm.login(WEB_IQN, "127.0.0.1:3260")  # the web target has an ACL for web01 only
    assert refused.value.code == 24
    assert adm.login(SCRATCH_IQN, "[::1]:3260").logged_in  # demo mode: anyone
    with pytest.raises(IscsiadmError) as nothing:
        adm.discover("10.9.9.9")  # no such host: the connection times out, as a real portal that is not there
    assert nothing.value.code == 8 and "timed out" in nothing.value.message
    with pytest.raises(IscsiadmError) as refused_port:
        adm.discover("127.0.0.1:3299")  # the demo host, a port nothing listens on: refused
    assert refused_port.value.code == 11 and "refused" in refused_port.value.message
    # as web01 with the ACL's CHAP, the web target lets this host in
    with open(f"{demo_adm.root}/etc/iscsi/initiatorname.iscsi", "w") as handle:
        handle.write("InitiatorName=iqn.2024-01.com.example:web01\n")
    adm.set_session_auth(WEB_IQN, "127.0.0.1:3260", Chap(WEB_CHAP["userid"], "wrong-secret-1"))
    with pytest.raises(LoginFailed):
        adm.login(WEB_IQN, "127.0.0.1:3260")
    adm.set_session_auth(WEB_IQN, "127.0.0.1:3260", Chap(WEB_CHAP["userid"], WEB_CHAP["password"]))
    assert adm.login(WEB_IQN, "127.0.0.1:3260").logged_in
    shown = adm.node_settings(WEB_IQN, "127.0.0.1:3260")[0]
    assert str(shown.get("node.session.auth.password")) == "********"  # masked, as iscsiadm does
    # a record under a session stays; logout, then it goes; logging out again is "already"
    with pytest.raises(IscsiadmError) as busy:
        adm.delete_node(WEB_IQN, "127.0.0.1:3260")
    assert busy.value.code == 15
    assert not adm.logout(WEB_IQN, "127.0.0.1:3260").already
    assert adm.logout(WEB_IQN, "127.0.0.1:3260").already
    assert adm.delete_node(WEB_IQN, "127.0.0.1:3260")
    assert not adm.delete_node(WEB_IQN, "127.0.0.1:3260")


def test_demo_rediscovery_keeps_settings(demo_adm):
    from sanctl.sim.demo import WEB_IQN

    adm = demo_adm.iscsiadm
    adm.set_favourite(WEB_IQN, "192.168.50.10:3260", True)
    adm.discover("192.168.50.10")
    (settings,) = adm.node_settings(WEB_IQN, "192.168.50.10:3260")
    assert settings.startup == "automatic"


def test_demo_statistics_grow_and_rescan_names_the_session(demo_adm, monkeypatch):
    from sanctl.sim import iscsiadm as sim
    from sanctl.sim.demo import RAC_IQN

    adm = demo_adm.iscsiadm
    (session,) = [s for s in adm.sessions.values() if s.target == RAC_IQN]
    clock = [session.since + 10.0]
    monkeypatch.setattr(sim.time, "monotonic", lambda: clock[0])
    first = adm.session_stats(session.sid)
    assert (first.sid, first.target, first.portal) == (session.sid, RAC_IQN, "192.168.50.10:3260")
    assert first.counters["scsicmd_pdus"] == first.counters["scsirsp_pdus"] > 0
    assert first.counters["datain_pdus"] + first.counters["dataout_pdus"] == first.counters["scsicmd_pdus"]
    assert set(first.extended) == {"tx_sendpage_failures", "rx_discontiguous_hdr", "eh_abort_cnt"}
    clock[0] += 60
    later = adm.session_stats(session.sid)
    assert later.counters["rxdata_octets"] > first.counters["rxdata_octets"]
    rescanned = adm.rescan(session.sid)
    assert [(r.target, r.portal) for r in rescanned] == [(RAC_IQN, "192.168.50.10:3260")]
    with pytest.raises(IscsiadmError) as unknown:
        adm.session_stats(999)
    assert unknown.value.code == 22
