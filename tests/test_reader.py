"""read_config on trees the real kernel wrote (tests/fixtures/rac)."""

from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sanctl.model import Secret
from sanctl.lio import configfs
from sanctl.lio.configfs import ConfigfsNotFound, parse_info, read_config

FIXTURES = Path(__file__).parent / "fixtures"

RAC = "iqn.2024-01.storage.oracle:rac"
CLIENTS = ("iqn.2024-01.storage.oracle:client", "iqn.2024-01.storage.oracle:client2")
TPG_DIR = f"sys/kernel/config/target/iscsi/{RAC}/tpgt_1"


def kernel_dump(name: str) -> dict:
    return json.loads((FIXTURES / "rac" / f"{name}-rtslib-dump.json").read_text())


def test_storage_objects_match_what_the_kernel_reported(rac_idle_shared):
    config = read_config(str(rac_idle_shared))
    expected = {so["name"]: so for so in kernel_dump("idle")["storage_objects"]}
    assert {so.name for so in config.storage_objects} == set(expected)
    for so in config.storage_objects:
        assert so.plugin == "block"
        assert so.dev == expected[so.name]["dev"]
        assert so.wwn == expected[so.name]["wwn"]
        assert so.write_back is False and so.readonly is False
        assert so.status == "activated"
        assert so.attributes is None  # details wait until asked for


def test_luns_link_to_their_storage_objects(rac_idle_shared):
    config = read_config(str(rac_idle_shared))
    (target,) = config.fabric("iscsi").targets
    assert target.wwn == RAC
    (tpg,) = target.tpgs
    expected = {lun["index"]: lun for lun in kernel_dump("idle")["targets"][0]["tpgs"][0]["luns"]}
    assert {lun.index for lun in tpg.luns} == set(expected) == set(range(6))
    for lun in tpg.luns:
        assert f"/backstores/{lun.storage_object[0]}/{lun.storage_object[1]}" == expected[lun.index]["storage_object"]
        assert lun.alias == expected[lun.index]["alias"]
        assert config.storage_object(lun.storage_object).name == lun.storage_object[1]


def test_acls_and_mapped_luns(rac_idle_shared):
    config = read_config(str(rac_idle_shared))
    tpg = next(config.targets).tpgs[0]
    assert sorted(acl.node_wwn for acl in tpg.acls) == list(CLIENTS)
    for acl in tpg.acls:
        assert sorted((m.index, m.tpg_lun, m.write_protect) for m in acl.mapped_luns) == [(i, i, False) for i in range(6)]
    (portal,) = tpg.portals
    assert (portal.ip_address, portal.port, portal.iser, portal.offload) == ("0.0.0.0", 3260, False, False)
    assert tpg.enabled and not tpg.demo_mode and not tpg.authentication


def test_details_read_attributes_parameters_and_auth(rac_idle_shared):
    config = read_config(str(rac_idle_shared), details=True)
    so = config.storage_objects[0]
    assert so.attributes.value("block_size") == "512"
    assert so.attributes.get("hw_block_size").writable is False
    assert [g.name for g in so.alua_groups] == ["default_tg_pt_gp"]
    tpg = next(config.targets).tpgs[0]
    assert tpg.parameters.value("MaxConnections") == "1"
    assert tpg.auth is not None and not tpg.auth.chap
    assert {lun.alua_tg_pt_gp_name for lun in tpg.luns} == {"default_tg_pt_gp"}
    acl = tpg.acls[0]
    assert acl.attributes.value("nopin_timeout") == "15"


def test_chap_secret_is_held_but_masked(rac_idle):
    auth = rac_idle / TPG_DIR / "acls" / CLIENTS[0] / "auth"
    (auth / "userid").write_text("client\n")
    (auth / "password").write_text("s3cret-pass-12\n")
    config = read_config(str(rac_idle), details=True)
    acl = next(a for a in next(config.targets).tpgs[0].acls if a.node_wwn == CLIENTS[0])
    assert acl.auth.chap and acl.auth.userid == "client"
    assert acl.auth.password.reveal() == "s3cret-pass-12"
    assert "s3cret" not in str(acl.auth.password) and "s3cret" not in repr(acl)
    assert isinstance(acl.auth.password, Secret)


def test_a_node_vanishing_mid_read_is_skipped(rac_idle, monkeypatch):
    """Someone deletes an ACL between our listing of acls/ and our reading of it."""
    victim = str(rac_idle / TPG_DIR / "acls" / CLIENTS[1])
    real_names = configfs._names

    def racing_names(path):
        names = real_names(path)
        if path.endswith("/acls") and os.path.isdir(victim):
            shutil.rmtree(victim)
        return names

    monkeypatch.setattr(configfs, "_names", racing_names)
    config = read_config(str(rac_idle))
    assert [acl.node_wwn for acl in next(config.targets).tpgs[0].acls] == [CLIENTS[0]]


def test_a_storage_object_vanishing_mid_read_is_skipped(rac_idle, monkeypatch):
    real_read = configfs._read

    def racing_read(path):
        if path.endswith("ora-arch/info"):
            raise FileNotFoundError(errno.ENOENT, "gone", path)
        return real_read(path)

    monkeypatch.setattr(configfs, "_read", racing_read)
    config = read_config(str(rac_idle))
    assert "ora-arch" not in {so.name for so in config.storage_objects}
    assert len(config.storage_objects) == 5


def test_an_unreadable_attribute_is_reported_not_raised(rac_idle, monkeypatch):
    real_read = configfs._read_setting

    def failing_read(dir_fd, name):
        if name == "queue_depth" and os.readlink(f"/proc/self/fd/{dir_fd}").endswith("/attrib"):
            raise OSError(errno.EIO, "Input/output error", name)
        return real_read(dir_fd, name)

    monkeypatch.setattr(configfs, "_read_setting", failing_read)
    config = read_config(str(rac_idle), details=True)
    setting = config.storage_objects[0].attributes.get("queue_depth")
    assert setting.unreadable and setting.error == "Input/output error"
    assert setting.shown() == "<unreadable: Input/output error>"


