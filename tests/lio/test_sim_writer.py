"""The sim writer on the demo SAN: every operation read back with read_config,
preconditions re-checked before each write, rollback, read-only and targetcli's lock."""

from __future__ import annotations

import errno
import os
import random

import pytest

from sanctl.sim.demo import RAC_CLIENTS, RAC_IQN, SCRATCH_IQN, WEB_CLIENT, WEB_IQN
from sanctl.sim.writer import SimWriter
from sanctl.lio import changes as C
from sanctl.lio.configfs import read_config
from sanctl.lio.impact import find_acl, find_target, find_tpg, impact
from sanctl.lio.saveconfig import dump
from sanctl.lio.writer import (
    COMPLETED,
    ROLLBACK_INCOMPLETE,
    ROLLED_BACK_ALL,
    LockedError,
    ReadOnlyError,
)

from .conftest import canonical, changed_paths, snapshot

NEW = "iqn.2024-01.com.example:new"
HOST = "iqn.2024-01.com.example:host1"
HOST2 = "iqn.2024-01.com.example:host2"


def _ok(writer, changes):
    report = writer.apply(changes)
    assert report.outcome == COMPLETED, "\n".join(report.lines())
    return report


def _tpg(root, wwn=NEW, tag=1):
    return find_tpg(read_config(str(root), details=True), "iscsi", wwn, tag)


def _new_target(writer, *extra):
    return _ok(writer, [*C.targetcli_iscsi_target(NEW, portal=("127.0.0.1", 3260)), *extra])


# ---------------------------------------------------------------------------
# Storage objects
# ---------------------------------------------------------------------------


def test_block_backstore_on_a_new_device(writer, demo):
    _ok(writer, [C.CreateBlock("lv9", "/dev/vg_san/lv9", readonly=True, wwn="serial-lv9")])
    so = read_config(str(demo)).storage_object(("block", "lv9"))
    assert (so.dev, so.wwn, so.readonly, so.size) == ("/dev/vg_san/lv9", "serial-lv9", True, 10 << 30)


def test_block_device_already_used_is_refused_by_the_kernel(writer, demo):
    report = writer.apply([C.CreateBlock("again", "/dev/vg_san/ora-ocr-1")])
    assert report.outcome == ROLLED_BACK_ALL
    assert "in use" in str(report.error) and "backstore block/again" in str(report.error)
    assert read_config(str(demo)).storage_object(("block", "again")) is None


def test_fileio_creates_a_sparse_file_under_the_demo_root(writer, demo):
    report = _ok(writer, [C.CreateFileio("f1", "/srv/new/f1.img", "64M", write_back=True)])
    assert [s.change.describe() for s in report.steps][0].startswith("Create sparse file /srv/new/f1.img")
    path = demo / "srv/new/f1.img"
    assert path.stat().st_size == 64 << 20 and path.stat().st_blocks == 0
    so = read_config(str(demo)).storage_object(("fileio", "f1"))
    assert (so.dev, so.size, so.write_back) == ("/srv/new/f1.img", 64 << 20, True)


def test_fileio_on_an_existing_file_takes_its_size(writer, demo):
    (demo / "srv").mkdir()
    (demo / "srv/old.img").write_bytes(b"\0" * 8192)
    report = _ok(writer, [C.CreateFileio("old", "/srv/old.img", "1G")])
    assert "its size, 8 KiB, is used" in report.steps[0].note
    assert read_config(str(demo)).storage_object(("fileio", "old")).size == 8192


def test_fileio_without_size_for_a_missing_file_is_refused(writer, demo):
    report = writer.apply([C.CreateFileio("nofile", "/srv/none.img")])
    assert report.outcome == ROLLED_BACK_ALL and "give a size" in str(report.error)


