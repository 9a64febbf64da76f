"""Before ``q`` leaves unsaved changes behind: save and quit, quit anyway, or cancel.

``QuitScreen(lines)`` dismisses with ``"save"``, ``"quit"`` or ``None``
(cancel: ``esc``, ``n``, the Cancel button, which has focus first so that a
second ``q`` or ``enter`` by habit loses nothing).
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class QuitScreen(ModalScreen[str | None]):
    """``#quit``: ``#quit-body``, ``#quit-cancel`` (focused), ``#quit-anyway``, ``#quit-save``."""

    DEFAULT_CSS = """
    QuitScreen {
        align: center middle;
    }
    #quit {
        width: 80;
        max-width: 100%;
        height: auto;
        border: round $warning;
        border-title-color: $text-warning;
        border-title-style: bold;
        border-subtitle-color: $text-muted;
        background: $surface;
        padding: 0 1;
    }
    #quit-body {
        height: auto;
    }
    #quit-buttons {
        height: 1;
        margin-top: 1;
        align-horizontal: right;
    }
    #quit-buttons Button {
        margin-left: 2;
        min-width: 10;
    }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="quit.cancel"),
        Binding("n", "cancel", "No", show=False, id="quit.no"),
    ]

    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = list(lines)

    def compose(self) -> ComposeResult:
        with Vertical(id="quit") as box:
            box.border_title = "Quit with unsaved changes?"
            box.border_subtitle = "esc cancels"
            yield Static(Text("\n".join(self.lines)), id="quit-body")
            with Horizontal(id="quit-buttons"):
                yield Button("Cancel", id="quit-cancel", compact=True)
                yield Button("Quit anyway", id="quit-anyway", variant="error", compact=True)
                yield Button("Save and quit", id="quit-save", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#quit-cancel", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss({"quit-save": "save", "quit-anyway": "quit"}.get(event.button.id or ""))

    def action_cancel(self) -> None:
        self.dismiss(None)
