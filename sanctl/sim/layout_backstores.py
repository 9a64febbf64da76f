"""The simulated kernel's backstores and their ALUA target port groups, file for file.

Each function does to the tree under a :class:`~sanctl.sim.kernel_state.SimKernel`'s
root what the ``mkdir``, attribute write or ``rmdir`` does to the real
configfs (see :mod:`sanctl.sim.layout`).

No Textual import here (and none anywhere under ``sanctl.sim``).
"""

from __future__ import annotations

import errno
import os
import re

from sanctl.sim import kfiles as K
from sanctl.sim.kernel_state import (DEFAULT_TG_PT_GP, Device, SimKernel, Spec, _as_int, _device_stats_spec, _index,
                                     _info_text, _kerr, _read, _write_lu_gp_members, _write_members, check_name)


# ---------------------------------------------------------------------------
# Backstores
# ---------------------------------------------------------------------------


def _block_kname(k: SimKernel, dev: str) -> tuple[str, int, int]:
    """The kernel name and numbers a block device path would have on a typical host."""
    base = os.path.basename(dev)
    m = re.fullmatch(r"loop(\d+)", base)
    if m:
        return base, 7, int(m.group(1))
    m = re.fullmatch(r"sd([a-z]+)", base)
    if m:
        n = 0
        for ch in m.group(1):
            n = n * 26 + (ord(ch) - ord("a") + 1)
        n -= 1
        return base, 8 if n < 16 else 65 + (n // 16 - 1), (n % 16) * 16
    m = re.fullmatch(r"md(\d+)", base)
    if m:
        return base, 9, int(m.group(1))
    minor = k.next_dm_minor  # LVs, multipath, anything under /dev/mapper or /dev/<vg>/
    k.next_dm_minor += 1
    return f"dm-{minor}", 253, minor


def create_storage_object(
    k: SimKernel,
    plugin: str,
    name: str,
    *,
    dev: str | None = None,
    size: int | None = None,
    wwn: str | None = None,
    write_back: bool = False,
    readonly: bool = False,
    aio: bool = False,
    nullio: bool = False,
    config: str | None = None,
    kname: str | None = None,
    major: int | None = None,
    minor: int | None = None,
    scsi_address: tuple[int, int, int, int] = (0, 0, 0, 0),
    inquiry: tuple[str, str, str] = ("ATA", "QEMU HARDDISK", "2.5+"),
    attributes: dict[str, int | str] | None = None,
    index: int | None = None,
) -> Device:
    """Create and enable a backstore as rtslib-fb does: HBA dir, device dir, configure.

    ``plugin`` is rtslib's name or the configfs prefix: ``block``/``iblock``
    (needs ``dev``), ``fileio`` (``dev`` = file, ``size`` bytes, ``write_back``,
    ``aio``), ``ramdisk``/``rd_mcp`` (``size`` bytes, ``nullio``), ``pscsi``
    (``dev``, ``scsi_address`` = host/channel/target/lun, ``inquiry`` =
    vendor/model/rev of the real device) or ``user`` (``config`` =
    ``handler/cfg``, ``size``). The HBA directory is ``<prefix>_<N>`` with N the
    lowest index no backstore uses, as rtslib-fb allocates it (``index`` forces
    one). ``wwn`` is the unit serial (random from ``k.rng`` if omitted);
    ``attributes`` overrides device-dependent attribute values (hw_max_sectors,
    is_nonrot, …). The object starts unexported: ``Status: DEACTIVATED``.
    """
    prefix = K.PLUGIN_DIR.get(plugin)
    if prefix is None:
        raise _kerr(errno.EINVAL, f"unknown backstore plugin {plugin!r}")
    check_name(name, "storage object name")
    if (prefix, name) in k.devices:
        raise _kerr(errno.EEXIST, f"storage object {prefix}/{name} exists")
    core = k.path("core")
    if index is None:  # rtslib-fb: the lowest index no backstore of any plugin uses
        index = k._hba_hint
        while index in k.hba_indexes:
            index += 1
        k._hba_hint = index + 1
    elif isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise _kerr(errno.EINVAL, f"invalid HBA index {index!r}")
    hba = f"{prefix}_{index}"
    hba_path = os.path.join(core, hba)
    if os.path.lexists(hba_path):
        raise _kerr(errno.EEXIST, f"HBA {hba} exists", hba_path)

    if prefix in ("iblock", "pscsi") and not dev:
        raise _kerr(errno.EINVAL, f"a {plugin} backstore needs dev=")
    if prefix == "fileio" and (not dev or size is None):
        raise _kerr(errno.EINVAL, "a fileio backstore needs dev= and size=")
    if prefix in ("rd_mcp", "user") and size is None:
        raise _kerr(errno.EINVAL, f"a {plugin} backstore needs size=")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size <= 0):
        raise _kerr(errno.EINVAL, f"size must be a positive integer, not {size!r}")
    if prefix == "user":
        if not config or ":" in config or "/" not in config:
            raise _kerr(errno.EINVAL, "a user backstore needs config='<handler>/<cfgstring>'")

    # What the backend computes when it configures the device.
    alua = True
    udev_path = dev or ""
    vendor, model, rev = "LIO-ORG", K.INQUIRY_PROD.get(prefix, ""), K.INQUIRY_REV.get(prefix, "")
    action: tuple[tuple[str, int, str], ...] = ()
    ro_attrs = K.SBC_RO
    pr_files = K.PR_FILES
    serial = wwn if wwn is not None else k.unit_serial()
    if prefix == "iblock":
        attrib: dict[str, int | str] = dict(K.IBLOCK_ATTRIB)
        if kname is None or major is None or minor is None:
            auto = _block_kname(k, dev or "")
            kname = kname or auto[0]
            major = auto[1] if major is None else major
            minor = auto[2] if minor is None else minor
        tail = (f"iBlock device: {kname}  UDEV PATH: {dev}  readonly: {int(readonly)}\n"
                f"        Major: {major} Minor: {minor}  CLAIMED: IBLOCK\n")
    elif prefix == "fileio":
        attrib = dict(K.FILEIO_ATTRIB)
        if write_back:
            attrib["emulate_write_cache"] = 1
        tail = (f"TCM FILEIO ID: 0        File: {dev}  Size: {size}  "
                f"Mode: {'Buffered-WCE' if write_back else 'O_DSYNC'} Async: {int(aio)}\n")
    elif prefix == "rd_mcp":
        attrib = dict(K.RD_ATTRIB)
        pages = max(1, round(size / 4096))  # rtslib: round(size / page size), at least 1
        tables = 0 if nullio else pages // (65536 // 32) + 1
        tail = (f"TCM RamDisk ID: 0  RamDisk Makeup: rd_mcp\n"
                f"        PAGES/PAGE_SIZE: {pages}*4096  SG_table_count: {tables}  "
                f"nullio: {int(nullio)}\n")
        udev_path = ""
    elif prefix == "pscsi":
        attrib = dict(K.PSCSI_ATTRIB)
        alua = False
        pr_files = K.PR_FILES_PASSTHROUGH
        host, channel, target, lun = scsi_address
        vendor, model, rev = inquiry
        tail = (f"SCSI Device Bus Location: Channel ID: {channel} Target ID: {target} "
                f"LUN: {lun} Host ID: {host}\n"
                f"        Vendor: {vendor:<8.8} Model: {model:<16.16} Rev: {rev:<4.4}\n")
        if wwn is None:  # pscsi takes the serial from the device's VPD page 0x80
            serial = f"{k.rng.getrandbits(48):012X}"
    else:  # user
        attrib = dict(K.USER_ATTRIB)
        attrib["dev_config"] = config or ""
        attrib["dev_size"] = size or 0
        ro_attrs = K.USER_RO
        action = K.USER_ACTION
        model = rev = ""  # tcmu has no inquiry_prod/rev (the handler answers INQUIRY); the vendor stays LIO-ORG
        tail = (f"Config: {config} Size: {size} MaxDataAreaMB: {attrib['max_data_area_mb']} "
                f"DataPagesPerBlk: {attrib['data_pages_per_blk']} "
                f"CmdRingSizeMB: {attrib['cmd_ring_size_mb']}\n")
        udev_path = ""
    for key, value in (attributes or {}).items():
        if key not in attrib:
            raise _kerr(errno.ENOENT, f"{prefix} has no attribute {key!r}")
        attrib[key] = value

    hba_id = k.next_hba_id
    inst = k.next_inst
    k.next_hba_id += 1
    k.next_inst += 1
    dev_index = k.next_dev_index
    k.next_dev_index += 1
    device = Device(
        hba=hba, name=name, prefix=prefix, hba_id=hba_id, inst=inst, index=dev_index,
        serial=serial, block_size=int(attrib.get("block_size", attrib["hw_block_size"])),
        hw_max_sectors=int(attrib["hw_max_sectors"]), info_tail=tail, alua=alua,
        created_cs=k.now(), vendor=vendor, model=model, revision=rev,
    )
    so_spec: Spec = {
        "alias": (K.RW, ""),
        "alua_lu_gp": (K.RW, K.ALUA_LU_GP_TEXT if alua else ""),
        "control": (K.WO, ""),
        "enable": (K.RW, "1\n"),
        "info": (K.RO, _info_text(device)),
        "lba_map": (K.RW, ""),
        "udev_path": (K.RW, udev_path + "\n" if udev_path else ""),
        "action": {n: (m, t) for n, m, t in action},
        "attrib": {key: (K.RO if key in ro_attrs else K.RW, f"{value}\n")
                   for key, value in sorted(attrib.items())},
        "pr": {n: (m, t) for n, m, t in pr_files},
        "alua": {"default_tg_pt_gp": {**{n: (m, t) for n, m, t in K.TG_PT_GP_FILES},
                                      "members": (K.RO, "")}},
        "statistics": _device_stats_spec(device),
        "wwn": {
            "company_id": (K.RW, K.COMPANY_ID + "\n"),
            "product_id": (K.RW, model + "\n"),
            "revision": (K.RW, rev + "\n"),
            "vendor_id": (K.RW, vendor + "\n"),
            "vpd_assoc_logical_unit": (K.RO, ""),
            "vpd_assoc_scsi_target_device": (K.RO, ""),
            "vpd_assoc_target_port": (K.RO, ""),
            "vpd_protocol_identifier": (K.RO, ""),
            "vpd_unit_serial": (K.RW, f"T10 VPD Unit Serial Number: {serial}\n"),
        },
    }
    k.write_tree(hba_path, {
        "hba_info": (K.RO, f"HBA Index: {hba_id} plugin: {K.BACKEND_NAME[prefix]} "
                           f"version: {K.TARGET_CORE_VERSION}\n"),
        "hba_mode": (K.RW, "0\n"),
        name: so_spec,
    })
    k.hba_indexes.add(index)
    k.devices[(prefix, name)] = device
    if alua:
        device.members[DEFAULT_TG_PT_GP] = []
        k.lu_gp_members.append(f"{hba}/{name}\n")
        _write_lu_gp_members(k)
    return device


