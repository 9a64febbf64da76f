"""Facts about this host that the create forms offer: block devices and addresses.

* :func:`block_devices` — disks, partitions, LVM volumes and other
  device-mapper, md and loop devices from ``<root>/sys/class/block``, with
  their size, model, where they are mounted (psutil on the real host,
  ``<root>/proc/mounts`` under another root), swap, holders (an LV on a
  partition, a partition of a disk) and the backstore already using them
  (from a :class:`~sanctl.model.SanConfig`). A device that is mounted, swap,
  held or exported already is not :attr:`BlockDevice.free`, and says why;
  :func:`refusal` adds a whole disk with a partition in use — the one
  refusal list of the forms, the setup wizard and the doctor.
* :func:`device_exists` — whether a path names a block device: ``stat`` on
  the real host; under another root (the demo SAN) one of the devices its
  simulated sysfs lists.
* :func:`portal_addresses` — addresses a portal can listen on: the
  wildcards and this host's addresses (:func:`host_addresses`, psutil;
  under another root only the loopback ones, so the demo looks the same
  everywhere).
* :func:`has_tcmu` — whether the kernel has TCMU (``user:`` backstores).

The values and the refusal rule are in :mod:`sanctl.block_devices` (pure).
Everything is read under a ``root`` so the demo SAN (see
:mod:`sanctl.sim.blockdev`) can provide fake devices. No Textual here; reads
are a few hundred small files at most and never raise for a vanished device.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Mapping

from sanctl import safe_io
from sanctl.block_devices import (  # noqa: F401  (re-exported)
    LOOPBACK,
    WILDCARDS,
    BlockDevice,
    find_device,
    note,
    refusal,
)
from sanctl.bounded import int_or_none
from sanctl.model import SanConfig

def _read(path: str, limit: int = safe_io.ATTRIBUTE_LIMIT) -> str | None:
    """A sysfs or proc file, stripped; None if missing or not a file (read through :mod:`sanctl.safe_io`)."""
    return safe_io.read_optional(path, limit)


def _listdir(path: str) -> list[str]:
    try:
        return sorted(os.listdir(path))
    except OSError:
        return []


def _lvm_path(dm_name: str) -> str | None:
    """``vg-lv`` (with '-' doubled inside names) -> ``/dev/vg/lv``; None if it does not split."""
    i = 0
    while i < len(dm_name):
        if dm_name[i] == "-":
            if dm_name[i + 1: i + 2] == "-":
                i += 2
                continue
            vg, lv = dm_name[:i], dm_name[i + 1:]
            if vg and lv and not lv.startswith("-"):
                return f"/dev/{vg.replace('--', '-')}/{lv.replace('--', '-')}"
            return None
        i += 1
    return None


def _mounts(root: str) -> dict[str, list[str]]:
    """Mounted device path -> mount points."""
    out: dict[str, list[str]] = {}
    if os.path.abspath(root) == "/":
        try:
            import psutil

            for part in psutil.disk_partitions(all=True):
                if part.device.startswith("/dev/"):
                    out.setdefault(part.device, []).append(part.mountpoint)
            return out
        except Exception:  # psutil missing or /proc unreadable: fall back to the file
            pass
    text = _read(os.path.join(root, "proc", "self", "mounts"), safe_io.TABLE_LIMIT) or \
        _read(os.path.join(root, "proc", "mounts"), safe_io.TABLE_LIMIT) or ""
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0].startswith("/dev/"):
            out.setdefault(fields[0], []).append(fields[1].replace("\\040", " "))
    return out


def _swaps(root: str) -> set[str]:
    text = _read(os.path.join(root, "proc", "swaps"), safe_io.TABLE_LIMIT) or ""
    return {line.split()[0] for line in text.splitlines()[1:] if line.split() and line.startswith("/dev/")}


def _resolve(root: str, path: str) -> str:
    """A /dev path as the kernel's name (``/dev/dm-3``) on the real host; unchanged elsewhere."""
    if os.path.abspath(root) == "/":
        try:
            return os.path.realpath(path)
        except OSError:
            return path
    return path


