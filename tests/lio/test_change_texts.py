"""Every change says what it said before the setting fold: its review line,
subject, configfs path, targetcli line and scope, and its refusals, word for
word.

``fixtures/change-texts-b991121.json`` was written by sanctl at b991121 (five
setting classes, each change its own subject and path code), with each change
built as the key says (the setting builders standing for the five classes
they replace). The UI's confirmation and ``sanctl apply``'s plan show these
texts, and error messages name the subject.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sanctl.names import InvalidValue
from sanctl.lio import changes as C

T = "iqn.2024-01.com.example:t1"
I = "iqn.2024-01.com.example:host1"
N = "naa.5001405abcdef012"
BEFORE = json.loads((Path(__file__).parent / "fixtures" / "change-texts-b991121.json").read_text())


def _build(expression: str) -> C.Change:
    return eval(expression, {"C": C, "T": T, "I": I, "N": N})  # the fixture's keys: constructor calls


def test_every_change_type_is_in_the_record():
    built = {type(_build(x)) for x in BEFORE["changes"]}
    assert built == set(C.all_change_types())


@pytest.mark.parametrize("expression", sorted(BEFORE["changes"]))
def test_a_change_says_what_it_said(expression):
    change = _build(expression)
    scope = change.scope()
    assert {"describe": change.describe(), "subject": change.subject, "cfs_path": change.cfs_path,
            "targetcli": change.targetcli(),
            "scope": [sorted(map(list, scope.targets)), sorted(map(list, scope.storage_objects)), scope.all_targets,
                      scope.all_storage_objects]} == BEFORE["changes"][expression]


@pytest.mark.parametrize("expression", sorted(BEFORE["refused"]))
def test_a_change_refuses_what_it_refused(expression):
    with pytest.raises(InvalidValue) as refused:
        _build(expression)
    assert f"{type(refused.value).__name__}: {refused.value}" == BEFORE["refused"][expression]
