"""Host side of sanctl's real-kernel test tier: boot Debian's kernel in qemu.

The guest gets no disk image: the host's root filesystem is shared read-only
over virtio-9p (``multidevs=remap``) under a tmpfs overlay, so it runs the
host's own Python, venv, rtslib-fb, iscsiadm and this working tree.  A second,
writable 9p share (a temporary results folder) brings back the exit code, the
output, a junit file and, for ``--capture``, the fixture files; the serial
console goes to a log file that is shown when something goes wrong.

Standard library only: ``setup-host`` runs it with the system's python3 to
build the initramfs, ``run`` with the venv's python (whose path the guest
reuses).

    python vmrun.py initramfs          build/refresh the initramfs in the cache
    python vmrun.py probe-kvm          say whether KVM can boot the kernel here
    python vmrun.py run [options] [pytest args]
        --capture         run tests/kernel/capture.py instead of pytest and
                          store its files in tests/fixtures/kernel/
        --timeout=SECS    kill a hung guest after SECS (default 2700,
                          env SANCTL_VM_TIMEOUT)
        --accel=auto|tcg|kvm   (default auto: KVM only if a quick probe boots)
        --console         stream the guest's console while it runs
        --keep            keep the temporary results folder
        --shell=CMD       run CMD in the prepared guest instead (debugging)
        --                end of these options; the rest goes to pytest
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
import guest_crash  # noqa: E402  (a sibling module: vmrun.py runs as a script and is loaded by path)

REPO = HERE.parent.parent
CACHE = Path(os.environ.get("SANCTL_KERNEL_CACHE") or HERE / ".cache").resolve()
KERNEL_ROOT = CACHE / "kernel"
INITRAMFS = CACHE / "initramfs.img"
INIT_SCRIPT = HERE / "initramfs-init.sh"
GUEST_SCRIPT = HERE / "guest.sh"
FIXTURES = REPO / "tests" / "fixtures" / "kernel"
LAST_RUN = CACHE / "last-run"
QEMU = "qemu-system-x86_64"
BUSYBOX_CANDIDATES = ("/bin/busybox", "/usr/bin/busybox")
# Needed before the root is mounted; their dependencies come from modprobe.
EARLY_MODULES = ("virtio_pci", "9pnet_virtio", "9p", "overlay")
INITIATOR_NAME = "iqn.2024-01.test.sanctl:vm-initiator"
DEFAULT_TIMEOUT = 2700  # the whole tier under TCG: about 25 minutes with real clients (libiscsi, iSER, two hosts)


class SetupError(RuntimeError):
    """The host lacks something setup-host provides."""


# --------------------------------------------------------------------------
# The unpacked kernel
# --------------------------------------------------------------------------
def find_kernel(root: Path = KERNEL_ROOT) -> tuple[str, Path, Path] | None:
    """(version, vmlinuz, module dir) of the unpacked kernel, or None."""
    for base in (root / "lib" / "modules", root / "usr" / "lib" / "modules"):
        if not base.is_dir():
            continue
        for moddir in sorted(base.iterdir()):
            kver = moddir.name
            vmlinuz = root / "boot" / f"vmlinuz-{kver}"
            if vmlinuz.is_file() and (moddir / "modules.dep").is_file():
                return kver, vmlinuz, moddir
    return None


def missing_pieces() -> list[str]:
    """What the host lacks to boot the VM, as human words (empty if nothing)."""
    missing = []
    if shutil.which(QEMU) is None:
        missing.append(f"{QEMU} (apt package qemu-system-x86)")
    if find_kernel() is None:
        missing.append(f"the unpacked kernel in {KERNEL_ROOT} (linux-image-amd64)")
    if not any(os.access(b, os.X_OK) for b in BUSYBOX_CANDIDATES):
        missing.append("busybox (apt package busybox-static)")
    if shutil.which("iscsiadm") is None and not os.access("/usr/sbin/iscsiadm", os.X_OK):
        missing.append("iscsiadm (apt package open-iscsi)")
    return missing


# --------------------------------------------------------------------------
# The initramfs: busybox + the early modules + /init, as a newc cpio.gz
# --------------------------------------------------------------------------
def _early_module_paths(kver: str) -> list[Path]:
    paths: list[Path] = []
    for mod in EARLY_MODULES:
        out = subprocess.run(
            ["modprobe", "-d", str(KERNEL_ROOT), "-S", kver, "--show-depends", mod],
            check=True, capture_output=True, text=True,
        ).stdout
        for line in out.splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0] == "insmod":
                p = Path(parts[1])
                if p not in paths:
                    paths.append(p)
    return paths


class _Cpio:
    """A minimal writer of the SVR4 'newc' cpio format the kernel unpacks."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.ino = 1

    def _entry(self, name: str, mode: int, data: bytes = b"", rdev: tuple[int, int] = (0, 0)) -> None:
        namez = name.encode() + b"\0"
        fields = [self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(namez), 0]
        self.ino += 1
        self.buf += b"070701" + b"".join(b"%08X" % f for f in fields) + namez
        self.buf += b"\0" * (-len(self.buf) % 4)
        self.buf += data
        self.buf += b"\0" * (-len(self.buf) % 4)

    def dir(self, name: str) -> None:
        self._entry(name, stat.S_IFDIR | 0o755)

    def file(self, name: str, data: bytes, mode: int = 0o644) -> None:
        self._entry(name, stat.S_IFREG | mode, data)

    def chardev(self, name: str, major: int, minor: int, mode: int = 0o600) -> None:
        self._entry(name, stat.S_IFCHR | mode, rdev=(major, minor))

    def finish(self) -> bytes:
        self._entry("TRAILER!!!", 0)
        return bytes(self.buf)


