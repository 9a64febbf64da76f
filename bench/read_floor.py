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
Usage: ``python bench/read_floor.py [--luns N] [--runs N] [--json]``.
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

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from sanctl.json_text import dumps  # noqa: E402
from sanctl.lio.configfs import read_config  # noqa: E402
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


def floor(ops: list[tuple[str, str]]) -> None:
    """The same file operations, bare."""
    scandir, listdir, readlink, open_, read, close = os.scandir, os.listdir, os.readlink, os.open, os.read, os.close
    flags = os.O_RDONLY | os.O_CLOEXEC
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
            pass


def timed(function) -> float:
    """CPU seconds (user + system) of this process: on a loaded machine wall time mostly measures the
    scheduler, and the reader, the floor and the rendering all run on one core here."""
    start = time.process_time()
    function()
    return time.process_time() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--luns", type=int, default=2_000, help="LUNs in the tree (default 2,000)")
    parser.add_argument("--runs", type=int, default=5, help="interleaved runs per figure (default 5)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)

    targets = max(1, args.luns // 20)
    with tempfile.TemporaryDirectory(prefix="sanctl-floor-", dir=fast_temp_dir()) as root:
        build_scale(root, luns=args.luns, storage_objects=max(1, args.luns // 5), acls=2 * targets, targets=targets)
        operations = {}
        for level, options in LEVELS.items():
            ops: list[tuple[str, str]] = []
            with recording(ops):
                read_config(root, **options)
            operations[level] = (len(ops), list(dict.fromkeys(ops)))  # each path once, in the reader's order

        render_ops: list[tuple[str, str]] = []
        shown = read_config(root, **LEVELS["show"])
        with recording(render_ops):  # what rendering reads that the show read left (each LUN's ALUA group)
            render_text(shown)
        reads: dict[str, list[float]] = {level: [] for level in LEVELS}
        floors: dict[str, list[float]] = {level: [] for level in LEVELS}
        render: list[float] = []
        export: list[float] = []
        with open(os.devnull, "w", encoding="utf-8") as sink:
            for _ in range(args.runs):
                for level, options in LEVELS.items():
                    reads[level].append(timed(lambda options=options: read_config(root, **options)))
                    floors[level].append(timed(lambda level=level: floor(operations[level][1])))
                shown = read_config(root, **LEVELS["show"])
                render.append(timed(lambda: sink.write(render_text(shown))))
                exported = read_config(root, **LEVELS["export"])
                export.append(timed(lambda: sink.write(dumps(dump(exported)) + "\n")))

    load = os.getloadavg()
    figures = {
        "luns": args.luns, "runs": args.runs, "load": load,
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
    if args.json:
        json.dump(figures, sys.stdout, indent=2)
        print()
        return 0
    print(f"{args.luns} LUNs, {targets} targets; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
          f"medians of {args.runs}, CPU seconds\n")
    print(f"{'level':<8} {'file ops (distinct)':>20} {'sanctl read':>12} {'floor':>9} {'ratio':>6}")
    for level, figure in figures["levels"].items():
        print(f"{level:<8} {figure['operations']:>11,} ({figure['distinct']:>6,}) {figure['read']:>10.3f} s "
              f"{figure['floor']:>7.3f} s {figure['ratio']:>5.2f}×")
    print(f"\nshow:   render_text + write  {figures['render_show']:.3f} s = "
          f"{figures['render_show_fraction']:.2f} of its read (goal ≤ 0.25); it reads {len(render_ops):,} files "
          "itself (each LUN's ALUA group, left by the read)")
    print(f"export: dump + JSON + write  {figures['dump_export']:.3f} s = "
          f"{figures['dump_export_fraction']:.2f} of its read (goal ≤ 0.25)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
