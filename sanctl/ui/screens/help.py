"""The help screen: what to do next, what each thing is, and every key active where ``?`` was pressed.

It teaches as well as lists: first where to go from the selected node
("press ``a`` on ``acls`` to let a client in"), then what each kind of node
is, one line each, then the keys. The keys are not written by hand per
screen: they are the screen's ``active_bindings`` (focused widget, its
containers, the screen, the app) at the moment help was asked for, so a new
binding shows up by itself.
"""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import ActiveBinding, Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

#: What each kind of node is, in a line (the configuration screen's help).
NODE_KINDS = (
    ("backstore", "a storage object: the block device, file or RAM the target exports (block, fileio, pscsi, ramdisk, user)"),
    ("target", "what an initiator logs in to, named by an IQN (iscsi) or a naa. WWN (loopback: local SCSI disks)"),
    ("TPG", "a target portal group: the target's LUNs, ACLs and portals, its auth and demo-mode settings"),
    ("LUN", "a backstore exported by a TPG, numbered lun0, lun1…"),
    ("ACL", "an initiator name allowed to log in (with CHAP if the TPG requires it)"),
    ("mapped LUN", "a TPG LUN as one ACL's initiator sees it: its number there, read-write or read-only"),
    ("portal", "an address and port the TPG listens on (0.0.0.0:3260: every IPv4 address)"),
    ("ALUA group", "a backstore's target port group: the path state multipath initiators see"),
)

#: Where to go from a selected node kind: the next step, in the keys of this screen.
NEXT_STEPS = {
    "backstores": "press a on backstores to add a backstore (a disk, a file, a ramdisk)",
    "plugin": "press a here to add a backstore of this kind",
    "storage_object": "export it: press a on a TPG's luns and pick it; a here adds an ALUA group, e edits",
    "fabric": "press a on a fabric to add a target of its kind (iscsi: over the network; loopback: local disks)",
    "target": "open its tpg1 (→); a here adds another TPG; d deletes the target",
    "tpg": "a here adds a LUN, an ACL or a portal; e sets authentication, demo mode and attributes",
    "luns": "press a on luns to export a backstore as a LUN",
    "lun": "e moves it to another ALUA group; d removes it (the mapped LUNs with it)",
    "acls": "press a on acls to let a client in: an ACL for its initiator name, with CHAP if wanted",
    "acl": "a here maps another LUN to this client; e sets its CHAP and attributes",
    "mapped_lun": "e makes it read-only or read-write; d unmaps it",
    "portals": "press a on portals to listen on another address",
    "portal": "e turns iSER on or off; d stops listening there",
    "root": "press a on a fabric to add a target",
}

#: What to do next on each panel (its name in panels.PANELS).
PANEL_STEPS = {
    "config": "s saves for boot when you are done; D shows what is unsaved; 6 asks the doctor",
    "sessions": "enter on a session shows its I/O per LUN; 3 shows connection errors",
    "errors": "each error says its meaning and usual fix; 6 asks the doctor what to do",
    "initiator": "5 connects this host to more targets",
    "connect": "c quick-connects to an address; l logs in to the selected target; f logs it in at boot",
    "doctor": "enter goes to the finding's object; f applies its fix after a confirmation",
}

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


def next_steps(panel: str, node_kind: str | None, node_name: str | None) -> list[str]:
    """The help's first lines: what to do from the selected node, then on this panel."""
    steps = []
    if panel == "config" and node_kind in NEXT_STEPS:
        step = NEXT_STEPS[node_kind]
        steps.append(f"{node_name}: {step}" if node_name and node_kind not in ("root",) else step)
    if panel == "config" and node_kind not in ("acls", "acl"):
        steps.append(NEXT_STEPS["acls"])
    steps.append(PANEL_STEPS.get(panel, PANEL_STEPS["config"]))
    return steps


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

    def __init__(self, bindings: dict[str, ActiveBinding], key_display, *, panel: str = "config",
                 node_kind: str | None = None, node_name: str | None = None) -> None:
        """``panel``: where ``?`` was pressed; ``node_kind`` / ``node_name``: the selected tree node, if any."""
        super().__init__()
        self.rows = key_rows(bindings, key_display)
        self.panel = panel
        self.next_steps = next_steps(panel, node_kind, node_name)

    def compose(self) -> ComposeResult:
        parts: list[Table | Text] = [Text("What next", style="bold underline")]
        steps = Table.grid(padding=(0, 1))
        steps.add_column(no_wrap=True, style="bold")
        steps.add_column()
        for step in self.next_steps:
            steps.add_row(Text("→"), Text(step))
        parts += [steps, Text("")]
        if self.panel == "config":
            kinds = Table.grid(padding=(0, 2))
            kinds.add_column(no_wrap=True, style="bold")
            kinds.add_column()
            for kind, meaning in NODE_KINDS:
                kinds.add_row(Text(kind), Text(meaning))
            parts += [Text("What is what", style="bold underline"), kinds, Text("")]
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
        table.add_row("", "")
        table.add_row(Text("Elsewhere", style="bold underline"), "")
        table.add_row(Text("1 … 6"), Text("the panels: configuration, target sessions, errors, initiator sessions, "
                                          "connect (the initiator tab), doctor"))
        table.add_row(Text("ctrl+p"), Text("every action by name: type save, delete, log in, restore, doctor…"))
        parts.append(table)
        with VerticalScroll(id="help") as scroll:
            scroll.border_title = "Help"
            scroll.border_subtitle = "esc closes"
            yield Static(Group(*parts), id="help-body")

    def action_close(self) -> None:
        self.dismiss()
