"""Refused logins captured on Debian 12's kernel (tests/fixtures/login-causes): each named by its cause, once."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sanctl.cli import main
from sanctl.live.login_causes import classify
from sanctl.live.sampler import refused_logins
from sanctl.lio.live import TargetStats

from .conftest import FIXTURES

CAPTURE = json.loads((FIXTURES / "login-causes" / "login-causes.json").read_text())
ISCSID = (FIXTURES / "login-causes" / "iscsid.log").read_text().splitlines()
#: iscsid's line for each cause (the capture's iscsid.log, in order).
ISCSID_OF = {"mutual_secret_wrong": "received incorrect CHAP response", "wrong_secret": "Login failed to authenticate"}


@pytest.mark.parametrize("cause", sorted(CAPTURE))
def test_each_cause_from_the_real_kernels_lines(cause):
    found = CAPTURE[cause]
    extra = [line for line in ISCSID if ISCSID_OF.get(cause, "\0") in line][:1]
    attempts = classify(found["dmesg"] + extra, found["stats_before"], found["stats_after"])
    tries = sum("iSCSI Login negotiation failed." in line for line in found["dmesg"])
    assert [a.cause for a in attempts] == [cause] * tries
    assert attempts[0].fix and attempts[0].title


def test_the_mutual_secret_needs_iscsids_word():
    """LIO only sees the initiator hang up: alone, its line is a refused login of no known cause."""
    found = CAPTURE["mutual_secret_wrong"]
    assert [a.cause for a in classify(found["dmesg"], found["stats_before"], found["stats_after"])] == [
        "negotiation_failed"]


def test_four_wrong_secrets_are_four_refusals_not_eight(capsys, tmp_path, kernel_tree):
    """LIO's login_fails steps twice per CHAP refusal (authenticate and negotiate)."""
    lines = []
    for n in range(4):
        for line in CAPTURE["wrong_secret"]["dmesg"]:
            stamp, _, rest = line.partition("]")
            lines.append(f"[{float(stamp.strip('[ ')) + 10 * n:12.6f}]{rest}")
    log = tmp_path / "dmesg.txt"
    log.write_text("\n".join(lines) + "\n")
    assert main(["--root", str(kernel_tree), "errors", "--log", str(log), "--json"]) == 0
    incidents = json.loads(capsys.readouterr().out)["incidents"]
    assert [i["title"] for i in incidents] == ["refused: wrong CHAP secret"] * 4
    assert all("ACL's CHAP secret" in i["fix"] for i in incidents)
    after = TargetStats(login_fails=8, authenticate_fails=4, negotiate_fails=4)
    assert refused_logins(after) == 4


@given(st.lists(st.sampled_from([line for found in CAPTURE.values() for line in found["dmesg"]] + ISCSID),
                max_size=60))
def test_any_mix_of_the_real_lines_classifies_without_error(lines):
    for attempt in classify(lines):
        assert attempt.cause and attempt.incident.kind
