"""The journal of a multi-step change: what to finish or undo after sanctl was killed mid-way.

A transaction of several primitive steps (:meth:`sanctl.lio.writer.Writer.apply`)
is all or nothing only while sanctl runs: a ``kill -9``, a crash or a power
cut between two steps leaves it half applied. So before its first step the
writer writes the plan here — the changes asked for, then each step with
the steps that undo it — and after each step what became of it. The file is
``/var/lib/sanctl/journal.json`` (under the demo's root with ``--demo``),
mode 0600 (an undo may hold the CHAP secret it puts back); its header is
written atomically, each event after it appended and fsynced (see below),
and it is removed when the transaction completes or is rolled back.

A journal found later is an :class:`Unfinished` transaction: sanctl offers
to finish it or undo it (both through the writer:
:meth:`~sanctl.lio.writer.Writer.finish` and
:meth:`~sanctl.lio.writer.Writer.undo`), and the doctor reports it.

A step's state is ``pending`` (planned), ``done`` or ``undone``; read back,
the first step not done is ``started``: sanctl was executing it, or about
to, when it was killed — it may or may not have happened.

No Textual here.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import os
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sanctl.lio.errors import JournalError  # noqa: F401  (re-exported: its home has no I/O)
from sanctl.names import InvalidValue
from sanctl.lio import changes as C

DIRECTORY = "var/lib/sanctl"
FILE_NAME = "journal.json"
VERSION = 1
#: Bigger than any transaction's plan: a damaged or hostile file is refused, not read whole.
MAX_BYTES = 256 << 20

PENDING = "pending"
STARTED = "started"
DONE = "done"
UNDONE = "undone"
_STATES = (PENDING, STARTED, DONE, UNDONE)


def journal_path(root: str) -> str:
    """Where the journal of the writer on ``root`` lives (``/var/lib/sanctl/journal.json``)."""
    return os.path.join(root, DIRECTORY, FILE_NAME)


# ---------------------------------------------------------------------------
# Changes as JSON
# ---------------------------------------------------------------------------


#: The references a change may hold (:mod:`sanctl.lio.changes.refs`), by the name the journal gives them.
_REFS: dict[str, type] = {t.__name__: t for t in (C.BackstoreRef, C.AluaGroupRef, C.TargetRef, C.TpgRef, C.AclRef)}


def _encode_value(value: Any) -> Any:
    if isinstance(value, tuple(_REFS.values())):
        return {"__ref__": type(value).__name__, "fields": {f.name: getattr(value, f.name) for f in fields(value)}}
    if isinstance(value, C.Chap):
        return {"__chap__": {f.name: getattr(value, f.name) for f in fields(value)}}
    if isinstance(value, frozenset):
        return {"__frozenset__": [_encode_value(v) for v in sorted(value, key=repr)]}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode_value(v) for v in value]}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise JournalError(f"cannot record a {type(value).__name__} in the journal")


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict):
        if "__chap__" in value and isinstance(value["__chap__"], dict):
            chap = object.__new__(C.Chap)  # as configfs held them: not re-validated, like the writer's undo
            for f in fields(C.Chap):
                item = value["__chap__"].get(f.name, "")
                if not isinstance(item, str):
                    raise JournalError("a CHAP value in the journal is not text")
                object.__setattr__(chap, f.name, item)
            return chap
        if "__ref__" in value:
            kind = _REFS.get(value["__ref__"])  # type: ignore[arg-type]
            if kind is None or not isinstance(value.get("fields"), dict):
                raise JournalError("an unknown object in the journal")
            try:
                return kind(**{f.name: value["fields"][f.name] for f in fields(kind) if f.name in value["fields"]})
            except (InvalidValue, TypeError, ValueError, AttributeError) as exc:
                raise JournalError(f"the journal holds an invalid {kind.__name__}: {exc}") from None
        if "__frozenset__" in value:
            return frozenset(_decode_value(v) for v in _list(value["__frozenset__"]))
        if "__tuple__" in value:
            return tuple(_decode_value(v) for v in _list(value["__tuple__"]))
        raise JournalError("an unknown value in the journal")
    if isinstance(value, list):
        raise JournalError("an unknown list in the journal")
    return value


def _list(value: Any) -> list:
    if not isinstance(value, list):
        raise JournalError("the journal is damaged (a list expected)")
    return value


def _change_types() -> dict[str, type]:
    from sanctl.lio.planner import CreateBackingFile, RemoveBackingFile

    out: dict[str, type] = {t.__name__: t for t in C.all_change_types()}
    out["CreateBackingFile"] = CreateBackingFile
    out["RemoveBackingFile"] = RemoveBackingFile
    return out


def encode_change(change: C.Change) -> dict[str, Any]:
    return {"type": type(change).__name__,
            "fields": {f.name: _encode_value(getattr(change, f.name)) for f in fields(change)}}


def decode_change(data: Any, types: dict[str, type] | None = None) -> C.Change:
    """A change from the journal, validated again as any change is (a damaged file cannot address outside configfs)."""
    types = types or _change_types()
    if not isinstance(data, dict) or not isinstance(data.get("fields"), dict):
        raise JournalError("the journal is damaged (a change without fields)")
    build = _BEFORE_THE_FOLD.get(data.get("type"))  # type: ignore[arg-type]
    if build is not None:
        return _decode_fold(data["type"], build, data["fields"])
    cls = types.get(data.get("type"))  # type: ignore[arg-type]
    if cls is None:
        raise JournalError(f"the journal names a change sanctl does not know: {data.get('type')!r}")
    known = {f.name for f in fields(cls)}
    values = {k: _decode_value(v) for k, v in data["fields"].items() if k in known}
    try:
        return cls(**values)
    except (InvalidValue, TypeError, ValueError, AttributeError) as exc:  # whatever a damaged field makes of it
        raise JournalError(f"the journal holds an invalid {cls.__name__}: {exc}") from None


#: The setting changes as journals written before they were one class name them
#: (``{"type": "SetTpgAttribute", "fields": {"target": …, "attribute": …}}``):
#: each old name and the function that builds the same change from its fields.
_BEFORE_THE_FOLD: dict[str, Any] = {
    "SetStorageObjectAttribute": C.backstore_attribute,
    "SetAluaGroupParameter": C.alua_group_parameter,
    "SetTpgAttribute": C.tpg_attribute,
    "SetTpgParameter": C.tpg_parameter,
    "SetAclAttribute": C.acl_attribute,
}


def _decode_fold(name: str, build: Any, values: dict) -> C.Change:
    """A setting change recorded under its old class name, as the one :class:`~sanctl.lio.changes.SetSetting`."""
    known = inspect.signature(build).parameters
    try:
        return build(**{k: _decode_value(v) for k, v in values.items() if k in known})
    except (InvalidValue, TypeError, ValueError, AttributeError) as exc:  # whatever a damaged field makes of it
        raise JournalError(f"the journal holds an invalid {name}: {exc}") from None


# ---------------------------------------------------------------------------
# The record
# ---------------------------------------------------------------------------


@dataclass
class JournalStep:
    """One primitive step of the transaction, what undoes it, and what became of it."""

    change: C.Change
    parent: int  #: the index of the requested change it belongs to
    undo: tuple[C.Change, ...]
    state: str = PENDING

    def line(self) -> str:
        shown = "interrupted: done or not" if self.state == STARTED else self.state
        return f"[{shown}] {self.change.describe()}"


@dataclass
class Unfinished:
    """A transaction whose journal was left behind: the changes asked for and every step planned so far."""

    path: str
    changes: tuple[C.Change, ...]
    steps: list[JournalStep]
    started: str = ""
    pid: int | None = None
    rolling_back: bool = False
    #: How many of ``changes`` had their steps planned (and recorded) when it stopped.
    planned: int = 0
    #: The journal's bytes when read (finish and undo refuse a journal that changed since).
    raw: bytes = b""

    @property
    def current(self) -> int:
        """The index of the change that was being applied."""
        return max(self.planned - 1, 0)

    def summary(self) -> str:
        n = len(self.changes)
        done = sum(1 for s in self.steps if s.state == DONE)
        where = f"change {self.current + 1} of {n}" if n > 1 else "its one change"
        what = "while it was being rolled back" if self.rolling_back else f"at {where}"
        when = f" (started {self.started})" if self.started else ""
        return (f"A change was interrupted {what}{when}: {done} step{'s' if done != 1 else ''} done, "
                f"{sum(1 for s in self.steps if s.state in (PENDING, STARTED))} planned step(s) not done.")

    def lines(self) -> list[str]:
        out = [self.summary(), "Asked for:"]
        out += [f"  {i + 1}. {c.describe()}" for i, c in enumerate(self.changes)]
        out.append("Steps:")
        out += [f"  {s.line()}" for s in self.steps]
        return out


# ---------------------------------------------------------------------------
# The file: a header written atomically, then one fsynced line per event
# ---------------------------------------------------------------------------
#
# Rewriting the whole plan after each step would cost a transaction of n
# steps n² (a cascade delete of a big target has thousands), so the journal
# is a log: the header (the changes asked for) is written to a temporary
# file, fsynced and renamed into place; each event — a change's steps
# planned, a step done or undone, the rollback begun — is then one line,
# appended and fsynced before the writer goes on. A line torn by a crash
# is the last one, and is ignored: the step it would have recorded counts
# as "started" (it may or may not have happened), and finish and undo treat
# it so.


def _line(event: dict[str, Any]) -> bytes:
    return (json.dumps(event, separators=(",", ":")) + "\n").encode()


def parse(raw: bytes, path: str) -> Unfinished:
    """The journal's bytes as an :class:`Unfinished`; :class:`JournalError` with the reason otherwise."""
    lines = raw.split(b"\n")
    if len(lines) > 1 and lines[-1] == b"":
        lines.pop()
    torn = not raw.endswith(b"\n")
    try:
        head = json.loads(lines[0].decode("utf-8")) if lines else None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise JournalError(f"{path}: not a sanctl journal ({exc})") from None
    if not isinstance(head, dict) or head.get("version") != VERSION:
        raise JournalError(f"{path}: not a sanctl journal of this version")
    types = _change_types()
    changes = tuple(decode_change(c, types) for c in _list(head.get("changes")))
    pid = head.get("pid")
    record = Unfinished(path, changes, [], str(head.get("started") or ""), pid if isinstance(pid, int) else None,
                        raw=raw)
    events = lines[1:]
    for number, line in enumerate(events):
        try:
            event = json.loads(line.decode("utf-8"))
            if not isinstance(event, dict):
                raise ValueError("not an object")
            _replay(record, event, types)
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            if torn and number == len(events) - 1:
                break  # the line a crash cut short
            raise JournalError(f"{path}: the journal is damaged (line {number + 2}: {exc})") from None
    if not record.rolling_back:
        waiting = next((s for s in record.steps if s.state == PENDING), None)
        if waiting is not None:
            waiting.state = STARTED  # it was being executed, or about to be: unknown which
    return record