def test_ramdisk_pscsi_and_user_backstores(writer, demo):
    _ok(writer, [
        C.CreateRamdisk("null1", "32M", nullio=True, wwn="nullserial"),
        C.CreatePscsi("tape", "/dev/sg3"),
        C.CreateUser("rbd1", "rbd", "pool/img", "2G"),
    ])
    config = read_config(str(demo))
    ram = config.storage_object(("ramdisk", "null1"))
    assert (ram.size, ram.nullio, ram.wwn) == (32 << 20, True, "nullserial")
    assert config.storage_object(("pscsi", "tape")).dev == "/dev/sg3"
    user = config.storage_object(("user", "rbd1"))
    assert (user.config, user.size) == ("rbd/pool/img", 2 << 30)


def test_storage_object_attribute_and_its_undo_value(writer, demo):
    report = _ok(writer, [C.backstore_attribute("fileio", "web-data", "emulate_tpu", 1)])
    config = read_config(str(demo), details=True)
    assert config.storage_object(("fileio", "web-data")).attributes.value("emulate_tpu") == "1"
    again = _ok(writer, [C.backstore_attribute("fileio", "web-data", "emulate_tpu", 1)])
    assert again.message().startswith("Nothing changed")
    assert report.steps[0].status == "done" and again.steps[0].status == "unchanged"


def test_a_ramdisk_cannot_emulate_unmap_as_on_the_kernel(writer):
    report = writer.apply([C.backstore_attribute("ramdisk", "scratch", "emulate_tpu", 1)])
    assert report.outcome == ROLLED_BACK_ALL and "Function not implemented" in str(report.error)


def test_kernel_refusal_is_a_sentence_naming_the_object(writer):
    report = writer.apply([C.backstore_attribute("block", "ora-ocr-1", "block_size", 4096)])
    assert report.outcome == ROLLED_BACK_ALL
    assert str(report.error).startswith("attribute block_size of backstore block/ora-ocr-1:")
    assert "exported" in str(report.error) and "Traceback" not in report.message()


def test_deleting_a_backstore_used_in_three_targets_removes_all_its_luns(writer, demo):
    _ok(writer, [C.CreateLun(WEB_IQN, 1, ("ramdisk", "scratch")), C.CreateLun(RAC_IQN, 1, ("ramdisk", "scratch"))])
    config = read_config(str(demo))
    found = impact(config, C.DeleteStorageObject("ramdisk", "scratch"))
    assert found.count("lun") == 3 and "(LUNs in 3 targets)" in found.summary()
    assert found.count("mapped_lun") == 1 + len(RAC_CLIENTS)  # web01 and both RAC clients got it mapped
    _ok(writer, [C.confirmed(C.DeleteStorageObject("ramdisk", "scratch"), found)])
    config = read_config(str(demo))
    assert config.storage_object(("ramdisk", "scratch")) is None
    assert not config.users_of(("ramdisk", "scratch"))
    for target in config.targets:
        for tpg in target.tpgs:
            luns = {lun.index for lun in tpg.luns}
            for acl in tpg.acls:
                assert all(m.tpg_lun in luns for m in acl.mapped_luns)


# ---------------------------------------------------------------------------
# Targets, TPGs, LUNs, ACLs, mapped LUNs, portals, auth
# ---------------------------------------------------------------------------


def test_targetcli_style_target_reads_back(writer, demo):
    _new_target(writer)
    tpg = _tpg(demo)
    assert tpg.enabled and tpg.attributes.value("authentication") == "0"
    assert [(p.ip_address, p.port) for p in tpg.portals] == [("127.0.0.1", 3260)]


def test_generated_target_name(writer, demo):
    change = C.CreateTarget()
    _ok(writer, [change])
    assert find_target(read_config(str(demo)), "iscsi", change.target) is not None


