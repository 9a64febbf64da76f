"""The doctor's rules about who can reach and write what: shared LUNs, demo mode, open portals,
objects that lead nowhere, CHAP on one side only.

A rule reads nothing and changes nothing (see :mod:`sanctl.doctor.rules`). No I/O, no Textual.
"""

from __future__ import annotations

from collections import defaultdict

from sanctl.doctor import paths
from sanctl.doctor.findings import ERROR, INFO, WARNING, Finding
from sanctl.doctor.host_facts import HostFacts, normal_address
from sanctl.doctor.live_facts import LiveSnapshot
from sanctl.doctor.rules_common import _label, _names, _numbers, _tpgs
from sanctl.model import Auth, SanConfig, Target, Tpg


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
    from sanctl.lio.changes import tpg_attribute
    from sanctl.names import InvalidValue

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
            action = tpg_attribute(target.wwn, tpg.tag, "demo_mode_write_protect", 1, fabric=target.fabric,
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
    from sanctl.lio.changes import SetTpgEnabled
    from sanctl.names import InvalidValue

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
