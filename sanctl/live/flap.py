"""Flapping, and its classic cause named outright.

Two detectors, both pure over what was seen:

- :func:`connection_flaps`: several connection errors on one initiator
  connection within a few minutes (default: 3 in 5 minutes) — a connection
  that keeps failing and recovering.
- :class:`SessionChanges` + :func:`shared_name_findings`: on the target, an
  ACL whose session keeps being *replaced* — the session id and TSIH change
  again and again, the initiator's address often alternating. That is LIO
  reinstating the session because a second login came with the same
  initiator name and ISID: two hosts share one InitiatorName (a cloned VM,
  a copied ``/etc/iscsi/initiatorname.iscsi``). Each login kicks the other
  host, which sees error 1020 and logs in again. The finding names the
  addresses seen and the fix: give each host its own initiator name and ACL.

A finding is active while it goes on; once the sessions have been stable
for a minute (:data:`STABLE`: no error, no replacement) it is stopped — and
stays listed, inactive, for an hour after the last change, so a flap that
stopped is still explained. A shared initiator name is named as soon as it
shows: the session replaced from one address by another and back, or once
while this host's connection to that target fails with 1020 — a host whose
address changed moves once and stays.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sanctl import words
from sanctl.iscsi_errors import SHARED_NAME_FIX, conn_error
from sanctl.live.events import Incident
from sanctl.lio.live_values import TargetSession

WINDOW = 300.0
THRESHOLD = 3
KEEP = 3600.0
#: Seconds without a new error or replacement after which a finding is no longer active.
STABLE = 60.0
#: A session that disappears and is back within this many seconds was replaced, not logged out.
GAP = 30.0

@dataclass(frozen=True, slots=True)
class Finding:
    """Something wrong that several observations show together."""

    kind: str  #: "connection_flap" or "shared_initiator_name"
    key: tuple
    title: str
    lines: tuple[str, ...]
    fix: str
    count: int
    first: float | None
    last: float | None
    active: bool
    severity: str = "error"
    connection: str | None = None
    target: str | None = None
    tpg: int | None = None
    initiator: str | None = None
    addresses: tuple[str, ...] = ()
    codes: tuple[int, ...] = ()


def _in_window(times: Sequence[float | None], end: float | None, window: float) -> int:
    if end is None:
        return len(times)
    return sum(1 for t in times if t is None or end - window <= t <= end)


def connection_flaps(incidents: Iterable[Incident], now: float | None, *, window: float = WINDOW,
                     threshold: int = THRESHOLD, keep: float = KEEP, stable: float = STABLE,
                     recoveries: dict[str, str] | None = None) -> list[Finding]:
    """A finding per initiator connection with ``threshold`` errors or more within ``window`` seconds."""
    by_conn: dict[str, list[Incident]] = {}
    for incident in incidents:
        if incident.code is not None and incident.connection:
            by_conn.setdefault(incident.connection, []).append(incident)
    findings = []
    for connection, items in sorted(by_conn.items()):
        times = [i.time for i in items]
        last = max((t for t in times if t is not None), default=None)
        if _in_window(times, last, window) < threshold:
            continue
        if now is not None and last is not None and now - last > keep:
            continue
        recent = [i for i in items if last is None or i.time is None or i.time >= last - window]
        codes = tuple(sorted({i.code for i in recent if i.code is not None}))
        first = min((i.time for i in recent if i.time is not None), default=None)
        active = now is None or last is None or now - last <= stable
        target = next((i.target for i in reversed(items) if i.target), None)
        portal = next((i.portal for i in reversed(items) if i.portal), None)
        label = ", ".join(conn_error(c).label for c in codes)
        span = _span(first, last)
        lines = [f"{words.plural(len(recent), 'error')} ({label}){span} on connection {connection}"
                 + (f" to {target}" if target else "") + (f" at {portal}" if portal else "") + "."]
        if recoveries and connection in recoveries:
            lines.append(f"iscsid {recoveries[connection]} each time; it keeps failing again.")
        if 1020 in codes:
            lines.append("1020: the target closed the connection. Repeating every few seconds, this is "
                         "usually another host logging in with this host's initiator name.")
        findings.append(Finding(
            kind="connection_flap", key=("flap", connection),
            title=f"Connection {connection} is flapping",
            lines=tuple(lines), fix=conn_error(codes[-1]).fix if codes else "",
            count=len(recent), first=first, last=last, active=active,
            severity="error" if active else "warning",
            connection=connection, target=target, codes=codes))
    return findings


def _span(first: float | None, last: float | None) -> str:
    if first is None or last is None:
        return ""
    seconds = last - first
    if seconds < 90:
        return f" in {seconds:.0f} s"
    return f" in {seconds / 60:.0f} min"


@dataclass(frozen=True, slots=True)
class SessionChange:
    """An ACL's session replaced by another (new session id or TSIH)."""

    time: float
    target: str
    tpg: int
    initiator: str
    old: tuple[int | None, int | None]
    new: tuple[int | None, int | None]
    old_address: str | None
    new_address: str | None