def _initramfs_inputs() -> tuple[str, Path, list[Path], Path]:
    found = find_kernel()
    if found is None:
        raise SetupError(f"no unpacked kernel in {KERNEL_ROOT}: run tests/kernel/setup-host")
    kver = found[0]
    busybox = next((Path(b) for b in BUSYBOX_CANDIDATES if os.access(b, os.X_OK)), None)
    if busybox is None:
        raise SetupError("busybox is missing: run tests/kernel/setup-host (busybox-static)")
    return kver, busybox, _early_module_paths(kver), INIT_SCRIPT


def _initramfs_stamp(kver: str, busybox: Path, modules: list[Path], init: Path) -> str:
    h = hashlib.sha256()
    h.update(kver.encode())
    h.update(init.read_bytes())
    h.update(str(busybox.stat().st_size).encode())
    for m in modules:
        h.update(str(m).encode())
    return h.hexdigest()


def build_initramfs(force: bool = False) -> Path:
    """(Re)build the initramfs when its inputs changed; return its path."""
    kver, busybox, modules, init = _initramfs_inputs()
    stamp = _initramfs_stamp(kver, busybox, modules, init)
    stamp_file = CACHE / "initramfs.stamp"
    if not force and INITRAMFS.is_file() and stamp_file.is_file() and stamp_file.read_text() == stamp:
        return INITRAMFS
    c = _Cpio()
    for d in ("bin", "dev", "proc", "sys", "modules", "lower", "upper", "newroot"):
        c.dir(d)
    c.chardev("dev/console", 5, 1)
    c.chardev("dev/null", 1, 3, 0o666)
    c.file("bin/busybox", busybox.read_bytes(), 0o755)
    c.file("init", init.read_bytes(), 0o755)
    names = []
    for m in modules:
        c.file(f"modules/{m.name}", m.read_bytes())
        names.append(m.name)
    c.file("modules.list", ("\n".join(names) + "\n").encode())
    tmp = INITRAMFS.with_suffix(".tmp")
    tmp.write_bytes(gzip.compress(c.finish(), compresslevel=6, mtime=0))
    tmp.replace(INITRAMFS)
    stamp_file.write_text(stamp)
    return INITRAMFS


# --------------------------------------------------------------------------
# Acceleration
# --------------------------------------------------------------------------
def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def probe_kvm(vmlinuz: Path, use_cache: bool = True) -> bool:
    """Can KVM boot this kernel to its init here?  (Cached per host boot.)

    On a PVM host /dev/kvm exists but qemu aborts ("failed to set MSR 0x10a")
    or the guest hangs early, so a plain existence check is not enough.
    """
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False
    cache = CACHE / "kvm-probe.json"
    boot_id = _boot_id()
    if use_cache and cache.is_file():
        try:
            data = json.loads(cache.read_text())
            if data.get("boot_id") == boot_id:
                return bool(data["ok"])
        except (ValueError, KeyError):
            pass
    ok = False
    try:
        proc = subprocess.run(
            [QEMU, "-accel", "kvm", "-cpu", "host", "-machine", "q35", "-m", "256",
             "-display", "none", "-vga", "none", "-monitor", "none", "-serial", "stdio",
             "-nic", "none", "-no-reboot", "-kernel", str(vmlinuz),
             "-append", "console=ttyS0 panic=-1 rdinit=/sanctl-no-such-init"],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace",
            timeout=15,
        )
        ok = "Kernel panic" in proc.stdout or "sanctl-no-such-init" in proc.stdout
    except subprocess.TimeoutExpired:
        ok = False
    except OSError:
        ok = False
    try:
        cache.write_text(json.dumps({"boot_id": boot_id, "ok": ok}))
    except OSError:
        pass
    return ok


