"""Pilot tests of the configuration screen on the demo SAN."""

from __future__ import annotations

import os
import shutil

from sanctl.ui.screens.config import EMPTY_HINT, ConfigScreen
from sanctl.ui.screens.help import HelpScreen

from .conftest import HOST, RAC, RAC_TPG, WEB_ACL
from .helpers import detail_text, settle, visible_paths

SIZE = (120, 40)


async def test_opens_expanded_as_targetcli_ls_with_header(make_app):
    app = make_app(readonly=True, readonly_reason="not root")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ConfigScreen)
        tree = screen.tree
        # a small configuration opens whole, as `targetcli ls` prints it; nothing pressed
        paths = visible_paths(tree)
        assert paths[:3] == ["/backstores", "/backstores/block", "/backstores/block/ora-arch"]
        assert "/backstores/block/ora-ocr-1" in paths and f"{RAC_TPG}/luns/lun5" in paths
        assert f"{WEB_ACL}/mapped_lun0" in paths and paths[-1] == "/loopback"
        assert tree.cursor_path == "/backstores"
        assert tree.has_focus
        bar = screen.query_one("#status-bar").text
        assert HOST in bar and "demo" in bar and "read-only: not root" in bar
        assert not screen.query_one("#hint").display


async def test_header_of_a_writable_real_host(make_app):
    app = make_app(mode="real")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        bar = app.screen.query_one("#status-bar").text
        assert "real" in bar and "read-only" not in bar


async def test_header_of_a_captured_tree_shows_its_root(make_app, demo):
    app = make_app(mode="captured", readonly=True, readonly_reason="reading a captured tree")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        bar = app.screen.query_one("#status-bar").text
        assert "captured" in bar and f"root {demo}" in bar and "read-only: reading a captured tree" in bar


