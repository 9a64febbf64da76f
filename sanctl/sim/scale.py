"""A large simulated LIO tree for benchmarks (readers, tree view, doctor).

Shape (defaults: 10,000 LUNs, 2,000 storage objects, 1,000 ACLs, 500 targets)
— a hosting setup where every customer host has its own target:

- ``targets`` iSCSI targets ``iqn.2024-01.net.example.scale:tNNNN``, each with
  one enabled TPG, one portal ``0.0.0.0:3260`` and no authentication;
- ``luns`` TPG LUNs spread evenly over the targets (20 per target by
  default), LUN ``i`` overall being LUN ``i % per_target`` of target
  ``i // per_target``;
- ``storage_objects`` backstores, LUN ``i`` using backstore
  ``i % storage_objects`` — so each backstore is exported by
  ``luns / storage_objects`` LUNs of different targets (5 by default), as
  when a volume is offered through several targets. Plugins are mixed 6:3:1
  block (LVM volumes ``/dev/vg_scale/lv-NNNN`` with their sysfs entries) :
  fileio (``/srv/iscsi/img-NNNN.img``, every other one write-back) : ramdisk;
- ``acls`` ACLs ``iqn.2024-01.net.example.scale:hNNNN``, ACL ``a`` on target
  ``a % targets`` (2 per target by default), each mapping every LUN of its
  TPG with the same LUN number (targetcli's ``auto_add_mapped_luns``) — so
  ``mapped LUNs = Σ ACLs × LUNs of their TPG`` (20,000 by default).

Every object carries the statistics subtrees the kernel gives it; that is
most of the files. Same arguments, same tree.
"""

from __future__ import annotations

import os
import random

from sanctl.sim import layout as L
from sanctl.sim.blockdev import create_block_device

GiB = 1 << 30
PREFIX = "iqn.2024-01.net.example.scale"


def _so_name(i: int, width: int) -> str:
    return f"vol-{i:0{width}d}"


def build_scale(
    root: str | os.PathLike[str],
    *,
    luns: int = 10_000,
    storage_objects: int = 2_000,
    acls: int = 1_000,
    targets: int = 500,
    seed: int = 7,
) -> L.SimKernel:
    """Write the large tree described in the module docstring under ``root``."""
    for what, value in (("luns", luns), ("acls", acls)):
        if value < 0:
            raise ValueError(f"{what} must be >= 0")
    if targets < 1:
        raise ValueError("targets must be >= 1")
    if luns and storage_objects < 1:
        raise ValueError("LUNs need at least one storage object")
    k = L.SimKernel.boot(root, rng=random.Random(seed))
    with k.batch():
        _build(k, luns, storage_objects, acls, targets)
    return k


def _build(k: L.SimKernel, luns: int, storage_objects: int, acls: int, targets: int) -> None:
    width = max(4, len(str(max(storage_objects, luns, acls, targets))))

    sos: list[L.Device] = []
    for i in range(storage_objects):
        name = _so_name(i, width)
        kind = i % 10
        if kind < 6:
            dev = f"/dev/vg_scale/lv-{i:0{width}d}"
            size = (8 + (i % 8) * 8) * GiB
            kname, major, minor = create_block_device(k, dev, size)
            sos.append(L.create_storage_object(k, "block", name, dev=dev, kname=kname,
                                               major=major, minor=minor))
        elif kind < 9:
            sos.append(L.create_storage_object(
                k, "fileio", name, dev=f"/srv/iscsi/img-{i:0{width}d}.img",
                size=(4 + (i % 5) * 4) * GiB, write_back=bool(i % 2)))
        else:
            sos.append(L.create_storage_object(k, "ramdisk", name, size=(1 + i % 4) * GiB))

    per_target = -(-luns // targets) if luns else 0
    wwns = [f"{PREFIX}:t{t:0{width}d}" for t in range(targets)]
    lun_count = [0] * targets
    for t, wwn in enumerate(wwns):
        L.create_target(k, wwn)
        L.create_tpg(k, wwn, 1)
        L.set_tpg_attribute(k, wwn, 1, "authentication", 0)
        L.set_tpg_enable(k, wwn, 1, True)
        L.create_portal(k, wwn, 1, "0.0.0.0", 3260)
    for i in range(luns):
        t, lun = divmod(i, per_target)
        L.create_lun(k, wwns[t], 1, lun, sos[i % storage_objects])
        lun_count[t] += 1
    for a in range(acls):
        t = a % targets
        initiator = f"{PREFIX}:h{a:0{width}d}"
        L.create_acl(k, wwns[t], 1, initiator)
        for lun in range(lun_count[t]):
            L.create_mapped_lun(k, wwns[t], 1, initiator, lun, lun)


def expected_counts(*, luns: int = 10_000, storage_objects: int = 2_000, acls: int = 1_000,
                    targets: int = 500) -> dict[str, int]:
    """What :func:`build_scale` creates for these arguments (for tests and reports)."""
    per_target = -(-luns // targets) if luns else 0
    lun_count = [0] * targets
    for i in range(luns):
        lun_count[i // per_target] += 1
    mapped = sum(lun_count[a % targets] for a in range(acls))
    return {
        "storage_objects": storage_objects,
        "targets": targets,
        "luns": luns,
        "acls": acls,
        "mapped_luns": mapped,
    }
