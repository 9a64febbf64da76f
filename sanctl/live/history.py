"""The last minutes of a rate, in buckets, and the sparkline that draws them.

A :class:`History` keeps the mean rate of each completed bucket (10 s by
default) for the last hour or so. Only completed buckets are drawn: the
sparkline of a row changes once per bucket, not every second, so its
characters cost the terminal nothing in between (shared/textual/PERF.md:
bytes over SSH follow what is repainted).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Sequence

BARS = "▁▂▃▄▅▆▇█"
#: What a bucket without data looks like: the baseline, so that a row filling up with
#: idle buckets does not change on screen (and costs nothing to draw again).
EMPTY = BARS[0]


class History:
    """Mean value per time bucket; the current bucket is not shown until complete."""

    def __init__(self, bucket: float = 10.0, size: int = 60) -> None:
        self.bucket = bucket
        self._done: deque[float | None] = deque(maxlen=size)
        self._index: int | None = None  # bucket number of the one being filled
        self._sum = 0.0
        self._count = 0

    def seed(self, values: Iterable[float | None], until: float) -> None:
        """Start from known completed buckets (oldest first) ending at time ``until``."""
        self._done.clear()
        self._done.extend(values)
        self._index = math.floor(until / self.bucket)
        self._sum, self._count = 0.0, 0

    def add(self, t: float, value: float | None) -> bool:
        """Add a sample at time ``t``; True if a bucket was completed (the sparkline changes)."""
        index = math.floor(t / self.bucket)
        completed = False
        if self._index is None:
            self._index = index
        elif index > self._index:
            self._done.append(self._sum / self._count if self._count else None)
            gap = min(index - self._index - 1, self._done.maxlen or 0)
            self._done.extend([None] * gap)  # buckets with no sample at all (paused, vanished)
            self._index = index
            self._sum, self._count = 0.0, 0
            completed = True
        if value is not None and index == self._index:
            self._sum += value
            self._count += 1
        return completed

    def values(self, n: int | None = None) -> tuple[float | None, ...]:
        """The last ``n`` completed buckets, oldest first."""
        done = tuple(self._done)
        return done if n is None else done[-n:]

    def __len__(self) -> int:
        return len(self._done)


def sparkline(values: Sequence[float | None], width: int, *, floor: float = 1.0) -> str:
    """``width`` characters, newest on the right, scaled to the largest value.

    Buckets without data (before the first sample, while paused) are drawn as
    the baseline. ``floor`` keeps near-idle rows from being stretched to full
    height by noise.
    """
    if width <= 0:
        return ""
    shown = list(values)[-width:]
    peak = max([v for v in shown if v is not None] or [0.0])
    top = max(peak, floor)
    chars = []
    for value in shown:
        if value is None:
            chars.append(EMPTY)
        else:
            level = int(value / top * (len(BARS) - 1) + 0.5)
            chars.append(BARS[max(0, min(level, len(BARS) - 1))])
    return EMPTY * (width - len(chars)) + "".join(chars)
