"""The ways into the setup wizard that live outside it.

- :class:`SetupCommands` — the command palette's "Setup wizard" entry
  (the app lists it through a function, so start-up does not import this);
- :func:`offer_setup` — on start, when the host has no target yet, a small
  dialog offering the wizard (:class:`SetupOffer`). Not in read-only mode,
  not on a captured tree, not when the wizard is open already. When the
  saved file still holds a configuration (a reboot without the boot-time
  restore), a restore is offered instead (:class:`RestoreOffer`), previewed
  through the restore screen: the wizard would build a new configuration
  next to the operator's data, and a save would overwrite it.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from sanctl.ui.screens.dialog import Dialog

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


class SetupOffer(Dialog[bool]):
    """``#setup-offer``: "No target yet — start the setup wizard?" with ``#setup-offer-start`` focused."""

    DEFAULT_CSS = """
    #setup-offer {
        width: 70;
    }
    #setup-offer-text {
        height: auto;
    }
    """

    BINDINGS = [Binding("escape", "later", "Not now", id="setup_offer.later")]

    def compose(self) -> ComposeResult:
        with Vertical(id="setup-offer", classes="dialog") as box:
            box.border_title = "No target yet"
            yield Static(Text(
                "This host has no iSCSI target configured. The setup wizard walks you through a first one: "
                "checks, a disk, the target, its portal, who may log in, a preset for the clients — then shows "
                "every operation before applying it, saves it for boot, and gives the client's commands.\n\n"
                "It is also in the command palette (ctrl+p, \"Setup wizard\") and on the command line: "
                "sanctl setup."), id="setup-offer-text")
            with Horizontal(id="setup-offer-buttons", classes="dialog-buttons"):
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


class RestoreOffer(Dialog[bool]):
    """``#restore-offer``: the kernel is empty but the saved file is not; ``#restore-offer-preview`` focused."""

    DEFAULT_CSS = SetupOffer.DEFAULT_CSS.replace("SetupOffer", "RestoreOffer").replace("setup-offer",
                                                                                         "restore-offer")

    BINDINGS = [Binding("escape", "later", "Not now", id="restore_offer.later")]

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(id="restore-offer", classes="dialog") as box:
            box.border_title = "The kernel has no configuration"
            yield Static(Text(self.text), id="restore-offer-text")
            with Horizontal(id="restore-offer-buttons", classes="dialog-buttons"):
                yield Button("Not now", id="restore-offer-later", compact=True)
                yield Button("Preview the restore", id="restore-offer-preview", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#restore-offer-preview", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "restore-offer-preview")

    def action_later(self) -> None:
        self.dismiss(False)


def saved_contents(target: Any) -> tuple[str, int, int] | None:
    """``(path, targets, backstores)`` of the saved file when it holds a configuration; None otherwise
    (``target``: the host's target part)."""
    from sanctl.lio.errors import SaveFileError

    location = target.save_location()
    try:
        data = target.read_saved(location.path)
    except (SaveFileError, OSError):
        return None
    targets = len(data.get("targets") or ())
    backstores = len(data.get("storage_objects") or ())
    if not targets and not backstores:
        return None
    return location.path, targets, backstores


def offer_setup(screen) -> None:
    """Offer the wizard over the configuration screen (its first read found no target) — or, when the
    saved file still holds a configuration, its restore."""
    app = screen.app
    if getattr(app, "start_setup", False) or screen.readonly or not app.session.host.capabilities.has_live:
        return
    from sanctl.ui.screens.setup import SetupScreen

    if any(isinstance(s, SetupScreen) for s in app.screen_stack):
        return
    part = app.session.host.target

    def work() -> None:
        try:
            found = saved_contents(part)
        except Exception:  # an unreadable file: the wizard is offered, the doctor says the rest
            found = None
        app.call_from_thread(offer, found)

    def offer(found: tuple[str, int, int] | None) -> None:
        if any(isinstance(s, (SetupScreen, SetupOffer, RestoreOffer)) for s in app.screen_stack):
            return
        if found is None:
            app.push_screen(SetupOffer(), lambda start: _open(app) if start else None)
            return
        path, targets, backstores = found
        shown = screen.writes.shown(path)
        text = (f"The running configuration is empty, but {shown} holds {targets} target"
                f"{'s' if targets != 1 else ''} and {backstores} backstore{'s' if backstores != 1 else ''}: "
                "the boot-time restore did not run, or the configuration was cleared.\n\n"
                "Restore it? The restore screen shows what it would create before anything is written. "
                "Saving now would overwrite that file with the empty configuration.")
        app.push_screen(RestoreOffer(text), lambda yes: screen.writes.restore() if yes else None)

    screen.run_worker(work, thread=True, group="setup-offer", exit_on_error=False)
