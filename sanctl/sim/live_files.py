"""The files a live kernel changes: session views, counters, initiator sysfs, log records.

Formats are copied from the real captures (``tests/fixtures/rac/live-root.tar.gz``,
``flap-info-*.txt``, ``scenarios/*``, ``tests/fixtures/kernel/root.tar.gz``;
Debian 6.1): the ACL ``info`` layout byte for byte, 0-byte counters without a
session, ``dynamic_sessions`` entries ending in ``\\n\\0``, the sysfs tree of
an iSCSI session (``devices/platform/host<H>/session<S>/...`` with the
``class/`` links), ``/dev/kmsg`` records and journald's JSON.

:class:`LiveWriter` rewrites a file only when its content changes (through
:meth:`SimKernel._rewrite`, atomic), so a tick of the demo costs what really
moved. Used by :mod:`sanctl.sim.live` (the demo SAN) and the benchmark.
No Textual here.
"""

from __future__ import annotations

import json
import os

from sanctl.sim import kfiles as K
from sanctl.sim.layout import Link, SimKernel

SESSION_STATE = "TARG_SESS_STATE_LOGGED_IN"
CONN_STATE = "TARG_CONN_STATE_LOGGED_IN"

#: acls/<init>/param/ of a live session, as a 6.1 kernel showed it after open-iscsi's login.
NEGOTIATED = {
    "DataPDUInOrder": 1, "DataSequenceInOrder": 1, "DefaultTime2Retain": 0, "DefaultTime2Wait": 2,
    "ErrorRecoveryLevel": 0, "FirstBurstLength": 65536, "ImmediateData": 1, "InitialR2T": 1,
    "MaxBurstLength": 262144, "MaxConnections": 1, "MaxOutstandingR2T": 1,
}


def isid_text(isid: str) -> str:
    """``00023d000001`` -> ``00 02 3d 00 00 01`` (the kernel's ``%6ph``)."""
    return " ".join(isid[i:i + 2] for i in range(0, 12, 2))


def acl_info(initiator: str, *, sid: int, tsih: int, isid: str = "00023d000001", alias: str = "(none)",
             state: str = SESSION_STATE, session_type: str = "Normal",
             cmdsn: tuple[int, int, int, int, int, int] = (64, 64, 0, 63, 0, 0),
             connections: tuple[tuple[int, str, str, str, int], ...] = ()) -> str:
    """``acls/<init>/info`` with a session (``lio_target_nacl_info_show``).

    ``connections``: ``(cid, state, address, transport, statsn)`` each.
    """
    lines = [
        f"InitiatorName: {initiator}",
        f"InitiatorAlias: {alias}",
        f"LIO Session ID: {sid}   ISID: 0x{isid_text(isid)}  TSIH: {tsih}  SessionType: {session_type}",
        f"Session State: {state}",
        "---------------------[iSCSI Session Values]-----------------------",
        "  CmdSN/WR  :  CmdSN/WC  :  ExpCmdSN  :  MaxCmdSN  :     ITT    :     TTT",
        " " + "   ".join(f"0x{v & 0xFFFFFFFF:08x}" for v in cmdsn),
        "----------------------[iSCSI Connections]-------------------------",
    ]
    for cid, conn_state, address, transport, statsn in connections:
        lines.append(f"CID: {cid}  Connection State: {conn_state}")
        lines.append(f"   Address {address} {transport}  StatSN: 0x{statsn & 0xFFFFFFFF:08x}")
    return "\n".join(lines) + "\n"


def dynamic_sessions(names: list[str] | tuple[str, ...]) -> bytes:
    """``tpgt_N/dynamic_sessions``: each name followed by ``\\n`` and a NUL."""
    return b"".join(name.encode() + b"\n\0" for name in names)


