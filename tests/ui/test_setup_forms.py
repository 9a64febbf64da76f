"""The wizard's inputs are its steps' forms: walk each step's FormSpec and find every field on screen, and nothing else.

For each step up to the Client step (through Apply on the demo), and for answers that change a step's shape (a disk's kind,
another disk, CHAP and mutual CHAP, secrets shown, demo mode, a preset), the
``#f-…`` inputs on screen are exactly the fields of
:func:`sanctl.setup.fields.step_form` — each the widget its kind calls for,
with its label, placeholder, value, help and picker.
"""

from __future__ import annotations


from textual.widgets import Checkbox, Input, Label, Select

from sanctl.forms.spec import BOOL, SECRET, SELECT
from sanctl.setup.fields import answer_key, step_form

from .helpers import settle
from .wizard_helpers import pinned_wizard  # noqa: F401  (autouse: pins the day, secrets and state file)

T = "iqn.2024-05.org.linux-iscsi.san01:disk1"



def _text(widget) -> str:
    return str(widget.content)


def drawn_from_the_spec(screen) -> int:
    """Every field of the step's form is on screen as its kind's widget, and no other input is; how many."""
    form = step_form(screen.step, screen.answers, screen.ctx, show_secrets=screen.show_secrets)
    fields = form.fields if form is not None else ()
    on_screen = {w.id for w in screen.query("*") if (w.id or "").startswith("f-")}
    assert on_screen == {"f-" + answer_key(f.name).replace(".", "-") for f in fields}, screen.step
    helps = [_text(w) for w in screen.query(".setup-help")]
    for f in fields:
        key = answer_key(f.name)
        widget = screen.query_one("#f-" + key.replace(".", "-"))
        row_label = _text(widget.parent.query_one(Label))
        if f.kind == BOOL:
            assert isinstance(widget, Checkbox) and widget.label.plain == f.label and row_label == ""
        else:
            assert row_label == f.label, key
        if f.kind == SELECT:
            assert isinstance(widget, Select)
        if f.kind in (BOOL, SELECT):
            assert widget.value == f.default, key
        else:
            assert isinstance(widget, Input) and widget.value == f.default and widget.placeholder == f.placeholder
            assert widget.password == (f.kind == SECRET and not screen.show_secrets), key
        if f.help:
            assert f.help in helps, key
        pickers = screen.query("#p-" + key.replace(".", "-"))
        if f.kind in (BOOL, SELECT) or not f.choices:
            assert not pickers, key
        else:
            picker = pickers.first()
            assert [picker.get_option_at_index(i).id for i in range(picker.option_count)] == \
                [c.value for c in f.choices]
    return len(fields)


async def put(pilot, key: str, value) -> None:
    pilot.app.screen.query_one("#f-" + key.replace(".", "-")).value = value
    await settle(pilot)


async def click(pilot, button_id: str) -> None:
    pilot.app.screen.query_one(f"#{button_id}").press()
    await settle(pilot)


async def next_step(pilot, expected: str) -> None:
    await pilot.press("ctrl+n")
    await settle(pilot)
    assert pilot.app.screen.step == expected, pilot.app.screen.check


async def test_every_step_draws_its_inputs_from_its_form(make_app):
    async with make_app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pilot.app.action_setup()
        await settle(pilot)
        screen = pilot.app.screen
        assert screen.step == "checks" and drawn_from_the_spec(screen) == 0
        await next_step(pilot, "storage")
        assert drawn_from_the_spec(screen) == 6  # a file: kind, name, file, size, sparse, write-back
        await put(pilot, "storage.0.kind", "block")
        assert drawn_from_the_spec(screen) == 3  # with the device picker
        await click(pilot, "b-add-storage")
        await put(pilot, "storage.1.kind", "ramdisk")
        assert drawn_from_the_spec(screen) == 6
        await click(pilot, "b-remove-storage-1")
        await put(pilot, "storage.0.kind", "fileio")
        assert drawn_from_the_spec(screen) == 6
        await next_step(pilot, "target")
        assert drawn_from_the_spec(screen) == 1
        await put(pilot, "target", T)
        await next_step(pilot, "portal")
        assert drawn_from_the_spec(screen) == 2 + screen.ctx.rdma  # iSER only with an RDMA NIC
        await next_step(pilot, "access")
        assert drawn_from_the_spec(screen) == 4  # demo mode, a client's label and initiator, CHAP
        await click(pilot, "b-thishost-0")
        await put(pilot, "chap", True)
        await put(pilot, "mutual", True)
        assert drawn_from_the_spec(screen) == 10  # a client's CHAP user and secret; the target's; show secrets
        await put(pilot, "show_secrets", True)
        assert drawn_from_the_spec(screen) == 10
        await put(pilot, "show_secrets", False)
        await put(pilot, "demo_mode", True)
        assert drawn_from_the_spec(screen) == 4  # no CHAP in demo mode; read-only for them
        await put(pilot, "demo_mode", False)
        await put(pilot, "mutual", False)  # (the pinned generator gives the target the client's secret)
        await next_step(pilot, "preset")
        assert drawn_from_the_spec(screen) == 3
        await put(pilot, "preset", "esxi")
        assert drawn_from_the_spec(screen) == 3
        await put(pilot, "preset", "linux")
        await next_step(pilot, "review")
        assert drawn_from_the_spec(screen) == 0
        await next_step(pilot, "apply")
        assert screen.applied is not None and drawn_from_the_spec(screen) == 0
        await next_step(pilot, "client")
        assert drawn_from_the_spec(screen) == 1  # show the secrets in the commands


async def test_an_input_is_read_back_through_its_field(make_app):
    async with make_app().run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pilot.app.action_setup()
        await settle(pilot)
        screen = pilot.app.screen
        await next_step(pilot, "storage")
        await put(pilot, "storage.0.size", "not a size")
        assert screen.answers.storage[0].size == "not a size"  # kept as typed, refused under the field
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert "is not a size" in _text(screen.query_one("#e-storage-0-size"))
        await put(pilot, "storage.0.sparse", False)
        assert screen.answers.storage[0].sparse is False
