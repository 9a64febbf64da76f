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
        self._running: Any = None  # the running configuration as saveconfig.json, kept by running_saved

    def read_config(self, *, details: bool = False, targets: Any = None, storage_objects: Any = None,
                    mapped_luns: bool = True, tpg_attributes: bool = True) -> Any:
        from sanctl.lio.configfs import read_config

        return read_config(self.root, details=details, targets=targets, storage_objects=storage_objects,
                           mapped_luns=mapped_luns, tpg_attributes=tpg_attributes)

    def empty_config(self) -> Any:
        from sanctl.model import SanConfig

        return SanConfig(root=self.root)

    def rough_size(self) -> int:
        from sanctl.lio.configfs import rough_size

        return rough_size(self.root)

    def auth_settings(self, paths: Iterable[str]) -> dict[str, Any]:
        from sanctl.lio.configfs import read_auth, target_dir

        base = target_dir(self.root)
        out = {}
        for rel in paths:
            path = os.path.join(base, rel) if rel.endswith("discovery_auth") else os.path.join(base, rel, "auth")
            if os.path.isdir(path):
                out[rel] = read_auth(path)
        return out

    def read_in_full(self, obj: Any, storage_object: Any = None) -> Any:
        from sanctl.lio import configfs as cf
        from sanctl.model import Lun, NodeAcl, StorageObject, Target, Tpg

        if isinstance(obj, StorageObject):
            return cf.read_storage_object_details(self.root, obj)
        if isinstance(obj, Target):
            return cf.read_target_details(self.root, obj)
        if isinstance(obj, Tpg):
            return cf.read_tpg_details(self.root, obj)
        if isinstance(obj, NodeAcl):
            return cf.read_acl_details(self.root, obj)
        if isinstance(obj, Lun):
            return cf.read_lun_details(self.root, obj, storage_object)
        raise TypeError(f"nothing more to read of a {type(obj).__name__}")

    def mapped_luns(self, acl: Any) -> Any:
        from sanctl.lio.configfs import read_mapped_luns

        return read_mapped_luns(self.root, acl)

    def kernel_version(self) -> tuple[int, int] | None:
        import re

        try:
            with open(os.path.join(self.root, "sys/kernel/config/target/version"), encoding="utf-8") as handle:
                text = handle.read()
        except OSError:
            return None
        m = re.search(r" on (\d+)\.(\d+)", text)
        return (int(m.group(1)), int(m.group(2))) if m else None

    def details(self, config: Any, node: Any) -> Any:
        from sanctl.details import load_details

        return load_details(config, node, self)

    def sampler(self, *, clock: Callable[[], float] = time.monotonic, wall_clock: Callable[[], float] = time.time,
                follow: bool = True, history: bool = True, config: Any = None) -> Any:
        from sanctl.live.sampler import Sampler

        problems: list[str] = []
        before, backfill = self.before_sample(wall_clock)  # first: a demo started now writes its logs' past
        sources = self._log_sources(follow=follow, history=history, problems=problems)
        return Sampler(self.root, clock=clock, wall_clock=wall_clock, log_sources=sources, before_sample=before,
                       backfill=backfill, config=config, problems=problems)

    def _log_sources(self, **options: Any) -> list[Any]:
        from sanctl.kernel_log import default_sources

        return default_sources(self.root, **options)

    def before_sample(self, wall_clock: Callable[[], float]) -> tuple[Any, Any]:
        """What moves the system before each sample, and its modelled past: nothing on a real one."""
        return None, None

    def impacts(self, changes: Iterable[Any]) -> tuple[Any, ...]:
        from sanctl.lio.impact_read import read_impacts

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

    def prerestore_backups(self) -> list[Any]:
        from sanctl.lio.savefile import list_prerestore

        return list_prerestore(self.save_location())

    def read_saved(self, path: str) -> dict[str, Any]:
        from sanctl.lio.savefile import load

        return load(path)

    def running_saved(self, touched: Any = None) -> dict[str, Any]:
        """Kept in a :class:`~sanctl.lio.savefile.RunningCache`, so a write's scope is all that is read again."""
        if self._running is None:
            from sanctl.lio.savefile import RunningCache

            self._running = RunningCache(self.root)
        return self._running.touched(touched)

    def save_status(self, *, running_config: Any = None) -> Any:
        from sanctl.lio.savefile import status

        return status(self.root, running_config=running_config)

    def save(self, *, force: bool = False, past_user_lock: bool = False) -> Any:
        from sanctl.lio.savefile import save

        writer = self.writer()
        writer.ignore_user_locks = past_user_lock
        try:
            return save(writer, force=force)
        finally:
            writer.ignore_user_locks = False

    def restore(self, data: Any, *, target: str | None = None, source: str = "file", expected: Any = None) -> Any:
        from sanctl.lio.savefile import restore

        return restore(self.writer(), data, target=target, source=source, expected=expected)

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

    def name_in_use(self) -> str | None:
        from sanctl.initiator.initiator_name import InitiatorNameError

        try:
            found = self.initiator_name()
        except (InitiatorNameError, OSError):
            return None
        return found.name if found is not None else None

    def node_db_dir(self) -> str | None:
        from sanctl.host.doctor_reads import node_db_dir

        return node_db_dir(self.root)
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

    def has_tcmu(self, config: Any = None) -> bool:
        from sanctl.host.facts import has_tcmu

        return has_tcmu(self.root, config)

    def available_fabrics(self, *, loaded: bool = False) -> tuple[str, ...]:
        from sanctl.lio.writer import FABRIC_MODULES, kernel_has_module

        def has(module: str) -> bool:
            if loaded:
                return os.path.isdir(os.path.join(self.root, "sys", "module", module))
            return kernel_has_module(self.root, module)

        return tuple(name for name, module in FABRIC_MODULES.items() if has(module))

    def services(self) -> dict[str, Any]:
        if not self.this_machine:
            return {}
        from sanctl.initiator.services import iscsid_state, target_boot_service

        return {"iscsid": iscsid_state(), "target": target_boot_service()}

    def own_addresses(self) -> tuple[str, ...] | None:
        from sanctl.host.facts import host_addresses

        found = host_addresses()
        return None if found is None else tuple(found)

    def boot_service(self) -> Any:
        if not self.this_machine:
            return None
        from sanctl.initiator.services import target_boot_service

        return target_boot_service(timeout=3.0)

    def device_facts(self, paths: Iterable[str]) -> Any:
        from sanctl.host.doctor_reads import device_facts

        return device_facts(self.root, paths)

    def file_facts(self, paths: Iterable[str]) -> Any:
        from sanctl.host.doctor_reads import file_facts

        return file_facts(self.root, paths)

    def dbroot(self) -> tuple[str | None, tuple[str, ...]] | None:
        if not self.this_machine:
            return None
        from sanctl.host.doctor_reads import dbroot_folders

        return dbroot_folders(self.root)

    def rdma(self) -> bool | None:
        from sanctl.host.facts import has_rdma

        return has_rdma(self.root)

    def device_exists(self, path: str, devices: Iterable[Any] | None = None) -> bool:
        from sanctl.host.facts import device_exists

        return device_exists(self.root, path, devices)

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


