"""Quick connect and multi-record login (sanctl.initiator.quick_connect) through the fake iscsiadm."""

from __future__ import annotations

import pytest

from sanctl.initiator.iscsiadm import Iscsiadm, IscsiadmError, LoginFailed
from sanctl.initiator.quick_connect import login_each, quick_connect

BASIC = "iqn.2024-01.test.sanctl:basic"
NO_ACL = "iqn.2024-01.test.sanctl:no-acl"


def test_logs_in_on_the_typed_portal_else_the_typed_address(fake_iscsiadm):
    fake_iscsiadm.rules([{"match": ["--discover"], "case": "discoverydb_discover"},
                         {"match": ["-T", BASIC, "--login"], "case": "login"},
                         {"match": ["-T", NO_ACL, "--login"], "case": "login_no_acl"}])
    steps: list[str] = []
    result = quick_connect(Iscsiadm(), "127.0.0.1:3260", steps.append)
    assert result.found == [BASIC, NO_ACL]
    assert result.logged_in == [(BASIC, "127.0.0.1:3260", "default")]
    ((key, error),) = result.failed
    assert key == (NO_ACL, "127.0.0.1:3262", "default") and isinstance(error, LoginFailed) and error.code == 24
    assert steps == [f"Logging in to {BASIC} (1 of 2)", f"Logging in to {NO_ACL} (2 of 2)"]
    assert [c for c in fake_iscsiadm.calls() if "--discover" in c][0][-2:] == ["-o", "new"]


def test_already_logged_in_counts_as_done(fake_iscsiadm):
    fake_iscsiadm.rules([{"match": ["--discover"], "case": "discoverydb_discover"},
                         {"match": ["--login"], "case": "login_again"}])
    result = quick_connect(Iscsiadm(), "127.0.0.1")
    assert len(result.already) == 2 and not result.failed and not result.logged_in


def test_nothing_offered_is_an_empty_result_and_refused_is_an_error(fake_iscsiadm):
    fake_iscsiadm.rules([{"match": ["--discover"], "rc": 21, "stderr": "iscsiadm: No portals found\n"}])
    assert quick_connect(Iscsiadm(), "127.0.0.1").found == []
    fake_iscsiadm.use("discovery_refused")
    with pytest.raises(IscsiadmError) as refused:
        quick_connect(Iscsiadm(), "127.0.0.1:3299")
    assert refused.value.code == 11
    assert not [c for c in fake_iscsiadm.calls() if "--login" in c]


def test_login_each_keeps_going_after_a_failure(fake_iscsiadm):
    fake_iscsiadm.rules([{"match": ["-T", NO_ACL, "--login"], "case": "login_no_acl"},
                         {"match": ["-T", BASIC, "--login"], "case": "login"}])
    keys = [(NO_ACL, "127.0.0.1:3262", "default"), (BASIC, "127.0.0.1:3260", "default")]
    (first, failed), (second, done) = login_each(Iscsiadm(), keys)
    assert (first, second) == tuple(keys) and isinstance(failed, LoginFailed) and done.logged_in
