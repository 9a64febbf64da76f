"""Save and restore on the real kernel: sanctl's saveconfig.json is targetctl's,
both ways, and a restore reports per object what it restored."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from test_writer_ops import HOST, MiB, T, T2, canonical, config, ok, running_dump

pytestmark = pytest.mark.kernel


@pytest.fixture
def writer(lab):
    from sanctl.lio.rtslib_writer import RtslibWriter

    lab.rtsroot()
    return RtslibWriter("/", lock_timeout=1.0)


@pytest.fixture
def location(tmp_path):
    from sanctl.lio.savefile import SaveLocation

    return SaveLocation("/", str(tmp_path / "etc-target"), "test")


def _build(lab, writer, kernel_env):
    from sanctl.lio import changes as C

    loop = lab.loop("sr-blk.img", 32 * MiB)
    ok(writer, [
        C.CreateBlock("sr-block", loop),
        C.CreateFileio("sr-file", str(lab.tmp / "sr-file.img"), "16M", write_back=True),
        C.CreateRamdisk("sr-ram", "8M"),
        *C.targetcli_iscsi_target(T, portal=(kernel_env.PORTAL_IP, 3260)),
        C.CreateAcl(T, 1, HOST, acl_tag="grp"),
        C.CreateLun(T, 1, ("block", "sr-block")),
        C.CreateLun(T, 1, ("fileio", "sr-file")),
        C.SetAclAuth(T, 1, HOST, C.Chap("host-a", "host-a-secret1", "writer", "writer-secret-1")),
        C.tpg_attribute(T, 1, "authentication", 1),
        *C.targetcli_iscsi_target(T2, portal=("::1", 3261)),
        C.CreateLun(T2, 1, ("ramdisk", "sr-ram")),
        C.tpg_attribute(T2, 1, "generate_node_acls", 1),
        C.SetDiscoveryAuth(C.Chap("disc", "disc-secret-123"), enforce=True),
    ])


def _targetctl() -> list[str]:
    """Debian's targetctl (python3-rtslib-fb 2.1.x, system Python) if installed, else the venv's rtslib-fb."""
    if shutil.which("targetctl") and os.path.exists("/usr/lib/python3/dist-packages/rtslib_fb"):
        os.makedirs("/etc/rtslib-fb-target", exist_ok=True)  # its unit's ExecStart does this first (dbroot)
        return ["targetctl"]
    return [sys.executable, "-m", "rtslib.targetctl"]


def _clear():
    from rtslib import RTSRoot

    RTSRoot().clear_existing(confirm=True)
    assert not list(config(details=False).targets) and not config(details=False).storage_objects


def test_save_equals_rtslib_save_to_file_and_targetctl_restores_it(lab, writer, location, kernel_env, tmp_path):
    from rtslib import RTSRoot

    from sanctl.lio import savefile as S

    _build(lab, writer, kernel_env)
    before = running_dump()
    result = S.save(writer, location)
    assert stat.S_IMODE(os.stat(result.path).st_mode) == 0o600
    theirs = tmp_path / "rtslib.json"
    RTSRoot().save_to_file(str(theirs))
    # rtslib-fb's own file, adapted as sanctl adapts it for the boot-time rtslib-fb, byte for byte
    expected, _ = S.for_boot(json.loads(theirs.read_text()), "/")
    assert Path(result.path).read_bytes() == S.render(expected)

    _clear()
    proc = subprocess.run([*_targetctl(), "restore", result.path], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and not proc.stderr.strip(), proc.stderr
    assert S.diff(S.load(result.path), S.running("/")).empty
    after = running_dump()
    for so in before["storage_objects"]:
        so.pop("exclusive", None)  # 2.1.x restores without it (exclusive is its only behaviour)
    for so in after["storage_objects"]:
        so.pop("exclusive", None)
    assert after == before

    # and back: what targetctl saves, sanctl reads as the same configuration
    again = tmp_path / "targetctl-save.json"
    proc = subprocess.run([*_targetctl(), "save", str(again)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert S.diff(S.load(str(again)), S.running("/")).empty


def test_why_the_file_is_adapted_for_the_boot_time_rtslib(lab, writer, kernel_env, tmp_path):
    """rtslib-fb 2.2's own saveconfig.json loses every block backstore under Debian's targetctl (2.1.x)."""
    from rtslib import RTSRoot

    from sanctl.lio import savefile as S

    boot = S.boot_rtslib("/")
    if boot is None or boot.knows_exclusive or _targetctl()[0] != "targetctl":
        pytest.skip("the distribution's rtslib-fb knows 'exclusive' (or is not installed)")
    _build(lab, writer, kernel_env)
    raw = tmp_path / "rtslib-2.2.json"
    RTSRoot().save_to_file(str(raw))
    _clear()
    proc = subprocess.run(["targetctl", "restore", str(raw)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0  # targetctl says nothing failed...
    assert "exclusive" in proc.stderr  # ...but printed why the block backstore was skipped
    assert config(details=False).storage_object(("block", "sr-block")) is None


def test_save_clear_restore_round_trip_with_a_report(lab, writer, location, kernel_env):
    from sanctl.lio import savefile as S

    _build(lab, writer, kernel_env)
    before = running_dump()
    S.save(writer, location)
    assert S.status("/", location).differs is False
    _clear()
    assert S.status("/", location).differs is True
    data = S.load(location.path)
    preview = S.preview(S.running("/"), data)
    assert {e.line() for e in preview.entries} >= {f"+ target {T}", f"+ target {T2}", "+ backstore block/sr-block"}
    report = S.restore(writer, data, source=location.path, location=location)
    assert report.ok, "\n".join(report.lines())
    assert {r.status for r in report.results} == {"restored"} and len(report.results) == 6
    assert running_dump() == before
    assert report.kept_running and stat.S_IMODE(os.stat(report.kept_running).st_mode) == 0o600


def test_a_restore_that_fails_on_the_kernel_is_rolled_back_whole(lab, writer, location, kernel_env):
    from sanctl.lio import savefile as S

    _build(lab, writer, kernel_env)
    data = json.loads(json.dumps(S.running("/")))
    for so in data["storage_objects"]:
        if so["name"] == "sr-block":
            so["dev"] = "/dev/sanctl-no-such-disk"
    _clear()
    report = S.restore(writer, data, source="edited.json", location=location)
    assert not report.ok and report.outcome == "rolled back"
    assert report.message().startswith("Restore of the configuration from edited.json FAILED and was rolled back")
    assert any("sr-block" in e for e in report.errors), report.errors
    assert not list(config(details=False).targets) and not config(details=False).storage_objects


def test_per_target_export_and_restore_keep_the_rest(lab, writer, location, kernel_env, tmp_path):
    from sanctl.lio import changes as C
    from sanctl.lio import savefile as S

    _build(lab, writer, kernel_env)
    part = S.export_target(S.running("/"), T)
    assert [t["wwn"] for t in part["targets"]] == [T]
    assert sorted(s["name"] for s in part["storage_objects"]) == ["sr-block", "sr-file"]
    ok(writer, [C.DeleteTarget(T), C.DeleteStorageObject("fileio", "sr-file"),
                C.tpg_attribute(T2, 1, "login_timeout", 20)])
    report = S.restore(writer, part, target=T, source="t.json", location=location)
    assert report.ok, "\n".join(report.lines())
    assert {r.label: r.status for r in report.results} == {
        "backstore block/sr-block": "kept", "backstore fileio/sr-file": "restored", f"target {T}": "restored"}
    now = S.running("/")
    assert canonical(S.export_target(now, T)) == canonical(part)
    other = next(t for t in now["targets"] if t["wwn"] == T2)
    assert other["tpgs"][0]["attributes"]["login_timeout"] == 20
    assert now["fabric_modules"] and now["fabric_modules"][0]["discovery_enable_auth"] is True


def test_sanctl_save_on_the_kernel_uses_the_distributions_file(lab, writer, kernel_env):
    """``sanctl save`` as root on the real kernel: the file Debian's boot service restores."""
    from sanctl.lio import savefile as S

    _build(lab, writer, kernel_env)
    location = S.locate("/")
    proc = subprocess.run([sys.executable, "-m", "sanctl", "save", "--json"], capture_output=True, text=True,
                          timeout=120, cwd=str(Path(__file__).resolve().parents[2]))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["path"] == location.path
    assert S.diff(S.load(location.path), S.running("/")).empty
