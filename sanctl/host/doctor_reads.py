"""What the doctor asks of a host's disks, files, kernel and initiator database: the reads
behind :class:`~sanctl.host.protocol.FactsPart`'s doctor questions.

:mod:`sanctl.doctor.facts` gathers through the Host; these are the reads a
host under a filesystem ``root`` answers with (this machine, or the demo's
simulated sysfs). Each returns plain values of :mod:`sanctl.doctor.host_facts`.
No Textual here.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from sanctl.doctor.host_facts import DeviceFact, FileFact

#: Where open-iscsi keeps its node database (a build option: Debian and Ubuntu use /etc/iscsi).
NODE_DB_DIRS = ("etc/iscsi", "var/lib/iscsi")


def device_facts(root: str, paths: Iterable[str]) -> Mapping[str, DeviceFact]:
    """Each block device path: there or gone, mounted (or a partition of it), swap."""
    from sanctl.host.facts import block_devices as devices_of
    from sanctl.host.facts import device_exists, find_device

    devices = devices_of(root)
    out = {}
    for path in paths:
        found = find_device(devices, path)
        if found is None:
            resolved = os.path.realpath(path) if os.path.abspath(root) == "/" else path
            found = find_device(devices, resolved)
        exists = device_exists(root, path, devices)
        mounts: list[str] = []
        swap = False
        if found is not None:
            mounts.extend(found.mountpoints)
            swap = found.swap
            for part in found.partitions:
                child = find_device(devices, part)
                if child is not None:
                    mounts.extend(f"{m} ({child.path})" for m in child.mountpoints)
                    swap = swap or child.swap
        out[path] = DeviceFact(path, exists, tuple(mounts), swap)
    return MappingProxyType(out)


def file_facts(root: str, paths: Iterable[str]) -> Mapping[str, FileFact]:
    """Each backing file: its size, what it uses, its filesystem's free space (block devices and
    missing files left out)."""
    out = {}
    for path in paths:
        local = path if os.path.abspath(root) == "/" else os.path.join(root, path.lstrip("/"))
        try:
            st = os.stat(local)
            if not stat.S_ISREG(st.st_mode):
                continue  # fileio on a block device: no filesystem of its own
            vfs = os.statvfs(os.path.dirname(local) or "/")
        except OSError:
            continue  # the demo's files are not written out; a missing file is the kernel's to report
        out[path] = FileFact(path, st.st_size, st.st_blocks * 512, vfs.f_bavail * vfs.f_frsize,
                             vfs.f_blocks * vfs.f_frsize)
    return MappingProxyType(out)


def dbroot_folders(root: str) -> tuple[str | None, tuple[str, ...]]:
    """``(dbroot, missing subfolders)``: where the kernel keeps APTPL reservations and ALUA state."""
    from sanctl.lio.rtslib_writer import DBROOT_SUBDIRS, kernel_dbroot

    dbroot = kernel_dbroot(root)
    if dbroot is None:
        return None, ()
    base = os.path.join(root, dbroot.lstrip("/"))
    return dbroot, tuple(sub for sub in DBROOT_SUBDIRS if not os.path.isdir(os.path.join(base, sub)))


def node_db_dir(root: str) -> str | None:
    """Where this open-iscsi keeps its node records (``/etc/iscsi`` or ``/var/lib/iscsi``); None: not found."""
    return next((f"/{d}" for d in NODE_DB_DIRS if os.path.isdir(os.path.join(root, d, "nodes"))), None)
