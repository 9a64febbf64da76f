"""Parsers: pure functions of iscsiadm's text (``parse_*``), tested on outputs captured
from a real kernel and on hypothesis's inventions.

Lines that are not what a parser looks for are skipped, and numbers no
iscsiadm prints leave their record out: no text can make a parser raise.
No Textual, no I/O here.
"""

from __future__ import annotations

import re
from types import MappingProxyType

from sanctl.bounded import OutsideDataError, int_or_none, parse_int
from sanctl.initiator.iscsiadm_records import (
    Connection,
    DiscoveredTarget,
    DiscoveryRecord,
    Disk,
    Iface,
    NodeRecord,
    NodeSettings,
    PortalLogin,
    Session,
    SessionStats,
    SessionSummary,
    is_secret_key,
)
from sanctl.model import Secret

EMPTY = "<empty>"


_PORTAL_TARGET = re.compile(r"^(\[[^\]]+\]|[^\s\[\]]+):(\d+),(-?\d+) (\S+)$")
_SESSION_LINE = re.compile(r"^(\S+): \[(\d+)\] (\[[^\]]+\]|[^\s\[\]]+):(-?\d+),(-?\d+) (\S+) \((flash|non-flash)\)$")
_PORTAL_TPGT = re.compile(r"^(\[[^\]]+\]|[^\s\[\]]+):(-?\d+),(-?\d+)$")
_BRACKET_TUPLE = re.compile(r"\[(?:sid: (\d+), )?(?:iface: ([^,\]]+), )?target: ([^,\]]+), portal: ([^\]]+)\]")


def portal_from_print(address: str, port: str) -> str:
    # iscsiadm brackets by "has no '.'", so an IPv6 address with an embedded
    # dot-quad comes unbracketed: bracket any address with a colon.
    if ":" in address and not address.startswith("["):
        address = f"[{address}]"
    return f"{address}:{parse_int(port)}"


def parse_discovery(text: str) -> list[DiscoveredTarget]:
    """SendTargets discovery output (also ``-m node``'s flat list): ``addr:port,tpgt target``.

    Lines that are not records (warnings, "Could not add/update …") are skipped.
    Duplicates (LIO advertises a wildcard portal as the address discovery came
    in on) are kept once, in order.
    """
    found: list[DiscoveredTarget] = []
    seen: set[DiscoveredTarget] = set()
    for line in text.splitlines():
        match = _PORTAL_TARGET.match(line.strip())
        if not match:
            continue
        address, port, tpgt, target = match.groups()
        try:
            item = DiscoveredTarget(target, portal_from_print(address, port), parse_int(tpgt))
        except OutsideDataError:  # a number no iscsiadm prints: not a record
            continue
        if item not in seen:
            seen.add(item)
            found.append(item)
    return found


def parse_nodes(text: str) -> list[NodeRecord]:
    """``-m node`` (flat: ``addr:port,tpgt target``) or ``-m node -P 1`` (tree with ifaces)."""
    if re.search(r"^Target: ", text, re.M):
        records: list[NodeRecord] = []
        target = portal = ""
        tpgt = 0
        for raw in text.splitlines():
            line = raw.strip()
            if line.startswith("Target: "):
                target = line.split(": ", 1)[1].split()[0]
            elif line.startswith("Portal: "):
                match = _PORTAL_TPGT.match(line.split(": ", 1)[1].strip())
                if match:
                    try:
                        portal, tpgt = portal_from_print(match.group(1), match.group(2)), parse_int(match.group(3))
                    except OutsideDataError:
                        portal = ""
            elif line.startswith("Iface Name: ") and target and portal:
                records.append(NodeRecord(target, portal, tpgt, line.split(": ", 1)[1].strip()))
        return records
    return [NodeRecord(d.target, d.portal, d.tpgt) for d in parse_discovery(text)]


def parse_records(text: str) -> list[NodeSettings]:
    """``-o show`` output: one :class:`NodeSettings` per ``# BEGIN RECORD`` … ``# END RECORD`` block.

    Text without BEGIN/END lines (some versions, ``iface`` records) is one record.
    """
    blocks: list[tuple[str, list[str]]] = []
    current: list[str] | None = None
    version = ""
    for line in text.splitlines():
        if line.startswith("# BEGIN RECORD"):
            version = line.removeprefix("# BEGIN RECORD").strip()
            current = []
            blocks.append((version, current))
        elif line.startswith("# END RECORD"):
            current = None
        elif " = " in line:
            if current is None:
                current = []
                blocks.append(("", current))
            current.append(line)
    result = []
    for version, lines in blocks:
        settings: dict[str, str | Secret] = {}
        for line in lines:
            key, _, value = line.partition(" = ")
            key, value = key.strip(), value.strip()
            if value == EMPTY:
                value = ""
            settings[key] = Secret(value) if is_secret_key(key) else value
        result.append(NodeSettings(MappingProxyType(settings), version))
    return result


