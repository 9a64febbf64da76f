"""The simulated kernel's targets, TPGs, portals, LUNs, ACLs and mapped LUNs, file for file.

Each function does to the tree under a :class:`~sanctl.sim.kernel_state.SimKernel`'s
root what the ``mkdir``, ``symlink``, attribute write or ``rmdir`` does to
the real configfs (see :mod:`sanctl.sim.layout`); the loopback fabric's
LUNs also become local SCSI disks.

No Textual import here (and none anywhere under ``sanctl.sim``).
"""

from __future__ import annotations

import errno
import ipaddress
import os
import re
from collections.abc import Iterable

from sanctl.sim import kfiles as K
from sanctl.sim.kernel_state import (_FABRIC_NAMES, DEFAULT_TG_PT_GP, Device, Link, SimKernel, _as_int, _auth_spec,
                                     _index, _kerr, _lun_device, _num_suffix, _read, _TargetState, _write_export_state,
                                     _write_members, check_name)
from sanctl.sim.layout_backstores import (_group_valid, _lun_alua_text)


# ---------------------------------------------------------------------------
# iSCSI targets and TPGs
# ---------------------------------------------------------------------------


def _target_path(k: SimKernel, wwn: str, fabric: str = "iscsi") -> str:
    check_name(wwn, "target name", max_len=K.IQN_MAX)
    if fabric == "loopback":
        path = k.path("loopback", wwn)
        if wwn not in k.loopback or not os.path.isdir(path):
            raise _kerr(errno.ENOENT, f"no loopback target {wwn}", path)
        return path
    _iscsi_only(fabric)
    path = k.path("iscsi", wwn)
    if wwn not in k.targets or not os.path.isdir(path):
        raise _kerr(errno.ENOENT, f"no iSCSI target {wwn}", path)
    return path


def _iscsi_only(fabric: str) -> None:
    if fabric not in ("iscsi", "loopback"):
        raise _kerr(errno.ENOENT, f"the {fabric} fabric is not loaded in this simulated kernel "
                                  "(it has iscsi_target_mod and tcm_loop)")


def _tpg_path(k: SimKernel, wwn: str, tag: int, fabric: str = "iscsi") -> str:
    _index(tag, "TPG tag", 1, 65535)
    path = os.path.join(_target_path(k, wwn, fabric), f"tpgt_{tag}")
    if not os.path.isdir(path):
        raise _kerr(errno.ENOENT, f"no TPG {tag} in {wwn}", path)
    return path


# ---------------------------------------------------------------------------
# The loopback fabric (tcm_loop): its LUNs become local SCSI disks
# ---------------------------------------------------------------------------

#: ``loopback/version`` as tcm_loop 6.1 shows it.
LOOPBACK_VERSION = "TCM Loopback Fabric module v2.1-rc2\n"
#: TL_TPGS_PER_HBA: a loopback TPG tag is below it.
LOOPBACK_TPGS = 32


def load_loopback(k: SimKernel) -> str:
    """What ``modprobe tcm_loop`` and rtslib-fb's ``mkdir loopback`` show (idempotent)."""
    path = k.path("loopback")
    if not os.path.isdir(path):
        k.write_tree(path, {"discovery_auth": {}, "version": (K.RO, LOOPBACK_VERSION)})
    return path


def _next_scsi_host(k: SimKernel) -> int:
    """The SCSI host number a new tcm_loop HBA gets: above every host of the tree and every loopback target."""
    used = set(k.loopback.values())
    hosts = os.path.join(k.root, "sys", "class", "scsi_host")
    for name in os.listdir(hosts) if os.path.isdir(hosts) else ():
        m = re.fullmatch(r"host(\d+)", name)
        if m:
            used.add(int(m.group(1)))
    return max(used) + 1 if used else 0


def create_loopback_target(k: SimKernel, wwn: str) -> str:
    """mkdir ``loopback/<naa>``: tcm_loop adds a SCSI host, ``fabric_statistics/`` and ``param/``."""
    check_name(wwn, "target name", max_len=K.IQN_MAX)
    if not re.fullmatch(r"naa\.[0-9a-f]{16}", wwn):
        # tcm_loop_make_scsi_hba() takes naa., fc. or iqn.; rtslib-fb only writes naa.
        raise _kerr(errno.EINVAL, f"loopback target name {wwn!r} is not naa.<16 hex digits>")
    load_loopback(k)
    path = k.path("loopback", wwn)
    if os.path.lexists(path):
        raise _kerr(errno.EEXIST, f"loopback target {wwn} exists", path)
    k.write_tree(path, {"fabric_statistics": {}, "param": {n: (m, t) for n, m, t in K.TARGET_PARAM}})
    k.loopback[wwn] = _next_scsi_host(k)
    return path


