"""``sanctl doctor [--json] [--observe SECONDS]``: the doctor's findings, with exit codes for monitoring.

Exit codes (a Nagios-style check, or cron): **0** nothing found (or
information only), **1** warnings, **2** errors, **3** the doctor itself
failed. Text on stdout, most severe first; ``--json`` one document.

One look at the configuration (with every detail), the host's facts and the
live state (sessions, the targets' login counters, the kernel log's and
iscsid's recent connection errors). When that look shows a connection
flapping with error 1020, or an ACL's session that came back from another
address since the last run, the doctor watches the live state for up to
``--observe`` seconds (default 10, stopping as soon as it knows) to tell
whether one initiator name is in use on two hosts — one look cannot see a
session being replaced. What the run saw of the live state is kept for the
next run (:func:`sanctl.doctor.observe.state_path`), so login failures are
counted "since the last look". Never imports Textual.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import textwrap
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sanctl.doctor.findings import ERROR, INFO, WARNING, Finding, Report

if TYPE_CHECKING:
    from sanctl.host.protocol import Host

#: Exit code when the doctor could not do its job (Nagios' UNKNOWN).
FAILED = 3
DEFAULT_OBSERVE = 10.0


def add_parser(commands: Any) -> None:
    doctor = commands.add_parser(
        "doctor", help="what is wrong with this SAN, why it matters, how to fix it (exit 0 ok, 1 warnings, 2 errors)")
    doctor.add_argument("--json", action="store_true", help="print the findings as JSON")
    doctor.add_argument(
        "--observe", type=float, default=DEFAULT_OBSERVE, metavar="SECONDS",
        help=f"when a connection flaps with 1020, watch the sessions up to this long to see whether two hosts "
             f"share an initiator name (default {DEFAULT_OBSERVE:g}; 0: one look)")


# ---------------------------------------------------------------------------
# the run
# ---------------------------------------------------------------------------


def _config(host):
    from sanctl.lio.errors import ConfigfsNotFound

    try:
        return host.target.read_config(details=True), None
    except ConfigfsNotFound:
        return host.target.empty_config(), "target: there is no LIO target on this host (initiator checks only)"


#: A connection whose last 1020 is older than this is not flapping now: nothing to watch.
FLAPPING_NOW = 30.0


def _suspects(config, snapshot, facts) -> set[str]:
    """Targets whose sessions are worth watching: a connection failing with 1020 right now (one error
    is enough), or a session back from another address since the last run."""
    from sanctl.doctor.rules import shared_names

    wall = snapshot.frame.wall
    found = {f.target for f in snapshot.frame.findings
             if f.kind == "connection_flap" and 1020 in f.codes and f.target
             and f.last is not None and wall - f.last <= FLAPPING_NOW}
    found |= {i.target for i in snapshot.frame.incidents
              if i.code == 1020 and i.target and i.time is not None and wall - i.time <= FLAPPING_NOW}
    found |= {key[0] for key, trail in snapshot.trails.items() if trail.replaced and len(trail.addresses) >= 2}
    return found - {key[0] for key in shared_names(config, snapshot, facts)}


def run(source: Host, *, observe: float = DEFAULT_OBSERVE, clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep,
        iscsiadm: Any = None, progress: Callable[[str], None] | None = None, keep: bool = True) -> Report:
    """Evaluate every rule on ``source`` (the :class:`~sanctl.host.protocol.Host` the CLI built).

    ``iscsiadm`` replaces the one the facts would use (tests); ``keep=False``
    neither reads nor writes the last look.
    """
    from sanctl.doctor import facts as F
    from sanctl.doctor.observe import Observer, load_last_look, save_last_look, state_path
    from sanctl.doctor.rules import evaluate

    config, missing = _config(source)
    save_status: Any = F._UNSET
    if not source.capabilities.has_live or missing:
        save_status = None
    else:
        from sanctl.lio.saveconfig import dump

        try:
            save_status = source.target.save_status(running_config=dump(config))
        except Exception:  # an unreadable file is the status's own problem; anything else: let facts say
            save_status = F._UNSET
    options: dict[str, Any] = {"host": source, "save_status": save_status}
    if iscsiadm is not None:
        options["iscsiadm"] = iscsiadm
    facts = F.gather(config, **options)
    notes = [missing] if missing else []

    from sanctl.live.frame import LiveConfig

    path = state_path(source) if keep else None
    observer = Observer(load_last_look(path, notes))
    sampler = source.target.sampler(clock=clock, wall_clock=wall_clock, follow=False,
                                    config=LiveConfig(all_hot_below=10**9))
    try:
        observer.add(sampler.sample())
        snapshot = observer.snapshot()
        started = clock()
        watching = _suspects(config, snapshot, facts) if observe > 0 else set()
        if watching and progress is not None:
            progress(f"watching the sessions of {', '.join(sorted(watching))} for up to {observe:g} s…")
        while watching and clock() - started < observe:
            sleep(1.0)
            observer.add(sampler.sample())
            snapshot = observer.snapshot()
            watching = _suspects(config, snapshot, facts) & watching
    finally:
        sampler.close()
    if path is not None:
        look = observer.last_look()
        try:
            if look is not None:
                save_last_look(path, look)
        except OSError as exc:
            notes.append(f"last look: could not be kept in {path} ({exc.strerror or exc}): the next run counts "
                         "login failures from the module's start")
    report = evaluate(config, snapshot, facts, observed=snapshot.watched if snapshot else 0.0)
    return Report.of(report.findings, (*notes, *report.not_checked), observed=report.observed, live=report.live)


# ---------------------------------------------------------------------------
# output
# ---------------------------------------------------------------------------

_WORD = {ERROR: "ERROR", WARNING: "WARNING", INFO: "INFO"}


def finding_json(finding: Finding) -> dict[str, Any]:
    action = None
    if finding.action is not None:
        action = {"describe": finding.action.describe(), "targetcli": finding.action.targetcli()}
    return {"rule": finding.rule, "severity": finding.severity, "title": finding.title, "why": list(finding.why),
            "fix": finding.fix, "objects": list(finding.objects), "details": list(finding.details),
            "panel": finding.panel, "action": action}


def report_json(report: Report, source) -> dict[str, Any]:
    return {
        "summary": {"errors": report.errors, "warnings": report.warnings, "info": report.count(INFO),
                    "exit_code": report.exit_code, "text": report.summary()},
        "mode": source.mode,
        "observed_seconds": round(report.observed, 1),
        "live": report.live,
        "findings": [finding_json(f) for f in report.findings],
        "not_checked": list(report.not_checked),
    }


def report_text(report: Report, *, width: int = 100) -> str:
    indent = " " * 9
    wrap = textwrap.TextWrapper(width=max(60, width), subsequent_indent=indent, break_long_words=False,
                                break_on_hyphens=False)
    out = [f"sanctl doctor: {report.summary()}"]
    if report.observed >= 1:
        out.append(f"(the live state was watched for {report.observed:.0f} s)")
    for finding in report.findings:
        out.append("")
        out.append(wrap.fill(f"{_WORD[finding.severity]:<8} {finding.title}"))
        wrap.initial_indent = indent
        for line in finding.why:
            out.append(wrap.fill(line))
        for line in finding.details[:12]:
            out.append(wrap.fill(f"  {line}"))
        if len(finding.details) > 12:
            out.append(f"{indent}  … {len(finding.details) - 12} more")
        out.append(wrap.fill(f"fix: {finding.fix}"))
        if finding.action is not None:
            out.append(wrap.fill(f"safe fix: {finding.action.describe()} (targetcli: {finding.action.targetcli()}; "
                                 "or f on the doctor panel)"))
        if finding.objects:
            more = f" (+{len(finding.objects) - 1} more)" if len(finding.objects) > 1 else ""
            out.append(wrap.fill(f"at: {finding.objects[0]}{more}"))
        wrap.initial_indent = ""
    if report.not_checked:
        out.append("")
        out.append("Not checked:")
        for note in report.not_checked:
            out.append(textwrap.fill(note, width=max(60, width), initial_indent="  - ", subsequent_indent="    "))
    return "\n".join(out) + "\n"


def cmd_doctor(args: argparse.Namespace, source) -> int:
    progress = None
    if not args.json and sys.stderr.isatty():
        def progress(text: str) -> None:
            print(text, file=sys.stderr, flush=True)
    try:
        report = run(source, observe=max(0.0, args.observe), progress=progress)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the doctor failing is not the SAN failing: Nagios' UNKNOWN, with the reason
        print(f"sanctl doctor: could not check: {type(exc).__name__}: {exc}", file=sys.stderr)
        return FAILED
    if args.json:
        json.dump(report_json(report, source), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        width = min(120, shutil.get_terminal_size((100, 24)).columns)
        text = report_text(report, width=width)
        sys.stdout.write(source.show_path(text))
    return report.exit_code

