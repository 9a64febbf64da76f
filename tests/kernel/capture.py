"""Capture a rich LIO + open-iscsi state from the real kernel (run in the VM).

``tests/kernel/run --capture`` runs this inside the guest; the host copies
OUTDIR to ``tests/fixtures/kernel/``.  Built through rtslib-fb: every
backstore kind the kernel offers (block on a loop device, fileio, ramdisk and
nullio ramdisk, pscsi on a tcm_loop disk, user/TCMU without tcmu-runner), two
targets, two TPGs on the first (one with CHAP + mutual CHAP ACLs, one in demo
mode), IPv4 and IPv6 portals, iSER where the kernel takes it, write-protected
mapped LUNs, ACL tags, discovery authentication, and live sessions logged in
by iscsiadm.  Then it writes:

  root.tar.gz        sys/kernel/config/target + the initiator's sysfs, modes
                     and symlinks kept, unreadable files empty + SKIPPED.txt
  rtslib-dump.json   RTSRoot().dump() (saveconfig.json format)
  iscsiadm-*.txt     what iscsiadm printed in the same run
  dmesg.txt          the kernel's target/iSCSI/SCSI messages of the run
  README.md          what all this is, and what the kernel accepted or refused

    python tests/kernel/capture.py OUTDIR
"""

from __future__ import annotations

import io
import json
import os
import platform
import re
import stat
import subprocess
import sys
import tarfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ktools as kt  # noqa: E402

MiB = kt.MiB
TARGET_A = "iqn.2024-01.test.sanctl:capture-a"
TARGET_B = "iqn.2024-01.test.sanctl:capture-b"
OTHER_INITIATOR = "iqn.2024-01.test.sanctl:other-host"
PORTAL = f"{kt.PORTAL_IP}:{kt.PORTAL_PORT}"
DEMO_PORT = 3261
# Test credentials, not secrets: they are in the capture on purpose.
CHAP = {"userid": "sanctl-initiator", "password": "initiator-secret-1",
        "mutual_userid": "sanctl-target", "mutual_password": "target-secret-22"}
DISC = {"userid": "sanctl-discovery", "password": "discovery-secret-3",
        "mutual_userid": "sanctl-disc-target", "mutual_password": "disc-target-secret-4"}
# Subtrees of sysfs not worth a fixture (big, or nothing a reader uses).
SYSFS_SKIP_NAMES = {"power", "trace", "mq", "integrity", "holders", "slaves", "bsg", "scsi_generic"}

notes: list[str] = []


def note(text: str) -> None:
    print(f"capture: {text}", flush=True)
    notes.append(text)


def attempt(what: str, fn):
    """Run fn(); record whether the kernel accepted it."""
    try:
        result = fn()
    except Exception as exc:  # the point is to record what the kernel refused
        note(f"{what}: refused — {type(exc).__name__}: {exc}".rstrip())
        return None
    note(f"{what}: ok")
    return result


# ---------------------------------------------------------------------------
# Building the configuration
# ---------------------------------------------------------------------------
def tcm_loop_disk(timeout: float = 30) -> str:
    """The sdX that tcm_loop's own SCSI host shows (for a pscsi backstore)."""

    def find():
        for b in sorted(Path("/sys/block").glob("sd*")):
            if "tcm_loop" in os.path.realpath(b) and Path(f"/dev/{b.name}").exists():
                return b.name
        return None

    return kt.wait_for(find, "the tcm_loop disk", timeout)


