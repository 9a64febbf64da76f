"""The key bar: the screen's keys on one line, following focus, clickable."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Input

from sanctl.ui.widgets.key_bar import KeyBar
from tests.ui.helpers import settle


class _Keys(App[None]):
    BINDINGS = [
        Binding("x", "mark('x')", "Mark"),
        Binding("y", "mark('y')", "Busy"),
        Binding("z", "mark('z')", "Hidden", show=False),
        Binding("w", "mark('x')", "Same action"),  # an action is shown once, with its first key
    ]

    def __init__(self) -> None:
        super().__init__()
        self.marks: list[str] = []
        self.bells = 0

    def compose(self) -> ComposeResult:
        yield Input(id="field")
        yield KeyBar()

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "mark" and parameters == ("y",):
            return None  # shown, but not usable now
        return True

    def action_mark(self, what: str) -> None:
        self.marks.append(what)

    def bell(self) -> None:
        self.bells += 1


async def test_shows_each_action_once_and_dims_what_cannot_be_used():
    app = _Keys()
    async with app.run_test(size=(80, 10)) as pilot:
        app.set_focus(None)
        await pilot.pause()
        bar = app.query_one(KeyBar)
        assert bar.text.startswith(" x Mark  y Busy ")
        assert "Hidden" not in bar.text and "Same action" not in bar.text
        line = bar.render()
        busy = bar.text.index("Busy")
        mark = bar.text.index("Mark")
        assert any(span.start <= busy < span.end and "dim" in str(span.style) for span in line.spans)
        assert not any(span.start <= mark < span.end and "dim" in str(span.style) for span in line.spans)


async def test_a_click_presses_the_key_and_a_dimmed_one_rings():
    app = _Keys()
    async with app.run_test(size=(80, 10)) as pilot:
        app.set_focus(None)
        await pilot.pause()
        bar = app.query_one(KeyBar)
        await pilot.click(KeyBar, offset=(bar.text.index("Mark"), 0))
        await pilot.pause()
        assert app.marks == ["x"]
        await pilot.click(KeyBar, offset=(bar.text.index("Busy"), 0))
        await pilot.pause()
        assert app.marks == ["x"] and app.bells == 1
        await pilot.click(KeyBar, offset=(70, 0))  # past the last key: nothing
        await pilot.pause()
        assert app.marks == ["x"] and app.bells == 1


async def test_the_bar_follows_focus(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        bar = app.screen.query_one(KeyBar)
        assert "/ Filter" in bar.text and "q Quit" in bar.text
        await pilot.press("slash")  # the filter field takes focus: its keys, not the tree's
        await settle(pilot)
        assert "esc Clear filter" in bar.text and "a Add" not in bar.text
        await pilot.press("escape")
        await settle(pilot)
        assert "a Add" in bar.text
        await pilot.press("2")
        await settle(pilot)
        assert "p Pause" in app.screen.query_one(KeyBar).text
