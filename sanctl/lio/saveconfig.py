"""The configuration as saveconfig.json, the format ``targetctl restore`` reads.

Built from our own reader's model, key for key what rtslib-fb's
``RTSRoot().dump()`` writes for the same tree (a test proves it on fixture
trees and in the kernel VM), so a file sanctl writes boots with
``target.service`` and a file targetcli wrote restores with sanctl.
"""

from __future__ import annotations

from typing import Any

from sanctl.model import AluaGroup, Fabric, MappedLun, NodeAcl, Portal, SanConfig, Settings, StorageObject, Target, Tpg

#: Fabrics whose TPGs and ACLs carry CHAP files (rtslib-fb's "auth" feature).
_AUTH_FABRICS = frozenset({"iscsi"})

_ALUA_TYPES = ["None", "Implicit", "Explicit", "Implicit and Explicit"]
_ALUA_STATUSES = ["None", "Altered by Explicit STPG", "Altered by Implicit ALUA"]
_ALUA_RW_PARAMS = (
    "alua_access_state", "alua_access_status", "alua_write_metadata", "alua_access_type",
    "preferred", "nonop_delay_msecs", "trans_delay_msecs", "implicit_trans_secs",
    "alua_support_offline", "alua_support_standby", "alua_support_transitioning",
    "alua_support_active_nonoptimized", "alua_support_unavailable",
    "alua_support_active_optimized",
)


def _number_or_text(value: str) -> int | str:
    try:
        return int(value)
    except ValueError:
        return value


def _node(attributes: Settings | None, parameters: Settings | None = None) -> dict[str, Any]:
    """What every rtslib-fb node dumps: writable, readable attributes and parameters."""
    d: dict[str, Any] = {}
    attrs = {s.name: _number_or_text(s.value) for s in attributes or () if s.writable and s.readable and s.value is not None}
    if attrs:
        d["attributes"] = attrs
    params = {s.name: s.value for s in parameters or () if s.writable and s.readable and s.value is not None}
    if params:
        d["parameters"] = params
    return d


def _alua_group(group: AluaGroup) -> dict[str, Any]:
    d: dict[str, Any] = {"name": group.name, "tg_pt_gp_id": group.tg_pt_gp_id}
    for param in _ALUA_RW_PARAMS:
        raw = group.settings.value(param)
        if raw is None:
            d[param] = None
        elif param == "alua_access_type":
            d[param] = _ALUA_TYPES.index(raw) if raw in _ALUA_TYPES else None
        elif param == "alua_access_status":
            d[param] = _ALUA_STATUSES.index(raw) if raw in _ALUA_STATUSES else None
        else:
            d[param] = _number_or_text(raw)
    return d


def dump_storage_object(so: StorageObject) -> dict[str, Any]:
    d = _node(so.attributes)
    d["name"] = so.name
    d["plugin"] = so.plugin
    d["alua_tpgs"] = [_alua_group(g) for g in so.alua_groups or ()]
    if so.plugin == "block":
        d["write_back"] = bool(so.write_back)
        d["readonly"] = bool(so.readonly)
        d["wwn"] = so.wwn
        d["dev"] = so.dev
        d["exclusive"] = bool(so.exclusive)
    elif so.plugin == "fileio":
        d["write_back"] = bool(so.write_back)
        d["wwn"] = so.wwn
        d["dev"] = so.dev
        d["size"] = so.size
        d["aio"] = bool(so.aio)
    elif so.plugin == "ramdisk":
        d["wwn"] = so.wwn
        d["size"] = so.size
        if so.nullio:
            d["nullio"] = True
    elif so.plugin == "pscsi":
        d["dev"] = so.dev
    elif so.plugin == "user":
        d["wwn"] = so.wwn
        d["size"] = so.size
        d["config"] = so.config
        d["hw_max_sectors"] = so.hw_max_sectors
        d["control"] = _user_control(so)
    return d


def _user_control(so: StorageObject) -> str:
    tuples = []
    for key, name in (("MaxDataAreaMB", "max_data_area_mb"),):
        value = so.info.get(key)
        if value is not None and value != "NULL":
            tuples.append(f"{name}={value}")
    block = so.attributes.value("hw_block_size") if so.attributes else None
    if block is not None and block != "NULL":
        tuples.append(f"hw_block_size={block}")
    pages = so.info.get("DataPagesPerBlk")
    if pages is not None and pages != "NULL":
        tuples.append(f"data_pages_per_blk={pages}")
    return ",".join(tuples)


def _auth_keys(d: dict[str, Any], auth, prefix: str = "chap_") -> None:
    if auth is None:
        return
    for key, value in (
        ("userid", auth.userid),
        ("password", auth.password.reveal()),
        ("mutual_userid", auth.mutual_userid),
        ("mutual_password", auth.mutual_password.reveal()),
    ):
        if value:
            d[prefix + key] = value


def _mapped_lun(mlun: MappedLun) -> dict[str, Any]:
    return {"write_protect": mlun.write_protect, "index": mlun.index, "tpg_lun": mlun.tpg_lun, "alias": mlun.alias}


def _acl(acl: NodeAcl, fabric: str) -> dict[str, Any]:
    d = _node(acl.attributes)
    d["node_wwn"] = acl.node_wwn
    d["mapped_luns"] = [_mapped_lun(m) for m in acl.mapped_luns]
    if acl.tag:
        d["tag"] = acl.tag
    if fabric in _AUTH_FABRICS:
        _auth_keys(d, acl.auth)
    return d


def _portal(portal: Portal) -> dict[str, Any]:
    return {"port": portal.port, "ip_address": portal.ip_address, "iser": portal.iser, "offload": portal.offload}


def _tpg(tpg: Tpg, fabric: str, config: SanConfig) -> dict[str, Any]:
    d = _node(tpg.attributes, tpg.parameters)
    d["tag"] = tpg.tag
    d["enable"] = tpg.enabled
    luns = []
    for lun in tpg.luns:
        so = config.storage_object(lun.storage_object)
        luns.append({
            "storage_object": so.rts_path if so else None,
            "index": lun.index,
            "alias": lun.alias,
            "alua_tg_pt_gp_name": lun.alua_tg_pt_gp_name,
        })
    d["luns"] = luns
    d["portals"] = [_portal(p) for p in tpg.portals]
    d["node_acls"] = [_acl(a, fabric) for a in tpg.acls]
    if fabric in _AUTH_FABRICS:
        _auth_keys(d, tpg.auth)
    return d


def _target(target: Target, config: SanConfig) -> dict[str, Any]:
    d = _node(None, target.parameters)
    d["wwn"] = target.wwn
    d["fabric"] = target.fabric
    d["tpgs"] = [_tpg(t, target.fabric, config) for t in target.tpgs]
    return d


def _fabric(fabric: Fabric) -> dict[str, Any] | None:
    auth = fabric.discovery_auth
    if auth is None or not auth.enforce:
        return None
    d: dict[str, Any] = {"name": fabric.name}
    _auth_keys(d, auth, prefix="discovery_")
    d["discovery_enable_auth"] = True
    return d


def dump(config: SanConfig) -> dict[str, Any]:
    """The saveconfig.json dictionary of ``config`` (details are read if missing)."""
    if not config.details and config.later is not None:
        config = config.later.details(config)
    fabric_dumps = [_fabric(f) for f in config.fabrics]
    return {
        "storage_objects": [dump_storage_object(so) for so in config.storage_objects],
        "targets": [_target(t, config) for f in config.fabrics for t in f.targets],
        "fabric_modules": [d for d in fabric_dumps if d is not None],
    }