def build(tmp: Path) -> dict:
    """Build the rich configuration; return the rtslib objects made (and the loop devices)."""
    from rtslib import (
        LUN,
        TPG,
        BlockStorageObject,
        FabricModule,
        FileIOStorageObject,
        MappedLUN,
        NetworkPortal,
        NodeACL,
        PSCSIStorageObject,
        RDMCPStorageObject,
        RTSRoot,
        Target,
        UserBackedStorageObject,
    )

    RTSRoot()
    made: dict = {}
    # --- storage objects: every kind --------------------------------------
    loopdev = kt.losetup(kt.sparse_file(tmp / "vol-block.img", 64 * MiB))
    made["loops"] = [loopdev]
    made["block"] = BlockStorageObject("vol-block", loopdev)
    made["file"] = FileIOStorageObject("vol-file", str(kt.sparse_file(tmp / "vol-file.img", 128 * MiB)),
                                       128 * MiB, write_back=True)
    made["file_wt"] = FileIOStorageObject("vol-file-wt", str(kt.sparse_file(tmp / "vol-file-wt.img", 32 * MiB)),
                                          32 * MiB, write_back=False)
    made["ram"] = RDMCPStorageObject("vol-ram", 32 * MiB)
    made["null"] = RDMCPStorageObject("vol-null", 16 * MiB, nullio=True)
    note(f"block backstore vol-block on {loopdev}; fileio vol-file (write-back) and vol-file-wt "
         "(write-through); ramdisk vol-ram and nullio ramdisk vol-null: ok")

    # A tcm_loop (loopback fabric) target exports a ramdisk as a local SCSI
    # disk; that disk is then the device of a pscsi backstore.
    src = RDMCPStorageObject("loop-src", 16 * MiB)
    loop_tpg = TPG(Target(FabricModule("loopback")), 1)
    LUN(loop_tpg, 0, src)
    made["loop_wwn"] = loop_tpg.parent_target.wwn
    disk = attempt("tcm_loop target with a LUN shows a local SCSI disk", tcm_loop_disk)
    if disk:
        made["pscsi"] = attempt(f"pscsi backstore vol-pscsi on /dev/{disk} (the tcm_loop disk)",
                                lambda: PSCSIStorageObject("vol-pscsi", f"/dev/{disk}"))
    made["user"] = attempt(
        "user (TCMU) backstore vol-user, config file/vol-user.img, no tcmu-runner running",
        lambda: UserBackedStorageObject("vol-user", config="file/vol-user.img", size=16 * MiB),
    )

    # --- target A, TPG 1: CHAP ACLs, IPv4 + IPv6 portals --------------------
    iscsi = FabricModule("iscsi")
    target_a = Target(iscsi, TARGET_A)
    tpg1 = TPG(target_a, 1)
    tpg1.set_attribute("authentication", "1")
    luns = {
        0: LUN(tpg1, 0, made["block"]),
        1: LUN(tpg1, 1, made["file"]),
        2: LUN(tpg1, 2, made["ram"]),
        4: LUN(tpg1, 4, made["file_wt"]),
    }
    if made.get("pscsi"):
        luns[3] = LUN(tpg1, 3, made["pscsi"])
    me = NodeACL(tpg1, kt.initiator_name())
    me.tag = "rac-nodes"
    me.chap_userid, me.chap_password = CHAP["userid"], CHAP["password"]
    me.chap_mutual_userid, me.chap_mutual_password = CHAP["mutual_userid"], CHAP["mutual_password"]
    MappedLUN(me, 0, luns[0])
    MappedLUN(me, 1, luns[1], write_protect=True)
    MappedLUN(me, 2, luns[2])
    if 3 in luns:
        MappedLUN(me, 3, luns[3])
    MappedLUN(me, 10, luns[4], write_protect=True)
    other = NodeACL(tpg1, OTHER_INITIATOR)
    other.tag = "rac-nodes"
    other.chap_userid, other.chap_password = "other-host", "other-host-secret-5"
    other.set_attribute("dataout_timeout", "5")
    MappedLUN(other, 0, luns[0], write_protect=True)
    MappedLUN(other, 300, luns[2])  # above 255: older rtslib-fb refuses these
    note("TPG 1: authentication=1; ACL for this guest with mutual CHAP and tag rac-nodes; "
         f"ACL {OTHER_INITIATOR} with one-way CHAP, the same tag and mapped LUN 300: ok")
    NetworkPortal(tpg1, kt.PORTAL_IP, kt.PORTAL_PORT)
    attempt("IPv6 portal [::1]:3260 on TPG 1", lambda: NetworkPortal(tpg1, "[::1]", kt.PORTAL_PORT))
    wildcard = attempt("wildcard portal 0.0.0.0:3262 on TPG 1", lambda: NetworkPortal(tpg1, "0.0.0.0", 3262))
    if wildcard is not None:
        def iser_on():
            wildcard.iser = True
            if not wildcard.iser:
                raise RuntimeError("iser reads back 0")
        attempt("iSER on the portal 0.0.0.0:3262 (no RDMA device in the VM)", iser_on)
    tpg1.enable = True

    # --- target A, TPG 2: demo mode ------------------------------------------
    tpg2 = TPG(target_a, 2)
    for name, value in [("authentication", "0"), ("generate_node_acls", "1"),
                        ("cache_dynamic_acls", "1"), ("demo_mode_write_protect", "0")]:
        tpg2.set_attribute(name, value)
    LUN(tpg2, 0, made["null"])
    LUN(tpg2, 1, made["ram"])
    NetworkPortal(tpg2, kt.PORTAL_IP, DEMO_PORT)
    tpg2.enable = True
    note("TPG 2: demo mode (generate_node_acls=1, cache_dynamic_acls=1, demo_mode_write_protect=0), "
         f"portal {kt.PORTAL_IP}:{DEMO_PORT}: ok")

    # --- target B: disabled TPG, an ACL with nothing mapped, the TCMU LUN ----
    tpg_b = TPG(Target(iscsi, TARGET_B), 1)
    lun_b = LUN(tpg_b, 0, made["user"] if made.get("user") else made["ram"])
    NodeACL(tpg_b, "iqn.2024-01.test.sanctl:no-luns-host")
    NetworkPortal(tpg_b, kt.PORTAL_IP, 3263)
    tpg_b.enable = False
    note(f"target B: TPG 1 disabled, LUN 0 on {lun_b.storage_object.plugin}/{lun_b.storage_object.name}, "
         "an ACL with no mapped LUNs, portal 127.0.0.1:3263: ok")

    # --- discovery authentication --------------------------------------------
    iscsi.discovery_userid, iscsi.discovery_password = DISC["userid"], DISC["password"]
    iscsi.discovery_mutual_userid = DISC["mutual_userid"]
    iscsi.discovery_mutual_password = DISC["mutual_password"]
    iscsi.discovery_enable_auth = True
    note("discovery authentication enforced with mutual CHAP: ok")
    return made


