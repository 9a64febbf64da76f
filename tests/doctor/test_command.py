"""``sanctl doctor``: findings on the demo SAN and captured trees, exit codes for monitoring, JSON."""

from __future__ import annotations

import json
import random
import subprocess
import sys

import pytest

from sanctl.cli import main
from sanctl.doctor.command import report_text, run
from sanctl.host import host_for
from sanctl.startup import Source
from sanctl.lio import changes as C

from .conftest import CLIENT, RAC, SCRATCH, T0, apply, config_of


class FakeTime:
    """Monotonic and wall clocks that move only when the doctor sleeps."""

    def __init__(self, wall: float) -> None:
        self.mono = 100.0
        self.wall = wall
        self.slept = 0.0

    def sleep(self, seconds: float) -> None:
        self.mono += seconds
        self.wall += seconds
        self.slept += seconds


def live_demo(tmp_path, flap_phase: float = 180.0):
    from sanctl.sim.demo import build_demo
    from sanctl.sim.live import start_live_demo

    root = tmp_path / "live-demo"
    build_demo(root)
    start_live_demo(root, now=T0, flap_phase=flap_phase)
    return root


def doctor(root, mode="demo", *, observe=10.0, wall=T0 + 1, keep=True):
    clock = FakeTime(wall)
    report = run(host_for(Source(str(root), mode, False, None)), observe=observe, clock=lambda: clock.mono,
                 wall_clock=lambda: clock.wall, sleep=clock.sleep, keep=keep)
    return report, clock


def by_rule(report):
    out = {}
    for finding in report.findings:
        out.setdefault(finding.rule, []).append(finding)
    return out


# ---------------------------------------------------------------------------
# the demo SAN
# ---------------------------------------------------------------------------


def test_the_demo_san_flapping_is_an_error_and_rac_sharing_is_explained(tmp_path):
    root = live_demo(tmp_path)
    report, clock = doctor(root)
    rules = by_rule(report)
    [shared] = rules["shared_initiator_name"]
    assert shared.severity == "error" and CLIENT in shared.title
    assert shared.objects == (f"/iscsi/{RAC}/tpg1/acls/{CLIENT}",)
    assert clock.slept <= 6  # it stops watching as soon as it knows
    assert "recurring_connection_errors" not in rules  # the 1020s are explained by the shared name
    [rac] = rules["shared_lun"]
    assert rac.severity == "info" and "Oracle RAC with ASM this sharing is intended" in " ".join(rac.why)
    assert [f.severity for f in rules["login_failures"]] == ["warning"]  # the file server without an ACL
    assert "iqn.1991-05.com.microsoft:fileserver" in rules["login_failures"][0].why[0]
    assert [f.title for f in rules["unsaved_configuration"]] == ["The configuration was never saved: it is lost at reboot"]
    assert [f.severity for f in rules["open_portal_without_auth"]] == ["warning"]
    assert [f.severity for f in rules["demo_mode_sessions"]] == ["info"]  # the scratch session
    assert report.exit_code == 2 and report.errors == 1


def test_one_look_without_watching(tmp_path):
    """One look sees two hosts only while the other one holds the session; otherwise this host's 1020s
    are recurring errors, and whether a second host is behind them needs watching."""
    root = live_demo(tmp_path)
    seen = set()
    for second in range(1, 9):
        report, clock = doctor(root, observe=0, wall=T0 + second, keep=False)
        rules = by_rule(report)
        assert clock.slept == 0
        if "shared_initiator_name" in rules:
            assert "Right now this host (192.168.50.10)" in rules["shared_initiator_name"][0].why[0]
            assert "recurring_connection_errors" not in rules
            seen.add("one look")
        else:
            assert [f.severity for f in rules["recurring_connection_errors"]] == ["warning"]
            assert "1020" in rules["recurring_connection_errors"][0].title
            seen.add("recurring")
    assert seen == {"one look", "recurring"}  # the session changes hands every ~3 s


def test_nothing_to_watch_when_nothing_flaps(tmp_path):
    root = live_demo(tmp_path, flap_phase=-60)  # the last episode ended 7 minutes ago, the next is a minute away
    report, clock = doctor(root)
    assert clock.slept == 0 and "shared_initiator_name" not in by_rule(report)


def test_login_failures_since_the_last_look(tmp_path):
    root = live_demo(tmp_path)
    first, _ = doctor(root, observe=0)
    assert "login_failures" in by_rule(first)
    again, _ = doctor(root, observe=0, wall=T0 + 30)  # the file server knocks every 4 minutes
    assert "login_failures" not in by_rule(again)
    later, _ = doctor(root, observe=0, wall=T0 + 300)
    [found] = by_rule(later)["login_failures"]
    assert "(1 since the last look (4 min ago))" in found.title


# ---------------------------------------------------------------------------
# captured trees and exit codes
# ---------------------------------------------------------------------------


