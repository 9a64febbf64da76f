"""saveconfig.json: where it lives, saving with backups, diffs, restore with a report.

The running configuration (configfs) and the boot configuration (the file
``target.service`` / ``rtslib-fb-targetctl.service`` restores) are two
things; the operator decides when the first becomes the second — sanctl
never saves implicitly (targetcli's auto-save on exit once wiped users'
files, targetcli-fb #85).

* :func:`locate` finds the file the distribution's boot service reads:
  ``/etc/rtslib-fb-target/saveconfig.json`` on Debian/Ubuntu,
  ``/etc/target/saveconfig.json`` elsewhere — always under a ``root``, so the
  demo saves to ``<root>/etc/target/…``.
* :func:`save` writes it atomically (temp file, fsync, rename, mode 0600),
  first keeping the previous file as ``backup/saveconfig-YYYYMMDD-HH:MM:SS-json.gz``
  like targetcli (only if no backup holds that configuration yet; the last
  10 kept, or ``max_backup_files`` of targetcli.conf if larger; one dated in
  the future neither counts nor is pruned). A file that already holds the
  configuration is not written at all, and an empty (or less than half as
  big) configuration does not replace a fuller one unless forced.
* :func:`diff` compares two configurations object by object (secrets
  masked); :func:`status` says whether the running configuration differs
  from the saved one.
* :func:`restore` applies a file (or one target of it) through the writer,
  keeping the running configuration first as a ``prerestore-…-json.gz``, and
  reports per object what was restored and what was not — a partial
  restore is never silent.

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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sanctl.bounded import OutsideDataError, load_json

FILE_NAME = "saveconfig.json"
REDHAT_DIR = "etc/target"
DEBIAN_DIR = "etc/rtslib-fb-target"
BACKUP_DIR = "backup"
MAX_BACKUPS = 10
MODE = 0o600
_STAMP = "%Y%m%d-%H:%M:%S"
_BACKUP_RE = re.compile(r"^saveconfig-(\d{8}-\d\d:\d\d:\d\d)(?:\.(\d+))?(?:-json\.gz|\.json)$")
_PRERESTORE_RE = re.compile(r"^prerestore-(\d{8}-\d\d:\d\d:\d\d)(?:\.(\d+))?-json\.gz$")
_UNITS = ("usr/lib/systemd/system", "lib/systemd/system", "etc/systemd/system")


class SaveFileError(Exception):
    """A saveconfig file that cannot be read, parsed or written; ``str()`` says which and why."""


# ---------------------------------------------------------------------------
# Where the file is
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SaveLocation:
    root: str
    directory: str  #: absolute, under root
    why: str

    @property
    def path(self) -> str:
        return os.path.join(self.directory, FILE_NAME)

    @property
    def backup_dir(self) -> str:
        return os.path.join(self.directory, BACKUP_DIR)

    @property
    def shown(self) -> str:
        """The path as the operator knows it (``/etc/target/saveconfig.json``), or the full demo path."""
        return self.path


def _exists_under(root: str, rel: str) -> bool:
    return os.path.exists(os.path.join(root, rel))


def _os_release(root: str) -> dict[str, str]:
    for rel in ("etc/os-release", "usr/lib/os-release"):
        try:
            with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as handle:
                text = handle.read()
        except OSError:
            continue
        out = {}
        for line in text.splitlines():
            key, sep, value = line.partition("=")
            if sep:
                out[key.strip()] = value.strip().strip('"').strip("'")
        return out
    return {}


def locate(root: str = "/") -> SaveLocation:
    """The saveconfig.json the boot service of this system restores.

    Decided, in order, by the boot unit installed (Debian's
    ``rtslib-fb-targetctl.service`` or ``target.service``), an existing file,
    the Debian directory, then ``/etc/os-release`` (``ID``/``ID_LIKE``
    debian or ubuntu); ``/etc/target`` otherwise (RHEL, Fedora, SUSE,
    upstream rtslib-fb).
    """
    root = os.path.abspath(root)
    debian = SaveLocation(root, os.path.join(root, DEBIAN_DIR), "")
    redhat = SaveLocation(root, os.path.join(root, REDHAT_DIR), "")

    def pick(loc: SaveLocation, why: str) -> SaveLocation:
        return SaveLocation(loc.root, loc.directory, why)

    for unit_dir in _UNITS:
        if _exists_under(root, f"{unit_dir}/rtslib-fb-targetctl.service"):
            return pick(debian, "Debian's rtslib-fb-targetctl.service restores it at boot")
    for unit_dir in _UNITS:
        if _exists_under(root, f"{unit_dir}/target.service"):
            return pick(redhat, "target.service restores it at boot")
    if os.path.isfile(debian.path):
        return pick(debian, "a saved configuration exists there")
    if os.path.isfile(redhat.path):
        return pick(redhat, "a saved configuration exists there")
    if os.path.isdir(debian.directory):
        return pick(debian, "Debian's rtslib-fb directory exists")
    release = _os_release(root)
    family = {release.get("ID", "")} | set(release.get("ID_LIKE", "").split())
    if family & {"debian", "ubuntu"}:
        return pick(debian, f"{release.get('ID', 'Debian')} keeps it in /etc/rtslib-fb-target")
    return pick(redhat, "the default of rtslib-fb and targetcli")


# ---------------------------------------------------------------------------
# What the boot service's rtslib-fb understands
# ---------------------------------------------------------------------------

_BOOT_RTSLIB = (
    "usr/lib/python3/dist-packages/rtslib_fb/tcm.py",  # Debian, Ubuntu (python3-rtslib-fb)
    "usr/lib/python3/dist-packages/rtslib/tcm.py",
    "usr/lib/python3*/site-packages/rtslib_fb/tcm.py",  # RHEL, Fedora, SUSE (python3-rtslib)
    "usr/lib/python3*/site-packages/rtslib/tcm.py",
    "usr/lib64/python3*/site-packages/rtslib*/tcm.py",
)


@dataclass(frozen=True, slots=True)
class BootRtslib:
    """The distribution's rtslib-fb, which ``targetctl restore`` runs at boot."""

    path: str
    knows_exclusive: bool


