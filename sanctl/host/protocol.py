"""The Host seam: everything sanctl asks of one storage host, as typing Protocols.

The UI, the CLI's commands and the doctor talk to a :class:`Host`; what is
behind it is this machine (:class:`~sanctl.host.local.LocalHost`), a tree
captured from another one (:class:`~sanctl.host.captured.CapturedHost`) or
the demo SAN (:class:`~sanctl.host.demo.DemoHost`). Callers ask a host what
it can do (:class:`Capabilities`) instead of testing which kind it is.

Everything crossing the seam is a plain value (the frozen dataclasses of
:mod:`sanctl.model` and the readers' results), so a host reached over SSH —
an agent on the storage host speaking JSON lines — is one more class, not a
rewrite. This module imports neither Textual nor any I/O module: it is the
contract, and the implementations import the readers and writers.

Transitional: the code below the seam still takes a filesystem ``root`` and a
``mode`` word (``real``/``captured``/``demo``); a host carries both
(:attr:`Host.root`, :attr:`Host.mode`) so it can be handed wherever a
:class:`~sanctl.startup.Source` was until those functions take the host.
Code above the seam never reads ``root``: what it showed or built from it is a
host value (:attr:`Host.where`, :attr:`Host.path_labels`, :meth:`Host.state_file`,
:meth:`TargetPart.empty_config`); ``tests/host/test_seam_rules.py`` checks it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:  # types only: nothing of these is imported at run time
    from sanctl.model import SanConfig

#: What a host is: this machine, a captured tree, or the demo SAN (for display; decide on capabilities).
KINDS = ("local", "captured", "demo")


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a host can do; callers decide on these, never on the host's kind."""

    #: Changes may be applied (root on a real host, the demo unless --readonly; never a captured tree).
    can_write: bool
    #: There is an open-iscsi initiator to ask (iscsiadm, its name, its sessions).
    has_initiator: bool
    #: There is a running system to sample (sessions, counters, logs); a captured tree is still.
    has_live: bool
    #: The host is this machine: its services, kernel modules, users and dbroot are the ones sanctl runs on.
    is_this_machine: bool
    #: The kernel is simulated: its clock moves when told, its paths are a scratch tree nobody needs to read.
    simulated: bool


#: What each kind of host can do, by the word code below the seam is still handed ("real", "captured", "demo").
_BY_MODE = {
    "real": Capabilities(can_write=True, has_initiator=True, has_live=True, is_this_machine=True, simulated=False),
    "captured": Capabilities(can_write=False, has_initiator=False, has_live=False, is_this_machine=False,
                             simulated=False),
    "demo": Capabilities(can_write=True, has_initiator=True, has_live=True, is_this_machine=False, simulated=True),
}


def capabilities_of(mode: str, *, readonly: bool = False) -> Capabilities:
    """The capabilities of a host of kind ``mode`` ("real", "captured" or "demo"); ``readonly`` takes away
    writing. The one table of what each kind can do: code still handed a mode word decides on this."""
    try:
        found = _BY_MODE[mode]
    except KeyError:
        raise ValueError(f"mode must be one of {', '.join(_BY_MODE)}, not {mode!r}") from None
    return replace(found, can_write=False) if readonly else found


