"""The collector in-process, on the demo SAN driven by a fake clock: what moves, what is cached, what fails."""

from __future__ import annotations

import os

from prometheus_client import generate_latest
from prometheus_client.registry import CollectorRegistry

from sanctl.exporter.collector import SanCollector
from sanctl.host.captured import CapturedHost
from sanctl.host.demo import DemoHost
from sanctl.kernel_log import LogEvent
from tests.exporter.conftest import T0, samples, value

RAC = "iqn.2024-01.storage.oracle:rac"
CLIENT = "iqn.2024-01.storage.oracle:client"
WEB = "iqn.2024-01.com.example:web"


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def exporter(root, clock: Clock, **kwargs):
    reads = DemoHost(str(root)).exporter_reads(wall_clock=clock)
    collector = SanCollector(reads, mode="demo", clock=clock, wall_clock=clock, **kwargs)
    registry = CollectorRegistry(support_collectors_without_names=True)
    registry.register(collector)
    return reads, collector, lambda: samples(generate_latest(registry).decode())


def test_demo_counters_move_between_scrapes(demo_tree):
    clock = Clock(T0)
    reads, _, scrape = exporter(demo_tree, clock)
    try:
        first = scrape()
        clock.now += 60
        second = scrape()
    finally:
        reads.close()
    before = value(first, "lio_acl_session_read_bytes_total", target=WEB)
    after = value(second, "lio_acl_session_read_bytes_total", target=WEB)
    assert before is not None and after > before
    lun_before = value(first, "lio_lun_commands_total", target=WEB, lun="0")
    assert value(second, "lio_lun_commands_total", target=WEB, lun="0") > lun_before
    # bytes are whole MiB from the kernel: a multiple of 1 MiB
    assert value(second, "lio_lun_read_bytes_total", target=WEB, lun="0") % (1 << 20) == 0


def test_shared_initiator_name_is_seen_over_scrapes(demo_tree):
    """One look cannot see it; scrapes every 3 s see the ACL's session replaced again and again."""
    clock = Clock(T0)
    reads, _, scrape = exporter(demo_tree, clock)
    try:
        first = scrape()
        for _ in range(10):
            clock.now += 3
            last = scrape()
    finally:
        reads.close()
    assert value(first, "lio_acl_session_reinstatements_total", target=RAC, initiator=CLIENT) == 0
    assert value(first, "sanctl_doctor_findings", check="shared_initiator_name", severity="error") == 0
    assert value(last, "lio_acl_session_reinstatements_total", target=RAC, initiator=CLIENT) >= 3
    assert value(last, "sanctl_doctor_findings", check="shared_initiator_name", severity="error") == 1


def test_structure_is_read_again_only_when_it_changed_or_is_old(demo_tree):
    clock = Clock(T0)
    reads, _, scrape = exporter(demo_tree, clock, config_every=300)
    try:
        assert value(scrape(), "sanctl_exporter_structure_reads_total") == 1
        clock.now += 15
        assert value(scrape(), "sanctl_exporter_structure_reads_total") == 1  # nothing changed
        # an ACL appears (the layout changes): read again at once
        acls = demo_tree / "sys/kernel/config/target/iscsi" / RAC / "tpgt_1" / "acls"
        os.mkdir(acls / "iqn.2024-01.storage.oracle:client3")
        clock.now += 15
        found = scrape()
        assert value(found, "sanctl_exporter_structure_reads_total") == 2
        assert value(found, "lio_acl_session", target=RAC, initiator="iqn.2024-01.storage.oracle:client3",
                     state="NONE") == 1
        clock.now += 301  # old: read again although nothing changed
        assert value(scrape(), "sanctl_exporter_structure_reads_total") == 3
    finally:
        reads.close()


def test_a_failing_reader_is_counted_and_the_scrape_goes_on(demo_tree, capsys):
    clock = Clock(T0)
    reads, _, scrape = exporter(demo_tree, clock)

    def broken():
        raise PermissionError(13, "Permission denied")

    reads.initiator = broken
    try:
        found = scrape()
        clock.now += 15
        again = scrape()
    finally:
        reads.close()
    assert value(found, "sanctl_exporter_reader_errors_total", reader="initiator") == 1
    assert value(again, "sanctl_exporter_reader_errors_total", reader="initiator") == 2
    assert value(found, "lio_tpg_sessions", target=WEB, kind="acl", state="LOGGED_IN") == 1
    assert capsys.readouterr().err.count("reader initiator failed: PermissionError") == 1  # said once


