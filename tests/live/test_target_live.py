"""Target-side live readers on what real kernels wrote (and on what targetcli gets wrong)."""

from __future__ import annotations

import os

import pytest

from sanctl.lio.live import (
    parse_acl_info,
    parse_dynamic_sessions,
    read_layout,
    read_mapped_lun_stats,
    read_target_live,
    read_target_stats,
    short_state,
    transport_label,
)

from .conftest import rac_text, scenario_text

RAC = "iqn.2024-01.storage.oracle:rac"
CLIENT = "iqn.2024-01.storage.oracle:client"


def test_one_session_info_parses_completely():
    info = parse_acl_info(scenario_text("acl_info_1session.txt"))
    assert info.initiator == "iqn.1993-08.org.debian:01:vt-init1"
    assert info.alias == "(none)" and info.alias_shown == ""
    assert (info.sid, info.isid, info.tsih, info.session_type) == (1, "00023d000001", 1, "Normal")
    assert (info.state, info.state_raw) == ("LOGGED_IN", "TARG_SESS_STATE_LOGGED_IN")
    assert (info.cmdsn_window, info.cmdsn_credit, info.exp_cmdsn, info.max_cmdsn) == (0x40, 0x40, 0x2D, 0x6C)
    assert (info.itt, info.ttt) == (0x2F, 0x38)
    (conn,) = info.connections
    assert (conn.cid, conn.state, conn.address, conn.transport, conn.statsn) == (
        0, "LOGGED_IN", "127.0.0.1", "TCP", 0xBE3F8A0C)


def test_the_second_isid_is_kept():
    info = parse_acl_info(scenario_text("acl_info_2sessions.txt"))
    assert (info.sid, info.isid, info.tsih) == (2, "00023d000002", 2)


@pytest.mark.parametrize("n, sid", [(1, 3), (2, 5), (3, 7)])
def test_flap_rounds_show_a_new_session_each_time(n, sid):
    info = parse_acl_info(rac_text(f"flap-info-{n}.txt"))
    assert info.initiator == CLIENT
    assert info.identity == (sid, sid)
    assert info.isid == "00023d000001"  # open-iscsi's default ISID: the same on both hosts


@pytest.mark.parametrize("text", [
    "No active iSCSI Session for Initiator Endpoint: iqn.1993-08.org.debian:01:vt-init1\n",
    scenario_text("error2_acl_info_tpg_disabled.txt"),
    "",
])
def test_no_session(text):
    assert parse_acl_info(text) is None


def _info(state: str = "TARG_SESS_STATE_LOGGED_IN", alias: str = "(none)", address: str = "127.0.0.1",
          transport: str = "TCP", extra_conn: str = "") -> str:
    return (
        "InitiatorName: iqn.2024-01.example:host\n"
        f"InitiatorAlias: {alias}\n"
        "LIO Session ID: 9   ISID: 0x00 02 3d 00 00 01  TSIH: 4  SessionType: Normal\n"
        f"Session State: {state}\n"
        "---------------------[iSCSI Session Values]-----------------------\n"
        "  CmdSN/WR  :  CmdSN/WC  :  ExpCmdSN  :  MaxCmdSN  :     ITT    :     TTT\n"
        " 0x00000040   0x00000040   0x00000001   0x00000040   0x00000000   0x00000000\n"
        "----------------------[iSCSI Connections]-------------------------\n"
        "CID: 0  Connection State: TARG_CONN_STATE_LOGGED_IN\n"
        f"   Address {address} {transport}  StatSN: 0x00000010\n" + extra_conn
    )


def test_free_state_parses_where_targetcli_raises_keyerror():
    # targetcli keys the state on "_STATE_", which TARG_SESS_FREE does not have.
    info = parse_acl_info(_info(state="TARG_SESS_FREE"))
    assert info.state == "FREE"
    assert parse_acl_info(_info(state="ERROR: Unknown Session State!")).state == "UNKNOWN"


def test_alias_with_colons_is_not_truncated():
    assert parse_acl_info(_info(alias="db01:node:a")).alias == "db01:node:a"


def test_ipv6_address_and_several_connections():
    second = "CID: 1  Connection State: TARG_CONN_STATE_IN_LOGOUT\n   Address fe80::1 TCP  StatSN: 0x00000001\n"
    info = parse_acl_info(_info(address="2001:db8::7", extra_conn=second))
    assert [(c.cid, c.state, c.address) for c in info.connections] == [
        (0, "LOGGED_IN", "2001:db8::7"), (1, "IN_LOGOUT", "fe80::1")]


def test_sctp_is_what_the_kernel_says_for_any_other_transport():
    info = parse_acl_info(_info(transport="SCTP"))
    assert info.connections[0].transport == "SCTP"
    assert transport_label("SCTP", offload_portal=True) == "iSER/offload"
    assert "SCTP" in transport_label("SCTP", offload_portal=False)
    assert transport_label("TCP", offload_portal=True) == "TCP"


