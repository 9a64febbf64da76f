"""The initiator tab's read-only views: ifaces (``i``), every key of a node record (``K``), a
session's statistics (``s``) and iscsid.conf's defaults in effect (``I``).

:class:`ReadingModal` opens at once with "reading…", runs its loader (an
iscsiadm call with the wrapper's deadline) in a thread, and shows the result
or the failure as a plain sentence with what to do; ``r`` reads again,
``esc`` closes. The renderers are plain functions of the wrapper's values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from sanctl.initiator.iscsiadm_records import Iface, NodeSettings, SessionStats
from sanctl.model import Secret
from sanctl.ui.screens.dialog import Dialog

IFACE_HELP = ("An iface says how sessions leave this host. 'default' follows the routing table; bind one to a NIC "
              "for multipath (iscsiadm -m iface -I iface0 -o new, then -o update -n iface.net_ifacename -v eth1) "
              "and discover through it (d, Iface). Offload HBAs appear as <driver>.<mac>.")


class ReadingModal(Dialog[None]):
    """``#reading-dialog``: a title, then what ``loader`` returns (``#reading-body``)."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="reading.close"),
        Binding("q", "close", "Close", show=False),
        Binding("r", "reload", "Read again", id="reading.reload"),
    ]

    def __init__(self, title: str, loader: Callable[[], RenderableType], *, tall: bool = False) -> None:
        super().__init__()
        self.title_text = title
        self.loader = loader
        self.tall = tall
        self.reading = False
        self.loaded: RenderableType | None = None
        self.error: BaseException | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="reading-dialog", classes="dialog initiator-dialog" + (" -tall" if self.tall else "")) as box:
            box.border_title = self.title_text
            box.border_subtitle = "r reads again · esc closes"
            with VerticalScroll(id="reading-scroll"):
                yield Static(Text("⟳ reading…"), id="reading-body", markup=False)

    def on_mount(self) -> None:
        self.query_one("#reading-scroll").focus()
        self.action_reload()

    def action_reload(self) -> None:
        if self.reading:
            return
        self.reading = True
        loader = self.loader

        def work() -> None:
            try:
                result: RenderableType = loader()
            except Exception as exc:  # shown as a sentence, never a traceback
                self.app.call_from_thread(self._show, None, exc)
            else:
                self.app.call_from_thread(self._show, result, None)

        self.run_worker(work, thread=True, group="reading", exit_on_error=False)

    def _show(self, result: RenderableType | None, error: BaseException | None) -> None:
        self.reading = False
        self.loaded, self.error = result, error
        body = self.query_one("#reading-body", Static)
        if error is not None:
            body.update(failure_text(error))
        else:
            body.update(result if result is not None else Text(""))

    def action_close(self) -> None:
        self.dismiss(None)


def failure_text(error: BaseException) -> Text:
    from sanctl.initiator.iscsiadm_errors import IscsiadmError

    if isinstance(error, IscsiadmError):
        code = f" (exit {error.code})" if error.code is not None else ""
        text = Text(f"✖ {error.message}{code}\n", style="bold")
        if error.hint:
            text.append(error.hint + "\n", style="italic")
        for line in error.details:
            text.append(f"iscsiadm: {line}\n")
        return text
    return Text(f"✖ {error}", style="bold")


def _grid(columns: int = 2) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True, style="dim")
    for _ in range(columns - 1):
        grid.add_column(overflow="fold")
    return grid


def render_ifaces(ifaces: Sequence[Iface]) -> RenderableType:
    """``iscsiadm -m iface``: one row per iface, blanks as ``-``."""
    if not ifaces:
        return Group(Text("No iface records (open-iscsi uses 'default')."), Text(""), Text(IFACE_HELP))
    table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold")
    for column in ("name", "transport", "hwaddress", "ipaddress", "netdev", "initiator name"):
        table.add_column(column, overflow="fold")
    for iface in ifaces:
        table.add_row(*(Text(value or "-") for value in (iface.name, iface.transport, iface.hwaddress,
                                                         iface.ipaddress, iface.netdev, iface.initiator_name)))
    return Group(table, Text(""), Text(IFACE_HELP, style="italic"))