# ---------------------------------------------------------------------------
# The initiator
# ---------------------------------------------------------------------------
def iscsiadm_out(*args: str, ok=(0,)) -> str:
    proc = kt.iscsiadm(*args, ok=ok)
    return proc.stdout + (proc.stderr if proc.stderr.strip() else "")


def initiator(out: Path) -> None:
    def save(name: str, text: str) -> None:
        (out / f"iscsiadm-{name}.txt").write_text(text)
        print(f"--- iscsiadm-{name}.txt\n{text}", flush=True)

    disc = ["-m", "discoverydb", "-t", "sendtargets", "-p", PORTAL]
    kt.iscsiadm(*disc, "-o", "new")
    for key, value in [("authmethod", "CHAP"), ("username", DISC["userid"]), ("password", DISC["password"]),
                       ("username_in", DISC["mutual_userid"]), ("password_in", DISC["mutual_password"])]:
        kt.iscsiadm(*disc, "-o", "update", "-n", f"discovery.sendtargets.auth.{key}", "-v", value)
    save("discovery", iscsiadm_out(*disc, "--discover"))
    # LIO advertises a wildcard portal (0.0.0.0:3262) with the address and port
    # the discovery connection came in on: 127.0.0.1:3260 again.
    node_a = ["-m", "node", "-T", TARGET_A, "-p", f"{PORTAL},1"]
    for key, value in [("authmethod", "CHAP"), ("username", CHAP["userid"]), ("password", CHAP["password"]),
                       ("username_in", CHAP["mutual_userid"]), ("password_in", CHAP["mutual_password"])]:
        kt.iscsiadm(*node_a, "-o", "update", "-n", f"node.session.auth.{key}", "-v", value)
    login = iscsiadm_out(*node_a, "--login")
    login += iscsiadm_out("-m", "node", "-T", TARGET_A, "-p", f"{kt.PORTAL_IP}:{DEMO_PORT},2", "--login")
    save("login", login)

    def both_up():
        sessions = [s for s in kt.iscsi_sessions() if s["state"] == "LOGGED_IN"]
        if len(sessions) == 2 and all(s["disks"] for s in sessions):
            return sessions
        return None

    sessions = kt.wait_for(both_up, "two LOGGED_IN sessions with disks", 90)
    note("logged in with mutual CHAP to TPG 1 (" + ", ".join(sessions[0]["disks"]) + ") and, "
         "as a dynamic (demo-mode) session, to TPG 2 (" + ", ".join(sessions[1]["disks"]) + ")")
    # Some I/O so the statistics are not all zero.
    for s in sessions:
        for disk in s["disks"]:
            ro = Path(f"/sys/block/{disk}/ro").read_text().strip() == "1"
            subprocess.run(["dd", f"if=/dev/{disk}", "of=/dev/null", "bs=64k", "count=64", "iflag=direct"],
                           capture_output=True, timeout=60)
            if not ro:
                subprocess.run(["dd", "if=/dev/zero", f"of=/dev/{disk}", "bs=64k", "count=32", "oflag=direct"],
                               capture_output=True, timeout=60)
    save("node", iscsiadm_out("-m", "node"))
    save("node-show", iscsiadm_out(*node_a, "-o", "show"))
    session = iscsiadm_out("-m", "session")
    save("session", session)
    save("session-P3", iscsiadm_out("-m", "session", "-P", "3"))
    sid = re.search(r"\[(\d+)\]", session).group(1)
    save("session-stats", iscsiadm_out("-m", "session", "-r", sid, "-s"))
    save("iface", iscsiadm_out("-m", "iface"))


