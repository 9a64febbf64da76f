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
from textual.widgets import Button, Static

from sanctl.ui.screens.dialog import Dialog


class QuitScreen(Dialog[str | None]):
    """``#quit``: ``#quit-body``, ``#quit-cancel`` (focused), ``#quit-anyway``, ``#quit-save``."""

    DEFAULT_CSS = """
    #quit {
        width: 80;
    }
    #quit-body {
        height: auto;
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
        with Vertical(id="quit", classes="dialog -warning") as box:
            box.border_title = "Quit with unsaved changes?"
            box.border_subtitle = "esc cancels"
            yield Static(Text("\n".join(self.lines)), id="quit-body")
            with Horizontal(id="quit-buttons", classes="dialog-buttons"):
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
