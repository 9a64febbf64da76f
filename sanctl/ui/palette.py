"""The command palette (``ctrl+p``): every action of the current screen and of every panel, in operators' words.

What an operator types is what they would say — "save", "log in", "restore",
"delete", "doctor" — so each entry is named that way ("Save configuration",
"Log in to all targets", "Restore a backup…", "Delete lun0…"), not after the
method behind it. The current screen's own keys come from its bindings (a
new key shows up by itself, under its description); the panels' main actions
are listed from anywhere and run on their panel, which is brought to the
front first. Imported when the palette first opens.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from sanctl.ui import panels

#: The panels, as an operator asks for them.
PANEL_NAMES = {
    "config": ("Configuration tree", "backstores, targets, TPGs, LUNs, ACLs, portals (1)"),
    "sessions": ("Target sessions", "who is logged in to this host's targets, with I/O (2)"),
    "errors": ("Connection errors", "iSCSI errors from the kernel log and iscsid, explained (3)"),
    "initiator": ("Initiator sessions", "this host's own iSCSI sessions and their disks (4)"),
    "connect": ("Connect to a target (initiator tab)", "discovery, login, favourites, the initiator name (5)"),
    "doctor": ("Doctor", "what is wrong with this SAN, why, and the fix (6)"),
}

#: (panel, action, name, help): the panels' main actions, offered from every screen.
PANEL_ACTIONS: tuple[tuple[str, str, str, str], ...] = (
    ("config", "save", "Save configuration", "for boot, keeping the previous file as a backup (s)"),
    ("config", "diff", "Show unsaved changes", "what differs between running and saved (D)"),
    ("config", "restore", "Restore a backup…", "the saved file or a backup, previewed first (R)"),
    ("config", "refresh", "Re-read the configuration", "from configfs (r)"),
    ("connect", "quick_connect", "Quick connect to a portal…", "discover an address and log in to its targets (c)"),
    ("connect", "discover_form", "Discover targets…", "sendtargets with iface and discovery CHAP (d)"),
    ("connect", "login_all", "Log in to all targets", "every node record, listed first (L)"),
    ("connect", "logout_all", "Log out of all sessions", "every session, listed first (O)"),
    ("connect", "name", "Change this host's initiator name…", "or generate one (n)"),
    ("connect", "ifaces", "Show iSCSI ifaces", "iscsiadm -m iface (i)"),
    ("doctor", "recheck", "Run the doctor again", "look at the SAN again (r on the doctor)"),
)

#: The current screen's actions in operators' words; ``{node}`` is the selected node's name.
SCREEN_NAMES = {
    "add": "Add under {node}…",
    "edit": "Edit {node}…",
    "delete": "Delete {node}…",
    "filter": "Filter the tree by name",
    "widen": "Widen the tree (or back)",
    "expand_everything": "Expand all",
    "collapse_everything": "Collapse all",
    "login": "Log in to the selected target",
    "logout": "Log out of the selected target",
    "favourite": "Favourite: log in at boot (on/off)",
    "delete_record": "Delete the selected record…",
    "fix": "Apply the selected finding's fix…",
    "go": "Go to the finding's object",
    "pause": "Pause / resume sampling",
    "help": "Help: what is what, keys, what next",
    "quit": "Quit sanctl",
}

#: Actions the palette does not list: moving, Textual's own, the panel keys (listed as panels).
_SKIP = {"cursor_down", "cursor_up", "open", "close_or_parent", "select_cursor", "clear_filter", "leave_field",
         "command_palette", "help_quit", "screenshot", "toggle_node", "toggle_expand_all", "scroll_up", "scroll_down",
         "page_up", "page_down", "scroll_home", "scroll_end", "cancel", "close"}


def _selected(screen: Any) -> str | None:
    tree = getattr(screen, "tree", None)
    node = getattr(tree, "cursor_node", None)
    data = getattr(node, "data", None)
    return getattr(data, "name", None)


def commands(screen: Any) -> list[tuple[str, str, Callable[[], Any]]]:
    """``(name, help, run)`` for the palette over ``screen``: its own keys, then every panel and its actions."""
    app = screen.app
    here = panels.panel_of(screen)
    out: list[tuple[str, str, Callable[[], Any]]] = []
    names: set[str] = set()
    node = _selected(screen) or "the selected node"
    own = {action: name for panel, action, name, _help in PANEL_ACTIONS if panel == here}
    for key, active in screen.active_bindings.items():
        binding = active.binding
        action, _, _args = binding.action.partition("(")
        if action in _SKIP or action == "panel" or not binding.description or not active.enabled or not binding.id:
            continue  # sanctl's keys all have an id; Textual's own (page left…) are not operators' actions
        if here == "connect" and action == "delete":
            action = "delete_record"
        name = own.get(action) or SCREEN_NAMES.get(action, binding.description).format(node=node)
        if name in names:
            continue
        names.add(name)
        out.append((name, f"{binding.description} ({app.get_key_display(binding)})", _press(active.node, binding.action)))
    for panel, (name, help_text) in PANEL_NAMES.items():
        if panel != here:
            names.add(name)
            out.append((name, help_text, _show(app, panel)))
    for panel, action, name, help_text in PANEL_ACTIONS:
        if name not in names and (panel != here or not any(a.binding.action == action for a in screen.active_bindings.values())):
            names.add(name)
            out.append((name, help_text, _on_panel(app, panel, action)))
    return out


def _press(node: Any, action: str) -> Callable[[], Any]:
    async def run() -> None:
        await node.run_action(action)

    return run


def _show(app: Any, panel: str) -> Callable[[], Any]:
    return lambda: panels.show_panel(app, panel)


def _on_panel(app: Any, panel: str, action: str) -> Callable[[], Any]:
    """Bring ``panel`` to the front, then run ``action`` on it (once it is the screen)."""

    async def act() -> None:
        await app.screen.run_action(action)

    def run() -> None:
        panels.show_panel(app, panel)
        app.call_after_refresh(act)

    return run


class SanctlCommands(Provider):
    """The palette's sanctl entries (:func:`commands`)."""

    async def discover(self) -> Hits:
        for name, help_text, run in commands(self.screen):
            yield DiscoveryHit(name, run, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, run in commands(self.screen):
            score = max(matcher.match(name), matcher.match(help_text) * 0.5)
            if score > 0:
                yield Hit(score, matcher.highlight(name), run, text=name, help=help_text)
