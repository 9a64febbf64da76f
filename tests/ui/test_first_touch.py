"""What an operator used to targetcli sees in the first minutes (issue 15): the first screen, the tree's
keys and width, the header on every panel, the key line at 60 columns, help, the palette, the one
confirmation dialog, and the doctor's count from the start."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from textual.app import App, ComposeResult

from sanctl.ui.widgets.config_tree import ConfigTree
from sanctl.ui.widgets.detail import SEPARATORS, wrap_value

from .bigconfig import BIG_IQN, big_config
from .conftest import RAC_TPG
from .helpers import settle, visible_paths

SIZE = (120, 40)


def on_screen(tree) -> list[str]:
    """The paths of the tree lines inside its window (what the operator sees without scrolling)."""
    top = tree.scroll_offset.y
    paths = []
    for line in range(top, top + tree.scrollable_content_region.height):
        node = tree.get_node_at_line(line)
        if node is not None and node.data is not None:
            paths.append(node.data.path)
    return paths


# --- the first screen and the tree --------------------------------------------------------------


async def test_the_first_screen_shows_the_san_expanded_without_a_key(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        seen = on_screen(app.screen.tree)
        assert "/backstores/block/ora-ocr-1" in seen
        assert "/iscsi/iqn.2024-01.com.example:scratch/tpg1" in seen  # a tpg1, on the first screen
        assert f"{RAC_TPG}/luns/lun5" in visible_paths(app.screen.tree)  # the rest, a scroll away


class TreeApp(App[None]):
    def __init__(self, config) -> None:
        super().__init__()
        self.config = config

    def compose(self) -> ComposeResult:
        yield ConfigTree(self.config, id="config-tree")


async def test_plus_expands_a_big_tree_in_the_background_with_progress_and_minus_collapses():
    app = TreeApp(big_config(luns=1200, acls=3))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        tree = app.query_one(ConfigTree)
        assert visible_paths(tree) == ["/backstores", "/iscsi"]  # big: lazy, as before
        shown: list[str] = []
        show = tree._show_progress

        def spy() -> None:
            show()
            shown.append(str(tree.border_subtitle))

        tree._show_progress = spy
        await pilot.press("plus")
        await settle(pilot)
        assert not tree.populating and tree.expanding is None
        assert shown[0] == "expanding… 0 nodes" and "expanding… 1,000 nodes" in shown, shown
        assert shown[-1] == ""  # the border says it while it runs, then nothing
        paths = visible_paths(tree)
        luns = f"/iscsi/{BIG_IQN}/tpg1/luns"
        assert f"{luns}/lun1199" in paths and "/backstores/block/disk01199" in paths
        assert f"/iscsi/{BIG_IQN}/tpg1/acls/iqn.1994-05.com.redhat:host002/mapped_lun1100" in paths
        assert tree.border_subtitle == ""
        await pilot.press("minus")
        await pilot.pause()
        assert visible_paths(tree) == ["/backstores", "/iscsi"]


async def test_the_tree_takes_the_width_its_labels_need_and_w_widens_it(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        tree = screen.tree
        longest = tree.virtual_size.width
        assert tree.scrollable_content_region.width >= longest  # no label cut (`write-thru activa`)
        assert screen.detail.outer_size.width >= 36
        await pilot.press("w")
        await pilot.pause()
        assert not screen.detail.display and tree.outer_size.width == SIZE[0]
        await pilot.press("w")
        await settle(pilot)
        assert screen.detail.display and screen.detail.outer_size.width >= 36


async def test_detail_values_wrap_at_separators_not_mid_token(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.tree.select_path("/iscsi/iqn.2024-01.com.example:web/tpg1/luns/lun0")
        await settle(pilot)
        from .helpers import renderable_text

        drawn = renderable_text(app.screen.detail.body.content, width=app.screen.detail.scrollable_content_region.width)
        lines = [line.rstrip() for line in drawn.splitlines()]
        device = next(i for i, line in enumerate(lines) if line.lstrip().startswith("device"))
        assert lines[device].endswith("/srv/iscsi/")  # the path broken after a "/"…
        assert lines[device + 1].strip() == "web-data.img"  # …the file name whole


@given(st.text(alphabet=st.sampled_from(list("ab/:,.-x ") + ["é"]), max_size=400), st.integers(min_value=8, max_value=60))
def test_wrap_value_keeps_every_character_and_the_width(text, width):
    wrapped = wrap_value(text, width)
    assert wrapped.replace("\n", "") == text.replace("\n", "")
    for line in wrapped.split("\n"):
        assert len(line) <= max(width, 0) or len(text) <= width


def test_wrap_value_breaks_after_the_last_separator_in_reach():
    assert wrap_value("/dev/vg_san/ora-data-1/and/more", 16).split("\n")[0] == "/dev/vg_san/"
    assert wrap_value("8b389064-4f3d-4e7b-b7d7", 12).split("\n")[0] == "8b389064-"  # no strong one: a weak one
    assert wrap_value("abcdefghijklmnopqrstuvwxyz", 10).split("\n") == ["abcdefghij", "klmnopqrst", "uvwxyz"]
    assert "/" in SEPARATORS and ":" in SEPARATORS


# --- the header and the key line ----------------------------------------------------------------


async def test_save_state_is_on_every_panel_and_short_at_80_columns(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        bar = app.screen.query_one("#status-bar")
        bar.doctor = ("doctor: 1 error 3 warnings", "error")  # the demo's own count, long
        bar.show_save_state("unsaved changes")
        await pilot.pause()
        line = bar.render().plain
        assert "unsaved" in line and "unsave…" not in line and "…" not in line
        assert "doctor: 1 err 3 warn" in line and "1 Config" in line
        for key in ("2", "3", "4", "6"):
            await pilot.press(key)
            await settle(pilot)
            assert "unsaved" in app.screen.query_one("#status-bar").render().plain, key


async def test_at_60_by_15_the_key_line_keeps_quit_and_help(make_app):
    app = make_app()
    async with app.run_test(size=(60, 15)) as pilot:
        await settle(pilot)
        from sanctl.ui.widgets.key_bar import KeyBar

        text = app.screen.query_one(KeyBar).text
        assert "q Quit" in text and "? Help" in text
        assert len(text.rstrip()) <= 60


# --- help, the palette, confirmations -----------------------------------------------------------


async def test_help_teaches_what_is_what_and_what_next(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.tree.select_path(f"{RAC_TPG}/acls")
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        from sanctl.ui.screens.help import HelpScreen

        assert isinstance(app.screen, HelpScreen)
        from .helpers import renderable_text

        text = " ".join(renderable_text(app.screen.query_one("#help-body").content, width=100).split())
        assert "press a on acls to let a client in" in text
        for kind in ("backstore", "target", "TPG", "LUN", "ACL", "mapped LUN", "portal", "ALUA group"):
            assert f"{kind} " in text, kind
        assert "Expand all" in text and "Widen tree" in text  # the keys of this screen
        assert "ctrl+p" in text


async def test_ctrl_p_then_save_offers_saving_and_saves(make_app, demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        for char in "save":
            await pilot.press(char)
        await settle(pilot)
        from textual.command import CommandList

        options = app.screen.query_one(CommandList)
        names = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any("Save configuration" in name for name in names), names
        await pilot.press("enter")
        await settle(pilot)
        assert (demo / "etc" / "target" / "saveconfig.json").exists()


async def test_the_palette_names_actions_as_operators_say_them(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.tree.select_path(f"{RAC_TPG}/luns/lun0")
        await settle(pilot)
        from sanctl.ui.palette import commands

        names = [name for name, _help, _run in commands(app.screen)]
        for wanted in ("Save configuration", "Log in to all targets", "Restore a backup…", "Delete lun0…", "Doctor",
                       "Expand all", "Log out of all sessions", "Target sessions"):
            assert wanted in names, wanted


async def test_log_in_to_all_targets_from_the_palette_runs_on_the_initiator_tab(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        from sanctl.ui.palette import commands

        run = next(run for name, _help, run in commands(app.screen) if name == "Log in to all targets")
        run()
        await settle(pilot)
        from sanctl.ui import panels

        assert panels.panel_of(app.screen_stack[1]) == "connect"


async def test_every_confirmation_is_one_widget_with_one_footer(make_app):
    from sanctl.ui.screens.confirm import ConfirmScreen, footer

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for dialog in (ConfirmScreen("Log out", ["Log out of x?"], confirm="Log out", danger=False),
                       ConfirmScreen("Fix: something", ["Apply it?"], confirm="Apply")):
            app.push_screen(dialog)
            await settle(pilot)
            box = app.screen.query_one("#confirm")
            assert box.border_subtitle == footer() == "y confirms · esc cancels"
            assert app.focused.id == "confirm-cancel"
            await pilot.press("escape")
            await settle(pilot)
        typed = ConfirmScreen("Delete tpg1", ["Delete tpg1?"], word="tpg1")
        app.push_screen(typed)
        await settle(pilot)
        assert app.screen.query_one("#confirm").border_subtitle == footer("tpg1")
        assert footer("tpg1").endswith("esc cancels")


# --- the doctor's count from the start --------------------------------------------------------


async def test_the_first_screens_doctor_count_is_sanctl_doctors(tmp_path, monkeypatch):
    from sanctl.doctor.command import run
    from sanctl.host import host_for
    from sanctl.startup import Source
    from sanctl.ui import app as app_module
    from sanctl.ui import panels
    from sanctl.ui.app import SanctlApp

    from .live_helpers import T0, live_root

    # the live demo at one fixed moment (flapping), twice: `sanctl doctor` looks at one, the app at the other
    twin = live_root(tmp_path / "twin")
    expected = run(host_for(Source(str(twin), "demo", False, None)), observe=0, keep=False,
                   clock=lambda: 1000.0, wall_clock=lambda: T0).badge()
    assert expected != "doctor: 2 warnings"  # what the configuration alone gives: the live state adds findings
    monkeypatch.setattr(app_module, "LIVE_CHECKS_DELAY", 0.01)
    app = SanctlApp(root=str(live_root(tmp_path / "app")), mode="demo", host="san01", theme=None)
    panels.configure(app, clock=lambda: 1000.0, wall_clock=lambda: T0)  # sampling as in real use, on these clocks
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        from sanctl.ui.doctor_service import service

        doctor = service(app)
        for _ in range(200):  # the start-up sample and the evaluation after it run in workers
            await settle(pilot, rounds=1)
            if doctor.report is not None and doctor.report.live and expected in app.screen.query_one("#status-bar").text:
                break
        assert app.screen is app.screen_stack[0]  # no live panel was opened
        assert expected in app.screen.query_one("#status-bar").text


def test_the_loopback_node_needs_tcm_loop_on_a_real_host(tmp_path):
    from sanctl.host.captured import CapturedHost
    from sanctl.host.local import LocalHost
    from sanctl.model import SanConfig
    from sanctl.ui.screens.config import unloaded_fabrics

    config = SanConfig(root=str(tmp_path))
    real = LocalHost(str(tmp_path))
    assert unloaded_fabrics(real, config) == ()
    (tmp_path / "sys" / "module" / "tcm_loop").mkdir(parents=True)
    (tmp_path / "sys" / "module" / "iscsi_target_mod").mkdir(parents=True)
    assert unloaded_fabrics(real, config, quick=True) == ("iscsi", "loopback")
    assert unloaded_fabrics(real, config) == ("iscsi", "loopback")
    # a captured tree has no kernel to load into
    assert unloaded_fabrics(CapturedHost(str(tmp_path)), config) == ()


async def test_a_big_configuration_leaves_the_live_checks_to_the_live_panels(make_app, monkeypatch):
    from sanctl.ui import app as app_module
    from sanctl.ui.doctor_service import service
    from sanctl.ui.screens import config as config_screen

    monkeypatch.setattr(config_screen, "BIG", 0)  # the demo counts as big: read after the first frame
    monkeypatch.setattr(app_module, "LIVE_CHECKS_DELAY", 0.01)
    app = make_app(live_checks=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.pause(0.05)
        await settle(pilot)
        assert app.screen_stack[0].big
        assert app.session.live is None or app.session.live.frame is None
        report = service(app).report
        assert report is None or not report.live


async def test_the_live_checks_timer_firing_while_the_app_closes_does_nothing(make_app):
    """CI once saw the start-up timer fire after the screens were gone (IndexError on the empty stack)."""
    app = make_app(live_checks=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
    assert not app.screen_stack
    app._start_live_checks()  # what the timer calls: nothing to look at, nothing raised