def set_loopback_nexus(k: SimKernel, wwn: str, tag: int, nexus: str | None) -> None:
    """Write ``tpgt_N/nexus`` (the local initiator's naa. name); ``None`` drops it."""
    path = os.path.join(_tpg_path(k, wwn, tag, "loopback"), "nexus")
    current = _read(path)
    if nexus is None or nexus == "NULL":
        k._rewrite(path, "", K.RW)
        return
    if current:
        raise _kerr(errno.EEXIST, f"the TPG's nexus is {current} already", path)
    if not re.fullmatch(r"naa\.[0-9a-f]{16}", nexus):
        raise _kerr(errno.EINVAL, f"nexus {nexus!r} is not naa.<16 hex digits> (the target's protocol is SAS)")
    k._rewrite(path, nexus + "\n", K.RW)


def create_target(k: SimKernel, wwn: str, fabric: str = "iscsi") -> str:
    """mkdir ``iscsi/<wwn>``: the kernel adds ``fabric_statistics/`` and ``param/``."""
    if fabric == "loopback":
        return create_loopback_target(k, wwn)
    _iscsi_only(fabric)
    check_name(wwn, "target name", max_len=K.IQN_MAX)
    if any(ch.isspace() for ch in wwn):
        raise _kerr(errno.EINVAL, f"target name {wwn!r} contains whitespace")
    path = k.path("iscsi", wwn)
    if os.path.lexists(path):
        raise _kerr(errno.EEXIST, f"target {wwn} exists", path)
    state = _TargetState(index=k.next_tiqn_index)
    k.next_tiqn_index += 1
    inst = (K.RO, f"{state.index}\n")
    node = (K.RO, f"{K.ISCSI_NODE_INDEX}\n")
    zero = (K.RO, "0\n")
    k.write_tree(path, {
        "fabric_statistics": {
            "iscsi_instance": {
                "description": (K.RO, "Storage Engine Target\n"), "disc_time": zero,
                "fail_rem_name": (K.RO, "None\n"), "fail_sess": zero, "fail_type": zero,
                "inst": inst, "max_ver": zero, "min_ver": zero, "nodes": (K.RO, "1\n"),
                "portals": zero, "sessions": zero,
                "vendor": (K.RO, "Datera, Inc. iSCSI-Target\n"),
                "version": (K.RO, K.ISCSIT_VERSION + "\n"),
            },
            "iscsi_login_stats": {
                "accepts": zero, "authenticate_fails": zero, "authorize_fails": zero,
                "indx": node, "inst": inst, "negotiate_fails": zero, "other_fails": zero,
                "redirects": zero,
            },
            "iscsi_logout_stats": {
                "abnormal_logouts": zero, "indx": node, "inst": inst, "normal_logouts": zero,
            },
            "iscsi_sess_err": {
                "cxn_errors": zero, "digest_errors": zero, "format_errors": zero, "inst": inst,
            },
            "iscsi_tgt_attr": {
                # %pISc of the never-filled failure address prints "(einval)".
                "fail_intr_addr": (K.RO, "(einval)\n"), "fail_intr_addr_type": (K.RO, "ipv4\n"),
                "fail_intr_name": (K.RO, "None\n"), "indx": node, "inst": inst,
                "last_fail_time": zero, "last_fail_type": zero, "login_fails": zero,
            },
        },
        "param": {n: (m, t) for n, m, t in K.TARGET_PARAM},
    })
    k.targets[wwn] = state
    return path


def delete_target(k: SimKernel, wwn: str, fabric: str = "iscsi") -> None:
    """rmdir ``iscsi/<wwn>``; ENOTEMPTY while it has TPGs."""
    path = _target_path(k, wwn, fabric)
    if any(name.startswith("tpgt_") for name in os.listdir(path)):
        raise _kerr(errno.ENOTEMPTY, f"target {wwn} still has TPGs", path)
    k._remove_tree(path)
    if fabric == "loopback":
        del k.loopback[wwn]
    else:
        del k.targets[wwn]


