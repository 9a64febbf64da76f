"""The Client step's button for this host: discover, log in, log in again at boot — through the wrapper.

When one of the clients is this host (its initiator name is this host's),
the wizard does what the Client step's commands say, through sanctl's
iscsiadm wrapper (:class:`~sanctl.initiator.iscsiadm.Iscsiadm`: argument
lists, deadlines, exit codes as sentences), as the initiator tab does: on
the demo SAN that is the demo's simulated iscsiadm, so nothing on this host
changes there.

No Textual and no I/O of its own here: it acts only through the iscsiadm it is handed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sanctl.initiator.iscsiadm_errors import IscsiadmError
from sanctl.initiator.iscsiadm_records import Chap

if TYPE_CHECKING:
    from sanctl.initiator.iscsiadm import Iscsiadm

#: A wildcard portal is reached from this host over loopback.
LOCAL = {"0.0.0.0": "127.0.0.1", "[::0]": "[::1]"}


@dataclass(frozen=True, slots=True)
class LocalLogin:
    ok: bool
    message: str
    portal: str = ""
    disks: tuple[str, ...] = ()
    #: iscsiadm's exit code when it failed, and what to do.
    hint: str = ""


def local_portal(address: str, port: int) -> str:
    return f"{LOCAL.get(address, address)}:{port}"


def login_here(adm: Iscsiadm, target: str, address: str, port: int, *, chap: Chap | None = None,
               expect_disks: int = 0, wait: float = 20.0,
               progress: Callable[[str], None] = lambda _text: None,
               sleep: Callable[[float], None] = time.sleep) -> LocalLogin:
    """Discover ``target`` at its portal (from this host), set CHAP, log in, make it automatic, find its disks."""
    portal = local_portal(address, port)
    try:
        progress(f"Discovering targets at {portal}")
        found = adm.discover_offered(portal)
        mine = [f for f in found if f.target == target]
        if not mine:
            return LocalLogin(False, f"Discovery at {portal} does not offer {target}: is the TPG enabled and the "
                                     "portal listening?", portal)
        records = [f for f in mine if f.portal == portal] or mine
        record = records[0]
        if chap is not None:
            progress("Setting the node record's CHAP credentials")
            adm.set_session_auth(target, record.portal, chap)
        progress(f"Logging in to {target}")
        result = adm.login(target, record.portal)
        progress("Logging in again at every boot (node.startup = automatic)")
        adm.set_startup(target, record.portal, "automatic")
    except IscsiadmError as exc:
        return LocalLogin(False, str(exc), portal, hint=exc.hint)
    disks: tuple[str, ...] = ()
    deadline = time.monotonic() + wait
    while True:
        try:
            sessions = [s for s in adm.session_details() if s.target == target]
        except IscsiadmError:
            sessions = []
        disks = tuple(sorted(d.path for s in sessions for d in s.disks if d.device))
        if len(disks) >= expect_disks or time.monotonic() > deadline:
            break
        sleep(0.5)
    already = " (it was logged in already)" if getattr(result, "already", False) else ""
    where = ", ".join(disks) if disks else "no disk yet (the kernel may still be scanning)"
    return LocalLogin(True, f"Logged in to {target} on {record.portal}{already}: {where}. It logs in again at boot.",
                      record.portal, disks)
