"""The detail pane: loaded in a worker, 'loading…' when slow, quiet while the cursor races."""

from __future__ import annotations

import threading

from sanctl.ui.widgets import detail as detail_module

from .conftest import RAC_TPG
from .helpers import detail_text, settle

SIZE = (120, 40)


class HeldTimers:
    """A widget's ``set_timer`` held by the test: a timer fires when the test says its time has come."""

    class Timer:
        def __init__(self, callback) -> None:
            self.callback = callback
            self.stopped = False

        def stop(self) -> None:
            self.stopped = True

    def __init__(self) -> None:
        self.waiting: list[HeldTimers.Timer] = []

    def set_timer(self, delay, callback, **options):
        timer = self.Timer(callback)
        self.waiting.append(timer)
        return timer

    def fire(self) -> None:
        """Every timer not stopped fires (once)."""
        due, self.waiting = [t for t in self.waiting if not t.stopped], []
        for timer in due:
            timer.stopped = True
            timer.callback()


async def test_loading_is_shown_while_a_read_is_slow(make_app, monkeypatch):
    release = threading.Event()
    real = detail_module.load_details

    def slow(config, node, target):
        release.wait(5)
        return real(config, node, target)

    monkeypatch.setattr(detail_module, "load_details", slow)
    monkeypatch.setattr(detail_module.DetailPane, "LOADING_DELAY", 0.01)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(500):  # until it says so (the read waits for the test)
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

    def counting(config, node, target):
        loaded.append(node.path)
        return real(config, node, target)

    monkeypatch.setattr(detail_module, "load_details", counting)
    now = [1000.0]  # a fake clock: the moves below come as fast as a held key, however slow this machine is
    monkeypatch.setattr(detail_module.DetailPane, "clock", staticmethod(lambda: now[0]))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("minus")  # the demo opens expanded: start from the top level
        app.screen.tree.select_path(f"{RAC_TPG}/luns")
        await settle(pilot)
        timers = HeldTimers()  # and the pane's timers wait for the test: a slow key press is no rest
        app.screen.detail.set_timer = timers.set_timer
        loaded.clear()
        now[0] += 10  # the cursor has rested: the first move loads at once, the rest while moving wait
        await pilot.press("enter", *["j"] * 6)  # open luns, run down to lun5
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert len(loaded) < 2, loaded  # nothing more loads while the cursor has not rested
        timers.fire()  # now it rests
        await settle(pilot)
        assert app.screen.tree.cursor_path == f"{RAC_TPG}/luns/lun5"
        assert loaded[-1] == f"{RAC_TPG}/luns/lun5"
        assert len(loaded) < 4, loaded
        assert app.screen.detail.details.title == "LUN lun5"


async def test_a_failing_read_is_shown_not_raised(make_app, monkeypatch):
    def broken(config, node, target):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(detail_module, "load_details", broken)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.is_running
        assert "could not read details" in detail_text(app.screen)
        assert "Input/output error" in detail_text(app.screen)
