"""What every form and dialog of the configuration screen shows, asserted with Pilot.

Each form's lines are read from its widgets (:func:`form_helpers.form_lines`):
title, intro, sections, each field's label and value (secrets masked), its
picker and help, what is focused (``>``), the problem, warnings and preview
lines and whether the confirm button is enabled. The look of each distinct
layout is a snapshot in ``test_form_snapshots.py``; these tests say what is
on it, for every form, and open a group of forms in one app (esc between) to
stay fast.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .form_helpers import FORMS, dialog_lines, form_lines, opening, pinned_clock
from .helpers import settle

pytestmark = pytest.mark.usefixtures("pinned_names")

#: form -> the lines it shows as soon as it opens (80×24, the demo SAN)
SHOWN = {
    # --- backstores
    "add-backstore": [
        "# Add a backstore",
        "Which kind of backstore?",
        "Type: >block ▾",
        "[Cancel] [Next]",
    ],
    "add-block": [
        "# Add a block backstore",
        "Export a disk, partition or logical volume.",
        "Name: >",
        "  no '/', no '..', no spaces",
        "Device:",
        ("  pick: /dev/vdb, /dev/vdb1, /dev/vg_san/ora-ocr-1, /dev/vg_san/ora-ocr-2, /dev/vg_san/ora-ocr-3, "
         "/dev/vg_san/ora-data-1, /dev/vg_san/ora-data-2, /dev/vg_san/ora-arch, /dev/vg_san/spare-1, "
         "/dev/vg_san/spare-2"),
        "[ ] Read-only",
        "[X] Exclusive",
        "  open the device exclusively (off: share it, Linux 6.17 or later)",
        "Unit serial:",
        "[Cancel] [(Create)]",
    ],
    "add-fileio": [
        "# Add a fileio backstore",
        "A file (or block device) used through the page cache or directly.",
        "Name: >",
        "  no '/', no '..', no spaces",
        "File:",
        "  created if missing; an existing file keeps its size",
        "Size:",
        "[ ] Write-back cache",
        ("  off by default here, unlike targetcli (on): off, each write reaches the file before it is "
         "acknowledged; on, writes are acknowledged from this host's page cache, and a crash or power loss of "
         "this host loses them, even writes the client flushed"),
        "[X] Sparse file",
        "  allocate space as it is written",
        "[ ] Async I/O",
        "  submit I/O asynchronously (fd_async_io)",
        "Unit serial:",
        "[Cancel] [(Create)]",
    ],
    "add-ramdisk": [
        "# Add a ramdisk backstore",
        "Memory-backed: its data is lost when the target stops.",
        "Name: >",
        "  no '/', no '..', no spaces",
        "Size:",
        "[ ] Null I/O",
        "  discard writes, read zeros (benchmarks)",
        "Unit serial:",
        "[Cancel] [(Create)]",
    ],
    "add-pscsi": [
        "# Add a pscsi backstore",
        "Pass a SCSI device through, commands and all.",
        "Name: >",
        "  no '/', no '..', no spaces",
        "SCSI device:",
        "  pick: /dev/vdb",
        "[Cancel] [(Create)]",
    ],
    "add-user": [
        "# Add a user (TCMU) backstore",
        "Name: >",
        "  no '/', no '..', no spaces",
        "Handler:",
        "Config string:",
        "Size:",
        "Unit serial:",
        "[Cancel] [(Create)]",
    ],
    "add-alua-group": [
        "# Add an ALUA group to fileio/web-data",
        "A target port group: LUNs of this backstore join it from their own edit form (e).",
        "Name: >",
        "  letters, digits and _ . : -",
        "Group id: 1",
        "  1-65535; 1 is free",
        "Access state: 0 ▾",
        "Access type: 3 ▾",
        "[ ] Preferred",
        "  report this group as the preferred path",
        "[Cancel] [(Create)]",
    ],
    "edit-backstore": [
        "# Edit backstore fileio/web-data",
        "Edit: >attributes ▾",
        "[Cancel] [Next]",
    ],
    "edit-backstore-attributes": [
        "# Edit backstore fileio/web-data",
        ("Attributes the kernel accepts only while the backstore is not exported (block_size) are refused with "
         "the reason."),
        "== Attributes",
        "alua_support: >1",
        "block_size: 512",
        "[X] emulate_3pc",
        "[X] emulate_caw",
        "[X] emulate_dpo",
        "[X] emulate_fua_read",
        "[X] emulate_fua_write",
        "[ ] emulate_model_alias",
        "[X] emulate_pr",
        "[ ] emulate_rest_reord",
        "[X] emulate_tas",
        "[ ] emulate_tpu",
        "[ ] emulate_tpws",
        "emulate_ua_intlck_ctrl: 0",
        "[X] emulate_write_cache",
        "[X] enforce_pr_isids",
        "[ ] force_pr_aptpl",
        "[ ] is_nonrot",
        "max_unmap_block_desc_count: 1",
        "max_unmap_lba_count: 8192",
        "max_write_same_len: 4096",
        "optimal_sectors: 16384",
        "pgr_support: 1",
        "pi_prot_format: 0",
        "pi_prot_type: 0",
        "pi_prot_verify: 0",
        "queue_depth: 128",
        "unmap_granularity: 1",
        "unmap_granularity_alignment: 0",
        "[ ] unmap_zeroes_data",
        "Nothing changed yet.",
        "[Cancel] [(Apply)]",
    ],
    "edit-alua-group": [
        "# Edit ALUA group default_tg_pt_gp of fileio/web-data",
        "== ALUA group",
        "alua_access_state: >0 ▾",
        "alua_access_status: 0 ▾",
        "[ ] alua_write_metadata",
        "alua_access_type: 3 ▾",
        "[ ] preferred",
        "nonop_delay_msecs: 100",
        "trans_delay_msecs: 0",
        "implicit_trans_secs: 0",
        "[X] alua_support_offline",
        "[X] alua_support_standby",
        "[X] alua_support_transitioning",
        "[X] alua_support_active_nonoptimized",
        "[X] alua_support_unavailable",
        "[X] alua_support_active_optimized",
        "Nothing changed yet.",
        "[Cancel] [(Apply)]",
    ],
    # --- targets
    "add-target": [
        "# Add an iscsi target",
        "Target IQN: >iqn.2003-01.org.linux-iscsi.san01.x8664:sn.0123456789ab [generate]",
        "  iqn.YYYY-MM.reversed.domain:name (or eui./naa.)",
        "== As targetcli would",
        "[X] Create TPG 1",
        "  a target needs a TPG for LUNs, ACLs and portals",
        "[ ] Require CHAP",
        "  authentication=1: initiators must log in with CHAP",
        "Portal address: 0.0.0.0",
        "  pick: 0.0.0.0, [::0], 127.0.0.1, [::1]",
        "  blank: no portal yet",
        "Port: 3260",
        "[X] Enable TPG 1",
        "→ Create target iqn.2003-01.org.linux-iscsi.san01.x8664:sn.0123456789ab",
        "→ Create TPG 1 in target iqn.2003-01.org.linux-iscsi.san01.x8664:sn.0123456789ab",
        "→ Set authentication=0 on TPG iqn.2003-01.org.linux-iscsi.san01.x8664:sn.0123456789ab/tpg1",
        "→ Listen on 0.0.0.0:3260 for iqn.2003-01.org.linux-iscsi.san01.x8664:sn.0123456789ab/tpg1",
        "  … and 1 more",
        "[Cancel] [Create]",
    ],
    "add-loopback-target": [
        "# Add a loopback target",
        "Its LUNs appear as SCSI disks of this host (lsblk shows them).",
        "Target name: >naa.5001405012345678 [generate]",
        "  naa. and 16 hexadecimal digits",
        "== As targetcli would",
        "[X] Create TPG 1",
        "  with its nexus: the local initiator its LUNs appear to",
        "→ Create loopback target naa.5001405012345678",
        "→ Create TPG 1 in loopback target naa.5001405012345678",
        "[Cancel] [Create]",
    ],
    "add-tpg": [
        "# Add a TPG to iqn.2024-01.storage.oracle:rac",
        "Tag: >2",
        "  tpg2 is the lowest free one",
        "[ ] Require CHAP",
        "[X] Enable",
        "  a disabled TPG refuses logins",
        "→ Create TPG 2 in target iqn.2024-01.storage.oracle:rac",
        "→ Set authentication=0 on TPG iqn.2024-01.storage.oracle:rac/tpg2",
        "→ Enable TPG iqn.2024-01.storage.oracle:rac/tpg2",
        "[Cancel] [Create]",
    ],
    "add-to-tpg": [
        "# Add to tpg1",
        "Add a: >luns ▾",
        "[Cancel] [Next]",
    ],
    "add-acl": [
        "# Add an ACL to tpg1",
        "Initiator name: > [generate]",
        "  the initiator's name: /etc/iscsi/initiatorname.iscsi on a Linux host",
        "Tag:",
        "[X] Map the one LUN",
        "  each TPG LUN as the same LUN number",
        "== CHAP (blank: none)",
        "CHAP user:",
        "  the initiator's user name; blank: no CHAP",
        "CHAP secret:  [generate]",
        "Target user:",
        "  mutual CHAP: the target's user name; blank: one-way",
        "Target secret:  [generate]",
        "[ ] show secrets",
        "[Cancel] [(Create)]",
    ],
    "add-lun": [
        "# Add a LUN to tpg1",
        "Backstore: >block/ora-arch ▾",
        "LUN number:",
        "Alias:",
        "  the name of the LUN's link to its backstore",
        "[X] Map to the one ACL",
        "  every ACL of this TPG sees it (targetcli's auto_add_mapped_luns)",
        ("! doctor: Backstore block/ora-arch is written through 2 targets or TPGs by 3 initiators — Unless "
         "these hosts coordinate their writes, export it through one TPG to the hosts that should have it, or "
         "make the other mappings read-only (write_protect on their mapped LUNs)."),
        "→ Export block/ora-arch as a LUN of iqn.2024-01.com.example:web/tpg1, mapped to every ACL",
        "[Cancel] [Create]",
    ],
    "add-mapped-lun": [
        "# Map a LUN to iqn.2024-01.storage.oracle:client",
        "TPG LUN: >0 ▾",
        "Seen as LUN: 6",
        "  the number the initiator sees; lowest free: 6",
        "[ ] Write-protect",
        "  the initiator may only read",
        "! This initiator sees TPG LUN 0 already, as LUN 0: two paths to one disk.",
        ("→ Map LUN 0 of iqn.2024-01.storage.oracle:rac/tpg1 to iqn.2024-01.storage.oracle:client as LUN 6 "
         "(read-write)"),
        "[Cancel] [Create]",
    ],
    "add-portal": [
        "# Add a portal to tpg1",
        "Address: >[::1]",
        "  pick: 0.0.0.0, [::0], 127.0.0.1, [::1]",
        "  IPv6 in brackets; [::0] listens on IPv4 and IPv6",
        "Port: 3260",
        "[ ] iSER",
        "  iSCSI over RDMA (needs an RDMA NIC)",
        "[ ] Offload",
        "  Chelsio iSCSI offload (cxgbit)",
        "→ Listen on [::1]:3260 for iqn.2024-01.storage.oracle:rac/tpg1",
        "[Cancel] [Create]",
    ],
    # --- edits
    "edit-tpg": [
        "# Edit iqn.2024-01.storage.oracle:rac/tpg1",
        "== State",
        ">[X] Enabled",
        "  disabling drops its sessions and refuses logins",
        "== Attributes",
        "[ ] authentication",
        "[ ] cache_dynamic_acls",
        "default_cmdsn_depth: 64",
        "default_erl: 0",
        "[X] demo_mode_discovery",
        "[X] demo_mode_write_protect",
        "fabric_prot_type: 0",
        "[ ] generate_node_acls",
        "[X] login_keys_workaround",
        "login_timeout: 15",
        "netif_timeout: 2",
        "[ ] prod_mode_write_protect",
        "[ ] t10_pi",
        "[X] tpg_enabled_sendtargets",
        "== Parameters",
        "AuthMethod: CHAP,None",
        "DataDigest: CRC32C,None",
        "DataPDUInOrder: Yes",
        "DataSequenceInOrder: Yes",
        "DefaultTime2Retain: 20",
        "DefaultTime2Wait: 2",
        "ErrorRecoveryLevel: 0",
        "FirstBurstLength: 65536",
        "HeaderDigest: CRC32C,None",
        "IFMarkInt: Reject",
        "IFMarker: No",
        "ImmediateData: Yes",
        "InitialR2T: Yes",
        "MaxBurstLength: 262144",
        "MaxConnections: 1",
        "MaxOutstandingR2T: 1",
        "MaxRecvDataSegmentLength: 8192",
        "MaxXmitDataSegmentLength: 262144",
        "OFMarkInt: Reject",
        "OFMarker: No",
        "TargetAlias: LIO Target",
        "== TPG-wide CHAP (demo mode only)",
        "CHAP user:",
        "  the initiator's user name; blank: no CHAP",
        "CHAP secret:  [generate]",
        "Target user:",
        "  mutual CHAP: the target's user name; blank: one-way",
        "Target secret:  [generate]",
        "[ ] show secrets",
        "Nothing changed yet.",
        "[Cancel] [(Apply)]",
    ],
    "edit-acl": [
        "# Edit ACL iqn.2024-01.com.example:web01",
        "== ACL",
        "Tag: >",
        "  ACLs with one tag share settings; blank: none",
        "Queue depth: 64",
        "  cmdsn_depth: commands in flight, 1-512",
        "== Attributes",
        "authentication: -1",
        "dataout_timeout: 3",
        "dataout_timeout_retries: 5",
        "default_erl: 0",
        "nopin_response_timeout: 30",
        "nopin_timeout: 15",
        "[ ] random_datain_pdu_offsets",
        "[ ] random_datain_seq_offsets",
        "[ ] random_r2t_offsets",
        "== CHAP",
        "CHAP user: web01",
        "  the initiator's user name; blank: no CHAP",
        "CHAP secret: ••••••••••••••••• [generate]",
        "Target user: web-target",
        "  mutual CHAP: the target's user name; blank: one-way",
        "Target secret: •••••••••••••••••• [generate]",
        "[ ] show secrets",
        "Nothing changed yet.",
        "[Cancel] [(Apply)]",
    ],
    "edit-mapped-lun": [
        "# Edit mapped LUN 0 of iqn.2024-01.com.example:web01",
        ">[ ] Write-protect",
        "  the initiator may only read this LUN",
        "Nothing changed yet.",
        "[Cancel] [(Apply)]",
    ],
    "edit-portal": [
        "# Edit portal 0.0.0.0:3260",
        ">[ ] iSER",
        "  iSCSI over RDMA",
        "[ ] Offload",
        "  Chelsio iSCSI offload (cxgbit)",
        "Nothing changed yet.",
        "[Cancel] [(Apply)]",
    ],
    "edit-lun": [
        "# Edit LUN 0 of iqn.2024-01.com.example:web/tpg1",
        "ALUA group: >default_tg_pt_gp ▾",
        "  groups of fileio/web-data; a on the backstore adds one",
        "Nothing changed yet.",
        "[Cancel] [(Apply)]",
    ],
    "edit-discovery": [
        "# Edit iSCSI discovery authentication",
        "== Discovery",
        ">[ ] Require CHAP",
        "  SendTargets discovery only with these credentials",
        "== Credentials",
        "CHAP user:",
        "  the initiator's user name; blank: no CHAP",
        "CHAP secret:  [generate]",
        "Target user:",
        "  mutual CHAP: the target's user name; blank: one-way",
        "Target secret:  [generate]",
        "[ ] show secrets",
        "Nothing changed yet.",
        "[Cancel] [(Apply)]",
    ],
    # --- dialogs
    "delete-lun": [
        "# Delete lun0",
        ("Delete LUN 0 of iqn.2024-01.storage.oracle:rac/tpg1 and its mappings: also removes 2 mapped LUNs; 1 "
         "live session affected."),
        "  - mapped LUN 0 of iqn.2024-01.storage.oracle:client2 in iqn.2024-01.storage.oracle:rac/tpg1",
        "  - mapped LUN 0 of iqn.2024-01.storage.oracle:client in iqn.2024-01.storage.oracle:rac/tpg1",
        ("  ! session of iqn.2024-01.storage.oracle:client from 192.168.50.10 on "
         "iqn.2024-01.storage.oracle:rac/tpg1 loses LUN 0"),
        "Type lun0 to confirm:",
        "[(lun0)]",
        ">[Cancel] [(Delete)]",
    ],
    "delete-target": [
        "# Delete iqn.2024-01.storage.oracle:rac",
        ("Delete target iqn.2024-01.storage.oracle:rac with everything in it: also removes 1 TPG, 6 LUNs, 2 "
         "ACLs, 12 mapped LUNs and 1 portal; 1 live session affected."),
        "  - ACL iqn.2024-01.storage.oracle:client2 of iqn.2024-01.storage.oracle:rac/tpg1",
        "  - ACL iqn.2024-01.storage.oracle:client of iqn.2024-01.storage.oracle:rac/tpg1",
        "  - LUN 0 of iqn.2024-01.storage.oracle:rac/tpg1 (block/ora-ocr-1)",
        "  - LUN 1 of iqn.2024-01.storage.oracle:rac/tpg1 (block/ora-ocr-2)",
        "  - LUN 2 of iqn.2024-01.storage.oracle:rac/tpg1 (block/ora-ocr-3)",
        "  - LUN 3 of iqn.2024-01.storage.oracle:rac/tpg1 (block/ora-data-1)",
        "  - LUN 4 of iqn.2024-01.storage.oracle:rac/tpg1 (block/ora-data-2)",
        "  - LUN 5 of iqn.2024-01.storage.oracle:rac/tpg1 (block/ora-arch)",
        "  - TPG iqn.2024-01.storage.oracle:rac/tpg1",
        "  - mapped LUN 0 of iqn.2024-01.storage.oracle:client2 in iqn.2024-01.storage.oracle:rac/tpg1",
        "  - mapped LUN 0 of iqn.2024-01.storage.oracle:client in iqn.2024-01.storage.oracle:rac/tpg1",
        "  - mapped LUN 1 of iqn.2024-01.storage.oracle:client2 in iqn.2024-01.storage.oracle:rac/tpg1",
        "  - mapped LUN 1 of iqn.2024-01.storage.oracle:client in iqn.2024-01.storage.oracle:rac/tpg1",
        "  - mapped LUN 2 of iqn.2024-01.storage.oracle:client2 in iqn.2024-01.storage.oracle:rac/tpg1",
        "  - mapped LUN 2 of iqn.2024-01.storage.oracle:client in iqn.2024-01.storage.oracle:rac/tpg1",
        "  - mapped LUN 3 of iqn.2024-01.storage.oracle:client2 in iqn.2024-01.storage.oracle:rac/tpg1",
        "  - mapped LUN 3 of iqn.2024-01.storage.oracle:client in iqn.2024-01.storage.oracle:rac/tpg1",
        "  - mapped LUN 4 of iqn.2024-01.storage.oracle:client2 in iqn.2024-01.storage.oracle:rac/tpg1",
        "  - mapped LUN 4 of iqn.2024-01.storage.oracle:client in iqn.2024-01.storage.oracle:rac/tpg1",
        "  - mapped LUN 5 of iqn.2024-01.storage.oracle:client2 in iqn.2024-01.storage.oracle:rac/tpg1",
        "  - mapped LUN 5 of iqn.2024-01.storage.oracle:client in iqn.2024-01.storage.oracle:rac/tpg1",
        "  - portal 0.0.0.0:3260 of iqn.2024-01.storage.oracle:rac/tpg1",
        ("  ! session of iqn.2024-01.storage.oracle:client from 192.168.50.10 on "
         "iqn.2024-01.storage.oracle:rac/tpg1 drops"),
        "Type iqn.2024-01.storage.oracle:rac to confirm:",
        "[(iqn.2024-01.storage.oracle:rac)]",
        ">[Cancel] [(Delete)]",
    ],
    "diff": [
        "# Running vs demo:/etc/target/saveconfig.json",
        "Never saved: demo:/etc/target/saveconfig.json does not exist; this configuration is lost at reboot.",
        "  + backstore block/ora-arch",
        "  + backstore block/ora-data-1",
        "  + backstore block/ora-data-2",
        "  + backstore block/ora-ocr-1",
        "  + backstore block/ora-ocr-2",
        "  + backstore block/ora-ocr-3",
        "  + backstore fileio/web-data",
        "  + backstore ramdisk/scratch",
        "  + target iqn.2024-01.com.example:scratch",
        "  + target iqn.2024-01.com.example:web",
        "  + target iqn.2024-01.storage.oracle:rac",
        "",
        "s saves the running configuration (the previous file is kept as a backup).",
    ],
    "restore": [
        "# Restore a saved configuration",
        "There is no saved configuration and no backup to restore (s saves one).",
        ">pick: ",
        "Restore",
        "* ▾",
        "[Close] [(Restore)]",
    ],
}

GROUPS = {
    "backstores": ["add-backstore", "add-block", "add-fileio", "add-ramdisk", "add-pscsi", "add-user",
                   "add-alua-group", "edit-backstore", "edit-backstore-attributes", "edit-alua-group"],
    "targets": ["add-target", "add-loopback-target", "add-tpg", "add-to-tpg", "add-acl", "add-lun",
                "add-mapped-lun", "add-portal"],
    "edits": ["edit-tpg", "edit-acl", "edit-mapped-lun", "edit-portal", "edit-lun", "edit-discovery"],
    "dialogs": ["delete-lun", "delete-target", "diff", "restore"],
}


def test_every_form_is_in_one_group():
    assert sorted(name for names in GROUPS.values() for name in names) == sorted(FORMS) == sorted(SHOWN)


async def _shown(pilot, name: str) -> list[str]:
    """Open the form ``name``, read what it shows, close it (and a chooser under it) with esc."""
    from sanctl.ui.forms.screen import FormScreen

    app = pilot.app
    await opening(*FORMS[name])(pilot)
    screen = app.screen
    assert screen is not app.screen_stack[0], f"{name}: nothing opened"
    lines = form_lines(screen) if isinstance(screen, FormScreen) else dialog_lines(screen)
    while len(app.screen_stack) > 1:
        await pilot.press("escape")
        await settle(pilot)
    return lines


@pytest.mark.parametrize("group", list(GROUPS))
async def test_each_form_shows_its_fields_values_and_focus(make_app, group):
    app = pinned_clock(make_app())
    async with app.run_test(size=(80, 24)) as pilot:
        for name in GROUPS[group]:
            assert await _shown(pilot, name) == SHOWN[name], name


def _values(lines: list[str], section: str) -> dict[str, str]:
    """The ``name: value`` and ``[X] name`` lines of one section, as the kernel would write them."""
    start = lines.index(f"== {section}") + 1
    out = {}
    for line in lines[start:]:
        if line.startswith("=="):
            break
        line = line.lstrip(">")
        if line.startswith(("[X] ", "[ ] ")):
            out[line[4:]] = "1" if line.startswith("[X]") else "0"
        elif ": " in line and not line.startswith(" "):
            name, value = line.split(": ", 1)
            out[name] = value.lstrip(">")
    return out


def _kernel(directory: Path, names) -> dict[str, str]:
    return {name: (directory / name).read_text().strip() for name in names}


async def test_attribute_forms_show_what_the_kernel_holds(make_app, demo):
    """The long forms' values are the configfs files' contents (a flag: 1 when checked)."""
    config = demo / "sys/kernel/config/target"
    tpg = config / "iscsi/iqn.2024-01.storage.oracle:rac/tpgt_1"
    [backstore] = (config / "core").glob("fileio_*/web-data")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        lines = await _shown(pilot, "edit-tpg")
        attributes, parameters = _values(lines, "Attributes"), _values(lines, "Parameters")
        assert len(attributes) == 14 and len(parameters) == 21
        assert attributes == _kernel(tpg / "attrib", attributes)
        assert parameters == _kernel(tpg / "param", parameters)
        shown = _values(await _shown(pilot, "edit-backstore-attributes"), "Attributes")
        assert len(shown) == 30 and shown == _kernel(backstore / "attrib", shown)
