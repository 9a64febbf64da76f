"""What the setup wizard's checks read and do on a host: the probes the host hands in.

:class:`HostProbe` is this host, read under a ``root`` (``/``; fake roots in
tests); its actions (``modprobe``, ``systemctl enable``, the firewall tools)
run through one :class:`~sanctl.host.runner.Runner`, each marked as a write.
:class:`DemoProbe` is the demo SAN, whose "host" is its directory tree (the
boot service is enabled there by a symlink under the demo root, never on this
host; its firewall and initiator name are the demo's, handed in by
:class:`~sanctl.host.demo.DemoHost`). :mod:`sanctl.setup.checks` decides what
their answers mean. No Textual here.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import Sequence

from sanctl.host.runner import Runner
from sanctl.setup.checks import BOOT_UNITS, TARGET_MODULES, UNIT_DIRS, WANTS, ActionResult, Dbroot


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


def os_family(root: str = "/") -> str:
    """``debian``, ``redhat``, ``suse`` or ``other``, from ``/etc/os-release`` under ``root``."""
    text = _read(os.path.join(root, "etc/os-release")) or _read(os.path.join(root, "usr/lib/os-release")) or ""
    values = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip().strip('"').strip("'")
    family = {values.get("ID", "")} | set(values.get("ID_LIKE", "").split())
    if family & {"debian", "ubuntu"}:
        return "debian"
    if family & {"suse", "opensuse", "sles", "opensuse-leap", "opensuse-tumbleweed"}:
        return "suse"
    if family & {"rhel", "fedora", "centos", "rocky", "almalinux", "ol"}:
        return "redhat"
    return "other"


class HostProbe:
    """This host, read under ``root`` (``/``; a fake root in tests). Actions run real commands."""

    #: The kernel is simulated (the demo SAN): the checks say so instead of asking for root and modules.
    simulated = False

    def __init__(self, root: str = "/", *, euid: int | None = None, timeout: float = 10.0,
                 runner: Runner | None = None) -> None:
        self.root = root
        self._euid = euid
        self.timeout = timeout
        #: Starts modprobe, mount, systemctl and the firewall tools (every one a change: marked as a write).
        self.runner = runner if runner is not None else Runner()

    # -- facts ---------------------------------------------------------------
    def euid(self) -> int:
        return os.geteuid() if self._euid is None else self._euid

    def family(self) -> str:
        return os_family(self.root)

    def configfs_mounted(self) -> bool:
        if os.path.isdir(os.path.join(self.root, "sys/kernel/config/target")):
            return True
        mounts = _read(os.path.join(self.root, "proc/mounts")) or ""
        return any(len(f) >= 3 and f[2] == "configfs" and f[1] == "/sys/kernel/config"
                   for f in (line.split() for line in mounts.splitlines()))

    def module_loaded(self, name: str) -> bool:
        if os.path.isdir(os.path.join(self.root, "sys/module", name)):
            return True
        cfs = os.path.join(self.root, "sys/kernel/config/target")
        if name == "target_core_mod":
            return os.path.isdir(cfs)
        if name == "iscsi_target_mod":
            return os.path.isdir(os.path.join(cfs, "iscsi"))
        return False

    def rtslib(self) -> str | None:
        """Where rtslib-fb is (its module name), or None."""
        for name in ("rtslib_fb", "rtslib"):
            try:
                if importlib.util.find_spec(name) is not None:
                    return name
            except (ImportError, ValueError):
                continue
        return None

    def unit_installed(self, unit: str) -> bool:
        return any(os.path.exists(os.path.join(self.root, d, unit)) for d in UNIT_DIRS)

    def unit_state(self, unit: str) -> str:
        """``systemctl is-enabled`` (``enabled``, ``disabled``, ``not-found``…); ``unknown`` without systemd."""
        if os.path.abspath(self.root) != "/":
            return self._unit_state_from_files(unit)
        from sanctl.initiator.services import _unit_state, systemd_running

        if not systemd_running():
            return "unknown" if self.unit_installed(unit) else "not-found"
        return _unit_state("is-enabled", unit, self.timeout, self.runner).state

    def _unit_state_from_files(self, unit: str) -> str:
        if not self.unit_installed(unit):
            return "not-found"
        return "enabled" if os.path.lexists(os.path.join(self.root, WANTS, unit)) else "disabled"

    def iscsiadm(self) -> str | None:
        if os.path.abspath(self.root) != "/":
            for d in ("usr/sbin", "sbin", "usr/bin"):
                if os.path.exists(os.path.join(self.root, d, "iscsiadm")):
                    return f"/{d}/iscsiadm"
            return None
        from sanctl.initiator.iscsiadm import IscsiadmError, find_iscsiadm

        try:
            return find_iscsiadm()
        except IscsiadmError:
            return None

    def initiator_name(self) -> str | None:
        from sanctl.initiator.initiator_name import InitiatorNameError, read_initiator_name

        try:
            found = read_initiator_name(self.root)
        except InitiatorNameError:
            return None
        return found.name if found is not None and found.name else None

    def dbroot(self) -> Dbroot | None:
        """The kernel's dbroot, its missing folders and the saved file (None: target_core_mod not loaded)."""
        from sanctl.lio import savefile
        from sanctl.lio.rtslib_writer import DBROOT_SUBDIRS, kernel_dbroot

        dbroot = kernel_dbroot(self.root)
        if dbroot is None:
            return None
        location = savefile.locate(self.root)
        saved = "/" + os.path.relpath(location.path, os.path.abspath(self.root))
        base = os.path.join(self.root, dbroot.lstrip("/"))
        missing = tuple(sub for sub in DBROOT_SUBDIRS if not os.path.isdir(os.path.join(base, sub)))
        return Dbroot(dbroot, saved, location.why or "", missing)

    # -- actions -------------------------------------------------------------
    def make_directories(self, directories: Sequence[str]) -> tuple[list[str], str | None]:
        """Create each directory that does not exist (with its missing parents, 0755): what was created,
        and why one could not be (None: every one is there now)."""
        created: list[str] = []
        for directory in directories:
            missing = []
            d = directory
            while d and not os.path.isdir(d):
                missing.append(d)
                d = os.path.dirname(d)
            try:
                for m in reversed(missing):
                    os.mkdir(m, 0o755)
                    created.append(m)
            except OSError as exc:
                return created, f"cannot create {directory}: {exc.strerror or exc}"
        return created, None

    def remove_directories(self, created: Sequence[str]) -> None:
        """Remove what :meth:`make_directories` created (an undone Apply), newest first."""
        for d in reversed(created):
            with contextlib.suppress(OSError):
                os.rmdir(d)

    def save_config(self, writer, location=None):
        """Save the running configuration for boot, the previous file kept as a backup
        (:func:`sanctl.lio.savefile.save`; its :class:`~sanctl.lio.savefile.SaveResult`)."""
        from sanctl.lio import savefile

        return savefile.save(writer, location)

    def _run(self, argv: Sequence[str]) -> tuple[int | None, str]:
        result = self.runner.run(argv, timeout=self.timeout, write=True)
        if result.refused:
            return None, result.refused
        if result.missing:
            return None, f"{argv[0]} is not installed"
        if result.timed_out:
            return None, f"{argv[0]} did not finish within {self.timeout:g} s"
        if result.rc is None:
            return None, result.error
        return result.rc, (result.stderr or result.stdout).strip()

    def modprobe(self) -> ActionResult:
        """Load configfs and the target modules, and mount configfs when it is not."""
        code, text = self._run(["modprobe", "-a", "configfs", *TARGET_MODULES])
        if code != 0:
            return ActionResult(False, f"modprobe failed: {text or f'exit {code}'}")
        if not self.configfs_mounted():
            code, text = self._run(["mount", "-t", "configfs", "none", "/sys/kernel/config"])
            if code != 0:
                return ActionResult(False, f"the modules are loaded, but mounting configfs failed: {text}")
        return ActionResult(True, "configfs, target_core_mod and iscsi_target_mod are loaded.")

    def enable_unit(self, unit: str) -> ActionResult:
        """``systemctl enable`` (not ``--now``: starting it would run ``targetctl restore``)."""
        if os.path.abspath(self.root) != "/":
            return ActionResult(False, f"not this host's root: enable {unit} there")
        from sanctl.initiator.services import systemd_running

        if not systemd_running():
            return ActionResult(False, f"systemd is not running here: enable {unit} where it runs "
                                       f"(systemctl enable {unit})")
        code, text = self._run(["systemctl", "enable", unit])
        if code == 0:
            return ActionResult(True, f"{unit} is enabled: it restores the saved configuration at boot.")
        return ActionResult(False, f"systemctl enable {unit} failed: {text or f'exit {code}'}")

    def firewall_runner(self):
        """``run(argv, write=False)`` for :mod:`sanctl.setup.firewall`, through this probe's runner."""
        runner = self.runner
        return lambda argv, write=False: run_command(argv, runner=runner, write=write)