# --------------------------------------------------------------------------
# Running the VM
# --------------------------------------------------------------------------
def _tail(path: Path, lines: int = 60) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no console log)"
    return "\n".join(text.splitlines()[-lines:])


def _stream(path: Path, stop: threading.Event) -> None:
    pos = 0
    while True:
        try:
            with open(path, "rb") as fh:
                fh.seek(pos)
                data = fh.read()
        except OSError:
            data = b""
        if data:
            pos += len(data)
            sys.stdout.write(data.decode(errors="replace"))
            sys.stdout.flush()
        if stop.is_set():
            return
        time.sleep(0.5)


def _parse_args(argv: list[str]) -> tuple[dict, list[str]]:
    opts = {
        "capture": False,
        "timeout": float(os.environ.get("SANCTL_VM_TIMEOUT") or DEFAULT_TIMEOUT),
        "accel": os.environ.get("SANCTL_VM_ACCEL") or "auto",
        "console": bool(os.environ.get("SANCTL_VM_CONSOLE")),
        "keep": False,
        "shell": None,
    }
    rest: list[str] = []
    it = iter(argv)
    for arg in it:
        if arg == "--":
            rest.extend(it)
            break
        if arg == "--capture":
            opts["capture"] = True
        elif arg.startswith("--timeout="):
            opts["timeout"] = float(arg.split("=", 1)[1])
        elif arg == "--timeout":
            opts["timeout"] = float(next(it))
        elif arg.startswith("--accel="):
            opts["accel"] = arg.split("=", 1)[1]
        elif arg == "--console":
            opts["console"] = True
        elif arg == "--keep":
            opts["keep"] = True
        elif arg.startswith("--shell="):
            opts["shell"] = arg.split("=", 1)[1]
        elif arg in ("-h", "--help") and not rest:
            print(__doc__)
            raise SystemExit(0)
        else:
            rest.append(arg)
    if opts["accel"] not in ("auto", "tcg", "kvm"):
        raise SystemExit(f"--accel must be auto, tcg or kvm, not {opts['accel']!r}")
    return opts, rest


def _check_python(capture: bool) -> None:
    import importlib.util

    need = ["rtslib"] if capture else ["pytest", "rtslib"]
    lacking = [m for m in need if importlib.util.find_spec(m) is None]
    if lacking:
        raise SetupError(
            f"{sys.executable} cannot import {', '.join(lacking)}: run tests/kernel/run from "
            "the project's venv (activate it, or set SANCTL_KERNEL_PYTHON)"
        )


def _die_with_parent() -> None:
    """In the qemu child: get SIGKILL when the runner dies, however it dies."""
    try:
        import ctypes
        import signal

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def _raise_on_termination() -> None:
    """SIGTERM/SIGHUP end the runner through its ``finally`` (qemu killed, temp removed)."""
    import signal

    def handler(signum, _frame):
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, handler)


@dataclass
class _Boot:
    """One VM's run: how it ended and where its files are."""

    rc: int
    elapsed: float
    resdir: Path
    oops: str | None

    def progress(self) -> guest_crash.Progress:
        try:
            text = (self.resdir / guest_crash.PROGRESS_NAME).read_text(errors="replace")
        except OSError:
            text = ""
        return guest_crash.read_progress(text)


def run(argv: list[str]) -> int:
    opts, pytest_args = _parse_args(argv)
    _raise_on_termination()
    missing = missing_pieces()
    if missing:
        raise SetupError("missing: " + "; ".join(missing) + " — run tests/kernel/setup-host")
    _check_python(opts["capture"])
    kver, vmlinuz, moddir = find_kernel()  # type: ignore[misc]
    initrd = build_initramfs()

    if opts["accel"] == "kvm":
        use_kvm = True
    elif opts["accel"] == "tcg":
        use_kvm = False
    else:
        use_kvm = probe_kvm(vmlinuz)
    mode = "shell" if opts["shell"] else ("capture" if opts["capture"] else "test")
    vm = dict(kver=kver, vmlinuz=vmlinuz, moddir=moddir, initrd=initrd, use_kvm=use_kvm, mode=mode)

    boots: list[_Boot] = []
    try:
        boot = _boot(opts, pytest_args, opts["timeout"], **vm)
        boots.append(boot)
        if boot.oops and mode == "test":
            boot = _resume_after_oops(opts, pytest_args, boot, vm)
            if boot is not boots[-1]:
                boots.append(boot)
        _keep_logs(boots)
        return boot.rc
    finally:
        for done in boots:
            if opts["keep"]:
                print(f"sanctl kernel tier: kept {done.resdir}")
            else:
                shutil.rmtree(done.resdir, ignore_errors=True)


