"""The one confirmation dialog: what happens, Cancel focused first, one footer.

``ConfirmScreen(title, lines, confirm="Delete", word=None, cancel="Cancel", danger=True)``
dismisses with ``True`` only when the operator presses the confirm button
(or ``y``). The body lists everything the action takes with it (the impact's
lines; ``str`` or ``rich.text.Text``, never markup). With ``word`` the confirm
button stays disabled until that word — the object's name — is typed:
deleting a target, a TPG or anything with live sessions. ``esc`` and ``n``
cancel. ``danger=False`` (a login, a restart) draws it without the red.

Every confirmation of the app is this widget — the configuration's deletes,
the restore, the doctor's fixes and the initiator tab's (with ``danger=False``) — so
each says the same thing at the bottom: :func:`footer`.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Static

from sanctl.ui.screens.dialog import Dialog


def footer(word: str | None = None) -> str:
    """The dialog's bottom line, in the shape every dialog's is ("… confirms · esc cancels")."""
    if word is not None:
        return "type the name, enter confirms · esc cancels"
    return "y confirms · esc cancels"


class ConfirmScreen(Dialog[bool]):
    """``#confirm``: ``#confirm-body``, ``#confirm-word`` (when typing is required), ``#confirm-cancel``, ``#confirm-ok``."""

    DEFAULT_CSS = """
    #confirm {
        width: 90;
        max-height: 100%;
    }
    #confirm.-danger {  /* red and bare: a delete stands out from every other dialog */
        background: transparent;
        padding: 0;
    }
    #confirm-scroll {
        height: auto;
        scrollbar-size-vertical: 1;
    }
    #confirm-body {
        height: auto;
    }
    #confirm-ask {
        margin-top: 1;
        height: auto;
    }
    #confirm-word {
        margin-left: 2;
    }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="confirm.cancel"),
        Binding("n", "cancel", "No", show=False, id="confirm.no"),
        Binding("y", "confirm", "Yes", show=False, id="confirm.yes"),
    ]

    def __init__(self, title: str, lines: Sequence[str | Text], *, confirm: str = "Delete", word: str | None = None,
                 cancel: str = "Cancel", danger: bool = True) -> None:
        super().__init__()
        self.title_text = title
        self.lines = list(lines)
        self.confirm_label = confirm
        self.cancel_label = cancel
        self.danger = danger
        self.word = word

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm", classes="dialog -danger" if self.danger else "dialog") as box:
            box.border_title = self.title_text
            box.border_subtitle = footer(self.word)
            with VerticalScroll(id="confirm-scroll"):
                yield Static(self._body(), id="confirm-body")
            if self.word is not None:
                yield Static(Text.assemble("Type ", (self.word, "bold"), " to confirm:"), id="confirm-ask")
                field = Input(placeholder=self.word, compact=True, id="confirm-word")
                field.cursor_blink = False
                yield field
            with Horizontal(id="confirm-buttons", classes="dialog-buttons"):
                yield Button(self.cancel_label, id="confirm-cancel", compact=True)
                yield Button(self.confirm_label, id="confirm-ok", variant="error" if self.danger else "primary",
                             compact=True, disabled=self.word is not None)

    def _body(self) -> Text:
        text = Text()
        for i, line in enumerate(self.lines):
            if i:
                text.append("\n")
            if isinstance(line, Text):
                text.append_text(line)
                continue
            style = "bold" if i == 0 else ("bold" if line.lstrip().startswith("!") else "")
            text.append(line, style)
        return text

    def on_mount(self) -> None:
        self.query_one("#confirm-cancel", Button).focus()
        self.call_after_refresh(self._fit)

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit)

    def _fit(self) -> None:
        """The list scrolls within what the screen leaves after the question and the buttons.

        (Textual 8.2 sizes an auto-height box by its scroll's whole content
        when the scroll has a max-height, so the height is set here.)
        """
        found = self.query("#confirm-scroll")
        if not found:
            return
        scroll = found.first(VerticalScroll)
        reserve = 4 + (3 if self.word is not None else 0)  # borders, buttons, the typed word
        want = self.query_one("#confirm-body", Static).outer_size.height
        height = max(3, min(want, self.size.height - reserve - 2))
        if scroll.styles.height is None or scroll.styles.height.value != height:
            scroll.styles.height = height

    @on(Input.Changed, "#confirm-word")
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self.query_one("#confirm-ok", Button).disabled = event.value.strip() != self.word

    @on(Input.Submitted, "#confirm-word")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_confirm()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "confirm-ok":
            self.action_confirm()
        else:
            self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(False)

    def action_confirm(self) -> None:
        if self.query_one("#confirm-ok", Button).disabled:
            return
        self.dismiss(True)