def create_tpg(k: SimKernel, wwn: str, tag: int = 1, fabric: str = "iscsi") -> str:
    """mkdir ``tpgt_<tag>``, with the kernel's defaults (disabled, authentication=1).

    ``authentication=1`` is in force from the start, so AuthMethod reads
    ``CHAP`` (a TPG rtslib-fb created and left alone shows it on 6.1: the
    capture's capture-b TPG, and the writer's differential test). A
    loopback TPG has no nexus yet (:func:`set_loopback_nexus`).
    """
    if fabric == "loopback":
        _index(tag, "TPG tag", 0, LOOPBACK_TPGS - 1)
        path = os.path.join(_target_path(k, wwn, fabric), f"tpgt_{tag}")
        if os.path.lexists(path):
            raise _kerr(errno.EEXIST, f"TPG {tag} of {wwn} exists", path)
        k.write_tree(path, {
            "acls": {}, "address": (K.RO, f"{k.loopback[wwn]}:0:{tag}\n"),
            "attrib": {"fabric_prot_type": (K.RW, "0\n")}, "auth": {}, "lun": {},
            "nexus": (K.RW, ""), "np": {}, "param": {}, "transport_status": (K.RW, "online\n"),
        })
        return path
    _index(tag, "TPG tag", 1, 65535)
    path = os.path.join(_target_path(k, wwn), f"tpgt_{tag}")
    if os.path.lexists(path):
        raise _kerr(errno.EEXIST, f"TPG {tag} of {wwn} exists", path)
    params = dict(K.TPG_PARAM_DEFAULTS)
    params["AuthMethod"] = _auth_method_for(params["AuthMethod"], K.TPG_ATTRIB_DEFAULTS["authentication"])
    k.write_tree(path, {
        "dynamic_sessions": (K.RO, ""),
        "enable": (K.RW, "0\n"),
        "acls": {},
        "lun": {},
        "np": {},
        "attrib": {key: (K.RW, f"{v}\n") for key, v in K.TPG_ATTRIB_DEFAULTS.items()},
        "auth": _auth_spec(),
        "param": {key: (K.RW, f"{v}\n") for key, v in params.items()},
    })
    return path


def delete_tpg(k: SimKernel, wwn: str, tag: int, fabric: str = "iscsi") -> None:
    """rmdir ``tpgt_<tag>``; ENOTEMPTY while it has LUNs, ACLs or portals (a loopback nexus just goes)."""
    path = _tpg_path(k, wwn, tag, fabric)
    for sub in ("acls", "lun", "np"):
        if os.listdir(os.path.join(path, sub)):
            raise _kerr(errno.ENOTEMPTY, f"TPG {tag} of {wwn} still has {sub}", path)
    k._remove_tree(path)


def _tpg_value(path: str, group: str, key: str) -> str:
    return _read(os.path.join(path, group, key))


def _auth_method_for(current: str, authentication: int) -> str:
    """iscsit_ta_authentication(): drop ``None`` from AuthMethod when 1, add it when 0."""
    methods = [m for m in current.split(",") if m]
    if authentication:
        if "None" in methods and len(methods) > 1:
            methods.remove("None")
    elif "None" not in methods:
        methods.append("None")
    return ",".join(methods)


def set_tpg_enable(k: SimKernel, wwn: str, tag: int, enabled: bool = True) -> None:
    """Write ``tpgt_<tag>/enable``. Enabling applies ``authentication`` to AuthMethod."""
    path = _tpg_path(k, wwn, tag)
    if enabled:
        auth = int(_tpg_value(path, "attrib", "authentication"))
        method = _tpg_value(path, "param", "AuthMethod")
        if auth:
            new = "CHAP" if method == "None" else _auth_method_for(method, 1)
            if new != method:
                k._rewrite(os.path.join(path, "param", "AuthMethod"), new + "\n", K.RW)
    k._rewrite(os.path.join(path, "enable"), f"{int(bool(enabled))}\n", K.RW)