def test_short_state():
    assert short_state("TARG_CONN_STATE_CLEANUP_WAIT") == "CLEANUP_WAIT"
    assert short_state("TARG_SESS_STATE_FAILED") == "FAILED"


def test_dynamic_sessions_strip_the_nul_bytes():
    assert parse_dynamic_sessions(b"iqn.a:one\n\0iqn.b:two\n\0") == ("iqn.a:one", "iqn.b:two")
    assert parse_dynamic_sessions(b"") == ()
    assert parse_dynamic_sessions(None) == ()


def test_the_rac_live_tree(rac_live_shared):
    live = read_target_live(str(rac_live_shared), mapped=True)
    (session,) = live.sessions
    assert (session.target, session.tpg, session.kind, session.initiator) == (RAC, 1, "acl", CLIENT)
    assert session.addresses == ("127.0.0.1",)
    stats = session.stats
    assert (stats.indx, stats.node, stats.cmd_pdus, stats.txdata_octs, stats.rxdata_octs) == (
        1, 1, 238, 12660998, 3932160)
    assert live.acls_without_session == {(RAC, 1): 1}  # client2 has no session
    target = live.stats[RAC]
    assert (target.sessions, target.accepts, target.login_fails) == (1, 1, 0)
    assert target.fail_intr_name is None and target.fail_intr_addr is None  # "None" and "(einval)"
    assert live.backstores[(RAC, 1, 5)] == "block/ora-arch"
    lun0 = next(lun for lun in live.luns if lun.lun == 0)
    assert (lun0.in_cmds, lun0.read_mbytes, lun0.write_mbytes) == (43, 2, 4)
    mapped = live.mapped[(RAC, 1, CLIENT)]
    assert [m.mapped_lun for m in mapped] == [0, 1, 2, 3, 4, 5]
    assert mapped[0].port_ident == f"{CLIENT}+i+00023d000001"
    # the ACL without a session: 0-byte counters and no attached session
    idle = read_mapped_lun_stats(os.path.join(
        str(rac_live_shared), "sys/kernel/config/target/iscsi", RAC, "tpgt_1/acls",
        "iqn.2024-01.storage.oracle:client2"))
    assert all(m.port_ident is None for m in idle)


def test_the_dynamic_session_targetcli_cannot_show(kernel_tree):
    live = read_target_live(str(kernel_tree))
    kinds = {(s.target.rsplit(":", 1)[1], s.tpg, s.kind) for s in live.sessions}
    assert kinds == {("capture-a", 1, "acl"), ("capture-a", 2, "dynamic")}
    dynamic = next(s for s in live.sessions if s.kind == "dynamic")
    assert dynamic.initiator == "iqn.2024-01.test.sanctl:vm-initiator"
    assert dynamic.info is None and dynamic.stats is None
    # The instance counter agrees: two sessions on target A, none on B.
    assert live.stats["iqn.2024-01.test.sanctl:capture-a"].sessions == 2
    acl = next(s for s in live.sessions if s.kind == "acl")
    assert acl.info.alias == "sanctl-vm"


def test_layout_sees_offload_portals_and_disabled_tpgs(kernel_tree):
    layout = {(t.iqn.rsplit(":", 1)[1], tpg.tag): tpg for t in read_layout(str(kernel_tree)) for tpg in t.tpgs}
    assert layout[("capture-a", 1)].offload_portal  # 0.0.0.0:3262 has iser=1
    assert not layout[("capture-a", 2)].offload_portal
    assert layout[("capture-b", 1)].enabled is False
    assert layout[("capture-a", 2)].demo_mode


def test_a_vanished_target_reads_as_none(tmp_path):
    assert read_target_stats(str(tmp_path / "gone")) is None
    assert read_target_live(str(tmp_path)).sessions == ()


def test_failure_counters_after_a_failed_login(tmp_path):
    """error0's fabric statistics: a negotiation failure with the failing initiator and address."""
    base = tmp_path / "t" / "fabric_statistics"
    for chunk in scenario_text("error0_fabric_statistics.txt").split("### ")[1:]:
        header, _, content = chunk.partition("\n")
        if "/fabric_statistics/" not in header or "/acls/" in header:
            continue
        rel = header.split("/fabric_statistics/", 1)[1]
        (base / rel).parent.mkdir(parents=True, exist_ok=True)
        (base / rel).write_text(content)
    stats = read_target_stats(str(tmp_path / "t"))
    assert (stats.login_fails, stats.negotiate_fails, stats.last_fail_type, stats.last_fail_time) == (1, 1, 6, 4999)
    assert (stats.fail_intr_name, stats.fail_intr_addr) == ("iqn.1993-08.org.debian:01:vt-init1", "127.0.0.1")
    assert stats.sessions == 2
