"""Block devices as the forms, the setup wizard and the doctor see them: the values and the one refusal rule.

:mod:`sanctl.host.facts` reads them (``<root>/sys/class/block``, the mounts, swap);
what may be exported and why not is decided here. No I/O, no Textual here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sanctl.summary import human_size

WILDCARDS = ("0.0.0.0", "[::0]")
LOOPBACK = ("127.0.0.1", "[::1]")


@dataclass(frozen=True, slots=True)
class BlockDevice:
    """One block device as the device picker shows it."""

    path: str  #: the name an operator uses: /dev/sdb, /dev/sdb1, /dev/vg/lv, /dev/mapper/x
    kname: str  #: the kernel's name: sdb, sdb1, dm-3
    kind: str  #: "disk", "part", "lvm", "dm", "md", "loop"
    size: int
    model: str = ""
    readonly: bool = False
    mountpoints: tuple[str, ...] = ()
    swap: bool = False
    holders: tuple[str, ...] = ()  #: devices built on it (paths when known)
    partitions: tuple[str, ...] = ()  #: for a disk: its partitions' paths
    used_by: str | None = None  #: "block/name" of the backstore using it
    aliases: tuple[str, ...] = ()  #: every /dev path that names it

    @property
    def free(self) -> bool:
        """Nothing uses it: exporting it harms nobody."""
        return not (self.mountpoints or self.swap or self.holders or self.used_by)

    def problem(self) -> str | None:
        """Why exporting it would be wrong, as a sentence; None when it is free."""
        if self.used_by:
            return f"{self.path} is already exported by backstore {self.used_by}."
        if self.mountpoints:
            return f"{self.path} is mounted on {', '.join(self.mountpoints)}: exporting it would corrupt that filesystem."
        if self.swap:
            return f"{self.path} is in use as swap."
        if self.holders:
            return f"{self.path} is in use by {', '.join(self.holders)}."
        return None

    def note(self) -> str:
        """What the picker prints after the size: why it is taken, or "free"."""
        if self.used_by:
            return f"used by {self.used_by}"
        if self.mountpoints:
            return f"mounted on {', '.join(self.mountpoints)}"
        if self.swap:
            return "swap"
        if self.holders:
            return f"held by {', '.join(self.holders)}"
        if self.partitions:
            return f"free, has {len(self.partitions)} partition{'s' if len(self.partitions) != 1 else ''}"
        return "free"

    def label(self) -> str:
        model = f"  {self.model}" if self.model else ""
        return f"{self.path}  {human_size(self.size)}  {self.kind}{model}"


def refusal(dev: BlockDevice, devices: Iterable[BlockDevice]) -> str | None:
    """Why ``dev`` must not be exported, or None: the one list the forms, the wizard and the doctor share.

    Exported already, mounted, swap, held (LVM, md, dm) — and, for a whole disk, any of its
    partitions being so: exporting the disk would hand that partition's data to a client.
    """
    problem = dev.problem()
    if problem:
        return problem
    for part in dev.partitions:
        found = find_device(devices, part)
        if found is not None and found.problem():
            return (f"{dev.path} has partition {part} in use ({found.note()}): exporting the whole disk would "
                    "corrupt it.")
    return None


def note(dev: BlockDevice, devices: Iterable[BlockDevice]) -> str:
    """What a device picker prints after the size: :meth:`BlockDevice.note`, or that a partition is in use."""
    if dev.free and refusal(dev, devices):
        return "a partition is in use"
    return dev.note()


def find_device(devices: Iterable[BlockDevice], path: str) -> BlockDevice | None:
    for dev in devices:
        if path == dev.path or path in dev.aliases:
            return dev
    return None