def set_storage_object_attribute(k: SimKernel, so: Device, attribute: str, value: int | str) -> None:
    """Write ``attrib/<attribute>`` with the kernel's checks for the ones it guards.

    Read-only attributes raise PermissionError; ``block_size`` and
    ``emulate_model_alias`` cannot change while the object is exported
    (EINVAL, as in the kernel). ``emulate_model_alias=1`` makes the backstore
    name the SCSI product id.
    """
    check_name(attribute, "attribute")
    path = k.path(so.rel, "attrib", attribute)
    if not os.path.isfile(path):
        raise _kerr(errno.ENOENT, f"no attribute {attribute!r}", path)
    if not os.stat(path).st_mode & 0o200:
        raise _kerr(errno.EACCES, f"attribute {attribute!r} is read-only", path)
    text = str(value).strip()
    if attribute not in ("dev_config",):
        try:
            int(text)
        except ValueError:
            raise _kerr(errno.EINVAL, f"{attribute} must be an integer, not {value!r}") from None
    if attribute in ("block_size", "emulate_model_alias") and so.exports:
        raise _kerr(errno.EINVAL, f"cannot change {attribute} while exported")
    if attribute in ("emulate_tpu", "emulate_tpws") and int(text) and so.prefix not in ("iblock", "fileio"):
        # emulate_tpu_store(): no discard support and no configure_unmap (rd_mcp) -> -ENOSYS
        raise _kerr(errno.ENOSYS, "Generic Block Discard not supported", path)
    if attribute == "block_size":
        if int(text) not in (512, 1024, 2048, 4096):
            raise _kerr(errno.EINVAL, "block_size must be 512, 1024, 2048 or 4096")
        so.block_size = int(text)
        k._rewrite(k.path(so.rel, "info"), _info_text(so), K.RO)
    if attribute == "emulate_model_alias" and so.prefix in K.INQUIRY_PROD:
        if int(text) not in (0, 1):
            raise _kerr(errno.EINVAL, "emulate_model_alias is 0 or 1")
        so.model = so.name[:16] if int(text) else K.INQUIRY_PROD[so.prefix]
        k._rewrite(k.path(so.rel, "wwn", "product_id"), so.model + "\n", K.RW)
        k._rewrite(k.path(so.rel, "statistics", "scsi_lu", "prod"), f"{so.model:<16}\n", K.RO)
    k._rewrite(path, text + "\n", K.RW)


