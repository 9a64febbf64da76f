"""``sanctl apply`` and ``restore`` on the real kernel: only what differs is touched.

With an initiator logged in to target A, applying a file that changes
target B leaves A's session alone (same session id and TSIH, no 1020, no
logout); targetcli's ``restoreconfig`` of the same file drops it (recorded
in the test output). A targetcli script from the Red Hat course seed builds
with ``sanctl apply`` what targetcli builds from it. A file with a
traversal name is refused with nothing created.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from test_writer_ops import MiB, canonical, ok, running_dump

pytestmark = pytest.mark.kernel

REPO = Path(__file__).resolve().parents[2]
B = "iqn.2024-01.test.sanctl:apply-b"


@pytest.fixture
def writer(lab):
    from sanctl.lio.rtslib_writer import RtslibWriter

    lab.rtsroot()
    return RtslibWriter("/", lock_timeout=1.0)


def _sanctl(*argv: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sanctl", *argv], capture_output=True, text=True,
                          timeout=timeout, cwd=str(REPO))


def _dmesg() -> list[str]:
    return subprocess.run(["dmesg"], capture_output=True, text=True, check=True).stdout.splitlines()


@pytest.fixture(scope="module")
def system_bus(tmp_path_factory):
    """A D-Bus daemon for targetcli: it asks the system bus for tcmu-runner's handlers at start and
    exits when there is no bus at all (the guest runs no dbus). No tcmu-runner answers on it."""
    exe = shutil.which("dbus-daemon")
    if exe is None:
        pytest.fail("dbus-daemon is not installed (targetcli needs a bus to start)", pytrace=False)
    folder = tmp_path_factory.mktemp("dbus")
    proc = subprocess.Popen([exe, "--session", "--nofork", "--print-address=1",
                             f"--address=unix:path={folder}/bus"], stdout=subprocess.PIPE, text=True)
    address = proc.stdout.readline().strip()
    assert address, "dbus-daemon did not start"
    yield address
    proc.terminate()
    proc.wait(timeout=10)


def _targetcli(*argv: str, home: Path, bus: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Debian's targetcli-fb (system Python, its own python3-rtslib-fb), with a private prefs folder."""
    exe = shutil.which("targetcli")
    if exe is None:
        pytest.fail("targetcli is not installed: tests/kernel/setup-host installs targetcli-fb", pytrace=False)
    env = {**os.environ, "HOME": str(home), "TARGETCLI_HOME": str(home / ".targetcli"),
           "DBUS_SYSTEM_BUS_ADDRESS": bus}
    env.pop("PYTHONPATH", None)
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run([exe, *argv], capture_output=True, text=True, timeout=timeout, env=env)


def _for_targetcli(data: dict) -> dict:
    """The file as Debian's rtslib-fb 2.1.x reads it (no block 'exclusive', which it does not know)."""
    data = json.loads(json.dumps(data))
    for so in data["storage_objects"]:
        so.pop("exclusive", None)
    return data


def _acl_session(kt, target: str, initiator: str):
    from sanctl.lio.live import parse_acl_info

    text = (kt.CFS / "iscsi" / target / "tpgt_1" / "acls" / initiator / "info").read_text()
    return parse_acl_info(text)


def _changed_file(basic_san, lab, tmp_path) -> Path:
    """The running configuration with target B changed: a new LUN (new backstore) and a changed attribute."""
    from sanctl.lio import savefile as S

    data = json.loads(json.dumps(S.running("/")))
    data["storage_objects"].append({"plugin": "ramdisk", "name": "b-new", "size": 8 * MiB, "attributes": {},
                                    "alua_tpgs": []})
    tb = next(t for t in data["targets"] if t["wwn"] == B)
    tb["tpgs"][0]["attributes"]["login_timeout"] = 20
    tb["tpgs"][0]["luns"].append({"index": 1, "storage_object": "/backstores/ramdisk/b-new",
                                  "alias": None, "alua_tg_pt_gp_name": "default_tg_pt_gp"})
    path = tmp_path / "change-b.json"
    path.write_text(json.dumps(_for_targetcli(data), indent=2))
    return path


