#!/usr/bin/env python3
"""Benchmark: the live sessions panel on a big target, through a real pseudo-terminal.

Builds the scale tree (``sanctl.sim.scale``: 10,000 LUNs, 1,000 ACLs on 500
targets) and logs every ACL in (1,000 sessions: ``info``, session counters
and mapped-LUN attachments written as the kernel writes them). Then runs
``sanctl --root <tree> --no-mouse`` on a pty of 120×40 (``TERM=xterm-256color``,
``COLORTERM=truecolor``), presses ``2`` for the sessions panel, and measures,
sampling at the default 1 Hz:

1. **idle** — nothing changes in the tree: bytes written to the terminal per
   second (budget: 0) and CPU;
2. **moving** — this harness (a separate process, not counted) moves every
   session's counters and the first 500 LUNs' every second by a varying
   amount, so every rate on screen changes every second, and the other LUNs
   every ten seconds: bytes per second (budget < 4 KB/s at 120×40) and the
   app's CPU as a share of one core (budget < 3 %).

CPU is the app process's user+system time (all threads) over the phase
divided by the phase's wall time. Bytes are everything the app wrote to the
pty master in the phase. Usage::

    python bench/live_load.py [--seconds 60] [--idle 20] [--keep DIR] [--size 120x40]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import random
import select
import struct
import sys
import tempfile
import termios
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

MiB = 1 << 20


def log_everyone_in(root: str) -> list[tuple[str, str]]:
    """Every ACL of the scale tree gets a session; returns (ACL path, initiator) pairs."""
    from sanctl.sim import live_files as F
    from sanctl.sim.layout import CONFIGFS_TARGET, SimKernel

    k = SimKernel(root)
    w = F.LiveWriter(k)
    fabric = os.path.join(root, CONFIGFS_TARGET, "iscsi")
    acls = []
    sid = 0
    for target in sorted(os.listdir(fabric)):
        tpg = os.path.join(fabric, target, "tpgt_1")
        if not os.path.isdir(tpg):
            continue
        tsih = 0
        for initiator in sorted(os.listdir(os.path.join(tpg, "acls"))):
            sid += 1
            tsih += 1
            acl = os.path.join(tpg, "acls", initiator)
            address = f"10.{sid // 65536}.{sid // 256 % 256}.{sid % 256}"
            w.acl_session(acl, initiator, F.acl_info(initiator, sid=sid, tsih=tsih, alias="(none)",
                                                     connections=((0, F.CONN_STATE, address, "TCP", sid),)))
            acls.append((acl, initiator, sid))
        sessions = tsih
        w.target_stats(os.path.join(fabric, target), {"iscsi_instance/sessions": sessions,
                                                      "iscsi_login_stats/accepts": sessions})
    return acls


class Mover:
    """Moves counters the way I/O would, in this (harness) process."""

    def __init__(self, root: str, acls) -> None:
        from sanctl.sim import live_files as F
        from sanctl.sim.layout import CONFIGFS_TARGET, SimKernel

        self.w = F.LiveWriter(SimKernel(root))
        self.rng = random.Random(5)
        self.acls = acls
        fabric = os.path.join(root, CONFIGFS_TARGET, "iscsi")
        self.luns = []
        for target in sorted(os.listdir(fabric)):
            lun_dir = os.path.join(fabric, target, "tpgt_1", "lun")
            if os.path.isdir(lun_dir):
                self.luns.extend(os.path.join(lun_dir, name) for name in
                                 sorted(os.listdir(lun_dir), key=lambda n: int(n.split("_")[1])))
        self.session_counts = {acl: [0, 0, 0] for acl, _, _ in acls}
        self.lun_counts = {lun: [0, 0, 0] for lun in self.luns}
        self.tick_no = 0

    def tick(self) -> None:
        self.tick_no += 1
        rng = self.rng
        for acl, _initiator, sid in self.acls:
            c = self.session_counts[acl]
            cmds = rng.randint(200, 900)
            c[0] += cmds
            c[1] += cmds * rng.randint(4, 64) * 1024
            c[2] += cmds * rng.randint(1, 16) * 1024
            self.w.sess_stats(acl, {"cmd_pdus": c[0], "rsp_pdus": c[0] // 8, "txdata_octs": c[1],
                                    "rxdata_octs": c[2], "indx": sid, "node": 1, "conn_digest_errors": 0,
                                    "conn_timeout_errors": 0})
        chunk = len(self.luns) // 10 or 1
        phase = self.tick_no % 10
        for index, lun in enumerate(self.luns):
            if index >= 500 and index // chunk % 10 != phase:
                continue  # the rest move every ten seconds, a tenth at a time
            c = self.lun_counts[lun]
            cmds = rng.randint(50, 900)
            c[0] += cmds
            c[1] += rng.randint(0, 40) * MiB
            c[2] += rng.randint(0, 20) * MiB
            self.w.lun(lun, in_cmds=c[0], read_mbytes=c[1] // MiB, write_mbytes=c[2] // MiB)


def run_app(root: str, cols: int, rows: int, idle: float, moving: float, mover: Mover) -> dict:
    import psutil

    env = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor", COLUMNS=str(cols), LINES=str(rows))
    env.pop("NO_COLOR", None)
    pid, fd = pty.fork()
    if pid == 0:  # child
        os.execvpe(sys.executable, [sys.executable, "-m", "sanctl", "--root", root, "--no-mouse"], env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    proc = psutil.Process(pid)
    received: list[tuple[float, int]] = []

    def pump(seconds: float) -> None:
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            ready, _, _ = select.select([fd], [], [], min(left, 0.05))
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    return
                received.append((time.monotonic(), len(chunk)))

    def cpu() -> float:
        t = proc.cpu_times()
        return t.user + t.system

    pump(6.0)  # start-up and first paint of the configuration screen
    os.write(fd, b"2")  # the sessions panel
    pump(8.0)  # its first frames, rates and sparklines settle

    def phase(seconds: float, move: bool) -> dict:
        received.clear()
        c0, t0 = cpu(), time.monotonic()
        next_move = t0
        while time.monotonic() - t0 < seconds:
            if move and time.monotonic() >= next_move:
                mover.tick()
                next_move += 1.0
            pump(min(0.1, max(0.0, t0 + seconds - time.monotonic())))
        wall = time.monotonic() - t0
        used = cpu() - c0
        total = sum(n for _, n in received)
        per_second = [0] * (int(wall) + 1)
        for when, n in received:
            per_second[min(int(when - t0), len(per_second) - 1)] += n
        return {"seconds": wall, "cpu_percent": 100 * used / wall, "bytes": total,
                "bytes_per_second": total / wall, "max_bytes_in_a_second": max(per_second)}

    results = {"idle": phase(idle, move=False)}
    mover.tick()  # the first move after idle: rates appear
    pump(3.0)
    results["moving"] = phase(moving, move=True)
    results["idle_after"] = phase(min(idle, 10.0), move=False)
    results["rss_mb"] = proc.memory_info().rss / MiB
    os.write(fd, b"q")
    pump(3.0)
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
    os.close(fd)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the moving phase")
    parser.add_argument("--idle", type=float, default=20.0, help="length of the idle phase")
    parser.add_argument("--size", default="120x40", help="terminal COLSxROWS")
    parser.add_argument("--luns", type=int, default=10_000)
    parser.add_argument("--acls", type=int, default=1_000)
    parser.add_argument("--keep", metavar="DIR", help="build (or reuse) the tree in DIR and keep it")
    args = parser.parse_args()
    cols, rows = (int(x) for x in args.size.split("x"))

    from sanctl.sim.scale import build_scale
    from sanctl.startup import fast_temp_dir

    root = args.keep or tempfile.mkdtemp(prefix="sanctl-live-bench-", dir=fast_temp_dir())
    if not os.path.isdir(os.path.join(root, "sys/kernel/config/target")):
        start = time.perf_counter()
        build_scale(root, luns=args.luns, acls=args.acls)
        print(f"built the tree in {time.perf_counter() - start:.1f} s under {root}")
    acls = log_everyone_in(root)
    print(f"{len(acls)} sessions logged in; {args.luns} LUNs")
    mover = Mover(root, acls)
    results = run_app(root, cols, rows, args.idle, args.seconds, mover)
    for name in ("idle", "moving", "idle_after"):
        r = results[name]
        print(f"{name:>10}: {r['seconds']:5.1f} s  CPU {r['cpu_percent']:5.2f} % of one core  "
              f"{r['bytes_per_second']:8.1f} bytes/s  (max {r['max_bytes_in_a_second']} in one second)")
    print(f"budgets: CPU < 3 % (moving), 0 bytes/s idle, < 4096 bytes/s moving at 120x40; RSS {results['rss_mb']:.0f} MB")
    if not args.keep:
        import shutil

        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
