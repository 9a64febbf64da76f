"""The one-line header: host, real or demo, read-only — and no clock.

Drawn once at start; nothing in it changes with time, so it never repaints
on its own (a ticking clock would cost bytes over SSH and break snapshots).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static


class StatusBar(Horizontal):
    """``#status-bar``: ``#status-app``, ``#status-host``, ``#status-mode``, ``#status-readonly``, ``#status-root``.

    The root is shown unless it is ``/`` or the demo's (a temporary directory
    nobody needs to read).
    """

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

    def compose(self) -> ComposeResult:
        yield Static(Text("sanctl"), id="status-app")
        yield Static(Text(self.host), id="status-host")
        yield Static(Text(self.mode), id="status-mode", classes=self.mode)
        if self.readonly:
            label = "read-only" + (f": {self.readonly_reason}" if self.readonly_reason else "")
            yield Static(Text(label), id="status-readonly")
        if self.mode != "demo" and self.root not in ("", "/"):
            yield Static(Text(f"root {self.root}"), id="status-root")

    @property
    def text(self) -> str:
        """What the bar says, as plain text (for tests and logs)."""
        return "  ".join(str(w.render()) for w in self.query(Static))
