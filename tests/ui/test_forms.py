"""Every form on the demo SAN: valid input is written, invalid input shows why and changes nothing.

The forms open from the tree (``a`` add, ``e`` edit), check each field as it
is typed, and write only when confirmed, through the demo's simulated
kernel; the tests read configfs back with sanctl's reader.
"""

from __future__ import annotations

import os

from sanctl.sim.demo import RAC_CLIENTS, RAC_IQN, SCRATCH_IQN, WEB_CLIENT, WEB_IQN
from sanctl.lio.configfs import read_acl_details, read_config, read_tpg_details
from sanctl.lio.impact import find_acl, find_target, find_tpg

from .conftest import RAC, RAC_TPG, WEB_ACL
from .form_helpers import (
    confirm,
    confirm_enabled,
    error_of,
    fill,
    open_form,
    preview_of,
    problem_of,
    notices_from_now,
    saved_state,
    type_into,
    warnings_of,
)
from .helpers import settle

SIZE = (120, 40)
WEB_TPG = f"/iscsi/{WEB_IQN}/tpg1"
NEW_IQN = "iqn.2024-06.com.example:new"


def config(root):
    return read_config(str(root))


async def iscsi_target_form(pilot):
    """``a`` on /iscsi: the iSCSI target form at once (loopback targets are added from /loopback)."""
    form = await open_form(pilot, "/iscsi")
    assert form.spec.title == "Add an iscsi target"
    return form


def tpg(root, wwn, tag=1):
    return find_tpg(config(root), "iscsi", wwn, tag)


# ---------------------------------------------------------------------------
# backstores
# ---------------------------------------------------------------------------


async def test_block_form_lists_devices_and_creates_on_a_spare(make_app, demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, "/backstores/block")
        picker = form.query_one("#pick-dev")
        labels = [str(picker.get_option_at_index(i).prompt) for i in range(picker.option_count)]
        assert any("/dev/vdb1" in label and "mounted on /srv" in label for label in labels)
        assert any("/dev/vg_san/ora-ocr-1" in label and "used by block/ora-ocr-1" in label for label in labels)
        assert any("/dev/vg_san/spare-1" in label and "free" in label for label in labels)
        picker.focus()
        spare = next(i for i, label in enumerate(labels) if "spare-1" in label)
        picker.highlighted = spare
        await pilot.press("enter")
        await pilot.pause()
        assert form.query_one("#field-dev").value == "/dev/vg_san/spare-1"
        assert form.query_one("#field-name").value == "spare-1"  # suggested while empty
        await type_into(pilot, form, "name", "disk1")
        assert confirm_enabled(form)
        assert "Create block backstore disk1 on /dev/vg_san/spare-1 (read-write)" in preview_of(form)
        await confirm(pilot)
        so = config(demo).storage_object(("block", "disk1"))
        assert so is not None and so.dev == "/dev/vg_san/spare-1" and so.size == 10 << 30
        # the new object's list is open and the cursor stayed where it was
        tree = app.screen.tree
        assert tree.cursor_path == "/backstores/block"
        assert tree.node_at("/backstores/block/disk1") is not None


async def test_block_form_refuses_bad_names_and_taken_devices(make_app, demo):
    app = make_app()
    before = saved_state(demo)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, "/backstores/block")
        for name, reason in (("a/b", "'/'"), ("a..b", "'..'"), ("has space", "whitespace"),
                             ("ora-ocr-1", "exists already")):
            await type_into(pilot, form, "name", name)
            assert reason in (error_of(form, "name") or ""), name
            assert not confirm_enabled(form)
        await type_into(pilot, form, "name", "disk1")
        assert error_of(form, "name") is None
        for dev, reason in (("/dev/vdb1", "mounted on /srv"), ("/dev/vg_san/ora-ocr-1", "already exported"),
                            ("/dev/nothing", "no block device"), ("dev/sdz", "absolute"),
                            ("/dev/../etc/passwd", "'..'")):
            await fill(pilot, form, dev=dev)
            assert reason in (error_of(form, "dev") or ""), dev
            assert not confirm_enabled(form)
        await confirm(pilot)  # refused: the reasons stay, nothing written
        assert app.screen is form
    assert saved_state(demo) == before


