"""iSCSI events from the kernel log and iscsid's messages.

Lines come in four containers, all parsed here into :class:`LogEvent`:

- ``/dev/kmsg`` records: ``<prio>,<seq>,<usec>,<flags>;<message>`` (one per
  read; continuation lines ``␠KEY=value`` are skipped);
- ``dmesg`` text: ``[   91.861387]  connection1:0: detected conn error (1020)``;
- ``journalctl -o json`` lines (``MESSAGE``, ``__REALTIME_TIMESTAMP``,
  ``_SOURCE_MONOTONIC_TIMESTAMP``, ``SYSLOG_IDENTIFIER``);
- syslog / plain lines: ``iscsid: Kernel reported iSCSI connection 1:0 error (...)``.

The messages recognised are the initiator's (kernel ``iscsi_conn_error_event``,
ping timeouts, recovery timeouts; iscsid's error, recovery, operational and
login-rejected lines) and LIO's (not authorized, negotiation failed, NOP-In
and Data-Out timeouts, Time2Retain, unmapped LUN, ...) — the formats of
shared/domain/ERRORS.md. What each means is in :mod:`sanctl.iscsi_errors`.

Sources (:class:`KmsgSource`, :class:`FileTailSource`, :class:`JournalSource`)
share one non-blocking method, ``read_new()``, so the sampler drains them
once per tick and tests inject their own. :func:`default_sources` picks
them for a root: the real host reads ``/dev/kmsg`` (history first, then
what comes) and iscsid through journald when there is one; the demo SAN and
captured trees read files under ``<root>/var/log/sanctl-demo/`` through the
same parsers. No Textual here.
"""

from __future__ import annotations

import errno
import os
import queue
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from sanctl import safe_io
from sanctl.bounded import OutsideDataError, load_json, parse_int
from sanctl.host.runner import Result, Runner, Stream

#: Where the demo SAN writes its kernel log (kmsg records) and iscsid's (journal JSON).
DEMO_LOG_DIR = "var/log/sanctl-demo"
DEMO_KMSG = "kmsg"
DEMO_JOURNAL = "iscsid.json"


@dataclass(frozen=True, slots=True)
class LogEvent:
    """One recognised log line."""

    kind: str  #: conn_error, recovered, operational, recovery_timeout, ping_timeout, login_rejected, target_* ...
    source: str  #: "kernel" or "iscsid"
    message: str  #: the message as logged, without the container's prefix
    uptime: float | None = None  #: seconds since boot (kernel timestamp)
    wall: float | None = None  #: seconds since the epoch, when known
    sid: int | None = None
    cid: int | None = None
    code: int | None = None
    initiator: str | None = None
    target: str | None = None
    portal: str | None = None
    address: str | None = None
    tpgt: int | None = None
    detail: str | None = None
    seq: int | None = None  #: kmsg sequence number

    @property
    def connection(self) -> str | None:
        """``<sid>:<cid>`` of an initiator connection."""
        if self.sid is None:
            return None
        return f"{self.sid}:{self.cid}" if self.cid is not None else f"{self.sid}"

    @property
    def side(self) -> str:
        return "target" if self.kind.startswith("target_") else "initiator"


# ---------------------------------------------------------------------------
# messages
# ---------------------------------------------------------------------------

_Rule = tuple[str, str, re.Pattern[str], Callable[[re.Match[str]], dict]]


def _rule(kind: str, source: str, pattern: str, fields: Callable[[re.Match[str]], dict]) -> _Rule:
    return (kind, source, re.compile(pattern), fields)


def _conn(m: re.Match[str]) -> dict:
    return {"sid": parse_int(m.group(1)), "cid": parse_int(m.group(2))}


def _nexus(m: re.Match[str], base: int) -> dict:
    return {"initiator": m.group(base), "detail": f"ISID 0x{m.group(base + 1)}",
            "target": m.group(base + 2), "tpgt": parse_int(m.group(base + 3), 16)}


