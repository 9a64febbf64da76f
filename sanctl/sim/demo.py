"""The demo SAN: a small, realistic LIO setup written as the kernel would show it.

Three targets, built the way targetcli builds them (targetcli's own writes —
``authentication=0``, ``enable=1``, one mapped LUN per TPG LUN for each new
ACL — are applied explicitly, on top of the kernel's defaults):

1. ``iqn.2024-01.storage.oracle:rac`` — the Oracle RAC example of the
   tutorial (``seeds/000_*.txt``) and of the real-kernel capture
   ``tests/fixtures/rac``: six block backstores on LVM volumes
   (``/dev/vg_san/ora-ocr-{1,2,3}`` 10 GiB, ``ora-data-{1,2}``, ``ora-arch``
   20 GiB) as LUNs 0–5, ACLs ``…:client`` and ``…:client2`` each mapping the
   six LUNs, portal ``0.0.0.0:3260``, no authentication.
2. ``iqn.2024-01.com.example:web`` — a fileio backstore ``web-data``
   (``/srv/iscsi/web-data.img``, 50 GiB, write-back) for one web server whose
   ACL uses CHAP with mutual authentication (``authentication=1``).
3. ``iqn.2024-01.com.example:scratch`` — demo mode (``generate_node_acls=1``,
   ``demo_mode_write_protect=1``, ``cache_dynamic_acls=1``) exporting the 1 GiB
   ramdisk ``scratch`` on ``[::1]:3260``: any initiator may log in, read-only.

Discovery authentication is off (the kernel's defaults). No session is
logged in: ACL ``info`` files and ``dynamic_sessions`` read as the kernel
writes them when idle. Everything random (serials, LUN aliases) comes from a
seeded generator, so two builds are identical.
"""

from __future__ import annotations

import os
import random

from sanctl.sim import layout as L
from sanctl.sim.blockdev import create_block_device, create_disk

GiB = 1 << 30

RAC_IQN = "iqn.2024-01.storage.oracle:rac"
RAC_CLIENTS = ("iqn.2024-01.storage.oracle:client", "iqn.2024-01.storage.oracle:client2")
RAC_VOLUMES = (
    ("ora-ocr-1", 10 * GiB),
    ("ora-ocr-2", 10 * GiB),
    ("ora-ocr-3", 10 * GiB),
    ("ora-data-1", 20 * GiB),
    ("ora-data-2", 20 * GiB),
    ("ora-arch", 20 * GiB),
)
RAC_VG = "/dev/vg_san"

WEB_IQN = "iqn.2024-01.com.example:web"
WEB_CLIENT = "iqn.2024-01.com.example:web01"
WEB_FILE = "/srv/iscsi/web-data.img"
WEB_SIZE = 50 * GiB
WEB_CHAP = {
    "userid": "web01",
    "password": "web01-chap-secret",
    "mutual_userid": "web-target",
    "mutual_password": "target-chap-secret",
}

SCRATCH_IQN = "iqn.2024-01.com.example:scratch"
SCRATCH_SIZE = 1 * GiB

#: Devices nothing exports yet, for the block device picker: two spare LVs,
#: and a data disk whose one partition is mounted on /srv (the web file's home).
SPARE_VOLUMES = (("spare-1", 10 * GiB), ("spare-2", 20 * GiB))
DATA_DISK = ("vdb", 200 * GiB, "QEMU HARDDISK")

DEFAULT_SEED = 2024


def _targetcli_target(k: L.SimKernel, wwn: str, portal: tuple[str, int]) -> None:
    """``/iscsi create <wwn>``: target, TPG 1, authentication=0, enabled, one portal."""
    L.create_target(k, wwn)
    L.create_tpg(k, wwn, 1)
    L.set_tpg_attribute(k, wwn, 1, "authentication", 0)
    L.set_tpg_enable(k, wwn, 1, True)
    L.create_portal(k, wwn, 1, *portal)


def _targetcli_acl(k: L.SimKernel, wwn: str, initiator: str, luns: int) -> None:
    """``acls create <initiator>`` with auto_add_mapped_luns: lun_N -> TPG LUN N."""
    L.create_acl(k, wwn, 1, initiator)
    for lun in range(luns):
        L.create_mapped_lun(k, wwn, 1, initiator, lun, lun)


def demo_kernel(root: str | os.PathLike[str], *, seed: int = DEFAULT_SEED) -> L.SimKernel:
    """Write the demo SAN under ``root`` and return the simulated kernel holding it."""
    k = L.SimKernel.boot(root, rng=random.Random(seed))
    with k.batch():
        _build(k)
    return k


def _build(k: L.SimKernel) -> None:

    # Backstores, in the order the tutorial creates them.
    rac = []
    for name, size in RAC_VOLUMES:
        dev = f"{RAC_VG}/{name}"
        kname, major, minor = create_block_device(k, dev, size)
        rac.append(L.create_storage_object(k, "block", name, dev=dev, kname=kname,
                                           major=major, minor=minor))
    web = L.create_storage_object(k, "fileio", "web-data", dev=WEB_FILE, size=WEB_SIZE,
                                  write_back=True)
    scratch = L.create_storage_object(k, "ramdisk", "scratch", size=SCRATCH_SIZE)

    # 1. Oracle RAC: shared LUNs for two cluster nodes, no CHAP.
    _targetcli_target(k, RAC_IQN, ("0.0.0.0", 3260))
    for lun, so in enumerate(rac):
        L.create_lun(k, RAC_IQN, 1, lun, so)
    for client in RAC_CLIENTS:
        _targetcli_acl(k, RAC_IQN, client, len(rac))

    # 2. A web server's disk with CHAP and mutual CHAP enforced.
    _targetcli_target(k, WEB_IQN, ("0.0.0.0", 3260))
    L.set_tpg_attribute(k, WEB_IQN, 1, "authentication", 1)
    L.create_lun(k, WEB_IQN, 1, 0, web)
    _targetcli_acl(k, WEB_IQN, WEB_CLIENT, 1)
    L.set_acl_auth(k, WEB_IQN, 1, WEB_CLIENT, **WEB_CHAP)

    # 3. Demo mode: anyone may log in and sees the LUN read-only.
    _targetcli_target(k, SCRATCH_IQN, ("::1", 3260))
    L.create_lun(k, SCRATCH_IQN, 1, 0, scratch)
    L.set_tpg_attribute(k, SCRATCH_IQN, 1, "generate_node_acls", 1)
    L.set_tpg_attribute(k, SCRATCH_IQN, 1, "cache_dynamic_acls", 1)
    L.set_tpg_attribute(k, SCRATCH_IQN, 1, "demo_mode_write_protect", 1)

    # 4. Devices nothing exports yet (the block form's picker lists them).
    for name, size in SPARE_VOLUMES:
        create_block_device(k, f"{RAC_VG}/{name}", size)
    kname, size, model = DATA_DISK
    create_disk(k, kname, size, major=254, minor=16, model=model, partitions=((1, size - (1 << 20), "/srv"),))


def build_demo(root: str | os.PathLike[str], *, seed: int = DEFAULT_SEED) -> None:
    """Write the demo SAN under ``root`` (which must not hold a configfs tree yet)."""
    demo_kernel(root, seed=seed)
