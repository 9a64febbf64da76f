"""The connection errors panel (key ``3``): what failed, what it means, what to do — and why it flaps.

Top: findings, the conclusions several observations support together —
a flapping connection, and on the target the classic cause named outright
(one initiator name used by two hosts). Middle: every incident, newest
first — time, connection or initiator, code and name, the line. Bottom:
what the highlighted incident means, the usual fix, where it was seen, and
the counts per connection and per target over the last five minutes.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from sanctl.live import format as fmt
from sanctl.live.events import Incident
from sanctl.live.frame import LiveFrame
from sanctl.ui.screens.live_base import LiveScreen, set_subtitle
from sanctl.ui.widgets.live_grid import Line, LiveGrid
from sanctl.ui.widgets.key_bar import KeyBar

_STYLE = {"error": "bad", "warning": "warn", "info": "muted"}


class ErrorsScreen(LiveScreen):
    """``#findings``, ``#incidents-grid``, ``#incident-detail``."""

    TITLE_TEXT = "Connection errors"

    def __init__(self) -> None:
        super().__init__()
        self._findings_text: Text | None = None
        self._detail: Text | None = None
        self._version = -1

    def compose(self) -> ComposeResult:
        yield self.status_bar()
        with VerticalScroll(id="findings-box"):
            yield Static(id="findings")
        yield LiveGrid(header_left="TIME      WHERE            CODE / EVENT          LINE", id="incidents-grid")
        yield Static(id="incident-detail")
        yield KeyBar()

    @property
    def grid(self) -> LiveGrid:
        return self.query_one("#incidents-grid", LiveGrid)

    def hot_rows(self) -> list[tuple]:
        return []  # incidents come from the log; nothing here needs counters at full rate

    def render_frame(self, frame: LiveFrame) -> None:
        self._show_findings(frame)
        if frame.incidents_version != self._version:
            self._version = frame.incidents_version
            rows = sorted(frame.incidents, key=lambda i: (i.time is not None, i.time or 0.0, i.seq), reverse=True)
            self.grid.set_rows(rows, self.format_incident)
            set_subtitle(self.grid, f"{len(rows)} incidents")
        self._show_detail(frame)

    def _show_findings(self, frame: LiveFrame) -> None:
        text = Text()
        for finding in frame.findings:
            if text:
                text.append("\n")
            text.append(("▲ " if finding.active else "△ ") + finding.title, style="bold")
            if not finding.active:
                text.append("  (stopped)", style="italic")
            for line in finding.lines:
                text.append("\n  " + line)
            text.append("\n  fix: ", style="bold")
            text.append(finding.fix)
        if not frame.findings:
            text.append("No flapping connection and no shared initiator name seen.", style="dim")
        if text != self._findings_text:
            self._findings_text = text
            self.query_one("#findings", Static).update(text)
            self.query_one("#findings-box").set_class(bool(frame.findings), "-alert")

    def format_incident(self, incident: Incident, width: int) -> Line:
        where = fmt.fit_tail(incident.where, 16)
        title = fmt.fit(incident.title, 21)
        head = f"{fmt.clock(incident.time)}  {where} "
        body = f"{title} {incident.message}"
        style = _STYLE.get(incident.severity, "text")
        return Line(((head, "muted"), (fmt.fit(body, max(0, width - len(head))), style)))

    def _show_detail(self, frame: LiveFrame) -> None:
        incident = self.grid.cursor_row
        text = Text()
        if incident is not None:
            text.append(incident.title, style="bold")
            where = ", ".join(x for x in (
                f"connection {incident.connection}" if incident.connection else "",
                incident.target or "", incident.portal or "", incident.initiator or "",
                f"from {incident.address}" if incident.address else "") if x)
            text.append(f"  {where}  [{' + '.join(incident.sources)}]\n")
            text.append(incident.meaning or incident.message)
            if incident.fix:
                text.append("\nfix: ", style="bold")
                text.append(incident.fix)
        counts = [f"conn {k}: {v}" for k, v in sorted(frame.by_connection.items())]
        counts += [f"{k}: {v}" for k, v in sorted(frame.by_target.items())]
        if counts:
            text.append("\nlast 5 min: " + " · ".join(counts), style="dim")
        for problem in frame.problems:  # a log that could not be read is said, not silently missing
            text.append(f"\nnote: {problem}", style="italic")
        if text != self._detail:
            self._detail = text
            self.query_one("#incident-detail", Static).update(text)

    def on_live_grid_highlighted(self, message: LiveGrid.Highlighted) -> None:
        if self.frame is not None:
            self._show_detail(self.frame)
