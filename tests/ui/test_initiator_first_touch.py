"""The initiator tab as a first-time user drives it, on the demo SAN's simulated iscsiadm (Pilot):
j/k move in the tree, K shows a discovery portal's record, L lists before it logs in."""

from __future__ import annotations

import pytest

from sanctl.sim.demo import RAC_IQN, SCRATCH_IQN, WEB_IQN

from .helpers import settle
from .initiator_tab_helpers import open_tab, select, tab, text_of

PORTAL = ("portal", "192.168.50.10:3260")


@pytest.fixture
def demo_app(make_app, demo):
    from sanctl.sim.iscsiadm import demo_backend
    from sanctl.ui import panels

    def make():
        app = make_app()
        app.initiator_backend = demo_backend(str(demo), delay=0)
        panels.configure(app, autostart=False)
        return app

    return make


async def test_j_and_k_move_in_the_initiator_tree(demo_app):
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        tree = tab(app).tree
        select(app, PORTAL)
        tree.focus()
        await pilot.pause()
        start = tree.cursor_line
        await pilot.press("j")
        await pilot.pause()
        assert tree.cursor_line == start + 1
        await pilot.press("j", "k")
        await pilot.pause()
        assert tree.cursor_line == start + 1
        await pilot.press("k")
        await pilot.pause()
        assert tree.cursor_line == start


async def test_K_on_a_discovery_portal_shows_its_record(demo_app):
    from sanctl.ui.screens.initiator_views import ReadingModal

    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        select(app, PORTAL)
        tab(app).tree.focus()
        await pilot.press("K")
        await settle(pilot)
        assert isinstance(app.screen, ReadingModal)
        body = text_of(app.screen.query_one("#reading-body"))
        assert "discovery.sendtargets.address" in body and "192.168.50.10" in body
        assert "discovery.sendtargets.auth.authmethod" in body


async def test_L_lists_the_records_first_and_cancel_logs_in_to_nothing(demo_app):
    from sanctl.ui.screens.confirm import ConfirmScreen

    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        adm = tab(app).backend.iscsiadm
        before = len(adm.calls)
        await pilot.press("L")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and app.focused.id == "confirm-cancel"
        body = text_of(app.screen.query_one("#confirm-body"))
        assert "Log in to 2 node records:" in body
        assert f"{WEB_IQN} at 192.168.50.10:3260" in body and f"{SCRATCH_IQN} at [::1]:3260" in body
        assert RAC_IQN not in body  # logged in already
        await pilot.press("escape")
        await settle(pilot)
        assert not [c for c in adm.calls[before:] if "--login" in c]


WEB_KEY = ("target", (WEB_IQN, "192.168.50.10:3260", "default"))
REPLACEMENT = "node.session.timeo.replacement_timeout"


def status_of(app) -> str:
    return text_of(tab(app).query_one("#init-status"))


async def test_e_edits_the_record_keys_with_their_meaning_and_multipath_values(demo_app):
    from sanctl.ui.screens.initiator_forms import NodeSettingsModal

    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        adm = tab(app).backend.iscsiadm
        select(app, WEB_KEY)
        tab(app).tree.focus()
        await pilot.press("e")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, NodeSettingsModal)
        helps = " ".join(text_of(w) for w in form.query(".form-help"))
        assert REPLACEMENT in helps and "multipath: 5 to 15" in helps and "Default 120" in helps
        assert "node.session.cmds_max" in helps and "node.session.queue_depth" in helps
        assert "node.session.auth" in helps
        assert form.query_one("#ns-2").value == "120"
        before = len(adm.calls)
        await pilot.click("#ns-multipath")
        await pilot.pause()
        assert form.query_one("#ns-2").value == "15" and form.query_one("#ns-0").value == "automatic"
        await pilot.press("ctrl+s")
        await settle(pilot)
        updates = [(c[c.index("-n") + 1], c[c.index("-v") + 1]) for c in adm.calls[before:] if "update" in c]
        assert updates == [("node.startup", "automatic"), ("node.conn[0].startup", "automatic"), (REPLACEMENT, "15")]
        assert status_of(app).startswith(f"✔ {WEB_IQN}: node.startup = automatic")
        (record,) = adm.node_settings(WEB_IQN, "192.168.50.10:3260")
        assert record.text(REPLACEMENT) == "15"


async def test_e_refuses_a_bad_value_and_writes_nothing(demo_app):
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        adm = tab(app).backend.iscsiadm
        select(app, WEB_KEY)
        tab(app).tree.focus()
        await pilot.press("e")
        await pilot.pause()
        form = app.screen
        form.query_one("#ns-5").value = "100"  # cmds_max: not a power of 2
        await pilot.pause()
        assert "power of 2" in text_of(form.query_one("#error-node_session_cmds_max.-shown"))
        before = len(adm.calls)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form and not [c for c in adm.calls[before:] if "update" in c]


async def test_I_shows_iscsid_conf_in_effect(demo_app):
    from sanctl.ui.screens.initiator_views import ReadingModal

    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        await pilot.press("I")
        await settle(pilot)
        assert isinstance(app.screen, ReadingModal)
        body = text_of(app.screen.query_one("#reading-body"))
        assert "etc/iscsi/iscsid.conf" in body and "records that exist keep their own values" in body
        assert REPLACEMENT in body and "iscsid.conf line" in body and "built in" in body


async def test_N_adds_a_record_by_hand_and_isns_says_why_it_failed(demo_app):
    from sanctl.ui.screens.initiator_forms import NewRecordModal

    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tab(pilot)
        adm = tab(app).backend.iscsiadm
        await pilot.press("N")
        await pilot.pause()
        assert isinstance(app.screen, NewRecordModal)
        app.screen.query_one("#new-portal").value = "127.0.0.1"
        app.screen.query_one("#new-target").value = SCRATCH_IQN
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert ["-m", "node", "-T", SCRATCH_IQN, "-p", "127.0.0.1:3260", "-o", "new"] in adm.calls
        assert status_of(app).startswith(f"✔ Node record of {SCRATCH_IQN} at 127.0.0.1:3260 added")
        (record,) = adm.node_settings(SCRATCH_IQN, "127.0.0.1:3260")
        assert record.text("node.discovery_type") == "static"
        await pilot.press("N")
        await pilot.pause()
        await pilot.click("#how-isns")
        app.screen.query_one("#new-portal").value = "127.0.0.1"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert ["-m", "discoverydb", "-t", "isns", "-p", "127.0.0.1:3205", "--discover", "-o", "new"] in adm.calls
        assert status_of(app).startswith("✖ iSNS discovery at 127.0.0.1:3205:") and "(exit 25)" in status_of(app)


SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])


@SIZES
def test_snapshot_settings_form(snap_compare, demo_app, size):
    app = demo_app()

    async def run_before(pilot) -> None:
        await open_tab(pilot)
        select(pilot.app, WEB_KEY)
        tab(pilot.app).tree.focus()
        await pilot.press("e")
        await pilot.pause()

    assert snap_compare(app, run_before=run_before, terminal_size=size)


@SIZES
def test_snapshot_new_record_form(snap_compare, demo_app, size):
    app = demo_app()

    async def run_before(pilot) -> None:
        await open_tab(pilot)
        await pilot.press("N")
        await pilot.pause()

    assert snap_compare(app, run_before=run_before, terminal_size=size)
