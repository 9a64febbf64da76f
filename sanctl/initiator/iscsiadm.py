"""open-iscsi's ``iscsiadm``, wrapped so that it cannot surprise the operator.

- Every call is an argument list, never a shell, with ``LC_ALL=C``, started
  by the one :class:`~sanctl.host.runner.Runner` (which refuses writes on a
  read-only host before anything starts).
- Every value is checked with :mod:`sanctl.names` (or a rule here) before it
  reaches the command line, so an IQN, portal or setting can never be read as
  an option: ``--help`` or ``-o delete`` typed as a target name is refused
  before any process starts.
- Every call has a deadline (:class:`Timeouts`). iscsiadm can block for
  minutes (a login to a dead portal retries for ~120 s; a wedged iscsid never
  answers): when the deadline passes the process group is killed and
  :class:`IscsiadmTimeout` says so.
- Every failure is an :class:`IscsiadmError` carrying the exit code, a plain
  message, what to do (from :mod:`sanctl.initiator.exit_codes`) and
  iscsiadm's own words.
- Being already in the asked-for state is success: logging in when already
  logged in (exit 15), logging out or deleting when there is nothing (exit
  21), listing an empty database (exit 21).
- Rediscovery never resets an operator's per-node settings: discovery always
  runs with ``-o new`` (plus ``-o delete`` only when pruning is asked for).

The parsers are pure functions of iscsiadm's text (``parse_*``), tested on
outputs captured from a real kernel. Results are frozen dataclasses.
No Textual here: the initiator tab runs these calls in a worker thread.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from sanctl.bounded import OutsideDataError, int_or_none, parse_int
from sanctl.host.runner import Runner
from sanctl.initiator.exit_codes import explain
from sanctl.model import MASK, Secret
from sanctl.names import (
    InvalidValue,
    check_chap_secret,
    check_chap_user,
    check_iscsi_name,
    check_port,
    check_portal_address,
)

__all__ = [
    "Chap",
    "Completed",
    "Connection",
    "DiscoveredTarget",
    "DiscoveryRecord",
    "Disk",
    "Iface",
    "Iscsiadm",
    "IscsiadmError",
    "IscsiadmNotFound",
    "IscsiadmTimeout",
    "LoginFailed",
    "LoginResult",
    "LogoutResult",
    "NodeRecord",
    "NodeSettings",
    "Session",
    "SessionStats",
    "SessionSummary",
    "Timeouts",
    "chap_updates",
    "check_iface_name",
    "check_setting",
    "check_startup",
    "find_iscsiadm",
    "portal_arg",
]

PACKAGE_HINT = (
    "Install open-iscsi: apt install open-iscsi (Debian/Ubuntu), "
    "dnf install iscsi-initiator-utils (RHEL/Fedora), zypper install open-iscsi (SUSE)."
)
#: Where iscsiadm lives when PATH has no sbin (a non-root shell on Debian).
SBIN_DIRS = ("/usr/sbin", "/sbin", "/usr/local/sbin")
STARTUP_VALUES = ("manual", "automatic", "onboot")
EMPTY = "<empty>"


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------
class IscsiadmError(Exception):
    """iscsiadm failed, or could not be run; ``str()`` is the plain message.

    ``code`` is iscsiadm's exit status (``None`` when it did not exit by
    itself: not installed, or killed after its deadline); ``hint`` says what to
    do; ``stderr`` is iscsiadm's own complaint; ``command`` the command line
    with secrets masked.
    """

    def __init__(self, code: int | None, message: str, hint: str = "", stderr: str = "",
                 command: str = "", stdout: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint
        self.stderr = stderr
        self.stdout = stdout
        self.command = command

    @property
    def details(self) -> list[str]:
        """iscsiadm's stderr lines without the ``iscsiadm: `` prefix."""
        return [line.removeprefix("iscsiadm: ").strip() for line in self.stderr.splitlines() if line.strip()]

    def explain(self) -> str:
        """Message, hint and iscsiadm's own words, one per line (for a terminal or an error pane)."""
        lines = [self.message]
        if self.hint:
            lines.append(self.hint)
        lines.extend(f"iscsiadm: {line}" for line in self.details)
        return "\n".join(lines)


class LoginFailed(IscsiadmError):
    """A login failed on at least one portal. ``logged_in`` lists the portals it worked on
    (a multi-portal login goes on after a failure), ``failures`` each failed portal with its code."""

    logged_in: tuple[PortalLogin, ...] = ()
    failures: tuple[tuple[PortalLogin, int], ...] = ()


class IscsiadmNotFound(IscsiadmError):
    """The iscsiadm binary is not installed (or not where we looked)."""


class IscsiadmTimeout(IscsiadmError):
    """iscsiadm did not finish in time and was killed."""

    def __init__(self, seconds: float, hint: str, stderr: str = "", command: str = "", stdout: str = "") -> None:
        super().__init__(None, f"iscsiadm did not answer within {seconds:g} s and was stopped.", hint,
                         stderr, command, stdout)
        self.seconds = seconds


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------
def _join_portal(address: str, port: int) -> str:
    return f"{address}:{port}"


def _split_address_port(text: str) -> tuple[str, int]:
    address, _, port = text.rpartition(":")
    return address, parse_int(port)


@dataclass(frozen=True, slots=True)
class DiscoveredTarget:
    """One line of SendTargets discovery: a target reachable on a portal."""

    target: str
    portal: str  # "address:port" as iscsiadm prints it; IPv6 in brackets
    tpgt: int

    @property
    def address(self) -> str:
        return _split_address_port(self.portal)[0]

    @property
    def port(self) -> int:
        return _split_address_port(self.portal)[1]


@dataclass(frozen=True, slots=True)
class NodeRecord:
    """A node record in open-iscsi's database: what ``login`` works on."""

    target: str
    portal: str
    tpgt: int
    iface: str = ""  # known from ``-m node -P 1``; the flat list does not say

    @property
    def address(self) -> str:
        return _split_address_port(self.portal)[0]

    @property
    def port(self) -> int:
        return _split_address_port(self.portal)[1]


@dataclass(frozen=True, slots=True)
class DiscoveryRecord:
    """A discovery record (``-m discoverydb``): a portal discovery was run against."""

    portal: str
    method: str  # "sendtargets", "isns", "static", "fw", "slp"


def _is_secret_key(key: str) -> bool:
    return bool(re.search(r"(?:^|\.)password(?:_in)?$", key))


