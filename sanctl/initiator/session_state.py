"""The open-iscsi initiator's live state as plain values: sessions, their connections and disks, the hosts.

:mod:`sanctl.initiator.sysfs` reads them from the kernel's sysfs; the live
panels, the doctor and the initiator's screens show them. No I/O, no Textual here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class InitiatorConnection:
    """``/sys/class/iscsi_connection/connection<SID>:<CID>``."""

    sid: int
    cid: int
    address: str | None  #: the portal's address (current)
    port: int | None
    persistent_address: str | None  #: the node record's portal (kept while the connection is down)
    persistent_port: int | None
    local_port: int | None  #: our TCP port (what the target's ACL ``info`` does not print)
    state: str | None  #: up, down, failed, bound (kernel ≥ 5.7), else unknown

    @property
    def portal(self) -> str | None:
        address = self.address or self.persistent_address
        port = self.port if self.port is not None else self.persistent_port
        if address is None:
            return None
        shown = f"[{address}]" if ":" in address else address
        return f"{shown}:{port}" if port is not None else shown


@dataclass(frozen=True, slots=True)
class InitiatorDisk:
    """A SCSI disk a session brought: ``/dev/<name>``."""

    lun: int  #: the LUN number the initiator sees (the target's *mapped* LUN)
    hctl: str
    name: str | None  #: ``sdX``, None while the disk has no block device yet
    size: int | None  #: bytes
    state: str | None  #: running, blocked (recovery), transport-offline, offline
    vendor: str | None = None
    model: str | None = None

    @property
    def device(self) -> str | None:
        return f"/dev/{self.name}" if self.name else None


@dataclass(frozen=True, slots=True)
class InitiatorSession:
    """``/sys/class/iscsi_session/session<SID>`` with its connections and disks."""

    sid: int
    target: str | None
    tpgt: int | None
    state: str | None  #: LOGGED_IN, FAILED, FREE
    target_state: str | None
    recovery_tmo: int | None  #: seconds (node.session.timeo.replacement_timeout)
    initiator: str | None
    iface: str | None
    creator: int | None  #: pid of the iscsid that made it; -1 for firmware sessions
    host: int | None
    connections: tuple[InitiatorConnection, ...] = ()
    disks: tuple[InitiatorDisk, ...] = ()

    @property
    def key(self) -> tuple[str, int]:
        return ("isession", self.sid)

    @property
    def portal(self) -> str | None:
        for conn in self.connections:
            if conn.portal:
                return conn.portal
        return None


@dataclass(frozen=True, slots=True)
class InitiatorHost:
    """``/sys/class/iscsi_host/host<H>`` plus the SCSI host's state."""

    host: int
    ipaddress: str | None
    initiator: str | None
    netdev: str | None
    hwaddress: str | None
    state: str | None  #: /sys/class/scsi_host/host<H>/state (running, recovery, ...)


@dataclass(frozen=True, slots=True)
class InitiatorLive:
    sessions: tuple[InitiatorSession, ...] = ()
    hosts: tuple[InitiatorHost, ...] = ()

    def session(self, sid: int) -> InitiatorSession | None:
        for session in self.sessions:
            if session.sid == sid:
                return session
        return None
