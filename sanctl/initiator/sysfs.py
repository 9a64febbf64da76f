"""The open-iscsi initiator's live state, from the kernel's sysfs (no iscsid, no iscsiadm).

``/sys/class/iscsi_session/session<SID>`` (target, TPG, state, recovery
timeout), ``/sys/class/iscsi_connection/connection<SID>:<CID>`` (portal
address and port, state), ``/sys/class/iscsi_host/host<H>`` (the local
address) and the SCSI disks each session brought:
``session<SID>/device/target<H>:0:<T>/<H>:0:<T>:<L>/block/<sdX>`` — the same
walk iscsiadm does (shared/domain/LIVE.md §4). Reading sysfs needs no root
(except the CHAP files, which are never read here) and costs a few
microseconds a file, so a live panel can poll it every second.

Every function takes the filesystem ``root`` (``/`` on a real host; a
captured or simulated tree otherwise) and is vanish-safe: a session that
logs out between listing and reading is skipped. What it returns are the plain
values of :mod:`sanctl.initiator.session_state`. No Textual here.
"""

from __future__ import annotations

import os
import re

from sanctl import safe_io
from sanctl.bounded import parse_int
from sanctl.initiator.session_state import (  # noqa: F401  (re-exported)
    InitiatorConnection,
    InitiatorDisk,
    InitiatorHost,
    InitiatorLive,
    InitiatorSession,
)
from sanctl.lio.live import read_int, read_word

# Numbers as ASCII digits of sane length: every one goes through ``parse_int``, which cannot fail on these.
_SESSION_DIR = re.compile(r"^session([0-9]{1,10})$")
_CONN_DIR = re.compile(r"^connection([0-9]{1,10}):([0-9]{1,10})$")
_HOST_IN_PATH = re.compile(r"/host([0-9]{1,10})/")
_HCTL = re.compile(r"^([0-9]{1,10}):([0-9]{1,10}):([0-9]{1,10}):([0-9]{1,20})$")

#: sysfs prints this for a string attribute nobody set.
_NULL = "(null)"


def _word(path: str) -> str | None:
    word = read_word(path)
    return None if word in (None, _NULL) else word


def _class_dir(root: str, name: str) -> str:
    return os.path.join(root, "sys", "class", name)


def _listdir(path: str) -> list[str]:
    return safe_io.list_names(path)


def read_connection(root: str, sid: int, cid: int) -> InitiatorConnection | None:
    path = os.path.join(_class_dir(root, "iscsi_connection"), f"connection{sid}:{cid}")
    if not os.path.isdir(path):
        return None
    return InitiatorConnection(
        sid=sid,
        cid=cid,
        address=_word(os.path.join(path, "address")),
        port=read_int(os.path.join(path, "port")),
        persistent_address=_word(os.path.join(path, "persistent_address")),
        persistent_port=read_int(os.path.join(path, "persistent_port")),
        local_port=read_int(os.path.join(path, "local_port")),
        state=_word(os.path.join(path, "state")),
    )


def _host_of(session_path: str) -> int | None:
    """The SCSI host number: the class entry resolves into ``.../host<H>/session<SID>/...``."""
    try:
        real = os.path.realpath(session_path)
    except OSError:
        return None
    match = _HOST_IN_PATH.search(real + "/")
    return parse_int(match.group(1)) if match else None


def read_disks(session_path: str) -> tuple[InitiatorDisk, ...]:
    """The disks under ``<session>/device/target*/H:C:T:L``."""
    device = os.path.join(session_path, "device")
    disks = []
    for target in _listdir(device):
        if not target.startswith("target"):
            continue
        tdir = os.path.join(device, target)
        for hctl in _listdir(tdir):
            match = _HCTL.match(hctl)
            if not match:
                continue
            ddir = os.path.join(tdir, hctl)
            blocks = _listdir(os.path.join(ddir, "block"))
            name = sorted(blocks)[0] if blocks else None
            sectors = read_int(os.path.join(ddir, "block", name, "size")) if name else None
            disks.append(InitiatorDisk(
                lun=parse_int(match.group(4)),
                hctl=hctl,
                name=name,
                size=None if sectors is None else sectors * 512,
                state=_word(os.path.join(ddir, "state")),
                vendor=_word(os.path.join(ddir, "vendor")),
                model=_word(os.path.join(ddir, "model")),
            ))
    disks.sort(key=lambda d: d.lun)
    return tuple(disks)