class SessionChanges:
    """Remembers each ACL's session identity between samples and records replacements."""

    def __init__(self, limit: int = 5000) -> None:
        self._seen: dict[tuple[str, int, str], tuple[tuple[int | None, int | None], str | None, float]] = {}
        self.changes: deque[SessionChange] = deque(maxlen=limit)

    def observe(self, time: float, target: str, tpg: int, initiator: str,
                session: TargetSession | None) -> SessionChange | None:
        """One reading of an ACL; the change it shows, if any."""
        key = (target, tpg, initiator)
        if session is None or session.info is None:
            return None  # logged out (or between two logins): keep the last identity for GAP seconds
        identity = session.info.identity
        address = session.addresses[0] if session.addresses else None
        seen = self._seen.get(key)
        self._seen[key] = (identity, address, time)
        if seen is None or seen[0] == identity:
            return None
        old_identity, old_address, seen_at = seen
        if time - seen_at > GAP and old_address == address:
            return None  # an ordinary logout and login some time apart
        change = SessionChange(time, target, tpg, initiator, old_identity, identity, old_address, address)
        self.changes.append(change)
        return change

    def forget(self, keep: Iterable[tuple[str, int, str]]) -> None:
        wanted = set(keep)
        for key in [k for k in self._seen if k not in wanted]:
            del self._seen[key]


def shared_name_findings(changes: Iterable[SessionChange], now: float | None, *, window: float = WINDOW,
                         threshold: int = THRESHOLD, keep: float = KEEP, stable: float = STABLE,
                         flaps: Sequence[Finding] = ()) -> list[Finding]:
    """A finding per ACL whose session was replaced ``threshold`` times or more within ``window``, or
    came from another address twice, or once while a connection to that target fails with 1020."""
    by_acl: dict[tuple[str, int, str], list[SessionChange]] = {}
    for change in changes:
        by_acl.setdefault((change.target, change.tpg, change.initiator), []).append(change)
    findings = []
    for (target, tpg, initiator), items in sorted(by_acl.items()):
        last = items[-1].time
        recent = [c for c in items if c.time >= last - window]
        moves = sum(1 for c in recent if c.old_address and c.new_address and c.old_address != c.new_address)
        failing = any(f.kind == "connection_flap" and f.target == target and 1020 in f.codes and f.active
                      for f in flaps)
        if len(recent) < threshold and moves < 2 and not (moves and failing):
            continue
        if now is not None and now - last > keep:
            continue
        addresses: list[str] = []
        for change in recent:
            for address in (change.old_address, change.new_address):
                if address and address not in addresses:
                    addresses.append(address)
        first = recent[0].time
        active = now is None or now - last <= stable
        sids = f"session id {recent[0].old[0]} → {recent[-1].new[0]}"
        lines = [f"LIO replaced the session of {initiator} on {target} (TPG {tpg}) "
                 f"{len(recent)} time{'' if len(recent) == 1 else 's'}"
                 f"{_span(first, last)} ({sids})."]
        if len(addresses) > 1:
            lines.append(f"It came from {' and '.join(addresses)} in turn: two hosts use this one initiator name "
                         "and the same ISID, so each login reinstates — and drops — the other host's session.")
            title = f"One initiator name, {len(addresses)} hosts: {initiator}"
        else:
            where = f" from {addresses[0]}" if addresses else ""
            lines.append(f"Every login came{where}: two initiators behind one address (NAT, or two iscsid "
                         "on one host) with the same name and ISID reinstate each other's session.")
            title = f"Session keeps being reinstated: {initiator}"
        related = [f for f in flaps if f.kind == "connection_flap" and f.target == target]
        for flap in related:
            lines.append(f"On this host, connection {flap.connection} to it gets "
                         f"{', '.join(conn_error(c).label for c in flap.codes)} each time ({flap.count}×).")
        findings.append(Finding(
            kind="shared_initiator_name", key=("shared", target, tpg, initiator), title=title,
            lines=tuple(lines), fix=SHARED_NAME_FIX, count=len(recent), first=first, last=last,
            active=active, severity="error" if active else "warning", target=target, tpg=tpg,
            initiator=initiator, addresses=tuple(addresses)))
    return findings
