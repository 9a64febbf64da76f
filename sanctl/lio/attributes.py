"""The kernel's LIO attribute tables: names, defaults and ranges (pure data).

What ``attrib/`` and ``param/`` hold for a backstore, a TPG and an ACL, with
the values a 6.1 kernel shows (copied from real captures where one exists,
else from the kernel sources of that era; each table says which). Forms
and :mod:`sanctl.lio.changes` check values against the ranges; the demo's
simulated kernel (:mod:`sanctl.sim.kfiles`) writes the defaults.

No Textual, no I/O: data only.
"""

from __future__ import annotations

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

#: tcmu (user) attributes: passthrough + passthrough_pr + tcmu_attrib_attrs, with the tcmu defaults
#: (as captured on Debian's 6.1; ``max_data_area_mb`` is read-only there: set at creation through
#: ``control``).
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
USER_RO = SBC_RO | {"data_pages_per_blk", "cmd_ring_size_mb", "max_data_area_mb"}


# --------------------------------------------------------------------------
# iSCSI fabric: TPG and ACL attributes and parameters
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
