"""What a form on a tree node needs from the system, read before it opens (in a thread worker).

The forms (:mod:`sanctl.forms`) read nothing: :func:`gather` reads the
object's details from configfs, the host's block devices and addresses,
and the kernel's version into a :class:`~sanctl.forms.context.Context`;
:func:`doctor_facts` what the doctor's rules need to warn before a commit.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable

from sanctl.doctor.facts import HostFacts
from sanctl.forms.context import Context
from sanctl.host import facts as H
from sanctl.lio import configfs as cf
from sanctl.model import SanConfig, StorageObject
from sanctl.tree import Node
from sanctl.forms.context import where


def kernel_version(root: str) -> tuple[int, int] | None:
    """The running kernel's (major, minor), from configfs's ``target/version`` (None: unknown)."""
    try:
        with open(os.path.join(root, "sys/kernel/config/target/version"), encoding="utf-8") as handle:
            text = handle.read()
    except OSError:
        return None
    m = re.search(r" on (\d+)\.(\d+)", text)
    return (int(m.group(1)), int(m.group(2))) if m else None


def gather(root: str, config: SanConfig, node: Node, action: str, *, host: str | None = None,
           backing: Callable[[str], tuple[str, int]] | None = None,
           fabrics: tuple[str, ...] | None = None) -> Context:
    """The :class:`Context` a form on ``node`` needs (blocking: a worker thread calls it).

    ``fabrics``: where targets can be created (the writer knows); by default
    the loaded ones.
    """
    devices: tuple[H.BlockDevice, ...] = ()
    addresses: tuple[str, ...] = ()
    tcmu = False
    if action == "add":
        if node.kind in ("backstores", "plugin"):
            if node.kind == "backstores" or node.obj in ("block", "pscsi", "fileio"):
                devices = tuple(H.block_devices(root, config))
            tcmu = H.has_tcmu(root, config)
        if node.kind in ("fabric", "tpg", "portals"):
            addresses = tuple(H.portal_addresses(root, config))
    if fabrics is None:
        fabrics = tuple(f.name for f in config.fabrics)
    kernel = kernel_version(root) if action == "add" and node.kind in ("backstores", "plugin") else None
    detail, backstore = _details(root, config, node, action)
    return Context(root, config, devices, addresses, tcmu, host, backing, tuple(fabrics), kernel,
                   detail=detail, backstore=backstore)


def _details(root: str, config: SanConfig, node: Node, action: str) -> tuple[object, StorageObject | None]:
    """The node's object read in full, and a LUN's backstore, where its form shows more than the tree."""
    kind, obj = node.kind, node.obj
    if action == "add":
        if kind == "storage_object" and root and isinstance(obj, StorageObject) and obj.alua_groups is None:
            return cf.read_storage_object_details(root, obj), None
        return None, None
    if kind == "storage_object":
        return cf.read_storage_object_details(root, obj), None  # type: ignore[arg-type]
    w = where(config, node)
    if kind == "tpg" and w.target is not None and w.tpg is not None:
        return cf.read_tpg_details(root, w.tpg), None
    if kind == "acl" and w.target is not None and w.tpg is not None and w.acl is not None:
        return cf.read_acl_details(root, w.acl), None
    if kind == "lun" and w.target is not None and w.tpg is not None:
        so = config.storage_object(obj.storage_object)  # type: ignore[attr-defined]
        if so is not None:
            so = cf.read_storage_object_details(root, so)
            return cf.read_lun_details(root, obj, so), so  # type: ignore[arg-type]
    return None, None


def doctor_facts(ctx: Context) -> HostFacts:
    """What :func:`sanctl.forms.doctor_check.with_doctor` needs of the host (whether it has an RDMA device)."""
    return HostFacts(root=ctx.root, rdma=H.has_rdma(ctx.root) if ctx.root else None)
