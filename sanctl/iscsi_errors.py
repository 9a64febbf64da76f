"""What the kernel's iSCSI error codes and LIO's failure codes mean, and what to do.

One table per code family, all in this module, so the errors panel, the CLI
and the doctor say the same thing:

- :data:`CONN_ERRORS` — the kernel's connection error codes 1001–1022
  (open-iscsi ``include/iscsi_if.h`` ``enum iscsi_err``, ``ISCSI_ERR_BASE`` +
  n). The kernel logs ``connection<SID>:<CID>: detected conn error (<code>)``
  and iscsid repeats it with the name and the text of ``usr/kern_err_table.c``.
  ``name`` and ``text`` are exactly those; ``meaning`` and ``fix`` are what an
  operator needs (from open-iscsi's README §8.1 and field reports).
- :data:`LOGIN_FAIL_TYPES` — ``iscsi_tgt_attr/last_fail_type`` (LIO's login
  failure classes, ``iscsi_target_stat.h``).
- :data:`SESSION_FAIL_TYPES` — ``iscsi_instance/fail_type``.
- :data:`TARGET_MESSAGES` — LIO kernel messages worth recognising, by the
  kind :mod:`sanctl.kernel_log` gives them, and initiator-side events that
  carry no code (recovery, recovery timeout, login rejected).

iscsiadm's exit codes are a different family: :mod:`sanctl.initiator.exit_codes`.
No I/O and no Textual here.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

#: The fix when one initiator name is logged in from two hosts (LIO drops one session for the other: 1020).
SHARED_NAME_FIX = (
    "Give each host its own initiator name: edit /etc/iscsi/initiatorname.iscsi on one of them "
    "(iscsi-iname prints a fresh one), restart iscsid and log in again; then create an ACL for the new "
    "name on the target with the same LUNs mapped."
)


@dataclass(frozen=True, slots=True)
class ConnError:
    """One kernel connection error code."""

    code: int
    name: str  #: ISCSI_ERR_* as iscsid prints it
    text: str  #: kern_err_table text as iscsid prints it
    meaning: str  #: what it usually means in operations
    fix: str  #: the usual fix

    @property
    def label(self) -> str:
        """``1020 TCP_CONN_CLOSE`` — short enough for a table cell."""
        return f"{self.code} {self.name.removeprefix('ISCSI_ERR_')}"


_CORRUPTION_FIX = "Enable HeaderDigest/DataDigest=CRC32C to confirm corruption; check NIC offloads, firmware, cables and switches."

_CONN = (
    ConnError(1001, "ISCSI_ERR_DATASN", "Invalid data sequence number from target",
              "Protocol desync: a buggy target or NIC offload, or packets corrupted on the way.",
              _CORRUPTION_FIX),
    ConnError(1002, "ISCSI_ERR_DATA_OFFSET", "Seeking offset beyond the segment",
              "Protocol desync of the same class as 1001.", _CORRUPTION_FIX),
    ConnError(1003, "ISCSI_ERR_MAX_CMDSN", "Invalid MaxCmdSN",
              "The target sent a command window that makes no sense: a target bug or desync.",
              "Update the target software; collect both sides' logs."),
    ConnError(1004, "ISCSI_ERR_EXP_CMDSN", "Invalid ExpCmdSN",
              "The target acknowledged commands it never got: a target bug or desync.",
              "Update the target software; collect both sides' logs."),
    ConnError(1005, "ISCSI_ERR_BAD_OPCODE", "Invalid opcode from target",
              "The initiator received a PDU it cannot parse: corruption or a target bug.",
              _CORRUPTION_FIX),
    ConnError(1006, "ISCSI_ERR_DATALEN", "Invalid data length value",
              "A PDU longer than negotiated: often a MaxRecvDataSegmentLength mismatch or a buggy target.",
              "Align MaxRecvDataSegmentLength on both sides; update the target."),
    ConnError(1007, "ISCSI_ERR_AHSLEN", "Invalid AHS length", "Corrupted PDU header.", _CORRUPTION_FIX),
    ConnError(1008, "ISCSI_ERR_PROTO", "Protocol violation",
              "The target broke the iSCSI protocol.", "Read the target's log; update the target."),
    ConnError(1009, "ISCSI_ERR_LUN", "LUN mismatch",
              "The target answered for a LUN it should not have: often a LUN mapping changed under a live session.",
              "Do not remap LUNs under live sessions; have the initiator rescan (iscsiadm -m session -R)."),
    ConnError(1010, "ISCSI_ERR_BAD_ITT", "Invalid initiator task tag from target",
              "A response for a task the initiator does not know: a target bug or a stale response after a reset.",
              "Read the target's log; update the target."),
    ConnError(1011, "ISCSI_ERR_CONN_FAILED", "iSCSI connection failed",
              "Generic connection failure: a PDU send timed out, the network failed or the link went down; "
              "also seen at login against unreachable or overloaded targets.",
              "Check the link, MTU and routes; the lines just before this one usually say more."),
    ConnError(1012, "ISCSI_ERR_R2TSN", "Invalid R2T sequence number",
              "Protocol desync on write transfers.", _CORRUPTION_FIX),
    ConnError(1013, "ISCSI_ERR_SESSION_FAILED", "Session failed",
              "Not used by current kernels.", "—"),
    ConnError(1014, "ISCSI_ERR_HDR_DGST", "Header digest mismatch",
              "Real corruption on the wire: a bad NIC, cable or switch, or a broken offload.",
              "Replace the path; disable TSO/LRO (ethtool -K) to test."),
    ConnError(1015, "ISCSI_ERR_DATA_DGST", "Data digest mismatch",
              "Corruption of data on the wire; also seen with some offload bugs.",
              "Replace the path; disable TSO/LRO (ethtool -K) to test."),
    ConnError(1016, "ISCSI_ERR_PARAM_NOT_FOUND", "Parameter not found",
              "iscsid passed the kernel a setting it does not know: open-iscsi and the kernel do not match.",
              "Align the open-iscsi version with the kernel."),
    ConnError(1017, "ISCSI_ERR_NO_SCSI_CMD", "Could not look up SCSI command",
              "The target answered with a task tag the initiator has no command for: a target bug.",
              "Read the target's log; update the target."),
    ConnError(1018, "ISCSI_ERR_INVALID_HOST", "Invalid host",
              "The iSCSI host is gone or going (HBA removed, driver unloaded); iscsid shuts the session down.",
              "Check the HBA or driver; log in again once it is back."),
    ConnError(1019, "ISCSI_ERR_XMIT_FAILED", "Transmission of iSCSI packet failed",
              "The initiator could not send: the local NIC or route is down, or the socket failed.",
              "Check the initiator's interface, routes and firewall."),
    ConnError(1020, "ISCSI_ERR_TCP_CONN_CLOSE", "TCP connection closed",
              "The target closed the connection: it restarted, the TPG was disabled, the ACL deleted or a LUN "
              "reconfigured — or two hosts use the same InitiatorName and the target reinstates one session "
              "with the other, so both flap every few seconds; also target NOP timeouts and idle NAT/firewall timeouts.",
              "If it repeats every few seconds: make /etc/iscsi/initiatorname.iscsi unique on every host "
              "(cloned VMs!) and give each host its own ACL. Otherwise check the target's log and health."),
    ConnError(1021, "ISCSI_ERR_SCSI_EH_SESSION_RST", "Session was dropped as a result of SCSI error recovery",
              "A command timed out, aborting it failed, and SCSI error handling dropped the session: "
              "slow or hung storage behind the target.",
              "Check the target's backstore (resets, latency); raise /sys/block/sdX/device/timeout only if the "
              "backend is legitimately slow."),
    ConnError(1022, "ISCSI_ERR_NOP_TIMEDOUT", "NOP-Out ping timed out",
              "The target did not answer a NOP-Out ping: network stall or packet loss, a stalled target, "
              "or noop_out_interval/noop_out_timeout set too aggressively.",
              "Check the network; raise node.conn[0].timeo.noop_out_timeout and noop_out_interval "
              "(5/5 by default; 5/10 is common with multipath)."),
)

#: Every kernel connection error code, by number.
CONN_ERRORS: MappingProxyType[int, ConnError] = MappingProxyType({e.code: e for e in _CONN})


def conn_error(code: int) -> ConnError:
    """The entry for ``code``; an explicit "unknown" entry for a code not in the table."""
    found = CONN_ERRORS.get(code)
    if found is not None:
        return found
    return ConnError(code, f"ISCSI_ERR_{code}", "Unknown error",
                     "A code this version of sanctl does not know (newer kernel?).",
                     "Read the kernel's log around this line.")


# ---------------------------------------------------------------------------
# LIO's failure classes (fabric_statistics)
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FailType:
    """A value of a LIO failure-type counter."""

    value: int
    name: str
    meaning: str
    fix: str


#: ``iscsi_tgt_attr/last_fail_type``: the class of the last failed login.
LOGIN_FAIL_TYPES: MappingProxyType[int, FailType] = MappingProxyType({f.value: f for f in (
    FailType(0, "none", "No login has failed since the module was loaded.", ""),
    FailType(2, "other", "Target not found, TPG disabled, too many connections, missing parameter, "
             "or a target-side error.", "Check the target IQN the initiator asks for and that the TPG is enabled."),
    FailType(3, "redirect", "The target redirected the login elsewhere.", "Normal with redirection set up."),
    FailType(4, "authorize", "The initiator is not allowed in: no ACL for its name and the TPG is not in demo mode.",
             "Create an ACL for exactly that initiator name (typo? regenerated initiatorname.iscsi?)."),
    FailType(5, "authenticate", "CHAP failed: wrong or missing credentials.",
             "Compare the ACL's CHAP user/password with the initiator's node.session.auth.* settings."),
    FailType(6, "negotiate", "Login parameter negotiation failed.",
             "Compare digests and other login keys on both sides; read the target's log."),
)})

#: ``iscsi_instance/fail_type``: the class of the last session failure.
SESSION_FAIL_TYPES: MappingProxyType[int, FailType] = MappingProxyType({f.value: f for f in (
    FailType(0, "unknown", "No session failure recorded (or of no known class).", ""),
    FailType(1, "digest", "A digest error failed a session.", _CORRUPTION_FIX),
    FailType(2, "connection timeout", "A connection timed out (Time2Retain expiry or NOP-In response timeout).",
             "Check the network and the initiator's health."),
    FailType(3, "format", "A malformed PDU failed a session.", _CORRUPTION_FIX),
)})


def login_fail_type(value: int | None) -> FailType | None:
    if value is None:
        return None
    return LOGIN_FAIL_TYPES.get(value) or FailType(value, f"type {value}", "A failure class sanctl does not know.", "")


# ---------------------------------------------------------------------------
# Log events without a code
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MessageKind:
    """What a recognised log line (or configfs change) means, for events that carry no code."""

    kind: str
    title: str
    meaning: str
    fix: str
    severity: str = "warning"  #: "error", "warning" or "info"


TARGET_MESSAGES: MappingProxyType[str, MessageKind] = MappingProxyType({m.kind: m for m in (
    # initiator side, iscsid and kernel
    MessageKind("recovered", "recovered", "iscsid logged the connection in again after an error.", "", "info"),
    MessageKind("operational", "connected", "iscsid logged a connection in.", "", "info"),
    MessageKind("recovery_timeout", "recovery timed out",
                "The session could not be recovered within replacement_timeout (recovery_tmo): its disks are "
                "now offline and I/O fails (to multipath, if any).",
                "Fix the cause of the preceding errors, then log in again; raise "
                "node.session.timeo.replacement_timeout only without multipath.", "error"),
    MessageKind("ping_timeout", "ping timeout",
                "A NOP-Out ping got no answer in time; a 1022 (or 1011 on old kernels) follows.",
                "Check the network; see 1022."),
    MessageKind("login_rejected", "login rejected",
                "The target refused the login (see the reason in the line).",
                "Authorization: create an ACL for this initiator name. Authentication: fix CHAP. "
                "Target not found: check the IQN.", "error"),
    MessageKind("login_auth_failed", "CHAP failed",
                "The target did not accept this host's CHAP user name and secret.",
                "Set node.session.auth.username and password in this host's node record to the ACL's CHAP user "
                "and secret (iscsiadm -m node -T <iqn> -o update -n node.session.auth.password -v ...).", "error"),
    MessageKind("login_mutual_failed", "mutual CHAP failed",
                "Mutual CHAP: this host checked the target's answer and it was wrong — the target's secret "
                "(the ACL's mutual secret) differs from node.session.auth.password_in here.",
                "Set node.session.auth.username_in and password_in in the node record to the ACL's mutual user and "
                "secret, or set the ACL's mutual CHAP to them.", "error"),
    MessageKind("bind_failed", "recovery stuck",
                "iscsid could not bind the connection during recovery (open-iscsi#387): it may never recover.",
                "Log the session out and in again.", "error"),
    # target side, LIO
    MessageKind("target_not_authorized", "refused: no ACL",
                "An initiator without an ACL tried to log in (the TPG is not in demo mode).",
                "Create an ACL for exactly that initiator name, or fix the initiator's name.", "error"),
    MessageKind("target_negotiation_failed", "login refused",
                "LIO refused a login after the initiator closed it or sent keys it cannot accept. On a TPG with "
                "mutual CHAP this alone is the initiator rejecting the target's CHAP answer (mutual secret wrong).",
                "Compare the mutual CHAP user and secret (the ACL's mutual_userid/mutual_password and the node "
                "record's username_in/password_in), then the login keys (digests) on both sides.", "error"),
    MessageKind("target_auth_required", "refused: CHAP required, not offered",
                "The TPG enforces CHAP (authentication=1) and the initiator offered none.",
                "Set node.session.auth.authmethod=CHAP with the ACL's user and secret in the initiator's node "
                "record, or set authentication=0 on the TPG.", "error"),
    MessageKind("target_chap_not_set", "refused: CHAP offered, none set",
                "The initiator offered CHAP but the ACL has no CHAP user and secret to check it against.",
                "Set the ACL's CHAP user and secret (select the ACL, press e) to the initiator's, or turn CHAP off "
                "in the initiator's node record.", "error"),
    MessageKind("target_chap_user_mismatch", "refused: CHAP user name wrong",
                "The CHAP user name the initiator sent is not the ACL's.",
                "Set node.session.auth.username in the initiator's node record to the ACL's CHAP user.", "error"),
    MessageKind("target_security_failed", "refused: wrong CHAP secret",
                "LIO checked the initiator's CHAP answer against the ACL's secret and it did not match: the "
                "secret (or user name) in the initiator's node record is not the ACL's.",
                "Set node.session.auth.password in the initiator's node record to the ACL's CHAP secret (or the "
                "ACL's to the initiator's), then log in again.", "error"),
    MessageKind("target_no_tpg", "refused: TPG disabled",
                "A login came in for a TPG that is disabled (or has no portal on that address).",
                "Enable the TPG (select it, press space), or remove the initiator's node record for it.", "error"),
    MessageKind("target_not_found", "refused: unknown target",
                "An initiator asked for a target IQN this host does not have (a typo, or a target deleted).",
                "Fix the target name in the initiator's node record, or rediscover (iscsiadm -m discovery).",
                "error"),
    MessageKind("target_login_timeout", "login timeout",
                "A login did not complete in login_timeout: port scanners, half-open connections or a stuck backend.",
                "Check what connects to port 3260."),
    MessageKind("target_nopin_timeout", "NOP-In timeout",
                "The initiator did not answer the target's NOP-In; the target dropped the connection "
                "(the initiator sees 1020).", "Check the network and the initiator's health."),
    MessageKind("target_dataout_timeout", "Data-Out timeout",
                "The initiator did not send write data in dataout_timeout; the target closed the connection.",
                "Check the network and the initiator."),
    MessageKind("target_time2retain", "session expired",
                "A session was not reinstated within Time2Retain and was cleaned up: normal after an initiator vanishes.",
                "", "info"),
    MessageKind("target_non_existent_lun", "unmapped LUN",
                "An initiator used a LUN number its ACL does not map (a scan, or a LUN deleted under it).",
                "Remap the LUN, or have the initiator rescan or log out."),
    MessageKind("target_write_protected", "write to read-only LUN",
                "An initiator wrote to a write-protected LUN (often demo_mode_write_protect=1).",
                "Clear write_protect on the mapped LUN, or demo_mode_write_protect on the TPG."),
    MessageKind("target_abort_task", "command aborted",
                "An initiator aborted a slow command; a 1021 on the initiator often follows.",
                "Check the backstore's latency and resets."),
    # derived from configfs, not from a log line
    MessageKind("target_session_reinstated", "session reinstated",
                "An initiator logged in again while its session was alive, and LIO replaced the session. "
                "Repeating every few seconds, with the address alternating, means two hosts use one initiator name.",
                "Give each host its own InitiatorName (/etc/iscsi/initiatorname.iscsi) and its own ACL."),
    MessageKind("target_login_failure", "login failure",
                "A login to this target failed (counted in iscsi_login_stats).",
                "See the failure class: authorize → ACL, authenticate → CHAP, negotiate → login keys.", "error"),
)})


def message_kind(kind: str) -> MessageKind:
    found = TARGET_MESSAGES.get(kind)
    if found is not None:
        return found
    return MessageKind(kind, kind.replace("_", " "), "", "", "info")
