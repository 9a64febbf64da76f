"""Boot-time login service and iscsid via a fake systemctl; multipath -ll parsing."""

from __future__ import annotations

import json
import os
import sys

import pytest

from initiator_helpers import write_shim
from sanctl.initiator import services
from sanctl.initiator.multipath import multipath_devices, parse_multipath_ll

# What systemctl printed on a Debian 13 host with open-iscsi installed and no systemd running.
DEBIAN = {
    "is-enabled iscsi.service": (0, "alias", ""),
    "is-enabled open-iscsi.service": (0, "enabled", ""),
    "is-active iscsid.socket": (1, "", "System has not been booted with systemd as init system (PID 1). Can't operate.\n"
                                          "Failed to connect to bus: Host is down"),
    "is-active iscsid.service": (1, "", "System has not been booted with systemd as init system (PID 1). Can't operate.\n"
                                           "Failed to connect to bus: Host is down"),
}
MISSING = "Failed to get unit file state for {unit}: No such file or directory"


def fake_systemctl(tmp_path, monkeypatch, answers: dict[str, tuple[int, str, str]], *, hang: bool = False):
    """A systemctl answering from ``answers`` (a missing unit otherwise); logs its calls."""
    script = tmp_path / "fake_systemctl.py"
    script.write_text(
        "import json, sys, time\n"
        f"answers = json.loads({json.dumps(json.dumps(answers))})\n"
        "args = ' '.join(sys.argv[1:])\n"
        f"open({str(tmp_path / 'systemctl.log')!r}, 'a').write(args + '\\n')\n"
        f"if {hang!r}: time.sleep(30)\n"
        "rc, out, err = answers.get(args, (1, '', " + repr(MISSING) + ".format(unit=sys.argv[-1])))\n"
        "print(out) if out else None\n"
        "print(err, file=sys.stderr) if err else None\n"
        "sys.exit(rc)\n"
    )
    bin_dir = tmp_path / "bin"
    write_shim(bin_dir, "systemctl", f'#!/bin/sh\nexec "{sys.executable}" "{script}" "$@"\n')
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return tmp_path / "systemctl.log"


def test_debian_alias_resolves_to_open_iscsi_service(tmp_path, monkeypatch):
    fake_systemctl(tmp_path, monkeypatch, DEBIAN)
    state = services.boot_login_service()
    assert (state.unit, state.state) == ("open-iscsi.service", "enabled")
    assert services.boot_login_enabled() is True
    assert services.favourite_warning() is None


def test_rhel_iscsi_service_disabled_warns_with_the_fix(tmp_path, monkeypatch):
    fake_systemctl(tmp_path, monkeypatch, {"is-enabled iscsi.service": (1, "disabled", "")})
    assert services.boot_login_enabled() is False
    warning = services.favourite_warning()
    assert "iscsi.service is disabled" in warning and "systemctl enable iscsi.service" in warning


def test_no_service_installed(tmp_path, monkeypatch):
    fake_systemctl(tmp_path, monkeypatch, {})
    assert services.boot_login_service().state == "not-found"
    assert services.boot_login_enabled() is False
    assert "No boot-time login service" in services.favourite_warning()


