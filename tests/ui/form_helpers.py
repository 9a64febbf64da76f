"""Helpers for the form tests: open a form on a node, fill it, confirm, read back."""

from __future__ import annotations

from collections.abc import Sequence

from sanctl.lio.configfs import read_config
from sanctl.lio.saveconfig import dump
from sanctl.sim.demo import RAC_CLIENTS

from .conftest import RAC, RAC_TPG, WEB_ACL
from .helpers import settle


class notices_from_now(Sequence):
    """The notifications the app shows from now on, as ``(severity, title, message)`` (read from ``app.notices``)."""

    def __init__(self, app) -> None:
        self.app = app
        self.start = len(app.notices)

    def _shown(self) -> list[tuple[str, str, str]]:
        return [(n.severity, n.title, str(n.message)) for n in self.app.notices[self.start:]]

    def __getitem__(self, index):
        return self._shown()[index]

    def __len__(self) -> int:
        return len(self.app.notices) - self.start

    def __repr__(self) -> str:
        return repr(self._shown())


async def at(pilot, path: str) -> None:
    await settle(pilot)
    assert pilot.app.screen.tree.select_path(path), path
    await settle(pilot)


async def open_form(pilot, path: str, key: str = "a"):
    """Put the cursor on ``path``, press ``key`` and return the screen it opened."""
    from sanctl.ui.forms.screen import FormScreen

    await at(pilot, path)
    await pilot.press(key)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, FormScreen), f"{key} on {path} opened {type(screen).__name__}"
    return screen


async def fill(pilot, form, **values) -> None:
    """Set fields as if typed (text: value; bool: checked; select: value)."""
    for name, value in values.items():
        widget = form.query_one(f"#field-{name}")
        widget.value = value
        await pilot.pause()
    await pilot.pause()


async def type_into(pilot, form, name: str, text: str) -> None:
    """Focus a text field, clear it and type ``text`` key by key."""
    widget = form.query_one(f"#field-{name}")
    widget.focus()
    widget.value = ""
    await pilot.pause()
    await pilot.press(*text) if text else None
    await pilot.pause()


def error_of(form, name: str) -> str | None:
    """The reason shown under a field, or None when none is shown."""
    widget = form.query_one(f"#error-{name}")
    return str(widget.render()).strip() if widget.has_class("-shown") else None


def problem_of(form) -> str:
    widget = form.query_one("#form-problem")
    return str(widget.render()).strip() if widget.display else ""


def warnings_of(form) -> str:
    widget = form.query_one("#form-warnings")
    return str(widget.render()).strip() if widget.display else ""


def preview_of(form) -> str:
    widget = form.query_one("#form-preview")
    return str(widget.render()).strip() if widget.display else ""


def confirm_enabled(form) -> bool:
    return not form.query_one("#form-confirm").disabled


async def confirm(pilot) -> None:
    """ctrl+s on the form, then wait for the write and the re-read."""
    await pilot.press("ctrl+s")
    await settle(pilot, rounds=5)


def saved_state(root) -> dict:
    """The whole running configuration, to prove that nothing changed."""
    return dump(read_config(str(root), details=True))


def form_lines(form) -> list[str]:
    """What a form draws, read from its widgets, one string per line, top to bottom.

    ``# title`` and the intro; ``== section``; ``label: value`` for a text field (a masked secret
    as one ``•`` per character, ``[generate]`` after it when offered), ``[X] label`` for a flag,
    ``label: value ▾`` for a choice; ``  pick: …`` for the picker under a field, its help line
    indented, a shown reason as ``  ! …``; then the problem, warnings and preview lines and the
    buttons (``[Create]``, ``[(Create)]`` while disabled). The focused field is marked ``>``.
    """
    from textual.widgets import Button, Checkbox, Input, Label, OptionList, Select, Static

    def text(widget) -> str:
        return str(widget.render()).strip()

    box = form.query_one("#form")
    lines = [f"# {box.border_title}"]
    if form.query("#form-intro"):
        lines.append(text(form.query_one("#form-intro")))
    for child in form.query_one("#form-fields").children:
        if child.has_class("form-section"):
            lines.append(f"== {text(child)}")
        elif child.has_class("form-row"):
            parts = []
            for widget in child.children:
                mark = ">" if widget.has_focus else ""
                if isinstance(widget, Label) and text(widget):
                    parts.append(f"{text(widget)}:")
                elif isinstance(widget, Checkbox):
                    parts.append(f"{mark}[{'X' if widget.value else ' '}] {widget.label}")
                elif isinstance(widget, Select):
                    value = "" if widget.value is Select.NULL else widget.value
                    parts.append(f"{mark}{value} ▾")
                elif isinstance(widget, Input):
                    parts.append(mark + ("•" * len(widget.value) if widget.password else widget.value))
                elif isinstance(widget, Button):
                    parts.append(f"[{widget.label}]")
            lines.append(" ".join(parts).rstrip())
        elif isinstance(child, OptionList):
            lines.append("  pick: " + ", ".join(child.get_option_at_index(i).id or ""
                                                 for i in range(child.option_count)))
        elif child.has_class("form-help"):
            lines.append(f"  {text(child)}")
        elif child.has_class("form-error"):
            if child.has_class("-shown"):
                lines.append(f"  ! {text(child)}")
        elif isinstance(child, Checkbox):
            lines.append(f"[{'X' if child.value else ' '}] {child.label}")
    for line_id in ("#form-problem", "#form-warnings", "#form-preview"):
        widget = form.query_one(line_id, Static)
        if widget.display:
            lines.extend(text(widget).splitlines())
    lines.append(" ".join(f"[{b.label}]" if not b.disabled else f"[({b.label})]"
                          for b in form.query_one("#form-buttons").query(Button)))
    return lines


