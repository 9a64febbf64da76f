"""The one Runner: deadlines that stop the whole process group, bounded output, a fixed
environment, a missing program as a result, and writes refused on a read-only runner."""

from __future__ import annotations

import json
import os
import sys
import time

import pytest

from sanctl.host.runner import FIXED_ENV, Result, Runner, ScriptedRunner


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (not yet reaped by init) counts as gone.
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_hanging_child_is_stopped_at_its_deadline():
    result = Runner().run(["sleep", "60"], timeout=0.3)
    assert result.timed_out
    assert result.rc is None
    assert result.started and not result.missing


def test_the_deadline_stops_what_the_child_started_too(tmp_path):
    # The child starts a grandchild in its process group and hangs; both must go.
    pidfile = tmp_path / "grandchild.pid"
    script = f"sleep 60 & echo $! > {pidfile}; echo started; wait"
    result = Runner().run(["sh", "-c", script], timeout=1.0)
    assert result.timed_out
    assert "started" in result.stdout  # what it printed before the deadline is kept
    grandchild = int(pidfile.read_text())
    # SIGKILL is delivered at once; init reaps the orphan soon after: poll, do not time.
    for _ in range(100):
        if not _alive(grandchild):
            break
        time.sleep(0.05)
    assert not _alive(grandchild)


def test_a_finished_child_gives_its_code_and_output():
    result = Runner().run(["sh", "-c", "echo out; echo err >&2; exit 3"], timeout=10)
    assert (result.rc, result.stdout, result.stderr) == (3, "out\n", "err\n")
    assert not result.timed_out and not result.truncated and not result.ok


def test_a_missing_program_is_a_result_not_an_exception(tmp_path):
    runner = Runner(env={"PATH": str(tmp_path)}, sbin_dirs=(str(tmp_path / "none"),))
    result = runner.run(["no-such-tool-here", "--help"], timeout=5)
    assert result.missing and result.rc is None and not result.started
    assert result.stderr == "no-such-tool-here is not installed"
    gone = runner.run([str(tmp_path / "vanished"), "x"], timeout=5)
    assert gone.missing and gone.rc is None


def test_a_program_that_cannot_be_run_says_permission_denied(tmp_path):
    tool = tmp_path / "tool"
    tool.write_text("#!/bin/sh\necho hi\n")
    tool.chmod(0o644)
    if os.geteuid() == 0 and os.access(tool, os.X_OK):
        pytest.skip("root can execute anything here")
    result = Runner().run([str(tool)], timeout=5)
    assert result.denied and result.rc is None and result.error


def test_a_program_in_sbin_is_found_without_sbin_on_path(tmp_path):
    sbin = tmp_path / "sbin"
    sbin.mkdir()
    tool = sbin / "sbintool"
    tool.write_text("#!/bin/sh\necho found\n")
    tool.chmod(0o755)
    runner = Runner(env={"PATH": "/usr/bin:/bin"}, sbin_dirs=(str(sbin),))
    assert runner.run(["sbintool"], timeout=5).stdout == "found\n"
    assert runner.run(["sbintool"], timeout=5, sbin=False).missing


def test_a_write_on_a_read_only_runner_starts_nothing(tmp_path):
    marker = tmp_path / "ran"
    runner = Runner(read_only="opened with --read-only")
    result = runner.run(["touch", str(marker)], timeout=5, write=True)
    assert result.refused == "opened with --read-only"
    assert result.rc is None and not result.started
    assert not marker.exists()
    # A query still runs on a read-only runner.
    assert runner.run(["touch", str(marker)], timeout=5).rc == 0
    assert marker.exists()


def test_output_is_bounded():
    code = "import sys; sys.stdout.write('x' * 1_000_000); sys.stderr.write('y' * 10)"
    result = Runner(max_output=1000).run([sys.executable, "-c", code], timeout=30)
    assert result.rc == 0
    assert result.stdout == "x" * 1000
    assert result.stderr == "y" * 10
    assert result.truncated


def test_the_environment_is_fixed_over_the_base():
    code = "import os, json; print(json.dumps({k: os.environ.get(k) for k in ('LC_ALL', 'SYSTEMD_PAGER', "
    code += "'SYSTEMD_COLORS', 'KEEP', 'EXTRA')}))"
    base = dict(os.environ, LC_ALL="de_DE.UTF-8", KEEP="kept")
    result = Runner(env=base).run([sys.executable, "-c", code], timeout=30, env={"EXTRA": "1"})
    seen = json.loads(result.stdout)
    assert seen == {**FIXED_ENV, "KEEP": "kept", "EXTRA": "1"}
    assert seen["LC_ALL"] == "C"


def test_a_stream_reads_lines_and_closes():
    stream = Runner().stream(["sh", "-c", "echo one; echo two; exec sleep 60"])
    assert not isinstance(stream, Result)
    lines = iter(stream)
    assert next(lines) == "one\n"
    assert next(lines) == "two\n"
    stream.close()
    assert stream.closed
    missing = Runner(env={"PATH": ""}, sbin_dirs=()).stream(["no-such-journalctl"])
    assert isinstance(missing, Result) and missing.missing


# --- the scripted runner tests use instead of real programs -----------------------------
def test_the_scripted_runner_records_calls_and_replays_answers():
    runner = ScriptedRunner({"is-enabled": (0, "enabled\n", ""), "is-enabled x.service": (1, "", "no")})
    assert runner.run(["systemctl", "is-enabled", "iscsid.service"], timeout=5).stdout == "enabled\n"
    assert runner.run(["systemctl", "is-enabled", "x.service"], timeout=5).rc == 1
    assert runner.run(["systemctl", "other"], timeout=5).rc == 1  # no answer: exit 1
    assert [c.argv for c in runner.calls] == [("systemctl", "is-enabled", "iscsid.service"),
                                              ("systemctl", "is-enabled", "x.service"), ("systemctl", "other")]


def test_the_scripted_runner_refuses_writes_and_knows_missing_programs():
    runner = ScriptedRunner({"": (0, "", "")}, read_only="captured tree", missing=("multipath",))
    refused = runner.run(["systemctl", "restart", "iscsid"], timeout=5, write=True)
    assert refused.refused == "captured tree"
    assert runner.run(["multipath", "-ll"], timeout=5).missing
    assert runner.run(["systemctl", "status"], timeout=5).ok
    timed = ScriptedRunner(lambda argv: Result(argv, None, timed_out=True)).run(["iscsiadm"], timeout=1)
    assert timed.timed_out