def test_write_only_files_are_listed_but_not_read(rac_idle_shared):
    control = rac_idle_shared / "sys/kernel/config/target/core/iblock_0/ora-ocr-1/control"
    assert oct(control.stat().st_mode & 0o777) == "0o200"
    config = read_config(str(rac_idle_shared), details=True)
    assert config.problems == ()


def test_a_broken_lun_link_is_shown_as_broken(rac_idle):
    lun_dir = rac_idle / TPG_DIR / "lun" / "lun_0"
    link = next(p for p in lun_dir.iterdir() if p.is_symlink())
    link.unlink()
    os.symlink("../../../../../../target/core/iblock_9/missing", link)
    config = read_config(str(rac_idle))
    lun0 = next(lun for lun in next(config.targets).tpgs[0].luns if lun.index == 0)
    assert lun0.storage_object == ("block", "missing")
    assert config.storage_object(lun0.storage_object) is None


def test_missing_tree_raises_configfs_not_found(tmp_path):
    with pytest.raises(ConfigfsNotFound):
        read_config(str(tmp_path))


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ("Status: ACTIVATED  Max Queue Depth: 0  SectorSize: 512  HwMaxSectors: 16384\n"
         "        TCM FILEIO ID: 0        File: /tmp/lun0.img  Size: 67108864  Mode: O_DSYNC Async: 0", "Size", "67108864"),
        ("Status: ACTIVATED  Max Queue Depth: 0  SectorSize: 512  HwMaxSectors: 16384\n"
         "        TCM FILEIO ID: 0        File: /tmp/lun0.img  Size: 67108864  Mode: O_DSYNC Async: 0", "SectorSize", "512"),
        ("Status: DEACTIVATED  Max Queue Depth: 0  SectorSize: 512  HwMaxSectors: 1024\n"
         "        Ramdisk ID: 0  Ramdisk Size: 1024MB\n        PAGES/PAGE_SIZE: 262144*4096  nullio: 1", "PAGES/PAGE_SIZE", "262144*4096"),
    ],
)
def test_parse_info_reads_keys_like_rtslib(text, key, value):
    assert parse_info(text)[key] == value


def _settings_with_paths(cfs: Path, config):
    """(directory, Settings) of every settings group a detailed read holds."""
    for so in config.storage_objects:
        yield cfs / so.path / "attrib", so.attributes
        for group in so.alua_groups:
            yield cfs / so.path / "alua" / group.name, group.settings
    for fabric in config.fabrics:
        for target in fabric.targets:
            yield cfs / target.path / "param", target.parameters
            for tpg in target.tpgs:
                yield cfs / tpg.path / "attrib", tpg.attributes
                yield cfs / tpg.path / "param", tpg.parameters
                for acl in tpg.acls:
                    yield cfs / acl.path / "attrib", acl.attributes
                    if acl.auth is not None:
                        assert (cfs / acl.path / "auth").is_dir()


@pytest.mark.parametrize("tree", ["rac_idle_shared", "kernel_capture", "demo_tree"])
def test_each_settings_writability_is_its_own_files_mode(tree, request):
    """Within a read the reader looks up the mode of an attribute name once per kind of directory
    (configfs gives every instance of an attribute its definition's mode): on the real kernel's trees
    (every backstore kind, read-only hw_* and ALUA ``members``, write-only files) and the demo's, each
    setting must still say what its own file's mode says, as rtslib-fb decides it."""
    root = request.getfixturevalue(tree)
    config = read_config(str(root), details=True)
    cfs = Path(root) / "sys/kernel/config/target"
    checked = read_only = 0
    for directory, settings in _settings_with_paths(cfs, config):
        names = sorted(p.name for p in directory.iterdir() if p.is_file() and not p.is_symlink()) if directory.is_dir() else []
        assert [s.name for s in settings] == names, directory
        for setting in settings:
            mode = os.lstat(directory / setting.name).st_mode
            assert (setting.writable, setting.readable) == (bool(mode & 0o200), bool(mode & 0o400)), directory / setting.name
            checked += 1
            read_only += not setting.writable
    assert checked > 100 and read_only > 5, (checked, read_only)


@pytest.fixture
def demo_tree(tmp_path):
    from sanctl.sim.demo import build_demo

    build_demo(tmp_path / "demo")
    return tmp_path / "demo"


_LINK_PARTS = st.sampled_from(["..", ".", "", "target", "core", "iblock_0", "lun_0", ".x", "a..", "..b", "a.b"])


@given(parts=st.lists(_LINK_PARTS, max_size=12), absolute=st.booleans(), depth=st.integers(0, 10))
def test_a_link_resolves_as_the_path_it_names(parts, absolute, depth):
    """The reader resolves the kernel's relative links by counting their ``..``; any other form by the path
    arithmetic of os.path. Either way: where the link points, relative to the target root."""
    cfs = "/r/sys/kernel/config/target"
    link_path = "/".join([cfs, *[f"d{i}" for i in range(depth)], "alias"])
    dest = ("/" if absolute else "") + "/".join(parts)
    expected_full = os.path.normpath(os.path.join(os.path.dirname(link_path), dest))
    expected = expected_full[len(cfs) + 1:] if expected_full.startswith(cfs + "/") else None
    real_readlink = os.readlink
    try:
        os.readlink = lambda path: dest  # type: ignore[assignment]
        found = configfs.link_target(link_path, cfs)
    finally:
        os.readlink = real_readlink
    assert found == expected