@runtime_checkable
class TargetPart(Protocol):
    """The LIO target: its configuration, live state and changes."""

    def read_config(self, *, details: bool = False, targets: Any = None, storage_objects: Any = None,
                    mapped_luns: bool = True, tpg_attributes: bool = True) -> SanConfig:
        """The model of the target's configuration; ``targets``/``storage_objects`` limit the read
        (a :class:`~sanctl.lio.changes.Scope`), ``details`` reads every attribute."""
        ...

    def empty_config(self) -> SanConfig:
        """The configuration of this host with nothing in it (what is shown while there is no LIO
        target, or before the first read ends); later reads and writes of it go to this host."""
        ...

    def rough_size(self) -> int:
        """Storage objects + targets, counted cheaply (a big tree is read after the first frame)."""
        ...

    def auth_settings(self, paths: Iterable[str]) -> dict[str, Any]:
        """The CHAP settings (:class:`~sanctl.model.Auth`) of the ACLs, TPGs and discovery at these
        configfs paths (relative to the target directory); a path with no ``auth`` is left out."""
        ...

    def read_in_full(self, obj: Any, storage_object: Any = None) -> Any:
        """A storage object, target, TPG, ACL or LUN of the model read again with every attribute
        (a LUN's ALUA group needs its ``storage_object``, read in full)."""
        ...

    def mapped_luns(self, acl: Any) -> Any:
        """The ACL (:class:`~sanctl.model.NodeAcl`) with its mapped LUNs read (itself when they are)."""
        ...

    def kernel_version(self) -> tuple[int, int] | None:
        """The running kernel's (major, minor), as LIO reports it (None: unknown)."""
        ...

    def details(self, config: SanConfig, node: Any) -> Any:
        """Everything about one tree node (:class:`~sanctl.details.Details`), read again."""
        ...

    def sampler(self, *, clock: Callable[[], float], wall_clock: Callable[[], float], follow: bool = True,
                history: bool = True, config: Any = None) -> Any:
        """A live sampler (:class:`~sanctl.live.sampler.Sampler`): sessions, counters, log events."""
        ...

    def before_sample(self, wall_clock: Callable[[], float]) -> tuple[Any, Any]:
        """``(move, past)``: what brings the system to a wall time before each reading, and its
        modelled rate history — the demo's simulated kernel (started at ``wall_clock()`` if still
        idle); ``(None, None)`` for a system that moves on its own."""
        ...

    def impacts(self, changes: Iterable[Any]) -> tuple[Any, ...]:
        """What each change touches (:class:`~sanctl.lio.impact.Impact`), from a fresh read."""
        ...

    def writer(self) -> Any:
        """The writer that applies plans (:class:`~sanctl.lio.writer.Writer`); read-only ones refuse."""
        ...

    def save_location(self) -> Any:
        """Where the saved configuration and its backups live (:class:`~sanctl.lio.savefile.SaveLocation`)."""
        ...

    def backups(self) -> list[Any]:
        """The saved configuration's backups, newest first (:class:`~sanctl.lio.savefile.Backup`)."""
        ...

    def prerestore_backups(self) -> list[Any]:
        """What a restore replaced, kept before it wrote, newest first (:class:`~sanctl.lio.savefile.Backup`)."""
        ...

    def read_saved(self, path: str) -> dict[str, Any]:
        """A saveconfig file of the host (the saved one or a backup) as its JSON value
        (:class:`~sanctl.lio.errors.SaveFileError` when it cannot be read or is not one)."""
        ...

    def running_saved(self, touched: Any = None) -> dict[str, Any]:
        """The running configuration as saveconfig.json would hold it. ``touched``: after sanctl's
        own write, the :class:`~sanctl.lio.changes.Scope` it may have changed — only that is read
        again; ``None`` reads everything."""
        ...

    def save_status(self, *, running_config: Any = None) -> Any:
        """Is the running configuration the saved one (:class:`~sanctl.lio.savefile.SaveStatus`)?"""
        ...

    def save(self, *, force: bool = False, past_user_lock: bool = False) -> Any:
        """Write the running configuration for boot, keeping a backup (:class:`~sanctl.lio.savefile.SaveResult`).
        ``force``: even over a much fuller saved file; ``past_user_lock``: the operator confirmed
        writing past a lock only a user's process holds."""
        ...

    def restore(self, data: Any, *, target: str | None = None, source: str = "file", expected: Any = None) -> Any:
        """Make the running configuration (or one ``target`` of it) as ``data`` holds it
        (:class:`~sanctl.lio.savefile.RestoreReport`); ``expected``: the plan the operator confirmed."""
        ...

    def lock_holders(self) -> Any:
        """Who holds targetcli's lock now (``None``: no lock file to look at)."""
        ...

    def unfinished_change(self) -> Any:
        """The writer's journal of a change killed half-way, if any."""
        ...