_RULES: tuple[_Rule, ...] = (
    # --- initiator, kernel (scsi_transport_iscsi / libiscsi)
    _rule("conn_error", "kernel", r"^\s*connection(\d+):(\d+): detected conn error \((\d+)\)",
          lambda m: {**_conn(m), "code": parse_int(m.group(3))}),
    _rule("ping_timeout", "kernel", r"^\s*connection(\d+):(\d+): ping timeout of (\d+) secs expired",
          lambda m: {**_conn(m), "detail": f"{m.group(3)} s"}),
    _rule("recovery_timeout", "kernel", r"^\s*session(\d+): session recovery timed out after (\d+) secs",
          lambda m: {"sid": parse_int(m.group(1)), "detail": f"after {m.group(2)} s"}),
    # --- initiator, iscsid
    _rule("conn_error", "iscsid",
          r"Kernel reported iSCSI connection (\d+):(\d+) error \((\d+) - (\w+): (.*)\) state \((\d+)\)",
          lambda m: {**_conn(m), "code": parse_int(m.group(3)), "detail": f"iscsid connection state {m.group(6)}"}),
    _rule("recovered", "iscsid", r"connection(\d+):(\d+) is operational after recovery \((\d+) attempts?\)",
          lambda m: {**_conn(m), "detail": f"{m.group(3)} attempt" + ("" if m.group(3) == "1" else "s")}),
    _rule("operational", "iscsid",
          r"Connection(\d+):(\d+) to \[target: (\S+), portal: ([^,\]]+),(\d+)\] through \[iface: ([^\]]+)\] is operational now",
          lambda m: {**_conn(m), "target": m.group(3), "portal": _portal(m.group(4), m.group(5)),
                     "detail": f"iface {m.group(6)}"}),
    _rule("login_rejected", "iscsid", r"(?:connection(\d+):(\d+)|conn (\d+):(\d+)|session (\d+)) login rejected: (.*)$",
          lambda m: {"sid": parse_int(m.group(1) or m.group(3) or m.group(5)),
                     "cid": parse_int(m.group(2) or m.group(4)) if (m.group(2) or m.group(4)) else None,
                     "detail": m.group(6).strip()}),
    _rule("login_auth_failed", "iscsid", r"Login failed to authenticate with target (\S+)",
          lambda m: {"target": m.group(1)}),
    # the initiator checked the target's answer to its challenge (mutual CHAP) and it was wrong
    _rule("login_mutual_failed", "iscsid", r"received incorrect CHAP response from target (\S+)",
          lambda m: {"target": m.group(1)}),
    _rule("bind_failed", "iscsid", r"can't bind conn (\d+):(\d+) to session (\d+)",
          lambda m: {**_conn(m)}),
    # --- target (LIO)
    _rule("target_not_authorized", "kernel",
          r"iSCSI Initiator Node: (\S+) is not authorized to access iSCSI target portal group: (\d+)",
          lambda m: {"initiator": m.group(1), "tpgt": parse_int(m.group(2))}),
    _rule("target_negotiation_failed", "kernel", r"iSCSI Login negotiation failed", lambda m: {}),
    _rule("target_auth_required", "kernel",
          r"has not been successfully authenticated, and the Target is enforcing", lambda m: {}),
    _rule("target_chap_not_set", "kernel", r"CHAP user or password not set for Initiator ACL", lambda m: {}),
    _rule("target_chap_user_mismatch", "kernel", r"CHAP_N values do not match", lambda m: {}),
    _rule("target_security_failed", "kernel", r"^\s*Security negotiation failed", lambda m: {}),
    _rule("target_no_tpg", "kernel", r"Unable to locate Target Portal Group on (\S+)",
          lambda m: {"target": m.group(1)}),
    _rule("target_not_found", "kernel", r"Unable to locate Target IQN: (\S+) in Storage Node",
          lambda m: {"target": m.group(1)}),
    _rule("target_login_timeout", "kernel", r"iSCSI Login timeout on Network Portal (\S+)",
          lambda m: {"portal": m.group(1)}),
    _rule("target_nopin_timeout", "kernel",
          r"Did not receive response to NOPIN on CID: (\d+), failing connection for I_T Nexus "
          r"([^,]+),i,0x([0-9a-fA-F]+),([^,]+),t,0x([0-9a-fA-F]+)",
          lambda m: {"cid": parse_int(m.group(1)), **_nexus(m, 2)}),
    _rule("target_dataout_timeout", "kernel",
          r"Unable to recover from DataOut timeout while in ERL=0, closing iSCSI connection for I_T Nexus "
          r"([^,]+),i,0x([0-9a-fA-F]+),([^,]+),t,0x([0-9a-fA-F]+)",
          lambda m: _nexus(m, 1)),
    _rule("target_time2retain", "kernel", r"Time2Retain timer expired for SID: (\d+)",
          lambda m: {"detail": f"SID {m.group(1)}"}),
    _rule("target_non_existent_lun", "kernel", r"Detected NON_EXISTENT_LUN Access for 0x([0-9a-fA-F]+)(?: from (\S+))?",
          lambda m: {"detail": f"LUN {parse_int(m.group(1), 16)}", "initiator": m.group(2)}),
    _rule("target_write_protected", "kernel", r"Detected WRITE_PROTECTED LUN Access for 0x([0-9a-fA-F]+)",
          lambda m: {"detail": f"LUN {parse_int(m.group(1), 16)}"}),
    _rule("target_abort_task", "kernel", r"ABORT_TASK: Found referenced iSCSI task_tag: (\d+)",
          lambda m: {"detail": f"task {m.group(1)}"}),
)

