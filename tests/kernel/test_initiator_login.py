"""open-iscsi logs in to the real LIO target over 127.0.0.1."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.kernel

DISCOVERY_LINE = re.compile(r"^(\[[^\]]+\]|[^:\s]+):(\d+),(-?\d+) (\S+)$")


def test_sendtargets_discovery_finds_the_portal(basic_san, kernel_env):
    kt = kernel_env
    out = kt.iscsiadm("-m", "discovery", "-t", "sendtargets", "-p", f"{kt.PORTAL_IP}:{kt.PORTAL_PORT}").stdout
    found = [DISCOVERY_LINE.match(line).groups() for line in out.splitlines() if line.strip()]
    assert found == [(kt.PORTAL_IP, str(kt.PORTAL_PORT), "1", basic_san.target_iqn)]
    records = kt.iscsiadm("-m", "node").stdout.split()
    assert records == [f"{kt.PORTAL_IP}:{kt.PORTAL_PORT},1", basic_san.target_iqn]


def test_login_gives_a_logged_in_session_with_its_disks(basic_san, logged_in, kernel_env):
    kt = kernel_env
    sessions = kt.iscsi_sessions()
    assert len(sessions) == 1
    s = sessions[0]
    assert s["state"] == "LOGGED_IN"
    assert s["targetname"] == basic_san.target_iqn
    assert s["tpgt"] == "1"
    assert s["initiatorname"] == basic_san.acl
    # One SCSI disk per mapped LUN, numbered as the ACL maps them.
    luns = sorted(kt.scsi_lun_of_disk(s["dir"], d) for d in s["disks"])
    assert luns == sorted(basic_san.mapped)
    for disk in s["disks"]:
        assert Path(f"/dev/{disk}").exists()
        lun = kt.scsi_lun_of_disk(s["dir"], disk)
        tpg_lun, write_protected = basic_san.mapped[lun]
        plugin_name = basic_san.luns[tpg_lun]
        size = basic_san.storage[plugin_name]["size"]
        assert int(Path(f"/sys/block/{disk}/size").read_text()) * 512 == size, disk
        # A write-protected mapped LUN reaches the initiator as a read-only disk.
        assert Path(f"/sys/block/{disk}/ro").read_text().strip() == ("1" if write_protected else "0"), disk


def test_the_acl_info_file_shows_the_session(basic_san, logged_in, kernel_env):
    kt = kernel_env
    info_path = kt.CFS / "iscsi" / basic_san.target_iqn / "tpgt_1" / "acls" / basic_san.acl / "info"
    info = info_path.read_text()
    assert f"InitiatorName: {basic_san.acl}" in info
    assert "SessionType: Normal" in info
    assert "Session State: TARG_SESS_STATE_LOGGED_IN" in info
    assert "Connection State: TARG_CONN_STATE_LOGGED_IN" in info
    assert re.search(r"Address 127\.0\.0\.1 TCP", info), info
    assert re.search(r"ISID: 0x(?:[0-9a-f]{2} ){5}[0-9a-f]{2}", info), info


def test_writes_through_the_session_reach_the_backing_file(basic_san, logged_in, kernel_env):
    kt = kernel_env
    s = logged_in
    disk = next(d for d in s["disks"] if kt.scsi_lun_of_disk(s["dir"], d) == 0)  # fileio
    block = os.urandom(4096)
    fd = os.open(f"/dev/{disk}", os.O_WRONLY | os.O_SYNC)
    try:
        os.pwrite(fd, block, 1 * 1024 * 1024)
        os.fsync(fd)
    finally:
        os.close(fd)
    with open(basic_san.image, "rb") as fh:
        fh.seek(1 * 1024 * 1024)
        assert fh.read(4096) == block


def test_chap_is_enforced_and_accepted(lab, kernel_env):
    """An ACL with CHAP (and mutual CHAP): refused without credentials, in with them."""
    kt = kernel_env
    from rtslib import LUN, TPG, FabricModule, MappedLUN, NetworkPortal, NodeACL, RDMCPStorageObject, Target

    lab.rtsroot()
    iqn = "iqn.2024-01.test.sanctl:chap"
    tpg = TPG(Target(FabricModule("iscsi"), iqn), 1)
    tpg.set_attribute("authentication", "1")
    lun = LUN(tpg, 0, RDMCPStorageObject("chap-ram", 8 * kt.MiB))
    acl = NodeACL(tpg, kt.initiator_name())
    MappedLUN(acl, 0, lun)
    acl.chap_userid, acl.chap_password = "sanctl-in", "in-secret-123"
    acl.chap_mutual_userid, acl.chap_mutual_password = "sanctl-out", "out-secret-456"
    NetworkPortal(tpg, kt.PORTAL_IP, kt.PORTAL_PORT)
    tpg.enable = True

    portal = f"{kt.PORTAL_IP}:{kt.PORTAL_PORT}"
    kt.iscsiadm("-m", "discovery", "-t", "sendtargets", "-p", portal)
    # 24 = ISCSI_ERR_LOGIN_AUTH_FAILED
    refused = kt.iscsiadm("-m", "node", "-T", iqn, "-p", portal, "--login", ok=(24,))
    assert "authorization failure" in refused.stderr.lower() or refused.returncode == 24
    for name, value in [
        ("node.session.auth.authmethod", "CHAP"),
        ("node.session.auth.username", "sanctl-in"),
        ("node.session.auth.password", "in-secret-123"),
        ("node.session.auth.username_in", "sanctl-out"),
        ("node.session.auth.password_in", "out-secret-456"),
    ]:
        kt.iscsiadm("-m", "node", "-T", iqn, "-p", portal, "-o", "update", "-n", name, "-v", value)
    session = kt.login(iqn, expect_disks=1, discover=False)  # discovery would reset the record
    assert session["state"] == "LOGGED_IN"
    assert Path(f"{session['dir']}/username").read_text().strip() == "sanctl-in"