def delete_storage_object(k: SimKernel, so: Device) -> None:
    """rmdir the device and its HBA (rtslib-fb's order). EBUSY while a LUN uses it."""
    if so.exports:
        raise _kerr(errno.EBUSY, f"storage object {so.prefix}/{so.name} is exported by a LUN")
    groups = [g for g in _alua_groups(k, so) if g != DEFAULT_TG_PT_GP]
    if groups:
        raise _kerr(errno.ENOTEMPTY, f"storage object {so.prefix}/{so.name} still has ALUA group {groups[0]}")
    k._remove_tree(k.path(so.rel))
    k._remove_tree(k.path("core", so.hba))
    del k.devices[(so.prefix, so.name)]
    k._dirty.pop((so.prefix, so.name), None)
    index = int(so.hba.rsplit("_", 1)[1])
    k.hba_indexes.discard(index)
    k._hba_hint = min(k._hba_hint, index)
    if so.alua:
        k.lu_gp_members.remove(f"{so.hba}/{so.name}\n")
        _write_lu_gp_members(k)


# ---------------------------------------------------------------------------
# ALUA target port groups
# ---------------------------------------------------------------------------

#: alua_access_state -> what the LUN's ``alua_tg_pt_gp`` shows (core_alua_dump_state).
_ALUA_STATE_NAMES = {0: "Active/Optimized", 1: "Active/NonOptimized", 2: "Standby", 3: "Unavailable",
                     4: "LBA Dependent", 14: "Offline", 15: "Transitioning"}
