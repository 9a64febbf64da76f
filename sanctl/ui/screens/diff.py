"""The differences between two configurations, object by object (``D``: running vs saved).

Lines come from :class:`sanctl.lio.savefile.ConfigDiff` — ``+`` added,
``-`` removed, ``~`` changed with its fields (secrets only as set/changed)
— with the mark as a word-like glyph and a colour, so they read the same
without colour.

When the saved file is known (``source``), a part of it can be applied:
the whole file or one target whose objects differ. That is a restore of
that part through the same plan as ``sanctl restore --target`` — shown with
the sessions each step drops, confirmed, then run as one transaction.
"""

from __future__ import annotations

import re

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Select, Static

from sanctl.ui.screens.dialog import Dialog
from sanctl.ui.session import session_of
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


#: PlanStep.op -> component class.
_PLAN_STYLE = {"create": "diff--added", "delete": "diff--removed", "set": "diff--changed"}


def plan_text(widget, heading: str, plan, *, empty: str = "") -> Text:
    """A :class:`~sanctl.lio.plan.Plan`: its summary, problems, steps and the sessions they drop."""
    text = Text(heading, style="bold")
    text.append("\n" + plan.summary(), style="bold" if plan.problems or plan.sessions else "")
    if plan.ok and plan.empty and empty:
        text.append("\n" + empty)
    for problem in plan.problems:
        text.append(f"\n  {problem}")
    for step in plan.steps:
        name = _PLAN_STYLE.get(step.op)
        style = component_fg(widget, name) if name and widget is not None else None
        first, *rest = step.line().splitlines()
        text.append(f"\n  {first}", style)
        for line in rest:
            text.append(f"\n  {line}", "bold")
    for note in plan.notes:
        text.append(f"\n  note: {note}", "italic")
    return text


EVERYTHING = "*"


def diff_targets(entries) -> list[str]:
    """The WWNs of the saved targets that differ (a part the diff view can apply on its own);
    a target only the running configuration has goes with "everything saved"."""
    out: list[str] = []
    running_only = {e.key[0] for e in entries if e.kind == "target" and len(e.key) == 1 and e.status == "added"}
    for entry in entries:
        if entry.key and entry.key[0] in running_only:
            continue
        if entry.kind not in ("storage_object", "fabric") and entry.key and isinstance(entry.key[0], tuple):
            wwn = entry.key[0][1]
            if isinstance(wwn, str) and wwn not in out:
                out.append(wwn)
    return out