async def test_fileio_form_creates_a_sparse_file_and_warns_about_write_back(make_app, demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, "/backstores/fileio")
        await fill(pilot, form, name="vm1", file="/srv/iscsi/vm1.img")
        assert "does not exist yet: give a size" in problem_of(form)
        assert not confirm_enabled(form)
        for size in ("12Q", "0", "-1", "1.5"):
            await fill(pilot, form, size=size)
            assert error_of(form, "size"), size
        await fill(pilot, form, size="1.5G", write_back=True)
        assert "crash" in warnings_of(form)
        await confirm(pilot)
    so = config(demo).storage_object(("fileio", "vm1"))
    assert so is not None and so.size == 3 << 29 and so.write_back
    assert os.path.getsize(demo / "srv/iscsi/vm1.img") == 3 << 29


async def test_fileio_form_on_an_existing_file_uses_its_size(make_app, demo):
    image = demo / "srv/images/old.img"
    image.parent.mkdir(parents=True)
    image.write_bytes(b"\0" * 4096)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, "/backstores/fileio")
        await fill(pilot, form, name="again", file="/srv/images/old.img", size="1G")
        assert "its own size is used" in warnings_of(form)
        assert confirm_enabled(form)
        await confirm(pilot)
    assert config(demo).storage_object(("fileio", "again")).size == 4096


async def test_ramdisk_form(make_app, demo):
    app = make_app()
    before = saved_state(demo)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, "/backstores/ramdisk")
        await fill(pilot, form, name="rd1", size="")
        await confirm(pilot)
        assert app.screen is form and error_of(form, "size")
        assert saved_state(demo) == before
        await fill(pilot, form, size="256M", nullio=True)
        await confirm(pilot)
    so = config(demo).storage_object(("ramdisk", "rd1"))
    assert so.size == 256 << 20 and so.nullio


async def test_pscsi_form(make_app, demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, "/backstores/pscsi")
        picker = form.query_one("#pick-dev")
        assert picker.option_count == 1  # only whole disks pass through
        await fill(pilot, form, name="tape", dev="relative")
        assert "absolute" in error_of(form, "dev")
        await fill(pilot, form, dev="/dev/vdb")  # its partition is mounted on /srv: the one refusal list
        assert "partition /dev/vdb1 in use" in (error_of(form, "dev") or "")
        await pilot.press("escape")
        await settle(pilot)
        mounts = demo / "proc/mounts"
        mounts.write_text("".join(line for line in mounts.read_text().splitlines(True) if " /srv " not in line))
        form = await open_form(pilot, "/backstores/pscsi")  # /srv unmounted: the disk is free
        await fill(pilot, form, name="tape", dev="/dev/vdb")
        await confirm(pilot)
    assert config(demo).storage_object(("pscsi", "tape")).dev == "/dev/vdb"


async def test_user_backstores_need_tcmu(make_app, demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        seen = notices_from_now(app)
        await settle(pilot)
        assert app.screen.tree.select_path("/backstores/user")
        await pilot.press("a")
        await settle(pilot)
        assert app.screen is app.screen_stack[0]
        assert any("no TCMU" in message for _s, _t, message in seen)


async def test_user_form_when_the_kernel_has_tcmu(make_app, demo):
    (demo / "sys/module/target_core_user").mkdir(parents=True)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, "/backstores/user")
        await fill(pilot, form, name="rbd1", handler="Bad-Handler", cfgstring="pool/img", size="10G")
        assert "lower-case" in error_of(form, "handler")
        await fill(pilot, form, handler="rbd", cfgstring="has,comma")
        assert "without ','" in problem_of(form)
        await fill(pilot, form, cfgstring="pool/img")
        await confirm(pilot)
    assert config(demo).storage_object(("user", "rbd1")).config == "rbd/pool/img"


