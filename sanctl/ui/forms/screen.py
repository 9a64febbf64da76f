"""The one form screen: any :class:`~sanctl.forms.spec.FormSpec`, checked as you type.

Each field is a compact one-line widget with its label on the left and its
reason underneath as soon as the value is refused; a picker (block devices,
addresses) sits under a text field that offers choices; secrets are masked
with one "show secrets" switch; "generate" fills a name or secret. Below the
fields the form says what confirming will do (each change's sentence) and
why it cannot yet. Nothing is written here: confirming dismisses the screen
with the changes (or the next form, for a chooser), the caller applies them.
The initiator tab's dialogs are forms too (:mod:`sanctl.forms.initiator`):
they dismiss with a request, keep their widget ids through ``ids`` and use
the fields that count only while another holds a value (``Field.when``:
drawn disabled), the radio choices and the buttons that fill several fields.

Keys: ``enter`` in a field or ``ctrl+s`` confirms, ``esc`` cancels, ``tab``
moves on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Checkbox, Input, Label, OptionList, RadioButton, RadioSet, Select, Static
from textual.widgets.option_list import Option

from sanctl.forms.spec import BOOL, NOTHING_CHANGED, RADIO, SECRET, SELECT, Evaluation, Field, FormSpec, evaluate
from sanctl.ui.screens.dialog import Dialog

#: Preview lines shown before "… and N more".
PREVIEW_LINES = 4



class FormSelect(Select):
    """A choice in a form: space and the arrows open its list; enter confirms the form, as in every field.

    (Textual's Select opens its list on enter too: the LUN form, whose first
    field is the backstore, then never confirmed on enter.)
    """

    BINDINGS = [
        Binding("down,space,up", "show_overlay", "Show menu", show=False),
        Binding("enter", "confirm_form", "Confirm", show=False),
    ]

    def action_confirm_form(self) -> None:
        confirm = getattr(self.screen, "action_confirm", None)
        if confirm is not None:
            confirm()

class Flag(Checkbox):
    """A compact checkbox whose mark is a character, not only a colour: ``X`` on, blank off."""

    @property
    def _button(self):
        self.BUTTON_INNER = "X" if self.value else " "
        return super()._button


def _show(widget: Static, text: str) -> None:
    """Fill a message line, hidden while empty."""
    widget.update(Text(text))
    widget.display = bool(text)


class FormScreen(Dialog[Any]):
    """``#form``: fields ``#field-<name>``, reasons ``#error-<name>``, ``#form-confirm``, ``#form-cancel``.

    ``ids`` renames widgets (a default id such as ``field-user``, a radio
    option's ``field-method-chap`` or a fill button's ``fill-defaults`` to
    the id a caller and its tests know); ``focus`` names the field focused
    first (else the first one that is enabled).
    """

    #: The glyph before each warning line.
    WARNING_MARK = "! "

    DEFAULT_CSS = """
    #form {
        width: 96;
        max-height: 100%;
    }
    #form-intro {
        color: $text-muted;
        height: auto;
    }
    #form-fields {
        height: auto;
        scrollbar-size-vertical: 1;
    }
    .form-section {
        color: $text-primary;
        text-style: bold;
        margin-top: 1;
        height: 1;
    }
    .form-section:first-child {
        margin-top: 0;
    }
    .form-row {
        height: auto;
    }
    .form-label {
        width: 18;
        height: 1;
        color: $text-muted;
    }
    .form-row Input {
        width: 1fr;
    }
    .form-row Select {
        width: 1fr;
    }
    .form-row Checkbox {
        width: 1fr;
    }
    .form-row RadioSet {
        layout: horizontal;
        width: 1fr;
        height: 1;
        border: none;
        padding: 0;
    }
    .form-row RadioButton {
        width: auto;
        margin-right: 2;
    }
    #form-fills {
        height: 1;
        margin-bottom: 1;
    }
    #form-fills Button {
        margin-right: 2;
        min-width: 10;
    }
    .form-row Button {
        margin-left: 1;
        min-width: 10;
    }
    .form-help, .form-error {
        height: auto;
        padding-left: 18;
    }
    .form-help {
        color: $text-muted;
    }
    .form-error {
        color: $text-error;
        display: none;
    }
    .form-error.-shown {
        display: block;
    }
    .form-picker {
        height: auto;
        max-height: 6;
        margin-left: 18;
        border: none;
        padding: 0;
        scrollbar-size-vertical: 1;
    }
    #form-show-secrets {
        margin-left: 18;
    }
    #form-problem {
        height: auto;
        color: $text-error;
    }
    #form-problem.-quiet {
        color: $text-muted;
    }
    #form-warnings {
        height: auto;
        color: $text-warning;
    }
    #form-preview {
        height: auto;
        color: $text-success;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    #form-buttons {
        margin-top: 0;
    }
    #form-fields {
        margin-bottom: 1;
    }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
        Binding("ctrl+s", "confirm", "Confirm", id="form.confirm"),
        Binding("down", "app.focus_next", "Next field", show=False),
        Binding("up", "app.focus_previous", "Previous field", show=False),
    ]

    def __init__(self, spec: FormSpec, *, ids: Mapping[str, str] | None = None, focus: str | None = None) -> None:
        super().__init__()
        self.spec = spec
        self._renamed = dict(ids or {})
        self._first_focus = focus
        self._field_of_widget = {self._widget_id(f"field-{f.name}"): f.name for f in spec.fields}
        self._radio_values: dict[str, str] = {}  # a radio button's id -> the value it stands for
        self._fill_buttons = {self._widget_id(f"fill-{fill.name}"): fill for fill in spec.fills}
        self._touched: set[str] = set()
        self._all_shown = False
        self.evaluation: Evaluation | None = None

    # --- layout ---------------------------------------------------------------

    def compose(self) -> ComposeResult:
        spec = self.spec
        with Vertical(id="form", classes="dialog") as form:
            form.border_title = spec.title
            form.border_subtitle = "enter confirms · esc cancels"
            if spec.intro:
                yield Static(Text(spec.intro), id="form-intro")
            if spec.fills:
                with Horizontal(id="form-fills"):
                    for button_id, fill in self._fill_buttons.items():
                        yield Button(fill.label, id=button_id, compact=True)
            with VerticalScroll(id="form-fields"):
                for f in spec.fields:
                    yield from self._compose_field(f)
                if any(f.kind == SECRET for f in spec.fields):
                    yield Flag("show secrets", False, compact=True, id="form-show-secrets")
            yield Static(id="form-problem")
            yield Static(id="form-warnings")
            yield Static(id="form-preview")
            with Horizontal(id="form-buttons", classes="dialog-buttons"):
                yield Button("Cancel", id="form-cancel", compact=True)
                yield Button(spec.confirm, id="form-confirm", variant="primary", compact=True)

    def _compose_field(self, f: Field) -> ComposeResult:
        if f.section:
            yield Static(Text(f.section), classes="form-section")
        with Horizontal(classes="form-row"):
            yield Label(Text("" if f.kind == BOOL else f.label), classes="form-label")
            if f.kind == BOOL:
                yield Flag(f.label, bool(f.default), compact=True, id=self._widget_id(f"field-{f.name}"))
            elif f.kind == RADIO:
                with RadioSet(id=self._widget_id(f"field-{f.name}"), compact=True):
                    for c in f.choices:
                        option = self._widget_id(f"field-{f.name}-{re.sub(r'[^A-Za-z0-9_-]', '_', c.value)}")
                        self._radio_values[option] = c.value
                        yield RadioButton(Text(c.label), value=c.value == f.default, id=option, compact=True)
            elif f.kind == SELECT:
                options = [(Text(c.label + (f"  ({c.note})" if c.note else "")), c.value) for c in f.choices]
                values = {c.value for c in f.choices}
                value = f.default if f.default in values else Select.NULL
                yield FormSelect(options, value=value, allow_blank=not f.required or value is Select.NULL,
                             compact=True, id=self._widget_id(f"field-{f.name}"), prompt=f"choose {f.label.lower()}")
            else:
                field = Input(str(f.default if f.default is not None else ""), placeholder=f.placeholder,
                              password=f.kind == SECRET, compact=True, id=self._widget_id(f"field-{f.name}"),
                              select_on_focus=False)
                field.cursor_blink = False
                yield field
            if f.generate is not None:
                yield Button("generate", id=f"generate-{f.name}", compact=True)
        if f.choices and f.kind not in (SELECT, BOOL, RADIO):
            yield OptionList(*(self._option(c) for c in f.choices), id=f"pick-{f.name}", classes="form-picker",
                             compact=True)
        if f.help:
            yield Static(Text(f.help), classes="form-help")
        yield Static(id=f"error-{f.name}", classes="form-error")

    @staticmethod
    def _option(choice) -> Option:
        text = Text(choice.label)
        if choice.note:
            text.append("  ")
            text.append(choice.note, style="italic" if choice.ok else "bold")
        if not choice.ok:
            text.stylize("dim", 0, len(choice.label))
        return Option(text, id=choice.value)

    def on_mount(self) -> None:
        width = self.label_width
        for label in self.query(".form-label"):
            label.styles.width = width
        for line in self.query(".form-help, .form-error"):
            line.styles.padding = (0, 0, 0, width)
        for picker in self.query(".form-picker, #form-show-secrets"):
            picker.styles.margin = (0, 0, 0, width)
        self._validate()
        names = [self._first_focus] if self._first_focus is not None else [f.name for f in self.spec.fields]
        first = next((w for w in map(self.field_widget, names) if not w.disabled), None)
        if first is not None:
            first.focus()
        self.call_after_refresh(self._fit)

    def _widget_id(self, default: str) -> str:
        return self._renamed.get(default, default)

    def field_widget(self, name: str) -> Any:
        """The widget of the field ``name`` (``#field-<name>`` unless ``ids`` renames it)."""
        return self.query_one("#" + self._widget_id(f"field-{name}"))

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit)

    @property
    def label_width(self) -> int:
        """The label column: the longest text label and a space, 12 to 28 columns."""
        longest = max((len(f.label) for f in self.spec.fields if f.kind != BOOL), default=0)
        return min(28, max(12, longest + 2))

    def _fit(self) -> None:
        """Give the fields at most half the screen; they scroll beyond that.

        (A ``max-height`` on an auto-height scroll inside an auto-height box
        makes Textual 8.2 size the box for the whole content.)
        """
        found = self.query("#form-fields")
        if not found:  # dismissed meanwhile
            return
        fields = found.first(VerticalScroll)
        limit = max(5, self.size.height // 2)
        want = sum(child.outer_size.height for child in fields.children if child.display)
        height = min(want, limit)
        if fields.styles.height is None or fields.styles.height.value != height:
            fields.styles.height = height

    # --- values ---------------------------------------------------------------

    def raw_values(self) -> dict[str, Any]:
        """What the widgets hold now, by field name."""
        out: dict[str, Any] = {}
        for f in self.spec.fields:
            widget = self.field_widget(f.name)
            if isinstance(widget, Select):
                out[f.name] = None if widget.value is Select.NULL else widget.value
            elif isinstance(widget, RadioSet):
                pressed = widget.pressed_button
                out[f.name] = self._radio_values.get(pressed.id or "") if pressed is not None else None
            else:
                out[f.name] = widget.value  # type: ignore[attr-defined]
        return out

    def _validate(self) -> Evaluation:
        ev = evaluate(self.spec, self.raw_values())
        self.evaluation = ev
        for f in self.spec.fields:
            widget = self.field_widget(f.name)
            if widget.disabled != (f.name in ev.inactive):
                widget.disabled = f.name in ev.inactive
            error = self.query_one(f"#error-{f.name}", Static)
            reason = ev.errors.get(f.name)
            shown = reason is not None and (self._all_shown or f.name in self._touched)
            error.update(Text(reason or ""))
            error.set_class(shown, "-shown")
        problem = self.query_one("#form-problem", Static)
        if ev.problem is not None:
            _show(problem, ev.problem)
            problem.set_class(ev.problem == NOTHING_CHANGED, "-quiet")
        elif ev.errors and self._all_shown:
            n = len(ev.errors)
            _show(problem, f"{n} field{'s' if n != 1 else ''} to correct.")
            problem.set_class(False, "-quiet")
        else:
            _show(problem, "")
        _show(self.query_one("#form-warnings", Static), "\n".join(self.WARNING_MARK + w for w in ev.warnings))
        changes = ev.changes if ev.ok else []
        lines = [f"→ {c.describe()}" for c in changes[:PREVIEW_LINES]]
        if len(changes) > PREVIEW_LINES:
            lines.append(f"  … and {len(changes) - PREVIEW_LINES} more")
        _show(self.query_one("#form-preview", Static), "\n".join(lines))
        self.query_one("#form-confirm", Button).disabled = not ev.ok
        if self.is_mounted:
            self.call_after_refresh(self._fit)
        return ev

    def _field_name(self, widget_id: str | None) -> str | None:
        return self._field_of_widget.get(widget_id or "")

    @on(Input.Changed)
    @on(Checkbox.Changed)
    @on(Select.Changed)
    @on(RadioSet.Changed)
    def _changed(self, event) -> None:
        widget = event.control
        if widget.id == "form-show-secrets":
            for f in self.spec.fields:
                if f.kind == SECRET:
                    self.field_widget(f.name).password = not event.value
            return
        name = self._field_name(widget.id)
        if name is None:
            return
        event.stop()
        self._touched.add(name)
        self._validate()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        list_id = event.option_list.id or ""
        if not list_id.startswith("pick-"):
            return
        event.stop()
        name = list_id[len("pick-"):]
        field = self.field_widget(name)
        field.value = event.option.id or ""
        field.cursor_position = len(field.value)
        suggest = self.spec.field(name).suggest
        if suggest is not None:
            other = self.field_widget(suggest[0])
            if not other.value.strip():
                other.value = suggest[1](field.value)
        field.focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        button = event.button.id or ""
        if button == "form-cancel":
            self.action_cancel()
        elif button == "form-confirm":
            self.action_confirm()
        elif button in self._fill_buttons:
            for name, value in self._fill_buttons[button].values:
                self.field_widget(name).value = value
        elif button.startswith("generate-"):
            name = button[len("generate-"):]
            f = self.spec.field(name)
            if f.generate is not None:
                field = self.field_widget(name)
                field.value = f.generate()
                field.focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_confirm()

    # --- actions --------------------------------------------------------------

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_confirm(self) -> None:
        ev = self._validate()
        if ev.ok:
            self.dismiss(ev.result)
            return
        self._all_shown = True
        ev = self._validate()
        for f in self.spec.fields:
            if f.name in ev.errors:
                self.field_widget(f.name).focus()
                break
