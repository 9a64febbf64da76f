"""10,000 LUNs: children are built on expand, in the background, in chunks."""

from __future__ import annotations

import asyncio

from textual.app import App, ComposeResult

from sanctl.ui.widgets.config_tree import ConfigTree

from .bigconfig import BIG_IQN, big_config
from .helpers import settle, visible_paths

LUNS = f"/iscsi/{BIG_IQN}/tpg1/luns"


class TreeApp(App[None]):
    def __init__(self, config) -> None:
        super().__init__()
        self.config = config

    def compose(self) -> ComposeResult:
        yield ConfigTree(self.config, id="config-tree")


async def test_start_builds_only_the_top_level():
    app = TreeApp(big_config())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        tree = app.query_one(ConfigTree)
        assert visible_paths(tree) == ["/backstores", "/iscsi"]
        assert tree.node_at(f"/iscsi/{BIG_IQN}") is None  # nothing below the top level exists yet


async def test_expanding_ten_thousand_luns_happens_in_the_background():
    app = TreeApp(big_config())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        tree = app.query_one(ConfigTree)
        assert tree.select_path(f"/iscsi/{BIG_IQN}/tpg1")
        await pilot.pause()
        tree.select_path(LUNS)
        tree.node_at(LUNS).expand()
        seen_building = False
        for _ in range(1000):
            await asyncio.sleep(0)
            if tree.populating:
                seen_building = True
                # the node is closed in the widget until every child is there
                assert len(visible_paths(tree)) < 100
                break
        assert seen_building
        await settle(pilot)
        assert not tree.populating
        luns = tree.node_at(LUNS)
        assert luns.is_expanded and len(luns.children) == 10_000
        assert tree.select_path(f"{LUNS}/lun9999")
        assert tree.cursor_path == f"{LUNS}/lun9999"


async def test_select_path_waits_for_a_big_parent():
    app = TreeApp(big_config())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        tree = app.query_one(ConfigTree)
        assert tree.select_path("/backstores/block/disk09998")
        await settle(pilot)
        assert tree.cursor_path == "/backstores/block/disk09998"
        assert not tree.select_path("/backstores/block/no-such-disk")