async def test_backstores_node_asks_which_kind_first(make_app, demo):
    from sanctl.ui.forms.screen import FormScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, "/backstores")
        await fill(pilot, form, plugin="ramdisk")
        await confirm(pilot)
        second = app.screen
        assert isinstance(second, FormScreen) and second is not form
        assert second.spec.title == "Add a ramdisk backstore"
        await fill(pilot, second, name="rd2", size="1M")
        await confirm(pilot)
    assert config(demo).storage_object(("ramdisk", "rd2")) is not None


# ---------------------------------------------------------------------------
# targets and TPGs
# ---------------------------------------------------------------------------


async def test_target_form_suggests_a_name_and_builds_like_targetcli(make_app, demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        seen = notices_from_now(app)
        form = await iscsi_target_form(pilot)
        suggested = form.query_one("#field-wwn").value
        assert suggested.startswith("iqn.2003-01.org.linux-iscsi.san01.") and ":sn." in suggested
        await pilot.click("#generate-wwn")
        await pilot.pause()
        assert form.query_one("#field-wwn").value != suggested
        await fill(pilot, form, wwn=NEW_IQN)
        assert form.query_one("#field-portal").value == "0.0.0.0"  # shares the wildcard listener in use
        await confirm(pilot)
        assert any(s == "information" and m.startswith("Done: 5 changes applied") for s, _t, m in seen), seen
    new = tpg(demo, NEW_IQN)
    assert new.enabled and [p.label for p in new.portals] == ["0.0.0.0:3260"]
    assert new.attributes.value("authentication") == "0"


async def test_target_form_refuses_bad_and_existing_names(make_app, demo):
    app = make_app()
    before = saved_state(demo)
    async with app.run_test(size=SIZE) as pilot:
        form = await iscsi_target_form(pilot)
        for name, reason in (("iqn.bad", "Not an IQN"), ("IQN.2024-01.COM.X:Y", "lower case"),
                             ("iqn.2024-13.com.x:y", "Month 13"), (RAC_IQN, "exists already"),
                             ("eui.123", "16 hexadecimal"), ("", "required")):
            await type_into(pilot, form, "wwn", name)
            assert reason in (error_of(form, "wwn") or ""), name
        await fill(pilot, form, wwn=NEW_IQN, port="0")
        assert "1-65535" in error_of(form, "port")
        await fill(pilot, form, port="3260", portal="300.1.1.1")
        assert "not an IPv4 or IPv6" in error_of(form, "portal")
        await pilot.press("escape")
        await settle(pilot)
    assert saved_state(demo) == before


async def test_tpg_form(make_app, demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, RAC)
        assert form.query_one("#field-tag").value == "2"
        for tag, reason in (("0", "1 to 65535"), ("1", "exists already"), ("x", "whole number")):
            await fill(pilot, form, tag=tag)
            assert reason in error_of(form, "tag"), tag
        await fill(pilot, form, tag="7", enable=False)
        await confirm(pilot)
    new = tpg(demo, RAC_IQN, 7)
    assert new is not None and not new.enabled


async def test_tpg_node_asks_what_to_add(make_app, demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, RAC_TPG)
        await fill(pilot, form, what="portals")
        await confirm(pilot)
        assert app.screen.spec.title == "Add a portal to tpg1"


# ---------------------------------------------------------------------------
# ACLs, LUNs, mapped LUNs, portals
# ---------------------------------------------------------------------------


async def test_acl_form_with_generated_chap(make_app, demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, f"{WEB_TPG}/acls")
        await fill(pilot, form, initiator="iqn.2024-01.com.example:web02", userid="web02")
        assert "needs both a user name and a secret" in problem_of(form)
        secret = form.query_one("#field-password")
        assert secret.password  # masked
        await pilot.click("#generate-password")
        await pilot.pause()
        assert len(secret.value) == 16
        form.query_one("#form-show-secrets").value = True
        await pilot.pause()
        assert not secret.password
        assert "Set CHAP (user web02)" in preview_of(form)
        assert secret.value not in preview_of(form)
        await confirm(pilot)
    acl = read_acl_details(str(demo), find_acl(tpg(demo, WEB_IQN), "iqn.2024-01.com.example:web02"))
    assert acl.auth.userid == "web02" and len(acl.auth.password.reveal()) == 16
    assert [m.tpg_lun for m in acl.mapped_luns] == [0]


async def test_acl_form_refuses_bad_initiators_and_half_chap(make_app, demo):
    app = make_app()
    before = saved_state(demo)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, f"{WEB_TPG}/acls")
        for name, reason in (("web02", "starts with 'iqn.'"), (WEB_CLIENT, "has an ACL")):
            await fill(pilot, form, initiator=name)
            assert reason in error_of(form, "initiator"), name
        await fill(pilot, form, initiator="iqn.2024-01.com.example:web02", acl_tag="with.dot")
        assert "no '.'" in error_of(form, "acl_tag")
        await fill(pilot, form, acl_tag="", userid="u", password="short secret")
        assert "whitespace" in error_of(form, "password")
        await fill(pilot, form, password="NULL")
        assert "NULL" in error_of(form, "password")
        await fill(pilot, form, password="abcdefghijklmnop", mutual_userid="t", mutual_password="")
        assert "Mutual CHAP needs both" in problem_of(form)
        await confirm(pilot)
        await pilot.press("escape")
        await settle(pilot)
    assert saved_state(demo) == before


