"""The one-line header: host, real / captured / demo, the doctor's badge, read-only, the panels — and no clock.

One widget drawing one line of ``rich.text.Text`` (cheaper to start than a
row of labels); colours come from component classes, so they follow the
theme. Nothing in it changes with time, so it never repaints on its own (a
ticking clock would cost bytes over SSH and break snapshots). States are
words, not only colours: "demo", "read-only: …", "doctor: 1 error 3 warnings"
read the same in NO_COLOR.

The panels (``1`` Config … ) are listed at the right as tabs, the current one
highlighted, instead of in the footer: there they pushed the screen's own keys
and "q Quit" off an 80-column terminal. When the line is too short for every
label, only the current panel keeps its label and the others show their key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.events import Click
from textual.widget import Widget

from sanctl.ui.session import session_of
from sanctl.ui.widgets.styling import component_fg

if TYPE_CHECKING:
    from sanctl.host.protocol import Capabilities, Host


#: The save state's words at 80 columns.
SHORT_SAVE_STATES = {"unsaved changes": "unsaved", "never saved": "unsaved", "save state unknown": "save?"}


def kind_word(capabilities: Capabilities) -> str:
    """What the header calls a host: "demo" (simulated), "real" (this machine's kernel) or "captured"."""
    if capabilities.simulated:
        return "demo"
    return "real" if capabilities.is_this_machine else "captured"


def short_doctor(text: str) -> str:
    """``doctor: 1 error 3 warnings 2 notes`` -> ``doctor: 1 err 3 warn 2 notes``: still words, fewer columns."""
    import re

    text = re.sub(r"\berrors?\b", "err", text)
    return re.sub(r"\bwarnings?\b", "warn", text)


class StatusBar(Widget):
    """``#status-bar``. Its plain text is :attr:`text`."""

    COMPONENT_CLASSES = {
        "status-bar--app",
        "status-bar--host",
        "status-bar--real",
        "status-bar--captured",
        "status-bar--demo",
        "status-bar--readonly",
        "status-bar--root",
        "status-bar--unsaved",
        "status-bar--tab",
        "status-bar--tab-current",
        "status-bar--doctor-error",
        "status-bar--doctor-warning",
        "status-bar--doctor-ok",
    }

    def __init__(self, *, system: Host, id: str | None = None) -> None:
        """``system``: the host the screen shows (its name, kind, read-only reason and where it is read from)."""
        super().__init__(id=id)
        self.system = system
        #: "unsaved changes", "never saved"… — set by the configuration screen; None: saved.
        self.save_state: str | None = None
        #: ("doctor: 1 error 3 warnings", worst severity) — set by the doctor; None before its first look.
        self.doctor: tuple[str, str | None] | None = None

    def on_mount(self) -> None:
        from sanctl.ui.doctor_service import service

        session = session_of(self.app)
        self.doctor = session.doctor_badge
        self.save_state = session.save_state  # every panel's header says it
        session.bars.append(self)
        service(self.app).start()

    def on_unmount(self) -> None:
        bars = session_of(self.app).bars
        if self in bars:
            bars.remove(self)

    def set_save_state(self, text: str | None) -> None:
        """Show (or clear, with None) the badge saying the running configuration is not the saved one.

        The configuration screen says this after its first frame and after every write, save and
        restore: the doctor looks again then (with the screen's save status, not computing it twice).
        Every panel's header shows it (the app keeps it for headers made later).
        """
        from sanctl.ui.doctor_service import service

        writes = getattr(self.screen, "writes", None) if self.is_attached else None
        service(self.app).save_state_checked(getattr(writes, "status", None))
        session_of(self.app).save_state = text
        bars = service(self.app)._bars() if self.is_attached else [self]
        for bar in bars if self in bars else [self, *bars]:
            bar.show_save_state(text)

    def show_save_state(self, text: str | None) -> None:
        if text != self.save_state:
            self.save_state = text
            self.refresh()

    def set_doctor(self, text: str, worst: str | None) -> None:
        """The doctor's badge: its counts in words ("doctor: 1 error 3 warnings"), coloured by the worst."""
        if (text, worst) != self.doctor:
            self.doctor = (text, worst)
            self.refresh()

    def parts(self, *, short: bool = False) -> list[tuple[str, str]]:
        """``(text, component)`` pieces, left to right; ``short``: the forms an 80-column line has room
        for (``unsaved``, ``doctor: 1 err 3 warn``, ``read-only`` without its reason).

        Where the host is read from is shown when the host says (:attr:`~sanctl.host.protocol.Host.where`:
        a captured tree's root; not ``/``, not the demo's temporary directory nobody needs to read).
        """
        system = self.system
        kind = kind_word(system.capabilities)
        parts = [("sanctl", "app"), (system.name, "host"), (kind, kind)]
        if self.doctor is not None:
            text, worst = self.doctor
            parts.append((short_doctor(text) if short else text, f"doctor-{worst}" if worst in ("error", "warning") else "doctor-ok"))
        if system.readonly:
            said = system.readonly_reason not in (None, "", "read-only")  # a bare "read-only" is said once
            reason = f": {system.readonly_reason}" if said and not short else ""
            parts.append(("read-only" + reason, "readonly"))
        if self.save_state:
            parts.append((SHORT_SAVE_STATES.get(self.save_state, self.save_state) if short else self.save_state, "unsaved"))
        if system.where:
            parts.append((system.where, "root"))
        return parts

    @property
    def text(self) -> str:
        """What the bar says, as plain text (for tests and logs)."""
        return "  ".join(text for text, _ in self.parts())

    def panel_at(self, x: int) -> str | None:
        """The panel whose tab is drawn at column ``x`` of the last render, if any."""
        from sanctl.ui.panels import PANELS

        column = getattr(self, "_tab_start", None)
        if column is None or x < column:
            return None
        compact = self._compact
        current = self.current_panel()
        for name, (key, label, _path) in PANELS.items():
            text = f"{key} {label}" if (name == current or not compact) else key
            width = len(text) + (2 if len(text) > 1 else 0)
            if column <= x < column + width:
                return name
            column += width + 1
        return None

    async def on_click(self, event: Click) -> None:
        """A click on a tab shows that panel."""
        name = self.panel_at(event.x)
        if name is not None:
            await self.app.run_action(f"panel('{name}')")

    def current_panel(self) -> str:
        """The panel this bar's screen is (``config`` for any screen not in :data:`panels.PANELS`)."""
        from sanctl.ui.panels import panel_of

        return panel_of(self.screen) if self.is_attached else "config"

    def tabs(self, *, compact: bool) -> list[tuple[str, str]]:
        """``(text, component)`` for each panel; ``compact`` keeps only the current one's label."""
        from sanctl.ui.panels import PANELS

        current = self.current_panel()
        tabs = []
        for name, (key, label, _path) in PANELS.items():
            if name == current:
                tabs.append((f"{key} {label}", "tab-current"))
            else:
                tabs.append((key if compact else f"{key} {label}", "tab"))
        return tabs

    @staticmethod
    def _width(parts: list[tuple[str, str]]) -> int:
        return sum(len(text) + (2 if len(text) > 1 else 0) for text, _ in parts) + max(len(parts) - 1, 0)

    def _append(self, line: Text, parts: list[tuple[str, str]]) -> None:
        for index, (text, component) in enumerate(parts):
            if index:
                line.append(" ")
            name = f"status-bar--{component}"
            style = component_fg(self, name) if name in self.COMPONENT_CLASSES else None
            line.append(text if len(text) == 1 else f" {text} ", style)  # a bare key needs no padding

    def render(self) -> Text:
        width = self.size.width
        left = Text(no_wrap=True, overflow="ellipsis")
        self._append(left, self.parts())
        tabs = self.tabs(compact=False)
        self._compact = left.cell_len + 1 + self._width(tabs) > width
        if self._compact:
            tabs = self.tabs(compact=True)
            if left.cell_len + 1 + self._width(tabs) > width:  # still too long: the short forms
                left = Text(no_wrap=True, overflow="ellipsis")
                self._append(left, self.parts(short=True))
        right = Text(no_wrap=True)
        self._append(right, tabs)
        room = max(width - right.cell_len - 1, 0)
        self._tab_start = room + 1
        if left.cell_len > room:
            left.truncate(room, overflow="ellipsis")
        left.pad_right(room - left.cell_len + 1)
        return left + right
