"""The live target's values — sessions, connections, counters, layout — and the pure parsers of its files.

What :mod:`sanctl.lio.live` reads from configfs, as plain frozen values a
screen, the doctor or a remote host can hold without importing a reader
(the parsers take the files' text, never a path to open). No I/O, no Textual.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from sanctl.bounded import int_or_none

NO_SESSION_PREFIX = "No active iSCSI Session"
_SESSION_LINE = re.compile(r"(LIO Session ID|ISID|TSIH|SessionType): (.+?)(?=\s{2,}|$)")
_CID_LINE = re.compile(r"^CID: (\d+)\s+Connection State: (.*)$")
_ADDRESS_LINE = re.compile(r"^\s+Address (\S+) (\S+)(?:\s+StatSN: (0x[0-9a-fA-F]+))?")
_HEX = re.compile(r"0x[0-9a-fA-F]+")

# ---------------------------------------------------------------------------
# acls/<initiator>/info
# ---------------------------------------------------------------------------


def short_state(raw: str) -> str:
    """``TARG_SESS_STATE_LOGGED_IN`` -> ``LOGGED_IN``; ``TARG_SESS_FREE`` -> ``FREE``."""
    text = raw.strip()
    for prefix in ("TARG_SESS_STATE_", "TARG_CONN_STATE_", "TARG_SESS_", "TARG_CONN_"):
        if text.startswith(prefix):
            return text[len(prefix):]
    if text.startswith("ERROR"):
        return "UNKNOWN"
    return text or "UNKNOWN"


@dataclass(frozen=True, slots=True)
class TargetConnection:
    """One connection of a session, as the ACL's ``info`` prints it.

    The kernel prints the initiator's address without its port; ``transport``
    is its word ("TCP", or "SCTP" for *any* other transport).
    """

    cid: int
    state: str
    state_raw: str
    address: str | None
    transport: str | None
    statsn: int | None


@dataclass(frozen=True, slots=True)
class AclSession:
    """The session an ACL's ``info`` file shows (the newest one, if several)."""

    initiator: str
    alias: str
    sid: int | None
    isid: str | None  #: 12 hex digits, e.g. ``00023d000001``
    tsih: int | None
    session_type: str | None
    state: str
    state_raw: str
    cmdsn_window: int | None = None
    cmdsn_credit: int | None = None
    exp_cmdsn: int | None = None
    max_cmdsn: int | None = None
    itt: int | None = None
    ttt: int | None = None
    connections: tuple[TargetConnection, ...] = ()

    @property
    def identity(self) -> tuple[int | None, int | None]:
        """(session id, TSIH): changes whenever LIO replaces the session."""
        return (self.sid, self.tsih)

    @property
    def alias_shown(self) -> str:
        """The alias, or '' for open-iscsi's ``(none)``."""
        return "" if self.alias in ("(none)", "") else self.alias


