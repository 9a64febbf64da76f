"""The demo SAN, live: sessions, counters and kernel log lines that move with time.

On top of the idle demo (:mod:`sanctl.sim.demo`) this writes what a running
kernel shows, through the same files the readers read:

- **the RAC target's classic mistake**: this host (``192.168.50.10``) is
  logged in as ``iqn.2024-01.storage.oracle:client``, and for four minutes of
  every ten a clone of it, ``rac2`` (``192.168.50.12``), logs in with the
  same initiator name and ISID. LIO reinstates one session with the other
  every ~3 s: the ACL's session id and TSIH change again and again and its
  address alternates; this host's connection 1:0 gets error 1020 and iscsid
  recovers it (the loop of ``tests/fixtures/rac/dmesg-flap.txt``);
- ``web01`` (``192.168.50.21``) on the CHAP-protected web target, doing
  steady I/O, logging out and in every 20 minutes;
- this host's initiator on the demo-mode scratch target (a *dynamic*
  session, in ``dynamic_sessions`` only) two minutes out of every six, with
  its disk ``sdg`` appearing and going in ``/sys/class/iscsi_session``;
- a file server without an ACL knocking on the RAC target every four
  minutes (``authorize`` login failures, the last failing initiator);
- counters — per session, per mapped LUN, per TPG LUN, per backstore — that
  grow at plausible, smoothly varying rates.

Everything is a deterministic function of the :class:`Scenario` (start time,
seed) and the time asked for: :meth:`LiveDemo.tick` writes the state at
``now`` and appends the log lines of the events since the last tick
(``var/log/sanctl-demo/kmsg`` as ``/dev/kmsg`` records, ``iscsid.json`` as
``journalctl -o json``). :func:`start_live_demo` writes the state at start
plus the last five minutes of log, so a one-shot ``sanctl --demo sessions``
already shows sessions, counters and recent 1020 events. The scenario is
kept in ``var/lib/sanctl-demo/live.json``, so any process can
:meth:`LiveDemo.attach` and carry on. No Textual here.
"""

from __future__ import annotations

import contextlib
import fcntl
import heapq
import json
import math
import os
import random
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

from sanctl.kernel_log import DEMO_JOURNAL, DEMO_KMSG, DEMO_LOG_DIR
from sanctl.sim import live_files as F
from sanctl.sim.demo import (
    DEFAULT_SEED,
    RAC_CLIENTS,
    RAC_IQN,
    RAC_VOLUMES,
    SCRATCH_IQN,
    SCRATCH_SIZE,
    WEB_CLIENT,
    WEB_IQN,
)
from sanctl.sim.layout import CONFIGFS_TARGET, SimKernel

STATE_FILE = "var/lib/sanctl-demo/live.json"

HOST_ADDRESS = "192.168.50.10"  #: this host: the target, and RAC node 1's initiator
RAC2_ADDRESS = "192.168.50.12"  #: the clone that reuses this host's initiator name
WEB01_ADDRESS = "192.168.50.21"
FILESERVER = ("iqn.1991-05.com.microsoft:fileserver", "192.168.50.30")
LOCAL_INITIATOR = RAC_CLIENTS[0]
ISID = "00023d000001"  #: open-iscsi's default ISID: the same on every host
PORT_IDENT = f"{LOCAL_INITIATOR}+i+{ISID}"

LOG_HISTORY = 300.0  #: seconds of log written at start
SINCE = 3 * 3600.0  #: the sessions were logged in this long before start
BOOTED_BEFORE = 900.0  #: the kernel booted this long before that

FLAP_PERIOD = 600.0
FLAP_ON = 240.0
WEB_RELOGIN_EVERY = 1200.0
SCRATCH_FIRST = 300.0  #: so that at start the scratch session is a minute old
SCRATCH_EVERY = 360.0
SCRATCH_FOR = 120.0
FILESERVER_EVERY = 240.0

MiB = 1 << 20


@dataclass(frozen=True)
class Scenario:
    """When the live demo started and how it is shaped; everything else follows."""

    start: float
    seed: int = DEFAULT_SEED
    #: Seconds into a flapping episode at ``start`` (0 ≤ x < 240 flapping; negative:
    #: the next episode begins ``-x`` seconds after start).
    flap_phase: float = 180.0

    @property
    def epoch(self) -> float:
        return self.start - SINCE

    @property
    def boot(self) -> float:
        return self.epoch - BOOTED_BEFORE

    @property
    def flap_origin(self) -> float:
        """Start of the first flapping episode at or after the epoch."""
        return self.epoch + (self.start - self.flap_phase - self.epoch) % FLAP_PERIOD


