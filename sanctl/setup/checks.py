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

Everything the checks read or do goes through a probe, which the host hands
in (:meth:`~sanctl.host.protocol.FactsPart.setup_probe`; :mod:`sanctl.setup.probe`):
:class:`~sanctl.setup.probe.HostProbe` for this host, :class:`~sanctl.setup.probe.DemoProbe`
for the demo SAN. The checks here only decide what the probe's answers mean.

No Textual and no I/O of its own here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sanctl.unit_states import ENABLED_STATES

if TYPE_CHECKING:
    from sanctl.setup.probe import HostProbe

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


@dataclass(frozen=True, slots=True)
class Dbroot:
    """The kernel's dbroot and the saved file, as a probe found them."""

    dbroot: str  #: /etc/target, /etc/rtslib-fb-target
    saved: str  #: where the configuration is saved (as a path on the host)
    why: str  #: why there ("" when it is the usual place)
    missing: tuple[str, ...] = ()  #: the dbroot's folders (pr, alua) that do not exist


def packages(family: str) -> dict[str, str]:
    return PACKAGES.get(family, PACKAGES["redhat"])


def boot_unit(probe: HostProbe) -> str:
    """The boot-time restore unit of this distribution: the one installed, else the family's name."""
    for unit in (BOOT_UNITS["debian"], BOOT_UNITS["redhat"], BOOT_UNITS["suse"]):
        if probe.unit_installed(unit):
            return unit
    family = probe.family()
    return BOOT_UNITS.get(family, BOOT_UNITS["redhat"])


def run_checks(probe: HostProbe, *, readonly_reason: str | None = None, targets: int = 0) -> list[Check]:
    """Every check, in the order shown."""
    demo = probe.simulated
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
    found = probe.dbroot()
    if found is None:
        return None  # target_core_mod not loaded: the writer picks the distribution's folder when it loads it
    dbroot, missing = found.dbroot, found.missing
    kept = f"The kernel's dbroot is {dbroot} (sanctl keeps it); the configuration is saved to {found.saved}"
    kept += f" ({found.why})." if found.why else "."
    if "pr" in missing:
        return Check("dbroot", "Reservations folder", WARN,
                     f"{kept} {dbroot}/pr is missing: persistent reservations with APTPL cannot persist "
                     "(clusters that fence with SCSI reservations fail to register).",
                     f"mkdir -p {' '.join(f'{dbroot}/{sub}' for sub in missing)} (Apply creates them too)")
    return Check("dbroot", "Reservations folder", OK, kept)


def blocking(checks: Sequence[Check]) -> list[Check]:
    """The failed checks that keep Apply from running."""
    return [c for c in checks if c.blocks]
