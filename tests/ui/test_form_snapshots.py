"""Snapshots of every form, the delete confirmation, the diff view and the restore screen.

At 80×24 and 120×40 on the demo SAN. Deterministic like the other
snapshots: the generated IQN's random part and the machine name are pinned,
cursors do not blink, workers are waited for.
"""

from __future__ import annotations

import pytest

from sanctl.sim.demo import RAC_CLIENTS

from .conftest import RAC, RAC_TPG, WEB_ACL
from .helpers import settle

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
WEB_TPG = "/iscsi/iqn.2024-01.com.example:web/tpg1"

def _choose(field: str, value: str):
    """A step: pick ``value`` in a chooser's select and press Next."""
    async def step(pilot) -> None:
        pilot.app.screen.query_one(f"#field-{field}").value = value
        await pilot.pause()
        await pilot.press("ctrl+s")

    return step


#: id -> (node path, key, what to do once it is open)
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
    "edit-backstore-attributes": ("/backstores/fileio/web-data", "e", (_choose("what", "attributes"),)),
    "edit-alua-group": ("/backstores/fileio/web-data", "e", (_choose("what", "alua:default_tg_pt_gp"),)),
    "edit-lun": (f"{WEB_TPG}/luns/lun0", "e", ()),
    "edit-discovery": ("/iscsi", "e", ()),
    "delete-lun": (f"{RAC_TPG}/luns/lun0", "d", ()),
    "delete-target": (RAC, "d", ()),
    "diff": (RAC, "D", ()),
    "restore": (RAC, "R", ()),
}


@pytest.fixture(autouse=True)
def _pinned_names(monkeypatch, demo):
    """Generated IQNs are iqn.2003-01.org.linux-iscsi.san01.x8664:sn.<12 hex>: pin the random part."""
    import sanctl.names as names

    monkeypatch.setattr(names.secrets, "token_hex", lambda n=6: "0123456789abcdef"[: 2 * n])
    monkeypatch.setattr(names.platform, "machine", lambda: "x86_64")
    (demo / "sys/module/target_core_user").mkdir(parents=True)  # the user form needs TCMU


def _run_before(path: str, key: str, then=()):
    async def run_before(pilot) -> None:
        await settle(pilot)
        assert pilot.app.screen.tree.select_path(path), path
        await settle(pilot)
        await pilot.press(key)
        await settle(pilot)
        for step in then:
            await step(pilot)
            await settle(pilot)

    return run_before


def _pinned_clock(app):
    """A delete's confirmation reads the live demo brought to "now": make now a fixed moment."""
    from sanctl.ui import panels

    from .live_helpers import Clocks

    clocks = Clocks()
    panels.configure(app, clock=lambda: clocks.mono, wall_clock=lambda: clocks.wall, autostart=False)
    return app


@SIZES
@pytest.mark.parametrize("name", list(FORMS))
def test_form(snap_compare, make_app, name, size):
    path, key, then = FORMS[name]
    app = _pinned_clock(make_app()) if key == "d" else make_app()
    assert snap_compare(app, run_before=_run_before(path, key, then), terminal_size=size)


async def _bad_block_values(pilot) -> None:
    form = pilot.app.screen
    form.query_one("#field-name").value = "no/slashes"
    form.query_one("#field-dev").value = "/dev/vdb1"
    await pilot.pause()
    await pilot.press("ctrl+s")


@SIZES
def test_block_form_with_reasons(snap_compare, make_app, size):
    run_before = _run_before("/backstores/block", "a", (_bad_block_values,))
    assert snap_compare(make_app(), run_before=run_before, terminal_size=size)


async def _valid_acl(pilot) -> None:
    form = pilot.app.screen
    form.query_one("#field-initiator").value = "iqn.2024-01.com.example:web02"
    form.query_one("#field-userid").value = "web02"
    form.query_one("#field-password").value = "0123456789abcdef"
    form.query_one("#field-mutual_userid").value = "web-target"
    form.query_one("#field-mutual_password").value = "0123456789abcdef"
    await pilot.pause()


@SIZES
def test_acl_form_with_preview_and_warnings(snap_compare, make_app, size):
    run_before = _run_before(f"{WEB_TPG}/acls", "a", (_valid_acl,))
    assert snap_compare(make_app(), run_before=run_before, terminal_size=size)


def test_read_only_key_notification(snap_compare, make_app):
    app = make_app(readonly=True, readonly_reason="not root")
    assert snap_compare(app, run_before=_run_before(RAC_TPG, "a"), terminal_size=(80, 24))


async def _fail_the_portal(pilot) -> None:
    import errno

    pilot.app.screen_stack[0].writes.writer.fail_at = (4, OSError(errno.EADDRINUSE, "Address already in use"))
    await pilot.press("ctrl+s")


def test_rolled_back_notification(snap_compare, make_app):
    """A failed step: everything undone, and the notification says so, naming the object and the cause."""
    assert snap_compare(make_app(), run_before=_run_before("/iscsi", "a", (_fail_the_portal,)),
                        terminal_size=(80, 24))