async def test_lun_form(make_app, demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, f"{WEB_TPG}/luns")
        await fill(pilot, form, storage_object="fileio/web-data")
        assert "exported by this TPG already, as LUN 0" in error_of(form, "storage_object")
        await fill(pilot, form, storage_object="ramdisk/scratch", index="0")
        assert "LUN 0 exists already" in error_of(form, "index")
        await fill(pilot, form, index="")
        await confirm(pilot)
    web = tpg(demo, WEB_IQN)
    lun = next(lun for lun in web.luns if lun.storage_object == ("ramdisk", "scratch"))
    assert lun.index == 1
    assert sorted(m.tpg_lun for m in find_acl(web, WEB_CLIENT).mapped_luns) == [0, 1]


async def test_mapped_lun_form(make_app, demo):
    app = make_app()
    acl_path = f"{RAC_TPG}/acls/{RAC_CLIENTS[0]}"
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, acl_path)
        await fill(pilot, form, index="5")
        assert "sees a LUN 5 already" in error_of(form, "index")
        await fill(pilot, form, index="9", tpg_lun="2", write_protect=True)
        assert "two paths to one disk" in warnings_of(form)
        await confirm(pilot)
    acl = find_acl(tpg(demo, RAC_IQN), RAC_CLIENTS[0])
    m9 = next(m for m in acl.mapped_luns if m.index == 9)
    assert m9.tpg_lun == 2 and m9.write_protect


async def test_portal_form(make_app, demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, f"{RAC_TPG}/portals")
        picker = form.query_one("#pick-address")
        assert [picker.get_option_at_index(i).id for i in range(picker.option_count)] == [
            "0.0.0.0", "[::0]", "127.0.0.1", "[::1]"]
        await fill(pilot, form, address="0.0.0.0")
        assert "listens on 0.0.0.0:3260 already" in problem_of(form)
        await fill(pilot, form, address="fe80::1")
        assert "Link-local" in error_of(form, "address")
        await fill(pilot, form, address="999.1.1.1")
        assert error_of(form, "address")
        await fill(pilot, form, address="::1", port="70000")
        assert "out of range" in error_of(form, "port")
        await fill(pilot, form, port="3261", iser=True)
        assert "Listen on [::1]:3261 for iqn.2024-01.storage.oracle:rac/tpg1, iSER" in preview_of(form)
        await confirm(pilot)
    portals = {p.label: p for p in tpg(demo, RAC_IQN).portals}
    assert portals["[::1]:3261"].iser


# ---------------------------------------------------------------------------
# e: edit
# ---------------------------------------------------------------------------