class DiffScreen(Dialog[None]):
    """``#diff`` with ``#diff-body``; with a ``source``, ``#diff-part`` and ``#diff-apply``; esc, q or D closes."""

    COMPONENT_CLASSES = {"diff--added", "diff--removed", "diff--changed"}

    DEFAULT_CSS = """
    #diff {
        width: 100;
        max-height: 90%;
        scrollbar-size-vertical: 1;
    }
    #diff-body {
        height: auto;
    }
    #diff-apply-row {
        height: 1;
        margin-top: 1;
    }
    #diff-part {
        width: 1fr;
    }
    #diff-apply {
        margin-left: 2;
        min-width: 10;
    }
    """

    BINDINGS = [
        Binding("escape", "close", "Close", id="diff.close"),
        Binding("q", "close", "Close", show=False),
        Binding("D", "close", "Close", show=False),
    ]

    class Planned(Message):
        def __init__(self, target: str | None, data: Any, plan: Any, error: str | None) -> None:
            super().__init__()
            self.target = target
            self.data = data
            self.plan = plan
            self.error = error

    class Applied(Message):
        def __init__(self, report: Any, error: str | None) -> None:
            super().__init__()
            self.report = report
            self.error = error

    def __init__(self, title: str, summary: str, entries=(), *, note: str = "", source: str | None = None,
                 writer_factory: Callable[[], Any] | None = None, after: Callable[[Any], None] | None = None,
                 shown: Callable[[str], str] = lambda text: text) -> None:
        """``source``: the saved file the differences are against; with a ``writer_factory``
        a part of it (everything, or one target) can be applied to the running configuration."""
        super().__init__()
        self.title_text = title
        self.summary = summary
        self.entries = tuple(entries)
        self.note = note
        self.source = source
        self.writer_factory = writer_factory
        self.after = after
        self.shown = shown
        self.plan = None
        self.report = None
        self._busy = False

    @property
    def can_apply(self) -> bool:
        return bool(self.source and self.writer_factory is not None and self.entries)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="diff", classes="dialog") as box:
            box.border_title = self.title_text
            box.border_subtitle = "esc closes"
            yield Static(id="diff-body")
            if self.can_apply:
                options = [(Text("everything saved"), EVERYTHING)] + [
                    (Text(f"only target {wwn}"), wwn) for wwn in diff_targets(self.entries)]
                with Horizontal(id="diff-apply-row"):
                    yield Select(options, value=EVERYTHING, allow_blank=False, compact=True, id="diff-part")
                    yield Button("Apply saved", id="diff-apply", variant="warning", compact=True)

    def on_mount(self) -> None:
        body = diff_text(self, self.summary, self.entries)
        if self.note:
            body.append("\n\n" + self.note, style="italic")
        self.query_one("#diff-body", Static).update(body)

    @property
    def text(self) -> str:
        """The lines shown, as plain text (tests)."""
        return diff_text(None, self.summary, self.entries).plain

    # --- applying a part of the saved file --------------------------------------

    @property
    def part(self) -> str | None:
        value = self.query_one("#diff-part", Select).value
        return None if value in (EVERYTHING, Select.NULL) else str(value)

    @on(Button.Pressed, "#diff-apply")
    def _apply_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_apply()

    def action_apply(self) -> None:
        """Plan the selected part from a fresh read (with its sessions), then ask."""
        if not self.can_apply or self._busy:
            return
        self._busy = True
        target, path, factory = self.part, self.source, self.writer_factory
        part = session_of(self.app).host.target

        def work() -> None:
            from sanctl.lio import apply as A
            from sanctl.lio.report import explain

            try:
                data = A.parse_saveconfig(part.read_saved(path), path)
                found = A.preview(factory(), data, prune=True, target=target)
            except Exception as exc:  # never a traceback: say why
                self.post_message(self.Planned(target, None, None, explain(exc)))
                return
            self.post_message(self.Planned(target, data, found, None))

        self.run_worker(work, thread=True, group="diff-plan", exit_on_error=False)

    def on_diff_screen_planned(self, message: Planned) -> None:
        self._busy = False
        if message.error is not None:
            self.app.fail(message.error, title="Cannot apply")
            return
        found = self.plan = message.plan
        what = f"target {message.target}" if message.target else "everything saved"
        if not found.ok:
            self.app.fail(found.summary() + " " + "; ".join(map(str, found.problems)), title="Refused", timeout=20)
            return
        if found.empty:
            self.notify("Nothing to do: the running configuration already is like that.", title="Apply saved")
            return
        from sanctl.ui.screens.confirm import ConfirmScreen

        lines = [f"Make {what} as saved in {self.shown(self.source or '')}?", *found.lines()]
        deletes = any(step.op == "delete" for step in found.steps)
        word = "restore" if deletes or found.sessions else None

        def answered(yes: bool | None) -> None:
            if yes:
                self._apply(message.target, message.data, found)

        self.app.push_screen(ConfirmScreen("Apply saved", lines, confirm="Apply", word=word), answered)

    def _apply(self, target: str | None, data: Any, found: Any) -> None:
        self._busy = True
        path = self.source
        part = session_of(self.app).host.target

        def work() -> None:
            from sanctl.lio.errors import SaveFileError
            from sanctl.lio.report import explain

            try:
                report = part.restore(data, target=target, source=path, expected=found)
            except Exception as exc:
                self.post_message(self.Applied(None, explain(exc) if not isinstance(exc, SaveFileError)
                                               and type(exc).__name__ != "PlanChanged" else str(exc)))
                return
            self.post_message(self.Applied(report, None))

        self.run_worker(work, thread=True, group="diff-apply", exit_on_error=False)

    def on_diff_screen_applied(self, message: Applied) -> None:
        self._busy = False
        if message.error is not None:
            self.app.fail(message.error, title="Nothing applied")
            return
        report = self.report = message.report
        self.notify(self.shown(report.message()), title="Applied" if report.ok else "PARTIAL apply",
                    severity="information" if report.ok else "warning", timeout=15 if report.ok else 30)
        if self.after is not None:
            self.after(report)
        self.dismiss()

    def action_close(self) -> None:
        self.dismiss()
