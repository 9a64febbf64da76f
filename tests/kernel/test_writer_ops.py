"""Every writer operation through rtslib-fb on the real kernel, read back with sanctl's reader;
rollback after a real kernel refusal; targetcli's real lock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.kernel

MiB = 1 << 20
T = "iqn.2024-01.test.sanctl:writer"
T2 = "iqn.2024-01.test.sanctl:writer-2"
HOST = "iqn.2024-01.test.sanctl:host-a"
HOST2 = "iqn.2024-01.test.sanctl:host-b"


@pytest.fixture
def writer(lab):
    from sanctl.lio.rtslib_writer import RtslibWriter

    lab.rtsroot()
    return RtslibWriter("/", lock_timeout=1.0)


def ok(writer, changes):
    report = writer.apply(changes)
    assert report.ok, "\n".join(report.lines())
    return report


def config(details=True):
    from sanctl.lio.configfs import read_config

    found = read_config("/", details=details)
    assert not found.problems, found.problems
    return found


def canonical(value):
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted((canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return value


def running_dump():
    from sanctl.lio.saveconfig import dump

    return canonical(json.loads(json.dumps(dump(config()))))


def test_every_backstore_kind(lab, writer):
    from sanctl.lio import changes as C

    loop = lab.loop("blk.img", 32 * MiB)
    new_file = lab.tmp / "new.img"
    old_file = lab.sparse("old.img", 8 * MiB)
    report = ok(writer, [
        C.CreateBlock("k-block", loop, readonly=True, wwn="kblockserial"),
        C.CreateFileio("k-new", str(new_file), "48M", write_back=True, sparse=True),
        C.CreateFileio("k-old", str(old_file), "1G"),
        C.CreateRamdisk("k-ram", "16M", wwn="kramserial"),
        C.CreateRamdisk("k-null", "8M", nullio=True),
        C.CreateUser("k-user", "file", "k-user.img", "16M"),
        C.backstore_attribute("fileio", "k-new", "emulate_tpu", 1),
    ])
    assert any("its size, 8 MiB, is used" in (s.note or "") for s in report.steps)
    assert new_file.stat().st_size == 48 * MiB and new_file.stat().st_blocks == 0  # sparse, made like targetcli
    found = config()
    so = {k: found.storage_object(k) for k in found.so_index}
    block = so[("block", "k-block")]
    assert (block.dev, block.wwn, block.readonly, block.size) == (loop, "kblockserial", True, 32 * MiB)
    new = so[("fileio", "k-new")]
    assert (new.dev, new.size, new.write_back) == (str(new_file), 48 * MiB, True)
    assert new.attributes.value("emulate_tpu") == "1"
    assert so[("fileio", "k-old")].size == 8 * MiB
    assert (so[("ramdisk", "k-ram")].size, so[("ramdisk", "k-ram")].wwn) == (16 * MiB, "kramserial")
    assert so[("ramdisk", "k-null")].nullio is True
    assert so[("user", "k-user")].config == "file/k-user.img"

    ok(writer, [C.DeleteStorageObject(*key) for key in so])
    assert not config().storage_objects
    assert new_file.exists()  # deleting a backstore never deletes its data


def test_pscsi_on_a_tcm_loop_disk_and_a_loopback_target(lab, writer):
    import capture

    from sanctl.lio import changes as C

    changes = C.loopback_target()
    wwn = changes[0].target
    ok(writer, [C.CreateRamdisk("loop-src", "16M"), *changes,
                C.CreateLun(wwn, 1, ("ramdisk", "loop-src"), index=0, fabric="loopback")])
    target = next(t for t in config().targets if t.fabric == "loopback")
    assert target.wwn == wwn and target.tpgs[0].nexus.startswith("naa.")
    assert [(lun.index, lun.storage_object) for lun in target.tpgs[0].luns] == [(0, ("ramdisk", "loop-src"))]
    disk = capture.tcm_loop_disk()
    ok(writer, [C.CreatePscsi("k-pscsi", f"/dev/{disk}")])
    assert config().storage_object(("pscsi", "k-pscsi")).dev == f"/dev/{disk}"
    ok(writer, [C.DeleteStorageObject("pscsi", "k-pscsi"), C.DeleteTarget(wwn, "loopback")])
    assert not [t for t in config().targets if t.fabric == "loopback"]


def test_iscsi_objects_read_back(lab, writer, kernel_env):
    from sanctl.lio import changes as C
    from sanctl.lio.impact import find_acl, find_tpg

    chap = C.Chap("host-a", "host-a-secret1", "writer", "writer-secret-1")
    ok(writer, [
        C.CreateRamdisk("r0", "8M"), C.CreateRamdisk("r1", "8M"), C.CreateRamdisk("r2", "8M"),
        *C.targetcli_iscsi_target(T, portal=(kernel_env.PORTAL_IP, 3260)),
        C.CreateAcl(T, 1, HOST, acl_tag="group_a"),
        C.CreateLun(T, 1, ("ramdisk", "r0")),
        C.CreateLun(T, 1, ("ramdisk", "r1"), alias="mylink"),
        C.CreateAcl(T, 1, HOST2),
        C.CreateLun(T, 1, ("ramdisk", "r2"), index=9, map_to_acls=False),
        C.CreateMappedLun(T, 1, HOST2, 5, 9, write_protect=True),
        C.SetAclAuth(T, 1, HOST, chap),
        C.acl_attribute(T, 1, HOST, "nopin_timeout", 20),
        C.SetAclCmdsnDepth(T, 1, HOST, 128),
        C.CreatePortal(T, 1, "::1", 3261),
        C.tpg_attribute(T, 1, "login_timeout", 20),
        C.tpg_parameter(T, 1, "HeaderDigest", "CRC32C"),
        C.CreateTpg(T),
        C.tpg_attribute(T, 2, "generate_node_acls", 1),
        C.tpg_attribute(T, 2, "demo_mode_write_protect", 0),
        C.SetTpgAuth(T, 2, C.Chap("demo", "demo-secret-123")),
        C.SetDiscoveryAuth(C.Chap("disc", "disc-secret-123"), enforce=True),
    ])
    found = config()
    tpg = find_tpg(found, "iscsi", T, 1)
    assert tpg.enabled and tpg.attributes.value("authentication") == "0"
    assert tpg.attributes.value("login_timeout") == "20" and tpg.parameters.value("HeaderDigest") == "CRC32C"
    assert {lun.index: lun.storage_object for lun in tpg.luns} == {
        0: ("ramdisk", "r0"), 1: ("ramdisk", "r1"), 9: ("ramdisk", "r2")}
    assert next(lun.alias for lun in tpg.luns if lun.index == 1) == "mylink"
    a = find_acl(tpg, HOST)
    assert {m.index: (m.tpg_lun, m.write_protect) for m in a.mapped_luns} == {0: (0, False), 1: (1, False)}
    assert (a.tag, a.cmdsn_depth, a.attributes.value("nopin_timeout")) == ("group_a", 128, "20")
    assert (a.auth.userid, a.auth.password.reveal(), a.auth.mutual_userid, a.auth.authenticate_target) == \
        ("host-a", "host-a-secret1", "writer", True)
    b = find_acl(tpg, HOST2)
    assert {m.index: (m.tpg_lun, m.write_protect) for m in b.mapped_luns} == {0: (0, False), 1: (1, False),
                                                                              5: (9, True)}
    assert {(p.ip_address, p.port) for p in tpg.portals} == {(kernel_env.PORTAL_IP, 3260), ("[::1]", 3261)}
    tpg2 = find_tpg(found, "iscsi", T, 2)
    assert not tpg2.enabled and tpg2.demo_mode and tpg2.attributes.value("cache_dynamic_acls") == "1"
    assert tpg2.auth.userid == "demo"
    disc = found.fabric("iscsi").discovery_auth
    assert (disc.userid, disc.enforce) == ("disc", True)

    ok(writer, [C.SetMappedLunWriteProtect(T, 1, HOST2, 5, False), C.SetAclTag(T, 1, HOST, None),
                C.SetTpgEnabled(T, 1, False), C.SetDiscoveryAuth(C.NO_CHAP, enforce=False),
                C.DeleteMappedLun(T, 1, HOST2, 0), C.DeletePortal(T, 1, "::1", 3261)])
    found = config()
    tpg = find_tpg(found, "iscsi", T, 1)
    assert not tpg.enabled and find_acl(tpg, HOST).tag is None
    assert {m.index: m.write_protect for m in find_acl(tpg, HOST2).mapped_luns} == {1: False, 5: False}
    assert [(p.ip_address, p.port) for p in tpg.portals] == [(kernel_env.PORTAL_IP, 3260)]
    assert not found.fabric("iscsi").discovery_auth.enforce


def test_cascading_deletes_on_the_kernel(lab, writer):
    from sanctl.lio import changes as C
    from sanctl.lio.impact import impact

    ok(writer, [
        C.CreateRamdisk("shared", "8M"), C.CreateRamdisk("own", "8M"),
        *C.targetcli_iscsi_target(T, portal=None), *C.targetcli_iscsi_target(T2, portal=None),
        C.CreateAcl(T, 1, HOST), C.CreateAcl(T2, 1, HOST),
        C.CreateLun(T, 1, ("ramdisk", "shared")), C.CreateLun(T, 1, ("ramdisk", "own")),
        C.CreateLun(T2, 1, ("ramdisk", "shared")),
    ])
    found = impact(config(details=False), C.DeleteStorageObject("ramdisk", "shared"))
    assert found.count("lun") == 2 and found.count("mapped_lun") == 2 and "(LUNs in 2 targets)" in found.summary()
    ok(writer, [C.confirmed(C.DeleteStorageObject("ramdisk", "shared"), found)])
    after = config()
    assert not after.users_of(("ramdisk", "shared")) and after.storage_object(("ramdisk", "shared")) is None
    ok(writer, [C.DeleteAcl(T, 1, HOST), C.DeleteTarget(T2), C.DeleteTarget(T)])
    assert not list(config().targets)


def test_a_kernel_refusal_rolls_back_everything_done(lab, writer, basic_san):
    from sanctl.lio import changes as C

    before = running_dump()
    report = writer.apply([
        C.CreateRamdisk("rb-ram", "8M"),
        *C.targetcli_iscsi_target(T, portal=None),
        C.CreateAcl(T, 1, HOST),
        C.CreateLun(T, 1, ("ramdisk", "rb-ram")),
        C.DeleteStorageObject("fileio", "disk-file"),
        C.DeleteAcl(basic_san.target_iqn, 1, basic_san.acl),
        C.backstore_attribute("ramdisk", "rb-ram", "emulate_tpu", 1),  # the kernel says ENOSYS
    ])
    assert report.outcome == "rolled back", "\n".join(report.lines())
    assert str(report.error).startswith("attribute emulate_tpu of backstore ramdisk/rb-ram:")
    assert "Function not implemented" in str(report.error)
    assert running_dump() == before  # same serials, aliases, attributes and mappings (HBA numbers may move)
    assert not os.path.exists(f"/sys/kernel/config/target/iscsi/{T}")


def test_the_real_targetcli_lock_names_its_holder(lab, writer):
    from sanctl.lio import changes as C
    from sanctl.lio.writer import LockedError

    code = textwrap.dedent("""
        import fcntl, sys
        f = open("/var/run/targetcli.lock", "w+")
        fcntl.flock(f, fcntl.LOCK_EX)
        print("locked", flush=True)
        sys.stdin.read()
    """)
    proc = subprocess.Popen([sys.executable, "-c", code, "fake-targetcli"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        with pytest.raises(LockedError) as info:
            writer.apply([C.CreateRamdisk("x", "1M")])
        assert f"pid {proc.pid}" in str(info.value)
        assert info.value.holders[0].user == "root" and info.value.holders[0].program.startswith("python")
        assert "fake-targetcli" not in str(info.value)  # the program's name, never its arguments
        assert config(details=False).storage_object(("ramdisk", "x")) is None
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)
    ok(writer, [C.CreateRamdisk("x", "1M")])


@pytest.mark.parametrize("name, value", [
    ("HeaderDigest", "CRC32C"), ("HeaderDigest", "None,CRC32C"), ("HeaderDigest", "Bogus"),
    ("HeaderDigest", "CRC32C,CRC32C"), ("AuthMethod", "CHAP"), ("AuthMethod", "None"), ("AuthMethod", "PAP"),
    ("ImmediateData", "No"), ("ImmediateData", "no"), ("MaxRecvDataSegmentLength", "65536"),
    ("MaxRecvDataSegmentLength", "100"), ("MaxRecvDataSegmentLength", "16777216"), ("ErrorRecoveryLevel", "3"),
    ("DefaultTime2Wait", "3600"), ("MaxConnections", "0"), ("TargetAlias", "my disks"),
])
def test_parameter_rules_agree_with_the_kernels_validator(lab, name, value):
    """What sanctl refuses when a change is built, the kernel refuses too, and the reverse."""
    from rtslib import TPG, FabricModule, Target
    from rtslib.utils import RTSLibError

    from sanctl.names import InvalidValue
    from sanctl.lio import changes as C

    lab.rtsroot()
    tpg = TPG(Target(FabricModule("iscsi"), T), 1)
    try:
        C.tpg_parameter(T, 1, name, value)
        ours = True
    except InvalidValue:
        ours = False
    try:
        tpg.set_parameter(name, value)
        theirs = True
    except RTSLibError:
        theirs = False
    assert ours == theirs, f"{name}={value}: sanctl {'accepts' if ours else 'refuses'}, the kernel does not"