def set_tpg_attribute(k: SimKernel, wwn: str, tag: int, attribute: str, value: int,
                      fabric: str = "iscsi") -> None:
    """Write ``tpgt_<tag>/attrib/<attribute>`` with the kernel's range checks and side effects.

    ``generate_node_acls=1`` also turns ``cache_dynamic_acls`` on, and
    ``cache_dynamic_acls=0`` is ignored while it is on; ``authentication``
    rewrites ``param/AuthMethod`` (1 removes ``None``, 0 adds it back).
    A loopback TPG has only ``fabric_prot_type`` (0, 1 or 3).
    """
    path = _tpg_path(k, wwn, tag, fabric)
    check_name(attribute, "attribute")
    if fabric == "loopback":
        if attribute != "fabric_prot_type":
            raise _kerr(errno.ENOENT, f"no loopback TPG attribute {attribute!r}")
        number = _as_int(value)
        if number not in (0, 1, 3):
            raise _kerr(errno.EINVAL, "fabric_prot_type is 0, 1 or 3")
        k._rewrite(os.path.join(path, "attrib", attribute), f"{number}\n", K.RW)
        return
    bounds = K.TPG_ATTRIB_RANGE.get(attribute)
    if bounds is None:
        raise _kerr(errno.ENOENT, f"no TPG attribute {attribute!r}")
    value = _index(_as_int(value), attribute, *bounds)
    attrib = os.path.join(path, "attrib")
    if attribute == "cache_dynamic_acls" and value == 0:
        if _tpg_value(path, "attrib", "generate_node_acls") == "1":
            return  # "Skipping cache_dynamic_acls=0 when generate_node_acls=1"
    k._rewrite(os.path.join(attrib, attribute), f"{value}\n", K.RW)
    if attribute == "generate_node_acls" and value == 1:
        k._rewrite(os.path.join(attrib, "cache_dynamic_acls"), "1\n", K.RW)
    if attribute == "authentication":
        method = _tpg_value(path, "param", "AuthMethod")
        new = _auth_method_for(method, value)
        if new != method:
            k._rewrite(os.path.join(path, "param", "AuthMethod"), new + "\n", K.RW)


def set_tpg_parameter(k: SimKernel, wwn: str, tag: int, key: str, value: str) -> None:
    """Write ``tpgt_<tag>/param/<key>`` (an RFC 7143 key LIO knows)."""
    path = _tpg_path(k, wwn, tag)
    check_name(key, "parameter")
    if key not in K.TPG_PARAM_DEFAULTS:
        raise _kerr(errno.ENOENT, f"no TPG parameter {key!r}")
    text = str(value).strip()
    if not text or "\n" in text or len(text) > 255:
        raise _kerr(errno.EINVAL, f"invalid value for {key}: {value!r}")
    k._rewrite(os.path.join(path, "param", key), text + "\n", K.RW)


# ---------------------------------------------------------------------------
# CHAP credentials (TPG, ACL, discovery)
# ---------------------------------------------------------------------------


def write_auth_file(k: SimKernel, auth_dir: str, key: str, raw: str) -> None:
    """The kernel's store of one CHAP file: the text as written, ``NULL`` clears the flag.

    ``authenticate_target`` becomes 1 once both mutual values are set.
    """
    if key not in K.AUTH_KEYS:
        raise _kerr(errno.ENOENT, f"no auth file {key!r}")
    if len(raw) >= K.AUTH_MAX_LEN:
        raise _kerr(errno.EINVAL, f"{key} is too long ({len(raw)} >= {K.AUTH_MAX_LEN})")
    path = os.path.join(auth_dir, key)
    k._rewrite(path, raw + "\n", K.RW)
    k.auth_flags[path] = not raw.startswith("NULL")
    mutual_set = all(k.auth_flag(os.path.join(auth_dir, name))
                     for name in ("userid_mutual", "password_mutual"))
    k._rewrite(os.path.join(auth_dir, "authenticate_target"), f"{int(mutual_set)}\n", K.RO)


def _set_auth(k: SimKernel, auth_dir: str, userid: str | None, password: str | None,
              mutual_userid: str | None, mutual_password: str | None) -> None:
    """rtslib-fb's mapping: None leaves a value alone, '' clears it (writes ``NULL``)."""
    for key, value in (("userid", userid), ("password", password),
                       ("userid_mutual", mutual_userid), ("password_mutual", mutual_password)):
        if value is None:
            continue
        if "\n" in value or "\0" in value:
            raise _kerr(errno.EINVAL, f"{key} contains a newline or NUL")
        write_auth_file(k, auth_dir, key, value if value else "NULL")


def set_tpg_auth(k: SimKernel, wwn: str, tag: int, *, userid: str | None = None,
                 password: str | None = None, mutual_userid: str | None = None,
                 mutual_password: str | None = None) -> None:
    """TPG-wide CHAP (used in demo mode, ``generate_node_acls=1``)."""
    _set_auth(k, os.path.join(_tpg_path(k, wwn, tag), "auth"),
              userid, password, mutual_userid, mutual_password)


def set_discovery_auth(k: SimKernel, *, userid: str | None = None, password: str | None = None,
                       mutual_userid: str | None = None, mutual_password: str | None = None,
                       enforce: bool | None = None) -> None:
    """``iscsi/discovery_auth``: credentials and ``enforce_discovery_auth``."""
    disc = k.path("iscsi", "discovery_auth")
    _set_auth(k, disc, userid, password, mutual_userid, mutual_password)
    if enforce is not None:
        k._rewrite(os.path.join(disc, "enforce_discovery_auth"), f"{int(bool(enforce))}\n", K.RW)