# ---------------------------------------------------------------------------
# counters: smooth, deterministic rates with closed-form integrals
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Stream:
    """Commands per second of one initiator to one LUN, and how big they are."""

    base: float
    read_fraction: float
    read_size: int
    write_size: int
    a1: float
    p1: float
    ph1: float
    a2: float
    p2: float
    ph2: float
    windows: tuple[float, float, float] | None = None  #: (first start, every, for): active only then

    def _raw(self, x: float) -> float:
        w1, w2 = 2 * math.pi / self.p1, 2 * math.pi / self.p2
        return self.base * (x + self.a1 / w1 * (math.cos(self.ph1) - math.cos(w1 * x + self.ph1))
                            + self.a2 / w2 * (math.cos(self.ph2) - math.cos(w2 * x + self.ph2)))

    def rate(self, x: float) -> float:
        if self.windows is not None and not self._active(x):
            return 0.0
        w1, w2 = 2 * math.pi / self.p1, 2 * math.pi / self.p2
        return self.base * (1 + self.a1 * math.sin(w1 * x + self.ph1) + self.a2 * math.sin(w2 * x + self.ph2))

    def _active(self, x: float) -> bool:
        first, every, length = self.windows  # type: ignore[misc]
        return x >= first and (x - first) % every < length

    def commands(self, x: float) -> float:
        """Commands issued between the epoch and ``x`` seconds after it."""
        if x <= 0:
            return 0.0
        if self.windows is None:
            return self._raw(x)
        first, every, length = self.windows
        if x <= first:
            return 0.0
        done, into = divmod(x - first, every)
        total = 0.0
        for n in range(int(done)):
            s = first + n * every
            total += self._raw(s + length) - self._raw(s)
        s = first + done * every
        total += self._raw(s + min(into, length)) - self._raw(s)
        return total

    def totals(self, x: float) -> tuple[int, int, int]:
        """(commands, bytes read, bytes written) since the epoch."""
        cmds = self.commands(x)
        return (int(cmds), int(cmds * self.read_fraction * self.read_size),
                int(cmds * (1 - self.read_fraction) * self.write_size))

    def bytes_per_second(self, x0: float, x1: float) -> float:
        if x1 <= x0:
            return 0.0
        c0, r0, w0 = self.totals(x0)
        c1, r1, w1 = self.totals(x1)
        return (r1 - r0 + w1 - w0) / (x1 - x0)


def _streams(seed: int) -> dict[tuple[str, int], Stream]:
    rng = random.Random(f"{seed}-streams")

    def make(base: float, read_fraction: float, read_size: int, write_size: int,
             windows: tuple[float, float, float] | None = None) -> Stream:
        return Stream(base, read_fraction, read_size, write_size,
                      a1=0.35 + 0.2 * rng.random(), p1=240 + 300 * rng.random(), ph1=rng.random() * 6.28,
                      a2=0.15 + 0.1 * rng.random(), p2=37 + 40 * rng.random(), ph2=rng.random() * 6.28,
                      windows=windows)

    streams: dict[tuple[str, int], Stream] = {}
    for lun, (name, _size) in enumerate(RAC_VOLUMES):
        if name.startswith("ora-ocr"):
            streams[("rac", lun)] = make(18 + 4 * lun, 0.5, 4096, 4096)  # voting / OCR heartbeats
        elif name.startswith("ora-data"):
            streams[("rac", lun)] = make(260 + 60 * lun, 0.75, 16384, 8192)
        else:
            streams[("rac", lun)] = make(45, 0.05, 262144, 262144)  # archive logs: big writes
    streams[("web", 0)] = make(480, 0.7, 32768, 16384)
    streams[("scratch", 0)] = make(160, 1.0, 131072, 4096, windows=(SCRATCH_FIRST, SCRATCH_EVERY, SCRATCH_FOR))
    return streams


# ---------------------------------------------------------------------------
# discrete events
# ---------------------------------------------------------------------------


