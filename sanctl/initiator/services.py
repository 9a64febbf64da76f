"""The services as systemd sees them: iscsid, the boot-time login service, the target's boot service.

Node records with ``node.startup = automatic`` are logged in at boot by
``iscsi.service`` (upstream open-iscsi, RHEL/Fedora/SUSE; Debian and Ubuntu
ship it as ``open-iscsi.service``) — only if that service is enabled. A
"favourite" that will not come back after a reboot is worth a warning. On the
target side, ``target.service`` (Debian: ``rtslib-fb-targetctl.service``)
restores saveconfig.json at boot; the doctor warns when it is not enabled.

Every ``systemctl`` call goes through a :class:`~sanctl.host.runner.Runner`
and has a deadline; no systemctl (a container, a
non-systemd distribution) gives ``unknown``, never an exception.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence

from sanctl.host.runner import Runner
from sanctl.unit_states import ENABLED_STATES, ServiceResult, UnitState  # noqa: F401  (re-exported)

#: The units that log in automatic node records at boot, in the order checked.
BOOT_LOGIN_UNITS = ("iscsi.service", "open-iscsi.service")
ISCSID_UNITS = ("iscsid.socket", "iscsid.service")
#: The units that restore the LIO target's saveconfig.json at boot (targetctl restore).
TARGET_BOOT_UNITS = ("target.service", "rtslib-fb-targetctl.service")


def systemd_running() -> bool:
    return bool(shutil.which("systemctl")) and os.path.isdir("/run/systemd/system")


def _systemctl(args: Sequence[str], timeout: float, runner: Runner | None = None, *,
               write: bool = False) -> tuple[int | None, str, str]:
    result = (runner or Runner()).run(["systemctl", *args], timeout=timeout, write=write, sbin=False)
    if result.refused:
        return None, "", result.refused
    if result.missing:
        return None, "", "systemctl is not installed"
    if result.timed_out:
        return None, "", f"systemctl did not answer within {timeout:g} s"
    if result.rc is None:
        return None, "", result.error
    return result.rc, result.stdout.strip(), result.stderr.strip()


def _unit_state(verb: str, unit: str, timeout: float, runner: Runner | None = None) -> UnitState:
    code, out, err = _systemctl([verb, unit], timeout, runner)
    if code is None:
        return UnitState(unit, "unknown", err)
    word = out.splitlines()[-1].strip() if out else ""
    if not word or "No such file" in err or "not-found" in word or "not be found" in err:
        if "not been booted with systemd" in err or "Failed to connect to bus" in err:
            return UnitState(unit, "unknown", err)
        return UnitState(unit, "not-found", err)
    return UnitState(unit, word, err)


def first_installed(units: Sequence[str], *, timeout: float = 5.0, what: str = "service",
                    runner: Runner | None = None) -> UnitState:
    """The ``systemctl is-enabled`` word of the first of ``units`` that exists (an alias
    only when nothing else does); ``not-found`` when none exists, ``unknown`` without systemctl."""
    states = [_unit_state("is-enabled", unit, timeout, runner) for unit in units]
    # Debian: iscsi.service is an "alias" of open-iscsi.service, whose state is the one that counts.
    for wanted in (lambda s: s not in ("not-found", "unknown", "alias"), lambda s: s == "alias"):
        for state in states:
            if wanted(state.state):
                return state
    unknown = [s for s in states if s.state == "unknown"]
    if unknown:
        return unknown[0]
    return UnitState(" / ".join(units), "not-found", f"no {what} is installed")


def boot_login_service(*, timeout: float = 5.0, runner: Runner | None = None) -> UnitState:
    """Is the boot-time login service enabled? The first of iscsi.service /
    open-iscsi.service that exists, with its ``systemctl is-enabled`` word;
    ``not-found`` when neither exists, ``unknown`` without systemctl."""
    return first_installed(BOOT_LOGIN_UNITS, timeout=timeout, what="boot-time login service", runner=runner)


def target_boot_service(*, timeout: float = 5.0, runner: Runner | None = None) -> UnitState:
    """Is the service that restores the LIO configuration at boot enabled? target.service
    (upstream rtslib-fb, RHEL, Fedora, SUSE) or Debian's rtslib-fb-targetctl.service."""
    return first_installed(TARGET_BOOT_UNITS, timeout=timeout, what="boot-time target service", runner=runner)


def boot_login_enabled(*, timeout: float = 5.0, runner: Runner | None = None) -> bool | None:
    """True/False, or None when it cannot be known."""
    state = boot_login_service(timeout=timeout, runner=runner)
    if state.state in ("unknown",):
        return None
    return state.state in ENABLED_STATES


def favourite_warning(*, timeout: float = 5.0, runner: Runner | None = None) -> str | None:
    """A sentence when automatic node records will not be logged in at boot."""
    state = boot_login_service(timeout=timeout, runner=runner)
    if state.state in ENABLED_STATES or state.state == "unknown":
        return None
    if state.state == "not-found":
        return ("No boot-time login service (iscsi.service / open-iscsi.service) is installed: "
                "automatic records are not logged in at boot.")
    return (f"{state.unit} is {state.state}: automatic records are not logged in at boot. "
            f"Enable it: systemctl enable {state.unit}")


def iscsid_state(*, timeout: float = 5.0, runner: Runner | None = None) -> UnitState:
    """iscsid as systemd sees it: ``active`` when the socket or the service is active."""
    states = [_unit_state("is-active", unit, timeout, runner) for unit in ISCSID_UNITS]
    for state in states:
        if state.state == "active":
            return state
    return states[0]


def restart_iscsid(*, timeout: float = 30.0, runner: Runner | None = None) -> ServiceResult:
    """``systemctl restart iscsid`` (after the initiator name changed). Sessions stay logged in."""
    if not systemd_running():
        return ServiceResult(False, "systemd is not running here: restart iscsid by hand "
                                    "(stop it, then start iscsid as root).")
    code, _, err = _systemctl(["restart", "iscsid.service"], timeout, runner, write=True)
    if code == 0:
        return ServiceResult(True, "iscsid restarted.")
    return ServiceResult(False, f"systemctl restart iscsid failed: {err or f'exit {code}'}")


def start_iscsid(*, timeout: float = 30.0, runner: Runner | None = None) -> ServiceResult:
    """Start iscsid (socket and service), for exit 20 'iscsid not running'."""
    if not systemd_running():
        return ServiceResult(False, "systemd is not running here: start iscsid by hand as root.")
    code, _, err = _systemctl(["start", *ISCSID_UNITS], timeout, runner, write=True)
    if code == 0:
        return ServiceResult(True, "iscsid started.")
    return ServiceResult(False, f"systemctl start iscsid failed: {err or f'exit {code}'}")