#: Every kind of event the rules above find in the logs (``conn_error``, ``ping_timeout``, …).
LOG_KINDS: tuple[str, ...] = tuple(dict.fromkeys(kind for kind, *_ in _RULES))

#: Cheap substring pre-filter: a line without any of these is not an iSCSI event.
_HINTS = ("connection", "Connection", "session", "iSCSI", "Initiator", "Target", "NOPIN", "DataOut",
          "Time2Retain", "NON_EXISTENT_LUN", "WRITE_PROTECTED", "ABORT_TASK", "Login", "conn ", "CHAP",
          "Security negotiation")


def _portal(address: str, port: str) -> str:
    address = address.strip()
    if ":" in address and not address.startswith("["):
        address = f"[{address}]"
    return f"{address}:{port}"


def parse_message(message: str, *, source: str | None = None, uptime: float | None = None,
                  wall: float | None = None, seq: int | None = None) -> LogEvent | None:
    """The event in one log message (its text only), or ``None`` if it is not one we know."""
    text = message.rstrip("\n")
    if text.startswith("iscsid: "):
        text = text[8:]
        source = source or "iscsid"
    if not any(hint in text for hint in _HINTS):
        return None
    for kind, rule_source, pattern, fields in _RULES:
        if source is not None and source != rule_source and source in ("kernel", "iscsid"):
            continue
        match = pattern.search(text)
        if match:
            try:
                found = fields(match)
            except OutsideDataError:  # a number no kernel prints (thousands of digits): not an event
                return None
            return LogEvent(kind=kind, source=rule_source, message=text.strip(), uptime=uptime,
                            wall=wall, seq=seq, **found)
    return None


# ---------------------------------------------------------------------------
# containers
# ---------------------------------------------------------------------------

_KMSG = re.compile(r"^(\d+),(\d+),(\d+),([^;]*);(.*)$")
_DMESG = re.compile(r"^\[\s*(\d+\.\d+)\]\s?(.*)$")
_DMESG_T = re.compile(r"^\[(\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4})\]\s?(.*)$")
_SYSLOG = re.compile(
    r"^(?:(?P<ts>\w{3} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\S+) \S+ )?"
    r"(?P<tag>iscsid|kernel)(?:\[\d+\])?: (?P<msg>.*)$")


def parse_kmsg_record(line: str, *, boot_wall: float | None = None) -> LogEvent | None:
    match = _KMSG.match(line.rstrip("\n"))
    if not match:
        return None
    try:
        facility = parse_int(match.group(1)) >> 3
        uptime = parse_int(match.group(3)) / 1e6
        seq = parse_int(match.group(2))
    except OutsideDataError:
        return None
    wall = boot_wall + uptime if boot_wall is not None else None
    return parse_message(match.group(5), source="kernel" if facility == 0 else None,
                         uptime=uptime, wall=wall, seq=seq)


