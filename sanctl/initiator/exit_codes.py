"""What each iscsiadm exit code means, and what the operator should do about it.

The one table of open-iscsi's exit codes (``include/iscsi_err.h``; the text
iscsiadm itself prints comes from ``usr/iscsi_err.c``). Each code has a plain
sentence for the operator and a hint saying what to do next. Some codes mean
different things depending on what was asked — 21 after a discovery is "the
target offered nothing to this initiator", after a login it is "no node record:
run discovery first" — so :func:`describe` takes the operation too.

Kernel connection error codes (1001-1022, what iscsid logs when a live
connection fails) are a different table and do not belong here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class ExitCode:
    """One iscsiadm exit status."""

    code: int
    name: str  # ISCSI_ERR_* in open-iscsi's include/iscsi_err.h
    text: str  # what iscsiadm prints for it ("initiator reported error (24 - <text>)")
    message: str  # a plain sentence for the operator
    hint: str  # what to do


def _e(code: int, name: str, text: str, message: str, hint: str) -> ExitCode:
    return ExitCode(code, name, text, message, hint)


START_ISCSID = (
    "Start the initiator daemon: systemctl start iscsid.socket iscsid "
    "(or: systemctl enable --now iscsid); without systemd run iscsid as root."
)

_TABLE = (
    _e(0, "ISCSI_SUCCESS", "", "Done.", ""),
    _e(1, "ISCSI_ERR", "unknown error", "iscsiadm failed without saying why.",
       "Read iscsiadm's own message below and iscsid's log (journalctl -u iscsid)."),
    _e(2, "ISCSI_ERR_SESS_NOT_FOUND", "session not found", "That session does not exist (any more).",
       "Refresh the session list: it may have been logged out already."),
    _e(3, "ISCSI_ERR_NOMEM", "no available memory", "iscsiadm or iscsid ran out of memory.",
       "Free memory on this host and try again."),
    _e(4, "ISCSI_ERR_TRANS", "encountered connection failure",
       "Could not connect to the portal: the TCP connection failed or was refused.",
       "Is the address right and is a target listening there (port 3260 unless set otherwise)? "
       "Check routes and any firewall between the hosts: TCP port 3260 must be open."),
    _e(5, "ISCSI_ERR_LOGIN", "encountered iSCSI login failure", "The iSCSI login failed (retryable).",
       "Check the target's log; try again."),
    _e(6, "ISCSI_ERR_IDBM", "encountered iSCSI database failure",
       "open-iscsi's node database could not be read or written.",
       "Check permissions and free space of the node database (/etc/iscsi/nodes or /var/lib/iscsi/nodes); "
       "changes need root."),
    _e(7, "ISCSI_ERR_INVAL", "invalid parameter", "iscsiadm refused a parameter or setting.",
       "The setting name or value is not one this open-iscsi version knows."),
    _e(8, "ISCSI_ERR_TRANS_TIMEOUT", "connection timed out", "The connection to the portal timed out.",
       "Is the portal reachable (ping it)? Is a firewall dropping TCP port 3260? "
       "Is the target portal group enabled on the target?"),
    _e(9, "ISCSI_ERR_INTERNAL", "internal error", "open-iscsi hit an internal error.",
       "Read iscsid's log (journalctl -u iscsid)."),
    _e(10, "ISCSI_ERR_LOGOUT", "encountered iSCSI logout failure", "The logout failed.",
       "Try again; if the session is stuck, read iscsid's log."),
    _e(11, "ISCSI_ERR_PDU_TIMEOUT", "iSCSI PDU timed out",
       "The target accepted the connection but did not answer in time.",
       "The target may be overloaded or hung, or something other than an iSCSI target is listening on "
       "that port. Check the target."),
    _e(12, "ISCSI_ERR_TRANS_NOT_FOUND", "iSCSI driver not found",
       "The kernel's iSCSI transport driver is not loaded.",
       "Load it: modprobe iscsi_tcp (ib_iser for iSER). A container cannot load kernel modules."),
    _e(13, "ISCSI_ERR_ACCESS", "daemon access denied", "iscsid refused the request: permission denied.",
       "Run as root (or as the user allowed by iscsid.ipc_auth_uid)."),
    _e(14, "ISCSI_ERR_TRANS_CAPS", "driver does not support requested capability",
       "The iSCSI driver does not support what was asked.", "Use another iface or transport."),
    _e(15, "ISCSI_ERR_SESS_EXISTS", "session exists", "Already logged in to that target portal.",
       "Nothing to do: the session exists."),
    _e(16, "ISCSI_ERR_INVALID_MGMT_REQ", "Unknown request", "iscsid did not understand iscsiadm's request.",
       "iscsiadm and iscsid are different versions: restart iscsid after upgrading open-iscsi."),
    _e(17, "ISCSI_ERR_ISNS_UNAVAILABLE", "iSNS service not supported", "iSNS is not available.",
       "Use SendTargets discovery instead."),
    _e(18, "ISCSI_ERR_ISCSID_COMM_ERR", "could not communicate to iscsid",
       "Lost contact with iscsid in the middle of the request.",
       "iscsid may have crashed: check systemctl status iscsid and its log, then try again."),
    _e(19, "ISCSI_ERR_FATAL_LOGIN", "encountered non-retryable iSCSI login failure",
       "The target refused the login for good.",
       "Check the target name (a typo, or the target no longer exists), that the target portal group is "
       "enabled, and mutual CHAP: the target's credentials (username_in/password_in) must match the "
       "target's mutual user and password. If authmethod is None, clear the CHAP user and password too."),
    _e(20, "ISCSI_ERR_ISCSID_NOTCONN", "could not connect to iscsid", "iscsid, the initiator daemon, is not running.",
       START_ISCSID),
    _e(21, "ISCSI_ERR_NO_OBJS_FOUND", "no objects found", "Nothing matched: no records or no sessions.",
       "Run discovery first to create node records."),
    _e(22, "ISCSI_ERR_SYSFS_LOOKUP", "sysfs lookup failure", "Could not read the iSCSI state in sysfs.",
       "Is /sys mounted and the iscsi transport module loaded (modprobe iscsi_tcp)?"),
    _e(23, "ISCSI_ERR_HOST_NOT_FOUND", "host not found", "That iSCSI host does not exist.",
       "Refresh: the host (or offload adapter) may be gone."),
    _e(24, "ISCSI_ERR_LOGIN_AUTH_FAILED", "iSCSI login failed due to authorization failure",
       "The target refused this initiator: no access, or CHAP failed.",
       "On the target, the ACL must be for exactly this initiator's name (cat /etc/iscsi/initiatorname.iscsi) "
       "— or the TPG in demo mode. If the target requires CHAP, the node's username/password must match the "
       "ACL's userid/password. The target's counters tell which: authorize_fails (no ACL) vs "
       "authenticate_fails (CHAP)."),
    _e(25, "ISCSI_ERR_ISNS_QUERY", "iSNS query failed", "The iSNS query failed.", "Check the iSNS server."),
    _e(26, "ISCSI_ERR_ISNS_REG_FAILED", "iSNS registration failed", "iSNS registration failed.",
       "Check the iSNS server."),
    _e(27, "ISCSI_ERR_OP_NOT_SUPP", "operation not supported", "This open-iscsi does not support that operation.",
       "Upgrade open-iscsi, or do it another way."),
    _e(28, "ISCSI_ERR_BUSY", "device or resource in use", "Refused: the session's disks are in use.",
       "Unmount the filesystems and stop whatever uses the disks (LVM, multipath, mounts) before logging out."),
    _e(29, "ISCSI_ERR_AGAIN", "operation failed but retry may succeed", "The operation failed but may work if retried.",
       "Try again."),
    _e(30, "ISCSI_ERR_UNKNOWN_DISCOVERY_TYPE", "unknown discovery type", "Unknown discovery type.",
       "Use SendTargets (sendtargets/st)."),
    _e(31, "ISCSI_ERR_CHILD_TERMINATED", "child process terminated", "A helper process of iscsiadm died.",
       "Try again; read iscsid's log."),
    _e(32, "ISCSI_ERR_SESSION_NOT_CONNECTED", "target likely not connected",
       "The session is not connected to the target right now.",
       "The target may be down or unreachable; iscsid keeps trying to reconnect."),
    _e(33, "ISCSI_ERR_REQ_TIMEDOUT", "iscsid request timed out", "iscsid did not answer in time.",
       "iscsid may be busy or stuck: check systemctl status iscsid; restarting it drops no sessions."),
)

#: Exit code -> its entry.
EXIT_CODES = MappingProxyType({entry.code: entry for entry in _TABLE})

# What a code means for one kind of operation, where that differs from the table.
_BY_OPERATION: dict[tuple[str, int], tuple[str, str]] = {
    ("discovery", 21): (
        "The portal answered but offered no targets to this initiator.",
        "On the target: is there an ACL for this initiator's name (or demo mode), is the TPG enabled, "
        "and does it have a portal? With discovery authentication on, the discovery CHAP must match.",
    ),
    ("discovery", 24): (
        "The portal refused discovery: discovery CHAP failed.",
        "Set the discovery CHAP user and password to the target's discovery_auth userid/password "
        "(and mutual ones if the target enforces them).",
    ),
    ("discovery", 19): (
        "The portal refused discovery for good.",
        "Check discovery CHAP (and mutual CHAP: the target's credentials must match).",
    ),
    ("login", 8): (
        "The login timed out.",
        "Is the portal reachable, and is TCP port 3260 open on every firewall between the hosts? "
        "A target name the portal does not have also ends this way (LIO lets such a login time out "
        "after about 2 minutes): check the name against discovery.",
    ),
    ("login", 21): (
        "There is no node record for that target and portal.",
        "Run discovery against the portal first (sanctl discover PORTAL), then log in.",
    ),
    ("logout", 21): ("Not logged in to that target.", "Nothing to do."),
    ("session", 21): ("No active sessions.", "Log in to a target first."),
    ("node", 21): ("No node records.", "Run discovery first to create node records."),
    ("discoverydb", 21): ("No discovery records.", "Run discovery against a portal to create one."),
    ("rescan", 21): ("No such session to rescan.", "Refresh the session list."),
    ("update", 21): ("No node record for that target and portal.", "Run discovery first."),
    ("delete", 21): ("No such record.", "Nothing to delete."),
    ("delete", 15): ("A session uses that record.", "Log out of it first, then delete the record."),
    ("delete", 6): ("No such record.", "Nothing to delete."),
}

# What iscsiadm's own words add: the same exit code has several causes, and
# stderr tells them apart (open-iscsi 2.1.8, tests/fixtures/initiator/).
_CLUES: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"Connection refused"),
     "Nothing accepts connections on that portal (connection refused).",
     "Is the target running and listening on that address and port? On a LIO target: the TPG needs a portal "
     "on that address (or 0.0.0.0) and must be enabled."),
    (re.compile(r"No route to host|Network is unreachable|Cannot assign requested address"),
     "That address cannot be reached from this host.",
     "Check the address, this host's routes, and firewalls in between (a rejecting firewall shows up as "
     "'no route to host'; one that drops packets makes the call hang until it times out)."),
    (re.compile(r"Login response timeout|did not get response PDU"),
     "The portal accepted the connection but never answered the iSCSI login.",
     "Something other than an iSCSI target may be listening on that port, or the target is hung."),
    (re.compile(r"but a session is using it"),
     "A session uses that record.", "Log out of it first, then delete the record."),
    (re.compile(r"Invalid param name"),
     "open-iscsi does not know that setting.",
     "Check the key's name: iscsiadm -m node -T TARGET -p PORTAL -o show lists them."),
    (re.compile(r"can not connect to iSCSI daemon"),
     "iscsid, the initiator daemon, is not running.", START_ISCSID),
)


def describe(code: int, operation: str | None = None) -> ExitCode:
    """The entry for ``code``, its message and hint adjusted to ``operation`` where they differ.

    Codes open-iscsi does not define (a newer version, a signal) get a generic entry.
    """
    entry = EXIT_CODES.get(code)
    if entry is None:
        if code < 0 or code > 128:
            message = f"iscsiadm was killed (exit status {code})."
        else:
            message = f"iscsiadm failed with exit code {code}, which this version of sanctl does not know."
        entry = ExitCode(code, "UNKNOWN", "", message, "Read iscsiadm's own message below.")
    override = _BY_OPERATION.get((operation or "", code))
    if override:
        entry = ExitCode(entry.code, entry.name, entry.text, override[0], override[1])
    return entry


def explain(code: int, operation: str | None = None, stderr: str = "") -> ExitCode:
    """Like :func:`describe`, with the message and hint sharpened by what iscsiadm printed."""
    entry = describe(code, operation)
    if code == 0:
        return entry
    for pattern, message, hint in _CLUES:
        if pattern.search(stderr):
            return ExitCode(entry.code, entry.name, entry.text, message, hint)
    return entry


def name_of(code: int) -> str:
    """``ISCSI_ERR_*`` for a code, or ``exit <n>``."""
    entry = EXIT_CODES.get(code)
    return entry.name if entry else f"exit {code}"
