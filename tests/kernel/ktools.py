"""Helpers for the kernel tier, used inside the VM by the tests and the capture.

Plain functions over subprocess, sysfs and configfs: iscsiadm with a
timeout, bounded polls, sparse files on loop devices, and what the initiator
side shows in /sys/class/iscsi_*.
"""

from __future__ import annotations

import glob
import os
import subprocess
import time
from pathlib import Path
from typing import Callable, TypeVar

REPO = Path(__file__).resolve().parents[2]
CFS = Path("/sys/kernel/config/target")
PORTAL_IP = "127.0.0.1"
PORTAL_PORT = 3260
T = TypeVar("T")


def initiator_name() -> str:
    """This guest's initiator name, from /etc/iscsi/initiatorname.iscsi."""
    for line in Path("/etc/iscsi/initiatorname.iscsi").read_text().splitlines():
        if line.startswith("InitiatorName="):
            return line.split("=", 1)[1].strip()
    raise RuntimeError("no InitiatorName in /etc/iscsi/initiatorname.iscsi")


def sh(*cmd: str, check: bool = True, timeout: float = 60, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess:
    """Run a command (LC_ALL=C), capture text output; raise with both streams on a bad exit."""
    env = dict(os.environ, LC_ALL="C")
    proc = subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout, env=env)
    if check and proc.returncode not in ok:
        raise RuntimeError(
            f"{' '.join(cmd)} exited {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}"
        )
    return proc


def iscsiadm(*args: str, ok: tuple[int, ...] = (0,), timeout: float = 90) -> subprocess.CompletedProcess:
    return sh("iscsiadm", *args, ok=ok, timeout=timeout)


def wait_for(probe: Callable[[], T], what: str, timeout: float = 60, interval: float = 0.2) -> T:
    """Poll ``probe`` until it returns something truthy; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


# --------------------------------------------------------------------------
# Backing storage
# --------------------------------------------------------------------------
def sparse_file(path: str | Path, size: int) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.truncate(size)
    return path


def losetup(path: str | Path) -> str:
    """Attach a file to a free loop device; return /dev/loopN."""
    return sh("losetup", "-f", "--show", str(path)).stdout.strip()


def losetup_detach(dev: str) -> None:
    sh("losetup", "-d", dev, check=False)


# --------------------------------------------------------------------------
# The initiator side
# --------------------------------------------------------------------------
def read_value(path: str | Path) -> str:
    """A sysfs/configfs value, stripped; "" if it cannot be read."""
    try:
        return Path(path).read_text(errors="replace").strip()
    except OSError:
        return ""


def iscsi_sessions() -> list[dict]:
    """One dict per /sys/class/iscsi_session/sessionN: name, dir, state, target, tpgt, disks."""
    out = []
    for d in sorted(glob.glob("/sys/class/iscsi_session/session*")):
        out.append({
            "name": os.path.basename(d),
            "dir": d,
            "state": read_value(f"{d}/state"),
            "targetname": read_value(f"{d}/targetname"),
            "tpgt": read_value(f"{d}/tpgt"),
            "initiatorname": read_value(f"{d}/initiatorname"),
            "disks": session_disks(d),
        })
    return out


def session_disks(session_dir: str) -> list[str]:
    """Block devices (sdX) of a session: <session>/device/target*/H:C:T:L/block/sdX."""
    disks = []
    for b in glob.glob(f"{session_dir}/device/target*/*:*:*:*/block/*"):
        disks.append(os.path.basename(b))
    return sorted(disks)


def scsi_lun_of_disk(session_dir: str, disk: str) -> int:
    for b in glob.glob(f"{session_dir}/device/target*/*:*:*:*/block/{disk}"):
        return int(Path(b).parent.parent.name.split(":")[-1])
    raise LookupError(disk)


def logout_all() -> None:
    """Log out of every session and delete every node and discovery record."""
    if glob.glob("/sys/class/iscsi_session/session*"):
        iscsiadm("-m", "node", "-u", ok=(0, 21))
    iscsiadm("-m", "node", "-o", "delete", ok=(0, 21))
    for rec in glob.glob("/etc/iscsi/send_targets/*"):
        ip_port = os.path.basename(rec)
        ip, _, port = ip_port.rpartition(",")
        iscsiadm("-m", "discoverydb", "-t", "sendtargets", "-p", f"{ip}:{port}", "-o", "delete",
                 ok=(0, 21))
    wait_for(lambda: not glob.glob("/sys/class/iscsi_session/session*"),
             "all iSCSI sessions to go", timeout=60)


# --------------------------------------------------------------------------
# configfs
# --------------------------------------------------------------------------
def cfs_entries(rel: str = "") -> list[str]:
    p = CFS / rel
    return sorted(os.listdir(p)) if p.is_dir() else []


def target_dirs() -> dict[str, list[str]]:
    """fabric → its target directories (entries that are directories other than discovery_auth)."""
    out: dict[str, list[str]] = {}
    for fabric in cfs_entries():
        fp = CFS / fabric
        if fabric == "core" or not fp.is_dir():
            continue
        out[fabric] = sorted(
            e for e in os.listdir(fp) if (fp / e).is_dir() and e != "discovery_auth"
        )
    return out


def reset_discovery_auth() -> None:
    """Discovery authentication off and its credentials cleared (clear_existing keeps them)."""
    if (CFS / "iscsi" / "discovery_auth").is_dir():
        from rtslib import FabricModule

        FabricModule("iscsi").clear_discovery_auth_settings()


def login(target_iqn: str, expect_disks: int, ip: str = PORTAL_IP, port: int = PORTAL_PORT,
          timeout: float = 90, discover: bool = True) -> dict:
    """SendTargets discovery (which resets node records) + login; wait for
    LOGGED_IN and the session's disks in /dev."""
    if discover:
        iscsiadm("-m", "discovery", "-t", "sendtargets", "-p", f"{ip}:{port}")
    iscsiadm("-m", "node", "-T", target_iqn, "-p", f"{ip}:{port}", "--login")

    def ready():
        for s in iscsi_sessions():
            if (s["targetname"] == target_iqn and s["state"] == "LOGGED_IN"
                    and len(s["disks"]) == expect_disks
                    and all(os.path.exists(f"/dev/{d}") for d in s["disks"])):
                return s
        return None

    return wait_for(ready, f"a LOGGED_IN session to {target_iqn} with {expect_disks} disks in /dev",
                    timeout=timeout)


