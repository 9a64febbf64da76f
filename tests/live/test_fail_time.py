"""LIO's last_fail_time as the kernel counts it: jiffies since five minutes before the 32-bit wrap."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sanctl.live.fail_time import KERNEL_HZ, printed_fail_time, seconds_since_boot
from sanctl.live.sampler import LiveFrame

T0 = 1767268800.0


def test_a_failure_after_the_first_five_minutes_is_not_a_date_months_away():
    """Debian's HZ=250, up 10 minutes, a login failed a minute ago: the kernel prints 3367296396."""
    value = printed_fail_time(540 * 250, 250)
    assert value == 3367308360  # read as hundredths of a second: 389 days after boot
    assert seconds_since_boot(value, 250, 600.0) == 540.0


def test_the_first_five_minutes_are_plain_hundredths():
    assert seconds_since_boot(1234, 250, 60.0) == 12.34


def test_without_hz_only_what_is_certain():
    assert seconds_since_boot(1234, None, 60.0) == 12.34
    assert seconds_since_boot(3367308360, None, 600.0) is None
    assert seconds_since_boot(0, 250, 600.0) is None  # never failed


def test_a_time_after_now_is_unknown():
    assert seconds_since_boot(printed_fail_time(540 * 250, 250), 250, 400.0) is None


@given(st.sampled_from(KERNEL_HZ), st.floats(0.01, 40 * 86400), st.floats(0, 3600))
def test_every_failure_time_comes_back(hz, seconds, later):
    jiffies = int(seconds * hz)
    value = printed_fail_time(jiffies, hz)
    if value == 0:
        return  # the kernel prints 0 for "never"
    found = seconds_since_boot(value, hz, jiffies / hz + later)
    assert found is not None and abs(found - jiffies / hz) < 1.0


@given(st.integers(0, (1 << 32) - 1), st.sampled_from((*KERNEL_HZ, None)), st.floats(0, 1e9))
def test_any_value_is_a_time_before_now_or_unknown(value, hz, uptime):
    found = seconds_since_boot(value, hz, uptime)
    assert found is None or 0 <= found <= uptime + 1


def test_the_sessions_text_says_unknown_rather_than_a_wrong_date():
    from sanctl.live.report import last_failure
    from sanctl.lio.live import TargetStats

    stats = TargetStats(login_fails=1, last_fail_time=printed_fail_time(540 * 250, 250), last_fail_type=5)
    boot = T0 - 600
    known = last_failure(stats, LiveFrame(seq=1, mono=0.0, wall=T0, boot_wall=boot, hz=250))
    unknown = last_failure(stats, LiveFrame(seq=1, mono=0.0, wall=T0, boot_wall=boot, hz=None))
    from sanctl.live import format as fmt

    assert known["time"] == fmt.stamp(boot + 540)
    assert unknown["time"] is None
