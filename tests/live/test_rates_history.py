"""Rates from deltas, bucketed histories and sparklines."""

from __future__ import annotations

from sanctl.live.history import History, sparkline
from sanctl.live.rates import Rate, RateTracker


def test_rates_over_monotonic_time():
    tracker = RateTracker()
    assert tracker.update("s", 10.0, (100, 0)) is None  # nothing to compare with yet
    assert tracker.update("s", 12.0, (300, 4096)) == (100.0, 2048.0)


def test_a_counter_reset_gives_no_rate_and_no_spike():
    tracker = RateTracker()
    tracker.update("s", 0.0, (1000,))
    assert tracker.update("s", 1.0, (10,)) == (None,)
    assert tracker.update("s", 2.0, (30,)) == (20.0,)


def test_a_new_session_behind_the_same_key_starts_over():
    tracker = RateTracker()
    tracker.update("acl", 0.0, (500,), identity=(1, 1))
    assert tracker.update("acl", 1.0, (600,), identity=(2, 2)) is None
    assert tracker.update("acl", 2.0, (650,), identity=(2, 2)) == (50.0,)


def test_missing_values_and_time_that_did_not_move():
    tracker = RateTracker()
    tracker.update("x", 5.0, (None, 1))
    assert tracker.update("x", 6.0, (7, 3)) == (None, 2.0)
    assert tracker.update("x", 6.0, (9, 4)) is None


def test_a_window_smooths_coarse_counters():
    tracker = RateTracker(window=4.0)
    values = [0, 1, 1, 2, 3, 3]  # a MiB counter at ~0.6 MiB/s
    rates = [tracker.update("lun", float(t), (v,)) for t, v in enumerate(values)]
    assert rates[-1] == ((3 - 1) / 4.0,)


def test_vanished_keys_are_forgotten():
    tracker = RateTracker()
    tracker.update("a", 0.0, (1,))
    tracker.update("b", 0.0, (1,))
    tracker.retain(["b"])
    assert "a" not in tracker and "b" in tracker


def test_rate_total():
    assert Rate(1.0, 2.0, None).total == 2.0
    assert Rate().total is None


def test_history_shows_completed_buckets_only():
    history = History(bucket=10.0, size=5)
    for t in range(0, 25):
        history.add(float(t), float(t // 10))
    assert history.values() == (0.0, 1.0)  # the bucket from 20 s on is still filling
    assert history.add(31.0, 9.0) is True
    assert history.values() == (0.0, 1.0, 2.0)


def test_history_gaps_are_empty_buckets():
    history = History(bucket=10.0)
    history.add(0.0, 5.0)
    history.add(35.0, 5.0)
    assert history.values() == (5.0, None, None)


def test_history_seed():
    history = History(bucket=10.0, size=3)
    history.seed([1.0, 2.0, 3.0, 4.0], until=100.0)
    assert history.values() == (2.0, 3.0, 4.0)
    history.add(105.0, 8.0)
    history.add(111.0, 0.0)
    assert history.values() == (3.0, 4.0, 8.0)


def test_sparkline():
    assert sparkline([0.0, 4.0, 8.0], 3) == "▁▅█"
    assert sparkline([None, 8.0], 4) == "▁▁▁█"  # no data yet: the baseline
    assert sparkline([0.1, 0.2], 2, floor=100.0) == "▁▁"  # idle rows stay flat
    assert sparkline([1.0] * 10, 4) == "████"
    assert sparkline([], 0) == ""
