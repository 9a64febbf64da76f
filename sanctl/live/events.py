"""The connection errors panel's list: incidents, merged and labelled, with counts.

One problem often shows as several lines: the kernel's ``detected conn error
(1020)`` and iscsid's ``Kernel reported iSCSI connection 1:0 error (1020 ...)``
are the same error; LIO's ``not authorized`` is followed by ``iSCSI Login
negotiation failed.`` and shows up again as a step of the target's
``login_fails`` counter. :class:`EventLog` merges such lines into one
:class:`Incident`, labels initiator connections with their target and portal
(from iscsid's "operational" lines and from sysfs), and counts incidents per
connection and per target. Purely informational lines (a connection came
up, recovered) update labels and recovery notes but are not listed.
"""

from __future__ import annotations

import itertools
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, replace

from sanctl.iscsi_errors import conn_error, message_kind
from sanctl.kernel_log import LogEvent

#: Lines that inform but are not problems: not listed as incidents.
INFO_KINDS = frozenset({"operational", "recovered"})

#: Merge a kernel conn error and iscsid's report of it when this close (seconds).
CONN_MERGE = 3.0
#: Merge a counter-derived login failure with LIO's log line when this close.
LOGIN_MERGE = 15.0
#: LIO's lines of one refused login come within this (seconds): the cause, then "iSCSI Login negotiation failed."
ATTEMPT = 1.0

#: LIO's lines that name why it refused a login (each one attempt, with its cause).
LOGIN_CAUSE_KINDS = frozenset({
    "target_not_authorized", "target_auth_required", "target_chap_not_set", "target_chap_user_mismatch",
    "target_security_failed", "target_no_tpg", "target_not_found"})
#: Every incident that is one refused login (the cause, or LIO's bare "negotiation failed", or this
#: host's iscsid seeing the target's CHAP answer wrong).
LOGIN_KINDS = LOGIN_CAUSE_KINDS | {"target_negotiation_failed", "login_mutual_failed"}
#: iscsid's words for a refused login of this host: the same attempt as LIO's lines, seen from here.
ISCSID_LOGIN_KINDS = frozenset({"login_auth_failed", "login_rejected", "login_mutual_failed"})


@dataclass(frozen=True, slots=True)
class Incident:
    """One row of the errors panel."""

    seq: int
    kind: str
    time: float | None  #: wall clock, when known
    side: str  #: "initiator" or "target"
    message: str
    sources: tuple[str, ...]  #: "kernel", "iscsid", "configfs"
    connection: str | None = None  #: ``<sid>:<cid>`` on the initiator
    sid: int | None = None
    code: int | None = None
    target: str | None = None
    portal: str | None = None
    initiator: str | None = None
    address: str | None = None
    tpgt: int | None = None
    detail: str | None = None
    uptime: float | None = None

    @property
    def key(self) -> tuple[str, int]:
        return ("incident", self.seq)

    @property
    def title(self) -> str:
        if self.code is not None:
            return conn_error(self.code).label
        return message_kind(self.kind).title

    @property
    def meaning(self) -> str:
        if self.code is not None:
            return conn_error(self.code).meaning
        return message_kind(self.kind).meaning

    @property
    def fix(self) -> str:
        if self.code is not None:
            return conn_error(self.code).fix
        return message_kind(self.kind).fix

    @property
    def severity(self) -> str:
        if self.code is not None:
            return "error"
        return message_kind(self.kind).severity

    @property
    def where(self) -> str:
        """The connection or initiator the incident is about, for a table cell."""
        if self.connection:
            return f"conn {self.connection}"
        if self.initiator:
            return self.initiator
        if self.portal:
            return self.portal
        return self.target or ""