def block_devices(root: str = "/", config: SanConfig | None = None, *,
                  mounts: Mapping[str, Iterable[str]] | None = None) -> list[BlockDevice]:
    """Every block device worth offering, disks before their partitions, LVs last.

    RAM disks, zram and devices of size 0 (an empty loop or CD drive) are
    left out. ``mounts`` (device path -> mount points) replaces what the host
    says (tests).
    """
    base = os.path.join(root, "sys", "class", "block")
    raw: dict[str, dict] = {}
    for kname in _listdir(base):
        if kname.startswith(("ram", "zram")):
            continue
        entry = os.path.join(base, kname)
        sectors = _read(os.path.join(entry, "size"))
        try:
            size = (int_or_none(sectors) or 0) * 512
        except ValueError:
            continue
        if size <= 0:
            continue
        dm_name = _read(os.path.join(entry, "dm", "name"))
        dm_uuid = _read(os.path.join(entry, "dm", "uuid")) or ""
        is_part = os.path.exists(os.path.join(entry, "partition"))
        parent = None
        if is_part:
            real = os.path.realpath(entry)
            parent = os.path.basename(os.path.dirname(real))
        aliases = [f"/dev/{kname}"]
        path = f"/dev/{kname}"
        if dm_name:
            lvm = _lvm_path(dm_name) if (dm_uuid.startswith("LVM-") or not dm_uuid) else None
            kind = "lvm" if lvm else "dm"
            aliases.append(f"/dev/mapper/{dm_name}")
            path = lvm or f"/dev/mapper/{dm_name}"
            if lvm:
                aliases.append(lvm)
        elif is_part:
            kind = "part"
        elif kname.startswith("md"):
            kind = "md"
        elif kname.startswith("loop"):
            kind = "loop"
        else:
            kind = "disk"
        model = _read(os.path.join(entry, "device", "model")) or ""
        if kind == "loop":
            backing = _read(os.path.join(entry, "loop", "backing_file"))
            model = backing or model
        raw[kname] = {
            "kname": kname, "path": path, "kind": kind, "size": size, "model": model,
            "readonly": _read(os.path.join(entry, "ro")) == "1", "parent": parent,
            "holders": _listdir(os.path.join(entry, "holders")), "aliases": aliases,
        }
    by_alias = {alias: kname for kname, d in raw.items() for alias in d["aliases"]}
    mounted: dict[str, list[str]] = {}
    for dev, points in (_mounts(root) if mounts is None else mounts).items():
        kname = by_alias.get(dev) or by_alias.get(_resolve(root, dev))
        if kname:
            mounted.setdefault(kname, []).extend(points)
    swapped = {by_alias.get(d) or by_alias.get(_resolve(root, d)) for d in _swaps(root)}
    used: dict[str, str] = {}
    if config is not None:
        for so in config.storage_objects:
            if so.dev and so.plugin in ("block", "fileio", "pscsi") and so.dev.startswith("/dev/"):
                kname = by_alias.get(so.dev) or by_alias.get(_resolve(root, so.dev))
                if kname:
                    used.setdefault(kname, f"{so.plugin}/{so.name}")
    children: dict[str, list[str]] = {}
    for kname, d in raw.items():
        if d["parent"]:
            children.setdefault(d["parent"], []).append(d["path"])
    order = {"disk": 0, "part": 0, "md": 1, "loop": 2, "lvm": 3, "dm": 4}
    out = []
    for kname, d in raw.items():
        holders = tuple(raw[h]["path"] if h in raw else h for h in d["holders"])
        out.append(BlockDevice(
            path=d["path"], kname=kname, kind=d["kind"], size=d["size"], model=d["model"],
            readonly=d["readonly"], mountpoints=tuple(mounted.get(kname, ())), swap=kname in swapped,
            holders=holders, partitions=tuple(children.get(kname, ())), used_by=used.get(kname),
            aliases=tuple(d["aliases"]),
        ))
    out.sort(key=lambda dev: (order.get(dev.kind, 9), raw[dev.kname]["parent"] or dev.kname, dev.kind == "part",
                              dev.path))
    return out


def has_rdma(root: str = "/") -> bool:
    """Whether a NIC does RDMA (an InfiniBand, RoCE or iWARP device under /sys/class/infiniband): iSER needs one."""
    try:
        return bool(os.listdir(os.path.join(root, "sys/class/infiniband")))
    except OSError:
        return False


def device_exists(root: str, path: str, devices: Iterable[BlockDevice] | None = None) -> bool:
    """Whether ``path`` is a block device (on the real host: by ``stat``)."""
    if os.path.abspath(root) == "/":
        try:
            return stat.S_ISBLK(os.stat(path).st_mode)
        except OSError:
            return False
    return find_device(devices if devices is not None else block_devices(root), path) is not None


def host_addresses() -> list[str] | None:
    """This host's addresses as LIO spells them (IPv6 in brackets), link-local IPv6 left out
    (LIO cannot bind them); None when psutil cannot tell."""
    found: list[str] = []
    try:
        import socket

        import psutil

        for addrs in psutil.net_if_addrs().values():
            for addr in addrs:
                if addr.family == socket.AF_INET:
                    found.append(addr.address)
                elif addr.family == socket.AF_INET6:
                    text = addr.address.split("%", 1)[0]
                    if not text.lower().startswith("fe80"):
                        found.append(f"[{text}]")
    except Exception:
        return None
    return found


def portal_addresses(root: str = "/", config: SanConfig | None = None) -> list[str]:
    """Addresses a portal may listen on, spelled as LIO wants them (IPv6 in brackets).

    The wildcards first, then the host's addresses (link-local IPv6 left
    out: LIO cannot bind them), then any address a portal uses already.
    """
    found = (host_addresses() or list(LOOPBACK)) if os.path.abspath(root) == "/" else list(LOOPBACK)
    if config is not None:
        for target in config.targets:
            for tpg in target.tpgs:
                found.extend(p.ip_address for p in tpg.portals)
    out: list[str] = []
    for address in (*WILDCARDS, *found):
        if address not in out and address not in ("[::]",):
            out.append(address)
    return out


def has_tcmu(root: str = "/", config: SanConfig | None = None) -> bool:
    """Whether ``user:`` backstores can be created (target_core_user is loaded)."""
    if os.path.isdir(os.path.join(root, "sys", "module", "target_core_user")):
        return True
    return config is not None and any(so.plugin == "user" for so in config.storage_objects)
