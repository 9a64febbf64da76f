"""The detail pane: loaded in a worker, 'loading…' when slow, quiet while the cursor races."""

from __future__ import annotations

import threading

from sanctl.ui.widgets import detail as detail_module

from .conftest import RAC_TPG
from .helpers import detail_text, settle

SIZE = (120, 40)


async def test_loading_is_shown_while_a_read_is_slow(make_app, monkeypatch):
    release = threading.Event()
    real = detail_module.load_details

    def slow(config, node):
        release.wait(5)
        return real(config, node)

    monkeypatch.setattr(detail_module, "load_details", slow)
    monkeypatch.setattr(detail_module.DetailPane, "LOADING_DELAY", 0.01)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(20):
            await pilot.pause(0.02)
            if "loading…" in detail_text(app.screen):
                break
        pane = app.screen.detail
        assert pane.pending and "loading…" in detail_text(app.screen)
        assert pane.border_title == "Backstores"
        release.set()
        await settle(pilot)
        assert not pane.pending and "Storage objects by plugin" in detail_text(app.screen)


async def test_a_racing_cursor_loads_only_where_it_rests(make_app, monkeypatch):
    loaded = []
    real = detail_module.load_details

    def counting(config, node):
        loaded.append(node.path)
        return real(config, node)

    monkeypatch.setattr(detail_module, "load_details", counting)
    now = [1000.0]  # a fake clock: the moves below come as fast as a held key, however slow this machine is
    monkeypatch.setattr(detail_module.DetailPane, "clock", staticmethod(lambda: now[0]))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("minus")  # the demo opens expanded: start from the top level
        app.screen.tree.select_path(f"{RAC_TPG}/luns")
        await settle(pilot)
        loaded.clear()
        now[0] += 10  # the cursor has rested: the first move loads at once, the rest while moving wait
        await pilot.press("enter", *["j"] * 6)  # open luns, run down to lun5
        await settle(pilot)
        assert app.screen.tree.cursor_path == f"{RAC_TPG}/luns/lun5"
        assert loaded[-1] == f"{RAC_TPG}/luns/lun5"
        assert len(loaded) < 4, loaded
        assert app.screen.detail.details.title == "LUN lun5"


async def test_a_failing_read_is_shown_not_raised(make_app, monkeypatch):
    def broken(config, node):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(detail_module, "load_details", broken)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.is_running
        assert "could not read details" in detail_text(app.screen)
        assert "Input/output error" in detail_text(app.screen)
