"""The wizard's first step: can this host be an iSCSI target, and what to do when it cannot.

Each :class:`Check` has a status, what was found, and — when it is not
fine — the fix as a sentence with the command. Some fixes are offered as a
button (``action``): loading the target modules (``modprobe``); enabling the
boot service is done by the Apply step, after the configuration is saved.

What is checked:

- **root** — writing configfs needs it (the demo SAN does not);
- **configfs and the target modules** — configfs mounted on
  ``/sys/kernel/config``, ``target_core_mod`` and ``iscsi_target_mod`` loaded;
- **rtslib-fb** — sanctl writes the kernel target through it;
- **the boot-time restore service** — under this distribution's name:
  ``rtslib-fb-targetctl.service`` on Debian and Ubuntu, ``target.service`` on
  RHEL, Fedora and upstream, ``targetcli.service`` on SUSE; present and
  enabled, or the configuration is gone after a reboot (targetcli-fb #39);
- **open-iscsi** — for this host to be a client of its own target.

Everything the checks read or do goes through a probe: :class:`HostProbe`
for this host (under a ``root``, so tests use fake roots), :class:`DemoProbe`
for the demo SAN, whose "host" is its directory tree (the boot service is
enabled there by a symlink under the demo root, never on this host).

No Textual here.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from dataclasses import dataclass

from sanctl.host.protocol import capabilities_of
from sanctl.host.runner import Runner
from sanctl.unit_states import ENABLED_STATES

OK = "ok"
WARN = "warn"
FAIL = "fail"
INFO = "info"

#: The boot-time restore units, by the distribution family that ships them.
BOOT_UNITS = {"debian": "rtslib-fb-targetctl.service", "suse": "targetcli.service", "redhat": "target.service"}
UNIT_DIRS = ("etc/systemd/system", "usr/lib/systemd/system", "lib/systemd/system")
WANTS = "etc/systemd/system/multi-user.target.wants"
TARGET_MODULES = ("target_core_mod", "iscsi_target_mod")
PACKAGES = {
    "debian": {"target": "apt install targetcli-fb", "rtslib": "apt install python3-rtslib-fb",
               "initiator": "apt install open-iscsi"},
    "redhat": {"target": "dnf install targetcli", "rtslib": "dnf install python3-rtslib",
               "initiator": "dnf install iscsi-initiator-utils"},
    "suse": {"target": "zypper install python3-targetcli-fb", "rtslib": "zypper install python3-rtslib-fb",
             "initiator": "zypper install open-iscsi"},
}


@dataclass(frozen=True, slots=True)
class Check:
    key: str
    title: str
    status: str  #: ok, warn, fail, info
    detail: str
    fix: str = ""
    #: A fix the wizard can run when asked: "modprobe".
    action: str | None = None
    #: Failing blocks Apply (the wizard still goes on as a dry run).
    required: bool = False

    @property
    def blocks(self) -> bool:
        return self.required and self.status == FAIL


@dataclass(frozen=True, slots=True)
class ActionResult:
    ok: bool
    message: str


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


def packages(family: str) -> dict[str, str]:
    return PACKAGES.get(family, PACKAGES["redhat"])


class HostProbe:
    """This host, read under ``root`` (``/``; a fake root in tests). Actions run real commands."""

    mode = "real"

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

    # -- actions -------------------------------------------------------------
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
        from sanctl.setup.firewall import run_command

        runner = self.runner
        return lambda argv, write=False: run_command(argv, runner=runner, write=write)


class DemoProbe(HostProbe):
    """The demo SAN's host: its directory tree. Nothing here acts on this host."""

    mode = "demo"

    def __init__(self, root: str) -> None:
        super().__init__(root, euid=0)

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
        name = super().initiator_name()
        if name:
            return name
        from sanctl.sim.demo import RAC_CLIENTS

        return RAC_CLIENTS[0]  # what the demo's initiator tab writes there on first use

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
        from sanctl.setup.firewall import DemoFirewall

        return DemoFirewall(self.root)


def probe_for(mode: str, root: str) -> HostProbe:
    return DemoProbe(root) if capabilities_of(mode).simulated else HostProbe(root)


def boot_unit(probe: HostProbe) -> str:
    """The boot-time restore unit of this distribution: the one installed, else the family's name."""
    for unit in (BOOT_UNITS["debian"], BOOT_UNITS["redhat"], BOOT_UNITS["suse"]):
        if probe.unit_installed(unit):
            return unit
    family = probe.family()
    return BOOT_UNITS.get(family, BOOT_UNITS["redhat"])


