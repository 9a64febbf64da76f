"""The sim writer's loopback targets and ALUA groups: laid out as the kernel capture shows them,
read back with read_config, undone on failure, restored from a saveconfig file."""

from __future__ import annotations

import json
import os
import random
import stat

import pytest

from sanctl.sim import layout as L
from sanctl.sim.demo import RAC_IQN, WEB_IQN
from sanctl.sim.writer import SimWriter
from sanctl.lio import changes as C
from sanctl.lio import rebuild
from sanctl.lio.configfs import read_config
from sanctl.lio.impact import find_target, find_tpg, impact
from sanctl.lio.saveconfig import dump
from sanctl.lio.writer import COMPLETED, ROLLED_BACK_ALL

from .conftest import CFS, changed_paths, snapshot

LOOP = "naa.50014051e4b1334b"  # the capture's loopback target


def _ok(writer, changes):
    report = writer.apply(changes)
    assert report.outcome == COMPLETED, "\n".join(report.lines())
    return report


def _tree(base: str) -> dict[str, tuple]:
    """path -> (kind, mode) under ``base``."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(base):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            kind = "l" if stat.S_ISLNK(st.st_mode) else "d" if stat.S_ISDIR(st.st_mode) else "f"
            out[os.path.relpath(path, base)] = (kind, None if kind == "l" else stat.S_IMODE(st.st_mode))
        dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))]
    return out


def _text(path) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


# ---------------------------------------------------------------------------
# Loopback
# ---------------------------------------------------------------------------


def test_loopback_target_is_laid_out_like_the_kernels(tmp_path, kernel_capture):
    root = tmp_path / "sim"
    L.SimKernel.boot(root)
    writer = SimWriter(str(root), rng=random.Random(1))
    _ok(writer, [C.CreateRamdisk("loop-src", "16M"), *C.loopback_target(LOOP),
                 C.CreateLun(LOOP, 1, ("ramdisk", "loop-src"), index=0, alias="edbe80f7ab", fabric="loopback")])
    ours = os.path.join(root, CFS, "loopback")
    theirs = os.path.join(kernel_capture, CFS, "loopback")
    assert _tree(ours) == _tree(theirs)
    for rel in ("version", f"{LOOP}/param/cmd_completion_affinity", f"{LOOP}/tpgt_1/attrib/fabric_prot_type",
                f"{LOOP}/tpgt_1/transport_status", f"{LOOP}/tpgt_1/lun/lun_0/alua_tg_pt_gp",
                *(f"{LOOP}/tpgt_1/lun/lun_0/statistics/{f}" for f in (
                    "scsi_transport/device", "scsi_transport/proto_id", "scsi_transport/indx",
                    "scsi_tgt_port/name", "scsi_tgt_port/port_index", "scsi_port/indx"))):
        assert _text(os.path.join(ours, rel)) == _text(os.path.join(theirs, rel)), rel
    assert _text(os.path.join(ours, LOOP, "tpgt_1/address")).endswith(":0:1\n")
    nexus = _text(os.path.join(ours, LOOP, "tpgt_1/nexus")).strip()
    assert nexus.startswith("naa.5001405") and len(nexus) == 20
    # the backstore lists the loopback LUN in its ALUA members, as the kernel does
    members = _text(os.path.join(root, CFS, "core/rd_mcp_0/loop-src/alua/default_tg_pt_gp/members"))
    assert members == f"loopback/{LOOP}/tpgt_1/lun_0\n\0"
    config = read_config(str(root), details=True)
    tpg = find_tpg(config, "loopback", LOOP, 1)
    assert tpg.nexus == nexus and [lun.storage_object for lun in tpg.luns] == [("ramdisk", "loop-src")]
    t = next(t for t in dump(config)["targets"] if t["fabric"] == "loopback")
    assert t["tpgs"][0]["enable"] is True and t["tpgs"][0]["attributes"] == {"fabric_prot_type": 0}


def test_loopback_target_on_the_demo_leaves_the_rest_alone_and_deletes_cleanly(writer, demo):
    before = snapshot(demo)
    _ok(writer, [*C.loopback_target(LOOP), C.CreateLun(LOOP, 1, ("ramdisk", "scratch"), fabric="loopback")])
    config = read_config(str(demo), details=True)
    assert find_target(config, "loopback", LOOP) is not None
    assert read_config(str(demo)).storage_object(("ramdisk", "scratch")).activated
    found = impact(config, C.DeleteTarget(LOOP, "loopback"))
    assert found.count("lun") == 1 and found.count("tpg") == 1
    assert not any(isinstance(s, C.SetTpgEnabled) for s in found.steps)  # no enable switch to turn off
    _ok(writer, [C.confirmed(C.DeleteTarget(LOOP, "loopback"), found)])
    # the module stays loaded (loopback/ with its version), everything else is as it was
    assert [p for p in changed_paths(before, snapshot(demo)) if not p.startswith("loopback")] == []
    assert find_target(read_config(str(demo)), "loopback", LOOP) is None


def test_a_loopback_target_has_one_tpg_and_no_acls_or_portals(writer):
    _ok(writer, C.loopback_target(LOOP))
    report = writer.apply([C.CreateTpg(LOOP, 2, fabric="loopback")])
    assert report.outcome == ROLLED_BACK_ALL and "only one TPG" in str(report.error)
    report = writer.apply([C.SetTpgEnabled(LOOP, 1, False, fabric="loopback")])
    assert report.outcome == ROLLED_BACK_ALL and "cannot be disabled" in str(report.error)
    assert writer.apply([C.SetTpgEnabled(LOOP, 1, True, fabric="loopback")]).ok
    with pytest.raises(Exception, match="no ACLs"):
        C.CreateAcl(LOOP, 1, "naa.5001405aaaaaaaaa", fabric="loopback")


def test_a_failed_loopback_transaction_is_undone(writer, demo):
    before = snapshot(demo)
    report = writer.apply([*C.loopback_target(LOOP), C.CreateLun(LOOP, 1, ("ramdisk", "nosuch"), fabric="loopback")])
    assert report.outcome == ROLLED_BACK_ALL
    assert [p for p in changed_paths(before, snapshot(demo)) if not p.startswith("loopback")] == []
    assert find_target(read_config(str(demo)), "loopback", LOOP) is None


def test_other_fabrics_are_refused_in_the_demo(writer):
    report = writer.apply([C.CreateTarget("naa.5001405abcdef012", "vhost")])
    assert report.outcome == ROLLED_BACK_ALL and "not available in the demo SAN" in str(report.error)
    assert writer.available_fabrics() == ("iscsi", "loopback")


def test_attach_finds_loopback_targets_again(writer, demo):
    _ok(writer, [C.CreateRamdisk("lr", "4M"), *C.loopback_target(LOOP),
                 C.CreateLun(LOOP, 1, ("ramdisk", "lr"), fabric="loopback")])
    k = L.SimKernel.attach(demo)
    assert LOOP in k.loopback
    dev = k.device("ramdisk", "lr")
    assert dev.exports == [(LOOP, 1, 0)] and dev.export_fabric[(LOOP, 1, 0)] == "loopback"
    assert dev.members == {"default_tg_pt_gp": [(LOOP, 1, 0)]}
    _ok(writer, [C.DeleteLun(LOOP, 1, 0, fabric="loopback")])  # a new session attaches again
    assert not read_config(str(demo)).storage_object(("ramdisk", "lr")).activated


# ---------------------------------------------------------------------------
# Exclusive block devices, fileio aio
# ---------------------------------------------------------------------------


def test_shared_block_device_needs_a_newer_kernel(writer, demo):
    before = snapshot(demo)
    report = writer.apply([C.CreateBlock("shared", "/dev/vg_san/spare-1", exclusive=False)])
    assert report.outcome == ROLLED_BACK_ALL and "exclusive=false not supported" in str(report.error)
    assert changed_paths(before, snapshot(demo)) == []


def test_fileio_aio_reads_back(writer, demo):
    _ok(writer, [C.CreateFileio("fa", "/srv/fa.img", "8M", aio=True)])
    so = read_config(str(demo)).storage_object(("fileio", "fa"))
    assert so.aio is True
    d = next(s for s in dump(read_config(str(demo), details=True))["storage_objects"] if s["name"] == "fa")
    assert d["aio"] is True
    assert rebuild.storage_object(d)[0].aio is True


def test_lun_alias_is_the_link_name(writer, demo):
    _ok(writer, [C.CreateLun(WEB_IQN, 1, ("ramdisk", "scratch"), index=9, alias="my-link")])
    lun = next(x for x in find_tpg(read_config(str(demo)), "iscsi", WEB_IQN, 1).luns if x.index == 9)
    assert lun.alias == "my-link"


# ---------------------------------------------------------------------------
# ALUA groups
# ---------------------------------------------------------------------------


def _groups(demo, key):
    so = read_config(str(demo), details=True).storage_object(key)
    return {g.name: g for g in so.alua_groups}


def _lun_group(demo, wwn, tag, index):
    config = read_config(str(demo), details=True)
    return next(x for x in find_tpg(config, "iscsi", wwn, tag).luns if x.index == index).alua_tg_pt_gp_name


def _rac_lun0(demo):
    """The RAC target's LUN 0 and its backstore."""
    config = read_config(str(demo))
    lun = next(x for x in find_tpg(config, "iscsi", RAC_IQN, 1).luns if x.index == 0)
    return lun.storage_object


