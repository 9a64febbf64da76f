#!/usr/bin/env python3
"""Benchmark: ``sanctl exporter`` scraped on a big target — time, CPU and size of each scrape.

Builds the tree ``bench/live_load.py`` builds (``sanctl.sim.scale``: 10,000
LUNs, 1,000 ACLs on 500 targets, 20,000 mapped LUNs) with its 1,000 sessions
logged in, starts ``sanctl --root <tree> exporter --listen 127.0.0.1:<port>``
and scrapes ``/metrics`` as Prometheus would: the first scrape (which reads
the whole configuration into the cache), then ``--scrapes`` more, one every
``--every`` seconds, while this harness (another process, not counted) moves
every session's and LUN's counters between them as live_load's mover does.

Per scrape: wall time of the HTTP request, the exporter's CPU (user+system,
all threads, from psutil) during it, the bytes of the response and its
number of samples; between scrapes, the exporter's CPU while idle. Usage::

    python bench/exporter_scrape.py [--scrapes 10] [--every 5] [--keep DIR] [--no-mapped-luns]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

MiB = 1 << 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def scrape(proc, url: str) -> dict:
    def cpu() -> float:
        t = proc.cpu_times()
        return t.user + t.system

    c0, t0 = cpu(), time.perf_counter()
    with urllib.request.urlopen(url, timeout=300) as response:
        body = response.read()
    wall = time.perf_counter() - t0
    used = cpu() - c0
    samples = sum(1 for line in body.splitlines() if line and not line.startswith(b"#"))
    return {"seconds": wall, "cpu": used, "bytes": len(body), "samples": samples}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scrapes", type=int, default=10, help="scrapes after the first")
    parser.add_argument("--every", type=float, default=5.0, help="seconds between scrapes")
    parser.add_argument("--luns", type=int, default=10_000)
    parser.add_argument("--acls", type=int, default=1_000)
    parser.add_argument("--keep", metavar="DIR", help="build (or reuse) the tree in DIR and keep it")
    parser.add_argument("--no-mapped-luns", action="store_true", help="pass --no-mapped-luns to the exporter")
    args = parser.parse_args()

    import psutil

    from live_load import Mover, log_everyone_in
    from sanctl.sim.scale import build_scale
    from sanctl.startup import fast_temp_dir

    root = args.keep or tempfile.mkdtemp(prefix="sanctl-exporter-bench-", dir=fast_temp_dir())
    if not os.path.isdir(os.path.join(root, "sys/kernel/config/target")):
        start = time.perf_counter()
        build_scale(root, luns=args.luns, acls=args.acls)
        print(f"built the tree in {time.perf_counter() - start:.1f} s under {root}")
    acls = log_everyone_in(root)
    mover = Mover(root, acls)
    mover.tick()
    print(f"{len(acls)} sessions logged in; {args.luns} LUNs")
    with open("/proc/loadavg") as handle:
        print(f"load average before: {handle.read().split()[:3]}")

    port = free_port()
    url = f"http://127.0.0.1:{port}/metrics"
    exporter = subprocess.Popen([sys.executable, "-m", "sanctl", "--root", root, "exporter",
                                 "--listen", f"127.0.0.1:{port}",
                                 *(["--no-mapped-luns"] if args.no_mapped_luns else [])], stderr=subprocess.PIPE)
    try:
        line = exporter.stderr.readline().decode()
        if "serving" not in line:
            print(f"the exporter did not start: {line}{exporter.stderr.read().decode()}")
            return 1
        proc = psutil.Process(exporter.pid)
        first = scrape(proc, url)
        print(f"first scrape (reads the configuration into the cache): {first['seconds']:.2f} s, "
              f"CPU {first['cpu']:.2f} s, {first['bytes'] / MiB:.1f} MiB, {first['samples']:,} samples")
        results = []
        idle_cpu = idle_wall = 0.0
        for _ in range(args.scrapes):
            t0 = time.perf_counter()
            c0 = sum(proc.cpu_times()[:2])
            mover.tick()  # counters move between scrapes (this process's work, not the exporter's)
            time.sleep(max(0.0, args.every - (time.perf_counter() - t0)))
            idle_cpu += sum(proc.cpu_times()[:2]) - c0
            idle_wall += time.perf_counter() - t0
            results.append(scrape(proc, url))
        rss = proc.memory_info().rss / MiB
    finally:
        exporter.send_signal(signal.SIGTERM)
        exporter.wait(timeout=60)
    if results:
        med = {k: statistics.median(r[k] for r in results) for k in ("seconds", "cpu", "bytes", "samples")}
        worst = max(r["seconds"] for r in results)
        print(f"later scrapes (median of {len(results)}): {med['seconds']:.2f} s (worst {worst:.2f} s), "
              f"CPU {med['cpu']:.2f} s, {med['bytes'] / MiB:.1f} MiB, {med['samples']:,.0f} samples")
        print(f"between scrapes: CPU {100 * idle_cpu / idle_wall:.2f} % of one core; RSS {rss:.0f} MB")
    with open("/proc/loadavg") as handle:
        print(f"load average after: {handle.read().split()[:3]}")
    if not args.keep:
        import shutil

        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
