"""Issue 12, the screen's half: impact read fresh at confirmation, identity not position, keys.

Each test here is one of the issue's reproducers on the demo SAN; each failed
on ecf9801.
"""

from __future__ import annotations

from sanctl.sim.demo import RAC_CLIENTS, RAC_IQN, WEB_IQN
from sanctl.ui.screens.doctor import DoctorScreen
from sanctl.ui.screens.quit import QuitScreen

from .conftest import RAC_TPG
from .form_helpers import open_form, notices_from_now, saved_state
from .helpers import settle

SIZE = (120, 40)


def pinned(app):
    """The demo's clock fixed (the RAC session's address alternates with time): nothing sampled on its own."""
    from sanctl.ui import panels

    from .live_helpers import Clocks

    clocks = Clocks()
    panels.configure(app, clock=lambda: clocks.mono, wall_clock=lambda: clocks.wall, autostart=False)
    return app
RAC_PORTAL = f"{RAC_TPG}/portals/0.0.0.0:3260"
WEB_PORTAL = f"/iscsi/{WEB_IQN}/tpg1/portals/0.0.0.0:3260"


# ---------------------------------------------------------------------------
# 1. impact from the system, at confirmation
# ---------------------------------------------------------------------------


async def test_delete_right_after_start_lists_the_live_session_and_asks_for_the_name(make_app):
    """No live panel was ever opened: the confirmation still reads the sessions itself."""
    from sanctl.ui.screens.confirm import ConfirmScreen

    app = pinned(make_app())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.tree.select_path("/backstores/block/ora-ocr-1")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot, rounds=5)
        modal = app.screen
        assert isinstance(modal, ConfirmScreen)
        body = "\n".join(modal.lines)
        # this host is logged in to the RAC target as RAC_CLIENTS[0] from 192.168.50.10
        assert f"session of {RAC_CLIENTS[0]} from 192.168.50.10 on {RAC_IQN}/tpg1 loses the disk" in body
        assert "live session" in modal.lines[0]
        assert modal.word == "ora-ocr-1"
        assert modal.query_one("#confirm-ok").disabled


async def test_delete_reads_configfs_again_not_the_tree(make_app, demo):
    """A LUN removed behind sanctl's back since the tree was read is not listed as going with it."""
    import shutil

    app = pinned(make_app())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.tree.select_path("/backstores/block/ora-ocr-1")
        await settle(pilot)
        tpg = demo / "sys/kernel/config/target/iscsi" / RAC_IQN / "tpgt_1"
        for client in RAC_CLIENTS:  # another admin's targetcli: the mappings, then the LUN
            shutil.rmtree(tpg / "acls" / client / "lun_0")
        shutil.rmtree(tpg / "lun/lun_0")
        await pilot.press("d")
        await settle(pilot, rounds=5)
        body = "\n".join(app.screen.lines)
        assert "nothing else depends on it" in body, body
        assert "LUN 0 of" not in body and "session of" not in body


async def test_disabling_a_tpg_with_sessions_asks_naming_them(make_app, demo):
    """An edit that drops sessions gets the same confirmation as a delete, read fresh."""
    from sanctl.ui.screens.confirm import ConfirmScreen

    from .form_helpers import fill

    app = pinned(make_app())
    before = saved_state(demo)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, RAC_TPG, "e")
        await fill(pilot, form, enabled=False)
        await pilot.press("ctrl+s")
        await settle(pilot, rounds=5)
        modal = app.screen
        assert isinstance(modal, ConfirmScreen)
        body = "\n".join(modal.lines)
        assert f"session of {RAC_CLIENTS[0]} from 192.168.50.10 on {RAC_IQN}/tpg1 drops" in body
        assert modal.word == "tpg1"
        await pilot.press("escape")
        await settle(pilot)
    assert saved_state(demo) == before


# ---------------------------------------------------------------------------
# 2. identity, not position
# ---------------------------------------------------------------------------


async def test_an_edit_under_a_filter_keeps_the_cursor_on_its_object(make_app, demo):
    from sanctl.ui.screens.confirm import ConfirmScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await pilot.press(*"0.0.0.0")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert screen.tree.select_path(RAC_PORTAL)
        await settle(pilot)
        assert screen.tree.cursor_path == RAC_PORTAL
        form = await open_form(pilot, RAC_PORTAL, "e")
        form.query_one("#field-offload").value = True
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot, rounds=6)
        assert app.screen is screen
        assert screen.tree.cursor_path == RAC_PORTAL
        await pilot.press("d")
        await settle(pilot, rounds=5)
        modal = app.screen
        assert isinstance(modal, ConfirmScreen)
        assert modal.title_text == "Delete 0.0.0.0:3260"
        assert f"{RAC_IQN}/tpg1" in "\n".join(modal.lines)
        assert WEB_IQN not in "\n".join(modal.lines)