def parse_discoverydb(text: str) -> list[DiscoveryRecord]:
    """``-m discoverydb`` list: ``addr:port via sendtargets``."""
    records = []
    for line in text.splitlines():
        match = re.match(r"^(\[[^\]]+\]|[^\s\[\]]+):(\d+) via (\S+)$", line.strip())
        if match:
            try:
                records.append(DiscoveryRecord(portal_from_print(match.group(1), match.group(2)), match.group(3)))
            except OutsideDataError:
                continue
    return records


def parse_sessions(text: str) -> list[SessionSummary]:
    """``-m session``: ``tcp: [1] 127.0.0.1:3260,1 iqn… (non-flash)``."""
    sessions = []
    for line in text.splitlines():
        match = _SESSION_LINE.match(line.strip())
        if match:
            transport, sid, address, port, tpgt, target, flash = match.groups()
            try:
                sessions.append(SessionSummary(transport, parse_int(sid), portal_from_print(address, port),
                                               parse_int(tpgt), target, flash == "flash"))
            except OutsideDataError:
                continue
    return sessions


_SECTION_HEADERS = {"Interface:", "Timeouts:", "CHAP:", "Negotiated iSCSI params:", "Attached SCSI devices:"}


def parse_session_details(text: str) -> list[Session]:
    """``-m session -P 3`` (also ``-P 1``/``-P 2``): sessions -> connection -> SCSI devices.

    Handles open-iscsi's quirks: sessions to one target share its ``Target:``
    line; a session on the same portal as the one before prints a blank line
    instead of the portal lines; "Host Number … State" is one tab-joined line;
    a LUN with no block device has no "Attached scsi disk" line.
    """
    sessions: list[Session] = []
    target = ""
    flash = False
    current_portal = persistent_portal = ""
    info: dict | None = None

    def finish() -> None:
        try:
            add()
        except OutsideDataError:  # a session whose numbers no iscsiadm prints: left out
            pass

    def add() -> None:
        if info is None:
            return
        portal_match = _PORTAL_TPGT.match(info["persistent"] or info["current"])
        portal, tpgt = ("", None)
        if portal_match:
            portal = portal_from_print(portal_match.group(1), portal_match.group(2))
            tpgt = parse_int(portal_match.group(3))
        current_match = _PORTAL_TPGT.match(info["current"])
        current = portal_from_print(current_match.group(1), current_match.group(2)) if current_match else ""
        fields = info["fields"]
        connection = Connection(current, portal, fields.get("Iface IPaddress", ""),
                                fields.get("iSCSI Connection State", ""))
        sessions.append(Session(
            sid=parse_int(fields.get("SID", "0") or "0"),
            target=info["target"],
            portal=portal,
            tpgt=tpgt,
            iface=fields.get("Iface Name", ""),
            transport=fields.get("Iface Transport", ""),
            initiator_name=fields.get("Iface Initiatorname", ""),
            state=fields.get("iSCSI Session State", ""),
            internal_state=fields.get("Internal iscsid Session State", ""),
            connections=(connection,),
            disks=tuple(info["disks"]),
            host_number=info["host"],
            host_state=info["host_state"],
            timeouts=MappingProxyType(dict(info["sections"].get("Timeouts:", {}))),
            chap_username=info["sections"].get("CHAP:", {}).get("username", ""),
            chap_username_in=info["sections"].get("CHAP:", {}).get("username_in", ""),
            negotiated=MappingProxyType(dict(info["sections"].get("Negotiated iSCSI params:", {}))),
            flash=info["flash"],
        ))

    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or set(line) == {"*"}:
            continue
        if raw.startswith("Target: "):
            finish()
            info = None
            rest = raw.removeprefix("Target: ").strip()
            target = rest.split()[0]
            flash = rest.endswith("(flash)")
            current_portal = persistent_portal = ""
            continue
        if line.startswith("Current Portal: "):
            if info is not None:
                finish()
                info = None
            current_portal = line.split(": ", 1)[1].strip()
            continue
        if line.startswith("Persistent Portal: "):
            persistent_portal = line.split(": ", 1)[1].strip()
            continue
        if line in _SECTION_HEADERS:
            section = line
            if line == "Interface:":
                finish()
                info = {"target": target, "flash": flash, "current": current_portal,
                        "persistent": persistent_portal, "fields": {}, "sections": {}, "disks": [],
                        "host": None, "host_state": ""}
            continue
        if info is None:
            continue  # the "iSCSI Transport Class version" / "version" header
        host = re.match(r"^Host Number: (\d+)\s+State: (.*)$", line)
        if host:
            info["host"], info["host_state"] = int_or_none(host.group(1)), host.group(2).strip()
            continue
        lun = re.match(r"^scsi(\d+) Channel (\d+) Id (\d+) Lun: (\d+)$", line)
        if lun:
            numbers = [int_or_none(g) for g in lun.groups()]
            if None not in numbers:
                info["disks"].append(Disk(*numbers))
            continue
        disk = re.match(r"^Attached scsi disk (\S+)\s+State: (.*)$", line)
        if disk and info["disks"]:
            last = info["disks"][-1]
            info["disks"][-1] = Disk(last.host, last.channel, last.id, last.lun, disk.group(1),
                                     disk.group(2).strip())
            continue
        key, sep, value = line.partition(": ")
        if not sep:
            key, value = line.rstrip(":"), ""
        value = "" if value.strip() == EMPTY else value.strip()
        if section == "Interface:" or key in ("SID",):
            info["fields"].setdefault(key, value)
        else:
            info["sections"].setdefault(section, {})[key] = value
    finish()
    return sessions