def test_tpgs_take_the_next_free_tag_and_enable_disable(writer, demo):
    _new_target(writer)
    report = _ok(writer, [C.CreateTpg(NEW), C.CreateTpg(NEW)])
    assert [s.change.tpg for s in report.steps] == [2, 3]
    _ok(writer, [C.SetTpgEnabled(NEW, 1, False), C.SetTpgEnabled(NEW, 3, True)])
    target = find_target(read_config(str(demo)), "iscsi", NEW)
    assert {t.tag: t.enabled for t in target.tpgs} == {1: False, 2: False, 3: True}
    _ok(writer, [C.DeleteTpg(NEW, 2)])
    assert {t.tag for t in find_target(read_config(str(demo)), "iscsi", NEW).tpgs} == {1, 3}


def test_tpg_attributes_parameters_and_the_kernels_side_effects(writer, demo):
    _new_target(writer)
    _ok(writer, [
        C.tpg_attribute(NEW, 1, "generate_node_acls", 1),
        C.tpg_attribute(NEW, 1, "demo_mode_write_protect", 0),
        C.tpg_parameter(NEW, 1, "HeaderDigest", "CRC32C"),
        C.tpg_parameter(NEW, 1, "TargetAlias", "my disks"),
        C.tpg_attribute(NEW, 1, "authentication", 1),
    ])
    tpg = _tpg(demo)
    assert tpg.attributes.value("cache_dynamic_acls") == "1"  # the kernel turns it on with generate_node_acls
    assert tpg.parameters.value("HeaderDigest") == "CRC32C"
    assert tpg.parameters.value("TargetAlias") == "my disks"
    assert tpg.parameters.value("AuthMethod") == "CHAP"


def test_tpg_and_discovery_auth(writer, demo):
    _new_target(writer)
    _ok(writer, [
        C.SetTpgAuth(NEW, 1, C.Chap("demo-user", "demo-secret-12", "tgt-user", "tgt-secret-123")),
        C.SetDiscoveryAuth(C.Chap("disc", "disc-secret-12"), enforce=True),
    ])
    config = read_config(str(demo), details=True)
    auth = find_tpg(config, "iscsi", NEW, 1).auth
    assert (auth.userid, auth.password.reveal(), auth.mutual_userid, auth.authenticate_target) == \
        ("demo-user", "demo-secret-12", "tgt-user", True)
    disc = config.fabric("iscsi").discovery_auth
    assert (disc.userid, disc.password.reveal(), disc.enforce) == ("disc", "disc-secret-12", True)
    _ok(writer, [C.SetDiscoveryAuth(C.NO_CHAP, enforce=False), C.SetTpgAuth(NEW, 1, C.NO_CHAP)])
    config = read_config(str(demo), details=True)
    assert not config.fabric("iscsi").discovery_auth.enforce
    assert not config.fabric("iscsi").discovery_auth.userid
    assert find_tpg(config, "iscsi", NEW, 1).auth.summary() == "no CHAP"


def test_luns_are_mapped_to_existing_acls_by_default(writer, demo):
    _new_target(writer, C.CreateAcl(NEW, 1, HOST), C.CreateAcl(NEW, 1, HOST2))
    _ok(writer, [C.CreateRamdisk("r0", "8M"), C.CreateRamdisk("r1", "8M"), C.CreateRamdisk("r2", "8M")])
    _ok(writer, [C.CreateLun(NEW, 1, ("ramdisk", "r0"))])
    # host2 already shows LUN 0 as its mapped LUN 1: the next LUN cannot take number 1 there.
    _ok(writer, [C.CreateMappedLun(NEW, 1, HOST2, 1, 0)])
    _ok(writer, [C.CreateLun(NEW, 1, ("ramdisk", "r1"), alias="mylink"),
                 C.CreateLun(NEW, 1, ("ramdisk", "r2"), index=7, map_to_acls=False)])
    tpg = _tpg(demo)
    assert {lun.index: lun.storage_object for lun in tpg.luns} == {
        0: ("ramdisk", "r0"), 1: ("ramdisk", "r1"), 7: ("ramdisk", "r2")}
    assert next(lun for lun in tpg.luns if lun.index == 1).alias == "mylink"
    host = {m.index: m.tpg_lun for m in find_acl(tpg, HOST).mapped_luns}
    host2 = {m.index: m.tpg_lun for m in find_acl(tpg, HOST2).mapped_luns}
    assert host == {0: 0, 1: 1}
    assert host2 == {0: 0, 1: 0, 2: 1}  # number 1 was taken there: the lowest free one