def _replay(record: Unfinished, event: dict[str, Any], types: dict[str, type]) -> None:
    if "plan" in event:
        parent = event["plan"]
        if not isinstance(parent, int) or not 0 <= parent < len(record.changes):
            raise ValueError("a plan for a change that is not in it")
        for item in _list(event.get("steps")):
            if not isinstance(item, dict):
                raise ValueError("a step that is not an object")
            record.steps.append(JournalStep(decode_change(item.get("change"), types), parent,
                                            tuple(decode_change(u, types) for u in _list(item.get("undo")))))
        record.planned = parent + 1
    elif "done" in event or "undone" in event:
        index = event.get("done", event.get("undone"))
        if not isinstance(index, int) or not 0 <= index < len(record.steps):
            raise ValueError("a step that was not planned")
        record.steps[index].state = DONE if "done" in event else UNDONE
    elif event.get("rolling_back") is True:
        record.rolling_back = True
    else:
        raise ValueError("an unknown event")


def read(root: str) -> Unfinished | None:
    """The unfinished transaction left under ``root``, or None. :class:`JournalError` if it cannot be read."""
    path = journal_path(root)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise JournalError(f"{path}: cannot read it ({exc.strerror})") from None
    if len(raw) > MAX_BYTES:
        raise JournalError(f"{path}: larger than any journal sanctl writes ({MAX_BYTES >> 20} MiB)")
    return parse(raw, path)