@dataclass(order=True)
class _Event:
    time: float
    order: int
    kind: str = field(compare=False)
    data: dict = field(compare=False, default_factory=dict)


def _flap_events(s: Scenario) -> Iterator[_Event]:
    """Reinstatements: rac2 takes the ACL's session, this host takes it back, ~3 s apart."""
    episode = 0
    while True:
        begin = s.flap_origin + episode * FLAP_PERIOD
        if begin < s.epoch + 60.0:  # this host logs in first
            episode += 1
            continue
        rng = random.Random(f"{s.seed}-flap-{episode}")
        times = []
        t = begin + 1.0
        while t < begin + FLAP_ON:
            times.append(t)
            t += 2.6 + 0.6 * rng.random()
        if len(times) % 2:
            times.pop()  # end with this host holding the session
        for i, when in enumerate(times):
            yield _Event(when, 1, "rac_takeover", {"by": "rac2" if i % 2 == 0 else "local"})
        episode += 1


def _periodic(first: float, every: float, kind: str, order: int, data: dict | None = None) -> Iterator[_Event]:
    n = 0
    while True:
        yield _Event(first + n * every, order, kind, dict(data or {}))
        n += 1


def _timeline(s: Scenario) -> Iterator[_Event]:
    e = s.epoch
    firsts = [
        iter([_Event(e, 0, "web_login"), _Event(e + 60.0, 0, "rac_takeover", {"by": "local", "first": True})]),
        _flap_events(s),
        _periodic(e + 437.0, WEB_RELOGIN_EVERY, "web_logout", 2),
        _periodic(e + 438.5, WEB_RELOGIN_EVERY, "web_login", 2),
        _periodic(e + SCRATCH_FIRST, SCRATCH_EVERY, "scratch_login", 3),
        _periodic(e + SCRATCH_FIRST + SCRATCH_FOR, SCRATCH_EVERY, "scratch_logout", 3),
        _periodic(e + 77.0, FILESERVER_EVERY, "fileserver_fail", 4),
    ]
    return heapq.merge(*firsts)


# ---------------------------------------------------------------------------
# the state the events change
# ---------------------------------------------------------------------------


@dataclass
class _Session:
    sid: int
    tsih: int
    address: str
    since: float  #: login time: per-session counters start here
    statsn: int


@dataclass
class _TargetCounters:
    accepts: int = 0
    authorize_fails: int = 0
    normal_logouts: int = 0
    abnormal_logouts: int = 0
    last_fail_time: int = 0
    fail_name: str | None = None
    fail_addr: str | None = None


@dataclass
class _State:
    lio_sid: int = 0
    tsih: dict[str, int] = field(default_factory=lambda: {RAC_IQN: 0, WEB_IQN: 0, SCRATCH_IQN: 0})
    rac: _Session | None = None
    rac_owner: str = "local"
    web: _Session | None = None
    scratch: _Session | None = None
    counters: dict[str, _TargetCounters] = field(
        default_factory=lambda: {RAC_IQN: _TargetCounters(), WEB_IQN: _TargetCounters(), SCRATCH_IQN: _TargetCounters()})
    initiator_sid: int = 1  #: highest session id the local initiator has used
    local_failed: bool = False  #: session1 in recovery
    scratch_sid: int | None = None  #: the local initiator's scratch session, while logged in
    kmsg_seq: int = 1800


# ---------------------------------------------------------------------------
# the live demo
# ---------------------------------------------------------------------------


