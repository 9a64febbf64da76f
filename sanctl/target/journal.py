"""The journal of a multi-step change: what to finish or undo after sanctl was killed mid-way.

A transaction of several primitive steps (:meth:`sanctl.target.writer.Writer.apply`)
is all or nothing only while sanctl runs: a ``kill -9``, a crash or a power
cut between two steps leaves it half applied. So before its first step the
writer writes the plan here — the changes asked for, then each step with
the steps that undo it — and after each step what became of it. The file is
``/var/lib/sanctl/journal.json`` (under the demo's root with ``--demo``),
mode 0600 (an undo may hold the CHAP secret it puts back), written
atomically and fsynced each time, and removed when the transaction
completes or is rolled back.

A journal found later is an :class:`Unfinished` transaction: sanctl offers
to finish it or undo it (both through the writer:
:meth:`~sanctl.target.writer.Writer.finish` and
:meth:`~sanctl.target.writer.Writer.undo`), and the doctor reports it.

A step's state is ``pending`` (planned), ``started`` (sanctl was about to
execute it: it may or may not have happened), ``done`` or ``undone``.

No Textual here.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sanctl.names import InvalidValue
from sanctl.target import changes as C

DIRECTORY = "var/lib/sanctl"
FILE_NAME = "journal.json"
VERSION = 1
#: Bigger than any transaction's plan: a damaged or hostile file is refused, not read whole.
MAX_BYTES = 64 << 20

PENDING = "pending"
STARTED = "started"
DONE = "done"
UNDONE = "undone"
_STATES = (PENDING, STARTED, DONE, UNDONE)


class JournalError(Exception):
    """A journal that cannot be read or written; ``str()`` says which and why."""


def journal_path(root: str) -> str:
    """Where the journal of the writer on ``root`` lives (``/var/lib/sanctl/journal.json``)."""
    return os.path.join(root, DIRECTORY, FILE_NAME)


# ---------------------------------------------------------------------------
# Changes as JSON
# ---------------------------------------------------------------------------


def _encode_value(value: Any) -> Any:
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
    from sanctl.target.writer import CreateBackingFile, RemoveBackingFile

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
    cls = types.get(data.get("type"))  # type: ignore[arg-type]
    if cls is None:
        raise JournalError(f"the journal names a change sanctl does not know: {data.get('type')!r}")
    known = {f.name for f in fields(cls)}
    values = {k: _decode_value(v) for k, v in data["fields"].items() if k in known}
    try:
        return cls(**values)
    except (InvalidValue, TypeError) as exc:
        raise JournalError(f"the journal holds an invalid {cls.__name__}: {exc}") from None


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
        return f"[{self.state}] {self.change.describe()}"


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

    @property
    def current(self) -> int:
        """The index of the change that was being applied."""
        return max(self.planned - 1, 0)

    @property
    def done(self) -> list[JournalStep]:
        return [s for s in self.steps if s.state in (DONE, STARTED)]

    def summary(self) -> str:
        n = len(self.changes)
        done = sum(1 for s in self.steps if s.state == DONE)
        where = f"change {self.current + 1} of {n}" if n > 1 else "its one change"
        what = "while it was being rolled back" if self.rolling_back else f"at {where}"
        when = f" (started {self.started})" if self.started else ""
        return (f"A change was interrupted {what}{when}: {done} step{'s' if done != 1 else ''} done, "
                f"{sum(1 for s in self.steps if s.state == PENDING)} planned step(s) not done.")

    def lines(self) -> list[str]:
        out = [self.summary(), "Asked for:"]
        out += [f"  {i + 1}. {c.describe()}" for i, c in enumerate(self.changes)]
        out.append("Steps:")
        out += [f"  {s.line()}" for s in self.steps]
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "started": self.started,
            "pid": self.pid,
            "rolling_back": self.rolling_back,
            "planned": self.planned,
            "changes": [encode_change(c) for c in self.changes],
            "steps": [{"change": encode_change(s.change), "parent": s.parent,
                       "undo": [encode_change(u) for u in s.undo], "state": s.state} for s in self.steps],
        }


def parse(raw: bytes, path: str) -> Unfinished:
    """The journal's bytes as an :class:`Unfinished`; :class:`JournalError` with the reason otherwise."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise JournalError(f"{path}: not a sanctl journal ({exc})") from None
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise JournalError(f"{path}: not a sanctl journal of this version")
    types = _change_types()
    changes = tuple(decode_change(c, types) for c in _list(data.get("changes")))
    steps = []
    for item in _list(data.get("steps")):
        if not isinstance(item, dict) or item.get("state") not in _STATES or not isinstance(item.get("parent"), int):
            raise JournalError(f"{path}: the journal is damaged (a step without state)")
        steps.append(JournalStep(decode_change(item.get("change"), types), item["parent"],
                                 tuple(decode_change(u, types) for u in _list(item.get("undo"))), item["state"]))
    pid, planned = data.get("pid"), data.get("planned")
    if not isinstance(planned, int) or not 0 <= planned <= len(changes):
        raise JournalError(f"{path}: the journal is damaged (how far it got is not said)")
    return Unfinished(path, changes, steps, str(data.get("started") or ""), pid if isinstance(pid, int) else None,
                      bool(data.get("rolling_back")), planned)


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
    """The open journal of the running transaction: every update is written through, 0600, fsynced."""

    def __init__(self, root: str, record: Unfinished) -> None:
        self.root = root
        self.record = record
        self.path = record.path

    @classmethod
    def begin(cls, root: str, changes: tuple[C.Change, ...], *, now: datetime | None = None) -> Journal:
        record = Unfinished(journal_path(root), changes, [],
                            (now or datetime.now()).strftime("%Y-%m-%d %H:%M:%S"), os.getpid())
        journal = cls(root, record)
        journal.write()
        return journal

    @classmethod
    def resume(cls, root: str, record: Unfinished) -> Journal:
        return cls(root, record)

    def write(self) -> None:
        from sanctl.target.savefile import write_atomic

        directory = os.path.dirname(self.path)
        try:
            if not os.path.isdir(directory):
                os.makedirs(directory, mode=0o700, exist_ok=True)
            write_atomic(self.path, (json.dumps(self.record.to_json(), indent=1) + "\n").encode(), 0o600)
        except OSError as exc:
            raise JournalError(f"cannot write the journal {self.path}: {exc.strerror or exc}") from exc

    def plan(self, parent: int, planned: list[tuple[C.Change, tuple[C.Change, ...]]]) -> list[int]:
        """Record the steps of change ``parent`` before any of them runs; their indexes in the record."""
        first = len(self.record.steps)
        self.record.steps.extend(JournalStep(change, parent, tuple(undo)) for change, undo in planned)
        self.record.planned = parent + 1
        self.write()
        return list(range(first, len(self.record.steps)))

    def mark(self, index: int, state: str) -> None:
        self.record.steps[index].state = state
        self.write()

    def rolling_back(self) -> None:
        self.record.rolling_back = True
        self.write()

    def close(self) -> None:
        """The transaction completed or was rolled back: nothing is left to finish."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        from sanctl.target.savefile import _fsync_dir

        _fsync_dir(os.path.dirname(self.path))
