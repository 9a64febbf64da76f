"""A second "host" for the kernel tier: a bare iSCSI login with a chosen initiator name and ISID.

The classic RAC mistake (shared/fixtures/rac): two hosts with the same
InitiatorName and open-iscsi's default ISID. LIO treats the second login as
a reinstatement of the first session and drops it; the first host's iscsid
logs in again and drops the second, and so on. This module plays the second
host: it logs in (security and operational negotiation, RFC 7143 §11.12/13),
stays in full-feature phase for a while, and does it again, from its own
loopback address (any 127.x.y.z is this VM), so the target sees two
addresses take turns.

Written for the tests from the RFC; nothing beyond a Login exchange is spoken.
"""

from __future__ import annotations

import socket
import struct
import threading
import time

LOGIN_REQUEST = 0x03
LOGIN_RESPONSE = 0x23
IMMEDIATE = 0x40
TRANSIT = 0x80
SECURITY, OPERATIONAL, FULL_FEATURE = 0, 1, 3


def _keys(pairs: dict[str, str]) -> bytes:
    """Text keys, each NUL-terminated (not padded)."""
    return b"".join(f"{k}={v}".encode() + b"\0" for k, v in pairs.items())


def _login_pdu(isid: bytes, itt: int, csg: int, nsg: int, cmdsn: int, exp_statsn: int, payload: bytes) -> bytes:
    flags = TRANSIT | (csg << 2) | nsg
    length = len(payload)
    data = payload + b"\0" * (-length % 4)
    header = struct.pack(">BBBB", IMMEDIATE | LOGIN_REQUEST, flags, 0, 0)
    header += struct.pack(">B", 0) + length.to_bytes(3, "big")
    header += isid + struct.pack(">H", 0)  # TSIH 0: a new session (or a reinstatement)
    header += struct.pack(">IHHII", itt, 0, 0, cmdsn, exp_statsn) + b"\0" * 16
    return header + data


def _read_pdu(sock: socket.socket) -> tuple[bytes, bytes]:
    header = _read_exact(sock, 48)
    length = int.from_bytes(header[5:8], "big")
    data = _read_exact(sock, length + (-length % 4)) if length else b""
    return header, data[:length]


def _read_exact(sock: socket.socket, n: int) -> bytes:
    out = b""
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            raise ConnectionError("the target closed the connection")
        out += chunk
    return out


def login(target: str, initiator: str, isid: str, *, portal: tuple[str, int] = ("127.0.0.1", 3260),
          source: str = "127.0.0.2", timeout: float = 10.0) -> socket.socket:
    """Log in and return the connected socket (in full-feature phase). Raises on a refused login."""
    isid_bytes = bytes.fromhex(isid)
    sock = socket.create_connection(portal, timeout=timeout, source_address=(source, 0))
    try:
        security = _keys({"InitiatorName": initiator, "InitiatorAlias": "rogue", "SessionType": "Normal",
                          "TargetName": target, "AuthMethod": "None"})
        sock.sendall(_login_pdu(isid_bytes, 1, SECURITY, OPERATIONAL, 1, 0, security))
        header, _ = _read_pdu(sock)
        _check(header)
        statsn = struct.unpack(">I", header[24:28])[0]
        operational = _keys({"HeaderDigest": "None", "DataDigest": "None", "MaxConnections": "1",
                             "InitialR2T": "Yes", "ImmediateData": "Yes", "MaxRecvDataSegmentLength": "262144",
                             "MaxBurstLength": "262144", "FirstBurstLength": "65536", "DefaultTime2Wait": "2",
                             "DefaultTime2Retain": "0", "MaxOutstandingR2T": "1", "DataPDUInOrder": "Yes",
                             "DataSequenceInOrder": "Yes", "ErrorRecoveryLevel": "0"})
        # Same ITT and CmdSN through the whole login (LIO refuses a change with status 0x0200).
        sock.sendall(_login_pdu(isid_bytes, 1, OPERATIONAL, FULL_FEATURE, 1, statsn + 1, operational))
        header, _ = _read_pdu(sock)
        _check(header)
        if header[1] & TRANSIT == 0 or header[1] & 0x03 != FULL_FEATURE:
            raise ConnectionError(f"login did not reach full-feature phase (flags 0x{header[1]:02x})")
        return sock
    except BaseException:
        sock.close()
        raise


def _check(header: bytes) -> None:
    if header[0] & 0x3F != LOGIN_RESPONSE:
        raise ConnectionError(f"unexpected PDU opcode 0x{header[0]:02x}")
    status_class, detail = header[36], header[37]
    if status_class:
        raise ConnectionError(f"login refused: status 0x{status_class:02x}{detail:02x}")


class SecondHost:
    """Logs in again and again in a thread, each session held ``hold`` seconds, ``gap`` seconds apart."""

    def __init__(self, target: str, initiator: str, isid: str, *, hold: float = 3.0, gap: float = 2.5,
                 source: str = "127.0.0.2") -> None:
        self.args = (target, initiator, isid)
        self.hold, self.gap, self.source = hold, gap, source
        self.logins = 0
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="second-host", daemon=True)

    def __enter__(self) -> SecondHost:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=20)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                sock = login(*self.args, source=self.source)
            except (OSError, ConnectionError) as exc:
                self.errors.append(str(exc))
            else:
                self.logins += 1
                self._stop.wait(self.hold)  # the other host's relogin may drop us meanwhile
                sock.close()
            self._stop.wait(self.gap)

    def wait_for_logins(self, n: int, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while self.logins < n:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.logins} logins in {timeout:.0f} s; errors: {self.errors[-3:]}")
            time.sleep(0.2)