def dialog_lines(screen) -> list[str]:
    """What a dialog (a confirmation, the diff, the restore) draws, read from its widgets, top to bottom.

    ``# title``; each text's lines; ``[value]`` for an input (its placeholder in parentheses while
    empty), ``value ▾`` for a choice, ``pick: …`` for a list; then the buttons as :func:`form_lines`
    shows them. The focused widget is marked ``>``.
    """
    from textual.widgets import Button, Input, OptionList, Select, Static

    box = screen.query_one(".dialog")
    lines = [f"# {box.border_title}"]
    buttons: list[str] = []

    def walk(widget) -> None:
        for child in widget.children:
            if not child.display:
                continue
            mark = ">" if child.has_focus else ""
            if isinstance(child, Button):
                buttons.append(f"{mark}[{child.label}]" if not child.disabled else f"{mark}[({child.label})]")
            elif isinstance(child, Select):
                lines.append(f"{mark}{'' if child.value is Select.NULL else child.value} ▾")
            elif isinstance(child, Input):
                lines.append(f"{mark}[{child.value or f'({child.placeholder})'}]")
            elif isinstance(child, OptionList):
                prompts = (str(child.get_option_at_index(i).prompt) for i in range(child.option_count))
                lines.append(f"{mark}pick: " + ", ".join(prompts))
            elif isinstance(child, Static):
                lines.extend(str(child.render()).rstrip().splitlines())
            else:
                walk(child)

    walk(box)
    if buttons:
        lines.append(" ".join(buttons))
    return lines


# --- every form of the configuration screen, and how to open it (test_form_contents, test_form_snapshots) ------

WEB_TPG = "/iscsi/iqn.2024-01.com.example:web/tpg1"


def choose(field: str, value: str):
    """A step: pick ``value`` in a chooser's select and press Next."""
    async def step(pilot) -> None:
        pilot.app.screen.query_one(f"#field-{field}").value = value
        await pilot.pause()
        await pilot.press("ctrl+s")

    return step


#: id -> (node path, key, steps once it is open)
FORMS = {
    "add-backstore": ("/backstores", "a", ()),
    "add-block": ("/backstores/block", "a", ()),
    "add-fileio": ("/backstores/fileio", "a", ()),
    "add-ramdisk": ("/backstores/ramdisk", "a", ()),
    "add-pscsi": ("/backstores/pscsi", "a", ()),
    "add-user": ("/backstores/user", "a", ()),
    "add-target": ("/iscsi", "a", ()),  # each fabric node adds its own kind of target: iSCSI here
    "add-loopback-target": ("/loopback", "a", ()),
    "add-alua-group": ("/backstores/fileio/web-data", "a", ()),
    "add-tpg": (RAC, "a", ()),
    "add-to-tpg": (RAC_TPG, "a", ()),
    "add-acl": (f"{WEB_TPG}/acls", "a", ()),
    "add-lun": (f"{WEB_TPG}/luns", "a", ()),
    "add-mapped-lun": (f"{RAC_TPG}/acls/{RAC_CLIENTS[0]}", "a", ()),
    "add-portal": (f"{RAC_TPG}/portals", "a", ()),
    "edit-tpg": (RAC_TPG, "e", ()),
    "edit-acl": (WEB_ACL, "e", ()),
    "edit-mapped-lun": (f"{WEB_ACL}/mapped_lun0", "e", ()),
    "edit-portal": (f"{WEB_TPG}/portals/0.0.0.0:3260", "e", ()),
    "edit-backstore": ("/backstores/fileio/web-data", "e", ()),
    "edit-backstore-attributes": ("/backstores/fileio/web-data", "e", (choose("what", "attributes"),)),
    "edit-alua-group": ("/backstores/fileio/web-data", "e", (choose("what", "alua:default_tg_pt_gp"),)),
    "edit-lun": (f"{WEB_TPG}/luns/lun0", "e", ()),
    "edit-discovery": ("/iscsi", "e", ()),
    "delete-lun": (f"{RAC_TPG}/luns/lun0", "d", ()),
    "delete-target": (RAC, "d", ()),
    "diff": (RAC, "D", ()),
    "restore": (RAC, "R", ()),
}


def opening(path: str, key: str, then=()):
    """``run_before`` for a snapshot (or a step of a Pilot test): the cursor on ``path``, ``key``, the steps."""
    async def run_before(pilot) -> None:
        await at(pilot, path)
        await pilot.press(key)
        await settle(pilot)
        for step in then:
            await step(pilot)
            await settle(pilot)

    return run_before


def pinned_clock(app):
    """A delete's confirmation reads the live demo brought to "now": make now a fixed moment."""
    from sanctl.ui import panels

    from .live_helpers import Clocks

    clocks = Clocks()
    panels.configure(app, clock=lambda: clocks.mono, wall_clock=lambda: clocks.wall, autostart=False)
    return app
