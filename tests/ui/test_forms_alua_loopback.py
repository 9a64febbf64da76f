"""Pilot tests of the forms added for loopback targets, ALUA groups, LUN aliases and
membership, block `exclusive` and fileio `aio` — on the demo SAN, valid and invalid input."""

from __future__ import annotations

from sanctl.sim.demo import RAC_IQN, SCRATCH_IQN
from sanctl.lio.configfs import read_config
from sanctl.lio.impact import find_tpg

from .conftest import RAC_TPG
from .form_helpers import confirm, confirm_enabled, error_of, fill, open_form, problem_of, saved_state, warnings_of
from .helpers import settle

SIZE = (120, 40)
LOOP = "naa.5001405c0ffee123"
SCRATCH_SO = "/backstores/ramdisk/scratch"


def details(root):
    return read_config(str(root), details=True)


async def test_each_fabric_node_adds_its_own_targets_and_loopback_has_its_node(make_app, demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, "/iscsi")
        assert form.spec.title == "Add an iscsi target"  # no chooser: the iscsi node adds iSCSI targets
        await pilot.press("escape")
        await settle(pilot)
        # tcm_loop is not loaded yet, but the tree shows its fabric node, as targetcli lists it
        assert app.screen.tree.node_at("/loopback") is not None
        assert read_config(str(demo)).fabric("loopback") is None  # not loaded yet
        form = await open_form(pilot, "/loopback")
        assert form.spec.title == "Add a loopback target"
        assert form.query_one("#field-wwn").value.startswith("naa.5001405")
        await fill(pilot, form, wwn="naa.123")
        assert "16 hexadecimal digits" in error_of(form, "wwn") and not confirm_enabled(form)
        await fill(pilot, form, wwn=LOOP)
        await confirm(pilot)
        assert app.screen is app.screen_stack[0]
        # the loopback fabric is in the tree now; its TPG takes LUNs but not ACLs, and has no acls node
        assert app.screen.tree.select_path(f"/loopback/{LOOP}/tpg1")
        await pilot.press("right")
        await settle(pilot)
        assert [c.data.name for c in app.screen.tree.node_at(f"/loopback/{LOOP}/tpg1").children] == ["luns"]
        form = await open_form(pilot, f"/loopback/{LOOP}/tpg1")
        assert [c.value for c in form.spec.field("what").choices] == ["luns"]
        await fill(pilot, form, what="luns")
        await confirm(pilot)
        form = app.screen
        await fill(pilot, form, storage_object="ramdisk/scratch", alias="loop_link")
        await confirm(pilot)
    tpg = find_tpg(details(demo), "loopback", LOOP, 1)
    assert tpg.nexus.startswith("naa.5001405")
    assert [(lun.index, lun.storage_object, lun.alias) for lun in tpg.luns] == [(0, ("ramdisk", "scratch"), "loop_link")]


async def test_lun_alias_is_checked_as_you_type(make_app, demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, f"/iscsi/{SCRATCH_IQN}/tpg1/luns")
        before = saved_state(demo)
        for bad, words in (("a/b", "'/'"), ("statistics", "attribute file"), ("two words", "spaces")):
            await fill(pilot, form, alias=bad)
            assert words in (error_of(form, "alias") or ""), bad
            assert not confirm_enabled(form)
        assert saved_state(demo) == before


async def test_block_exclusive_is_refused_with_the_reason_on_this_kernel(make_app, demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, "/backstores/block")
        assert form.spec.field("exclusive").default is True
        await fill(pilot, form, name="shared", dev="/dev/vg_san/spare-1", exclusive=False)
        assert "Linux 6.17" in problem_of(form) and not confirm_enabled(form)
        await fill(pilot, form, exclusive=True)
        assert confirm_enabled(form)
        await confirm(pilot)
    so = read_config(str(demo)).storage_object(("block", "shared"))
    assert so is not None and so.exclusive is not False


async def test_fileio_aio(make_app, demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, "/backstores/fileio")
        await fill(pilot, form, name="fa", file="/srv/fa.img", size="8M", aio=True)
        await confirm(pilot)
    assert read_config(str(demo)).storage_object(("fileio", "fa")).aio is True


