"""The answers become writer changes in the order Apply runs them; presets refuse what their client cannot use."""

from __future__ import annotations

import pytest

from sanctl.setup.answers import Answers, Client, StorageItem
from sanctl.setup.plan import build_plan
from sanctl.setup.validate import check_all, check_preset
from sanctl.lio import changes as C

IQN = "iqn.2024-05.org.linux-iscsi.san01:disk1"
THIS = "iqn.2024-01.storage.oracle:client"


def _answers(**overrides) -> Answers:
    a = Answers(storage=[StorageItem("fileio", "disk1", file="/srv/iscsi/disk1.img", size="10G"),
                         StorageItem("block", "spare1", dev="/dev/vg_san/spare-1")],
                target=IQN, clients=[Client("web02", "iqn.2024-01.com.example:web02")])
    for key, value in overrides.items():
        setattr(a, key, value)
    return a


def test_plan_groups_in_apply_order(demo_ctx):
    a = _answers()
    assert all(c.ok for c in check_all(demo_ctx, a).values()), check_all(demo_ctx, a)
    plan = build_plan(demo_ctx, a)
    assert [g.title for g in plan.groups] == ["Storage", "Target and LUNs", "Portal", "Access", "Enable"]
    storage, target, portal, access, enable = (g.changes for g in plan.groups)
    assert storage == (
        C.CreateFileio("disk1", "/srv/iscsi/disk1.img", 10 << 30),
        C.backstore_attribute("fileio", "disk1", "emulate_tpu", 1),  # thin: a file takes UNMAP
        C.CreateBlock("spare1", "/dev/vg_san/spare-1"),  # no discard in the demo's sysfs: no emulate_tpu
    )
    assert target == (C.CreateTarget(IQN), C.CreateTpg(IQN, 1), C.tpg_attribute(IQN, 1, "authentication", 0),
                      C.CreateLun(IQN, 1, ("fileio", "disk1"), 0, map_to_acls=False),
                      C.CreateLun(IQN, 1, ("block", "spare1"), 1, map_to_acls=False))
    assert portal == (C.CreatePortal(IQN, 1, "0.0.0.0", 3260),)
    assert access == (C.CreateAcl(IQN, 1, "iqn.2024-01.com.example:web02", map_all_luns=True),)
    assert enable == (C.SetTpgEnabled(IQN, 1, True),)
    script = plan.targetcli()
    assert script[0].startswith("set global auto_add_default_portal=false")
    assert f"/iscsi create wwn={IQN}" in script and script[-1] == "saveconfig"


def test_chap_and_mutual_chap_go_on_every_acl_and_stay_out_of_the_record(demo_ctx):
    a = _answers(chap=True, mutual=True, mutual_user="target", mutual_secret="t" * 16,
                 clients=[Client("a", "iqn.2024-01.com.example:a", "a", "a" * 14),
                          Client("b", "iqn.2024-01.com.example:b", "b", "b" * 14)])
    plan = build_plan(demo_ctx, a)
    auths = [c for c in plan.changes if isinstance(c, C.SetAclAuth)]
    assert [(c.initiator, c.chap.userid, c.chap.mutual_userid) for c in auths] == [
        ("iqn.2024-01.com.example:a", "a", "target"), ("iqn.2024-01.com.example:b", "b", "target")]
    assert C.tpg_attribute(IQN, 1, "authentication", 1) in plan.changes
    text = "\n".join(plan.targetcli())
    assert "a" * 14 not in text and "t" * 16 not in text and "<secret>" in text


def test_demo_mode_has_no_acl_and_says_so(demo_ctx):
    a = _answers(demo_mode=True, clients=[Client()], chap=True)
    checks = check_all(demo_ctx, a)
    assert checks["access"].ok and any("Demo mode" in w for w in checks["access"].warnings)
    plan = build_plan(demo_ctx, a)
    assert not any(isinstance(c, (C.CreateAcl, C.SetAclAuth)) for c in plan.changes)
    assert C.tpg_attribute(IQN, 1, "generate_node_acls", 1) in plan.changes
    assert C.tpg_attribute(IQN, 1, "demo_mode_write_protect", 1) in plan.changes
    assert C.tpg_attribute(IQN, 1, "authentication", 0) in plan.changes  # CHAP is for ACLs here


def test_block_size_4096_is_set_on_files_and_memory_before_their_lun(demo_ctx):
    a = _answers(block_size="4096", storage=[StorageItem("ramdisk", "mem", size="1G"),
                                             StorageItem("fileio", "disk1", file="/srv/x.img", size="1G")])
    plan = build_plan(demo_ctx, a)
    changes = plan.changes
    for name, plugin in (("mem", "ramdisk"), ("disk1", "fileio")):
        setting = C.backstore_attribute(plugin, name, "block_size", 4096)
        lun = next(c for c in changes if isinstance(c, C.CreateLun) and c.storage_object == (plugin, name))
        assert changes.index(setting) < changes.index(lun)
    assert C.backstore_attribute("ramdisk", "mem", "emulate_tpu", 1) not in changes  # a ramdisk has no UNMAP


@pytest.mark.parametrize("preset,block_size,ok", [("linux", "4096", True), ("windows", "4096", True),
                                                  ("proxmox", "4096", True), ("esxi", "4096", False),
                                                  ("esxi", "512", True)])
def test_block_sizes_per_preset(demo_ctx, preset, block_size, ok):
    check = check_preset(demo_ctx, _answers(preset=preset, block_size=block_size))
    assert ("block_size" not in check.errors) is ok


def test_esxi_refuses_write_back(demo_ctx):
    a = _answers(preset="esxi", storage=[StorageItem("fileio", "d", file="/srv/d.img", size="1G", write_back=True)])
    check = check_preset(demo_ctx, a)
    assert any("write-through" in p for p in check.problems)
    assert check_preset(demo_ctx, _answers(preset="linux", storage=a.storage)).ok


def test_windows_takes_chap_secrets_of_12_to_16(demo_ctx):
    clients = [Client("w", "iqn.1991-05.com.microsoft:w", "w", "x" * 20)]
    check = check_preset(demo_ctx, _answers(preset="windows", chap=True, clients=clients))
    assert any("12 to 16 characters" in p for p in check.problems)
    clients[0].chap_secret = "x" * 16
    assert check_preset(demo_ctx, _answers(preset="windows", chap=True, clients=clients)).ok
    assert check_preset(demo_ctx, _answers(preset="linux", chap=True,
                                           clients=[Client("w", "iqn.1991-05.com.microsoft:w", "w", "x" * 20)])).ok


def test_proxmox_with_chap_warns_about_its_dialog(demo_ctx):
    clients = [Client("pve1", "iqn.1993-08.org.debian:01:pve1", "pve1", "y" * 16)]
    check = check_preset(demo_ctx, _answers(preset="proxmox", chap=True, clients=clients))
    assert check.ok and any("no CHAP field" in w for w in check.warnings)