async def test_edit_tpg(make_app, demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, RAC_TPG, "e")
        assert problem_of(form) == "Nothing changed yet."
        assert not confirm_enabled(form)
        await fill(pilot, form, login_timeout="99")
        assert "between 5 and 30" in error_of(form, "login_timeout")
        await fill(pilot, form, login_timeout="20", HeaderDigest="bogus")
        assert "HeaderDigest is a list of" in error_of(form, "HeaderDigest")
        await fill(pilot, form, HeaderDigest="CRC32C", generate_node_acls=True, enabled=False)
        assert "Disabling drops every session" in warnings_of(form)
        await confirm(pilot)
        await _type_to_confirm(pilot, "tpg1")  # the RAC node's session drops: its name is asked for
    rac = read_tpg_details(str(demo), tpg(demo, RAC_IQN))
    assert not rac.enabled
    assert rac.attributes.value("login_timeout") == "20"
    assert rac.attributes.value("generate_node_acls") == "1"
    assert rac.parameters.value("HeaderDigest") == "CRC32C"


async def test_edit_acl(make_app, demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, WEB_ACL, "e")
        assert form.query_one("#field-userid").value == "web01"
        assert form.query_one("#field-password").password
        await fill(pilot, form, cmdsn_depth="1000")
        assert "between 1 and 512" in error_of(form, "cmdsn_depth")
        await fill(pilot, form, cmdsn_depth="32", acl_tag="web", nopin_timeout="30",
                   mutual_userid="", mutual_password="")
        await confirm(pilot)
    acl = read_acl_details(str(demo), find_acl(tpg(demo, WEB_IQN), WEB_CLIENT))
    assert (acl.cmdsn_depth, acl.tag) == (32, "web")
    assert acl.attributes.value("nopin_timeout") == "30"
    assert acl.auth.userid == "web01" and not acl.auth.mutual


async def test_edit_mapped_lun_portal_backstore_and_discovery(make_app, demo):
    app = _pinned_clock(make_app())
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, f"{WEB_ACL}/mapped_lun0", "e")
        await fill(pilot, form, write_protect=True)
        await confirm(pilot)
        await _type_to_confirm(pilot, "mapped_lun0")  # web01, logged in, can no longer write to it
        form = await open_form(pilot, f"{WEB_TPG}/portals/0.0.0.0:3260", "e")
        await fill(pilot, form, offload=True)
        await confirm(pilot)
        form = await open_form(pilot, "/backstores/ramdisk/scratch", "e")
        assert form.spec.confirm == "Next"  # attributes, or one of its ALUA groups
        await fill(pilot, form, what="attributes")
        await confirm(pilot)
        form = app.screen
        await fill(pilot, form, queue_depth="abc")
        assert "whole number" in error_of(form, "queue_depth")
        await fill(pilot, form, queue_depth="64")
        await confirm(pilot)
        form = await open_form(pilot, "/iscsi", "e")
        await fill(pilot, form, enforce=True)
        assert "needs a CHAP user name and secret" in problem_of(form)
        await fill(pilot, form, userid="disc", password="discovery-secret")
        await confirm(pilot)
    cfg = read_config(str(demo), details=True)
    web = find_tpg(cfg, "iscsi", WEB_IQN, 1)
    assert find_acl(web, WEB_CLIENT).mapped_luns[0].write_protect
    assert web.portals[0].offload
    assert cfg.storage_object(("ramdisk", "scratch")).attributes.value("queue_depth") == "64"
    disc = cfg.fabric("iscsi").discovery_auth
    assert disc.enforce and disc.userid == "disc"


