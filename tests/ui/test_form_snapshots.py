"""Snapshots of the distinct layouts of the forms and dialogs the configuration screen opens.

One per layout, not one per form: a chooser (one select and Next), a plain
form (intro, text fields, flags with their help), a field with its picker
and reasons shown under refused values, a form in sections with masked
secrets, warnings and the preview, a long form that scrolls, the delete
confirmation whose impact list scrolls and which wants a name typed, and the
notification of a rolled-back change. What each of the other forms shows —
its fields, their values, what is focused, its buttons — is asserted with
Pilot in ``test_form_contents.py``.

At 80×24 and 120×40 on the demo SAN. Deterministic like the other
snapshots: the generated IQN's random part and the machine name are pinned,
cursors do not blink, workers are waited for.
"""

from __future__ import annotations

import pytest

from .form_helpers import FORMS, WEB_TPG, opening, pinned_clock

pytestmark = pytest.mark.usefixtures("pinned_names")

#: (form, terminal size): the distinct layouts
LAYOUTS = [
    ("add-backstore", (80, 24)),  # a chooser: one select, Next
    ("add-fileio", (120, 40)),  # a plain form: intro, text fields, flags and their help
    ("edit-tpg", (80, 24)),  # a long form in sections, scrolling; "Nothing changed yet."
    ("delete-target", (80, 24)),  # the confirmation: a scrolling impact list, the name to type, Cancel focused
]


@pytest.mark.parametrize("name, size", LAYOUTS, ids=[f"{name}-{w}x{h}" for name, (w, h) in LAYOUTS])
def test_form(snap_compare, make_app, name, size):
    path, key, then = FORMS[name]
    app = pinned_clock(make_app()) if key == "d" else make_app()
    assert snap_compare(app, run_before=opening(path, key, then), terminal_size=size)


async def _bad_block_values(pilot) -> None:
    form = pilot.app.screen
    form.query_one("#field-name").value = "no/slashes"
    form.query_one("#field-dev").value = "/dev/vdb1"
    await pilot.pause()
    await pilot.press("ctrl+s")


def test_block_form_with_reasons(snap_compare, make_app):
    """A text field with its picker of devices; refused values with their reasons; "2 fields to correct"."""
    run_before = opening("/backstores/block", "a", (_bad_block_values,))
    assert snap_compare(make_app(), run_before=run_before, terminal_size=(80, 24))


async def _valid_acl(pilot) -> None:
    form = pilot.app.screen
    form.query_one("#field-initiator").value = "iqn.2024-01.com.example:web02"
    form.query_one("#field-userid").value = "web02"
    form.query_one("#field-password").value = "0123456789abcdef"
    form.query_one("#field-mutual_userid").value = "web-target"
    form.query_one("#field-mutual_password").value = "0123456789abcdef"
    await pilot.pause()


def test_acl_form_with_preview_and_warnings(snap_compare, make_app):
    """A section, masked secrets and the show-secrets switch, generate buttons, warnings and the preview."""
    run_before = opening(f"{WEB_TPG}/acls", "a", (_valid_acl,))
    assert snap_compare(make_app(), run_before=run_before, terminal_size=(120, 40))


async def _fail_the_portal(pilot) -> None:
    import errno

    pilot.app.screen_stack[0].writes.writer.fail_at = (4, OSError(errno.EADDRINUSE, "Address already in use"))
    await pilot.press("ctrl+s")


def test_rolled_back_notification(snap_compare, make_app):
    """A failed step: everything undone, and the notification says so, naming the object and the cause."""
    assert snap_compare(make_app(), run_before=opening("/iscsi", "a", (_fail_the_portal,)),
                        terminal_size=(80, 24))
