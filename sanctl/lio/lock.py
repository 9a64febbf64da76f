"""targetcli's lock, ``/var/run/targetcli.lock``, held only while writing.

targetcli takes ``flock(LOCK_EX)`` on that file for its whole run (an idle
interactive shell blocks every other targetcli, targetcli-fb #199). sanctl
takes the same lock, so it never writes while targetcli does, but only for
the duration of one change or save, and never waits long: it tries without
blocking for a short, bounded time, then says who holds the lock — the pid,
user and program name (never the arguments: they can hold a password), from
``/proc/locks`` or, failing that, from the open files in ``/proc/*/fd`` —
instead of hanging. The lock file is 0644 and ``flock`` works on a
read-only descriptor, so any user can hold it: a holder that is not root is
not waited on at all (:class:`LockHeldByUser`).

Everything is relative to a filesystem ``root``: the demo SAN uses
``<root>/var/run/targetcli.lock``, so two sanctl processes on the same demo
tree exclude each other as on a real host.

No Textual here.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import pwd
import time
from collections.abc import Iterator
from dataclasses import dataclass

from sanctl.errors import SanctlError
from sanctl import safe_io
from sanctl.bounded import int_or_none
from sanctl.words import printable

#: The lock file, relative to the root (targetcli's ``lock_file``).
LOCK_FILE = "var/run/targetcli.lock"
#: How long to keep trying before giving up (seconds).
DEFAULT_TIMEOUT = 2.0
_INTERVAL = 0.05


@dataclass(frozen=True, slots=True)
class Holder:
    """A process holding (or waiting for) the lock: who, never what it was told.

    Only the pid, the user and the program's name are kept — never its
    arguments, which can hold a secret (``targetcli … password=…``).
    """

    pid: int
    user: str = ""
    program: str = ""
    uid: int | None = None

    @property
    def root(self) -> bool:
        return self.uid == 0

    def __str__(self) -> str:
        about = ", ".join(part for part in (f"user {self.user}" if self.user else "",
                                             f"program {self.program}" if self.program else "") if part)
        return f"pid {self.pid} ({about})" if about else f"pid {self.pid}"


class LockBusy(SanctlError):
    """Someone else holds targetcli's lock; ``holders`` says who when it can be found."""

    def __init__(self, path: str, holders: tuple[Holder, ...], waited: float) -> None:
        self.path = path
        self.holders = holders
        self.waited = waited
        super().__init__(self.message)

    @property
    def message(self) -> str:
        if self.holders:
            who = ", ".join(str(h) for h in self.holders)
            hint = ""
            if any(h.program.startswith("targetcli") for h in self.holders):
                hint = " An idle targetcli shell holds it until it exits."
            return f"targetcli's lock {self.path} is held by {who}; nothing was changed.{hint}"
        return (f"targetcli's lock {self.path} is held by another process (not visible from here); "
                "nothing was changed.")


class LockHeldByUser(LockBusy):
    """The lock is held by processes none of which is root's: not waited on.

    targetcli's lock file is 0644 and ``flock`` works on a read-only
    descriptor, so any local user can hold it and block root's writes for
    good. sanctl does not wait on such a holder: it says who it is, and
    writes without the lock only when told to (``--force``, or a
    confirmation in the TUI).
    """

    @property
    def message(self) -> str:
        who = ", ".join(str(h) for h in self.holders)
        return (f"targetcli's lock {self.path} is held by {who}, not by root: any user can take this lock, "
                "so sanctl does not wait on it; nothing was changed. Go ahead without the lock only if "
                "nothing else is writing the configuration (--force).")


def lock_path(root: str = "/") -> str:
    return os.path.join(root, LOCK_FILE)


def _holder(pid: int, proc: str) -> Holder:
    """pid, user and program name (``/proc/<pid>/comm``: never the command line)."""
    base = os.path.join(proc, str(pid))
    program = safe_io.read_optional(os.path.join(base, "comm")) or ""
    try:
        uid: int | None = os.stat(base).st_uid
    except OSError:
        uid = None
    user = ""
    if uid is not None:
        try:
            user = pwd.getpwuid(uid).pw_name
        except KeyError:
            user = str(uid)
    return Holder(pid, printable(user, replacement="?")[:64], printable(program, replacement="?")[:64], uid)


def _from_proc_locks(st: os.stat_result, proc: str) -> list[int]:
    """Pids holding a lock on the file ``st`` describes, from ``/proc/locks``."""
    want = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    pids = []
    try:
        lines = safe_io.read_text(os.path.join(proc, "locks"), safe_io.TABLE_LIMIT).splitlines()
    except OSError:
        return []
    for line in lines:
        parts = line.split()
        # "1: FLOCK  ADVISORY  WRITE 1234 00:1a:5678 0 EOF"; waiters have "->" after the number.
        if len(parts) < 6 or parts[1] == "->":
            continue
        if parts[5] == want:
            pid = int_or_none(parts[4])
            if pid is None:
                continue
            if pid > 0 and pid not in pids:
                pids.append(pid)
    return pids


def _from_fds(path: str, st: os.stat_result, proc: str, exclude: int) -> list[int]:
    """Pids with the file open (needs permission to read their fd tables)."""
    pids = []
    try:
        entries = os.listdir(proc)
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit() or int(entry) == exclude:
            continue
        fd_dir = os.path.join(proc, entry, "fd")
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                other = os.stat(os.path.join(fd_dir, fd))
            except OSError:
                continue
            if (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino):
                pids.append(int(entry))
                break
    return pids


def holders(path: str, *, proc: str = "/proc") -> tuple[Holder, ...]:
    """Who holds ``path`` locked (best effort; empty if it cannot be told)."""
    try:
        st = os.stat(path)
    except OSError:
        return ()
    me = os.getpid()
    pids = [p for p in _from_proc_locks(st, proc) if p != me]
    if not pids:
        pids = _from_fds(path, st, proc, me)
    return tuple(_holder(pid, proc) for pid in pids)


def probe(root: str = "/") -> tuple[Holder, ...] | None:
    """Whether someone holds the lock right now: ``None`` if free, else the holders.

    For the header's warning ("targetcli is open in another shell"); it
    takes the lock for an instant only.
    """
    path = lock_path(root)
    if not os.path.exists(path):
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                return holders(path)
            return None
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


@contextlib.contextmanager
def targetcli_lock(root: str = "/", *, timeout: float = DEFAULT_TIMEOUT, proc: str = "/proc",
                   force: bool = False) -> Iterator[str]:
    """Hold targetcli's lock for the ``with`` block; raise :class:`LockBusy` after ``timeout``.

    Non-blocking tries every 50 ms, so a lock released a moment later is
    still taken, and a lock someone keeps is reported, not waited on. A lock
    held only by processes that are not root's raises :class:`LockHeldByUser`
    at once — or, with ``force``, the block runs without the lock.
    """
    path = lock_path(root)
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        os.makedirs(directory, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    start = time.monotonic()
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                    raise
            found = holders(path, proc=proc)
            if found and not any(h.root or h.uid is None for h in found):
                if not force:
                    raise LockHeldByUser(path, found, time.monotonic() - start)
                yield path  # told to go ahead: the holder is no writer of root's
                return
            waited = time.monotonic() - start
            if waited >= timeout:
                raise LockBusy(path, holders(path, proc=proc), waited)
            time.sleep(_INTERVAL)
        try:
            yield path
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