def shown_root(root: str) -> str | None:
    """:attr:`~sanctl.host.protocol.Host.where` of a tree under ``root``: said unless it is ``/``."""
    return None if root in ("", "/") else f"root {root}"


def this_machines_state_file(name: str) -> str:
    """sanctl's state file ``name`` on this machine: ``/var/lib/sanctl`` for root, else the user's
    ``$XDG_STATE_HOME/sanctl`` (``~/.local/state/sanctl``)."""
    if os.geteuid() == 0:
        return os.path.join("/var/lib/sanctl", name)
    from sanctl.state_files import user_state_dir

    return os.path.join(user_state_dir(), name)


class LocalHost:
    """This machine: ``/`` (or a root for tests), its kernel target, its initiator."""

    kind = "local"
    mode = "real"

    def __init__(self, root: str = "/", *, readonly_reason: str | None = None, name: str | None = None) -> None:
        self.root = root
        self.name = name if name is not None else os.uname().nodename
        self.where = shown_root(root)
        self.path_labels: dict[str, str] = {}
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

    def state_file(self, name: str) -> str | None:
        return this_machines_state_file(name)

    def exporter_reads(self, *, once: bool = False, wall_clock: Callable[[], float] = time.time) -> Any:
        from sanctl.host.exporter_reads import ExporterReads

        return ExporterReads(self, once=once, wall_clock=wall_clock)

    def cleanup(self) -> None:
        """Nothing to release."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, root={self.root!r}, readonly_reason={self.readonly_reason!r})"
