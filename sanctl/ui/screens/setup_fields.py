"""The setup wizard's field rows: a label, an input, buttons, a picker, help, and the reason it is refused.

:func:`field_rows` draws the fields of a step's form
(:func:`sanctl.setup.fields.step_form`), each as the row its kind calls for.

Every input's id is ``f-`` and its answer's key with ``-`` for ``.``
(``storage.0.name`` → ``#f-storage-0-name``); the refusal under it is
``#e-…``, a picker under it ``#p-…``. :func:`get_answer` and
:func:`set_answer` read and write :class:`~sanctl.setup.answers.Answers` by
key, so the screen handles every field's change in one place. The rows
follow the forms' look (:mod:`sanctl.ui.forms.screen`): one line per field,
the reason underneath, the picker's refused entries dimmed with why.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, Label, OptionList, Select, Static

from sanctl.ui.forms.screen import Flag, FormScreen
from sanctl.forms.spec import BOOL, SECRET, SELECT, Choice, Field
from sanctl.setup.fields import answer_key

LABEL_WIDTH = 16


def wid(key: str) -> str:
    return "f-" + key.replace(".", "-")


def eid(key: str) -> str:
    return "e-" + key.replace(".", "-")


def pid(key: str) -> str:
    return "p-" + key.replace(".", "-")


def key_of(widget_id: str) -> str:
    return widget_id[2:].replace("-", ".")


def get_answer(answers: Any, key: str) -> Any:
    obj = answers
    for part in key.split("."):
        obj = obj[int(part)] if part.isdigit() else getattr(obj, part)
    return obj


def set_answer(answers: Any, key: str, value: Any) -> None:
    *path, last = key.split(".")
    obj = answers
    for part in path:
        obj = obj[int(part)] if part.isdigit() else getattr(obj, part)
    setattr(obj, last, value)


def section(title: str, *buttons: Button) -> ComposeResult:
    with Horizontal(classes="setup-section-row"):
        yield Static(Text(title), classes="setup-section")
        yield from buttons


def help_line(text: str, classes: str = "setup-help") -> Static:
    return Static(Text(text), classes=classes)


def _row(key: str, label: str, widget, buttons: Iterable[Button], help: str) -> ComposeResult:
    with Horizontal(classes="setup-row"):
        yield Label(Text(label), classes="setup-label")
        yield widget
        yield from buttons
    if help:
        yield help_line(help)
    yield Static("", id=eid(key), classes="setup-error")


def text_field(key: str, label: str, value: str, *, placeholder: str = "", password: bool = False, help: str = "",
               buttons: Iterable[Button] = (), choices: Iterable[Choice] = ()) -> ComposeResult:
    field = Input(value, placeholder=placeholder, password=password, compact=True, id=wid(key),
                  select_on_focus=False)
    field.cursor_blink = False
    yield from _row(key, label, field, buttons, "")
    choices = tuple(choices)
    if choices:
        yield OptionList(*(FormScreen._option(c) for c in choices), id=pid(key), classes="setup-picker",
                         compact=True)
    if help:
        yield help_line(help)


def flag_field(key: str, label: str, value: bool, *, help: str = "") -> ComposeResult:
    yield from _row(key, "", Flag(label, value, compact=True, id=wid(key)), (), help)


def select_field(key: str, label: str, value: str, options: Iterable[tuple[str, str]], *, help: str = "") -> ComposeResult:
    options = [(Text(text), v) for text, v in options]
    values = {v for _, v in options}
    widget = Select(options, value=value if value in values else Select.NULL, allow_blank=False, compact=True,
                    id=wid(key))
    yield from _row(key, label, widget, (), help)


def field_row(key: str, field: Field, *, buttons: Iterable[Button] = (), masked: bool = True) -> ComposeResult:
    """The row of answer ``key``, drawn from its field: a checkbox, a select, or an input (masked for a secret)."""
    if field.kind == BOOL:
        yield from flag_field(key, field.label, bool(field.default), help=field.help)
    elif field.kind == SELECT:
        yield from select_field(key, field.label, field.default, [(c.label, c.value) for c in field.choices],
                                help=field.help)
    else:
        yield from text_field(key, field.label, field.default, placeholder=field.placeholder,
                              password=field.kind == SECRET and masked, help=field.help, buttons=buttons,
                              choices=field.choices)


def field_rows(fields: Iterable[Field], *, buttons: Callable[[str], Iterable[Button]] = lambda key: (),
               masked: bool = True) -> ComposeResult:
    """Every field's row, in order; ``buttons(key)``: the buttons beside an input (generate, this host)."""
    for field in fields:
        key = answer_key(field.name)
        yield from field_row(key, field, buttons=buttons(key), masked=masked)


def button(label: str, id: str, *, variant: str = "default", disabled: bool = False) -> Button:
    return Button(label, id=id, compact=True, variant=variant, disabled=disabled)


def widget_value(widget) -> Any:
    if isinstance(widget, Select):
        return "" if widget.value is Select.NULL else widget.value
    return widget.value
