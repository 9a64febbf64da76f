"""Capture ``multipath -ll`` from real dm-multipath over two iSCSI paths (run in the VM).

One LIO target with two LUNs and two portals (127.0.0.1:3260 and :3264);
open-iscsi logs in on both, so each LUN appears twice; multipath-tools (must
be installed on the host: apt install multipath-tools) joins them. Then the
second session's SCSI devices are set offline so those paths die, and
``multipath -ll`` is captured again.

    tests/kernel/run --keep --timeout=900 --shell='$PY tests/kernel/capture_multipath.py /sanctl-results/capture'

writes OUTDIR/multipath-*.txt (copy them to tests/fixtures/initiator/).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ktools as kt  # noqa: E402

TARGET = "iqn.2024-01.test.sanctl:multipath"
PORTS = (3260, 3264)
CONF = """defaults {
    user_friendly_names yes
    find_multipaths no
}
"""


def sh(*cmd: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ, LC_ALL="C")
    proc = subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout, env=env)
    print(f"--- {' '.join(cmd)} -> rc {proc.returncode}\n{proc.stdout}{proc.stderr}", flush=True)
    return proc


def main(outdir: str) -> int:
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    from rtslib import LUN, TPG, FabricModule, FileIOStorageObject, MappedLUN, NetworkPortal, NodeACL, RDMCPStorageObject, Target

    for module in ("dm_multipath", "dm_service_time", "dm_round_robin"):
        sh("modprobe", module)
    # multipath-tools skips devices udev has not initialised: run udevd in the guest.
    subprocess.Popen(["/lib/systemd/systemd-udevd", "--daemon"], stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True).wait(timeout=30)
    sh("udevadm", "trigger", "--action=add")
    sh("udevadm", "settle", "--timeout=60", timeout=90)
    Path("/etc/multipath").mkdir(parents=True, exist_ok=True)
    Path("/etc/multipath.conf").write_text(CONF)

    tmp = Path(os.environ.get("TMPDIR", "/tmp"))
    image = kt.sparse_file(tmp / "mp-file.img", 32 * kt.MiB)
    tpg = TPG(Target(FabricModule("iscsi"), TARGET), 1)
    tpg.set_attribute("authentication", "0")
    luns = [LUN(tpg, 0, FileIOStorageObject("mp-file", str(image), 32 * kt.MiB)),
            LUN(tpg, 1, RDMCPStorageObject("mp-ram", 16 * kt.MiB))]
    acl = NodeACL(tpg, kt.initiator_name())
    for lun in luns:
        MappedLUN(acl, lun.lun, lun)
    for port in PORTS:
        NetworkPortal(tpg, kt.PORTAL_IP, port)
    tpg.enable = True

    for port in PORTS:
        portal = f"{kt.PORTAL_IP}:{port}"
        sh("iscsiadm", "-m", "discovery", "-t", "sendtargets", "-p", portal, "-o", "new")
    for port in PORTS:
        node = ["-m", "node", "-T", TARGET, "-p", f"{kt.PORTAL_IP}:{port}"]
        sh("iscsiadm", *node, "-o", "update", "-n", "node.session.timeo.replacement_timeout", "-v", "5")
        sh("iscsiadm", *node, "--login")
    kt.wait_for(lambda: sum(len(s["disks"]) for s in kt.iscsi_sessions()) == 4, "four disks", 90)
    sh("udevadm", "settle", "--timeout=60", timeout=90)
    sh("iscsiadm", "-m", "session")
    sh("multipath", "-v2", timeout=120)
    sh("udevadm", "settle", "--timeout=60", timeout=90)
    healthy = sh("multipath", "-ll", timeout=60)
    (out / "multipath-ll-healthy.txt").write_text(healthy.stdout)
    if not healthy.stdout.strip():
        sh("multipath", "-v3", timeout=120)
        sh("ls", "-l", "/dev/mapper")
        return 1
    sh("dmsetup", "table")
    sh("dmsetup", "status")

    # Kill the paths through port 3264: their SCSI devices go offline (deleting the
    # portal does not drop a live connection on LIO), then I/O makes dm fail them.
    second = next(s for s in kt.iscsi_sessions() if s["name"] == "session2")
    for disk in second["disks"]:
        Path(f"/sys/block/{disk}/device/state").write_text("offline\n")
    for name in sorted(p for p in os.listdir("/dev/mapper") if p != "control"):
        for _ in range(4):
            subprocess.run(["dd", f"if=/dev/mapper/{name}", "of=/dev/null", "bs=4k", "count=64", "iflag=direct"],
                           capture_output=True, timeout=60)
    broken = sh("multipath", "-ll", timeout=60)
    (out / "multipath-ll-path-failed.txt").write_text(broken.stdout)
    sh("dmsetup", "status")
    sh("iscsiadm", "-m", "session", "-P", "3")
    sh("multipath", "-F", timeout=60)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "/sanctl-results/capture"))