def boot_rtslib(root: str = "/") -> BootRtslib | None:
    """The system rtslib-fb under ``root`` (not sanctl's own), or None if there is none.

    sanctl writes the file with the rtslib-fb it runs on; the boot service
    reads it with the distribution's, which may be older: Debian 12 and RHEL 9
    ship 2.1.7x, whose ``BlockStorageObject`` has no ``exclusive`` argument, so
    a block backstore saved with it (as rtslib-fb 2.2 saves every one) is not
    restored at boot — and ``targetctl`` still exits 0.
    """
    import glob

    found = []
    for pattern in _BOOT_RTSLIB:
        found.extend(sorted(glob.glob(os.path.join(root, pattern))))
    best = None
    for path in found:
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                text = handle.read()
        except OSError:
            continue
        start = text.find("class BlockStorageObject")
        init = text.find("def __init__", start)
        signature = text[init:text.find("):", init)] if start >= 0 and init >= 0 else ""
        lib = BootRtslib(path, "exclusive" in signature)
        if best is None or (best.knows_exclusive and not lib.knows_exclusive):
            best = lib  # the least capable one decides
    return best


def for_boot(data: Mapping, root: str = "/") -> tuple[dict[str, Any], list[str]]:
    """``data`` as the boot service's rtslib-fb can restore it, and what had to change."""
    boot = boot_rtslib(root)
    out = dict(data)
    notes: list[str] = []
    if boot is None or boot.knows_exclusive:
        return out, notes
    sos = []
    for so in data.get("storage_objects") or ():
        if isinstance(so, Mapping) and so.get("plugin") == "block" and "exclusive" in so:
            so = {k: v for k, v in so.items() if k != "exclusive"}
            if not data_exclusive(so, data):
                notes.append(f"block/{so.get('name')} is non-exclusive, which the boot-time rtslib-fb "
                             f"({boot.path}) cannot restore: it will be exclusive after a reboot")
        sos.append(so)
    out["storage_objects"] = sos
    if any(isinstance(so, Mapping) and so.get("plugin") == "block" for so in sos):
        notes.insert(0, f"'exclusive' left out of block backstores: the boot-time rtslib-fb ({boot.path}) "
                        "does not know it and would skip them")
    return out, notes


def data_exclusive(so: Mapping, data: Mapping) -> bool:
    """Whether the block backstore ``so`` (stripped) was exclusive in ``data``."""
    for original in data.get("storage_objects") or ():
        if isinstance(original, Mapping) and original.get("plugin") == "block" and original.get("name") == so.get("name"):
            return bool(original.get("exclusive", True))
    return True


