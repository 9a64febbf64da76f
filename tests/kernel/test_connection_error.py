"""A connection error provoked on purpose, and seen on both sides."""

from __future__ import annotations

import subprocess

import pytest

pytestmark = pytest.mark.kernel


def _dmesg() -> list[str]:
    return subprocess.run(["dmesg"], capture_output=True, text=True, check=True).stdout.splitlines()


def test_tpg_disabled_under_a_live_session_gives_error_1020_then_recovers(basic_san, logged_in, kernel_env):
    kt = kernel_env
    from rtslib import TPG, FabricModule, Target

    tpg = TPG(Target(FabricModule("iscsi"), basic_san.target_iqn, mode="lookup"), 1, mode="lookup")
    acl_info = kt.CFS / "iscsi" / basic_san.target_iqn / "tpgt_1" / "acls" / basic_san.acl / "info"
    session_state = f"{logged_in['dir']}/state"
    seen = len(_dmesg())

    tpg.enable = False
    kt.wait_for(lambda: kt.read_value(session_state) == "FAILED", "the session to become FAILED", 60)
    assert acl_info.read_text().startswith("No active iSCSI Session for Initiator Endpoint:")
    new = kt.wait_for(
        lambda: [line for line in _dmesg()[seen:] if "detected conn error (1020)" in line],
        "'detected conn error (1020)' in the kernel log", 30,
    )
    assert "connection" in new[0]

    tpg.enable = True
    kt.wait_for(lambda: kt.read_value(session_state) == "LOGGED_IN", "the session to recover", 90)
    kt.wait_for(lambda: "TARG_SESS_STATE_LOGGED_IN" in acl_info.read_text(), "the ACL to show the session again", 30)
    # Same session (recovered, not a new one), same disks.
    assert [s["name"] for s in kt.iscsi_sessions()] == [logged_in["name"]]
    assert kt.iscsi_sessions()[0]["disks"] == logged_in["disks"]
