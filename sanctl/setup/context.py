"""What the wizard's steps know about the host, read once when the wizard opens.

:func:`gather` reads the configuration, the block devices (with what uses
each), the addresses a portal can listen on, whether a NIC does RDMA (iSER),
this host's initiator name, and runs the checks. It blocks for a few
hundred small file reads and a couple of ``systemctl`` calls: the screen
calls it in a worker thread (and again when the operator asks to re-check).

No Textual here.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sanctl.host import facts as H
from sanctl.host.protocol import capabilities_of
from sanctl.model import SanConfig
from sanctl.setup.checks import Check, HostProbe, blocking, boot_unit, probe_for, run_checks


def today() -> date:
    """The date generated IQNs carry (tests pin it)."""
    return date.today()


@dataclass(frozen=True)
class SetupContext:
    root: str
    mode: str  #: real, demo or captured
    host: str  #: the host name generated IQNs use
    config: SanConfig
    devices: tuple[H.BlockDevice, ...] = ()
    addresses: tuple[str, ...] = ()
    #: The address clients reach this host at (for their commands when the portal is a wildcard).
    client_address: str = "127.0.0.1"
    rdma: bool = False
    this_initiator: str | None = None
    checks: tuple[Check, ...] = ()
    readonly_reason: str | None = None
    boot_unit: str = "target.service"
    save_path: str = "/etc/target/saveconfig.json"
    day: date = field(default_factory=today)
    #: ``path -> ("missing"|"file"|"block"|"other", size)``: the writer's view of a fileio path.
    backing: Callable[[str], tuple[str, int]] | None = None
    probe: HostProbe | None = None

    @property
    def demo(self) -> bool:
        return capabilities_of(self.mode).simulated

    @property
    def dry_run_reason(self) -> str | None:
        """Why Apply cannot run (the wizard ends at Review), or None."""
        if self.readonly_reason:
            return f"read-only: {self.readonly_reason}"
        failed = blocking(self.checks)
        if failed:
            return "; ".join(f"{c.title}: {c.detail}" for c in failed)
        return None

    def device(self, path: str) -> H.BlockDevice | None:
        return H.find_device(self.devices, path)

    def logical_block_size(self, dev: H.BlockDevice) -> int:
        text = _read(os.path.join(self.root, "sys/class/block", dev.kname, "queue/logical_block_size"))
        return int(text) if text and text.isdigit() else 512

    def discard(self, dev: H.BlockDevice) -> bool:
        """Whether the device takes discards (so ``emulate_tpu=1`` is accepted on a block backstore)."""
        text = _read(os.path.join(self.root, "sys/class/block", dev.kname, "queue/discard_max_bytes"))
        return bool(text and text.isdigit() and int(text) > 0)

    def free_space(self, path: str) -> int | None:
        """Bytes free where ``path`` would be created (this host only; None on the demo or when unknown)."""
        if not capabilities_of(self.mode).is_this_machine:
            return None
        directory = os.path.dirname(path) or "/"
        while directory and not os.path.isdir(directory):
            parent = os.path.dirname(directory)
            if parent == directory:
                return None
            directory = parent
        try:
            return shutil.disk_usage(directory).free
        except OSError:
            return None

    def missing_directory(self, path: str) -> str | None:
        """The directory a new fileio file needs that does not exist yet (the demo creates its own)."""
        if not capabilities_of(self.mode).is_this_machine:
            return None
        directory = os.path.dirname(path)
        return None if not directory or os.path.isdir(directory) else directory

    def memory(self) -> int | None:
        if not capabilities_of(self.mode).is_this_machine:
            return None
        try:
            import psutil

            return int(psutil.virtual_memory().available)
        except Exception:
            return None


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read().strip()
    except OSError:
        return None


def has_rdma(root: str = "/") -> bool:
    """:func:`sanctl.host.facts.has_rdma` (the forms and the doctor ask the same)."""
    return H.has_rdma(root)


def client_address(root: str, mode: str) -> str:
    """The first non-loopback IPv4 address of this host (the demo's: its simulated address)."""
    if capabilities_of(mode).simulated:
        from sanctl.sim.iscsiadm import HOST_ADDRESS

        return HOST_ADDRESS
    if os.path.abspath(root) == "/":
        try:
            import psutil

            for addrs in psutil.net_if_addrs().values():
                for addr in addrs:
                    if addr.family == socket.AF_INET and not addr.address.startswith("127."):
                        return addr.address
        except Exception:
            pass
    return "127.0.0.1"


def gather(root: str, mode: str, *, host: str | None = None, readonly_reason: str | None = None,
           backing: Callable[[str], tuple[str, int]] | None = None, probe: HostProbe | None = None,
           config: SanConfig | None = None) -> SetupContext:
    """Everything the steps need (blocking)."""
    from sanctl.lio import savefile
    from sanctl.lio.configfs import ConfigfsNotFound, read_config

    probe = probe or probe_for(mode, root)
    if config is None:
        try:
            config = read_config(root)
        except ConfigfsNotFound:
            config = SanConfig(root=root)
    host = host or socket.gethostname()
    return SetupContext(
        root=root,
        mode=mode,
        host=host,
        config=config,
        devices=tuple(H.block_devices(root, config)),
        addresses=tuple(H.portal_addresses(root, config)),
        client_address=client_address(root, mode),
        rdma=has_rdma(root),
        this_initiator=probe.initiator_name(),
        checks=tuple(run_checks(probe, readonly_reason=readonly_reason, targets=sum(1 for _ in config.targets))),
        readonly_reason=readonly_reason,
        boot_unit=boot_unit(probe),
        save_path=savefile.locate(root).path,
        day=today(),
        backing=backing,
        probe=probe,
    )
