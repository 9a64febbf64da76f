"""The initiator sessions panel (key ``4``): this host's open-iscsi sessions, from sysfs.

One line per session (target, TPG, state, recovery timeout, iface, errors in
the last five minutes), then its connections (portal, our TCP port, state)
and the disks it brought (LUN, ``/dev/sdX``, size, SCSI device state —
``blocked`` while the session recovers, ``transport-offline`` once the
recovery timeout expired).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from sanctl import words
from sanctl.initiator.session_state import InitiatorConnection, InitiatorDisk, InitiatorSession
from sanctl.live import format as fmt
from sanctl.ui.screens.live_base import LiveScreen, set_subtitle
from sanctl.ui.widgets.live_grid import Line, LiveGrid
from sanctl.ui.widgets.key_bar import KeyBar

if TYPE_CHECKING:
    from sanctl.live.sampler import LiveFrame

NO_SESSIONS = "No iSCSI session on this host (open-iscsi not in use here, or not logged in)."


@dataclass(frozen=True, slots=True)
class Row:
    key: tuple
    kind: str  #: session, conn, disk
    session: InitiatorSession
    conn: InitiatorConnection | None = None
    disk: InitiatorDisk | None = None


class InitiatorScreen(LiveScreen):
    """``#initiator-grid``, ``#initiator-hint``."""

    TITLE_TEXT = "Initiator sessions"

    def __init__(self) -> None:
        super().__init__()
        self._hint = None

    def compose(self) -> ComposeResult:
        yield self.status_bar()
        yield LiveGrid(header_left="SESSION / CONNECTION / DISK", id="initiator-grid")
        yield Static(id="initiator-hint")
        yield KeyBar()

    @property
    def grid(self) -> LiveGrid:
        return self.query_one("#initiator-grid", LiveGrid)

    def render_frame(self, frame: LiveFrame) -> None:
        rows: list[Row] = []
        for session in frame.initiator.sessions:
            rows.append(Row(session.key, "session", session))
            for conn in session.connections:
                rows.append(Row(("iconn", session.sid, conn.cid), "conn", session, conn=conn))
            for disk in session.disks:
                rows.append(Row(("disk", session.sid, disk.lun), "disk", session, disk=disk))
        self.grid.set_rows(rows, lambda row, width: self.format_row(row, width, frame))
        set_subtitle(self.grid, words.plural(len(frame.initiator.sessions), "session"))
        hosts = ", ".join(f"host{h.host} {h.ipaddress or '?'} ({h.state or '?'})" for h in frame.initiator.hosts)
        hint = NO_SESSIONS if not frame.initiator.sessions else f"iSCSI hosts: {hosts}" if hosts else ""
        if hint != self._hint:
            self._hint = hint
            self.query_one("#initiator-hint", Static).update(Text(hint))

    def format_row(self, row: Row, width: int, frame: LiveFrame) -> Line:
        s = row.session
        if row.kind == "session":
            errors = sum(v for k, v in frame.by_connection.items() if k.split(":")[0] == str(s.sid))
            style = "ok" if s.state == "LOGGED_IN" else "bad"
            state = f"  {s.state or '?'}"
            warn = f"  ⚠ {words.plural(errors, 'error')} in 5 min" if errors else ""
            extra = f"  recovery {s.recovery_tmo} s  iface {s.iface or '?'}"
            head = f"session{s.sid}  "
            target = f"{s.target or '?'}  tpg {s.tpgt}"
            room = width - len(head) - len(state) - len(warn)
            if room - len(extra) < 24:
                extra = ""  # narrow: the target, the state and the errors first
            name = head + fmt.fit_tail(target, max(8, room - len(extra)))
            return Line(((name, "group"), (state, style), (extra, "muted"), (warn, "bad")))
        if row.kind == "conn":
            c = row.conn
            assert c is not None
            local = f" from port {c.local_port}" if c.local_port else ""
            recovery = frame.recoveries.get(f"{s.sid}:{c.cid}")
            text = f"    cid {c.cid}  {c.portal or '?'}{local}  {c.state or '?'}" + (f"  (last {recovery})" if recovery else "")
            return Line(((fmt.fit(text, width), "muted" if c.state == "up" else "warn"),))
        d = row.disk
        assert d is not None
        style = "muted" if d.state == "running" else "bad"
        model = " ".join(x for x in (d.vendor, d.model) if x)
        text = f"    lun {d.lun:<3} {d.device or '(no block device)':<10} {fmt.size(d.size):>10}  {d.state or '?'}  {model}"
        return Line(((fmt.fit(text, width), style),))
