"""Logout, node-record deletion and rtslib's clear leave nothing behind."""

from __future__ import annotations

import glob
import os

import pytest

pytestmark = pytest.mark.kernel

#: What the kernel keeps under /sys/kernel/config/target once every target and
#: storage object is gone (checked on Debian's 6.1): the top-level files, the
#: ALUA default LU group, and each fabric directory with only its own files.
#: rtslib-fb removes the HBA directories (fileio_N, rd_mcp_N, iblock_N) itself.
EMPTY_TOP = {"core", "dbroot", "version"}
EMPTY_CORE = ["alua"]
EMPTY_FABRIC_FILES = {
    "iscsi": ["cpus_allowed_list", "discovery_auth", "lio_version"],
    "loopback": ["discovery_auth", "version"],
}


def _assert_configfs_empty(kt) -> None:
    top = set(kt.cfs_entries())
    fabrics = top - EMPTY_TOP
    assert EMPTY_TOP <= top, top
    assert fabrics <= set(EMPTY_FABRIC_FILES), f"unexpected entries {sorted(fabrics - set(EMPTY_FABRIC_FILES))}"
    for fabric in fabrics:
        assert kt.cfs_entries(fabric) == EMPTY_FABRIC_FILES[fabric], fabric
    assert kt.cfs_entries("core") == EMPTY_CORE
    assert kt.cfs_entries("core/alua") == ["lu_gps"]
    assert kt.cfs_entries("core/alua/lu_gps") == ["default_lu_gp"]
    assert (kt.CFS / "core/alua/lu_gps/default_lu_gp/members").read_text() == ""
    if "iscsi" in fabrics:
        disc = kt.CFS / "iscsi" / "discovery_auth"
        assert (disc / "enforce_discovery_auth").read_text().strip() == "0"
    # Cleaning up never touches the dbroot: it stays where the tools before set it — rtslib-fb's
    # /etc/target, or Debian's /etc/rtslib-fb-target once Debian's targetcli has run in this VM.
    assert (kt.CFS / "dbroot").read_text().strip() in ("/etc/target", "/etc/rtslib-fb-target")


def test_logout_delete_and_clear_leave_configfs_empty(basic_san, kernel_env):
    kt = kernel_env
    from rtslib import RTSRoot

    session = kt.login(basic_san.target_iqn, expect_disks=len(basic_san.mapped))
    disks = session["disks"]

    out = kt.iscsiadm("-m", "node", "-T", basic_san.target_iqn, "-p",
                      f"{kt.PORTAL_IP}:{kt.PORTAL_PORT}", "--logout").stdout
    assert "successful" in out
    kt.wait_for(lambda: not glob.glob("/sys/class/iscsi_session/session*"), "the session to go", 30)
    assert not glob.glob("/sys/class/iscsi_connection/connection*")
    for disk in disks:
        kt.wait_for(lambda d=disk: not os.path.exists(f"/sys/block/{d}"), f"{disk} to go", 30)
    acl_info = kt.CFS / "iscsi" / basic_san.target_iqn / "tpgt_1" / "acls" / basic_san.acl / "info"
    assert acl_info.read_text().startswith("No active iSCSI Session for Initiator Endpoint:")

    kt.iscsiadm("-m", "node", "-o", "delete")
    none = kt.iscsiadm("-m", "node", ok=(21,))  # 21 = ISCSI_ERR_NO_OBJS_FOUND
    assert "No records found" in none.stderr
    assert not glob.glob("/etc/iscsi/nodes/*")

    RTSRoot().clear_existing(confirm=True)
    _assert_configfs_empty(kt)
    assert RTSRoot().dump() == {"storage_objects": [], "targets": [], "fabric_modules": []}

    from sanctl.lio.configfs import read_config

    config = read_config(root="/", details=True)
    assert config.empty
    assert not config.storage_objects
    assert list(config.targets) == []


def test_lab_cleanup_also_clears_discovery_auth(lab, kernel_env):
    kt = kernel_env
    from rtslib import FabricModule

    lab.rtsroot()
    fm = FabricModule("iscsi")
    fm.discovery_userid, fm.discovery_password = "disc-user", "disc-secret-1"
    fm.discovery_enable_auth = True
    assert (kt.CFS / "iscsi/discovery_auth/enforce_discovery_auth").read_text().strip() == "1"
    lab.cleanup()
    _assert_configfs_empty(kt)
    assert (kt.CFS / "iscsi/discovery_auth/userid").read_text().strip() in ("", "NULL")