def json_diff(a, b, path: str = "$", out: list[str] | None = None, limit: int = 40) -> list[str]:
    """Human-readable differences between two parsed JSON values (first ``limit``)."""
    out = [] if out is None else out
    if len(out) >= limit:
        return out
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k not in a:
                out.append(f"{path}.{k}: only in the second: {b[k]!r:.200}")
            elif k not in b:
                out.append(f"{path}.{k}: only in the first: {a[k]!r:.200}")
            else:
                json_diff(a[k], b[k], f"{path}.{k}", out, limit)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{path}: {len(a)} items vs {len(b)}")
        for i, (x, y) in enumerate(zip(a, b)):
            json_diff(x, y, f"{path}[{i}]", out, limit)
    elif a != b or type(a) is not type(b):
        out.append(f"{path}: {a!r:.200} != {b!r:.200}")
    return out


# --------------------------------------------------------------------------
# The configuration most tests stand on
# --------------------------------------------------------------------------
BASIC_TARGET = "iqn.2024-01.test.sanctl:basic"
MiB = 1 << 20


def build_basic_san(lab):
    """fileio on a sparse file, a ramdisk, block on a loop device; one target,
    TPG 1 with LUNs 0-2, an ACL for this guest mapping 0->0, 1->1 (write
    protected) and 5->2, a portal on 127.0.0.1:3260.  Returns what was made."""
    from types import SimpleNamespace

    from rtslib import (
        LUN,
        TPG,
        BlockStorageObject,
        FabricModule,
        FileIOStorageObject,
        MappedLUN,
        NetworkPortal,
        NodeACL,
        RDMCPStorageObject,
        Target,
    )

    lab.rtsroot()  # mounts configfs / loads target_core_mod if needed, sets the dbroot
    image = lab.sparse("disk-file.img", 64 * MiB)
    loopdev = lab.loop("disk-block.img", 32 * MiB)
    so_file = FileIOStorageObject("disk-file", str(image), 64 * MiB)
    so_ram = RDMCPStorageObject("disk-ram", 16 * MiB)
    so_block = BlockStorageObject("disk-block", loopdev)
    target = Target(FabricModule("iscsi"), BASIC_TARGET)
    tpg = TPG(target, 1)
    tpg.set_attribute("authentication", "0")
    luns = {
        0: LUN(tpg, 0, so_file),
        1: LUN(tpg, 1, so_ram),
        2: LUN(tpg, 2, so_block),
    }
    acl = NodeACL(tpg, initiator_name())
    MappedLUN(acl, 0, luns[0])
    MappedLUN(acl, 1, luns[1], write_protect=True)
    MappedLUN(acl, 5, luns[2])
    NetworkPortal(tpg, PORTAL_IP, PORTAL_PORT)
    tpg.enable = True
    return SimpleNamespace(
        target_iqn=BASIC_TARGET,
        image=image,
        loopdev=loopdev,
        storage={
            ("fileio", "disk-file"): {"size": 64 * MiB, "dev": str(image)},
            ("ramdisk", "disk-ram"): {"size": 16 * MiB, "dev": None},
            ("block", "disk-block"): {"size": 32 * MiB, "dev": loopdev},
        },
        luns={0: ("fileio", "disk-file"), 1: ("ramdisk", "disk-ram"), 2: ("block", "disk-block")},
        acl=initiator_name(),
        # mapped LUN -> (TPG LUN, write protected)
        mapped={0: (0, False), 1: (1, True), 5: (2, False)},
        portals={(PORTAL_IP, PORTAL_PORT)},
    )
