"""What the wizard's steps know about the host, read once when the wizard opens.

:func:`gather` asks the :class:`~sanctl.host.protocol.Host` for the
configuration, the block devices (with what uses each), the addresses a
portal can listen on, whether a NIC does RDMA (iSER), the address clients
reach it at, this host's initiator name, and runs the checks through the
probe the host hands in. It blocks for a few hundred small file reads and a
couple of ``systemctl`` calls: the screen calls it in a worker thread (and
again when the operator asks to re-check).

A gathering step above the seam: every read goes through the host (and its
probe); the context keeps the host's facts for what validation asks later (a
device's block size, free space, memory). No Textual here.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from sanctl.block_devices import BlockDevice, find_device
from sanctl.model import SanConfig
from sanctl.setup.checks import Check, blocking, boot_unit, run_checks

if TYPE_CHECKING:
    from sanctl.host.protocol import Capabilities, Host
    from sanctl.setup.probe import HostProbe


def today() -> date:
    """The date generated IQNs carry (tests pin it)."""
    return date.today()


@dataclass(frozen=True)
class SetupContext:
    #: What the host can do: is it this machine, is its kernel simulated (the demo SAN).
    capabilities: Capabilities
    host: str  #: the host name generated IQNs use
    config: SanConfig
    devices: tuple[BlockDevice, ...] = ()
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
    #: The host's facts (:class:`~sanctl.host.protocol.FactsPart`): what validation asks beyond the lists.
    facts: Any = None

    @property
    def demo(self) -> bool:
        return self.capabilities.simulated

    @property
    def dry_run_reason(self) -> str | None:
        """Why Apply cannot run (the wizard ends at Review), or None."""
        if self.readonly_reason:
            return f"read-only: {self.readonly_reason}"
        failed = blocking(self.checks)
        if failed:
            return "; ".join(f"{c.title}: {c.detail}" for c in failed)
        return None

    def device(self, path: str) -> BlockDevice | None:
        return find_device(self.devices, path)

    def device_exists(self, path: str) -> bool:
        """Whether ``path`` is a block device (listed, or on the host)."""
        if self.facts is None:
            return self.device(path) is not None
        return self.facts.device_exists(path, self.devices)

    def logical_block_size(self, dev: BlockDevice) -> int:
        return self.facts.logical_block_size(dev.kname) if self.facts is not None else 512

    def discard(self, dev: BlockDevice) -> bool:
        """Whether the device takes discards (so ``emulate_tpu=1`` is accepted on a block backstore)."""
        return self.facts is not None and self.facts.discards(dev.kname)

    def free_space(self, path: str) -> int | None:
        """Bytes free where ``path`` would be created (this host only; None on the demo or when unknown)."""
        return self.facts.free_space(path) if self.facts is not None else None

    def missing_directory(self, path: str) -> str | None:
        """The directory a new fileio file needs that does not exist yet (the demo creates its own)."""
        return self.facts.missing_directory(path) if self.facts is not None else None

    def memory(self) -> int | None:
        return self.facts.memory() if self.facts is not None else None


def gather(host: Host, *, name: str | None = None, readonly_reason: str | None = None,
           backing: Callable[[str], tuple[str, int]] | None = None, probe: HostProbe | None = None,
           config: SanConfig | None = None) -> SetupContext:
    """Everything the steps need, asked of ``host`` (blocking). ``name``: the host name generated IQNs use."""
    from sanctl.lio.configfs import ConfigfsNotFound  # the error only: the read is the host's

    facts = host.facts
    probe = probe or facts.setup_probe()
    if config is None:
        try:
            config = host.target.read_config()
        except ConfigfsNotFound:
            config = host.target.empty_config()
    return SetupContext(
        capabilities=host.capabilities,
        host=name or socket.gethostname(),
        config=config,
        devices=tuple(facts.block_devices(config)),
        addresses=tuple(facts.addresses(config)),
        client_address=facts.client_address(),
        rdma=bool(facts.rdma()),
        this_initiator=probe.initiator_name(),
        checks=tuple(run_checks(probe, readonly_reason=readonly_reason, targets=sum(1 for _ in config.targets))),
        readonly_reason=readonly_reason,
        boot_unit=boot_unit(probe),
        save_path=host.target.save_location().path,
        day=today(),
        backing=backing,
        probe=probe,
        facts=facts,
    )
