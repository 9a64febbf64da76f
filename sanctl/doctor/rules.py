"""The doctor's rules: one small pure function each, over the model, the live state and the host.

Every rule is ``rule(config, live, facts) -> list[Finding]``:

- ``config`` — the :class:`~sanctl.model.SanConfig` (with mapped LUNs read);
- ``live`` — a :class:`~sanctl.doctor.observe.LiveSnapshot` (sessions,
  counters, log incidents and the sampler's findings, the sessions' trails
  over the looks), or ``None`` when the live state was not looked at;
- ``facts`` — :class:`~sanctl.doctor.facts.HostFacts`; a fact that is
  ``None`` is unknown and the rules that need it stay quiet (the report says
  what was not checked).

A rule reads nothing and changes nothing: the same inputs give the same
findings, so each is tested on fixture trees and built snapshots, both the
situation that triggers it and the one that must not. :func:`evaluate` runs
them all into a :class:`~sanctl.doctor.findings.Report`.

No Textual here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from sanctl.doctor import paths
from sanctl.doctor.facts import HostFacts, normal_address
from sanctl.doctor.findings import ERROR, INFO, WARNING, Finding, Report
from sanctl.doctor.observe import AclKey, LiveSnapshot
from sanctl.live.fail_time import failure_wall
from sanctl.model import Auth, SanConfig, Target, Tpg
from sanctl.summary import human_size

Rule = Callable[[SanConfig, "LiveSnapshot | None", HostFacts], list[Finding]]

#: Login failures whose last one is older than this are old news on a first look (seconds).
RECENT = 3600.0
#: A filesystem with less than this share free is nearly full.
NEARLY_FULL = 0.10


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _tpgs(config: SanConfig, fabric: str | None = None) -> Iterator[tuple[Target, Tpg]]:
    for target in config.targets:
        if fabric is not None and target.fabric != fabric:
            continue
        for tpg in sorted(target.tpgs, key=lambda t: t.tag):
            yield target, tpg


def _label(target: Target, tpg: Tpg) -> str:
    return f"{target.wwn}/tpg{tpg.tag}"


def _find_tpg(config: SanConfig, wwn: str, tag: int | None = None) -> tuple[Target, Tpg | None] | None:
    for target in config.targets:
        if target.wwn == wwn:
            if tag is None:
                return target, None
            for tpg in target.tpgs:
                if tpg.tag == tag:
                    return target, tpg
            return target, None
    return None


def _acl_objects(config: SanConfig, key: AclKey) -> tuple[str, ...]:
    """The ACL's tree path if it exists, else its target's, else nothing."""
    found = _find_tpg(config, key[0], key[1])
    if found is None:
        return ()
    target, tpg = found
    if tpg is not None and any(a.node_wwn == key[2] for a in tpg.acls):
        return (paths.acl(target, tpg, key[2]),)
    return (paths.target(target),)


def _numbers(values: Iterable[int]) -> str:
    items = sorted(values)
    return ", ".join(str(v) for v in items)


def _names(values: Iterable[str]) -> str:
    items = sorted(values)
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _ago(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s ago"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"


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
        from sanctl.live.flap import SHARED_NAME_FIX

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
# 3. a LUN written by several initiators
# ---------------------------------------------------------------------------

COORDINATION = ("Writing one disk from several hosts is safe only when they coordinate: a cluster filesystem "
                "(GFS2, OCFS2) or clusterware (Oracle RAC with ASM, Windows failover clustering, VMware VMFS). "
                "Two hosts mounting an ordinary filesystem (ext4, XFS) on it corrupt it within minutes.")


def shared_luns(config: SanConfig, live: LiveSnapshot | None, facts: HostFacts) -> list[Finding]:
    """A LUN mapped read-write to more than one initiator.

    sanctl cannot see whether the hosts run a cluster filesystem or
    clusterware; what it can see is whether the sharing has the *shape* of a
    cluster's shared storage, and it says which:

    - **one group** (information): every initiator that writes the backstore
      is an ACL of one TPG, and the TPG's shared LUNs are shared by exactly
      that same set of initiators. That is how a cluster's disks are exported
      — the Oracle RAC example: two nodes' ACLs each mapping the same six
      LUNs, where the sharing is intended (ASM and the clusterware coordinate
      it). The finding explains what must hold, it does not alarm. The shape
      cannot tell a cluster from two unrelated hosts that targetcli's
      automatic mapping gave the same LUNs; the text says what to do then.
    - **across targets or TPGs** (warning): the same backstore written through
      LUNs of different targets or TPGs by their ACLs — no one group of
      hosts was given it; usually one LV or file exported twice.
    - **overlapping groups** (warning): within one TPG, initiators share LUNs
      in overlapping combinations (A with B on one LUN, A with C on another)
      — not one cluster's layout, more often a mapping given to the wrong host.

    Read-only mappings (``write_protect``), read-only backstores and demo mode
    (its own rule) are left out.
    """
    writers: dict[tuple[str, str], list[tuple[Target, Tpg, int, str]]] = defaultdict(list)
    for target, tpg in _tpgs(config):
        luns = {lun.index: lun for lun in tpg.luns}
        for acl in tpg.acls:
            for mapped in acl.mapped_luns:
                if mapped.write_protect or mapped.tpg_lun is None:
                    continue
                lun = luns.get(mapped.tpg_lun)
                if lun is None or lun.storage_object is None:
                    continue
                so = config.storage_object(lun.storage_object)
                if so is not None and so.readonly:
                    continue
                entry = (target, tpg, lun.index, acl.node_wwn)
                if entry not in writers[lun.storage_object]:
                    writers[lun.storage_object].append(entry)
    shared = {key: found for key, found in writers.items() if len({e[3] for e in found}) >= 2}
    findings: list[Finding] = []
    groups: dict[tuple[str, int], dict[frozenset[str], list[tuple[str, str]]]] = defaultdict(lambda: defaultdict(list))
    homes: dict[tuple[str, int], tuple[Target, Tpg]] = {}
    for key in sorted(shared):
        entries = shared[key]
        places = {(e[0].wwn, e[1].tag) for e in entries}
        initiators = sorted({e[3] for e in entries})
        if len(places) > 1:
            luns = sorted({paths.lun(e[0], e[1], e[2]) for e in entries})
            findings.append(Finding(
                rule="shared_lun", severity=WARNING,
                title=f"Backstore {key[0]}/{key[1]} is written through {len(places)} targets or TPGs "
                      f"by {len(initiators)} initiators",
                why=(f"It is mapped read-write through {', '.join(luns)} to {_names(initiators)}: ACLs of different "
                     "targets or TPGs, so no one group of hosts was given it — usually the same volume or file "
                     "exported twice.", COORDINATION),
                fix="Unless these hosts coordinate their writes, export it through one TPG to the hosts that should "
                    "have it, or make the other mappings read-only (write_protect on their mapped LUNs).",
                objects=(paths.storage_key(key), *luns)))
            continue
        target, tpg = entries[0][0], entries[0][1]
        homes[(target.wwn, tpg.tag)] = (target, tpg)
        groups[(target.wwn, tpg.tag)][frozenset(initiators)].append(key)
    for place, by_writers in sorted(groups.items()):
        target, tpg = homes[place]
        lun_of = {lun.storage_object: lun.index for lun in tpg.luns}
        sets = list(by_writers)
        for who, keys in sorted(by_writers.items(), key=lambda item: sorted(item[0])):
            luns = sorted(lun_of[k] for k in keys if k in lun_of)
            names = ", ".join(f"{k[0]}/{k[1]}" for k in sorted(keys, key=lambda k: lun_of.get(k, 0)))
            acl_paths = tuple(paths.acl(target, tpg, name) for name in sorted(who))
            lun_paths = tuple(paths.lun(target, tpg, n) for n in luns)
            what = f"LUN {luns[0]}" if len(luns) == 1 else f"LUNs {_numbers(luns)}"
            others = [other for other in sets if other != who and other & who]
            if others:
                other_text = "; ".join(_names(o) for o in others)
                findings.append(Finding(
                    rule="shared_lun", severity=WARNING,
                    title=f"{what} of {_label(target, tpg)} written by {_names(who)}, whose other shared LUNs "
                          "go to other hosts",
                    why=(f"{what} ({names}) is mapped read-write to {_names(who)}, while other LUNs of the TPG are "
                         f"shared by {other_text}: overlapping groups are not one cluster's layout, more often a "
                         "mapping given to the wrong host.", COORDINATION),
                    fix="Check which hosts should see each LUN; delete the mapped LUNs that are wrong, or make them "
                        "read-only (write_protect).",
                    objects=(*lun_paths, *acl_paths)))
                continue
            findings.append(Finding(
                rule="shared_lun", severity=INFO,
                title=f"{what} of {_label(target, tpg)} shared read-write by {len(who)} initiators, "
                      "set up as a cluster's shared disks",
                why=(f"{what} ({names}) {'is' if len(luns) == 1 else 'are'} mapped read-write to {_names(who)} "
                     "— one group of hosts given the same disks, and no one else: how a cluster's shared storage "
                     "is set up.",
                     "A cluster filesystem (GFS2, OCFS2) or clusterware must coordinate the writes; for Oracle "
                     "RAC with ASM this sharing is intended and right.",
                     "If these hosts are not one cluster, each would overwrite the others' data."),
                fix="Nothing to do for a cluster. Otherwise map each LUN read-write to one initiator only "
                    "(delete the other mapped LUNs, or set write_protect on them).",
                objects=(*lun_paths, *acl_paths)))
    return findings


# ---------------------------------------------------------------------------
# 4. demo mode with write access; no authentication on a wildcard portal
# ---------------------------------------------------------------------------


def demo_mode_writable(config: SanConfig, live: LiveSnapshot | None, facts: HostFacts) -> list[Finding]:
    """``generate_node_acls=1`` with ``demo_mode_write_protect=0``: anyone may write — error.

    The fix is one safe change: ``demo_mode_write_protect=1`` (demo-mode
    logins become read-only; explicit ACLs keep their access).
    """
    from sanctl.names import InvalidValue
    from sanctl.lio.changes import SetTpgAttribute

    found = []
    for target, tpg in _tpgs(config):
        if not tpg.demo_mode or tpg.attributes.value("demo_mode_write_protect") != "0":
            continue
        why = [f"generate_node_acls=1 lets any initiator that reaches a portal log in without an ACL, and "
               f"demo_mode_write_protect=0 lets it write every LUN of the TPG ({len(tpg.luns)}).",
               "Two hosts that mount one of those LUNs corrupt it; anyone on the network can overwrite it."]
        if tpg.attributes.value("authentication") == "0":
            why.append("authentication=0: no CHAP stands in the way either.")
        if live is not None:
            dynamic = sorted(s.initiator for s in live.frame.sessions
                             if s.kind == "dynamic" and s.target == target.wwn and s.tpg == tpg.tag)
            if dynamic:
                why.append(f"Logged in through demo mode now: {_names(dynamic)}. Their sessions keep write access "
                           "until they log in again.")
        try:
            action = SetTpgAttribute(target.wwn, tpg.tag, "demo_mode_write_protect", 1, fabric=target.fabric,
                                     expect="0")
        except InvalidValue:
            action = None
        found.append(Finding(
            rule="demo_mode_writable", severity=ERROR,
            title=f"Demo mode with write access: {_label(target, tpg)}",
            why=tuple(why),
            fix="Make demo-mode access read-only (demo_mode_write_protect=1), or turn demo mode off "
                "(generate_node_acls=0) and create an ACL for each initiator that should write.",
            objects=(paths.tpg(target, tpg),), action=action))
    return found


def open_portal_without_auth(config: SanConfig, live: LiveSnapshot | None, facts: HostFacts) -> list[Finding]:
    """Authentication off on a portal bound to every address — warning."""
    found = []
    for target, tpg in _tpgs(config, "iscsi"):
        if not tpg.enabled or tpg.attributes.value("authentication") != "0":
            continue
        for portal in sorted(tpg.portals, key=lambda p: (p.ip_address, p.port)):
            if not portal.wildcard:
                continue
            why = [f"Portal {portal.label} listens on every address of this host and authentication=0: an "
                   "initiator that reaches any of them needs only an allowed initiator name, and names are not "
                   "secret (any host can claim one; a cloned VM has the same)."]
            if tpg.demo_mode:
                why.append("The TPG is in demo mode: it does not even need an allowed name.")
            found.append(Finding(
                rule="open_portal_without_auth", severity=WARNING,
                title=f"No authentication on a portal open on every address: {_label(target, tpg)} {portal.label}",
                why=tuple(why),
                fix=f"Bind the portal to the storage network's address only (delete {portal.label}, create "
                    "<address>:3260), and set CHAP on the ACLs with authentication=1.",
                objects=(paths.portal(target, tpg, portal), paths.tpg(target, tpg))))
    return found


# ---------------------------------------------------------------------------
# 5. ACLs, LUNs, TPGs and portals that lead nowhere
# ---------------------------------------------------------------------------


def acl_without_luns(config: SanConfig, live: LiveSnapshot | None, facts: HostFacts) -> list[Finding]:
    """An ACL that maps no LUN: the initiator logs in and sees no disk — warning."""
    found = []
    for target, tpg in _tpgs(config):
        for acl in sorted(tpg.acls, key=lambda a: a.node_wwn):
            if acl.mapped_luns or getattr(acl, "unread_mapped_luns", None):
                continue
            path = paths.acl(target, tpg, acl)
            found.append(Finding(
                rule="acl_without_luns", severity=WARNING,
                title=f"ACL {acl.node_wwn} of {_label(target, tpg)} maps no LUN",
                why=("The initiator can log in but sees no disk (the login succeeds, no /dev/sdX appears) — usually "
                     "LUNs created after the ACL: targetcli maps the existing LUNs only when an ACL is created.",),
                fix=f"Map the LUNs it should see: select the ACL and press a (targetcli: {path} create "
                    "mapped_lun=0 tpg_lun_or_backstore=lun0); or delete the ACL if it is left over.",
                objects=(path,)))
    return found


def unmapped_luns(config: SanConfig, live: LiveSnapshot | None, facts: HostFacts) -> list[Finding]:
    """TPG LUNs no ACL maps, in a TPG that uses ACLs (not demo mode) — warning, one per TPG."""
    found = []
    for target, tpg in _tpgs(config):
        if tpg.demo_mode or not tpg.acls or any(getattr(a, "unread_mapped_luns", None) for a in tpg.acls):
            continue
        mapped = {m.tpg_lun for acl in tpg.acls for m in acl.mapped_luns}
        lonely = sorted((lun for lun in tpg.luns if lun.index not in mapped), key=lambda lun: lun.index)
        if not lonely:
            continue
        what = f"LUN {lonely[0].index}" if len(lonely) == 1 else f"LUNs {_numbers(lun.index for lun in lonely)}"
        backstores = ", ".join(f"{lun.storage_object[0]}/{lun.storage_object[1]}" for lun in lonely[:5]
                               if lun.storage_object)
        found.append(Finding(
            rule="unmapped_lun", severity=WARNING,
            title=f"{what} of {_label(target, tpg)} mapped to no ACL",
            why=(f"The TPG has ACLs, so an initiator sees only the LUNs its ACL maps: no one sees {what}"
                 + (f" ({backstores}{'…' if len(lonely) > 5 else ''})" if backstores else "") + ".",),
            fix="Map it to the ACLs that should see it (select the ACL, press a), or delete the LUN if it is "
                "left over.",
            objects=tuple(paths.lun(target, tpg, lun.index) for lun in lonely)))
    return found


def tpg_unreachable(config: SanConfig, live: LiveSnapshot | None, facts: HostFacts) -> list[Finding]:
    """An iSCSI TPG that is disabled (fix: enable it) or has no portal — warning."""
    from sanctl.names import InvalidValue
    from sanctl.lio.changes import SetTpgEnabled

    found = []
    for target, tpg in _tpgs(config, "iscsi"):
        path = paths.tpg(target, tpg)
        if not tpg.enabled:
            try:
                action = SetTpgEnabled(target.wwn, tpg.tag, True, fabric=target.fabric)
            except InvalidValue:
                action = None
            found.append(Finding(
                rule="tpg_disabled", severity=WARNING, title=f"TPG {_label(target, tpg)} is disabled",
                why=("No initiator can log in to a disabled TPG; its sessions were dropped when it was disabled.",),
                fix=f"Enable it when it is ready (targetcli: {path} enable).", objects=(path,), action=action))
        if not tpg.portals:
            found.append(Finding(
                rule="tpg_without_portal", severity=WARNING, title=f"TPG {_label(target, tpg)} has no portal",
                why=("Without a portal it listens nowhere: no initiator can reach it.",),
                fix="Create a portal on the storage network's address (select portals, press a).",
                objects=(path,)))
    return found


def portal_address_missing(config: SanConfig, live: LiveSnapshot | None, facts: HostFacts) -> list[Finding]:
    """A portal on an address this host does not have — warning."""
    if facts.addresses is None:
        return []
    found = []
    for target, tpg in _tpgs(config, "iscsi"):
        for portal in sorted(tpg.portals, key=lambda p: (p.ip_address, p.port)):
            if portal.wildcard or facts.has_address(portal.ip_address) is not False:
                continue
            have = ", ".join(sorted(a for a in facts.addresses if a not in ("127.0.0.1", "::1"))[:4])
            found.append(Finding(
                rule="portal_address_missing", severity=WARNING,
                title=f"Portal {portal.label} of {_label(target, tpg)}: this host has no address "
                      f"{normal_address(portal.ip_address)}",
                why=("Initiators cannot reach it there, and at the next boot restoring it fails (an address the "
                     "host does not have cannot be bound) — the address moved, or the configuration came from "
                     "another host.",),
                fix="Delete the portal and create one on an address this host has"
                    + (f" ({have})" if have else "") + ", or give the host that address back.",
                objects=(paths.portal(target, tpg, portal),)))
    return found


def iser_without_rdma(config: SanConfig, live: LiveSnapshot | None, facts: HostFacts) -> list[Finding]:
    """A portal with iSER on a host without an RDMA device — warning."""
    if facts.rdma is not False:
        return []
    found = []
    for target, tpg in _tpgs(config, "iscsi"):
        for portal in sorted(tpg.portals, key=lambda p: (p.ip_address, p.port)):
            if not portal.iser:
                continue
            found.append(Finding(
                rule="iser_without_rdma", severity=WARNING,
                title=f"iSER on portal {portal.label} of {_label(target, tpg)}, but this host has no RDMA device",
                why=("iSER carries iSCSI over RDMA; /sys/class/infiniband is empty, so no initiator can use "
                     "it here, and restoring the portal's iSER listener (at boot, or from a saved file) can fail.",),
                fix="Turn iSER off on the portal (e on it), or install and set up the RDMA NIC first.",
                objects=(paths.portal(target, tpg, portal),)))
    return found


# ---------------------------------------------------------------------------
# 6. lost at reboot
# ---------------------------------------------------------------------------


def _diff_path(config: SanConfig, kind: str, key: tuple) -> str | None:
    """The tree path of a saveconfig diff entry (``ObjectDiff.key``), when it is in the running tree."""
    try:
        if kind == "storage_object":
            return f"/backstores/{key[0][0]}/{key[0][1]}"
        if kind == "target":
            return f"/{key[0][0]}/{key[0][1]}"
        (fabric, wwn), tag = key[0], key[1]
        base = f"/{fabric}/{wwn}/tpg{tag}"
        if kind == "tpg":
            return base
        if kind == "lun":
            return f"{base}/luns/lun{key[2]}"
        if kind == "portal":
            return f"{base}/portals/{key[2][0]}:{key[2][1]}"
        if kind == "acl":
            return f"{base}/acls/{key[2]}"
        if kind == "mapped_lun":
            return f"{base}/acls/{key[2]}/mapped_lun{key[3]}"
    except (IndexError, TypeError, ValueError):
        return None
    return None


def unsaved_configuration(config: SanConfig, live: LiveSnapshot | None, facts: HostFacts) -> list[Finding]:
    """The running configuration differs from saveconfig.json (or was never saved) — warning, with the diff."""
    status = facts.save_status
    if status is None:
        return []
    where = facts.shown(status.location.path)
    fix = ("Save it: sanctl save, or s on the configuration panel (the previous file is kept as a backup); "
           "sanctl diff lists the differences.")
    if status.differs and status.diff is None:
        return [Finding(
            rule="unsaved_configuration", severity=WARNING,
            title="The configuration was never saved: it is lost at reboot",
            why=(f"{where} does not exist, so the boot service restores nothing: after a reboot the target "
                 "starts empty.",),
            fix=fix, panel="config")]
    if status.differs and status.diff is not None and config.empty and status.diff.of_kind("removed"):
        lost = status.diff.of_kind("removed")
        return [Finding(
            rule="unsaved_configuration", severity=ERROR,
            title=f"The running configuration is empty; {where} holds {len(lost)} object"
                  f"{'s' if len(lost) != 1 else ''} — restore it, do not save",
            why=(f"The kernel target has nothing configured while {where} holds a configuration (a reboot "
                 "without the boot service's restore?). Saving now would replace that file with an empty one.",),
            fix=(f"Restore it: sanctl restore {status.location.path} (it shows what it will create first), or R on "
                 "the configuration panel; then check why the boot service did not (systemctl status "
                 "target.service or rtslib-fb-targetctl.service). Do not save before that."),
            details=tuple(e.line() for e in lost), panel="config")]
    if status.differs and status.diff is not None:
        from sanctl.tree import find

        objects = []
        for entry in status.diff.entries:
            if entry.status == "removed":
                continue
            path = _diff_path(config, entry.kind, entry.key)
            if path and path not in objects and find(config, path):
                objects.append(path)
        return [Finding(
            rule="unsaved_configuration", severity=WARNING,
            title=f"Unsaved changes: {status.diff.summary().split(': ', 1)[-1].rstrip('.')} — lost at reboot",
            why=(f"The running configuration differs from {where}, which the boot service restores: these "
                 "changes are lost at the next reboot.",),
            fix=fix, objects=tuple(objects[:20]), details=tuple(e.line() for e in status.diff.entries),
            panel="config")]
    if status.differs is None and status.problem:
        return [Finding(
            rule="unsaved_configuration", severity=WARNING,
            title="Cannot tell whether the configuration is saved",
            why=(facts.shown(status.problem), "If the boot service cannot read the file either, the target starts "
                                              "empty after a reboot."),
            fix="Look at the file (sanctl diff says what is wrong with it); save again to replace it.")]
    return []


def unfinished_change(config: SanConfig, live: LiveSnapshot | None, facts: HostFacts) -> list[Finding]:
    """A multi-step change sanctl was killed in the middle of (its journal is there) — error."""
    found = facts.unfinished
    if found is None:
        return []
    if isinstance(found, str):
        return [Finding(
            rule="unfinished_change", severity=ERROR,
            title="The journal of an interrupted change cannot be read",
            why=(facts.shown(found), "A change of several steps may have been left half applied."),
            fix="Check the configuration (sanctl diff against the saved file); remove the journal once it is "
                "as it should be.")]
    steps = [f"{s.state}: {s.change.describe()}" for s in found.steps]
    return [Finding(
        rule="unfinished_change", severity=ERROR,
        title="A change was interrupted half-way: the configuration is partly changed",
        why=(found.summary(), f"Its journal: {facts.shown(found.path)}."),
        fix=("Start sanctl: it offers to finish the change or undo what was done (both all or nothing, through "
             "the writer). Do not save before that."),
        details=tuple(steps[:40]), panel="config")]


def boot_service_disabled(config: SanConfig, live: LiveSnapshot | None, facts: HostFacts) -> list[Finding]:
    """target.service (Debian: rtslib-fb-targetctl.service) not enabled — warning."""
    from sanctl.initiator.services import ENABLED_STATES

    state = facts.target_service
    if state is None or config.empty or state.state in ENABLED_STATES or state.state == "unknown":
        return []
    if state.state == "not-found":
        return [Finding(
            rule="boot_service_disabled", severity=WARNING,
            title="No boot service restores the target configuration",
            why=("Neither target.service nor rtslib-fb-targetctl.service is installed: after a reboot the kernel "
                 "target starts empty, whatever saveconfig.json holds.",),
            fix="Install the distribution's package (python3-rtslib-fb on Debian and Ubuntu, targetcli or "
                "python3-rtslib on RHEL, Fedora and SUSE) and enable its service.")]
    return [Finding(
        rule="boot_service_disabled", severity=WARNING,
        title=f"{state.unit} is {state.state}: the configuration is not restored at boot",
        why=(f"{state.unit} runs targetctl restore at boot; while it is {state.state}, the target starts empty "
             "after a reboot, however carefully saveconfig.json was saved.",),
        fix=f"systemctl enable {state.unit}")]


def dbroot_folders_missing(config: SanConfig, live: LiveSnapshot | None, facts: HostFacts) -> list[Finding]:
    """``<dbroot>/pr`` missing: persistent reservations with APTPL cannot persist — warning
    (``alua`` alone: information)."""
    if facts.dbroot is None or not facts.dbroot_missing or not config.storage_objects:
        return []
    dbroot = facts.dbroot.rstrip("/") or "/"
    fix = (f"mkdir -p {' '.join(f'{dbroot}/{sub}' for sub in facts.dbroot_missing)} "
           "(sanctl's next change to the target creates them too).")
    if "pr" in facts.dbroot_missing:
        return [Finding(
            rule="dbroot_folders_missing", severity=WARNING,
            title=f"{dbroot}/pr is missing: persistent reservations with APTPL cannot persist",
            why=(f"The kernel keeps each LUN's reservations registered with APTPL (persist through power loss) in "
                 f"{dbroot}/pr/aptpl_<wwn> and never creates that folder: such a PERSISTENT RESERVE OUT fails, so "
                 "clusters that fence with SCSI reservations (Windows failover clustering, pacemaker's fence_scsi) "
                 "cannot register, and libiscsi's conformance tests of persistent reservations fail.",)
            + ((f"{dbroot}/alua is missing too: ALUA state changes are not kept.",)
               if "alua" in facts.dbroot_missing else ()),
            fix=fix)]
    return [Finding(
        rule="dbroot_folders_missing", severity=INFO,
        title=f"{dbroot}/alua is missing: ALUA state changes are not kept",
        why=(f"The kernel writes ALUA metadata under {dbroot}/alua and does not create the folder.",),
        fix=fix)]


# ---------------------------------------------------------------------------
# 7. CHAP on one side only
# ---------------------------------------------------------------------------


def _half_set(auth: Auth) -> list[str]:
    problems = []
    if bool(auth.userid) != bool(auth.password):
        problems.append("a CHAP " + ("user name without a secret" if auth.userid else "secret without a user name"))
    if bool(auth.mutual_userid) != bool(auth.mutual_password):
        problems.append("a mutual CHAP " + ("user name without a secret" if auth.mutual_userid
                                            else "secret without a user name"))
    if auth.mutual and not auth.chap:
        problems.append("mutual CHAP without one-way CHAP (the target authenticates itself only to an "
                        "initiator that authenticated first)")
    return problems


def _record_chap(record) -> tuple[bool, str, bool, bool]:
    """(CHAP on, username, mutual user set, mutual secret set) of a node record."""
    on = record.authmethod.upper() == "CHAP" and bool(record.text("node.session.auth.username"))
    user = record.text("node.session.auth.username")
    user_in = bool(record.text("node.session.auth.username_in"))
    secret_in = bool(record.get("node.session.auth.password_in"))  # a Secret: set, even when masked
    return on, user, user_in, secret_in


def _record_initiator(record) -> str:
    """The initiator name a node record logs in with when its iface has its own (``iface.initiatorname``)."""
    return record.text("iface.initiatorname")


def chap_one_side(config: SanConfig, live: LiveSnapshot | None, facts: HostFacts) -> list[Finding]:
    """CHAP set on one side only: half-set credentials on the target or in a node record, a TPG that
    requires CHAP with an ACL that has none, and — when this host is both target and initiator — the
    ACL's CHAP missing from this host's node record (or the other way round) — warning."""
    found = []
    by_path = dict(facts.auth)
    for target, tpg in _tpgs(config):
        label = _label(target, tpg)
        requires = tpg.attributes.value("authentication") == "1"
        if tpg.demo_mode and tpg.path in by_path:
            for problem in _half_set(by_path[tpg.path]):
                found.append(Finding(
                    rule="chap_one_side", severity=WARNING, title=f"TPG {label} (demo mode): {problem}",
                    why=("Logins that use CHAP fail with error 24 (the initiator cannot tell why).",),
                    fix="Set both the user name and the secret (select the TPG, press e), or clear both.",
                    objects=(paths.tpg(target, tpg),)))
        for acl in sorted(tpg.acls, key=lambda a: a.node_wwn):
            auth = by_path.get(acl.path)
            path = paths.acl(target, tpg, acl)
            if auth is not None:
                for problem in _half_set(auth):
                    found.append(Finding(
                        rule="chap_one_side", severity=WARNING, title=f"ACL {acl.node_wwn} of {label}: {problem}",
                        why=("CHAP with one half set fails every login that uses it, with error 24 on the "
                             "initiator.",),
                        fix="Set both the user name and the secret (select the ACL, press e), or clear both.",
                        objects=(path,)))
            if requires and not tpg.demo_mode and auth is not None and not auth.chap:
                found.append(Finding(
                    rule="chap_one_side", severity=WARNING,
                    title=f"ACL {acl.node_wwn} of {label} has no CHAP, but the TPG requires it",
                    why=("authentication=1 makes CHAP mandatory: with no CHAP user and secret on the ACL this "
                         "initiator's every login fails with error 24.",),
                    fix="Set a CHAP user and secret on the ACL (select it, press e) and the same in the initiator's "
                        "node record — or set authentication=0 on the TPG if CHAP is not wanted.",
                    objects=(path,)))
    discovery = by_path.get("iscsi/discovery_auth")
    if discovery is not None:
        for problem in _half_set(discovery):
            found.append(Finding(
                rule="chap_one_side", severity=WARNING, title=f"Discovery authentication: {problem}",
                why=("SendTargets discovery with CHAP fails for every initiator.",),
                fix="Set both halves (press e on /iscsi), or clear both.", objects=("/iscsi",)))
    records = facts.node_records or ()
    for record in records:
        on, user, user_in, secret_in = _record_chap(record)
        where = f"{record.target} at {record.portal}"
        if user_in != secret_in or ((user_in or secret_in) and not on):
            found.append(Finding(
                rule="chap_one_side", severity=WARNING,
                title=f"Node record {where}: mutual CHAP half set",
                why=("The record asks the target to authenticate itself without everything needed (a user name and "
                     "secret for the target, and one-way CHAP first): its login fails.",),
                fix="Set node.session.auth.username_in and password_in together, with one-way CHAP on — or clear "
                    "both (the Connect panel, 5).", panel="connect"))
    default_name = facts.initiator_name
    if facts.node_records is not None:
        seen: set[tuple] = set()
        for target, tpg in _tpgs(config, "iscsi"):
            if not tpg.enabled:
                continue
            requires = tpg.attributes.value("authentication") == "1"
            for record in records:
                if record.target != target.wwn:
                    continue
                # A record through an iface with its own initiator name logs in as that name: its ACL is
                # that name's. Records of one target through several ifaces are one client, said once.
                name = _record_initiator(record) or default_name
                acl = next((a for a in tpg.acls if a.node_wwn == name), None) if name else None
                auth = by_path.get(acl.path) if acl is not None else None
                if acl is None or auth is None:
                    continue
                on, user, user_in, secret_in = _record_chap(record)
                client = (target.wwn, tpg.tag, name, record.portal, on, user, user_in, secret_in)
                if client in seen:
                    continue
                seen.add(client)
                path = paths.acl(target, tpg, acl)
                fix = (f"Put the ACL's CHAP user and secret in this host's node record: iscsiadm -m node -T {target.wwn} "
                       f"-p {record.portal} -o update -n node.session.auth.authmethod -v CHAP, then "
                       "node.session.auth.username and node.session.auth.password (or the Connect panel, 5).")
                if auth.chap and not on:
                    consequence = ("the TPG requires CHAP (authentication=1): this host's login fails with error 24 "
                                   "(authorization failure)." if requires else
                                   "the TPG has authentication=0, so the login works without CHAP: the ACL's CHAP "
                                   "protects nothing.")
                    found.append(Finding(
                        rule="chap_one_side", severity=WARNING,
                        title=f"CHAP set on the target, not in this host's node record: {target.wwn}",
                        why=(f"The ACL for this host ({name}) has CHAP user {auth.userid!r}; the node record for "
                             f"{record.portal} has none — {consequence}",),
                        fix=fix, objects=(path,), panel="connect"))
                elif auth.chap and on and user != auth.userid:
                    found.append(Finding(
                        rule="chap_one_side", severity=WARNING,
                        title=f"CHAP user names differ: {target.wwn}",
                        why=(f"The ACL expects user {auth.userid!r}, this host's node record for {record.portal} "
                             f"sends {user!r}: " + ("the login fails with error 24." if requires else
                                                    "CHAP fails when the initiator uses it."),),
                        fix=fix, objects=(path,), panel="connect"))
                elif not auth.chap and on and requires is False:
                    found.append(Finding(
                        rule="chap_one_side", severity=WARNING,
                        title=f"CHAP in this host's node record, not on the target: {target.wwn}",
                        why=(f"The node record for {record.portal} sends CHAP user {user!r}; the ACL has no CHAP: "
                             "the target cannot check it, and the login fails when CHAP is offered alone.",),
                        fix="Set the same CHAP user and secret on the ACL (select it, press e), or turn CHAP off "
                            "in the node record.", objects=(path,), panel="connect"))
                if auth.mutual and auth.chap and on and not (user_in and secret_in):
                    found.append(Finding(
                        rule="chap_one_side", severity=WARNING,
                        title=f"Mutual CHAP set on the target only: {target.wwn}",
                        why=("The ACL has a mutual CHAP user and secret, this host's node record asks for none: the "
                             "target is never authenticated, which is what mutual CHAP was set up for.",),
                        fix="Set node.session.auth.username_in and password_in to the ACL's mutual user and secret "
                            "(the Connect panel, 5).", objects=(path,), panel="connect"))
                elif (user_in or secret_in) and not auth.mutual:
                    found.append(Finding(
                        rule="chap_one_side", severity=WARNING,
                        title=f"Mutual CHAP in this host's node record only: {target.wwn}",
                        why=("The node record asks the target to authenticate itself, and the ACL has no mutual CHAP "
                             "user and secret: the login fails.",),
                        fix="Set the ACL's mutual CHAP (select it, press e), or clear username_in and password_in in "
                            "the node record.", objects=(path,), panel="connect"))
    return found


# ---------------------------------------------------------------------------
# 8. backstores whose device or filesystem is in trouble
# ---------------------------------------------------------------------------


def _users(config: SanConfig, key: tuple[str, str]) -> tuple[str, ...]:
    return tuple(paths.lun(t, g, lun.index) for t, g, lun in config.users_of(key))


def block_device_trouble(config: SanConfig, live: LiveSnapshot | None, facts: HostFacts) -> list[Finding]:
    """A block backstore whose device is gone, or now mounted (or swap) on this host — error."""
    found = []
    for so in sorted(config.storage_objects, key=lambda s: s.name):
        if so.plugin != "block" or not so.dev or so.dev not in facts.devices:
            continue
        fact = facts.devices[so.dev]
        users = _users(config, so.key)
        objects = (paths.storage_object(so), *users)
        if not fact.exists:
            found.append(Finding(
                rule="block_device_trouble", severity=ERROR,
                title=f"Backstore block/{so.name}: device {so.dev} is gone",
                why=("Every LUN on it fails I/O" + (f" ({', '.join(users)})" if users else "") + "; initiators see "
                     "errors and their filesystems go read-only.",),
                fix="Bring the device back (LVM: vgchange -ay; a disk: dmesg, cabling, multipath) — or delete the "
                    "backstore and its LUNs if the device was retired.",
                objects=objects))
            continue
        if fact.mountpoints or fact.swap:
            where = ", ".join(fact.mountpoints) + (" and as swap" if fact.mountpoints and fact.swap else
                                                   "as swap" if fact.swap else "")
            found.append(Finding(
                rule="block_device_trouble", severity=ERROR,
                title=f"Backstore block/{so.name}: {so.dev} is in use on this host ({where})",
                why=("This host and the initiators write the same blocks, each without knowing of the other: both "
                     "corrupt the data.",),
                fix="Unmount it here (umount; and take it out of /etc/fstab) or swapoff it — or stop exporting it.",
                objects=objects))
    return found


def fileio_space(config: SanConfig, live: LiveSnapshot | None, facts: HostFacts) -> list[Finding]:
    """A fileio file on a filesystem that is nearly full, or too small for the sparse file — warning."""
    found = []
    for so in sorted(config.storage_objects, key=lambda s: s.name):
        if so.plugin != "fileio" or not so.dev or so.dev not in facts.files:
            continue
        f = facts.files[so.dev]
        objects = (paths.storage_object(so), *_users(config, so.key))
        if f.hole > f.fs_free:
            found.append(Finding(
                rule="fileio_space", severity=WARNING,
                title=f"Backstore fileio/{so.name}: its sparse file can outgrow its filesystem",
                why=(f"{f.path} is {human_size(f.size)} long but uses {human_size(f.allocated)}; its filesystem has "
                     f"{human_size(f.fs_free)} free. Once the initiators have written that much more, writes fail "
                     "(ENOSPC) and they see I/O errors on a disk that looks half empty to them.",),
                fix="Free or add space on that filesystem, or move the file to one that can hold all of it (or "
                    "allocate it fully: fallocate -l <size> while nothing uses it).",
                objects=objects))
        elif f.fs_total and f.fs_free < NEARLY_FULL * f.fs_total:
            found.append(Finding(
                rule="fileio_space", severity=WARNING,
                title=f"Backstore fileio/{so.name}: its filesystem is nearly full "
                      f"({100 * f.fs_free / f.fs_total:.0f}% free)",
                why=(f"{f.path} lives on a filesystem with {human_size(f.fs_free)} of {human_size(f.fs_total)} "
                     "free: a sparse file, snapshots or logs there can use it up, and then writes to the LUN fail.",),
                fix="Free or add space on that filesystem.", objects=objects))
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


# ---------------------------------------------------------------------------
# all of them
# ---------------------------------------------------------------------------

#: (id, rule), in the order findings of one severity are listed.
RULES: tuple[tuple[str, Rule], ...] = (
    ("shared_initiator_name", shared_initiator_name),
    ("demo_mode_writable", demo_mode_writable),
    ("block_device_trouble", block_device_trouble),
    ("node_database_unreadable", node_database_unreadable),
    ("recurring_connection_errors", recurring_connection_errors),
    ("login_failures", login_failures),
    ("unfinished_change", unfinished_change),
    ("unsaved_configuration", unsaved_configuration),
    ("boot_service_disabled", boot_service_disabled),
    ("dbroot_folders_missing", dbroot_folders_missing),
    ("open_portal_without_auth", open_portal_without_auth),
    ("chap_one_side", chap_one_side),
    ("shared_lun", shared_luns),
    ("tpg_unreachable", tpg_unreachable),
    ("portal_address_missing", portal_address_missing),
    ("iser_without_rdma", iser_without_rdma),
    ("acl_without_luns", acl_without_luns),
    ("unmapped_lun", unmapped_luns),
    ("fileio_space", fileio_space),
    ("demo_mode_sessions", demo_mode_sessions),
)


def evaluate(config: SanConfig, live: LiveSnapshot | None, facts: HostFacts, *, observed: float = 0.0) -> Report:
    """Every rule over the inputs. A rule that fails is reported as not checked, never a crash."""
    findings: list[Finding] = []
    notes = list(facts.not_checked)
    if live is None:
        notes.append("live state: not looked at (sessions, login counters, connection errors)")
    for name, rule in RULES:
        try:
            findings.extend(rule(config, live, facts))
        except Exception as exc:  # pragma: no cover - a bug in a rule must not hide the others
            notes.append(f"rule {name} failed: {type(exc).__name__}: {exc}")
    return Report.of(findings, notes, observed=observed, live=live is not None)
