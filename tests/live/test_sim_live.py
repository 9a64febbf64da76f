"""The live demo SAN: written as the kernel writes it, read by the real readers, moving with time."""

from __future__ import annotations

import os
import re

from sanctl.initiator.sysfs import read_initiator
from sanctl.kernel_log import default_sources
from sanctl.sim.demo import RAC_IQN, SCRATCH_IQN, WEB_CLIENT, WEB_IQN
from sanctl.sim.live import LOCAL_INITIATOR, RAC2_ADDRESS, LiveDemo, Scenario, start_live_demo
from sanctl.lio.live import parse_acl_info, read_target_live

from .conftest import T0, rac_text


def _events(root):
    return [e for source in default_sources(str(root), follow=False) for e in source.read_new()]


def test_one_shot_state_has_sessions_counters_and_recent_1020s(live_demo):
    root, _demo = live_demo
    live = read_target_live(str(root))
    kinds = {(s.target, s.kind, s.initiator) for s in live.sessions}
    assert kinds == {(RAC_IQN, "acl", LOCAL_INITIATOR), (WEB_IQN, "acl", WEB_CLIENT),
                     (SCRATCH_IQN, "dynamic", LOCAL_INITIATOR)}
    web = next(s for s in live.sessions if s.target == WEB_IQN)
    assert web.addresses == ("192.168.50.21",) and web.stats.cmd_pdus > 100_000  # minutes of I/O since its last login
    assert live.stats[RAC_IQN].login_fails > 0
    assert live.stats[RAC_IQN].fail_intr_name == "iqn.1991-05.com.microsoft:fileserver"
    events = _events(root)
    errors = [e for e in events if e.kind == "conn_error" and e.code == 1020]
    assert len(errors) > 20
    assert all(T0 - 300 <= e.wall <= T0 for e in events)


def test_the_info_file_is_the_kernels_format(live_demo):
    root, _demo = live_demo
    info = (root / "sys/kernel/config/target/iscsi" / RAC_IQN / "tpgt_1/acls" / LOCAL_INITIATOR / "info").read_text()
    real = rac_text("flap-info-1.txt")
    def shape(text):  # the layout with every number and address blanked
        return re.sub(r"0x[0-9a-f]{8}|\d+(\.\d+)*", "N", text)

    assert shape(info) == shape(real)
    assert "ISID: 0x00 02 3d 00 00 01  TSIH: " in info
    dyn = (root / "sys/kernel/config/target/iscsi" / SCRATCH_IQN / "tpgt_1/dynamic_sessions").read_bytes()
    assert dyn == LOCAL_INITIATOR.encode() + b"\n\0"


def test_the_rac_session_flaps_between_two_addresses(live_demo):
    root, demo = live_demo
    acl = root / "sys/kernel/config/target/iscsi" / RAC_IQN / "tpgt_1/acls" / LOCAL_INITIATOR / "info"
    seen = set()
    for step in range(1, 21):
        demo.tick(T0 + step)
        info = parse_acl_info(acl.read_text())
        seen.add((info.sid, info.connections[0].address))
    assert len({sid for sid, _ in seen}) >= 5
    assert {address for _, address in seen} == {"192.168.50.10", RAC2_ADDRESS}


def test_counters_grow_at_plausible_rates(live_demo):
    root, demo = live_demo
    before = {s.initiator: s.stats for s in read_target_live(str(root)).sessions if s.target == WEB_IQN}
    demo.tick(T0 + 10)
    after = {s.initiator: s.stats for s in read_target_live(str(root)).sessions if s.target == WEB_IQN}
    a, b = before[WEB_CLIENT], after[WEB_CLIENT]
    cmds_per_s = (b.cmd_pdus - a.cmd_pdus) / 10
    read_mib_per_s = (b.txdata_octs - a.txdata_octs) / 10 / (1 << 20)
    assert 100 < cmds_per_s < 2000 and 1 < read_mib_per_s < 100


def test_the_scratch_session_logs_out_and_in(live_demo):
    root, demo = live_demo
    sids = []
    for minute in range(0, 8):
        demo.tick(T0 + 60 * minute + 1)
        live = read_initiator(str(root))
        sids.append(tuple(s.sid for s in live.sessions))
    assert any(len(s) == 1 for s in sids) and any(len(s) == 2 for s in sids)
    assert len({s[1] for s in sids if len(s) == 2}) >= 2  # a new session id each login
    disks = {d.name for s in read_initiator(str(root)).sessions for d in s.disks}
    assert {"sda", "sdf"} <= disks


def test_two_builds_at_the_same_time_are_identical(tmp_path):
    from sanctl.sim.demo import build_demo

    roots = []
    for name in ("a", "b"):
        root = tmp_path / name
        build_demo(root)
        start_live_demo(root, now=T0).tick(T0 + 42)
        roots.append(root)
    for rel in ("var/log/sanctl-demo/kmsg", "var/log/sanctl-demo/iscsid.json",
                f"sys/kernel/config/target/iscsi/{RAC_IQN}/tpgt_1/acls/{LOCAL_INITIATOR}/info"):
        assert (roots[0] / rel).read_bytes() == (roots[1] / rel).read_bytes(), rel


def test_another_process_carries_on_where_the_last_stopped(live_demo):
    root, demo = live_demo
    demo.tick(T0 + 30)
    size = os.path.getsize(root / "var/log/sanctl-demo/kmsg")
    again = LiveDemo.attach(root)
    assert again.now == T0 + 30
    again.tick(T0 + 60)
    assert os.path.getsize(root / "var/log/sanctl-demo/kmsg") > size
    seqs = [int(line.split(",")[1]) for line in (root / "var/log/sanctl-demo/kmsg").read_text().splitlines()]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))


def test_a_quiet_start_then_flapping(tmp_path):
    from sanctl.sim.demo import build_demo

    root = tmp_path / "quiet"
    build_demo(root)
    demo = start_live_demo(root, now=T0, flap_phase=-60)
    assert not [e for e in _events(root) if e.kind == "conn_error"]
    demo.tick(T0 + 90)
    assert len([e for e in _events(root) if e.kind == "conn_error"]) >= 4


def test_history_for_sparklines_matches_the_counters(live_demo):
    root, demo = live_demo
    key = ("session", WEB_IQN, 1, "acl", WEB_CLIENT)
    history = demo.rate_history(key, T0, 6, 10.0)
    assert len(history) == 6 and all(v and v > 1e6 for v in history)
    assert demo.rate_history(("session", "iqn.other:x", 1, "acl", "i"), T0, 3, 10.0) is None
    assert Scenario(start=T0).epoch < T0
