"""What the initiator tab shows, read in one go: portals, their targets and each target's state.

:func:`read_overview` makes three iscsiadm calls — the discovery records
(``-m discoverydb``), every node record in full (``-m node -o show``: one
call, whatever the number of records; it names each record's discovery
portal and its ``node.startup``), and the sessions (``-m session -P 3``:
state, negotiated parameters, disks) — then, only when a session has
disks, their sizes (sysfs) and mount points (psutil), and ``multipath -ll``.

The result is a plain value: targets grouped under the discovery portal that
found them; records whose discovery portal has no discovery record any more
(static records, iSNS, a deleted discovery record) under "other records";
sessions without any record (the record was deleted while logged in) too.

:class:`InitiatorBackend` bundles what the tab calls — the
:class:`~sanctl.initiator.iscsiadm.Iscsiadm`, the filesystem root of the
initiator name file, iscsid.conf and sysfs, disks, multipath and systemd —
so a test (or the demo) can replace any of them; the host's initiator part
(:meth:`~sanctl.host.protocol.InitiatorPart.backend`) hands one to the tab.
No Textual here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from sanctl.initiator.iscsiadm import Iscsiadm, NodeSettings, Session, parse_records
from sanctl.initiator.multipath import MultipathDevice
from sanctl.unit_states import ServiceResult, UnitState

if TYPE_CHECKING:
    from sanctl.initiator.iscsid_conf import IscsidConf
    from sanctl.initiator.name_rules import InitiatorName, NameChange

#: A node record's identity: (target, portal "address:port", iface).
NodeKey = tuple[str, str, str]

LOGGED_IN = "logged in"
NOT_LOGGED_IN = "not logged in"
FAILED = "failed"


def bracket(address: str, port: int | str) -> str:
    """``address:port``, an IPv6 address in brackets (iscsiadm's own spelling)."""
    address = address.strip()
    if ":" in address and not address.startswith("["):
        address = f"[{address}]"
    return f"{address}:{port}"


@dataclass(frozen=True, slots=True)
class DiskFacts:
    """A block device a session brought: size from sysfs, mount points from psutil."""

    device: str  # "sdb"
    size: int | None = None  # bytes
    mounts: tuple[str, ...] = ()
    holders: tuple[str, ...] = ()  # dm-3 (multipath, LVM) …


@dataclass(frozen=True, slots=True)
class TargetEntry:
    """One node record (or a session without one) and its state."""

    target: str
    portal: str
    tpgt: int | None
    iface: str
    state: str  # LOGGED_IN, NOT_LOGGED_IN, FAILED
    settings: NodeSettings | None = None  # None for a session whose record was deleted
    session: Session | None = None

    @property
    def key(self) -> NodeKey:
        return (self.target, self.portal, self.iface)

    @property
    def startup(self) -> str:
        return self.settings.startup if self.settings is not None else ""

    @property
    def favourite(self) -> bool:
        return self.settings is not None and self.settings.automatic

    @property
    def has_record(self) -> bool:
        return self.settings is not None


@dataclass(frozen=True, slots=True)
class PortalEntry:
    """A discovery portal and the targets discovery found there."""

    portal: str
    method: str
    targets: tuple[TargetEntry, ...] = ()


@dataclass(frozen=True, slots=True)
class Overview:
    portals: tuple[PortalEntry, ...] = ()
    others: tuple[TargetEntry, ...] = ()  # records without a discovery record, sessions without a record
    disks: Mapping[str, DiskFacts] = field(default_factory=lambda: MappingProxyType({}))
    multipath: tuple[MultipathDevice, ...] | None = None  # None: multipath-tools not installed

    @property
    def targets(self) -> tuple[TargetEntry, ...]:
        return tuple(t for p in self.portals for t in p.targets) + self.others

    def target(self, key: NodeKey) -> TargetEntry | None:
        for entry in self.targets:
            if entry.key == key:
                return entry
        return None

    def portal(self, portal: str) -> PortalEntry | None:
        for entry in self.portals:
            if entry.portal == portal:
                return entry
        return None

    @property
    def favourites(self) -> tuple[TargetEntry, ...]:
        return tuple(t for t in self.targets if t.favourite)


def _state(session: Session | None) -> str:
    if session is None:
        return NOT_LOGGED_IN
    return LOGGED_IN if session.logged_in else FAILED


def _discovery_portal(settings: NodeSettings) -> str:
    address, port = settings.text("node.discovery_address"), settings.text("node.discovery_port")
    return bracket(address, port) if address and port else ""


def build_overview(discovery: Sequence, records: Sequence[NodeSettings], sessions: Sequence[Session]) -> Overview:
    """Group ``records`` under the discovery records in ``discovery`` and give each its session's state.

    A record belongs to the portal its ``node.discovery_address``/``port``
    names when that portal has a SendTargets discovery record; otherwise to
    "others". Two records for one target and portal (two ifaces) stay two.
    """
    by_session: dict[tuple[str, str], Session] = {}
    for session in sessions:
        by_session.setdefault((session.target, session.portal), session)
    portals: dict[str, list[TargetEntry]] = {}
    methods: dict[str, str] = {}
    for record in discovery:
        portals.setdefault(record.portal, [])
        methods[record.portal] = record.method
    others: list[TargetEntry] = []
    used: set[tuple[str, str]] = set()
    seen: set[NodeKey] = set()
    for settings in records:
        target, portal = settings.target, settings.portal
        if not target or not portal:
            continue
        key = (target, portal, settings.iface or "default")
        if key in seen:
            continue
        seen.add(key)
        session = by_session.get((target, portal))
        if session is not None:
            used.add((target, portal))
        entry = TargetEntry(target, portal, settings.tpgt, settings.iface or "default", _state(session),
                            settings, session)
        home = _discovery_portal(settings)
        if settings.text("node.discovery_type") == "send_targets" and home in portals:
            portals[home].append(entry)
        else:
            others.append(entry)
    for (target, portal), session in by_session.items():
        if (target, portal) not in used:
            others.append(TargetEntry(target, portal, session.tpgt, session.iface or "default", _state(session),
                                      None, session))
    return Overview(
        portals=tuple(PortalEntry(p, methods[p], tuple(sorted(t, key=lambda e: (e.target, e.portal))))
                      for p, t in portals.items()),
        others=tuple(sorted(others, key=lambda e: (e.target, e.portal))),
    )


def read_overview(adm: Iscsiadm, *, disks: Callable[[Sequence[str]], Mapping[str, DiskFacts]] | None = None,
                  multipath: Callable[[], Sequence[MultipathDevice] | None] | None = None) -> Overview:
    """Discovery records, node records and sessions from ``adm``; disks and multipath when there are disks.

    Blocking (several iscsiadm calls): run it in a worker thread. iscsiadm's
    errors propagate (:class:`~sanctl.initiator.iscsiadm.IscsiadmError`).
    """
    discovery = [r for r in adm.discovery_records() if r.method == "sendtargets"]
    records = parse_records(adm.run(["-m", "node", "-o", "show"], operation="node", ok=(0, 21)).stdout)
    sessions = adm.session_details()
    overview = build_overview(discovery, records, sessions)
    devices = sorted({d.device for s in sessions for d in s.disks if d.device})
    if not devices:
        return overview
    facts = dict(disks(devices)) if disks is not None else {}
    paths = multipath() if multipath is not None else None
    return Overview(overview.portals, overview.others, MappingProxyType(facts),
                    tuple(paths) if paths is not None else None)


# ---------------------------------------------------------------------------
# Disks: size from sysfs, mount points from psutil
# ---------------------------------------------------------------------------
def _read_int(path: str) -> int | None:
    try:
        with open(path, encoding="ascii") as handle:
            return int(handle.read().strip())
    except (OSError, ValueError):
        return None


def _listdir(path: str) -> list[str]:
    try:
        return sorted(os.listdir(path))
    except OSError:
        return []


def disk_facts(devices: Sequence[str], *, root: str = "/") -> dict[str, DiskFacts]:
    """Size and holders of each ``sdX`` from ``<root>/sys/block``; mount points (of the disk, its
    partitions and its holders) from psutil, on the real host only (``root`` is ``/``)."""
    mounts: dict[str, list[str]] = {}
    if os.path.abspath(root) == "/":
        try:
            import psutil

            for part in psutil.disk_partitions(all=False):
                mounts.setdefault(os.path.basename(os.path.realpath(part.device)), []).append(part.mountpoint)
        except Exception:  # psutil missing or /proc unreadable: no mount points, not a crash
            mounts = {}
    facts = {}
    for device in devices:
        base = os.path.join(root, "sys", "block", device)
        sectors = _read_int(os.path.join(base, "size"))
        parts = [p for p in _listdir(base) if p.startswith(device)]
        holders = _listdir(os.path.join(base, "holders"))
        for part in parts:
            holders += [h for h in _listdir(os.path.join(base, part, "holders")) if h not in holders]
        found: list[str] = []
        for name in (device, *parts, *holders):
            found += [m for m in mounts.get(name, ()) if m not in found]
        facts[device] = DiskFacts(device, None if sectors is None else sectors * 512, tuple(found), tuple(holders))
    return facts


# ---------------------------------------------------------------------------
# What the tab calls, replaceable
# ---------------------------------------------------------------------------
def _boot_login() -> UnitState:
    from sanctl.initiator.services import boot_login_service

    return boot_login_service()


def _restart_iscsid() -> ServiceResult:
    from sanctl.initiator.services import restart_iscsid

    return restart_iscsid()


def _multipath() -> list[MultipathDevice] | None:
    from sanctl.initiator.multipath import multipath_devices

    return multipath_devices()


@dataclass
class InitiatorBackend:
    """Everything the initiator tab drives. ``root`` is where ``etc/iscsi/initiatorname.iscsi``,
    ``etc/iscsi/iscsid.conf`` and ``sys/block`` are read; ``notice``, when set, tells the operator where
    this backend acts. Each callable left out is this root's (the host's initiator part hands it in)."""

    iscsiadm: Iscsiadm
    root: str = "/"
    disks: Callable[[Sequence[str]], Mapping[str, DiskFacts]] | None = None
    multipath: Callable[[], Sequence[MultipathDevice] | None] | None = _multipath
    boot_login: Callable[[], UnitState] = _boot_login
    restart_iscsid: Callable[[], ServiceResult] = _restart_iscsid
    generate_name: Callable[[], str] | None = None
    #: The initiator name file as it is (:class:`~sanctl.initiator.name_rules.InitiatorName`, None: no file).
    read_name: Callable[[], InitiatorName | None] | None = None
    #: ``change_name(new)``: write a new name, the old file kept as a backup (:class:`NameChange`).
    change_name: Callable[[str], NameChange] | None = None
    #: iscsid.conf's defaults as in effect (:class:`~sanctl.initiator.iscsid_conf.IscsidConf`).
    iscsid_conf: Callable[[], IscsidConf] | None = None
    #: Said at the top of the tab when set: where this backend acts (the demo's simulation, a test's fake).
    notice: str | None = None

    def __post_init__(self) -> None:
        root = self.root
        if self.disks is None:
            self.disks = lambda devices: disk_facts(devices, root=root)
        if self.generate_name is None:
            def generate() -> str:
                from sanctl.initiator.initiator_name import generate_initiator_name

                return generate_initiator_name(root=root)

            self.generate_name = generate
        if self.read_name is None:
            def read_name() -> InitiatorName | None:
                from sanctl.initiator.initiator_name import read_initiator_name

                return read_initiator_name(root)

            self.read_name = read_name
        if self.change_name is None:
            def change_name(new: str) -> NameChange:
                from sanctl.initiator.initiator_name import change_initiator_name

                return change_initiator_name(new, root=root)

            self.change_name = change_name
        if self.iscsid_conf is None:
            def iscsid_conf() -> IscsidConf:
                from sanctl.initiator import iscsid_conf

                return iscsid_conf.read(root)

            self.iscsid_conf = iscsid_conf

    def overview(self) -> Overview:
        return read_overview(self.iscsiadm, disks=self.disks, multipath=self.multipath)
