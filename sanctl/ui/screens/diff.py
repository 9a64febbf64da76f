"""The differences between two configurations, object by object (``D``: running vs saved).

Lines come from :class:`sanctl.target.savefile.ConfigDiff` — ``+`` added,
``-`` removed, ``~`` changed with its fields (secrets only as set/changed)
— with the mark as a word-like glyph and a colour, so they read the same
without colour.
"""

from __future__ import annotations

import re

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from sanctl.ui.widgets.styling import component_fg

#: ObjectDiff.status -> component class.
_STYLE = {"added": "diff--added", "removed": "diff--removed", "changed": "diff--changed"}


def _natural(text: str) -> list:
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text)]


def ordered(entries) -> list:
    """Backstores, then discovery auth, then each target followed by what is inside it, in natural order.

    (The configuration lists objects in the order the filesystem returns
    them, which differs between hosts.)
    """
    rank = {"storage_object": 0, "fabric": 1}
    return sorted(entries, key=lambda e: (rank.get(e.kind, 2), _natural(str(e.key))))


def diff_text(widget, summary: str, entries, *, empty: str = "") -> Text:
    """The summary line, then one line per differing object (shared with the restore preview)."""
    text = Text(summary, style="bold")
    if not entries and empty:
        text.append("\n" + empty)
    for entry in ordered(entries):
        text.append("\n")
        name = _STYLE.get(entry.status)
        style = component_fg(widget, name) if name and widget is not None else None
        text.append(f"  {entry.line()}", style)
    return text


class DiffScreen(ModalScreen[None]):
    """``#diff`` with ``#diff-body``; esc, q or D closes."""

    COMPONENT_CLASSES = {"diff--added", "diff--removed", "diff--changed"}

    DEFAULT_CSS = """
    DiffScreen {
        align: center middle;
    }
    #diff {
        width: 100;
        max-width: 100%;
        height: auto;
        max-height: 90%;
        border: round $border;
        border-title-color: $text;
        border-title-style: bold;
        border-subtitle-color: $text-muted;
        background: $surface;
        padding: 0 1;
        scrollbar-size-vertical: 1;
    }
    #diff-body {
        height: auto;
    }
    """

    BINDINGS = [
        Binding("escape", "close", "Close", id="diff.close"),
        Binding("q", "close", "Close", show=False),
        Binding("D", "close", "Close", show=False),
    ]

    def __init__(self, title: str, summary: str, entries=(), *, note: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.summary = summary
        self.entries = tuple(entries)
        self.note = note

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="diff") as box:
            box.border_title = self.title_text
            box.border_subtitle = "esc closes"
            yield Static(id="diff-body")

    def on_mount(self) -> None:
        body = diff_text(self, self.summary, self.entries)
        if self.note:
            body.append("\n\n" + self.note, style="italic")
        self.query_one("#diff-body", Static).update(body)

    @property
    def text(self) -> str:
        """The lines shown, as plain text (tests)."""
        return diff_text(None, self.summary, self.entries).plain

    def action_close(self) -> None:
        self.dismiss()
