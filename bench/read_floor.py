#!/usr/bin/env python3
"""Benchmark: sanctl's reader next to the floor, and rendering and dumping next to the read.

Builds a tree with the scale builder (``sanctl.sim.scale``: 20 LUNs and 2
ACLs per target, one backstore per 5 LUNs, as ``bench/compare_targetcli.py``
does) on tmpfs and, at each detail level the CLI and the TUI read —

- ``tui``: the TUI's first read (mapped LUNs counted, not read; a TPG's
  label attributes only),
- ``show``: what ``sanctl show`` reads (every mapped LUN and TPG attribute),
- ``export``: ``details=True``, every attribute file (what ``export`` reads),

records the file operations ``read_config`` makes (``os.scandir``,
``os.listdir``, ``os.readlink``, ``os.open`` of a file), then times the
**floor**: the same operations, each path once, done bare (a scandir's
entries listed, a listing taken, a link read, a file opened, read once and
closed) with nothing built from them. It prints sanctl's read, the floor and
their ratio (the goal, issue 19: at most 1.3).

Then what a command does after its read: ``render_text`` of the ``show``
read and ``dump`` + ``json_text.dumps`` of the ``export`` read, each with
the write to ``/dev/null`` in one block, as a fraction of that read (the
goal: at most a quarter).

Medians of ``--runs`` interleaved runs, in this process (warm caches: the
tree is in memory, as configfs is), in CPU time (user + system), which a
busy machine disturbs far less than wall time.

Then the **parallel floor** (issue 19: configfs runs kernel code per file,
so two cores might read faster than one): the same distinct operations
split by subtree — each target's, each backstore HBA's: the units a
parallel reader would hand out — over ``--threads`` threads (contiguous
runs of units, taken in turn), the rest (the top listings) done first in
this thread; next to the serial floor, in **wall** time (threads overlap in
the kernel: CPU time would add them up and hide a gain). A parallel
reader was tried against it and removed (README, Performance).

``--root PATH`` measures the tree under PATH (``/`` on a host with a kernel
target: ``PATH/sys/kernel/config/target``) instead of building one on tmpfs.
Usage: ``python bench/read_floor.py [--luns N | --root PATH] [--threads N] [--runs N] [--json]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from sanctl.json_text import dumps  # noqa: E402
from sanctl.lio.configfs import read_config, target_dir  # noqa: E402
from sanctl.lio.saveconfig import dump  # noqa: E402
from sanctl.sim.scale import build_scale  # noqa: E402
from sanctl.startup import fast_temp_dir  # noqa: E402
from sanctl.tree import render_text  # noqa: E402

LEVELS = {
    "tui": {"mapped_luns": False, "tpg_attributes": False},
    "show": {},
    "export": {"details": True},
}


@contextlib.contextmanager
def recording(ops: list[tuple[str, str]]):
    """Note every scandir, listdir, readlink and open the code inside makes, each by its whole path.

    The reader opens a settings directory and lists it by descriptor, and opens its files relative to
    it: that is noted as the floor does it — the directory scanned by path, each file opened by path
    (the directory's own ``open`` is part of the floor's scandir).
    """
    real = {name: getattr(os, name) for name in ("scandir", "listdir", "readlink", "open")}

    def where(fd: int) -> str:
        return real["readlink"](f"/proc/self/fd/{fd}")

    def wrap(name):
        def call(path, *args, **kwargs):
            if isinstance(path, int):
                ops.append((name, where(path)))
            elif name == "open" and len(args) > 0 and args[0] & os.O_DIRECTORY:
                pass
            elif kwargs.get("dir_fd") is not None:
                ops.append((name, f"{where(kwargs['dir_fd'])}/{os.fsdecode(path)}"))
            else:
                ops.append((name, os.fsdecode(path)))
            return real[name](path, *args, **kwargs)
        return call

    for name in real:
        setattr(os, name, wrap(name))
    try:
        yield
    finally:
        for name, function in real.items():
            setattr(os, name, function)


def record(root: str, options: dict) -> tuple[int, list[tuple[str, str]]]:
    """(how many file operations ``read_config`` makes at these options, the distinct ones in its order)."""
    ops: list[tuple[str, str]] = []
    with recording(ops):
        read_config(root, **options)
    return len(ops), list(dict.fromkeys(ops))


def floor(ops: list[tuple[str, str]]) -> int:
    """The same file operations, bare; how many succeeded."""
    scandir, listdir, readlink, open_, read, close = os.scandir, os.listdir, os.readlink, os.open, os.read, os.close
    flags = os.O_RDONLY | os.O_CLOEXEC
    done = 0
    for kind, path in ops:
        try:
            if kind == "open":
                fd = open_(path, flags)
                read(fd, 4097)
                close(fd)
            elif kind == "scandir":
                with scandir(path) as entries:
                    list(entries)
            elif kind == "listdir":
                listdir(path)
            else:
                readlink(path)
        except OSError:
            continue
        done += 1
    return done


#: Entries of a fabric directory that are not targets (the reader's list).
NOT_TARGETS = frozenset({"lio_version", "version", "discovery_auth", "cpus_allowed_list"})


def units(ops: list[tuple[str, str]], root: str) -> tuple[list[tuple[str, str]], list[list[tuple[str, str]]]]:
    """(the operations outside any unit, the units in the reader's order).

    A unit is one subtree a parallel reader would hand to a thread: a target
    (``<fabric>/<target>/…``) or a backstore HBA (``core/<hba>/…``). An
    operation outside the configfs tree (a block device's size in sysfs) is
    part of the object being read when it was made: the unit before it.
    """
    # paths by name, and those of files opened in a directory by descriptor (their real path)
    prefixes = {os.path.normpath(os.path.abspath(target_dir(root))) + "/", os.path.realpath(target_dir(root)) + "/"}
    head: list[tuple[str, str]] = []
    groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for op in ops:
        path = op[1]
        cfs = next((prefix for prefix in prefixes if path.startswith(prefix)), None)
        if cfs is None:
            (current if current is not None else head).append(op)
            continue
        parts = path[len(cfs):].split("/")
        if len(parts) < 2 or (parts[0] == "core" and "_" not in parts[1]) or (
                parts[0] != "core" and parts[1] in NOT_TARGETS):
            head.append(op)
            current = None
            continue
        current = groups.setdefault((parts[0], parts[1]), [])
        current.append(op)
    return head, list(groups.values())


def chunks(items: list, count: int) -> list[list]:
    """``items`` cut into at most ``count`` contiguous runs of near-equal length, in order."""
    if not items:
        return []
    size = -(-len(items) // max(1, count))
    return [items[i:i + size] for i in range(0, len(items), size)]


def parallel_floor(head: list[tuple[str, str]], parts: list[list[tuple[str, str]]], threads: int) -> int:
    """The floor over ``threads`` threads: ``head`` here, then the units in contiguous runs (four per
    thread, taken in turn as threads come free); how many operations succeeded."""
    done = floor(head)
    with ThreadPoolExecutor(threads) as pool:
        work = [[op for unit in run for op in unit] for run in chunks(parts, 4 * threads)]
        done += sum(pool.map(floor, work))
    return done


def timed(function) -> float:
    """CPU seconds (user + system) of this process: on a loaded machine wall time mostly measures the
    scheduler, and the reader, the floor and the rendering all run on one core here."""
    start = time.process_time()
    function()
    return time.process_time() - start


def wall(function) -> float:
    """Wall seconds: what a parallel read gains is time, not CPU (threads overlapping in the kernel)."""
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def parallel_figures(root: str, threads: int = 2, runs: int = 5) -> dict:
    """At each detail level: the serial and the parallel floor in wall seconds, medians of ``runs``
    interleaved runs, with how many operations each did without error (the same, or the split lost some)."""
    figures: dict = {"threads": threads, "runs": runs, "levels": {}}
    for level, options in LEVELS.items():
        count, ops = record(root, options)
        head, parts = units(ops, root)
        times: dict[str, list[float]] = {"floor_serial": [], "floor_parallel": []}
        done: dict[str, set[int]] = {"serial": set(), "parallel": set()}
        for _ in range(runs):
            times["floor_serial"].append(wall(lambda: done["serial"].add(floor(ops))))
            times["floor_parallel"].append(wall(lambda: done["parallel"].add(parallel_floor(head, parts, threads))))
        figure = {"operations": count, "distinct": len(ops), "units": len(parts), "outside_units": len(head),
                  "done_serial": sorted(done["serial"]), "done_parallel": sorted(done["parallel"])}
        figure.update({name: statistics.median(values) for name, values in times.items()})
        figure["floor_gain"] = 1 - figure["floor_parallel"] / figure["floor_serial"]
        figures["levels"][level] = figure
    return figures


def print_parallel(figures: dict) -> None:
    """The serial and parallel wall times, one line per detail level."""
    print(f"\nparallel floor: {figures['threads']} threads, wall seconds, medians of {figures['runs']}")
    print(f"{'level':<8} {'units':>6} {'floor serial':>13} {'parallel':>9} {'gain':>6}")
    for level, figure in figures["levels"].items():
        print(f"{level:<8} {figure['units']:>6,} {figure['floor_serial']:>11.4f} s {figure['floor_parallel']:>7.4f} s "
              f"{figure['floor_gain']:>5.0%}")


def floor_figures(root: str, runs: int) -> dict:
    """sanctl's read next to the serial floor at each level (CPU seconds), and what show and export do
    after their read."""
    operations = {level: record(root, options) for level, options in LEVELS.items()}
    render_ops: list[tuple[str, str]] = []
    shown = read_config(root, **LEVELS["show"])
    with recording(render_ops):  # what rendering reads that the show read left (each LUN's ALUA group)
        render_text(shown)
    reads: dict[str, list[float]] = {level: [] for level in LEVELS}
    floors: dict[str, list[float]] = {level: [] for level in LEVELS}
    render: list[float] = []
    export: list[float] = []
    with open(os.devnull, "w", encoding="utf-8") as sink:
        for _ in range(runs):
            for level, options in LEVELS.items():
                reads[level].append(timed(lambda options=options: read_config(root, **options)))
                floors[level].append(timed(lambda level=level: floor(operations[level][1])))
            shown = read_config(root, **LEVELS["show"])
            render.append(timed(lambda: sink.write(render_text(shown))))
            exported = read_config(root, **LEVELS["export"])
            export.append(timed(lambda: sink.write(dumps(dump(exported)) + "\n")))
    figures = {
        "luns": sum(len(tpg.luns) for fabric in shown.fabrics for target in fabric.targets for tpg in target.tpgs),
        "targets": sum(len(fabric.targets) for fabric in shown.fabrics),
        "levels": {
            level: {"read": statistics.median(reads[level]), "floor": statistics.median(floors[level]),
                    "ratio": statistics.median(reads[level]) / statistics.median(floors[level]),
                    "operations": operations[level][0], "distinct": len(operations[level][1])}
            for level in LEVELS
        },
        "render_show": statistics.median(render),
        "render_show_file_operations": len(render_ops),
        "dump_export": statistics.median(export),
    }
    figures["render_show_fraction"] = figures["render_show"] / figures["levels"]["show"]["read"]
    figures["dump_export_fraction"] = figures["dump_export"] / figures["levels"]["export"]["read"]
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--luns", type=int, default=2_000, help="LUNs in the tree built (default 2,000)")
    parser.add_argument("--root", help="measure the tree under ROOT (/ on a host with a kernel target) "
                        "instead of building one")
    parser.add_argument("--threads", type=int, default=2, help="threads of the parallel floor (default 2)")
    parser.add_argument("--runs", type=int, default=5, help="interleaved runs per figure (default 5)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.threads < 1 or args.runs < 1:
        parser.error("--threads and --runs take 1 or more")

    with contextlib.ExitStack() as stack:
        if args.root is not None:
            root = args.root
            if not os.path.isdir(target_dir(root)):
                parser.error(f"no LIO tree under {root}: {target_dir(root)} is not a directory")
        else:
            root = stack.enter_context(tempfile.TemporaryDirectory(prefix="sanctl-floor-", dir=fast_temp_dir()))
            targets = max(1, args.luns // 20)
            build_scale(root, luns=args.luns, storage_objects=max(1, args.luns // 5), acls=2 * targets,
                        targets=targets)
        figures = floor_figures(root, args.runs)
        figures["parallel"] = parallel_figures(root, args.threads, args.runs)

    load = os.getloadavg()
    figures.update(root=args.root, runs=args.runs, load=load)
    if args.json:
        json.dump(figures, sys.stdout, indent=2)
        print()
        return 0
    where = args.root if args.root is not None else "a tree built on tmpfs"
    print(f"{figures['luns']:,} LUNs, {figures['targets']:,} targets ({where}); load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; medians of {args.runs}, CPU seconds\n")
    print(f"{'level':<8} {'file ops (distinct)':>20} {'sanctl read':>12} {'floor':>9} {'ratio':>6}")
    for level, figure in figures["levels"].items():
        print(f"{level:<8} {figure['operations']:>11,} ({figure['distinct']:>6,}) {figure['read']:>10.3f} s "
              f"{figure['floor']:>7.3f} s {figure['ratio']:>5.2f}×")
    print(f"\nshow:   render_text + write  {figures['render_show']:.3f} s = "
          f"{figures['render_show_fraction']:.2f} of its read (goal ≤ 0.25); it reads "
          f"{figures['render_show_file_operations']:,} files itself (each LUN's ALUA group, left by the read)")
    print(f"export: dump + JSON + write  {figures['dump_export']:.3f} s = "
          f"{figures['dump_export_fraction']:.2f} of its read (goal ≤ 0.25)")
    print_parallel(figures["parallel"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
