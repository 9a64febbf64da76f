"""The demo SAN is a simulated kernel: compare what it writes with the real kernel's tree.

The reference is the RAC example captured on Debian's 6.1 kernel
(``tests/fixtures/rac/idle-root.tar.gz``, unpacked by conftest's
``rac_idle_shared``) and its ``RTSRoot().dump()``; the fileio layout comes from
``tests/fixtures/scenarios/core_device_all.txt``.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sanctl.sim import layout as L
from sanctl.sim.demo import (
    RAC_CLIENTS,
    RAC_IQN,
    SCRATCH_IQN,
    WEB_CHAP,
    WEB_CLIENT,
    WEB_IQN,
    build_demo,
    demo_kernel,
)
from sanctl.sim.scale import build_scale, expected_counts
from rtslib_tree import rtslib_on_tree

FIXTURES = Path(__file__).parent / "fixtures"
CFS = "sys/kernel/config/target"


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def entries(root: Path, sub: str = "", *, prune: tuple[str, ...] = ()) -> dict[str, tuple]:
    """Every entry under ``<root>/<CFS>/<sub>``: rel path -> (kind, mode, content or link).

    A symlink's own name is random (rtslib-fb's alias), so it is keyed as
    ``<dir>/@link``. ``prune`` names directories (relative to ``sub``) whose
    content is skipped (the directory itself is kept).
    """
    base = root / CFS / sub
    out: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(base):
        rel_dir = os.path.relpath(dirpath, base)
        rel_dir = "" if rel_dir == "." else rel_dir
        if any(rel_dir == p or rel_dir.startswith(p + "/") for p in prune):
            dirnames[:] = []
            continue
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.join(rel_dir, name)
            st_ = os.lstat(path)
            if stat.S_ISLNK(st_.st_mode):
                out[os.path.join(rel_dir, "@link")] = ("l", None, os.readlink(path))
            elif stat.S_ISDIR(st_.st_mode):
                out[rel] = ("d", stat.S_IMODE(st_.st_mode), None)
            else:
                mode = stat.S_IMODE(st_.st_mode)
                data = Path(path).read_bytes() if mode & 0o444 else b""
                out[rel] = ("f", mode, data)
        dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))]
    return out


def serials(root: Path) -> dict[str, str]:
    """storage object name -> unit serial."""
    found = {}
    for vpd in (root / CFS / "core").glob("*/*/wwn/vpd_unit_serial"):
        found[vpd.parent.parent.name] = vpd.read_text().partition(":")[2].strip()
    return found


_IBLOCK_DEV = re.compile(
    rb"iBlock device: \S+  UDEV PATH: \S+  readonly: (\d)\n        Major: \d+ Minor: \d+"
)


def normalise(rel: str, entry: tuple, serial_names: dict[str, str]) -> tuple:
    """Blank out what legitimately differs between two kernels running the same setup."""
    kind, mode, data = entry
    if kind != "f":
        return entry
    for serial, name in serial_names.items():
        data = data.replace(serial.encode(), f"<serial {name}>".encode())
    leaf = os.path.basename(rel)
    if leaf == "creation_time":  # jiffies since boot when the object was made
        data = b"<time>\n"
    elif leaf == "udev_path" and data:  # loop devices there, LVM volumes here
        data = b"<dev>\n"
    elif leaf == "info":
        data = _IBLOCK_DEV.sub(rb"iBlock device: <k>  UDEV PATH: <dev>  readonly: \1\n"
                               rb"        Major: <M> Minor: <m>", data)
    return kind, mode, data


def parse_scenario(path: Path) -> dict[str, bytes]:
    """A ``### <path>\\n<content>`` text dump -> {path below CFS: content}."""
    raw = path.read_bytes()
    out = {}
    marker = b"### /" + CFS.encode() + b"/"
    for chunk in raw.split(marker)[1:]:
        header, _, content = chunk.partition(b"\n")
        out[header.decode()] = content
    return out


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("demo") / "root"
    build_demo(root)
    return root


@pytest.fixture(scope="module")
def demo_dump(demo_root) -> dict:
    with rtslib_on_tree(demo_root) as rts:
        return rts.dump()


# ---------------------------------------------------------------------------
# no Textual
# ---------------------------------------------------------------------------