class EventLog:
    """Incidents in arrival order (bounded), their labels and counts."""

    def __init__(self, limit: int = 2000) -> None:
        self.incidents: deque[Incident] = deque(maxlen=limit)
        self._seq = itertools.count(1)
        #: initiator session id -> (target, portal)
        self.connections: dict[int, tuple[str | None, str | None]] = {}
        #: connection -> last recovery note
        self.recoveries: dict[str, str] = {}
        self.version = 0  #: bumped whenever the list changes

    # --- labels ----------------------------------------------------------------

    def label(self, sid: int, target: str | None, portal: str | None) -> None:
        """What an initiator session is connected to (from sysfs)."""
        old = self.connections.get(sid, (None, None))
        self.connections[sid] = (target or old[0], portal or old[1])

    def _labelled(self, incident: Incident) -> Incident:
        if incident.sid is None or (incident.target and incident.portal):
            return incident
        target, portal = self.connections.get(incident.sid, (None, None))
        return replace(incident, target=incident.target or target, portal=incident.portal or portal)

    # --- adding ------------------------------------------------------------------

    def add(self, events: Iterable[LogEvent]) -> list[Incident]:
        """Log events in; the incidents that are new (merged lines are not new)."""
        new: list[Incident] = []
        for event in events:
            if event.kind == "operational" and event.sid is not None:
                self.label(event.sid, event.target, event.portal)
                continue
            if event.kind == "recovered" and event.connection:
                self.recoveries[event.connection] = f"recovered ({event.detail})" if event.detail else "recovered"
                continue
            if event.kind in INFO_KINDS:
                continue
            incident = self._labelled(Incident(
                seq=0, kind=event.kind, time=event.wall, side=event.side, message=event.message,
                sources=(event.source,), connection=event.connection if event.cid is not None else None,
                sid=event.sid, code=event.code, target=event.target, portal=event.portal,
                initiator=event.initiator, address=event.address, tpgt=event.tpgt, detail=event.detail,
                uptime=event.uptime))
            if self._merge(incident):
                continue
            incident = replace(incident, seq=next(self._seq))
            self.incidents.append(incident)
            new.append(incident)
        if new:
            self.version += 1
        return new

    def add_derived(self, kind: str, time: float, *, message: str, target: str | None = None,
                    initiator: str | None = None, address: str | None = None, tpgt: int | None = None,
                    detail: str | None = None) -> Incident | None:
        """An incident seen in configfs (a reinstated session, a login-failure counter step)."""
        incident = Incident(seq=0, kind=kind, time=time, side="target", message=message, sources=("configfs",),
                            target=target, initiator=initiator, address=address, tpgt=tpgt, detail=detail)
        if self._merge(incident):
            return None
        incident = replace(incident, seq=next(self._seq))
        self.incidents.append(incident)
        self.version += 1
        return incident

    def _merge(self, incident: Incident) -> bool:
        """Fold the incident into a recent one that is the same problem; True if it was."""
        for index in range(len(self.incidents) - 1, max(-1, len(self.incidents) - 40), -1):
            other = self.incidents[index]
            merged = _merged(other, incident)
            if merged is not None:
                self.incidents[index] = merged
                self.version += 1
                return True
        return False

    # --- counts ------------------------------------------------------------------

    def counts_by_connection(self, since: float | None = None) -> Counter[str]:
        return Counter(i.connection for i in self.incidents
                       if i.connection and i.code is not None and _after(i, since))

    def counts_by_target(self, since: float | None = None) -> Counter[str]:
        return Counter(i.target or "(unknown target)" for i in self.incidents if _after(i, since))

    def recent(self, since: float) -> list[Incident]:
        return [i for i in self.incidents if i.time is not None and i.time >= since]


def _after(incident: Incident, since: float | None) -> bool:
    return since is None or incident.time is None or incident.time >= since


def _close(a: float | None, b: float | None, limit: float) -> bool:
    if a is None or b is None:
        return True  # lines without timestamps: adjacent ones are merged
    return abs(a - b) <= limit