def test_apply_changing_target_b_keeps_target_as_session_and_restoreconfig_drops_it(
        basic_san, logged_in, lab, writer, kernel_env, tmp_path, system_bus):
    from sanctl.lio import changes as C

    kt = kernel_env
    a = basic_san.target_iqn
    host = kt.initiator_name()
    ok(writer, [C.CreateRamdisk("b-ram", "8M"), *C.targetcli_iscsi_target(B, portal=(kt.PORTAL_IP, 3261)),
                C.CreateLun(B, 1, ("ramdisk", "b-ram"))])
    before = _acl_session(kt, a, host)
    assert before is not None and before.tsih is not None
    path = _changed_file(basic_san, lab, tmp_path)

    seen = len(_dmesg())
    plan = _sanctl("apply", "--dry-run", "--json", str(path))
    assert plan.returncode == 0, plan.stderr
    steps = json.loads(plan.stdout)["plan"]
    assert steps and all(B in s["object"] or s["object"] == "/backstores/ramdisk/b-new" for s in steps), steps
    assert not any(s["op"] == "delete" for s in steps)
    done = _sanctl("apply", "--yes", str(path))
    assert done.returncode == 0, done.stdout + done.stderr
    time.sleep(3)  # give a dropped session time to show
    after = _acl_session(kt, a, host)
    assert after is not None and after.identity == before.identity, (before, after)
    assert [s["name"] for s in kt.iscsi_sessions()] == [logged_in["name"]]
    assert kt.iscsi_sessions()[0]["state"] == "LOGGED_IN"
    new = _dmesg()[seen:]
    assert not [line for line in new if "1020" in line or "logout" in line.lower()], new
    print(f"sanctl apply: session of {host} on {a} kept: session id {after.sid}, TSIH {after.tsih}; "
          f"{len(new)} new kernel log lines, none about it")
    tb = next(t for t in running_dump()["targets"] if t["wwn"] == B)
    assert tb["tpgs"][0]["attributes"]["login_timeout"] == 20 and len(tb["tpgs"][0]["luns"]) == 2
    # applying it again plans nothing
    again = _sanctl("apply", "--dry-run", "--json", str(path))
    assert json.loads(again.stdout)["plan"] == []

    # targetcli's restoreconfig of the same file: everything is cleared first, so A's session drops
    ok(writer, [C.DeleteLun(B, 1, 1), C.DeleteStorageObject("ramdisk", "b-new"),
                C.tpg_attribute(B, 1, "login_timeout", 15)])
    seen = len(_dmesg())
    proc = _targetcli("restoreconfig", str(path), "clear_existing=true", home=tmp_path, bus=system_bus)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    def dropped():
        lines = [line for line in _dmesg()[seen:] if "1020" in line or "logout" in line.lower()]
        now = _acl_session(kt, a, host)
        state = kt.iscsi_sessions()[0]["state"] if kt.iscsi_sessions() else "gone"
        if lines or now is None or now.identity != before.identity or state != "LOGGED_IN":
            return lines, now, state
        return None

    lines, now, state = kt.wait_for(dropped, "targetcli restoreconfig to disturb the session", 60)
    print(f"targetcli restoreconfig clear_existing=true: the session of {host} on {a} was dropped: "
          f"kernel log {lines[:3]}; initiator state then {state}; target session then "
          f"{now.identity if now else 'none'} (it was {before.identity})")


RED_HAT_SEED = """\
set global auto_add_default_portal=false
/backstores/block create block1 {block1}
/backstores/block create block2 {block2}
/backstores/fileio create file1 {file1} 100M
/iscsi create iqn.2014-06.com.example:remotedisk1
cd /iscsi/iqn.2014-06.com.example:remotedisk1/tpg1/
acls/ create iqn.2014-06.com.example:desktop0
luns/ create /backstores/block/block1
luns/ create /backstores/block/block2
luns/ create /backstores/fileio/file1
portals/ create {ip}
"""


def _comparable(data: dict) -> dict:
    """A dump without what is random per build (serials, LUN and mapped LUN aliases)."""
    data = json.loads(json.dumps(data))
    for so in data["storage_objects"]:
        so.pop("wwn", None)
        so.pop("exclusive", None)
    for t in data["targets"]:
        for tpg in t["tpgs"]:
            for lun in tpg["luns"]:
                lun.pop("alias", None)
            for acl in tpg["node_acls"]:
                for m in acl["mapped_luns"]:
                    m.pop("alias", None)
    return canonical(data)


def test_a_red_hat_course_script_builds_what_targetcli_builds(lab, writer, kernel_env, tmp_path, system_bus):
    """Steps 3-7 of seeds/002 (Red Hat's iSCSI target module), with this VM's disks and address."""
    kt = kernel_env
    script = RED_HAT_SEED.format(block1=lab.loop("rh-1.img", 32 * MiB), block2=lab.loop("rh-2.img", 16 * MiB),
                                 file1=tmp_path / "disk1_file", ip=kt.PORTAL_IP)
    for line in script.splitlines():  # targetcli's one-shot mode, a line at a time, as the course scripts it
        words = line.split()
        if words[0] == "cd":
            continue
        if words[0].endswith("/"):
            words[0] = "/iscsi/iqn.2014-06.com.example:remotedisk1/tpg1/" + words[0]
        proc = _targetcli(*words, home=tmp_path, bus=system_bus)
        assert proc.returncode == 0, (line, proc.stdout, proc.stderr)
    by_targetcli = _comparable(running_dump())
    from rtslib import RTSRoot

    RTSRoot().clear_existing(confirm=True)  # the LIO configuration only: the loop devices and the file stay
    assert not running_dump()["targets"]
    path = tmp_path / "redhat.txt"
    path.write_text(script)
    proc = _sanctl("apply", "--yes", "--json", str(path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = json.loads(proc.stdout)
    assert out["kind"] == "script" and out["result"]["outcome"] == "completed"
    by_sanctl = _comparable(running_dump())
    assert by_sanctl == by_targetcli, kt.json_diff(by_targetcli, by_sanctl)
    print(f"sanctl apply of the Red Hat course script: {len(out['plan'])} steps, the same export as targetcli's")


def test_a_file_with_a_traversal_name_is_refused_on_the_kernel_with_nothing_created(
        basic_san, lab, writer, kernel_env, tmp_path):
    from sanctl.lio import apply as A
    from sanctl.lio import savefile as S

    before = running_dump()
    data = json.loads(json.dumps(S.running("/")))
    tpg = data["targets"][0]["tpgs"][0]
    tpg["node_acls"].append({"node_wwn": "../../../../../tmp/sanctl-evil-acl", "mapped_luns": []})
    data["storage_objects"].append({"plugin": "ramdisk", "name": "../../sanctl-evil-so", "size": 8 * MiB})
    path = tmp_path / "evil.json"
    path.write_text(json.dumps(data))
    for argv in (("apply", "--yes", str(path)), ("restore", "--yes", str(path))):
        proc = _sanctl(*argv)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "sanctl-evil-acl" in proc.stderr and "nothing was" in proc.stderr
    with pytest.raises(A.PlanRefused):
        S.restore(writer, data, source=str(path))
    assert running_dump() == before
    assert not Path("/tmp/sanctl-evil-acl").exists()
    assert not list(Path("/sys/kernel/config").rglob("sanctl-evil*"))
