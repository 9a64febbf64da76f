"""The one-line key bar at the bottom: the screen's keys, drawn as one line of text.

Textual's ``Footer`` builds a widget per key and builds them all again each
time the bindings change (focus moves, a screen is shown): at start-up that
was tens of widgets styled several times before the first frame. This bar
is one widget that re-renders its line instead, like the header
(:class:`~sanctl.ui.widgets.status_bar.StatusBar`). It shows what ``Footer``
shows — each action once, its first key and description, keys that cannot
be used now dimmed — and a click on a key presses it.
"""

from __future__ import annotations

from rich.text import Text
from textual.events import Click
from textual.widget import Widget

from sanctl.ui.widgets.styling import component_fg


#: Keys never dropped from a narrow bar: how to leave and how to learn the rest.
PINNED_KEYS = frozenset({"q", "question_mark"})


class KeyBar(Widget):
    """``KeyBar``: docked at the bottom of a screen."""

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        background: $footer-background;
        color: $footer-foreground;
    }
    KeyBar > .key-bar--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    KeyBar > .key-bar--description {
        color: $footer-description-foreground;
        background: $footer-description-background;
    }
    KeyBar > .key-bar--disabled {
        text-style: dim;
    }
    """

    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description", "key-bar--disabled"}

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        #: (first column, last column + 1, key, enabled) of each key drawn by the last render.
        self._spans: list[tuple[int, int, str, bool]] = []

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen) -> None:
        self.refresh()

    def keys(self) -> list[tuple[str, str, str, bool]]:
        """``(key, key as shown, description, enabled)`` for each action shown, in the footer's order."""
        seen: set[str] = set()
        keys = []
        for _node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            keys.append((binding.key, self.app.get_key_display(binding), binding.description, enabled))
        return keys

    def fitting(self, width: int) -> list[tuple[str, str, str, bool]]:
        """The keys that fit in ``width`` columns: the screen's own are dropped from the right
        first, so ``q Quit`` and ``? Help`` stay on a 60-column terminal."""
        keys = self.keys()

        def cells(entry: tuple[str, str, str, bool]) -> int:
            return len(entry[1]) + 2 + (len(entry[2]) + 1 if entry[2] else 0)

        total = sum(cells(entry) for entry in keys)
        while total > width:
            droppable = [i for i, entry in enumerate(keys) if entry[0] not in PINNED_KEYS]
            if not droppable:
                break
            total -= cells(keys.pop(droppable[-1]))
        return keys

    @property
    def text(self) -> str:
        """What the bar says, as plain text (for tests)."""
        return self.render().plain

    def render(self) -> Text:
        key_style = component_fg(self, "key-bar--key")
        key_style += self.get_component_rich_style("key-bar--key").background_style
        description_style = component_fg(self, "key-bar--description")
        dim = self.get_component_rich_style("key-bar--disabled")
        line = Text(no_wrap=True, overflow="crop")
        spans = []
        for key, shown, description, enabled in self.fitting(self.size.width or 10_000):
            start = line.cell_len
            line.append(f" {shown} ", key_style if enabled else key_style + dim)
            if description:
                line.append(f"{description} ", description_style if enabled else description_style + dim)
            spans.append((start, line.cell_len, key, enabled))
        self._spans = spans
        return line

    def key_at(self, x: int) -> tuple[str, bool] | None:
        """``(key, enabled)`` drawn at column ``x`` by the last render, if any."""
        for start, end, key, enabled in self._spans:
            if start <= x < end:
                return key, enabled
        return None

    def on_click(self, event: Click) -> None:
        found = self.key_at(event.x)
        if found is None:
            return
        key, enabled = found
        if enabled:
            self.app.simulate_key(key)
        else:
            self.app.bell()