#: The support flag each state needs (tg_pt_gp_alua_supported_states).
_ALUA_STATE_FLAG = {0: "alua_support_active_optimized", 1: "alua_support_active_nonoptimized",
                    2: "alua_support_standby", 3: "alua_support_unavailable", 4: "alua_support_lba_dependent",
                    14: "alua_support_offline", 15: "alua_support_transitioning"}
_ALUA_TYPES = ("None", "Implicit", "Explicit", "Implicit and Explicit")
_ALUA_STATUSES = ("None", "Altered by Explicit STPG", "Altered by Implicit ALUA")
#: Numeric parameters and their largest value (ALUA_MAX_* in target_core_alua.h).
_ALUA_MAX = {"nonop_delay_msecs": 10000, "trans_delay_msecs": 30000, "implicit_trans_secs": 255,
             "preferred": 1, "alua_write_metadata": 1,
             **{flag: 1 for flag in _ALUA_STATE_FLAG.values() if flag != "alua_support_lba_dependent"}}


def _alua_groups(k: SimKernel, so: Device) -> list[str]:
    path = k.path(so.rel, "alua")
    return sorted(e.name for e in os.scandir(path) if e.is_dir()) if os.path.isdir(path) else []


def _group_path(k: SimKernel, so: Device, group: str) -> str:
    check_name(group, "ALUA group name")
    path = k.path(so.rel, "alua", group)
    if not os.path.isdir(path):
        raise _kerr(errno.ENOENT, f"no ALUA group {group} in {so.prefix}/{so.name}", path)
    return path


