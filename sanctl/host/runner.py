"""The one place sanctl starts another program.

Every tool sanctl runs — iscsiadm, systemctl, modprobe, the firewall tools,
multipath, iscsi-iname, journalctl — goes through a :class:`Runner`, so they
all get the same care:

- an argument list, never a shell, with a fixed environment (``LC_ALL=C`` so
  the output parsed is the English one; no pager, no colours);
- a deadline: when it passes, the child's whole process group is stopped
  (SIGTERM, then SIGKILL), since iscsiadm and systemctl can hang for minutes;
- bounded output: at most ``max_output`` bytes of each stream are kept, the
  rest is read and dropped, so a runaway child cannot fill memory;
- a program that is not installed is a result that says so, not an exception;
- a call marked as a write is refused, with the runner's read-only reason,
  before anything starts.

What comes back is a :class:`Result`, a plain value (it crosses the host
seam as it is). :class:`ScriptedRunner` records argument lists and replays
answers, for tests and for hosts with no programs to run.

No Textual here.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["FIXED_ENV", "MAX_OUTPUT", "SBIN_DIRS", "Call", "Result", "Runner", "ScriptedRunner", "Stream"]

#: Where system tools live when PATH has no sbin (a non-root shell on Debian).
SBIN_DIRS = ("/usr/sbin", "/sbin", "/usr/local/sbin")
#: Set for every child: English, unpaged, uncoloured output.
FIXED_ENV: Mapping[str, str] = MappingProxyType({"LC_ALL": "C", "SYSTEMD_PAGER": "", "SYSTEMD_COLORS": "0"})
#: Bytes of each of stdout and stderr kept (16 MiB: far above any iscsiadm or systemctl answer).
MAX_OUTPUT = 16 << 20
#: Seconds a stopped child gets after SIGTERM, then after SIGKILL.
_KILL_WAITS = ((signal.SIGTERM, 2.0), (signal.SIGKILL, 5.0))
_CHUNK = 65536


@dataclass(frozen=True, slots=True)
class Result:
    """What became of one program run.

    ``rc`` is the exit status, or ``None`` when the program did not exit by
    itself: ``missing`` (not installed), ``refused`` (a write on a read-only
    runner: the reason), ``timed_out`` (stopped at its deadline; ``stdout`` and
    ``stderr`` hold what it printed before), or ``error`` (it could not be
    started: the operating system's words; ``denied`` for a permission error).
    A negative ``rc`` is the signal that killed it. ``truncated`` when an
    output was longer than the runner keeps.
    """

    argv: tuple[str, ...]
    rc: int | None
    stdout: str = ""
    stderr: str = ""
    seconds: float = 0.0
    timed_out: bool = False
    missing: bool = False
    refused: str = ""
    error: str = ""
    denied: bool = False
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return self.rc == 0

    @property
    def started(self) -> bool:
        """Whether a process ran at all."""
        return not (self.missing or self.refused or self.error)


@dataclass(frozen=True, slots=True)
class Call:
    """One request to a runner, as a :class:`ScriptedRunner` records it."""

    argv: tuple[str, ...]
    timeout: float
    write: bool = False
    env: Mapping[str, str] = field(default_factory=dict)


class Stream:
    """A long-running child (``journalctl -f``) whose stdout is read line by line."""

    def __init__(self, proc: subprocess.Popen[str] | None, lines: Sequence[str] = ()) -> None:
        self._proc = proc
        self._lines = list(lines)
        self.closed = False

    def __iter__(self) -> Iterator[str]:
        if self._proc is None:
            yield from self._lines
            return
        if self._proc.stdout is not None:
            yield from self._proc.stdout

    def close(self) -> None:
        """Stop the child (its process group), if it still runs."""
        proc, self._proc = self._proc, None
        self.closed = True
        if proc is not None and proc.poll() is None:
            _stop(proc)


class Runner:
    """Runs programs for sanctl; see the module docstring for what every run gets.

    ``read_only`` is the reason writes are refused (empty: they are not);
    ``env`` is the environment the fixed variables are laid over (the
    process's own by default), its PATH the one programs are looked for in.
    """

    def __init__(self, *, read_only: str = "", env: Mapping[str, str] | None = None,
                 max_output: int = MAX_OUTPUT, sbin_dirs: Sequence[str] = SBIN_DIRS) -> None:
        self.read_only = read_only
        self._env = dict(env) if env is not None else None
        self.max_output = max_output
        self.sbin_dirs = tuple(sbin_dirs)

    # --- what a child gets ------------------------------------------------------
    def environment(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The child's environment: the base, the fixed variables, then ``extra``."""
        env = dict(self._env if self._env is not None else os.environ)
        env.update(FIXED_ENV)
        if extra:
            env.update(extra)
        return env

    def which(self, program: str, *, sbin: bool = True) -> str | None:
        """The path of ``program``: itself when it has a slash, else on PATH, else (``sbin``) in the sbin dirs."""
        if os.sep in program:
            return program
        path = (self._env if self._env is not None else os.environ).get("PATH", os.defpath)
        found = shutil.which(program, path=path)
        if not found and sbin:
            found = shutil.which(program, path=os.pathsep.join(self.sbin_dirs))
        return found

    # --- running ----------------------------------------------------------------
    def run(self, argv: Sequence[str], *, timeout: float, write: bool = False,
            env: Mapping[str, str] | None = None, sbin: bool = True) -> Result:
        """Run ``argv`` to its end or its deadline. ``write`` marks a call that changes the host."""
        argv = tuple(argv)
        if not argv:
            raise ValueError("an empty command line")
        if write and self.read_only:
            return Result(argv, None, refused=self.read_only)
        program = self.which(argv[0], sbin=sbin)
        if program is None:
            return Result(argv, None, stderr=f"{argv[0]} is not installed", missing=True)
        return self._execute((program, *argv[1:]), timeout, self.environment(env))

    def _execute(self, argv: tuple[str, ...], timeout: float, env: dict[str, str]) -> Result:
        start = time.monotonic()
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, env=env, start_new_session=True)
        except FileNotFoundError as exc:
            return Result(argv, None, stderr=str(exc), missing=True, error=str(exc))
        except OSError as exc:
            return Result(argv, None, stderr=str(exc), error=str(exc), denied=isinstance(exc, PermissionError))
        out, err = _Collector(proc.stdout, self.max_output), _Collector(proc.stderr, self.max_output)
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _stop(proc)
        out.join()
        err.join()
        return Result(argv, None if timed_out else proc.returncode, out.text(), err.text(),
                      time.monotonic() - start, timed_out=timed_out, truncated=out.truncated or err.truncated)

    def stream(self, argv: Sequence[str], *, env: Mapping[str, str] | None = None) -> Stream | Result:
        """Start a child whose stdout is read as it comes (``journalctl -f``); a :class:`Result`
        (``missing`` or ``error``) when it cannot start. Reads only: never refused."""
        argv = tuple(argv)
        program = self.which(argv[0])
        if program is None:
            return Result(argv, None, stderr=f"{argv[0]} is not installed", missing=True)
        try:
            proc = subprocess.Popen((program, *argv[1:]), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, text=True, errors="replace",
                                    env=self.environment(env), start_new_session=True)
        except OSError as exc:
            return Result(argv, None, stderr=str(exc), missing=isinstance(exc, FileNotFoundError),
                          error=str(exc), denied=isinstance(exc, PermissionError))
        return Stream(proc)


class _Collector:
    """Reads one pipe to its end in a thread, keeping the first ``limit`` bytes."""

    def __init__(self, pipe, limit: int) -> None:
        self._pipe = pipe
        self._limit = limit
        self._chunks: list[bytes] = []
        self._kept = 0
        self.truncated = False
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            while True:
                chunk = self._pipe.read1(_CHUNK) if hasattr(self._pipe, "read1") else self._pipe.read(_CHUNK)
                if not chunk:
                    break
                room = self._limit - self._kept
                if room > 0:
                    self._chunks.append(chunk[:room])
                    self._kept += min(room, len(chunk))
                if len(chunk) > room:
                    self.truncated = True
        except (OSError, ValueError):
            pass

    def join(self) -> None:
        # A grandchild that left the process group can hold the pipe open: do not wait for it forever.
        self._thread.join(timeout=5.0)
        try:
            self._pipe.close()
        except OSError:
            pass

    def text(self) -> str:
        # As text mode would: universal newlines.
        return b"".join(self._chunks).decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL, to the child's process group (everything it started)."""
    for sig, wait in _KILL_WAITS:
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


Reply = Result | tuple[int | None, str, str]


class ScriptedRunner(Runner):
    """A runner that starts nothing: it records each :class:`Call` and answers from ``answers``.

    ``answers`` maps a command line prefix (the words after the program, joined
    by spaces: ``"is-enabled iscsi.service"``; ``""`` matches all) to a
    :class:`Result` or ``(rc, stdout, stderr)``, or is a function of the argv.
    The longest matching prefix wins; no match is exit 1. Programs named in
    ``missing`` are not installed. Read-only refusal works as in a real runner.
    """

    def __init__(self, answers: Mapping[str, Reply] | Callable[[tuple[str, ...]], Reply] | None = None, *,
                 read_only: str = "", missing: Sequence[str] = (), lines: Sequence[str] = ()) -> None:
        super().__init__(read_only=read_only, env={"PATH": ""})
        self._answers = answers if answers is not None else {}
        self._missing = set(missing)
        self._lines = list(lines)
        self.calls: list[Call] = []

    def which(self, program: str, *, sbin: bool = True) -> str | None:
        return None if os.path.basename(program) in self._missing else program

    def run(self, argv: Sequence[str], *, timeout: float, write: bool = False,
            env: Mapping[str, str] | None = None, sbin: bool = True) -> Result:
        self.calls.append(Call(tuple(argv), timeout, write, dict(env or {})))
        return super().run(argv, timeout=timeout, write=write, env=env, sbin=sbin)

    def _execute(self, argv: tuple[str, ...], timeout: float, env: dict[str, str]) -> Result:
        if callable(self._answers):
            reply = self._answers(argv)
        else:
            words = " ".join(argv[1:])
            keys = [k for k in self._answers if words == k or words.startswith(k + " ") or k == ""]
            reply = self._answers[max(keys, key=len)] if keys else (1, "", "")
        if isinstance(reply, Result):
            return reply
        rc, out, err = reply
        return Result(argv, rc, out, err)

    def stream(self, argv: Sequence[str], *, env: Mapping[str, str] | None = None) -> Stream | Result:
        self.calls.append(Call(tuple(argv), 0.0, False, dict(env or {})))
        if os.path.basename(argv[0]) in self._missing:
            return Result(tuple(argv), None, stderr=f"{argv[0]} is not installed", missing=True)
        return Stream(None, self._lines)
