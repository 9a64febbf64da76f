#!/usr/bin/env python3
"""Benchmark: sanctl next to targetcli on the very same configfs tree.

For each size (500, 2,000 and 10,000 LUNs, and a one-TPG tree of 2,000 LUNs
with two ACLs mapping all of them, where targetcli's mapped-LUN summaries are
quadratic) this builds the tree with sanctl's scale builder
(``sanctl.sim.scale``: 20 LUNs and 2 ACLs per target, one backstore per 5
LUNs), shows it to targetcli-fb as its running kernel, and then

1. **checks that targetcli reads the same configuration**: its
   ``saveconfig`` must equal ``sanctl export`` (a comparison on a misread
   tree is worthless) — keys that this targetcli's rtslib-fb does not know
   at all (Debian's 2.1.75 predates block ``exclusive``) are named and left
   out, any other difference stops that size; a targetcli that cannot read
   the tree at all (Debian's refuses mapped LUNs above 255, which the
   one-TPG tree has) is said, with its message, and not timed;
2. times ``targetcli ls`` against ``sanctl show`` and ``targetcli
   saveconfig FILE`` against ``sanctl export > FILE`` as interleaved pairs
   (the order alternating), each a whole process, and prints medians and
   ratios.

Both targetcli builds are measured: Debian's package (``/usr/bin/targetcli``,
installed with apt if missing) and PyPI's (``targetcli-fb`` with PyPI's
rtslib-fb and configshell-fb, in a venv under the cache directory, on
Debian's Python so that Debian's python3-dbus serves it).

How targetcli is pointed at a tree it did not write: every size runs in a
private mount namespace (``unshare --mount``), nothing is mounted or
written under the real ``/sys``:

- the tree's ``sys`` is bind-mounted over ``/sys`` and an overlay over
  ``/sys/kernel/config`` (rtslib-fb wants configfs to be a mount point of
  its own; the overlay's upper layer takes rtslib-fb's ``dbroot`` write);
- the simulated block devices get the ``uevent`` files and ``subsystem``
  links of real sysfs, and a small ``LD_PRELOAD`` library reports the
  tmpfs holding them as sysfs, because libudev (pyudev, which rtslib-fb
  asks for a block device's size) refuses anything else;
- rtslib-fb's "is this module loaded" reads ``/proc/modules``, which a host
  kernel without modules does not have: a wrapper answers with the modules
  whose configfs directories the tree has, before targetcli's own main runs;
- targetcli asks the system bus about tcmu-runner: a private
  ``dbus-daemon`` stands in for it.

sanctl reads the same mounts (``--root /`` inside the namespace), so both
tools go through the overlay.

Measured as users run it: ``PYTHONUNBUFFERED`` and
``PYTHONDONTWRITEBYTECODE`` are removed from both tools' environment (a
shell that exports them makes every process recompile its modules and
unbuffered output write token by token), and each command runs once
untimed first so that bytecode is cached.

Usage (as root)::

    python bench/compare_targetcli.py              # every size, both builds
    python bench/compare_targetcli.py --luns 2000  # one size
    python bench/compare_targetcli.py --one-tpg    # the one-TPG tree only
    python bench/compare_targetcli.py --json       # {"sizes": [...]}

``--runs N`` pairs per measurement (default 5); ``--targetcli
debian|pypi|both``. The cache (``$XDG_CACHE_HOME/sanctl-bench``) keeps the
PyPI venv and the compiled preload library between runs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, REPO)

CACHE = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "sanctl-bench")
SYSTEM_PYTHON = "/usr/bin/python3"
DEBIAN_TARGETCLI = "/usr/bin/targetcli"
#: A tree's shape per size: 20 LUNs and 2 ACLs per target, a backstore per 5 LUNs.
SIZES = (500, 2_000, 10_000)
ONE_TPG = {"luns": 2_000, "storage_objects": 400, "acls": 2, "targets": 1}

#: libudev checks that a device's sysfs directory is on sysfs (statfs magic); the
#: tree is on tmpfs. Reported as sysfs to the targetcli process only.
_SYSFS_SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#define FIX(rc, b) do { if ((rc) == 0 && (b)->f_type == TMPFS_MAGIC) (b)->f_type = SYSFS_MAGIC; } while (0)
int fstatfs(int fd, struct statfs *b) {
    static int (*real)(int, struct statfs *); if (!real) real = dlsym(RTLD_NEXT, "fstatfs");
    int rc = real(fd, b); FIX(rc, b); return rc; }
int statfs(const char *p, struct statfs *b) {
    static int (*real)(const char *, struct statfs *); if (!real) real = dlsym(RTLD_NEXT, "statfs");
    int rc = real(p, b); FIX(rc, b); return rc; }
int fstatfs64(int fd, struct statfs64 *b) {
    static int (*real)(int, struct statfs64 *); if (!real) real = dlsym(RTLD_NEXT, "fstatfs64");
    int rc = real(fd, b); FIX(rc, b); return rc; }
int statfs64(const char *p, struct statfs64 *b) {
    static int (*real)(const char *, struct statfs64 *); if (!real) real = dlsym(RTLD_NEXT, "statfs64");
    int rc = real(p, b); FIX(rc, b); return rc; }
"""

