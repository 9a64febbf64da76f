"""Apply: one transaction with progress, rollback leaving the tree as it was, then save, boot service, firewall."""

from __future__ import annotations

import errno
import os

from sanctl.lio.changes import CreatePortal
from sanctl.setup.answers import Answers, Client, StorageItem
from sanctl.setup.apply import DONE, FAILED, ROLLED_BACK, SKIPPED, WARNING, ApplyRun
from sanctl.setup.plan import build_plan

from .conftest import export

T = "iqn.2024-05.org.linux-iscsi.san01:disk1"


def _answers() -> Answers:
    return Answers(storage=[StorageItem("fileio", "disk1", file="/srv/new/disk1.img", size="64M")], target=T,
                   clients=[Client("web02", "iqn.2024-01.com.example:web02")])


def test_a_complete_apply(demo_root, demo_ctx, demo_writer):
    seen = []
    run = ApplyRun(build_plan(demo_ctx, _answers()), demo_writer, demo_ctx.probe,
                   progress=lambda phases: seen.append([(p.key, p.status) for p in phases]))
    assert run.run() and run.ok
    assert {p.key: p.status for p in run.phases} == {
        "group:0": DONE, "group:1": DONE, "group:2": DONE, "group:3": DONE, "group:4": DONE,
        "save": DONE, "boot": DONE, "firewall": WARNING}
    assert any(("group:1", "running") in step for step in seen)  # progress per group as it ran
    data = export(demo_root)
    target = next(t for t in data["targets"] if t["wwn"] == T)
    assert [a["node_wwn"] for a in target["tpgs"][0]["node_acls"]] == ["iqn.2024-01.com.example:web02"]
    assert os.path.isfile(os.path.join(demo_root, "srv/new/disk1.img"))
    assert os.path.isfile(os.path.join(demo_root, "etc/target/saveconfig.json"))
    assert os.path.islink(os.path.join(demo_root, "etc/systemd/system/multi-user.target.wants/target.service"))
    assert "firewall-cmd --add-port=3260/tcp" in run.phase("firewall").detail
    assert run.applied()["target"] == T


def test_a_failure_rolls_everything_back(demo_root, demo_ctx, demo_writer):
    before = export(demo_root)
    execute = demo_writer.execute

    def refuse(change):  # the kernel refuses the listener
        if isinstance(change, CreatePortal):
            raise OSError(errno.EADDRINUSE, "Address already in use")
        execute(change)

    demo_writer.execute = refuse
    run = ApplyRun(build_plan(demo_ctx, _answers()), demo_writer, demo_ctx.probe)
    assert not run.run()
    statuses = {p.key: p.status for p in run.phases}
    assert statuses["group:0"] == ROLLED_BACK and statuses["group:1"] == ROLLED_BACK
    assert statuses["group:2"] == FAILED and "already in use" in run.phase("group:2").detail
    assert statuses["group:3"] == SKIPPED and statuses["save"] == SKIPPED and statuses["boot"] == SKIPPED
    assert export(demo_root) == before
    assert not os.path.exists(os.path.join(demo_root, "srv/new/disk1.img"))
    assert not os.path.exists(os.path.join(demo_root, "etc/target/saveconfig.json"))


def test_a_readonly_writer_changes_nothing(demo_root, demo_ctx):
    from sanctl.sim.writer import SimWriter

    before = export(demo_root)
    run = ApplyRun(build_plan(demo_ctx, _answers()), SimWriter(demo_root, readonly_reason="--readonly"),
                   demo_ctx.probe)
    assert not run.run()
    assert run.phase("group:0").status == FAILED and "Read-only" in run.phase("group:0").detail
    assert export(demo_root) == before


def test_the_first_target_on_an_empty_kernel(empty_root):
    from sanctl.host.demo import DemoHost
    from sanctl.setup.context import gather
    from sanctl.sim.writer import SimWriter

    writer = SimWriter(empty_root)
    ctx = gather(DemoHost(empty_root), name="san01", backing=writer.backing_file)
    assert not list(ctx.config.targets)
    run = ApplyRun(build_plan(ctx, _answers()), writer, ctx.probe)
    assert run.run(), run.phases
    assert [t["wwn"] for t in export(empty_root)["targets"]] == [T]
