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
# Storage object attributes (core/<hba>/<so>/attrib/)
# --------------------------------------------------------------------------

#: Read-only members of sbc_attrib_attrs (mode r--r--r-- in the capture).
SBC_RO = frozenset({"hw_block_size", "hw_max_sectors", "hw_pi_prot_type", "hw_queue_depth"})

#: sbc_attrib_attrs of a 6.1 kernel with the values an iblock device on a loop
#: device showed (the RAC capture). Device-dependent values are overridable.
IBLOCK_ATTRIB: dict[str, int] = {
    "alua_support": 1,
    "block_size": 512,
    "emulate_3pc": 1,
    "emulate_caw": 1,
    "emulate_dpo": 1,
    "emulate_fua_read": 1,
    "emulate_fua_write": 1,
    "emulate_model_alias": 0,
    "emulate_pr": 1,
    "emulate_rest_reord": 0,
    "emulate_tas": 1,
    "emulate_tpu": 0,
    "emulate_tpws": 0,
    "emulate_ua_intlck_ctrl": 0,
    "emulate_write_cache": 0,
    "enforce_pr_isids": 1,
    "force_pr_aptpl": 0,
    "hw_block_size": 512,
    "hw_max_sectors": 2560,
    "hw_pi_prot_type": 0,
    "hw_queue_depth": 128,
    "is_nonrot": 1,
    "max_unmap_block_desc_count": 1,
    "max_unmap_lba_count": 8388607,
    "max_write_same_len": 8388607,
    "optimal_sectors": 2560,
    "pgr_support": 1,
    "pi_prot_format": 0,
    "pi_prot_type": 0,
    "pi_prot_verify": 0,
    "queue_depth": 128,
    "unmap_granularity": 8,
    "unmap_granularity_alignment": 0,
    "unmap_zeroes_data": 0,
}

#: fileio (scenarios/core_device_all.txt): FD_MAX_BYTES/512 sectors, fd_configure_unmap values.
FILEIO_ATTRIB: dict[str, int] = {
    **IBLOCK_ATTRIB,
    "hw_max_sectors": 16384,
    "optimal_sectors": 16384,
    "is_nonrot": 0,
    "max_unmap_lba_count": 8192,
    "max_write_same_len": 4096,
    "unmap_granularity": 1,
}

#: rd_mcp (kernel source; is_nonrot from the 6.1 capture tests/fixtures/kernel):
#: hw_max_sectors UINT_MAX aligned down to a page multiple, non-rotational,
#: no UNMAP support, so the target_alloc_device() defaults (0).
RD_ATTRIB: dict[str, int] = {
    **IBLOCK_ATTRIB,
    "hw_max_sectors": 4294967288,
    "optimal_sectors": 4294967288,
    "is_nonrot": 1,
    "max_unmap_block_desc_count": 0,
    "max_unmap_lba_count": 0,
    "max_write_same_len": 0,
    "unmap_granularity": 0,
}

#: passthrough_attrib_attrs (6.1) for pscsi — no capture; kernel source.
#: alua_support / pgr_support read 0 because pscsi passes ALUA and PGR through.
PSCSI_ATTRIB: dict[str, int] = {
    "alua_support": 0,
    "emulate_pr": 1,
    "hw_block_size": 512,
    "hw_max_sectors": 1024,
    "hw_pi_prot_type": 0,
    "hw_queue_depth": 32,
    "pgr_support": 0,
}
PSCSI_RO = SBC_RO

#: tcmu (user) attributes: passthrough + passthrough_pr + tcmu_attrib_attrs — no
#: capture; kernel source. Values are tcmu defaults.
USER_ATTRIB: dict[str, int | str] = {
    "alua_support": 1,
    "emulate_pr": 1,
    "hw_block_size": 512,
    "hw_max_sectors": 128,
    "hw_pi_prot_type": 0,
    "hw_queue_depth": 128,
    "pgr_support": 1,
    "enforce_pr_isids": 1,
    "force_pr_aptpl": 0,
    "cmd_time_out": 30,
    "qfull_time_out": -1,
    "max_data_area_mb": 1024,
    "data_pages_per_blk": 1,
    "cmd_ring_size_mb": 8,
    "dev_config": "",
    "dev_size": 0,
    "emulate_write_cache": 0,
    "tmr_notification": 0,
    "nl_reply_supported": 0,
}
USER_RO = SBC_RO | {"data_pages_per_blk", "cmd_ring_size_mb"}

