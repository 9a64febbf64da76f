#!/usr/bin/env python3
"""Benchmark: how sanctl copes with a big target.

Generates a demo tree with 10,000 LUNs, 2,000 storage objects and 1,000 ACLs
(``sanctl.sim.scale``), then reports, each measured here and now:

- ``read_config`` of the structure and summaries, as the TUI reads it at
  start (each ACL's mapped LUNs counted, read when the ACL is opened; of a
  TPG's attributes only the labels'), and with every mapped LUN and attribute;
- ``read_config(details=True)`` (every attribute: what export needs);
- ``sanctl show`` and ``sanctl export`` wall time (fresh processes);
- time to first paint of the TUI, in a pseudo-terminal, from process start to
  the first screen containing the tree;
- peak RSS of the reader process and of the TUI.

Budgets (issue 2): read_config < 0.5 s, first paint < 0.3 s, RSS < 120 MB.
Usage: ``python bench/config_load.py [--luns N --storage-objects N --acls N] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

_READ_SNIPPET = """
import json, resource, sys, time
from sanctl.lio.configfs import read_config
root, mode, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
options = {"tui": {"mapped_luns": False, "tpg_attributes": False}, "full": {}, "details": {"details": True}}[mode]
times = []
for _ in range(runs):
    start = time.perf_counter()
    config = read_config(root, **options)
    times.append(time.perf_counter() - start)
luns = sum(len(t.luns) for tg in config.targets for t in tg.tpgs)
acls = sum(len(t.acls) for tg in config.targets for t in tg.tpgs)
mapped = sum(a.mapped_lun_count for tg in config.targets for t in tg.tpgs for a in t.acls)
print(json.dumps({"times": times, "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "luns": luns, "acls": acls, "mapped_luns": mapped,
                  "storage_objects": len(config.storage_objects)}))
"""


def measure_read(root: str, mode: str, runs: int) -> dict:
    """``mode``: "tui" (mapped LUNs counted), "full" (and read), "details" (every attribute)."""
    out = subprocess.run(
        [sys.executable, "-c", _READ_SNIPPET, root, mode, str(runs)],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out)


def measure_command(args: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "sanctl", *args], check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


FIRST_FRAME = b"Configuration"  # the tree pane's border title: the screen is drawn
TREE_SHOWN = b"backstores"  # the first tree line: the configuration is read and shown


#: The reference: a bare Textual app drawing the same two words, measured the same way.
_BARE_APP = """
from textual.app import App
from textual.widgets import Static
class Bare(App):
    BINDINGS = [("q", "quit", "Quit")]
    def compose(self):
        yield Static("Configuration backstores")
Bare().run(mouse=False)
"""


def measure_first_paint(root: str | None, timeout: float = 30.0) -> tuple[float, float, int]:
    """(seconds to the first frame, seconds until the tree shows, peak RSS in KB) of the TUI.

    ``root=None`` measures the bare Textual app instead.
    """
    env = dict(os.environ, TERM="xterm-256color", COLUMNS="120", LINES="40")
    argv = ([sys.executable, "-c", _BARE_APP] if root is None
            else [sys.executable, "-m", "sanctl", "--demo", "--root", root, "--no-mouse"])
    pid, fd = pty.fork()
    if pid == 0:  # child
        os.execvpe(sys.executable, argv, env)
    start = time.perf_counter()
    seen = b""
    first_frame = None
    painted = None
    deadline = start + timeout
    try:
        import fcntl
        import struct
        import termios

        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    except OSError:
        pass
    while time.perf_counter() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            if first_frame is None and FIRST_FRAME in seen:
                first_frame = time.perf_counter() - start
            if painted is None and TREE_SHOWN in seen:
                painted = time.perf_counter() - start
                time.sleep(0.3)
                # measured: stop it (``q`` would ask about the demo's unsaved configuration and wait)
                os.kill(pid, signal.SIGKILL)
                deadline = time.perf_counter() + 5
    try:
        while True:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if not ready:
                break
            if not os.read(fd, 65536):
                break
    except OSError:
        pass
    _, status, usage = os.wait4(pid, 0)
    os.close(fd)
    if painted is None or first_frame is None:
        raise RuntimeError(f"the TUI never showed its tree; output tail: {seen[-400:]!r}")
    return first_frame, painted, usage.ru_maxrss


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--luns", type=int, default=10_000)
    parser.add_argument("--storage-objects", type=int, default=2_000)
    parser.add_argument("--acls", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", metavar="DIR", help="build (or reuse) the tree in DIR and keep it")
    args = parser.parse_args()

    from sanctl.sim.scale import build_scale
    from sanctl.startup import fast_temp_dir

    # tmpfs where the host has it: the tree is about a million small files.
    root = args.keep or tempfile.mkdtemp(prefix="sanctl-bench-", dir=fast_temp_dir())
    if not os.path.isdir(os.path.join(root, "sys/kernel/config/target")):
        start = time.perf_counter()
        build_scale(root, luns=args.luns, storage_objects=args.storage_objects, acls=args.acls)
        print(f"built tree in {time.perf_counter() - start:.1f} s under {root}")

    structure = measure_read(root, "tui", runs=args.runs)
    full = measure_read(root, "full", runs=args.runs)
    details = measure_read(root, "details", runs=max(1, args.runs // 2))
    show = measure_command(["--root", root, "show"], runs=3)
    export = measure_command(["--root", root, "export"], runs=1)
    paints = []
    bare = []
    for _ in range(args.runs):  # interleaved: both see the same load
        paints.append(measure_first_paint(root))
        bare.append(measure_first_paint(None)[0])

    print(f"tree: {structure['storage_objects']} storage objects, {structure['luns']} LUNs, "
          f"{structure['acls']} ACLs, {structure['mapped_luns']} mapped LUNs")
    print(f"read_config (structure, as the TUI starts, median of {args.runs}): "
          f"{statistics.median(structure['times']):.3f} s (budget 0.5 s); reader peak RSS {structure['rss_kb'] / 1024:.0f} MB")
    print(f"read_config (structure + every mapped LUN, median of {args.runs}): "
          f"{statistics.median(full['times']):.3f} s")
    print(f"read_config (details=True, for export):      {statistics.median(details['times']):.3f} s; "
          f"peak RSS {details['rss_kb'] / 1024:.0f} MB")
    print(f"sanctl show (process, median of 3):           {show:.3f} s")
    print(f"sanctl export (process):                      {export:.3f} s")
    print(f"TUI first frame (median of {args.runs}):             {statistics.median(f for f, _, _ in paints):.3f} s "
          f"(budget 0.3 s); a bare Textual app here and now: {statistics.median(bare):.3f} s")
    print(f"TUI tree shown (median of {args.runs}):              {statistics.median(p for _, p, _ in paints):.3f} s; "
          f"TUI peak RSS {max(r for _, _, r in paints) / 1024:.0f} MB (budget 120 MB)")
    print(f"load average during the run: {os.getloadavg()[0]:.2f} (2 cores; other work inflates every figure)")
    if not args.keep:
        import shutil

        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
