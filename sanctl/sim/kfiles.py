"""What the kernel writes in configfs for each LIO object: names, modes, defaults.

Everything here is copied from real captures (``tests/fixtures/rac/idle-root.tar.gz``
and ``tests/fixtures/scenarios/*.txt``, Debian 6.1.0-56, target_core_mod v5.0,
iscsi_target_mod v4.1.0) where a capture exists. What no capture shows (the
ramdisk, pscsi and user backstores) follows the kernel sources of that era;
those tables say so next to them.

Modes: configfs shows ``rw-r--r--`` for an attribute with show+store,
``r--r--r--`` for show only and ``--w-------`` for store only (``control``).
rtslib-fb decides what it dumps from these bits, so they matter as much as
the content.

No Textual, no I/O: data only.
"""

from __future__ import annotations

#: The attribute tables are domain data; the simulated kernel writes them (re-exported here).
from sanctl.lio.attributes import (  # noqa: F401
    SBC_RO,
    IBLOCK_ATTRIB,
    FILEIO_ATTRIB,
    RD_ATTRIB,
    PSCSI_ATTRIB,
    PSCSI_RO,
    USER_ATTRIB,
    USER_RO,
    TPG_ATTRIB_DEFAULTS,
    TPG_ATTRIB_RANGE,
    TPG_PARAM_DEFAULTS,
    ACL_ATTRIB_DEFAULTS,
    ACL_ATTRIB_RANGE,
    ACL_PARAM_KEYS,
)

RW = 0o644
RO = 0o444
WO = 0o200
DIR = 0o755

KERNEL_RELEASE = "6.1.0-56-amd64"
TARGET_CORE_VERSION = "v5.0"
ISCSIT_VERSION = "v4.1.0"
DBROOT = "/etc/target"

VERSION_TEXT = "Target Engine Core ConfigFS Infrastructure {core} on Linux/x86_64 on {release}\n"
LIO_VERSION_TEXT = f"Datera Inc. iSCSI Target {ISCSIT_VERSION}\n"

#: configfs directory prefix of each backstore plugin (the ``<prefix>_<N>`` HBA dirs).
PLUGIN_DIR = {
    "block": "iblock",
    "iblock": "iblock",
    "fileio": "fileio",
    "ramdisk": "rd_mcp",
    "rd_mcp": "rd_mcp",
    "pscsi": "pscsi",
    "user": "user",
}

#: The kernel backend's name (``hba_info`` "plugin:") for each directory prefix.
BACKEND_NAME = {
    "iblock": "iblock",
    "fileio": "fileio",
    "rd_mcp": "rd_mcp",
    "pscsi": "pscsi",
    "user": "user",
}

#: ``inquiry_prod`` / ``inquiry_rev`` of the emulating backends (wwn/product_id, revision).
INQUIRY_PROD = {"iblock": "IBLOCK", "fileio": "FILEIO", "rd_mcp": "RAMDISK-MCP"}
INQUIRY_REV = {"iblock": "4.0", "fileio": "4.0", "rd_mcp": "4.0"}

# --------------------------------------------------------------------------
# Storage object attributes (core/<hba>/<so>/attrib/): the tables are in sanctl.lio.attributes
# --------------------------------------------------------------------------


#: tcmu's action/ group (empty for every other backend).
USER_ACTION = (("block_dev", RW, "unblocked\n"), ("reset_ring", WO, ""), ("free_kept_buf", WO, ""))

# --------------------------------------------------------------------------
# Storage object: fixed files
# --------------------------------------------------------------------------

PR_FILES = (
    ("res_aptpl_active", RO, "APTPL Bit Status: Disabled\n"),
    ("res_aptpl_metadata", RW, "Ready to process PR APTPL metadata..\n"),
    ("res_holder", RO, "No SPC-3 Reservation holder\n"),
    ("res_pr_all_tgt_pts", RO, "No SPC-3 Reservation holder\n"),
    ("res_pr_generation", RO, "0x00000000\n"),
    ("res_pr_holder_tg_port", RO, "No SPC-3 Reservation holder\n"),
    ("res_pr_registered_i_pts", RO, "SPC-3 PR Registrations:\nNone\n"),
    ("res_pr_type", RO, "No SPC-3 Reservation holder\n"),
    ("res_type", RO, "SPC3_PERSISTENT_RESERVATIONS\n"),
)

