"""iscsiadm's outputs parsed: every captured variant (RAC run, scenarios, kernel capture, 90 cases)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sanctl.initiator.iscsiadm import (
    DiscoveredTarget,
    DiscoveryRecord,
    Iface,
    NodeRecord,
    NodeSettings,
    PortalLogin,
    parse_discovery,
    parse_discoverydb,
    parse_ifaces,
    parse_login_failures,
    parse_nodes,
    parse_portal_tuples,
    parse_records,
    parse_session_details,
    parse_sessions,
    parse_stats,
)
from sanctl.model import Secret

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CAPTURE_A = "iqn.2024-01.test.sanctl:capture-a"
BASIC = "iqn.2024-01.test.sanctl:basic"


def text(rel: str) -> str:
    return (FIXTURES / rel).read_text()


# --- discovery and node lists ------------------------------------------------
def test_discovery_with_ipv6_and_duplicates_from_the_kernel_capture():
    found = parse_discovery(text("kernel/iscsiadm-discovery.txt"))
    assert found == [
        DiscoveredTarget(CAPTURE_A, "127.0.0.1:3260", 1),
        DiscoveredTarget(CAPTURE_A, "[::1]:3260", 1),
        DiscoveredTarget(CAPTURE_A, "127.0.0.1:3261", 2),
    ]
    assert found[1].address == "[::1]" and found[1].port == 3260


def test_discovery_rac_and_seed():
    assert parse_discovery(text("rac/iscsiadm-discovery.txt")) == [
        DiscoveredTarget("iqn.2024-01.storage.oracle:rac", "127.0.0.1:3260", 1)
    ]
    qnap = "10.0.0.1:3260,1 iqn.2004-04.com.qnap:ts-431u:iscsi.vmware.fa8a99\n" * 2
    assert parse_discovery(qnap) == [DiscoveredTarget("iqn.2004-04.com.qnap:ts-431u:iscsi.vmware.fa8a99",
                                                      "10.0.0.1:3260", 1)]


def test_discovery_skips_warnings_and_handles_odd_address_forms():
    out = (
        "iscsiadm: Could not add/update [tcp:[hw=,ip=,net_if=,iscsi_if=default] 1.2.3.4,3260,1 iqn.x]\n"
        "[fd00:6774:0:1::1]:3260,1 iqn.2003-01.org.linux-iscsi.tgt:sn.1\n"
        "[storage]:3260,1 iqn.2003-01.org.linux-iscsi.tgt:sn.2\n"
        "::ffff:10.1.2.3:3260,1 iqn.2003-01.org.linux-iscsi.tgt:sn.3\n"
        "10.0.0.9:3260,-1 iqn.2003-01.org.linux-iscsi.tgt:sn.4\n"
    )
    assert [(d.portal, d.tpgt) for d in parse_discovery(out)] == [
        ("[fd00:6774:0:1::1]:3260", 1), ("[storage]:3260", 1), ("[::ffff:10.1.2.3]:3260", 1), ("10.0.0.9:3260", -1)
    ]


def test_discovery_of_every_captured_case(captured):
    assert [d.target for d in parse_discovery(captured["discoverydb_discover"]["stdout"])] == [
        BASIC, "iqn.2024-01.test.sanctl:no-acl"]
    for name in ("discovery_refused", "discovery_timeout", "discovery_iscsid_down"):
        assert parse_discovery(captured[name]["stdout"] + captured[name]["stderr"]) == []


def test_node_lists_flat_and_tree(captured):
    assert parse_nodes(text("kernel/iscsiadm-node.txt")) == [
        NodeRecord(CAPTURE_A, "127.0.0.1:3260", 1),
        NodeRecord(CAPTURE_A, "127.0.0.1:3261", 2),
        NodeRecord(CAPTURE_A, "[::1]:3260", 1),
    ]
    assert parse_nodes(text("scenarios/iscsiadm_m_node.txt")) == [
        NodeRecord("iqn.2003-01.org.linux-iscsi.vt:target1", "127.0.0.1:3260", 1)]
    assert parse_nodes(captured["node_list_P1"]["stdout"]) == [
        NodeRecord(BASIC, "127.0.0.1:3260", 1, "default"),
        NodeRecord("iqn.2024-01.test.sanctl:no-acl", "127.0.0.1:3262", 1, "default"),
    ]
    assert parse_nodes(captured["node_list_empty"]["stdout"]) == []


def test_discoverydb_list_brackets_the_unbracketed_ipv6(captured):
    assert parse_discoverydb(captured["discoverydb_list"]["stdout"]) == [
        DiscoveryRecord("[::1]:3260", "sendtargets"),
        DiscoveryRecord("127.0.0.1:3260", "sendtargets"),
        DiscoveryRecord("127.0.0.1:3262", "sendtargets"),
        DiscoveryRecord("127.0.0.1:3299", "sendtargets"),
    ]


# --- records ---------------------------------------------------------------------
def test_node_record_with_chap_masks_and_keeps_order():
    [record] = parse_records(text("kernel/iscsiadm-node-show.txt"))
    assert record.version == "2.1.8"
    assert record.target == CAPTURE_A and record.tpgt == 1 and record.portal == "127.0.0.1:3260"
    assert record.iface == "default" and record.startup == "manual" and not record.automatic
    keys = list(record.settings)
    assert keys[0] == "node.name" and keys[-1] == "node.conn[0].iscsi.OFMarker" and len(keys) == 107
    password = record.get("node.session.auth.password")
    assert isinstance(password, Secret) and NodeSettings.secret_is_hidden(password)
    assert str(password) == "********" and "secret" not in repr(record)
    chap = record.chap
    assert chap is not None and chap.username == "sanctl-initiator" and chap.username_in == "sanctl-target"
    assert record.get("iface.hwaddress") == ""  # <empty>


def test_node_record_without_chap_and_secrets_empty():
    [record] = parse_records(text("rac/iscsiadm-node-show.txt"))
    assert record.authmethod == "None" and record.chap is None
    assert record.get("node.session.auth.password") == Secret("")


def test_several_records_and_other_record_kinds(captured):
    two = text("rac/iscsiadm-node-show.txt") + text("kernel/iscsiadm-node-show.txt")
    assert [r.target for r in parse_records(two)] == ["iqn.2024-01.storage.oracle:rac", CAPTURE_A]
    [disc] = parse_records(captured["discoverydb_show"]["stdout"])
    assert disc.get("discovery.sendtargets.address") == "127.0.0.1"
    assert isinstance(disc.get("discovery.sendtargets.auth.password_in"), Secret)
    [iface] = parse_records(captured["iface_show_default"]["stdout"])
    assert iface.get("iface.transport_name") == "tcp"
    assert parse_records("") == []


def test_revealed_secret_is_a_secret_not_a_string():
    [record] = parse_records("# BEGIN RECORD 2.1.8\nnode.session.auth.password = s3cret-value\n# END RECORD\n")
    secret = record.get("node.session.auth.password")
    assert isinstance(secret, Secret) and secret.reveal() == "s3cret-value"
    assert not NodeSettings.secret_is_hidden(secret)


def test_ipv6_node_portal_is_bracketed():
    [record] = parse_records("node.name = iqn.2024-01.x:y\nnode.conn[0].address = ::1\nnode.conn[0].port = 3260\n")
    assert record.portal == "[::1]:3260"


# --- sessions --------------------------------------------------------------------
@pytest.mark.parametrize("rel", ["rac/iscsiadm-session.txt", "kernel/iscsiadm-session.txt",
                                 "scenarios/iscsiadm_m_session.txt", "scenarios/iscsiadm_m_session_2sessions.txt"])
def test_session_lines(rel):
    sessions = parse_sessions(text(rel))
    lines = [line for line in text(rel).splitlines() if line.strip()]
    assert len(sessions) == len(lines)
    assert all(s.transport == "tcp" and not s.flash and s.portal.rsplit(":", 1)[1] in ("3260", "3261")
               for s in sessions)


def test_session_line_ipv6_and_flash():
    [s] = parse_sessions("iser: [3] [fd00::1]:3260,1 iqn.2024-01.x:y (flash)\n")
    assert (s.transport, s.sid, s.portal, s.tpgt, s.target, s.flash) == (
        "iser", 3, "[fd00::1]:3260", 1, "iqn.2024-01.x:y", True)


def test_session_p3_two_sessions_one_target_with_disks():
    sessions = parse_session_details(text("kernel/iscsiadm-session-P3.txt"))
    assert [(s.sid, s.portal, s.tpgt) for s in sessions] == [(1, "127.0.0.1:3260", 1), (2, "127.0.0.1:3261", 2)]
    first = sessions[0]
    assert first.target == CAPTURE_A and first.iface == "default" and first.transport == "tcp"
    assert first.initiator_name == "iqn.2024-01.test.sanctl:vm-initiator"
    assert first.state == "LOGGED_IN" and first.logged_in and first.connection_state == "LOGGED IN"
    assert first.internal_state == "NO CHANGE"
    assert first.connections[0].current_portal == "127.0.0.1:3260" and first.connections[0].ip_address == "127.0.0.1"
    assert first.host_number == 1 and first.host_state == "running"
    assert [(d.lun, d.path, d.state) for d in first.disks] == [
        (0, "/dev/sdb", "running"), (1, "/dev/sdf", "running"), (10, "/dev/sdc", "running"),
        (2, "/dev/sde", "running"), (3, "/dev/sdd", "running")]
    assert first.disks[0].hctl == "1:0:0:0"
    assert first.chap_username == "sanctl-initiator" and first.chap_username_in == "sanctl-target"
    assert first.timeouts["Recovery Timeout"] == "120"
    assert first.negotiated["MaxRecvDataSegmentLength"] == "262144"
    assert [d.device for d in sessions[1].disks] == ["sdg", "sdh"] and sessions[1].chap_username == ""


@pytest.mark.parametrize("rel,disks", [("rac/iscsiadm-session-P3.txt", 6), ("scenarios/iscsiadm_m_session_P3.txt", 1)])
def test_session_p3_other_captures(rel, disks):
    [session] = parse_session_details(text(rel))
    assert session.sid == 1 and len(session.disks) == disks and all(d.device.startswith("sd") for d in session.disks)


def test_session_p1_and_empty(captured):
    [session] = parse_session_details(captured["session_P1"]["stdout"])
    assert session.sid == 1 and session.target == BASIC and session.disks == ()
    assert parse_session_details(captured["session_P3_empty"]["stdout"]) == []
    [chap] = parse_session_details(captured["session_P3_chap"]["stdout"])
    assert chap.sid == 11 and chap.chap_username == "sanctl-in" and [d.lun for d in chap.disks] == [0, 1, 5]


def test_session_p3_quirks_blank_portal_line_lun_without_disk_and_ipv6():
    out = (
        "iSCSI Transport Class version 2.0-870\nversion 2.1.11\n"
        "Target: iqn.2024-01.x:y (non-flash)\n"
        "\tCurrent Portal: [fd00::1]:3260,1\n\tPersistent Portal: [fd00::1]:3260,1\n"
        "\t\t**********\n\t\tInterface:\n\t\t**********\n\t\tIface Name: default\n"
        "\t\tIface IPaddress: [fd00::2]\n\t\tSID: 4\n"
        "\t\tiSCSI Connection State: TRANSPORT WAIT\n\t\tiSCSI Session State: FAILED\n"
        "\t\tInternal iscsid Session State: REOPEN\n"
        "\t\t************************\n\t\tAttached SCSI devices:\n\t\t************************\n"
        "\t\tHost Number: 9\tState: running\n"
        "\t\tscsi9 Channel 00 Id 0 Lun: 0\n\t\t\tAttached scsi disk sdq\t\tState: transport-offline\n"
        "\t\tscsi9 Channel 00 Id 0 Lun: 7\n"
        "\n"
        "\t\t**********\n\t\tInterface:\n\t\t**********\n\t\tIface Name: iface1\n\t\tSID: 5\n"
        "\t\tiSCSI Session State: LOGGED_IN\n"
    )
    first, second = parse_session_details(out)
    assert first.portal == "[fd00::1]:3260" and first.state == "FAILED" and not first.logged_in
    assert first.connection_state == "TRANSPORT WAIT" and first.connections[0].ip_address == "[fd00::2]"
    assert [(d.lun, d.device, d.state) for d in first.disks] == [(0, "sdq", "transport-offline"), (7, "", "")]
    assert second.sid == 5 and second.portal == "[fd00::1]:3260" and second.iface == "iface1"


def test_stats(captured):
    stats = parse_stats(text("kernel/iscsiadm-session-stats.txt"))
    assert stats.sid == 1 and stats.target == CAPTURE_A and stats.portal == "127.0.0.1:3260"
    assert stats.counters["scsicmd_pdus"] == 601 and stats.counters["digest_err"] == 0 and len(stats.counters) == 21
    assert stats.extended == {"tx_sendpage_failures": 0, "rx_discontiguous_hdr": 0, "eh_abort_cnt": 0}
    assert parse_stats(captured["session_stats"]["stdout"]).counters["txdata_octets"] == 5824


def test_ifaces(captured):
    assert parse_ifaces(captured["iface_list"]["stdout"]) == [Iface("default", "tcp"), Iface("iser", "iser")]
    [bound] = parse_ifaces("iface0 tcp,00:11:22:33:44:55,fd00::5,eth1,iqn.2024-01.x:host\n")
    assert (bound.hwaddress, bound.ipaddress, bound.netdev, bound.initiator_name) == (
        "00:11:22:33:44:55", "fd00::5", "eth1", "iqn.2024-01.x:host")


def test_login_logout_rescan_tuples(captured):
    assert parse_portal_tuples(text("kernel/iscsiadm-login.txt"), "Login to") == [
        PortalLogin("default", CAPTURE_A, "127.0.0.1:3260"), PortalLogin("default", CAPTURE_A, "127.0.0.1:3261")]
    assert [p.sid for p in parse_portal_tuples(text("scenarios/iscsiadm_logout.txt"), "Logout of")] == [1, 2]
    assert parse_portal_tuples(text("rac/iscsiadm-logout.txt"), "Logout of") == [
        PortalLogin("", "iqn.2024-01.storage.oracle:rac", "127.0.0.1:3260", 1)]
    assert parse_portal_tuples(captured["session_rescan"]["stdout"], "Rescanning session") == [
        PortalLogin("", BASIC, "127.0.0.1:3260", 1)]
    ipv6 = "Login to [iface: default, target: iqn.2024-01.x:y, portal: fd00::1,3260] successful.\n"
    assert parse_portal_tuples(ipv6, "Login to")[0].portal == "[fd00::1]:3260"


def test_login_failures_pair_each_portal_with_its_code(captured):
    failures = parse_login_failures(captured["login_no_acl"]["stderr"])
    assert [code for _, code in failures] == [24, 15]
    assert failures[0][0] == PortalLogin("default", "iqn.2024-01.test.sanctl:no-acl", "127.0.0.1:3262")
    assert parse_login_failures(captured["login_again"]["stderr"]) == []
    assert [c for _, c in parse_login_failures(captured["node_loginall_all_again"]["stderr"])] == [24]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400))
def test_parsers_never_crash_on_random_text(garbage):
    for parse in (parse_discovery, parse_nodes, parse_records, parse_discoverydb, parse_sessions,
                  parse_session_details, parse_stats, parse_ifaces, parse_login_failures):
        parse(garbage)
    parse_portal_tuples(garbage, "Login to")