def test_alua_group_create_set_join_leave_delete(writer, demo):
    key = _rac_lun0(demo)
    plugin, name = key
    _ok(writer, [C.CreateAluaGroup(plugin, name, "site_b", 2),
                 C.alua_group_parameter(plugin, name, "site_b", "alua_access_state", "Standby"),
                 C.alua_group_parameter(plugin, name, "site_b", "preferred", 1),
                 C.SetLunAluaGroup(RAC_IQN, 1, 0, "site_b")])
    g = _groups(demo, key)["site_b"]
    assert g.tg_pt_gp_id == 2
    assert g.settings.value("alua_access_state") == "2" and g.settings.value("preferred") == "1"
    assert g.settings.value("alua_access_status") == "Altered by Implicit ALUA"
    assert _lun_group(demo, RAC_IQN, 1, 0) == "site_b"
    so_path = os.path.join(demo, CFS, read_config(str(demo)).storage_object(key).path)
    assert _text(os.path.join(so_path, "alua/site_b/members")) == f"iSCSI/{RAC_IQN}/tpgt_1/lun_0\n\0"
    default_members = _text(os.path.join(so_path, "alua/default_tg_pt_gp/members")).replace("\0", "").split()
    assert f"iSCSI/{RAC_IQN}/tpgt_1/lun_0" not in default_members
    lun_text = _text(os.path.join(demo, CFS, f"iscsi/{RAC_IQN}/tpgt_1/lun/lun_0/alua_tg_pt_gp"))
    assert lun_text.startswith("TG Port Alias: site_b\nTG Port Group ID: 2\nTG Port Primary Access State: Standby\n")
    # the dump has it as rtslib-fb writes it
    d = next(s for s in dump(read_config(str(demo), details=True))["storage_objects"]
             if (s["plugin"], s["name"]) == key)
    site_b = next(g for g in d["alua_tpgs"] if g["name"] == "site_b")
    assert (site_b["tg_pt_gp_id"], site_b["alua_access_state"], site_b["alua_access_type"], site_b["preferred"]) \
        == (2, 2, 3, 1)
    # back to the default group, then delete: the LUN stays
    _ok(writer, [C.SetLunAluaGroup(RAC_IQN, 1, 0, C.DEFAULT_ALUA_GROUP)])
    _ok(writer, [C.SetLunAluaGroup(RAC_IQN, 1, 0, "site_b")])
    found = impact(read_config(str(demo), details=True), C.DeleteAluaGroup(plugin, name, "site_b"))
    assert found.notes == (f"LUN 0 of {RAC_IQN}/tpg1 returns to default_tg_pt_gp",)
    _ok(writer, [C.DeleteAluaGroup(plugin, name, "site_b")])
    assert set(_groups(demo, key)) == {"default_tg_pt_gp"}
    assert _lun_group(demo, RAC_IQN, 1, 0) == "default_tg_pt_gp"


