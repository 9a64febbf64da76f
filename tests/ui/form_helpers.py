"""Helpers for the form tests: open a form on a node, fill it, confirm, read back."""

from __future__ import annotations

from collections.abc import Sequence

from sanctl.lio.configfs import read_config
from sanctl.lio.saveconfig import dump

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