def read_session(root: str, sid: int, *, disks: bool = True,
                 connection_ids: dict[int, list[int]] | None = None) -> InitiatorSession | None:
    """One session; ``None`` if it logged out meanwhile."""
    path = os.path.join(_class_dir(root, "iscsi_session"), f"session{sid}")
    state = _word(os.path.join(path, "state"))
    if state is None and not os.path.isdir(path):
        return None
    if connection_ids is None:
        connection_ids = _connection_ids(root)
    conns = []
    for cid in connection_ids.get(sid, ()):
        conn = read_connection(root, sid, cid)
        if conn is not None:
            conns.append(conn)
    return InitiatorSession(
        sid=sid,
        target=_word(os.path.join(path, "targetname")),
        tpgt=read_int(os.path.join(path, "tpgt")),
        state=state,
        target_state=_word(os.path.join(path, "target_state")),
        recovery_tmo=read_int(os.path.join(path, "recovery_tmo")),
        initiator=_word(os.path.join(path, "initiatorname")),
        iface=_word(os.path.join(path, "ifacename")),
        creator=read_int(os.path.join(path, "creator")),
        host=_host_of(path),
        connections=tuple(conns),
        disks=read_disks(path) if disks else (),
    )


def _connection_ids(root: str) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for name in _listdir(_class_dir(root, "iscsi_connection")):
        match = _CONN_DIR.match(name)
        if match:
            found.setdefault(parse_int(match.group(1)), []).append(parse_int(match.group(2)))
    for cids in found.values():
        cids.sort()
    return found


def session_ids(root: str = "/") -> list[int]:
    ids = []
    for name in _listdir(_class_dir(root, "iscsi_session")):
        match = _SESSION_DIR.match(name)
        if match:
            ids.append(parse_int(match.group(1)))
    return sorted(ids)


def read_hosts(root: str = "/") -> tuple[InitiatorHost, ...]:
    hosts = []
    for name in _listdir(_class_dir(root, "iscsi_host")):
        if not name.startswith("host") or not name[4:].isascii() or not name[4:].isdigit() or len(name) > 14:
            continue
        number = parse_int(name[4:])
        path = os.path.join(_class_dir(root, "iscsi_host"), name)
        scsi_state = _word(os.path.join(path, "device", "scsi_host", name, "state"))
        if scsi_state is None:
            scsi_state = _word(os.path.join(_class_dir(root, "scsi_host"), name, "state"))
        hosts.append(InitiatorHost(
            host=number,
            ipaddress=_word(os.path.join(path, "ipaddress")),
            initiator=_word(os.path.join(path, "initiatorname")),
            netdev=_word(os.path.join(path, "netdev")),
            hwaddress=_word(os.path.join(path, "hwaddress")),
            state=scsi_state,
        ))
    hosts.sort(key=lambda h: h.host)
    return tuple(hosts)


def read_initiator(root: str = "/", *, disks: bool = True) -> InitiatorLive:
    """Every iSCSI session of this host, with connections, disks and hosts."""
    connection_ids = _connection_ids(root)
    sessions = []
    for sid in session_ids(root):
        session = read_session(root, sid, disks=disks, connection_ids=connection_ids)
        if session is not None:
            sessions.append(session)
    return InitiatorLive(tuple(sessions), read_hosts(root))


def has_initiator(root: str = "/") -> bool:
    """Whether the iSCSI transport class is there at all (scsi_transport_iscsi loaded)."""
    return os.path.isdir(_class_dir(root, "iscsi_session"))
