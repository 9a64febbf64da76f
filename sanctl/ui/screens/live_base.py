"""What every live panel shares: the header, pause and interval keys, the sampler's hot rows.

A live panel receives :class:`~sanctl.live.sampler.LiveFrame` values from the
app's :class:`~sanctl.ui.live_service.LiveService` while it is on screen, and
nothing while another screen is. It tells the service which rows its grids
show, so only those are sampled at full rate. The live state ("every 1 s",
"paused") is in the main grid's border title: it changes only when the
operator changes it, so it costs nothing between updates (no ticking clock).
"""

from __future__ import annotations

from pathlib import Path

from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget

from sanctl.live.frame import LiveFrame
from sanctl.ui import panels
from sanctl.ui.live_service import LiveService
from sanctl.ui.session import session_of
from sanctl.ui.widgets.live_grid import LiveGrid
from sanctl.ui.widgets.status_bar import StatusBar

#: Below this many columns the grids use their narrow layout.
WIDE = 110


def set_subtitle(widget: Widget, text: str) -> None:
    """Set a border subtitle only if it changed: assigning one repaints the whole widget."""
    if getattr(widget, "_sanctl_subtitle", None) != text:
        widget._sanctl_subtitle = text  # type: ignore[attr-defined]
        widget.border_subtitle = text


def set_title(widget: Widget, text: str) -> None:
    if getattr(widget, "_sanctl_title", None) != text:
        widget._sanctl_title = text  # type: ignore[attr-defined]
        widget.border_title = text


class LiveScreen(Screen[None]):
    """Base of the sessions, errors and initiator panels."""

    CSS_PATH = Path(__file__).resolve().parent.parent / "live.tcss"
    TITLE_TEXT = ""

    BINDINGS = [
        Binding("p", "pause", "Pause", id="live.pause"),
        Binding("plus", "slower", "Slower", id="live.slower"),
        Binding("minus", "faster", "Faster", id="live.faster"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.frame: LiveFrame | None = None

    @property
    def live(self) -> LiveService:
        return panels.service(self.app)

    def status_bar(self) -> StatusBar:
        return StatusBar(system=session_of(self.app).host, id="status-bar")

    # --- service ---------------------------------------------------------------------------

    def on_screen_resume(self) -> None:
        self.show_state()
        self.live.set_hot(self.hot_rows())
        self.live.attach(self)

    def on_screen_suspend(self) -> None:
        self.live.detach(self)

    def on_live_grid_scrolled(self, message: LiveGrid.Scrolled) -> None:
        self.live.set_hot(self.hot_rows())

    def hot_rows(self) -> list[tuple]:
        """The row keys on screen (grids' visible rows plus whatever a panel adds)."""
        return [key for grid in self.query(LiveGrid) for key in grid.visible_keys()]

    def show_frame(self, frame: LiveFrame) -> None:
        self.frame = frame
        self.render_frame(frame)

    def render_frame(self, frame: LiveFrame) -> None:
        raise NotImplementedError

    def live_label(self) -> str:
        service = self.live
        if service.paused:
            return "PAUSED (p resumes)"
        seconds = service.interval
        return f"live, every {seconds:g} s"

    def show_state(self) -> None:
        """Show pause and interval in the main grid's title."""
        grids = list(self.query(LiveGrid))
        if grids:
            set_title(grids[0], f"{self.TITLE_TEXT} — {self.live_label()}")
            grids[0].set_class(self.live.paused, "-paused")

    # --- keys ------------------------------------------------------------------------------

    def action_pause(self) -> None:
        paused = self.live.toggle_pause()
        self.notify("live panels paused" if paused else "live panels resumed", timeout=2)

    def action_slower(self) -> None:
        self.live.slower()

    def action_faster(self) -> None:
        self.live.faster()

    def on_resize(self, event) -> None:
        self.set_class(event.size.width < WIDE, "-narrow")
        if self.frame is not None:
            self.render_frame(self.frame)