class LiveDemo:
    """The live side of one demo root. Not thread-safe: one ticker at a time (a file lock guards it)."""

    def __init__(self, root: str | os.PathLike[str], scenario: Scenario) -> None:
        self.root = os.path.abspath(os.fspath(root))
        self.scenario = scenario
        self.k = SimKernel(self.root)
        self.w = F.LiveWriter(self.k)
        self.streams = _streams(scenario.seed)
        self.state = _State()
        self._events = _timeline(scenario)
        self._next: _Event | None = next(self._events)
        self.now = scenario.epoch  #: time up to which events were applied
        self._log_from = scenario.start - LOG_HISTORY
        self._kmsg: list[str] = []
        self._journal: list[str] = []
        self._logging = False
        cfs = os.path.join(self.root, CONFIGFS_TARGET, "iscsi")
        self.paths = {
            "rac_tpg": os.path.join(cfs, RAC_IQN, "tpgt_1"),
            "web_tpg": os.path.join(cfs, WEB_IQN, "tpgt_1"),
            "scratch_tpg": os.path.join(cfs, SCRATCH_IQN, "tpgt_1"),
        }
        self.backstores = self._backstore_paths()

    # -- construction -----------------------------------------------------------

    @classmethod
    def attach(cls, root: str | os.PathLike[str]) -> LiveDemo:
        """Pick up a live demo a :func:`start_live_demo` call (in any process) left under ``root``."""
        with open(os.path.join(os.fspath(root), STATE_FILE), encoding="utf-8") as handle:
            saved = json.load(handle)
        demo = cls(root, Scenario(start=saved["start"], seed=saved["seed"], flap_phase=saved["flap_phase"]))
        demo._advance(saved["last"], log=False)
        demo.now = saved["last"]
        return demo

    def _backstore_paths(self) -> dict[str, str]:
        core = os.path.join(self.root, CONFIGFS_TARGET, "core")
        found = {}
        for hba in os.listdir(core) if os.path.isdir(core) else ():
            for name in os.listdir(os.path.join(core, hba)):
                path = os.path.join(core, hba, name)
                if os.path.isdir(path):
                    found[name] = path
        return found

    # -- time ---------------------------------------------------------------------

    def uptime(self, t: float) -> float:
        return t - self.scenario.boot

    def _advance(self, until: float, *, log: bool) -> None:
        while self._next is not None and self._next.time <= until:
            event = self._next
            self._next = next(self._events, None)
            self._apply(event, log=log and event.time > self._log_from)

    def tick(self, now: float) -> None:
        """Bring every file to time ``now`` and append the log lines of what happened since."""
        if now <= self.now:
            return
        with self._locked():
            self._advance(now, log=True)
            self.now = now
            self._write_state(now)
            self._flush_logs()
            self._save()

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        path = os.path.join(self.root, STATE_FILE + ".lock")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _save(self) -> None:
        path = os.path.join(self.root, STATE_FILE)
        data = {**asdict(self.scenario), "last": self.now}
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        os.replace(tmp, path)

    # -- events -------------------------------------------------------------------

    def _login(self, target: str, address: str, t: float) -> _Session:
        st = self.state
        st.lio_sid += 1
        st.tsih[target] += 1
        st.counters[target].accepts += 1
        return _Session(st.lio_sid, st.tsih[target], address, t, (st.lio_sid * 2654435761) & 0xFFFFFFFF)

    def _apply(self, event: _Event, *, log: bool) -> None:
        self._logging = log
        try:
            self._handle(event)
        finally:
            self._logging = False

    def _handle(self, event: _Event) -> None:
        st = self.state
        t = event.time
        kind = event.kind
        if kind == "rac_takeover":
            by = event.data["by"]
            address = HOST_ADDRESS if by == "local" else RAC2_ADDRESS
            if st.rac is not None:
                st.counters[RAC_IQN].abnormal_logouts += 1
            st.rac = self._login(RAC_IQN, address, t)
            st.rac_owner = by
            if by == "rac2":
                st.local_failed = True
                self._k(t + 0.004, " connection1:0: detected conn error (1020)")
                self._j(t + 0.006, "Kernel reported iSCSI connection 1:0 error (1020 - "
                                   "ISCSI_ERR_TCP_CONN_CLOSE: TCP connection closed) state (3)")
            elif not event.data.get("first"):
                st.local_failed = False
                self._j(t + 0.002, "connection1:0 is operational after recovery (1 attempts)")
            else:
                self._j(t, f"Connection1:0 to [target: {RAC_IQN}, portal: {HOST_ADDRESS},3260] "
                           "through [iface: default] is operational now", priority=6)
            for key in ("ImmediateData", "MaxBurstLength", "DefaultTime2Wait", "DefaultTime2Retain",
                        "MaxOutstandingR2T"):  # LIO negotiating the new login, as in the capture
                self._k(t + 0.005, f'No response for proposed key "{key}".', level=4)
        elif kind == "web_login":
            st.web = self._login(WEB_IQN, WEB01_ADDRESS, t)
        elif kind == "web_logout":
            st.web = None
            st.counters[WEB_IQN].normal_logouts += 1
        elif kind == "scratch_login":
            st.scratch = self._login(SCRATCH_IQN, "::1", t)
            st.initiator_sid += 1
            st.scratch_sid = st.initiator_sid
            host = self._host(st.scratch_sid)
            self._k(t + 0.1, f"scsi host{host}: iSCSI Initiator over TCP/IP", level=6)
            self._j(t + 0.3, f"Connection{st.scratch_sid}:0 to [target: {SCRATCH_IQN}, portal: ::1,3260] "
                             "through [iface: default] is operational now", priority=6)
            self._k(t + 0.4, f"sd {host}:0:0:0: [sdg] Attached SCSI disk", level=5)
        elif kind == "scratch_logout":
            st.scratch = None
            st.scratch_sid = None
            st.counters[SCRATCH_IQN].normal_logouts += 1
        elif kind == "fileserver_fail":
            c = st.counters[RAC_IQN]
            c.authorize_fails += 1
            c.last_fail_time = int(self.uptime(t) * 100)
            c.fail_name, c.fail_addr = FILESERVER
            self._k(t, f"iSCSI Initiator Node: {FILESERVER[0]} is not authorized to access iSCSI "
                       "target portal group: 1.")
            self._k(t + 0.0004, "iSCSI Login negotiation failed.")

    @staticmethod
    def _host(sid: int) -> int:
        return sid + 1  # host0 is the local disk controller

    def _k(self, t: float, message: str, level: int = 3) -> None:
        self.state.kmsg_seq += 1  # counted even when not written: sequence numbers stay the kernel's
        if self._logging:
            self._kmsg.append(F.kmsg_record(self.state.kmsg_seq, self.uptime(t), message, level))

    def _j(self, t: float, message: str, priority: int = 3) -> None:
        if self._logging:
            self._journal.append(F.journal_entry(t, message, priority=priority))

    def _flush_logs(self) -> None:
        base = os.path.join(self.root, DEMO_LOG_DIR)
        os.makedirs(base, exist_ok=True)
        for name, lines in ((DEMO_KMSG, self._kmsg), (DEMO_JOURNAL, self._journal)):
            if lines:
                with open(os.path.join(base, name), "a", encoding="utf-8") as handle:
                    handle.write("".join(lines))
                lines.clear()

    # -- files ----------------------------------------------------------------------

    def _x(self, t: float) -> float:
        return t - self.scenario.epoch

    def _write_state(self, t: float) -> None:
        x = self._x(t)
        st = self.state
        w = self.w
        totals = {key: stream.totals(x) for key, stream in self.streams.items()}

        # RAC: one ACL, flapping between two hosts; per-mapped-LUN, LUN and backstore counters.
        rac_tpg = self.paths["rac_tpg"]
        acl = os.path.join(rac_tpg, "acls", LOCAL_INITIATOR)
        rac_keys = [k for k in self.streams if k[0] == "rac"]
        self._session_files(acl, LOCAL_INITIATOR, st.rac, t, rac_keys, totals, alias="(none)")
        for key in rac_keys:
            lun = key[1]
            cmds, rd, wr = totals[key]
            w.mapped_lun(os.path.join(acl, f"lun_{lun}"), num_cmds=cmds, read_mbytes=rd // MiB, write_mbytes=wr // MiB,
                         session=(st.rac.sid, PORT_IDENT) if st.rac else None)
            w.lun(os.path.join(rac_tpg, "lun", f"lun_{lun}"), in_cmds=cmds, read_mbytes=rd // MiB, write_mbytes=wr // MiB)
            so = self.backstores.get(RAC_VOLUMES[lun][0])
            if so:
                w.backstore(so, num_cmds=cmds, read_mbytes=rd // MiB, write_mbytes=wr // MiB)

        # web01
        web_tpg = self.paths["web_tpg"]
        web_acl = os.path.join(web_tpg, "acls", WEB_CLIENT)
        self._session_files(web_acl, WEB_CLIENT, st.web, t, [("web", 0)], totals, alias="web01")
        cmds, rd, wr = totals[("web", 0)]
        w.mapped_lun(os.path.join(web_acl, "lun_0"), num_cmds=cmds, read_mbytes=rd // MiB, write_mbytes=wr // MiB,
                     session=(st.web.sid, f"{WEB_CLIENT}+i+{ISID}") if st.web else None)
        w.lun(os.path.join(web_tpg, "lun", "lun_0"), in_cmds=cmds, read_mbytes=rd // MiB, write_mbytes=wr // MiB)
        if "web-data" in self.backstores:
            w.backstore(self.backstores["web-data"], num_cmds=cmds, read_mbytes=rd // MiB, write_mbytes=wr // MiB)

        # scratch: a dynamic session, no ACL directory
        scratch_tpg = self.paths["scratch_tpg"]
        w.dynamic(scratch_tpg, [LOCAL_INITIATOR] if st.scratch else [])
        cmds, rd, wr = totals[("scratch", 0)]
        w.lun(os.path.join(scratch_tpg, "lun", "lun_0"), in_cmds=cmds, read_mbytes=rd // MiB, write_mbytes=wr // MiB)
        if "scratch" in self.backstores:
            w.backstore(self.backstores["scratch"], num_cmds=cmds, read_mbytes=rd // MiB, write_mbytes=wr // MiB)

        for target, session in ((RAC_IQN, st.rac), (WEB_IQN, st.web), (SCRATCH_IQN, st.scratch)):
            c = st.counters[target]
            values: dict[str, int | str] = {
                "iscsi_instance/sessions": int(session is not None),
                "iscsi_login_stats/accepts": c.accepts,
                "iscsi_login_stats/authorize_fails": c.authorize_fails,
                "iscsi_logout_stats/normal_logouts": c.normal_logouts,
                "iscsi_logout_stats/abnormal_logouts": c.abnormal_logouts,
            }
            if c.fail_name:
                values.update({
                    "iscsi_tgt_attr/login_fails": c.authorize_fails,
                    "iscsi_tgt_attr/last_fail_time": c.last_fail_time,
                    "iscsi_tgt_attr/last_fail_type": 4,
                    "iscsi_tgt_attr/fail_intr_name": c.fail_name,
                    "iscsi_tgt_attr/fail_intr_addr": c.fail_addr or "",
                })
            w.target_stats(os.path.join(self.root, CONFIGFS_TARGET, "iscsi", target), values)

        self._initiator_files(t, totals)

    def _session_files(self, acl: str, initiator: str, session: _Session | None, t: float,
                       keys: list[tuple[str, int]], totals: dict, *, alias: str) -> None:
        w = self.w
        if session is None:
            w.acl_session(acl, initiator, None)
            w.sess_stats(acl, None)
            return
        since = self._x(session.since)
        cmds = rd = wr = 0
        for key in keys:
            c1, r1, w1 = totals[key]
            c0, r0, w0 = self.streams[key].totals(since)
            cmds, rd, wr = cmds + c1 - c0, rd + r1 - r0, wr + w1 - w0
        exp = cmds & 0xFFFFFFFF
        info = F.acl_info(initiator, sid=session.sid, tsih=session.tsih, isid=ISID, alias=alias,
                          cmdsn=(64, 64, exp, exp + 63, cmds % 4096, (cmds * 3) % 4096),
                          connections=((0, F.CONN_STATE, session.address, "TCP", session.statsn + cmds),))
        w.acl_session(acl, initiator, info)
        nops = int((t - session.since) / 5)
        w.sess_stats(acl, {"cmd_pdus": cmds + nops, "conn_digest_errors": 0, "conn_timeout_errors": 0,
                           "indx": session.sid, "node": 1, "rsp_pdus": cmds // 8 + nops,
                           "rxdata_octs": wr, "txdata_octs": rd})

    def _initiator_files(self, t: float, totals: dict) -> None:
        st = self.state
        root = self.root
        # session1: this host's RAC session, FAILED while rac2 holds the ACL.
        session_dir, conn_dir = F.initiator_session_paths(root, 1, self._host(1))
        if not os.path.isdir(session_dir):
            F.create_initiator_session(
                self.k, sid=1, host=self._host(1), target=RAC_IQN, tpgt=1, initiator=LOCAL_INITIATOR,
                address=HOST_ADDRESS, port=3260, local_port=40312, local_address=HOST_ADDRESS,
                disks=[(lun, "sd" + "abcdef"[lun], size) for lun, (_name, size) in enumerate(RAC_VOLUMES)])
        self.w.put(os.path.join(session_dir, "state"), "FAILED\n" if st.local_failed else "LOGGED_IN\n")
        self.w.put(os.path.join(conn_dir, "state"), "failed\n" if st.local_failed else "up\n")
        host = self._host(1)
        device_root = os.path.join(root, "sys", "devices", "platform", f"host{host}", "session1", f"target{host}:0:0")
        for lun in range(len(RAC_VOLUMES)):
            self.w.put(os.path.join(device_root, f"{host}:0:0:{lun}", "state"),
                       "blocked\n" if st.local_failed else "running\n")
        # the scratch session comes and goes
        current = st.scratch_sid
        present = {int(name[7:]) for name in _listdir(os.path.join(root, "sys", "class", "iscsi_session"))
                   if name.startswith("session") and name[7:].isdigit()} - {1}
        for sid in present - ({current} if current else set()):
            F.remove_initiator_session(self.k, sid=sid, host=self._host(sid), disks=["sdg"])
            self.w.forget(os.path.join(root, "sys", "devices", "platform", f"host{self._host(sid)}") + os.sep)
        if current and current not in present:
            F.create_initiator_session(
                self.k, sid=current, host=self._host(current), target=SCRATCH_IQN, tpgt=1,
                initiator=LOCAL_INITIATOR, address="::1", port=3260, local_port=41000 + current,
                local_address="::1", disks=[(0, "sdg", SCRATCH_SIZE)], model="RAMDISK-MCP")

    # -- history for sparklines -----------------------------------------------------

    def rate_history(self, key: tuple, until: float, buckets: int, bucket: float) -> list[float | None] | None:
        """Bytes per second (read + write) of a session or LUN row for the ``buckets`` buckets before ``until``.

        Keys are the sampler's: ``("session", target, tpg, kind, initiator)`` and
        ``("lun", target, tpg, lun)``. ``None`` for a key the demo does not model.
        """
        streams = self._streams_for(key)
        if streams is None:
            return None
        end = math.floor(until / bucket) * bucket
        out: list[float | None] = []
        for i in range(buckets, 0, -1):
            t0, t1 = end - i * bucket, end - (i - 1) * bucket
            x0, x1 = self._x(t0), self._x(t1)
            if x1 <= 0:
                out.append(None)
                continue
            out.append(sum(s.bytes_per_second(max(x0, 0.0), x1) for s in streams))
        return out

    def _streams_for(self, key: tuple) -> list[Stream] | None:
        if key[0] == "session":
            _, target, _tpg, _kind, _initiator = key
            prefix = {RAC_IQN: "rac", WEB_IQN: "web", SCRATCH_IQN: "scratch"}.get(target)
        elif key[0] == "lun":
            _, target, _tpg, lun = key
            prefix = {RAC_IQN: "rac", WEB_IQN: "web", SCRATCH_IQN: "scratch"}.get(target)
            if prefix is None:
                return None
            stream = self.streams.get((prefix, lun))
            return [stream] if stream else None
        else:
            return None
        if prefix is None:
            return None
        return [s for k, s in self.streams.items() if k[0] == prefix]


def _listdir(path: str) -> list[str]:
    try:
        return os.listdir(path)
    except OSError:
        return []


def write_boot_time(root: str, boot: float) -> None:
    """``proc/stat``'s ``btime`` (and ``proc/uptime``): when the simulated kernel booted."""
    proc = os.path.join(root, "proc")
    os.makedirs(proc, exist_ok=True)
    with open(os.path.join(proc, "stat"), "w", encoding="ascii") as handle:
        handle.write(f"btime {int(boot)}\n")


def start_live_demo(root: str | os.PathLike[str], *, now: float, seed: int = DEFAULT_SEED,
                    flap_phase: float = 180.0) -> LiveDemo:
    """Make the idle demo under ``root`` live at ``now``: sessions, counters, the last minutes of log."""
    root = os.path.abspath(os.fspath(root))
    scenario = Scenario(start=now, seed=seed, flap_phase=flap_phase)
    write_boot_time(root, scenario.boot)
    demo = LiveDemo(root, scenario)
    os.makedirs(os.path.dirname(os.path.join(root, STATE_FILE)), exist_ok=True)
    for name in (DEMO_KMSG, DEMO_JOURNAL):
        path = os.path.join(root, DEMO_LOG_DIR, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, "w").close()
    demo.tick(now)
    return demo


def is_live(root: str | os.PathLike[str]) -> bool:
    return os.path.isfile(os.path.join(os.fspath(root), STATE_FILE))


