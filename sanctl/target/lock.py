"""targetcli's lock, ``/var/run/targetcli.lock``, held only while writing.

targetcli takes ``flock(LOCK_EX)`` on that file for its whole run (an idle
interactive shell blocks every other targetcli, targetcli-fb #199). sanctl
takes the same lock, so it never writes while targetcli does, but only for
the duration of one change or save, and never waits long: it tries without
blocking for a short, bounded time, then says who holds the lock — the pid
and command line, from ``/proc/locks`` or, failing that, from the open
files in ``/proc/*/fd`` — instead of hanging.

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
import time
from collections.abc import Iterator
from dataclasses import dataclass

#: The lock file, relative to the root (targetcli's ``lock_file``).
LOCK_FILE = "var/run/targetcli.lock"
#: How long to keep trying before giving up (seconds).
DEFAULT_TIMEOUT = 2.0
_INTERVAL = 0.05


@dataclass(frozen=True, slots=True)
class Holder:
    """A process holding (or waiting for) the lock."""

    pid: int
    command: str

    def __str__(self) -> str:
        if not self.command:
            return f"pid {self.pid}"
        shown = self.command if len(self.command) <= 160 else self.command[:159] + "…"
        return f"pid {self.pid} ({shown})"


class LockBusy(Exception):
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
            if any("targetcli" in os.path.basename(h.command.split(" ")[0]) or " /usr/bin/targetcli" in h.command
                   for h in self.holders):
                hint = " An idle targetcli shell holds it until it exits."
            return f"targetcli's lock {self.path} is held by {who}; nothing was changed.{hint}"
        return (f"targetcli's lock {self.path} is held by another process (not visible from here); "
                "nothing was changed.")


def lock_path(root: str = "/") -> str:
    return os.path.join(root, LOCK_FILE)


def _command(pid: int, proc: str) -> str:
    try:
        with open(os.path.join(proc, str(pid), "cmdline"), "rb") as handle:
            raw = handle.read(4096)
    except OSError:
        raw = b""
    text = " ".join(" ".join(part.decode("utf-8", "replace").split()) for part in raw.split(b"\0") if part)
    if not text:
        try:
            with open(os.path.join(proc, str(pid), "comm"), encoding="utf-8", errors="replace") as handle:
                text = f"[{handle.read().strip()}]"
        except OSError:
            text = ""
    return text[:1000]


def _from_proc_locks(st: os.stat_result, proc: str) -> list[int]:
    """Pids holding a lock on the file ``st`` describes, from ``/proc/locks``."""
    want = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    pids = []
    try:
        with open(os.path.join(proc, "locks"), encoding="ascii", errors="replace") as handle:
            lines = handle.readlines()
    except OSError:
        return []
    for line in lines:
        parts = line.split()
        # "1: FLOCK  ADVISORY  WRITE 1234 00:1a:5678 0 EOF"; waiters have "->" after the number.
        if len(parts) < 6 or parts[1] == "->":
            continue
        if parts[5] == want:
            try:
                pid = int(parts[4])
            except ValueError:
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
    return tuple(Holder(pid, _command(pid, proc)) for pid in pids)


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
def targetcli_lock(root: str = "/", *, timeout: float = DEFAULT_TIMEOUT, proc: str = "/proc") -> Iterator[str]:
    """Hold targetcli's lock for the ``with`` block; raise :class:`LockBusy` after ``timeout``.

    Non-blocking tries every 50 ms, so a lock released a moment later is
    still taken, and a lock someone keeps is reported, not waited on.
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