def parse_acl_info(text: str) -> AclSession | None:
    """Parse ``acls/<initiator>/info``; ``None`` when it says there is no session."""
    if not text.strip() or text.lstrip().startswith(NO_SESSION_PREFIX):
        return None
    lines = text.splitlines()
    initiator = ""
    alias = ""
    fields: dict[str, str] = {}
    state_raw = ""
    numbers: list[int] = []
    connections: list[TargetConnection] = []
    section = "head"
    pending: tuple[int, str] | None = None
    for line in lines:
        if line.startswith("-") and "iSCSI Session Values" in line:
            section = "values"
            continue
        if line.startswith("-") and "iSCSI Connections" in line:
            section = "connections"
            continue
        if section == "head":
            if line.startswith("InitiatorName:"):
                initiator = line.partition(":")[2].strip()
            elif line.startswith("InitiatorAlias:"):
                alias = line.partition(":")[2].strip()  # everything after the first colon
            elif line.startswith("LIO Session ID:"):
                fields.update(_SESSION_LINE.findall(line))
            elif line.startswith("Session State:"):
                state_raw = line.partition(":")[2].strip()
        elif section == "values":
            found = _HEX.findall(line)
            if len(found) >= 6 and not numbers:
                parsed = [int_or_none(value, 16) for value in found[:6]]
                numbers = [n for n in parsed if n is not None]
                numbers = numbers if len(numbers) == 6 else []
        else:
            match = _CID_LINE.match(line)
            if match:
                if pending is not None:
                    connections.append(_connection(pending, None))
                cid = int_or_none(match.group(1))
                if cid is not None:
                    pending = (cid, match.group(2).strip())
                continue
            match = _ADDRESS_LINE.match(line)
            if match and pending is not None:
                connections.append(_connection(pending, match))
                pending = None
    if pending is not None:
        connections.append(_connection(pending, None))
    isid = fields.get("ISID")
    if isid is not None:
        isid = isid.removeprefix("0x").replace(" ", "").lower() or None
    return AclSession(
        initiator=initiator,
        alias=alias,
        sid=_int(fields.get("LIO Session ID")),
        isid=isid,
        tsih=_int(fields.get("TSIH")),
        session_type=fields.get("SessionType"),
        state=short_state(state_raw),
        state_raw=state_raw,
        cmdsn_window=numbers[0] if numbers else None,
        cmdsn_credit=numbers[1] if numbers else None,
        exp_cmdsn=numbers[2] if numbers else None,
        max_cmdsn=numbers[3] if numbers else None,
        itt=numbers[4] if numbers else None,
        ttt=numbers[5] if numbers else None,
        connections=tuple(connections),
    )


def _connection(head: tuple[int, str], address: re.Match[str] | None) -> TargetConnection:
    cid, state_raw = head
    return TargetConnection(
        cid=cid,
        state=short_state(state_raw),
        state_raw=state_raw,
        address=address.group(1) if address else None,
        transport=address.group(2) if address else None,
        statsn=int_or_none(address.group(3), 16) if address and address.group(3) else None,
    )


def _int(raw: str | None) -> int | None:
    return int_or_none(raw)


def transport_label(transport: str | None, offload_portal: bool) -> str | None:
    """What the connection really uses: the kernel says "SCTP" for every non-TCP transport."""
    if transport == "SCTP":
        return "iSER/offload" if offload_portal else "not TCP (kernel says SCTP)"
    return transport


def parse_dynamic_sessions(data: bytes | None) -> tuple[str, ...]:
    """``tpgt_N/dynamic_sessions``: one IQN per line, each followed by ``\\n\\0``."""
    if not data:
        return ()
    return tuple(data.replace(b"\0", b"").decode("utf-8", "replace").split())


# ---------------------------------------------------------------------------
# counters
# ---------------------------------------------------------------------------

SESS_STATS_FIELDS = ("indx", "node", "cmd_pdus", "rsp_pdus", "txdata_octs", "rxdata_octs",
                     "conn_digest_errors", "conn_timeout_errors")


@dataclass(frozen=True, slots=True)
class SessStats:
    """``acls/<init>/fabric_statistics/iscsi_sess_stats``: per session; empty without one.

    ``txdata_octs`` are bytes sent to the initiator (its reads), ``rxdata_octs``
    bytes received (its writes). They restart with every new session (``indx``
    is the session id).
    """

    indx: int | None = None
    node: int | None = None
    cmd_pdus: int | None = None
    rsp_pdus: int | None = None
    txdata_octs: int | None = None
    rxdata_octs: int | None = None
    conn_digest_errors: int | None = None
    conn_timeout_errors: int | None = None

    @property
    def empty(self) -> bool:
        return self.indx is None and self.cmd_pdus is None


