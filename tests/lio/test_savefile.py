"""saveconfig.json: location, atomic 0600 saves with targetcli's backups, diff, restore with a per-object report."""

from __future__ import annotations

import gzip
import json
import os
import stat
from datetime import datetime, timedelta

import pytest

from sanctl.sim.demo import RAC_IQN, WEB_CLIENT, WEB_IQN
from sanctl.sim.writer import SimWriter
from sanctl.lio import apply as A
from sanctl.lio import changes as C
from sanctl.lio import savefile as S
from sanctl.lio.configfs import read_config
from sanctl.lio.impact import find_target
from sanctl.lio.saveconfig import dump
from sanctl.lio.writer import COMPLETED, LockedError, ReadOnlyError

from .conftest import canonical

T0 = datetime(2024, 3, 1, 12, 0, 0)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _ok(writer, changes):
    report = writer.apply(changes)
    assert report.outcome == COMPLETED, "\n".join(report.lines())


# ---------------------------------------------------------------------------
# Where
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("files, expected", [
    ({}, "etc/target"),
    ({"lib/systemd/system/rtslib-fb-targetctl.service": ""}, "etc/rtslib-fb-target"),
    ({"usr/lib/systemd/system/target.service": "", "etc/rtslib-fb-target/": None}, "etc/target"),
    ({"etc/rtslib-fb-target/saveconfig.json": "{}"}, "etc/rtslib-fb-target"),
    ({"etc/target/saveconfig.json": "{}"}, "etc/target"),
    ({"etc/rtslib-fb-target/": None}, "etc/rtslib-fb-target"),
    ({"etc/os-release": 'ID=ubuntu\nID_LIKE=debian\n'}, "etc/rtslib-fb-target"),
    ({"etc/os-release": 'ID=debian\n'}, "etc/rtslib-fb-target"),
    ({"etc/os-release": 'ID="fedora"\n'}, "etc/target"),
    ({"etc/os-release": 'ID="rhel"\nID_LIKE="fedora"\n'}, "etc/target"),
])
def test_the_location_is_what_the_distributions_boot_service_reads(tmp_path, files, expected):
    for rel, content in files.items():
        path = tmp_path / rel
        if content is None:
            path.mkdir(parents=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
    location = S.locate(str(tmp_path))
    assert location.directory == str(tmp_path / expected)
    assert location.path == str(tmp_path / expected / "saveconfig.json")
    assert location.why


def test_the_demo_saves_under_its_root(demo):
    assert S.locate(str(demo)).path == str(demo / "etc/target/saveconfig.json")


# ---------------------------------------------------------------------------
# Save and backups
# ---------------------------------------------------------------------------


def test_save_writes_rtslibs_format_at_0600(writer, demo):
    result = S.save(writer, now=T0)
    path = demo / "etc/target/saveconfig.json"
    assert result.path == str(path) and result.backup is None
    assert _mode(path) == 0o600
    expected = dump(read_config(str(demo), details=True))
    assert path.read_bytes() == (json.dumps(expected, sort_keys=True, indent=2) + "\n").encode()
    assert S.load(str(path)) == json.loads(json.dumps(expected))
    assert not [n for n in os.listdir(path.parent) if n.endswith(".tmp")]


def test_each_save_keeps_the_previous_file_as_a_gzipped_backup_like_targetcli(writer, demo):
    S.save(writer, now=T0)
    first = (demo / "etc/target/saveconfig.json").read_bytes()
    _ok(writer, [C.CreateRamdisk("extra", "1M")])
    result = S.save(writer, now=T0 + timedelta(seconds=5))
    assert result.backup == str(demo / "etc/target/backup/saveconfig-20240301-12:00:05-json.gz")
    assert gzip.decompress((demo / "etc/target/backup/saveconfig-20240301-12:00:05-json.gz").read_bytes()) == first
    assert _mode(result.backup) == 0o600
    # Saving again without a change writes nothing and keeps no backup.
    again = S.save(writer, now=T0 + timedelta(seconds=9))
    assert again.unchanged and again.backup is None
    S.save(writer, now=T0 + timedelta(seconds=12))
    assert [b.name for b in S.list_backups(S.locate(str(demo)))] == ["saveconfig-20240301-12:00:05-json.gz"]


def test_only_the_last_ten_backups_are_kept(writer, demo):
    for i in range(14):
        _ok(writer, [C.CreateRamdisk(f"r{i}", "1M")])
        S.save(writer, now=T0 + timedelta(minutes=i))
    names = [b.name for b in S.list_backups(S.locate(str(demo)))]
    assert len(names) == 10
    assert names[0] == "saveconfig-20240301-12:13:00-json.gz" and names[-1] == "saveconfig-20240301-12:04:00-json.gz"


def test_targetcli_conf_can_raise_the_number_of_backups(writer, demo):
    (demo / "etc/target").mkdir(parents=True)
    (demo / "etc/target/targetcli.conf").write_text("max_backup_files = 12\n")
    for i in range(15):
        _ok(writer, [C.CreateRamdisk(f"r{i}", "1M")])
        S.save(writer, now=T0 + timedelta(minutes=i))
    assert len(S.list_backups(S.locate(str(demo)))) == 12


def test_two_backups_in_one_second_keep_both_in_time_order(writer, demo):
    for i in range(3):
        _ok(writer, [C.CreateRamdisk(f"r{i}", "1M")])
        S.save(writer, now=T0)
    names = [b.name for b in S.list_backups(S.locate(str(demo)))]
    assert names == ["saveconfig-20240301-12:00:00.1-json.gz", "saveconfig-20240301-12:00:00-json.gz"]
    assert sorted(names) == names[::-1]  # plain name order is time order, for targetcli too


def test_a_failed_write_never_loses_the_previous_file(writer, demo, monkeypatch):
    S.save(writer, now=T0)
    path = demo / "etc/target/saveconfig.json"
    before = path.read_bytes()
    _ok(writer, [C.CreateRamdisk("extra", "1M")])

    def full(fd, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(S.SaveFileError) as info:
        S.save(writer, now=T0 + timedelta(seconds=1))
    assert "No space left on device" in str(info.value) and "unchanged" in str(info.value)
    monkeypatch.undo()
    assert path.read_bytes() == before
    leftovers = [n for root, _, names in os.walk(demo / "etc/target") for n in names if n.endswith(".tmp")]
    assert leftovers == []


def test_saving_is_a_write_refused_read_only_and_under_a_foreign_lock(demo, lock_holder):
    with pytest.raises(ReadOnlyError):
        S.save(SimWriter(str(demo), readonly_reason="not root: changes need root"))
    holder = lock_holder(str(demo / "var/run/targetcli.lock"))
    with pytest.raises(LockedError) as info:
        S.save(SimWriter(str(demo), lock_timeout=0.2))
    assert f"pid {holder.proc.pid}" in str(info.value)
    assert not (demo / "etc/target/saveconfig.json").exists()


@pytest.mark.parametrize("content, reason", [
    (None, "no such file"),
    (b"{not json", "not valid JSON"),
    (b"[]", "top level is not an object"),
    (b'{"targets": {}}', "'targets' is not a list"),
    (b'{"other": 1}', "no storage_objects"),
    (b"\x1f\x8b\x08garbage", "damaged gzip"),
])
def test_unreadable_files_are_a_sentence(tmp_path, content, reason):
    path = tmp_path / "saveconfig.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(S.SaveFileError) as info:
        S.load(str(path))
    assert reason in str(info.value) and str(path) in str(info.value)


# ---------------------------------------------------------------------------
# Diff and status
# ---------------------------------------------------------------------------


def test_status_follows_unsaved_changes(writer, demo):
    assert "Never saved" in S.status(str(demo)).message()
    S.save(writer, now=T0)
    assert S.status(str(demo)).differs is False
    _ok(writer, [C.DeleteLun(RAC_IQN, 1, 5),
                 C.SetAclAuth(WEB_IQN, 1, WEB_CLIENT, C.Chap("web01", "a-new-secret-1")),
                 C.CreateRamdisk("extra", "1M"),
                 C.tpg_attribute(WEB_IQN, 1, "login_timeout", 20)])
    found = S.status(str(demo))
    assert found.differs and "Unsaved changes" in found.message()
    lines = "\n".join(found.diff.lines())
    assert "+ backstore ramdisk/extra" in lines
    assert f"- {RAC_IQN}/tpg1 LUN 5" in lines
    assert f"~ {WEB_IQN}/tpg1: attributes.login_timeout 15 -> 20" in lines
    assert "chap_password (set) -> (changed)" in lines
    assert "a-new-secret" not in lines and "web01-chap-secret" not in lines
    assert S.differs(str(demo)) is True


def test_aliases_are_not_differences(demo):
    data = dump(read_config(str(demo), details=True))
    other = json.loads(json.dumps(data))
    other["targets"][0]["tpgs"][0]["luns"][0]["alias"] = "0123456789"
    assert S.diff(data, other).empty


def test_an_unreadable_saved_file_is_said_not_guessed(demo):
    (demo / "etc/target").mkdir(parents=True)
    (demo / "etc/target/saveconfig.json").write_text("{")
    found = S.status(str(demo))
    assert found.differs is None and "Cannot tell" in found.message()


# ---------------------------------------------------------------------------
# Restore
# ---------------------------------------------------------------------------


def test_restore_a_backup_with_preview_and_report(writer, demo):
    S.save(writer, now=T0)
    saved = canonical(dump(read_config(str(demo), details=True)))
    _ok(writer, [C.DeleteTarget(RAC_IQN), C.DeleteStorageObject("block", "ora-arch"), C.CreateRamdisk("extra", "1M"),
                 C.SetDiscoveryAuth(C.Chap("disc", "discovery-secret"), enforce=True)])
    data = S.load(str(demo / "etc/target/saveconfig.json"))
    preview = S.preview(S.running(str(demo)), data)
    lines = "\n".join(preview.lines())
    assert f"+ target {RAC_IQN}" in lines and "+ backstore block/ora-arch" in lines
    assert "- backstore ramdisk/extra" in lines and "- iscsi discovery authentication" in lines
    report = S.restore(writer, data, source="saveconfig.json", now=T0 + timedelta(hours=1))
    assert report.ok, "\n".join(report.lines())
    assert report.message().startswith("Restored the configuration from saveconfig.json: all 11 objects restored.")
    assert canonical(dump(read_config(str(demo), details=True))) == saved
    kept = S.list_prerestore(S.locate(str(demo)))
    assert [k.path for k in kept] == [report.kept_running] and _mode(report.kept_running) == 0o600
    assert "ramdisk" in gzip.decompress(open(report.kept_running, "rb").read()).decode()


def test_a_file_with_problems_is_refused_whole_with_every_problem_listed(writer, demo):
    before = canonical(dump(read_config(str(demo), details=True)))
    data = json.loads(json.dumps(dump(read_config(str(demo), details=True))))
    web = next(t for t in data["targets"] if t["wwn"] == WEB_IQN)
    web["tpgs"][0]["luns"][0]["storage_object"] = "/backstores/fileio/missing"  # no such backstore in the file
    scratch = next(t for t in data["targets"] if t["wwn"] != WEB_IQN and t["wwn"] != RAC_IQN)
    scratch["wwn"] = "iqn.2024-01.com.example:Bad Name"
    with pytest.raises(A.PlanRefused) as refused:
        S.restore(writer, data, source="broken.json")
    paths = [p.path for p in refused.value.problems]
    assert paths == ["/iscsi/iqn.2024-01.com.example:Bad Name", f"/iscsi/{WEB_IQN}/tpg1/luns/lun0"], paths
    assert "fileio/missing" in str(refused.value) and "nothing was changed" in str(refused.value)
    assert canonical(dump(read_config(str(demo), details=True))) == before
    assert S.list_prerestore(S.locate(str(demo))) == []  # refused before anything, the backup too


def test_export_and_restore_one_target_leaves_the_others_alone(writer, demo):
    whole = dump(read_config(str(demo), details=True))
    part = S.export_target(whole, RAC_IQN)
    assert [t["wwn"] for t in part["targets"]] == [RAC_IQN]
    assert sorted(s["name"] for s in part["storage_objects"]) == sorted(
        ["ora-ocr-1", "ora-ocr-2", "ora-ocr-3", "ora-data-1", "ora-data-2", "ora-arch"])
    assert part["fabric_modules"] == []
    _ok(writer, [C.DeleteTarget(RAC_IQN), C.DeleteStorageObject("block", "ora-arch"),
                 C.tpg_attribute(WEB_IQN, 1, "login_timeout", 20),
                 C.SetDiscoveryAuth(C.Chap("disc", "discovery-secret"), enforce=True)])
    preview = S.preview(S.running(str(demo)), part, target=RAC_IQN)
    assert {e.line() for e in preview.entries if len(e.key) == 1} == {
        f"+ target {RAC_IQN}", "+ backstore block/ora-arch"}
    report = S.restore(writer, part, target=RAC_IQN, source="rac.json")
    assert report.ok, "\n".join(report.lines())
    statuses = {r.label: r.status for r in report.results}
    assert statuses["backstore block/ora-arch"] == "restored" and statuses["backstore block/ora-ocr-1"] == "kept"
    assert statuses[f"target {RAC_IQN}"] == "restored"
    config = read_config(str(demo), details=True)
    after = dump(config)
    assert canonical(S.export_target(after, RAC_IQN)) == canonical(part)
    web = find_target(config, "iscsi", WEB_IQN).tpgs[0]
    assert web.attributes.value("login_timeout") == "20"  # untouched by the per-target restore
    assert config.fabric("iscsi").discovery_auth.enforce  # rtslib-fb's clear_existing(target=) would reset it


def test_restoring_a_target_not_in_the_file_is_bad_input(writer, demo):
    with pytest.raises(S.SaveFileError):
        S.restore(writer, dump(read_config(str(demo), details=True)), target="iqn.2024-01.com.example:nope")


def test_restore_is_refused_read_only(demo):
    data = dump(read_config(str(demo), details=True))
    with pytest.raises(ReadOnlyError):
        S.restore(SimWriter(str(demo), readonly_reason="--readonly"), data)


OLD_TCM = '''
class BlockStorageObject(StorageObject):
    def __init__(self, name, dev=None, wwn=None, readonly=False,
                 write_back=False, index=None):
        pass
'''


def test_the_file_suits_an_older_boot_time_rtslib(writer, demo):
    """Debian 12 and RHEL 9 restore at boot with rtslib-fb 2.1.7x, which has no block 'exclusive'."""
    tcm = demo / "usr/lib/python3/dist-packages/rtslib_fb/tcm.py"
    tcm.parent.mkdir(parents=True)
    tcm.write_text(OLD_TCM)
    assert S.boot_rtslib(str(demo)).knows_exclusive is False
    result = S.save(writer, now=T0)
    saved = S.load(result.path)
    blocks = [so for so in saved["storage_objects"] if so["plugin"] == "block"]
    assert blocks and all("exclusive" not in so for so in blocks)
    assert any("does not know it" in n for n in result.notes) and "Note:" in result.message()
    assert S.status(str(demo)).differs is False  # a missing 'exclusive' is the default, not a difference
    # a current rtslib-fb keeps it
    tcm.write_text(OLD_TCM.replace("index=None):", "index=None, exclusive=True):"))
    S.save(writer, now=T0 + timedelta(seconds=1))
    assert all("exclusive" in so for so in S.load(result.path)["storage_objects"] if so["plugin"] == "block")


def test_a_dump_that_fails_is_a_sentence_and_saves_nothing(writer, demo, monkeypatch):
    def broken():
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(writer, "dump", broken)
    with pytest.raises(S.SaveFileError) as info:
        S.save(writer, now=T0)
    assert "cannot read the running configuration" in str(info.value) and "nothing was saved" in str(info.value)
    assert not (demo / "etc/target/saveconfig.json").exists()


# ---------------------------------------------------------------------------
# The running configuration after a write: only what it touched is read again
# ---------------------------------------------------------------------------


def _canon_running(data):
    import json as _json

    def canon(v):
        if isinstance(v, dict):
            return {k: canon(x) for k, x in v.items()}
        if isinstance(v, list):
            return sorted((canon(x) for x in v), key=lambda x: _json.dumps(x, sort_keys=True))
        return v

    return canon(_json.loads(_json.dumps(data)))


def test_running_cache_after_writes_equals_a_full_read(writer, demo):
    from sanctl.sim.demo import RAC_IQN, WEB_IQN
    from sanctl.lio import changes as C
    from sanctl.lio import savefile
    from sanctl.lio.configfs import read_config
    from sanctl.lio.impact import impact

    root = str(demo)
    cache = savefile.RunningCache(root)
    cache.full()
    loop = "naa.5001405c0ffee123"
    batches = [
        [C.CreateRamdisk("c1", "4M"), C.CreateLun(WEB_IQN, 1, ("ramdisk", "c1"))],
        [C.SetDiscoveryAuth(C.Chap("disc", "disc-secret-123"), enforce=True)],
        [*C.loopback_target(loop), C.CreateLun(loop, 1, ("ramdisk", "c1"), fabric="loopback")],
        [C.CreateAluaGroup("ramdisk", "c1", "g2", 2), C.SetLunAluaGroup(WEB_IQN, 1, 1, "g2")],
        [C.backstore_attribute("ramdisk", "c1", "queue_depth", 64)],
        [C.CreateLun(WEB_IQN, 1, ("ramdisk", "nosuch"))],  # rolled back: nothing to read
        [C.DeleteAluaGroup("ramdisk", "c1", "g2")],  # moves LUNs anywhere: a full read
    ]
    for batch in batches:
        report = writer.apply(batch)
        scope = savefile.touched_scope(report)
        assert _canon_running(cache.touched(scope)) == _canon_running(savefile.running(root)), batch
    found = impact(read_config(root), C.DeleteStorageObject("ramdisk", "c1"))
    report = writer.apply([C.confirmed(C.DeleteStorageObject("ramdisk", "c1"), found)])
    scope = savefile.touched_scope(report)
    assert scope is not None and not scope.all_targets  # the cascade's LUN steps name their targets
    assert _canon_running(cache.touched(scope)) == _canon_running(savefile.running(root))
    report = writer.apply([C.DeleteTarget(RAC_IQN)])
    assert _canon_running(cache.touched(savefile.touched_scope(report))) == \
        _canon_running(savefile.running(root))
    status = savefile.status(root, running_config=cache.get())
    assert status.differs