@dataclass(frozen=True, slots=True)
class NodeSettings:
    """Every key of one record (``-o show``) in iscsiadm's order.

    ``<empty>`` becomes ``""``. Passwords are :class:`~sanctl.model.Secret`;
    unless the record was read with ``reveal=True``, a set password is
    ``Secret("********")`` (iscsiadm masks it) — see :meth:`secret_is_hidden`.
    """

    settings: Mapping[str, str | Secret]
    version: str = ""

    def get(self, key: str, default: str = "") -> str | Secret:
        return self.settings.get(key, default)

    def text(self, key: str, default: str = "") -> str:
        return str(self.settings.get(key, default))

    @property
    def target(self) -> str:
        return self.text("node.name")

    @property
    def tpgt(self) -> int | None:
        value = self.text("node.tpgt")
        return int_or_none(value) if re.fullmatch(r"-?\d+", value) else None

    @property
    def portal(self) -> str:
        address, port = self.text("node.conn[0].address"), self.text("node.conn[0].port")
        if ":" in address and not address.startswith("["):
            address = f"[{address}]"
        return f"{address}:{port}" if address and port else ""

    @property
    def iface(self) -> str:
        return self.text("iface.iscsi_ifacename")

    @property
    def startup(self) -> str:
        return self.text("node.startup")

    @property
    def automatic(self) -> bool:
        """A "favourite": logged in at boot by iscsi.service / open-iscsi.service."""
        return self.startup in ("automatic", "onboot")

    @property
    def authmethod(self) -> str:
        return self.text("node.session.auth.authmethod")

    @property
    def chap(self) -> Chap | None:
        """The session CHAP settings, or None when authmethod is not CHAP."""
        if self.authmethod.upper() != "CHAP":
            return None
        password = self.settings.get("node.session.auth.password", Secret(""))
        password_in = self.settings.get("node.session.auth.password_in", Secret(""))
        return Chap(
            self.text("node.session.auth.username"),
            password if isinstance(password, Secret) else Secret(password),
            self.text("node.session.auth.username_in"),
            password_in if isinstance(password_in, Secret) else Secret(password_in),
            validate=False,
        )

    @staticmethod
    def secret_is_hidden(secret: Secret) -> bool:
        """True when iscsiadm printed ``********``: set, but its value was not read."""
        return secret.reveal() == MASK


@dataclass(frozen=True, slots=True)
class Chap:
    """CHAP credentials: one-way (``username``/``password``, the target's ACL userid/password)
    and, for mutual CHAP, ``username_in``/``password_in`` (the ACL's mutual userid/password)."""

    username: str
    password: Secret
    username_in: str = ""
    password_in: Secret = field(default_factory=lambda: Secret(""))
    validate: bool = field(default=True, compare=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("password", "password_in"):
            value = getattr(self, name)
            if not isinstance(value, Secret):
                object.__setattr__(self, name, Secret(value or ""))
        if not self.validate:
            return
        check_chap_user(self.username)
        check_chap_secret(self.password.reveal(), min_length=1)
        if self.username_in or self.password_in:
            if not (self.username_in and self.password_in):
                raise InvalidValue("Mutual CHAP needs both the target's user name and its secret.")
            check_chap_user(self.username_in)
            check_chap_secret(self.password_in.reveal(), min_length=1)
            if self.password_in.reveal() == self.password.reveal():
                raise InvalidValue("The mutual CHAP secret must differ from the initiator's secret "
                                   "(LIO and most targets refuse equal secrets).")

    @property
    def mutual(self) -> bool:
        return bool(self.username_in)


@dataclass(frozen=True, slots=True)
class Disk:
    """A SCSI device of a session (``scsiH Channel C Id I Lun: L``) and its block device."""

    host: int
    channel: int
    id: int
    lun: int
    device: str = ""  # "sdb"; "" for a LUN with no block device (not a disk)
    state: str = ""  # the SCSI device state: running, offline, blocked, transport-offline …

    @property
    def path(self) -> str:
        return f"/dev/{self.device}" if self.device else ""

    @property
    def hctl(self) -> str:
        return f"{self.host}:{self.channel}:{self.id}:{self.lun}"


@dataclass(frozen=True, slots=True)
class Connection:
    """A session's connection (open-iscsi runs one per session)."""

    current_portal: str
    persistent_portal: str
    ip_address: str  # this host's address
    state: str  # iscsid's connection state: LOGGED IN, TRANSPORT WAIT, IN LOGIN, FREE …


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """One line of ``iscsiadm -m session``."""

    transport: str
    sid: int
    portal: str
    tpgt: int
    target: str
    flash: bool = False


@dataclass(frozen=True, slots=True)
class Session:
    """One session of ``iscsiadm -m session -P 3``."""

    sid: int
    target: str
    portal: str  # the persistent portal, "address:port"
    tpgt: int | None
    iface: str
    transport: str
    initiator_name: str
    state: str  # the kernel's session state: LOGGED_IN, FAILED, FREE
    internal_state: str
    connections: tuple[Connection, ...]
    disks: tuple[Disk, ...]
    host_number: int | None = None
    host_state: str = ""
    timeouts: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    chap_username: str = ""
    chap_username_in: str = ""
    negotiated: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    flash: bool = False

    @property
    def connection_state(self) -> str:
        return self.connections[0].state if self.connections else ""

    @property
    def logged_in(self) -> bool:
        return self.state == "LOGGED_IN"


@dataclass(frozen=True, slots=True)
class SessionStats:
    """``iscsiadm -m session -r SID -s``: the SNMP counters and the transport's extras."""

    sid: int
    target: str
    portal: str
    counters: Mapping[str, int]
    extended: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class Iface:
    """One iface (``-m iface``): how sessions leave this host."""

    name: str
    transport: str
    hwaddress: str = ""
    ipaddress: str = ""
    netdev: str = ""
    initiator_name: str = ""


@dataclass(frozen=True, slots=True)
class PortalLogin:
    """A ``[iface: …, target: …, portal: …]`` tuple from login/logout output."""

    iface: str
    target: str
    portal: str  # "address:port"
    sid: int | None = None


@dataclass(frozen=True, slots=True)
class LoginResult:
    """What a login did. ``already`` when every asked-for session existed (exit 15)."""

    logged_in: tuple[PortalLogin, ...]
    already: bool = False
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LogoutResult:
    """What a logout did. ``already`` when there was nothing to log out of (exit 21)."""

    logged_out: tuple[PortalLogin, ...]
    already: bool = False


@dataclass(frozen=True, slots=True)
class Completed:
    """A finished iscsiadm call."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Deadlines in seconds: ``query`` for lists and shows, ``action`` for login, logout and
    updates, ``discovery`` for SendTargets.

    What iscsiadm 2.1.8 does by itself (tests/fixtures/initiator/): a refused
    port fails after ~5 s, a portal that never answers after ~30 s (discovery),
    a login to a dead portal or an unknown target name after ~120 s (15 s x 8
    retries). ``discovery`` is above 30 s so iscsiadm's own diagnosis arrives
    first; ``action`` cuts the 2-minute login retries short (and the pending
    login is cancelled)."""

    query: float = 10.0
    action: float = 30.0
    discovery: float = 45.0


# ---------------------------------------------------------------------------
# Validation of what goes on the command line
# ---------------------------------------------------------------------------
_HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                       r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$")
_IFACE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,63}$")
_SETTING_KEY = re.compile(r"^(?:node|iface|discovery)(?:\.[A-Za-z0-9_]+(?:\[\d+\])?)+$")


