"""One list of operations through the sim writer (a fresh simulated kernel) and through
rtslib-fb (the real one): what sanctl's reader sees must be the same.

Random by nature and so compared aside: LUN and mapped-LUN link names
(aliases); the loopback nexus (not in the dump). Serials are given
explicitly, so they are compared too. The list covers a loopback target
(TPG with its nexus, LUNs), ALUA groups (state, status, preference,
membership, delete) and fileio aio.
"""

from __future__ import annotations

import json
import random

import pytest

from test_writer_ops import HOST, HOST2, MiB, T, T2, canonical

pytestmark = pytest.mark.kernel


def _strip(value):
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k != "alias"}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


LOOP = "naa.5001405c0ffee123"


def _batches(loop: str, file: str):
    from sanctl.lio import changes as C

    chap = C.Chap("host-a", "host-a-secret1", "writer", "writer-secret-1")
    return [
        [
            C.CreateBlock("d-block", loop, wwn="dblockserial"),
            C.CreateFileio("d-file", file, "16M", write_back=True, wwn="dfileserial"),
            C.CreateRamdisk("d-ram", "8M", wwn="dramserial"),
            C.CreateRamdisk("d-null", "4M", nullio=True, wwn="dnullserial"),
            C.backstore_attribute("fileio", "d-file", "emulate_tpu", 1),
            C.CreateAluaGroup("ramdisk", "d-ram", "site_b", 2),
            C.alua_group_parameter("ramdisk", "d-ram", "site_b", "alua_access_state", "Standby"),
            C.alua_group_parameter("ramdisk", "d-ram", "site_b", "preferred", 1),
            C.alua_group_parameter("ramdisk", "d-ram", "site_b", "nonop_delay_msecs", 250),
            C.CreateAluaGroup("ramdisk", "d-ram", "gone", 3),
            C.CreateFileio("d-aio", file + ".aio", "4M", aio=True, wwn="daioserial"),
        ],
        [
            *C.targetcli_iscsi_target(T, portal=("127.0.0.1", 3260)),
            C.CreateAcl(T, 1, HOST, acl_tag="grp"),
            C.CreateLun(T, 1, ("block", "d-block")),
            C.CreateLun(T, 1, ("fileio", "d-file")),
            C.CreateAcl(T, 1, HOST2),
            C.CreateLun(T, 1, ("ramdisk", "d-ram"), index=7),
            C.CreateMappedLun(T, 1, HOST2, 20, 7, write_protect=True),
            C.SetLunAluaGroup(T, 1, 7, "site_b"),
            C.SetAclAuth(T, 1, HOST, chap),
            C.acl_attribute(T, 1, HOST, "nopin_timeout", 25),
            C.SetAclCmdsnDepth(T, 1, HOST2, 32),
            C.CreatePortal(T, 1, "::1", 3261),
            C.tpg_attribute(T, 1, "login_timeout", 20),
            C.tpg_attribute(T, 1, "authentication", 1),
            C.tpg_parameter(T, 1, "HeaderDigest", "CRC32C"),
            C.tpg_parameter(T, 1, "MaxRecvDataSegmentLength", "65536"),
        ],
        [
            C.CreateTpg(T),
            C.tpg_attribute(T, 2, "generate_node_acls", 1),
            C.tpg_attribute(T, 2, "demo_mode_write_protect", 0),
            C.SetTpgAuth(T, 2, C.Chap("demo-user", "demo-secret-123")),
            C.CreateLun(T, 2, ("ramdisk", "d-null")),
            *C.targetcli_iscsi_target(T2, portal=("127.0.0.1", 3262)),
            C.CreateLun(T2, 1, ("ramdisk", "d-ram")),
            C.SetDiscoveryAuth(C.Chap("disc", "disc-secret-123", "disc-t", "disc-t-secret-1"), enforce=True),
            *C.loopback_target(LOOP),
            C.CreateLun(LOOP, 1, ("ramdisk", "d-null"), index=0, fabric="loopback"),
            C.CreateLun(LOOP, 1, ("fileio", "d-aio"), index=3, fabric="loopback"),
            C.SetLunAluaGroup(T2, 1, 0, "gone"),
        ],
        [
            C.DeleteLun(T, 1, 1),
            C.DeleteAcl(T, 1, HOST2),
            C.SetMappedLunWriteProtect(T, 1, HOST, 0, True),
            C.SetTpgEnabled(T, 2, True),
            C.alua_group_parameter("ramdisk", "d-ram", "site_b", "alua_access_status", 0),
            C.DeleteAluaGroup("ramdisk", "d-ram", "gone"),
            C.DeleteLun(LOOP, 1, 3, fabric="loopback"),
        ],
        [C.DeleteTarget(T2), C.DeleteStorageObject("fileio", "d-file"), C.DeleteTarget(LOOP, "loopback")],
    ]