@dataclass(frozen=True, slots=True)
class TargetStats:
    """``iscsi/<iqn>/fabric_statistics``: target-wide, monotonic since module load."""

    sessions: int | None = None
    fail_sess: int | None = None
    fail_type: int | None = None
    fail_rem_name: str | None = None
    digest_errors: int | None = None
    cxn_errors: int | None = None
    format_errors: int | None = None
    login_fails: int | None = None
    last_fail_time: int | None = None  #: hundredths of a second since boot; 0 = never
    last_fail_type: int | None = None
    fail_intr_name: str | None = None
    fail_intr_addr_type: str | None = None
    fail_intr_addr: str | None = None
    accepts: int | None = None
    other_fails: int | None = None
    redirects: int | None = None
    authorize_fails: int | None = None
    authenticate_fails: int | None = None
    negotiate_fails: int | None = None
    normal_logouts: int | None = None
    abnormal_logouts: int | None = None

    @property
    def failed_logins(self) -> int:
        return self.login_fails or 0


@dataclass(frozen=True, slots=True)
class LunStats:
    """A TPG LUN's port statistics (``scsi_tgt_port``): all initiators together.

    ``read_mbytes``/``write_mbytes`` are MiB (the kernel shifts its byte
    counters by 20).
    """

    target: str
    tpg: int
    lun: int
    in_cmds: int | None
    read_mbytes: int | None
    write_mbytes: int | None

    @property
    def key(self) -> tuple[str, str, int, int]:
        return ("lun", self.target, self.tpg, self.lun)


@dataclass(frozen=True, slots=True)
class MappedLunStats:
    """I/O of one initiator to one LUN (``acls/<init>/lun_<M>/statistics``)."""

    mapped_lun: int
    num_cmds: int | None
    read_mbytes: int | None
    write_mbytes: int | None
    att_count: int | None
    port_ident: str | None  #: ``<iqn>+i+<isid>`` of the attached session; None without one


# ---------------------------------------------------------------------------
# layout and sessions
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TpgLayout:
    """What a TPG holds, as far as sessions and I/O are concerned."""

    target: str
    tag: int
    path: str  #: absolute path of ``tpgt_<tag>``
    enabled: bool | None
    demo_mode: bool
    acls: tuple[str, ...]  #: ACL directory names (initiator IQNs)
    luns: tuple[int, ...]
    offload_portal: bool  #: a portal with iser or cxgbit on: "SCTP" means that

    def acl_path(self, initiator: str) -> str:
        return os.path.join(self.path, "acls", initiator)

    def lun_path(self, lun: int) -> str:
        return os.path.join(self.path, "lun", f"lun_{lun}")


@dataclass(frozen=True, slots=True)
class TargetLayout:
    iqn: str
    path: str
    tpgs: tuple[TpgLayout, ...]


@dataclass(frozen=True, slots=True)
class TargetSession:
    """One session on a TPG: from an explicit ACL's ``info`` or from ``dynamic_sessions``.

    A dynamic (demo-mode) session has no ACL directory, so no ``info`` and
    no counters: only its name is known.
    """

    target: str
    tpg: int
    initiator: str
    kind: str  #: "acl" or "dynamic"
    info: AclSession | None = None
    stats: SessStats | None = None
    #: ``("session", target, tpg, kind, initiator)``: the row key of the live panels.
    key: tuple[str, str, int, str, str] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", ("session", self.target, self.tpg, self.kind, self.initiator))

    @property
    def state(self) -> str:
        return self.info.state if self.info is not None else "LOGGED_IN"

    @property
    def addresses(self) -> tuple[str, ...]:
        if self.info is None:
            return ()
        return tuple(c.address for c in self.info.connections if c.address)


@dataclass(frozen=True, slots=True)
class TargetLive:
    """Everything live on the target side at one moment (one pass)."""

    layout: tuple[TargetLayout, ...] = ()
    sessions: tuple[TargetSession, ...] = ()
    stats: dict[str, TargetStats] = field(default_factory=dict)
    luns: tuple[LunStats, ...] = ()
    backstores: dict[tuple[str, int, int], str | None] = field(default_factory=dict)
    mapped: dict[tuple[str, int, str], tuple[MappedLunStats, ...]] = field(default_factory=dict)
    acls_without_session: dict[tuple[str, int], int] = field(default_factory=dict)
