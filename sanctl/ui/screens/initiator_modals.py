"""The initiator tab's name editor (its confirmations are the app's one dialog,
:class:`~sanctl.ui.screens.confirm.ConfirmScreen`, drawn without the red: ``danger=False``).

:class:`NameModal` returns the new name (or None): it shows the current
name and what changing it means — every target ACL must follow, iscsid must
restart — validates as the operator types, and ``Generate`` asks for a
fresh unique name (``iscsi-iname`` when installed) in a worker thread.
Writing the file is the screen's job, after the dialog closed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from sanctl.names import InvalidValue, check_iscsi_name
from sanctl.ui.screens.dialog import Dialog


def _lines(lines: Sequence[str | Text]) -> Text:
    text = Text()
    for index, line in enumerate(lines):
        if index:
            text.append("\n")
        text.append(line if isinstance(line, Text) else Text(line))
    return text


#: What changing the name means, shown before anything is written.
NAME_WARNINGS = (
    "Every target ACL written for the current name must be changed to the new one (or an ACL added "
    "for it): until then those targets refuse this host's logins (iscsiadm exit 24).",
    "iscsid reads the name only when it starts: it must be restarted (you will be offered that). "
    "Sessions logged in now keep the old name until they log in again.",
    "The old file is kept next to it as initiatorname.iscsi.<date>.bak.",
)


class NameModal(Dialog[str | None]):
    """``#name-dialog``: the current name, a field for the new one (``#name-input``), Generate and Change."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="name.cancel")]

    def __init__(self, current: str, generate: Callable[[], str] | None = None) -> None:
        super().__init__()
        self.current = current
        self.generate = generate

    def compose(self) -> ComposeResult:
        with Vertical(id="name-dialog", classes="dialog initiator-dialog") as box:
            box.border_title = "Change this host's initiator name"
            box.border_subtitle = "enter changes · esc cancels"
            now = Text("Now: ", style="bold")
            now.append(self.current or "(none)")
            yield Static(now, id="name-current", markup=False)
            field = Input(placeholder="new name: iqn.YYYY-MM.reversed.domain:unique", id="name-input",
                          compact=True, select_on_focus=False)
            field.cursor_blink = False
            yield field
            yield Static("", id="name-error", markup=False)
            yield Static(_lines([f"⚠ {w}" for w in NAME_WARNINGS]), id="name-warnings", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="name-cancel", compact=True)
                yield Button("Generate", id="name-generate", compact=True, disabled=self.generate is None)
                yield Button("Change", id="name-change", compact=True, variant="warning")

    def on_mount(self) -> None:
        self.query_one("#name-input", Input).focus()

    @property
    def field(self) -> Input:
        return self.query_one("#name-input", Input)

    def problem(self, value: str) -> str | None:
        """Why ``value`` cannot be the new name, or None."""
        name = value.strip()
        if not name:
            return "Type a name, or Generate one."
        try:
            check_iscsi_name(name)
        except InvalidValue as exc:
            return str(exc)
        if name == self.current:
            return "That is the current name."
        return None

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.query_one("#name-error", Static).update(Text(""))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "name-cancel":
            self.dismiss(None)
        elif event.button.id == "name-generate":
            self._generate()
        else:
            self._submit()

    def _submit(self) -> None:
        value = self.field.value.strip()
        problem = self.problem(value)
        if problem:
            self.query_one("#name-error", Static).update(Text(f"✖ {problem}"))
            self.field.focus()
            return
        self.dismiss(value)

    def _generate(self) -> None:
        generate = self.generate
        if generate is None:
            return

        def work() -> None:
            try:
                name = generate()
            except Exception as exc:  # no iscsi-iname and no prefix: say so in the dialog
                self.app.call_from_thread(self._show_error, f"Could not generate a name: {exc}")
                return
            self.app.call_from_thread(self._fill, name)

        self.run_worker(work, thread=True, exclusive=True, group="generate", exit_on_error=False)

    def _fill(self, name: str) -> None:
        self.field.value = name
        self.field.cursor_position = len(name)
        self.field.focus()

    def _show_error(self, text: str) -> None:
        self.query_one("#name-error", Static).update(Text(f"✖ {text}"))

    def action_cancel(self) -> None:
        self.dismiss(None)
