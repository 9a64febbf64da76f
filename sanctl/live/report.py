"""``sanctl sessions`` and ``sanctl errors`` output: JSON as the kernel reported it, and text.

The JSON keeps the kernel's own words and numbers — initiator names,
addresses, raw states (``TARG_SESS_STATE_LOGGED_IN`` next to the short
``LOGGED_IN``), counters as read — and adds what sanctl worked out under
their own keys (``rates``, ``meaning``, ``fix``, ``findings``), so scripts can
tell observation from interpretation. No Textual here.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sanctl import words
from sanctl.initiator.sysfs import InitiatorLive, InitiatorSession
from sanctl.iscsi_errors import conn_error, login_fail_type
from sanctl.live import format as fmt
from sanctl.live.events import Incident
from sanctl.live.flap import Finding
from sanctl.live.fail_time import failure_wall
from sanctl.live.rates import Rate
from sanctl.live.sampler import LiveFrame
from sanctl.lio.live import TargetSession, TargetStats, transport_label


def _rate(rate: Rate | None) -> dict[str, float | None] | None:
    if rate is None or (rate.cmds is None and rate.read is None and rate.write is None):
        return None
    return {"cmds_per_s": rate.cmds, "read_bytes_per_s": rate.read, "write_bytes_per_s": rate.write}


def local_port(initiator: InitiatorLive, session: TargetSession, address: str | None) -> int | None:
    """The initiator's TCP port, when that connection comes from this host's initiator.

    The target's ``info`` prints no port. When the initiator runs on this
    host too (a lab, the demo), its sysfs connection has ``local_port``; it
    belongs to the target's connection only if the names match and the
    address is this host's iSCSI host address.
    """
    hosts = {h.host: h.ipaddress for h in initiator.hosts}
    for mine in initiator.sessions:
        if mine.initiator != session.initiator or mine.target != session.target or mine.tpgt != session.tpg:
            continue
        if address is not None and hosts.get(mine.host) not in (None, address):
            continue
        for conn in mine.connections:
            if conn.local_port is not None:
                return conn.local_port
    return None


def session_json(session: TargetSession, frame: LiveFrame) -> dict[str, Any]:
    info = session.info
    tpg = next((t for target in frame.layout if target.iqn == session.target for t in target.tpgs
                if t.tag == session.tpg), None)
    offload = tpg.offload_portal if tpg is not None else False
    out: dict[str, Any] = {
        "target": session.target, "tpg": session.tpg, "initiator": session.initiator, "kind": session.kind,
        "alias": None, "sid": None, "isid": None, "tsih": None, "type": None,
        "state": session.state if info is not None else None, "state_raw": None,
        "connections": [], "counters": None, "rates": _rate(frame.rates.get(session.key)),
    }
    if session.kind == "dynamic":
        out["note"] = "demo-mode session: configfs shows only its name (no ACL, no info, no counters)"
    if info is not None:
        out.update({
            "alias": info.alias, "sid": info.sid, "isid": info.isid, "tsih": info.tsih, "type": info.session_type,
            "state_raw": info.state_raw,
            "cmdsn": {"window": info.cmdsn_window, "credit": info.cmdsn_credit, "exp_cmdsn": info.exp_cmdsn,
                      "max_cmdsn": info.max_cmdsn, "itt": info.itt, "ttt": info.ttt},
            "connections": [{
                "cid": c.cid, "state": c.state, "state_raw": c.state_raw, "address": c.address,
                "port": local_port(frame.initiator, session, c.address), "transport": c.transport,
                "transport_label": transport_label(c.transport, offload), "statsn": c.statsn,
            } for c in info.connections],
        })
    if session.stats is not None and not session.stats.empty:
        out["counters"] = asdict(session.stats)
    mapped = frame.mapped.get((session.target, session.tpg, session.initiator))
    if mapped is not None:
        out["luns"] = [{**asdict(m), "rates": _rate(frame.rates.get(
            ("mlun", session.target, session.tpg, session.initiator, m.mapped_lun)))} for m in mapped]
    return out


def target_json(iqn: str, frame: LiveFrame) -> dict[str, Any]:
    stats = frame.target_stats.get(iqn)
    layout = next((t for t in frame.layout if t.iqn == iqn), None)
    out: dict[str, Any] = {
        "target": iqn,
        "tpgs": [{"tag": t.tag, "enabled": t.enabled, "demo_mode": t.demo_mode,
                  "acls": len(t.acls), "acls_without_session": frame.idle_acls.get((iqn, t.tag), 0),
                  "rates": _rate(frame.rates.get(("tpg", iqn, t.tag)))}
                 for t in (layout.tpgs if layout else ())],
        "stats": asdict(stats) if stats else None,
        "last_login_failure": last_failure(stats, frame) if stats else None,
    }
    return out


def last_failure(stats: TargetStats, frame: LiveFrame) -> dict[str, Any] | None:
    """The target's last failed login; its time as the kernel counts it (jiffies), or None when unknown."""
    if not stats.login_fails:
        return None
    kind = login_fail_type(stats.last_fail_type)
    wall = failure_wall(stats.last_fail_time, frame)
    return {"initiator": stats.fail_intr_name, "address": stats.fail_intr_addr,
            "address_type": stats.fail_intr_addr_type, "type": kind.name if kind else None,
            "meaning": kind.meaning if kind else None, "fix": kind.fix if kind else None,
            "uptime_cs": stats.last_fail_time, "time": fmt.stamp(wall)}