def _merged(old: Incident, new: Incident) -> Incident | None:
    """``old`` with ``new`` folded in, if they are one problem; else None."""
    if new.code is not None and old.code == new.code and old.connection == new.connection \
            and new.sources[0] not in old.sources and _close(old.time, new.time, CONN_MERGE):
        kernel_first = "kernel" in old.sources
        return replace(old, sources=old.sources + new.sources,
                       time=old.time if kernel_first or old.time is not None else new.time,
                       detail=old.detail or new.detail, message=old.message if kernel_first else new.message)
    login = _merged_login(old, new)
    if login is not None:
        return login
    pair = {old.kind, new.kind}
    if "target_login_failure" in pair and pair & LOGIN_KINDS and len(pair) == 2 \
            and (old.initiator == new.initiator or _unnamed(old.initiator) or _unnamed(new.initiator)) \
            and "configfs" not in old.sources and new.sources[0] not in old.sources \
            and _close(old.time, new.time, LOGIN_MERGE):
        # LIO's counters and its log line tell of the same refused login: one incident, the line's cause
        base, extra = (old, new) if old.kind != "target_login_failure" else (new, old)
        return replace(old, kind=base.kind, message=base.message, sources=old.sources + new.sources,
                       target=old.target or new.target, initiator=old.initiator or new.initiator,
                       address=old.address or new.address, tpgt=old.tpgt or new.tpgt,
                       detail=base.detail or extra.detail)
    return None


def _unnamed(initiator: str | None) -> bool:
    """LIO's ``fail_intr_name`` says "Unknown" (or "None") when it refused before reading the name."""
    return initiator in (None, "", "Unknown", "None")


def _open_attempt(incident: Incident) -> bool:
    """A refused login whose closing "negotiation failed" line has not come yet."""
    return "login negotiation failed" not in (incident.detail or "")


def _with_detail(incident: Incident, more: str) -> str:
    return (incident.detail + "; " if incident.detail else "") + more


def _merged_login(old: Incident, new: Incident) -> Incident | None:
    """One refused login, however many lines tell it: LIO's cause, its "Security negotiation failed.",
    its closing "iSCSI Login negotiation failed.", iscsid's words here, and the 1020 that ends it."""
    if old.kind in LOGIN_CAUSE_KINDS and _open_attempt(old) and _close(old.time, new.time, ATTEMPT):
        if new.kind == "target_security_failed" and old.kind in (
                "target_chap_not_set", "target_chap_user_mismatch", "target_auth_required"):
            return replace(old, detail=_with_detail(old, "security negotiation failed"))
        if new.kind == "target_negotiation_failed":
            return replace(old, detail=_with_detail(old, "login negotiation failed"))
    if new.code == 1020 and old.kind in LOGIN_KINDS and old.side == "target" and not _open_attempt(old) \
            and _close(old.time, new.time, ATTEMPT):
        if "1020" in (old.detail or ""):
            return old if old.connection == new.connection else None  # iscsid repeating the same 1020
        return replace(old, sources=old.sources + tuple(s for s in new.sources if s not in old.sources),
                       connection=old.connection or new.connection,
                       detail=_with_detail(old, f"the initiator saw error 1020 on connection {new.connection}"))
    if new.kind in ISCSID_LOGIN_KINDS and old.kind in LOGIN_KINDS and "iscsid" not in old.sources \
            and _close(old.time, new.time, CONN_MERGE):
        kind = "login_mutual_failed" if new.kind == "login_mutual_failed" and old.kind == \
            "target_negotiation_failed" else old.kind
        message = new.message if kind != old.kind else old.message
        return replace(old, kind=kind, message=message, sources=old.sources + ("iscsid",),
                       target=old.target or new.target, detail=_with_detail(old, f"iscsid: {new.message}"))
    if new.kind in ISCSID_LOGIN_KINDS and old.kind in ISCSID_LOGIN_KINDS and old.side == "initiator" \
            and _close(old.time, new.time, CONN_MERGE) and old.target in (None, new.target) \
            and (old.sid is None or new.sid is None or old.sid == new.sid):
        kind = "login_mutual_failed" if "login_mutual_failed" in (old.kind, new.kind) else old.kind
        return replace(old, kind=kind, target=old.target or new.target, sid=old.sid or new.sid,
                       detail=_with_detail(old, new.message))
    if new.kind in LOGIN_KINDS and new.side == "target" and old.kind in ISCSID_LOGIN_KINDS \
            and old.side == "initiator" and _close(old.time, new.time, CONN_MERGE):
        kind = "login_mutual_failed" if old.kind == "login_mutual_failed" and \
            new.kind == "target_negotiation_failed" else new.kind
        return replace(new, seq=old.seq, kind=kind, sources=new.sources + ("iscsid",),
                       detail=_with_detail(new, f"iscsid: {old.message}"))
    return None