def test_sim_imports_without_textual():
    code = (
        "import sys\n"
        "import sanctl.sim, sanctl.sim.layout, sanctl.sim.kfiles, sanctl.sim.blockdev\n"
        "import sanctl.sim.demo, sanctl.sim.scale\n"
        "bad = [m for m in sys.modules if m == 'textual' or m.startswith('textual.')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent.parent)


# ---------------------------------------------------------------------------
# the demo against the real kernel
# ---------------------------------------------------------------------------


def _norm_rac_dump(dump: dict) -> dict:
    """The RAC part of a saveconfig dump with serials, devices and aliases blanked, lists sorted."""
    sos = sorted(
        ({**so, "wwn": "<serial>", "dev": "<dev>"} for so in dump["storage_objects"]
         if so["plugin"] == "block"),
        key=lambda so: so["name"],
    )
    (target,) = [t for t in dump["targets"] if t["wwn"] == RAC_IQN]
    target = json.loads(json.dumps(target))
    for tpg in target["tpgs"]:
        tpg["luns"] = sorted(({**lun, "alias": "<alias>"} for lun in tpg["luns"]),
                             key=lambda lun: lun["index"])
        tpg["portals"].sort(key=lambda p: (p["ip_address"], p["port"]))
        for acl in tpg["node_acls"]:
            acl["mapped_luns"] = sorted(({**m, "alias": "<alias>"} for m in acl["mapped_luns"]),
                                        key=lambda m: m["index"])
        tpg["node_acls"].sort(key=lambda a: a["node_wwn"])
    return {"storage_objects": sos, "target": target, "fabric_modules": dump["fabric_modules"]}


def test_demo_rtslib_dump_of_rac_equals_the_kernels(demo_dump):
    captured = json.loads((FIXTURES / "rac" / "idle-rtslib-dump.json").read_text())
    assert _norm_rac_dump(demo_dump) == _norm_rac_dump(captured)


def test_demo_rtslib_dump_has_every_object(demo_dump):
    sos = {(so["plugin"], so["name"]): so for so in demo_dump["storage_objects"]}
    assert set(sos) == {("block", n) for n in ("ora-ocr-1", "ora-ocr-2", "ora-ocr-3", "ora-data-1",
                                               "ora-data-2", "ora-arch")} | {
        ("fileio", "web-data"), ("ramdisk", "scratch")}
    web = sos[("fileio", "web-data")]
    assert (web["dev"], web["size"], web["write_back"], web["aio"]) == (
        "/srv/iscsi/web-data.img", 50 << 30, True, False)
    assert sos[("ramdisk", "scratch")]["size"] == 1 << 30
    assert sos[("block", "ora-data-1")]["dev"] == "/dev/vg_san/ora-data-1"

    targets = {t["wwn"]: t for t in demo_dump["targets"]}
    assert set(targets) == {RAC_IQN, WEB_IQN, SCRATCH_IQN}
    (web_tpg,) = targets[WEB_IQN]["tpgs"]
    assert web_tpg["attributes"]["authentication"] == 1
    assert web_tpg["parameters"]["AuthMethod"] == "CHAP"  # enforced auth drops "None"
    (acl,) = web_tpg["node_acls"]
    assert acl["node_wwn"] == WEB_CLIENT
    assert (acl["chap_userid"], acl["chap_password"]) == (WEB_CHAP["userid"], WEB_CHAP["password"])
    assert (acl["chap_mutual_userid"], acl["chap_mutual_password"]) == (
        WEB_CHAP["mutual_userid"], WEB_CHAP["mutual_password"])
    (scratch_tpg,) = targets[SCRATCH_IQN]["tpgs"]
    attrs = scratch_tpg["attributes"]
    assert (attrs["generate_node_acls"], attrs["demo_mode_write_protect"],
            attrs["cache_dynamic_acls"], attrs["authentication"]) == (1, 1, 1, 0)
    assert scratch_tpg["node_acls"] == []
    assert scratch_tpg["portals"][0]["ip_address"] == "[::1]"
    assert [lun["storage_object"] for lun in scratch_tpg["luns"]] == ["/backstores/ramdisk/scratch"]
    assert demo_dump["fabric_modules"] == []  # discovery auth off


def _rac_scope(root: Path) -> dict[str, tuple]:
    """The demo tree minus the objects the RAC capture does not have."""
    everything = entries(root)
    other = ("core/fileio_", "core/rd_mcp_", f"iscsi/{WEB_IQN}", f"iscsi/{SCRATCH_IQN}")
    return {rel: e for rel, e in everything.items() if not rel.startswith(other)}


def test_demo_tree_is_the_kernels_tree_for_rac(demo_root, rac_idle_shared):
    """File for file, mode for mode, byte for byte (after normalising serials, devices, time)."""
    real = entries(rac_idle_shared)
    demo = _rac_scope(demo_root)
    assert sorted(set(real) - set(demo)) == [], "missing in the demo"
    assert sorted(set(demo) - set(real)) == [], "extra in the demo"
    assert len(real) > 1300

    names = {**{s: n for n, s in serials(rac_idle_shared).items()},
             **{s: n for n, s in serials(demo_root).items()}}
    lu_gp = "core/alua/lu_gps/default_lu_gp/members"
    demo[lu_gp] = demo[lu_gp][:2] + (b"".join(
        line for line in demo[lu_gp][2].splitlines(keepends=True) if line.startswith(b"iblock_")),)
    diffs = [rel for rel in sorted(real)
             if normalise(rel, real[rel], names) != normalise(rel, demo[rel], names)]
    assert diffs == []


OBJECT_KINDS = {
    # kind: (subtree below CFS, directories whose content belongs to other objects)
    "configfs root": ("", ("core", "iscsi")),
    "iscsi fabric": ("iscsi", (RAC_IQN,)),
    "HBA": ("core/iblock_0", ("ora-ocr-1",)),
    "storage object": ("core/iblock_0/ora-ocr-1", ()),
    "target": (f"iscsi/{RAC_IQN}", ("tpgt_1",)),
    "TPG": (f"iscsi/{RAC_IQN}/tpgt_1", ("acls", "lun", "np")),
    "LUN": (f"iscsi/{RAC_IQN}/tpgt_1/lun/lun_0", ()),
    "portal": (f"iscsi/{RAC_IQN}/tpgt_1/np/0.0.0.0:3260", ()),
    "ACL": (f"iscsi/{RAC_IQN}/tpgt_1/acls/{RAC_CLIENTS[0]}",
            tuple(f"lun_{n}" for n in range(6))),
    "mapped LUN": (f"iscsi/{RAC_IQN}/tpgt_1/acls/{RAC_CLIENTS[1]}/lun_3", ()),
}


@pytest.mark.parametrize("kind", list(OBJECT_KINDS))
def test_object_has_the_kernels_files_and_modes(kind, demo_root, rac_idle_shared):
    sub, prune = OBJECT_KINDS[kind]
    real = {rel: e[:2] for rel, e in entries(rac_idle_shared, sub, prune=prune).items()}
    demo = {rel: e[:2] for rel, e in entries(demo_root, sub, prune=prune).items()}
    if kind == "configfs root":
        real = {r: e for r, e in real.items() if r not in ("core", "iscsi")}
        demo = {r: e for r, e in demo.items() if r not in ("core", "iscsi")}
    if kind == "iscsi fabric":
        demo = {r: e for r, e in demo.items() if not r.startswith((WEB_IQN, SCRATCH_IQN))}
    assert demo == real


def test_symlinks_are_relative_like_the_kernels(demo_root):
    tpg = demo_root / CFS / "iscsi" / RAC_IQN / "tpgt_1"
    (link,) = [p for p in (tpg / "lun" / "lun_0").iterdir() if p.is_symlink()]
    assert re.fullmatch(r"[0-9a-f]{10}", link.name)
    assert os.readlink(link) == "../../../../../../target/core/iblock_0/ora-ocr-1"
    assert link.resolve() == (demo_root / CFS / "core/iblock_0/ora-ocr-1").resolve()
    (mlink,) = [p for p in (tpg / "acls" / RAC_CLIENTS[0] / "lun_2").iterdir() if p.is_symlink()]
    assert os.readlink(mlink) == f"../../../../../../../target/iscsi/{RAC_IQN}/tpgt_1/lun/lun_2"
    assert mlink.resolve() == (tpg / "lun" / "lun_2").resolve()


def test_fileio_object_matches_the_kernels(tmp_path):
    """The fileio scenario rebuilt: same files, same content (except serial, time, I/O)."""
    captured = parse_scenario(FIXTURES / "scenarios" / "core_device_all.txt")
    k = L.SimKernel.boot(tmp_path / "r")
    so = L.create_storage_object(k, "fileio", "disk0", dev="/tmp/lun0.img", size=64 << 20)
    wwn = "iqn.2003-01.org.linux-iscsi.vt:target1"
    L.create_target(k, wwn)
    L.create_tpg(k, wwn, 1)
    L.create_lun(k, wwn, 1, 0, so)
    demo = {rel: e for rel, e in entries(tmp_path / "r", "core").items() if e[0] == "f"}
    demo = {f"core/{rel}": e[2] for rel, e in demo.items()}
    assert set(demo) == set(captured)
    live_counters = {"num_cmds", "read_mbytes", "write_mbytes", "creation_time"}
    serial_real = captured["core/fileio_0/disk0/wwn/vpd_unit_serial"].partition(b":")[2].strip()
    for rel, data in captured.items():
        if os.path.basename(rel) in live_counters or rel.endswith("/control"):
            continue
        mine = demo[rel].replace(so.serial.encode(), serial_real)
        assert mine == data, rel


def test_user_object_matches_the_kernels(tmp_path, kernel_capture):
    """The capture's TCMU backstore (``vol-user``, config ``file/vol-user.img``, 16 MiB, LUN 0 of
    capture-b, no tcmu-runner) rebuilt: same files, modes and content but the serial and the device's
    indexes and creation time (LIO-ORG as vendor, ``unblocked``, ``max_data_area_mb`` read-only)."""
    k = L.SimKernel.boot(tmp_path / "r")
    so = L.create_storage_object(k, "user", "vol-user", config="file/vol-user.img", size=16 << 20)
    wwn = "iqn.2024-01.test.sanctl:capture-b"
    L.create_target(k, wwn)
    L.create_tpg(k, wwn, 1)
    L.create_lun(k, wwn, 1, 0, so)
    real = entries(kernel_capture, "core/user_7/vol-user")
    demo = entries(tmp_path / "r", f"core/{so.hba}/vol-user")
    assert set(demo) == set(real)
    own = {"statistics/scsi_dev/indx", "statistics/scsi_dev/inst", "statistics/scsi_tgt_dev/indx",
           "statistics/scsi_tgt_dev/inst", "statistics/scsi_lu/dev", "statistics/scsi_lu/inst",
           "statistics/scsi_lu/creation_time", "statistics/scsi_lu/lu_name", "wwn/vpd_unit_serial"}
    differences = {rel: (real[rel], demo[rel]) for rel in real if real[rel] != demo[rel] and rel not in own}
    assert not differences, differences
    serial = real["wwn/vpd_unit_serial"][2].partition(b":")[2].strip()
    assert demo["wwn/vpd_unit_serial"][:2] == real["wwn/vpd_unit_serial"][:2]
    assert demo["wwn/vpd_unit_serial"][2].replace(so.serial.encode(), serial) == real["wwn/vpd_unit_serial"][2]


def test_ramdisk_and_fileio_info_parse_like_rtslib(demo_root):
    core = demo_root / CFS / "core"
    (rd_info,) = core.glob("rd_mcp_*/scratch/info")
    assert rd_info.read_text() == (
        "Status: ACTIVATED  Max Queue Depth: 0  SectorSize: 512  HwMaxSectors: 4294967288\n"
        "        TCM RamDisk ID: 0  RamDisk Makeup: rd_mcp\n"
        "        PAGES/PAGE_SIZE: 262144*4096  SG_table_count: 129  nullio: 0\n")
    (fd_info,) = core.glob("fileio_*/web-data/info")
    assert "Mode: Buffered-WCE Async: 0" in fd_info.read_text()
    assert (core / "fileio_6" / "web-data" / "attrib" / "emulate_write_cache").read_text() == "1\n"


def test_sysfs_block_devices_give_the_lv_sizes(demo_root):
    info = (demo_root / CFS / "core/iblock_3/ora-data-1/info").read_text()
    kname = re.search(r"iBlock device: (\S+)", info).group(1)
    block = demo_root / "sys/class/block" / kname
    assert int((block / "size").read_text()) * 512 == 20 << 30
    assert (block / "dm" / "name").read_text() == "vg_san-ora--data--1\n"
    assert (block / "dev").read_text() == f"253:{kname[3:]}\n"


def test_idle_acl_files_are_the_kernels(demo_root):
    acl = demo_root / CFS / "iscsi" / WEB_IQN / "tpgt_1" / "acls" / WEB_CLIENT
    assert (acl / "info").read_text() == (
        f"No active iSCSI Session for Initiator Endpoint: {WEB_CLIENT}\n")
    assert (acl / "param" / "MaxBurstLength").read_text() == "No Active iSCSI Session\n"
    assert (acl / "fabric_statistics" / "iscsi_sess_stats" / "cmd_pdus").read_bytes() == b""
    assert (acl / "auth" / "authenticate_target").read_text() == "1\n"
    assert (acl / "auth" / "userid").read_text() == WEB_CHAP["userid"] + "\n"
    for target in (RAC_IQN, WEB_IQN, SCRATCH_IQN):
        assert (demo_root / CFS / "iscsi" / target / "tpgt_1" / "dynamic_sessions").read_bytes() == b""


def test_the_reader_of_sanctl_reads_the_demo(demo_root):
    from sanctl.lio.configfs import read_config

    config = read_config(str(demo_root), details=True)
    assert {t.wwn for t in config.targets} == {RAC_IQN, WEB_IQN, SCRATCH_IQN}
    assert len(config.storage_objects) == 8


# ---------------------------------------------------------------------------
# determinism, speed
# ---------------------------------------------------------------------------


def test_two_builds_are_identical(tmp_path):
    build_demo(tmp_path / "a")
    build_demo(tmp_path / "b")
    assert entries(tmp_path / "a") == entries(tmp_path / "b")
    other = tmp_path / "c"
    build_demo(other, seed=99)
    assert entries(other) != entries(tmp_path / "a")  # the seed is what varies


# ---------------------------------------------------------------------------
# names never escape the root
# ---------------------------------------------------------------------------

BAD_NAMES = ["", ".", "..", "a/b", "../etc", "/abs", "x\0y", "a" * 300]


@pytest.mark.parametrize("bad", BAD_NAMES)
def test_bad_names_are_refused(tmp_path, bad):
    k = L.SimKernel.boot(tmp_path / "r")
    with pytest.raises(L.InvalidName):
        L.create_storage_object(k, "ramdisk", bad, size=4096)
    with pytest.raises(L.InvalidName):
        L.create_target(k, bad)
    L.create_target(k, "iqn.2024-01.com.example:t")
    L.create_tpg(k, "iqn.2024-01.com.example:t", 1)
    with pytest.raises(L.InvalidName):
        L.create_acl(k, "iqn.2024-01.com.example:t", 1, bad)
    so = L.create_storage_object(k, "ramdisk", "ok", size=4096)
    with pytest.raises(L.InvalidName):
        L.create_lun(k, "iqn.2024-01.com.example:t", 1, 0, so, alias=bad)
    assert sorted(os.listdir(tmp_path)) == ["r"]


@pytest.fixture(scope="module")
def fuzz_kernel(tmp_path_factory) -> L.SimKernel:
    k = L.SimKernel.boot(tmp_path_factory.mktemp("fuzz") / "root")
    L.create_target(k, "iqn.2024-01.com.example:t")
    L.create_tpg(k, "iqn.2024-01.com.example:t", 1)
    return k


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(name=st.text(min_size=0, max_size=40))
def test_random_names_stay_inside_the_root(fuzz_kernel, name):
    k = fuzz_kernel
    wwn = "iqn.2024-01.com.example:t"
    for make in (lambda: L.create_acl(k, wwn, 1, name),
                 lambda: L.create_storage_object(k, "ramdisk", name, size=4096),
                 lambda: L.create_target(k, name),
                 lambda: L.create_portal(k, wwn, 1, name)):
        try:
            path = make()
        except (L.InvalidName, OSError):
            continue
        real = os.path.realpath(path if isinstance(path, str) else k.path(path.rel))
        assert real.startswith(os.path.realpath(k.cfs) + os.sep)
    assert os.listdir(os.path.dirname(k.root)) == ["root"]


# ---------------------------------------------------------------------------
# kernel behaviour the writer will rely on
# ---------------------------------------------------------------------------


def test_hba_index_is_the_lowest_free_one(tmp_path):
    k = L.SimKernel.boot(tmp_path / "r")
    a = L.create_storage_object(k, "ramdisk", "a", size=4096)
    b = L.create_storage_object(k, "block", "b", dev="/dev/loop3")
    c = L.create_storage_object(k, "fileio", "c", dev="/srv/c.img", size=1 << 20)
    assert (a.hba, b.hba, c.hba) == ("rd_mcp_0", "iblock_1", "fileio_2")
    assert (a.hba_id, b.hba_id, c.hba_id) == (1, 2, 3)  # 0 is the kernel's own rd_mcp HBA
    assert (a.inst, a.index, c.index) == (2, 1, 3)
    info = Path(k.path(b.rel, "info")).read_text()
    assert "iBlock device: loop3  UDEV PATH: /dev/loop3  readonly: 0\n" in info
    assert "Major: 7 Minor: 3  CLAIMED: IBLOCK\n" in info
    L.delete_storage_object(k, b)
    assert not os.path.exists(k.path("core", "iblock_1"))
    d = L.create_storage_object(k, "ramdisk", "d", size=4096)
    assert d.hba == "rd_mcp_1" and d.hba_id == 4 and d.index == 4
    members = Path(k.path("core/alua/lu_gps/default_lu_gp/members")).read_text()
    assert members == "rd_mcp_0/a\nfileio_2/c\nrd_mcp_1/d\n"


def test_exporting_activates_and_unexporting_deactivates(tmp_path):
    k = L.SimKernel.boot(tmp_path / "r")
    wwn = "iqn.2024-01.com.example:t"
    so = L.create_storage_object(k, "block", "v", dev="/dev/vg/v")
    so_dir = Path(k.path(so.rel))
    assert (so_dir / "info").read_text().startswith("Status: DEACTIVATED")
    assert (so_dir / "statistics/scsi_tgt_dev/status").read_bytes() == b"deactivated"
    assert (so_dir / "statistics/scsi_lu/status").read_text() == "notavailable\n"
    L.create_target(k, wwn)
    L.create_tpg(k, wwn, 1)
    L.create_lun(k, wwn, 1, 7, so)
    L.create_tpg(k, wwn, 2)
    L.create_lun(k, wwn, 2, 0, so)
    assert (so_dir / "info").read_text().startswith("Status: ACTIVATED")
    assert (so_dir / "statistics/scsi_dev/ports").read_text() == "2\n"
    assert (so_dir / "alua/default_tg_pt_gp/members").read_bytes() == (
        f"iSCSI/{wwn}/tpgt_1/lun_7\n\0iSCSI/{wwn}/tpgt_2/lun_0\n\0".encode())
    lun2 = Path(k.path("iscsi", wwn, "tpgt_2", "lun", "lun_0"))
    assert (lun2 / "statistics/scsi_port/indx").read_text() == "2\n"  # per-device RTPI
    L.create_acl(k, wwn, 1, "iqn.2024-01.com.example:h")
    L.create_mapped_lun(k, wwn, 1, "iqn.2024-01.com.example:h", 0, 7, write_protect=True)
    with pytest.raises(OSError) as busy:
        L.delete_lun(k, wwn, 1, 7)
    assert busy.value.errno == errno.EBUSY
    with pytest.raises(OSError) as busy:
        L.delete_storage_object(k, so)
    assert busy.value.errno == errno.EBUSY
    with pytest.raises(OSError) as not_empty:
        L.delete_acl(k, wwn, 1, "iqn.2024-01.com.example:h")
    assert not_empty.value.errno == errno.ENOTEMPTY
    L.delete_mapped_lun(k, wwn, 1, "iqn.2024-01.com.example:h", 0)
    L.delete_lun(k, wwn, 1, 7)
    L.delete_lun(k, wwn, 2, 0)
    assert (so_dir / "info").read_text().startswith("Status: DEACTIVATED")
    assert (so_dir / "alua/default_tg_pt_gp/members").read_bytes() == b""
    with rtslib_on_tree(tmp_path / "r") as rts:
        (rso,) = list(rts.storage_objects)
        assert rso.status == "deactivated"
    L.delete_acl(k, wwn, 1, "iqn.2024-01.com.example:h")
    L.delete_tpg(k, wwn, 1)
    L.delete_tpg(k, wwn, 2)
    L.delete_target(k, wwn)
    L.delete_storage_object(k, so)
    assert sorted(os.listdir(k.path("core"))) == ["alua"]
    assert sorted(os.listdir(k.path("iscsi"))) == ["cpus_allowed_list", "discovery_auth",
                                                  "lio_version"]


def test_tpg_attributes_follow_the_kernel(tmp_path):
    k = L.SimKernel.boot(tmp_path / "r")
    wwn = "iqn.2024-01.com.example:t"
    L.create_target(k, wwn)
    tpg = Path(L.create_tpg(k, wwn, 1))
    assert (tpg / "attrib/authentication").read_text() == "1\n"  # kernel default
    assert (tpg / "enable").read_text() == "0\n"
    L.set_tpg_enable(k, wwn, 1)
    assert (tpg / "param/AuthMethod").read_text() == "CHAP\n"
    L.set_tpg_attribute(k, wwn, 1, "authentication", 0)
    assert (tpg / "param/AuthMethod").read_text() == "CHAP,None\n"
    L.set_tpg_attribute(k, wwn, 1, "generate_node_acls", 1)
    assert (tpg / "attrib/cache_dynamic_acls").read_text() == "1\n"
    L.set_tpg_attribute(k, wwn, 1, "cache_dynamic_acls", 0)  # ignored in demo mode
    assert (tpg / "attrib/cache_dynamic_acls").read_text() == "1\n"
    for attr, value in (("login_timeout", 31), ("default_erl", 3), ("authentication", 2)):
        with pytest.raises(OSError) as bad:
            L.set_tpg_attribute(k, wwn, 1, attr, value)
        assert bad.value.errno == errno.EINVAL
    with pytest.raises(OSError):
        L.set_tpg_attribute(k, wwn, 1, "no_such_thing", 1)


def test_chap_values_are_stored_like_the_kernel(tmp_path):
    k = L.SimKernel.boot(tmp_path / "r")
    wwn, init = "iqn.2024-01.com.example:t", "iqn.2024-01.com.example:h"
    L.create_target(k, wwn)
    L.create_tpg(k, wwn, 1)
    auth = Path(L.create_acl(k, wwn, 1, init)) / "auth"
    L.set_acl_auth(k, wwn, 1, init, userid="u", password="p")
    assert (auth / "authenticate_target").read_text() == "0\n"
    L.set_acl_auth(k, wwn, 1, init, mutual_userid="mu", mutual_password="mp")
    assert (auth / "authenticate_target").read_text() == "1\n"
    L.set_acl_auth(k, wwn, 1, init, mutual_password="")  # rtslib writes NULL to clear
    assert (auth / "password_mutual").read_text() == "NULL\n"
    assert (auth / "authenticate_target").read_text() == "0\n"
    with pytest.raises(OSError):
        L.set_acl_auth(k, wwn, 1, init, password="x" * 256)
    L.set_discovery_auth(k, userid="d", password="dp", enforce=True)
    disc = Path(k.path("iscsi", "discovery_auth"))
    assert (disc / "enforce_discovery_auth").read_text() == "1\n"
    with rtslib_on_tree(tmp_path / "r") as rts:
        (fm,) = [f for f in rts.dump()["fabric_modules"] if f["name"] == "iscsi"]
    assert (fm["discovery_userid"], fm["discovery_password"], fm["discovery_enable_auth"]) == (
        "d", "dp", True)


def test_portal_names(tmp_path):
    assert L.portal_dir_name("::1") == "[::1]:3260"
    assert L.portal_dir_name("[fd00::5]", 3261) == "[fd00::5]:3261"
    assert L.portal_dir_name("10.0.0.1", 860) == "10.0.0.1:860"
    for bad in ("10.0.0.256", "host.example", "../x", ""):
        with pytest.raises(OSError):
            L.portal_dir_name(bad)
    with pytest.raises(OSError):
        L.portal_dir_name("10.0.0.1", 0)


def test_pscsi_and_user_backstores_read_back(tmp_path):
    k = L.SimKernel.boot(tmp_path / "r")
    wwn = "iqn.2024-01.com.example:t"
    with k.batch():
        tape = L.create_storage_object(k, "pscsi", "tape0", dev="/dev/sg3",
                                       scsi_address=(2, 0, 1, 0),
                                       inquiry=("HP", "Ultrium 6-SCSI", "35GD"))
        zbc = L.create_storage_object(k, "user", "zbc0", config="zbc/file/zbc.raw", size=1 << 30)
        L.create_target(k, wwn)
        L.create_tpg(k, wwn, 1)
        L.create_lun(k, wwn, 1, 0, tape)
        L.create_lun(k, wwn, 1, 1, zbc)
    with rtslib_on_tree(tmp_path / "r") as rts:
        dump = rts.dump()
        pscsi = next(so for so in rts.storage_objects if so.plugin == "pscsi")
        assert (pscsi.vendor, pscsi.model, pscsi.revision) == ("HP", "Ultrium 6-SCSI", "35GD")
        assert (pscsi.host_id, pscsi.channel_id, pscsi.target_id, pscsi.lun) == (2, 0, 1, 0)
    user = next(so for so in dump["storage_objects"] if so["plugin"] == "user")
    assert (user["config"], user["size"]) == ("zbc/file/zbc.raw", 1 << 30)
    luns = {lun["index"]: lun for lun in dump["targets"][0]["tpgs"][0]["luns"]}
    assert luns[0]["alua_tg_pt_gp_name"] is None  # pscsi passes ALUA through
    assert luns[1]["alua_tg_pt_gp_name"] == "default_tg_pt_gp"


# ---------------------------------------------------------------------------
# picking up a tree again
# ---------------------------------------------------------------------------


def test_attach_rebuilds_the_kernel_state(tmp_path):
    root = tmp_path / "r"
    built = demo_kernel(root)
    again = L.SimKernel.attach(root)
    assert {key: (d.hba, d.hba_id, d.inst, d.index, d.serial, d.exports, d.rtpi_next)
            for key, d in again.devices.items()} == {
        key: (d.hba, d.hba_id, d.inst, d.index, d.serial, d.exports, d.rtpi_next)
        for key, d in built.devices.items()}
    assert {w: t.index for w, t in again.targets.items()} == {
        w: t.index for w, t in built.targets.items()}
    assert again.acl_index == built.acl_index
    for attr in ("next_hba_id", "next_inst", "next_dev_index", "next_tiqn_index",
                 "next_acl_index", "next_dm_minor", "lu_gp_members"):
        assert getattr(again, attr) == getattr(built, attr), attr
    assert again.uptime_cs >= built.uptime_cs - 1

    so = L.create_storage_object(again, "fileio", "more", dev="/srv/more.img", size=1 << 30)
    assert (so.hba, so.hba_id, so.index) == ("fileio_8", 9, 9)
    L.create_lun(again, RAC_IQN, 1, 6, so)
    with rtslib_on_tree(root) as rts:
        dump = rts.dump()
    (rac,) = [t for t in dump["targets"] if t["wwn"] == RAC_IQN]
    assert len(rac["tpgs"][0]["luns"]) == 7


def test_attach_reads_a_real_kernel_capture(rac_idle):
    k = L.SimKernel.attach(rac_idle)
    dev = k.device("block", "ora-arch")
    assert (dev.hba, dev.hba_id, dev.inst, dev.index) == ("iblock_5", 6, 7, 6)
    assert dev.exports == [(RAC_IQN, 1, 5)]
    assert k.acl_index[(RAC_IQN, 1, RAC_CLIENTS[1])] == 2
    so = L.create_storage_object(k, "ramdisk", "extra", size=1 << 20)
    assert (so.hba, so.hba_id, so.index) == ("rd_mcp_6", 7, 7)


# ---------------------------------------------------------------------------
# the big tree, small
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [
    dict(luns=50, storage_objects=10, acls=5, targets=5),
    dict(luns=53, storage_objects=20, acls=7, targets=4),
])
def test_build_scale_small_reads_back(tmp_path, shape):
    build_scale(tmp_path / "r", **shape)
    want = expected_counts(**shape)
    with rtslib_on_tree(tmp_path / "r") as rts:
        dump = rts.dump()
    tpgs = [tpg for t in dump["targets"] for tpg in t["tpgs"]]
    acls = [acl for tpg in tpgs for acl in tpg["node_acls"]]
    got = {
        "storage_objects": len(dump["storage_objects"]),
        "targets": len(dump["targets"]),
        "luns": sum(len(tpg["luns"]) for tpg in tpgs),
        "acls": len(acls),
        "mapped_luns": sum(len(acl["mapped_luns"]) for acl in acls),
    }
    assert got == want
    plugins = {so["plugin"] for so in dump["storage_objects"]}
    assert plugins == {"block", "fileio", "ramdisk"}
    # every backstore that a LUN uses says so
    used = {lun["storage_object"] for tpg in tpgs for lun in tpg["luns"]}
    for so_dir in (tmp_path / "r" / CFS / "core").glob("*_*/*/"):
        status = (so_dir / "info").read_text().split()[1]
        plugin = {"iblock": "block", "rd_mcp": "ramdisk"}.get(so_dir.parent.name.rsplit("_", 1)[0],
                                                              so_dir.parent.name.rsplit("_", 1)[0])
        assert (status == "ACTIVATED") == (f"/backstores/{plugin}/{so_dir.name}" in used)


