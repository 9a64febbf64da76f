"""The doctor panel (6) and the header's badge, on the demo SAN.

The live demo starts at a fixed moment with its fake clocks (see
``live_helpers``), so the flapping RAC client, the file server knocking
without an ACL and the demo-mode session are where the snapshots expect
them. Update the snapshots with
``pytest tests/ui/test_doctor_panel.py --snapshot-update`` after looking at
``snapshot_report.html``.
"""

from __future__ import annotations

import random

import pytest

from sanctl.lio import changes as C
from sanctl.ui.screens.config import ConfigScreen
from sanctl.ui.screens.confirm import ConfirmScreen
from sanctl.ui.screens.doctor import DoctorScreen

from .helpers import settle
from .live_helpers import T0, Clocks, live_app, live_root, sample, utc  # noqa: F401  (utc is a fixture)

RAC = "iqn.2024-01.storage.oracle:rac"
CLIENT = "iqn.2024-01.storage.oracle:client"
SCRATCH = "iqn.2024-01.com.example:scratch"
SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])


async def open_doctor(pilot, clocks: Clocks, samples: int = 4) -> None:
    await settle(pilot)
    await pilot.press("6")
    await sample(pilot, clocks, times=samples)
    await settle(pilot)


def titles(screen) -> list[str]:
    return [f.title for f in screen.report.findings]


def bar_text(app) -> str:
    return app.screen.query_one("#status-bar").text


async def test_the_badge_counts_in_words_before_any_live_look(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        # the idle demo: never saved, RAC's portal open on every address without authentication
        assert "doctor: 2 warnings" in bar_text(app)
        report = app.session.doctor.report
        assert report.warnings == 2 and report.errors == 0 and not report.live


async def test_flapping_is_an_error_and_rac_sharing_is_explained(tmp_path, utc):
    clocks = Clocks()
    app = live_app(live_root(tmp_path), clocks)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_doctor(pilot, clocks)
        screen = app.screen
        assert isinstance(screen, DoctorScreen)
        report = screen.report
        errors = report.of_severity("error")
        assert [f.title for f in errors] == [f"One initiator name, 2 hosts: {CLIENT}"]
        [rac] = [f for f in report.findings if f.rule == "shared_lun"]
        assert rac.severity == "info" and "for Oracle RAC with ASM this sharing is intended" in " ".join(rac.why)
        assert "doctor: 1 error 3 warnings" in bar_text(app)
        # the list: grouped by severity with counts, the error first and highlighted
        prompts = [str(o.prompt) for o in screen.findings_list.options]
        assert prompts[0] == "1 ERROR" and prompts[2] == "3 WARNINGS" and prompts[6] == "2 NOTES"
        assert screen.highlighted.rule == "shared_initiator_name"
        detail = str(screen.query_one("#doctor-detail").render())
        assert "fix: Give each host its own initiator name" in detail
        assert f"enter: go to /iscsi/{RAC}/tpg1/acls/{CLIENT}" in detail
        # enter jumps to the ACL in the configuration tree
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfigScreen)
        assert app.screen.tree.cursor_path == f"/iscsi/{RAC}/tpg1/acls/{CLIENT}"
        # and the badge is on every screen's header
        assert "doctor: 1 error 3 warnings" in bar_text(app)


async def test_the_cursor_stays_on_the_finding_the_operator_chose(tmp_path, utc):
    clocks = Clocks()
    app = live_app(live_root(tmp_path), clocks)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_doctor(pilot, clocks)
        screen = app.screen
        await pilot.press("down", "down")
        chosen = screen.highlighted
        assert chosen.rule != "shared_initiator_name"
        await sample(pilot, clocks, times=2)
        await settle(pilot)
        assert screen.highlighted.key == chosen.key


async def test_a_finding_without_an_object_opens_its_panel(tmp_path, utc):
    clocks = Clocks()
    app = live_app(live_root(tmp_path), clocks)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_doctor(pilot, clocks)
        screen = app.screen
        options = screen.findings_list.options
        index = next(i for i, o in enumerate(options) if "never saved" in str(o.prompt))
        screen.findings_list.highlighted = index
        await pilot.pause()
        assert "enter: the configuration (1) panel" in str(screen.query_one("#doctor-detail").render())
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfigScreen)


def _writable_demo_mode(root) -> None:
    from sanctl.sim.writer import SimWriter

    report = SimWriter(str(root), rng=random.Random(7)).apply(
        [C.tpg_attribute(SCRATCH, 1, "demo_mode_write_protect", 0)])
    assert report.ok