def test_alua_refusals_are_the_kernels(writer, demo):
    plugin, name = _rac_lun0(demo)
    _ok(writer, [C.CreateAluaGroup(plugin, name, "g1", 5)])
    for changes, cause in (
        ([C.CreateAluaGroup(plugin, name, "g2", 5)], "has id 5 already"),
        ([C.CreateAluaGroup(plugin, name, "g1", 6)], "already exists"),
        ([C.SetLunAluaGroup(RAC_IQN, 1, 0, "nosuch")], "no ALUA group nosuch"),
        ([C.alua_group_parameter(plugin, name, "g1", "alua_access_type", 2),
          C.alua_group_parameter(plugin, name, "g1", "alua_access_state", 1)], "implicit"),
        ([C.CreateAluaGroup("pscsi", "nosuch", "g", 1)], "does not exist"),
    ):
        before = snapshot(demo)
        report = writer.apply(changes)
        assert report.outcome == ROLLED_BACK_ALL and cause in str(report.error), report.lines()
        assert changed_paths(before, snapshot(demo)) == []


def test_deleting_a_backstore_takes_its_alua_groups_and_the_undo_puts_them_back(writer, demo):
    key = _rac_lun0(demo)
    plugin, name = key
    _ok(writer, [C.CreateAluaGroup(plugin, name, "site_b", 2),
                 C.alua_group_parameter(plugin, name, "site_b", "alua_access_state", 1),
                 C.SetLunAluaGroup(RAC_IQN, 1, 0, "site_b")])
    before = _canon_dump(demo)
    found = impact(read_config(str(demo), details=True), C.DeleteStorageObject(plugin, name))
    assert "1 ALUA group" in found.summary() and "  ~ its ALUA group site_b" in found.lines()
    assert isinstance(found.steps[-2], C.DeleteAluaGroup) and isinstance(found.steps[-1], C.DeleteStorageObject)
    # the delete goes through, then the next change fails: everything is put back
    report = writer.apply([C.confirmed(C.DeleteStorageObject(plugin, name), impact(read_config(str(demo)),
                                       C.DeleteStorageObject(plugin, name))),
                           C.CreateLun(RAC_IQN, 1, ("ramdisk", "nosuch"))])
    assert report.outcome == ROLLED_BACK_ALL, report.lines()
    assert _groups(demo, key)["site_b"].settings.value("alua_access_state") == "1"
    assert _lun_group(demo, RAC_IQN, 1, 0) == "site_b"
    assert _canon_dump(demo) == before
    # and the delete alone removes both
    _ok(writer, [C.confirmed(C.DeleteStorageObject(plugin, name),
                             impact(read_config(str(demo)), C.DeleteStorageObject(plugin, name)))])
    assert read_config(str(demo)).storage_object(key) is None


