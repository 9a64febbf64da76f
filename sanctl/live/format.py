"""Numbers and times as the live panels and the CLI print them: short, fixed width, no surprises.

Rates are bytes per second shown in MiB/s (1 MiB = 2^20 bytes, what the
kernel's ``*_mbytes`` counters count); an unknown rate is a middle dot, so a
column never jumps between "0" and nothing. Times are local wall-clock
``HH:MM:SS`` (the TZ of the process; tests set UTC).
"""

from __future__ import annotations

import time

from sanctl import words

MiB = 1 << 20
UNKNOWN = "·"


def mib_rate(bytes_per_second: float | None, width: int = 7) -> str:
    """``12.3`` MiB/s, right-aligned in ``width``; ``·`` when unknown."""
    if bytes_per_second is None:
        return UNKNOWN.rjust(width)
    value = bytes_per_second / MiB
    if value >= 9999.5:
        text = f"{value / 1024:.0f}G"
    elif value >= 99.95:
        text = f"{value:.0f}"
    else:
        text = f"{value:.1f}"
    return text.rjust(width)


def per_second(value: float | None, width: int = 7) -> str:
    """Commands per second: integers, ``12.3k`` above ten thousand."""
    if value is None:
        return UNKNOWN.rjust(width)
    if value >= 9999.5:
        return f"{value / 1000:.1f}k".rjust(width)
    return f"{value:.0f}".rjust(width)


def size(n: int | None) -> str:
    """A disk size: ``10.0 GiB``."""
    return words.size(n)


def clock(wall: float | None) -> str:
    """``HH:MM:SS`` local time; ``--:--:--`` when the line had no time."""
    if wall is None:
        return "--:--:--"
    return time.strftime("%H:%M:%S", time.localtime(wall))


def stamp(wall: float | None) -> str | None:
    """ISO 8601 with offset, for JSON."""
    if wall is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(wall))


def ago(seconds: float | None) -> str:
    """``12 s ago``, ``4 min ago``, ``2 h ago``."""
    if seconds is None:
        return ""
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{seconds:.0f} s ago"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.0f} h ago"


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells with an ellipsis, padded to exactly ``width``."""
    if width <= 0:
        return ""
    if len(text) > width:
        return text[: max(0, width - 1)] + "…"
    return text.ljust(width)


def fit_tail(text: str, width: int) -> str:
    """Like :func:`fit`, but keeps the end (the distinguishing part of an IQN)."""
    if width <= 0:
        return ""
    if len(text) > width:
        return "…" + text[len(text) - width + 1:]
    return text.ljust(width)
