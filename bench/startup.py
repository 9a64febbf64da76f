#!/usr/bin/env python3
"""Benchmark: how long sanctl takes to start, and which imports that time goes to.

Times whole processes of ``sanctl --version``, ``sanctl --help`` and
``sanctl show`` on an empty LIO tree (a captured root holding only
``sys/kernel/config/target``), next to ``python -c pass`` (the interpreter's
own start, the floor), and prints the median wall time and the median CPU
time (user + system of the child: on a loaded machine the wall time mostly
measures the scheduler). Then ``python -X importtime`` of each command: the
modules with the largest cumulative import time, and every sanctl module
imported.

Measured as users run it: ``PYTHONUNBUFFERED`` and
``PYTHONDONTWRITEBYTECODE`` are removed from the environment (with them every
process recompiles its modules), and each command runs once untimed first so
that bytecode is cached.

Budgets (issue 19): ``--version`` and ``--help`` < 50 ms, ``show`` on an
empty tree < 80 ms.
Usage: ``python bench/startup.py [--runs N] [--top N] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

BUDGETS = {"--version": 0.050, "--help": 0.050, "show (empty tree)": 0.080}


def env() -> dict[str, str]:
    clean = dict(os.environ)
    for name in ("PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE", "PYTHONPROFILEIMPORTTIME"):
        clean.pop(name, None)
    return clean


def run_once(argv: list[str]) -> tuple[float, float]:
    """(wall, cpu) seconds of one process, output discarded."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env())
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {child.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def import_times(argv: list[str]) -> list[tuple[int, int, str]]:
    """``-X importtime`` of one run: (self µs, cumulative µs, dotted name with its nesting)."""
    done = subprocess.run([sys.executable, "-X", "importtime", *argv], capture_output=True, text=True, env=env())
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, total, name = line[len("import time:"):].split("|")
        rows.append((int(own), int(total), name.rstrip()))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="processes per command (default 15)")
    parser.add_argument("--top", type=int, default=12, help="imports listed per command (default 12)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="sanctl-startup-") as root:
        os.makedirs(os.path.join(root, "sys/kernel/config/target"))
        script = os.path.join(os.path.dirname(sys.executable), "sanctl")  # the console script users run
        sanctl = [script] if os.path.exists(script) else ["-m", "sanctl"]
        commands = {
            "python -c pass": ["-c", "pass"],
            "--version": [*sanctl, "--version"],
            "--help": [*sanctl, "--help"],
            "show (empty tree)": [*sanctl, "--root", root, "show"],
        }
        for command in commands.values():  # bytecode cached, as a user's second run has it
            run_once([sys.executable, *command])
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(args.runs):  # interleaved, so that a burst of load hits every command alike
            for name, command in commands.items():
                times[name].append(run_once([sys.executable, *command]))
        imports = {name: import_times(command) for name, command in commands.items() if name != "python -c pass"}

    load = os.getloadavg()
    figures = {
        name: {"wall": statistics.median(w for w, _ in runs), "cpu": statistics.median(c for _, c in runs),
               "budget": BUDGETS.get(name)}
        for name, runs in times.items()
    }
    if args.json:
        json.dump({"load": load, "runs": args.runs, "commands": figures,
                   "sanctl_modules": {name: [n.strip() for _, _, n in rows if n.strip().startswith("sanctl")]
                                      for name, rows in imports.items()}}, sys.stdout, indent=2)
        print()
        return 0
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {args.runs} runs each, medians "
          f"({sys.executable}, PYTHONUNBUFFERED/PYTHONDONTWRITEBYTECODE unset, bytecode cached)\n")
    print(f"{'command':<20} {'wall':>9} {'cpu':>9} {'budget':>9}")
    for name, figure in figures.items():
        budget = f"{figure['budget'] * 1000:.0f} ms" if figure["budget"] else "—"
        print(f"{name:<20} {figure['wall'] * 1000:>6.1f} ms {figure['cpu'] * 1000:>6.1f} ms {budget:>9}")
    for name, rows in imports.items():
        total = sum(own for own, _, _ in rows)
        print(f"\n{name}: {len(rows)} modules imported, {total / 1000:.1f} ms in imports; largest (cumulative ms):")
        tops = sorted(rows, key=lambda row: row[1], reverse=True)[: args.top]
        for _, cumulative, module in tops:
            print(f"  {cumulative / 1000:7.1f}  {module.strip()}")
        ours = [module.strip() for _, _, module in rows if module.strip().startswith("sanctl")]
        print(f"  sanctl modules: {', '.join(ours)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