def test_exporting_a_backstore_twice_in_one_tpg_is_refused(writer, demo):
    report = writer.apply([C.CreateLun(RAC_IQN, 1, ("block", "ora-ocr-1"))])
    assert report.outcome == ROLLED_BACK_ALL and "already LUN 0" in str(report.error)


def test_acls_map_all_luns_tags_attributes_depth_and_chap(writer, demo):
    _ok(writer, [C.CreateAcl(RAC_IQN, 1, HOST, acl_tag="rac_nodes"),
                 C.acl_attribute(RAC_IQN, 1, HOST, "nopin_timeout", 20),
                 C.SetAclCmdsnDepth(RAC_IQN, 1, HOST, 128),
                 C.SetAclAuth(RAC_IQN, 1, HOST, C.Chap("host1", "host1-secret-1", "rac", "rac-secret-123"))])
    acl = find_acl(find_tpg(read_config(str(demo), details=True), "iscsi", RAC_IQN, 1), HOST)
    assert {m.index: m.tpg_lun for m in acl.mapped_luns} == {i: i for i in range(6)}
    assert (acl.tag, acl.cmdsn_depth, acl.attributes.value("nopin_timeout")) == ("rac_nodes", 128, "20")
    assert acl.auth.mutual and acl.auth.authenticate_target
    _ok(writer, [C.SetAclTag(RAC_IQN, 1, HOST, None)])
    acl = find_acl(find_tpg(read_config(str(demo)), "iscsi", RAC_IQN, 1), HOST)
    assert acl.tag is None


def test_mapped_luns_write_protect_and_delete(writer, demo):
    _ok(writer, [C.CreateMappedLun(WEB_IQN, 1, WEB_CLIENT, 9, 0, write_protect=True)])
    acl = find_acl(_tpg(demo, WEB_IQN), WEB_CLIENT)
    assert {(m.index, m.tpg_lun, m.write_protect) for m in acl.mapped_luns} == {(0, 0, False), (9, 0, True)}
    _ok(writer, [C.SetMappedLunWriteProtect(WEB_IQN, 1, WEB_CLIENT, 9, False), C.DeleteMappedLun(WEB_IQN, 1, WEB_CLIENT, 0)])
    acl = find_acl(_tpg(demo, WEB_IQN), WEB_CLIENT)
    assert {(m.index, m.write_protect) for m in acl.mapped_luns} == {(9, False)}


def test_mapping_a_missing_tpg_lun_is_refused(writer):
    report = writer.apply([C.CreateMappedLun(WEB_IQN, 1, WEB_CLIENT, 4, 42)])
    assert "LUN 42 of" in str(report.error) and "does not exist" in str(report.error)


def test_portals_ipv4_ipv6_iser_offload(writer, demo):
    _new_target(writer)
    _ok(writer, [C.CreatePortal(NEW, 1, "::1", 3261, iser=True), C.CreatePortal(NEW, 1, "10.0.0.1", offload=True)])
    portals = {(p.ip_address, p.port): (p.iser, p.offload) for p in _tpg(demo).portals}
    assert portals == {("127.0.0.1", 3260): (False, False), ("[::1]", 3261): (True, False),
                       ("10.0.0.1", 3260): (False, True)}
    _ok(writer, [C.SetPortalFlag(NEW, 1, "::1", 3261, "iser", False), C.DeletePortal(NEW, 1, "10.0.0.1")])
    portals = {(p.ip_address, p.port): (p.iser, p.offload) for p in _tpg(demo).portals}
    assert portals == {("127.0.0.1", 3260): (False, False), ("[::1]", 3261): (False, False)}