def _group_valid(path: str) -> bool:
    """tg_pt_gp_valid_id: the default group, or one whose id was written."""
    return os.path.basename(path) == DEFAULT_TG_PT_GP or _read(os.path.join(path, "tg_pt_gp_id")) not in ("", "0")


def _lun_alua_text(k: SimKernel, so: Device, group: str) -> str:
    """A LUN's ``alua_tg_pt_gp`` in ``group`` (core_alua_show_tg_pt_gp_info)."""
    path = k.path(so.rel, "alua", group)
    if group == DEFAULT_TG_PT_GP and not os.path.isdir(path):
        return K.LUN_ALUA_TG_PT_GP_TEXT
    state = int(_read(os.path.join(path, "alua_access_state")) or 0)
    return (f"TG Port Alias: {group}\n"
            f"TG Port Group ID: {_read(os.path.join(path, 'tg_pt_gp_id')) or 0}\n"
            f"TG Port Primary Access State: {_ALUA_STATE_NAMES.get(state, 'Unknown')}\n"
            f"TG Port Primary Access Status: {_read(os.path.join(path, 'alua_access_status')) or 'None'}\n"
            "TG Port Secondary Access State: None\n"
            "TG Port Secondary Access Status: None\n")


def _lun_dir(k: SimKernel, so: Device, export: tuple[str, int, int]) -> str:
    wwn, tag, lun = export
    fabric = so.export_fabric.get(export, "iscsi")
    return k.path(fabric, wwn, f"tpgt_{tag}", "lun", f"lun_{lun}")


def _rewrite_group_luns(k: SimKernel, so: Device, group: str) -> None:
    """What each member LUN shows of its group (state, status, id) after the group changed."""
    text = _lun_alua_text(k, so, group)
    for export in so.members.get(group, ()):
        k._rewrite(os.path.join(_lun_dir(k, so, export), "alua_tg_pt_gp"), text, K.RW)


def create_alua_group(k: SimKernel, so: Device, group: str) -> str:
    """mkdir ``core/<hba>/<so>/alua/<group>``: id 0 (not valid until written), the kernel's defaults."""
    check_name(group, "ALUA group name")
    if not so.alua:
        raise _kerr(errno.ENODEV, f"{so.prefix}/{so.name} passes ALUA through: it has no ALUA groups")
    path = k.path(so.rel, "alua", group)
    if os.path.lexists(path):
        raise _kerr(errno.EEXIST, f"ALUA group {group} exists", path)
    k.write_tree(path, {**{n: (m, t) for n, m, t in K.TG_PT_GP_FILES}, "members": (K.RO, "")})
    so.members[group] = []
    return path