async def test_f_applies_the_safe_fix_after_a_confirmation(tmp_path, utc):
    from sanctl.lio.configfs import read_config

    clocks = Clocks()
    root = live_root(tmp_path)
    _writable_demo_mode(root)
    app = live_app(root, clocks)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_doctor(pilot, clocks)
        screen = app.screen
        options = screen.findings_list.options
        index = next(i for i, o in enumerate(options) if "Demo mode with write access" in str(o.prompt))
        assert "[f fixes]" in str(options[index].prompt)
        screen.findings_list.highlighted = index
        await pilot.pause()
        await pilot.press("f")
        await pilot.pause()
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert confirm.lines[0] == f"Set demo_mode_write_protect=1 on TPG {SCRATCH}/tpg1"
        assert confirm.lines[1] == f"targetcli: /iscsi/{SCRATCH}/tpg1 set attribute demo_mode_write_protect=1"
        await pilot.press("y")
        await settle(pilot)
        await sample(pilot, clocks)
        await settle(pilot)
        tpg = next(t for t in read_config(str(root)).targets if t.wwn == SCRATCH).tpgs[0]
        assert tpg.attributes.value("demo_mode_write_protect") == "1"
        assert not any(f.rule == "demo_mode_writable" for f in app.session.doctor.report.findings)


async def test_f_is_refused_in_read_only_mode(tmp_path, utc):
    clocks = Clocks()
    root = live_root(tmp_path)
    _writable_demo_mode(root)
    app = live_app(root, clocks, readonly=True, readonly_reason="not root")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_doctor(pilot, clocks)
        screen = app.screen
        index = next(i for i, o in enumerate(screen.findings_list.options)
                     if "Demo mode with write access" in str(o.prompt))
        screen.findings_list.highlighted = index
        await pilot.pause()
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, DoctorScreen)
        assert any("read-only: not root" in str(n.message) for n in app.notices)


async def test_the_badge_follows_a_write(make_app, demo):
    """After a write the doctor looks again: saving clears "never saved"."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "doctor: 2 warnings" in bar_text(app)
        await pilot.press("s")
        await settle(pilot)
        await settle(pilot)
        assert "doctor: 1 warning" in bar_text(app)
        assert not any(f.rule == "unsaved_configuration" for f in app.session.doctor.report.findings)


@SIZES
def test_doctor_panel(snap_compare, tmp_path, utc, size):
    clocks = Clocks()
    app = live_app(live_root(tmp_path), clocks)

    async def run_before(pilot) -> None:
        await open_doctor(pilot, clocks)

    assert snap_compare(app, run_before=run_before, terminal_size=size)


def test_live_samples_run_the_rules_when_sessions_change_else_every_ten_seconds():
    """With nothing changing the badge need not follow every second (1,000 sessions made that 13 % of a core)."""
    from types import SimpleNamespace

    from sanctl.host.demo import DemoHost
    from sanctl.live.sampler import LiveFrame
    from sanctl.ui.doctor_service import LIVE_EVERY, DoctorService
    from sanctl.ui.session import Session

    doctor = DoctorService(SimpleNamespace(session=Session(DemoHost("/"))))
    asked: list[float] = []
    doctor.request = lambda *, refresh: asked.append(frame.mono)  # type: ignore[method-assign]
    for second in range(25):
        frame = LiveFrame(seq=second, mono=1000.0 + second, wall=T0 + second)
        doctor.live_frame(frame)
    assert asked == [1000.0, 1000.0 + LIVE_EVERY, 1000.0 + 2 * LIVE_EVERY]
    assert doctor.observer.looks == 25  # every frame is looked at all the same
    # a connection error (the incidents moved on): at once
    frame = LiveFrame(seq=25, mono=1025.0, wall=T0 + 25, incidents_version=1)
    doctor.live_frame(frame)
    assert asked[-1] == 1025.0
    # the panel on screen: every sample, unless the rules are slow
    doctor.panel = object()
    for second in range(26, 29):
        frame = LiveFrame(seq=second, mono=1000.0 + second, wall=T0 + second, incidents_version=1)
        doctor.live_frame(frame)
    assert asked[-3:] == [1026.0, 1027.0, 1028.0]
    doctor.rules_seconds = 0.02  # at half a percent of a core: once in 4 s
    for second in range(29, 35):
        frame = LiveFrame(seq=second, mono=1000.0 + second, wall=T0 + second, incidents_version=1)
        doctor.live_frame(frame)
    assert asked[-2:] == [1028.0, 1032.0]