def run_checks(probe: HostProbe, *, readonly_reason: str | None = None, targets: int = 0) -> list[Check]:
    """Every check, in the order shown."""
    demo = capabilities_of(probe.mode).simulated
    pkgs = packages(probe.family())
    out: list[Check] = []

    # root
    if demo:
        out.append(Check("root", "Privileges", OK, "Demo SAN: the simulated kernel is a directory tree; no root "
                                                   "needed, nothing on this host changes."))
    elif probe.euid() == 0:
        out.append(Check("root", "Privileges", OK, "Running as root.", required=True))
    else:
        out.append(Check("root", "Privileges", FAIL, f"Running as uid {probe.euid()}: writing the kernel target "
                                                     "needs root.", "Run it as root: sudo sanctl setup",
                         required=True))
    if readonly_reason:
        out.append(Check("readonly", "Dry run", INFO, f"Read-only ({readonly_reason}): the wizard ends at Review "
                                                      "with the commands it would run.", required=False))

    # configfs and modules
    mounted = probe.configfs_mounted()
    missing = [m for m in TARGET_MODULES if not probe.module_loaded(m)]
    if demo:
        out.append(Check("configfs", "Kernel target", OK, "Demo SAN: configfs, target_core_mod and "
                                                          "iscsi_target_mod are simulated."))
    elif not mounted:
        out.append(Check("configfs", "Kernel target", FAIL, "configfs is not mounted on /sys/kernel/config.",
                         "modprobe configfs target_core_mod iscsi_target_mod && "
                         "mount -t configfs none /sys/kernel/config", action="modprobe", required=True))
    elif "target_core_mod" in missing:
        out.append(Check("configfs", "Kernel target", FAIL, "The LIO target module target_core_mod is not loaded.",
                         "modprobe target_core_mod iscsi_target_mod", action="modprobe", required=True))
    elif missing:
        out.append(Check("configfs", "Kernel target", WARN, "iscsi_target_mod is not loaded yet (rtslib-fb loads "
                                                            "it when the target is created).",
                         "modprobe iscsi_target_mod", action="modprobe"))
    else:
        out.append(Check("configfs", "Kernel target", OK, "configfs is mounted; target_core_mod and "
                                                          "iscsi_target_mod are loaded."))

    # rtslib-fb
    found = probe.rtslib()
    fix = f"pip install rtslib-fb (in sanctl's environment), or {pkgs['rtslib']}"
    if found:
        out.append(Check("rtslib", "rtslib-fb", OK, f"rtslib-fb is importable ({found})."))
    elif demo:
        out.append(Check("rtslib", "rtslib-fb", INFO, "Not needed by the demo; on a real host sanctl writes "
                                                      "through it.", fix))
    else:
        out.append(Check("rtslib", "rtslib-fb", FAIL, "rtslib-fb cannot be imported: sanctl writes the target "
                                                      "through it.", fix, required=True))

    # boot service
    unit = boot_unit(probe)
    state = probe.unit_state(unit)
    if state in ENABLED_STATES:
        out.append(Check("boot", "Boot-time restore", OK, f"{unit} is {state}: it restores the saved "
                                                           "configuration at boot."))
    elif state == "not-found":
        out.append(Check("boot", "Boot-time restore", WARN, f"{unit} is not installed: the configuration will "
                                                             "be gone after a reboot.",
                         f"{pkgs['target']} (it installs {unit}); then systemctl enable {unit}"))
    elif state == "unknown":
        out.append(Check("boot", "Boot-time restore", WARN, f"Cannot tell whether {unit} is enabled (systemd is "
                                                             "not running here).", f"systemctl enable {unit}"))
    else:
        out.append(Check("boot", "Boot-time restore", WARN, f"{unit} is {state}: the configuration would be gone "
                                                             "after a reboot. Apply enables it.",
                         f"systemctl enable {unit}"))

    # the kernel's dbroot and where the configuration is saved (Debian's layout or upstream's)
    if not demo:
        dbroot_check = _dbroot_check(probe)
        if dbroot_check is not None:
            out.append(dbroot_check)

    # open-iscsi
    adm = probe.iscsiadm()
    name = probe.initiator_name()
    if adm and name:
        out.append(Check("initiator", "open-iscsi", OK, f"This host can be a client too: {adm}, initiator name "
                                                        f"{name}."))
    elif adm:
        out.append(Check("initiator", "open-iscsi", WARN, "iscsiadm is installed but this host has no initiator "
                                                          "name (/etc/iscsi/initiatorname.iscsi).",
                         "echo InitiatorName=$(iscsi-iname) > /etc/iscsi/initiatorname.iscsi"))
    else:
        out.append(Check("initiator", "open-iscsi", INFO, "Not installed: needed only for this host to be a "
                                                          "client of its own target.", pkgs["initiator"]))

    # what is there already
    if targets:
        out.append(Check("existing", "Configuration", INFO, f"{targets} target{'s' if targets != 1 else ''} "
                                                             "exist already: the wizard adds one and changes none "
                                                             "of them."))
    else:
        out.append(Check("existing", "Configuration", INFO, "No target yet: the wizard creates the first one."))
    return out


def _dbroot_check(probe: HostProbe) -> Check | None:
    """The kernel's dbroot (Debian: ``/etc/rtslib-fb-target``, set by targetctl at boot; upstream:
    ``/etc/target``), its ``pr``/``alua`` folders, and the saved file of this distribution."""
    from sanctl.lio import savefile
    from sanctl.lio.rtslib_writer import DBROOT_SUBDIRS, kernel_dbroot

    dbroot = kernel_dbroot(probe.root)
    if dbroot is None:
        return None  # target_core_mod not loaded: the writer picks the distribution's folder when it loads it
    location = savefile.locate(probe.root)
    saved = "/" + os.path.relpath(location.path, os.path.abspath(probe.root))
    base = os.path.join(probe.root, dbroot.lstrip("/"))
    missing = [sub for sub in DBROOT_SUBDIRS if not os.path.isdir(os.path.join(base, sub))]
    kept = f"The kernel's dbroot is {dbroot} (sanctl keeps it); the configuration is saved to {saved}"
    kept += f" ({location.why})." if location.why else "."
    if "pr" in missing:
        return Check("dbroot", "Reservations folder", WARN,
                     f"{kept} {dbroot}/pr is missing: persistent reservations with APTPL cannot persist "
                     "(clusters that fence with SCSI reservations fail to register).",
                     f"mkdir -p {' '.join(f'{dbroot}/{sub}' for sub in missing)} (Apply creates them too)")
    return Check("dbroot", "Reservations folder", OK, kept)


def blocking(checks: Sequence[Check]) -> list[Check]:
    """The failed checks that keep Apply from running."""
    return [c for c in checks if c.blocks]
