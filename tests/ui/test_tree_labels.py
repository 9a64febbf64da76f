"""Tree labels are Text built from the model: never parsed as markup."""

from __future__ import annotations

from rich.style import Style
from textual.app import App, ComposeResult

from sanctl.model import Fabric, SanConfig, Target, Tpg
from sanctl.ui.widgets.config_tree import ConfigTree

from .helpers import settle

ODD = "iqn.2024-01.com.example:[bold]odd[/bold]"


class TreeApp(App[None]):
    def __init__(self, config) -> None:
        super().__init__()
        self.config = config

    def compose(self) -> ComposeResult:
        yield ConfigTree(self.config, id="config-tree")


def odd_config() -> SanConfig:
    tpg = Tpg(1, f"iscsi/{ODD}/tpgt_1", enabled=False)
    return SanConfig("/nonexistent", fabrics=(Fabric("iscsi", "iscsi", targets=(Target("iscsi", ODD, f"iscsi/{ODD}", (tpg,)),)),))


async def test_brackets_in_names_are_shown_literally():
    app = TreeApp(odd_config())
    async with app.run_test(size=(100, 20)) as pilot:
        await settle(pilot)
        tree = app.query_one(ConfigTree)
        assert tree.select_path(f"/iscsi/{ODD}/tpg1")
        await settle(pilot)
        target = tree.node_at(f"/iscsi/{ODD}")
        label = tree.render_label(target, Style(), Style())
        assert ODD in label.plain
        assert "[TPGs: 1]" in label.plain
        tpg = tree.node_at(f"/iscsi/{ODD}/tpg1")
        plain = tree.render_label(tpg, Style(), Style()).plain
        assert "disabled" in plain  # the word is there, not only a colour
        assert tree.get_label_width(target) == len(tree.render_label(target, Style(), Style()).plain)
