"""Forms as data: fields, how each is checked, and what the whole form builds.

One generic form screen (:mod:`sanctl.ui.forms.screen`) draws any
:class:`FormSpec`; the specs per node kind live in
:mod:`sanctl.forms.actions`, the initiator tab's dialogs in
:mod:`sanctl.forms.initiator`. A field's ``check`` is a validator from
:mod:`sanctl.names` or a change constructor of :mod:`sanctl.lio.changes`:
it returns the value normalised or raises
:class:`~sanctl.names.InvalidValue`, whose sentence the form shows inline.
:func:`evaluate` runs every check and then the form's ``build``, which
returns the :class:`~sanctl.lio.changes.Change` list to apply (or another
form, for a chooser). Nothing here writes anything, and nothing imports
Textual — the property tests drive :func:`evaluate` directly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sanctl.names import InvalidValue

TEXT = "text"
SECRET = "secret"
BOOL = "bool"
SELECT = "select"
RADIO = "radio"
KINDS = (TEXT, SECRET, BOOL, SELECT, RADIO)


@dataclass(frozen=True, slots=True)
class Choice:
    """One entry of a select, or of the picker under a text field."""

    value: str
    label: str
    note: str = ""
    #: False marks it (mounted, in use): still shown, the check says why it is refused.
    ok: bool = True


@dataclass(frozen=True, slots=True)
class Field:
    """One input of a form.

    ``kind``: ``text`` (an input; ``choices`` become a picker under it),
    ``secret`` (a masked input), ``bool`` (a checkbox), ``select`` or
    ``radio`` (the same choice, every option in view: a few short ones).
    A text field that is not ``required`` may be left blank (its value is
    then ``None`` and ``check`` is not called). ``original`` is the value
    an edit form started from; ``generate`` offers a "generate" button.
    ``suggest = (other, derive)``: picking a choice fills the field ``other``
    with ``derive(choice)`` while that field is still empty (a device's
    name becomes the backstore's).
    ``when = (other, values)``: the field counts only while the earlier field
    ``other`` holds one of ``values`` (the CHAP user only with CHAP chosen);
    otherwise it is shown disabled, not checked, and its value is ``None``.
    """

    name: str
    label: str
    kind: str = TEXT
    default: Any = ""
    check: Callable[[str], Any] | None = None
    required: bool = True
    placeholder: str = ""
    help: str = ""
    choices: tuple[Choice, ...] = ()
    generate: Callable[[], str] | None = None
    section: str = ""
    original: Any = None
    suggest: tuple[str, Callable[[str], str]] | None = None
    when: tuple[str, tuple[str, ...]] | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown field kind {self.kind!r}")
        if not self.name.isidentifier():
            raise ValueError(f"field name {self.name!r} is not an identifier")

    def parse(self, raw: Any) -> Any:
        """The widget's value checked: normalised, or :class:`InvalidValue` with the reason."""
        if self.kind == BOOL:
            return bool(raw)
        if self.kind in (SELECT, RADIO):
            if raw is None or raw == "":
                if self.required:
                    raise InvalidValue(f"Choose {_article(self.label)}.")
                return None
            if self.kind == RADIO and raw not in {c.value for c in self.choices}:
                raise InvalidValue(f"Choose {_article(self.label)}.")
            return self.check(raw) if self.check is not None else raw
        text = raw if isinstance(raw, str) else ("" if raw is None else str(raw))
        if not text.strip():
            if not self.required:
                return None
            if self.check is None:
                raise InvalidValue(f"{self.label} is required.")
        if self.check is None:
            return text
        return self.check(text)


def _article(label: str) -> str:
    word = label.lower()
    return ("an " if word[:1] in "aeiou" else "a ") + word


@dataclass(frozen=True, slots=True)
class Fill:
    """A button that puts a set of values into several fields at once (open-iscsi's defaults,
    the values multipath setups use); the operator still confirms the form."""

    name: str
    label: str
    values: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class FormSpec:
    """A whole form: its fields and what confirming it builds.

    ``build(values)`` gets every field's checked value by name and returns
    the changes (a list, possibly empty when an edit changes nothing), the
    next form (a chooser), or a sentence why that next form cannot be
    shown. It may raise :class:`InvalidValue` for a problem
    involving several fields. ``warnings(values)`` lists what is allowed
    but risky. ``expand`` names tree paths to open after the write, so the
    new object is in view. ``fills`` are buttons above the fields that
    fill several of them at once.
    """

    title: str
    fields: tuple[Field, ...]
    build: Callable[[dict[str, Any]], Any]
    confirm: str = "Create"
    intro: str = ""
    warnings: Callable[[dict[str, Any]], list[str]] | None = None
    expand: tuple[str, ...] = ()
    fills: tuple[Fill, ...] = ()

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for f in self.fields:
            if f.when is not None and f.when[0] not in seen:
                raise ValueError(f"field {f.name!r} depends on {f.when[0]!r}, which is not an earlier field")
            seen.add(f.name)
        for fill in self.fills:
            for name, _ in fill.values:
                if name not in seen:
                    raise ValueError(f"fill {fill.name!r} names no field {name!r}")

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def defaults(self) -> dict[str, Any]:
        return {f.name: f.default for f in self.fields}


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Everything the screen shows for the values typed so far."""

    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    problem: str | None = None  #: a form-level reason (several fields, or nothing to change)
    result: Any = None  #: the changes, or the next FormSpec
    warnings: tuple[str, ...] = ()
    inactive: frozenset[str] = frozenset()  #: fields whose ``when`` does not hold: disabled, not checked

    @property
    def ok(self) -> bool:
        """Whether confirming now would do something."""
        if self.errors or self.problem is not None:
            return False
        return isinstance(self.result, FormSpec) or bool(self.result)

    @property
    def changes(self) -> list:
        return list(self.result) if isinstance(self.result, (list, tuple)) else []


NOTHING_CHANGED = "Nothing changed yet."


def evaluate(spec: FormSpec, raw: Mapping[str, Any]) -> Evaluation:
    """Check every field, then build. Only :class:`InvalidValue` is caught: anything else is a bug."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    inactive: set[str] = set()
    for f in spec.fields:
        if f.when is not None and (f.when[0] not in values or values[f.when[0]] not in f.when[1]):
            values[f.name] = None
            inactive.add(f.name)
            continue
        try:
            values[f.name] = f.parse(raw.get(f.name, f.default))
        except InvalidValue as exc:
            errors[f.name] = str(exc)
    off = frozenset(inactive)
    if errors:
        return Evaluation(values, errors, inactive=off)
    try:
        result = spec.build(values)
    except InvalidValue as exc:
        return Evaluation(values, {}, str(exc), inactive=off)
    if isinstance(result, str):  # a chooser's next step that cannot be taken, and why
        return Evaluation(values, {}, result, inactive=off)
    warnings = tuple(spec.warnings(values)) if spec.warnings is not None else ()
    if isinstance(result, (list, tuple)) and not result:
        return Evaluation(values, {}, NOTHING_CHANGED, [], warnings, off)
    return Evaluation(values, {}, None, result, warnings, off)