def parse_dmesg_line(line: str, *, boot_wall: float | None = None) -> LogEvent | None:
    match = _DMESG.match(line)
    if match:
        uptime = float(match.group(1))
        wall = boot_wall + uptime if boot_wall is not None else None
        return parse_message(match.group(2), source="kernel", uptime=uptime, wall=wall)
    match = _DMESG_T.match(line)
    if match:
        try:
            wall = time.mktime(time.strptime(match.group(1), "%a %b %d %H:%M:%S %Y"))
        except ValueError:
            wall = None
        return parse_message(match.group(2), source="kernel", wall=wall)
    return None


#: The kind of the stand-in for an event claimed by a journal entry its trusted fields do not back.
UNTRUSTED = "untrusted"


def trusted_source(entry: dict) -> str | None:
    """``"kernel"`` or ``"iscsid"`` when the journal's trusted fields say so, else None.

    ``SYSLOG_IDENTIFIER`` is whatever the sender wrote (``logger -t iscsid``);
    the fields with a leading ``_`` are added by journald and cannot be
    forged: the kernel transport, or iscsid's process name or unit run as root.
    """
    if entry.get("_TRANSPORT") == "kernel":
        return "kernel"
    if str(entry.get("_UID")) == "0" and (entry.get("_COMM") == "iscsid"
                                           or entry.get("_SYSTEMD_UNIT") == "iscsid.service"):
        return "iscsid"
    return None


def parse_journal_json(line: str) -> LogEvent | None:
    """One ``journalctl -o json`` entry; an iSCSI event its trusted fields do not back is ``UNTRUSTED``."""
    try:
        entry = load_json(line)
    except OutsideDataError:
        return None
    if not isinstance(entry, dict):
        return None
    message = entry.get("MESSAGE")
    if isinstance(message, list):  # journald exports non-UTF-8 messages as byte arrays
        message = bytes(b & 0xFF for b in message if isinstance(b, int)).decode("utf-8", "replace")
    if not isinstance(message, str):
        return None
    source = trusted_source(entry)
    kernel = source == "kernel"
    wall = _micro(entry.get("__REALTIME_TIMESTAMP"))
    uptime = _micro(entry.get("_SOURCE_MONOTONIC_TIMESTAMP")) if kernel else None
    event = parse_message(message, source=source, uptime=uptime, wall=wall)
    if event is not None and source is None:  # claims to be iscsid or the kernel: counted, not believed
        return LogEvent(kind=UNTRUSTED, source="journal", message=event.message, wall=wall)
    return event


def _micro(value: object) -> float | None:
    try:
        return parse_int(str(value)) / 1e6
    except OutsideDataError:
        return None


def parse_syslog_line(line: str) -> LogEvent | None:
    match = _SYSLOG.match(line.rstrip("\n"))
    if not match:
        return None
    wall = None
    stamp = match.group("ts")
    if stamp and "T" in stamp:
        try:
            from datetime import datetime

            wall = datetime.fromisoformat(stamp).timestamp()
        except ValueError:
            wall = None
    return parse_message(match.group("msg"), source=match.group("tag"), wall=wall)


def parse_line(line: str, *, boot_wall: float | None = None) -> LogEvent | None:
    """Any of the four containers, told apart by their first characters."""
    text = line.rstrip("\n")
    if not text.strip():
        return None
    if text.startswith("{"):
        return parse_journal_json(text)
    if text[0].isdigit() and _KMSG.match(text):
        return parse_kmsg_record(text, boot_wall=boot_wall)
    if text.startswith("["):
        return parse_dmesg_line(text, boot_wall=boot_wall)
    return parse_syslog_line(text) or parse_message(text)


def parse_lines(lines: Iterable[str], *, boot_wall: float | None = None) -> list[LogEvent]:
    return [event for event in (parse_line(line, boot_wall=boot_wall) for line in lines) if event is not None]


# ---------------------------------------------------------------------------
# boot time
# ---------------------------------------------------------------------------


