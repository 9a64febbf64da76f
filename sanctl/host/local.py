"""LocalHost: this machine, read and written through today's readers and writers against ``/``.

The parts here read a filesystem tree (``root``); :class:`~sanctl.host.captured.CapturedHost`
and :class:`~sanctl.host.demo.DemoHost` reuse them for their trees and change only
what differs (no initiator, no writes; the simulated kernel). The readers and
writers are imported when first asked for, so building a host costs nothing at start-up.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from typing import Any

from sanctl.host.protocol import capabilities_of


class TreeTarget:
    """The LIO target whose configfs is under ``root``."""

    def __init__(self, root: str, *, live: bool = True, readonly_reason: str | None = None) -> None:
        self.root = root
        self.live = live
        self.readonly_reason = readonly_reason
        self._writer: Any = None

    def read_config(self, *, details: bool = False, targets: Any = None, storage_objects: Any = None,
                    mapped_luns: bool = True, tpg_attributes: bool = True) -> Any:
        from sanctl.lio.configfs import read_config

        return read_config(self.root, details=details, targets=targets, storage_objects=storage_objects,
                           mapped_luns=mapped_luns, tpg_attributes=tpg_attributes)

    def rough_size(self) -> int:
        from sanctl.lio.configfs import rough_size

        return rough_size(self.root)

    def details(self, config: Any, node: Any) -> Any:
        from sanctl.details import load_details

        return load_details(config, node)

    def sampler(self, *, clock: Callable[[], float] = time.monotonic, wall_clock: Callable[[], float] = time.time,
                follow: bool = True, history: bool = True, config: Any = None) -> Any:
        from sanctl.live.sampler import Sampler

        problems: list[str] = []
        sources = self._log_sources(follow=follow, history=history, problems=problems)
        before, backfill = self._before_sample(wall_clock)
        return Sampler(self.root, clock=clock, wall_clock=wall_clock, log_sources=sources, before_sample=before,
                       backfill=backfill, config=config, problems=problems)

    def _log_sources(self, **options: Any) -> list[Any]:
        from sanctl.kernel_log import default_sources

        return default_sources(self.root, **options)

    def _before_sample(self, wall_clock: Callable[[], float]) -> tuple[Any, Any]:
        """What moves the system before each sample, and its modelled past: nothing on a real one."""
        return None, None

    def impacts(self, changes: Iterable[Any]) -> tuple[Any, ...]:
        from sanctl.lio.impact import read_impacts

        return read_impacts(self.root, changes, live=self.live)

    def writer(self) -> Any:
        """One writer per host, made on first use (it holds the lock and the journal's place)."""
        if self._writer is None:
            self._writer = self._make_writer()
        return self._writer

    def _make_writer(self) -> Any:
        from sanctl.lio.rtslib_writer import RtslibWriter

        return RtslibWriter(self.root, readonly_reason=self.readonly_reason)

    def save_location(self) -> Any:
        from sanctl.lio.savefile import locate

        return locate(self.root)

    def backups(self) -> list[Any]:
        from sanctl.lio.savefile import list_backups

        return list_backups(self.save_location())

    def lock_holders(self) -> Any:
        from sanctl.lio.lock import probe

        return probe(self.root)

    def unfinished_change(self) -> Any:
        from sanctl.lio import journal

        return journal.read(self.root)


class TreeInitiator:
    """open-iscsi on the machine sanctl runs on."""

    def __init__(self, root: str) -> None:
        self.root = root

    def iscsiadm(self, *, timeouts: Any = None) -> Any:
        from sanctl.initiator.iscsiadm import Iscsiadm

        return Iscsiadm(timeouts=timeouts)

    def initiator_name(self) -> Any:
        from sanctl.initiator.initiator_name import read_initiator_name

        return read_initiator_name(self.root)

    def sessions(self, *, disks: bool = True) -> Any:
        from sanctl.initiator.sysfs import read_initiator

        return read_initiator(self.root, disks=disks)

    def iscsid_conf(self) -> Any:
        from sanctl.initiator import iscsid_conf

        return iscsid_conf.read(self.root)

    def change_initiator_name(self, new: str, *, alias: str | None = None) -> Any:
        from sanctl.initiator.initiator_name import change_initiator_name

        return change_initiator_name(new, root=self.root, alias=alias)

    def backend(self) -> Any:
        from sanctl.initiator.overview import InitiatorBackend

        return InitiatorBackend(self.iscsiadm(), root=self.root, read_name=self.initiator_name,
                                change_name=self.change_initiator_name, iscsid_conf=self.iscsid_conf)


class TreeFacts:
    """Disks, addresses, kernel modules and services of the host under ``root``."""

    def __init__(self, root: str, *, this_machine: bool = True) -> None:
        self.root = root
        self.this_machine = this_machine

    def block_devices(self, config: Any = None) -> list[Any]:
        from sanctl.host.facts import block_devices

        return block_devices(self.root, config)

    def addresses(self, config: Any = None) -> list[str]:
        from sanctl.host.facts import portal_addresses

        return portal_addresses(self.root, config)

    def available_fabrics(self) -> tuple[str, ...]:
        from sanctl.lio.writer import FABRIC_MODULES, kernel_has_module

        return tuple(name for name, module in FABRIC_MODULES.items() if kernel_has_module(self.root, module))

    def services(self) -> dict[str, Any]:
        if not self.this_machine:
            return {}
        from sanctl.initiator.services import iscsid_state, target_boot_service

        return {"iscsid": iscsid_state(), "target": target_boot_service()}

    def device_exists(self, path: str, devices: Iterable[Any] | None = None) -> bool:
        from sanctl.host.facts import device_exists

        return device_exists(self.root, path, devices)

    def has_rdma(self) -> bool:
        from sanctl.host.facts import has_rdma

        return has_rdma(self.root)

    def client_address(self) -> str:
        """The first non-loopback IPv4 address of this host (under another root: the loopback)."""
        if os.path.abspath(self.root) == "/":
            import socket  # here, not at the top: the commands that print never need it

            try:
                import psutil

                for addrs in psutil.net_if_addrs().values():
                    for addr in addrs:
                        if addr.family == socket.AF_INET and not addr.address.startswith("127."):
                            return addr.address
            except Exception:
                pass
        return "127.0.0.1"

    def _queue(self, kname: str, name: str) -> str | None:
        try:
            with open(os.path.join(self.root, "sys/class/block", kname, "queue", name), encoding="utf-8",
                      errors="replace") as handle:
                return handle.read().strip()
        except OSError:
            return None

    def logical_block_size(self, kname: str) -> int:
        text = self._queue(kname, "logical_block_size")
        return int(text) if text and text.isdigit() else 512

    def discards(self, kname: str) -> bool:
        text = self._queue(kname, "discard_max_bytes")
        return bool(text and text.isdigit() and int(text) > 0)

    def free_space(self, path: str) -> int | None:
        if not self.this_machine:
            return None
        directory = os.path.dirname(path) or "/"
        while directory and not os.path.isdir(directory):
            parent = os.path.dirname(directory)
            if parent == directory:
                return None
            directory = parent
        import shutil

        try:
            return shutil.disk_usage(directory).free
        except OSError:
            return None

    def missing_directory(self, path: str) -> str | None:
        if not self.this_machine:
            return None
        directory = os.path.dirname(path)
        return None if not directory or os.path.isdir(directory) else directory

    def memory(self) -> int | None:
        if not self.this_machine:
            return None
        try:
            import psutil

            return int(psutil.virtual_memory().available)
        except Exception:
            return None

    def setup_probe(self) -> Any:
        from sanctl.setup.probe import HostProbe

        return HostProbe(self.root)


class TreeLogs:
    """The kernel's ring buffer and iscsid's journal (or the log files a tree holds)."""

    def __init__(self, root: str) -> None:
        self.root = root

    def sources(self, *, follow: bool = True, history: bool = True, problems: list[str] | None = None) -> list[Any]:
        from sanctl.kernel_log import default_sources

        return default_sources(self.root, follow=follow, history=history, problems=problems)


class LocalHost:
    """This machine: ``/`` (or a root for tests), its kernel target, its initiator."""

    kind = "local"
    mode = "real"

    def __init__(self, root: str = "/", *, readonly_reason: str | None = None, name: str | None = None) -> None:
        self.root = root
        self.name = name if name is not None else os.uname().nodename
        self.readonly_reason = readonly_reason
        self.capabilities = capabilities_of(self.mode, readonly=readonly_reason is not None)
        self.target: Any = TreeTarget(root, readonly_reason=readonly_reason)
        self.initiator: Any = TreeInitiator(root)
        self.facts: Any = TreeFacts(root)
        self.logs: Any = TreeLogs(root)

    @classmethod
    def here(cls, *, readonly: bool = False, name: str | None = None) -> LocalHost:
        """This machine, read-only when asked or when not root (changes need root)."""
        reason = "--readonly" if readonly else ("not root: changes need root" if os.geteuid() != 0 else None)
        return cls("/", readonly_reason=reason, name=name)

    @property
    def readonly(self) -> bool:
        return not self.capabilities.can_write

    def show_path(self, text: str) -> str:
        return text

    def cleanup(self) -> None:
        """Nothing to release."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, root={self.root!r}, readonly_reason={self.readonly_reason!r})"