def test_setters_read_back_in_rtslib(tmp_path):
    k = L.SimKernel.boot(tmp_path / "r")
    wwn, init = "iqn.2024-01.com.example:t", "iqn.2024-01.com.example:h"
    so = L.create_storage_object(k, "fileio", "f", dev="/srv/f.img", size=1 << 30)
    L.set_storage_object_attribute(k, so, "emulate_model_alias", 1)
    assert Path(k.path(so.rel, "wwn", "product_id")).read_text() == "f\n"
    with pytest.raises(OSError) as ro:
        L.set_storage_object_attribute(k, so, "hw_block_size", 4096)
    assert ro.value.errno == errno.EACCES
    L.create_target(k, wwn)
    L.create_tpg(k, wwn, 1)
    L.create_lun(k, wwn, 1, 0, so)
    with pytest.raises(OSError) as busy:
        L.set_storage_object_attribute(k, so, "block_size", 4096)
    assert busy.value.errno == errno.EINVAL
    L.create_portal(k, wwn, 1, "192.0.2.10", 3260)
    L.create_portal(k, wwn, 1, "::1", 3261)
    L.set_portal_flag(k, wwn, 1, "192.0.2.10", 3260, "iser", True)
    L.create_acl(k, wwn, 1, init)
    L.create_mapped_lun(k, wwn, 1, init, 5, 0)
    L.set_mapped_lun_write_protect(k, wwn, 1, init, 5, True)
    L.set_acl_tag(k, wwn, 1, init, "rack-a")
    L.set_acl_cmdsn_depth(k, wwn, 1, init, 128)
    L.set_acl_attribute(k, wwn, 1, init, "nopin_timeout", 30)
    L.set_tpg_parameter(k, wwn, 1, "MaxConnections", "4")
    L.set_tpg_auth(k, wwn, 1, userid="tu", password="tp")
    assert (Path(k.path("iscsi", wwn, "tpgt_1", "acls", init, "tag")).read_bytes() == b"rack-a")
    assert Path(k.path("iscsi", wwn, "fabric_statistics", "iscsi_instance", "portals")).read_text() == "2\n"
    with rtslib_on_tree(tmp_path / "r") as rts:
        (tpg,) = rts.dump()["targets"][0]["tpgs"]
        (acl,) = list(rts.node_acls)
        assert acl.tcq_depth == "128"
    assert sorted((p["ip_address"], p["port"], p["iser"]) for p in tpg["portals"]) == [
        ("192.0.2.10", 3260, True), ("[::1]", 3261, False)]
    (dacl,) = tpg["node_acls"]
    assert dacl["tag"] == "rack-a"
    assert dacl["attributes"]["nopin_timeout"] == 30
    assert dacl["mapped_luns"][0]["write_protect"] is True
    assert tpg["parameters"]["MaxConnections"] == "4"
    assert (tpg["chap_userid"], tpg["chap_password"]) == ("tu", "tp")
    L.delete_portal(k, wwn, 1, "::1", 3261)
    assert Path(k.path("iscsi", wwn, "fabric_statistics", "iscsi_instance", "portals")).read_text() == "1\n"