def _check_address(text: str) -> str:
    """An initiator-side portal address: IPv4, IPv6 (bracketed on output) or a host name."""
    raw = text.strip()
    if not raw:
        raise InvalidValue("A portal address is required, e.g. 192.168.1.10 or storage.example.com.")
    if raw.startswith("-"):
        raise InvalidValue(f"'{raw}' is not an address.")
    looks_ip = raw.startswith("[") or ":" in raw or re.fullmatch(r"[\d.]+", raw)
    if looks_ip:
        address = check_portal_address(raw)
        if address in ("0.0.0.0", "[::0]"):
            raise InvalidValue("0.0.0.0 and [::] mean 'every address' on a target; "
                               "give the address of the target to connect to.")
        return address
    if not _HOSTNAME.match(raw):
        raise InvalidValue(f"'{raw}' is neither an IP address nor a host name.")
    return raw.lower().rstrip(".")


def portal_arg(text: str, default_port: int = 3260) -> str:
    """``host[:port][,tpgt]``, ``[v6][:port][,tpgt]`` or a bare IPv6 address -> what ``-p`` takes.

    The result is ``address:port`` (IPv6 bracketed), with ``,tpgt`` kept when
    given (it picks one of two records that differ only in their TPG tag).
    """
    raw = text.strip()
    if raw.startswith("-"):
        raise InvalidValue(f"'{raw}' is not a portal: a portal is an address with an optional :port.")
    tpgt = ""
    match = re.search(r",(\d{1,5})$", raw)
    if match:
        tpgt, raw = match.group(1), raw[: match.start()]
    if raw.startswith("["):
        end = raw.find("]")
        if end < 0:
            raise InvalidValue("An IPv6 address in brackets needs its closing ']'.")
        address_text, rest = raw[: end + 1], raw[end + 1:]
        if rest and not rest.startswith(":"):
            raise InvalidValue(f"Unexpected text after the address: '{rest}'.")
        port = check_port(rest[1:]) if rest else default_port
    elif raw.count(":") == 1:
        address_text, port_text = raw.split(":")
        port = check_port(port_text)
    else:
        address_text, port = raw, default_port  # a bare IPv6 address or no port
    address = _check_address(address_text)
    portal = _join_portal(address, port)
    return f"{portal},{int(tpgt)}" if tpgt else portal


def check_iface_name(text: str) -> str:
    """An iface record name: ``default``, ``iser``, ``iface0``, ``bnx2i.00:11:22:33:44:55``."""
    name = text.strip()
    if not _IFACE.match(name):
        raise InvalidValue("An iface name uses letters, digits and _ . : - and does not start with '-'.")
    return name


def check_startup(text: str) -> str:
    value = text.strip().lower()
    if value not in STARTUP_VALUES:
        raise InvalidValue("node.startup is manual, automatic or onboot.")
    return value


def check_setting(key: str, value: str | Secret) -> tuple[str, str]:
    """A record key and its value, both safe for ``-n KEY -v VALUE``."""
    if not _SETTING_KEY.match(key):
        raise InvalidValue(f"'{key}' is not a record setting (node.…, iface.… or discovery.…).")
    text = value.reveal() if isinstance(value, Secret) else str(value)
    if any(c in text for c in "\n\r\0"):
        raise InvalidValue("A setting's value is one line.")
    if len(text) > 1024:
        raise InvalidValue("That value is too long for open-iscsi (1024 characters at most).")
    if key.endswith("startup") and key.startswith("node."):
        return key, check_startup(text)
    if key.endswith("auth.authmethod"):
        if text.upper() not in ("CHAP", "NONE"):
            raise InvalidValue("authmethod is CHAP or None.")
        return key, "CHAP" if text.upper() == "CHAP" else "None"
    if _is_secret_key(key):
        if text:
            check_chap_secret(text, min_length=1)
        return key, text  # getopt takes -v's argument verbatim, even one starting with '-'
    if key.endswith(("auth.username", "auth.username_in")):
        if text:
            check_chap_user(text)
        return key, text
    if text.startswith("-") and not re.fullmatch(r"-\d+", text):
        raise InvalidValue(f"A value for {key} cannot start with '-'.")
    return key, text


def chap_updates(prefix: str, username: str, password: Secret | str | None, username_in: str = "",
                 password_in: Secret | str | None = None) -> list[tuple[str, str]]:
    """``(key, value)`` updates for CHAP under ``prefix`` (``node.session.auth``,
    ``discovery.sendtargets.auth``), every value checked; a ``None`` secret is left out (kept as it is).

    The rules of :mod:`sanctl.names` apply (user names without whitespace, secrets without whitespace);
    a mutual secret equal to the initiator's is refused, as LIO refuses it.
    """
    def text(value: Secret | str | None) -> str | None:
        return value.reveal() if isinstance(value, Secret) else value

    secret, secret_in = text(password), text(password_in)
    check_chap_user(username)
    if secret is not None:
        check_chap_secret(secret, min_length=1)
    updates = [(f"{prefix}.authmethod", "CHAP"), (f"{prefix}.username", username)]
    if secret is not None:
        updates.append((f"{prefix}.password", secret))
    if username_in:
        check_chap_user(username_in)
        if secret_in is not None:
            check_chap_secret(secret_in, min_length=1)
            if secret is not None and secret_in == secret:
                raise InvalidValue("The mutual CHAP secret must differ from the initiator's secret "
                                   "(LIO and most targets refuse equal secrets).")
        updates.append((f"{prefix}.username_in", username_in))
        if secret_in is not None:
            updates.append((f"{prefix}.password_in", secret_in))
    else:
        if secret_in:
            raise InvalidValue("A mutual CHAP secret needs the target's user name too.")
        updates += [(f"{prefix}.username_in", ""), (f"{prefix}.password_in", "")]
    return [check_setting(k, v) for k, v in updates]


def _sid(value: int | str) -> str:
    text = str(value).strip()
    if not re.fullmatch(r"\d{1,9}", text) or int(text) < 1:
        raise InvalidValue(f"'{value}' is not a session id (a positive number).")
    return str(int(text))


