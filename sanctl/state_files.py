"""sanctl's own state files (the doctor's last look, the wizard's answers): private, whole, or set aside.

Written 0600 (the wizard's answers hold CHAP secrets), through a temporary
file that is fsynced, renamed over the old one and removed if anything
fails (a full disk leaves no ``*.tmp`` behind). Read as data from outside:
bounded, depth-limited JSON; a file that cannot be used is renamed
``<name>.damaged-<time>`` so the operator can look at it, and a fresh one
is started.

No Textual here.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Mapping
from typing import Any

from sanctl.errors import SanctlError
from sanctl import safe_io
from sanctl.bounded import OutsideDataError, load_json

MODE = 0o600
DIR_MODE = 0o700
#: No state file of sanctl's is anywhere near this.
MAX_BYTES = 1 << 20


class DamagedState(SanctlError):
    """A state file that is there but cannot be used; ``str()`` says why."""


def user_state_dir(environ: Mapping[str, str] | None = None) -> str:
    """The user's own directory for sanctl's state: ``$XDG_STATE_HOME/sanctl``, else ``~/.local/state/sanctl``."""
    env = os.environ if environ is None else environ
    return os.path.join(env.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state"), "sanctl")


def read_json(path: str) -> Any:
    """The file's JSON. Raises FileNotFoundError when there is none, DamagedState when it cannot be used."""
    try:
        raw = safe_io.read_bytes(path, MAX_BYTES, follow=True)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise DamagedState(safe_io.describe(exc)) from None
    try:
        return load_json(raw, max_bytes=MAX_BYTES)
    except OutsideDataError as exc:
        raise DamagedState(str(exc)) from None


def set_aside(path: str) -> str | None:
    """Rename a damaged file out of the way; the new name, or None if it could not be moved."""
    aside = f"{path}.damaged-{time.strftime('%Y%m%d-%H%M%S')}"
    try:
        os.replace(path, aside)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(path)
        return None
    return aside


def write_atomic(path: str, payload: bytes, mode: int = MODE) -> None:
    """Replace ``path`` with ``payload`` at ``mode``: a temporary file beside it, fsynced, renamed over it,
    the directory fsynced — the old file or the new one, never half. Raises OSError; leaves nothing behind.

    The one way sanctl writes a file whole (saveconfig.json and its backups, the journal's head, state
    files, ``export -o``, the exporter's textfile)."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    try:
        try:
            os.fchmod(fd, mode)
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(directory)


def fsync_dir(directory: str) -> None:
    """Make a rename or an unlink in ``directory`` survive a crash (best effort)."""
    with contextlib.suppress(OSError):
        dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def write_private(path: str, payload: bytes) -> None:
    """Write a state file: its directory made 0700 if missing, the file 0600 (it may hold secrets)."""
    os.makedirs(os.path.dirname(path) or ".", mode=DIR_MODE, exist_ok=True)
    write_atomic(path, payload, MODE)