# ---------------------------------------------------------------------------
# Portals
# ---------------------------------------------------------------------------


def portal_dir_name(ip: str, port: int = 3260) -> str:
    """The ``np/`` directory name: ``1.2.3.4:3260`` or ``[::1]:3260``."""
    bare = ip[1:-1] if ip.startswith("[") and ip.endswith("]") else ip
    try:
        addr = ipaddress.ip_address(bare)
    except ValueError:
        raise _kerr(errno.EINVAL, f"not an IP address: {ip!r}") from None
    _index(port, "port", 1, 65535)
    return f"[{bare}]:{port}" if addr.version == 6 else f"{bare}:{port}"


def create_portal(k: SimKernel, wwn: str, tag: int, ip: str, port: int = 3260) -> str:
    """mkdir ``np/<ip>:<port>`` (``iser`` and ``cxgbit`` off)."""
    name = portal_dir_name(ip, port)
    path = os.path.join(_tpg_path(k, wwn, tag), "np", name)
    if os.path.lexists(path):
        raise _kerr(errno.EEXIST, f"portal {name} exists", path)
    k.write_tree(path, {"cxgbit": (K.RW, "0\n"), "iser": (K.RW, "0\n")})
    _set_portal_count(k, wwn, +1)
    return path


def set_portal_flag(k: SimKernel, wwn: str, tag: int, ip: str, port: int, flag: str,
                    on: bool) -> None:
    """Write ``np/<portal>/iser`` or ``cxgbit``."""
    if flag not in ("iser", "cxgbit"):
        raise _kerr(errno.ENOENT, f"no portal flag {flag!r}")
    path = os.path.join(_tpg_path(k, wwn, tag), "np", portal_dir_name(ip, port))
    if not os.path.isdir(path):
        raise _kerr(errno.ENOENT, "no such portal", path)
    k._rewrite(os.path.join(path, flag), f"{int(bool(on))}\n", K.RW)


def delete_portal(k: SimKernel, wwn: str, tag: int, ip: str, port: int = 3260) -> None:
    path = os.path.join(_tpg_path(k, wwn, tag), "np", portal_dir_name(ip, port))
    if not os.path.isdir(path):
        raise _kerr(errno.ENOENT, "no such portal", path)
    k._remove_tree(path)
    _set_portal_count(k, wwn, -1)


def _set_portal_count(k: SimKernel, wwn: str, delta: int) -> None:
    state = k.targets[wwn]
    state.nps += delta
    k._rewrite(k.path("iscsi", wwn, "fabric_statistics", "iscsi_instance", "portals"),
               f"{state.nps}\n", K.RO)


# ---------------------------------------------------------------------------
# LUNs
# ---------------------------------------------------------------------------


_LUN_FILES = frozenset({"alua_tg_pt_gp", "alua_tg_pt_offline", "alua_tg_pt_status",
                        "alua_tg_pt_write_md", "statistics"})


