"""s saves (with a backup), the header says when the running configuration is not the saved one,
D lists the differences, R restores a backup with a preview and a per-object report."""

from __future__ import annotations

import gzip
import json

from sanctl.lio import savefile
from sanctl.lio.configfs import read_config

from .conftest import RAC_TPG
from .form_helpers import confirm, fill, open_form, notices_from_now
from .helpers import settle

SIZE = (120, 40)


def bar_text(app) -> str:
    return app.screen_stack[0].query_one("#status-bar").text


async def test_never_saved_then_saved_then_unsaved(make_app, demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        seen = notices_from_now(app)
        await settle(pilot)
        assert "never saved" in bar_text(app)
        await pilot.press("s")
        await settle(pilot)
        path = demo / "etc/target/saveconfig.json"
        assert path.is_file() and oct(path.stat().st_mode & 0o777) == "0o600"
        severity, title, message = seen[-1]
        assert (title, message) == ("Saved", "Configuration saved to demo:/etc/target/saveconfig.json.")
        assert "never saved" not in bar_text(app) and "unsaved" not in bar_text(app)
        # a write makes it differ; the next save keeps the previous file as a backup
        form = await open_form(pilot, "/backstores/ramdisk")
        await fill(pilot, form, name="rd1", size="1M")
        await confirm(pilot)
        assert "unsaved changes" in bar_text(app)
        await pilot.press("s")
        await settle(pilot)
        backups = list((demo / "etc/target/backup").glob("saveconfig-*-json.gz"))
        assert len(backups) == 1
        assert f"kept as demo:/etc/target/backup/{backups[0].name}" in seen[-1][2]
        assert "unsaved" not in bar_text(app)
        saved = json.loads(path.read_text())
        assert any(so["name"] == "rd1" for so in saved["storage_objects"])
        old = json.loads(gzip.decompress(backups[0].read_bytes()))
        assert not any(so["name"] == "rd1" for so in old["storage_objects"])


async def test_r_refreshes_the_badge_after_an_outside_change(make_app, demo):
    from sanctl.sim.writer import SimWriter
    from sanctl.lio import changes as C

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert "unsaved" not in bar_text(app)
        SimWriter(str(demo)).apply([C.CreateRamdisk("outside", "1M")])
        await pilot.press("r")
        await settle(pilot)
        assert "unsaved changes" in bar_text(app)


async def test_diff_view_lists_the_differences(make_app, demo):
    from sanctl.ui.screens.diff import DiffScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("D")
        await settle(pilot)
        view = app.screen
        assert isinstance(view, DiffScreen)
        assert view.summary.startswith("Never saved")
        assert "+ backstore block/ora-ocr-1" in view.text
        await pilot.press("escape")
        await pilot.press("s")
        await settle(pilot)
        form = await open_form(pilot, RAC_TPG, "e")
        await fill(pilot, form, login_timeout="20")
        await confirm(pilot)
        await pilot.press("D")
        await settle(pilot)
        view = app.screen
        assert view.summary == "Running vs saved: 1 changed."
        assert "~ iqn.2024-01.storage.oracle:rac/tpg1: attributes.login_timeout 15 -> 20" in view.text


async def test_restore_a_backup_with_preview_and_report(make_app, demo):
    from sanctl.ui.screens.confirm import ConfirmScreen
    from sanctl.ui.screens.restore import RestoreScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        seen = notices_from_now(app)
        await settle(pilot)
        await pilot.press("s")  # the demo as it was
        await settle(pilot)
        form = await open_form(pilot, "/backstores/ramdisk")
        await fill(pilot, form, name="rd1", size="1M")
        await confirm(pilot)
        await pilot.press("s")  # now with rd1; the first save becomes the backup
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RestoreScreen)
        assert [s.label.split()[0] for s in screen.sources] == ["saved", "backup"]
        # the saved file is what runs: nothing to restore
        assert screen.plan is not None and screen.plan.ok and screen.plan.empty
        assert screen.query_one("#restore-go").disabled
        sources = screen.query_one("#restore-sources")
        sources.focus()
        await pilot.press("down")
        await settle(pilot)
        assert [s.line() for s in screen.plan.steps] == ["- Delete backstore ramdisk/rd1 and every LUN using it"]
        await pilot.click("#restore-go")
        await settle(pilot)
        ask = app.screen
        assert isinstance(ask, ConfirmScreen) and ask.word == "restore"
        assert "- Delete backstore ramdisk/rd1 and every LUN using it" in "\n".join(ask.lines)
        ask.query_one("#confirm-word").focus()
        await pilot.press(*"restore", "enter")
        await settle(pilot, rounds=6)
        assert app.screen is screen
        assert screen.report is not None and screen.report.ok
        assert seen[-1][1] == "Restored"
        assert "kept in" in seen[-1][2]
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.tree.config.storage_object(("ramdisk", "rd1")) is None
    assert read_config(str(demo)).storage_object(("ramdisk", "rd1")) is None