def _resume_after_oops(opts: dict, pytest_args: list[str], crashed: _Boot, vm: dict) -> _Boot:
    """The guest kernel oopsed: run the test it died in and those not yet run in a fresh VM, once."""
    progress = crashed.progress()
    where = f"while {progress.running} ran" if progress.running else "outside any test"
    print(f"\nsanctl kernel tier: the guest kernel crashed ({crashed.oops}) {where}, after "
          f"{len(progress.finished)} tests had finished.", file=sys.stderr, flush=True)
    args = guest_crash.resume_args(pytest_args, progress)
    if args is None:
        print("sanctl kernel tier: not run again: a test had already failed before the crash: "
              + ", ".join(progress.failed), file=sys.stderr, flush=True)
        return crashed
    print("sanctl kernel tier: running that test and those not yet run in a fresh VM (once); the "
          "kernel's own trace is in the console log kept as console-crashed.log.", file=sys.stderr, flush=True)
    # What the first VM had left of its time (no less than ten minutes), and five more for the boot.
    timeout = max(600.0, opts["timeout"] - crashed.elapsed) + 300.0
    again = _boot(opts, args, timeout, **vm, number=2)
    if again.oops:
        print(f"\nsanctl kernel tier: the guest kernel crashed again ({again.oops}): failing.",
              file=sys.stderr, flush=True)
        again.rc = again.rc or 125
    elif again.rc == 5 and progress.finished and progress.running is None:
        # pytest's "no tests ran": every test had finished before the kernel crashed
        print("sanctl kernel tier: every test had finished before the crash: nothing was left to run.",
              file=sys.stderr, flush=True)
        again.rc = 0
    return again


def _keep_logs(boots: list[_Boot]) -> None:
    """Keep the last run's logs for a look afterwards (gitignored cache); a crashed VM's console beside."""
    try:
        if LAST_RUN.exists():
            shutil.rmtree(LAST_RUN)
        LAST_RUN.mkdir(parents=True)
        last = boots[-1]
        for name in ("output.txt", "junit.xml", "dmesg.txt", "iscsid.log", "console.log",
                     "qemu-stderr.txt", "rc", guest_crash.PROGRESS_NAME):
            if (last.resdir / name).is_file():
                shutil.copy2(last.resdir / name, LAST_RUN / name)
        for boot in boots[:-1]:
            if boot.oops and (boot.resdir / "console.log").is_file():
                shutil.copy2(boot.resdir / "console.log", LAST_RUN / "console-crashed.log")
    except OSError:
        pass


