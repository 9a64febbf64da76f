"""The save guard and trustworthy backups (issue 12, items 4 and 5).

An empty (or much smaller) running configuration never silently replaces a
fuller saved one; identical content is never backed up twice, an unchanged
save writes nothing, and a backup dated in the future neither causes
duplicates nor pushes the others out.
"""

from __future__ import annotations

import gzip
import os
import shutil
from datetime import datetime, timedelta

import pytest

from sanctl.cli import main
from sanctl.sim.demo import SCRATCH_IQN, WEB_IQN
from sanctl.lio import changes as C
from sanctl.lio import savefile as S
from sanctl.lio.configfs import read_config
from sanctl.lio.writer import COMPLETED

T0 = datetime(2024, 3, 1, 12, 0, 0)


def _ok(writer, changes):
    report = writer.apply(changes)
    assert report.outcome == COMPLETED, "\n".join(report.lines())


def _empty_the_kernel(writer) -> None:
    """What a reboot without restore leaves: no target, no backstore."""
    config = read_config(writer.root)
    _ok(writer, [C.DeleteTarget(t.wwn, t.fabric) for t in config.targets])
    config = read_config(writer.root)
    _ok(writer, [C.DeleteStorageObject(so.plugin, so.name) for so in config.storage_objects])
    assert S.count_objects(writer.dump()) == 0


def _flip(writer, on: bool) -> None:
    """Switch between two configurations that are byte-for-byte reproducible."""
    _ok(writer, [C.tpg_attribute(WEB_IQN, 1, "default_cmdsn_depth", 128 if on else 64)])


def _backups(demo) -> list[str]:
    return [b.name for b in S.list_backups(S.locate(str(demo)))]


def _backup_contents(demo) -> list[bytes]:
    """Each backup's configuration, as rtslib-fb would write it (so equal configurations compare equal)."""
    return [S.render(S.load_saveconfig(b.path)) for b in S.list_backups(S.locate(str(demo)))]


# ---------------------------------------------------------------------------
# Item 4: the save guard
# ---------------------------------------------------------------------------


def test_cli_save_over_an_emptied_demo_kernel_exits_1_and_keeps_the_file(writer, demo, capsys):
    assert main(["--demo", "--root", str(demo), "save"]) == 0
    saved = demo / "etc/target/saveconfig.json"
    before = saved.read_bytes()
    _empty_the_kernel(writer)
    capsys.readouterr()
    assert main(["--demo", "--root", str(demo), "save"]) == 1
    err = capsys.readouterr().err
    assert "the running configuration is empty" in err and "--force" in err and "restore" in err
    assert saved.read_bytes() == before
    assert _backups(demo) == []
    # --force saves it, keeping the full one as a backup
    assert main(["--demo", "--root", str(demo), "save", "--force"]) == 0
    assert S.count_objects(S.load(str(saved))) == 0
    assert [S.count_objects(S.load(b.path)) for b in S.list_backups(S.locate(str(demo)))] == [
        S.count_objects(__import__("json").loads(before))]


def test_save_refuses_fewer_than_half_the_saved_objects_unless_forced(writer, demo):
    S.save(writer, now=T0)
    saved = demo / "etc/target/saveconfig.json"
    before = saved.read_bytes()
    had = S.count_objects(S.load(str(saved)))
    config = read_config(str(demo))
    # delete targets until fewer than half the objects are left
    for target in config.targets:
        _ok(writer, [C.DeleteTarget(target.wwn, target.fabric)])
        if S.count_objects(writer.dump()) * 2 < had:
            break
    with pytest.raises(S.SaveRefused) as info:
        S.save(writer, now=T0 + timedelta(seconds=1))
    assert "fewer than half" in str(info.value) and f"holds {had} objects" in str(info.value)
    assert saved.read_bytes() == before
    result = S.save(writer, now=T0 + timedelta(seconds=2), force=True)
    assert result.backup and saved.read_bytes() != before


def test_a_smaller_but_not_halved_configuration_saves_without_force(writer, demo):
    S.save(writer, now=T0)
    _ok(writer, [C.DeleteTarget(SCRATCH_IQN)])
    assert S.save(writer, now=T0 + timedelta(seconds=1)).backup