#: Runs a targetcli script with rtslib-fb told which modules are loaded (see the docstring).
_MODULES_WRAPPER = """
import os, runpy, sys
import rtslib_fb.utils as utils
FABRIC_MODULES = {"iscsi": "iscsi_target_mod", "loopback": "tcm_loop", "vhost": "vhost_scsi",
                  "srpt": "ib_srpt", "qla2xxx": "tcm_qla2xxx", "tcm_fc": "tcm_fc", "xen-pvscsi": "xen_scsiback"}
base = "/sys/kernel/config/target"
loaded = {"configfs", "target_core_mod", "target_core_iblock", "target_core_file",
          "target_core_pscsi", "target_core_user"}
loaded |= {m for f, m in FABRIC_MODULES.items() if os.path.isdir(os.path.join(base, f))}
utils.list_loaded_kernel_modules = lambda: set(loaded)
script = sys.argv.pop(1)
sys.argv[0] = script
runpy.run_path(script, run_name="__main__")
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# The tools
# ---------------------------------------------------------------------------


def tool_env() -> dict[str, str]:
    """The environment both tools run in: without the two variables that slow Python down."""
    env = dict(os.environ)
    env.pop("PYTHONUNBUFFERED", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def ensure_debian_targetcli() -> str | None:
    if not os.path.exists(DEBIAN_TARGETCLI):
        log("installing Debian's targetcli-fb (apt-get install -y targetcli-fb)…")
        subprocess.run(["apt-get", "install", "-y", "-q", "targetcli-fb"], check=False,
                       stdout=subprocess.DEVNULL, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    return DEBIAN_TARGETCLI if os.path.exists(DEBIAN_TARGETCLI) else None


def ensure_pypi_targetcli() -> str | None:
    venv = os.path.join(CACHE, "targetcli-pypi")
    script = os.path.join(venv, "bin", "targetcli")
    if os.path.exists(script):
        return script
    if not os.path.exists(SYSTEM_PYTHON):
        return None
    log(f"installing PyPI's targetcli-fb into {venv}…")
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", "--system-site-packages", venv], check=True)
    pip = [os.path.join(venv, "bin", "pip"), "install", "-q"]
    subprocess.run([*pip, "targetcli-fb"], check=True)
    # PyPI's own rtslib-fb and configshell-fb, not Debian's that the venv can see.
    subprocess.run([*pip, "--ignore-installed", "rtslib-fb", "configshell-fb", "pyudev"], check=True)
    return script if os.path.exists(script) else None


def build_shim() -> str:
    os.makedirs(CACHE, exist_ok=True)
    so = os.path.join(CACHE, "sysfs_magic.so")
    src = os.path.join(CACHE, "sysfs_magic.c")
    if not (os.path.exists(src) and open(src).read() == _SYSFS_SHIM and os.path.exists(so)):
        with open(src, "w") as handle:
            handle.write(_SYSFS_SHIM)
        subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-o", so, src, "-ldl"], check=True)
    return so


def targetcli_version(script: str) -> str:
    out = subprocess.run([script, "--version"], capture_output=True, text=True, env=tool_env())
    words = (out.stdout + out.stderr).split()
    return words[-1] if words else "?"


# ---------------------------------------------------------------------------
# One size, inside its own mount namespace
# ---------------------------------------------------------------------------


def shape(luns: int, one_tpg: bool) -> dict[str, int]:
    if one_tpg:
        return dict(ONE_TPG)
    targets = max(1, luns // 20)
    return {"luns": luns, "storage_objects": max(1, luns // 5), "acls": 2 * targets, "targets": targets}


def sysfs_look(root: str) -> None:
    """Give the simulated block devices the ``uevent`` and ``subsystem`` libudev expects."""
    base = os.path.join(root, "sys", "devices", "virtual", "block")
    if not os.path.isdir(base):
        return
    for name in os.listdir(base):
        device = os.path.join(base, name)
        with open(os.path.join(device, "dev")) as handle:
            major, minor = handle.read().strip().split(":")
        with open(os.path.join(device, "uevent"), "w") as handle:
            handle.write(f"MAJOR={major}\nMINOR={minor}\nDEVNAME={name}\nDEVTYPE=disk\n")
        link = os.path.join(device, "subsystem")
        if not os.path.islink(link):
            os.symlink("../../../../class/block", link)


def mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True)


def present_as_kernel(root: str, scratch: str) -> None:
    """Make ``root``'s sys the running kernel's, for this mount namespace only."""
    overlay = os.path.join(scratch, "overlay")
    os.makedirs(overlay)
    mount("-t", "tmpfs", "none", overlay)
    os.makedirs(os.path.join(overlay, "upper"))
    os.makedirs(os.path.join(overlay, "work"))
    config = os.path.join(root, "sys", "kernel", "config")
    mount("--rbind", os.path.join(root, "sys"), "/sys")
    mount("-t", "overlay", "overlay", "-o",
          f"lowerdir={config},upperdir={overlay}/upper,workdir={overlay}/work", "/sys/kernel/config")


def start_bus(scratch: str) -> tuple[subprocess.Popen, str]:
    address = f"unix:path={scratch}/system_bus"
    proc = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--nopidfile", f"--address={address}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        if os.path.exists(f"{scratch}/system_bus"):
            break
        time.sleep(0.02)
    return proc, address


class ToolFailed(RuntimeError):
    """A timed command failed; ``said`` is what it printed (targetcli says why on stdout)."""

    def __init__(self, message: str, said: str) -> None:
        super().__init__(message)
        self.said = said


def timed(argv: list[str], env: dict[str, str], stdout_path: str | None = None) -> float:
    out = open(stdout_path, "w") if stdout_path else subprocess.DEVNULL
    try:
        start = time.perf_counter()
        proc = subprocess.run(argv, env=env, stdout=out, stderr=subprocess.PIPE, cwd="/")
        elapsed = time.perf_counter() - start
    finally:
        if stdout_path:
            out.close()
    if proc.returncode != 0:  # targetcli says why on stdout: run it again to hear it (timing is moot now)
        again = subprocess.run(argv, env=env, capture_output=True, cwd="/")
        said = (again.stdout + again.stderr).decode(errors="replace").strip()[-800:]
        raise ToolFailed(f"{' '.join(argv[-3:])} exited {proc.returncode}: {said}", said)
    return elapsed


def normalised(theirs: dict, ours: dict) -> tuple[bool, list[str], str]:
    """(equal, our keys their rtslib-fb does not know, first difference)."""
    unknown: list[str] = []
    for section in ("storage_objects", "targets"):
        their_keys = set().union(*(set(o) for o in theirs.get(section, []))) if theirs.get(section) else set()
        our_keys = set().union(*(set(o) for o in ours.get(section, []))) if ours.get(section) else set()
        for key in sorted(our_keys - their_keys):
            unknown.append(f"{section}[].{key}")
            for obj in ours.get(section, []):
                obj.pop(key, None)
    if theirs == ours:
        return True, unknown, ""
    for key in sorted(set(theirs) | set(ours)):
        a, b = theirs.get(key), ours.get(key)
        if a == b:
            continue
        if isinstance(a, list) and isinstance(b, list):
            for i, (x, y) in enumerate(zip(a, b)):
                if x != y:
                    return False, unknown, f"{key}[{i}]: targetcli {json.dumps(x)[:300]} / sanctl {json.dumps(y)[:300]}"
            return False, unknown, f"{key}: {len(a)} entries in targetcli's, {len(b)} in sanctl's"
        return False, unknown, f"{key} differs"
    return False, unknown, "?"


def run_one_size(args: argparse.Namespace) -> dict:
    """Inside the private namespace: build, check equality, time. One JSON object out."""
    from sanctl.sim.scale import build_scale

    sizes = shape(args.luns, args.one_tpg)
    scratch = tempfile.mkdtemp(prefix="sanctl-cmp-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    mount("-t", "tmpfs", "none", scratch)
    root = os.path.join(scratch, "root")
    start = time.perf_counter()
    build_scale(root, **sizes)
    sysfs_look(root)
    log(f"  tree of {sizes['luns']} LUNs built in {time.perf_counter() - start:.1f} s")
    present_as_kernel(root, scratch)
    bus, address = start_bus(scratch)
    env = tool_env()
    tc_env = dict(env, LD_PRELOAD=args.shim, DBUS_SYSTEM_BUS_ADDRESS=address, HOME=scratch)
    wrapper = os.path.join(scratch, "modules_wrapper.py")
    with open(wrapper, "w") as handle:
        handle.write(_MODULES_WRAPPER)
    sanctl = [sys.executable, "-m", "sanctl", "--root", "/"]
    env_sanctl = dict(env, PYTHONPATH=REPO)
    results = []
    try:
        for name, script in args.tools:
            python = open(script).readline()[2:].strip()
            tc = [python, wrapper, script]
            entry = {"luns": sizes["luns"], "one_tpg": args.one_tpg, "shape": sizes, "tool": name,
                     "targetcli": targetcli_version(script)}
            their_file = os.path.join(scratch, f"{name}-saveconfig.json")
            our_file = os.path.join(scratch, "sanctl-export.json")
            # Untimed first runs: bytecode cached, and the equality check.
            try:
                timed([*tc, "saveconfig", their_file], tc_env)
            except ToolFailed as exc:  # e.g. Debian's rtslib-fb refuses a mapped LUN above 255
                last = exc.said.splitlines()[-1] if exc.said.strip() else "no message"
                entry.update(equal=False, difference=f"targetcli cannot read this tree: {last}")
                results.append(entry)
                log(f"  {name}: {entry['difference']}; not timed")
                continue
            timed([*sanctl, "export"], env_sanctl, our_file)
            with open(their_file) as a, open(our_file) as b:
                equal, unknown, difference = normalised(json.load(a), json.load(b))
            entry.update(equal=equal, keys_unknown_to_targetcli=unknown)
            if not equal:
                entry["difference"] = difference
                results.append(entry)
                log(f"  {name}: targetcli's saveconfig differs from sanctl export ({difference}); not timed")
                continue
            timed([*tc, "ls", "/"], tc_env)
            timed([*sanctl, "show"], env_sanctl)
            pairs = {"ls": [], "show": [], "saveconfig": [], "export": []}
            for run in range(args.runs):
                order = [("ls", [*tc, "ls", "/"], tc_env, None), ("show", [*sanctl, "show"], env_sanctl, None)]
                order += [("saveconfig", [*tc, "saveconfig", their_file], tc_env, None),
                          ("export", [*sanctl, "export"], env_sanctl, our_file)]
                if run % 2:
                    order = [order[1], order[0], order[3], order[2]]
                for key, argv, run_env, out in order:
                    pairs[key].append(timed(argv, run_env, out))
            medians = {key: statistics.median(values) for key, values in pairs.items()}
            entry.update({f"{key}_s": round(value, 4) for key, value in medians.items()})
            entry.update({f"{key}_all_s": [round(v, 4) for v in values] for key, values in pairs.items()})
            entry["show_ratio"] = round(medians["ls"] / medians["show"], 1)
            entry["export_ratio"] = round(medians["saveconfig"] / medians["export"], 1)
            results.append(entry)
            log(f"  {name} {entry['targetcli']}: ls {medians['ls']:.2f} s / show {medians['show']:.3f} s"
                f" = {entry['show_ratio']}×; saveconfig {medians['saveconfig']:.2f} s /"
                f" export {medians['export']:.3f} s = {entry['export_ratio']}×")
    finally:
        bus.terminate()
    return {"results": results}


# ---------------------------------------------------------------------------
# The driver
# ---------------------------------------------------------------------------


def table(entries: list[dict], load: tuple[float, float]) -> str:
    lines = [
        f"load average {load[0]:.2f} at the start, {load[1]:.2f} at the end; medians of interleaved pairs",
        "",
        "| LUNs | targetcli | equal | `targetcli ls` | `sanctl show` | ratio | `targetcli saveconfig` | `sanctl export` | ratio |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for e in entries:
        size = f"{e['luns']:,} in one TPG" if e["one_tpg"] else f"{e['luns']:,}"
        tool = f"{e['tool']} {e['targetcli']}"
        if not e["equal"]:
            lines.append(f"| {size} | {tool} | no: {e.get('difference', '')[-80:]} | | | | | | |")
            continue
        lines.append(f"| {size} | {tool} | yes | {e['ls_s']:.2f} s | {e['show_s']:.3f} s | {e['show_ratio']}× |"
                     f" {e['saveconfig_s']:.2f} s | {e['export_s']:.3f} s | {e['export_ratio']}× |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--luns", type=int, help="one size only")
    parser.add_argument("--one-tpg", action="store_true", help="only the one-TPG tree (2,000 LUNs, 2 ACLs)")
    parser.add_argument("--runs", type=int, default=5, help="interleaved pairs per measurement (default 5)")
    parser.add_argument("--targetcli", choices=("debian", "pypi", "both"), default="both")
    parser.add_argument("--json", action="store_true", help='print {"sizes": [...]} instead of the table')
    parser.add_argument("--_inside", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--_tools", help=argparse.SUPPRESS)
    parser.add_argument("--_shim", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args._inside:
        args.tools = json.loads(args._tools)
        args.shim = args._shim
        print(json.dumps(run_one_size(args)))
        return 0

    if os.geteuid() != 0:
        print("compare_targetcli: needs root (private mount namespaces, as the kernel tier's setup does)",
              file=sys.stderr)
        return 2
    for program in ("unshare", "mount", "gcc", "dbus-daemon"):
        if shutil.which(program) is None:
            print(f"compare_targetcli: {program} is missing (apt-get install util-linux gcc dbus-daemon)",
                  file=sys.stderr)
            return 2
    tools = []
    if args.targetcli in ("debian", "both") and (script := ensure_debian_targetcli()):
        tools.append(("debian", script))
    if args.targetcli in ("pypi", "both") and (script := ensure_pypi_targetcli()):
        tools.append(("pypi", script))
    if not tools:
        print("compare_targetcli: no targetcli to compare with", file=sys.stderr)
        return 2
    shim = build_shim()

    plan: list[tuple[int, bool]] = []
    if args.one_tpg:
        plan.append((ONE_TPG["luns"], True))
    elif args.luns:
        plan.append((args.luns, False))
    else:
        plan = [(n, False) for n in SIZES] + [(ONE_TPG["luns"], True)]

    load_start = os.getloadavg()[0]
    entries: list[dict] = []
    for luns, one_tpg in plan:
        log(f"{luns:,} LUNs{' in one TPG' if one_tpg else ''}:")
        inner = [sys.executable, os.path.abspath(__file__), "--_inside", "--luns", str(luns),
                 "--runs", str(args.runs), "--_tools", json.dumps(tools), "--_shim", shim]
        if one_tpg:
            inner.append("--one-tpg")
        proc = subprocess.run(["unshare", "--mount", "--propagation", "private", *inner],
                              stdout=subprocess.PIPE, text=True)
        if proc.returncode != 0:
            print(f"compare_targetcli: the {luns}-LUN run failed (exit {proc.returncode})", file=sys.stderr)
            return 1
        entries.extend(json.loads(proc.stdout)["results"])
    load_end = os.getloadavg()[0]

    if args.json:
        print(json.dumps({"load_average": [load_start, load_end], "sizes": entries}, indent=2))
    else:
        print(table(entries, (load_start, load_end)))
    return 0 if all(e["equal"] for e in entries) else 1


if __name__ == "__main__":
    sys.exit(main())
