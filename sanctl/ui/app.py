"""The sanctl Textual application.

Built by the CLI around the one :class:`~sanctl.host.protocol.Host` it made::

    app = SanctlApp(system=DemoHost(root, name="san01"), theme=None)
    app.run(mouse=not no_mouse)

(tests may still pass ``root=``, ``mode=``, ``readonly=``, ``readonly_reason=`` and ``host=``, its
name: the host is built from them). Everything the screens share for that host is in ``app.session``
(:class:`~sanctl.ui.session.Session`).

Only what the first screen needs is imported here; the help screen is
imported when first opened. Themes are registered in the constructor, so an
unknown ``--theme`` fails before the terminal is touched
(:class:`~sanctl.ui.themes.UnknownThemeError`, a ``ValueError`` whose
message lists the available themes).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.binding import Binding
from textual.notifications import Notification
from textual.screen import Screen

from sanctl.ui import panels
from sanctl.ui.screens.config import ConfigScreen
from sanctl.ui.session import Session
from sanctl.ui.themes import DEFAULT_THEME, UnknownThemeError, load_themes

if TYPE_CHECKING:
    from sanctl.host.protocol import Host

__all__ = ["SanctlApp", "UnknownThemeError"]


def _setup_commands():
    """The command palette's "Setup wizard" entry, imported when the palette first opens."""
    from sanctl.ui.screens.setup_entry import SetupCommands

    return SetupCommands


def _sanctl_commands():
    """The palette's entries: every action of this screen and of every panel, imported when it first opens."""
    from sanctl.ui.palette import SanctlCommands

    return SanctlCommands


#: Seconds after start-up before the doctor's first look at the live state (past the first frame).
LIVE_CHECKS_DELAY = 1.0


#: The app's single-key actions: held back while a text field, checkbox, select or list has focus.
HELD_WHILE_TYPING = ("quit", "help", "panel")


#: Widgets that take keys as input, by class name (no import of widgets the first screen does not use).
INPUT_WIDGETS = frozenset({"Input", "Checkbox", "Select", "SelectOverlay", "SelectionList", "RadioSet", "RadioButton",
                           "TextArea"})


def typing_in_field(app: App) -> bool:
    """Whether the focused widget takes keys as input: a form's or the wizard's field, a typed name,
    the wizard's pickers (a list elsewhere, like the doctor's findings, is for moving, and keeps the keys)."""
    try:
        focused = app.focused
    except Exception:  # no screen yet
        return False
    if focused is None:
        return False
    names = {cls.__name__ for cls in type(focused).__mro__}
    if names & INPUT_WIDGETS:
        return True
    return "OptionList" in names and type(focused.screen).__name__ == "SetupScreen"


#: "real": this host's kernel; "captured": a tree read from --root; "demo": the demo SAN.
MODES = ("real", "captured", "demo")