# ---------------------------------------------------------------------------
# Writing it (the writer, during a transaction)
# ---------------------------------------------------------------------------


class Journal:
    """The open journal of the running transaction: every event appended and fsynced before the writer goes on."""

    def __init__(self, record: Unfinished, fd: int) -> None:
        self.record = record
        self.path = record.path
        self._fd: int | None = fd

    @classmethod
    def begin(cls, root: str, changes: tuple[C.Change, ...], *, now: datetime | None = None) -> Journal:
        """Write the header (the changes asked for) atomically at 0600 and keep the file open to append."""
        from sanctl.lio.save_files import write_atomic

        record = Unfinished(journal_path(root), changes, [],
                            (now or datetime.now()).strftime("%Y-%m-%d %H:%M:%S"), os.getpid())
        head = {"version": VERSION, "started": record.started, "pid": record.pid,
                "changes": [encode_change(c) for c in changes]}
        directory = os.path.dirname(record.path)
        try:
            if not os.path.isdir(directory):
                os.makedirs(directory, mode=0o700, exist_ok=True)
            write_atomic(record.path, _line(head), 0o600)
            fd = os.open(record.path, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
        except OSError as exc:
            raise JournalError(f"cannot write the journal {record.path}: {exc.strerror or exc}") from exc
        return cls(record, fd)

    @classmethod
    def resume(cls, root: str, record: Unfinished) -> Journal:
        """Go on appending to the journal ``record`` was read from (finish, undo)."""
        try:
            fd = os.open(record.path, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
            if not record.raw.endswith(b"\n"):  # a torn last line: end it, so the next event is a line of its own
                os.write(fd, b"\n")
        except OSError as exc:
            raise JournalError(f"cannot write the journal {record.path}: {exc.strerror or exc}") from exc
        return cls(record, fd)

    def _append(self, event: dict[str, Any]) -> None:
        if self._fd is None:
            raise JournalError(f"the journal {self.path} is closed")
        payload = memoryview(_line(event))
        try:
            while payload:
                payload = payload[os.write(self._fd, payload):]
            os.fsync(self._fd)
        except OSError as exc:
            raise JournalError(f"cannot write the journal {self.path}: {exc.strerror or exc}") from exc

    def plan(self, parent: int, planned: list[tuple[C.Change, tuple[C.Change, ...]]]) -> list[int]:
        """Record the steps of change ``parent`` before any of them runs; their indexes in the record."""
        first = len(self.record.steps)
        self._append({"plan": parent, "steps": [{"change": encode_change(change),
                                                 "undo": [encode_change(u) for u in undo]}
                                                for change, undo in planned]})
        self.record.steps.extend(JournalStep(change, parent, tuple(undo)) for change, undo in planned)
        self.record.planned = parent + 1
        return list(range(first, len(self.record.steps)))

    def mark(self, index: int, state: str) -> None:
        """A step done (after it ran) or undone (after its undo ran)."""
        self._append({DONE if state == DONE else "undone": index})
        self.record.steps[index].state = state

    def rolling_back(self) -> None:
        self._append({"rolling_back": True})
        self.record.rolling_back = True

    def close(self) -> None:
        """The transaction completed or was rolled back: nothing is left to finish."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        from sanctl.state_files import fsync_dir

        fsync_dir(os.path.dirname(self.path))

    def __del__(self) -> None:  # a journal left open by an error path: the fd, not the file
        if getattr(self, "_fd", None) is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