def _mask_command(args: Sequence[str]) -> str:
    shown: list[str] = []
    secret_next = False
    for index, arg in enumerate(args):
        if secret_next:
            shown.append(MASK if arg else "''")
            secret_next = False
            continue
        shown.append(arg)
        if arg == "-v" and index >= 2 and args[index - 2] == "-n" and _is_secret_key(args[index - 1]):
            secret_next = True
    return "iscsiadm " + " ".join(shown)


# ---------------------------------------------------------------------------
# Parsers: pure functions of iscsiadm's text
# ---------------------------------------------------------------------------
_PORTAL_TARGET = re.compile(r"^(\[[^\]]+\]|[^\s\[\]]+):(\d+),(-?\d+) (\S+)$")
_SESSION_LINE = re.compile(r"^(\S+): \[(\d+)\] (\[[^\]]+\]|[^\s\[\]]+):(-?\d+),(-?\d+) (\S+) \((flash|non-flash)\)$")
_PORTAL_TPGT = re.compile(r"^(\[[^\]]+\]|[^\s\[\]]+):(-?\d+),(-?\d+)$")
_BRACKET_TUPLE = re.compile(r"\[(?:sid: (\d+), )?(?:iface: ([^,\]]+), )?target: ([^,\]]+), portal: ([^\]]+)\]")


def _portal_from_print(address: str, port: str) -> str:
    # iscsiadm brackets by "has no '.'", so an IPv6 address with an embedded
    # dot-quad comes unbracketed: bracket any address with a colon.
    if ":" in address and not address.startswith("["):
        address = f"[{address}]"
    return f"{address}:{parse_int(port)}"


def parse_discovery(text: str) -> list[DiscoveredTarget]:
    """SendTargets discovery output (also ``-m node``'s flat list): ``addr:port,tpgt target``.

    Lines that are not records (warnings, "Could not add/update …") are skipped.
    Duplicates (LIO advertises a wildcard portal as the address discovery came
    in on) are kept once, in order.
    """
    found: list[DiscoveredTarget] = []
    seen: set[DiscoveredTarget] = set()
    for line in text.splitlines():
        match = _PORTAL_TARGET.match(line.strip())
        if not match:
            continue
        address, port, tpgt, target = match.groups()
        try:
            item = DiscoveredTarget(target, _portal_from_print(address, port), parse_int(tpgt))
        except OutsideDataError:  # a number no iscsiadm prints: not a record
            continue
        if item not in seen:
            seen.add(item)
            found.append(item)
    return found


def parse_nodes(text: str) -> list[NodeRecord]:
    """``-m node`` (flat: ``addr:port,tpgt target``) or ``-m node -P 1`` (tree with ifaces)."""
    if re.search(r"^Target: ", text, re.M):
        records: list[NodeRecord] = []
        target = portal = ""
        tpgt = 0
        for raw in text.splitlines():
            line = raw.strip()
            if line.startswith("Target: "):
                target = line.split(": ", 1)[1].split()[0]
            elif line.startswith("Portal: "):
                match = _PORTAL_TPGT.match(line.split(": ", 1)[1].strip())
                if match:
                    try:
                        portal, tpgt = _portal_from_print(match.group(1), match.group(2)), parse_int(match.group(3))
                    except OutsideDataError:
                        portal = ""
            elif line.startswith("Iface Name: ") and target and portal:
                records.append(NodeRecord(target, portal, tpgt, line.split(": ", 1)[1].strip()))
        return records
    return [NodeRecord(d.target, d.portal, d.tpgt) for d in parse_discovery(text)]


def parse_records(text: str) -> list[NodeSettings]:
    """``-o show`` output: one :class:`NodeSettings` per ``# BEGIN RECORD`` … ``# END RECORD`` block.

    Text without BEGIN/END lines (some versions, ``iface`` records) is one record.
    """
    blocks: list[tuple[str, list[str]]] = []
    current: list[str] | None = None
    version = ""
    for line in text.splitlines():
        if line.startswith("# BEGIN RECORD"):
            version = line.removeprefix("# BEGIN RECORD").strip()
            current = []
            blocks.append((version, current))
        elif line.startswith("# END RECORD"):
            current = None
        elif " = " in line:
            if current is None:
                current = []
                blocks.append(("", current))
            current.append(line)
    result = []
    for version, lines in blocks:
        settings: dict[str, str | Secret] = {}
        for line in lines:
            key, _, value = line.partition(" = ")
            key, value = key.strip(), value.strip()
            if value == EMPTY:
                value = ""
            settings[key] = Secret(value) if _is_secret_key(key) else value
        result.append(NodeSettings(MappingProxyType(settings), version))
    return result


def parse_discoverydb(text: str) -> list[DiscoveryRecord]:
    """``-m discoverydb`` list: ``addr:port via sendtargets``."""
    records = []
    for line in text.splitlines():
        match = re.match(r"^(\[[^\]]+\]|[^\s\[\]]+):(\d+) via (\S+)$", line.strip())
        if match:
            try:
                records.append(DiscoveryRecord(_portal_from_print(match.group(1), match.group(2)), match.group(3)))
            except OutsideDataError:
                continue
    return records


def parse_sessions(text: str) -> list[SessionSummary]:
    """``-m session``: ``tcp: [1] 127.0.0.1:3260,1 iqn… (non-flash)``."""
    sessions = []
    for line in text.splitlines():
        match = _SESSION_LINE.match(line.strip())
        if match:
            transport, sid, address, port, tpgt, target, flash = match.groups()
            try:
                sessions.append(SessionSummary(transport, parse_int(sid), _portal_from_print(address, port),
                                               parse_int(tpgt), target, flash == "flash"))
            except OutsideDataError:
                continue
    return sessions


_SECTION_HEADERS = {"Interface:", "Timeouts:", "CHAP:", "Negotiated iSCSI params:", "Attached SCSI devices:"}