#: pr/ of a passthrough-PGR device (pscsi) — kernel source (target_pr_res_*_show),
#: not captured: res_holder/res_type say so, the APTPL files read 0 bytes.
_PR_PASSTHROUGH_TEXT = {
    "res_holder": "Passthrough\n",
    "res_type": "SPC_PASSTHROUGH\n",
    "res_aptpl_active": "",
    "res_aptpl_metadata": "",
}
PR_FILES_PASSTHROUGH = tuple(
    (name, mode, _PR_PASSTHROUGH_TEXT.get(name, text)) for name, mode, text in PR_FILES
)

#: alua/default_tg_pt_gp/ except ``members`` (which lists the LUNs).
TG_PT_GP_FILES = (
    ("alua_access_state", RW, "0\n"),
    ("alua_access_status", RW, "None\n"),
    ("alua_access_type", RW, "Implicit and Explicit\n"),
    ("alua_support_active_nonoptimized", RW, "1\n"),
    ("alua_support_active_optimized", RW, "1\n"),
    ("alua_support_lba_dependent", RW, "0\n"),
    ("alua_support_offline", RW, "1\n"),
    ("alua_support_standby", RW, "1\n"),
    ("alua_support_transitioning", RW, "1\n"),
    ("alua_support_unavailable", RW, "1\n"),
    ("alua_write_metadata", RW, "0\n"),
    ("implicit_trans_secs", RW, "0\n"),
    ("nonop_delay_msecs", RW, "100\n"),
    ("preferred", RW, "0\n"),
    ("tg_pt_gp_id", RW, "0\n"),
    ("trans_delay_msecs", RW, "0\n"),
)

ALUA_LU_GP_TEXT = "LU Group Alias: default_lu_gp\nLU Group ID: 0\n"

#: The LUN's alua_tg_pt_gp file when attached to the default group.
LUN_ALUA_TG_PT_GP_TEXT = (
    "TG Port Alias: default_tg_pt_gp\n"
    "TG Port Group ID: 0\n"
    "TG Port Primary Access State: Active/Optimized\n"
    "TG Port Primary Access Status: None\n"
    "TG Port Secondary Access State: None\n"
    "TG Port Secondary Access Status: None\n"
)

COMPANY_ID = "0x001405"

# --------------------------------------------------------------------------
# iSCSI fabric
# --------------------------------------------------------------------------

NO_SESSION_PARAM = "No Active iSCSI Session\n"
NO_SESSION_INFO = "No active iSCSI Session for Initiator Endpoint: {initiator}\n"

#: The CHAP files of tpgt_N/auth, acls/<init>/auth and discovery_auth.
AUTH_KEYS = ("userid", "password", "userid_mutual", "password_mutual")
#: MAX_USER_LEN / MAX_PASS_LEN: a credential must be shorter than this.
AUTH_MAX_LEN = 256

#: acls/<init>/fabric_statistics/iscsi_sess_stats/ besides ``inst``: 0 bytes with no session.
SESS_STATS_KEYS = (
    "cmd_pdus",
    "conn_digest_errors",
    "conn_timeout_errors",
    "indx",
    "node",
    "rsp_pdus",
    "rxdata_octs",
    "txdata_octs",
)

#: ISCSI_NODE_INDEX: the ``indx`` of target-wide login/logout/tgt_attr stats.
ISCSI_NODE_INDEX = 1
#: SCSI_LU_INDEX
SCSI_LU_INDEX = 1
#: iSCSI's SCSI transport protocol identifier (SPC-4).
ISCSI_PROTO_ID = 5
FABRIC_NAME = "iSCSI"

#: ``cmd_completion_affinity`` of a target (``iscsi/<iqn>/param/``): -1 = submitting CPU.
TARGET_PARAM = (("cmd_completion_affinity", RW, "-1\n"),)

#: Kernel name limits (TRANSPORT_IQN_LEN / ISCSI_IQN_LEN, configfs name max).
IQN_MAX = 223
NAME_MAX = 255
