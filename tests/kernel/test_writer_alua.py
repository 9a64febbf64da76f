"""ALUA target port groups, LUN membership, block `exclusive`, fileio `aio` and LUN aliases
through rtslib-fb on the real kernel, read back with sanctl's reader; a restore from a
saveconfig file (sanctl's path and targetctl's) rebuilds the groups and their members."""

from __future__ import annotations

import json

import pytest

from test_writer_ops import MiB, T, canonical, config, ok

pytestmark = pytest.mark.kernel


@pytest.fixture
def writer(lab):
    from sanctl.lio.rtslib_writer import RtslibWriter

    lab.rtsroot()
    return RtslibWriter("/", lock_timeout=1.0)


def _group(found, key, name):
    so = found.storage_object(key)
    return next((g for g in so.alua_groups if g.name == name), None)


def _lun(found, index, wwn=T, fabric="iscsi"):
    from sanctl.lio.impact import find_tpg

    return next(x for x in find_tpg(found, fabric, wwn, 1).luns if x.index == index)


def test_alua_groups_on_the_kernel(lab, writer):
    from sanctl.lio import changes as C
    from sanctl.lio.impact import impact

    ok(writer, [
        C.CreateRamdisk("a-ram", "8M"),
        *C.targetcli_iscsi_target(T, portal=None),
        C.CreateLun(T, 1, ("ramdisk", "a-ram"), index=0),
        C.CreateAluaGroup("ramdisk", "a-ram", "site_b", 2),
        C.alua_group_parameter("ramdisk", "a-ram", "site_b", "alua_access_state", "Standby"),
        C.alua_group_parameter("ramdisk", "a-ram", "site_b", "preferred", 1),
        C.alua_group_parameter("ramdisk", "a-ram", "site_b", "nonop_delay_msecs", 250),
        C.SetLunAluaGroup(T, 1, 0, "site_b"),
    ])
    found = config()
    g = _group(found, ("ramdisk", "a-ram"), "site_b")
    assert g.tg_pt_gp_id == 2
    assert (g.settings.value("alua_access_state"), g.settings.value("preferred"),
            g.settings.value("nonop_delay_msecs")) == ("2", "1", "250")
    assert g.settings.value("alua_access_status") == "Altered by Implicit ALUA"  # the sim says the same
    assert _lun(found, 0).alua_tg_pt_gp_name == "site_b"

    # the kernel's refusals are reported, and nothing stays half-done
    for changes, cause in (
        ([C.CreateAluaGroup("ramdisk", "a-ram", "other", 2)], "has id 2 already"),
        ([C.SetLunAluaGroup(T, 1, 0, "nosuch")], "no ALUA group nosuch"),
        ([C.alua_group_parameter("ramdisk", "a-ram", "site_b", "alua_access_type", 2),
          C.alua_group_parameter("ramdisk", "a-ram", "site_b", "alua_access_state", 1)], ""),
    ):
        report = writer.apply(changes)
        assert report.outcome == "rolled back" and cause in str(report.error), report.lines()
    assert _group(config(), ("ramdisk", "a-ram"), "site_b").settings.value("alua_access_type") == \
        "Implicit and Explicit"

    # deleting the group puts the LUN back in default_tg_pt_gp
    found = impact(config(), C.DeleteAluaGroup("ramdisk", "a-ram", "site_b"))
    assert found.notes == (f"LUN 0 of {T}/tpg1 returns to default_tg_pt_gp",)
    ok(writer, [C.DeleteAluaGroup("ramdisk", "a-ram", "site_b")])
    after = config()
    assert _group(after, ("ramdisk", "a-ram"), "site_b") is None
    assert _lun(after, 0).alua_tg_pt_gp_name == "default_tg_pt_gp"

    # a backstore with a group: its delete takes the group (rtslib-fb's order), its undo rebuilds it
    ok(writer, [C.CreateAluaGroup("ramdisk", "a-ram", "g3", 3), C.SetLunAluaGroup(T, 1, 0, "g3")])
    before = json.dumps(canonical(_strip_dump(config())))
    report = writer.apply([C.DeleteStorageObject("ramdisk", "a-ram"), C.CreateLun(T, 1, ("ramdisk", "nosuch"))])
    assert report.outcome == "rolled back", report.lines()
    assert json.dumps(canonical(_strip_dump(config()))) == before
    ok(writer, [C.DeleteStorageObject("ramdisk", "a-ram")])
    assert config().storage_object(("ramdisk", "a-ram")) is None


def _strip_dump(found):
    from sanctl.lio.saveconfig import dump

    def strip(v):
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items() if k != "alias"}
        if isinstance(v, list):
            return [strip(x) for x in v]
        return v

    return strip(json.loads(json.dumps(dump(found))))


def test_restore_rebuilds_alua_groups_through_sanctl_and_rtslib(lab, writer, tmp_path):
    """sanctl's saveconfig.json with ALUA groups: the writer's restore (the plan, one rtslib-fb call
    per step) and the rebuild changes of each object bring back the same groups and LUN membership."""
    from sanctl.lio import changes as C
    from sanctl.lio import rebuild
    from sanctl.lio.saveconfig import dump

    ok(writer, [
        C.CreateRamdisk("r-ram", "8M"),
        *C.targetcli_iscsi_target(T, portal=None),
        C.CreateLun(T, 1, ("ramdisk", "r-ram"), index=4),
        C.CreateAluaGroup("ramdisk", "r-ram", "site_b", 7),
        C.alua_group_parameter("ramdisk", "r-ram", "site_b", "alua_access_state", 1),
        C.SetLunAluaGroup(T, 1, 4, "site_b"),
    ])
    saved = json.loads(json.dumps(dump(config())))
    assert not any(g.error or g.warnings for g in rebuild.plan(saved))
    want = canonical(_strip_dump(config()))
    # the writer's restore: the plan from an empty configuration
    lab.rtsroot().clear_existing(confirm=True)
    errors = writer.restore(saved)
    assert errors == [], errors
    assert canonical(_strip_dump(config())) == want
    # sanctl's rebuild path (the sim's restore) applied to the real kernel
    lab.rtsroot().clear_existing(confirm=True)
    for group in rebuild.plan(saved):
        if group.changes:
            ok(writer, list(group.changes))
    assert canonical(_strip_dump(config())) == want
    assert _lun(config(), 4).alua_tg_pt_gp_name == "site_b"


def test_exclusive_aio_and_lun_alias(lab, writer):
    """Block `exclusive`: rtslib-fb 2.2 has it, this 6.1 kernel always opens exclusively
    (exclusive=false needs 6.17), so it is refused as the sim refuses it."""
    from sanctl.lio import changes as C

    loop = lab.loop("ex-blk.img", 16 * MiB)
    report = writer.apply([C.CreateBlock("shared", loop, exclusive=False)])
    assert report.outcome == "rolled back" and "exclusive=false not supported" in str(report.error)
    assert config().storage_object(("block", "shared")) is None
    ok(writer, [
        C.CreateBlock("excl", loop, exclusive=True),
        C.CreateFileio("aio-file", str(lab.tmp / "aio.img"), "8M", aio=True),
        *C.targetcli_iscsi_target(T, portal=None),
        C.CreateLun(T, 1, ("fileio", "aio-file"), index=0, alias="my_alias"),
    ])
    found = config()
    assert found.storage_object(("block", "excl")).exclusive is True
    assert found.storage_object(("fileio", "aio-file")).aio is True
    assert _lun(found, 0).alias == "my_alias"
