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

The parts live in their own modules and are re-exported here, so
``savefile.X`` keeps working: :mod:`~sanctl.lio.save_location` (where the
file is, what the boot service reads), :mod:`~sanctl.lio.save_files`
(reading, writing, backups) and :mod:`~sanctl.lio.config_diff` (the
diff). This module holds saving, the save status and restore.

No Textual here.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sanctl.lio.errors import SaveRefused
from sanctl.lio.report import touched_scope  # noqa: F401  (re-exported: it only reads a report)
from sanctl.lio.config_diff import (ADDED, CHANGED, IGNORED_FIELDS, REMOVED, ConfigDiff, ObjectDiff,
                                    _label, diff)
from sanctl.lio.save_files import (_BACKUP_RE, _PRERESTORE_RE, _STAMP, MAX_DEPTH, MAX_FILE_BYTES, MODE,
                                   Backup, SaveFileError, _content_key, _ensure_dir, _free_name, _gzip,
                                   _keep_backup, _read_backup, check_shape, list_backups, list_prerestore, load,
                                   load_saveconfig, render, write_atomic)
from sanctl.lio.save_location import (BACKUP_DIR, DEBIAN_DIR, FILE_NAME, MAX_BACKUPS, REDHAT_DIR, BootRtslib,
                                      SaveLocation, boot_rtslib, data_exclusive, for_boot, locate, max_backups)

__all__ = [
    "ADDED", "BACKUP_DIR", "CHANGED", "DEBIAN_DIR", "FILE_NAME", "IGNORED_FIELDS", "MAX_BACKUPS", "MAX_DEPTH",
    "MAX_FILE_BYTES", "MODE", "REDHAT_DIR", "REMOVED", "Backup", "BootRtslib", "ConfigDiff", "ObjectDiff",
    "ObjectResult", "RestoreReport", "RunningCache", "SaveFileError", "SaveLocation", "SaveRefused", "SaveResult",
    "SaveStatus", "boot_rtslib", "check_shape", "count_objects", "data_exclusive", "diff", "differs",
    "export_target", "for_boot", "list_backups", "list_prerestore", "load", "load_saveconfig", "locate",
    "max_backups", "preview", "render", "restore", "running", "save", "save_guard", "status", "touched_scope",
    "write_atomic", "_BACKUP_RE", "_PRERESTORE_RE", "_STAMP", "_content_key", "_ensure_dir", "_free_name", "_gzip",
    "_keep_backup", "_read_backup",
]


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



def running(root: str = "/") -> dict[str, Any]:
    """The running configuration as saveconfig.json would hold it (sanctl's reader; no root needed to read)."""
    from sanctl.lio.configfs import read_config
    from sanctl.lio.saveconfig import dump

    return dump(read_config(root, details=True))


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
