"""The detail pane: everything about the highlighted node.

:func:`sanctl.details.load_details` re-reads the object's attributes,
parameters, auth and ALUA groups from configfs, so it runs in a thread worker;
the result comes back as a message and is drawn as one Rich renderable in a
:class:`~textual.widgets.Static` (a few grids of ``Text`` cells — no markup,
no DataTable). "loading…" appears only if a read takes longer than
:attr:`DetailPane.LOADING_DELAY`, so moving the cursor repaints the pane once,
not twice; a held key repaints it when the cursor comes to rest.
"""

from __future__ import annotations

from time import monotonic
from typing import TYPE_CHECKING, Any

from rich.console import Group, RenderableType
from rich.style import Style
from rich.text import Text
from textual.containers import VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static

from sanctl.model import SanConfig
from sanctl.tree import Node
from sanctl.ui.session import session_of
from sanctl.ui.widgets.styling import component_fg

if TYPE_CHECKING:
    from sanctl.details import Details


def load_details(config: SanConfig, node: Node, target: Any) -> Details:
    """:func:`sanctl.details.load_details` through the host's ``target`` part, imported on first
    use (in the worker thread, off the start-up path)."""
    from sanctl.details import load_details as load

    return load(config, node, target)


#: Where a long value may break: after these (a path's "/", an IQN's ":", a list's ","), else after
#: the weaker ones (a file's ".", a UUID's "-", "_").
SEPARATORS = "/:,;= "
WEAK_SEPARATORS = ".-_"


def wrap_value(text: str, width: int) -> str:
    """``text`` with line breaks so no line is longer than ``width``, each after a separator when one
    is in reach (a path breaks after a "/", not inside a name); only a separator-less run is cut.
    Nothing is dropped: removing the added line breaks gives ``text`` back."""
    if width < 8 or len(text) <= width:
        return text
    out = []
    for line in text.split("\n"):
        while len(line) > width:
            cut = max(line.rfind(sep, 0, width) for sep in SEPARATORS)
            if cut < width // 3:  # a separator this early would waste the line: a weaker one, or cut
                cut = max(line.rfind(sep, 0, width) for sep in WEAK_SEPARATORS)
            end = cut + 1 if cut >= width // 3 else width
            out.append(line[:end])
            line = line[end:]
        out.append(line)
    return "\n".join(out)


def _title(node: Node) -> str:
    from sanctl.details import title_of

    return title_of(node)