def parse_stats(text: str) -> SessionStats:
    """``-m session -r SID -s``."""
    header = re.search(r"Stats for session \[sid: (\d+), target: ([^,\]]+), portal: ([^\]]+)\]", text)
    sid, target, portal = 0, "", ""
    if header:
        sid, target = int_or_none(header.group(1)) or 0, header.group(2).strip()
        address, _, port = header.group(3).strip().rpartition(",")
        portal = header.group(3).strip()
        if int_or_none(port) is not None:
            portal = portal_from_print(address, port)
    counters: dict[str, int] = {}
    extended: dict[str, int] = {}
    into = counters
    for line in text.splitlines():
        if line.startswith("iSCSI Extended"):
            into = extended
        elif line.startswith("iSCSI SNMP"):
            into = counters
        match = re.match(r"^\s+(\w+): (\d+)\s*$", line)
        if match and int_or_none(match.group(2)) is not None:
            into[match.group(1)] = parse_int(match.group(2))
    return SessionStats(sid, target, portal, MappingProxyType(counters), MappingProxyType(extended))


def parse_ifaces(text: str) -> list[Iface]:
    """``-m iface``: ``name transport,hwaddress,ipaddress,netdev,initiatorname``."""
    ifaces = []
    for line in text.splitlines():
        name, sep, rest = line.strip().partition(" ")
        if not sep or "," not in rest:
            continue
        parts = [("" if p == EMPTY else p) for p in rest.split(",")]
        parts += [""] * (5 - len(parts))
        ifaces.append(Iface(name, *parts[:5]))
    return ifaces


def parse_portal_tuples(text: str, verb: str) -> list[PortalLogin]:
    """The ``[iface: …, target: …, portal: addr,port]`` tuples of lines starting with ``verb``
    ("Login to", "Logout of", "Logging in to" …). Portals come back as ``address:port``."""
    found = []
    for line in text.splitlines():
        line = line.strip().removeprefix("iscsiadm: ")
        if not line.startswith(verb):
            continue
        match = _BRACKET_TUPLE.search(line)
        if not match:
            continue
        sid, iface, target, portal = match.groups()
        address, _, port = portal.strip().rpartition(",")
        found.append(PortalLogin((iface or "").strip(), target.strip(),
                                 portal_from_print(address, port) if int_or_none(port) is not None
                                 else portal.strip(),
                                 int_or_none(sid) if sid else None))
    return found


_LOGIN_FAILED = re.compile(r"Could not login to \[iface: ([^,\]]+), target: ([^,\]]+), portal: ([^\]]+)\]")
_REPORTED = re.compile(r"initiator reported error \((\d+) - ")


def parse_login_failures(stderr: str) -> list[tuple[PortalLogin, int]]:
    """Each ``Could not login to [iface, target, portal]`` with the code of the
    ``initiator reported error (N - …)`` line that follows it."""
    failures: list[tuple[PortalLogin, int]] = []
    pending: PortalLogin | None = None
    for line in stderr.splitlines():
        failed = _LOGIN_FAILED.search(line)
        if failed:
            if pending is not None:
                failures.append((pending, 1))
            address, _, port = failed.group(3).strip().rpartition(",")
            portal = (portal_from_print(address, port) if int_or_none(port) is not None
                      else failed.group(3).strip())
            pending = PortalLogin(failed.group(1).strip(), failed.group(2).strip(), portal)
            continue
        reported = _REPORTED.search(line)
        if reported and pending is not None:
            failures.append((pending, int_or_none(reported.group(1)) or 1))
            pending = None
    if pending is not None:
        failures.append((pending, 1))
    return failures