def boot_wall_time(root: str = "/") -> float | None:
    """When the (real or simulated) kernel under ``root`` booted, in epoch seconds.

    Kernel log timestamps count from boot; this turns them into wall-clock
    times. The real host: now minus ``CLOCK_BOOTTIME`` (what ``dmesg -T``
    does); a simulated or captured tree: ``btime`` of its ``proc/stat``.
    """
    if os.path.abspath(root) == "/":
        try:
            return time.time() - time.clock_gettime(time.CLOCK_BOOTTIME)
        except (AttributeError, OSError):
            pass
    try:
        text = safe_io.read_text(os.path.join(root, "proc", "stat"), safe_io.TABLE_LIMIT)
        for line in text.splitlines():
            if line.startswith("btime "):
                return float(parse_int(line.split()[1]))
    except (OSError, ValueError, IndexError):
        pass
    return None


# ---------------------------------------------------------------------------
# sources
# ---------------------------------------------------------------------------


#: How much of a log file one read takes, and the longest line kept waiting for its end.
_CHUNK = 8 << 20
_MAX_LINE = 1 << 20


class KmsgSource:
    """``/dev/kmsg``: one record per read, non-blocking.

    ``from_start=True`` reads the whole ring buffer first (the history ``dmesg``
    shows), then whatever comes; ``False`` starts at the end ("from now").
    Records overwritten before we read them (``EPIPE``) are skipped.
    """

    name = "kmsg"

    def __init__(self, path: str = "/dev/kmsg", *, from_start: bool = True,
                 boot_wall: float | None = None) -> None:
        self.path = path
        self.boot_wall = boot_wall
        self.fd: int | None = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        if not from_start:
            os.lseek(self.fd, 0, os.SEEK_END)

    def read_new(self, limit: int = 10000) -> list[LogEvent]:
        events: list[LogEvent] = []
        fd = self.fd
        if fd is None:
            return events
        for _ in range(limit):
            try:
                record = os.read(fd, 8192)
            except BlockingIOError:
                break
            except OSError as exc:
                if exc.errno == errno.EPIPE:
                    continue
                break
            if not record:
                break
            line = record.decode("utf-8", "replace").split("\n", 1)[0]
            event = parse_kmsg_record(line, boot_wall=self.boot_wall)
            if event is not None:
                events.append(event)
        return events

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


class FileTailSource:
    """A growing text file (the demo's log, an iscsid log, a saved dmesg): complete lines only.

    A file that shrinks or is replaced (rotation) is read again from its start.
    A file that does not exist yet is waited for.
    """

    def __init__(self, path: str, *, from_start: bool = True, boot_wall: float | None = None,
                 name: str | None = None) -> None:
        self.path = path
        self.name = name or os.path.basename(path)
        self.boot_wall = boot_wall
        self._offset = 0
        self._inode: int | None = None
        self._partial = b""
        if not from_start:
            try:
                st = os.stat(path)
                self._offset, self._inode = st.st_size, st.st_ino
            except OSError:
                pass

    def read_new(self) -> list[LogEvent]:
        try:
            st = os.stat(self.path)
        except OSError:
            return []
        if self._inode is not None and (st.st_ino != self._inode or st.st_size < self._offset):
            self._offset, self._partial = 0, b""
        self._inode = st.st_ino
        if st.st_size == self._offset:
            return []
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)  # a FIFO cannot hold it
        except OSError:
            return []
        out: list[LogEvent] = []
        try:
            os.lseek(fd, self._offset, os.SEEK_SET)
            while self._offset < st.st_size:
                data = os.read(fd, _CHUNK)  # a chunk at a time: memory bounded however big the file
                if not data:
                    break
                self._offset += len(data)
                out.extend(self._events(data))
        except OSError:
            pass
        finally:
            os.close(fd)
        return out

    def _events(self, data: bytes) -> list[LogEvent]:
        data = self._partial + data
        lines = data.split(b"\n")
        self._partial = lines.pop()
        if len(self._partial) > _MAX_LINE:  # no log line is this long: dropped rather than held
            self._partial = b""
        out = []
        for raw in lines:
            if raw.startswith(b" "):  # kmsg continuation (KEY=value)
                continue
            event = parse_line(raw.decode("utf-8", "replace"), boot_wall=self.boot_wall)
            if event is not None:
                out.append(event)
        return out

    def close(self) -> None:
        pass


