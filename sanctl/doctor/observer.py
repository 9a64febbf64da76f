"""The doctor's view of the live state over several looks: :class:`Observer` and :class:`LastLook`.

Kept apart from :mod:`sanctl.doctor.observe` (which keeps the last look in a
file) so the TUI's doctor and the exporter can watch frames without importing
a writer of files: the frames come from the host's sampler. No I/O, no Textual.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from sanctl.bounded import parse_int
from sanctl.doctor.live_facts import AclKey, LiveSnapshot, LoginCounters, SeenSession, SessionTrail, _empty

if TYPE_CHECKING:
    from sanctl.live.frame import LiveFrame

#: How long a session's past addresses count (seconds).
WINDOW = 600.0


@dataclass(frozen=True, slots=True)
class LastLook:
    """What one run of the doctor saw of the live state, for the next one."""

    wall: float
    counters: Mapping[str, LoginCounters] = field(default_factory=_empty)
    sessions: Mapping[AclKey, SeenSession] = field(default_factory=_empty)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "wall": self.wall,
            "counters": {t: [c.authorize, c.authenticate, c.total] for t, c in sorted(self.counters.items())},
            "sessions": [[k[0], k[1], k[2], s.address, s.sid, s.tsih] for k, s in sorted(self.sessions.items())],
        }

    @classmethod
    def from_json(cls, data: Any) -> LastLook | None:
        """The look a file held; None for anything that is not one (a damaged file is ignored)."""
        try:
            if not isinstance(data, dict) or data.get("version") != 1:
                return None
            counters = {str(t): LoginCounters(*(_number(x) for x in v)) for t, v in data.get("counters", {}).items()}
            sessions = {(str(t), _number(g), str(i)): SeenSession(a, s, h)
                        for t, g, i, a, s, h in data.get("sessions", [])}
            return cls(float(data["wall"]), MappingProxyType(counters), MappingProxyType(sessions))
        except (KeyError, TypeError, ValueError, AttributeError):  # wrong shape ("counters": [])
            return None


def _number(value: Any) -> int:
    """A whole number from the file (an int, or digits: never thousands of them)."""
    return value if isinstance(value, int) else parse_int(str(value))


class Observer:
    """Feed it frames (:meth:`add`); :meth:`snapshot` for the rules, :meth:`last_look` to keep."""

    def __init__(self, previous: LastLook | None = None, *, window: float = WINDOW) -> None:
        self.previous = previous
        self.window = window
        self.frame: LiveFrame | None = None
        self.looks = 0
        #: How many times a session was seen to change (log in, out, or be replaced): what can change findings.
        self.changes = 0
        self._first_wall: float | None = None
        #: per ACL: (wall, seen) each time the session differed from the time before
        self._history: dict[AclKey, list[tuple[float, SeenSession | None]]] = {}
        if previous is not None:
            for key, seen in previous.sessions.items():
                self._history[key] = [(previous.wall, seen)]

    def add(self, frame: LiveFrame) -> None:
        """One more look (call from one thread at a time)."""
        self.frame = frame
        self.looks += 1
        if self._first_wall is None:
            self._first_wall = frame.wall
        now: dict[AclKey, SeenSession] = {}
        for session in frame.sessions:
            if session.kind != "acl" or session.info is None:
                continue
            addresses = session.addresses
            sid, tsih = session.info.identity
            now[(session.target, session.tpg, session.initiator)] = SeenSession(
                addresses[0] if addresses else None, sid, tsih)
        for key in set(now) | set(self._history):
            seen = now.get(key)
            history = self._history.setdefault(key, [])
            if not history or history[-1][1] != seen:
                history.append((frame.wall, seen))
                self.changes += 1
            cutoff = frame.wall - self.window
            while len(history) > 1 and history[1][0] < cutoff:
                del history[0]  # the oldest entry still tells where the session was at the window's start
            if seen is None and len(history) == 1 and history[0][0] < cutoff:
                del self._history[key]

    def snapshot(self) -> LiveSnapshot | None:
        if self.frame is None:
            return None
        trails = {}
        for key, history in self._history.items():
            sessions = [seen for _, seen in history if seen is not None]
            addresses = tuple(dict.fromkeys(s.address for s in sessions if s.address))
            replaced = switches = 0
            for before, after in zip(sessions, sessions[1:]):
                if after.identity != before.identity:
                    replaced += 1
                    if after.address != before.address:
                        switches += 1
            trails[key] = SessionTrail(addresses, replaced, switches, history[-1][1])
        previous = self.previous
        return LiveSnapshot(
            frame=self.frame,
            trails=MappingProxyType(trails),
            baseline=previous.counters if previous is not None else None,
            baseline_wall=previous.wall if previous is not None else None,
            looks=self.looks,
            watched=self.frame.wall - (self._first_wall if self._first_wall is not None else self.frame.wall),
        )

    def last_look(self) -> LastLook | None:
        """This run's look, to keep for the next: the newest frame's counters and sessions."""
        frame = self.frame
        if frame is None:
            return None
        counters = {target: LoginCounters.of(stats) for target, stats in frame.target_stats.items()}
        sessions = {key: history[-1][1] for key, history in self._history.items() if history[-1][1] is not None}
        return LastLook(frame.wall, MappingProxyType(counters), MappingProxyType(sessions))  # type: ignore[arg-type]
