"""The sampler on the live demo (fake clocks) and on a large tree (only what is shown, at full rate)."""

from __future__ import annotations

import os
import shutil

from sanctl.kernel_log import ListSource, LogEvent
from sanctl.live.sampler import LiveConfig, Sampler
from sanctl.host.demo import DemoHost
from sanctl.sim.demo import RAC_IQN, WEB_CLIENT, WEB_IQN
from sanctl.sim.live import LOCAL_INITIATOR

from .conftest import T0

WEB_ROW = ("session", WEB_IQN, 1, "acl", WEB_CLIENT)
RAC_ROW = ("session", RAC_IQN, 1, "acl", LOCAL_INITIATOR)


class Clocks:
    def __init__(self) -> None:
        self.mono = 500.0
        self.wall = T0

    def step(self, seconds: float = 1.0) -> None:
        self.mono += seconds
        self.wall += seconds


def test_rates_histories_and_findings_on_the_demo(live_demo):
    root, _demo = live_demo
    clocks = Clocks()
    sampler = DemoHost(str(root)).target.sampler(clock=lambda: clocks.mono, wall_clock=lambda: clocks.wall)
    sampler.set_hot([WEB_ROW, ("lun", WEB_IQN, 1, 0)])
    first = sampler.sample()
    assert first.rates.get(WEB_ROW) is not None and first.rates[WEB_ROW].cmds is None  # one reading: no rate yet
    assert {f.kind for f in first.findings} == {"connection_flap"}  # from the log's last five minutes
    assert first.histories[WEB_ROW][-1] > 1e6  # the demo's modelled past seeds the sparkline
    for _ in range(12):
        clocks.step()
        frame = sampler.sample()
    rate = frame.rates[WEB_ROW]
    assert 100 < rate.cmds < 2000 and rate.read > 1e6
    assert frame.rates[("tpg", WEB_IQN, 1)].cmds == rate.cmds
    kinds = {f.kind for f in frame.findings}
    assert kinds == {"connection_flap", "shared_initiator_name"}
    shared = next(f for f in frame.findings if f.kind == "shared_initiator_name")
    assert set(shared.addresses) == {"192.168.50.10", "192.168.50.12"}
    reinstated = [i for i in frame.incidents if i.kind == "target_session_reinstated"]
    assert len(reinstated) >= 3
    sampler.close()


def test_a_counter_reset_and_a_vanished_session_are_quiet(rac_live):
    root = str(rac_live)
    clocks = Clocks()
    sampler = Sampler(root, clock=lambda: clocks.mono, wall_clock=lambda: clocks.wall)
    acl = os.path.join(root, "sys/kernel/config/target/iscsi", RAC_IQN, "tpgt_1/acls", LOCAL_INITIATOR)
    row = ("session", RAC_IQN, 1, "acl", LOCAL_INITIATOR)
    sampler.sample()
    stats = os.path.join(acl, "fabric_statistics/iscsi_sess_stats")
    for name, value in (("cmd_pdus", 300), ("txdata_octs", 12660998 + 4096), ("rxdata_octs", 3932160)):
        with open(os.path.join(stats, name), "w") as handle:
            handle.write(f"{value}\n")
    clocks.step(2.0)
    assert sampler.sample().rates[row].cmds == (300 - 238) / 2.0
    with open(os.path.join(stats, "cmd_pdus"), "w") as handle:
        handle.write("5\n")  # the counter started over
    clocks.step()
    frame = sampler.sample()
    assert frame.rates[row].cmds is None and frame.rates[row].read == 0.0
    shutil.rmtree(acl)  # the ACL is deleted under us
    clocks.step()
    frame = sampler.sample()
    assert frame.sessions == ()


