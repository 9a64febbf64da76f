"""Issue 14, reproducer 3: saveconfig, backup and state files from outside are data, never a crash."""

from __future__ import annotations

import gzip
import json
import os

import pytest

from .conftest import run_cli

T = "iqn.2003-01.org.example:t1"
UNHASHABLE = {"targets": [{"fabric": "iscsi", "wwn": ["iqn.2003-01.org.example:t1"], "tpgs": []}]}
NOT_AN_OBJECT = {"targets": [{"fabric": "iscsi", "wwn": T, "tpgs": [{"tag": 1, "luns": ["lun0"]}]}]}


def _demo(tmp_path):
    root = tmp_path / "demo"
    assert run_cli("--demo", "--root", str(root), "show").returncode == 0
    return root


def _write(tmp_path, data, name="hostile.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


HOSTILE = {
    "unhashable-name": UNHASHABLE,
    "unhashable-lun-index": {"targets": [{"fabric": "iscsi", "wwn": T, "tpgs": [{"tag": 1, "luns": [{"index": {}}]}]}]},
    "item-not-an-object": NOT_AN_OBJECT,
    "nested": '{"targets": ' + "[" * 100_000 + "]" * 100_000 + "}",
    "huge-number": '{"targets": [], "x": ' + "9" * 5000 + "}",
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
@pytest.mark.parametrize("command", [("diff",), ("restore", "--dry-run")])
def test_a_hostile_saveconfig_file_is_refused_with_a_reason(tmp_path, case, command):
    root = _demo(tmp_path)
    path = _write(tmp_path, HOSTILE[case])
    done = run_cli("--demo", "--root", str(root), *command, str(path))
    assert done.clean, done.stderr
    assert done.returncode == 2, done.stderr
    assert "not a saveconfig file: " in done.stderr


def test_the_one_target_preview_of_a_hostile_file_is_refused(tmp_path):
    root = _demo(tmp_path)
    path = _write(tmp_path, NOT_AN_OBJECT)
    done = run_cli("--demo", "--root", str(root), "restore", "--dry-run", "--target", T, str(path))
    assert done.clean, done.stderr
    assert done.returncode == 2
    assert "item 0 of 'targets[0] > tpgs[0] > luns'" in done.stderr or "not a saveconfig file" in done.stderr


def test_a_hundred_megabyte_file_is_refused_before_it_is_read(tmp_path):
    root = _demo(tmp_path)
    path = tmp_path / "big.json"
    with open(path, "wb") as handle:
        handle.write(b'{"targets": []')
        handle.truncate(100 << 20)  # sparse: nothing held while building it
    done = run_cli("--demo", "--root", str(root), "diff", str(path))
    assert done.clean, done.stderr
    assert done.returncode == 2
    assert "more than the 64 MB a saveconfig file can be" in done.stderr


def test_save_does_not_inflate_a_gzip_bomb_among_the_backups(tmp_path):
    root = _demo(tmp_path)
    assert run_cli("--demo", "--root", str(root), "save").returncode == 0
    backups = next(root.glob("etc/*/backup"), None) or (next(root.glob("etc/*/saveconfig.json")).parent / "backup")
    backups.mkdir(exist_ok=True)
    bomb = backups / "saveconfig-29991231-23:59:59-json.gz"  # the newest: what save compares with
    chunk = b"\0" * (1 << 20)
    with gzip.GzipFile(bomb, "wb", compresslevel=9) as handle:
        for _ in range(500):  # 500 MB inflated, about 500 KB on disk
            handle.write(chunk)
    assert bomb.stat().st_size < 1 << 20
    done = run_cli("--demo", "--root", str(root), "save")  # under the 1 GB address-space cap
    assert done.clean, done.stderr
    assert done.returncode == 0, done.stderr


def test_a_backup_that_is_not_a_saveconfig_file_is_a_message(tmp_path):
    root = _demo(tmp_path)
    path = tmp_path / "backup-json.gz"
    path.write_bytes(gzip.compress(json.dumps(UNHASHABLE).encode()))
    done = run_cli("--demo", "--root", str(root), "diff", str(path))
    assert done.returncode == 2 and done.clean
    assert "'wwn' of targets[0] is a list, not a name or number" in done.stderr


def test_the_loader_says_what_is_wrong_in_process(tmp_path):
    from sanctl.lio.savefile import SaveFileError, load_saveconfig

    for case, data in HOSTILE.items():
        with pytest.raises(SaveFileError, match="not a saveconfig file: "):
            load_saveconfig(str(_write(tmp_path, data, f"{case}.json")))
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    with pytest.raises(SaveFileError, match="not a regular file"):
        load_saveconfig(str(fifo))