def render_record(records: Sequence[NodeSettings]) -> RenderableType:
    """Every key of a node record (``-o show``), empty ones too; secrets masked."""
    if not records:
        return Text("No such node record (deleted meanwhile? press r in the tab).")
    parts: list[RenderableType] = []
    for index, record in enumerate(records):
        if index:
            parts.append(Text(""))
        empty = sum(1 for v in record.settings.values() if not str(v) and not isinstance(v, Secret))
        head = f"{len(record.settings)} keys, {empty} empty"
        if record.version:
            head += f" (open-iscsi {record.version})"
        parts.append(Text(head + "; secrets masked", style="bold"))
        grid = _grid()
        for key, value in record.settings.items():
            if isinstance(value, Secret):
                shown = Text("(set)" if value.reveal() else "<empty>", style="" if value.reveal() else "dim")
            else:
                shown = Text(str(value)) if str(value) else Text("<empty>", style="dim")
            grid.add_row(key, shown)
        parts.append(grid)
    return Group(*parts)


def render_stats(stats: SessionStats, sid: int | None = None) -> RenderableType:
    """``iscsiadm -m session -r SID -s``: SNMP counters (two pairs a row) and the transport's extras.
    ``sid`` is the session asked for, shown when iscsiadm's header did not name it."""
    head = Text(f"Session {stats.sid or sid or '?'}", style="bold")
    if stats.target:
        head.append(f"  {stats.target} at {stats.portal}", style="")
    parts: list[RenderableType] = [head, Text("")]
    for title, counters in (("iSCSI SNMP", stats.counters), ("iSCSI Extended", stats.extended)):
        if not counters:
            continue
        parts.append(Text(title, style="bold"))
        grid = Table.grid(padding=(0, 2))
        for _ in range(2):
            grid.add_column(no_wrap=True, style="dim")
            grid.add_column(no_wrap=True, justify="right")
        items = list(counters.items())
        for start in range(0, len(items), 2):
            row: list[str] = []
            for key, value in items[start:start + 2]:
                row += [key, f"{value:,}"]
            row += [""] * (4 - len(row))
            grid.add_row(*row)
        parts.append(grid)
    if not stats.counters and not stats.extended:
        parts.append(Text("iscsiadm printed no counters for this session."))
    errors = {k: v for k, v in stats.counters.items() if k in ("digest_err", "timeout_err") and v}
    if errors:
        parts.append(Text(""))
        parts.append(Text("▲ " + ", ".join(f"{k} {v:,}" for k, v in errors.items())
                          + ": the network or the target drops or corrupts PDUs.", style="bold"))
    return Group(*parts)


def render_iscsid_conf(conf) -> RenderableType:
    """iscsid.conf in effect (:class:`~sanctl.initiator.iscsid_conf.IscsidConf`): each key's value and
    where it comes from; the keys of the settings form (``e``) first, with what they mean."""
    from sanctl.initiator.node_settings import NODE_KEYS

    head = Text()
    if conf.path is None:
        head.append("No /etc/iscsi/iscsid.conf: open-iscsi's built-in defaults apply.\n", style="bold")
    else:
        head.append(f"{conf.path}", style="bold")
        if conf.cut:
            head.append(" (only its first MiB read)")
        head.append("\n")
    head.append("New node records (discovery, or a record added by hand) copy these; records that exist keep "
                "their own values (e changes one). Secrets masked.")
    if conf.ignored:
        head.append(f"\n{conf.ignored} line(s) are neither a setting nor a comment: iscsiadm ignores them.",
                    style="dim")
    parts: list[RenderableType] = [head, Text("")]
    grid = _grid()
    shown = set()
    for spec in NODE_KEYS:
        setting = conf.get(spec.key)
        if setting is None:
            continue
        shown.add(spec.key)
        value = Text(setting.shown)
        value.append(f"  ({setting.source}; multipath: {spec.multipath})", style="dim")
        grid.add_row(spec.key, value)
    for setting in conf.settings:
        if setting.key in shown:
            continue
        value = Text(setting.shown)
        value.append(f"  ({setting.source})", style="dim")
        grid.add_row(setting.key, value)
    parts.append(grid)
    return Group(*parts)