def test_log_events_come_through_the_sources(rac_live):
    source = ListSource()
    sampler = Sampler(str(rac_live), clock=lambda: 1.0, wall_clock=lambda: 100.0, log_sources=[source])
    source.push(*(LogEvent("conn_error", "kernel", "x", wall=90.0 + i, sid=1, cid=0, code=1022) for i in range(3)))
    frame = sampler.sample()
    assert [i.code for i in frame.incidents] == [1022] * 3
    (flap,) = frame.findings
    assert flap.connection == "1:0" and flap.target == RAC_IQN  # labelled from sysfs
    assert frame.by_connection == {"1:0": 3}


def test_on_a_large_tree_only_what_is_shown_is_read_every_tick(tmp_path):
    from sanctl.sim.scale import build_scale

    root = str(tmp_path / "scale")
    build_scale(root, luns=600, storage_objects=60, acls=120, targets=30)
    clocks = Clocks()
    config = LiveConfig(sweep_every=10, all_hot_below=100)
    sampler = Sampler(root, clock=lambda: clocks.mono, wall_clock=lambda: clocks.wall, config=config)
    first_target = "iqn.2024-01.net.example.scale:t0000"
    shown = [("lun", first_target, 1, n) for n in range(20)] + [("tpg", first_target, 1)]
    sampler.set_hot(shown)
    reads = []
    for _ in range(20):
        frame = sampler.sample()
        reads.append(frame.items_read)
        clocks.step()
    swept = 30 * 2 + 120  # targets + their dynamic sessions, ACLs: LUN counters are read only when shown
    assert reads[0] >= swept  # the first tick looks at every session once, cheaply
    assert max(reads[1:]) <= swept / 10 + len(shown) + 2
    assert len(frame.luns) == 600  # every LUN has a row ...
    read = [lun for lun in frame.luns if lun.in_cmds is not None]
    assert {lun.lun for lun in read} == set(range(20)) and {lun.target for lun in read} == {first_target}
    assert frame.rates[("lun", first_target, 1, 5)].cmds == 0.0  # ... and those shown have rates (idle LUNs)
    assert len(frame.sessions) == 0  # no one logged in: every ACL's info was looked at, none has a session
    assert sum(frame.idle_acls.values()) == 120


def test_one_shot_errors_names_the_shared_name_after_a_short_look(live_demo):
    """The demo's RAC client flaps with 1020; one look cannot see the session being replaced, a few can."""
    from sanctl.live.commands import flapping_now, observe

    root, _demo = live_demo
    clocks = Clocks()
    sampler = DemoHost(str(root)).target.sampler(clock=lambda: clocks.mono, wall_clock=lambda: clocks.wall)
    first = sampler.sample()
    assert flapping_now(first) and not any(f.kind == "shared_initiator_name" for f in first.findings)
    looks = []

    def sleep(seconds: float) -> None:
        looks.append(seconds)
        clocks.step(seconds)

    frame = observe(sampler, first, 10.0, clock=lambda: clocks.mono, sleep=sleep)
    shared = [f for f in frame.findings if f.kind == "shared_initiator_name"]
    assert shared and set(shared[0].addresses) == {"192.168.50.10", "192.168.50.12"}
    assert sum(looks) < 10.0  # it stopped as soon as it knew
    sampler.close()


def test_one_current_1020_is_enough_for_the_one_shot_errors_to_look_again(rac_live):
    """Asked right after another host's first login, the log holds one 1020 — no flap yet, but current."""
    from sanctl.live.commands import flapping_now

    def frame(*events):
        source = ListSource()
        sampler = Sampler(str(rac_live), clock=lambda: 1.0, wall_clock=lambda: 100.0, log_sources=[source])
        source.push(*events)
        try:
            return sampler.sample()
        finally:
            sampler.close()

    one = frame(LogEvent("conn_error", "kernel", "x", wall=95.0, sid=1, cid=0, code=1020))
    assert not any(f.kind == "connection_flap" for f in one.findings) and flapping_now(one)
    assert not flapping_now(frame(LogEvent("conn_error", "kernel", "x", wall=60.0, sid=1, cid=0, code=1020)))
    assert not flapping_now(frame(LogEvent("conn_error", "kernel", "x", wall=95.0, sid=1, cid=0, code=1022)))
