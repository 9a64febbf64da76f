"""The ways into the setup wizard that live outside it.

- :class:`SetupCommands` — the command palette's "Setup wizard" entry
  (the app lists it through a function, so start-up does not import this);
- :func:`offer_setup` — on start, when the host has no target yet, a small
  dialog offering the wizard (:class:`SetupOffer`). Not in read-only mode,
  not on a captured tree, not when the wizard is open already.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

NAME = "Setup wizard"
HELP = "Guided first-time setup: from a disk to a logged-in client (sanctl setup)"


def _open(app) -> None:
    from sanctl.ui.screens.setup import open_setup

    open_setup(app)


class SetupCommands(Provider):
    """"Setup wizard" in the command palette."""

    async def discover(self) -> Hits:
        yield DiscoveryHit(NAME, lambda: _open(self.app), help=HELP)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text in (NAME, "First setup", "Guided setup"):
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), lambda: _open(self.app), text=text, help=HELP)
                return


class SetupOffer(ModalScreen[bool]):
    """``#setup-offer``: "No target yet — start the setup wizard?" with ``#setup-offer-start`` focused."""

    DEFAULT_CSS = """
    SetupOffer {
        align: center middle;
    }
    #setup-offer {
        width: 70;
        max-width: 100%;
        height: auto;
        border: round $border;
        border-title-color: $text;
        border-title-style: bold;
        background: $surface;
        padding: 0 1;
    }
    #setup-offer-text {
        height: auto;
    }
    #setup-offer-buttons {
        height: 1;
        margin-top: 1;
        align-horizontal: right;
    }
    #setup-offer-buttons Button {
        margin-left: 2;
        min-width: 10;
    }
    """

    BINDINGS = [Binding("escape", "later", "Not now", id="setup_offer.later")]

    def compose(self) -> ComposeResult:
        with Vertical(id="setup-offer") as box:
            box.border_title = "No target yet"
            yield Static(Text(
                "This host has no iSCSI target configured. The setup wizard walks you through a first one: "
                "checks, a disk, the target, its portal, who may log in, a preset for the clients — then shows "
                "every operation before applying it, saves it for boot, and gives the client's commands.\n\n"
                "It is also in the command palette (ctrl+p, \"Setup wizard\") and on the command line: "
                "sanctl setup."), id="setup-offer-text")
            with Horizontal(id="setup-offer-buttons"):
                yield Button("Not now", id="setup-offer-later", compact=True)
                yield Button("Start the wizard", id="setup-offer-start", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#setup-offer-start", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "setup-offer-start")

    def action_later(self) -> None:
        self.dismiss(False)


def offer_setup(screen) -> None:
    """Offer the wizard over the configuration screen (its first read found no target)."""
    app = screen.app
    if getattr(app, "start_setup", False) or screen.readonly or screen.mode == "captured":
        return
    from sanctl.ui.screens.setup import SetupScreen

    if any(isinstance(s, SetupScreen) for s in app.screen_stack):
        return

    def answered(start: bool | None) -> None:
        if start:
            _open(app)

    app.push_screen(SetupOffer(), answered)
