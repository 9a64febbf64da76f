"""The journal of multi-step changes (issue 12, item 7).

A transaction run in a child process is killed (SIGKILL) in the middle of
its plan; the journal it leaves is then finished or undone through the
writer, and either way the configuration is consistent: exactly what the
whole transaction makes, or exactly what was there before.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap

import pytest

from sanctl.sim.demo import RAC_CLIENTS, RAC_IQN, WEB_IQN
from sanctl.sim.writer import SimWriter
from sanctl.lio import changes as C
from sanctl.lio import journal as J
from sanctl.lio.configfs import read_config
from sanctl.lio.saveconfig import dump
from sanctl.lio.writer import COMPLETED, NOTHING_TO_DO, ROLLED_BACK_ALL, WriteRefused

from .conftest import canonical

#: Every change of the transaction the child runs (deletes and settings: nothing random, so
#: the expected end state can be computed on a copy).
TRANSACTION = [
    C.SetAclTag(RAC_IQN, 1, RAC_CLIENTS[0], "rac-nodes"),
    C.DeleteTarget(WEB_IQN),
    C.tpg_attribute(RAC_IQN, 1, "default_cmdsn_depth", 32),
    C.DeleteAcl(RAC_IQN, 1, RAC_CLIENTS[1]),
]

CHILD = textwrap.dedent("""
    import os, signal, sys
    from sanctl.sim.writer import SimWriter
    from sanctl.lio import journal as J

    class Killed(SimWriter):
        def execute(self, change):
            self.steps_run = getattr(self, "steps_run", 0) + 1
            if self.steps_run == int(sys.argv[2]):
                os.kill(os.getpid(), signal.SIGKILL)  # no finally, no atexit: like kill -9 or a power cut
            return super().execute(change)

    changes = [J.decode_change(c) for c in __import__("json").loads(sys.stdin.read())]
    Killed(sys.argv[1]).apply(changes)
    print("not killed")
""")


def _state(root) -> dict:
    return canonical(dump(read_config(str(root), details=True)))


def _killed_at(root, step: int) -> subprocess.CompletedProcess:
    payload = json.dumps([J.encode_change(c) for c in TRANSACTION])
    return subprocess.run([sys.executable, "-c", CHILD, str(root), str(step)], input=payload, text=True,
                          capture_output=True, timeout=120)


def _expected(demo, tmp_path) -> dict:
    copy = tmp_path / "expected"
    shutil.copytree(demo, copy, symlinks=True)
    report = SimWriter(str(copy)).apply(TRANSACTION)
    assert report.outcome == COMPLETED, "\n".join(report.lines())
    return _state(copy)


def test_a_single_step_change_writes_no_journal(demo, writer):
    assert writer.apply([C.tpg_attribute(WEB_IQN, 1, "default_cmdsn_depth", 32)]).outcome == COMPLETED
    assert not os.path.exists(J.journal_path(str(demo)))


def test_a_completed_or_rolled_back_transaction_leaves_no_journal(demo, writer):
    assert writer.apply(TRANSACTION).outcome == COMPLETED
    assert not os.path.exists(J.journal_path(str(demo)))
    writer.fail_at = (2, OSError(5, "Input/output error"))
    report = writer.apply([C.DeleteTarget(RAC_IQN)])
    assert report.outcome == ROLLED_BACK_ALL
    assert not os.path.exists(J.journal_path(str(demo)))


@pytest.mark.parametrize("step", [1, 4, 9])
def test_killed_mid_plan_then_finished(demo, tmp_path, step):
    before = _state(demo)
    expected = _expected(demo, tmp_path)
    child = _killed_at(demo, step)
    assert child.returncode == -signal.SIGKILL, child.stdout + child.stderr
    path = J.journal_path(str(demo))
    assert path == str(demo / "var/lib/sanctl/journal.json")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    record = SimWriter(str(demo)).unfinished()
    assert record is not None and record.changes == tuple(TRANSACTION)
    assert _state(demo) not in (before, expected) or step == 1  # half applied (step 1 was killed before it ran)
    report = SimWriter(str(demo)).finish(record)
    assert report.outcome == COMPLETED, "\n".join(report.lines())
    assert _state(demo) == expected
    assert SimWriter(str(demo)).unfinished() is None


@pytest.mark.parametrize("step", [1, 4, 9])
def test_killed_mid_plan_then_undone(demo, step):
    before = _state(demo)
    child = _killed_at(demo, step)
    assert child.returncode == -signal.SIGKILL, child.stdout + child.stderr
    record = SimWriter(str(demo)).unfinished()
    report = SimWriter(str(demo)).undo(record)
    assert report.outcome in (ROLLED_BACK_ALL, NOTHING_TO_DO), "\n".join(report.lines())
    assert _state(demo) == before
    assert SimWriter(str(demo)).unfinished() is None


def test_the_journal_holds_the_plan_and_progress(demo):
    _killed_at(demo, 4)
    record = J.read(str(demo))
    states = [s.state for s in record.steps]
    assert states[:3] == [J.DONE] * 3 and states[3] == J.STARTED
    assert J.PENDING in states[4:] or len(states) == 4
    assert record.current == 1  # the DeleteTarget's cascade
    assert "interrupted at change 2 of 4" in record.summary()
    assert not any(line for line in record.lines() if "secret" in line.lower() and "chap-secret" in line)


def test_finish_and_undo_refuse_a_journal_that_changed_meanwhile(demo):
    _killed_at(demo, 4)
    record = J.read(str(demo))
    SimWriter(str(demo)).undo(J.read(str(demo)))
    with pytest.raises(WriteRefused):
        SimWriter(str(demo)).finish(record)


def test_a_damaged_journal_is_a_sentence(demo):
    path = J.journal_path(str(demo))
    os.makedirs(os.path.dirname(path))
    for content, reason in ((b"{", "not a sanctl journal"), (b'{"version": 1, "changes": 3}', "damaged"),
                            (json.dumps({"version": 1, "planned": 0, "steps": [], "changes": [
                                {"type": "DeleteTarget", "fields": {"target": "../../etc"}}]}).encode(),
                             "invalid DeleteTarget"),
                            (json.dumps({"version": 1, "planned": 0, "steps": [], "changes": [
                                {"type": "os.system", "fields": {}}]}).encode(), "does not know")):
        with open(path, "wb") as handle:
            handle.write(content)
        with pytest.raises(J.JournalError, match=reason):
            J.read(str(demo))


def test_a_journal_that_cannot_be_written_refuses_the_change_before_its_first_step(demo, writer):
    (demo / "var/lib").mkdir(parents=True, exist_ok=True)
    (demo / "var/lib/sanctl").write_text("a file where the journal's directory should be")
    before = _state(demo)
    report = writer.apply(TRANSACTION)
    assert report.outcome == ROLLED_BACK_ALL and "cannot write the journal" in report.message()
    assert _state(demo) == before


def test_a_line_torn_by_the_crash_is_ignored(demo):
    before = _state(demo)
    _killed_at(demo, 4)
    path = J.journal_path(str(demo))
    with open(path, "ab") as handle:
        handle.write(b'{"done": 3')  # what a power cut can leave of the last append
    record = J.read(str(demo))
    assert [s.state for s in record.steps][:4] == [J.DONE, J.DONE, J.DONE, J.STARTED]
    assert SimWriter(str(demo)).undo(record).outcome == ROLLED_BACK_ALL
    assert _state(demo) == before


def test_a_damaged_line_before_the_last_is_refused(demo):
    _killed_at(demo, 4)
    path = J.journal_path(str(demo))
    lines = open(path, "rb").read().split(b"\n")
    lines[1] = b'{"done": 999}'
    with open(path, "wb") as handle:
        handle.write(b"\n".join(lines))
    with pytest.raises(J.JournalError, match="damaged"):
        J.read(str(demo))


_KILLED_IN_ROLLBACK = textwrap.dedent("""
    import os, signal, sys
    from sanctl.sim.writer import SimWriter
    from sanctl.lio import journal as J

    class FailsThenKilled(SimWriter):
        def execute(self, change):
            self.n = getattr(self, "n", 0) + 1
            if self.n == 6:
                raise OSError(5, "Input/output error")  # a step fails: the rollback begins
            if self.n == 8:
                os.kill(os.getpid(), signal.SIGKILL)  # killed during the rollback
            return super().execute(change)

    changes = [J.decode_change(c) for c in __import__("json").loads(sys.stdin.read())]
    FailsThenKilled(sys.argv[1]).apply(changes)