async def test_a_file_with_a_problem_is_refused_in_the_plan_and_cannot_be_restored(make_app, demo):
    location = savefile.locate(str(demo))
    data = savefile.running(str(demo))
    data["storage_objects"].append({"plugin": "block", "name": "ghost", "dev": "relative/path", "attributes": {}})
    (demo / "etc/target").mkdir(parents=True)
    savefile.write_atomic(location.path, savefile.render(data))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        screen = app.screen
        assert not screen.plan.ok and [p.path for p in screen.plan.problems] == ["/backstores/block/ghost"]
        assert screen.query_one("#restore-go").disabled
        body = str(screen.query_one("#restore-body").render())
        assert "Refused: 1 problem" in body and "/backstores/block/ghost" in body
        await pilot.click("#restore-go")
        await settle(pilot)
        assert app.screen is screen and screen.report is None


async def test_the_restore_plan_names_the_sessions_it_drops(make_app, demo, monkeypatch):
    from sanctl.sim.demo import RAC_CLIENTS, RAC_IQN
    from sanctl.lio import apply as A
    from sanctl.lio.live import TargetSession

    location = savefile.locate(str(demo))
    data = savefile.running(str(demo))
    data["targets"] = [t for t in data["targets"] if t["wwn"] != RAC_IQN]
    (demo / "etc/target").mkdir(parents=True)
    savefile.write_atomic(location.path, savefile.render(data))
    monkeypatch.setattr(A, "live_sessions", lambda writer: (TargetSession(RAC_IQN, 1, RAC_CLIENTS[0], "acl"),))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        screen = app.screen
        body = str(screen.query_one("#restore-body").render())
        assert f"! session of {RAC_CLIENTS[0]} on {RAC_IQN}/tpg1 drops" in body
        await pilot.click("#restore-go")
        await settle(pilot)
        assert app.screen.word == "restore"


async def test_the_diff_view_applies_one_targets_part(make_app, demo):
    from sanctl.sim.demo import RAC_IQN, WEB_IQN
    from sanctl.sim.writer import SimWriter
    from sanctl.lio import changes as C
    from sanctl.ui.screens.diff import DiffScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        seen = notices_from_now(app)
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        SimWriter(str(demo)).apply([C.tpg_attribute(RAC_IQN, 1, "login_timeout", 20),
                                         C.tpg_attribute(WEB_IQN, 1, "login_timeout", 25)])
        await pilot.press("D")
        await settle(pilot)
        view = app.screen
        assert isinstance(view, DiffScreen) and view.can_apply
        part = view.query_one("#diff-part")
        part.value = WEB_IQN
        await settle(pilot)
        await pilot.click("#diff-apply")
        await settle(pilot)
        ask = app.screen
        assert ask.word is None  # one setting changed in place: nothing removed, no session drops
        assert [s.path for s in view.plan.steps] == [f"/iscsi/{WEB_IQN}/tpg1"]
        await pilot.press("y")
        await settle(pilot, rounds=6)
        assert seen[-1][1] == "Applied"
    config = read_config(str(demo), details=True)
    tpgs = {t.wwn: t.tpgs[0] for t in config.targets}
    assert tpgs[WEB_IQN].attributes.value("login_timeout") == "15"  # as saved
    assert tpgs[RAC_IQN].attributes.value("login_timeout") == "20"  # the other target's difference stays


async def test_restore_with_nothing_saved_says_so(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        assert "no saved configuration" in str(app.screen.query_one("#restore-intro").render())


def _saved_without_scratch(demo) -> None:
    """A saved file that differs from the demo: no scratch target, web's login_timeout 20."""
    from sanctl.sim.demo import SCRATCH_IQN, WEB_IQN

    location = savefile.locate(str(demo))
    data = savefile.running(str(demo))
    data["targets"] = [t for t in data["targets"] if t["wwn"] != SCRATCH_IQN]
    next(t for t in data["targets"] if t["wwn"] == WEB_IQN)["tpgs"][0]["attributes"]["login_timeout"] = 20
    (demo / "etc/target").mkdir(parents=True)
    savefile.write_atomic(location.path, savefile.render(data))


def test_restore_plan_snapshot(snap_compare, make_app, demo, monkeypatch):
    """R: the plan of the saved file, the session its delete drops under the step."""
    from sanctl.sim.demo import SCRATCH_IQN
    from sanctl.lio import apply as A
    from sanctl.lio.live import TargetSession

    _saved_without_scratch(demo)
    monkeypatch.setattr(A, "live_sessions", lambda writer: (
        TargetSession(SCRATCH_IQN, 1, "iqn.1994-05.com.redhat:laptop", "dynamic"),))

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)

    assert snap_compare(make_app(), run_before=run_before, terminal_size=SIZE)


def test_diff_with_apply_snapshot(snap_compare, make_app, demo):
    """D against a saved file: the differences, then what to apply and the Apply saved button."""
    _saved_without_scratch(demo)

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("D")
        await settle(pilot)

    assert snap_compare(make_app(), run_before=run_before, terminal_size=SIZE)
