"""The simulated kernel: LIO objects written under a root, file for file.

Each ``create_*`` function does to a plain directory tree what a ``mkdir`` or
``symlink`` (plus the attribute writes rtslib-fb makes right after) does to the
real configfs: it creates the directory, the default groups and every
attribute file the kernel shows, with the kernel's content and file mode, and
updates the files elsewhere that the kernel derives from the new object
(a backstore's ``info`` status and statistics once it is exported, the ALUA
``members`` lists, a target's portal count, …). The readers of sanctl and
rtslib-fb then read the result exactly as they read a real kernel.

State the kernel keeps but does not show in one place — allocation counters
(HBA ids, device and ACL indexes, relative port ids) and the uptime clock the
``creation_time`` statistics come from — lives in :class:`SimKernel`.
:meth:`SimKernel.boot` starts an empty kernel under a root;
:meth:`SimKernel.attach` rebuilds that state from a tree written earlier, so a
sim writer or the live simulator can pick up a demo tree.

Randomness (LUN aliases, unit serials) comes only from ``SimKernel.rng``, a
seeded :class:`random.Random`, so the same calls always give the same tree.

Names are validated before any path is built: empty names, ``.``/``..``,
``/`` and NUL are refused with :class:`InvalidName`, so nothing is ever
written outside the root. Kernel refusals (an object that exists, a group
that is not empty, a value out of range) are raised as :class:`OSError` with
the errno the kernel returns.

The code lives in three modules, all re-exported here so ``layout.X`` is the
one name to use: :mod:`~sanctl.sim.kernel_state` (the kernel's state, names,
errors and derived files), :mod:`~sanctl.sim.layout_backstores` (backstores
and ALUA groups) and :mod:`~sanctl.sim.layout_targets` (targets, TPGs,
portals, LUNs, ACLs, mapped LUNs, the loopback fabric).

No Textual import here (and none anywhere under ``sanctl.sim``).
"""

from __future__ import annotations

from sanctl.sim.kernel_state import (CONFIGFS_TARGET, SCRATCH, _O_NEW, _O_DIR, _HBA_RE, _INFO_STATUS_RE, Link, Spec,
                                     InvalidName, check_name, _kerr, _index, Device, _TargetState, SimKernel,
                                     _current_umask, _read, _read_raw, _field, _num_suffix, _auth_spec,
                                     DEFAULT_TG_PT_GP, _FABRIC_NAMES, _member_line, _as_int, _info_text,
                                     _device_stats_spec, _write_lu_gp_members, _write_export_state, _write_members,
                                     _lun_device)
from sanctl.sim.layout_backstores import (_block_kname, create_storage_object, set_storage_object_attribute,
                                          delete_storage_object, _ALUA_STATE_NAMES, _ALUA_STATE_FLAG, _ALUA_TYPES,
                                          _ALUA_STATUSES, _ALUA_MAX, _alua_groups, _group_path, _group_valid,
                                          _lun_alua_text, _lun_dir, _rewrite_group_luns, create_alua_group,
                                          set_alua_group_id, set_alua_group_param, delete_alua_group)
from sanctl.sim.layout_targets import (_target_path, _iscsi_only, _tpg_path, LOOPBACK_VERSION, LOOPBACK_TPGS,
                                       load_loopback, _next_scsi_host, create_loopback_target, set_loopback_nexus,
                                       create_target, delete_target, create_tpg, delete_tpg, _tpg_value,
                                       _auth_method_for, set_tpg_enable, set_tpg_attribute, set_tpg_parameter,
                                       write_auth_file, _set_auth, set_tpg_auth, set_discovery_auth, portal_dir_name,
                                       create_portal, set_portal_flag, delete_portal, _set_portal_count, _LUN_FILES,
                                       create_lun, delete_lun, set_lun_alua_group, _mapped_luns_of, _acl_path,
                                       create_acl, delete_acl, set_acl_auth, set_acl_attribute, set_acl_cmdsn_depth,
                                       set_acl_tag, create_mapped_lun, set_mapped_lun_write_protect, delete_mapped_lun)

__all__ = [
    "CONFIGFS_TARGET", "SCRATCH", "_O_NEW", "_O_DIR", "_HBA_RE", "_INFO_STATUS_RE", "Link", "Spec", "InvalidName",
    "check_name", "_kerr", "_index", "Device", "_TargetState", "SimKernel", "_current_umask", "_read", "_read_raw",
    "_field", "_num_suffix", "_auth_spec", "DEFAULT_TG_PT_GP", "_FABRIC_NAMES", "_member_line", "_as_int",
    "_info_text", "_device_stats_spec", "_write_lu_gp_members", "_write_export_state", "_write_members",
    "_lun_device", "_block_kname", "create_storage_object", "set_storage_object_attribute", "delete_storage_object",
    "_ALUA_STATE_NAMES", "_ALUA_STATE_FLAG", "_ALUA_TYPES", "_ALUA_STATUSES", "_ALUA_MAX", "_alua_groups",
    "_group_path", "_group_valid", "_lun_alua_text", "_lun_dir", "_rewrite_group_luns", "create_alua_group",
    "set_alua_group_id", "set_alua_group_param", "delete_alua_group", "_target_path", "_iscsi_only", "_tpg_path",
    "LOOPBACK_VERSION", "LOOPBACK_TPGS", "load_loopback", "_next_scsi_host", "create_loopback_target",
    "set_loopback_nexus", "create_target", "delete_target", "create_tpg", "delete_tpg", "_tpg_value",
    "_auth_method_for", "set_tpg_enable", "set_tpg_attribute", "set_tpg_parameter", "write_auth_file", "_set_auth",
    "set_tpg_auth", "set_discovery_auth", "portal_dir_name", "create_portal", "set_portal_flag", "delete_portal",
    "_set_portal_count", "_LUN_FILES", "create_lun", "delete_lun", "set_lun_alua_group", "_mapped_luns_of",
    "_acl_path", "create_acl", "delete_acl", "set_acl_auth", "set_acl_attribute", "set_acl_cmdsn_depth",
    "set_acl_tag", "create_mapped_lun", "set_mapped_lun_write_protect", "delete_mapped_lun",
]