def create_lun(k: SimKernel, wwn: str, tag: int, lun: int, so: Device, *,
               alias: str | None = None, fabric: str = "iscsi") -> str:
    """mkdir ``lun/lun_<lun>`` and link it to the backstore (rtslib-fb's ``LUN()``).

    The link is ``<alias> -> ../../../../../../target/core/<hba>/<name>``; the
    backstore becomes ``ACTIVATED`` and gets this port in its ALUA members
    (``default_tg_pt_gp``).
    """
    tpg = _tpg_path(k, wwn, tag, fabric)
    _index(lun, "LUN", 0, 65535)
    if k.devices.get((so.prefix, so.name)) is not so:
        raise _kerr(errno.ENOENT, f"storage object {so.prefix}/{so.name} is not in this kernel")
    link = alias if alias is not None else k.alias()
    check_name(link, "LUN alias")
    if link in _LUN_FILES:
        raise _kerr(errno.EEXIST, f"LUN alias {link!r} is the name of a LUN attribute")
    path = os.path.join(tpg, "lun", f"lun_{lun}")
    if os.path.lexists(path):
        raise _kerr(errno.EEXIST, f"LUN {lun} exists", path)
    rtpi = so.rtpi_next
    so.rtpi_next += 1
    # tpg_get_inst_index: the tiqn index for iSCSI, 1 for tcm_loop (which speaks SAS, protocol 6)
    tiqn = k.targets[wwn].index if fabric == "iscsi" else 1
    fname = _FABRIC_NAMES.get(fabric, fabric)
    proto = K.ISCSI_PROTO_ID if fabric == "iscsi" else 6
    inst, dev, port = (K.RO, f"{so.inst}\n"), (K.RO, f"{so.index}\n"), (K.RO, f"{rtpi}\n")
    zero = (K.RO, "0\n")
    k.write_tree(path, {
        "alua_tg_pt_gp": (K.RW, _lun_alua_text(k, so, DEFAULT_TG_PT_GP) if so.alua else ""),
        "alua_tg_pt_offline": (K.RW, "0\n"),
        "alua_tg_pt_status": (K.RW, "0\n"),
        "alua_tg_pt_write_md": (K.RW, "0\n"),
        link: Link(f"../../../../../../target/{so.rel}"),
        "statistics": {
            "scsi_port": {"busy_count": zero, "dev": dev, "indx": port, "inst": inst,
                          "role": (K.RO, f"Device{so.index}\n")},
            "scsi_tgt_port": {
                "dev": dev, "hs_in_cmds": zero, "in_cmds": zero, "indx": port, "inst": inst,
                "name": (K.RO, f"{fname}Port#{rtpi}\n"),
                "port_index": (K.RO, f"{wwn}+t+{tag}\n"),
                "read_mbytes": zero, "write_mbytes": zero,
            },
            "scsi_transport": {
                "dev_name": (K.RO, f"{wwn}+{so.serial or so.vendor}\n"),
                "device": (K.RO, f"scsiTransport{fname}\n"),
                "indx": (K.RO, f"{tiqn}\n"), "inst": inst,
                "proto_id": (K.RO, f"{proto}\n"),
            },
        },
    })
    export = (wwn, tag, lun)
    so.exports.append(export)
    if fabric != "iscsi":
        so.export_fabric[export] = fabric
    if so.alua:
        so.members.setdefault(DEFAULT_TG_PT_GP, []).append(export)
    _write_export_state(k, so)
    return path


def delete_lun(k: SimKernel, wwn: str, tag: int, lun: int, fabric: str = "iscsi") -> None:
    """Unlink and rmdir ``lun/lun_<lun>``; EBUSY while a mapped LUN points at it."""
    tpg = _tpg_path(k, wwn, tag, fabric)
    path = os.path.join(tpg, "lun", f"lun_{_index(lun, 'LUN', 0, 65535)}")
    if not os.path.isdir(path):
        raise _kerr(errno.ENOENT, f"no LUN {lun}", path)
    for init, mlun in _mapped_luns_of(tpg):
        if mlun[1] == lun:
            raise _kerr(errno.EBUSY, f"LUN {lun} is mapped by {init} (lun_{mlun[0]})", path)
    dev = _lun_device(k, path)
    k._remove_tree(path)
    if dev is not None:
        export = (wwn, tag, lun)
        dev.exports.remove(export)
        dev.export_fabric.pop(export, None)
        for members in dev.members.values():
            if export in members:
                members.remove(export)
        _write_export_state(k, dev)


def set_lun_alua_group(k: SimKernel, wwn: str, tag: int, lun: int, group: str, fabric: str = "iscsi") -> None:
    """Write ``lun_N/alua_tg_pt_gp`` (core_alua_store_tg_pt_gp_info): ENODEV for a group without a valid id."""
    path = os.path.join(_tpg_path(k, wwn, tag, fabric), "lun", f"lun_{_index(lun, 'LUN', 0, 65535)}")
    if not os.path.isdir(path):
        raise _kerr(errno.ENOENT, f"no LUN {lun}", path)
    dev = _lun_device(k, path)
    if dev is None or not dev.alua:
        raise _kerr(errno.ENODEV, f"LUN {lun} has no ALUA-capable backstore", path)
    name = DEFAULT_TG_PT_GP if group in ("", "NULL") else group
    group_dir = k.path(dev.rel, "alua", name)
    if not os.path.isdir(group_dir) or not _group_valid(group_dir):
        raise _kerr(errno.ENODEV, f"unable to locate ALUA target port group {name}", path)
    export = (wwn, tag, lun)
    for members in dev.members.values():
        if export in members:
            members.remove(export)
    dev.members.setdefault(name, []).append(export)
    k._rewrite(os.path.join(path, "alua_tg_pt_gp"), _lun_alua_text(k, dev, name), K.RW)
    _write_members(k, dev)


