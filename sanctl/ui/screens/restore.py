"""Restore a saved configuration: pick the file or a backup, see its plan, then a per-object report.

The sources are the saved file and every backup in its ``backup/``
directory (targetcli's ``saveconfig-…-json.gz`` and sanctl's
``prerestore-…`` copies of the running configuration), newest first. The
highlighted one is planned against a fresh read of the running
configuration (:func:`sanctl.lio.apply.preview`, the same plan as
``sanctl restore``): the file validated whole (a problem refuses it, every
one listed), then only the steps that differ, each with the live sessions
it drops — the whole configuration or just one of its targets. Restore
asks first (typing ``restore`` when objects would be removed or sessions
dropped), then shows the :class:`~sanctl.lio.savefile.RestoreReport`
object by object. Every read and the restore run in thread workers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, OptionList, Select, Static
from textual.widgets.option_list import Option

from sanctl.ui.screens.dialog import Dialog
from sanctl.ui.screens.diff import plan_text

EVERYTHING = "*"


@dataclass(frozen=True, slots=True)
class Source:
    path: str
    label: str


class RestoreScreen(Dialog[None]):
    """``#restore``: ``#restore-sources``, ``#restore-scope``, ``#restore-preview``, ``#restore-go``."""

    COMPONENT_CLASSES = {"diff--added", "diff--removed", "diff--changed"}

    DEFAULT_CSS = """
    #restore {
        width: 110;
        height: 90%;
    }
    #restore-sources {
        height: auto;
        max-height: 7;
        border: none;
        padding: 0;
        scrollbar-size-vertical: 1;
    }
    #restore-scope-row {
        height: 1;
        margin-top: 1;
    }
    #restore-scope-label {
        width: 10;
        color: $text-muted;
    }
    #restore-scope {
        width: 1fr;
    }
    #restore-preview {
        height: 1fr;
        margin-top: 1;
        border-top: solid $border-blurred;
        scrollbar-size-vertical: 1;
    }
    #restore-body {
        height: auto;
    }
    #restore-buttons {
        margin-top: 0;
    }
    """

    BINDINGS = [
        Binding("escape", "close", "Close", id="restore.close"),
    ]

    class Loaded(Message):
        def __init__(self, sources: list[Source], current: dict | None, error: str | None) -> None:
            super().__init__()
            self.sources = sources
            self.current = current
            self.error = error

    class Previewed(Message):
        def __init__(self, seq: int, path: str, targets: list[str], plan: Any, error: str | None) -> None:
            super().__init__()
            self.seq = seq
            self.path = path
            self.targets = targets
            self.plan = plan
            self.error = error

    class Restored(Message):
        def __init__(self, report: Any, error: str | None) -> None:
            super().__init__()
            self.report = report
            self.error = error

    def __init__(self, *, host: Any, writer_factory: Callable[[], Any], after: Callable[[Any], None] | None = None,
                 shown: Callable[[str], str] = lambda text: text) -> None:
        """``shown`` rewrites paths for the screen (the demo's temporary root as ``demo:``)."""
        super().__init__()
        self.host = host
        self.shown = shown
        self.writer_factory = writer_factory
        self.after = after
        self.sources: list[Source] = []
        self.current: dict | None = None
        self.plan = None
        self.report = None
        self._seq = 0
        self._data: dict[str, dict] = {}
        self._busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="restore", classes="dialog") as box:
            box.border_title = "Restore a saved configuration"
            box.border_subtitle = "esc closes"
            yield Static(Text("Reading the saved configurations…"), id="restore-intro")
            yield OptionList(id="restore-sources", compact=True)
            with Horizontal(id="restore-scope-row"):
                yield Static("Restore", id="restore-scope-label")
                yield Select([(Text("the whole configuration"), EVERYTHING)], value=EVERYTHING, allow_blank=False,
                             compact=True, id="restore-scope")
            with VerticalScroll(id="restore-preview"):
                yield Static(id="restore-body")
            with Horizontal(id="restore-buttons", classes="dialog-buttons"):
                yield Button("Close", id="restore-close", compact=True)
                yield Button("Restore", id="restore-go", variant="warning", compact=True, disabled=True)

    # --- reading --------------------------------------------------------------

    def on_mount(self) -> None:
        part = self.host.target

        def work() -> None:
            from sanctl.lio.report import explain

            try:
                location = part.save_location()
                sources = []
                if __import__("os").path.isfile(location.path):
                    sources.append(Source(location.path, f"saved file  {location.path}"))
                for backup in part.backups():
                    sources.append(Source(backup.path, f"backup  {backup.label()}"))
                for backup in part.prerestore_backups():
                    sources.append(Source(backup.path, f"before a restore  {backup.label()}"))
                current = part.running_saved()
            except Exception as exc:  # never a traceback: say what could not be read
                self.post_message(self.Loaded([], None, explain(exc)))
                return
            self.post_message(self.Loaded(sources, current, None))

        self.run_worker(work, thread=True, group="restore-read", exit_on_error=False)

    def on_restore_screen_loaded(self, message: Loaded) -> None:
        intro = self.query_one("#restore-intro", Static)
        if message.error is not None:
            intro.update(Text(self.shown(f"Cannot read the configurations: {message.error}")))
            return
        self.sources = message.sources
        self.current = message.current
        if not self.sources:
            intro.update(Text("There is no saved configuration and no backup to restore (s saves one)."))
            return
        intro.update(Text("Choose what to restore; its plan shows what changes in the running configuration "
                          "and which sessions drop."))
        sources = self.query_one("#restore-sources", OptionList)
        sources.add_options([Option(Text(self.shown(s.label)), id=s.path) for s in self.sources])
        sources.highlighted = 0
        sources.focus()

    @on(OptionList.OptionHighlighted, "#restore-sources")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._preview(event.option.id or "", scope_reset=True)

    @on(Select.Changed, "#restore-scope")
    def _scope(self, event: Select.Changed) -> None:
        event.stop()
        path = self.selected_path
        if path:
            self._preview(path, scope_reset=False)

    @property
    def selected_path(self) -> str | None:
        sources = self.query_one("#restore-sources", OptionList)
        if sources.highlighted is None or not self.sources:
            return None
        return self.sources[sources.highlighted].path

    @property
    def scope(self) -> str | None:
        value = self.query_one("#restore-scope", Select).value
        return None if value in (EVERYTHING, Select.NULL) else str(value)

    def _preview(self, path: str, *, scope_reset: bool) -> None:
        self._seq += 1
        seq = self._seq
        target = None if scope_reset else self.scope
        cache = self._data
        factory, part = self.writer_factory, self.host.target

        def work() -> None:
            from sanctl.lio import apply as A
            from sanctl.lio.errors import SaveFileError
            from sanctl.lio.report import explain

            try:
                data = cache.get(path) or A.parse_saveconfig(part.read_saved(path), path)
                cache[path] = data
                targets = [t.get("wwn") for t in data.get("targets") or () if isinstance(t, dict) and t.get("wwn")]
                found = A.preview(factory(), data, prune=True, target=target if target in targets else None)
            except Exception as exc:
                self.post_message(self.Previewed(seq, path, [], None, str(exc) if isinstance(
                    exc, SaveFileError) else explain(exc)))
                return
            self.post_message(self.Previewed(seq, path, targets, found, None))

        self.query_one("#restore-go", Button).disabled = True
        self.run_worker(work, thread=True, group="restore-preview", exclusive=True, exit_on_error=False)

    def on_restore_screen_previewed(self, message: Previewed) -> None:
        if message.seq != self._seq or self.report is not None:
            return
        body = self.query_one("#restore-body", Static)
        if message.error is not None:
            self.plan = None
            body.update(Text(self.shown(f"Cannot read it: {message.error}")))
            return
        scope = self.query_one("#restore-scope", Select)
        options = [(Text("the whole configuration"), EVERYTHING)] + [(Text(f"only target {t}"), t)
                                                                    for t in message.targets]
        keep = self.scope
        with scope.prevent(Select.Changed):
            scope.set_options(options)
            scope.value = keep if keep in message.targets else EVERYTHING
        self.plan = message.plan
        empty = "Restoring it changes nothing: the running configuration is the same."
        body.update(plan_text(self, self.shown(f"Restoring {message.path}:"), message.plan, empty=empty))
        self.query_one("#restore-go", Button).disabled = self.plan is None or not self.plan.ok or self.plan.empty

    # --- restoring ------------------------------------------------------------

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "restore-go":
            self.action_restore()
        else:
            self.action_close()

    def action_restore(self) -> None:
        path, found = self.selected_path, self.plan
        if path is None or found is None or not found.ok or found.empty or self._busy or self.report is not None:
            return
        from sanctl.ui.screens.confirm import ConfirmScreen

        target = self.scope
        what = f"target {target}" if target else "the whole configuration"
        deletes = [s for s in found.steps if s.op == "delete"]
        lines = [f"Restore {what} from {self.shown(path)}?", *found.lines()]
        if deletes:
            lines.append(f"! {len(deletes)} object{'s' if len(deletes) != 1 else ''} of the running configuration "
                         "will be removed.")
        word = "restore" if deletes or found.sessions else None

        def answered(yes: bool | None) -> None:
            if yes:
                self._restore(path, target, found)

        self.app.push_screen(ConfirmScreen("Restore", lines, confirm="Restore", word=word), answered)

    def _restore(self, path: str, target: str | None, found: Any) -> None:
        self._busy = True
        self.query_one("#restore-go", Button).disabled = True
        self.query_one("#restore-body", Static).update(Text(f"Restoring {self.shown(path)}…"))
        data = self._data.get(path)
        part = self.host.target

        def work() -> None:
            from sanctl.lio import apply as A
            from sanctl.lio.errors import SaveFileError
            from sanctl.lio.report import WriteRefused, explain

            try:
                loaded = data if data is not None else part.read_saved(path)
                report = part.restore(loaded, target=target, source=path, expected=found)
            except (SaveFileError, WriteRefused, A.PlanChanged) as exc:
                self.post_message(self.Restored(None, str(exc)))
                return
            except Exception as exc:
                self.post_message(self.Restored(None, f"the restore stopped: {explain(exc)}"))
                return
            self.post_message(self.Restored(report, None))

        self.run_worker(work, thread=True, group="restore", exit_on_error=False)

    def on_restore_screen_restored(self, message: Restored) -> None:
        self._busy = False
        body = self.query_one("#restore-body", Static)
        if message.error is not None:
            body.update(Text(self.shown(f"Nothing restored: {message.error}")))
            self.app.fail(message.error, title="Restore refused")
            return
        report = message.report
        self.report = report
        text = Text()
        for i, line in enumerate(self.shown(line) for line in report.lines()):
            if i:
                text.append("\n")
            bad = "[failed]" in line or "[incomplete]" in line or "[error]" in line
            text.append(line, "bold" if i == 0 or bad else "")
        body.update(text)
        self.query_one("#restore-preview").border_title = "Result"
        self.notify(self.shown(report.message()), title="Restored" if report.ok else "PARTIAL restore",
                    severity="information" if report.ok else "warning", timeout=15 if report.ok else 30)
        if self.after is not None:
            self.after(report)

    def action_close(self) -> None:
        self.dismiss()
