"""The app's panels by number — ``1`` configuration, ``2`` sessions, ``3`` errors, ``4`` initiator,
``5`` connect (the initiator tab: discovery, login, favourites, the initiator name), ``6`` doctor.

The live panels are installed once and switched between, so each keeps its
cursor and scroll position; the configuration screen stays at the bottom of
the stack. All live panels share one :class:`~sanctl.ui.live_service.LiveService`
per app (kept in ``app.session``), created on first use — or before, by :func:`configure` (tests pass
fake clocks and ``autostart=False`` there). Screens are imported when first
shown, so start-up does not pay for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.binding import Binding

from sanctl.ui.session import session_of

if TYPE_CHECKING:
    from textual.app import App

    from sanctl.ui.live_service import LiveService

#: name -> (key, footer label, "module:Class")
PANELS = {
    "config": ("1", "Config", ""),
    "sessions": ("2", "Sessions", "sanctl.ui.screens.sessions:SessionsScreen"),
    "errors": ("3", "Errors", "sanctl.ui.screens.errors:ErrorsScreen"),
    "initiator": ("4", "Initiator", "sanctl.ui.screens.initiator_sessions:InitiatorScreen"),
    "connect": ("5", "Connect", "sanctl.ui.screens.initiator:InitiatorTargetsScreen"),
    "doctor": ("6", "Doctor", "sanctl.ui.screens.doctor:DoctorScreen"),
}

#: Not in the footer: the header lists the panels as tabs (see StatusBar).
BINDINGS = [
    Binding(key, f"panel('{name}')", label, show=False, id=f"app.panel_{name}")
    for name, (key, label, _path) in PANELS.items()
]


def panel_of(screen: object) -> str:
    """The name of the panel ``screen`` is; ``config`` for the configuration screen and the rest."""
    path = f"{type(screen).__module__}:{type(screen).__qualname__}"
    for name, (_key, _label, panel_path) in PANELS.items():
        if panel_path == path:
            return name
    return "config"


def configure(app: App, **options) -> LiveService:
    """Create the app's live service with these options (clocks, autostart, interval, config)."""
    from sanctl.ui.live_service import LiveService

    session = session_of(app)
    service = LiveService(app, host=session.host, **options)
    from sanctl.ui.doctor_service import frame_listener

    service.listeners.append(frame_listener(app))  # the doctor looks at every sample
    session.live = service
    return service


def service(app: App) -> LiveService:
    found = session_of(app).live
    return found if found is not None else configure(app)


def show_panel(app: App, name: str) -> None:
    """Bring panel ``name`` to the front."""
    from textual.screen import ModalScreen

    while isinstance(app.screen, ModalScreen):
        app.pop_screen()
    if name == "config":
        while len(app.screen_stack) > 1:
            app.pop_screen()
        return
    screen_name = f"panel-{name}"
    if not app.is_screen_installed(screen_name):
        module, _, cls = PANELS[name][2].partition(":")
        import importlib

        app.install_screen(getattr(importlib.import_module(module), cls)(), name=screen_name)
    if app.screen is app.get_screen(screen_name):
        return
    if len(app.screen_stack) > 1:
        app.switch_screen(screen_name)
    else:
        app.push_screen(screen_name)
