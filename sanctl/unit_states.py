"""systemd's words for a unit's enablement that sanctl acts on (``systemctl is-enabled``), and what
systemctl said about a unit or a restart.

Plain values: the service readers (:mod:`sanctl.initiator.services`), the doctor's pure rules and the
initiator's screens all use them.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The states in which a unit starts at boot (or with what pulls it in).
ENABLED_STATES = frozenset({"enabled", "enabled-runtime", "static", "indirect", "alias", "generated"})


@dataclass(frozen=True, slots=True)
class UnitState:
    """What systemctl said about one unit: ``state`` is its word (``enabled``,
    ``disabled``, ``masked``, ``active``, ``inactive`` …), ``not-found``, or ``unknown``."""

    unit: str
    state: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ServiceResult:
    ok: bool
    message: str