@runtime_checkable
class InitiatorPart(Protocol):
    """The open-iscsi initiator of the host."""

    def iscsiadm(self, *, timeouts: Any = None) -> Any:
        """The typed iscsiadm operations (:class:`~sanctl.initiator.iscsiadm.Iscsiadm`), with these deadlines
        (:class:`~sanctl.initiator.iscsiadm_records.Timeouts`; None: the usual ones)."""
        ...

    def initiator_name(self) -> Any:
        """``/etc/iscsi/initiatorname.iscsi`` parsed (:class:`~sanctl.initiator.initiator_name.InitiatorName`)."""
        ...

    def sessions(self, *, disks: bool = True) -> Any:
        """The initiator's sessions from sysfs (:class:`~sanctl.initiator.sysfs.InitiatorLive`)."""
        ...

    def name_in_use(self) -> str | None:
        """The IQN this initiator logs in with (the demo's: the one it writes when first used);
        None when it cannot be read or there is none."""
        ...

    def node_db_dir(self) -> str | None:
        """Where open-iscsi keeps its node records (``/etc/iscsi`` or ``/var/lib/iscsi``); None: not found."""
    def iscsid_conf(self) -> Any:
        """``/etc/iscsi/iscsid.conf``'s defaults as in effect (:class:`~sanctl.initiator.iscsid_conf.IscsidConf`)."""
        ...

    def change_initiator_name(self, new: str, *, alias: str | None = None) -> Any:
        """Write ``new`` as the initiator name, the old file kept as a backup
        (:class:`~sanctl.initiator.name_rules.NameChange`: the backup and what to do next)."""
        ...

    def backend(self) -> Any:
        """What the initiator tab drives (:class:`~sanctl.initiator.overview.InitiatorBackend`): the
        iscsiadm, the name file, iscsid.conf, disks, multipath and systemd of this initiator."""
        ...


@runtime_checkable
class FactsPart(Protocol):
    """What the host has besides the target: disks, addresses, services, kernel modules."""

    def block_devices(self, config: SanConfig | None = None) -> list[Any]:
        """The host's block devices (:class:`~sanctl.host.facts.BlockDevice`), marked where in use."""
        ...

    def addresses(self, config: SanConfig | None = None) -> list[str]:
        """Addresses a portal could listen on."""
        ...

    def has_tcmu(self, config: SanConfig | None = None) -> bool:
        """Whether ``user:`` backstores can be created (target_core_user is loaded, or in use)."""
        ...

    def available_fabrics(self, *, loaded: bool = False) -> tuple[str, ...]:
        """The fabric modules the host's kernel could load (``loaded``: only those loaded now, a
        quicker look than at the installed modules)."""
        ...

    def services(self) -> dict[str, Any]:
        """The states of iscsid and of the target's boot service (empty where not this machine)."""
        ...

    # what the doctor asks (None: not known here — a captured tree is not this host)

    def own_addresses(self) -> tuple[str, ...] | None:
        """The host's own addresses as LIO spells them."""
        ...

    def boot_service(self) -> Any:
        """The state of the service that restores the saved configuration at boot
        (:class:`~sanctl.initiator.services.UnitState`)."""
        ...

    def device_facts(self, paths: Iterable[str]) -> Any:
        """Each block device path: there or gone, mounted, swap (:class:`~sanctl.doctor.host_facts.DeviceFact`)."""
        ...

    def file_facts(self, paths: Iterable[str]) -> Any:
        """Each backing file's size, use and free space (:class:`~sanctl.doctor.host_facts.FileFact`)."""
        ...

    def dbroot(self) -> tuple[str | None, tuple[str, ...]] | None:
        """The kernel's dbroot and its missing subfolders (None: not this machine's kernel)."""
        ...

    def rdma(self) -> bool | None:
        """Whether a NIC does RDMA (iSER needs one)."""
        ...

    def device_exists(self, path: str, devices: Iterable[Any] | None = None) -> bool:
        """Whether ``path`` is a block device (``devices``: the ones listed already, looked at first)."""
        ...

    def client_address(self) -> str:
        """The address clients reach the host at (for their commands when a portal is a wildcard)."""
        ...

    def logical_block_size(self, kname: str) -> int:
        """A block device's logical block size in bytes (512 when unknown)."""
        ...

    def discards(self, kname: str) -> bool:
        """Whether a block device takes discards (so ``emulate_tpu=1`` is accepted on it)."""
        ...

    def free_space(self, path: str) -> int | None:
        """Bytes free where a file ``path`` would be created (None: not this machine, or unknown)."""
        ...

    def missing_directory(self, path: str) -> str | None:
        """The directory a new file ``path`` needs that does not exist yet (None on a host that makes its own)."""
        ...

    def memory(self) -> int | None:
        """Bytes of memory available (None: not this machine, or unknown)."""
        ...

    def setup_probe(self) -> Any:
        """What the setup wizard's checks read and do on the host (:class:`~sanctl.setup.probe.HostProbe`)."""
        ...