def test_no_systemctl_is_unknown(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert services.boot_login_service().state == "unknown"
    assert services.boot_login_enabled() is None
    assert services.favourite_warning() is None
    assert services.iscsid_state().state == "unknown"
    assert not services.restart_iscsid().ok


def test_a_hung_systemctl_is_unknown_not_a_hang(tmp_path, monkeypatch):
    fake_systemctl(tmp_path, monkeypatch, {}, hang=True)
    state = services.boot_login_service(timeout=0.5)
    assert state.state == "unknown" and "did not answer" in state.detail


def test_iscsid_state_without_systemd_is_unknown(tmp_path, monkeypatch):
    fake_systemctl(tmp_path, monkeypatch, DEBIAN)
    assert services.iscsid_state().state == "unknown"


def test_iscsid_active_socket(tmp_path, monkeypatch):
    fake_systemctl(tmp_path, monkeypatch, {"is-active iscsid.socket": (0, "active", ""),
                                           "is-active iscsid.service": (3, "inactive", "")})
    assert services.iscsid_state() == services.UnitState("iscsid.socket", "active", "")


def test_restart_and_start_iscsid(tmp_path, monkeypatch):
    log = fake_systemctl(tmp_path, monkeypatch, {"restart iscsid.service": (0, "", ""),
                                                 "start iscsid.socket iscsid.service": (0, "", "")})
    monkeypatch.setattr(services, "systemd_running", lambda: True)
    assert services.restart_iscsid().ok and services.start_iscsid().ok
    assert log.read_text().splitlines() == ["restart iscsid.service", "start iscsid.socket iscsid.service"]


def test_restart_failure_is_reported(tmp_path, monkeypatch):
    fake_systemctl(tmp_path, monkeypatch, {"restart iscsid.service": (5, "", "Unit iscsid.service not found.")})
    monkeypatch.setattr(services, "systemd_running", lambda: True)
    result = services.restart_iscsid()
    assert not result.ok and "not found" in result.message


def test_restart_without_systemd_says_by_hand(monkeypatch):
    monkeypatch.setattr(services, "systemd_running", lambda: False)
    assert "by hand" in services.restart_iscsid().message


# --- multipath -ll (documented format: no capture from a real multipathd yet) -----------
MODERN = """\
mpatha (36001405abcdef0123456789abcdef012) dm-0 LIO-ORG,disk-file
size=64M features='0' hwhandler='1 alua' wp=rw
|-+- policy='service-time 0' prio=50 status=active
| `- 7:0:0:0 sdb 8:16 active ready running
`-+- policy='service-time 0' prio=10 status=enabled
  |- 8:0:0:0 sdc 8:32 failed faulty running
  `- 9:0:0:0 sdd 8:48 active i/o pending running
36001405deadbeef00000000000000001 dm-1 NETAPP,LUN C-Mode
size=10G features='3 queue_if_no_path pg_init_retries 50' hwhandler='1 alua' wp=ro
`-+- policy='round-robin 0' prio=0 status=active
  `- #:#:#:# - #:# failed faulty offline
"""

OLD = """\
mpath0 (3600a0b80000fb6e50000000e487b02f5) dm-0 IET,VIRTUAL-DISK
[size=10G][features=0][hwhandler=0][rw]
\\_ round-robin 0 [prio=1][active]
 \\_ 2:0:0:0 sdb 8:16  [active][ready]
\\_ round-robin 0 [prio=1][enabled]
 \\_ 3:0:0:0 sdc 8:32  [failed][faulty]
"""


def test_multipath_modern_format_flags_dead_paths():
    first, second = parse_multipath_ll(MODERN)
    assert (first.name, first.wwid, first.dm, first.vendor, first.product) == (
        "mpatha", "36001405abcdef0123456789abcdef012", "dm-0", "LIO-ORG", "disk-file")
    assert (first.size, first.features, first.hwhandler, first.write) == ("64M", "0", "1 alua", "rw")
    assert [(g.policy, g.priority, g.status) for g in first.groups] == [
        ("service-time 0", 50, "active"), ("service-time 0", 10, "enabled")]
    assert [(p.device, p.hctl, p.dm_state, p.checker_state, p.online_state, p.failed) for p in first.paths] == [
        ("sdb", "7:0:0:0", "active", "ready", "running", False),
        ("sdc", "8:0:0:0", "failed", "faulty", "running", True),
        ("sdd", "9:0:0:0", "active", "i/o pending", "running", False),
    ]
    assert first.paths[0].lun == 0 and first.degraded and not first.down
    assert second.name == second.wwid and second.product == "LUN C-Mode" and second.write == "ro"
    assert second.down and second.paths[0].hctl == "#:#:#:#" and second.paths[0].lun is None


def test_multipath_old_bracketed_format():
    [device] = parse_multipath_ll(OLD)
    assert device.name == "mpath0" and device.size == "10G" and device.write == "rw"
    assert [(g.policy, g.priority, g.status) for g in device.groups] == [
        ("round-robin 0", 1, "active"), ("round-robin 0", 1, "enabled")]
    assert [(p.device, p.failed) for p in device.paths] == [("sdb", False), ("sdc", True)]


def test_multipath_nothing_and_noise():
    assert parse_multipath_ll("") == []
    assert parse_multipath_ll("Dec 01 12:00:00 | sda: no usable path checker\n") == []


def test_multipath_tool(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setattr("shutil.which", lambda name, path=None: None if name == "multipath" else None)
    assert multipath_devices() is None  # not installed
    monkeypatch.undo()
    (tmp_path / "mp.txt").write_text(MODERN)
    write_shim(bin_dir, "multipath", f'#!/bin/sh\n[ "$1" = "-ll" ] && cat "{tmp_path}/mp.txt"\n')
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    assert [d.name for d in multipath_devices()] == ["mpatha", "36001405deadbeef00000000000000001"]


@pytest.mark.parametrize("junk", ["|-+- policy='x' prio=1 status=active\n", "`- 1:0:0:0 sdb 8:16 active ready running\n"])
def test_multipath_orphan_lines_are_skipped(junk):
    assert parse_multipath_ll(junk) == []


def test_multipath_real_capture_two_iscsi_paths_per_lun():
    from pathlib import Path

    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "initiator"
    fileio, ramdisk = parse_multipath_ll((fixtures / "multipath-ll-healthy.txt").read_text())
    assert (fileio.name, fileio.wwid, fileio.dm, fileio.vendor, fileio.product, fileio.size) == (
        "mpatha", "36001405f6292e27ae814dcca305953cd", "dm-0", "LIO-ORG", "FILEIO", "32M")
    assert [(g.policy, g.priority, g.status) for g in fileio.groups] == [("service-time 0", 50, "enabled")]
    assert [(p.hctl, p.device, p.devnum) for p in fileio.paths] == [("6:0:0:0", "sda", "8:0"), ("7:0:0:0", "sdc", "8:32")]
    assert not fileio.failed_paths and not fileio.degraded and not fileio.down
    assert ramdisk.product == "RAMDISK-MCP" and [p.lun for p in ramdisk.paths] == [1, 1]


def test_multipath_real_capture_with_the_second_path_dead():
    from pathlib import Path

    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "initiator"
    devices = parse_multipath_ll((fixtures / "multipath-ll-path-failed.txt").read_text())
    assert [d.name for d in devices] == ["mpatha", "mpathb"]
    for device in devices:
        assert device.degraded and not device.down
        assert [(p.device, p.dm_state, p.checker_state, p.online_state) for p in device.failed_paths] == [
            (device.paths[1].device, "failed", "faulty", "offline")]
        assert device.active_paths[0].checker_state == "ready" and device.active_paths[0].online_state == "running"