async def test_nothing_to_edit_or_add_says_why(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        seen = notices_from_now(app)
        await settle(pilot)
        for path, key, words in ((RAC, "e", "no rename"), (f"{RAC_TPG}/luns/lun0", "a", "Nothing can be added")):
            assert app.screen.tree.select_path(path)
            await settle(pilot)
            await pilot.press(key)
            await settle(pilot)
            assert app.screen is app.screen_stack[0]
            assert words in seen[-1][2], seen[-1]


# ---------------------------------------------------------------------------
# d: delete
# ---------------------------------------------------------------------------


async def _type_to_confirm(pilot, word: str) -> None:
    """The confirmation of a change that drops a session or takes a disk's writes: type the name, enter."""
    from sanctl.ui.screens.confirm import ConfirmScreen

    modal = pilot.app.screen
    assert isinstance(modal, ConfirmScreen) and modal.word == word, modal
    modal.query_one("#confirm-word").value = word
    await pilot.pause()
    modal.query_one("#confirm-word").focus()
    await pilot.press("enter")
    await settle(pilot, rounds=5)


def _pinned_clock(app):
    """The confirmation reads the live demo brought to "now": make now the live tests' fixed moment."""
    from sanctl.ui import panels

    from .live_helpers import Clocks

    clocks = Clocks()
    panels.configure(app, clock=lambda: clocks.mono, wall_clock=lambda: clocks.wall, autostart=False)
    return app


async def test_delete_lists_the_impact_with_cancel_focused(make_app, demo):
    from sanctl.ui.screens.confirm import ConfirmScreen

    app = _pinned_clock(make_app())
    before = saved_state(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.tree.select_path("/backstores/block/ora-ocr-1")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, ConfirmScreen)
        assert modal.focused.id == "confirm-cancel"
        body = "\n".join(modal.lines)
        assert "also removes 1 LUN and 2 mapped LUNs" in body
        assert f"mapped LUN 0 of {RAC_CLIENTS[1]}" in body
        await pilot.press("enter")  # on Cancel
        await settle(pilot)
        assert saved_state(demo) == before
        await pilot.press("delete")
        await settle(pilot)
        await pilot.press("y")  # not enough: this host's session loses the disk, the name must be typed
        await settle(pilot)
        assert app.screen is not app.screen_stack[0]
        app.screen.query_one("#confirm-word").focus()
        await pilot.press(*"ora-ocr-1", "enter")
        await settle(pilot, rounds=5)
    cfg = config(demo)
    assert cfg.storage_object(("block", "ora-ocr-1")) is None
    assert 0 not in {lun.index for lun in find_tpg(cfg, "iscsi", RAC_IQN, 1).luns}


async def test_deleting_a_target_needs_its_name_typed(make_app, demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.tree.select_path(f"/iscsi/{SCRATCH_IQN}")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        modal = app.screen
        ok = modal.query_one("#confirm-ok")
        assert ok.disabled
        await pilot.press("y")  # not enough
        await settle(pilot)
        assert app.screen is modal
        word = modal.query_one("#confirm-word")
        word.focus()
        await pilot.press(*"iqn.2024-01.com.example:scratc")
        assert ok.disabled
        await pilot.press("h")
        assert not ok.disabled
        await pilot.press("enter")
        await settle(pilot, rounds=5)
    assert find_target(config(demo), "iscsi", SCRATCH_IQN) is None


async def test_delete_on_a_list_says_what_to_select(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        seen = notices_from_now(app)
        await settle(pilot)
        assert app.screen.tree.select_path(f"{RAC_TPG}/luns")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert app.screen is app.screen_stack[0]
        assert "is a list" in seen[-1][2]


# ---------------------------------------------------------------------------
# outcomes: rollback, refusals, read-only
# ---------------------------------------------------------------------------


async def test_a_failed_step_rolls_back_and_says_so(make_app, demo):
    import errno

    app = make_app()
    before = saved_state(demo)
    async with app.run_test(size=SIZE) as pilot:
        seen = notices_from_now(app)
        form = await iscsi_target_form(pilot)
        await fill(pilot, form, wwn=NEW_IQN)
        app.screen_stack[0].writes.writer.fail_at = (4, OSError(errno.EADDRINUSE, "Address already in use"))
        await confirm(pilot)
        severity, title, message = seen[-1]
        assert (severity, title) == ("error", "Rolled back")
        assert message.startswith("rolled back: Nothing changed: change 4 of 5 failed")
        assert "portal 0.0.0.0:3260" in message and "already in use" in message
        assert "Traceback" not in message
        assert app.screen_stack[0].writes.last_report.outcome == "rolled back"
    assert saved_state(demo) == before


async def test_an_unexpected_error_is_a_sentence_naming_the_object(make_app, demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        seen = notices_from_now(app)
        form = await open_form(pilot, "/backstores/ramdisk")
        await fill(pilot, form, name="rd9", size="1M")
        app.screen_stack[0].writes.writer.fail_at = (1, RuntimeError("boom"))
        await confirm(pilot)
        message = seen[-1][2]
        assert "backstore ramdisk/rd9" in message and "internal error (RuntimeError: boom)" in message


async def test_the_lock_holder_is_named(make_app, demo):
    from sanctl.lio.lock import Holder, LockBusy
    from sanctl.lio.writer import LockedError

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        seen = notices_from_now(app)
        form = await open_form(pilot, "/backstores/ramdisk")
        await fill(pilot, form, name="rd9", size="1M")
        writer = app.screen_stack[0].writes.writer

        def locked(changes):
            raise LockedError(LockBusy("/var/run/targetcli.lock", (Holder(4242, "root", "targetcli", 0),), 0.3))

        writer.apply = locked
        await confirm(pilot)
        severity, title, message = seen[-1]
        assert severity == "error" and "held by" in message and "4242" in message


async def test_read_only_keys_say_why_and_open_nothing(make_app, demo):
    app = make_app(readonly=True, readonly_reason="not root")
    before = saved_state(demo)
    async with app.run_test(size=SIZE) as pilot:
        seen = notices_from_now(app)
        await settle(pilot)
        assert app.screen.tree.select_path(RAC_TPG)
        await settle(pilot)
        footer_keys = {key for key, b in app.screen.active_bindings.items() if b.binding.show}
        assert {"a", "e", "d", "s", "D"} <= footer_keys
        for key in ("a", "e", "d", "delete", "s", "R"):
            await pilot.press(key)
            await settle(pilot)
            assert len(app.screen_stack) == 1, key
            assert seen[-1] == ("warning", "Read-only", "read-only: not root"), key
    assert saved_state(demo) == before
    assert not (demo / "etc").exists()


async def test_deleting_anything_with_a_live_session_needs_its_name(make_app, demo):
    from sanctl.sim.live_files import acl_info
    from sanctl.ui.screens.confirm import ConfirmScreen

    from sanctl.sim.live import start_live_demo

    from .live_helpers import T0

    start_live_demo(demo, now=T0)  # the demo is live already: the confirmation reads what is there now
    info = demo / "sys/kernel/config/target/iscsi" / WEB_IQN / "tpgt_1/acls" / WEB_CLIENT / "info"
    info.chmod(0o644)
    info.write_text(acl_info(WEB_CLIENT, sid=3, tsih=1, connections=((1, "LOGGED_IN", "192.0.2.50", "TCP", 7),)))
    app = _pinned_clock(make_app())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.tree.select_path(f"{WEB_ACL}/mapped_lun0")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, ConfirmScreen) and modal.word == "mapped_lun0"
        assert f"  ! session of {WEB_CLIENT} from 192.0.2.50 on {WEB_IQN}/tpg1 loses LUN 0" in modal.lines
        assert modal.focused.id == "confirm-cancel"


async def test_enter_in_the_lun_form_confirms_it(make_app, demo):
    """The backstore list is the first field: enter confirms the form, space opens the list."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, f"{WEB_TPG}/luns")
        select = form.query_one("#field-storage_object")
        assert app.focused is select
        await pilot.press("space")
        await settle(pilot)
        assert select.expanded
        await pilot.press("escape")
        await settle(pilot)
        assert not select.expanded and app.screen is form
        await fill(pilot, form, storage_object="ramdisk/scratch")
        select.focus()
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is not form and not select.expanded
    web = tpg(demo, WEB_IQN)
    assert any(lun.storage_object == ("ramdisk", "scratch") for lun in web.luns)