async def test_j_k_and_arrows_move(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tree = app.screen.tree
        await pilot.press("j")
        assert tree.cursor_path == "/backstores/block"
        await pilot.press("k")
        assert tree.cursor_path == "/backstores"
        await pilot.press("down")
        assert tree.cursor_path == "/backstores/block"
        await pilot.press("up")
        assert tree.cursor_path == "/backstores"


async def test_expand_a_target_down_to_a_lun_with_keys(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tree = app.screen.tree
        await pilot.press("minus")  # collapse all: the top level only
        assert visible_paths(tree) == ["/backstores", "/iscsi", "/loopback"]
        await pilot.press("j", "enter")  # open iscsi: scratch, web, rac (sorted by IQN)
        assert visible_paths(tree)[2:5] == [
            "/iscsi/iqn.2024-01.com.example:scratch",
            "/iscsi/iqn.2024-01.com.example:web",
            RAC,
        ]
        await pilot.press("j", "j", "j", "space")  # open the RAC target with space
        assert tree.cursor_path == RAC
        await pilot.press("j", "enter", "j", "j", "enter", "j")
        assert tree.cursor_path == f"{RAC_TPG}/luns/lun0"
        assert f"{RAC_TPG}/luns/lun5" in visible_paths(tree)
        await settle(pilot)
        details = app.screen.detail.details
        assert details is not None and details.title == "LUN lun0"
        text = detail_text(app.screen)
        assert "block/ora-ocr-1" in text and "/dev/vg_san/ora-ocr-1" in text
        assert "iqn.2024-01.storage.oracle:client2" in text  # mapped by
        # collapse the TPG again: its children disappear, the cursor stays visible
        await pilot.press("k", "k", "k", "space")
        assert tree.cursor_path == RAC_TPG
        assert f"{RAC_TPG}/luns/lun0" not in visible_paths(tree)


async def test_storage_object_details(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.tree.select_path("/backstores/block/ora-ocr-1")
        await settle(pilot)
        text = detail_text(app.screen)
        for expected in ("Storage object ora-ocr-1", "/dev/vg_san/ora-ocr-1", "10.0GiB", "serial (wwn)",
                         "activated", "ALUA groups", "default_tg_pt_gp", "Used by", "tpg1/lun0",
                         "iqn.2024-01.storage.oracle:rac", "emulate_3pc"):
            assert expected in text or expected == app.screen.detail.details.title, expected


async def test_tpg_details_show_attributes_parameters_auth(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.tree.select_path(RAC_TPG)
        await settle(pilot)
        sections = [s.title for s in app.screen.detail.details.sections]
        assert sections[:3] == ["General", "Attributes", "Parameters"]
        text = detail_text(app.screen)
        assert "generate_node_acls" in text and "MaxConnections" in text


async def test_chap_secrets_are_masked(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.tree.select_path(WEB_ACL)
        await settle(pilot)
        details = app.screen.detail.details
        auth = {row.key: row.value for s in details.sections if s.title == "Auth" for row in s.rows}
        assert auth["userid"] == "web01"
        assert auth["password"] == "********"
        assert auth["mutual_password"] == "********"
        text = detail_text(app.screen)
        svg = app.export_screenshot()
        for secret in ("web01-chap-secret", "target-chap-secret"):
            assert secret not in text and secret not in svg


async def test_unreadable_setting_is_shown_as_unreadable(make_app, monkeypatch):
    from sanctl.lio import configfs

    real_read = configfs._read_setting

    def failing_read(dir_fd, name):
        if name == "emulate_3pc" and os.readlink(f"/proc/self/fd/{dir_fd}").endswith("/attrib"):
            raise PermissionError(13, "Permission denied")
        return real_read(dir_fd, name)

    monkeypatch.setattr(configfs, "_read_setting", failing_read)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.tree.select_path("/backstores/block/ora-ocr-1")
        await settle(pilot)
        rows = {row.key: row for s in app.screen.detail.details.sections for row in s.rows}
        assert rows["emulate_3pc"].value == "<unreadable: Permission denied>"
        assert rows["emulate_3pc"].state == "bad"


async def test_filter_shows_matches_with_ancestors_and_esc_restores(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        tree = screen.tree
        tree.select_path(f"{RAC_TPG}/portals")  # some expansion to restore later
        await settle(pilot)
        before = visible_paths(tree)
        await pilot.press("slash")
        assert screen.filter_input.has_focus
        await pilot.press(*"ocr")
        await settle(pilot)
        assert visible_paths(tree) == [
            "/backstores",
            "/backstores/block",
            "/backstores/block/ora-ocr-1",
            "/backstores/block/ora-ocr-2",
            "/backstores/block/ora-ocr-3",
        ]
        assert tree.border_subtitle == "3 matches"
        assert tree.cursor_path == "/backstores/block/ora-ocr-1"
        await pilot.press("escape")
        await settle(pilot)
        after = visible_paths(tree)
        assert not screen.filtering and tree.border_subtitle == ""
        assert not screen.filter_input.display
        # the expansion from before the filter is back, plus the way to where the cursor went
        assert set(before) <= set(after)
        assert tree.cursor_path == "/backstores/block/ora-ocr-1"
        assert tree.has_focus


async def test_filter_reaches_unexpanded_depths_and_counts(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tree = app.screen.tree
        await pilot.press("slash", *"CLIENT2")  # case-insensitive, never expanded before
        await settle(pilot)
        assert visible_paths(tree) == [
            "/iscsi",
            RAC,
            RAC_TPG,
            f"{RAC_TPG}/acls",
            f"{RAC_TPG}/acls/iqn.2024-01.storage.oracle:client2",
        ]
        assert tree.border_subtitle == "1 match"
        await pilot.press("enter")  # back to the tree, filter kept
        assert tree.has_focus and app.screen.filtering
        await pilot.press("j")
        await pilot.press("backspace")  # nothing to type into: a no-op
        await pilot.press("slash", "ctrl+a")
        await pilot.press(*"nothing-like-this")
        await settle(pilot)
        assert visible_paths(tree) == []
        assert tree.border_subtitle == "no matches"


async def test_typing_in_the_filter_does_not_trigger_keys(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", "q", "r", "question_mark")
        await settle(pilot)
        assert app.is_running
        assert isinstance(app.screen, ConfigScreen)
        assert app.screen.filter_input.value == "qr?"


async def test_refresh_after_an_acl_vanished_keeps_the_cursor(make_app, demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tree = app.screen.tree
        client = f"{RAC_TPG}/acls/iqn.2024-01.storage.oracle:client"
        assert tree.select_path(client)
        await settle(pilot)
        assert f"{client}2" in visible_paths(tree)
        acls = demo / "sys/kernel/config/target/iscsi/iqn.2024-01.storage.oracle:rac/tpgt_1/acls"
        shutil.rmtree(acls / "iqn.2024-01.storage.oracle:client2")
        await pilot.press("r")
        await settle(pilot)
        paths = visible_paths(tree)
        assert f"{client}2" not in paths
        assert client in paths
        assert tree.cursor_path == client
        assert app.screen.detail.details.path == client


async def test_refresh_when_the_cursor_node_vanished_lands_on_its_parent(make_app, demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tree = app.screen.tree
        client2 = f"{RAC_TPG}/acls/iqn.2024-01.storage.oracle:client2"
        tree.select_path(client2)
        await settle(pilot)
        acls = demo / "sys/kernel/config/target/iscsi/iqn.2024-01.storage.oracle:rac/tpgt_1/acls"
        shutil.rmtree(acls / "iqn.2024-01.storage.oracle:client2")
        await pilot.press("r")
        await settle(pilot)
        assert tree.cursor_path == f"{RAC_TPG}/acls"
        assert tree.node_at(f"{RAC_TPG}/acls").is_expanded


async def test_refresh_without_change_keeps_everything(make_app):
    app = make_app()
    notes = []
    async with app.run_test(size=SIZE) as pilot:
        app.notify = lambda message, **kw: notes.append(message)
        await settle(pilot)
        tree = app.screen.tree
        tree.select_path(f"{RAC_TPG}/luns/lun3")
        await settle(pilot)
        before = visible_paths(tree)
        node_before = tree.cursor_node
        await pilot.press("r")
        await settle(pilot)
        assert visible_paths(tree) == before
        assert tree.cursor_node is node_before  # not rebuilt at all
        assert notes and "no change" in notes[-1]


async def test_configfs_vanishing_is_a_notification_not_a_crash(make_app, demo):
    app = make_app()
    notes = []
    async with app.run_test(size=SIZE) as pilot:
        app.notify = lambda message, **kw: notes.append((message, kw.get("severity")))
        await settle(pilot)
        before = visible_paths(app.screen.tree)
        shutil.rmtree(demo / "sys/kernel/config")
        await pilot.press("r")
        await settle(pilot)
        assert app.is_running
        assert visible_paths(app.screen.tree) == before
        message, severity = notes[-1]
        assert "configfs vanished" in message and severity == "error"


async def test_help_lists_the_keys_and_closes(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        rows = {desc: keys for _section, keys, desc in app.screen.rows}
        assert app.screen.rows[0][0] == "General"
        assert rows["Filter"] == "/"
        assert rows["Refresh"] == "r"
        assert "q" in rows["Quit"].split()
        assert rows["Help"].startswith("?")
        assert "j" in rows["Cursor Down"].split() and "k" in rows["Cursor Up"].split()
        assert "⏎" in rows["Open/close"] or "enter" in rows["Open/close"]
        await pilot.press("escape")
        assert isinstance(app.screen, ConfigScreen)
        await pilot.press("question_mark")
        await pilot.press("question_mark")
        assert isinstance(app.screen, ConfigScreen)


async def test_q_quits(make_app):
    """With everything saved ``q`` quits at once (unsaved: tests/ui/test_safety_ui.py)."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot, rounds=5)
        await pilot.press("q")
        await pilot.pause()
    assert not app.is_running
    assert app.return_code == 0


async def test_empty_configuration_shows_groups_and_a_hint(tmp_path):
    from sanctl.ui.app import SanctlApp

    root = tmp_path / "empty"
    (root / "sys/kernel/config/target/core").mkdir(parents=True)
    (root / "sys/kernel/config/target/iscsi").mkdir()
    app = SanctlApp(root=str(root), mode="real", readonly=False, readonly_reason=None, theme=None, host=HOST)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        from sanctl.ui.screens.setup_entry import SetupOffer

        assert isinstance(app.screen, SetupOffer)  # a host without a target is offered the setup wizard
        await pilot.press("escape")
        await settle(pilot)
        hint = app.screen.query_one("#hint")
        assert hint.display and str(hint.content) == EMPTY_HINT
        tree = app.screen.tree
        plugins = [f"/backstores/{p}" for p in ("block", "fileio", "pscsi", "ramdisk", "user")]
        assert visible_paths(tree) == ["/backstores", *plugins, "/iscsi"]  # small: open
        await pilot.press("enter")
        assert visible_paths(tree) == ["/backstores", "/iscsi"]


async def test_missing_configfs_starts_with_a_hint(tmp_path):
    from sanctl.ui.app import SanctlApp

    app = SanctlApp(root=str(tmp_path), mode="real", readonly=True, readonly_reason="not root", theme=None, host=HOST)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        hint = app.screen.query_one("#hint")
        assert hint.display and "No LIO configfs" in str(hint.content)
        assert app.is_running


async def test_refresh_while_filtering_filters_the_new_configuration(make_app, demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tree = app.screen.tree
        await pilot.press("slash", *"client", "enter")
        await settle(pilot)
        assert tree.border_subtitle == "2 matches"  # the RAC target's client and client2
        acls = demo / "sys/kernel/config/target/iscsi/iqn.2024-01.storage.oracle:rac/tpgt_1/acls"
        shutil.rmtree(acls / "iqn.2024-01.storage.oracle:client2")
        await pilot.press("r")
        await settle(pilot)
        assert app.screen.filtering
        assert tree.border_subtitle == "1 match"
        assert f"{RAC_TPG}/acls/iqn.2024-01.storage.oracle:client2" not in visible_paths(tree)


async def test_filter_after_a_restore_shows_only_matches(make_app):
    """An expansion remembered by a rebuild must not leak into the filtered view."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tree = app.screen.tree
        tree.select_path(f"{RAC_TPG}/luns/lun2")
        await settle(pilot)
        await pilot.press("slash", *"ocr")
        await settle(pilot)
        await pilot.press("escape")  # rebuilt with the TPG open again
        await settle(pilot)
        await pilot.press("slash", *"tpg")
        await settle(pilot)
        paths = visible_paths(tree)
        assert f"{RAC_TPG}/luns" not in paths  # the TPG matched; its children are not shown
        assert RAC_TPG in paths
        assert tree.border_subtitle == "3 matches"


async def test_a_slow_first_read_paints_first_and_fills_the_tree_later(make_app, monkeypatch):
    import threading

    from sanctl.host.local import TreeTarget
    from sanctl.ui.screens import config as config_screen

    release = threading.Event()
    real_read = TreeTarget.read_config

    def slow_read(target, **kw):
        release.wait(5)
        return real_read(target, **kw)

    monkeypatch.setattr(TreeTarget, "read_config", slow_read)
    monkeypatch.setattr(config_screen, "START_WAIT", 0.01)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        tree = app.screen.tree
        assert visible_paths(tree) == []
        assert tree.border_subtitle == "reading configfs…"
        release.set()
        await settle(pilot)
        assert visible_paths(tree)[:2] == ["/backstores", "/backstores/block"]
        assert f"{RAC_TPG}/luns/lun0" in visible_paths(tree)  # opened expanded once read
        assert tree.border_subtitle == ""
        assert tree.cursor_path == "/backstores"
        assert app.screen.detail.details.title == "Backstores"


async def test_a_slow_first_read_that_finds_no_configfs_shows_the_hint(tmp_path, monkeypatch):
    from sanctl.ui.app import SanctlApp
    from sanctl.ui.screens import config as config_screen

    from sanctl.host.local import TreeTarget

    monkeypatch.setattr(config_screen, "START_WAIT", 0.0)
    real_read = TreeTarget.read_config

    def slowish(target, **kw):
        import time

        time.sleep(0.2)
        return real_read(target, **kw)

    monkeypatch.setattr(TreeTarget, "read_config", slowish)
    app = SanctlApp(root=str(tmp_path), mode="real", readonly=True, readonly_reason="not root", theme=None, host=HOST)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        hint = app.screen.query_one("#hint")
        assert hint.display and "No LIO configfs" in str(hint.content)
