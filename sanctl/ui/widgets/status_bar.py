"""The one-line header: host, real / captured / demo, read-only — and no clock.

One widget drawing one line of ``rich.text.Text`` (cheaper to start than a
row of labels); colours come from component classes, so they follow the
theme. Nothing in it changes with time, so it never repaints on its own (a
ticking clock would cost bytes over SSH and break snapshots). States are
words, not only colours: "demo", "read-only: …" read the same in NO_COLOR.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from sanctl.ui.widgets.styling import component_fg


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
    }

    def __init__(
        self,
        *,
        host: str,
        mode: str,
        readonly: bool,
        readonly_reason: str | None,
        root: str,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.host = host
        self.mode = mode
        self.readonly = readonly
        self.readonly_reason = readonly_reason
        self.root = root
        #: "unsaved changes", "never saved"… — set by the configuration screen; None: saved.
        self.save_state: str | None = None

    def set_save_state(self, text: str | None) -> None:
        """Show (or clear, with None) the badge saying the running configuration is not the saved one."""
        if text != self.save_state:
            self.save_state = text
            self.refresh()

    def parts(self) -> list[tuple[str, str]]:
        """``(text, component)`` pieces, left to right.

        The root is shown unless it is ``/`` or the demo's (a temporary
        directory nobody needs to read).
        """
        parts = [("sanctl", "app"), (self.host, "host"), (self.mode, self.mode)]
        if self.readonly:
            parts.append(("read-only" + (f": {self.readonly_reason}" if self.readonly_reason else ""), "readonly"))
        if self.save_state:
            parts.append((self.save_state, "unsaved"))
        if self.mode != "demo" and self.root not in ("", "/"):
            parts.append((f"root {self.root}", "root"))
        return parts

    @property
    def text(self) -> str:
        """What the bar says, as plain text (for tests and logs)."""
        return "  ".join(text for text, _ in self.parts())

    def render(self) -> Text:
        line = Text(no_wrap=True, overflow="ellipsis")
        for index, (text, component) in enumerate(self.parts()):
            if index:
                line.append(" ")
            name = f"status-bar--{component}"
            style = component_fg(self, name) if name in self.COMPONENT_CLASSES else None
            line.append(f" {text} ", style)
        return line