""")


def test_killed_while_rolling_back_then_undone(demo):
    before = _state(demo)
    payload = json.dumps([J.encode_change(c) for c in TRANSACTION])
    child = subprocess.run([sys.executable, "-c", _KILLED_IN_ROLLBACK, str(demo)], input=payload, text=True,
                           capture_output=True, timeout=120)
    assert child.returncode == -signal.SIGKILL, child.stderr
    record = J.read(str(demo))
    assert record.rolling_back and J.UNDONE in [s.state for s in record.steps]
    with pytest.raises(WriteRefused, match="only be undone"):
        SimWriter(str(demo)).finish(record)
    report = SimWriter(str(demo)).undo(record)
    assert report.outcome == ROLLED_BACK_ALL, "\n".join(report.lines())
    assert _state(demo) == before
    assert J.read(str(demo)) is None


from hypothesis import example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_HEAD = json.dumps({"version": 1, "started": "", "pid": 1,
                    "changes": [J.encode_change(C.DeleteTarget(WEB_IQN))]}).encode() + b"\n"


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(), st.builds(lambda tail: _HEAD + tail, st.binary()),
                 st.builds(lambda tail: _HEAD + tail.encode(), st.text())))
@example(b"[" * 100_000)
@example(_HEAD + b"[" * 100_000 + b"\n")
def test_any_bytes_are_a_journal_or_a_sentence(raw):
    try:
        record = J.parse(raw, "journal.json")
    except J.JournalError as exc:
        assert str(exc).startswith("journal.json: ") or "journal" in str(exc)
        return
    assert record.changes and all(s.state in (J.PENDING, J.STARTED, J.DONE, J.UNDONE) for s in record.steps)


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                     lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(J._change_types()) + sorted(J._BEFORE_THE_FOLD)), st.dictionaries(st.sampled_from(
    ["target", "tpg", "initiator", "chap", "expect", "value", "attribute", "index", "plugin", "name", "fabric",
     "enabled", "flag", "on", "address", "port", "acl_tag", "storage_object", "file", "size", "owner", "group",
     "key", "parameter"]), _JSON))
def test_any_recorded_change_is_a_change_or_a_sentence(kind, values):
    try:
        change = J.decode_change({"type": kind, "fields": values})
    except J.JournalError:
        return
    assert isinstance(change, C.Change) and change.cfs_path is not None