def max_backups(location: SaveLocation) -> int:
    """targetcli's rule: the larger of 10 and ``max_backup_files`` in targetcli.conf."""
    best = MAX_BACKUPS
    for conf in {os.path.join(location.directory, "targetcli.conf"),
                 os.path.join(location.root, REDHAT_DIR, "targetcli.conf")}:
        try:
            with open(conf, encoding="utf-8", errors="replace") as handle:
                for line in handle:
                    m = re.match(r"^max_backup_files\s*=\s*(\d+)", line)
                    if m:
                        best = max(best, int(m.group(1)))
        except OSError:
            continue
    return best


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


# ---------------------------------------------------------------------------
# Save
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SaveResult:
    path: str
    backup: str | None  #: where the previous file was kept (None: there was none, or it was backed up already)
    removed: tuple[str, ...] = ()  #: old backups pruned
    unchanged: bool = False  #: the file already held this configuration
    notes: tuple[str, ...] = ()  #: what was adapted for the boot-time rtslib-fb

    def message(self) -> str:
        text = f"Configuration saved to {self.path}"
        if self.unchanged:
            text += " (it already held this configuration: nothing was written)"
        if self.backup:
            text += f"; the previous file is kept as {self.backup}"
        text += "."
        for note in self.notes:
            text += f" Note: {note}."
        return text


class SaveRefused(SaveFileError):
    """The save would replace a saved configuration by a much smaller one; ``force`` overrides it."""

    def __init__(self, reason: str, running: int, saved: int) -> None:
        self.reason = reason
        self.running = running
        self.saved = saved
        super().__init__(reason)


def count_objects(data: Mapping) -> int:
    """Backstores, targets, TPGs, LUNs, portals, ACLs and mapped LUNs in a saveconfig dictionary."""
    total = 0
    for so in data.get("storage_objects") or ():
        total += isinstance(so, Mapping)
    for target in data.get("targets") or ():
        if not isinstance(target, Mapping):
            continue
        total += 1
        for tpg in target.get("tpgs") or ():
            if not isinstance(tpg, Mapping):
                continue
            total += 1 + len(tpg.get("luns") or ()) + len(tpg.get("portals") or ())
            for acl in tpg.get("node_acls") or ():
                if isinstance(acl, Mapping):
                    total += 1 + len(acl.get("mapped_luns") or ())
    return total


