"""Reading and writing saveconfig files, and keeping their dated backups.

A file is read bounded (size, depth, shape: :func:`check_shape`) and written
atomically (temp file, fsync, rename, mode 0600); a backup is kept as
``backup/saveconfig-YYYYMMDD-HH:MM:SS-json.gz`` like targetcli, only if no
backup holds that configuration yet, and the oldest are pruned.

No Textual here.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import re
import stat
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sanctl.lio.errors import SaveFileError  # noqa: F401  (re-exported: its home has no I/O)
from sanctl.bounded import OutsideDataError, load_json
from sanctl.lio.save_location import SaveLocation

MODE = 0o600
_STAMP = "%Y%m%d-%H:%M:%S"
_BACKUP_RE = re.compile(r"^saveconfig-(\d{8}-\d\d:\d\d:\d\d)(?:\.(\d+))?(?:-json\.gz|\.json)$")
_PRERESTORE_RE = re.compile(r"^prerestore-(\d{8}-\d\d:\d\d:\d\d)(?:\.(\d+))?-json\.gz$")


# ---------------------------------------------------------------------------
# Reading and writing files
# ---------------------------------------------------------------------------


#: The largest saveconfig file (or inflated backup) read: 10,000 LUNs with two ACLs each are about 20 MB.
MAX_FILE_BYTES = 64 << 20
#: How deep a saveconfig file nests (rtslib-fb's is 7: targets > tpgs > node_acls > mapped_luns > …).
MAX_DEPTH = 32

#: The lists of objects a saveconfig file holds, and the identity keys of each (scalars only: they are
#: matched and hashed), for every level: top level, then each kind's children.
_SHAPE: dict[str, tuple[tuple[str, ...], tuple[tuple[str, str], ...]]] = {
    "top": ((), (("storage_objects", "storage_object"), ("targets", "target"), ("fabric_modules", "fabric"))),
    "storage_object": (("plugin", "name"), (("alua_tpgs", "alua_group"),)),
    "alua_group": (("name",), ()),
    "fabric": (("name",), ()),
    "target": (("fabric", "wwn"), (("tpgs", "tpg"),)),
    "tpg": (("tag",), (("luns", "lun"), ("portals", "portal"), ("node_acls", "acl"))),
    "lun": (("index", "storage_object"), ()),
    "portal": (("ip_address", "port"), ()),
    "acl": (("node_wwn",), (("mapped_luns", "mapped_lun"),)),
    "mapped_lun": (("index", "tpg_lun"), ()),
}


def check_shape(data: Any) -> None:
    """Raise SaveFileError unless ``data`` has the shape of a saveconfig file.

    What every reader of the file relies on: objects where objects belong,
    lists where lists belong, and identity keys (names, WWNs, numbers) that
    are scalars, so matching and hashing them cannot fail.
    """
    if not isinstance(data, dict):
        raise SaveFileError("not a saveconfig file: the top level is not an object")
    if not any(key in data for key in ("storage_objects", "targets", "fabric_modules")):
        raise SaveFileError("not a saveconfig file: no storage_objects, targets or fabric_modules")
    stack: list[tuple[str, Mapping, str]] = [("top", data, "")]
    while stack:
        kind, item, where = stack.pop()
        keys, children = _SHAPE[kind]
        for key in keys:
            value = item.get(key)
            if value is not None and not isinstance(value, (str, int, float)):
                raise SaveFileError(f"not a saveconfig file: '{key}' of {where} is a {type(value).__name__}, "
                                    "not a name or number")
        of = f" of {where}" if where else ""
        for name, child_kind in children:
            items = item.get(name)
            if items is None:
                continue
            if not isinstance(items, list):
                raise SaveFileError(f"not a saveconfig file: '{name}'{of} is not a list")
            for n, child in enumerate(items):
                if not isinstance(child, dict):
                    raise SaveFileError(f"not a saveconfig file: item {n} of '{name}'{of} is not an object")
                stack.append((child_kind, child, f"{where} > {name}[{n}]" if where else f"{name}[{n}]"))


def _inflate(raw: bytes, limit: int) -> bytes:
    """A gzip file's content, no more than ``limit`` bytes of it (a small file can inflate to gigabytes)."""
    with gzip.GzipFile(fileobj=io.BytesIO(raw)) as stream:
        return stream.read(limit + 1)


def load_saveconfig(path: str, *, limit: int = MAX_FILE_BYTES) -> dict[str, Any]:
    """A saveconfig file (plain JSON or targetcli's gzipped backups) from outside, as a dictionary.

    Everything about it is checked before anyone uses it: its size (and its
    inflated size), its JSON (nesting depth included) and its shape
    (:func:`check_shape`). Raises SaveFileError with ``<path>: <reason>``.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise SaveFileError(f"{path}: no such file") from None
    except OSError as exc:
        raise SaveFileError(f"{path}: cannot read it ({exc.strerror})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise SaveFileError(f"{path}: not a saveconfig file: not a regular file")
        if st.st_size > limit:
            raise SaveFileError(f"{path}: not a saveconfig file: {st.st_size} bytes, more than the "
                                f"{limit >> 20} MB a saveconfig file can be")
        with os.fdopen(os.dup(fd), "rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise SaveFileError(f"{path}: cannot read it ({exc.strerror})") from None
    finally:
        os.close(fd)
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = _inflate(raw, limit)
        except (OSError, EOFError, zlib.error) as exc:
            raise SaveFileError(f"{path}: a damaged gzip file ({exc})") from None
    if len(raw) > limit:
        raise SaveFileError(f"{path}: not a saveconfig file: more than the {limit >> 20} MB "
                            "a saveconfig file can be")
    try:
        data = load_json(raw, max_bytes=limit, max_depth=MAX_DEPTH)
    except OutsideDataError as exc:
        raise SaveFileError(f"{path}: not a saveconfig file: {exc}") from None
    try:
        check_shape(data)
    except SaveFileError as exc:
        raise SaveFileError(f"{path}: {exc}") from None
    return data


#: The name callers have used all along.
load = load_saveconfig


def render(data: Mapping) -> bytes:
    """The bytes rtslib-fb's ``save_to_file`` writes for ``data``."""
    return (json.dumps(data, sort_keys=True, indent=2) + "\n").encode()


