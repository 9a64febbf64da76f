"""What the doctor's rules get of the live state: plain values, observed elsewhere.

:class:`sanctl.doctor.observe.Observer` builds a :class:`LiveSnapshot` from
the sampler's frames and the last run's look; the rules only read it. No
I/O and no Textual here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sanctl.live.sampler import LiveFrame
    from sanctl.lio.live import TargetStats

#: (target IQN, TPG tag, initiator name): one ACL.
AclKey = tuple[str, int, str]


def _empty() -> Mapping:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class LoginCounters:
    """A target's login-failure counters (monotonic since the module was loaded)."""

    authorize: int = 0  #: no ACL for the initiator (and the TPG is not in demo mode)
    authenticate: int = 0  #: CHAP failed
    total: int = 0  #: every failed login (``login_fails``)

    @classmethod
    def of(cls, stats: TargetStats) -> LoginCounters:
        return cls(stats.authorize_fails or 0, stats.authenticate_fails or 0, stats.login_fails or 0)


@dataclass(frozen=True, slots=True)
class SeenSession:
    """An ACL's session at one look: where it came from and which session it was."""

    address: str | None
    sid: int | None
    tsih: int | None

    @property
    def identity(self) -> tuple[int | None, int | None]:
        return (self.sid, self.tsih)


@dataclass(frozen=True, slots=True)
class SessionTrail:
    """One ACL's session over the looks (within :data:`sanctl.doctor.observe.WINDOW`)."""

    addresses: tuple[str, ...]  #: distinct addresses, in the order first seen
    replaced: int  #: times the session was replaced (new session id or TSIH)
    switches: int  #: times the replacing session came from another address
    last: SeenSession | None  #: the session now (None: not logged in at the last look)


@dataclass(frozen=True)
class LiveSnapshot:
    """What the rules get of the live state."""

    frame: LiveFrame
    trails: Mapping[AclKey, SessionTrail] = field(default_factory=_empty)
    #: The targets' login-failure counters at the previous run's look; None: no previous look.
    baseline: Mapping[str, LoginCounters] | None = None
    baseline_wall: float | None = None
    looks: int = 1
    watched: float = 0.0  #: seconds between the first and the last look