def _boot(opts: dict, pytest_args: list[str], timeout: float, *, kver: str, vmlinuz: Path, moddir: Path,
          initrd: Path, use_kvm: bool, mode: str, number: int = 1) -> _Boot:
    accel_name = "KVM" if use_kvm else "TCG"
    resdir = Path(tempfile.mkdtemp(prefix="sanctl-vm-"))
    os.chmod(resdir, 0o755)
    console = resdir / "console.log"
    qemu_err = resdir / "qemu-stderr.txt"
    job = {
        "KVER": kver,
        "KMODDIR": str(moddir),
        "PY": sys.executable,
        "WORKTREE": str(REPO),
        "MODE": mode,
        "INITIATOR_NAME": INITIATOR_NAME,
        "SHELL_CMD": opts["shell"] or "",
        "SANCTL_VM_BOOT": str(number),  # 2 for the fresh VM after a guest kernel oops
    }
    lines = [f"{k}={shlex.quote(v)}" for k, v in job.items()]
    lines.append("ARGS=(" + " ".join(shlex.quote(a) for a in pytest_args) + ")")
    (resdir / "job.env").write_text("\n".join(lines) + "\n")

    smp = str(max(1, min(2, os.cpu_count() or 1)))
    mem = os.environ.get("SANCTL_VM_MEM") or "1024"
    accel = ["-accel", "kvm", "-cpu", "host"] if use_kvm else ["-accel", "tcg,thread=multi", "-cpu", "max"]
    # oops=panic: after an oops the kernel is broken; panic=-1 with -no-reboot then stops qemu at once
    # instead of leaving a half-dead guest to hang until the timeout.
    cmdline = " ".join([
        "console=ttyS0", "panic=-1", "oops=panic", "loglevel=4", "mitigations=off",
        "8250.nr_uarts=1", "rdinit=/init", f"sanctl.stage2={GUEST_SCRIPT}",
    ])
    cmd = [
        QEMU, "-machine", "q35", *accel, "-smp", smp, "-m", mem,
        "-display", "none", "-vga", "none", "-monitor", "none",
        "-serial", f"file:{console}", "-nic", "none", "-no-reboot",
        "-kernel", str(vmlinuz), "-initrd", str(initrd), "-append", cmdline,
        "-fsdev", "local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap",
        "-device", "virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot",
        "-fsdev", f"local,id=results,path={resdir},security_model=none,multidevs=remap",
        "-device", "virtio-9p-pci,fsdev=results,mount_tag=results",
    ]
    what = {"test": "pytest -m kernel tests/kernel " + " ".join(pytest_args),
            "capture": "tests/kernel/capture.py", "shell": opts["shell"]}[mode]
    if mode == "test" and "--deselect" in pytest_args:
        what = "pytest -m kernel tests/kernel, less the tests that finished"
    print(f"sanctl kernel tier: booting Debian kernel {kver} in qemu ({accel_name}, {smp} vCPU, "
          f"{mem} MiB) to run: {what.strip()}", flush=True)
    t0 = time.monotonic()
    stop = threading.Event()
    streamer = None
    timed_out = False
    proc = None
    try:
        with open(qemu_err, "wb") as err:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                                    start_new_session=True, preexec_fn=_die_with_parent)
            if opts["console"]:
                streamer = threading.Thread(target=_stream, args=(console, stop), daemon=True)
                streamer.start()
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                proc.kill()
                proc.wait()
        elapsed = time.monotonic() - t0
        stop.set()
        if streamer:
            streamer.join(timeout=2)

        output = resdir / "output.txt"
        if output.is_file() and not opts["console"]:
            sys.stdout.write(output.read_text(errors="replace"))
            sys.stdout.flush()
        rc_file = resdir / "rc"
        oops = None
        if timed_out or not rc_file.is_file():  # a guest that wrote its exit code did not crash
            try:
                oops = guest_crash.kernel_oops(console.read_text(errors="replace"))
            except OSError:
                pass
        if timed_out:
            print(f"\nsanctl kernel tier: the guest hung: killed after {timeout:.0f} s "
                  f"({accel_name}). Console log tail:\n{_tail(console)}", file=sys.stderr)
            rc = 124
        elif not rc_file.is_file():
            print(f"\nsanctl kernel tier: the guest stopped without an exit code "
                  f"(qemu rc {proc.returncode}). qemu said:\n{_tail(qemu_err, 20)}\n"
                  f"Console log tail:\n{_tail(console)}", file=sys.stderr)
            rc = 125
        else:
            rc = int(rc_file.read_text().strip() or 125)
            if rc == 99:
                print(f"Console log tail:\n{_tail(console)}", file=sys.stderr)
        if mode == "capture" and rc == 0:
            src = resdir / "capture"
            if FIXTURES.exists():
                shutil.rmtree(FIXTURES)
            shutil.copytree(src, FIXTURES, symlinks=True)
            print(f"sanctl kernel tier: capture stored in {FIXTURES.relative_to(REPO)}/")
        print(f"sanctl kernel tier: {accel_name} VM ran {elapsed:.0f} s, exit code {rc} "
              f"(logs: {LAST_RUN.relative_to(REPO) if LAST_RUN.is_relative_to(REPO) else LAST_RUN})",
              flush=True)
        return _Boot(rc, elapsed, resdir, oops)
    finally:
        stop.set()
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    cmd, rest = argv[0], argv[1:]
    try:
        if cmd == "initramfs":
            path = build_initramfs(force="--force" in rest)
            print(f"initramfs: {path} ({path.stat().st_size // 1024} KiB)")
            return 0
        if cmd == "probe-kvm":
            found = find_kernel()
            if not found:
                raise SetupError("no unpacked kernel: run tests/kernel/setup-host")
            ok = probe_kvm(found[1], use_cache=False)
            print("KVM works" if ok else "KVM does not boot a guest here: TCG will be used")
            return 0 if ok else 1
        if cmd == "run":
            return run(rest)
    except SetupError as exc:
        print(f"sanctl kernel tier: {exc}", file=sys.stderr)
        return 2
    print(f"unknown command {cmd!r}\n{__doc__}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
