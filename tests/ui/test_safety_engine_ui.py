"""Issue 12, the engine half on screen: the save guard asks, stale forms are refused, the journal is offered."""

from __future__ import annotations

from sanctl.sim.writer import SimWriter
from sanctl.lio import changes as C
from sanctl.lio import savefile
from sanctl.lio.configfs import read_config

from .form_helpers import notices_from_now
from .helpers import settle

SIZE = (120, 40)


def _empty_the_kernel(root) -> None:
    writer = SimWriter(str(root))
    config = read_config(str(root))
    assert writer.apply([C.DeleteTarget(t.wwn, t.fabric) for t in config.targets]).ok
    config = read_config(str(root))
    assert writer.apply([C.DeleteStorageObject(so.plugin, so.name) for so in config.storage_objects]).ok


async def test_s_over_a_fuller_saved_file_asks_before_saving(make_app, demo):
    from sanctl.ui.screens.confirm import ConfirmScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        seen = notices_from_now(app)
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        path = demo / "etc/target/saveconfig.json"
        before = path.read_bytes()
        _empty_the_kernel(demo)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "the running configuration is empty" in " ".join(app.screen.lines)
        await pilot.press("n")
        await settle(pilot)
        assert path.read_bytes() == before
        assert seen[-1][1] == "Not saved"
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert seen[-1][1] == "Saved"
        assert savefile.count_objects(savefile.load(str(path))) == 0
        assert len(savefile.list_backups(savefile.locate(str(demo)))) == 1


async def test_a_chap_form_opened_before_another_writer_changed_it_is_refused(make_app, demo):
    """The form showed web01's CHAP; another admin changes it; the form's Apply must not undo that."""
    from sanctl.sim.demo import WEB_CLIENT, WEB_IQN

    from .conftest import WEB_ACL
    from .form_helpers import confirm, fill, open_form

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        seen = notices_from_now(app)
        form = await open_form(pilot, WEB_ACL, key="e")
        other = C.Chap("other-admin", "other-admin-secret", "web-target", "target-chap-secret")
        assert SimWriter(str(demo)).apply([C.SetAclAuth(WEB_IQN, 1, WEB_CLIENT, other)]).ok
        await fill(pilot, form, userid="web01", password="my-new-secret-12")
        await confirm(pilot)
        severity, title, message = seen[-1]
        assert severity == "error" and "changed meanwhile" in message, seen
        assert "user name web01 -> other-admin" in message and "secret changed" in message
        assert "other-admin-secret" not in message and "my-new-secret-12" not in message
        acl = next(a for t in read_config(str(demo), details=True).targets if t.wwn == WEB_IQN
                   for tpg in t.tpgs for a in tpg.acls if a.node_wwn == WEB_CLIENT)
        from sanctl.lio import configfs as cf

        acl = cf.read_acl_details(str(demo), acl)
        assert acl.auth.userid == "other-admin" and acl.auth.password.reveal() == "other-admin-secret"


_KILLED = """
import os, signal, sys
from sanctl.sim.writer import SimWriter
from sanctl.lio import changes as C

class Killed(SimWriter):
    def execute(self, change):
        self.n = getattr(self, "n", 0) + 1
        if self.n == 3:
            os.kill(os.getpid(), signal.SIGKILL)
        return super().execute(change)

Killed(sys.argv[1]).apply([C.DeleteTarget(sys.argv[2])])
"""


def _kill_a_delete_half_way(root) -> None:
    import signal
    import subprocess
    import sys

    from sanctl.sim.demo import WEB_IQN

    done = subprocess.run([sys.executable, "-c", _KILLED, str(root), WEB_IQN], capture_output=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr


def _state(root):
    import json

    from sanctl.lio.saveconfig import dump

    def canonical(value):  # lists sorted: the kernel lists directories in creation order
        if isinstance(value, dict):
            return {k: canonical(v) for k, v in value.items()}
        if isinstance(value, list):
            return sorted((canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
        return value

    return canonical(dump(read_config(str(root), details=True)))


async def test_start_offers_an_interrupted_change_and_undo_restores_it(make_app, demo):
    from sanctl.lio import journal
    from sanctl.ui.screens.journal import UnfinishedScreen

    before = _state(demo)
    _kill_a_delete_half_way(demo)
    assert _state(demo) != before
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        seen = notices_from_now(app)
        await settle(pilot)
        assert isinstance(app.screen, UnfinishedScreen)
        body = str(app.screen.query_one("#unfinished-body").render())
        assert "interrupted at its one change" in body and "[done]" in body and "[interrupted: done or not]" in body
        await pilot.press("u")
        await settle(pilot)
        assert not isinstance(app.screen, UnfinishedScreen)
        assert any(t == "Interrupted change" and m.startswith("Undone:") for _, t, m in seen), seen
    assert _state(demo) == before
    assert journal.read(str(demo)) is None


async def test_finish_completes_the_interrupted_change(make_app, demo):
    from sanctl.sim.demo import WEB_IQN
    from sanctl.lio import journal
    from sanctl.ui.screens.journal import UnfinishedScreen

    _kill_a_delete_half_way(demo)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        seen = notices_from_now(app)
        await settle(pilot)
        assert isinstance(app.screen, UnfinishedScreen)
        await pilot.click("#unfinished-finish")
        await settle(pilot)
        assert any(m.startswith("Finished: Done") for _, _, m in seen), seen
    assert all(t.wwn != WEB_IQN for t in read_config(str(demo)).targets)
    assert journal.read(str(demo)) is None


async def test_read_only_shows_the_interrupted_change_without_acting(make_app, demo):
    from sanctl.ui.screens.journal import UnfinishedScreen

    _kill_a_delete_half_way(demo)
    app = make_app(readonly=True, readonly_reason="--read-only")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, UnfinishedScreen)
        assert app.screen.query_one("#unfinished-finish").disabled
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(app.screen, UnfinishedScreen)


def test_snapshot_the_interrupted_change(snap_compare, make_app, demo):
    """The start-up offer, from a journal written with a fixed date (a cascade delete, three steps done)."""
    from datetime import datetime

    from sanctl.sim.demo import WEB_IQN
    from sanctl.lio import journal

    plan = SimWriter(str(demo))
    from sanctl.lio.writer import Planner

    change = C.DeleteTarget(WEB_IQN)
    planned = Planner(plan, plan.read(change.scope())).plan(change)
    record = journal.Journal.begin(str(demo), (change,), now=datetime(2024, 3, 1, 12, 0, 0))
    record.plan(0, [(p.change, p.undo) for p in planned])
    for index in range(3):
        record.mark(index, journal.DONE)

    async def run_before(pilot) -> None:
        await settle(pilot)

    assert snap_compare(make_app(), run_before=run_before, terminal_size=(100, 30))
