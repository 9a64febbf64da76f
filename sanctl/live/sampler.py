"""The live sampler: what is on screen every tick, everything else now and then.

Reading every counter of a big target every second is not free (1,000
sessions and 10,000 LUNs are ~50,000 files), so the sampler splits the work
into *items* — an ACL's session (``info`` + counters), a TPG's dynamic
sessions, a target's statistics, a LUN's counters, an ACL's mapped LUNs —
and reads per tick:

- the **hot** items, the ones behind the rows the screen shows
  (:meth:`Sampler.set_hot`, called by the UI when it scrolls), at full rate;
- a rotating 1/N slice of the rest (N = ``sweep_every``), so every session
  is still looked at every N seconds (new sessions appear, flapping is seen
  anywhere);
- the layout (targets, TPGs, ACL and LUN names) every ``structure_every``
  seconds.

A small configuration (fewer than ``all_hot_below`` items) is read whole
every tick. Rates come from counter deltas over an injectable monotonic
clock (:mod:`sanctl.live.rates`), sparklines from per-row bucketed
histories (:mod:`sanctl.live.history`), log events from non-blocking
sources (:mod:`sanctl.kernel_log`), findings from :mod:`sanctl.live.flap`.
Each :meth:`Sampler.sample` returns an immutable :class:`LiveFrame`, safe to
hand from a worker thread to the screen. No Textual here.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from types import MappingProxyType

from sanctl.initiator.sysfs import InitiatorLive, read_initiator
from sanctl.iscsi_errors import login_fail_type
from sanctl.kernel_log import UNTRUSTED, boot_wall_time
from sanctl.live.events import EventLog
from sanctl.live.fail_time import kernel_hz, seconds_since_boot
from sanctl.live.frame import LiveConfig, LiveFrame, _empty, item_keys  # (their home; re-exported here)
from sanctl.live.flap import Finding, SessionChanges, connection_flaps, shared_name_findings
from sanctl.live.history import History
from sanctl.live.rates import UNKNOWN, Rate, RateTracker
from sanctl.lio.live import (
    LunStats,
    MappedLunStats,
    TargetLayout,
    TargetSession,
    TargetStats,
    TpgLayout,
    lun_backstore,
    read_acl_session,
    read_dynamic_sessions,
    read_layout,
    read_lun_stats,
    read_int,
    read_mapped_lun_stats,
    read_target_stats,
)

MiB = 1 << 20


class Sampler:
    """Reads the live state of one root; call :meth:`sample` from one thread at a time."""

    def __init__(self, root: str = "/", *, clock: Callable[[], float] = time.monotonic,
                 wall_clock: Callable[[], float] = time.time, log_sources: Iterable | None = None,
                 before_sample: Callable[[float], None] | None = None,
                 backfill: Callable[[tuple, float, int, float], list[float | None] | None] | None = None,
                 config: LiveConfig | None = None, problems: Iterable[str] = ()) -> None:
        self.root = root
        self.clock = clock
        self.wall_clock = wall_clock
        self.config = config or LiveConfig()
        self.sources = list(log_sources or ())
        self.before_sample = before_sample
        self.backfill = backfill
        self.problems = list(problems)
        self.untrusted = 0
        self.boot_wall = boot_wall_time(root)
        self.simulated = os.path.abspath(root) != "/"
        self.hz = None if self.simulated else kernel_hz(root)
        self._hot_rows: frozenset = frozenset()
        self._hot_items: frozenset = frozenset()
        self._seq = 0
        self._layout: tuple[TargetLayout, ...] = ()
        self._tpgs: dict[tuple[str, int], TpgLayout] = {}
        self._targets: dict[str, TargetLayout] = {}
        self._items: list[tuple] = []
        self._lun_order: list[tuple] = []
        self._lun_keys: tuple = ()
        self._structure = 0
        self._layout_seen: tuple = ()
        self._first_look: list[tuple] = []
        self._info_cache: dict[str, tuple] = {}
        self._lun_rows: list[LunStats] = []
        self._lun_position: dict[tuple, int] = {}
        self._grouped_at = -1
        self._per_tpg: dict[tuple[str, int], list[tuple]] = {}
        self._dynamic_only: dict[tuple[str, int], TargetSession] = {}
        self._idle: dict[tuple[str, int], int] = {}
        self._counted: tuple[int, int] | None = None
        self._counts: tuple = ((), _empty(), _empty(), _empty())
        self._phases: list[list[tuple]] = []
        self._structure_at: float | None = None
        self._acl_sessions: dict[tuple, TargetSession | None] = {}
        self._dynamic: dict[tuple[str, int], tuple[TargetSession, ...]] = {}
        self._target_stats: dict[str, TargetStats] = {}
        self._luns: dict[tuple, LunStats] = {}
        self._backstores: dict[tuple[str, int, int], str | None] = {}
        self._mapped: dict[tuple[str, int, str], tuple[MappedLunStats, ...]] = {}
        self._session_rates = RateTracker()
        self._lun_rates = RateTracker(window=5.0)
        self._rates: dict[tuple, Rate] = {}
        self._histories: dict[tuple, History] = {}
        self._order: list[tuple] | None = None
        self.events = EventLog()
        self.changes = SessionChanges()
        self._login_fails: dict[str, int] = {}
        self._findings: tuple[Finding, ...] = ()
        self._findings_at: tuple[int, float] | None = None
        self._initiator = InitiatorLive()

    # --- what is on screen ---------------------------------------------------------

    def set_hot(self, row_keys: Iterable[tuple]) -> None:
        """The rows on screen (thread-safe: replaces two frozensets)."""
        rows = frozenset(row_keys)
        items = frozenset(k for row in rows for k in item_keys(row))
        self._hot_rows, self._hot_items = rows, items

    @property
    def hot_rows(self) -> frozenset:
        return self._hot_rows

    # --- structure -----------------------------------------------------------------

    def _refresh_structure(self, mono: float) -> None:
        self._layout = read_layout(self.root)
        if self._layout != self._layout_seen:
            self._layout_seen = self._layout
            self._structure += 1
        self._targets = {t.iqn: t for t in self._layout}
        self._tpgs = {(t.iqn, tpg.tag): tpg for t in self._layout for tpg in t.tpgs}
        items: list[tuple] = []
        for target in self._layout:
            items.append(("target", target.iqn))
            for tpg in target.tpgs:
                items.append(("dyn", target.iqn, tpg.tag))
                items.extend(("acl", target.iqn, tpg.tag, init) for init in tpg.acls)
                if self.config.mapped_all:
                    items.extend(("mapped", target.iqn, tpg.tag, init) for init in tpg.acls)
                items.extend(("lun", target.iqn, tpg.tag, lun) for lun in tpg.luns)
        self._items = items
        lun_order = [k for k in items if k[0] == "lun"]
        if lun_order != self._lun_order:
            self._lun_order = lun_order
            self._lun_keys = tuple(lun_order)
            # What a LUN row shows before its counters are read (LUNs are read only when shown).
            self._lun_rows = [self._luns.get(k) or LunStats(k[1], k[2], k[3], None, None, None) for k in lun_order]
            self._lun_position = {k: i for i, k in enumerate(lun_order)}
        n = max(1, self.config.sweep_every)
        # The sweep looks at what can change unseen: sessions (a cheap ``info`` read), dynamic
        # sessions and the targets' login-failure counters. LUN counters only matter on screen.
        swept = [k for k in items if k[0] in ("acl", "dyn", "target")]
        self._phases = [swept[p::n] for p in range(n)]
        known = set(self._acl_sessions) | {("dyn", *k) for k in self._dynamic} | {("target", k) for k in self._target_stats}
        #: Read once now, cheaply, whatever the sweep has never seen: the session list is complete at once.
        self._first_look = [k for k in swept if k not in known]
        present = set(items)
        self._info_cache = {p: v for p, v in self._info_cache.items() if os.path.exists(p)} if len(
            self._info_cache) > 2 * len(items) else self._info_cache
        for store in (self._acl_sessions, self._luns):
            for key in [k for k in store if k not in present]:
                del store[key]
                self._order = None
        for key in [k for k in self._dynamic if ("dyn", *k) not in present]:
            del self._dynamic[key]
            self._order = None
        for key in [k for k in self._target_stats if ("target", k) not in present]:
            del self._target_stats[key]
        self._structure_at = mono

    def _plan(self) -> list[tuple[tuple, bool]]:
        """``(item, full)`` pairs to read this tick; ``full=False`` is the sweep's cheap reading."""
        if len(self._items) < self.config.all_hot_below:
            return [(k, True) for k in self._items] + [(k, True) for k in self._hot_items if k[0] == "mapped"]
        hot = self._hot_items
        phase = self._phases[self._seq % len(self._phases)] if self._phases else []
        return [(k, False) for k in phase if k not in hot] + [(k, True) for k in hot]

    def _read(self, item: tuple, mono: float, wall: float, full: bool = True) -> None:
        kind = item[0]
        if kind == "acl":
            _, target, tag, initiator = item
            tpg = self._tpgs.get((target, tag))
            if tpg is None:
                return
            before = self._acl_sessions.get(item)
            session = read_acl_session(target, tag, initiator, tpg.acl_path(initiator), stats=full,
                                       cache=self._info_cache)
            if not full and session is not None and before is not None and before.info is not None \
                    and session.info is not None and session.info.identity == before.info.identity:
                session = replace(session, stats=before.stats)  # the sweep reads info only
            if (before is None) != (session is None):
                self._order = None
            self._acl_sessions[item] = session
            row = ("session", target, tag, "acl", initiator)
            change = self.changes.observe(wall, target, tag, initiator, session)
            if change is not None:
                sids = f"session {change.old[0]} → {change.new[0]} (TSIH {change.old[1]} → {change.new[1]})"
                moved = (f", from {change.new_address} (was {change.old_address})"
                         if change.old_address != change.new_address else "")
                self.events.add_derived("target_session_reinstated", wall, target=target, tpgt=tag,
                                        initiator=initiator, address=change.new_address,
                                        message=f"{initiator}: {sids}{moved}", detail=sids)
            if not full:
                return  # no counters read: the last rate stands until the row is shown
            if session is None or session.stats is None or session.stats.empty:
                self._session_rates.forget(row)
                self._rates[row] = UNKNOWN
                return
            s = session.stats
            rates = self._session_rates.update(row, mono, (s.cmd_pdus, s.txdata_octs, s.rxdata_octs),
                                               identity=(session.info.identity if session.info else s.indx))
            self._set_rate(row, rates, wall)
        elif kind == "dyn":
            _, target, tag = item
            tpg = self._tpgs.get((target, tag))
            found = read_dynamic_sessions(tpg) if tpg is not None else ()
            if found != self._dynamic.get((target, tag), ()):
                self._order = None
            self._dynamic[(target, tag)] = found
        elif kind == "target":
            target = item[1]
            layout = self._targets.get(target)
            if not full and layout is not None and target in self._target_stats:
                fails = read_int(os.path.join(layout.path, "fabric_statistics", "iscsi_tgt_attr", "login_fails"))
                if fails == self._target_stats[target].login_fails:
                    return  # nothing failed since the last full reading
            stats = read_target_stats(layout.path) if layout is not None else None
            if stats is None:
                self._target_stats.pop(target, None)
                return
            self._target_stats[target] = stats
            self._watch_login_failures(target, stats, wall)
        elif kind == "lun":
            _, target, tag, lun = item
            tpg = self._tpgs.get((target, tag))
            if tpg is None:
                return
            path = tpg.lun_path(lun)
            stats = read_lun_stats(target, tag, lun, path)
            if stats is None:
                self._luns.pop(item, None)
                self._lun_rates.forget(item)
                return
            self._luns[item] = stats
            position = self._lun_position.get(item)
            if position is not None:
                self._lun_rows[position] = stats
            if (target, tag, lun) not in self._backstores:
                self._backstores[(target, tag, lun)] = lun_backstore(path)
            rates = self._lun_rates.update(item, mono, (
                stats.in_cmds,
                None if stats.read_mbytes is None else stats.read_mbytes * MiB,
                None if stats.write_mbytes is None else stats.write_mbytes * MiB))
            self._set_rate(item, rates, wall)
        elif kind == "mapped":
            _, target, tag, initiator = item
            tpg = self._tpgs.get((target, tag))
            if tpg is None:
                return
            found = read_mapped_lun_stats(tpg.acl_path(initiator))
            self._mapped[(target, tag, initiator)] = found
            for m in found:
                key = ("mlun", target, tag, initiator, m.mapped_lun)
                rates = self._lun_rates.update(key, mono, (
                    m.num_cmds,
                    None if m.read_mbytes is None else m.read_mbytes * MiB,
                    None if m.write_mbytes is None else m.write_mbytes * MiB))
                self._rates[key] = Rate(*rates) if rates is not None else UNKNOWN

    def _set_rate(self, row: tuple, rates: tuple[float | None, ...] | None, wall: float) -> None:
        rate = Rate(*rates) if rates is not None else UNKNOWN
        self._rates[row] = rate
        self._history(row, wall).add(wall, rate.total)

    def _history(self, row: tuple, wall: float) -> History:
        history = self._histories.get(row)
        if history is None:
            history = self._histories[row] = History(self.config.bucket, self.config.history_buckets)
            if self.backfill is not None:
                seeded = self.backfill(row, wall, self.config.history_buckets, self.config.bucket)
                if seeded is not None:
                    history.seed(seeded, wall)
        return history

    def _watch_login_failures(self, target: str, stats: TargetStats, wall: float) -> None:
        fails = refused_logins(stats)
        before = self._login_fails.get(target)
        self._login_fails[target] = fails
        if fails == 0 or (before is not None and fails <= before):
            return
        kind = login_fail_type(stats.last_fail_type)
        when = wall
        if stats.last_fail_time and self.boot_wall is not None:
            seconds = seconds_since_boot(stats.last_fail_time, self.hz, wall - self.boot_wall, plain=self.simulated)
            if seconds is not None:
                when = min(wall, self.boot_wall + seconds)
        who = stats.fail_intr_name or "an initiator"
        where = f" from {stats.fail_intr_addr}" if stats.fail_intr_addr else ""
        count = f"{fails - before} more" if before is not None else f"{fails} since the module was loaded"
        self.events.add_derived(
            "target_login_failure", when, target=target, initiator=stats.fail_intr_name,
            address=stats.fail_intr_addr,
            message=f"login failure on {target}: {who}{where} ({kind.name if kind else 'unknown'}); {count}",
            detail=kind.name if kind else None)

    # --- one tick ------------------------------------------------------------------------

    def sample(self) -> LiveFrame:
        mono = self.clock()
        wall = self.wall_clock()
        if self.before_sample is not None:
            self.before_sample(wall)
        cfg = self.config
        if self._structure_at is None or mono - self._structure_at >= cfg.structure_every:
            self._refresh_structure(mono)
        plan = self._plan()
        if self._first_look:
            planned = {item for item, _ in plan}
            plan += [(k, False) for k in self._first_look if k not in planned]
            self._first_look = []
        for item, full in plan:
            self._read(item, mono, wall, full)
        self._seq += 1

        initiator = read_initiator(self.root)
        self._initiator = initiator
        for session in initiator.sessions:
            self.events.label(session.sid, session.target, session.portal)
        events = []
        for source in self.sources:
            try:
                events.extend(source.read_new())
            except OSError as exc:  # a log that went away: say so once, keep going
                message = f"{getattr(source, 'name', 'log')}: {exc.strerror or exc}"
                if message not in self.problems:
                    self.problems.append(message)
        if any(event.kind == UNTRUSTED for event in events):  # forged (logger -t iscsid): counted, not believed
            self.untrusted += sum(1 for event in events if event.kind == UNTRUSTED)
            events = [event for event in events if event.kind != UNTRUSTED]
        if events:
            self.events.add(events)
        findings = self._update_findings(wall)
        return self._frame(mono, wall, len(plan), initiator, findings)

    def _update_findings(self, wall: float) -> tuple[Finding, ...]:
        stamp = (self.events.version + len(self.changes.changes), wall // 10)
        if self._findings_at == stamp:
            return self._findings
        cfg = self.config
        flaps = connection_flaps(self.events.incidents, wall, window=cfg.flap_window,
                                 threshold=cfg.flap_threshold, recoveries=self.events.recoveries)
        shared = shared_name_findings(self.changes.changes, wall, window=cfg.flap_window,
                                      threshold=cfg.flap_threshold, flaps=flaps)
        self._findings = tuple(shared + flaps)
        self._findings_at = stamp
        return self._findings

    def _sessions(self) -> tuple[TargetSession, ...]:
        """Every session, ordered by target, TPG, ACL before dynamic, name (the order is cached, the values are not)."""
        if self._order is None:
            keys: list[tuple] = [k for k, s in self._acl_sessions.items() if s is not None]
            keys.extend(("dyn", target, tag, i) for (target, tag), found in self._dynamic.items()
                        for i in range(len(found)))

            def sort_key(key: tuple) -> tuple:
                if key[0] == "acl":
                    return (key[1], key[2], 0, key[3])
                return (key[1], key[2], 1, self._dynamic[(key[1], key[2])][key[3]].initiator)

            keys.sort(key=sort_key)
            self._order = keys
            self._structure += 1
        out = []
        for key in self._order:
            if key[0] == "acl":
                session = self._acl_sessions.get(key)
            else:
                found = self._dynamic.get((key[1], key[2]), ())
                session = found[key[3]] if key[3] < len(found) else None
            if session is not None:
                out.append(session)
        return tuple(out)

    def _frame(self, mono: float, wall: float, read: int, initiator: InitiatorLive,
               findings: tuple[Finding, ...]) -> LiveFrame:
        sessions = self._sessions()
        structure = self._structure
        if self._grouped_at != self._structure:  # group by TPG only when the session list changed
            per_tpg: dict[tuple[str, int], list[TargetSession]] = {}
            for session in sessions:
                per_tpg.setdefault((session.target, session.tpg), []).append(session)
            self._per_tpg = {k: [s.key for s in v] for k, v in per_tpg.items()}
            self._dynamic_only = {k: v[0] for k, v in per_tpg.items() if len(v) == 1 and v[0].kind == "dynamic"}
            self._idle = {(target, tag): sum(1 for init in tpg.acls
                                             if self._acl_sessions.get(("acl", target, tag, init)) is None)
                          for (target, tag), tpg in self._tpgs.items()}
            self._grouped_at = self._structure
        rates = dict(self._rates)  # a copy: the next tick changes the sampler's own
        everything = len(self._items) < self.config.all_hot_below
        hot = self._hot_rows
        for (target, tag), session in self._dynamic_only.items():
            tpg = self._tpgs.get((target, tag))
            if tpg is None:
                continue  # the TPG's LUNs serve only this session: their I/O is its I/O
            rate = _sum(rates.get(("lun", target, tag, lun), UNKNOWN) for lun in tpg.luns)
            rates[session.key] = rate
            self._history(session.key, wall).add(wall, rate.total)
        for (target, tag), keys in self._per_tpg.items():
            if everything or ("tpg", target, tag) in hot:
                rates[("tpg", target, tag)] = _sum(rates.get(k, UNKNOWN) for k in keys)
        histories = {}
        for row in hot:
            history = self._histories.get(row)
            if history is not None:
                histories[row] = history.values()
        version = self.events.version
        if self._counted != (version, int(wall // 5)):
            since = wall - self.config.flap_window
            self._counts = (tuple(self.events.incidents),
                            MappingProxyType(dict(self.events.counts_by_connection(since))),
                            MappingProxyType(dict(self.events.counts_by_target(since))),
                            MappingProxyType(dict(self.events.recoveries)))
            self._counted = (version, int(wall // 5))
        incidents, by_connection, by_target, recoveries = self._counts
        return LiveFrame(
            seq=self._seq, mono=mono, wall=wall, structure=structure, lun_keys=self._lun_keys,
            layout=self._layout, sessions=sessions,
            rates=MappingProxyType(rates), target_stats=MappingProxyType(dict(self._target_stats)),
            luns=tuple(self._lun_rows),
            backstores=MappingProxyType(dict(self._backstores)), mapped=MappingProxyType(dict(self._mapped)),
            idle_acls=MappingProxyType(dict(self._idle)), initiator=initiator,
            incidents=incidents, incidents_version=version, findings=findings,
            by_connection=by_connection, by_target=by_target, histories=MappingProxyType(histories),
            recoveries=recoveries, problems=tuple(self.problems), boot_wall=self.boot_wall, hz=self.hz,
            simulated=self.simulated, items_read=read, untrusted=self.untrusted)

    def close(self) -> None:
        for source in self.sources:
            try:
                source.close()
            except OSError:
                pass


def refused_logins(stats: TargetStats) -> int:
    """How many logins LIO refused: one per attempt.

    ``login_fails`` is the sum of LIO's failure classes, and a refused login
    steps two of them — ``negotiate_fails`` always, plus ``authorize_fails``
    (no ACL) or ``authenticate_fails`` (CHAP) when that was the cause — so it
    counts most attempts twice. ``negotiate_fails`` steps once per attempt;
    a kernel that counts otherwise gets the larger of it and the other classes.
    """
    negotiate = stats.negotiate_fails or 0
    others = (stats.authorize_fails or 0) + (stats.authenticate_fails or 0) + (stats.other_fails or 0)
    if not negotiate:
        return stats.login_fails or 0
    return max(negotiate, others)


def _sum(rates: Iterable[Rate]) -> Rate:
    cmds = read = write = None
    for rate in rates:
        if rate.cmds is not None:
            cmds = (cmds or 0.0) + rate.cmds
        if rate.read is not None:
            read = (read or 0.0) + rate.read
        if rate.write is not None:
            write = (write or 0.0) + rate.write
    return Rate(cmds, read, write)