def run_command(argv: Sequence[str], timeout: float = 10.0, *, runner: Runner | None = None,
                write: bool = False) -> tuple[int | None, str, str]:
    """Run a firewall tool (argument list, ``LC_ALL=C``, a deadline); ``(None, "", why)`` when it cannot run.
    ``write``: the command changes the firewall (refused, with the reason, by a read-only runner)."""
    result = (runner or Runner()).run(argv, timeout=timeout, write=write)
    if result.refused:
        return None, "", result.refused
    if result.missing:
        return None, "", f"{argv[0]} is not installed"
    if result.timed_out:
        return None, "", f"{argv[0]} did not answer within {timeout:g} s"
    if result.rc is None:
        return None, "", result.error
    return result.rc, result.stdout, result.stderr


class DemoProbe(HostProbe):
    """The demo SAN's host: its directory tree. Nothing here acts on this host. ``initiator_name``
    is the name the demo's initiator tab writes on first use, ``firewall`` the demo's firewalld (a
    ``run(argv, write=False)``): the demo host hands both in."""

    simulated = True

    def __init__(self, root: str, *, initiator_name: str | None = None, firewall=None) -> None:
        super().__init__(root, euid=0)
        self._initiator_name = initiator_name
        self._firewall = firewall

    def family(self) -> str:
        return "redhat"  # the demo keeps its file in /etc/target, like target.service

    def configfs_mounted(self) -> bool:
        return os.path.isdir(os.path.join(self.root, "sys/kernel/config/target"))

    def module_loaded(self, name: str) -> bool:
        return self.configfs_mounted()

    def unit_installed(self, unit: str) -> bool:
        return unit == BOOT_UNITS["redhat"]  # the demo host "has" targetcli installed

    def unit_state(self, unit: str) -> str:
        if not self.unit_installed(unit):
            return "not-found"
        return "enabled" if os.path.lexists(os.path.join(self.root, WANTS, unit)) else "disabled"

    def iscsiadm(self) -> str | None:
        return "iscsiadm (simulated)"

    def initiator_name(self) -> str | None:
        return super().initiator_name() or self._initiator_name

    def modprobe(self) -> ActionResult:
        return ActionResult(True, "demo: the simulated kernel has them loaded.")

    def enable_unit(self, unit: str) -> ActionResult:
        wants = os.path.join(self.root, WANTS)
        os.makedirs(wants, exist_ok=True)
        link = os.path.join(wants, unit)
        if not os.path.lexists(link):
            os.symlink(f"/usr/lib/systemd/system/{unit}", link)
        return ActionResult(True, f"demo: {unit} is enabled on the demo host (a link under the demo root; "
                                  "nothing on this host changed).")

    def firewall_runner(self):
        if self._firewall is None:
            return lambda argv, write=False: (None, "", f"{argv[0] if argv else '?'} is not installed (demo)")
        return self._firewall
