#!/usr/bin/env python3
"""Benchmark: the save-state badge after a write on a big target.

Builds (or reuses, ``--keep DIR``) the tree of ``bench/config_load.py``
(10,000 LUNs, 2,000 storage objects, 1,000 ACLs on tmpfs, about 3 GB),
saves it once through the sim writer, then for a few typical writes
measures what the TUI does in a worker thread after each one:

- before (``full``): a full read of every attribute, then the diff with
  saveconfig.json — what ``savefile.status(root)`` does;
- now (``touched``): re-reading only what the write touched
  (``RunningCache.touched`` with ``touched_scope(report)``), then the diff.

Both results are checked equal. The tree is removed unless ``--keep``.
Usage: ``python bench/save_status.py [--luns N --storage-objects N --acls N] [--runs N] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--luns", type=int, default=10_000)
    parser.add_argument("--storage-objects", type=int, default=2_000)
    parser.add_argument("--acls", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", metavar="DIR", help="build (or reuse) the tree in DIR and keep it")
    args = parser.parse_args()

    from sanctl.sim.scale import build_scale
    from sanctl.sim.writer import SimWriter
    from sanctl.startup import fast_temp_dir
    from sanctl.lio import changes as C
    from sanctl.lio import savefile
    from sanctl.lio.configfs import read_config

    root = args.keep or tempfile.mkdtemp(prefix="sanctl-bench-", dir=fast_temp_dir())
    try:
        if not os.path.isdir(os.path.join(root, "sys/kernel/config/target")):
            start = time.perf_counter()
            build_scale(root, luns=args.luns, storage_objects=args.storage_objects, acls=args.acls)
            print(f"built tree in {time.perf_counter() - start:.1f} s under {root}")
        writer = SimWriter(root)
        savefile.save(writer)
        config = read_config(root)
        target = next(iter(config.targets))
        tpg = target.tpgs[0]
        so = config.storage_objects[0]
        writes = {
            "TPG attribute": [C.tpg_attribute(target.wwn, tpg.tag, "login_timeout", 20)],
            "new backstore + LUN": [C.CreateRamdisk("bench-new", "4M"),
                                    C.CreateLun(target.wwn, tpg.tag, ("ramdisk", "bench-new"))],
            "backstore attribute": [C.backstore_attribute(so.plugin, so.name, "queue_depth", 64)],
        }
        cache = savefile.RunningCache(root)
        cache.full()
        print(f"tree: {len(config.storage_objects)} storage objects, "
              f"{sum(len(t.luns) for x in config.targets for t in x.tpgs)} LUNs")
        for name, changes in writes.items():
            report = writer.apply(changes)
            assert report.ok, report.lines()
            scope = savefile.touched_scope(report)
            full, touched = [], []
            for _ in range(args.runs):
                start = time.perf_counter()
                before = savefile.status(root)
                full.append(time.perf_counter() - start)
                start = time.perf_counter()
                after = savefile.status(root, running_config=cache.touched(scope))
                touched.append(time.perf_counter() - start)
                assert (before.differs, before.diff.entries) == (after.differs, after.diff.entries)
            print(f"{name:22} full read + diff {statistics.median(full):6.3f} s   "
                  f"touched only + diff {statistics.median(touched):6.3f} s   (median of {args.runs})")
        print(f"load average: {os.getloadavg()[0]:.2f} (2 cores; other work inflates every figure)")
    finally:
        if not args.keep:
            import shutil

            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