async def test_the_selection_says_when_its_object_is_gone(make_app, demo):
    """A write that removes the object the form was opened on: the cursor stays near, and it says so."""
    import shutil

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        seen = notices_from_now(app)
        form = await open_form(pilot, WEB_PORTAL, "e")
        shutil.rmtree(demo / "sys/kernel/config/target/iscsi" / WEB_IQN / "tpgt_1/np/0.0.0.0:3260")
        form.query_one("#field-offload").value = True
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot, rounds=6)
        assert app.screen.tree.cursor_path != WEB_PORTAL
        assert any("0.0.0.0:3260" in message and "gone" in message for _s, _t, message in seen), seen


# ---------------------------------------------------------------------------
# 3. keys
# ---------------------------------------------------------------------------


async def _keys_at_once(pilot, *keys: str) -> None:
    """Keys queued together, as a terminal delivers a fast typist's ``q2``."""
    from textual import events

    for key in keys:
        pilot.app.post_message(events.Key(key, key))
    await pilot.pause()
    await pilot.pause()


async def test_q_then_2_right_after_start_does_not_crash(make_app):
    """Never saved: ``q`` asks (after a look at the files), ``2`` opens the sessions panel; no crash."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _keys_at_once(pilot, "q", "2")
        await settle(pilot)
        assert app.is_running
        assert isinstance(app.screen, QuitScreen)
    assert app.return_code is None  # not exited, and no exception (run_test re-raises one; it sets the code 1)


async def test_q_then_2_with_everything_saved_quits_cleanly(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, rounds=5)
        await pilot.press("s")
        await settle(pilot, rounds=5)
        await _keys_at_once(pilot, "q", "2")
        await settle(pilot)
    assert app.return_code == 0  # an unhandled exception would make it 1 (and run_test re-raise it)


async def test_q_with_unsaved_changes_asks(make_app, demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, rounds=5)
        await pilot.press("q")
        await settle(pilot)
        assert app.is_running  # ecf9801 quit here, with the configuration never saved
        modal = app.screen
        assert isinstance(modal, QuitScreen)
        assert "Never saved" in "\n".join(modal.lines)
        assert modal.focused.id == "quit-cancel"
        await pilot.press("escape")  # cancel
        await settle(pilot)
        assert app.is_running and not isinstance(app.screen, QuitScreen)
        await pilot.press("q")
        await settle(pilot)
        await pilot.click("#quit-save")  # save and quit
        await settle(pilot, rounds=5)
    assert not app.is_running
    assert (demo / "etc/target/saveconfig.json").is_file()


async def test_q_quit_anyway_does_not_save(make_app, demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, rounds=5)
        await pilot.press("q")
        await settle(pilot)
        await pilot.click("#quit-anyway")
        await settle(pilot)
    assert not app.is_running
    assert not (demo / "etc/target/saveconfig.json").exists()


async def test_q_with_everything_saved_quits_at_once(make_app, demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, rounds=5)
        await pilot.press("s")
        await settle(pilot, rounds=5)
        await pilot.press("q")
        await settle(pilot)
    assert not app.is_running


async def test_panel_keys_do_not_fire_while_a_form_field_has_focus(make_app):

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, RAC_TPG, "e")
        checkbox = form.query_one("#field-enabled")
        checkbox.focus()
        await pilot.press("2", "question_mark", "q")
        await settle(pilot)
        assert app.is_running and app.screen is form and app.focused is checkbox
        field = form.query_one("#field-login_timeout")
        field.focus()
        field.value = ""
        await pilot.press("2", "q")
        await settle(pilot)
        assert app.screen is form and field.value == "2q"


async def test_typing_in_the_wizards_access_step_stays_in_the_field(make_app, monkeypatch, tmp_path):
    """A label with a digit and an IQN with a q: typed into the fields, no panel switch, no quit."""
    from .test_setup_wizard import open_wizard, to_step, wizard

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_wizard(pilot)
        await to_step(pilot, "access", this_host=False)
        label = screen.query_one("#f-clients-0-label")
        assert app.focused is label  # the step opens on its first text field
        await pilot.press(*"web01")
        await settle(pilot)
        assert wizard(app) is screen and label.value == "web01"
        await pilot.press("tab")
        initiator = screen.query_one("#f-clients-0-initiator")
        assert app.focused is initiator  # one Tab: the next field, not a checkbox
        await pilot.press(*"iqn.2024-05.com.quux:web01")
        await settle(pilot)
        assert app.is_running and wizard(app) is screen
        assert initiator.value == "iqn.2024-05.com.quux:web01"
        checkbox = screen.query_one("#f-demo_mode")
        checkbox.focus()
        await pilot.press("q", "2", "question_mark")
        await settle(pilot)
        assert app.is_running and wizard(app) is screen


# ---------------------------------------------------------------------------
# 8. one set of rules for forms, wizard and doctor
# ---------------------------------------------------------------------------


async def test_block_form_refuses_a_whole_disk_whose_partition_is_mounted(make_app, demo):
    """The wizard refused /dev/vdb (its /dev/vdb1 is mounted on /srv); the block form exported it."""
    from .form_helpers import confirm_enabled, error_of, fill

    app = make_app()
    before = saved_state(demo)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, "/backstores/block")
        await fill(pilot, form, name="disk9", dev="/dev/vdb")
        assert "partition /dev/vdb1 in use (mounted on /srv)" in (error_of(form, "dev") or "")
        assert not confirm_enabled(form)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
    assert saved_state(demo) == before


async def test_the_form_warns_what_the_doctor_would_before_it_commits(make_app, demo):
    """Demo mode with write access, iSER without RDMA, a backstore exported through two targets."""
    from .form_helpers import fill, warnings_of

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, RAC_TPG, "e")
        await fill(pilot, form, generate_node_acls=True, demo_mode_write_protect=False)
        assert "doctor: Demo mode with write access" in warnings_of(form)
        await pilot.press("escape")
        await settle(pilot)

        form = await open_form(pilot, RAC_PORTAL, "e")
        assert "doctor:" not in warnings_of(form)
        await fill(pilot, form, iser=True)
        assert "doctor: iSER on portal 0.0.0.0:3260" in warnings_of(form)
        assert "no RDMA device" in warnings_of(form)
        await pilot.press("escape")
        await settle(pilot)

        form = await open_form(pilot, f"/iscsi/{WEB_IQN}/tpg1/luns")
        await fill(pilot, form, storage_object="block/ora-ocr-1")
        assert "doctor:" in warnings_of(form) and "ora-ocr-1" in warnings_of(form)


# ---------------------------------------------------------------------------
# 4. an empty kernel with a saved configuration: restore, not the wizard
# ---------------------------------------------------------------------------


async def test_an_empty_kernel_with_a_saved_file_is_offered_a_restore(tmp_path, demo):
    import contextlib
    import io
    import os
    import shutil

    from sanctl.cli import main
    from sanctl.sim.layout import SimKernel
    from sanctl.lio import savefile
    from sanctl.ui.app import SanctlApp
    from sanctl.ui.screens.restore import RestoreScreen
    from sanctl.ui.screens.setup_entry import RestoreOffer

    from .conftest import HOST

    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["--demo", "--root", str(demo), "save"]) == 0
    root = tmp_path / "rebooted"
    SimKernel.boot(root)  # the kernel after a reboot without the boot-time restore
    saved = savefile.locate(str(root)).path
    os.makedirs(os.path.dirname(saved), exist_ok=True)
    shutil.copy(savefile.locate(str(demo)).path, saved)
    before = open(saved, "rb").read()
    app = SanctlApp(root=str(root), mode="demo", host=HOST)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, rounds=5)
        offer = app.screen
        assert isinstance(offer, RestoreOffer), type(offer).__name__
        assert "holds 3 targets and 8 backstores" in offer.text
        await pilot.press("enter")  # "Preview the restore" has the focus
        await settle(pilot, rounds=5)
        assert isinstance(app.screen, RestoreScreen)
    assert open(saved, "rb").read() == before


async def test_panel_keys_still_work_on_a_list_that_is_not_a_field(make_app):
    """The doctor's findings list moves the cursor; it takes no text: 1 goes back to the configuration."""
    from sanctl.ui.screens.config import ConfigScreen

    app = pinned(make_app())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot)
        assert isinstance(app.screen, DoctorScreen)
        await pilot.press("1")
        await settle(pilot)
        assert isinstance(app.screen, ConfigScreen)
