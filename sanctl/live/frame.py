"""What the live sampler hands the screens each tick: :class:`LiveFrame`, its settings and row keys.

Plain frozen values, kept apart from :mod:`sanctl.live.sampler` (which reads
configfs) so that a screen, or a host reached over SSH, can hold a frame
without importing a reader. No I/O, no Textual.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from sanctl.initiator.sysfs import InitiatorLive
from sanctl.live.events import Incident
from sanctl.live.flap import Finding
from sanctl.live.rates import Rate
from sanctl.lio.live_values import LunStats, MappedLunStats, TargetLayout, TargetSession, TargetStats


def _empty() -> Mapping:
    return MappingProxyType({})


@dataclass(frozen=True)
class LiveConfig:
    interval: float = 1.0
    sweep_every: int = 10
    structure_every: float = 30.0
    all_hot_below: int = 300
    bucket: float = 10.0
    history_buckets: int = 60
    flap_window: float = 300.0
    flap_threshold: int = 3
    #: Read every ACL's mapped-LUN counters too (the CLI's JSON); the TUI reads them only when shown.
    mapped_all: bool = False


@dataclass(frozen=True)
class LiveFrame:
    """Everything the live panels show, at one tick."""

    seq: int
    mono: float
    wall: float
    #: Changes whenever the layout or the set of sessions changes (rows to build again).
    structure: int = 0
    #: The LUN rows' keys: the same list object while the layout stays the same.
    lun_keys: tuple = ()
    layout: tuple[TargetLayout, ...] = ()
    sessions: tuple[TargetSession, ...] = ()
    #: Rates by row key: ("session", ...), ("tpg", target, tag), ("lun", ...), ("mlun", ..., mapped LUN).
    rates: Mapping[tuple, Rate] = field(default_factory=_empty)
    target_stats: Mapping[str, TargetStats] = field(default_factory=_empty)
    luns: tuple[LunStats, ...] = ()
    backstores: Mapping[tuple[str, int, int], str | None] = field(default_factory=_empty)
    mapped: Mapping[tuple[str, int, str], tuple[MappedLunStats, ...]] = field(default_factory=_empty)
    idle_acls: Mapping[tuple[str, int], int] = field(default_factory=_empty)
    initiator: InitiatorLive = field(default_factory=InitiatorLive)
    incidents: tuple[Incident, ...] = ()
    incidents_version: int = 0
    findings: tuple[Finding, ...] = ()
    by_connection: Mapping[str, int] = field(default_factory=_empty)
    by_target: Mapping[str, int] = field(default_factory=_empty)
    histories: Mapping[tuple, tuple[float | None, ...]] = field(default_factory=_empty)
    recoveries: Mapping[str, str] = field(default_factory=_empty)
    problems: tuple[str, ...] = ()
    boot_wall: float | None = None
    #: The kernel's HZ (how ``last_fail_time`` is counted); None: unknown.
    hz: int | None = None
    #: A simulated kernel (the demo): ``last_fail_time`` is plain hundredths of a second.
    simulated: bool = False
    items_read: int = 0
    untrusted: int = 0  #: journal entries claiming an iSCSI event their trusted fields do not back


def item_keys(row_key: tuple) -> tuple[tuple, ...]:
    """The items to read for a row the screen shows."""
    kind = row_key[0]
    if kind == "session":
        _, target, tpg, session_kind, initiator = row_key
        return (("acl", target, tpg, initiator),) if session_kind == "acl" else (("dyn", target, tpg),)
    if kind == "tpg":
        return (("target", row_key[1]), ("dyn", row_key[1], row_key[2]))
    if kind in ("lun", "mapped", "target"):
        return (row_key,)
    return ()