def initiator_session_json(session: InitiatorSession) -> dict[str, Any]:
    data = asdict(session)
    data["portal"] = session.portal
    for disk, raw in zip(session.disks, data["disks"]):
        raw["device"] = disk.device
    return data


def sessions_json(frame: LiveFrame, root: str) -> dict[str, Any]:
    return {
        "time": fmt.stamp(frame.wall),
        "root": root,
        "target": {
            "targets": [target_json(t.iqn, frame) for t in frame.layout],
            "sessions": [session_json(s, frame) for s in frame.sessions],
            "luns": [{"target": lun.target, "tpg": lun.tpg, "lun": lun.lun,
                      "backstore": frame.backstores.get((lun.target, lun.tpg, lun.lun)),
                      "counters": {"in_cmds": lun.in_cmds, "read_mbytes": lun.read_mbytes,
                                   "write_mbytes": lun.write_mbytes},
                      "rates": _rate(frame.rates.get(lun.key))} for lun in frame.luns],
        },
        "initiator": {
            "sessions": [initiator_session_json(s) for s in frame.initiator.sessions],
            "hosts": [asdict(h) for h in frame.initiator.hosts],
        },
        "problems": list(frame.problems),
    }


def incident_json(incident: Incident) -> dict[str, Any]:
    entry = conn_error(incident.code) if incident.code is not None else None
    return {
        "time": fmt.stamp(incident.time), "uptime": incident.uptime, "side": incident.side, "kind": incident.kind,
        "code": incident.code, "name": entry.name if entry else None, "title": incident.title,
        "connection": incident.connection, "target": incident.target, "portal": incident.portal,
        "initiator": incident.initiator, "address": incident.address, "tpgt": incident.tpgt,
        "message": incident.message, "detail": incident.detail, "sources": list(incident.sources),
        "severity": incident.severity, "meaning": incident.meaning, "fix": incident.fix,
    }


def finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "kind": finding.kind, "title": finding.title, "active": finding.active, "severity": finding.severity,
        "count": finding.count, "first": fmt.stamp(finding.first), "last": fmt.stamp(finding.last),
        "connection": finding.connection, "target": finding.target, "tpg": finding.tpg,
        "initiator": finding.initiator, "addresses": list(finding.addresses), "codes": list(finding.codes),
        "evidence": list(finding.lines), "fix": finding.fix,
    }


def errors_json(frame: LiveFrame, root: str, incidents: list[Incident] | None = None) -> dict[str, Any]:
    return {
        "time": fmt.stamp(frame.wall),
        "root": root,
        "incidents": [incident_json(i) for i in (frame.incidents if incidents is None else incidents)],
        "findings": [finding_json(f) for f in frame.findings],
        "counts": {"by_connection": dict(frame.by_connection), "by_target": dict(frame.by_target),
                   "window_seconds": 300},
        "problems": list(frame.problems),
        "untrusted": frame.untrusted,
    }


# ---------------------------------------------------------------------------
# text
# ---------------------------------------------------------------------------


def _rate_text(rate: Rate | None) -> str:
    if rate is None or rate.cmds is None and rate.total is None:
        return ""
    return (f"{fmt.per_second(rate.cmds, 0)} cmd/s, read {fmt.mib_rate(rate.read, 0)} MiB/s, "
            f"write {fmt.mib_rate(rate.write, 0)} MiB/s")