def test_connection_errors_by_code_are_bounded_and_counted_from_the_start(demo_tree):
    clock = Clock(T0)
    reads, collector, scrape = exporter(demo_tree, clock)
    pushed: list[LogEvent] = []
    real = reads.log_events
    reads.log_events = lambda: real() + [pushed.pop() for _ in range(len(pushed))]
    try:
        base = scrape()
        clock.now += 5
        pushed.extend([
            LogEvent("conn_error", "kernel", "connection7:0: detected conn error (1011)", wall=clock.now, sid=7,
                     cid=0, code=1011),
            LogEvent("conn_error", "kernel", "connection8:0: detected conn error (99999)", wall=clock.now + 1,
                     sid=8, cid=0, code=99999),
            LogEvent("conn_error", "kernel", "connection9:0: detected conn error (1011)", wall=T0 - 3600,
                     sid=9, cid=0, code=1011),  # before the exporter started: not counted
        ])
        found = scrape()
    finally:
        reads.close()
    assert value(base, "openiscsi_connection_errors_total", code="1011") == 0
    assert value(found, "openiscsi_connection_errors_total", code="1011") == 1
    assert value(found, "openiscsi_connection_errors_total", code="other") == 1
    codes = {dict(labels)["code"] for name, labels in found if name == "openiscsi_connection_errors_total"}
    assert codes == {str(c) for c in range(1001, 1023)} | {"other"}


def test_idle_tpgs_lun_counters_are_read_again_once_a_login_happened(rac_idle):
    """No session on a TPG: its LUN counters cannot move, the last reading stands — until the target's
    login counters show someone logged in (and perhaps out again) since the last scrape."""
    clock = Clock(T0)
    reads = CapturedHost(str(rac_idle)).exporter_reads(wall_clock=clock)
    collector = SanCollector(reads, mode="captured", clock=clock, wall_clock=clock)
    registry = CollectorRegistry(support_collectors_without_names=True)
    registry.register(collector)

    def scrape():
        return samples(generate_latest(registry).decode())

    target_dir = rac_idle / "sys/kernel/config/target/iscsi" / RAC
    counter = target_dir / "tpgt_1/lun/lun_0/statistics/scsi_tgt_port/in_cmds"
    accepts = target_dir / "fabric_statistics/iscsi_login_stats/accepts"
    try:
        before = value(scrape(), "lio_lun_commands_total", target=RAC, lun="0")
        assert value(scrape(), "lio_tpg_sessions", target=RAC, kind="acl", state="LOGGED_IN") == 0
        os.chmod(counter, 0o644)
        counter.write_text(f"{int(before) + 1234}\n")
        clock.now += 15
        assert value(scrape(), "lio_lun_commands_total", target=RAC, lun="0") == before  # not read again
        os.chmod(accepts, 0o644)
        accepts.write_text(f"{int(accepts.read_text()) + 1}\n")
        clock.now += 15
        assert value(scrape(), "lio_lun_commands_total", target=RAC, lun="0") == before + 1234
    finally:
        reads.close()


def test_a_running_exporter_reads_a_changed_structure_in_the_background(demo_tree):
    """The scrape that notices the change answers with the last structure; the next one has the new."""
    clock = Clock(T0)
    reads, collector, scrape = exporter(demo_tree, clock, background=True)
    try:
        assert value(scrape(), "sanctl_exporter_structure_reads_total") == 1  # the first: read in the scrape
        acls = demo_tree / "sys/kernel/config/target/iscsi" / RAC / "tpgt_1" / "acls"
        os.mkdir(acls / "iqn.2024-01.storage.oracle:client3")
        clock.now += 15
        noticed = scrape()
        collector.cache.wait(60)
        clock.now += 15
        after = scrape()
    finally:
        reads.close()
    assert value(noticed, "sanctl_exporter_structure_age_seconds") == 15  # answered from the last structure
    assert value(after, "sanctl_exporter_structure_reads_total") == 2
    assert value(after, "sanctl_exporter_structure_age_seconds") == 15  # read at the scrape that noticed