def test_sim_writer_and_kernel_end_up_the_same(lab, tmp_path, kernel_env):
    from sanctl.sim import layout as L
    from sanctl.sim.blockdev import create_block_device
    from sanctl.sim.writer import SimWriter
    from sanctl.lio.configfs import read_config
    from sanctl.lio.rtslib_writer import RtslibWriter
    from sanctl.lio.saveconfig import dump

    lab.rtsroot()
    loop = lab.loop("diff-blk.img", 32 * MiB)
    file = str(lab.tmp / "diff-file.img")
    sim_root = tmp_path / "sim"
    k = L.SimKernel.boot(sim_root)
    create_block_device(k, loop, 32 * MiB)  # the same device, in the simulated sysfs
    sim = SimWriter(str(sim_root), rng=random.Random(3))
    real = RtslibWriter("/")
    for i, batch in enumerate(_batches(loop, file)):
        for writer in (sim, real):
            report = writer.apply(batch)
            assert report.ok, f"batch {i} on {writer.mode}:\n" + "\n".join(report.lines())
        ours = canonical(_strip(json.loads(json.dumps(dump(read_config(str(sim_root), details=True))))))
        theirs = canonical(_strip(json.loads(json.dumps(dump(read_config("/", details=True))))))
        differences = kernel_env.json_diff(theirs, ours)
        assert ours == theirs, f"after batch {i} (first = kernel, second = sim):\n" + "\n".join(differences)


@pytest.mark.parametrize("make, cause", [
    (lambda loop: ("backstore_attribute", "ramdisk", "d-ram", "emulate_tpu", 1), "Function not implemented"),
    (lambda loop: ("CreateBlock", "again", loop), "in use"),
    (lambda loop: ("CreateLun", T, 1, ("ramdisk", "d-ram")), "already LUN 7"),
    (lambda loop: ("DeleteTpg", T, 9), "does not exist"),
], ids=["ramdisk-unmap", "device-in-use", "lun-twice", "no-such-tpg"])
def test_sim_writer_and_kernel_refuse_the_same_things(lab, tmp_path, make, cause):
    from sanctl.sim import layout as L
    from sanctl.sim.blockdev import create_block_device
    from sanctl.sim.writer import SimWriter
    from sanctl.lio import changes as C
    from sanctl.lio.rtslib_writer import RtslibWriter

    lab.rtsroot()
    loop = lab.loop("ref-blk.img", 32 * MiB)
    file = str(lab.tmp / "ref-file.img")
    k = L.SimKernel.boot(tmp_path / "sim")
    create_block_device(k, loop, 32 * MiB)
    writers = (SimWriter(str(tmp_path / "sim")), RtslibWriter("/"))
    for batch in _batches(loop, file)[:2]:
        for writer in writers:
            assert writer.apply(batch).ok
    kind, *args = make(loop)
    for writer in writers:
        report = writer.apply([getattr(C, kind)(*args)])
        assert report.outcome == "rolled back", f"{writer.mode}: {report.message()}"
        assert cause in str(report.error), f"{writer.mode}: {report.error}"