def parse_session_details(text: str) -> list[Session]:
    """``-m session -P 3`` (also ``-P 1``/``-P 2``): sessions -> connection -> SCSI devices.

    Handles open-iscsi's quirks: sessions to one target share its ``Target:``
    line; a session on the same portal as the one before prints a blank line
    instead of the portal lines; "Host Number … State" is one tab-joined line;
    a LUN with no block device has no "Attached scsi disk" line.
    """
    sessions: list[Session] = []
    target = ""
    flash = False
    current_portal = persistent_portal = ""
    info: dict | None = None

    def finish() -> None:
        try:
            add()
        except OutsideDataError:  # a session whose numbers no iscsiadm prints: left out
            pass

    def add() -> None:
        if info is None:
            return
        portal_match = _PORTAL_TPGT.match(info["persistent"] or info["current"])
        portal, tpgt = ("", None)
        if portal_match:
            portal = _portal_from_print(portal_match.group(1), portal_match.group(2))
            tpgt = parse_int(portal_match.group(3))
        current_match = _PORTAL_TPGT.match(info["current"])
        current = _portal_from_print(current_match.group(1), current_match.group(2)) if current_match else ""
        fields = info["fields"]
        connection = Connection(current, portal, fields.get("Iface IPaddress", ""),
                                fields.get("iSCSI Connection State", ""))
        sessions.append(Session(
            sid=parse_int(fields.get("SID", "0") or "0"),
            target=info["target"],
            portal=portal,
            tpgt=tpgt,
            iface=fields.get("Iface Name", ""),
            transport=fields.get("Iface Transport", ""),
            initiator_name=fields.get("Iface Initiatorname", ""),
            state=fields.get("iSCSI Session State", ""),
            internal_state=fields.get("Internal iscsid Session State", ""),
            connections=(connection,),
            disks=tuple(info["disks"]),
            host_number=info["host"],
            host_state=info["host_state"],
            timeouts=MappingProxyType(dict(info["sections"].get("Timeouts:", {}))),
            chap_username=info["sections"].get("CHAP:", {}).get("username", ""),
            chap_username_in=info["sections"].get("CHAP:", {}).get("username_in", ""),
            negotiated=MappingProxyType(dict(info["sections"].get("Negotiated iSCSI params:", {}))),
            flash=info["flash"],
        ))

    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or set(line) == {"*"}:
            continue
        if raw.startswith("Target: "):
            finish()
            info = None
            rest = raw.removeprefix("Target: ").strip()
            target = rest.split()[0]
            flash = rest.endswith("(flash)")
            current_portal = persistent_portal = ""
            continue
        if line.startswith("Current Portal: "):
            if info is not None:
                finish()
                info = None
            current_portal = line.split(": ", 1)[1].strip()
            continue
        if line.startswith("Persistent Portal: "):
            persistent_portal = line.split(": ", 1)[1].strip()
            continue
        if line in _SECTION_HEADERS:
            section = line
            if line == "Interface:":
                finish()
                info = {"target": target, "flash": flash, "current": current_portal,
                        "persistent": persistent_portal, "fields": {}, "sections": {}, "disks": [],
                        "host": None, "host_state": ""}
            continue
        if info is None:
            continue  # the "iSCSI Transport Class version" / "version" header
        host = re.match(r"^Host Number: (\d+)\s+State: (.*)$", line)
        if host:
            info["host"], info["host_state"] = int_or_none(host.group(1)), host.group(2).strip()
            continue
        lun = re.match(r"^scsi(\d+) Channel (\d+) Id (\d+) Lun: (\d+)$", line)
        if lun:
            numbers = [int_or_none(g) for g in lun.groups()]
            if None not in numbers:
                info["disks"].append(Disk(*numbers))
            continue
        disk = re.match(r"^Attached scsi disk (\S+)\s+State: (.*)$", line)
        if disk and info["disks"]:
            last = info["disks"][-1]
            info["disks"][-1] = Disk(last.host, last.channel, last.id, last.lun, disk.group(1),
                                     disk.group(2).strip())
            continue
        key, sep, value = line.partition(": ")
        if not sep:
            key, value = line.rstrip(":"), ""
        value = "" if value.strip() == EMPTY else value.strip()
        if section == "Interface:" or key in ("SID",):
            info["fields"].setdefault(key, value)
        else:
            info["sections"].setdefault(section, {})[key] = value
    finish()
    return sessions


def parse_stats(text: str) -> SessionStats:
    """``-m session -r SID -s``."""
    header = re.search(r"Stats for session \[sid: (\d+), target: ([^,\]]+), portal: ([^\]]+)\]", text)
    sid, target, portal = 0, "", ""
    if header:
        sid, target = int_or_none(header.group(1)) or 0, header.group(2).strip()
        address, _, port = header.group(3).strip().rpartition(",")
        portal = header.group(3).strip()
        if int_or_none(port) is not None:
            portal = _portal_from_print(address, port)
    counters: dict[str, int] = {}
    extended: dict[str, int] = {}
    into = counters
    for line in text.splitlines():
        if line.startswith("iSCSI Extended"):
            into = extended
        elif line.startswith("iSCSI SNMP"):
            into = counters
        match = re.match(r"^\s+(\w+): (\d+)\s*$", line)
        if match and int_or_none(match.group(2)) is not None:
            into[match.group(1)] = parse_int(match.group(2))
    return SessionStats(sid, target, portal, MappingProxyType(counters), MappingProxyType(extended))


def parse_ifaces(text: str) -> list[Iface]:
    """``-m iface``: ``name transport,hwaddress,ipaddress,netdev,initiatorname``."""
    ifaces = []
    for line in text.splitlines():
        name, sep, rest = line.strip().partition(" ")
        if not sep or "," not in rest:
            continue
        parts = [("" if p == EMPTY else p) for p in rest.split(",")]
        parts += [""] * (5 - len(parts))
        ifaces.append(Iface(name, *parts[:5]))
    return ifaces


def parse_portal_tuples(text: str, verb: str) -> list[PortalLogin]:
    """The ``[iface: …, target: …, portal: addr,port]`` tuples of lines starting with ``verb``
    ("Login to", "Logout of", "Logging in to" …). Portals come back as ``address:port``."""
    found = []
    for line in text.splitlines():
        line = line.strip().removeprefix("iscsiadm: ")
        if not line.startswith(verb):
            continue
        match = _BRACKET_TUPLE.search(line)
        if not match:
            continue
        sid, iface, target, portal = match.groups()
        address, _, port = portal.strip().rpartition(",")
        found.append(PortalLogin((iface or "").strip(), target.strip(),
                                 _portal_from_print(address, port) if int_or_none(port) is not None
                                 else portal.strip(),
                                 int_or_none(sid) if sid else None))
    return found


_LOGIN_FAILED = re.compile(r"Could not login to \[iface: ([^,\]]+), target: ([^,\]]+), portal: ([^\]]+)\]")
_REPORTED = re.compile(r"initiator reported error \((\d+) - ")


def parse_login_failures(stderr: str) -> list[tuple[PortalLogin, int]]:
    """Each ``Could not login to [iface, target, portal]`` with the code of the
    ``initiator reported error (N - …)`` line that follows it."""
    failures: list[tuple[PortalLogin, int]] = []
    pending: PortalLogin | None = None
    for line in stderr.splitlines():
        failed = _LOGIN_FAILED.search(line)
        if failed:
            if pending is not None:
                failures.append((pending, 1))
            address, _, port = failed.group(3).strip().rpartition(",")
            portal = (_portal_from_print(address, port) if int_or_none(port) is not None
                      else failed.group(3).strip())
            pending = PortalLogin(failed.group(1).strip(), failed.group(2).strip(), portal)
            continue
        reported = _REPORTED.search(line)
        if reported and pending is not None:
            failures.append((pending, int_or_none(reported.group(1)) or 1))
            pending = None
    if pending is not None:
        failures.append((pending, 1))
    return failures