def set_alua_group_id(k: SimKernel, so: Device, group: str, tg_pt_gp_id: int) -> None:
    """Write ``tg_pt_gp_id`` once (core_alua_set_tg_pt_gp_id): unique in the device, 1-65535."""
    path = _group_path(k, so, group)
    number = _index(_as_int(tg_pt_gp_id), "tg_pt_gp_id", 0, 65535)
    if _group_valid(path):
        raise _kerr(errno.EINVAL, f"ALUA group {group} already has a valid id")
    for other in _alua_groups(k, so):
        if other != group and _read(k.path(so.rel, "alua", other, "tg_pt_gp_id")) == str(number):
            raise _kerr(errno.EINVAL, f"ALUA group id {number} already exists in {so.prefix}/{so.name}")
    if number == 0:
        raise _kerr(errno.EINVAL, "tg_pt_gp_id 0 belongs to default_tg_pt_gp")
    k._rewrite(os.path.join(path, "tg_pt_gp_id"), f"{number}\n", K.RW)


def set_alua_group_param(k: SimKernel, so: Device, group: str, param: str, value: int | str) -> None:
    """Write one parameter of an ALUA group with the kernel's checks.

    ``alua_access_state`` needs a valid id, implicit ALUA in the access type
    and the state's support flag; it is an implicit transition, so the
    status becomes "Altered by Implicit ALUA". Type and status are written
    as numbers and shown as words. Member LUNs show the new state.
    """
    path = _group_path(k, so, group)
    number = _as_int(value)
    target = os.path.join(path, param)
    if param == "alua_access_state":
        if not _group_valid(path):
            raise _kerr(errno.EINVAL, "unable to do implicit ALUA on an invalid tg_pt_gp id")
        access = _read(os.path.join(path, "alua_access_type"))
        if access not in ("Implicit", "Implicit and Explicit"):
            raise _kerr(errno.EINVAL, "implicit ALUA transitions need alua_access_type 1 or 3")
        flag = _ALUA_STATE_FLAG.get(number)
        if flag is None or _read(os.path.join(path, flag)) != "1":
            raise _kerr(errno.EINVAL, f"ALUA state {number} is not supported by this group")
        if int(_read(target) or 0) != number:
            k._rewrite(target, f"{number}\n", K.RW)
            k._rewrite(os.path.join(path, "alua_access_status"), _ALUA_STATUSES[2] + "\n", K.RW)
        _rewrite_group_luns(k, so, group)
        return
    if param == "alua_access_status":
        if not _group_valid(path):
            raise _kerr(errno.EINVAL, "unable to set the status of an invalid tg_pt_gp id")
        if number not in (0, 1, 2):
            raise _kerr(errno.EINVAL, f"alua_access_status is 0, 1 or 2, not {number}")
        k._rewrite(target, _ALUA_STATUSES[number] + "\n", K.RW)
        _rewrite_group_luns(k, so, group)
        return
    if param == "alua_access_type":
        if number not in (0, 1, 2, 3):
            raise _kerr(errno.EINVAL, f"alua_access_type is 0 to 3, not {number}")
        k._rewrite(target, _ALUA_TYPES[number] + "\n", K.RW)
        return
    if param == "tg_pt_gp_id":
        set_alua_group_id(k, so, group, number)
        return
    high = _ALUA_MAX.get(param)
    if high is None:
        raise _kerr(errno.ENOENT if not os.path.exists(target) else errno.EACCES,
                    f"ALUA group parameter {param!r} cannot be written", target)
    _index(number, param, 0, high)
    k._rewrite(target, f"{number}\n", K.RW)


def delete_alua_group(k: SimKernel, so: Device, group: str) -> None:
    """rmdir the group: its LUNs go back to ``default_tg_pt_gp`` (at the end of its list)."""
    path = _group_path(k, so, group)
    if group == DEFAULT_TG_PT_GP:
        raise _kerr(errno.EPERM, "default_tg_pt_gp cannot be deleted", path)
    moved = so.members.pop(group, [])
    k._remove_tree(path)
    if moved:
        so.members.setdefault(DEFAULT_TG_PT_GP, []).extend(moved)
        _rewrite_group_luns(k, so, DEFAULT_TG_PT_GP)
        _write_members(k, so)
