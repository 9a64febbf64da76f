"""``sanctl doctor`` on the real kernel: a real demo-mode TPG that lets anyone write
(generate_node_acls=1, demo_mode_write_protect=0) and a real unsaved change are found."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from test_writer_ops import ok

pytestmark = pytest.mark.kernel

T = "iqn.2024-01.test.sanctl:doctor"
HOST = "iqn.2024-01.test.sanctl:doctor-host"


@pytest.fixture
def writer(lab):
    from sanctl.lio.rtslib_writer import RtslibWriter

    lab.rtsroot()
    return RtslibWriter("/", lock_timeout=1.0)


@pytest.fixture
def saved_file():
    """The boot configuration file of this guest, put back as it was afterwards."""
    from sanctl.lio import savefile

    location = savefile.locate("/")
    before = open(location.path, "rb").read() if os.path.exists(location.path) else None
    backups = set(os.listdir(location.backup_dir)) if os.path.isdir(location.backup_dir) else set()
    yield location
    if before is None:
        if os.path.exists(location.path):
            os.unlink(location.path)
    else:
        with open(location.path, "wb") as handle:
            handle.write(before)
    if os.path.isdir(location.backup_dir):
        for name in set(os.listdir(location.backup_dir)) - backups:
            os.unlink(os.path.join(location.backup_dir, name))


def doctor() -> tuple[int, dict]:
    done = subprocess.run([sys.executable, "-m", "sanctl", "doctor", "--json", "--observe", "0"],
                          capture_output=True, text=True, timeout=120)
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


def test_a_writable_demo_mode_tpg_and_an_unsaved_change(lab, writer, saved_file):
    from sanctl.lio import changes as C
    from sanctl.lio import savefile

    ok(writer, [
        C.CreateRamdisk("doctor-ram", "8M"),
        *C.targetcli_iscsi_target(T, portal=("127.0.0.1", 3260)),
        C.CreateLun(T, 1, ("ramdisk", "doctor-ram")),
        C.tpg_attribute(T, 1, "generate_node_acls", 1),
        C.tpg_attribute(T, 1, "demo_mode_write_protect", 0),
    ])
    savefile.save(writer, saved_file)
    ok(writer, [C.CreateAcl(T, 1, HOST)])  # after the save: lost at reboot

    code, report = doctor()
    by_rule = {}
    for finding in report["findings"]:
        by_rule.setdefault(finding["rule"], []).append(finding)
    [demo] = by_rule["demo_mode_writable"]
    assert demo["severity"] == "error" and demo["objects"] == [f"/iscsi/{T}/tpg1"]
    assert demo["action"]["targetcli"] == f"/iscsi/{T}/tpg1 set attribute demo_mode_write_protect=1"
    [unsaved] = by_rule["unsaved_configuration"]
    assert unsaved["severity"] == "warning" and unsaved["title"].startswith("Unsaved changes: 1 added")
    assert unsaved["objects"] == [f"/iscsi/{T}/tpg1/acls/{HOST}"]
    assert any(HOST in line for line in unsaved["details"])
    assert code == 2 and report["summary"]["exit_code"] == 2

    # the safe fix, then a save: both findings go
    ok(writer, [C.tpg_attribute(T, 1, "demo_mode_write_protect", 1)])
    savefile.save(writer, saved_file)
    code, report = doctor()
    rules = {f["rule"] for f in report["findings"]}
    assert "demo_mode_writable" not in rules and "unsaved_configuration" not in rules