def _mapped_luns_of(tpg: str) -> Iterable[tuple[str, tuple[int, int]]]:
    acls = os.path.join(tpg, "acls")
    for init in os.listdir(acls):
        acl = os.path.join(acls, init)
        for entry in os.listdir(acl):
            if not entry.startswith("lun_"):
                continue
            mdir = os.path.join(acl, entry)
            for link in os.scandir(mdir):
                if link.is_symlink():
                    yield init, (_num_suffix(entry), _num_suffix(os.readlink(link.path)))


# ---------------------------------------------------------------------------
# ACLs and mapped LUNs
# ---------------------------------------------------------------------------


def _acl_path(k: SimKernel, wwn: str, tag: int, initiator: str) -> str:
    tpg = _tpg_path(k, wwn, tag)
    check_name(initiator, "initiator name", max_len=K.IQN_MAX)
    path = os.path.join(tpg, "acls", initiator)
    if not os.path.isdir(path):
        raise _kerr(errno.ENOENT, f"no ACL {initiator}", path)
    return path


def create_acl(k: SimKernel, wwn: str, tag: int, initiator: str) -> str:
    """mkdir ``acls/<initiator>`` — as the kernel shows it with no session."""
    tpg = _tpg_path(k, wwn, tag)
    check_name(initiator, "initiator name", max_len=K.IQN_MAX)
    if any(ch.isspace() for ch in initiator):
        raise _kerr(errno.EINVAL, f"initiator name {initiator!r} contains whitespace")
    path = os.path.join(tpg, "acls", initiator)
    if os.path.lexists(path):
        raise _kerr(errno.EEXIST, f"ACL {initiator} exists", path)
    depth = _tpg_value(tpg, "attrib", "default_cmdsn_depth")
    index = k.next_acl_index
    k.next_acl_index += 1
    k.write_tree(path, {
        "cmdsn_depth": (K.RW, depth + "\n"),
        "info": (K.RO, K.NO_SESSION_INFO.format(initiator=initiator)),
        "tag": (K.RW, ""),
        "attrib": {key: (K.RW, f"{v}\n") for key, v in K.ACL_ATTRIB_DEFAULTS.items()},
        "auth": _auth_spec(),
        "param": {key: (K.RO, K.NO_SESSION_PARAM) for key in K.ACL_PARAM_KEYS},
        "fabric_statistics": {"iscsi_sess_stats": {
            "inst": (K.RO, f"{k.targets[wwn].index}\n"),
            **{key: (K.RO, "") for key in K.SESS_STATS_KEYS},
        }},
    })
    k.acl_index[(wwn, tag, initiator)] = index
    return path


def delete_acl(k: SimKernel, wwn: str, tag: int, initiator: str) -> None:
    """rmdir ``acls/<initiator>``; ENOTEMPTY while it has mapped LUNs."""
    path = _acl_path(k, wwn, tag, initiator)
    if any(name.startswith("lun_") for name in os.listdir(path)):
        raise _kerr(errno.ENOTEMPTY, f"ACL {initiator} still has mapped LUNs", path)
    k._remove_tree(path)
    k.acl_index.pop((wwn, tag, initiator), None)


def set_acl_auth(k: SimKernel, wwn: str, tag: int, initiator: str, *, userid: str | None = None,
                 password: str | None = None, mutual_userid: str | None = None,
                 mutual_password: str | None = None) -> None:
    """Per-initiator CHAP (explicit ACLs). '' clears a value, None leaves it."""
    _set_auth(k, os.path.join(_acl_path(k, wwn, tag, initiator), "auth"),
              userid, password, mutual_userid, mutual_password)


def set_acl_attribute(k: SimKernel, wwn: str, tag: int, initiator: str, attribute: str,
                      value: int) -> None:
    path = _acl_path(k, wwn, tag, initiator)
    bounds = K.ACL_ATTRIB_RANGE.get(attribute)
    if bounds is None:
        raise _kerr(errno.ENOENT, f"no ACL attribute {attribute!r}")
    value = _index(_as_int(value), attribute, *bounds)
    k._rewrite(os.path.join(path, "attrib", attribute), f"{value}\n", K.RW)


def set_acl_cmdsn_depth(k: SimKernel, wwn: str, tag: int, initiator: str, depth: int) -> None:
    path = _acl_path(k, wwn, tag, initiator)
    depth = _index(_as_int(depth), "cmdsn_depth", *K.TPG_ATTRIB_RANGE["default_cmdsn_depth"])
    k._rewrite(os.path.join(path, "cmdsn_depth"), f"{depth}\n", K.RW)


