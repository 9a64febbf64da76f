"""At start-up: a change sanctl was killed in the middle of, with "finish" and "undo".

:func:`offer_unfinished` looks for the writer's journal
(:mod:`sanctl.lio.journal`); when one is there it opens
:class:`UnfinishedScreen`, which lists what was asked and each step's state
and dismisses with ``"finish"``, ``"undo"`` or ``None`` (later). Either
action runs through the writer in a thread worker, all or nothing, and the
configuration is read again afterwards. Read-only, the screen only shows it.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Static

from sanctl.ui.screens.dialog import Dialog

FINISH = "finish"
UNDO = "undo"


class UnfinishedScreen(Dialog[str | None]):
    """``#unfinished``: ``#unfinished-body``, ``#unfinished-finish``, ``#unfinished-undo``, ``#unfinished-later``."""

    DEFAULT_CSS = """
    #unfinished {
        width: 100;
        max-height: 100%;
    }
    #unfinished-scroll {
        height: auto;
        max-height: 30;
    }
    #unfinished-body {
        height: auto;
    }
    """

    BINDINGS = [
        Binding("escape", "later", "Later", id="unfinished.later"),
        Binding("f", "finish", "Finish", show=False, id="unfinished.finish"),
        Binding("u", "undo", "Undo", show=False, id="unfinished.undo"),
    ]

    def __init__(self, record: Any, *, readonly_reason: str | None = None) -> None:
        super().__init__()
        self.record = record
        self.readonly_reason = readonly_reason

    def compose(self) -> ComposeResult:
        with Vertical(id="unfinished", classes="dialog -danger") as box:
            box.border_title = "An interrupted change"
            box.border_subtitle = "f finish · u undo · esc later"
            with VerticalScroll(id="unfinished-scroll"):
                yield Static(Text("\n".join(self.record.lines())), id="unfinished-body")
            if self.readonly_reason:
                ask = f"Read-only ({self.readonly_reason}): start sanctl with write access to finish or undo it."
            elif self.record.rolling_back:
                ask = "It stopped while being rolled back: it can only be undone."
            else:
                ask = "Finish it (the rest of the change) or undo what was done? Either is all or nothing."
            yield Static(Text(ask), id="unfinished-ask")
            with Horizontal(id="unfinished-buttons", classes="dialog-buttons"):
                yield Button("Later", id="unfinished-later", compact=True)
                yield Button("Undo it", id="unfinished-undo", variant="warning", compact=True,
                             disabled=bool(self.readonly_reason))
                yield Button("Finish it", id="unfinished-finish", variant="primary", compact=True,
                             disabled=bool(self.readonly_reason or self.record.rolling_back))

    def on_mount(self) -> None:
        self.query_one("#unfinished-later", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        {"unfinished-finish": self.action_finish, "unfinished-undo": self.action_undo}.get(
            event.button.id or "", self.action_later)()

    def action_finish(self) -> None:
        if not self.query_one("#unfinished-finish", Button).disabled:
            self.dismiss(FINISH)

    def action_undo(self) -> None:
        if not self.query_one("#unfinished-undo", Button).disabled:
            self.dismiss(UNDO)

    def action_later(self) -> None:
        self.dismiss(None)


def offer_unfinished(app: Any) -> None:
    """If the writer's journal is there, show it with finish and undo (``app``: the SanctlApp)."""
    if not app.session.host.capabilities.has_live:  # a journal in a copied tree is not this host's change
        return
    from sanctl.lio.errors import JournalError

    try:
        record = app.session.host.target.unfinished_change()
    except JournalError as exc:
        app.fail(f"{exc}. Check the configuration; sanctl doctor reports it.", title="Interrupted change", timeout=30)
        return
    if record is None:
        return
    reason = (app.readonly_reason or "read-only") if app.readonly else None

    def answered(choice: str | None) -> None:
        if choice in (FINISH, UNDO):
            _recover(app, record, choice)
        else:
            app.notify("The interrupted change is still half applied; sanctl offers it again at the next start.",
                       title="Interrupted change", severity="warning", timeout=10)

    app.push_screen(UnfinishedScreen(record, readonly_reason=reason), answered)


def _recover(app: Any, record: Any, choice: str) -> None:
    writer = app.session.writer

    def work() -> None:
        try:
            result: Any = writer.finish(record) if choice == FINISH else writer.undo(record)
        except Exception as exc:  # refused, lock held: a sentence
            result = exc
        app.call_from_thread(_done, app, result, choice)

    app.run_worker(work, thread=True, group="journal", exit_on_error=False)


def _done(app: Any, result: Any, choice: str) -> None:
    from sanctl.lio.report import COMPLETED, NOTHING_TO_DO, ROLLED_BACK_ALL

    if isinstance(result, Exception):
        app.fail(result, title="Not done", timeout=20)
    elif choice == UNDO and result.outcome in (ROLLED_BACK_ALL, NOTHING_TO_DO):
        undone = sum(1 for s in result.steps if s.status == "rolled back")
        app.notify(f"Undone: {undone} step{'s' if undone != 1 else ''} of the interrupted change reversed.",
                   title="Interrupted change", timeout=10)
    elif choice == FINISH and result.outcome == COMPLETED:
        app.notify(f"Finished: {result.message()}", title="Interrupted change", timeout=10, markup=False)
    else:
        app.fail("\n".join(result.lines()[:8]), title="Interrupted change", timeout=60)
    screen = app.screen_stack[0]
    if hasattr(screen, "action_refresh"):
        screen.action_refresh()