# ---------------------------------------------------------------------------
# The tarball
# ---------------------------------------------------------------------------
class TreeTar:
    """Adds real sysfs/configfs paths to a tar, keeping modes and symlinks."""

    def __init__(self, mtime: int) -> None:
        self.buf = io.BytesIO()
        self.tar = tarfile.open(fileobj=self.buf, mode="w:gz", format=tarfile.GNU_FORMAT)
        self.mtime = mtime
        self.skipped: list[str] = []
        self.added: set[str] = set()

    def _info(self, path: str, st: os.stat_result) -> tarfile.TarInfo:
        info = tarfile.TarInfo(path.lstrip("/"))
        info.mode = stat.S_IMODE(st.st_mode)
        info.mtime = self.mtime
        info.uname = info.gname = "root"
        return info

    def add_dir_entry(self, path: str) -> None:
        """Add path's parent directories (as directories) if missing."""
        parts = Path(path).parts[1:]
        for i in range(1, len(parts)):
            d = "/" + "/".join(parts[:i])
            if d not in self.added:
                info = self._info(d, os.lstat(d))
                info.type = tarfile.DIRTYPE
                self.tar.addfile(info)
                self.added.add(d)

    def add(self, path: str, skip_names: set[str] = frozenset()) -> None:
        if path in self.added:
            return
        self.add_dir_entry(path)
        st = os.lstat(path)
        info = self._info(path, st)
        self.added.add(path)
        if stat.S_ISLNK(st.st_mode):
            info.type = tarfile.SYMTYPE
            info.linkname = os.readlink(path)
            self.tar.addfile(info)
        elif stat.S_ISDIR(st.st_mode):
            info.type = tarfile.DIRTYPE
            self.tar.addfile(info)
            for name in sorted(os.listdir(path)):
                if name in skip_names:
                    continue
                self.add(os.path.join(path, name), skip_names)
        elif stat.S_ISREG(st.st_mode):
            try:
                with open(path, "rb") as fh:
                    data = fh.read()
            except OSError as exc:
                data = b""
                self.skipped.append(f"{path}: {exc.strerror}")
            info.size = len(data)
            self.tar.addfile(info, io.BytesIO(data))

    def close(self) -> bytes:
        text = "".join(f"{line}\n" for line in self.skipped).encode()
        info = tarfile.TarInfo("SKIPPED.txt")
        info.size, info.mode, info.mtime = len(text), 0o644, self.mtime
        info.uname = info.gname = "root"
        self.tar.addfile(info, io.BytesIO(text))
        self.tar.close()
        return self.buf.getvalue()


