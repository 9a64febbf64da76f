"""Block devices in the simulated sysfs, so a backstore's size can be read.

An iblock backstore's ``info`` has no size: the kernel name it shows
(``iBlock device: dm-3``) is looked up in ``/sys/class/block/<kname>/size``
(512-byte sectors), as rtslib-fb and sanctl's reader do. This module writes
that part of sysfs under the simulated root:

    sys/devices/virtual/block/<kname>/{dev,size,ro,removable,queue/…,dm/name}
    sys/class/block/<kname> -> ../../devices/virtual/block/<kname>

Device-mapper volumes (LVM LVs) live under ``devices/virtual`` on a real
host too; loop devices as well. Other disks (sd*, nvme*) sit under their
PCI path on a real host — here they are put under ``devices/virtual`` as
well, which a reader that follows ``/sys/class/block`` does not notice.
"""

from __future__ import annotations

import os

from sanctl.sim.layout import SimKernel, _block_kname, check_name

RO = 0o444
RW = 0o644


def dm_name(dev: str) -> str:
    """``/dev/<vg>/<lv>`` -> the device-mapper name LVM gives it (``vg-lv``, '-' doubled)."""
    parts = dev.strip("/").split("/")
    if len(parts) == 3 and parts[0] == "dev" and parts[1] != "mapper":
        vg, lv = parts[1], parts[2]
        return f"{vg.replace('-', '--')}-{lv.replace('-', '--')}"
    return parts[-1]


def create_block_device(
    k: SimKernel,
    dev: str,
    size: int,
    *,
    readonly: bool = False,
    logical_block_size: int = 512,
    rotational: bool = False,
) -> tuple[str, int, int]:
    """Write the sysfs entries of the block device ``dev`` (``size`` bytes).

    Returns ``(kname, major, minor)`` — pass them to
    :func:`~sanctl.sim.layout.create_storage_object` so its ``info`` agrees.
    """
    if size <= 0 or size % 512:
        raise ValueError("size must be a positive multiple of 512 bytes")
    kname, major, minor = _block_kname(k, dev)
    check_name(kname, "kernel device name")
    base = os.path.join(k.root, "sys", "devices", "virtual", "block", kname)
    os.makedirs(os.path.join(base, "queue"), exist_ok=False)
    files = [
        ("dev", RO, f"{major}:{minor}\n"),
        ("size", RO, f"{size // 512}\n"),
        ("ro", RO, f"{int(readonly)}\n"),
        ("removable", RO, "0\n"),
        ("queue/logical_block_size", RO, f"{logical_block_size}\n"),
        ("queue/rotational", RW, f"{int(rotational)}\n"),
    ]
    if kname.startswith("dm-"):
        os.mkdir(os.path.join(base, "dm"))
        files.append(("dm/name", RO, dm_name(dev) + "\n"))
    for rel, mode, text in files:
        path = os.path.join(base, rel)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        try:
            os.write(fd, text.encode())
            os.fchmod(fd, mode)
        finally:
            os.close(fd)
    cls = os.path.join(k.root, "sys", "class", "block")
    os.makedirs(cls, exist_ok=True)
    os.symlink(f"../../devices/virtual/block/{kname}", os.path.join(cls, kname))
    return kname, major, minor


def create_disk(
    k: SimKernel,
    kname: str,
    size: int,
    *,
    major: int,
    minor: int,
    model: str = "",
    partitions: tuple[tuple[int, int, str | None], ...] = (),
) -> None:
    """A whole disk (``/dev/<kname>``) with ``(number, size, mount point or None)`` partitions.

    Written as a real host shows it: the disk's ``device/model`` and
    ``holders/``, each partition a subdirectory with a ``partition`` file,
    and the mounted ones listed in ``proc/mounts`` under the simulated root
    (what :mod:`sanctl.host.facts` reads there instead of psutil).
    """
    check_name(kname, "kernel device name")
    base = os.path.join(k.root, "sys", "devices", "virtual", "block", kname)
    cls = os.path.join(k.root, "sys", "class", "block")
    os.makedirs(os.path.join(base, "device"), exist_ok=False)
    os.makedirs(os.path.join(base, "holders"))
    os.makedirs(os.path.join(base, "queue"))
    os.makedirs(cls, exist_ok=True)
    files = [("dev", f"{major}:{minor}"), ("size", str(size // 512)), ("ro", "0"), ("removable", "0"),
             ("queue/logical_block_size", "512"), ("queue/rotational", "1"), ("device/model", model)]
    start = 2048
    mounts = []
    for number, psize, mountpoint in partitions:
        pname = f"{kname}{number}"
        os.makedirs(os.path.join(base, pname, "holders"))
        files += [(f"{pname}/dev", f"{major}:{minor + number}"), (f"{pname}/size", str(psize // 512)),
                  (f"{pname}/partition", str(number)), (f"{pname}/start", str(start)), (f"{pname}/ro", "0")]
        start += psize // 512
        os.symlink(f"../../devices/virtual/block/{kname}/{pname}", os.path.join(cls, pname))
        if mountpoint:
            mounts.append(f"/dev/{pname} {mountpoint} ext4 rw,relatime 0 0\n")
    for rel, text in files:
        with open(os.path.join(base, rel), "w", encoding="ascii") as handle:
            handle.write(text + "\n")
        os.chmod(os.path.join(base, rel), RO)
    os.symlink(f"../../devices/virtual/block/{kname}", os.path.join(cls, kname))
    if mounts:
        proc = os.path.join(k.root, "proc")
        os.makedirs(proc, exist_ok=True)
        with open(os.path.join(proc, "mounts"), "a", encoding="ascii") as handle:
            handle.writelines(mounts)
