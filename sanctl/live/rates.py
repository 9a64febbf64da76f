"""Rates from counter deltas over monotonic time.

Kernel counters only grow — until they don't: a session that logs in again
starts its ``iscsi_sess_stats`` from zero, a module reload resets everything,
a LUN that is deleted and re-created starts over. :class:`RateTracker` turns
successive readings into per-second rates and handles those cases quietly:
a decrease, a changed identity (the session id behind the counters) or a
missing value gives ``None`` for that sample — never a negative rate and
never a spike — and the next sample is a normal rate again.

Time is whatever monotonic clock the caller passes (``time.monotonic`` in
the app, a fake clock in tests). Optionally a rate is computed over a
window of the last few seconds instead of the last interval, which smooths
coarse counters (the MiB counters of LUN statistics move in steps of one).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

Values = Sequence[int | None]


@dataclass(frozen=True, slots=True)
class Rate:
    """Commands per second and bytes per second read and written; ``None`` = unknown."""

    cmds: float | None = None
    read: float | None = None
    write: float | None = None

    @property
    def total(self) -> float | None:
        """Bytes per second, read + write."""
        if self.read is None and self.write is None:
            return None
        return (self.read or 0.0) + (self.write or 0.0)


UNKNOWN = Rate()


class RateTracker:
    """Per-key rates from successive counter readings."""

    def __init__(self, window: float = 0.0, keep: int = 8) -> None:
        """``window``: compute each rate against the oldest reading at most this many seconds old."""
        self.window = window
        self._readings: dict[Hashable, deque[tuple[float, object, tuple[int | None, ...]]]] = {}
        self._keep = keep

    def update(self, key: Hashable, t: float, values: Values, identity: object = None) -> tuple[float | None, ...] | None:
        """Record a reading at monotonic time ``t``; the rates since the previous one (or ``None``)."""
        current = tuple(values)
        history = self._readings.get(key)
        if history is None:
            history = self._readings[key] = deque(maxlen=self._keep)
        elif history and history[-1][1] != identity:
            history.clear()  # a new session behind the same key: its counters started over
        base = self._base(history, t)
        history.append((t, identity, current))
        if base is None:
            return None
        t0, _identity, old = base
        dt = t - t0
        if dt <= 0:
            return None
        rates: list[float | None] = []
        reset = False
        for before, now in zip(old, current):
            if before is None or now is None:
                rates.append(None)
            elif now < before:
                rates.append(None)
                reset = True
            else:
                rates.append((now - before) / dt)
        if reset:  # start over from this reading: older ones belong to the counters before the reset
            history.clear()
            history.append((t, identity, current))
        return tuple(rates)

    def _base(self, history: deque, t: float):
        if not history:
            return None
        if self.window <= 0:
            return history[-1]
        base = history[-1]
        for reading in reversed(history):
            if t - reading[0] > self.window:
                break
            base = reading
        if base[0] >= t:
            return None
        return base

    def forget(self, key: Hashable) -> None:
        self._readings.pop(key, None)

    def retain(self, keys: Iterable[Hashable]) -> None:
        """Drop every key not in ``keys`` (vanished sessions and LUNs)."""
        keep = set(keys)
        for key in [k for k in self._readings if k not in keep]:
            del self._readings[key]

    def __contains__(self, key: Hashable) -> bool:
        return key in self._readings
