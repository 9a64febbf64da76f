"""The forms on the real kernel: the app driven with Textual's Pilot inside the VM
(mode "real", root "/", rtslib-fb writing), every result read back with read_config.

A backstore, a target with its TPG, a LUN (with an alias), an ACL and a portal are made
through the forms; an ACL is edited; an ALUA group is added and a LUN joins it; a
loopback target is made; a mapped LUN and then the target are deleted through the
confirmation (the target's name typed)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.kernel

T = "iqn.2024-01.test.sanctl:forms"
HOST = "iqn.2024-01.test.sanctl:forms-host"
LOOP = "naa.5001405f0e5e1234"
SIZE = (120, 40)


_T0 = [0.0]


def _log(text: str) -> None:
    import sys
    import time

    if not _T0[0]:
        _T0[0] = time.monotonic()
    print(f"[forms-kernel {time.monotonic() - _T0[0]:6.1f}] {text}", file=sys.__stderr__, flush=True)


#: The worker groups the forms use; the live panels' samplers run for as long as the app does.
_GROUPS = frozenset({"form", "impact", "write", "save", "save-status", "diff", "initial-read", "refresh"})


async def _until(pilot, condition, what: str, timeout: float = 60.0) -> None:
    """Poll ``condition`` with short sleeps: Pilot's idle waits cost seconds each under TCG,
    where the live samplers keep the app from ever being idle."""
    import asyncio
    import time

    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}; notifications: {_seen(pilot)[-3:]}")
        await asyncio.sleep(0.05)


def _quiet(pilot) -> bool:
    return not [w for w in pilot.app.workers if w.is_running and w.group in _GROUPS]


async def _settle(pilot) -> None:
    import asyncio

    await asyncio.sleep(0.1)
    await _until(pilot, lambda: _quiet(pilot), "the forms' workers")


async def _open(pilot, path: str, key: str = "a"):
    from sanctl.ui.forms.screen import FormScreen

    _log(f"{key} on {path}")
    app = pilot.app
    await _settle(pilot)
    assert app.screen_stack[0].tree.select_path(path), path
    await _settle(pilot)
    await pilot.press(key)
    await _until(pilot, lambda: isinstance(app.screen, FormScreen) or (_quiet(pilot) and len(app.screen_stack) == 1
                                                                        and bool(_seen(pilot))),
                 f"the form of {key} on {path}")
    await _until(pilot, lambda: isinstance(app.screen, FormScreen), f"a form, not: {_seen(pilot)[-1:]}", 5)
    return app.screen


async def _fill(pilot, form, **values) -> None:
    import asyncio

    for name, value in values.items():
        form.query_one(f"#field-{name}").value = value
    await asyncio.sleep(0.2)  # the form checks what was "typed" on the Changed events


async def _confirm(pilot) -> None:
    """ctrl+s: the next form of a chooser, or the write; then its notification and re-read."""
    from sanctl.ui.forms.screen import FormScreen

    app = pilot.app
    form = app.screen
    count = len(_seen(pilot))
    chooser = getattr(form, "spec", None) is not None and form.spec.confirm == "Next"
    await pilot.press("ctrl+s")
    if chooser:
        await _until(pilot, lambda: isinstance(app.screen, FormScreen) and app.screen is not form, "the next form")
        return
    await _until(pilot, lambda: len(_seen(pilot)) > count and _quiet(pilot), "the write's notification")


async def _delete(pilot, path: str) -> None:
    from sanctl.ui.screens.confirm import ConfirmScreen

    _log(f"d on {path}")
    app = pilot.app
    await _settle(pilot)
    assert app.screen_stack[0].tree.select_path(path), path
    await _settle(pilot)
    await pilot.press("d")
    await _until(pilot, lambda: isinstance(app.screen, ConfirmScreen), f"the confirmation of d on {path}")


def _seen(pilot) -> list:
    return getattr(pilot.app, "_seen", [])


def _record(app) -> list:
    seen: list[tuple[str, str]] = []
    original = app.notify

    def notify(message, *, title="", severity="information", **kwargs):
        seen.append((severity, str(message)))
        return original(message, title=title, severity=severity, **kwargs)

    app.notify = notify
    app._seen = seen
    return seen


def _last_ok(seen) -> None:
    assert seen, "no notification"
    severity, message = seen[-1]
    assert severity == "information" and message.startswith(("Done:", "Nothing changed")), seen[-3:]


def _config():
    from sanctl.lio.configfs import read_config

    found = read_config("/", details=True)
    assert not found.problems, found.problems
    return found


async def test_forms_create_edit_and_delete_on_the_real_kernel(lab, kernel_env):
    from rtslib import FabricModule

    from sanctl.lio.impact import find_acl, find_target, find_tpg
    from sanctl.ui.app import SanctlApp

    lab.rtsroot()
    FabricModule("iscsi")._check_self()  # the iscsi fabric is loaded, as target.service leaves it
    app = SanctlApp(root="/", mode="real", readonly=False, readonly_reason=None, theme=None, host="kernel-vm")
    _log("starting the app")
    async with app.run_test(size=SIZE) as pilot:
        _log("app running")
        seen = _record(app)
        await _settle(pilot)
        # an empty host is offered the setup wizard: decline it, the forms are what is tested here
        for _ in range(3):
            if len(app.screen_stack) == 1:
                break
            await pilot.press("escape")
            await _settle(pilot)
        assert len(app.screen_stack) == 1, app.screen_stack

        # a backstore: the chooser, then the ramdisk form
        form = await _open(pilot, "/backstores")
        await _fill(pilot, form, plugin="ramdisk")
        await _confirm(pilot)
        await _fill(pilot, app.screen, name="kf-ram", size="8M")
        await _confirm(pilot)
        _last_ok(seen)

        # a target: `a` on the iscsi node opens the iSCSI target form (each fabric node adds its own targets)
        form = await _open(pilot, "/iscsi")
        assert form.spec.title == "Add an iscsi target"
        await _fill(pilot, form, wwn=T, portal=kernel_env.PORTAL_IP, port="3260")
        await _confirm(pilot)
        _last_ok(seen)

        tpg = f"/iscsi/{T}/tpg1"
        form = await _open(pilot, f"{tpg}/luns")
        await _fill(pilot, form, storage_object="ramdisk/kf-ram", alias="kf_link")
        await _confirm(pilot)
        _last_ok(seen)
        form = await _open(pilot, f"{tpg}/acls")
        await _fill(pilot, form, initiator=HOST, acl_tag="kgroup")
        await _confirm(pilot)
        _last_ok(seen)
        form = await _open(pilot, f"{tpg}/portals")
        await _fill(pilot, form, address="[::1]", port="3261")
        await _confirm(pilot)
        _last_ok(seen)

        # an invalid value is refused with its reason and writes nothing
        form = await _open(pilot, f"{tpg}/acls")
        await _fill(pilot, form, initiator="not an iqn")
        await _until(pilot, lambda: form.query_one("#form-confirm").disabled, "the refusal")
        await pilot.press("escape")
        await _until(pilot, lambda: len(app.screen_stack) == 1, "the form to close")

        # edit: the ACL's tag and an attribute
        form = await _open(pilot, f"{tpg}/acls/{HOST}", "e")
        await _fill(pilot, form, acl_tag="other", nopin_timeout="25")
        await _confirm(pilot)
        _last_ok(seen)

        # an ALUA group on the backstore, and the LUN in it
        form = await _open(pilot, "/backstores/ramdisk/kf-ram")
        await _fill(pilot, form, group="site_b", tg_pt_gp_id="2", alua_access_state="1")
        await _confirm(pilot)
        _last_ok(seen)
        form = await _open(pilot, f"{tpg}/luns/lun0", "e")
        await _fill(pilot, form, group="site_b")
        await _confirm(pilot)
        _last_ok(seen)

        # a loopback target with a LUN, from the loopback node (drawn as targetcli lists it)
        form = await _open(pilot, "/loopback")
        assert form.spec.title == "Add a loopback target"
        await _fill(pilot, form, wwn=LOOP)
        await _confirm(pilot)
        _last_ok(seen)
        form = await _open(pilot, f"/loopback/{LOOP}/tpg1")
        await _fill(pilot, form, what="luns")
        await _confirm(pilot)
        await _fill(pilot, app.screen, storage_object="ramdisk/kf-ram")
        await _confirm(pilot)
        _last_ok(seen)

        found = _config()
        t = find_tpg(found, "iscsi", T, 1)
        assert t.enabled and t.attributes.value("authentication") == "0"
        assert {(p.ip_address, p.port) for p in t.portals} == {(kernel_env.PORTAL_IP, 3260), ("[::1]", 3261)}
        assert [(x.index, x.storage_object, x.alias, x.alua_tg_pt_gp_name) for x in t.luns] == \
            [(0, ("ramdisk", "kf-ram"), "kf_link", "site_b")]
        acl = find_acl(t, HOST)
        assert (acl.tag, acl.attributes.value("nopin_timeout")) == ("other", "25")
        assert [(m.index, m.tpg_lun) for m in acl.mapped_luns] == [(0, 0)]
        so = found.storage_object(("ramdisk", "kf-ram"))
        group = next(g for g in so.alua_groups if g.name == "site_b")
        assert (group.tg_pt_gp_id, group.settings.value("alua_access_state")) == (2, "1")
        loop = find_tpg(found, "loopback", LOOP, 1)
        assert loop.nexus and [x.storage_object for x in loop.luns] == [("ramdisk", "kf-ram")]

        # delete a mapped LUN: the confirmation opens with Cancel focused; y confirms
        await _delete(pilot, f"{tpg}/acls/{HOST}/mapped_lun0")
        modal = app.screen
        assert modal.focused.id == "confirm-cancel"
        count = len(seen)
        await pilot.press("y")
        await _until(pilot, lambda: len(seen) > count and _quiet(pilot), "the delete")
        _last_ok(seen)
        assert find_acl(find_tpg(_config(), "iscsi", T, 1), HOST).mapped_luns == ()

        # delete the target: its name must be typed
        await _delete(pilot, f"/iscsi/{T}")
        modal = app.screen
        assert modal.query_one("#confirm-ok").disabled
        body = "\n".join(modal.lines)
        assert "LUN 0" in body and HOST in body
        word = modal.query_one("#confirm-word")
        word.focus()
        word.value = T  # as typed (key by key costs minutes under TCG)
        await _until(pilot, lambda: not modal.query_one("#confirm-ok").disabled, "the name to be accepted")
        count = len(seen)
        await pilot.press("enter")
        await _until(pilot, lambda: len(seen) > count and _quiet(pilot), "the delete")
        _last_ok(seen)
    after = _config()
    assert find_target(after, "iscsi", T) is None
    assert after.storage_object(("ramdisk", "kf-ram")) is not None  # backstores stay
    assert find_target(after, "loopback", LOOP) is not None
