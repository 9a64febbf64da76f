"""``multipath -ll`` (multipath-tools): each multipath LUN and the state of its paths.

With two portals (or two NICs) to one target every LUN appears twice, as
``sdb`` and ``sdc``; dm-multipath joins them into one ``dm-N`` device. The
initiator tab shows, per LUN, its paths and which are dead — the thing an
operator checks after a switch or a target node went away.

The parser follows multipath-tools' documented output (``multipath(8)``;
the topology printer's default format ``%w %d %s`` / ``size=… features=…``
/ ``policy=… prio=… status=…`` / ``H:C:T:L dev maj:min dm_state chk_state
online_state``), checked on real output of multipath-tools 0.9.4 over two
iSCSI sessions, healthy and with one path dead
(``tests/fixtures/initiator/multipath-ll-*.txt``), and the older bracketed
one (``[size=…][features=0]``, ``\\_ round-robin 0 [prio=1][active]``,
``\\_ 2:0:0:0 sdb 8:16 [active][ready]``), written from the documentation only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sanctl.host.runner import Runner

#: Checker states that mean the path does not carry I/O.
BAD_CHECKER_STATES = frozenset({"faulty", "shaky", "i/o timeout", "offline", "delayed", "disconnected"})
GOOD_ONLINE_STATES = frozenset({"running", "live", ""})


@dataclass(frozen=True, slots=True)
class MultipathPath:
    hctl: str  # "7:0:0:1", or "#:#:#:#" when the device is gone
    device: str  # "sdb"
    devnum: str  # "8:16"
    dm_state: str  # the kernel's view: active, failed, undef
    checker_state: str  # multipathd's checker: ready, faulty, shaky, ghost, i/o pending, …
    online_state: str  # the SCSI device: running, offline, transport-offline, …

    @property
    def failed(self) -> bool:
        """Dead: the kernel failed it, the checker finds it faulty, or the device is offline."""
        return (self.dm_state == "failed" or self.checker_state in BAD_CHECKER_STATES
                or self.online_state not in GOOD_ONLINE_STATES)

    @property
    def lun(self) -> int | None:
        parts = self.hctl.split(":")
        return int(parts[3]) if len(parts) == 4 and parts[3].isdigit() else None


@dataclass(frozen=True, slots=True)
class PathGroup:
    policy: str  # "service-time 0", "round-robin 0"
    priority: int | None
    status: str  # active, enabled, disabled
    paths: tuple[MultipathPath, ...]


@dataclass(frozen=True, slots=True)
class MultipathDevice:
    name: str  # the alias (mpatha) or the WWID when there is no alias
    wwid: str
    dm: str  # "dm-2"
    vendor: str
    product: str
    size: str = ""
    features: str = ""
    hwhandler: str = ""
    write: str = ""  # "rw" or "ro"
    groups: tuple[PathGroup, ...] = ()

    @property
    def paths(self) -> tuple[MultipathPath, ...]:
        return tuple(path for group in self.groups for path in group.paths)

    @property
    def failed_paths(self) -> tuple[MultipathPath, ...]:
        return tuple(path for path in self.paths if path.failed)

    @property
    def active_paths(self) -> tuple[MultipathPath, ...]:
        return tuple(path for path in self.paths if not path.failed)

    @property
    def degraded(self) -> bool:
        """Some path is dead but I/O still flows."""
        return bool(self.failed_paths) and bool(self.active_paths)

    @property
    def down(self) -> bool:
        """No path carries I/O: the device queues or fails every request."""
        return not self.active_paths


_HEADER = re.compile(r"^(?:(?:create|reload|switchpg|rename|unchanged): )?(?P<name>\S+)"
                     r"(?: \((?P<wwid>[^)]+)\))? (?P<dm>dm-\d+|#) ?(?P<vp>.*)$")
_PROPS = re.compile(r"(\w+)=('[^']*'|\S+)")
_GROUP = re.compile(r"^[|`\s]*[|`]-\+- (?P<rest>.*)$")
_PATH = re.compile(r"^[|`\s]*[|`]- (?P<hctl>\d+:\d+:\d+:\d+|#:#:#:#) (?P<dev>\S+) (?P<devt>\d+:\d+|#:#)\s+"
                   r"(?P<dm>\S+) (?P<chk>.+?) (?P<online>\S+)\s*$")
# The old (RHEL 5, multipath-tools 0.4.7) layout.
_OLD_GROUP = re.compile(r"^\\_ (?P<policy>.+?) \[prio=(?P<prio>-?\d+)\]\[(?P<status>\w+)\]\s*$")
_OLD_PATH = re.compile(r"^\s+\\_ (?P<hctl>\d+:\d+:\d+:\d+|#:#:#:#) (?P<dev>\S+)\s+(?P<devt>\d+:\d+|#:#)\s+"
                       r"\[(?P<dm>[^\]]+)\]\[(?P<chk>[^\]]+)\](?:\[(?P<online>[^\]]+)\])?")


def _unquote(value: str) -> str:
    return value[1:-1] if value.startswith("'") and value.endswith("'") else value


def parse_multipath_ll(text: str) -> list[MultipathDevice]:
    """Every device of ``multipath -ll`` output; lines it does not know are skipped."""
    devices: list[MultipathDevice] = []
    current: dict | None = None

    def finish() -> None:
        if current is None:
            return
        groups = tuple(PathGroup(g["policy"], g["prio"], g["status"], tuple(g["paths"])) for g in current["groups"])
        devices.append(MultipathDevice(current["name"], current["wwid"], current["dm"], current["vendor"],
                                       current["product"], current["size"], current["features"],
                                       current["hwhandler"], current["write"], groups))

    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip():
            continue
        group = _GROUP.match(line)
        if group and current is not None:
            props = {k: _unquote(v) for k, v in _PROPS.findall(group.group("rest"))}
            prio = props.get("prio", "")
            current["groups"].append({"policy": props.get("policy", ""),
                                      "prio": int(prio) if re.fullmatch(r"-?\d+", prio) else None,
                                      "status": props.get("status", ""), "paths": []})
            continue
        path = _PATH.match(line) or _OLD_PATH.match(line)
        if path and current is not None:
            if not current["groups"]:
                current["groups"].append({"policy": "", "prio": None, "status": "", "paths": []})
            current["groups"][-1]["paths"].append(MultipathPath(
                path.group("hctl"), path.group("dev"), path.group("devt"), path.group("dm").strip(),
                path.group("chk").strip(), (path.group("online") or "").strip()))
            continue
        old_group = _OLD_GROUP.match(line)
        if old_group and current is not None:
            current["groups"].append({"policy": old_group.group("policy"), "prio": int(old_group.group("prio")),
                                      "status": old_group.group("status"), "paths": []})
            continue
        if current is not None and (line.startswith("size=") or line.startswith("[size=")):
            if line.startswith("["):
                parts = re.findall(r"\[([^\]]*)\]", line)
                props = dict(p.split("=", 1) if "=" in p else ("write", p) for p in parts)
            else:
                props = {k: _unquote(v) for k, v in _PROPS.findall(line)}
            current["size"] = props.get("size", "")
            current["features"] = props.get("features", "")
            current["hwhandler"] = props.get("hwhandler", "")
            current["write"] = props.get("wp", props.get("write", ""))
            continue
        if line[0] in " |`\\":
            continue
        header = _HEADER.match(line)
        if header:
            finish()
            vendor, _, product = header.group("vp").partition(",")
            name = header.group("name")
            current = {"name": name, "wwid": header.group("wwid") or name, "dm": header.group("dm"),
                       "vendor": vendor.strip(), "product": product.strip(), "size": "", "features": "",
                       "hwhandler": "", "write": "", "groups": []}
    finish()
    return devices


def multipath_devices(*, timeout: float = 10.0, runner: Runner | None = None) -> list[MultipathDevice] | None:
    """``multipath -ll`` on this host; None when multipath-tools is not installed or it failed."""
    result = (runner or Runner()).run(["multipath", "-ll"], timeout=timeout)
    if result.rc != 0:
        return None
    return parse_multipath_ll(result.stdout)
