#!/usr/bin/env python3
"""A stand-in for open-iscsi's iscsiadm that replays what the real one printed.

Run through a shell shim named ``iscsiadm`` put first on PATH (see
``conftest.py``). It reads the scenario file named by ``$FAKE_ISCSIADM_SCENARIO``:

    {"rules": [
        {"match": ["-m", "node", "--login"], "case": "login_auth_failure_no_chap"},
        {"match": ["-m", "session"], "rc": 21, "stderr": "iscsiadm: No active sessions.\\n"},
        {"match": ["--discover"], "sleep": 60, "times": 1}
     ]}

The first rule whose ``match`` is a subsequence of argv (same order, gaps
allowed) and that has not been used ``times`` times answers. ``case`` takes
rc, stdout and stderr from a captured case of
``tests/fixtures/initiator/iscsiadm-cases.json`` (or the file named by the
scenario's ``"cases"``); ``rc``/``stdout``/``stderr`` given in the rule win.
``sleep`` waits that long after stdout is written: the HANG a wrapper must survive. With
``until`` (a file path) the wait ends as soon as that file exists, so a test decides when a
"hung" call returns instead of racing a clock. No rule
matching is exit 7 with a message naming argv, so a test sees the stray call.

Every call is appended to ``$FAKE_ISCSIADM_LOG`` (JSON lines: argv, rule, pid)
before anything is printed or slept.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

CASES = Path(__file__).resolve().parents[1] / "fixtures" / "initiator" / "iscsiadm-cases.json"


def is_subsequence(pattern: list[str], argv: list[str]) -> bool:
    position = 0
    for token in pattern:
        try:
            position = argv.index(token, position) + 1
        except ValueError:
            return False
    return True


def load_cases(path: str | Path) -> dict[str, dict]:
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    return {case["name"]: case for case in data["cases"]}


def used_counts(log: str | None) -> dict[int, int]:
    counts: dict[int, int] = {}
    if not log or not os.path.exists(log):
        return counts
    with open(log, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                rule = json.loads(line).get("rule")
                if rule is not None:
                    counts[rule] = counts.get(rule, 0) + 1
    return counts


def answer(argv: list[str], scenario: dict, counts: dict[int, int]) -> tuple[int | None, dict]:
    for index, rule in enumerate(scenario.get("rules", [])):
        if not is_subsequence(rule.get("match", []), argv):
            continue
        times = rule.get("times")
        if times is not None and counts.get(index, 0) >= times:
            continue
        reply = {"rc": 0, "stdout": "", "stderr": ""}
        if "case" in rule:
            cases = load_cases(scenario.get("cases", CASES))
            case = cases[rule["case"]]
            reply.update(rc=case["rc"], stdout=case["stdout"], stderr=case["stderr"])
        for key in ("rc", "stdout", "stderr", "sleep", "until"):
            if key in rule:
                reply[key] = rule[key]
        return index, reply
    return None, {"rc": 7, "stdout": "", "stderr": f"iscsiadm: fake: no scenario rule for: {' '.join(argv)}\n"}


def wait(seconds: float, until: str | None) -> None:
    """Sleep ``seconds``, or less once the file ``until`` exists."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if until is not None and os.path.exists(until):
            return
        time.sleep(0.02 if until is not None else max(0.0, deadline - time.monotonic()))


def main(argv: list[str]) -> int:
    scenario_path = os.environ.get("FAKE_ISCSIADM_SCENARIO")
    if not scenario_path:
        sys.stderr.write("iscsiadm: fake: FAKE_ISCSIADM_SCENARIO is not set\n")
        return 7
    with open(scenario_path, encoding="utf-8") as handle:
        scenario = json.load(handle)
    log = os.environ.get("FAKE_ISCSIADM_LOG")
    index, reply = answer(argv, scenario, used_counts(log))
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"argv": argv, "rule": index, "pid": os.getpid(),
                                     "lc_all": os.environ.get("LC_ALL")}) + "\n")
    # stdout first (iscsiadm prints "Logging in to …" before it blocks), then the wait, then stderr.
    sys.stdout.write(reply["stdout"])
    sys.stdout.flush()
    if reply.get("sleep"):
        wait(float(reply["sleep"]), reply.get("until"))
    sys.stderr.write(reply["stderr"])
    sys.stderr.flush()
    return int(reply["rc"])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