async def test_alua_group_add_edit_membership_and_delete(make_app, demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        # a on a backstore: a new ALUA group
        form = await open_form(pilot, SCRATCH_SO)
        assert form.spec.title == "Add an ALUA group to ramdisk/scratch"
        await fill(pilot, form, group="default_tg_pt_gp")
        assert "kernel's own group" in error_of(form, "group")
        await fill(pilot, form, group="site_b", tg_pt_gp_id="0")
        assert "1 to 65535" in error_of(form, "tg_pt_gp_id")
        await fill(pilot, form, tg_pt_gp_id="2", alua_access_state="2", preferred=True)
        await confirm(pilot)
        groups = {g.name: g for g in details(demo).storage_object(("ramdisk", "scratch")).alua_groups}
        assert groups["site_b"].tg_pt_gp_id == 2 and groups["site_b"].settings.value("alua_access_state") == "2"
        # e on its LUN: join the group
        lun = f"/iscsi/{SCRATCH_IQN}/tpg1/luns/lun0"
        form = await open_form(pilot, lun, "e")
        assert {c.value for c in form.spec.field("group").choices} == {"default_tg_pt_gp", "site_b"}
        await fill(pilot, form, group="site_b")
        await confirm(pilot)
        found = find_tpg(details(demo), "iscsi", SCRATCH_IQN, 1)
        assert found.luns[0].alua_tg_pt_gp_name == "site_b"
        # e on the backstore: pick the group, change a value, then delete it
        form = await open_form(pilot, SCRATCH_SO, "e")
        await fill(pilot, form, what="alua:site_b")
        await confirm(pilot)
        form = app.screen
        await fill(pilot, form, nonop_delay_msecs="99999")
        assert "between 0 and 10000" in error_of(form, "nonop_delay_msecs")
        await fill(pilot, form, nonop_delay_msecs="250")
        await confirm(pilot)
        g = {g.name: g for g in details(demo).storage_object(("ramdisk", "scratch")).alua_groups}["site_b"]
        assert g.settings.value("nonop_delay_msecs") == "250"
        form = await open_form(pilot, SCRATCH_SO, "e")
        await fill(pilot, form, what="alua:site_b")
        await confirm(pilot)
        form = app.screen
        await fill(pilot, form, delete=True)
        assert "returns to default_tg_pt_gp" in warnings_of(form)
        await confirm(pilot)
        await settle(pilot)
    after = details(demo)
    assert [g.name for g in after.storage_object(("ramdisk", "scratch")).alua_groups] == ["default_tg_pt_gp"]
    assert find_tpg(after, "iscsi", SCRATCH_IQN, 1).luns[0].alua_tg_pt_gp_name == "default_tg_pt_gp"


async def test_default_group_can_be_edited_but_not_deleted(make_app, demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, SCRATCH_SO, "e")
        await fill(pilot, form, what="alua:default_tg_pt_gp")
        await confirm(pilot)
        form = app.screen
        assert "delete" not in {f.name for f in form.spec.fields}
        await fill(pilot, form, preferred=True)
        await confirm(pilot)
    g = details(demo).storage_object(("ramdisk", "scratch")).alua_groups[0]
    assert g.settings.value("preferred") == "1"


async def test_lun_of_a_pass_through_backstore_says_why_there_is_nothing_to_edit(make_app, demo):
    from .form_helpers import notices_from_now

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        seen = notices_from_now(app)
        await settle(pilot)
        assert app.screen.tree.select_path(f"{RAC_TPG}/luns/lun0")
        await pilot.press("e")
        await settle(pilot)
        assert app.screen is not app.screen_stack[0] or seen  # a form (ALUA group) or a reason
    assert RAC_IQN


async def test_loopback_tpg_edit_has_no_enable_switch_and_acls_say_why(make_app, demo):
    from sanctl.sim.writer import SimWriter
    from sanctl.lio import changes as C

    from .form_helpers import notices_from_now

    assert SimWriter(str(demo)).apply(C.loopback_target(LOOP)).ok
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        seen = notices_from_now(app)
        form = await open_form(pilot, f"/loopback/{LOOP}/tpg1", "e")
        names = {f.name for f in form.spec.fields}
        assert "enabled" not in names and "fabric_prot_type" in names
        await fill(pilot, form, fabric_prot_type="1")
        await confirm(pilot)
        await settle(pilot)
        # targetcli draws no acls under a loopback TPG, and neither does the tree
        assert not app.screen.tree.select_path(f"/loopback/{LOOP}/tpg1/acls")
        assert not seen or "nexus is its only initiator" not in seen[-1][2]
    tpg = find_tpg(details(demo), "loopback", LOOP, 1)
    assert tpg.attributes.value("fabric_prot_type") == "1"
