"""The doctor panel (key ``6``): what is wrong, why it matters, how to fix it — and a way there.

Top: the findings, grouped by severity (errors, warnings, information),
each a line naming the object. Below: the highlighted finding's
explanation, supporting details and fix. ``enter`` jumps to its object in
the configuration tree (or to the panel that shows more: errors, sessions,
connect); ``f`` applies its safe fix, when it has one, after a confirmation,
through the same writer as the configuration screen's forms; ``r`` looks
again (the configuration, the host's facts).

The panel is a live panel: while it is on screen the live state is sampled
(``p`` pauses, ``+``/``-`` change the interval) and the doctor re-evaluates
at each sample (:mod:`sanctl.ui.doctor_service`), so flapping and login
failures appear as they happen.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from sanctl.doctor.findings import ERROR, INFO, WARNING, Finding, Report, plural
from sanctl.live import format as fmt
from sanctl.live.frame import LiveFrame
from sanctl.ui.doctor_service import service as doctor_service
from sanctl.ui.screens.live_base import LiveScreen, set_subtitle, set_title
from sanctl.ui.widgets.key_bar import KeyBar

_WORD = {ERROR: "ERROR", WARNING: "WARN", INFO: "INFO"}
_STYLE = {ERROR: "doctor--error", WARNING: "doctor--warning", INFO: "doctor--info"}
_GROUP = {ERROR: "error", WARNING: "warning", INFO: "note"}
_PANEL_NAMES = {"errors": "connection errors (3)", "sessions": "target sessions (2)", "connect": "connect (5)",
                "initiator": "initiator sessions (4)", "config": "configuration (1)"}


class DoctorScreen(LiveScreen):
    """``#doctor-summary``, ``#doctor-list`` (an OptionList), ``#doctor-detail``."""

    CSS_PATH = [Path(__file__).resolve().parent.parent / "live.tcss",
                Path(__file__).resolve().parent.parent / "doctor.tcss"]
    TITLE_TEXT = "Doctor"

    COMPONENT_CLASSES = {"doctor--error", "doctor--warning", "doctor--info", "doctor--muted", "doctor--heading"}

    BINDINGS = [
        Binding("enter", "go", "Go to", priority=True, id="doctor.go"),  # before the list's own enter
        Binding("f", "fix", "Fix", id="doctor.fix"),
        Binding("r", "recheck", "Re-check", id="doctor.recheck"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.report: Report | None = None
        self._shown: tuple | None = None
        self._detail_key: tuple | None = None
        self._summary: Text | None = None
        #: The finding the operator put the cursor on (kept across reports); None: the first one.
        self._chosen: tuple | None = None
        self._placed: tuple | None = None  #: the key the panel put the cursor on itself

    def compose(self) -> ComposeResult:
        yield self.status_bar()
        yield Static(id="doctor-summary")
        yield OptionList(id="doctor-list")
        with VerticalScroll(id="doctor-detail-box"):
            yield Static(id="doctor-detail")
        yield KeyBar()

    def on_mount(self) -> None:
        self.findings_list.border_title = "Doctor"
        self.query_one("#doctor-detail-box").border_title = "Why, and the fix"

    @property
    def findings_list(self) -> OptionList:
        return self.query_one("#doctor-list", OptionList)

    @property
    def doctor(self):
        return doctor_service(self.app)

    # --- live -----------------------------------------------------------------------------

    def hot_rows(self) -> list[tuple]:
        return []  # the doctor reads whatever the sampler reads; no rows of its own

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        doctor = self.doctor
        doctor.panel = self
        doctor.panel_opened()
        if doctor.report is not None:
            self.show_report(doctor.report)
        else:
            self._show_summary()

    def on_screen_suspend(self) -> None:
        super().on_screen_suspend()
        if self.doctor.panel is self:
            self.doctor.panel = None

    def render_frame(self, frame: LiveFrame) -> None:
        self._show_summary()

    def show_state(self) -> None:
        set_title(self.findings_list, f"{self.TITLE_TEXT} — {self.live_label()}")
        self.findings_list.set_class(self.live.paused, "-paused")

    # --- the report -----------------------------------------------------------------------

    def _style(self, name: str):
        from sanctl.ui.widgets.styling import component_fg

        return component_fg(self, name)

    def show_report(self, report: Report) -> None:
        """Show ``report``, keeping the cursor on the same finding when it is still there."""
        keep = self._chosen
        self.report = report
        shown = tuple((f.key, f.severity, f.why, f.details, f.fix) for f in report.findings)
        self._show_summary()
        if shown == self._shown:
            self._show_detail()
            return
        self._shown = shown
        option_list = self.findings_list
        option_list.clear_options()
        options: list[Option] = []
        for severity in (ERROR, WARNING, INFO):
            found = report.of_severity(severity)
            if not found:
                continue
            heading = Text(plural(len(found), _GROUP[severity]).upper() if severity != INFO else
                           plural(len(found), "note").upper(), style=self._style("doctor--heading"))
            options.append(Option(heading, id=f"heading-{severity}", disabled=True))
            for index, finding in enumerate(found):
                options.append(Option(self._line(finding), id=f"{severity}-{index}"))
        if not options:
            options.append(Option(Text("Nothing found.", style=self._style("doctor--muted")), id="none",
                                  disabled=True))
        option_list.add_options(options)
        positions = [(p, self._finding_of(o.id)) for p, o in enumerate(options)]
        positions = [(p, f) for p, f in positions if f is not None]
        target = next((p for p, f in positions if f.key == keep), positions[0][0] if positions else 0)
        if not options[target].disabled:
            found = self._finding_of(options[target].id)
            self._placed = found.key if found is not None else None
            option_list.highlighted = target
        set_subtitle(option_list, report.summary())
        self._show_detail()

    def show_problem(self, exc: BaseException) -> None:
        self.query_one("#doctor-detail", Static).update(Text(f"The doctor could not look: {exc}"))

    def _line(self, finding: Finding) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"{_WORD[finding.severity]:<5} ", self._style(_STYLE[finding.severity]))
        text.append(finding.title)
        if finding.action is not None:
            text.append("  [f fixes]", self._style("doctor--muted"))
        return text

    def _finding_of(self, option_id: str | None) -> Finding | None:
        if self.report is None or not option_id or "-" not in option_id or option_id.startswith("heading"):
            return None
        severity, _, index = option_id.partition("-")
        found = self.report.of_severity(severity) if severity in _WORD else []
        return found[int(index)] if index.isdigit() and int(index) < len(found) else None

    @property
    def highlighted(self) -> Finding | None:
        option_list = self.findings_list
        index = option_list.highlighted
        if index is None:
            return None
        return self._finding_of(option_list.get_option_at_index(index).id)

    def _highlighted_key(self) -> tuple | None:  # noqa: D401 - the highlighted finding's key
        finding = self.highlighted
        return finding.key if finding is not None else None

    def _show_summary(self) -> None:
        report = self.doctor.report
        text = Text()
        if report is None:
            text.append("Looking…", self._style("doctor--muted"))
        else:
            text.append(report.badge().removeprefix("doctor: ") if report.errors or report.warnings
                        else "No errors, no warnings", self._style(_STYLE[report.worst] if report.worst in
                                                                   (ERROR, WARNING) else "doctor--muted"))
            infos = report.count(INFO)
            if infos:
                text.append(f", {plural(infos, 'note')}")
            frame = self.live.frame
            if frame is None:
                text.append("  ·  live state: not looked at yet", self._style("doctor--muted"))
            else:
                text.append(f"  ·  live state of {fmt.clock(frame.wall)}", self._style("doctor--muted"))
            if report.not_checked:
                text.append(f"  ·  {len(report.not_checked)} not checked (below)", self._style("doctor--muted"))
        if text != self._summary:
            self._summary = text
            self.query_one("#doctor-summary", Static).update(text)

    def _show_detail(self) -> None:
        finding = self.highlighted
        text = Text()
        if finding is not None:
            text.append(finding.title, style="bold")
            for line in finding.why:
                text.append("\n" + line)
            for line in finding.details[:12]:
                text.append("\n  " + line, self._style("doctor--muted"))
            text.append("\nfix: ", style="bold")
            text.append(finding.fix)
            keys = []
            if finding.objects:
                keys.append(f"enter: go to {finding.objects[0]}")
            elif finding.panel:
                keys.append(f"enter: the {_PANEL_NAMES.get(finding.panel, finding.panel)} panel")
            if finding.action is not None:
                keys.append(f"f: {finding.action.describe()}")
            if keys:
                text.append("\n" + "   ".join(keys), self._style("doctor--muted"))
        report = self.report
        if report is not None and report.not_checked:
            text.append("\n\nNot checked:" if finding is not None else "Not checked:", style="bold")
            for note in report.not_checked:
                text.append("\n- " + note, self._style("doctor--muted"))
        key = (finding.key if finding is not None else None, text.plain)
        if key != self._detail_key:
            self._detail_key = key
            self.query_one("#doctor-detail", Static).update(text)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        key = self._highlighted_key()
        if key != self._placed:  # the operator moved it (the panel's own placing is not a choice)
            self._chosen, self._placed = key, None
        self._show_detail()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_go()

    # --- keys -----------------------------------------------------------------------------

    def action_go(self) -> None:
        """Jump to the finding's object in the configuration tree, or to the panel that shows more."""
        finding = self.highlighted
        if finding is None:
            return
        from sanctl.ui import panels

        if finding.objects:
            path = finding.objects[0]
            panels.show_panel(self.app, "config")
            config_screen = self.app.screen_stack[0]
            tree = getattr(config_screen, "tree", None)
            if tree is None or not tree.select_path(path):
                self.app.notify(f"{path} is not in the tree any more (r re-reads it).", severity="warning")
            else:
                tree.focus()
        elif finding.panel:
            panels.show_panel(self.app, finding.panel)

    def action_fix(self) -> None:
        finding = self.highlighted
        if finding is None:
            return
        if finding.action is None:
            self.app.notify("This finding has no one-step fix: its text says what to do.", timeout=5)
            return
        app = self.app
        if getattr(app, "readonly", False):
            reason = getattr(app, "readonly_reason", None) or "read-only"
            app.notify(f"read-only: {reason}", title="Read-only", severity="warning", timeout=6)
            return
        from sanctl.ui.screens.confirm import ConfirmScreen

        action = finding.action
        lines = [action.describe(), f"targetcli: {action.targetcli()}", "", *finding.why]

        def answered(yes: bool | None) -> None:
            if yes:
                writes = getattr(app.screen_stack[0], "writes", None)
                if writes is not None:
                    writes.apply([action])  # notifies, re-reads the tree, re-checks the save state (and the doctor)

        app.push_screen(ConfirmScreen(f"Fix: {finding.title}", lines, confirm="Apply"), answered)

    def action_recheck(self) -> None:
        self.doctor.recheck()
        self.notify("looking again", timeout=2)