def write_tree(out: Path) -> None:
    tt = TreeTar(int(time.time()))
    tt.add("/sys/kernel/config/target")
    hosts = set()
    for cls in ("iscsi_session", "iscsi_connection", "iscsi_host"):
        base = f"/sys/class/{cls}"
        tt.add(base)  # the class directory with its relative symlinks
        for name in sorted(os.listdir(base)):
            real = os.path.realpath(os.path.join(base, name))
            m = re.match(r"(/sys/devices/platform/host\d+)/", real)
            if m:
                hosts.add(m.group(1))
    for host in sorted(hosts):
        tt.add(host, SYSFS_SKIP_NAMES)
    for session in sorted(os.listdir("/sys/class/iscsi_session")):
        for disk in kt.session_disks(f"/sys/class/iscsi_session/{session}"):
            tt.add(f"/sys/block/{disk}")
            tt.add(f"/sys/class/block/{disk}")
    (out / "root.tar.gz").write_bytes(tt.close())
    note(f"root.tar.gz: {len(tt.added)} entries, {len(tt.skipped)} unreadable files listed in SKIPPED.txt")


def write_dmesg(out: Path) -> None:
    text = subprocess.run(["dmesg"], capture_output=True, text=True).stdout
    keep = re.compile(r"iscsi|target|tcm|TCMU|scsi|\bsd[a-z]+\b|rtslib|isert|loop|LIO|ISCSI|CHAP", re.I)
    lines = [line for line in text.splitlines() if keep.search(line)]
    (out / "dmesg.txt").write_text("\n".join(lines) + "\n")


def versions() -> dict[str, str]:
    import rtslib

    def first_line(*cmd: str) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "?"

    return {
        "kernel": platform.release() + " (" + Path("/proc/version").read_text().split("#", 1)[-1].strip() + ")",
        "open-iscsi": first_line("iscsiadm", "--version"),
        "rtslib-fb": getattr(rtslib, "__version__", None) or first_line(
            sys.executable, "-c", "import importlib.metadata as m; print(m.version('rtslib-fb'))"),
        "lio": Path("/sys/kernel/config/target/iscsi/lio_version").read_text().strip(),
    }