def set_acl_tag(k: SimKernel, wwn: str, tag: int, initiator: str, acl_tag: str | None) -> None:
    """``acls/<init>/tag``: shown without a newline; None or ``NULL`` clears it."""
    path = _acl_path(k, wwn, tag, initiator)
    text = "" if acl_tag in (None, "", "NULL") else acl_tag.strip()
    if "\n" in text or "\0" in text:
        raise _kerr(errno.EINVAL, "tag contains a newline or NUL")
    k._rewrite(os.path.join(path, "tag"), text, K.RW)


def create_mapped_lun(k: SimKernel, wwn: str, tag: int, initiator: str, mapped_lun: int,
                      tpg_lun: int, *, write_protect: bool = False,
                      alias: str | None = None) -> str:
    """mkdir ``acls/<init>/lun_<mapped_lun>`` and link it to ``lun/lun_<tpg_lun>``.

    The link is ``<alias> -> ../../../../../../../target/iscsi/<wwn>/tpgt_<tag>/lun/lun_<n>``.
    """
    acl = _acl_path(k, wwn, tag, initiator)
    _index(mapped_lun, "mapped LUN", 0, 65535)
    _index(tpg_lun, "TPG LUN", 0, 65535)
    lun_path = os.path.join(os.path.dirname(os.path.dirname(acl)), "lun", f"lun_{tpg_lun}")
    dev = _lun_device(k, lun_path) if os.path.isdir(lun_path) else None
    if dev is None:
        raise _kerr(errno.ENODEV, f"TPG LUN {tpg_lun} does not exist or has no device", lun_path)
    link = alias if alias is not None else k.alias()
    check_name(link, "mapped LUN alias")
    if link in ("write_protect", "statistics"):
        raise _kerr(errno.EEXIST, f"mapped LUN alias {link!r} is the name of an attribute")
    path = os.path.join(acl, f"lun_{mapped_lun}")
    if os.path.lexists(path):
        raise _kerr(errno.EEXIST, f"mapped LUN {mapped_lun} of {initiator} exists", path)
    acl_index = k.acl_index[(wwn, tag, initiator)]
    tiqn = k.targets[wwn].index
    inst, devi = (K.RO, f"{tiqn}\n"), (K.RO, f"{dev.index}\n")
    port, idx, zero = (K.RO, f"{tag}\n"), (K.RO, f"{acl_index}\n"), (K.RO, "0\n")
    k.write_tree(path, {
        link: Link(f"../../../../../../../target/iscsi/{wwn}/tpgt_{tag}/lun/lun_{tpg_lun}"),
        "write_protect": (K.RW, f"{int(bool(write_protect))}\n"),
        "statistics": {
            "scsi_att_intr_port": {
                "dev": devi, "indx": (K.RO, ""), "inst": inst, "port": port,
                "port_auth_indx": idx, "port_ident": (K.RO, ""),
            },
            "scsi_auth_intr": {
                "att_count": (K.RO, "1\n"), "creation_time": (K.RO, f"{k.now()}\n"),
                "dev": devi, "dev_or_port": (K.RO, "1\n"), "hs_num_cmds": zero, "indx": idx,
                "inst": inst, "intr_name": (K.RO, initiator + "\n"), "map_indx": zero,
                "num_cmds": zero, "port": port, "read_mbytes": zero,
                "row_status": (K.RO, "Ready\n"), "write_mbytes": zero,
            },
        },
    })
    return path


def set_mapped_lun_write_protect(k: SimKernel, wwn: str, tag: int, initiator: str,
                                 mapped_lun: int, write_protect: bool) -> None:
    path = os.path.join(_acl_path(k, wwn, tag, initiator), f"lun_{_index(mapped_lun, 'mapped LUN', 0, 65535)}")
    if not os.path.isdir(path):
        raise _kerr(errno.ENOENT, f"no mapped LUN {mapped_lun}", path)
    k._rewrite(os.path.join(path, "write_protect"), f"{int(bool(write_protect))}\n", K.RW)


def delete_mapped_lun(k: SimKernel, wwn: str, tag: int, initiator: str, mapped_lun: int) -> None:
    path = os.path.join(_acl_path(k, wwn, tag, initiator), f"lun_{_index(mapped_lun, 'mapped LUN', 0, 65535)}")
    if not os.path.isdir(path):
        raise _kerr(errno.ENOENT, f"no mapped LUN {mapped_lun}", path)
    k._remove_tree(path)