def _strip(v):
    if isinstance(v, dict):
        return {k: _strip(x) for k, x in v.items() if k != "alias"}
    if isinstance(v, list):
        return [_strip(x) for x in v]
    return v


def _canon(v):
    if isinstance(v, dict):
        return {k: _canon(x) for k, x in v.items()}
    if isinstance(v, list):
        return sorted((_canon(x) for x in v), key=lambda x: json.dumps(x, sort_keys=True))
    return v


def _canon_dump(demo):
    return _canon(_strip(json.loads(json.dumps(dump(read_config(str(demo), details=True))))))


def test_restore_rebuilds_alua_groups_and_membership(writer, demo):
    key = _rac_lun0(demo)
    plugin, name = key
    _ok(writer, [C.CreateAluaGroup(plugin, name, "site_b", 2),
                 C.alua_group_parameter(plugin, name, "site_b", "alua_access_state", 2),
                 C.alua_group_parameter(plugin, name, "site_b", "nonop_delay_msecs", 250),
                 C.SetLunAluaGroup(RAC_IQN, 1, 0, "site_b"),
                 *C.loopback_target(LOOP), C.CreateLun(LOOP, 1, ("ramdisk", "scratch"), fabric="loopback")])
    saved = json.loads(json.dumps(dump(read_config(str(demo), details=True))))
    plan = rebuild.plan(saved)
    assert not any(g.warnings or g.error for g in plan), [(g.label, g.warnings, g.error) for g in plan]
    errors = writer.restore(saved)
    assert errors == []
    assert _groups(demo, key)["site_b"].settings.value("nonop_delay_msecs") == "250"
    assert _lun_group(demo, RAC_IQN, 1, 0) == "site_b"
    assert _canon_dump(demo) == _canon(_strip(saved))
