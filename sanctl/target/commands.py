"""``sanctl save``, ``diff``, ``restore``, ``backups`` and ``export --target``.

Scriptable, never Textual. Exit codes: 0 ok, 1 failure (a write or read
failed, read-only, targetcli's lock held, a partial restore), 2 bad input
(unknown file, target or option). Text on stdout, errors on stderr; with
``--json`` a JSON document on stdout in every case.

On ``--demo`` everything happens under the demo root (the save goes to
``<root>/etc/target/saveconfig.json``), so it can be tried anywhere.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

OK, FAILED, BAD_INPUT = 0, 1, 2


_FORCE_HELP = "write even when targetcli's lock is held by a process that is not root's (any user can hold it)"


def add_parsers(commands: Any) -> None:
    """Add ``save``, ``diff``, ``restore`` and ``backups`` to an argparse subparsers object."""
    save = commands.add_parser("save", help="make the running configuration the boot configuration (saveconfig.json)")
    save.add_argument("--json", action="store_true", help="print the result as JSON")
    save.add_argument("--force", action="store_true", help=_FORCE_HELP)

    diff = commands.add_parser("diff", help="what differs between the running and the saved configuration")
    diff.add_argument("file", nargs="?", metavar="FILE",
                      help="compare with this file or backup instead of saveconfig.json")
    diff.add_argument("--json", action="store_true", help="print the differences as JSON")
    diff.add_argument("--exit-code", action="store_true", help="exit 1 when they differ")

    restore = commands.add_parser("restore", help="restore a saved configuration or backup (previewed first)")
    restore.add_argument("file", metavar="FILE", help="a saveconfig file, or the name of a backup (see 'sanctl backups')")
    restore.add_argument("--target", metavar="WWN", help="restore only this target and the backstores it uses")
    restore.add_argument("--dry-run", action="store_true", help="only show what would change")
    restore.add_argument("--yes", action="store_true", help="apply without asking (needed when not on a terminal)")
    restore.add_argument("--json", action="store_true", help="print the preview and the report as JSON")
    restore.add_argument("--force", action="store_true", help=_FORCE_HELP)

    backups = commands.add_parser("backups", help="list the kept copies of saveconfig.json, newest first")
    backups.add_argument("--json", action="store_true", help="print the list as JSON")

    export = commands.choices.get("export")
    if export is not None:
        export.add_argument("--target", metavar="WWN",
                            help="only this target and the backstores it uses (a file 'sanctl restore' takes)")


def _out(args: argparse.Namespace, code: int, text: str | list[str], payload: dict | None = None) -> int:
    if getattr(args, "json", False):
        document = {"ok": code == OK, **(payload or {})}
        if code != OK and "error" not in document:
            document["error"] = text if isinstance(text, str) else "\n".join(text)
        json.dump(document, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
        return code
    lines = [text] if isinstance(text, str) else list(text)
    if code == OK:
        print("\n".join(lines))
    else:
        print("\n".join([f"sanctl: {lines[0]}", *lines[1:]]), file=sys.stderr)
    return code


def _writer(source, args: argparse.Namespace | None = None):
    from sanctl.target.writer import writer_for

    writer = writer_for(source)
    writer.ignore_user_locks = bool(getattr(args, "force", False))
    return writer


def _resolve(name: str, source) -> str | None:
    """A file path, or the name (or unique prefix) of a kept backup."""
    from sanctl.target import savefile as S

    if os.path.exists(name):
        return name
    location = S.locate(source.root)
    found = [b for b in S.list_backups(location) + S.list_prerestore(location)
             if b.name == name or b.name.startswith(name)]
    if len(found) == 1 or (found and found[0].name == name):
        return found[0].path
    return None


def _diff_json(found) -> list[dict]:
    return [{"kind": e.kind, "label": e.label, "status": e.status,
             "fields": [{"name": n, "old": a, "new": b} for n, a, b in e.fields]} for e in found.entries]


def cmd_save(args: argparse.Namespace, source) -> int:
    from sanctl.target import savefile as S
    from sanctl.target.writer import WriteRefused

    writer = _writer(source, args)
    try:
        result = S.save(writer)
    except (WriteRefused, S.SaveFileError) as exc:
        return _out(args, FAILED, str(exc))
    except Exception as exc:  # rtslib-fb's dump or anything else: a sentence, not a traceback
        return _out(args, FAILED, f"could not save: {type(exc).__name__}: {exc}")
    message = result.message()
    if getattr(source, "temporary", False):
        message += " (This demo root is temporary and goes when sanctl exits: use --demo --root DIR to keep it.)"
    return _out(args, OK, message, {"path": result.path, "backup": result.backup,
                                             "removed": list(result.removed), "unchanged": result.unchanged})


def cmd_diff(args: argparse.Namespace, source) -> int:
    from sanctl.target import savefile as S

    location = S.locate(source.root)
    path = location.path
    if args.file:
        path = _resolve(args.file, source)
        if path is None:
            return _out(args, BAD_INPUT, f"{args.file}: no such file or backup")
    elif not os.path.exists(path):
        return _out(args, FAILED, f"nothing saved yet: {path} does not exist")
    try:
        saved = S.load(path)
        current = S.running(source.root)
    except S.SaveFileError as exc:
        return _out(args, BAD_INPUT if args.file else FAILED, str(exc))
    except OSError as exc:
        return _out(args, FAILED, f"cannot read the configuration: {exc}")
    found = S.diff(saved, current, old_name="saved" if not args.file else os.path.basename(path))
    code = FAILED if args.exit_code and not found.empty else OK
    if args.json:
        json.dump({"ok": True, "file": path, "differs": not found.empty, "differences": _diff_json(found)},
                  sys.stdout, indent=2)
        sys.stdout.write("\n")
        return code
    print(f"Comparing the running configuration with {path}")
    for line in found.lines():
        print(line)
    return code


def cmd_backups(args: argparse.Namespace, source) -> int:
    from sanctl.target import savefile as S

    location = S.locate(source.root)
    items = S.list_backups(location)
    kept = S.list_prerestore(location)
    if args.json:
        json.dump({"ok": True, "saveconfig": location.path, "why": location.why,
                   "backups": [{"name": b.name, "path": b.path, "when": b.when, "size": b.size} for b in items],
                   "prerestore": [{"name": b.name, "path": b.path, "when": b.when} for b in kept]},
                  sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
        return OK
    print(f"{location.path} ({location.why})")
    if not items and not kept:
        print("No backups yet.")
    for b in items:
        print(f"  {b.label()}")
    if kept:
        print("Running configurations kept before a restore:")
        for b in kept:
            print(f"  {b.label()}")
    return OK


def cmd_restore(args: argparse.Namespace, source) -> int:
    from sanctl.names import InvalidValue, check_iscsi_name
    from sanctl.target import savefile as S
    from sanctl.target.writer import WriteRefused

    path = _resolve(args.file, source)
    if path is None:
        return _out(args, BAD_INPUT, f"{args.file}: no such file or backup (see 'sanctl backups')")
    try:
        data = S.load(path)
    except S.SaveFileError as exc:
        return _out(args, BAD_INPUT, str(exc))
    target = args.target
    if target is not None:
        try:
            target = check_iscsi_name(target) if target.lower().startswith(("iqn.", "eui.")) else target
        except InvalidValue as exc:
            return _out(args, BAD_INPUT, f"--target: {exc}")
        if not any(t.get("wwn") == target for t in data.get("targets") or ()):
            return _out(args, BAD_INPUT, f"there is no target {target} in {path}")
    try:
        current = S.running(source.root)
    except OSError as exc:
        return _out(args, FAILED, f"cannot read the running configuration: {exc}")
    preview = S.preview(current, data, target=target)
    what = f"target {target}" if target else "the whole configuration"
    if args.dry_run or not args.json:
        lines = [f"Restoring {what} from {path} would change:"] if not preview.empty else \
                [f"Restoring {what} from {path} changes nothing: it is already running."]
        lines += [f"  {e.line()}" for e in preview.entries]
    if args.dry_run:
        if args.json:
            json.dump({"ok": True, "file": path, "target": target, "dry_run": True,
                       "changes": _diff_json(preview)}, sys.stdout, indent=2)
            sys.stdout.write("\n")
        else:
            print("\n".join(lines))
        return OK
    if not args.json:
        print("\n".join(lines))
    writer = _writer(source, args)
    if writer.readonly:
        return _out(args, FAILED, f"read-only ({writer.readonly_reason}): nothing was restored")
    if not args.yes:
        if not sys.stdin.isatty():
            return _out(args, BAD_INPUT, "restore replaces the running configuration: add --yes to go ahead "
                                         "(or --dry-run to only look)")
        answer = input("Replace the running configuration? Type 'yes': ")
        if answer.strip() != "yes":
            return _out(args, FAILED, "not restored (not confirmed)")
    try:
        report = S.restore(writer, data, target=target, source=path)
    except WriteRefused as exc:
        return _out(args, FAILED, str(exc))
    except S.SaveFileError as exc:
        return _out(args, BAD_INPUT, str(exc))
    except Exception as exc:
        return _out(args, FAILED, f"restore failed: {type(exc).__name__}: {exc}")
    code = OK if report.ok else FAILED
    if args.json:
        json.dump({"ok": report.ok, "file": path, "target": target, "kept_running": report.kept_running,
                   "changes": _diff_json(preview),
                   "objects": [{"kind": r.kind, "label": r.label, "status": r.status, "messages": list(r.messages)}
                               for r in report.results],
                   "errors": list(report.errors)}, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return code
    stream = sys.stdout if report.ok else sys.stderr
    for line in report.lines():
        print(line, file=stream)
    return code


def cmd_export(args: argparse.Namespace, source) -> int:
    """``sanctl export [--target WWN]``: without a target, the unchanged whole-configuration export."""
    target = getattr(args, "target", None)
    if target is None:
        from sanctl.cli import cmd_export as whole

        return whole(args, source)
    from sanctl.target import savefile as S

    try:
        part = S.export_target(S.running(source.root), target)
    except S.SaveFileError as exc:
        print(f"sanctl: {exc}", file=sys.stderr)
        return BAD_INPUT
    from sanctl.cli import write_document

    return write_document(args, part)