def test_deleting_a_target_takes_everything_in_it(writer, demo):
    before = read_config(str(demo))
    found = impact(before, C.DeleteTarget(RAC_IQN))
    assert found.count("acl") == 2 and found.count("lun") == 6 and found.count("mapped_lun") == 12
    _ok(writer, [C.confirmed(C.DeleteTarget(RAC_IQN), found)])
    after = read_config(str(demo))
    assert find_target(after, "iscsi", RAC_IQN) is None
    assert len(after.storage_objects) == len(before.storage_objects)  # backstores stay


# ---------------------------------------------------------------------------
# Preconditions re-read before each write: nothing made meanwhile is clobbered
# ---------------------------------------------------------------------------


def test_creating_what_exists_is_refused_and_changes_nothing(writer, demo):
    before = snapshot(demo)
    for change in (C.CreateTarget(WEB_IQN), C.CreateRamdisk("scratch", "1G"), C.CreateAcl(WEB_IQN, 1, WEB_CLIENT),
                   C.CreateLun(WEB_IQN, 1, ("ramdisk", "scratch"), index=0), C.CreatePortal(WEB_IQN, 1, "0.0.0.0")):
        report = writer.apply([change])
        assert report.outcome == ROLLED_BACK_ALL and report.error.conflict, change
        assert "already" in str(report.error)
    assert changed_paths(before, snapshot(demo)) == []


def test_a_delete_confirmed_before_a_change_made_meanwhile_is_refused(writer, demo):
    shown = impact(read_config(str(demo)), C.DeleteStorageObject("ramdisk", "scratch"))
    confirmed = C.confirmed(C.DeleteStorageObject("ramdisk", "scratch"), shown)
    other = SimWriter(str(demo))  # "another sanctl" (or targetcli) adds a LUN meanwhile
    _ok(other, [C.CreateLun(WEB_IQN, 1, ("ramdisk", "scratch"))])
    before = snapshot(demo)
    report = writer.apply([confirmed])
    assert report.outcome == ROLLED_BACK_ALL and report.error.conflict
    assert "changed meanwhile" in str(report.error) and f"LUN 1 of {WEB_IQN}/tpg1" in str(report.error)
    assert changed_paths(before, snapshot(demo)) == []


def test_a_setting_changed_meanwhile_is_not_overwritten(writer, demo):
    other = SimWriter(str(demo))
    _ok(other, [C.tpg_attribute(WEB_IQN, 1, "login_timeout", 20)])
    report = writer.apply([C.tpg_attribute(WEB_IQN, 1, "login_timeout", 25, expect="15")])
    assert report.error.conflict and "was 15 when shown and is now 20" in str(report.error)
    assert _tpg(demo, WEB_IQN).attributes.value("login_timeout") == "20"


def test_deleting_what_is_gone_is_refused(writer):
    report = writer.apply([C.DeleteLun(WEB_IQN, 1, 5)])
    assert report.error.conflict and "does not exist" in str(report.error)


# ---------------------------------------------------------------------------
# Rollback
# ---------------------------------------------------------------------------

WIZARD = [
    C.CreateFileio("wiz", "/srv/wiz/disk.img", "256M"),
    C.CreateRamdisk("wizram", "16M"),
    *C.targetcli_iscsi_target(NEW, portal=("192.168.7.1", 3260)),
    C.CreateAcl(NEW, 1, HOST),
    C.CreateLun(NEW, 1, ("fileio", "wiz")),
    C.CreateLun(NEW, 1, ("ramdisk", "wizram")),
    C.CreatePortal(NEW, 1, "::1", iser=True),
    C.SetAclAuth(NEW, 1, HOST, C.Chap("host1", "host1-secret-1")),
    C.tpg_attribute(WEB_IQN, 1, "login_timeout", 20),
    C.SetAclTag(RAC_IQN, 1, RAC_CLIENTS[0], "rac"),
]
WIZARD_STEPS = 18