class SanctlApp(App[None]):
    """The sanctl TUI."""

    CSS_PATH = Path(__file__).with_name("sanctl.tcss")  # absolute: subclasses elsewhere still find it
    TITLE = "sanctl"
    COMMANDS = App.COMMANDS | {_sanctl_commands, _setup_commands}

    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("f1", "help", "Help", show=False, id="app.help_f1"),
        *panels.BINDINGS,  # 1 config, 2 sessions, 3 errors, 4 initiator, 5 connect
    ]

    def __init__(
        self,
        *,
        root: str = "/",
        mode: str = "real",
        readonly: bool = False,
        readonly_reason: str | None = None,
        theme: str | None = None,
        host: str | None = None,
        theme_dirs: list[Path] | None = None,
        setup: bool = False,
        live_checks: bool = True,
        system: Host | None = None,
    ) -> None:
        """``system``: the host to look at (the CLI's); without it one is built from ``root``, ``mode``,
        ``readonly``, ``readonly_reason`` and ``host`` (its name). ``theme_dirs`` replaces the theme search path (tests);
        ``setup`` opens the setup wizard at once; ``live_checks=False``: the doctor looks at the live
        state only once a live panel opens (tests)."""
        super().__init__()
        self.start_setup = setup
        self.live_checks = live_checks
        if "TEXTUAL_ANIMATIONS" not in os.environ:
            self.animation_level = "none"  # smooth scrolling costs frames over SSH
        if system is None:  # an unknown mode is a ValueError naming the known ones
            from sanctl.host import host_for
            from sanctl.startup import Source

            system = host_for(Source(str(root), mode, readonly, readonly_reason), name=host)
        self.session = Session(system)
        themes, self.theme_problems = load_themes(theme_dirs)
        for loaded in themes.values():
            self.register_theme(loaded)
        if theme is None:
            theme = DEFAULT_THEME if DEFAULT_THEME in self.available_themes else "textual-dark"
        elif theme not in self.available_themes:
            if not any(problem.path.stem == theme for problem in self.theme_problems):
                raise UnknownThemeError(theme, sorted(self.available_themes))
            # the theme's file was skipped (its problem is shown at start): the default theme instead
            theme = DEFAULT_THEME if DEFAULT_THEME in self.available_themes else "textual-dark"
        self._take_theme(theme)

    @property
    def host(self) -> str:
        """The name of the host the app looks at (the header says it)."""
        return self.session.host.name

    @property
    def readonly(self) -> bool:
        return self.session.host.readonly

    @property
    def readonly_reason(self) -> str | None:
        """Why nothing may be changed; None when no reason was given (the host's bare "read-only")."""
        reason = self.session.host.readonly_reason
        return None if reason == "read-only" else reason

    def _take_theme(self, name: str) -> None:
        """Make ``name`` the theme before the stylesheet is first parsed.

        Assigning ``self.theme`` runs Textual's watcher, which parses the whole
        stylesheet a second time (≈15 ms of start-up). When the new theme is
        as dark as the one ``App.__init__`` styled the app for, and neither is
        an ANSI theme, nothing else of the watcher's work is needed: set the
        value, the theme's class and the stylesheet's variables (public API)
        quietly. Otherwise take the normal path. The snapshot tests would
        show any difference.
        """
        initial = self.current_theme
        chosen = self.available_themes[name]
        if chosen.dark == initial.dark and not chosen.ansi and not initial.ansi and not self.is_running:
            self.set_reactive(App.theme, name)
            self.set_class(True, f"-theme-{name}", update=False)
            self.stylesheet.set_variables(self.get_css_variables())
        else:
            self.theme = name

    def get_default_screen(self) -> Screen:
        return ConfigScreen(system=self.session.host)

    def notify(self, message: str, *, title: str = "", severity: Any = "information", timeout: float | None = None,
               markup: bool = True) -> None:
        """Every notification as text, never markup: they carry names, paths and messages from files,
        the kernel and other processes (a ``[/]`` in one would end the app with a MarkupError)."""
        self._notices = (*self._notices, Notification(message, title, severity, timeout or self.NOTIFICATION_TIMEOUT))
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def fail(self, problem: BaseException | str, *, title: str = "Error", doing: str = "", timeout: float = 15) -> None:
        """The TUI's one way of saying that something failed (the CLI's is :func:`sanctl.output.said`).

        An error becomes the sentence meant for the operator (:func:`~sanctl.lio.report.explain`: an
        errno named, an rtslib-fb or sanctl message (:class:`~sanctl.errors.SanctlError`) as it is, anything else called an internal error),
        ``doing`` says what was being done, and paths under the demo's temporary root read ``demo:/…``."""
        if isinstance(problem, BaseException):
            from sanctl.lio.report import explain

            text = explain(problem)
        else:
            text = problem
        if doing:
            text = f"{doing}: {text}"
        self.notify(self.session.host.show_path(text), title=title, severity="error", timeout=timeout)

    def on_mount(self) -> None:
        for problem in self.theme_problems:
            self.notify(str(problem), title="Theme", severity="warning", timeout=10)
        if self.start_setup:
            self.action_setup()
        from sanctl.ui.screens.journal import offer_unfinished  # a change killed half-way: finish or undo

        offer_unfinished(self)
        if self.live_checks and self.session.host.capabilities.has_live:
            # the doctor's live checks (sessions, login counters, logs) start well after the first frame
            self.set_timer(LIVE_CHECKS_DELAY, self._start_live_checks, name="live-checks")

    def _start_live_checks(self) -> None:
        """One live sample for the doctor, so the header's count matches ``sanctl doctor`` from the start.

        Not on a big configuration (its first read waits for the first frame): there the live state is
        looked at once a live panel opens, and the doctor panel says so."""
        if not self.screen_stack:  # the timer fired while the app was closing
            return
        if not getattr(self.screen_stack[0], "big", False):
            panels.service(self).prime()

    def action_setup(self) -> None:
        """Open the setup wizard (``sanctl setup``, the command palette, the offer on an empty host)."""
        from sanctl.ui.screens.setup import open_setup

        open_setup(self)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """No key does anything once the app is exiting (``q`` then ``2`` would mount a panel on the way
        out); the single-key actions wait while a field has focus (a digit in a label, a ``q`` in an IQN)."""
        if self._exit:
            return False
        if action in HELD_WHILE_TYPING and typing_in_field(self):
            return None
        return True

    async def action_quit(self) -> None:
        """``q``: at once when everything is saved; otherwise ask save and quit / quit anyway / cancel."""
        from sanctl.ui.screens.config import ConfigScreen

        bottom = self.screen_stack[0] if self.screen_stack else None
        if isinstance(bottom, ConfigScreen):
            bottom.writes.quit()
        else:  # pragma: no cover - the configuration screen is always at the bottom
            self.exit()

    def action_panel(self, name: str) -> None:
        panels.show_panel(self, name)

    def on_unmount(self) -> None:
        self.session.close()

    def action_help(self) -> None:
        from sanctl.ui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss()
            return
        screen = self.screen
        tree = getattr(screen, "tree", None) if panels.panel_of(screen) == "config" else None
        node = getattr(getattr(tree, "cursor_node", None), "data", None)
        self.push_screen(HelpScreen(screen.active_bindings, self.get_key_display, panel=panels.panel_of(screen),
                                    node_kind=getattr(node, "kind", None), node_name=getattr(node, "name", None)))

    _notices: tuple[Notification, ...] = ()

    @property
    def notices(self) -> tuple[Notification, ...]:
        """Every notification shown so far, oldest first, the expired ones too: what the operator was told
        (Textual keeps only the ones still on screen, and adds one only when its message is handled)."""
        return self._notices