class JournalSource:
    """``journalctl -o json`` in a subprocess (started by the :class:`~sanctl.host.runner.Runner`);
    a thread queues its lines.

    ``follow=True`` keeps it running (``-f``); otherwise it reads the
    history once. ``matches`` are journalctl match arguments, e.g.
    ``["SYSLOG_IDENTIFIER=iscsid"]`` or ``["-k"]``.
    """

    def __init__(self, matches: list[str], *, follow: bool = True, lines: int = 2000,
                 journalctl: str = "journalctl", name: str = "journal", runner: Runner | None = None) -> None:
        self.name = name
        self._queue: queue.Queue[str] = queue.Queue()
        argv = [journalctl, "-o", "json", "--no-pager", "-n", str(lines), *matches]
        if follow:
            argv.insert(1, "-f")
        stream = (runner or Runner()).stream(argv)
        if isinstance(stream, Result):
            raise OSError(stream.error or stream.stderr)
        self._stream: Stream | None = stream
        self._thread = threading.Thread(target=self._pump, name=f"sanctl-{name}", daemon=True)
        self._thread.start()
        if not follow:
            self._thread.join(timeout=10)

    def _pump(self) -> None:
        stream = self._stream
        if stream is None:
            return
        for line in stream:
            self._queue.put(line)

    def read_new(self) -> list[LogEvent]:
        out = []
        while True:
            try:
                line = self._queue.get_nowait()
            except queue.Empty:
                break
            event = parse_journal_json(line)
            if event is not None:
                out.append(event)
        return out

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.close()


class ListSource:
    """Events handed in by a test or a caller: returned once, in order."""

    name = "list"

    def __init__(self, events: Iterable[LogEvent] = ()) -> None:
        self._pending = list(events)

    def push(self, *events: LogEvent) -> None:
        self._pending.extend(events)

    def read_new(self) -> list[LogEvent]:
        out, self._pending = self._pending, []
        return out

    def close(self) -> None:
        pass


def demo_log_paths(root: str) -> tuple[str, str]:
    base = os.path.join(root, DEMO_LOG_DIR)
    return os.path.join(base, DEMO_KMSG), os.path.join(base, DEMO_JOURNAL)


def default_sources(root: str = "/", *, follow: bool = True, history: bool = True,
                    problems: list[str] | None = None, runner: Runner | None = None) -> list:
    """The log sources for a root: the host's kernel log and iscsid, or the demo's files.

    Anything that cannot be opened is described in ``problems`` instead of raising.
    """
    problems = problems if problems is not None else []
    sources: list = []
    boot = boot_wall_time(root)
    if os.path.abspath(root) != "/":
        kmsg, journal = demo_log_paths(root)
        for path in (kmsg, journal):
            if os.path.exists(path) or follow:
                sources.append(FileTailSource(path, from_start=history, boot_wall=boot))
        return sources
    try:
        sources.append(KmsgSource(from_start=history, boot_wall=boot))
    except OSError as exc:
        problems.append(f"/dev/kmsg: {exc.strerror or exc} (kernel messages need root or dmesg_restrict=0)")
        if shutil.which("journalctl"):
            sources.append(JournalSource(["-k"], follow=follow, lines=5000 if history else 0, name="kernel journal",
                                         runner=runner))
    if shutil.which("journalctl"):
        sources.append(JournalSource(["SYSLOG_IDENTIFIER=iscsid"], follow=follow,
                                     lines=2000 if history else 0, name="iscsid journal", runner=runner))
    else:
        problems.append("no journalctl: iscsid's messages are not read (the kernel's are)")
    return sources


def with_wall(event: LogEvent, boot_wall: float | None) -> LogEvent:
    """The event with its wall time filled from its uptime, if it had none."""
    if event.wall is not None or event.uptime is None or boot_wall is None:
        return event
    return replace(event, wall=boot_wall + event.uptime)