#: tcmu's action/ group (empty for every other backend).
USER_ACTION = (("block_dev", RW, "0\n"), ("reset_ring", WO, ""), ("free_kept_buf", WO, ""))

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

#: tpgt_N/attrib/ — kernel defaults (TA_*); targetcli then writes authentication=0.
TPG_ATTRIB_DEFAULTS: dict[str, int] = {
    "authentication": 1,
    "cache_dynamic_acls": 0,
    "default_cmdsn_depth": 64,
    "default_erl": 0,
    "demo_mode_discovery": 1,
    "demo_mode_write_protect": 1,
    "fabric_prot_type": 0,
    "generate_node_acls": 0,
    "login_keys_workaround": 1,
    "login_timeout": 15,
    "netif_timeout": 2,
    "prod_mode_write_protect": 0,
    "t10_pi": 0,
    "tpg_enabled_sendtargets": 1,
}

#: Allowed integer ranges of TPG attributes (iscsi_target_tpg.c iscsit_ta_*).
TPG_ATTRIB_RANGE: dict[str, tuple[int, int]] = {
    "authentication": (0, 1),
    "cache_dynamic_acls": (0, 1),
    "default_cmdsn_depth": (1, 512),
    "default_erl": (0, 2),
    "demo_mode_discovery": (0, 1),
    "demo_mode_write_protect": (0, 1),
    "fabric_prot_type": (0, 3),
    "generate_node_acls": (0, 1),
    "login_keys_workaround": (0, 1),
    "login_timeout": (5, 30),
    "netif_timeout": (2, 15),
    "prod_mode_write_protect": (0, 1),
    "t10_pi": (0, 1),
    "tpg_enabled_sendtargets": (0, 1),
}

#: tpgt_N/param/ — RFC 7143 keys with LIO's defaults.
TPG_PARAM_DEFAULTS: dict[str, str] = {
    "AuthMethod": "CHAP,None",
    "DataDigest": "CRC32C,None",
    "DataPDUInOrder": "Yes",
    "DataSequenceInOrder": "Yes",
    "DefaultTime2Retain": "20",
    "DefaultTime2Wait": "2",
    "ErrorRecoveryLevel": "0",
    "FirstBurstLength": "65536",
    "HeaderDigest": "CRC32C,None",
    "IFMarkInt": "Reject",
    "IFMarker": "No",
    "ImmediateData": "Yes",
    "InitialR2T": "Yes",
    "MaxBurstLength": "262144",
    "MaxConnections": "1",
    "MaxOutstandingR2T": "1",
    "MaxRecvDataSegmentLength": "8192",
    "MaxXmitDataSegmentLength": "262144",
    "OFMarkInt": "Reject",
    "OFMarker": "No",
    "TargetAlias": "LIO Target",
}

#: acls/<init>/attrib/ — NA_* defaults; authentication -1 = inherit from the TPG.
ACL_ATTRIB_DEFAULTS: dict[str, int] = {
    "authentication": -1,
    "dataout_timeout": 3,
    "dataout_timeout_retries": 5,
    "default_erl": 0,
    "nopin_response_timeout": 30,
    "nopin_timeout": 15,
    "random_datain_pdu_offsets": 0,
    "random_datain_seq_offsets": 0,
    "random_r2t_offsets": 0,
}

ACL_ATTRIB_RANGE: dict[str, tuple[int, int]] = {
    "authentication": (-1, 1),
    "dataout_timeout": (2, 60),
    "dataout_timeout_retries": (1, 15),
    "default_erl": (0, 2),
    "nopin_response_timeout": (3, 60),
    "nopin_timeout": (3, 60),
    "random_datain_pdu_offsets": (0, 1),
    "random_datain_seq_offsets": (0, 1),
    "random_r2t_offsets": (0, 1),
}

#: acls/<init>/param/ — read-only, the live session's negotiated values.
ACL_PARAM_KEYS = (
    "DataPDUInOrder",
    "DataSequenceInOrder",
    "DefaultTime2Retain",
    "DefaultTime2Wait",
    "ErrorRecoveryLevel",
    "FirstBurstLength",
    "ImmediateData",
    "InitialR2T",
    "MaxBurstLength",
    "MaxConnections",
    "MaxOutstandingR2T",
)
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
