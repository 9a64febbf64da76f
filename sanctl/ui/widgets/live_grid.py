"""A table for live numbers that repaints only the cells that changed.

Textual's ``DataTable`` repaints its whole visible area for one changed cell
(≈17.5 KB per update at 120×40, shared/textual/PERF.md). Over SSH, once a
second, that is the whole budget. :class:`LiveGrid` is built on the Line
API instead:

- two panes side by side, each a plain widget with ``render_line``: the
  *left* pane holds what identifies a row (names, states, addresses), the
  *right* pane the numbers and the sparkline;
- the screen hands in row models and a function that formats one row into
  a :class:`Line`; the grid formats only the rows on screen, compares with
  what it drew, and refreshes exactly the changed region — one left line, or
  the numbers of one right line, or its sparkline;
- a numbers-only refresh costs the width of the numbers, because Textual's
  compositor writes a partial update from the pane's left edge to the end
  of the dirty region: that is why the numbers are the right pane's *first*
  cells.

So a rate that changes costs ≈70 bytes, a screen of unchanged numbers
costs nothing, and a sparkline moves once per history bucket. The grid is
the focus target (cursor, scrolling, paging); it tells the screen which
rows are visible so only those are sampled at full rate.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.containers import Horizontal
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from sanctl.ui.widgets.styling import component_fg

#: Style names a :class:`Line` may use for its left segments.
STYLE_NAMES = ("text", "muted", "group", "ok", "warn", "bad", "accent", "key")


@dataclass(frozen=True, slots=True)
class Line:
    """One row as drawn: left segments ``(text, style name)``, the numbers and the sparkline."""

    left: tuple[tuple[str, str], ...]
    numbers: str = ""
    spark: str = ""
    numbers_style: str = "number"
    #: No numbers: the left text runs on into the right pane.
    wide: bool = False


class _Pane(Widget):
    """One side of the grid; draws whatever the grid says is on its lines."""

    DEFAULT_CSS = """
    _Pane { height: 1fr; }
    """

    def __init__(self, grid: LiveGrid, side: str) -> None:
        super().__init__(classes=f"live-pane -{side}")
        self._grid = grid
        self.side = side

    def render_line(self, y: int) -> Strip:
        return self._grid._strip(self.side, y, self.size.width)

    def on_click(self, event: events.Click) -> None:
        self._grid._clicked(event.y)


class LiveGrid(Horizontal, can_focus=True):
    """Rows with a cursor; only changed cells are repainted. See the module docstring."""

    COMPONENT_CLASSES = {
        "live-grid--header", "live-grid--cursor", "live-grid--number", "live-grid--spark",
        *(f"live-grid--{name}" for name in STYLE_NAMES),
    }

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "edge(0)", "First", show=False),
        Binding("end", "edge(1)", "Last", show=False),
    ]

    DEFAULT_CSS = """
    LiveGrid {
        height: 1fr;
        border: round $border-blurred;
        border-title-color: $text-muted;
        border-subtitle-color: $text-accent;
        background: $surface;
    }
    LiveGrid:focus {
        border: round $border;
        border-title-color: $text;
    }
    LiveGrid > .live-grid--header { color: $text-muted; text-style: bold; }
    LiveGrid > .live-grid--cursor { background: $block-cursor-blurred-background; color: $block-cursor-blurred-foreground; }
    LiveGrid:focus > .live-grid--cursor { background: $block-cursor-background; color: $block-cursor-foreground; }
    LiveGrid > .live-grid--text { color: $foreground; }
    LiveGrid > .live-grid--muted { color: $text-muted; }
    LiveGrid > .live-grid--group { color: $text-primary; text-style: bold; }
    LiveGrid > .live-grid--ok { color: $text-success; }
    LiveGrid > .live-grid--warn { color: $text-warning; }
    LiveGrid > .live-grid--bad { color: $text-error; text-style: bold; }
    LiveGrid > .live-grid--accent { color: $text-accent; }
    LiveGrid > .live-grid--key { color: $text-muted; }
    LiveGrid > .live-grid--number { color: $foreground; }
    LiveGrid > .live-grid--spark { color: $text-accent; }
    """

    class Highlighted(Message):
        """The cursor moved to another row (``key`` is None for an empty grid)."""

        def __init__(self, grid: LiveGrid, key: Hashable | None) -> None:
            super().__init__()
            self.grid = grid
            self.key = key

        @property
        def control(self) -> LiveGrid:
            return self.grid

    class Scrolled(Message):
        """The set of visible rows changed (scrolling, resizing, new rows)."""

        def __init__(self, grid: LiveGrid) -> None:
            super().__init__()
            self.grid = grid

        @property
        def control(self) -> LiveGrid:
            return self.grid

    def __init__(self, *, header_left: str = "", header_right: str = "", right_width: int = 0,
                 numbers_width: int = 0, id: str | None = None) -> None:
        super().__init__(id=id)
        self.header_left = header_left
        self.header_right = header_right
        self.right_width = right_width
        self.numbers_width = numbers_width
        self._rows: Sequence[Any] = ()
        self._keys: list[Hashable] = []
        self._index: dict[Hashable, int] = {}
        self._keys_source: Sequence[Hashable] | None = None
        self._format: Callable[[Any, int], Line] | None = None
        self._lines: dict[Hashable, Line] = {}
        self._top = 0
        self._cursor = 0
        self._styles: dict[str, Style] | None = None
        self._left = _Pane(self, "left")
        self._right = _Pane(self, "right")
        self._visible: tuple[Hashable, ...] = ()
        #: Lines repainted, for tests and the benchmark: (left lines, number cells, sparklines, full repaints).
        self.repaints = [0, 0, 0, 0]

    def compose(self):
        yield self._left
        yield self._right

    def on_mount(self) -> None:
        self._apply_widths()

    # --- geometry -----------------------------------------------------------------------

    def _apply_widths(self) -> None:
        self._right.styles.width = self.right_width
        self._right.display = self.right_width > 0
        self._left.styles.width = "1fr"

    def set_right(self, right_width: int, numbers_width: int, header_right: str) -> None:
        """Change the right pane's layout (on resize); everything is drawn again."""
        if (right_width, numbers_width, header_right) == (self.right_width, self.numbers_width, self.header_right):
            return
        self.right_width, self.numbers_width, self.header_right = right_width, numbers_width, header_right
        self._apply_widths()
        self.redraw()

    @property
    def left_width(self) -> int:
        return max(0, self._left.size.width)

    @property
    def view_height(self) -> int:
        """Rows that fit (the first line is the header)."""
        return max(0, self._left.size.height - 1)

    def on_resize(self, event: events.Resize) -> None:
        self._clamp()
        self.redraw()

    # --- content ------------------------------------------------------------------------

    def set_rows(self, rows: Sequence[Any], format_line: Callable[[Any, int], Line],
                 keys: Sequence[Hashable] | None = None) -> None:
        """Show ``rows`` (objects with a hashable ``key``), drawn by ``format_line(row, left_width)``.

        Same keys in the same order: only changed cells of visible rows are
        repainted. Otherwise the grid is drawn again, the cursor staying on
        its row if that row is still there. ``keys``, if given, are the rows'
        keys; passing the very same sequence object as last time skips
        comparing them (thousands of rows, every second).
        """
        self._format = format_line
        changed = False
        if keys is None or keys is not self._keys_source:
            self._keys_source = keys
            new_keys = list(keys) if keys is not None else [row.key for row in rows]
            if new_keys != self._keys:
                changed = True
                current = self.cursor_key
                self._rows, self._keys = rows, new_keys
                self._index = {key: i for i, key in enumerate(new_keys)}
                if current is not None and current in self._index:
                    self._cursor = self._index[current]
                self._clamp()
                self.redraw()
                if self.cursor_key != current:
                    self.post_message(self.Highlighted(self, self.cursor_key))
        if changed:
            return
        self._rows = rows
        if not self.is_mounted:
            return
        for i in range(self._top, min(self._top + self.view_height, len(rows))):
            key = self._keys[i]
            new = format_line(rows[i], self.left_width)
            old = self._lines.get(key)
            if old == new:
                continue
            self._lines[key] = new
            if old is None:
                continue  # never drawn: drawn from the cache when its line is painted
            y = i - self._top + 1
            if old.left != new.left or old.wide != new.wide:
                self._left.refresh(Region(0, y, self.left_width, 1))
                if old.wide or new.wide:
                    self._right.refresh(Region(0, y, self.right_width, 1))
                self.repaints[0] += 1
            if old.numbers != new.numbers or old.numbers_style != new.numbers_style:
                self._right.refresh(Region(0, y, max(len(old.numbers), len(new.numbers)), 1))
                self.repaints[1] += 1
            if old.spark != new.spark:
                start = self.numbers_width
                self._right.refresh(Region(start, y, max(0, self.right_width - start), 1))
                self.repaints[2] += 1

    def redraw(self) -> None:
        """Draw everything again (after scrolling, resizing, new rows, a theme change)."""
        self._lines.clear()
        self._left.refresh()
        self._right.refresh()
        self.repaints[3] += 1
        self._announce_visible()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = None
        if self.is_mounted:
            self._left.refresh()
            self._right.refresh()

    def _announce_visible(self) -> None:
        visible = tuple(self.visible_keys())
        if visible != self._visible:
            self._visible = visible
            self.post_message(self.Scrolled(self))

    def visible_keys(self) -> list[Hashable]:
        return self._keys[self._top:self._top + max(1, self.view_height)]

    @property
    def row_count(self) -> int:
        return len(self._keys)

    @property
    def keys(self) -> tuple[Hashable, ...]:
        """The rows' keys, top to bottom."""
        return tuple(self._keys)

    def index_of(self, key: Hashable) -> int | None:
        """The row of ``key`` (for :meth:`move_cursor`); None when no row has it."""
        return self._index.get(key)

    @property
    def cursor_key(self) -> Hashable | None:
        if not self._keys:
            return None
        return self._keys[min(self._cursor, len(self._keys) - 1)]

    @property
    def cursor_row(self) -> Any | None:
        if not self._rows:
            return None
        return self._rows[min(self._cursor, len(self._rows) - 1)]

    def line_text(self, key: Hashable) -> str:
        """What a row shows, as plain text (for tests)."""
        i = self._index[key]
        line = self._lines.get(key) or (self._format(self._rows[i], self.left_width) if self._format else None)
        if line is None:
            return ""
        return "".join(text for text, _ in line.left) + " | " + line.numbers + " " + line.spark

    # --- cursor and scrolling ------------------------------------------------------------------

    def _clamp(self) -> None:
        n = len(self._keys)
        self._cursor = max(0, min(self._cursor, n - 1)) if n else 0
        view = max(1, self.view_height)
        if self._cursor < self._top:
            self._top = self._cursor
        elif self._cursor >= self._top + view:
            self._top = self._cursor - view + 1
        self._top = max(0, min(self._top, max(0, n - view)))

    def move_cursor(self, index: int) -> None:
        if not self._keys:
            return
        index = max(0, min(index, len(self._keys) - 1))
        if index == self._cursor:
            return
        old_cursor, old_top = self._cursor, self._top
        self._cursor = index
        self._clamp()
        if self._top != old_top:
            self.redraw()
        else:
            for i in (old_cursor, self._cursor):
                y = i - self._top + 1
                self._left.refresh(Region(0, y, self.left_width, 1))
                self._right.refresh(Region(0, y, self.right_width, 1))
        self.post_message(self.Highlighted(self, self.cursor_key))

    def action_cursor(self, delta: int) -> None:
        self.move_cursor(self._cursor + delta)

    def action_page(self, direction: int) -> None:
        self.move_cursor(self._cursor + direction * max(1, self.view_height - 1))

    def action_edge(self, end: int) -> None:
        self.move_cursor(len(self._keys) - 1 if end else 0)

    def scroll_rows(self, delta: int) -> None:
        view = max(1, self.view_height)
        top = max(0, min(self._top + delta, max(0, len(self._keys) - view)))
        if top == self._top:
            return
        self._top = top
        self._cursor = max(top, min(self._cursor, top + view - 1))
        self.redraw()

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        self.scroll_rows(3)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        self.scroll_rows(-3)

    def _clicked(self, y: int) -> None:
        self.focus()
        if y >= 1:
            self.move_cursor(self._top + y - 1)

    # --- drawing -------------------------------------------------------------------------------

    def _style_table(self) -> dict[str, Style]:
        if self._styles is None:
            base = self.rich_style
            back = Style(bgcolor=base.bgcolor)
            table = {"base": back + Style(color=base.color)}
            for name in (*STYLE_NAMES, "header", "number", "spark"):
                table[name] = back + component_fg(self, f"live-grid--{name}")
            cursor = self.get_component_rich_style("live-grid--cursor")
            cursor_back = Style(bgcolor=cursor.bgcolor)
            table["cursor"] = cursor
            for name in (*STYLE_NAMES, "number", "spark"):
                fg = component_fg(self, f"live-grid--{name}")
                table[f"cursor-{name}"] = cursor_back + Style(color=cursor.color, bold=fg.bold, italic=fg.italic)
            self._styles = table
        return self._styles

    def _line(self, i: int) -> Line:
        key = self._keys[i]
        line = self._lines.get(key)
        if line is None:
            line = self._format(self._rows[i], self.left_width) if self._format else Line(())
            self._lines[key] = line
        return line

    def _strip(self, side: str, y: int, width: int) -> Strip:
        styles = self._style_table()
        if width <= 0:
            return Strip.blank(0)
        if y == 0:
            text = self.header_left if side == "left" else self.header_right
            return Strip([Segment(_fit(text, width), styles["header"])], width)
        i = self._top + y - 1
        if i >= len(self._keys):
            return Strip.blank(width, styles["base"])
        line = self._line(i)
        selected = i == self._cursor
        prefix = "cursor-" if selected else ""
        segments: list[Segment] = []
        used = 0
        if side == "right" and line.wide:
            skip = self.left_width
            for text, name in line.left:
                if skip >= len(text):
                    skip -= len(text)
                    continue
                text, skip = text[skip:], 0
                if used >= width:
                    break
                text = text[: width - used]
                segments.append(Segment(text, styles.get(prefix + name) or styles[prefix + "text"]))
                used += len(text)
        elif side == "left":
            for text, name in line.left:
                if used >= width:
                    break
                text = text[: width - used]
                segments.append(Segment(text, styles.get(prefix + name) or styles[prefix + "text"]))
                used += len(text)
        else:
            numbers = line.numbers[:width]
            segments.append(Segment(numbers, styles[prefix + (line.numbers_style or "number")]))
            used = len(numbers)
            pad = self.numbers_width - used
            if pad > 0 and used < width:
                segments.append(Segment(" " * min(pad, width - used), styles[prefix + "text"] if selected else styles["base"]))
                used += min(pad, width - used)
            if line.spark and used < width:
                spark = line.spark[: width - used]
                segments.append(Segment(spark, styles[prefix + "spark"]))
                used += len(spark)
        if used < width:
            segments.append(Segment(" " * (width - used), styles["cursor"] if selected else styles["base"]))
        return Strip(segments, width)


def _fit(text: str, width: int) -> str:
    if len(text) > width:
        return text[: max(0, width - 1)] + "…"
    return text.ljust(width)
