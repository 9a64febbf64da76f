"""What iscsiadm's answers become: frozen dataclasses, plain values.

Sessions, node and discovery records, a record's settings (passwords as
:class:`~sanctl.model.Secret`), CHAP credentials, login and logout results,
a finished call (:class:`Completed`) and the deadlines (:class:`Timeouts`).
No Textual, no I/O here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from sanctl.bounded import int_or_none, parse_int
from sanctl.model import MASK, Secret
from sanctl.names import InvalidValue, check_chap_secret, check_chap_user


def join_portal(address: str, port: int) -> str:
    return f"{address}:{port}"


def split_address_port(text: str) -> tuple[str, int]:
    address, _, port = text.rpartition(":")
    return address, parse_int(port)


class _OnPortal:
    """A record reached on a portal ("address:port" as iscsiadm prints it): its address and port apart."""

    __slots__ = ()
    portal: str

    @property
    def address(self) -> str:
        return split_address_port(self.portal)[0]

    @property
    def port(self) -> int:
        return split_address_port(self.portal)[1]


@dataclass(frozen=True, slots=True)
class DiscoveredTarget(_OnPortal):
    """One line of SendTargets discovery: a target reachable on a portal."""

    target: str
    portal: str  # "address:port" as iscsiadm prints it; IPv6 in brackets
    tpgt: int


@dataclass(frozen=True, slots=True)
class NodeRecord(_OnPortal):
    """A node record in open-iscsi's database: what ``login`` works on."""

    target: str
    portal: str
    tpgt: int
    iface: str = ""  # known from ``-m node -P 1``; the flat list does not say


@dataclass(frozen=True, slots=True)
class DiscoveryRecord:
    """A discovery record (``-m discoverydb``): a portal discovery was run against."""

    portal: str
    method: str  # "sendtargets", "isns", "static", "fw", "slp"


def is_secret_key(key: str) -> bool:
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
