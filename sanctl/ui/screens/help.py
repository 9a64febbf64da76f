"""The help screen: every key active where ``?`` was pressed, from the bindings.

Nothing here is written by hand per screen: the list is the screen's
``active_bindings`` (focused widget, its containers, the screen, the app) at
the moment help was asked for, so a new binding shows up by itself.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import ActiveBinding, Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

#: Keys the tree shares with every Textual app; listed under their own names.
_HIDDEN_ACTIONS = {"command_palette", "help_quit", "screenshot", "scroll_left", "scroll_right", "page_left", "page_right"}


def key_rows(bindings: dict[str, ActiveBinding], key_display) -> list[tuple[str, str, str]]:
    """``(section, keys, description)`` rows; the keys of one action are joined.

    The screen's and the app's keys come first (section "General"), then
    those of the focused widget (section named after its class).
    """
    groups: dict[tuple[str, str], tuple[str, list[str]]] = {}
    for key, active in bindings.items():
        binding = active.binding
        if binding.action in _HIDDEN_ACTIONS or not binding.description:
            continue
        node = active.node
        section = "General" if isinstance(node, (App, Screen)) else _section_name(node)
        slot = (section, binding.action)
        description, keys = groups.get(slot, (binding.description, []))
        if binding.show and not keys:
            description = binding.description
        keys.append(key_display(binding))
        groups[slot] = (description, keys)
    rows = [(section, " ".join(keys), description) for (section, _action), (description, keys) in groups.items()]
    rows.sort(key=lambda row: row[0] != "General")
    return rows


def _section_name(node) -> str:
    name = type(node).__name__
    return {"ConfigTree": "Tree", "DetailPane": "Details"}.get(name, name)


class HelpScreen(ModalScreen[None]):
    """``#help``: the keys, generated from the bindings."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="help.close"),
        Binding("question_mark", "close", "Close", show=False),
        Binding("q", "close", "Close", show=False),
    ]

    def __init__(self, bindings: dict[str, ActiveBinding], key_display) -> None:
        super().__init__()
        self.rows = key_rows(bindings, key_display)

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(no_wrap=True, style="bold")
        table.add_column()
        section = None
        for row_section, keys, description in self.rows:
            if row_section != section:
                if section is not None:
                    table.add_row("", "")
                table.add_row(Text(row_section, style="bold underline"), "")
                section = row_section
            table.add_row(Text(keys), Text(description))
        with VerticalScroll(id="help") as scroll:
            scroll.border_title = "Keys"
            scroll.border_subtitle = "esc closes"
            yield Static(table, id="help-body")

    def action_close(self) -> None:
        self.dismiss()
