"""What a delete takes with it, for the confirmation; the lock's holder lookup; rebuilding from a file."""

from __future__ import annotations

import os
import pwd

import pytest

from sanctl.sim.demo import RAC_CLIENTS, RAC_IQN, SCRATCH_IQN, WEB_CLIENT, WEB_IQN
from sanctl.lio import changes as C
from sanctl.lio import rebuild
from sanctl.lio.configfs import read_config
from sanctl.lio.impact import impact
from sanctl.lio.live import TargetSession
from sanctl.lio.lock import Holder, LockBusy, holders, probe


def _session(target, initiator, kind="acl", tpg=1):
    return TargetSession(target, tpg, initiator, kind)


def test_a_backstore_in_three_targets_says_so_with_the_sessions_that_lose_it(writer, demo):
    writer.apply([C.CreateLun(WEB_IQN, 1, ("ramdisk", "scratch")), C.CreateLun(RAC_IQN, 1, ("ramdisk", "scratch"))])
    sessions = [_session(RAC_IQN, RAC_CLIENTS[0]), _session(WEB_IQN, WEB_CLIENT),
                _session(SCRATCH_IQN, "iqn.1991-05.com.microsoft:pc", "dynamic"),
                _session("iqn.2024-01.com.example:other", "iqn.x:y")]
    found = impact(read_config(str(demo)), C.DeleteStorageObject("ramdisk", "scratch"), sessions)
    lines = found.lines()
    assert lines[0].startswith("Delete backstore ramdisk/scratch and every LUN using it: also removes 3 LUNs and "
                               "3 mapped LUNs (LUNs in 3 targets); 3 live sessions affected.")
    assert f"  - LUN 0 of {SCRATCH_IQN}/tpg1" in lines
    assert f"  - LUN 6 of {RAC_IQN}/tpg1" in lines
    assert any("(demo mode)" in line and "loses the disk ramdisk/scratch" in line for line in lines)
    assert not any("iqn.x:y" in line for line in lines)
    # the cascade ends with the backstore, after every mapped LUN and LUN
    kinds = [type(s) for s in found.steps]
    assert kinds[-1] == C.DeleteStorageObject and kinds.count(C.DeleteLun) == 3
    for wwn in (RAC_IQN, WEB_IQN):  # in each target the mappings go before the LUN they point at
        unmaps = [i for i, s in enumerate(found.steps) if isinstance(s, C.DeleteMappedLun) and s.target == wwn]
        lun = next(i for i, s in enumerate(found.steps) if isinstance(s, C.DeleteLun) and s.target == wwn)
        assert unmaps and max(unmaps) < lun


def test_deleting_an_acl_drops_its_session_and_takes_its_chap(demo):
    found = impact(read_config(str(demo), details=True), C.DeleteTarget(WEB_IQN), [_session(WEB_IQN, WEB_CLIENT)])
    text = "\n".join(found.lines())
    assert f"ACL {WEB_CLIENT} of {WEB_IQN}/tpg1 with its CHAP credentials" in text
    assert f"session of {WEB_CLIENT} on {WEB_IQN}/tpg1 drops" in text
    assert found.keys == frozenset(d.key for d in found.removes)


def test_nothing_to_remove_and_already_gone(demo):
    config = read_config(str(demo))
    assert impact(config, C.DeletePortal(WEB_IQN, 1, "0.0.0.0")).summary().endswith("nothing else depends on it.")
    gone = impact(config, C.DeleteAcl(WEB_IQN, 1, "iqn.2024-01.com.example:nobody"))
    assert not gone.exists and "does not exist" in gone.summary()
    creating = impact(config, C.CreateRamdisk("x", "1M"))
    assert creating.steps == (C.CreateRamdisk("x", "1M"),) and not creating.removes


# ---------------------------------------------------------------------------
# The lock's holder, from /proc/locks or the open files
# ---------------------------------------------------------------------------