def save_guard(running: Mapping, saved_raw: bytes | None, path: str) -> SaveRefused | None:
    """Why saving ``running`` over the file holding ``saved_raw`` needs ``force``, or None.

    An empty running configuration over a non-empty saved one is what a
    reboot without restore followed by a save does (targetcli's auto-save
    wiping a configuration); fewer than half the saved objects is nearly as
    bad. A file that cannot be parsed is no reason to refuse.
    """
    if saved_raw is None:
        return None
    try:
        saved = json.loads(saved_raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(saved, Mapping):
        return None
    have, had = count_objects(running), count_objects(saved)
    if had == 0 or have * 2 >= had:
        return None
    if have == 0:
        what = "the running configuration is empty"
    else:
        what = f"the running configuration has {have} object{'s' if have != 1 else ''}, fewer than half"
    return SaveRefused(f"not saved: {what} and {path} holds {had} object{'s' if had != 1 else ''} "
                       "(after a reboot without restore?); the saved file is unchanged. Restore it (sanctl "
                       "restore), or save anyway (sanctl save --force)", have, had)


def save(writer, location: SaveLocation | None = None, *, now: datetime | None = None,
         force: bool = False) -> SaveResult:
    """Make the running configuration the boot configuration.

    Under targetcli's lock: dump (rtslib-fb's ``RTSRoot().dump()`` on the real
    kernel, sanctl's equal dump on the demo), keep the previous file as a
    backup, write the new one atomically at 0600. Refused in read-only mode,
    and (:class:`SaveRefused`, unless ``force``) when it would replace the
    saved configuration by an empty one or one with fewer than half its
    objects. A file that already holds this configuration is left alone:
    nothing is written, no backup made.
    """
    writer.check_writable()
    location = location or locate(writer.root)
    now = now or datetime.now()
    from sanctl.lio.report import explain

    with writer.locked():
        try:
            data, notes = for_boot(writer.dump(), location.root)
        except Exception as exc:
            raise SaveFileError(f"cannot read the running configuration: {explain(exc)}; nothing was saved") from exc
        payload = render(data)
        backup = None
        removed: tuple[str, ...] = ()
        previous = None
        try:
            if os.path.isfile(location.path):
                with open(location.path, "rb") as handle:
                    previous = handle.read()
            if previous is not None and _content_key(previous) == payload:
                return SaveResult(location.path, None, (), True, tuple(notes))
            refused = None if force else save_guard(data, previous, location.path)
            if refused is not None:
                raise refused
            _ensure_dir(location.directory)
            if previous is not None:
                backup, removed = _keep_backup(location, previous, "saveconfig", list_backups(location),
                                               max_backups(location), now, against_all=True)
            write_atomic(location.path, payload)
        except OSError as exc:
            where = exc.filename or location.path
            raise SaveFileError(f"cannot write {where}: {exc.strerror or exc}; "
                                f"the previous {FILE_NAME} is unchanged") from exc
    return SaveResult(location.path, backup, removed, False, tuple(notes))


def export_target(data: Mapping, wwn: str) -> dict[str, Any]:
    """One target and the backstores its LUNs use, as a saveconfig file of its own (HA setups)."""
    from sanctl.lio.rebuild import storage_object_key, used_storage_objects

    targets = [t for t in data.get("targets") or () if isinstance(t, Mapping) and t.get("wwn") == wwn]
    if not targets:
        raise SaveFileError(f"there is no target {wwn}")
    used = set(used_storage_objects(targets[0]))
    sos = [s for s in data.get("storage_objects") or () if storage_object_key(s) in used]
    return {"fabric_modules": [], "storage_objects": sos, "targets": targets}


# ---------------------------------------------------------------------------
# Diff
# ---------------------------------------------------------------------------

ADDED = "added"
REMOVED = "removed"
CHANGED = "changed"
#: Values that are random and not identity (LUN and mapped LUN link names).
IGNORED_FIELDS = frozenset({"alias"})


@dataclass(frozen=True, slots=True)
class ObjectDiff:
    """One object that differs: added (only in ``new``), removed (only in ``old``) or changed."""

    kind: str
    key: tuple
    label: str
    status: str
    fields: tuple[tuple[str, str, str], ...] = ()  #: (field, old, new), secrets masked

    def line(self) -> str:
        mark = {ADDED: "+", REMOVED: "-", CHANGED: "~"}[self.status]
        text = f"{mark} {self.label}"
        if self.fields:
            text += ": " + ", ".join(f"{name} {old} -> {new}" for name, old, new in self.fields)
        return text


@dataclass(frozen=True, slots=True)
class ConfigDiff:
    entries: tuple[ObjectDiff, ...] = ()
    old_name: str = "saved"
    new_name: str = "running"

    @property
    def empty(self) -> bool:
        return not self.entries

    def of_kind(self, status: str) -> list[ObjectDiff]:
        return [e for e in self.entries if e.status == status]

    def summary(self) -> str:
        if self.empty:
            return f"The {self.new_name} and {self.old_name} configurations are the same."
        counts = [f"{len(self.of_kind(s))} {w}" for s, w in ((ADDED, "added"), (REMOVED, "removed"),
                                                             (CHANGED, "changed")) if self.of_kind(s)]
        return f"{self.new_name.capitalize()} vs {self.old_name}: " + ", ".join(counts) + "."

    def lines(self) -> list[str]:
        return [self.summary(), *(f"  {e.line()}" for e in self.entries)]


def _mask(name: str, value: Any) -> str:
    if "password" in name:
        return "(set)" if value else "(not set)"
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _scalars(d: Mapping, skip: Iterable[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    skip = set(skip) | IGNORED_FIELDS
    for key, value in d.items():
        if key in skip:
            continue
        if isinstance(value, Mapping):
            for sub, v in value.items():
                out[f"{key}.{sub}"] = v
        elif isinstance(value, list):
            if key == "alua_tpgs":
                for group in value:
                    if isinstance(group, Mapping):
                        gname = group.get("name", "?")
                        for sub, v in group.items():
                            if sub != "name":
                                out[f"alua {gname}.{sub}"] = v
            else:
                out[key] = json.dumps(value, sort_keys=True)
        else:
            out[key] = value
    return out


def _compare_fields(old: Mapping, new: Mapping, skip: Iterable[str]) -> tuple[tuple[str, str, str], ...]:
    a, b = _scalars(old, skip), _scalars(new, skip)
    out = []
    for name in sorted(set(a) | set(b)):
        va, vb = a.get(name), b.get(name)
        if va != vb:
            if "password" in name:
                out.append((name, _mask(name, va), "(changed)" if va and vb else _mask(name, vb)))
            else:
                out.append((name, _mask(name, va), _mask(name, vb)))
    return tuple(out)


def _index(items: Any, key) -> dict:
    out = {}
    for item in items or ():
        if isinstance(item, Mapping):
            out[key(item)] = item
    return out


_CHILDREN = {
    "target": (("tpgs", "tpg", lambda d: d.get("tag")),),
    "tpg": (("luns", "lun", lambda d: d.get("index")),
            ("portals", "portal", lambda d: (d.get("ip_address"), d.get("port"))),
            ("node_acls", "acl", lambda d: d.get("node_wwn"))),
    "acl": (("mapped_luns", "mapped_lun", lambda d: d.get("index")),),
}


def _label(kind: str, key: Any, parent: str) -> str:
    if kind == "storage_object":
        return f"backstore {key[0]}/{key[1]}"
    if kind == "target":
        return f"target {key[1]}" if key[0] == "iscsi" else f"{key[0]} target {key[1]}"
    if kind == "fabric":
        return f"{key} discovery authentication"
    if kind == "tpg":
        return f"{parent}/tpg{key}"
    if kind == "lun":
        return f"{parent} LUN {key}"
    if kind == "portal":
        return f"{parent} portal {key[0]}:{key[1]}"
    if kind == "acl":
        return f"{parent} ACL {key}"
    if kind == "mapped_lun":
        return f"{parent} mapped LUN {key}"
    return f"{kind} {key}"


def _normal(kind: str, d: Mapping) -> Mapping:
    """Defaults an older rtslib-fb leaves out (block ``exclusive``) filled in, so they are no difference."""
    if kind == "storage_object" and d.get("plugin") == "block" and "exclusive" not in d:
        return {**d, "exclusive": True}
    return d


def _diff_items(kind: str, old: dict, new: dict, parent: str, out: list[ObjectDiff], path: tuple = ()) -> None:
    for key in list(old) + [k for k in new if k not in old]:
        label = _label(kind, key, parent)
        full = path + (key,)
        if key not in new:
            out.append(ObjectDiff(kind, full, label, REMOVED))
            continue
        if key not in old:
            out.append(ObjectDiff(kind, full, label, ADDED))
            continue
        children = _CHILDREN.get(kind, ())
        skip = [name for name, _, _ in children]
        fields = _compare_fields(_normal(kind, old[key]), _normal(kind, new[key]), skip)
        if fields:
            out.append(ObjectDiff(kind, full, label, CHANGED, fields))
        child_parent = label if kind != "target" else key[1]
        for name, child_kind, keyfn in children:
            _diff_items(child_kind, _index(old[key].get(name), keyfn), _index(new[key].get(name), keyfn),
                        child_parent if kind != "acl" else f"{parent} ACL {key}", out, full)


def diff(old: Mapping, new: Mapping, *, old_name: str = "saved", new_name: str = "running") -> ConfigDiff:
    """Object-by-object differences from ``old`` to ``new`` (saveconfig dictionaries).

    Objects are matched by identity (backstore plugin/name, target fabric/WWN,
    TPG tag, LUN number, portal address, ACL initiator, mapped LUN number);
    a changed object lists its changed fields, secrets shown only as
    set/changed. LUN aliases are random and ignored.
    """
    out: list[ObjectDiff] = []
    _diff_items("storage_object", _index(old.get("storage_objects"), lambda d: (d.get("plugin"), d.get("name"))),
                _index(new.get("storage_objects"), lambda d: (d.get("plugin"), d.get("name"))), "", out)
    _diff_items("fabric", _index(old.get("fabric_modules"), lambda d: d.get("name")),
                _index(new.get("fabric_modules"), lambda d: d.get("name")), "", out)
    _diff_items("target", _index(old.get("targets"), lambda d: (d.get("fabric"), d.get("wwn"))),
                _index(new.get("targets"), lambda d: (d.get("fabric"), d.get("wwn"))), "", out)
    return ConfigDiff(tuple(out), old_name, new_name)


def running(root: str = "/") -> dict[str, Any]:
    """The running configuration as saveconfig.json would hold it (sanctl's reader; no root needed to read)."""
    from sanctl.lio.configfs import read_config
    from sanctl.lio.saveconfig import dump

    return dump(read_config(root, details=True))


def touched_scope(report) -> Any:
    """What an :class:`~sanctl.lio.writer.ApplyReport` may have changed, as a
    :class:`~sanctl.lio.changes.Scope` — or ``None`` when only a full read can tell.

    Each executed step names its target or backstore; a delete's cascade is
    made of such steps. A rolled-back transaction changed nothing; one whose
    undo failed, and the rare step touching every target (an ALUA group's
    delete moves LUNs anywhere), need a full read.
    """
    from sanctl.lio import changes as C
    from sanctl.lio.report import COMPLETED, NOTHING_TO_DO, ROLLED_BACK_ALL

    if report.outcome in (NOTHING_TO_DO, ROLLED_BACK_ALL):
        return C.Scope()
    if report.outcome != COMPLETED:
        return None
    scope = C.Scope()
    for step in report.steps:
        change = step.change
        if isinstance(change, C.DeleteStorageObject):  # its LUNs are steps of their own
            scope = scope | C.Scope(storage_objects=frozenset({change.key}))
            continue
        part = change.scope()
        if part.all_targets or part.all_storage_objects:
            return None
        scope = scope | part
    return scope


class RunningCache:
    """The running configuration as saveconfig.json, kept current cheaply after sanctl's own writes.

    :meth:`full` reads everything (every attribute of every object: about
    3 s on a 10,000-LUN tree); :meth:`touched` re-reads only the targets and
    backstores a write touched (with the backstores those targets' LUNs use,
    whose ALUA groups their LUNs name) and splices them into the last full
    read. Thread-safe; a UI calls it from workers.
    """

    def __init__(self, root: str = "/") -> None:
        import threading

        self.root = root
        self.data: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def full(self) -> dict[str, Any]:
        data = running(self.root)
        with self._lock:
            self.data = data
        return data

    def get(self) -> dict[str, Any]:
        """The last known running configuration (a full read the first time)."""
        with self._lock:
            data = self.data
        return data if data is not None else self.full()

    def touched(self, scope) -> dict[str, Any]:
        """Re-read ``scope`` (a Scope, or None for everything) and return the whole configuration."""
        from sanctl.lio.configfs import read_config
        from sanctl.lio.saveconfig import dump

        with self._lock:
            base = self.data
        if base is None or scope is None or scope.all_targets or scope.all_storage_objects:
            return self.full()
        if not scope.targets and not scope.storage_objects:
            # discovery auth only (or nothing): the fabrics are cheap to read again
            part = dump(read_config(self.root, details=True, targets=(), storage_objects=()))
            data = {**base, "fabric_modules": part.get("fabric_modules", [])}
        else:
            shallow = read_config(self.root, targets=scope.targets, storage_objects=())
            used = {lun.storage_object for t in shallow.targets for tpg in t.tpgs for lun in tpg.luns
                    if lun.storage_object is not None}
            sos = frozenset(scope.storage_objects) | used
            part = dump(read_config(self.root, details=True, targets=scope.targets, storage_objects=sos))
            data = dict(base)
            data["storage_objects"] = [d for d in base.get("storage_objects", ())
                                       if (d.get("plugin"), d.get("name")) not in sos] + part["storage_objects"]
            data["targets"] = [d for d in base.get("targets", ())
                               if (d.get("fabric"), d.get("wwn")) not in scope.targets] + part["targets"]
            data["fabric_modules"] = part.get("fabric_modules", [])
        with self._lock:
            if self.data is base:
                self.data = data
        return data


@dataclass(frozen=True, slots=True)
class SaveStatus:
    """For the header: is the running configuration the one that boots?"""

    location: SaveLocation
    saved_at: datetime | None = None
    differs: bool | None = None  #: None when it cannot be told (no file, unreadable)
    diff: ConfigDiff | None = None
    problem: str | None = None

    def message(self) -> str:
        if self.problem:
            return self.problem
        if self.differs:
            return f"Unsaved changes: the running configuration differs from {self.location.path}."
        when = f" (saved {self.saved_at:%Y-%m-%d %H:%M})" if self.saved_at else ""
        return f"Saved{when}."


def status(root: str = "/", location: SaveLocation | None = None, *,
           running_config: Mapping | None = None) -> SaveStatus:
    location = location or locate(root)
    if not os.path.exists(location.path):
        current = running_config if running_config is not None else running(root)
        empty = not current.get("storage_objects") and not current.get("targets")
        problem = None if empty else f"Never saved: {location.path} does not exist; this configuration is lost at reboot."
        return SaveStatus(location, None, not empty, None, problem)
    try:
        saved = load(location.path)
    except SaveFileError as exc:
        return SaveStatus(location, None, None, None, f"Cannot tell whether it is saved: {exc}")
    when = datetime.fromtimestamp(os.path.getmtime(location.path))
    current = running_config if running_config is not None else running(root)
    found = diff(saved, current)
    return SaveStatus(location, when, not found.empty, found)


def differs(root: str = "/", location: SaveLocation | None = None) -> bool | None:
    return status(root, location).differs


# ---------------------------------------------------------------------------
# Restore
# ---------------------------------------------------------------------------


def _part(data: Mapping, target: str | None) -> dict[str, Any]:
    if target is None:
        return {k: data.get(k) or [] for k in ("storage_objects", "targets", "fabric_modules")}
    try:
        return export_target(data, target)
    except SaveFileError:
        return {"storage_objects": [], "targets": [], "fabric_modules": []}


def preview(current: Mapping, data: Mapping, *, target: str | None = None) -> ConfigDiff:
    """What restoring ``data`` (or its ``target``) changes in the running configuration ``current``.

    For one target, backstores already present are kept as they are, so
    only missing ones are listed as added.
    """
    if target is not None:
        wanted = _part(data, target)
        present = {(s.get("plugin"), s.get("name")) for s in current.get("storage_objects") or ()}
        mine = _part(current, target)
        keep = [s for s in current.get("storage_objects") or ()
                if (s.get("plugin"), s.get("name")) in {(x.get("plugin"), x.get("name"))
                                                         for x in wanted["storage_objects"]}]
        mine["storage_objects"] = keep
        wanted["storage_objects"] = keep + [s for s in wanted["storage_objects"]
                                            if (s.get("plugin"), s.get("name")) not in present]
        return diff(mine, wanted, old_name="running", new_name="restored")
    return diff(_part(current, None), _part(data, None), old_name="running", new_name="restored")


@dataclass(frozen=True, slots=True)
class ObjectResult:
    kind: str
    key: tuple
    label: str
    status: str  #: "restored", "incomplete", "failed", "kept"
    messages: tuple[str, ...] = ()

    def line(self) -> str:
        text = f"[{self.status}] {self.label}"
        if self.messages:
            text += ": " + "; ".join(self.messages)
        return text


@dataclass(frozen=True, slots=True)
class RestoreReport:
    source: str
    target: str | None
    results: tuple[ObjectResult, ...]
    errors: tuple[str, ...] = ()
    kept_running: str | None = None
    unmatched: tuple[str, ...] = field(default_factory=tuple)
    plan: Any = None  #: the :class:`~sanctl.lio.plan.Plan` that was applied
    outcome: str | None = None  #: the transaction's outcome (completed, rolled back…)

    @property
    def ok(self) -> bool:
        return all(r.status in ("restored", "kept") for r in self.results) and not self.unmatched

    def message(self) -> str:
        bad = [r for r in self.results if r.status not in ("restored", "kept")]
        what = f"target {self.target}" if self.target else "the configuration"
        keep = f" The running configuration before it is kept in {self.kept_running}." if self.kept_running else ""
        if self.outcome == "rolled back":
            return (f"Restore of {what} from {self.source} FAILED and was rolled back: nothing changed."
                    f"{keep}")
        if not bad and not self.unmatched:
            n = len(self.results)
            steps = ""
            if self.plan is not None:
                k = len(self.plan.steps)
                steps = f" {k} step{'s' if k != 1 else ''} applied." if k else " Nothing had to change."
            return (f"Restored {what} from {self.source}: all {n} object{'s' if n != 1 else ''} restored."
                    f"{steps}{keep}")
        return (f"PARTIAL restore of {what} from {self.source}: {len(bad)} of {len(self.results)} objects "
                f"not restored as saved.{keep}")

    def lines(self) -> list[str]:
        out = [self.message(), *(f"  {r.line()}" for r in self.results)]
        out.extend(f"  [error] {e}" for e in self.unmatched)
        return out


def _mentions(error: str, kind: str, key: tuple) -> bool:
    names = [str(k) for k in key if isinstance(k, str)]
    if kind == "storage_object":
        return f"{key[0]}/{key[1]}" in error or f"StorageObject {key[1]}" in error or f"'{key[1]}'" in error
    return any(n in error for n in names if len(n) > 3)


def _results(expected: Mapping, now: Mapping, errors: list[str]) -> tuple[list[ObjectResult], list[str]]:
    """Each top-level object of ``expected`` checked against ``now``, with the errors naming it."""
    after = diff(expected, now, old_name="file", new_name="restored")
    used_errors: set[int] = set()
    out = []
    tops: list[tuple[str, Any]] = [("storage_object", (s.get("plugin"), s.get("name")))
                                   for s in expected.get("storage_objects") or ()]
    tops += [("fabric", f.get("name")) for f in expected.get("fabric_modules") or ()]
    tops += [("target", (t.get("fabric"), t.get("wwn"))) for t in expected.get("targets") or ()]
    for kind, key in tops:
        problems = [e for e in after.entries if e.key[0] == key and (e.kind == "fabric") == (kind == "fabric")]
        messages = []
        for i, err in enumerate(errors):
            if _mentions(err, kind, key if isinstance(key, tuple) else (key,)):
                messages.append(err)
                used_errors.add(i)
        if any(len(p.key) == 1 and p.status == REMOVED for p in problems):
            state = "failed"
        elif problems or any(": warning:" not in m for m in messages):
            state = "incomplete"
            messages.extend(p.line() for p in problems)
        else:
            state = "restored"
        out.append(ObjectResult(kind, key if isinstance(key, tuple) else (key,), _label(kind, key, ""), state,
                                tuple(messages)))
    unmatched = [e for i, e in enumerate(errors) if i not in used_errors and ": warning:" not in e]
    return out, unmatched


def restore(writer, data: Mapping, *, target: str | None = None, source: str = "file",
            location: SaveLocation | None = None, now: datetime | None = None, expected=None) -> RestoreReport:
    """Restore ``data`` (or its ``target`` with the backstores it uses) and report per object.

    The file becomes a plan (:mod:`sanctl.lio.plan`) with prune: it is
    validated whole first — any problem refuses it (:class:`~sanctl.lio.apply.PlanRefused`)
    before anything is touched — and only what differs from the running
    configuration is changed, as one transaction rolled back on failure.
    Objects that do not differ are not touched, so their sessions stay.
    The running configuration is kept first as ``backup/prerestore-…-json.gz``
    (0600, the last 10). Each object of the file is then checked against
    what configfs holds: restored, incomplete or failed. ``expected`` is
    the plan the operator confirmed: a different one now is refused.
    """
    from sanctl.lio import apply as A

    writer.check_writable()
    location = location or locate(writer.root)
    now = now or datetime.now()
    if target is not None and not any(isinstance(t, Mapping) and t.get("wwn") == target
                                      for t in data.get("targets") or ()):
        raise SaveFileError(f"there is no target {target} in {source}")
    A.parse_saveconfig(data, source)
    with writer.locked():
        found = A.preview(writer, data, prune=True, target=target)
        if not found.ok:
            raise A.PlanRefused(found, source)
        if expected is not None and found.changes != expected.changes:
            raise A.PlanChanged("the running configuration changed since the plan was shown; nothing was "
                                "changed: look at the new plan and confirm again")
        before = running(writer.root)
        kept_path, _ = _keep_backup(location, render(before), "prerestore", list_prerestore(location),
                                    MAX_BACKUPS, now)
        if kept_path is None and list_prerestore(location):
            kept_path = list_prerestore(location)[0].path
        present = {(s.get("plugin"), s.get("name")) for s in before.get("storage_objects") or ()}
        applied = writer.apply(found.changes)
        errors = [] if applied.ok else [applied.message(), *(str(e) for e in applied.undo_errors)]
        now_running = running(writer.root)
    expected_part = _part(data, target)
    kept: set[tuple[str, str]] = set()
    if target is not None:
        kept = {(s.get("plugin"), s.get("name")) for s in expected_part["storage_objects"]} & present
        expected_part = dict(expected_part)
        expected_part["storage_objects"] = [s for s in expected_part["storage_objects"]
                                            if (s.get("plugin"), s.get("name")) not in kept]
        now_part = _part(now_running, target)
        now_part["storage_objects"] = [s for s in now_running.get("storage_objects") or ()
                                       if (s.get("plugin"), s.get("name")) in
                                       {(x.get("plugin"), x.get("name")) for x in expected_part["storage_objects"]}]
    else:
        now_part = _part(now_running, None)
    results, unmatched = _results(expected_part, now_part, errors)
    if errors and not unmatched:
        unmatched = [e for e in errors if e not in {m for r in results for m in r.messages}]
    results = [ObjectResult("storage_object", key, f"backstore {key[0]}/{key[1]}", "kept",
                            ("already present: kept as it is",)) for key in sorted(kept)] + results
    return RestoreReport(source, target, tuple(results), tuple(errors), kept_path, tuple(unmatched), found,
                         applied.outcome)
