"""What a form on a tree node needs from the system, read before it opens (in a thread worker).

The forms (:mod:`sanctl.forms`) read nothing: :func:`gather` asks the Host
for the object read in full, the host's block devices and addresses, and the
kernel's version, into a :class:`~sanctl.forms.context.Context`;
:func:`doctor_facts` what the doctor's rules need to warn before a commit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sanctl.doctor.host_facts import HostFacts
from sanctl.forms.context import Context, where
from sanctl.model import SanConfig, StorageObject
from sanctl.tree import Node

if TYPE_CHECKING:
    from sanctl.host.facts import BlockDevice
    from sanctl.host.protocol import Host


def gather(system: Host, config: SanConfig, node: Node, action: str, *, host: str | None = None,
           backing: Callable[[str], tuple[str, int]] | None = None,
           fabrics: tuple[str, ...] | None = None) -> Context:
    """The :class:`Context` a form on ``node`` needs (blocking: a worker thread calls it), asked of
    ``system`` (the Host; ``host`` is its name).

    ``fabrics``: where targets can be created (the writer knows); by default
    the loaded ones.
    """
    devices: tuple[BlockDevice, ...] = ()
    addresses: tuple[str, ...] = ()
    tcmu = False
    if action == "add":
        if node.kind in ("backstores", "plugin"):
            if node.kind == "backstores" or node.obj in ("block", "pscsi", "fileio"):
                devices = tuple(system.facts.block_devices(config))
            tcmu = system.facts.has_tcmu(config)
        if node.kind in ("fabric", "tpg", "portals"):
            addresses = tuple(system.facts.addresses(config))
    if fabrics is None:
        fabrics = tuple(f.name for f in config.fabrics)
    kernel = system.target.kernel_version() if action == "add" and node.kind in ("backstores", "plugin") else None
    detail, backstore = _details(system, config, node, action)
    return Context(config, devices, addresses, tcmu, host, backing, tuple(fabrics), kernel,
                   detail=detail, backstore=backstore, this_machine=system.capabilities.is_this_machine,
                   device_exists=lambda path: system.facts.device_exists(path, devices))


Details = tuple[object, "StorageObject | None"]


def _backstore_to_add_to(system: Host, config: SanConfig, node: Node) -> Details:
    so = node.obj
    if isinstance(so, StorageObject) and so.alua_groups is None:
        return system.target.read_in_full(so), None
    return None, None


def _backstore(system: Host, config: SanConfig, node: Node) -> Details:
    return system.target.read_in_full(node.obj), None


def _tpg(system: Host, config: SanConfig, node: Node) -> Details:
    w = where(config, node)
    if w.target is None or w.tpg is None:
        return None, None
    return system.target.read_in_full(w.tpg), None


def _acl(system: Host, config: SanConfig, node: Node) -> Details:
    w = where(config, node)
    if w.target is None or w.tpg is None or w.acl is None:
        return None, None
    return system.target.read_in_full(w.acl), None


def _lun(system: Host, config: SanConfig, node: Node) -> Details:
    w = where(config, node)
    so = config.storage_object(node.obj.storage_object)  # type: ignore[attr-defined]
    if w.target is None or w.tpg is None or so is None:
        return None, None
    so = system.target.read_in_full(so)
    return system.target.read_in_full(node.obj, so), so


#: (action, node kind) -> what its form shows beyond the tree: the object read in full, and a LUN's backstore.
DETAILS: dict[tuple[str, str], Callable[[Host, SanConfig, Node], Details]] = {
    ("add", "storage_object"): _backstore_to_add_to,  # its ALUA groups, for the new group's free id
    ("edit", "storage_object"): _backstore,
    ("edit", "tpg"): _tpg,
    ("edit", "acl"): _acl,
    ("edit", "lun"): _lun,
}


def _details(system: Host, config: SanConfig, node: Node, action: str) -> Details:
    read = DETAILS.get((action, node.kind))
    return read(system, config, node) if read is not None else (None, None)


def doctor_facts(system: Host) -> HostFacts:
    """What :func:`sanctl.forms.doctor_check.with_doctor` needs of the host (whether it has an RDMA device)."""
    return HostFacts(rdma=system.facts.rdma())