def _fake_proc(tmp_path, lock, pid, cmdline: bytes, *, in_locks=True, comm: str = "targetcli"):
    proc = tmp_path / "proc"
    (proc / str(pid)).mkdir(parents=True)
    (proc / str(pid) / "cmdline").write_bytes(cmdline)
    (proc / str(pid) / "comm").write_text(comm + "\n")
    st = os.stat(lock)
    dev = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    lines = [f"1: FLOCK  ADVISORY  WRITE {pid} {dev} 0 EOF",
             f"1: -> FLOCK  ADVISORY  WRITE 4242 {dev} 0 EOF",
             "2: POSIX  ADVISORY  WRITE 77 00:00:1 0 EOF"]
    (proc / "locks").write_text("\n".join(lines if in_locks else lines[2:]) + "\n")
    return str(proc)


def test_a_portal_delete_names_the_sessions_that_came_through_the_tpg(demo):
    """Issue 12: the RAC portal's delete said "nothing else depends on it" with a node logged in."""
    config = read_config(str(demo))
    found = impact(config, C.DeletePortal(WEB_IQN, 1, "0.0.0.0"), [_session(WEB_IQN, WEB_CLIENT),
                                                                    _session(RAC_IQN, RAC_CLIENTS[0])])
    assert found.summary() == (f"Stop listening on 0.0.0.0:3260 for {WEB_IQN}/tpg1: nothing else depends on it; "
                               "1 session affected.")
    assert found.sessions == (f"session of {WEB_CLIENT} on {WEB_IQN}/tpg1 may drop: 0.0.0.0:3260 is its TPG's "
                              "only portal",)


def test_settings_that_reach_logged_in_initiators(demo):
    from sanctl.lio.impact import touches_initiators

    config = read_config(str(demo))
    rac = [_session(RAC_IQN, RAC_CLIENTS[0]), _session(RAC_IQN, RAC_CLIENTS[1])]
    off = impact(config, C.SetTpgEnabled(RAC_IQN, 1, False), rac)
    assert off.summary() == f"Disable TPG {RAC_IQN}/tpg1: 2 live sessions affected."
    assert f"session of {RAC_CLIENTS[1]} on {RAC_IQN}/tpg1 drops" in off.sessions
    wp = impact(config, C.SetMappedLunWriteProtect(RAC_IQN, 1, RAC_CLIENTS[0], 3, True), rac)
    assert wp.sessions == (f"session of {RAC_CLIENTS[0]} on {RAC_IQN}/tpg1 can no longer write to LUN 3",)
    scratch = [_session(SCRATCH_IQN, "iqn.1991-05.com.microsoft:pc", "dynamic")]
    demo_off = impact(config, C.tpg_attribute(SCRATCH_IQN, 1, "generate_node_acls", 0), scratch)
    assert len(demo_off.sessions) == 1 and "drops (demo mode off)" in demo_off.sessions[0]
    assert touches_initiators(C.SetTpgEnabled(RAC_IQN, 1, False))
    assert not touches_initiators(C.SetTpgEnabled(RAC_IQN, 1, True))
    assert not touches_initiators(C.tpg_attribute(RAC_IQN, 1, "login_timeout", 20))
    assert not touches_initiators(C.SetMappedLunWriteProtect(RAC_IQN, 1, RAC_CLIENTS[0], 3, False))
    assert not touches_initiators(C.SetPortalFlag(RAC_IQN, 1, "0.0.0.0", 3260, "iser", True))
    assert touches_initiators(C.SetPortalFlag(RAC_IQN, 1, "0.0.0.0", 3260, "iser", False))
    assert impact(config, C.tpg_attribute(RAC_IQN, 1, "login_timeout", 20), rac).sessions == ()


def test_the_holder_is_read_from_proc_locks_without_waiters(tmp_path):
    lock = tmp_path / "targetcli.lock"
    lock.write_text("")
    proc = _fake_proc(tmp_path, lock, 999999, b"/usr/bin/python3\0/usr/bin/targetcli\0password=s3cret\0")
    found = holders(str(lock), proc=proc)
    me = pwd.getpwuid(os.getuid()).pw_name
    assert found == (Holder(999999, me, "targetcli", os.getuid()),)
    message = LockBusy(str(lock), found, 2.0).message
    assert f"pid 999999 (user {me}, program targetcli)" in message
    assert "s3cret" not in message  # the program's name only: never its arguments
    assert "An idle targetcli shell holds it until it exits." in message