@pytest.mark.parametrize("k", range(1, WIZARD_STEPS + 1))
def test_a_failure_at_any_step_leaves_the_tree_byte_for_byte_as_before(demo, k):
    before = snapshot(demo)
    writer = SimWriter(str(demo), rng=random.Random(1))
    writer.fail_at = (k, OSError(errno.EIO, "Input/output error"))
    report = writer.apply(WIZARD)
    assert report.outcome == ROLLED_BACK_ALL, "\n".join(report.lines())
    assert report.message().startswith("Nothing changed:")
    assert sum(s.status == "rolled back" for s in report.steps) == k - 1
    assert changed_paths(before, snapshot(demo)) == []
    assert not (demo / "srv/wiz/disk.img").exists()


def test_the_wizard_has_the_number_of_steps_the_rollback_test_covers(writer):
    assert len(_ok(writer, WIZARD).steps) == WIZARD_STEPS


DELETES = [
    C.DeleteStorageObject("block", "ora-ocr-1"),
    C.DeleteAcl(WEB_IQN, 1, WEB_CLIENT),
    C.DeleteTarget(SCRATCH_IQN),
    C.DeleteStorageObject("ramdisk", "scratch"),
    C.CreateRamdisk("after", "8M"),
]


@pytest.mark.parametrize("k", [1, 3, 4, 6, 9, 12, 13])
def test_a_failure_after_deletes_recreates_them_as_they_were(demo, k):
    before = dump(read_config(str(demo), details=True))
    writer = SimWriter(str(demo))
    writer.fail_at = (k, OSError(errno.EIO, "Input/output error"))
    report = writer.apply(DELETES)
    assert report.outcome == ROLLED_BACK_ALL, "\n".join(report.lines())
    # Same serials, aliases, attributes and CHAP; only kernel-allocated indexes differ.
    assert canonical(dump(read_config(str(demo), details=True))) == canonical(before)


def test_an_undo_that_fails_too_is_reported_as_such(demo, monkeypatch):
    writer = SimWriter(str(demo))
    writer.fail_at = (4, OSError(errno.EIO, "Input/output error"))
    real = writer.execute
    calls = 0

    def execute(change):  # the 4th step fails; the undo of the target (a later call) fails too
        nonlocal calls
        calls += 1
        if isinstance(change, C.DeleteTarget) and calls > 4:
            raise OSError(errno.EBUSY, "Device or resource busy")
        real(change)

    monkeypatch.setattr(writer, "execute", execute)
    report = writer.apply([*C.targetcli_iscsi_target(NEW, portal=None), C.CreateRamdisk("x", "1M")])
    assert report.outcome == ROLLBACK_INCOMPLETE and not report.ok and report.changed_anything
    assert "could not be undone" in report.message() and "partly changed" in report.message()
    assert [s.status for s in report.steps] == ["undo failed", "rolled back", "rolled back", "failed"]


def test_an_unexpected_exception_is_a_message_not_a_traceback(demo):
    writer = SimWriter(str(demo))
    writer.fail_at = (1, KeyError("hba"))
    report = writer.apply([C.CreateRamdisk("x", "1M")])
    assert report.outcome == ROLLED_BACK_ALL
    assert str(report.error) == "backstore ramdisk/x: internal error (KeyError: 'hba')"


# ---------------------------------------------------------------------------
# Read-only and targetcli's lock
# ---------------------------------------------------------------------------


def test_read_only_is_refused_in_the_writer_itself(demo):
    before = snapshot(demo)
    writer = SimWriter(str(demo), readonly_reason="--readonly")
    with pytest.raises(ReadOnlyError) as info:
        writer.apply([C.CreateRamdisk("x", "1M")])
    assert "--readonly" in str(info.value) and "Nothing was changed" in str(info.value)
    assert writer.readonly
    assert changed_paths(before, snapshot(demo)) == []