def test_an_empty_configuration_saves_when_nothing_was_saved(writer, demo):
    _empty_the_kernel(writer)
    assert not S.save(writer, now=T0).unchanged
    assert S.count_objects(S.load(str(demo / "etc/target/saveconfig.json"))) == 0


# ---------------------------------------------------------------------------
# Item 5: backups
# ---------------------------------------------------------------------------


def test_two_saves_in_a_row_with_no_change_leave_no_backup_and_write_nothing(writer, demo):
    S.save(writer, now=T0)
    saved = demo / "etc/target/saveconfig.json"
    stamp = os.stat(saved).st_mtime_ns
    os.utime(saved, ns=(stamp - 10**9, stamp - 10**9))
    first = S.save(writer, now=T0 + timedelta(seconds=1))
    second = S.save(writer, now=T0 + timedelta(seconds=2))
    assert first.unchanged and second.unchanged and first.backup is None and second.backup is None
    assert _backups(demo) == []
    assert os.stat(saved).st_mtime_ns == stamp - 10**9  # not rewritten
    assert not os.path.exists(demo / "etc/target/backup")


def test_identical_content_is_never_backed_up_twice(writer, demo):
    S.save(writer, now=T0)
    for i in range(6):  # A, B, A, B...: two configurations, however many saves
        _flip(writer, i % 2 == 0)
        S.save(writer, now=T0 + timedelta(minutes=i + 1))
    contents = _backup_contents(demo)
    assert len(contents) == len(set(contents)) == 2


def test_a_future_dated_backup_and_ten_saves(writer, demo):
    """Clock skew: one backup dated 2099 must not cause duplicates nor prune the only copy of another config."""
    S.save(writer, now=T0)
    # an older configuration, kept once as a backup
    _ok(writer, [C.CreateRamdisk("older", "1M")])
    S.save(writer, now=T0 + timedelta(minutes=1))
    _ok(writer, [C.DeleteStorageObject("ramdisk", "older")])
    S.save(writer, now=T0 + timedelta(minutes=2))
    location = S.locate(str(demo))
    older_copy = [S.render(S.load_saveconfig(b.path)) for b in S.list_backups(location)]
    assert len(older_copy) == 2
    # a backup written by a host whose clock was far ahead, holding yet another configuration
    future = os.path.join(location.backup_dir, "saveconfig-20991231-23:59:59-json.gz")
    shutil.copy(S.list_backups(location)[0].path, future)
    _ok(writer, [C.CreateRamdisk("future", "1M")])
    payload = S.render(writer.dump())
    with open(future, "wb") as handle:
        handle.write(gzip.compress(payload))
    _ok(writer, [C.DeleteStorageObject("ramdisk", "future")])
    before = set(_backup_contents(demo))
    for i in range(10):
        _flip(writer, i % 2 == 1)
        S.save(writer, now=T0 + timedelta(minutes=10 + i))
    contents = _backup_contents(demo)
    assert len(contents) == len(set(contents)), "a configuration was backed up twice"
    assert before <= set(contents), "the only copy of a configuration was pruned"
    assert os.path.exists(future)


def test_pruning_ignores_future_dated_backups(writer, demo):
    location = S.locate(str(demo))
    os.makedirs(location.backup_dir)
    future = os.path.join(location.backup_dir, "saveconfig-20991231-23:59:59-json.gz")
    with open(future, "wb") as handle:
        handle.write(gzip.compress(b'{"storage_objects": [], "targets": [], "fabric_modules": [{"name": "x"}]}\n'))
    for i in range(12):
        _ok(writer, [C.CreateRamdisk(f"r{i}", "1M")])
        S.save(writer, now=T0 + timedelta(minutes=i))
    names = _backups(demo)
    assert names[0] == os.path.basename(future)
    assert len(names) == 1 + S.MAX_BACKUPS  # ten dated ones kept, the future one not counted
    assert names[-1] == "saveconfig-20240301-12:02:00-json.gz"
