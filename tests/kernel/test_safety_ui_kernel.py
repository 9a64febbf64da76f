"""Issue 12 on the real kernel: a delete's confirmation names the logged-in initiator's session.

This guest's open-iscsi initiator is logged in to the basic SAN over 127.0.0.1; the app
(mode "real", root "/") starts with no live panel ever opened, and ``d`` on a backstore
the session uses reads configfs and the ACL's ``info`` at that moment: the confirmation
names the session (initiator, address) and asks for the backstore's name. Cancel writes
nothing; the name typed deletes it.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.kernel

SIZE = (120, 40)


async def test_delete_with_a_live_session_names_it_and_asks_for_the_name(logged_in, basic_san, kernel_env):
    from test_forms_kernel import _config, _delete, _last_ok, _quiet, _record, _settle, _until

    from sanctl.ui.app import SanctlApp

    initiator = basic_san.acl
    app = SanctlApp(root="/", mode="real", readonly=False, readonly_reason=None, theme=None, host="kernel-vm")
    async with app.run_test(size=SIZE) as pilot:
        seen = _record(app)
        await _settle(pilot)
        await _delete(pilot, "/backstores/fileio/disk-file")
        modal = app.screen
        await _until(pilot, lambda: bool(modal.query("#confirm-word")), "the confirmation to be composed")
        body = "\n".join(modal.lines)
        assert (f"session of {initiator} from {kernel_env.PORTAL_IP} on {basic_san.target_iqn}/tpg1 "
                "loses the disk fileio/disk-file") in body, body
        assert "1 live session affected" in modal.lines[0]
        assert modal.word == "disk-file"
        assert modal.query_one("#confirm-ok").disabled
        await pilot.press("escape")
        await _until(pilot, lambda: len(app.screen_stack) == 1, "the confirmation to close")
        assert _config().storage_object(("fileio", "disk-file")) is not None  # cancelled: nothing written

        await _delete(pilot, "/backstores/fileio/disk-file")
        modal = app.screen
        await _until(pilot, lambda: bool(modal.query("#confirm-word")), "the confirmation to be composed")
        word = modal.query_one("#confirm-word")
        word.focus()
        word.value = "disk-file"
        await _until(pilot, lambda: not modal.query_one("#confirm-ok").disabled, "the name to be accepted")
        count = len(seen)
        await pilot.press("enter")
        await _until(pilot, lambda: len(seen) > count and _quiet(pilot), "the delete")
        _last_ok(seen)
    after = _config()
    assert after.storage_object(("fileio", "disk-file")) is None
    assert 0 not in {lun.index for t in after.targets for tpg in t.tpgs for lun in tpg.luns}
