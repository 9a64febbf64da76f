"""``sanctl sessions [--json] [--watch]`` and ``sanctl errors [--json] [--follow]``.

Both read through the same sampler as the TUI (the host's: ``host.target.sampler()``),
never import Textual, and stop cleanly on Ctrl-C or a closed pipe. One-shot
``sessions`` shows counters as the kernel reported them (rates need two
readings: ``--watch`` prints them from the second one on). ``errors`` reads
the kernel log's history (and iscsid's, through journald) and, with
``--follow``, what comes next; ``--log FILE`` parses saved logs instead
(dmesg, journal JSON, kmsg records or iscsid lines, mixed freely).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: ``sanctl --help`` builds this module's parser without them
    from sanctl.live.sampler import Sampler


def add_arguments(commands: argparse._SubParsersAction) -> None:
    sessions = commands.add_parser("sessions", help="print the iSCSI sessions, connections and I/O counters")
    sessions.add_argument("--json", action="store_true", help="print JSON (one document; one line per sample with --watch)")
    sessions.add_argument("--watch", action="store_true", help="keep printing, with rates, every --interval seconds")
    sessions.add_argument("--interval", type=float, default=1.0, metavar="SECONDS", help="sampling interval (default 1)")
    sessions.add_argument("--count", type=int, default=0, metavar="N", help="with --watch: stop after N samples")

    errors = commands.add_parser("errors", help="print iSCSI connection errors, their meaning and fix, and flapping")
    errors.add_argument("--json", action="store_true", help="print JSON (one document; one line per event with --follow)")
    errors.add_argument("--follow", action="store_true", help="keep printing new events as they come")
    errors.add_argument("--log", action="append", default=[], metavar="FILE",
                        help="read this saved log (dmesg, journalctl -o json, kmsg or iscsid lines) instead of the system's")
    errors.add_argument("--interval", type=float, default=1.0, metavar="SECONDS", help="polling interval (default 1)")
    errors.add_argument("--count", type=int, default=0, metavar="N", help="with --follow: stop after N polls")
    errors.add_argument("--observe", type=float, default=OBSERVE, metavar="SECONDS",
                        help="one-shot: when a 1020 is current, watch the sessions up to this long to name a shared "
                             f"initiator name (default {OBSERVE:g}; 0: one look)")


#: How long the one-shot ``errors`` watches the sessions when a 1020 is current (as the doctor does).
OBSERVE = 10.0
#: A 1020 (or a replaced session) this recent is going on now.
FLAPPING_NOW = 30.0


def flapping_now(frame) -> bool:
    """A connection error 1020, or a session replaced, in the last half minute: one is enough to look
    again (asked right after another host's first login, the log holds one 1020, not yet a flap)."""
    return any(f.kind == "connection_flap" and 1020 in f.codes and f.last is not None
               and frame.wall - f.last <= FLAPPING_NOW for f in frame.findings) or any(
        i.kind == "target_session_reinstated" or i.code == 1020
        for i in frame.incidents if i.time is not None and frame.wall - i.time <= FLAPPING_NOW)


def observe(sampler: Sampler, frame, seconds: float, *, clock: Callable[[], float] = time.monotonic,
            sleep: Callable[[float], None] = time.sleep, interval: float = 0.5):
    """Look again for up to ``seconds`` while a 1020 is current, until a shared initiator name is named.

    One look shows each ACL's current session only; a session replaced from
    another address — two hosts with one name — shows over a few looks.
    """
    if seconds <= 0 or not flapping_now(frame):
        return frame
    end = clock() + seconds
    while not any(f.kind == "shared_initiator_name" and f.active for f in frame.findings) and clock() < end:
        sleep(interval)
        frame = sampler.sample()
    return frame


def _sampler(source, *, follow: bool, logs: list[str] | None = None) -> Sampler:
    from sanctl.live.sampler import LiveConfig

    config = LiveConfig(all_hot_below=10**9, mapped_all=True)
    sampler = source.target.sampler(follow=follow, config=config)
    if logs:
        from sanctl.kernel_log import FileTailSource, boot_wall_time

        for old in sampler.sources:
            old.close()
        boot = boot_wall_time(source.root) if source.root != "/" else None
        sampler.sources = [FileTailSource(path, boot_wall=boot) for path in logs]
    return sampler


def _loop(interval: float, count: int, step: Callable[[], None]) -> int:
    n = 0
    try:
        while True:
            started = time.monotonic()
            step()
            sys.stdout.flush()
            n += 1
            if count and n >= count:
                return 0
            time.sleep(max(0.0, interval - (time.monotonic() - started)))
    except KeyboardInterrupt:
        return 130


def cmd_sessions(args: argparse.Namespace, source) -> int:
    from sanctl.live.report import sessions_json, sessions_text

    sampler = _sampler(source, follow=False)
    try:
        if not args.watch:
            frame = sampler.sample()
            if args.json:
                json.dump(sessions_json(frame, source.root), sys.stdout, indent=2)
                sys.stdout.write("\n")
            else:
                sys.stdout.write(sessions_text(frame))
            return 0

        def step() -> None:
            frame = sampler.sample()
            if args.json:
                sys.stdout.write(json.dumps(sessions_json(frame, source.root), separators=(",", ":")) + "\n")
            else:
                sys.stdout.write(f"--- {time.strftime('%H:%M:%S', time.localtime(frame.wall))}\n")
                sys.stdout.write(sessions_text(frame))

        return _loop(max(0.2, args.interval), args.count, step)
    finally:
        sampler.close()


def cmd_errors(args: argparse.Namespace, source) -> int:
    from sanctl.live.report import errors_json, errors_text, finding_json, incident_json, incident_text

    sampler = _sampler(source, follow=args.follow, logs=args.log)
    try:
        frame = sampler.sample()
        if not args.follow:
            if not args.log:
                frame = observe(sampler, frame, args.observe)
            if args.json:
                json.dump(errors_json(frame, source.root), sys.stdout, indent=2)
                sys.stdout.write("\n")
            else:
                sys.stdout.write(errors_text(frame))
            return 0
        if args.json:
            for incident in frame.incidents:
                sys.stdout.write(json.dumps({"incident": incident_json(incident)}, separators=(",", ":")) + "\n")
        else:
            sys.stdout.write(errors_text(frame))
        seen_incidents = {i.seq for i in frame.incidents}
        seen_findings = {(f.key, f.active) for f in frame.findings}

        def step() -> None:
            nonlocal seen_incidents, seen_findings
            current = sampler.sample()
            for incident in current.incidents:
                if incident.seq in seen_incidents:
                    continue
                seen_incidents.add(incident.seq)
                if args.json:
                    sys.stdout.write(json.dumps({"incident": incident_json(incident)}, separators=(",", ":")) + "\n")
                else:
                    sys.stdout.write(incident_text(incident) + "\n")
            for finding in current.findings:
                if (finding.key, finding.active) in seen_findings:
                    continue
                seen_findings.add((finding.key, finding.active))
                if args.json:
                    sys.stdout.write(json.dumps({"finding": finding_json(finding)}, separators=(",", ":")) + "\n")
                else:
                    state = "" if finding.active else " (stopped)"
                    sys.stdout.write(f"!! {finding.title}{state}\n" + "".join(f"   {line}\n" for line in finding.lines)
                                     + f"   fix: {finding.fix}\n")

        return _loop(max(0.2, args.interval), args.count, step)
    finally:
        sampler.close()