def sessions_text(frame: LiveFrame) -> str:
    lines: list[str] = []
    by_tpg: dict[tuple[str, int], list[TargetSession]] = {}
    for session in frame.sessions:
        by_tpg.setdefault((session.target, session.tpg), []).append(session)
    for target in frame.layout:
        stats = frame.target_stats.get(target.iqn)
        for tpg in target.tpgs:
            members = by_tpg.get((target.iqn, tpg.tag), [])
            idle = frame.idle_acls.get((target.iqn, tpg.tag), 0)
            head = f"{target.iqn}  tpg {tpg.tag}: {len(members)} session" + ("" if len(members) == 1 else "s")
            if idle:
                head += f", {idle} ACL{'' if idle == 1 else 's'} without one"
            if tpg.demo_mode:
                head += " (demo mode)"
            if tpg.enabled is False:
                head += " (disabled)"
            lines.append(head)
            for session in members:
                lines.extend(_session_lines(session, frame))
        if stats is not None:
            lines.append(f"  logins: {stats.accepts or 0} accepted, {stats.login_fails or 0} failed "
                         f"(authorize {stats.authorize_fails or 0}, authenticate {stats.authenticate_fails or 0}, "
                         f"negotiate {stats.negotiate_fails or 0}, other {stats.other_fails or 0}); "
                         f"logouts: {stats.normal_logouts or 0} normal, {stats.abnormal_logouts or 0} abnormal")
            failure = last_failure(stats, frame)
            if failure:
                kind = failure["type"] if failure["type"] not in (None, "none") else ""
                when = f" {failure['time']}" if failure["time"] else " at an unknown time"
                lines.append("  " + words.last_failure(failure["initiator"] or "", failure["address"] or "", kind,
                                                      when, lead="last failed login:"))
            if stats.digest_errors or stats.cxn_errors or stats.format_errors:
                lines.append(f"  session errors: digest {stats.digest_errors}, timeout {stats.cxn_errors}, "
                             f"format {stats.format_errors}")
    if frame.luns:
        lines.append("")
        lines.append("LUN I/O (all initiators)")
        for lun in frame.luns:
            backstore = frame.backstores.get((lun.target, lun.tpg, lun.lun)) or "?"
            rate = _rate_text(frame.rates.get(lun.key))
            lines.append(f"  {lun.target} tpg {lun.tpg} lun {lun.lun}  {backstore}  cmds {lun.in_cmds}, "
                         f"read {lun.read_mbytes} MiB, written {lun.write_mbytes} MiB" + (f"  [{rate}]" if rate else ""))
    if frame.initiator.sessions:
        lines.append("")
        lines.append("Initiator (this host)")
        for s in frame.initiator.sessions:
            conn = s.connections[0] if s.connections else None
            lines.append(f"  session{s.sid}  {s.target}  tpg {s.tpgt}  {s.portal or '?'}  {s.state}"
                         f"  conn {conn.state if conn else '?'}  recovery {s.recovery_tmo} s  iface {s.iface}")
            for disk in s.disks:
                lines.append(f"    lun {disk.lun}  {disk.device or '(no block device)'}  {fmt.size(disk.size)}  {disk.state}")
    for problem in frame.problems:
        lines.append(f"note: {problem}")
    if not frame.layout and not frame.initiator.sessions:
        lines.append("No iSCSI target and no iSCSI session here.")
    return "\n".join(lines) + "\n"


def _session_lines(session: TargetSession, frame: LiveFrame) -> list[str]:
    info = session.info
    tpg = next((t for target in frame.layout if target.iqn == session.target for t in target.tpgs
                if t.tag == session.tpg), None)
    offload = tpg.offload_portal if tpg is not None else False  # the kernel says "SCTP" for iSER
    if info is None:
        rate = _rate_text(frame.rates.get(session.key))
        return [f"  {session.initiator}  dynamic (demo mode)" + (f"  [{rate}, the TPG's LUNs]" if rate else "")]
    alias = f" ({info.alias_shown})" if info.alias_shown else ""
    lines = [f"  {session.initiator}{alias}  acl  {info.state}  sid {info.sid}  tsih {info.tsih}  "
             f"isid {info.isid}  {info.session_type}"]
    for c in info.connections:
        port = local_port(frame.initiator, session, c.address)
        lines.append(f"    cid {c.cid}  {c.address}{':' + str(port) if port else ''}  {c.state}  "
                     f"{transport_label(c.transport, offload)}")
    s = session.stats
    if s is not None and not s.empty:
        lines.append(f"    counters: {s.cmd_pdus} cmd PDUs, {fmt.size(s.txdata_octs)} read, {fmt.size(s.rxdata_octs)} "
                     f"written; digest errors {s.conn_digest_errors}, timeouts {s.conn_timeout_errors}")
    rate = _rate_text(frame.rates.get(session.key))
    if rate:
        lines.append(f"    now: {rate}")
    return lines


def incident_text(incident: Incident) -> str:
    where = incident.where
    target = f" → {incident.target}" if incident.target and incident.target not in where else ""
    return f"{fmt.clock(incident.time)}  {incident.side:9}  {where}{target}  {incident.title}: {incident.message}"


def errors_text(frame: LiveFrame, incidents: list[Incident] | None = None) -> str:
    lines: list[str] = []
    for finding in frame.findings:
        state = "" if finding.active else " (stopped)"
        lines.append(f"!! {finding.title}{state}")
        lines.extend(f"   {line}" for line in finding.lines)
        lines.append(f"   fix: {finding.fix}")
        lines.append("")
    shown = list(frame.incidents if incidents is None else incidents)
    for incident in shown:
        lines.append(incident_text(incident))
    if shown:
        lines.append("")
        codes = sorted({i.code for i in shown if i.code is not None})
        for code in codes:
            entry = conn_error(code)
            lines.append(f"{entry.label}: {entry.meaning}")
            lines.append(f"   fix: {entry.fix}")
    if frame.by_connection or frame.by_target:
        lines.append("last 5 min: " + ", ".join(
            [f"conn {k}: {v}" for k, v in sorted(frame.by_connection.items())]
            + [f"{k}: {v}" for k, v in sorted(frame.by_target.items())]))
    if not shown and not frame.findings:
        lines.append("No iSCSI connection errors in the log.")
    for problem in frame.problems:
        lines.append(f"note: {problem}")
    return "\n".join(lines) + "\n"
