"""A journal written before the setting changes became one class is still finished or undone.

``fixtures/journal-before-setting-fold.json`` was written by sanctl at
b991121 (five setting classes: SetStorageObjectAttribute,
SetAluaGroupParameter, SetTpgParameter, SetAclAttribute, SetTpgAttribute):
the transaction below, run on a fresh demo SAN by a child killed (SIGKILL)
as its 8th step began, in the middle of the DeleteTarget's cascade, whose
undo steps rebuild the web target's TPG and ACL settings under those old
names.

Here the same transaction is killed at the same step with today's code, so
configfs is left exactly as the old run left it; its journal is then
replaced by the old one, which today's code must read as the same plan and
finish, or undo, to the same configuration.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sanctl.sim.demo import RAC_CLIENTS, RAC_IQN, WEB_IQN
from sanctl.sim.writer import SimWriter
from sanctl.lio import changes as C
from sanctl.lio import journal as J
from sanctl.lio.configfs import read_config
from sanctl.lio.saveconfig import dump
from sanctl.lio.writer import COMPLETED, ROLLED_BACK_ALL

from .conftest import canonical
from .test_journal import CHILD  # the transaction in a child killed (SIGKILL) at a given step

OLD_JOURNAL = Path(__file__).parent / "fixtures" / "journal-before-setting-fold.json"
KILLED_AT = 8  #: the step the old run was killed at (7 done, the 8th started)

#: What the old journal asked for, as today's code builds it (RAC's LUN 0 is on block/ora-ocr-1).
TRANSACTION = [
    C.backstore_attribute("block", "ora-ocr-1", "emulate_tpu", 1),
    C.alua_group_parameter("block", "ora-ocr-1", "default_tg_pt_gp", "preferred", 1),
    C.tpg_parameter(RAC_IQN, 1, "MaxConnections", "2"),
    C.acl_attribute(RAC_IQN, 1, RAC_CLIENTS[0], "nopin_timeout", 20),
    C.DeleteTarget(WEB_IQN),
    C.tpg_attribute(RAC_IQN, 1, "default_cmdsn_depth", 32),
]


def _state(root) -> dict:
    return canonical(dump(read_config(str(root), details=True)))


def _without_start(lines: list[str]) -> list[str]:
    return [line.split(" (started ")[0] if i == 0 else line for i, line in enumerate(lines)]


@pytest.fixture
def half_applied(demo, tmp_path) -> Path:
    """The demo as the old run left it, with the old run's journal; ``tmp_path/before`` is the demo before."""
    shutil.copytree(demo, tmp_path / "before", symlinks=True)
    payload = json.dumps([J.encode_change(c) for c in TRANSACTION])
    child = subprocess.run([sys.executable, "-c", CHILD, str(demo), str(KILLED_AT)], input=payload, text=True,
                           capture_output=True, timeout=120)
    assert child.returncode == -signal.SIGKILL, child.stdout + child.stderr
    ours = J.read(str(demo))
    old = J.parse(OLD_JOURNAL.read_bytes(), str(OLD_JOURNAL))
    assert _without_start(old.lines()) == _without_start(ours.lines())  # the same plan, at the same step
    shutil.copyfile(OLD_JOURNAL, J.journal_path(str(demo)))
    return demo


def test_the_old_journal_names_the_five_setting_classes():
    raw = OLD_JOURNAL.read_text()
    for name in ("SetStorageObjectAttribute", "SetAluaGroupParameter", "SetTpgParameter", "SetAclAttribute",
                 "SetTpgAttribute"):
        assert f'"type":"{name}"' in raw
    assert '"SetSetting"' not in raw


def test_the_old_journal_is_read_as_todays_changes():
    record = J.parse(OLD_JOURNAL.read_bytes(), str(OLD_JOURNAL))
    assert record.changes == tuple(TRANSACTION)
    assert [s.state for s in record.steps[:KILLED_AT]] == [J.DONE] * (KILLED_AT - 1) + [J.STARTED]
    # every undo step recorded under an old name is a SetSetting of the same kind of object, in the same place
    recorded = [u["type"] for line in OLD_JOURNAL.read_text().splitlines()[1:] if '"plan"' in line
                for step in json.loads(line)["steps"] for u in step["undo"]]
    read = [u for s in record.steps for u in s.undo]
    kinds = {"SetStorageObjectAttribute": (C.BackstoreRef, "attribute"),
             "SetAluaGroupParameter": (C.AluaGroupRef, "parameter"), "SetTpgAttribute": (C.TpgRef, "attribute"),
             "SetTpgParameter": (C.TpgRef, "parameter"), "SetAclAttribute": (C.AclRef, "attribute")}
    assert len(read) == len(recorded) and sum(name in kinds for name in recorded) > 30
    for name, change in zip(recorded, read):
        assert (name == type(change).__name__) if name not in kinds else change.sets(*kinds[name]), (name, change)


def test_an_old_journal_is_finished(half_applied, demo, tmp_path):
    expected = tmp_path / "before"
    assert SimWriter(str(expected)).apply(TRANSACTION).outcome == COMPLETED  # what the whole transaction makes
    record = SimWriter(str(demo)).unfinished()
    assert record is not None and record.raw == OLD_JOURNAL.read_bytes()
    report = SimWriter(str(demo)).finish(record)
    assert report.outcome == COMPLETED, "\n".join(report.lines())
    assert _state(demo) == _state(expected)
    assert SimWriter(str(demo)).unfinished() is None


def test_an_old_journal_is_undone(half_applied, demo, tmp_path):
    before = tmp_path / "before"
    assert _state(demo) != _state(before)  # half applied
    report = SimWriter(str(demo)).undo(SimWriter(str(demo)).unfinished())
    assert report.outcome == ROLLED_BACK_ALL, "\n".join(report.lines())
    assert _state(demo) == _state(before)
    assert SimWriter(str(demo)).unfinished() is None
