"""The target sessions panel (key ``2``): who is logged in, from where, doing what.

Top grid: per TPG a header line (sessions, idle ACLs, the TPG's total I/O),
the target's login failures and the last failing initiator when there are
any, then every session — explicit ACLs from their ``info`` files and
dynamic (demo-mode) sessions from ``dynamic_sessions`` — with each of its
connections on its own line, and a warning under a session LIO keeps
reinstating. ``enter`` on a session opens its I/O per mapped LUN.
Bottom grid: I/O per TPG LUN. Right of every row: commands/s, read and write
MiB/s and a sparkline of the last minutes. The line under the grids holds the
highlighted session's details (ISID, TSIH, CmdSN window, error counters).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from sanctl import words
from sanctl.iscsi_errors import login_fail_type
from sanctl.live import format as fmt
from sanctl.live.fail_time import failure_wall
from sanctl.live.history import sparkline
from sanctl.live.report import local_port
from sanctl.live.rates import UNKNOWN, Rate
from sanctl.live.frame import LiveFrame
from sanctl.lio.live_values import TargetSession, transport_label
from sanctl.ui.screens.live_base import WIDE, LiveScreen, set_subtitle
from sanctl.ui.widgets.live_grid import Line, LiveGrid
from sanctl.ui.widgets.key_bar import KeyBar


@dataclass(frozen=True, slots=True)
class Row:
    """A line of the sessions grid: which thing it shows, not its values (those come from the frame)."""

    key: tuple
    kind: str  #: tpg, failures, session, conn, note, mlun
    target: str
    tpg: int
    session: tuple | None = None  #: the session's key
    cid: int | None = None
    mapped_lun: int | None = None


@dataclass(frozen=True, slots=True)
class RightLayout:
    widths: tuple[int, int, int]
    spark: int
    labels: tuple[str, str, str, str]

    @property
    def numbers_width(self) -> int:
        return sum(self.widths) + 1

    @property
    def width(self) -> int:
        return self.numbers_width + self.spark

    @property
    def header(self) -> str:
        (c, r, w), (lc, lr, lw, ls) = self.widths, self.labels
        return f"{lc:>{c}}{lr:>{r}}{lw:>{w}} {ls}"


#: Sparklines: one character per 10-second bucket (18 = 3 minutes, 9 = 1½).
WIDE_RIGHT = RightLayout((7, 9, 9), 18, ("cmd/s", "rd MiB/s", "wr MiB/s", "I/O, 3 min"))
NARROW_RIGHT = RightLayout((6, 7, 7), 9, ("cmd/s", "rd MiB", "wr MiB", "1½ min"))


def numbers(rate: Rate | None, layout: RightLayout) -> str:
    c, r, w = layout.widths
    rate = rate or UNKNOWN
    return fmt.per_second(rate.cmds, c) + fmt.mib_rate(rate.read, r) + fmt.mib_rate(rate.write, w) + " "


class SessionsScreen(LiveScreen):
    """``#sessions-grid``, ``#luns-grid``, ``#session-detail``."""

    TITLE_TEXT = "Target sessions"
    BINDINGS = [Binding("enter", "toggle_luns", "LUN I/O", id="sessions.luns")]

    def __init__(self) -> None:
        super().__init__()
        self._expanded: set[tuple] = set()
        self._sessions: dict[tuple, TargetSession] = {}
        self._shared: dict[tuple[str, int, str], object] = {}
        self._detail_text = ""
        self._members: dict[tuple[str, int], int] = {}
        self._tpg_layout: dict = {}
        self._by_key: dict[tuple, TargetSession] = {}
        self._rows: list[Row] = []
        self._row_keys: tuple = ()
        self._row_signature: tuple | None = None

    def compose(self) -> ComposeResult:
        yield self.status_bar()
        yield LiveGrid(header_left="INITIATOR / CONNECTION", id="sessions-grid")
        yield LiveGrid(header_left="LUN  BACKSTORE  TARGET/TPG", id="luns-grid")
        yield Static(id="session-detail", markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#luns-grid", LiveGrid).border_title = "I/O per LUN (all initiators)"

    @property
    def grid(self) -> LiveGrid:
        return self.query_one("#sessions-grid", LiveGrid)

    @property
    def lun_grid(self) -> LiveGrid:
        return self.query_one("#luns-grid", LiveGrid)

    def _right(self) -> RightLayout:
        return WIDE_RIGHT if self.size.width >= WIDE else NARROW_RIGHT

    def hot_rows(self) -> list[tuple]:
        rows = super().hot_rows()
        for key in self._expanded:
            rows.append(("mapped", key[1], key[2], key[4]))
        return rows

    # --- rows ------------------------------------------------------------------------------

    def _signature(self, frame: LiveFrame) -> tuple:
        return (frame.structure, frozenset(self._expanded), frozenset(self._shared),
                tuple(t for t, st in frame.target_stats.items() if st.login_fails),
                sum(len(s.info.connections) for s in frame.sessions if s.info is not None),
                tuple((k, len(frame.mapped.get((k[1], k[2], k[4]), ()))) for k in sorted(self._expanded)))

    def build_rows(self, frame: LiveFrame) -> list[Row]:
        by_tpg: dict[tuple[str, int], list[TargetSession]] = {}
        for session in frame.sessions:
            by_tpg.setdefault((session.target, session.tpg), []).append(session)
        self._members = {key: len(value) for key, value in by_tpg.items()}
        self._tpg_layout = {(t.iqn, tpg.tag): tpg for t in frame.layout for tpg in t.tpgs}
        rows: list[Row] = []
        for target in frame.layout:
            stats = frame.target_stats.get(target.iqn)
            for index, tpg in enumerate(target.tpgs):
                rows.append(Row(("tpg", target.iqn, tpg.tag), "tpg", target.iqn, tpg.tag))
                if index == 0 and stats is not None and stats.login_fails:
                    rows.append(Row(("failures", target.iqn), "failures", target.iqn, tpg.tag))
                for session in by_tpg.get((target.iqn, tpg.tag), ()):
                    key = session.key
                    rows.append(Row(key, "session", target.iqn, tpg.tag, session=key))
                    if session.info is not None:
                        for conn in session.info.connections:
                            rows.append(Row(("conn", *key[1:], conn.cid), "conn", target.iqn, tpg.tag,
                                            session=key, cid=conn.cid))
                    if (target.iqn, tpg.tag, session.initiator) in self._shared:
                        rows.append(Row(("note", *key[1:]), "note", target.iqn, tpg.tag, session=key))
                    if key in self._expanded:
                        for mapped in frame.mapped.get((target.iqn, tpg.tag, session.initiator), ()):
                            rows.append(Row(("mlun", target.iqn, tpg.tag, session.initiator, mapped.mapped_lun),
                                            "mlun", target.iqn, tpg.tag, session=key, mapped_lun=mapped.mapped_lun))
        return rows

    def render_frame(self, frame: LiveFrame) -> None:
        self._shared = {(f.target, f.tpg, f.initiator): f for f in frame.findings
                        if f.kind == "shared_initiator_name" and f.active}
        self._by_key = {session.key: session for session in frame.sessions}
        right = self._right()
        grid, luns = self.grid, self.lun_grid
        for g in (grid, luns):
            g.set_right(right.width, right.numbers_width, right.header)
        signature = self._signature(frame)
        if signature != self._row_signature:
            self._row_signature = signature
            self._rows = self.build_rows(frame)
            self._row_keys = tuple(row.key for row in self._rows)
        grid.set_rows(self._rows, lambda row, width: self.format_row(row, width, frame, right), keys=self._row_keys)
        luns.set_rows(frame.luns, lambda lun, width: self.format_lun(lun, width, frame, right), keys=frame.lun_keys)
        set_subtitle(luns, words.plural(len(frame.luns), "LUN"))
        set_subtitle(grid, words.plural(len(frame.sessions), "session"))
        self._show_detail(frame)

    # --- formatting ----------------------------------------------------------------------------

    def _spark(self, frame: LiveFrame, key: tuple, right: RightLayout) -> str:
        history = frame.histories.get(key)
        return sparkline(history, right.spark, floor=64 * 1024) if history else ""

    def format_row(self, row: Row, width: int, frame: LiveFrame, right: RightLayout) -> Line:
        kind = row.kind
        if kind == "tpg":
            members = self._members.get((row.target, row.tpg), 0)
            idle = frame.idle_acls.get((row.target, row.tpg), 0)
            tpg = self._tpg_layout.get((row.target, row.tpg))
            bits = [f"{members} session" + ("" if members == 1 else "s")]
            if idle:
                bits.append(f"{idle} ACL{'' if idle == 1 else 's'} idle")
            if tpg is not None and tpg.demo_mode:
                bits.append("demo mode")
            if tpg is not None and tpg.enabled is False:
                bits.append("disabled")
            head = f"{row.target}  tpg {row.tpg}"
            tail = " · " + " · ".join(bits)
            return Line(((fmt.fit_tail(head, max(0, width - len(tail))).rstrip(), "group"), (tail, "muted")),
                        numbers(frame.rates.get(("tpg", row.target, row.tpg)), right))
        if kind == "failures":
            stats = frame.target_stats.get(row.target)
            kind_ = login_fail_type(stats.last_fail_type) if stats else None
            when = ""
            failed_at = failure_wall(stats.last_fail_time, frame) if stats else None
            if failed_at is not None:
                when = " at " + fmt.clock(failed_at)
            text = ""
            if stats is not None:
                classes = ", ".join(f"{name} {value}" for name, value in (
                    ("authorize", stats.authorize_fails), ("authenticate", stats.authenticate_fails),
                    ("negotiate", stats.negotiate_fails), ("other", stats.other_fails),
                    ("redirect", stats.redirects)) if value)
                text = (f"  ⚠ {words.plural(stats.login_fails, 'failed login')} ({classes or 'no class'}) · "
                        + words.last_failure(stats.fail_intr_name, stats.fail_intr_addr,
                                             kind_.name if kind_ and kind_.value else "", when))
            return Line(((text, "warn"),), wide=True)
        session = self._by_key.get(row.session) if row.session else None
        if session is None:
            return Line(((" ", "muted"),), wide=True)  # gone since the rows were built: the next frame drops it
        if kind == "session":
            return self._session_line(session, width, frame, right)
        if kind == "conn":
            conn = next((c for c in session.info.connections if c.cid == row.cid), None) if session.info else None
            if conn is None:
                return Line(((" ", "muted"),), wide=True)
            tpg = self._tpg_layout.get((row.target, row.tpg))
            port = local_port(frame.initiator, session, conn.address)
            where = f"{conn.address}:{port}" if port else f"{conn.address or '?'}"
            transport = transport_label(conn.transport, tpg.offload_portal if tpg else False) or "?"
            style = "muted" if conn.state == "LOGGED_IN" else "warn"
            stats = session.stats
            errors = ""
            if stats is not None and (stats.conn_digest_errors or stats.conn_timeout_errors):
                errors = f"  digest errors {stats.conn_digest_errors} · timeouts {stats.conn_timeout_errors}"
            text = f"      cid {conn.cid}  {where}  {conn.state}  {transport}{errors}"
            return Line(((text, style),), wide=True)
        if kind == "note":
            finding = self._shared.get((row.target, row.tpg, session.initiator))
            addresses = ", ".join(getattr(finding, "addresses", ()) or ())
            text = (f"      ⚠ replaced {getattr(finding, 'count', '?')}× in 5 min"
                    + (f" from {addresses}" if addresses else "") + ": shared initiator name? (3 errors)")
            return Line(((text, "bad"),), wide=True)
        mapped = next((m for m in frame.mapped.get((row.target, row.tpg, session.initiator), ())
                       if m.mapped_lun == row.mapped_lun), None)
        if mapped is None:
            return Line(((" ", "muted"),), wide=True)
        key = ("mlun", row.target, row.tpg, session.initiator, mapped.mapped_lun)
        attached = "attached" if mapped.port_ident else "not attached"
        text = f"      lun {mapped.mapped_lun}  {attached}  cmds {mapped.num_cmds}"
        return Line(((fmt.fit(text, width), "muted"),), numbers(frame.rates.get(key), right))

    def _session_line(self, session: TargetSession, width: int, frame: LiveFrame, right: RightLayout) -> Line:
        info = session.info
        marker = "▾ " if session.key in self._expanded else "  "
        if info is None:
            tail, short = "  dyn  LOGGED_IN  demo-mode session", "  dyn LOGGED_IN"
            style = "ok"
        else:
            tail = f"  acl  {info.state:<9} sid {info.sid} tsih {info.tsih}"
            short = f"  acl {info.state}"
            style = "ok" if info.state == "LOGGED_IN" else "warn"
        if width - len(tail) < 30:
            tail = short  # narrow: the name matters more; ids are in the detail line
        alias = f" ({info.alias_shown})" if info is not None and info.alias_shown else ""
        name = marker + fmt.fit_tail(session.initiator + alias, max(10, width - len(tail) - 2))
        rate = frame.rates.get(session.key)
        return Line(((name, "text"), (tail, style)), numbers(rate, right), self._spark(frame, session.key, right))

    def format_lun(self, lun, width: int, frame: LiveFrame, right: RightLayout) -> Line:
        backstore = frame.backstores.get((lun.target, lun.tpg, lun.lun)) or "(broken link)"
        head = f"{lun.lun:>4}  {backstore:<18} "
        text = head + fmt.fit_tail(f"{lun.target}/{lun.tpg}", max(0, width - len(head)))
        return Line(((fmt.fit(text, width), "text"),), numbers(frame.rates.get(lun.key), right),
                    self._spark(frame, lun.key, right))

    # --- detail and keys -----------------------------------------------------------------------

    def _show_detail(self, frame: LiveFrame) -> None:
        row = self.grid.cursor_row
        text = ""
        session = None
        if row is not None and row.session is not None:
            session = self._by_key.get(row.session)
        if session is not None and session.info is not None:
            info = session.info
            s = session.stats
            text = (f"{session.initiator}{' (' + info.alias_shown + ')' if info.alias_shown else ''} on {session.target} "
                    f"tpg {session.tpg} · ACL · ISID {info.isid} · TSIH {info.tsih} · {info.session_type} · "
                    f"CmdSN window {info.cmdsn_window}, credit {info.cmdsn_credit}")
            if s is not None and not s.empty:
                text += f" · digest errors {s.conn_digest_errors} · timeouts {s.conn_timeout_errors}"
        elif session is not None:
            text = (f"{session.initiator} on {session.target} tpg {session.tpg} · dynamic (demo-mode) session: configfs "
                    "shows only its name; its I/O is the TPG's when it is the only session")
        elif row is not None and row.kind == "tpg":
            stats = frame.target_stats.get(row.target)
            if stats is not None:
                text = (f"{row.target}: logins {stats.accepts or 0} ok, {stats.login_fails or 0} failed · logouts "
                        f"{stats.normal_logouts or 0} normal, {stats.abnormal_logouts or 0} abnormal · session errors "
                        f"digest {stats.digest_errors or 0}, timeout {stats.cxn_errors or 0}, format {stats.format_errors or 0}")
        if text != self._detail_text:
            self._detail_text = text
            self.query_one("#session-detail", Static).update(Text(text))

    def on_live_grid_highlighted(self, message: LiveGrid.Highlighted) -> None:
        if self.frame is not None and message.grid is self.grid:
            self._show_detail(self.frame)

    def action_toggle_luns(self) -> None:
        row = self.grid.cursor_row
        if row is None or row.session is None or row.session[3] != "acl":
            return
        key = row.session
        self._expanded.symmetric_difference_update({key})
        self.live.set_hot(self.hot_rows())
        if self.frame is not None:
            self.render_frame(self.frame)
        self.live.request()
