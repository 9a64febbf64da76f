"""The one-line summaries an operator reads next to each node.

Shared by the TUI tree and ``sanctl show`` so both say the same thing, in the
words targetcli users already know (``[lun0 block/ora-ocr-1 (rw)]``,
``[no-gen-acls, no-auth]``), plus what targetcli leaves out.
"""

from __future__ import annotations

from sanctl import words
from sanctl.model import Auth, Fabric, Lun, MappedLun, NodeAcl, Portal, SanConfig, StorageObject, Target, Tpg


def human_size(size: int | None) -> str:
    """``10737418240`` -> ``10.0GiB`` (targetcli's spelling)."""
    return words.size(size, space=False)


def plural(count: int, word: str) -> str:
    return f"{word}: {count}"


def storage_object_summary(so: StorageObject) -> str:
    parts = []
    if so.plugin == "ramdisk":
        parts.append(f"({human_size(so.size)})")
        if so.nullio:
            parts.append("nullio")
    elif so.plugin == "user":
        parts.append(f"{so.config or 'no config'} ({human_size(so.size)})")
    elif so.plugin == "pscsi":
        parts.append(so.dev or "?")
    else:
        parts.append(so.dev or "?")
        if so.size is not None:
            parts.append(f"({human_size(so.size)})")
    if so.write_back is not None:
        parts.append("write-back" if so.write_back else "write-thru")
    if so.readonly:
        parts.append("ro")
    if not so.enabled:
        parts.append("not configured")
    parts.append(so.status or "unknown")
    return " ".join(parts)


def plugin_summary(count: int) -> str:
    return plural(count, "Storage Objects")


def fabric_summary(fabric: Fabric) -> str:
    """targetcli's fabric label: discovery auth when it is enforced, then the targets."""
    parts = []
    disc = fabric.discovery_auth
    if disc is not None and disc.enforce:
        mutual = disc.authenticate_target if disc.authenticate_target is not None else disc.mutual
        parts.append("mutual disc auth" if mutual else "1-way disc auth")
    parts.append(plural(len(fabric.targets), "Targets"))
    return ", ".join(parts)


def target_summary(target: Target) -> str:
    return plural(len(target.tpgs), "TPGs")


#: What each fabric's TPGs have, as rtslib-fb's ``FabricModule.features`` says: ACLs, CHAP,
#: portals, a nexus (the one local initiator of tcm_loop, vhost, xen-pvscsi). Unknown: iSCSI's.
FABRIC_FEATURES = {
    "iscsi": frozenset({"acls", "auth", "nps"}),
    "loopback": frozenset({"nexus"}),
    "vhost": frozenset({"nexus", "acls"}),
    "xen-pvscsi": frozenset({"nexus"}),
    "qla2xxx": frozenset({"acls"}),
    "efct": frozenset({"acls"}),
    "srpt": frozenset({"acls"}),
    "tcm_fc": frozenset({"acls"}),
    "sbp": frozenset(),
    "ibmvscsis": frozenset(),
}


def features(fabric: str) -> frozenset[str]:
    return FABRIC_FEATURES.get(fabric, FABRIC_FEATURES["iscsi"])


def _mutual(auth: Auth | None) -> bool:
    """Whether ``auth`` makes the target authenticate itself too (``authenticate_target``)."""
    if auth is None:
        return False
    return auth.authenticate_target if auth.authenticate_target is not None else auth.mutual


def tpg_summary(tpg: Tpg, fabric: str = "iscsi") -> str:
    """targetcli's TPG label (``no-gen-acls, auth per-acl``; ``tpg-auth, mutual auth`` in demo mode), and enabled.

    A loopback TPG has no ACLs and no CHAP: its label is its nexus, as targetcli shows it.
    """
    have = features(fabric)
    parts = []
    if "nexus" in have:
        parts.append(tpg.nexus or "no nexus")
    if "acls" in have:
        parts.append("gen-acls" if tpg.demo_mode else "no-gen-acls")
    if "auth" not in have:
        pass  # no CHAP on this fabric
    elif not tpg.authentication:
        parts.append("no-auth")
    elif tpg.demo_mode:
        parts.append("tpg-auth")
        if tpg.auth is not None:
            parts.append("mutual auth" if _mutual(tpg.auth) else "1-way auth")
    else:
        parts.append("auth per-acl")
    if "nexus" not in have:  # a nexus TPG has no enable switch
        parts.append("enabled" if tpg.enabled else "disabled")
    return ", ".join(parts)


def acl_summary(acl: NodeAcl, tpg: Tpg | None = None) -> str:
    """targetcli's ACL label: ``1-way auth`` / ``mutual auth`` where the TPG requires CHAP per ACL
    (``auth via tpg`` in demo mode), then the mapped LUNs."""
    parts = []
    if acl.tag:
        parts.append(f"tag {acl.tag}")
    if tpg is not None and tpg.authentication:
        if tpg.demo_mode:
            parts.append("auth via tpg")
        else:
            parts.append("mutual auth" if _mutual(acl.auth) else "1-way auth")
    elif tpg is None and acl.auth is not None and acl.auth.chap:
        parts.append("mutual auth" if _mutual(acl.auth) else "1-way auth")
    parts.append(plural(acl.mapped_lun_count, "Mapped LUNs"))
    return ", ".join(parts)


def so_label(config: SanConfig, key: tuple[str, str] | None) -> str:
    if key is None:
        return "BROKEN STORAGE LINK"
    return f"{key[0]}/{key[1]}"


def lun_summary(config: SanConfig, lun: Lun) -> str:
    if lun.storage_object is None:
        return "BROKEN STORAGE LINK"
    so = config.storage_object(lun.storage_object)
    text = so_label(config, lun.storage_object)
    if so is not None and so.dev and so.plugin in ("block", "fileio", "pscsi"):
        text += f" ({so.dev})"
    if lun.alua_tg_pt_gp_name:  # targetcli 3 names the LUN's ALUA group: (default_tg_pt_gp)
        text += f" ({lun.alua_tg_pt_gp_name})"
    return text


def mapped_lun_summary(config: SanConfig, tpg: Tpg, mlun: MappedLun) -> str:
    mode = "ro" if mlun.write_protect else "rw"
    if mlun.tpg_lun is None:
        return f"BROKEN LUN LINK ({mode})"
    backing = "?"
    for lun in tpg.luns:
        if lun.index == mlun.tpg_lun:
            backing = so_label(config, lun.storage_object)
            break
    return f"lun{mlun.tpg_lun} {backing} ({mode})"


def portal_summary(portal: Portal) -> str:
    flags = []
    if portal.iser:
        flags.append("iser")
    if portal.offload:
        flags.append("offload")
    return ", ".join(flags) if flags else "OK"