def write_atomic(path: str, payload: bytes, mode: int = MODE) -> None:
    """Write ``path`` so that it is either the old file or the new one, never half, at ``mode``."""
    from sanctl.state_files import write_atomic as whole

    whole(path, payload, mode)


def _ensure_dir(path: str) -> None:
    if not os.path.isdir(path):
        os.makedirs(path, mode=0o700, exist_ok=True)


# ---------------------------------------------------------------------------
# Backups
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Backup:
    path: str
    name: str
    when: datetime | None
    size: int

    def label(self) -> str:
        when = self.when.strftime("%Y-%m-%d %H:%M:%S") if self.when else "?"
        return f"{when}  {self.name}"


def _backups(directory: str, pattern: re.Pattern) -> list[Backup]:
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    out = []
    for name in names:
        m = pattern.match(name)
        if not m:
            continue
        path = os.path.join(directory, name)
        try:
            size = os.path.getsize(path)
        except OSError:
            continue
        try:
            when = datetime.strptime(m.group(1), _STAMP)
        except ValueError:
            when = None
        out.append((m.group(1), int(m.group(2) or 0), Backup(path, name, when, size)))
    out.sort(key=lambda t: (t[0], t[1]), reverse=True)
    return [b for _, _, b in out]


def list_backups(location: SaveLocation) -> list[Backup]:
    """The saved configurations kept in ``backup/``, newest first (targetcli's and sanctl's)."""
    return _backups(location.backup_dir, _BACKUP_RE)


def list_prerestore(location: SaveLocation) -> list[Backup]:
    """Running configurations kept before a restore, newest first."""
    return _backups(location.backup_dir, _PRERESTORE_RE)


def _free_name(directory: str, prefix: str, now: datetime, suffix: str) -> str:
    """``prefix-YYYYMMDD-HH:MM:SS-json.gz``; a second one in the same second gets ``.1``, ``.2``…

    ('.' sorts after '-', so names still sort in time order, for targetcli too.)
    """
    stamp = now.strftime(_STAMP)
    name = f"{prefix}-{stamp}{suffix}"
    n = 0
    while os.path.exists(os.path.join(directory, name)):
        n += 1
        name = f"{prefix}-{stamp}.{n}{suffix}"
    return name


def _gzip(payload: bytes) -> bytes:
    return gzip.compress(payload, mtime=0)


def _read_backup(path: str, limit: int) -> bytes | None:
    """A kept backup's content, no more than ``limit`` bytes of it (it is only compared)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(limit + 1)
        return _inflate(raw, limit) if raw[:2] == b"\x1f\x8b" else raw
    except (OSError, EOFError, zlib.error):
        return None


def _content_key(raw: bytes | None) -> bytes | None:
    """What two backups are compared by: the configuration, not the bytes (whitespace, key order)."""
    if raw is None:
        return None
    try:
        return render(load_json(raw, max_bytes=MAX_FILE_BYTES, max_depth=MAX_DEPTH))
    except (ValueError, TypeError):  # not JSON, too deep, an odd shape: compared as bytes
        return raw


def _keep_backup(location: SaveLocation, payload: bytes, prefix: str, existing: list[Backup], keep: int,
                 now: datetime, *, against_all: bool = False) -> tuple[str | None, tuple[str, ...]]:
    """Keep ``payload`` as a backup unless one holds the same configuration; prune the oldest.

    With ``against_all`` (saves), identical content is never kept twice,
    whatever the dates say; otherwise only the newest is compared. Pruning
    keeps the ``keep`` newest backups dated up to ``now``; a backup dated
    later (clock skew, a copied file) is neither counted nor pruned, so it
    cannot push out the others — it is the only copy of its configuration.
    """
    _ensure_dir(location.backup_dir)
    key = _content_key(payload)
    compared = existing if against_all else existing[:1]
    if any(_content_key(_read_backup(b.path, MAX_FILE_BYTES)) == key for b in compared):
        return None, ()
    name = _free_name(location.backup_dir, prefix, now, "-json.gz")
    path = os.path.join(location.backup_dir, name)
    write_atomic(path, _gzip(payload))
    dated = [b for b in existing if b.when is None or b.when <= now]
    removed = []
    for old in ([Backup(path, name, now, 0)] + dated)[keep:]:
        with contextlib.suppress(OSError):
            os.unlink(old.path)
            removed.append(old.path)
    return path, tuple(removed)
