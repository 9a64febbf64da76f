"""The doctor's rules about sessions and logins: one name on two hosts, recurring connection errors,
login failures told apart, sessions targetcli does not show, an unreadable node database.

A rule reads nothing and changes nothing (see :mod:`sanctl.doctor.rules`). No I/O, no Textual.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sanctl.doctor import paths
from sanctl.doctor.findings import ERROR, INFO, WARNING, Finding
from sanctl.doctor.host_facts import HostFacts
from sanctl.doctor.live_facts import AclKey, LiveSnapshot
from sanctl.doctor.rules_common import RECENT, _acl_objects, _ago, _find_tpg, _names
from sanctl.iscsi_errors import SHARED_NAME_FIX
from sanctl.live.fail_time import failure_wall
from sanctl.model import SanConfig

# ---------------------------------------------------------------------------
# 1. one initiator name, two hosts (1020 flapping)
# ---------------------------------------------------------------------------

SHARED_NAME_WHY = ("Each login with this name and the same ISID (open-iscsi's default is the same on every host) "
                   "makes LIO drop the other host's session: both hosts see error 1020 and log in again every few "
                   "seconds, I/O stalls on both, and two hosts writing the same LUNs without a cluster filesystem "
                   "corrupt them.")


@dataclass(frozen=True, slots=True)
class SharedName:
    """Evidence that one initiator name is in use on several hosts."""

    key: AclKey
    addresses: tuple[str, ...]
    lines: tuple[str, ...]
    active: bool
    title: str


def shared_names(config: SanConfig, live: LiveSnapshot | None, facts: HostFacts) -> dict[AclKey, SharedName]:
    """Who shares a name, from three kinds of evidence, the strongest first:

    1. the sampler's own detector (:func:`sanctl.live.flap.shared_name_findings`):
       the ACL's session replaced three times or more within five minutes;
    2. the doctor's looks: the session replaced from one address by another
       and back (two switches), or once while this host's connection to that
       target fails with 1020 — a few seconds of watching while it flaps;
    3. one look, when both sides are this host: this host's initiator is
       logged in (or recovering) under the name while the target's ACL holds
       a session from an address this host does not have.
    """
    if live is None:
        return {}
    frame = live.frame
    out: dict[AclKey, SharedName] = {}
    for finding in frame.findings:
        if finding.kind == "shared_initiator_name" and finding.target and finding.initiator:
            key = (finding.target, finding.tpg or 0, finding.initiator)
            out[key] = SharedName(key, finding.addresses, finding.lines, finding.active, finding.title)
    failing = {f.target for f in frame.findings if f.kind == "connection_flap" and 1020 in f.codes and f.active}
    for key, trail in sorted(live.trails.items()):
        if key in out or len(trail.addresses) < 2 or trail.switches < (1 if key[0] in failing else 2):
            continue
        lines = (f"While sanctl watched, LIO replaced the session of {key[2]} on {key[0]} (TPG {key[1]}) "
                 f"{trail.replaced} times; it came from {' and '.join(trail.addresses)} in turn.",)
        out[key] = SharedName(key, trail.addresses, lines, True,
                              f"One initiator name, {len(trail.addresses)} hosts: {key[2]}")
    if facts.addresses is not None:
        hosts = {h.host: h.ipaddress for h in frame.initiator.hosts}
        mine = {(s.target, s.initiator): s for s in frame.initiator.sessions if s.target and s.initiator}
        for session in frame.sessions:
            key = (session.target, session.tpg, session.initiator)
            if key in out or session.kind != "acl" or not session.addresses:
                continue
            local = mine.get((session.target, session.initiator))
            address = session.addresses[0]
            if local is None or facts.has_address(address) is not False:
                continue
            here = hosts.get(local.host) if local.host is not None else None
            ours = here or "this host"
            lines = (f"Right now this host ({ours}) is logged in to {session.target} as {session.initiator} "
                     f"(session {local.sid}, {(local.state or '?').lower()}), while the target's ACL holds a session "
                     f"from {address}, which is not this host.",)
            addresses = tuple(a for a in (here, address) if a)
            out[key] = SharedName(key, addresses, lines, True, f"One initiator name, 2 hosts: {session.initiator}")
    return out


def shared_initiator_name(config: SanConfig, live: LiveSnapshot | None, facts: HostFacts) -> list[Finding]:
    """One initiator name logged in from two addresses: the 1020 flapping — error while it goes on."""
    found = []
    flaps = [f for f in live.frame.findings if f.kind == "connection_flap"] if live is not None else []
    for key, evidence in sorted(shared_names(config, live, facts).items()):
        why = list(evidence.lines)
        for flap in flaps:
            if flap.target == key[0] and not any(f"connection {flap.connection} " in line for line in why):
                codes = ", ".join(str(c) for c in flap.codes)
                why.append(f"On this host, connection {flap.connection} to it fails with {codes} each time "
                           f"({flap.count} errors).")
        why.append(SHARED_NAME_WHY)
        details = tuple(f"address: {a}" + (" (this host)" if facts.has_address(a) else "")
                        for a in evidence.addresses)
        found.append(Finding(
            rule="shared_initiator_name", severity=ERROR if evidence.active else WARNING,
            title=evidence.title + ("" if evidence.active else " (stopped)"),
            why=tuple(why), fix=SHARED_NAME_FIX, objects=_acl_objects(config, key), details=details,
            panel="errors"))
    return found


# ---------------------------------------------------------------------------
# 2. connection errors recurring on a connection
# ---------------------------------------------------------------------------


def recurring_connection_errors(config: SanConfig, live: LiveSnapshot | None, facts: HostFacts) -> list[Finding]:
    """A connection of this host's initiator failing again and again — warning, with each code's meaning.

    Left out when it is only 1020 on a target whose shared initiator name is
    already a finding: that finding names the cause and counts these errors.
    """
    if live is None:
        return []
    from sanctl.iscsi_errors import conn_error

    explained = {key[0] for key in shared_names(config, live, facts)}
    found = []
    for flap in live.frame.findings:
        if flap.kind != "connection_flap":
            continue
        if flap.target in explained and set(flap.codes) <= {1020}:
            continue
        labels = ", ".join(conn_error(c).label for c in flap.codes)
        meanings = tuple(f"{conn_error(c).label}: {conn_error(c).meaning}" for c in flap.codes)
        local = _find_tpg(config, flap.target) if flap.target else None
        found.append(Finding(
            rule="recurring_connection_errors", severity=WARNING if flap.active else INFO,
            title=f"Connection {flap.connection} keeps failing: {labels}" + ("" if flap.active else " (stopped)"),
            why=(*flap.lines, *meanings), fix=flap.fix,
            objects=(paths.target(local[0]),) if local else (), panel="errors"))
    return found


# ---------------------------------------------------------------------------
# 9. login failures, told apart
# ---------------------------------------------------------------------------


def login_failures(config: SanConfig, live: LiveSnapshot | None, facts: HostFacts) -> list[Finding]:
    """Logins the target refused since the last look: no ACL (authorize) versus CHAP (authenticate) — warning.

    The initiator sees the same error 24 for both; the target's counters tell
    them apart. With the last look's counters (the command keeps them), the
    failures counted since; without (a first look, the TUI), the counters
    since the module was loaded, only when the last failure is recent.
    """
    if live is None:
        return []
    from sanctl.iscsi_errors import login_fail_type

    frame = live.frame
    found = []
    for wwn, stats in sorted(frame.target_stats.items()):
        before = live.baseline.get(wwn) if live.baseline is not None else None
        last_ago = None
        failed_at = failure_wall(stats.last_fail_time, frame)
        if failed_at is not None:
            last_ago = max(0.0, frame.wall - failed_at)
        last_type = login_fail_type(stats.last_fail_type)
        local = _find_tpg(config, wwn)
        objects = (paths.target(local[0]),) if local else ()
        for kind, now, previous in (("authorize", stats.authorize_fails or 0, before.authorize if before else None),
                                    ("authenticate", stats.authenticate_fails or 0,
                                     before.authenticate if before else None)):
            if previous is not None:
                count = now - previous if now >= previous else now  # smaller: the module was reloaded
                if count <= 0:
                    continue
                since = f"since the last look ({_ago(frame.wall - live.baseline_wall)})" \
                    if live.baseline_wall is not None else "since the last look"
            else:
                if now <= 0 or (last_ago is not None and last_ago > RECENT):
                    continue
                count = now
                since = "since the target module was loaded"
            who = ""
            if last_type is not None and last_type.name == kind and stats.fail_intr_name:
                who = f" The last one: {stats.fail_intr_name}" + (f" from {stats.fail_intr_addr}"
                                                                  if stats.fail_intr_addr else "")
                who += f", {_ago(last_ago)}." if last_ago is not None else "."
            if kind == "authorize":
                title = f"Logins refused on {wwn}: no ACL for the initiator ({count} {since})"
                why = (f"LIO refused {count} logins because the initiator has no ACL there and the TPG is not in "
                       f"demo mode (authorize failures).{who}",
                       "The initiator sees error 24 (authorization failure) — the same as for a wrong CHAP secret; "
                       "the target's counters tell the two apart.")
                fix = ("If the initiator should have access, create an ACL for its name and map its LUNs; if not, "
                       "remove its node record on that host (iscsiadm -m node -T <target> -o delete) so it stops "
                       "trying.")
            else:
                title = f"Logins refused on {wwn}: CHAP failed ({count} {since})"
                why = (f"LIO refused {count} logins because CHAP failed: a wrong secret or user name "
                       f"(authenticate failures).{who}",
                       "The initiator sees error 24 (authorization failure) — the same as for a missing ACL; the "
                       "target's counters tell the two apart.")
                fix = ("Compare the CHAP user and secret on both sides: the ACL's (select it, press e) and the node "
                       "record's node.session.auth.username / password on the initiator.")
            found.append(Finding(rule="login_failures", severity=WARNING, title=title, why=why, fix=fix,
                                 objects=objects, panel="errors"))
    return found


# ---------------------------------------------------------------------------
# 10. sessions targetcli does not show; an unreadable node database
# ---------------------------------------------------------------------------


def demo_mode_sessions(config: SanConfig, live: LiveSnapshot | None, facts: HostFacts) -> list[Finding]:
    """Initiators logged in through demo mode: no ACL, so targetcli does not show them — information."""
    if live is None:
        return []
    by_tpg: dict[tuple[str, int], list[str]] = defaultdict(list)
    for session in live.frame.sessions:
        if session.kind == "dynamic":
            by_tpg[(session.target, session.tpg)].append(session.initiator)
    found = []
    for (wwn, tag), initiators in sorted(by_tpg.items()):
        located = _find_tpg(config, wwn, tag)
        objects = (paths.tpg(located[0], located[1]),) if located and located[1] is not None else ()
        writable = located is not None and located[1] is not None and \
            located[1].attributes.value("demo_mode_write_protect") == "0"
        found.append(Finding(
            rule="demo_mode_sessions", severity=INFO,
            title=f"{len(initiators)} demo-mode session{'s' if len(initiators) != 1 else ''} on {wwn}/tpg{tag}: "
                  f"{_names(initiators)}",
            why=("Logged in through demo mode (generate_node_acls=1), without an ACL: targetcli's sessions and ls "
                 "do not show them (they read the ACLs only); sanctl reads the TPG's dynamic_sessions.",
                 "They can write." if writable else "Demo mode is read-only here (demo_mode_write_protect=1)."),
            fix="If these hosts belong there, give each an ACL (then demo mode can be turned off); if not, set "
                "generate_node_acls=0 — they are refused at their next login.",
            objects=objects, panel="sessions"))
    return found


def node_database_unreadable(config: SanConfig, live: LiveSnapshot | None, facts: HostFacts) -> list[Finding]:
    """open-iscsi's node database that iscsiadm itself cannot read any more — error, with a guided cleanup."""
    problem = facts.node_db
    if problem is None:
        return []
    db = problem.db_dir or "/etc/iscsi (Debian, Ubuntu) or /var/lib/iscsi"
    steps = [f"1. Keep a copy: tar czf /root/iscsi-db-$(date +%F).tgz {problem.db_dir or '/etc/iscsi /var/lib/iscsi'}"]
    if problem.files:
        steps.append("2. Move the records it names out of the way: "
                     + "; ".join(f"mv '{f}' /root/" for f in problem.files[:5]))
    else:
        steps.append(f"2. Find the damaged records: grep -L 'node.name' -r {db}/nodes (or move {db}/nodes aside "
                     "and start empty)")
    steps.append("3. Rediscover the targets (sanctl discover <portal>, or c on the Connect panel) and set again "
                 "what the old records held: startup = automatic, CHAP.")
    code = f" (exit {problem.code})" if problem.code is not None else ""
    return [Finding(
        rule="node_database_unreadable", severity=ERROR,
        title=f"iscsiadm cannot read its node database{code}",
        why=("A corrupt record, or one written by another open-iscsi version (a key this version does not know), "
             "makes iscsiadm fail on every record: logins, boot-time logins and discovery stop working.",
             *(f"iscsiadm: {line.removeprefix('iscsiadm: ')}" for line in problem.lines[:6])),
        fix=" ".join(steps), details=problem.files, panel="connect")]
