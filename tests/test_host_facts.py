"""Host facts for the create forms: block devices (demo sysfs and fake trees), addresses, TCMU."""

from __future__ import annotations

import os

import pytest

from sanctl.host import facts as host
from sanctl.sim.demo import build_demo
from sanctl.lio.configfs import read_config


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("host") / "demo"
    build_demo(root)
    return str(root)


def _by_path(devices):
    return {d.path: d for d in devices}


def test_demo_devices_are_listed_with_their_use(demo):
    devices = _by_path(host.block_devices(demo, read_config(demo)))
    assert set(devices) == {
        "/dev/vdb", "/dev/vdb1", "/dev/vg_san/spare-1", "/dev/vg_san/spare-2",
        *(f"/dev/vg_san/{n}" for n in ("ora-ocr-1", "ora-ocr-2", "ora-ocr-3", "ora-data-1", "ora-data-2", "ora-arch")),
    }
    ocr = devices["/dev/vg_san/ora-ocr-1"]
    assert (ocr.kind, ocr.size, ocr.used_by, ocr.free) == ("lvm", 10 << 30, "block/ora-ocr-1", False)
    assert "/dev/mapper/vg_san-ora--ocr--1" in ocr.aliases
    assert ocr.note() == "used by block/ora-ocr-1"
    assert "already exported" in ocr.problem()
    part = devices["/dev/vdb1"]
    assert (part.kind, part.mountpoints, part.free) == ("part", ("/srv",), False)
    assert "mounted on /srv" in part.problem()
    disk = devices["/dev/vdb"]
    assert (disk.kind, disk.model, disk.partitions, disk.free) == ("disk", "QEMU HARDDISK", ("/dev/vdb1",), True)
    assert disk.note() == "free, has 1 partition"
    spare = devices["/dev/vg_san/spare-2"]
    assert (spare.free, spare.size, spare.note(), spare.problem()) == (True, 20 << 30, "free", None)


def test_order_disks_with_their_partitions_then_volumes(demo):
    paths = [d.path for d in host.block_devices(demo)]
    assert paths[:2] == ["/dev/vdb", "/dev/vdb1"]
    assert paths.index("/dev/vg_san/spare-1") > 1


def test_device_exists_under_a_root_means_listed(demo):
    assert host.device_exists(demo, "/dev/vg_san/spare-1")
    assert host.device_exists(demo, "/dev/mapper/vg_san-spare--1")
    assert not host.device_exists(demo, "/dev/vg_san/nope")
    assert not host.device_exists(demo, "/etc/passwd")


def test_device_exists_on_the_real_host_uses_stat():
    assert not host.device_exists("/", "/etc/hostname")
    assert not host.device_exists("/", "/dev/definitely-not-a-device")


def _fake_sysfs(root, kname, *, size=2048, holders=(), dm=None, uuid=None, partition_of=None):
    if partition_of:
        real = root / "sys/devices/x/block" / partition_of / kname
    else:
        real = root / "sys/devices/x/block" / kname
    real.mkdir(parents=True)
    (real / "size").write_text(f"{size}\n")
    (real / "holders").mkdir()
    for h in holders:
        (real / "holders" / h).write_text("")
    if partition_of:
        (real / "partition").write_text("1\n")
    if dm:
        (real / "dm").mkdir()
        (real / "dm/name").write_text(dm + "\n")
        if uuid:
            (real / "dm/uuid").write_text(uuid + "\n")
    cls = root / "sys/class/block"
    cls.mkdir(parents=True, exist_ok=True)
    os.symlink(real, cls / kname)


def test_holders_swap_mapper_and_skipped_devices(tmp_path):
    _fake_sysfs(tmp_path, "sdc")
    _fake_sysfs(tmp_path, "sdc1", holders=("dm-0",), partition_of="sdc")
    _fake_sysfs(tmp_path, "dm-0", dm="data-vol", uuid="LVM-abc")
    _fake_sysfs(tmp_path, "dm-1", dm="mpatha", uuid="mpath-3600")
    _fake_sysfs(tmp_path, "sdd")
    _fake_sysfs(tmp_path, "loop0", size=0)
    _fake_sysfs(tmp_path, "zram0")
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc/swaps").write_text("Filename Type Size Used Priority\n/dev/sdd partition 1 0 -2\n")
    devices = _by_path(host.block_devices(str(tmp_path), mounts={"/dev/mapper/data-vol": ["/data"]}))
    assert set(devices) == {"/dev/sdc", "/dev/sdc1", "/dev/data/vol", "/dev/mapper/mpatha", "/dev/sdd"}
    assert devices["/dev/sdc1"].holders == ("/dev/data/vol",)
    assert devices["/dev/sdc1"].note() == "held by /dev/data/vol"
    assert devices["/dev/data/vol"].mountpoints == ("/data",)
    assert devices["/dev/mapper/mpatha"].kind == "dm"
    assert devices["/dev/sdd"].swap and devices["/dev/sdd"].note() == "swap"


def test_lvm_names_split_like_device_mapper(tmp_path):
    """An LVM volume is listed by ``/dev/<vg>/<lv>`` from its mapper name (``-`` doubled inside names);
    a name that does not split stays a mapper device."""
    _fake_sysfs(tmp_path, "dm-0", dm="vg_san-ora--ocr--1", uuid="LVM-a")
    _fake_sysfs(tmp_path, "dm-1", dm="my--vg-lv", uuid="LVM-b")
    _fake_sysfs(tmp_path, "dm-2", dm="nodash", uuid="LVM-c")
    devices = _by_path(host.block_devices(str(tmp_path), mounts={}))
    assert devices["/dev/vg_san/ora-ocr-1"].kind == "lvm"
    assert devices["/dev/my-vg/lv"].kind == "lvm"
    assert devices["/dev/mapper/nodash"].kind == "dm"


def test_portal_addresses_under_a_root_are_fixed(demo):
    addresses = host.portal_addresses(demo, read_config(demo))
    assert addresses == ["0.0.0.0", "[::0]", "127.0.0.1", "[::1]"]


def test_portal_addresses_of_this_host_are_spelled_for_lio():
    addresses = host.portal_addresses("/")
    assert addresses[:2] == ["0.0.0.0", "[::0]"]
    assert all(not a.startswith("[fe80") for a in addresses)
    assert all(a.startswith("[") == (":" in a) for a in addresses)


def test_tcmu(demo, tmp_path):
    assert not host.has_tcmu(demo)
    (tmp_path / "sys/module/target_core_user").mkdir(parents=True)
    assert host.has_tcmu(str(tmp_path))