# ---------------------------------------------------------------------------
# Running iscsiadm
# ---------------------------------------------------------------------------
def find_iscsiadm(path: str | None = None) -> str:
    """The iscsiadm binary: on PATH, else in the usual sbin directories; else IscsiadmNotFound."""
    search = path if path is not None else os.environ.get("PATH", os.defpath)
    found = shutil.which("iscsiadm", path=search)
    if not found:
        found = shutil.which("iscsiadm", path=os.pathsep.join(SBIN_DIRS))
    if not found:
        raise IscsiadmNotFound(None, "iscsiadm, open-iscsi's command, is not installed.", PACKAGE_HINT)
    return found


_TIMEOUT_HINTS = {
    "discovery": ("The portal may be unreachable or a firewall may be dropping TCP port 3260 "
                  "(a refused port fails at once; a dropped one hangs). Check the address and the network. "
                  "A stuck iscsid hangs too: systemctl status iscsid."),
    "login": ("The portal may be unreachable or a firewall may be dropping TCP port 3260; iscsid retries a "
              "login for about 2 minutes. The pending login was cancelled."),
    "logout": "iscsid may be stuck: check systemctl status iscsid and its log.",
}
_WRITE_LOCK = threading.Lock()
_QUERY_OPERATIONS = frozenset({"query", "node", "session", "discoverydb", "iface", "stats"})
_QUERY_TIMEOUT_HINT = ("iscsid may be stuck, or another iscsiadm holds the node database lock (/run/lock/iscsi): "
                       "check systemctl status iscsid.")