@runtime_checkable
class LogsPart(Protocol):
    """The kernel's and iscsid's messages."""

    def sources(self, *, follow: bool = True, history: bool = True, problems: list[str] | None = None) -> list[Any]:
        """Log sources for a sampler (:mod:`sanctl.kernel_log`)."""
        ...


@runtime_checkable
class Host(Protocol):
    """One storage host, as sanctl sees it."""

    #: The host's name (shown in the header).
    name: str
    #: One of :data:`KINDS`: for display and messages only.
    kind: str
    capabilities: Capabilities
    #: Why nothing may be changed (None when it may).
    readonly_reason: str | None
    target: TargetPart
    #: None when the host has no initiator to ask (a captured tree).
    initiator: InitiatorPart | None
    facts: FactsPart
    logs: LogsPart
    #: Where the host's files are read from, for display, when that is not what the name says
    #: (a captured tree: ``root /srv/capture``); None for this machine's own ``/`` and the demo.
    where: str | None
    #: How the host's paths are shown, as plain text: prefix -> what the operator reads instead
    #: (the demo's scratch tree -> ``demo:/``); empty when paths are shown as they are.
    path_labels: dict[str, str]
    #: Transitional, for code below the seam: the tree its readers are pointed at…
    root: str
    #: …and the word they still decide on ("real", "captured" or "demo").
    mode: str

    @property
    def readonly(self) -> bool:
        """Nothing may be changed (``not capabilities.can_write``)."""
        ...

    def show_path(self, text: str) -> str:
        """``text`` with paths written as a person should read them (the demo's scratch root hidden)."""
        ...

    def state_file(self, name: str) -> str | None:
        """Where sanctl keeps its own state file ``name`` for this host (the doctor's last look): in the
        demo's tree; ``/var/lib/sanctl`` when sanctl runs as root on this machine, else
        ``$XDG_STATE_HOME/sanctl``; None for a captured tree (nothing there moves, nothing to keep)."""
        ...

    def exporter_reads(self, *, once: bool = False, wall_clock: Callable[[], float] = ...) -> Any:
        """What ``sanctl exporter`` reads of this host (an ``ExporterReads``: for this machine's files,
        :mod:`sanctl.host.exporter_reads`), one method per reader: each scrape's cheap reads
        (sessions, counters, the kernel log, the initiator's sysfs) and, when it changed, the configuration.
        ``once``: one scrape (the log is read, not followed)."""
        ...

    def cleanup(self) -> None:
        """Release what the host holds (a temporary demo tree)."""
        ...
