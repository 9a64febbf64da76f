"""The Prometheus collector: one scrape of the LIO target, the open-iscsi initiator and the doctor.

Each :meth:`SanCollector.collect` reads the live state fresh — the layout
(directory listings), every ACL's session and counters, dynamic sessions,
target, LUN and mapped-LUN statistics, the initiator's sysfs, the new log
lines — and takes the configuration, the save state and the doctor's host
facts from :class:`~sanctl.exporter.structure.StructureCache`, which reads
them again only when they changed. The doctor's rules run on every scrape
over that: the same rules as ``sanctl doctor``, the live state seen as the
TUI's doctor sees it (an :class:`~sanctl.doctor.observe.Observer` fed every
scrape, so a session replaced again and again is seen).

Metric names follow Prometheus' conventions: ``lio_`` for the target,
``openiscsi_`` for the initiator, ``sanctl_`` for the exporter and the
doctor; counters end in ``_total``, bytes in ``_bytes_total``. Labels are
bounded: no session ids or timestamps; initiator names only on the series
of an ACL (what an operator alerts on), LUN numbers only on LUN series. No
label or value comes from a CHAP setting. No Textual here.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from types import MappingProxyType
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily
from prometheus_client.registry import Collector

from sanctl.exporter.structure import DEFAULT_EVERY, StructureCache

MiB = 1 << 20

#: Every reader the collector names in ``sanctl_exporter_reader_*`` (so each series exists from the start).
READERS = ("layout", "tpg_attributes", "target_stats", "acl_sessions", "dynamic_sessions", "lun_stats",
           "mapped_lun_stats", "storage_names", "save_file", "config", "save_status", "host_facts",
           "initiator", "multipath", "kernel_log", "doctor", "demo")
#: Login failure reasons: the fabric's ``iscsi_login_stats`` files.
LOGIN_REASONS = (("authorize", "authorize_fails"), ("authenticate", "authenticate_fails"),
                 ("negotiate", "negotiate_fails"), ("other", "other_fails"))
SESSION_ERRORS = (("digest", "digest_errors"), ("connection", "cxn_errors"), ("format", "format_errors"))
ALUA_HELP = ("ALUA access state of the target port group a LUN is in: 0 Active/Optimized, 1 Active/NonOptimized, "
             "2 Standby, 3 Unavailable, 4 LBA Dependent, 14 Offline, 15 Transitioning")
#: The doctor's rules run again at least this often (seconds), changes or not (counters move).
DOCTOR_EVERY = 30.0
MIB_NOTE = " (the kernel counts whole MiB: the value moves in steps of 1048576)"


class SanCollector(Collector):
    """A prometheus-client collector over an :class:`~sanctl.host.exporter_reads.ExporterReads` (the host's ``exporter_reads()``)."""

    def __init__(self, reads: Any, *, mode: str, config_every: float = DEFAULT_EVERY,
                 clock: Callable[[], float] = time.monotonic, wall_clock: Callable[[], float] = time.time,
                 since_start: bool = True, version: str = "", mapped_luns: bool = True,
                 background: bool = False) -> None:
        from sanctl.doctor.observer import Observer
        from sanctl.live.events import EventLog
        from sanctl.live.flap import SessionChanges

        self.reads = reads
        self.mode = mode
        self.clock = clock
        self.wall_clock = wall_clock
        self.version = version
        #: Series per initiator and mapped LUN (3 per mapped LUN: 60,000 on a 20,000-mapped-LUN target).
        self.mapped_luns = mapped_luns
        self.cache = StructureCache(reads, every=config_every, clock=clock, background=background)
        self.started = wall_clock()
        #: Count connection errors only from the exporter's start (False: whatever the log still holds).
        self.since_start = since_start
        self.events = EventLog()
        self.changes = SessionChanges()
        self.observer = Observer()
        self.reader_errors: Counter[str] = Counter({name: 0 for name in READERS})
        self.conn_errors: Counter[int] = Counter()
        self.initiator_events: Counter[str] = Counter()
        self.reinstated: Counter[tuple[str, int, str]] = Counter()
        self.scrapes = 0
        self._info_cache: dict = {}
        #: Each ACL's mapped-LUN counters as last read (read again while it has a session).
        self._mapped: dict[tuple[str, int, str], tuple] = {}
        #: Each TPG's LUN rows as last read: (LUN, backstore, commands, read MiB, write MiB).
        self._luns: dict[tuple[str, int], list] = {}
        #: TPGs and ACLs with a session at the last scrape; each target's (accepts, logouts) then.
        self._busy_tpgs: set = set()
        self._busy_acls: set = set()
        self._login_stamps: dict[str, tuple] = {}
        #: The configuration's series (backstores, ALUA, drift), built once per structure read.
        self._static: tuple[Any, list] = (None, [])
        #: The doctor's last report, and what it was made from (sessions seen changing, log, structure, when).
        self._report: Any = None
        self._report_stamp: tuple | None = None
        self._report_at = 0.0
        self._lock = threading.Lock()
        self._last_problem: dict[str, str] = {}

    # --- helpers -------------------------------------------------------------------------

    def _timed(self, durations: dict[str, float]) -> Callable[[str, Callable[[], Any]], Any]:
        def timed(reader: str, work: Callable[[], Any]) -> Any:
            started = time.perf_counter()
            try:
                return work()
            except Exception as exc:  # a reader failing is a metric (and a log line), never a failed scrape
                self.reader_errors[reader] += 1
                problem = f"{type(exc).__name__}: {exc}"
                if self._last_problem.get(reader) != problem:  # said once, not at every scrape
                    self._last_problem[reader] = problem
                    print(f"sanctl exporter: reader {reader} failed: {problem}", file=sys.stderr, flush=True)
                return None
            finally:
                durations[reader] = durations.get(reader, 0.0) + time.perf_counter() - started
        return timed

    def describe(self) -> Iterator:
        return iter(())  # families are built at scrape time (the registry must not collect to describe)

    # --- one scrape ----------------------------------------------------------------------

    def collect(self) -> Iterator:
        with self._lock:
            return iter(self._scrape())

    def _scrape(self) -> list:
        began = time.perf_counter()
        wall = self.wall_clock()
        mono = self.clock()
        durations: dict[str, float] = {}
        timed = self._timed(durations)
        self.scrapes += 1
        timed("demo", lambda: self.reads.advance(wall))
        out: list = []
        layout = timed("layout", self.reads.layout) or ()
        structure = self.cache.get(layout, timed)
        config = structure.config if structure is not None else None
        sessions, target_stats = self._target(layout, config, timed, out, wall)
        initiator = self._initiator(timed, out, wall)
        self._config_metrics(structure, out)
        self._doctor(structure, layout, sessions, target_stats, initiator, timed, out, wall, mono)
        self._exporter_metrics(durations, structure, out, began)
        return out

    # --- the target ----------------------------------------------------------------------

    def _target(self, layout, config, timed, out: list, wall: float):
        lab_tpg = ["target", "tpg"]
        enabled = GaugeMetricFamily("lio_tpg_enabled", "Whether the TPG is enabled (1) or not (0)", labels=lab_tpg)
        auth = GaugeMetricFamily("lio_tpg_authentication",
                                 "Whether the TPG requires CHAP (attrib/authentication = 1)", labels=lab_tpg)
        demo = GaugeMetricFamily("lio_tpg_demo_mode",
                                 "Whether the TPG is in demo mode (generate_node_acls = 1: any initiator may log in)",
                                 labels=lab_tpg)
        demo_rw = GaugeMetricFamily("lio_tpg_demo_mode_writable",
                                    "Demo mode with write access (generate_node_acls = 1, demo_mode_write_protect = 0): "
                                    "any initiator can write every LUN", labels=lab_tpg)
        luns_n = GaugeMetricFamily("lio_tpg_luns", "LUNs of the TPG", labels=lab_tpg)
        acls_n = GaugeMetricFamily("lio_tpg_acls", "ACLs (explicit initiator entries) of the TPG", labels=lab_tpg)
        tpg_sessions = GaugeMetricFamily(
            "lio_tpg_sessions", "Sessions on the TPG by kind (acl: an explicit ACL's; dynamic: demo mode) and state",
            labels=[*lab_tpg, "kind", "state"])
        acl_state = GaugeMetricFamily(
            "lio_acl_session", "The session of an ACL: 1 with its state (LOGGED_IN, FAILED, FREE, ...), "
            "state=\"NONE\" when the initiator is not logged in", labels=[*lab_tpg, "initiator", "state"])
        lab_acl = [*lab_tpg, "initiator"]
        acl_cmds = CounterMetricFamily("lio_acl_session_commands", "Commands (PDUs) of the ACL's current session "
                                       "(restarts with each new session)", labels=lab_acl)
        acl_read = CounterMetricFamily("lio_acl_session_read_bytes", "Bytes the initiator read in the ACL's current "
                                       "session (iscsi_sess_stats txdata_octs)", labels=lab_acl)
        acl_write = CounterMetricFamily("lio_acl_session_write_bytes", "Bytes the initiator wrote in the ACL's current "
                                        "session (iscsi_sess_stats rxdata_octs: Data-Out PDUs; the kernel leaves "
                                        "out immediate data)", labels=lab_acl)
        acl_digest = CounterMetricFamily("lio_acl_session_digest_errors", "Digest errors of the ACL's session",
                                         labels=lab_acl)
        acl_timeout = CounterMetricFamily("lio_acl_session_timeout_errors", "Connection timeout errors of the ACL's "
                                          "session", labels=lab_acl)
        reinstated = CounterMetricFamily(
            "lio_acl_session_reinstatements", "Times this exporter saw the ACL's session replaced by another (new "
            "session id or TSIH) soon after or from another address: two hosts with one initiator name flap like this",
            labels=lab_acl)
        lab_m = [*lab_acl, "mapped_lun"]
        m_cmds = CounterMetricFamily("lio_mapped_lun_commands", "Commands of one initiator to one mapped LUN",
                                     labels=lab_m)
        m_read = CounterMetricFamily("lio_mapped_lun_read_bytes", "Bytes one initiator read from one mapped LUN"
                                     + MIB_NOTE, labels=lab_m)
        m_write = CounterMetricFamily("lio_mapped_lun_write_bytes", "Bytes one initiator wrote to one mapped LUN"
                                      + MIB_NOTE, labels=lab_m)
        lab_lun = [*lab_tpg, "lun", "backstore"]
        l_cmds = CounterMetricFamily("lio_lun_commands", "Commands to a TPG LUN, all initiators", labels=lab_lun)
        l_read = CounterMetricFamily("lio_lun_read_bytes", "Bytes read from a TPG LUN, all initiators" + MIB_NOTE,
                                     labels=lab_lun)
        l_write = CounterMetricFamily("lio_lun_write_bytes", "Bytes written to a TPG LUN, all initiators" + MIB_NOTE,
                                      labels=lab_lun)
        lab_t = ["target"]
        accepts = CounterMetricFamily("lio_target_login_accepts", "Logins the target accepted (since the module "
                                      "was loaded)", labels=lab_t)
        fails = CounterMetricFamily(
            "lio_target_login_failures", "Logins the target refused, by reason (iscsi_login_stats): authorize = no "
            "ACL for the initiator, authenticate = CHAP failed, negotiate = parameters, other", labels=[*lab_t, "reason"])
        redirects = CounterMetricFamily("lio_target_login_redirects", "Logins the target redirected", labels=lab_t)
        normal_out = CounterMetricFamily("lio_target_normal_logouts", "Sessions that logged out normally",
                                         labels=lab_t)
        abnormal_out = CounterMetricFamily("lio_target_abnormal_logouts", "Sessions that ended without a logout "
                                           "(connection lost, timed out, reinstated)", labels=lab_t)
        sess_err = CounterMetricFamily("lio_target_session_errors", "Session errors by kind (iscsi_sess_err)",
                                       labels=[*lab_t, "kind"])
        fail_sess = CounterMetricFamily("lio_target_failed_sessions", "Sessions that failed (iscsi_instance "
                                        "fail_sess)", labels=lab_t)

        sessions = []
        target_stats: dict = {}
        acl_keys = []
        mapped_seen: set = set()
        luns_seen: set = set()
        busy_now: set = set()
        busy_acls: set = set()
        moved: set = set()  #: targets whose logins or logouts moved since the last scrape
        for target in layout:
            stats = timed("target_stats", lambda: self.reads.target_stats(target.path))
            if stats is not None:
                target_stats[target.iqn] = stats
                stamp = (stats.accepts, stats.normal_logouts, stats.abnormal_logouts)
                if self._login_stamps.get(target.iqn) != stamp:
                    moved.add(target.iqn)
                    self._login_stamps[target.iqn] = stamp
                t = [target.iqn]
                accepts.add_metric(t, stats.accepts or 0)
                for reason, attr in LOGIN_REASONS:
                    fails.add_metric([*t, reason], getattr(stats, attr) or 0)
                redirects.add_metric(t, stats.redirects or 0)
                normal_out.add_metric(t, stats.normal_logouts or 0)
                abnormal_out.add_metric(t, stats.abnormal_logouts or 0)
                for kind, attr in SESSION_ERRORS:
                    sess_err.add_metric([*t, kind], getattr(stats, attr) or 0)
                fail_sess.add_metric(t, stats.fail_sess or 0)
            for tpg in target.tpgs:
                g = [target.iqn, str(tpg.tag)]
                wp = timed("tpg_attributes", lambda: self.reads.tpg_word(tpg.path, "attrib/demo_mode_write_protect"))
                au = timed("tpg_attributes", lambda: self.reads.tpg_word(tpg.path, "attrib/authentication"))
                enabled.add_metric(g, 1 if tpg.enabled else 0)
                demo.add_metric(g, 1 if tpg.demo_mode else 0)
                demo_rw.add_metric(g, 1 if tpg.demo_mode and wp == "0" else 0)
                auth.add_metric(g, 1 if au == "1" else 0)
                luns_n.add_metric(g, len(tpg.luns))
                acls_n.add_metric(g, len(tpg.acls))
                counts: Counter[tuple[str, str]] = Counter({("acl", "LOGGED_IN"): 0, ("dynamic", "LOGGED_IN"): 0})
                for initiator in tpg.acls:
                    acl_path = tpg.acl_path(initiator)
                    a = [*g, initiator]
                    acl_keys.append((target.iqn, tpg.tag, initiator))
                    session = timed("acl_sessions", lambda: self.reads.acl_session(
                        target.iqn, tpg.tag, initiator, acl_path, self._info_cache))
                    change = self.changes.observe(wall, target.iqn, tpg.tag, initiator, session)
                    if change is not None:
                        self.reinstated[(target.iqn, tpg.tag, initiator)] += 1
                    reinstated.add_metric(a, self.reinstated.get((target.iqn, tpg.tag, initiator), 0))
                    if session is None:
                        acl_state.add_metric([*a, "NONE"], 1)
                    else:
                        sessions.append(session)
                        counts[("acl", session.state)] += 1
                        acl_state.add_metric([*a, session.state], 1)
                        s = session.stats
                        if s is not None and not s.empty:
                            acl_cmds.add_metric(a, s.cmd_pdus or 0)
                            acl_read.add_metric(a, s.txdata_octs or 0)
                            acl_write.add_metric(a, s.rxdata_octs or 0)
                            acl_digest.add_metric(a, s.conn_digest_errors or 0)
                            acl_timeout.add_metric(a, s.conn_timeout_errors or 0)
                    if not self.mapped_luns:
                        continue
                    # Without a session nothing moves the mapped LUNs' counters: the last reading stands.
                    key = (target.iqn, tpg.tag, initiator)
                    found = self._mapped.get(key) if session is None and key not in self._busy_acls \
                        and target.iqn not in moved else None
                    if session is not None:
                        busy_acls.add(key)
                    if found is None:
                        found = timed("mapped_lun_stats", lambda: self.reads.mapped_lun_stats(acl_path)) or ()
                        self._mapped[key] = found
                    mapped_seen.add(key)
                    for index, cmds, read_mib, write_mib in found:
                        ml = [*a, str(index)]
                        m_cmds.add_metric(ml, cmds or 0)
                        m_read.add_metric(ml, (read_mib or 0) * MiB)
                        m_write.add_metric(ml, (write_mib or 0) * MiB)
                dynamic = timed("dynamic_sessions", lambda: self.reads.dynamic_sessions(tpg)) or ()
                for session in dynamic:
                    sessions.append(session)
                    counts[("dynamic", session.state)] += 1
                for (kind, state), n in sorted(counts.items()):
                    tpg_sessions.add_metric([*g, kind, state], n)
                tpg_key = (target.iqn, tpg.tag)
                busy = sum(counts.values()) > 0
                # LUN counters move only while an initiator is logged in to the TPG: read them when one is,
                # was at the last scrape, or logged in and out since (the target's login counters moved).
                fresh = busy or tpg_key in self._busy_tpgs or target.iqn in moved or tpg_key not in self._luns
                if busy:
                    busy_now.add(tpg_key)
                if fresh:
                    rows = []
                    for lun in tpg.luns:
                        path = tpg.lun_path(lun)
                        stats = timed("lun_stats", lambda: self.reads.lun_stats(path))
                        if stats is not None:
                            rows.append((lun, self._backstore(config, target.iqn, tpg.tag, lun, path, timed), *stats))
                    self._luns[tpg_key] = rows
                luns_seen.add(tpg_key)
                for lun, backstore, cmds, read_mib, write_mib in self._luns[tpg_key]:
                    ll = [*g, str(lun), backstore or ""]
                    l_cmds.add_metric(ll, cmds or 0)
                    l_read.add_metric(ll, (read_mib or 0) * MiB)
                    l_write.add_metric(ll, (write_mib or 0) * MiB)
        self.changes.forget(acl_keys)
        current = set(acl_keys)
        for key in [k for k in self.reinstated if k not in current]:
            del self.reinstated[key]  # an ACL deleted: its series goes, and so does its count
        for key in [k for k in self._mapped if k not in mapped_seen]:
            del self._mapped[key]
        for key in [k for k in self._luns if k not in luns_seen]:
            del self._luns[key]
        self._busy_tpgs, self._busy_acls = busy_now, busy_acls
        out.extend([enabled, auth, demo, demo_rw, luns_n, acls_n, tpg_sessions, acl_state, acl_cmds, acl_read,
                    acl_write, acl_digest, acl_timeout, reinstated, m_cmds, m_read, m_write, l_cmds, l_read, l_write,
                    accepts, fails, redirects, normal_out, abnormal_out, sess_err, fail_sess])
        return tuple(sessions), target_stats

    def _backstore(self, config, target: str, tag: int, lun: int, path: str, timed) -> str | None:
        """``plugin/name`` of a LUN's storage object: from the cached configuration, else its link."""
        if config is not None:
            if getattr(self, "_lun_index_of", None) is not config:
                self._lun_index = {(t.wwn, g.tag, x.index): x for t in config.targets for g in t.tpgs for x in g.luns}
                self._lun_index_of = config
            found = self._lun_index.get((target, tag, lun))
            if found is not None and found.storage_object is not None:
                return "/".join(found.storage_object)
        return timed("lun_stats", lambda: self.reads.lun_backstore(path))

    # --- the configuration: backstores, ALUA, drift --------------------------------------------

    def _config_metrics(self, structure, out: list) -> None:
        lab_b = ["backstore"]
        info = InfoMetricFamily("lio_backstore", "A backstore (storage object): its plugin and device or file",
                                labels=lab_b)
        size = GaugeMetricFamily("lio_backstore_size_bytes", "Size of the backstore", labels=lab_b)
        cache = GaugeMetricFamily("lio_backstore_write_cache", "Whether the backstore reports a write-back cache "
                                  "(emulate_write_cache = 1; fileio: write-back)", labels=lab_b)
        present = GaugeMetricFamily("lio_backstore_device_present", "Whether a block backstore's device exists on "
                                    "this host (0: gone — every I/O to its LUNs fails)", labels=lab_b)
        users = GaugeMetricFamily("lio_backstore_luns", "TPG LUNs exported from the backstore", labels=lab_b)
        alua = GaugeMetricFamily("lio_lun_alua_access_state", ALUA_HELP, labels=["target", "tpg", "lun", "group"])
        unsaved = GaugeMetricFamily("lio_config_unsaved", "Whether the running configuration differs from the "
                                    "saved one the boot service restores (1: lost at reboot; never saved counts)")
        saved_at = GaugeMetricFamily("lio_config_saved_timestamp_seconds", "When saveconfig.json was last written")
        age = GaugeMetricFamily("lio_config_save_age_seconds", "Seconds since saveconfig.json was last written")
        out.append(age)
        status = structure.save_status if structure is not None else None
        if status is not None and status.saved_at is not None:
            age.add_metric([], max(0.0, self.wall_clock() - status.saved_at.timestamp()))
        if structure is not None and self._static[0] is structure:
            out.extend(self._static[1])  # the same structure: the same series, built once
            return
        static = [info, size, cache, present, users, alua, unsaved, saved_at]
        out.extend(static)
        if structure is None:
            return
        self._static = (structure, static)
        config = structure.config
        used: Counter[tuple[str, str]] = Counter()
        for target in config.targets:
            for tpg in target.tpgs:
                for lun in tpg.luns:
                    if lun.storage_object is not None:
                        used[lun.storage_object] += 1
                    so = config.storage_object(lun.storage_object)
                    if so is None or not so.alua_groups or not lun.alua_tg_pt_gp_name:
                        continue
                    for group in so.alua_groups:
                        if group.name == lun.alua_tg_pt_gp_name:
                            state = group.settings.int_value("alua_access_state")
                            if state is not None:
                                alua.add_metric([target.wwn, str(tpg.tag), str(lun.index), group.name], state)
        devices = getattr(structure.facts, "devices", None) or {}
        for so in config.storage_objects:
            b = [f"{so.plugin}/{so.name}"]
            where = so.dev or ""
            info.add_metric(b, {"plugin": so.plugin, "device": where})
            if so.size is not None:
                size.add_metric(b, so.size)
            wc = None
            if so.attributes is not None:
                raw = so.attributes.int_value("emulate_write_cache")
                wc = None if raw is None else bool(raw)
            if wc is None:
                wc = so.write_back
            if wc is not None:
                cache.add_metric(b, 1 if wc else 0)
            fact = devices.get(so.dev) if so.plugin == "block" and so.dev else None
            if fact is not None:
                present.add_metric(b, 1 if fact.exists else 0)
            users.add_metric(b, used.get(so.key, 0))
        if status is not None and status.differs is not None:
            unsaved.add_metric([], 1 if status.differs else 0)
        if status is not None and status.saved_at is not None:
            saved_at.add_metric([], status.saved_at.timestamp())

    # --- the initiator ---------------------------------------------------------------------------

    def _initiator(self, timed, out: list, wall: float):
        from sanctl.iscsi_errors import CONN_ERRORS, conn_error

        lab = ["target", "portal"]
        sessions = GaugeMetricFamily("openiscsi_sessions", "This host's iSCSI sessions by target, portal and state "
                                     "(LOGGED_IN, FAILED, FREE)", labels=[*lab, "state"])
        conns = GaugeMetricFamily("openiscsi_connections", "Connections of this host's sessions by state (up, down, "
                                  "failed, bound)", labels=[*lab, "state"])
        disks = GaugeMetricFamily("openiscsi_session_disks", "Disks a session brought, by SCSI device state "
                                  "(running, blocked = in recovery, offline ...)", labels=[*lab, "state"])
        tmo = GaugeMetricFamily("openiscsi_session_recovery_timeout_seconds", "How long a session's I/O waits in "
                                "recovery before failing (node.session.timeo.replacement_timeout)", labels=lab)
        errors = CounterMetricFamily(
            "openiscsi_connection_errors", "Connection errors by code (1001-1022) in the kernel log and iscsid's"
            + (" since the exporter started" if self.since_start else " (what the log still holds)")
            + "; 1020 again and again is two hosts with one initiator name", labels=["code", "name"])
        recov = CounterMetricFamily("openiscsi_recoveries", "Connections that were operational again after recovery "
                                    "(iscsid)")
        rec_tmo = CounterMetricFamily("openiscsi_recovery_timeouts", "Sessions whose recovery timed out: their I/O "
                                      "failed (kernel)")
        ping = CounterMetricFamily("openiscsi_ping_timeouts", "NOP-Out ping timeouts (kernel)")
        rejected = CounterMetricFamily("openiscsi_login_rejections", "Logins the target rejected (iscsid)")
        mp_up = GaugeMetricFamily("openiscsi_multipath_path_up", "A multipath path carries I/O (1) or is dead (0); "
                                  "only where multipath-tools is installed", labels=["map", "device"])
        mp_paths = GaugeMetricFamily("openiscsi_multipath_paths", "Paths of a multipath map by state (active, failed)",
                                     labels=["map", "state"])
        live = timed("initiator", self.reads.initiator)
        events = timed("kernel_log", self.reads.log_events) or []
        if live is not None:
            for s in live.sessions:
                self.events.label(s.sid, s.target, s.portal)
        new = self.events.add(events) if events else []
        for incident in new:
            if self.since_start and incident.time is not None and incident.time < self.started:
                continue
            if incident.kind == "conn_error" and incident.code is not None:
                # A code outside the table (a newer kernel, a damaged line) is "other": the labels stay bounded.
                self.conn_errors[incident.code if incident.code in CONN_ERRORS else 0] += 1
            elif incident.kind in ("recovered", "recovery_timeout", "ping_timeout", "login_rejected"):
                self.initiator_events[incident.kind] += 1
        counts: Counter[tuple] = Counter()
        conn_counts: Counter[tuple] = Counter()
        disk_counts: Counter[tuple] = Counter()
        if live is not None:
            for s in live.sessions:
                key = (s.target or "", s.portal or "")
                counts[(*key, s.state or "UNKNOWN")] += 1
                for c in s.connections:
                    conn_counts[(*key, c.state or "unknown")] += 1
                for d in s.disks:
                    disk_counts[(*key, d.state or "unknown")] += 1
                if s.recovery_tmo is not None:
                    tmo.add_metric(list(key), s.recovery_tmo)
        for key, n in sorted(counts.items()):
            sessions.add_metric(list(key), n)
        for key, n in sorted(conn_counts.items()):
            conns.add_metric(list(key), n)
        for key, n in sorted(disk_counts.items()):
            disks.add_metric(list(key), n)
        for code in sorted(CONN_ERRORS):
            errors.add_metric([str(code), conn_error(code).name], self.conn_errors.get(code, 0))
        if self.conn_errors.get(0):
            errors.add_metric(["other", "unknown"], self.conn_errors[0])
        recov.add_metric([], self.initiator_events["recovered"])
        rec_tmo.add_metric([], self.initiator_events["recovery_timeout"])
        ping.add_metric([], self.initiator_events["ping_timeout"])
        rejected.add_metric([], self.initiator_events["login_rejected"])
        devices = timed("multipath", self.reads.multipath)
        if devices:
            for device in devices:
                states = Counter({"active": 0, "failed": 0})
                for path in device.paths:
                    mp_up.add_metric([device.name, path.device], 0 if path.failed else 1)
                    states["failed" if path.failed else "active"] += 1
                for state, n in sorted(states.items()):
                    mp_paths.add_metric([device.name, state], n)
        out.extend([sessions, conns, disks, tmo, errors, recov, rec_tmo, ping, rejected, mp_up, mp_paths])
        return live

    # --- the doctor ----------------------------------------------------------------------------------

    def _doctor(self, structure, layout, sessions, target_stats, initiator, timed, out: list, wall: float,
                mono: float) -> None:
        from sanctl.doctor.findings import SEVERITIES
        from sanctl.doctor.rules import RULES

        family = GaugeMetricFamily("sanctl_doctor_findings", "What sanctl doctor finds, by check and severity "
                                   "(sanctl doctor explains each and names the fix)", labels=["severity", "check"])
        unchecked = GaugeMetricFamily("sanctl_doctor_not_checked", "Things the doctor could not check here (sanctl "
                                      "doctor lists them with the reason)")
        out.extend([family, unchecked])
        if structure is None:
            return
        report = timed("doctor", lambda: self._evaluate(structure, layout, sessions, target_stats, initiator,
                                                        wall, mono))
        if report is None:
            report = self._report
        found: Counter[tuple[str, str]] = Counter()
        if report is not None:
            for finding in report.findings:
                found[(finding.severity, finding.rule)] += 1
            unchecked.add_metric([], len(report.not_checked))
        checks = [name for name, _ in RULES] + sorted({rule for _, rule in found} - {name for name, _ in RULES})
        for check in checks:
            for severity in SEVERITIES:
                family.add_metric([severity, check], found.get((severity, check), 0))

    def _evaluate(self, structure, layout, sessions, target_stats, initiator, wall: float, mono: float):
        from sanctl.doctor.rules import evaluate
        from sanctl.initiator.sysfs import InitiatorLive
        from sanctl.live.flap import connection_flaps, shared_name_findings
        from sanctl.live.sampler import LiveFrame

        flaps = connection_flaps(self.events.incidents, wall, recoveries=self.events.recoveries)
        shared = shared_name_findings(self.changes.changes, wall, flaps=flaps)
        frame = LiveFrame(
            seq=self.scrapes, mono=mono, wall=wall, layout=tuple(layout), sessions=sessions,
            target_stats=MappingProxyType(dict(target_stats)), initiator=initiator or InitiatorLive(),
            incidents=tuple(self.events.incidents), incidents_version=self.events.version,
            findings=tuple(shared + flaps), recoveries=MappingProxyType(dict(self.events.recoveries)),
            boot_wall=self.reads.boot_wall)
        self.observer.add(frame)
        # The rules cost ~0.1 s on a 10,000-LUN target: run them when a session changed, a log incident
        # came or the structure was read again, else at most every DOCTOR_EVERY seconds.
        stamp = (self.observer.changes, self.events.version, id(structure), id(structure.facts))
        if self._report is not None and stamp == self._report_stamp and mono - self._report_at < DOCTOR_EVERY:
            return self._report
        self._report = evaluate(structure.config, self.observer.snapshot(), structure.facts)
        self._report_stamp, self._report_at = stamp, mono
        return self._report

    # --- the exporter itself --------------------------------------------------------------------------

    def _exporter_metrics(self, durations: dict[str, float], structure, out: list, began: float) -> None:
        info = InfoMetricFamily("sanctl_exporter", "sanctl exporter: version and what it reads (real, demo, captured)")
        info.add_metric([], {"version": self.version, "mode": self.mode})
        took = GaugeMetricFamily("sanctl_exporter_reader_duration_seconds", "Time each reader took in this scrape",
                                 labels=["reader"])
        errors = CounterMetricFamily("sanctl_exporter_reader_errors", "Reads that failed, by reader (the scrape goes "
                                     "on without them)", labels=["reader"])
        for reader in READERS:
            took.add_metric([reader], durations.get(reader, 0.0))
        for reader in sorted(self.reader_errors):
            errors.add_metric([reader], self.reader_errors[reader])
        reads = CounterMetricFamily("sanctl_exporter_structure_reads", "Full reads of the configuration (when its "
                                    "layout or the saved file changed, or every few minutes)")
        reads.add_metric([], self.cache.reads_done)
        age = GaugeMetricFamily("sanctl_exporter_structure_age_seconds", "Age of the cached configuration")
        read_took = GaugeMetricFamily("sanctl_exporter_structure_read_seconds", "Time the last full read of the "
                                      "configuration, save state and host facts took")
        if structure is not None:
            age.add_metric([], max(0.0, self.clock() - structure.read_at))
            read_took.add_metric([], structure.seconds)
        start = GaugeMetricFamily("sanctl_exporter_start_time_seconds", "When the exporter started")
        start.add_metric([], self.started)
        duration = GaugeMetricFamily("sanctl_exporter_scrape_duration_seconds", "Time this scrape took")
        duration.add_metric([], time.perf_counter() - began)
        out.extend([info, took, errors, reads, age, read_took, start, duration])