def test_the_holder_is_found_from_open_files_when_proc_locks_hides_it(tmp_path):
    lock = tmp_path / "targetcli.lock"
    lock.write_text("")
    proc = _fake_proc(tmp_path, lock, 123456, b"targetcli\0", in_locks=False)
    (tmp_path / "proc/123456/fd").mkdir()
    os.symlink(lock, tmp_path / "proc/123456/fd/3")
    assert holders(str(lock), proc=proc) == (Holder(123456, pwd.getpwuid(os.getuid()).pw_name, "targetcli",
                                                     os.getuid()),)
    assert "not visible from here" in LockBusy(str(lock), (), 2.0).message


def test_probe_says_whether_someone_holds_it(demo, lock_holder):
    assert probe(str(demo)) is None
    holder = lock_holder(str(demo / "var/run/targetcli.lock"))
    found = probe(str(demo))
    assert found and found[0].pid == holder.proc.pid


# ---------------------------------------------------------------------------
# Rebuilding from a saveconfig dictionary
# ---------------------------------------------------------------------------


def test_a_malformed_file_becomes_per_object_errors_not_a_crash():
    groups = rebuild.plan({
        "storage_objects": [{"plugin": "ramdisk", "name": "ok", "size": 4096},
                            {"plugin": "ramdisk", "name": "../evil", "size": 4096},
                            {"plugin": "quantum", "name": "x"},
                            "not a dict"],
        "targets": [{"wwn": "iqn.2024-01.com.example:t", "fabric": "iscsi",
                     "tpgs": [{"tag": "one"}]},
                    {"fabric": "iscsi"}],
        "fabric_modules": [{"name": "iscsi", "discovery_enable_auth": True}],
    })
    by_label = {g.label: g for g in groups}
    assert by_label["backstore ramdisk/ok"].error is None and by_label["backstore ramdisk/ok"].changes
    assert "'/'" in by_label["backstore ramdisk/../evil"].error
    assert "unknown plugin" in by_label["backstore quantum/x"].error
    assert "wrong type" in by_label["target iqn.2024-01.com.example:t"].error
    assert "needs a CHAP" in by_label["iscsi discovery authentication"].error
    assert sum(1 for g in groups if g.error) == 6


def test_rebuild_follows_rtslibs_order_for_a_target(demo):
    from sanctl.lio.saveconfig import dump

    data = dump(read_config(str(demo), details=True))
    web = next(g for g in rebuild.plan(data) if g.key == ("iscsi", WEB_IQN))
    kinds = [type(c) for c in web.changes]
    assert kinds[:2] == [C.CreateTarget, C.CreateTpg]
    assert kinds.index(C.CreateLun) < kinds.index(C.CreatePortal) < kinds.index(C.CreateAcl)
    assert kinds.index(C.CreateAcl) < kinds.index(C.CreateMappedLun) < kinds.index(C.SetAclAuth)
    assert kinds.index(C.SetAclAuth) < kinds.index(C.SetTpgEnabled)
    only = rebuild.plan(data, target=RAC_IQN)
    assert [g.kind for g in only].count("storage_object") == 6 and [g.key for g in only if g.kind == "target"] == [
        ("iscsi", RAC_IQN)]


@pytest.mark.parametrize("so", [
    {"plugin": "block", "name": "b", "dev": "/dev/x", "exclusive": False, "readonly": True, "wwn": "w"},
    {"plugin": "fileio", "name": "f", "dev": "/srv/f.img", "size": 4096, "write_back": True, "aio": True},
    {"plugin": "user", "name": "u", "config": "rbd/pool/img", "size": 4096, "hw_max_sectors": 128,
     "control": "max_data_area_mb=64"},
    {"plugin": "pscsi", "name": "p", "dev": "/dev/sg0"},
])
def test_every_backstore_kind_rebuilds(so):
    create = rebuild.storage_object(so)[0]
    assert create.key == (so["plugin"], so["name"])
