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
                   detail=detail, backstore=backstore,
                   device_exists=lambda path: H.device_exists(root, path, devices))


Details = tuple[object, "StorageObject | None"]


def _backstore_to_add_to(root: str, config: SanConfig, node: Node) -> Details:
    so = node.obj
    if root and isinstance(so, StorageObject) and so.alua_groups is None:
        return cf.read_storage_object_details(root, so), None
    return None, None


def _backstore(root: str, config: SanConfig, node: Node) -> Details:
    return cf.read_storage_object_details(root, node.obj), None  # type: ignore[arg-type]


def _tpg(root: str, config: SanConfig, node: Node) -> Details:
    w = where(config, node)
    if w.target is None or w.tpg is None:
        return None, None
    return cf.read_tpg_details(root, w.tpg), None


def _acl(root: str, config: SanConfig, node: Node) -> Details:
    w = where(config, node)
    if w.target is None or w.tpg is None or w.acl is None:
        return None, None
    return cf.read_acl_details(root, w.acl), None


def _lun(root: str, config: SanConfig, node: Node) -> Details:
    w = where(config, node)
    so = config.storage_object(node.obj.storage_object)  # type: ignore[attr-defined]
    if w.target is None or w.tpg is None or so is None:
        return None, None
    so = cf.read_storage_object_details(root, so)
    return cf.read_lun_details(root, node.obj, so), so  # type: ignore[arg-type]


#: (action, node kind) -> what its form shows beyond the tree: the object read in full, and a LUN's backstore.
DETAILS: dict[tuple[str, str], Callable[[str, SanConfig, Node], Details]] = {
    ("add", "storage_object"): _backstore_to_add_to,  # its ALUA groups, for the new group's free id
    ("edit", "storage_object"): _backstore,
    ("edit", "tpg"): _tpg,
    ("edit", "acl"): _acl,
    ("edit", "lun"): _lun,
}


def _details(root: str, config: SanConfig, node: Node, action: str) -> Details:
    read = DETAILS.get((action, node.kind))
    return read(root, config, node) if read is not None else (None, None)


def doctor_facts(ctx: Context) -> HostFacts:
    """What :func:`sanctl.forms.doctor_check.with_doctor` needs of the host (whether it has an RDMA device)."""
    return HostFacts(root=ctx.root, rdma=H.has_rdma(ctx.root) if ctx.root else None)