class DetailPane(VerticalScroll):
    """Attributes, parameters and auth of one node (``#detail``; body ``#detail-body``)."""

    #: Say "loading…" only if a read takes longer than this (seconds).
    LOADING_DELAY = 0.15
    #: Moves closer together than this count as one movement (seconds).
    SETTLE = 0.1
    #: Where "now" comes from (tests hold it still to act out a held key on any machine).
    clock = staticmethod(monotonic)

    COMPONENT_CLASSES = {
        "detail--section",
        "detail--key",
        "detail--note",
        "detail--ok",
        "detail--warn",
        "detail--bad",
        "detail--muted",
    }

    class Loaded(Message):
        """Posted (from the worker thread) when a node's details are read."""

        def __init__(self, seq: int, details: Details) -> None:
            super().__init__()
            self.seq = seq
            self.details = details

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.details: Details | None = None
        self.pending = False
        self._seq = 0
        self._loading_timer: Timer | None = None
        self._settle_timer: Timer | None = None
        self._last_show = 0.0

    def compose(self):
        yield Static(id="detail-body", markup=False)

    @property
    def body(self) -> Static:
        return self.query_one("#detail-body", Static)

    def show(self, config: SanConfig, node: Node | None) -> None:
        """Load and show ``node``'s details (``None`` clears the pane).

        A single move loads at once; while the cursor is moving fast (a held
        key), loading waits until it rests for :attr:`SETTLE` seconds, so
        the pane is not repainted for every line passed — over SSH each
        repaint of the pane is several kilobytes.
        """
        self._seq += 1
        seq = self._seq
        for timer in (self._loading_timer, self._settle_timer):
            if timer is not None:
                timer.stop()
        self._loading_timer = self._settle_timer = None
        now = self.clock()
        moving = now - self._last_show < self.SETTLE
        self._last_show = now
        if node is None:
            self.pending = False
            self.details = None
            self.border_title = ""
            self.body.update("")
            return
        self.pending = True
        if moving:
            self._settle_timer = self.set_timer(self.SETTLE, lambda: self._start(config, node, seq))
        else:
            self._start(config, node, seq)

    def _start(self, config: SanConfig, node: Node, seq: int) -> None:
        if seq != self._seq:
            return
        self._settle_timer = None
        self._loading_timer = self.set_timer(self.LOADING_DELAY, lambda: self._show_loading(seq, node))
        target = session_of(self.app).host.target
        self.run_worker(
            lambda: self._read(config, node, seq, target),
            thread=True,
            exclusive=True,
            group="detail",
            exit_on_error=False,
            description=f"details of {node.path}",
        )

    def _read(self, config: SanConfig, node: Node, seq: int, target: Any) -> None:
        try:
            details = load_details(config, node, target)
        except Exception as exc:  # a vanished file, a reader bug: show it, don't crash
            from sanctl.details import Details, Section

            details = Details(
                node.kind,
                _title(node),
                node.path,
                (Section("Error", (), f"could not read details: {type(exc).__name__}: {exc}"),),
            )
        self.post_message(self.Loaded(seq, details))

    def _show_loading(self, seq: int, node: Node) -> None:
        if seq == self._seq and self.pending:
            self.border_title = _title(node)
            self.body.update(Text("loading…", style=self._style("detail--muted")))

    def on_detail_pane_loaded(self, message: Loaded) -> None:
        message.stop()
        if message.seq != self._seq:
            return  # the cursor has moved on
        if self._loading_timer is not None:
            self._loading_timer.stop()
            self._loading_timer = None
        self.pending = False
        self.details = message.details
        self.border_title = message.details.title
        self.body.update(self.render_details(message.details))
        self.scroll_home(animate=False)

    def on_resize(self, event) -> None:
        if self.details is not None and not self.pending:
            self.body.update(self.render_details(self.details))

    # --- drawing --------------------------------------------------------------

    def _style(self, component: str) -> Style:
        return component_fg(self, component)

    def render_details(self, details: Details, width: int | None = None) -> RenderableType:
        """``details`` drawn for the pane's width (or ``width`` columns: what the tests read whole)."""
        from rich.table import Table  # not needed for the first paint

        states = {
            "ok": self._style("detail--ok"),
            "warn": self._style("detail--warn"),
            "bad": self._style("detail--bad"),
            "muted": self._style("detail--muted"),
        }
        section_style = self._style("detail--section")
        key_style = self._style("detail--key")
        note_style = self._style("detail--note")
        # Keys (attribute names) stay on one line up to 60 % of the pane;
        # values fold onto more lines.
        pane = width or self.scrollable_content_region.width or 80
        key_width = max(12, pane * 3 // 5)
        parts: list[RenderableType] = []
        for index, section in enumerate(details.sections):
            if index:
                parts.append(Text(""))
            parts.append(Text(section.title, style=section_style))
            if not section.rows:
                parts.append(Text(f" {section.empty}", style=states["muted"]))
                continue
            grid = Table.grid(padding=(0, 1), expand=True)
            grid.add_column(style=key_style, overflow="fold", max_width=key_width)
            grid.add_column(ratio=1, overflow="fold")
            has_notes = any(row.note for row in section.rows)
            if has_notes:
                grid.add_column(no_wrap=True)
            # values wrap at their separators (a path at "/", a list at ","), not mid-token
            keys = min(key_width, max(len(row.key) + 1 for row in section.rows))
            notes = max(len(row.note or "") for row in section.rows) + 2 if has_notes else 0
            value_width = pane - keys - 2 - notes
            for row in section.rows:
                cells = [
                    Text(f" {row.key}"),
                    Text(wrap_value(row.value, value_width), style=states.get(row.state or "", Style())),
                ]
                if has_notes:
                    cells.append(Text(row.note, style=note_style))
                grid.add_row(*cells)
            parts.append(grid)
        return Group(*parts)


