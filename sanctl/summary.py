"""The one-line summaries an operator reads next to each node.

Shared by the TUI tree and ``sanctl show`` so both say the same thing, in the
words targetcli users already know (``[lun0 block/ora-ocr-1 (rw)]``,
``[no-gen-acls, no-auth]``), plus what targetcli leaves out.
"""

from __future__ import annotations

from sanctl import words
from sanctl.model import Fabric, Lun, MappedLun, NodeAcl, Portal, SanConfig, StorageObject, Target, Tpg


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
    return plural(len(fabric.targets), "Targets")


def target_summary(target: Target) -> str:
    return plural(len(target.tpgs), "TPGs")


def tpg_summary(tpg: Tpg) -> str:
    parts = ["gen-acls" if tpg.demo_mode else "no-gen-acls"]
    if not tpg.authentication:
        parts.append("no-auth")
    elif tpg.demo_mode:
        parts.append("tpg-auth")
    else:
        parts.append("auth per-acl")
    parts.append("enabled" if tpg.enabled else "disabled")
    return ", ".join(parts)


def acl_summary(acl: NodeAcl) -> str:
    parts = []
    if acl.tag:
        parts.append(f"tag {acl.tag}")
    if acl.auth is not None and acl.auth.chap:
        parts.append("mutual auth" if acl.auth.mutual else "1-way auth")
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
    if lun.alua_tg_pt_gp_name:
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