class LiveWriter:
    """Writes files through the simulated kernel, skipping unchanged content."""

    def __init__(self, k: SimKernel) -> None:
        self.k = k
        self._last: dict[str, bytes] = {}

    def put(self, path: str, content: str | bytes, mode: int = K.RO) -> bool:
        data = content.encode() if isinstance(content, str) else content
        if self._last.get(path) == data:
            return False
        if not os.path.isdir(os.path.dirname(path)):
            return False  # its object is gone (deleted meanwhile): nothing to update
        self.k._rewrite(path, data, mode)
        self._last[path] = data
        return True

    def forget(self, prefix: str) -> None:
        for path in [p for p in self._last if p.startswith(prefix)]:
            del self._last[path]

    # --- target side ---------------------------------------------------------

    def acl_session(self, acl: str, initiator: str, info: str | None,
                    negotiated: dict[str, int] | None = None) -> None:
        """The ACL's ``info`` and ``param/``: a session, or none."""
        self.put(os.path.join(acl, "info"), info or K.NO_SESSION_INFO.format(initiator=initiator))
        for key in K.ACL_PARAM_KEYS:
            text = f"{(negotiated or NEGOTIATED)[key]}\n" if info else K.NO_SESSION_PARAM
            self.put(os.path.join(acl, "param", key), text)

    def sess_stats(self, acl: str, values: dict[str, int] | None) -> None:
        """``fabric_statistics/iscsi_sess_stats``: numbers, or 0 bytes without a session."""
        base = os.path.join(acl, "fabric_statistics", "iscsi_sess_stats")
        for key in K.SESS_STATS_KEYS:
            self.put(os.path.join(base, key), f"{values[key]}\n" if values is not None else "")

    def mapped_lun(self, mlun: str, *, num_cmds: int, read_mbytes: int, write_mbytes: int,
                   session: tuple[int, str] | None) -> None:
        """Per initiator x LUN counters; ``session`` = (session index, port_ident) or None."""
        stats = os.path.join(mlun, "statistics")
        auth = os.path.join(stats, "scsi_auth_intr")
        self.put(os.path.join(auth, "num_cmds"), f"{num_cmds}\n")
        self.put(os.path.join(auth, "read_mbytes"), f"{read_mbytes}\n")
        self.put(os.path.join(auth, "write_mbytes"), f"{write_mbytes}\n")
        port = os.path.join(stats, "scsi_att_intr_port")
        self.put(os.path.join(port, "indx"), f"{session[0]}\n" if session else "")
        self.put(os.path.join(port, "port_ident"), f"{session[1]}\n" if session else "")

    def lun(self, lun: str, *, in_cmds: int, read_mbytes: int, write_mbytes: int) -> None:
        base = os.path.join(lun, "statistics", "scsi_tgt_port")
        self.put(os.path.join(base, "in_cmds"), f"{in_cmds}\n")
        self.put(os.path.join(base, "read_mbytes"), f"{read_mbytes}\n")
        self.put(os.path.join(base, "write_mbytes"), f"{write_mbytes}\n")

    def backstore(self, so: str, *, num_cmds: int, read_mbytes: int, write_mbytes: int) -> None:
        base = os.path.join(so, "statistics", "scsi_lu")
        self.put(os.path.join(base, "num_cmds"), f"{num_cmds}\n")
        self.put(os.path.join(base, "read_mbytes"), f"{read_mbytes}\n")
        self.put(os.path.join(base, "write_mbytes"), f"{write_mbytes}\n")

    def target_stats(self, target: str, values: dict[str, int | str]) -> None:
        """``fabric_statistics/<group>/<file>`` for the given ``group/file`` keys."""
        base = os.path.join(target, "fabric_statistics")
        for rel, value in values.items():
            self.put(os.path.join(base, rel), f"{value}\n")

    def dynamic(self, tpg: str, names: list[str] | tuple[str, ...]) -> None:
        self.put(os.path.join(tpg, "dynamic_sessions"), dynamic_sessions(names))


# ---------------------------------------------------------------------------
# initiator sysfs
# ---------------------------------------------------------------------------

_SESSION_RO = {
    "abort_tmo": "15", "data_pdu_in_order": "0", "data_seq_in_order": "0", "erl": "0", "fast_abort": "1",
    "first_burst_len": "65536", "immediate_data": "1", "initial_r2t": "1", "lu_reset_tmo": "30",
    "max_burst_len": "262144", "max_outstanding_r2t": "1", "password": "(null)", "password_in": "(null)",
    "target_id": "0", "target_state": "SCANNED", "tgt_reset_tmo": "30", "username": "(null)",
    "username_in": "(null)",
}


def _files(values: dict[str, str], mode: int = K.RO) -> dict:
    return {name: (mode, f"{value}\n") for name, value in values.items()}


