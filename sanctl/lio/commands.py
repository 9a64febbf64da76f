"""``sanctl save``, ``diff``, ``apply``, ``restore``, ``backups`` and ``export --target``.

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
    save.add_argument("--force", action="store_true",
                      help="save even an empty configuration (or one with fewer than half the objects) "
                           "over a fuller saved one; and " + _FORCE_HELP)

    diff = commands.add_parser("diff", help="what differs between the running and the saved configuration")
    diff.add_argument("file", nargs="?", metavar="FILE",
                      help="compare with this file or backup instead of saveconfig.json")
    diff.add_argument("--json", action="store_true", help="print the differences as JSON")
    diff.add_argument("--exit-code", action="store_true", help="exit 1 when they differ")

    apply = commands.add_parser(
        "apply", help="make the running configuration what a saveconfig.json or a targetcli script says "
                      "(validated whole, only what differs, previewed first)")
    apply.add_argument("file", metavar="FILE", help="a saveconfig.json (the desired configuration) or a text file "
                                                    "of targetcli commands")
    apply.add_argument("--target", metavar="WWN", help="only this target (and the backstores it needs)")
    apply.add_argument("--prune", action="store_true",
                       help="also delete what the saveconfig file does not have (a script deletes with 'delete')")
    apply.add_argument("--dry-run", action="store_true", help="only show the plan")
    apply.add_argument("--yes", action="store_true", help="apply without asking (needed when not on a terminal)")
    apply.add_argument("--json", action="store_true", help="print the plan and the result as JSON")
    apply.add_argument("--force", action="store_true", help=_FORCE_HELP)

    restore = commands.add_parser("restore", help="restore a saved configuration or backup (previewed first)")
    restore.add_argument("file", metavar="FILE", help="a saveconfig file, or the name of a backup (see 'sanctl backups')")
    restore.add_argument("--target", metavar="WWN", help="restore only this target and the backstores it uses")
    restore.add_argument("--dry-run", action="store_true", help="only show what would change")
    restore.add_argument("--yes", action="store_true", help="apply without asking (needed when not on a terminal)")
    restore.add_argument("--json", action="store_true", help="print the plan and the report as JSON")
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
    """The host's writer (``source``: the Host the CLI built); ``--force`` writes past a user's lock."""
    writer = source.target.writer()
    writer.ignore_user_locks = bool(getattr(args, "force", False))
    return writer


def _resolve(name: str, source) -> str | None:
    """A file path, or the name (or unique prefix) of a kept backup."""
    from sanctl.lio import savefile as S

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
    from sanctl.lio import savefile as S
    from sanctl.lio.writer import WriteRefused

    writer = _writer(source, args)
    try:
        result = S.save(writer, force=getattr(args, "force", False))
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
    from sanctl.lio import savefile as S

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
    from sanctl.lio import savefile as S

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


def _check_target(target: str | None, data: dict, path: str) -> str | None:
    """``--target`` normalised; raises ValueError with the message when it is bad or not in the file."""
    from sanctl.names import InvalidValue, check_iscsi_name

    if target is None:
        return None
    try:
        target = check_iscsi_name(target) if target.lower().startswith(("iqn.", "eui.")) else target
    except InvalidValue as exc:
        raise ValueError(f"--target: {exc}") from None
    if not any(isinstance(t, dict) and t.get("wwn") == target for t in data.get("targets") or ()):
        raise ValueError(f"there is no target {target} in {path}")
    return target


def _plan_lines(found, heading: str) -> list[str]:
    lines = [heading, *found.lines()]
    if found.sessions:
        lines.append(f"! {len(found.sessions)} live session{'s' if len(found.sessions) != 1 else ''} "
                     "will be dropped or disturbed (listed under the steps).")
    return lines


def _confirm(args: argparse.Namespace, found, verb: str) -> str | None:
    """None when confirmed; else the reason it is not (exit code chosen by the caller)."""
    if args.yes:
        return None
    if not sys.stdin.isatty():
        return f"{verb} changes the running configuration: add --yes to go ahead (or --dry-run to only look)"
    word = verb if found.sessions else "yes"
    prompt = (f"Sessions will be dropped or disturbed. Type '{word}' to go ahead: " if found.sessions
              else f"{verb.capitalize()} these {len(found.steps)} steps? Type 'yes': ")
    try:
        answer = input(prompt)
    except EOFError:
        answer = ""
    return None if answer.strip() == word else "not confirmed: nothing was changed"


def _report_json(report) -> dict:
    return {"outcome": report.outcome, "message": report.message(),
            "steps": [{"status": st.status, "description": st.change.describe(), "targetcli": st.change.targetcli(),
                       "error": st.error} for st in report.steps]}


def cmd_apply(args: argparse.Namespace, source) -> int:
    from sanctl.lio import apply as A
    from sanctl.lio import savefile as S
    from sanctl.lio.writer import WriteRefused

    path = args.file
    if not os.path.exists(path):
        return _out(args, BAD_INPUT, f"{path}: no such file")
    writer = _writer(source, args)
    try:
        current = S.running(source.root)
    except OSError as exc:
        return _out(args, FAILED, f"cannot read the running configuration: {exc}")
    try:
        desired = A.read_desired(path, current)
        target = _check_target(args.target, desired.data, path)
    except S.SaveFileError as exc:
        return _out(args, BAD_INPUT, str(exc))
    except ValueError as exc:
        return _out(args, BAD_INPUT, str(exc))
    prune = args.prune or desired.prune
    base = {"file": path, "kind": desired.kind, "target": target, "prune": prune, "dry_run": bool(args.dry_run),
            "notes": desired.notes}
    try:
        found = A.preview(writer, desired.data, prune=prune, target=target)
    except Exception as exc:
        from sanctl.lio.writer import explain

        return _out(args, FAILED, f"cannot plan: {explain(exc)}")
    payload = {**base, **found.as_json()}
    if not found.ok:
        return _out(args, BAD_INPUT, _plan_lines(found, f"{path} is refused: nothing was changed."), payload)
    heading = f"Applying {path}{f' (target {target})' if target else ''}:"
    lines = _plan_lines(found, heading) + [f"note: {n}" for n in desired.notes]
    if args.dry_run or found.empty:
        return _out(args, OK, lines, payload)
    if not args.json:
        print("\n".join(lines))
    if writer.readonly:
        return _out(args, FAILED, f"read-only ({writer.readonly_reason}): nothing was changed", payload)
    refusal = _confirm(args, found, "apply")
    if refusal is not None:
        return _out(args, BAD_INPUT if not args.yes and not sys.stdin.isatty() else FAILED, refusal, payload)
    try:
        done, report = A.execute(writer, desired.data, prune=prune, target=target, expected=found)
    except A.PlanRefused as exc:
        return _out(args, BAD_INPUT, str(exc), payload)
    except (WriteRefused, A.PlanChanged) as exc:
        return _out(args, FAILED, str(exc), payload)
    code = OK if report.ok else FAILED
    payload = {**base, **done.as_json(), "result": _report_json(report)}
    if args.json:
        return _out(args, code, report.message(), payload)
    return _out(args, code, report.lines())


def cmd_restore(args: argparse.Namespace, source) -> int:
    from sanctl.lio import apply as A
    from sanctl.lio import savefile as S
    from sanctl.lio.writer import WriteRefused

    path = _resolve(args.file, source)
    if path is None:
        return _out(args, BAD_INPUT, f"{args.file}: no such file or backup (see 'sanctl backups')")
    try:
        data = A.parse_saveconfig(S.load(path), path)
        target = _check_target(args.target, data, path)
    except S.SaveFileError as exc:
        return _out(args, BAD_INPUT, str(exc))
    except ValueError as exc:
        return _out(args, BAD_INPUT, str(exc))
    writer = _writer(source, args)
    try:
        found = A.preview(writer, data, prune=True, target=target)
    except Exception as exc:
        from sanctl.lio.writer import explain

        return _out(args, FAILED, f"cannot read the running configuration: {explain(exc)}")
    what = f"target {target}" if target else "the whole configuration"
    base = {"file": path, "target": target, "dry_run": bool(args.dry_run)}
    payload = {**base, **found.as_json()}
    if not found.ok:
        return _out(args, BAD_INPUT, _plan_lines(found, f"{path} is refused: nothing was restored."), payload)
    lines = _plan_lines(found, f"Restoring {what} from {path}:")
    if args.dry_run:
        return _out(args, OK, lines, payload)
    if not args.json:
        print("\n".join(lines))
    if writer.readonly:
        return _out(args, FAILED, f"read-only ({writer.readonly_reason}): nothing was restored", payload)
    if not found.empty:
        refusal = _confirm(args, found, "restore")
        if refusal is not None:
            return _out(args, BAD_INPUT if not args.yes and not sys.stdin.isatty() else FAILED, refusal, payload)
    try:
        report = S.restore(writer, data, target=target, source=path, expected=found)
    except A.PlanRefused as exc:
        return _out(args, BAD_INPUT, str(exc), payload)
    except (WriteRefused, A.PlanChanged) as exc:
        return _out(args, FAILED, str(exc), payload)
    except S.SaveFileError as exc:
        return _out(args, BAD_INPUT, str(exc), payload)
    except Exception as exc:
        return _out(args, FAILED, f"restore failed: {type(exc).__name__}: {exc}", payload)
    code = OK if report.ok else FAILED
    if args.json:
        json.dump({"ok": report.ok, **payload, "kept_running": report.kept_running, "outcome": report.outcome,
                   "objects": [{"kind": r.kind, "label": r.label, "status": r.status, "messages": list(r.messages)}
                               for r in report.results],
                   "errors": list(report.errors)}, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return code
    stream = sys.stdout if report.ok else sys.stderr
    for line in report.lines():
        print(line, file=stream)
    return code


def cmd_export_target(args: argparse.Namespace, source) -> int:
    """``sanctl export --target WWN``: one target's part of the running configuration."""
    target = args.target
    from sanctl.lio import savefile as S

    try:
        part = S.export_target(S.running(source.root), target)
    except S.SaveFileError as exc:
        from sanctl.output import said

        return said(exc, BAD_INPUT)
    from sanctl.output import write_document

    return write_document(args, part)