class Iscsiadm:
    """The operations of the initiator tab and the ``discover``/``login``/``logout`` commands.

    ``binary`` defaults to iscsiadm found on PATH (then /usr/sbin, /sbin) at the
    first call. Calls are blocking: run them in a worker thread. Calls that
    change something run one at a time (a process-wide lock); queries do not wait.
    """

    def __init__(self, binary: str | None = None, *, timeouts: Timeouts | None = None,
                 env: Mapping[str, str] | None = None, runner: Runner | None = None) -> None:
        self._binary = binary
        self.timeouts = timeouts or Timeouts()
        self._env = dict(env) if env is not None else None
        #: Starts iscsiadm; ``env`` (when given) replaces the process environment under it.
        self.runner = runner if runner is not None else Runner(env=env)

    # --- plumbing ----------------------------------------------------------
    @property
    def binary(self) -> str:
        if self._binary is None:
            path = (self._env or os.environ).get("PATH")
            self._binary = find_iscsiadm(path)
        return self._binary

    def run(self, args: Sequence[str], *, timeout: float | None = None, operation: str = "query",
            ok: Iterable[int] | None = (0,)) -> Completed:
        """Run ``iscsiadm ARGS``; return it when its exit code is in ``ok`` (any code when ``ok`` is
        None), else raise IscsiadmError."""
        for arg in args:
            if "\0" in arg or "\n" in arg:
                raise InvalidValue("A command line argument cannot contain a newline or NUL.")
        argv = [self.binary, *args]
        if timeout is not None:
            deadline = timeout
        elif operation in _QUERY_OPERATIONS:
            deadline = self.timeouts.query
        elif operation == "discovery":
            deadline = self.timeouts.discovery
        else:
            deadline = self.timeouts.action
        command = _mask_command(list(args))
        if operation in _QUERY_OPERATIONS:
            return self._finish(argv, args, deadline, operation, command, ok)
        with _WRITE_LOCK:  # one writer at a time: iscsiadm's node-DB lock would make the second one wait
            return self._finish(argv, args, deadline, operation, command, ok)

    def _finish(self, argv: list[str], args: Sequence[str], deadline: float,
                operation: str, command: str, ok: Iterable[int] | None) -> Completed:
        result = self.runner.run(argv, timeout=deadline, write=operation not in _QUERY_OPERATIONS)
        if result.refused:
            raise IscsiadmError(None, result.refused, command=command)
        if result.missing:
            raise IscsiadmNotFound(None, f"{self.binary} is not there any more.", PACKAGE_HINT, command=command)
        if result.denied:
            raise IscsiadmError(None, f"{self.binary} cannot be run: permission denied.",
                                "Run sanctl as root for initiator changes.", command=command)
        if result.error:
            raise IscsiadmError(None, f"{self.binary} cannot be run: {result.error}.", command=command)
        if result.timed_out:
            hint = _TIMEOUT_HINTS.get(operation, _QUERY_TIMEOUT_HINT)
            raise IscsiadmTimeout(deadline, hint, result.stderr, command, result.stdout)
        assert result.rc is not None
        done = Completed(tuple(args), result.rc, result.stdout, result.stderr, result.seconds)
        if ok is None or done.returncode in set(ok):
            return done
        raise self._error(done, operation, command)

    @staticmethod
    def _error(done: Completed, operation: str, command: str = "", code: int | None = None,
               cls: type[IscsiadmError] = IscsiadmError) -> IscsiadmError:
        code = done.returncode if code is None else code
        command = command or _mask_command(done.args)
        if code < 0:
            return cls(code, f"iscsiadm was killed by signal {-code}.", "", done.stderr, command, done.stdout)
        entry = explain(code, operation, done.stderr)
        return cls(code, entry.message, entry.hint, done.stderr, command, done.stdout)

    # --- discovery -----------------------------------------------------------
    def discover(self, portal: str, *, iface: str | None = None, chap: Chap | None = None,
                 reset_auth: bool = False, prune: bool = False) -> list[DiscoveredTarget]:
        """SendTargets discovery against ``portal`` (``host[:port]``).

        Node records are added for new portals only (``-o new``): an operator's
        per-node settings (startup, CHAP) survive rediscovery. ``prune`` also
        drops records of portals the target no longer returns (``-o delete``).
        ``chap`` sets discovery CHAP (and mutual CHAP) in the discovery record
        first; ``reset_auth`` turns discovery CHAP off; neither keeps what the
        record has. Exit 21 (the target offers nothing to this initiator) is an
        error: the operator expected targets.
        """
        p = portal_arg(portal)
        if "," in p:
            raise InvalidValue("A discovery portal is an address and port, without a TPG tag.")
        base = ["-m", "discoverydb", "-t", "sendtargets", "-p", p]
        if iface:
            base += ["-I", check_iface_name(iface)]
        if chap is not None or reset_auth:
            known = {r.portal for r in self.discovery_records() if r.method == "sendtargets"}
            if p not in known:
                self.run([*base, "-o", "new"], operation="discovery")
            for key, value in self._auth_updates("discovery.sendtargets.auth", chap):
                self.run([*base, "-o", "update", "-n", key, "-v", value], operation="update")
        ops = ["-o", "new"] + (["-o", "delete"] if prune else [])
        done = self.run([*base, "--discover", *ops], operation="discovery")
        return parse_discovery(done.stdout)

    def discover_isns(self, server: str, *, iface: str | None = None) -> list[DiscoveredTarget]:
        """iSNS discovery: ask the iSNS server at ``server`` (``host[:port]``, port 3205 by default)
        for the targets registered there. As :meth:`discover`, new node records only (``-o new``)."""
        p = portal_arg(server, default_port=3205)
        if "," in p:
            raise InvalidValue("An iSNS server is an address and port, without a TPG tag.")
        base = ["-m", "discoverydb", "-t", "isns", "-p", p]
        if iface:
            base += ["-I", check_iface_name(iface)]
        done = self.run([*base, "--discover", "-o", "new"], operation="discovery")
        return parse_discovery(done.stdout)

    def new_node(self, target: str, portal: str, *, iface: str | None = None) -> None:
        """A node record made by hand (``-m node -o new``) for a target discovery does not list
        (a target with demo_mode_discovery=0, a portal behind NAT): a static record with TPG tag -1,
        iscsid.conf's defaults, logged in to as any other. ``-o new`` would write an existing record over
        with the defaults, so one that exists (for this target and portal) is refused instead."""
        p = portal_arg(portal)
        if "," in p:
            raise InvalidValue("Give the portal as address[:port]; open-iscsi finds the TPG tag at login.")
        args = self._node_args(target, p, iface)
        if any(n.target == target and n.portal == p for n in self.nodes()):
            raise InvalidValue(f"A node record of {target} at {p} exists already; its settings stay as they are "
                               "(change them on the record).")
        self.run([*args, "-o", "new"], operation="update")

    def discover_offered(self, portal: str) -> list[DiscoveredTarget]:
        """:meth:`discover`, where exit 21 (nothing offered to this initiator) is an empty answer:
        for callers that then look for a target of their own and say what is missing."""
        try:
            return self.discover(portal)
        except IscsiadmError as exc:
            if exc.code != 21:
                raise
            return []

    @staticmethod
    def _auth_updates(prefix: str, chap: Chap | None) -> list[tuple[str, str]]:
        if chap is None:
            # Off, and the credentials cleared: authmethod=None with a user and
            # password left set still tries CHAP (open-iscsi#438).
            return [(f"{prefix}.authmethod", "None"), (f"{prefix}.username", ""), (f"{prefix}.password", ""),
                    (f"{prefix}.username_in", ""), (f"{prefix}.password_in", "")]
        updates = [(f"{prefix}.authmethod", "CHAP"), (f"{prefix}.username", chap.username),
                   (f"{prefix}.password", chap.password.reveal()),
                   (f"{prefix}.username_in", chap.username_in), (f"{prefix}.password_in", chap.password_in.reveal())]
        return [check_setting(k, v) for k, v in updates]

    def discovery_records(self) -> list[DiscoveryRecord]:
        """The discovery records (``-m discoverydb``); none is an empty list."""
        done = self.run(["-m", "discoverydb"], operation="discoverydb", ok=(0, 21))
        return parse_discoverydb(done.stdout)

    def discovery_settings(self, portal: str) -> NodeSettings:
        """All keys of one SendTargets discovery record."""
        done = self.run(["-m", "discoverydb", "-t", "sendtargets", "-p", portal_arg(portal), "-o", "show"],
                        operation="discoverydb")
        records = parse_records(done.stdout)
        return records[0] if records else NodeSettings(MappingProxyType({}))

    def delete_discovery_record(self, portal: str) -> bool:
        """Delete a SendTargets discovery record; False when there was none."""
        done = self.run(["-m", "discoverydb", "-t", "sendtargets", "-p", portal_arg(portal), "-o", "delete"],
                        operation="delete", ok=None)
        if done.returncode == 0:
            return True
        if done.returncode == 21 or (done.returncode == 6 and "not found" in done.stderr):
            return False
        raise self._error(done, "delete")

    # --- node records ------------------------------------------------------
    def nodes(self, *, with_ifaces: bool = False) -> list[NodeRecord]:
        """The node records; none is an empty list. ``with_ifaces`` reads ``-P 1`` to name each iface."""
        args = ["-m", "node"] + (["-P", "1"] if with_ifaces else [])
        return parse_nodes(self.run(args, operation="node", ok=(0, 21)).stdout)

    def _node_args(self, target: str, portal: str | None, iface: str | None = None) -> list[str]:
        args = ["-m", "node", "-T", check_iscsi_name(target)]
        if portal is not None:
            args += ["-p", portal_arg(portal)]
        if iface:
            args += ["-I", check_iface_name(iface)]
        return args

    def node_settings(self, target: str, portal: str, *, iface: str | None = None,
                      reveal: bool = False) -> list[NodeSettings]:
        """Every key of the record(s) of ``target`` on ``portal`` (one per iface).

        ``reveal`` reads the CHAP passwords too (``--show``, root only); they
        stay :class:`~sanctl.model.Secret` either way.
        """
        args = [*self._node_args(target, portal, iface), "-o", "show"] + (["--show"] if reveal else [])
        return parse_records(self.run(args, operation="update").stdout)

    def update_node(self, target: str, portal: str | None, key: str, value: str | Secret, *,
                    iface: str | None = None) -> None:
        """Set one key of a node record (or of every record of ``target`` when portal is None).
        A logged-in session keeps its settings until it logs in again."""
        base = self._node_args(target, portal, iface)
        key, text = check_setting(key, value)
        self.run([*base, "-o", "update", "-n", key, "-v", text], operation="update")

    def set_startup(self, target: str, portal: str | None, startup: str, *, iface: str | None = None) -> None:
        """node.startup: ``automatic`` (a favourite: logged in at boot), ``manual`` or ``onboot``."""
        value = check_startup(startup)
        base = self._node_args(target, portal, iface)
        self.run([*base, "-o", "update", "-n", "node.startup", "-v", value], operation="update")
        # The connection's own startup follows, as iscsiadm's -o update of node.startup
        # does not change node.conn[0].startup on every version.
        self.run([*base, "-o", "update", "-n", "node.conn[0].startup", "-v", value], operation="update")

    def set_favourite(self, target: str, portal: str | None, favourite: bool, *, iface: str | None = None) -> None:
        """The "favourite" toggle: automatic login at boot on or off."""
        self.set_startup(target, portal, "automatic" if favourite else "manual", iface=iface)

    def set_session_auth(self, target: str, portal: str | None, chap: Chap | None, *,
                         iface: str | None = None) -> None:
        """Session CHAP for a node: ``chap`` (one-way or mutual), or None for no authentication
        (which also clears the user names and passwords)."""
        base = self._node_args(target, portal, iface)
        for key, value in self._auth_updates("node.session.auth", chap):
            self.run([*base, "-o", "update", "-n", key, "-v", value], operation="update")

    def set_session_chap(self, target: str, portal: str | None, username: str, password: Secret | str | None = None,
                         username_in: str = "", password_in: Secret | str | None = None, *,
                         iface: str | None = None) -> None:
        """Session CHAP (mutual when ``username_in`` is given) that can keep a secret already in the record:
        a ``None`` password or password_in is left as it is (the tab's "leave empty to keep").
        An empty ``username_in`` turns mutual CHAP off (its user and secret cleared)."""
        base = self._node_args(target, portal, iface)
        for key, value in chap_updates("node.session.auth", username, password, username_in, password_in):
            self.run([*base, "-o", "update", "-n", key, "-v", value], operation="update")

    def delete_node(self, target: str, portal: str | None = None, *, iface: str | None = None) -> bool:
        """Delete a node record (all of ``target``'s when portal is None); False when there was none.
        Log out first: deleting a logged-in node leaves its session running."""
        done = self.run([*self._node_args(target, portal, iface), "-o", "delete"], operation="delete", ok=(0, 21))
        return done.returncode == 0  # 15: a session uses it -> IscsiadmError "log out first"

    # --- login / logout -------------------------------------------------------
    def login(self, target: str, portal: str | None = None, *, iface: str | None = None,
              cancel_on_timeout: bool = True) -> LoginResult:
        """Log in to ``target`` on ``portal`` (every portal of its records when None).

        Already logged in (exit 15) is success with ``already=True``. When the
        deadline passes, the pending login iscsid keeps retrying is cancelled
        (a logout of that node) unless ``cancel_on_timeout`` is False.
        """
        args = self._node_args(target, portal, iface)
        try:
            done = self.run([*args, "--login"], operation="login", ok=None)
        except IscsiadmTimeout:
            if cancel_on_timeout:
                try:
                    self.run([*args, "--logout"], operation="logout", timeout=self.timeouts.query, ok=None)
                except IscsiadmError:
                    pass
            raise
        return self._login_result(done)

    def login_all(self, which: str = "all") -> LoginResult:
        """``--loginall``: every node record (``all``) or those whose startup is
        ``automatic``/``manual``/``onboot``. No records at all is an error (run discovery)."""
        if which not in ("all", *STARTUP_VALUES):
            raise InvalidValue("Log in to all, automatic, manual or onboot records.")
        done = self.run(["-m", "node", f"--loginall={which}"], operation="login", ok=None)
        return self._login_result(done)

    def _login_result(self, done: Completed) -> LoginResult:
        """Success, already logged in, or a :class:`LoginFailed` naming the portals that failed.

        The exit code alone cannot say: it is the *first* error of a
        multi-record login, so 15 ("already") can hide a 24 on another record.
        """
        logged_in = tuple(parse_portal_tuples(done.stdout, "Login to"))
        failures = parse_login_failures(done.stderr)
        real = [(p, c) for p, c in failures if c != 15]
        if done.returncode in (0, 15) and not real:
            warnings = tuple(line.removeprefix("iscsiadm: ").strip() for line in done.stderr.splitlines()
                             if line.strip() and "Could not log" not in line)
            return LoginResult(logged_in, already=not logged_in and (done.returncode == 15 or bool(failures)),
                               warnings=warnings)
        code = real[0][1] if real else done.returncode
        error = self._error(done, "login", code=code, cls=LoginFailed)
        assert isinstance(error, LoginFailed)  # for the type checker
        error.logged_in = logged_in
        error.failures = tuple(failures)
        if logged_in:
            error.message = f"Logged in on {len(logged_in)} of {len(logged_in) + len(real)} portals. {error.message}"
            error.args = (error.message,)
        raise error

    def logout(self, target: str, portal: str | None = None, *, iface: str | None = None) -> LogoutResult:
        """Log out of ``target`` on ``portal`` (every portal when None). Not logged in is success."""
        done = self.run([*self._node_args(target, portal, iface), "--logout"], operation="logout", ok=(0, 21))
        return LogoutResult(tuple(parse_portal_tuples(done.stdout, "Logout of")), done.returncode == 21)

    def logout_session(self, sid: int) -> LogoutResult:
        done = self.run(["-m", "session", "-r", _sid(sid), "--logout"], operation="logout", ok=(0, 21))
        return LogoutResult(tuple(parse_portal_tuples(done.stdout, "Logout of")), done.returncode == 21)

    def logout_all(self) -> LogoutResult:
        """Every session, whether or not it has a node record. Dangerous: confirm first."""
        done = self.run(["-m", "session", "--logout"], operation="logout", ok=(0, 21))
        return LogoutResult(tuple(parse_portal_tuples(done.stdout, "Logout of")), done.returncode == 21)

    # --- sessions ------------------------------------------------------------
    def sessions(self) -> list[SessionSummary]:
        """``-m session``; no sessions is an empty list."""
        return parse_sessions(self.run(["-m", "session"], operation="session", ok=(0, 21)).stdout)

    def session_details(self, sid: int | None = None) -> list[Session]:
        """``-m session -P 3`` (one session with ``sid``): connections and disks. Round-trips
        to iscsid, so it hangs with a wedged iscsid: prefer sysfs for a live table."""
        args = ["-m", "session"] + (["-r", _sid(sid)] if sid is not None else []) + ["-P", "3"]
        return parse_session_details(self.run(args, operation="session", ok=(0, 21)).stdout)

    def rescan(self, sid: int | None = None) -> list[PortalLogin]:
        """Rescan one session's LUNs (all sessions when None): new LUNs appear as disks."""
        args = ["-m", "session"] + (["-r", _sid(sid)] if sid is not None else []) + ["--rescan"]
        done = self.run(args, operation="rescan", timeout=self.timeouts.action)
        return parse_portal_tuples(done.stdout, "Rescanning session")

    def session_stats(self, sid: int) -> SessionStats:
        return parse_stats(self.run(["-m", "session", "-r", _sid(sid), "-s"], operation="stats").stdout)

    # --- ifaces and version ---------------------------------------------------
    def ifaces(self) -> list[Iface]:
        return parse_ifaces(self.run(["-m", "iface"], operation="iface", ok=(0, 21)).stdout)

    def version(self) -> str:
        """``iscsiadm version 2.1.8`` -> ``2.1.8``."""
        out = self.run(["--version"]).stdout.strip()
        return out.rsplit(" ", 1)[-1] if out else ""

