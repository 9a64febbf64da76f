"""The first read: started with the screen on a small tree, after the first frame on a big one."""

from __future__ import annotations

import threading

from sanctl.lio.configfs import rough_size
from sanctl.ui import initial_read
from sanctl.ui.initial_read import InitialRead
from tests.ui.conftest import RAC
from tests.ui.helpers import settle


def test_rough_size_counts_backstore_hbas_and_targets(demo, tmp_path):
    from sanctl.lio.configfs import read_config

    config = read_config(str(demo))
    hbas = {so.hba for so in config.storage_objects}
    assert rough_size(str(demo)) == len(hbas) + sum(1 for _ in config.targets)
    assert rough_size(str(tmp_path / "nothing")) == 0


def test_an_unstarted_read_is_not_done_until_started():
    gate = threading.Event()
    read = InitialRead(reader=lambda: (gate.wait(5), "/r")[1], start=False)
    assert not read.started and not read.done(0)
    read.start()
    read.start()  # twice is harmless
    assert read.started
    gate.set()
    assert read.done(5)
    assert read.config == "/r" and read.error is None


async def test_a_big_tree_is_read_after_the_first_frame(make_app, monkeypatch):
    monkeypatch.setattr(initial_read, "BIG", 1)
    monkeypatch.setattr("sanctl.ui.screens.config.BIG", 1)
    laid_out_at_start = []
    start = InitialRead.start

    def spy(self):
        laid_out_at_start.append(app.screen.tree.region.area > 0)
        start(self)

    monkeypatch.setattr(InitialRead, "start", spy)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await settle(pilot)
        assert laid_out_at_start, "the initial read never started"
        assert laid_out_at_start[0], "the read started before the screen was laid out"
        labels = [str(child.label) for child in screen.tree.root.children]
        assert any("iscsi" in label for label in labels)
        assert screen.tree.border_subtitle != "reading configfs…"
        assert screen.tree.select_path(RAC)