def test_a_captured_tree(kernel_capture):
    report, _ = doctor(kernel_capture, "captured", keep=False)
    rules = by_rule(report)
    assert [f.severity for f in rules["demo_mode_writable"]] == ["error"]
    assert rules["demo_mode_writable"][0].action is not None
    assert {"tpg_disabled", "acl_without_luns", "unmapped_lun", "chap_one_side"} <= set(rules)
    assert report.exit_code == 2
    assert any("captured tree" in note for note in report.not_checked)


@pytest.fixture
def clean_writer(demo):
    from sanctl.sim.writer import SimWriter

    return SimWriter(str(demo), rng=random.Random(7), lock_timeout=0.3)


def test_exit_codes_for_monitoring(demo, clean_writer, capsys):
    """Captured (no host facts): the demo SAN warns; RAC on one address gives information only (0)."""
    assert main(["--root", str(demo), "doctor", "--observe", "0"]) == 1
    capsys.readouterr()
    apply(clean_writer, C.DeletePortal(RAC, 1, "0.0.0.0", 3260), C.CreatePortal(RAC, 1, "127.0.0.1", 3260))
    assert main(["--root", str(demo), "doctor", "--observe", "0"]) == 0  # the RAC sharing is information
    out = capsys.readouterr().out
    assert out.startswith("sanctl doctor: 1 note\n") and "INFO     LUNs 0, 1, 2, 3, 4, 5 of" in out
    apply(clean_writer, C.DeleteTarget(RAC))
    assert main(["--root", str(demo), "doctor", "--observe", "0"]) == 0
    assert capsys.readouterr().out.startswith("sanctl doctor: nothing found\n")
    apply(clean_writer, C.tpg_attribute(SCRATCH, 1, "demo_mode_write_protect", 0))
    assert main(["--root", str(demo), "doctor", "--observe", "0"]) == 2
    assert main(["--root", str(demo / "nowhere"), "doctor"]) == 3  # could not look: Nagios' UNKNOWN


def test_json(demo, capsys):
    assert main(["--root", str(demo), "doctor", "--json", "--observe", "0"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["summary"] == {"errors": 0, "warnings": 1, "info": 1, "exit_code": 1,
                                   "text": "1 warning, 1 note"}
    assert document["mode"] == "captured"
    [warning] = [f for f in document["findings"] if f["severity"] == "warning"]
    assert warning["rule"] == "open_portal_without_auth"
    assert warning["objects"][0] == f"/iscsi/{RAC}/tpg1/portals/0.0.0.0:3260"
    assert set(warning) == {"rule", "severity", "title", "why", "fix", "objects", "details", "panel", "action"}


def test_json_carries_the_safe_fix(kernel_capture, capsys):
    assert main(["--root", str(kernel_capture), "doctor", "--json", "--observe", "0"]) == 2
    document = json.loads(capsys.readouterr().out)
    [demo_mode] = [f for f in document["findings"] if f["rule"] == "demo_mode_writable"]
    assert demo_mode["action"] == {
        "describe": "Set demo_mode_write_protect=1 on TPG iqn.2024-01.test.sanctl:capture-a/tpg2",
        "targetcli": "/iscsi/iqn.2024-01.test.sanctl:capture-a/tpg2 set attribute demo_mode_write_protect=1"}


def test_text_names_the_safe_fix_and_where(kernel_capture):
    report, _ = doctor(kernel_capture, "captured", keep=False)
    text = report_text(report, width=100)
    assert "ERROR    Demo mode with write access: iqn.2024-01.test.sanctl:capture-a/tpg2" in text
    assert "safe fix: Set demo_mode_write_protect=1 on TPG" in text
    assert "at: /iscsi/iqn.2024-01.test.sanctl:capture-a/tpg2" in text
    assert "\nNot checked:\n" in text


def test_a_host_without_the_target(tmp_path, monkeypatch):
    """No LIO here: the initiator's checks still run, and the report says why the target's did not."""
    report, _ = doctor(tmp_path, "captured", keep=False)
    assert report.findings == () and report.exit_code == 0
    assert report.not_checked[0] == "target: there is no LIO target on this host (initiator checks only)"


def test_the_demo_end_to_end_in_a_process(tmp_path):
    """The real command, its real clock: the flapping demo is an error (exit 2), and Textual stays out."""
    code = ("import sys\n"
            "from sanctl.cli import main\n"
            f"rc = main(['--demo', '--root', {str(tmp_path / 'demo')!r}, 'doctor'])\n"
            "sys.exit(rc if 'textual' not in sys.modules else 99)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "ERROR    One initiator name, 2 hosts: iqn.2024-01.storage.oracle:client" in done.stdout
    assert "demo:/etc/target/saveconfig.json does not exist" in done.stdout


def test_demo_config_unchanged_by_the_doctor(tmp_path):
    root = live_demo(tmp_path)
    before = config_of(root)
    doctor(root)
    assert config_of(root) == before