def test_lock_held_elsewhere_names_the_holder_and_does_not_hang(writer, demo, lock_holder):
    holder = lock_holder(str(demo / "var/run/targetcli.lock"))
    before = snapshot(demo)
    with pytest.raises(LockedError) as info:
        writer.apply([C.CreateRamdisk("x", "1M")])
    message = str(info.value)
    assert f"pid {holder.proc.pid}" in message and "python" in message
    assert info.value.holders[0].program.startswith("python") and info.value.holders[0].user == "root"
    assert "targetcli-lookalike" not in message  # the program's name, never its arguments
    assert "nothing was changed" in message
    assert [h.pid for h in info.value.holders] == [holder.proc.pid]
    assert changed_paths(before, snapshot(demo)) == []
    holder.release()
    _ok(writer, [C.CreateRamdisk("x", "1M")])


def test_the_lock_is_held_only_while_writing(writer, demo):
    from sanctl.lio.lock import probe

    _ok(writer, [C.CreateRamdisk("x", "1M")])
    assert probe(str(demo)) is None
    assert os.path.exists(demo / "var/run/targetcli.lock")


def test_without_rtslib_the_real_writer_reports_instead_of_raising(tmp_path, monkeypatch):
    import sys

    from sanctl.lio.rtslib_writer import RtslibWriter

    monkeypatch.setitem(sys.modules, "rtslib", None)  # import rtslib -> ImportError
    report = RtslibWriter(str(tmp_path)).apply([C.CreateRamdisk("x", "1M")])
    assert report.outcome == ROLLED_BACK_ALL and not report.steps
    assert "rtslib-fb is not available" in report.message() and "Traceback" not in report.message()


def test_each_host_gets_its_writer(demo, tmp_path):
    from sanctl.startup import Source
    from sanctl.lio.rtslib_writer import RtslibWriter
    from sanctl.host import host_for

    def writer_for(source):
        return host_for(source).target.writer()

    assert isinstance(writer_for(Source(str(demo), "demo", False, None)), SimWriter)
    real = writer_for(Source("/", "real", True, "not root: changes need root"))
    assert isinstance(real, RtslibWriter) and real.readonly_reason == "not root: changes need root"
    captured = writer_for(Source(str(tmp_path), "captured", True, "reading a captured tree, not the running kernel"))
    with pytest.raises(ReadOnlyError) as info:
        captured.apply([C.CreateRamdisk("x", "1M")])
    assert "captured tree" in str(info.value)


def test_concurrent_applies_in_one_process_take_turns(writer, demo):
    import threading

    results = []

    def work(i):
        results.append(writer.apply([C.CreateRamdisk(f"t{i}", "1M")]).outcome)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [COMPLETED] * 6
    config = read_config(str(demo))
    assert all(config.storage_object(("ramdisk", f"t{i}")) for i in range(6))


def test_new_backstores_export_their_name_as_the_model_like_targetcli(writer, demo):
    """targetcli sets emulate_model_alias=1 on block, fileio and ramdisk: the product id is the name."""
    _ok(writer, [
        C.CreateBlock("lv9", "/dev/vg_san/lv9"),
        C.CreateFileio("f1", "/srv/new/f1.img", "64M"),
        C.CreateRamdisk("r1", "32M"),
        C.CreateUser("rbd1", "rbd", "pool/img", "2G"),
    ])
    config = read_config(str(demo), details=True)
    for plugin, name in (("block", "lv9"), ("fileio", "f1"), ("ramdisk", "r1")):
        so = config.storage_object((plugin, name))
        assert so.attributes.value("emulate_model_alias") == "1", plugin
        product = next(demo.glob(f"sys/kernel/config/target/core/*/{name}/wwn/product_id"))
        assert product.read_text().strip() == name
    assert config.storage_object(("user", "rbd1")).attributes.value("emulate_model_alias") != "1"