def create_initiator_session(k: SimKernel, *, sid: int, host: int, target: str, tpgt: int, initiator: str,
                             address: str, port: int, local_port: int, local_address: str,
                             disks: list[tuple[int, str, int]], creator: int = 1234,
                             recovery_tmo: int = 120, iface: str = "default", state: str = "LOGGED_IN",
                             conn_state: str = "up", model: str = "IBLOCK") -> None:
    """Write ``session<sid>`` under ``devices/platform/host<host>`` with its connection, host and disks.

    ``disks``: ``(lun, name, size in bytes)`` each, e.g. ``(0, "sda", 10 << 30)``.
    """
    root = k.root
    platform = os.path.join(root, "sys", "devices", "platform")
    os.makedirs(platform, exist_ok=True)
    hname, sname, cname = f"host{host}", f"session{sid}", f"connection{sid}:0"
    session_attrs = {
        **_files(_SESSION_RO),
        **_files({"creator": str(creator), "ifacename": iface, "initiatorname": initiator, "state": state,
                  "targetname": target, "tpgt": str(tpgt)}),
        "recovery_tmo": (K.RW, f"{recovery_tmo}\n"),
        "uevent": (K.RW, ""),
        "device": Link(f"../../../{sname}"),
        "subsystem": Link("../../../../../../class/iscsi_session"),
    }
    conn_attrs = {
        **_files({"address": address, "data_digest": "0", "exp_statsn": "1", "header_digest": "0",
                  "local_port": str(local_port), "max_recv_dlength": "262144", "max_xmit_dlength": "262144",
                  "persistent_address": address, "persistent_port": str(port), "ping_tmo": "5",
                  "port": str(port), "recv_tmo": "5", "state": conn_state}),
        "uevent": (K.RW, ""),
        "device": Link(f"../../../{cname}"),
        "subsystem": Link("../../../../../../../class/iscsi_connection"),
    }
    target_dir = f"target{host}:0:0"
    luns = {}
    for lun, name, size in disks:
        hctl = f"{host}:0:0:{lun}"
        luns[hctl] = {
            **_files({"state": "running", "vendor": "LIO-ORG", "model": model, "rev": "4.0", "timeout": "30",
                      "queue_depth": "128", "type": "0"}),
            "block": {name: {**_files({"size": str(size // 512), "ro": "0", "removable": "0",
                                       "stat": " ".join(["0"] * 17)}),
                             "uevent": (K.RW, "")}},
        }
    k.write_tree(os.path.join(platform, hname), {
        "uevent": (K.RW, ""),
        "iscsi_host": {hname: {
            **_files({"hwaddress": "(null)", "initiatorname": "(null)", "ipaddress": local_address,
                      "netdev": "(null)"}),
            "uevent": (K.RW, ""),
            "device": Link(f"../../../{hname}"),
            "subsystem": Link("../../../../../class/iscsi_host"),
        }},
        "scsi_host": {hname: {**_files({"state": "running", "proc_name": "iscsi_tcp"}), "uevent": (K.RW, "")}},
        sname: {
            "uevent": (K.RW, ""),
            "iscsi_session": {sname: session_attrs},
            cname: {"uevent": (K.RW, ""), "iscsi_connection": {cname: conn_attrs}},
            target_dir: {"uevent": (K.RW, ""), **luns},
        },
    })
    links = [
        ("iscsi_session", sname, f"../../devices/platform/{hname}/{sname}/iscsi_session/{sname}"),
        ("iscsi_connection", cname, f"../../devices/platform/{hname}/{sname}/{cname}/iscsi_connection/{cname}"),
        ("iscsi_host", hname, f"../../devices/platform/{hname}/iscsi_host/{hname}"),
        ("scsi_host", hname, f"../../devices/platform/{hname}/scsi_host/{hname}"),
    ]
    for lun, name, _size in disks:
        links.append(("block", name, f"../../devices/platform/{hname}/{sname}/{target_dir}/{host}:0:0:{lun}/block/{name}"))
    for cls, name, dest in links:
        directory = os.path.join(root, "sys", "class", cls)
        os.makedirs(directory, exist_ok=True)
        os.symlink(dest, os.path.join(directory, name))
    block = os.path.join(root, "sys", "block")
    os.makedirs(block, exist_ok=True)
    for lun, name, _size in disks:
        os.symlink(f"../devices/platform/{hname}/{sname}/{target_dir}/{host}:0:0:{lun}/block/{name}",
                   os.path.join(block, name))


def initiator_session_paths(root: str, sid: int, host: int) -> tuple[str, str]:
    """The session's and its connection's attribute directories."""
    base = os.path.join(root, "sys", "devices", "platform", f"host{host}", f"session{sid}")
    return (os.path.join(base, "iscsi_session", f"session{sid}"),
            os.path.join(base, f"connection{sid}:0", "iscsi_connection", f"connection{sid}:0"))


def remove_initiator_session(k: SimKernel, *, sid: int, host: int, disks: list[str]) -> None:
    """What a logout leaves: the class links and the host's device tree gone."""
    root = k.root
    for cls, name in (("iscsi_session", f"session{sid}"), ("iscsi_connection", f"connection{sid}:0"),
                      ("iscsi_host", f"host{host}"), ("scsi_host", f"host{host}"),
                      *(("block", d) for d in disks)):
        path = os.path.join(root, "sys", "class", cls, name)
        if os.path.lexists(path):
            os.unlink(path)
    for name in disks:
        path = os.path.join(root, "sys", "block", name)
        if os.path.lexists(path):
            os.unlink(path)
    host_dir = os.path.join(root, "sys", "devices", "platform", f"host{host}")
    if os.path.isdir(host_dir):
        k._remove_tree(host_dir)


# ---------------------------------------------------------------------------
# logs
# ---------------------------------------------------------------------------


def kmsg_record(seq: int, uptime: float, message: str, level: int = 3) -> str:
    """One ``/dev/kmsg`` record (facility 0 = kernel)."""
    return f"{level},{seq},{int(round(uptime * 1e6))},-;{message}\n"


def journal_entry(wall: float, message: str, *, ident: str = "iscsid", pid: int = 1234,
                  priority: int = 3, boot_id: str = "5a1e0c7d9b2f4e3a8c6d1f0e2b4a6c8d") -> str:
    """One line of ``journalctl -o json`` for a syslog message."""
    return json.dumps({
        "__REALTIME_TIMESTAMP": str(int(round(wall * 1e6))),
        "_BOOT_ID": boot_id,
        "PRIORITY": str(priority),
        "SYSLOG_FACILITY": "3",
        "SYSLOG_IDENTIFIER": ident,
        "_PID": str(pid),
        "_UID": "0",
        "_COMM": ident,
        "_TRANSPORT": "syslog",
        "MESSAGE": message,
    }, separators=(",", ":")) + "\n"
