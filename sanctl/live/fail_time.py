"""When the last login failed: LIO's ``iscsi_tgt_attr/last_fail_time`` as the kernel means it.

The kernel stores ``get_jiffies_64()`` at the failure and shows
``(u32)(((u32)jiffies - INITIAL_JIFFIES) * 100 / HZ)`` (``iscsi_target_stat.c``).
``INITIAL_JIFFIES`` is ``(u32)(-300 * HZ)``: jiffies start five minutes before
the 32-bit wrap, so for the first five minutes of uptime the value is the
hundredths of a second since boot — and after that the subtraction wraps in
64 bits, is scaled, and is cut to 32 bits: a number that read as hundredths
of a second gives a date months away. It can still be undone: with the
kernel's ``HZ`` and the uptime now, exactly one failure time before now fits
(for uptimes below 2³² jiffies: 198 days at HZ=250). Without ``HZ``, or when
nothing fits, the time is unknown — never a made-up date.

No Textual here.
"""

from __future__ import annotations

import os
import re

U32 = 1 << 32
U64 = 1 << 64
#: The values CONFIG_HZ can take.
KERNEL_HZ = (100, 250, 300, 1000)


def printed_fail_time(jiffies_since_boot: int, hz: int) -> int:
    """What the kernel prints for a failure ``jiffies_since_boot`` after boot (for the tests and the demo)."""
    initial = (-300 * hz) % U32
    raw = (initial + jiffies_since_boot) % U64
    return ((((raw % U32) - initial) % U64) * 100 % U64 // hz) % U32


def seconds_since_boot(value: int | None, hz: int | None, uptime: float | None, *,
                       plain: bool = False) -> float | None:
    """When the failure was, in seconds since boot; None when it cannot be known.

    ``value`` is the file's number, ``hz`` the kernel's tick rate and ``uptime``
    the seconds since boot now; ``plain``: a simulated kernel that writes plain
    hundredths of a second. None also for ``value`` 0 (never failed), and
    when several moments before now would show the same number.
    """
    if not value or uptime is None or uptime < 0 or not 0 <= value < U32:
        return None
    if plain:  # the demo's simulated kernel keeps plain hundredths of a second
        return value / 100 if value / 100 <= uptime + 1 else None
    if hz is None:
        # Without HZ only the first five minutes are readable: plain hundredths of a second.
        seconds = value / 100
        return seconds if seconds <= min(uptime + 1, 300) else None
    limit = int((uptime + 1) * hz)
    initial = (-300 * hz) % U32
    found: list[float] = []
    segment = 0
    while segment * U32 - initial <= limit:
        # In this segment the 32-bit jiffies did not wrap: E = J - segment * 2**32, from -initial (or 0).
        e_low, e_high = max(-initial, -segment * U32), U32 - initial - 1
        for lo, hi, base in ((e_low, min(e_high, -1), U64), (max(e_low, 0), e_high, 0)):
            if lo > hi:
                continue
            q_low, q_high = (base + 100 * lo) // hz, (base + 100 * hi) // hz
            q = q_low + ((value - q_low) % U32)
            while q <= q_high:
                e = max(lo, -(-(q * hz - base) // 100))  # the first E whose quotient reaches q
                jiffies = e + segment * U32
                if e <= hi and 0 <= jiffies <= limit and printed_fail_time(jiffies, hz) == value:
                    found.append(jiffies / hz)
                q += U32
        segment += 1
    if not found or max(found) - min(found) > 1:
        return None
    return max(found)


def kernel_hz(root: str = "/") -> int | None:
    """CONFIG_HZ of the running kernel (``/boot/config-<release>``), or None when it cannot be found."""
    if os.path.abspath(root) != "/":
        return None
    try:
        release = os.uname().release
    except OSError:
        return None
    for path in (f"/boot/config-{release}", f"/lib/modules/{release}/config", f"/usr/lib/modules/{release}/config"):
        try:
            with open(path, encoding="ascii", errors="replace") as handle:
                for line in handle:
                    match = re.match(r"^CONFIG_HZ=(\d+)\s*$", line)
                    if match and int(match.group(1)) in KERNEL_HZ:
                        return int(match.group(1))
        except OSError:
            continue
    return None


def failure_wall(value: int | None, frame) -> float | None:
    """The wall-clock time of a target's last failed login, for a :class:`~sanctl.live.sampler.LiveFrame`."""
    if frame.boot_wall is None:
        return None
    seconds = seconds_since_boot(value, frame.hz, frame.wall - frame.boot_wall, plain=frame.simulated)
    return None if seconds is None else frame.boot_wall + seconds
