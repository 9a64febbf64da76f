"""The forms ``e`` opens: a backstore's, TPG's, ACL's, mapped LUN's or portal's settings, and discovery's CHAP.

A field per writable setting, each change carrying the value the form
started from (``expect``), so a setting changed by someone else meanwhile is
refused, not overwritten.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sanctl.model import Auth, NodeAcl, Settings, StorageObject, Target, Tpg
from sanctl.names import (
    InvalidValue,
)
from sanctl.lio import changes as C
from sanctl.forms.spec import BOOL, Field, FormSpec
from sanctl.forms.context import (
    _FLAG, NOT_REQUIRED_CHAP, _chap, _chap_changed, _chap_fields,
    _chap_warnings,
)


def _setting_fields(settings: Settings | None, *, section: str, make: Callable[[str, str], C.Change],
                    ranges: dict[str, tuple[int, int]] | None = None) -> tuple[Field, ...]:
    """A field per writable setting; 0-1 settings are checkboxes. ``make(name, value)`` validates."""
    out: list[Field] = []
    first = True
    for s in settings or ():
        if not s.writable or s.value is None or s.unreadable:
            continue
        if ranges is not None and ranges.get(s.name) == _FLAG and s.value in ("0", "1"):
            out.append(Field(s.name, s.name, BOOL, default=s.value == "1", original=s.value == "1",
                             section=section if first else ""))
        else:
            numeric = s.value.lstrip("-").isdigit()

            def check(text: str, _name: str = s.name, _numeric: bool = numeric) -> str:
                if _numeric and not text.strip().lstrip("-").isdigit():
                    raise InvalidValue(f"{_name} takes a whole number, not '{text.strip()}'.")
                return str(getattr(make(_name, text), "value"))

            out.append(Field(s.name, s.name, default=s.value, check=check, original=s.value,
                             section=section if first else ""))
        first = False
    return tuple(out)


def _changed_settings(fields: Iterable[Field], values: dict[str, Any], make: Callable[..., C.Change]) -> list[C.Change]:
    out = []
    for f in fields:
        value = values.get(f.name)
        if value is None or value == f.original:
            continue
        if f.kind == BOOL:
            out.append(make(f.name, int(value), "1" if f.original else "0"))
        else:
            out.append(make(f.name, value, f.original))
    return out


def storage_object_edit(so: StorageObject) -> FormSpec | str:
    def make(name: str, value: Any, expect: str | None = None) -> C.Change:
        return C.backstore_attribute(so.plugin, so.name, name, value, expect=expect)

    ranges = {name: _FLAG for name in _SO_FLAGS}
    fields = _setting_fields(so.attributes, section="Attributes", make=make, ranges=ranges)
    if not fields:
        return f"Backstore {so.plugin}/{so.name} has no attribute that can be written."

    def build(v: dict[str, Any]) -> list[C.Change]:
        return _changed_settings(fields, v, make)

    return FormSpec(f"Edit backstore {so.plugin}/{so.name}", fields, build, confirm="Apply",
                    intro="Attributes the kernel accepts only while the backstore is not exported "
                          "(block_size) are refused with the reason.")



#: Storage-object attributes that are on/off switches.
_SO_FLAGS = frozenset({
    "emulate_3pc", "emulate_caw", "emulate_dpo", "emulate_fua_read", "emulate_fua_write", "emulate_model_alias",
    "emulate_pr", "emulate_rest_reord", "emulate_tas", "emulate_tpu", "emulate_tpws", "emulate_write_cache",
    "enforce_pr_isids", "force_pr_aptpl", "is_nonrot", "unmap_zeroes_data",
})


def tpg_edit(target: Target, tpg: Tpg) -> FormSpec:
    from sanctl.lio.attributes import TPG_ATTRIB_RANGE

    wwn, tag, fabric = target.wwn, tpg.tag, target.fabric
    enable = Field("enabled", "Enabled", BOOL, default=tpg.enabled, original=tpg.enabled, section="State",
                   help="disabling drops its sessions and refuses logins")

    def attr(name: str, value: Any, expect: str | None = None) -> C.Change:
        return C.tpg_attribute(wwn, tag, name, value, fabric=fabric, expect=expect)

    def param(name: str, value: Any, expect: str | None = None) -> C.Change:
        return C.tpg_parameter(wwn, tag, name, value, fabric=fabric, expect=expect)

    attrs = _setting_fields(tpg.attributes, section="Attributes", make=attr,
                            ranges=TPG_ATTRIB_RANGE if fabric == "iscsi" else {})
    params = _setting_fields(tpg.parameters, section="Parameters", make=param)
    chap = _chap_fields(tpg.auth, section="TPG-wide CHAP (demo mode only)", edit=True) if (
        fabric == "iscsi" and tpg.auth is not None) else ()

    switch = fabric not in C.NEXUS_FABRICS  # a loopback TPG has no enable switch
    head = (enable,) if switch else ()

    def build(v: dict[str, Any]) -> list[C.Change]:
        out: list[C.Change] = []
        if v.get("enabled") is False and tpg.enabled:
            out.append(C.SetTpgEnabled(wwn, tag, False, fabric=fabric, expect=tpg.enabled))
        out += _changed_settings(attrs, v, attr)
        out += _changed_settings(params, v, param)
        if chap and _chap_changed(v, tpg.auth):
            out.append(C.SetTpgAuth(wwn, tag, _chap(v), fabric=fabric, expect=C.chap_of(tpg.auth)))
        if v.get("enabled") is True and not tpg.enabled:
            out.append(C.SetTpgEnabled(wwn, tag, True, fabric=fabric, expect=tpg.enabled))
        return out

    def warnings(v: dict[str, Any]) -> list[str]:
        out = _chap_warnings(v) if chap and _chap_changed(v, tpg.auth) else []
        if v.get("generate_node_acls") is True and v.get("demo_mode_write_protect") is True:
            out.append("Demo mode with demo_mode_write_protect: every initiator sees the LUNs read-only.")
        if v.get("enabled") is False and tpg.enabled:
            out.append("Disabling drops every session of this TPG now.")
        return out

    return FormSpec(f"Edit {wwn}/tpg{tag}", (*head, *attrs, *params, *chap), build, confirm="Apply",
                    warnings=warnings)


def acl_edit(target: Target, tpg: Tpg, acl: NodeAcl) -> FormSpec:
    from sanctl.lio.attributes import ACL_ATTRIB_RANGE

    wwn, tag, fabric, init = target.wwn, tpg.tag, target.fabric, acl.node_wwn

    def attr(name: str, value: Any, expect: str | None = None) -> C.Change:
        return C.acl_attribute(wwn, tag, init, name, value, fabric=fabric, expect=expect)

    def depth(text: str) -> int:
        return C.SetAclCmdsnDepth(wwn, tag, init, text, fabric=fabric).depth

    head: list[Field] = [
        Field("acl_tag", "Tag", default=acl.tag or "", check=C._check_acl_tag, required=False,
              original=acl.tag or None, section="ACL", help="ACLs with one tag share settings; blank: none"),
    ]
    if acl.cmdsn_depth is not None:
        head.append(Field("cmdsn_depth", "Queue depth", default=str(acl.cmdsn_depth), check=depth,
                          original=acl.cmdsn_depth, help="cmdsn_depth: commands in flight, 1-512"))
    attrs = _setting_fields(acl.attributes, section="Attributes", make=attr,
                            ranges=ACL_ATTRIB_RANGE if fabric == "iscsi" else {})
    chap = _chap_fields(acl.auth, section="CHAP", edit=True) if fabric == "iscsi" and acl.auth is not None else ()

    def build(v: dict[str, Any]) -> list[C.Change]:
        out: list[C.Change] = []
        if (v["acl_tag"] or None) != (acl.tag or None):
            out.append(C.SetAclTag(wwn, tag, init, v["acl_tag"], fabric=fabric, expect=acl.tag or ""))
        if "cmdsn_depth" in v and v["cmdsn_depth"] is not None and v["cmdsn_depth"] != acl.cmdsn_depth:
            out.append(C.SetAclCmdsnDepth(wwn, tag, init, v["cmdsn_depth"], fabric=fabric, expect=acl.cmdsn_depth))
        out += _changed_settings(attrs, v, attr)
        if chap and _chap_changed(v, acl.auth):
            out.append(C.SetAclAuth(wwn, tag, init, _chap(v), fabric=fabric, expect=C.chap_of(acl.auth)))
        return out

    def warnings(v: dict[str, Any]) -> list[str]:
        out = _chap_warnings(v) if chap and _chap_changed(v, acl.auth) else []
        if chap and v.get("userid") and not tpg.authentication:
            out.append(NOT_REQUIRED_CHAP)
        return out

    return FormSpec(f"Edit ACL {init}", (*head, *attrs, *chap), build, confirm="Apply", warnings=warnings)


def mapped_lun_edit(target: Target, tpg: Tpg, acl: NodeAcl, mlun) -> FormSpec:
    field = Field("write_protect", "Write-protect", BOOL, default=mlun.write_protect, original=mlun.write_protect,
                  help="the initiator may only read this LUN")

    def build(v: dict[str, Any]) -> list[C.Change]:
        if v["write_protect"] == mlun.write_protect:
            return []
        return [C.SetMappedLunWriteProtect(target.wwn, tpg.tag, acl.node_wwn, mlun.index, v["write_protect"],
                                           fabric=target.fabric, expect=mlun.write_protect)]

    return FormSpec(f"Edit mapped LUN {mlun.index} of {acl.node_wwn}", (field,), build, confirm="Apply")


def portal_edit(target: Target, tpg: Tpg, portal) -> FormSpec:
    fields = (
        Field("iser", "iSER", BOOL, default=portal.iser, original=portal.iser, help="iSCSI over RDMA"),
        Field("offload", "Offload", BOOL, default=portal.offload, original=portal.offload,
              help="Chelsio iSCSI offload (cxgbit)"),
    )

    def build(v: dict[str, Any]) -> list[C.Change]:
        out: list[C.Change] = []
        for flag in ("iser", "offload"):
            if v[flag] != getattr(portal, flag):
                out.append(C.SetPortalFlag(target.wwn, tpg.tag, portal.ip_address, portal.port, flag, v[flag],
                                           fabric=target.fabric, expect=bool(getattr(portal, flag))))
        return out

    return FormSpec(f"Edit portal {portal.label}", fields, build, confirm="Apply")


def discovery_edit(auth: Auth | None) -> FormSpec:
    enforce = bool(auth and auth.enforce)
    fields = (
        Field("enforce", "Require CHAP", BOOL, default=enforce, original=enforce, section="Discovery",
              help="SendTargets discovery only with these credentials"),
        *_chap_fields(auth, section="Credentials", edit=True),
    )

    def build(v: dict[str, Any]) -> list[C.Change]:
        if v["enforce"] == enforce and not _chap_changed(v, auth):
            return []
        return [C.SetDiscoveryAuth(_chap(v), v["enforce"], expect=C.chap_of(auth), expect_enforce=enforce)]

    def warnings(v: dict[str, Any]) -> list[str]:
        return _chap_warnings(v) if _chap_changed(v, auth) else []

    return FormSpec("Edit iSCSI discovery authentication", fields, build, confirm="Apply", warnings=warnings)