README = """# Kernel capture: a rich LIO + open-iscsi state from the real kernel

Written by `tests/kernel/run --capture` (tests/kernel/capture.py) in the kernel
tier's qemu VM; regenerate it the same way, never by hand.

{versions}

## What was built (through rtslib-fb)
- Storage objects: `block/vol-block` (a sparse file on a loop device),
  `fileio/vol-file` (write-back) and `fileio/vol-file-wt` (write-through),
  `ramdisk/vol-ram`, `ramdisk/vol-null` (nullio), `ramdisk/loop-src` (feeds
  the tcm_loop disk), `pscsi/vol-pscsi` (on the tcm_loop disk) and
  `user/vol-user` (TCMU) — see below for what the kernel accepted.
- `{target_a}`
  - TPG 1, enabled, `authentication=1`: LUNs 0 block, 1 fileio, 2 ramdisk,
    3 pscsi, 4 fileio-wt. ACL `{me}` (this guest, tag `rac-nodes`, CHAP +
    mutual CHAP) maps 0→0, 1→1 (write-protected), 2→2, 3→3, 10→4
    (write-protected). ACL `{other}` (tag `rac-nodes`, one-way CHAP,
    `dataout_timeout=5`) maps 0→0 (write-protected) and 300→2. Portals
    127.0.0.1:3260 and [::1]:3260.
  - TPG 2, enabled, demo mode (`generate_node_acls=1`, `cache_dynamic_acls=1`,
    `demo_mode_write_protect=0`, `authentication=0`): LUN 0 nullio ramdisk,
    LUN 1 the ramdisk of TPG 1; portal 127.0.0.1:3261.
- `{target_b}`: TPG 1 disabled, LUN 0 on the TCMU object (or the ramdisk if
  TCMU was refused), an ACL with no mapped LUNs, portal 127.0.0.1:3263.
- A `loopback` (tcm_loop) target `{loop_wwn}` with LUN 0 → `loop-src`.
- Discovery authentication enforced with mutual CHAP.
- Live: the guest logged in with iscsiadm (discovery with CHAP, login with
  mutual CHAP) to TPG 1 over 127.0.0.1:3260, and to TPG 2 (a dynamic,
  demo-mode session, so `tpgt_2/dynamic_sessions` is not empty); a little
  I/O with dd so the statistics move.

The CHAP user names and passwords are test values and appear in the capture on
purpose (configfs `auth/` files, `rtslib-dump.json`).

## Files
- `root.tar.gz`: `sys/kernel/config/target/…`, `sys/class/iscsi_session`,
  `iscsi_connection`, `iscsi_host` (relative symlinks as the kernel has them),
  `sys/devices/platform/host*` of the iSCSI hosts (session → connection →
  SCSI target → disk; `power`, `trace`, `mq`, `integrity`, `holders`,
  `slaves`, `bsg` and `scsi_generic` subtrees left out), and
  `sys/block/sdX` / `sys/class/block/sdX` links of the sessions' disks.
  **Unpack it with tar**: file modes and symlinks matter (rtslib-fb decides
  which attributes are read-only from the modes). Files that could not be read
  (write-only `control`, sysfs attributes that return an error) are kept empty
  with their mode and listed in `SKIPPED.txt` with the error.
- `rtslib-dump.json`: `RTSRoot().dump()` with the sessions live (the content
  of a saveconfig.json).
- `iscsiadm-*.txt`: discovery (discoverydb with CHAP), login, node, node
  record (`-o show` of TPG 1's record), session (plain, `-P 3`, `-s`), iface.
- `dmesg.txt`: kernel messages of the run that mention the target, iSCSI or
  SCSI.

## Facts worth knowing when reading these files
- LIO advertises the wildcard portal 0.0.0.0:3262 in SendTargets with the
  address *and port* the discovery connection came in on, so
  `iscsiadm-discovery.txt` lists `127.0.0.1:3260,1` twice and no `:3262`.
- An unpacked tree lists directories in the order of the filesystem it was
  unpacked on, not configfs's: rtslib-fb pointed at it (or sanctl reading it)
  dumps the same as `rtslib-dump.json` only when lists are compared without
  regard to order.

## What the kernel accepted or refused in this run
{notes}
"""


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else "capture-out")
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / "sanctl-capture"
    tmp.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    try:
        made = build(tmp)
        initiator(out)
        from rtslib import RTSRoot

        dump = RTSRoot().dump()
        (out / "rtslib-dump.json").write_text(json.dumps(dump, indent=2, sort_keys=True) + "\n")
        write_tree(out)
        write_dmesg(out)
    except Exception:
        traceback.print_exc()
        print("capture: FAILED; notes so far:\n" + "\n".join(notes), file=sys.stderr)
        return 1
    info = versions()
    (out / "README.md").write_text(README.format(
        versions="\n".join(f"- {k}: {v}" for k, v in info.items()),
        target_a=TARGET_A, target_b=TARGET_B, me=kt.initiator_name(), other=OTHER_INITIATOR,
        loop_wwn=made.get("loop_wwn", "?"),
        notes="\n".join(f"- {n}" for n in notes),
    ))
    size = sum(p.stat().st_size for p in out.iterdir())
    print(f"capture: wrote {len(list(out.iterdir()))} files, {size // 1024} KiB, "
          f"in {time.monotonic() - t0:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
