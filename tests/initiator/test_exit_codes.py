"""The iscsiadm exit-code table: complete, plain, and sharpened by what iscsiadm printed."""

from __future__ import annotations

import re

import pytest

from sanctl.initiator.exit_codes import EXIT_CODES, describe, explain, name_of


def test_every_code_0_to_33_has_a_name_a_message_and_a_hint():
    assert sorted(EXIT_CODES) == list(range(34))
    for code, entry in EXIT_CODES.items():
        assert entry.code == code and entry.name.startswith("ISCSI_")
        assert entry.message.endswith(".")
        if code:
            assert entry.hint and entry.text


@pytest.mark.parametrize("code,words", [
    (20, "systemctl start iscsid"),
    (24, "initiatorname.iscsi"),
    (24, "authorize_fails"),
    (8, "3260"),
    (12, "modprobe iscsi_tcp"),
    (15, "Nothing to do"),
    (19, "mutual CHAP"),
    (21, "discovery"),
    (28, "Unmount"),
])
def test_hints_say_what_to_do(code, words):
    assert words in describe(code, "login").hint or words in describe(code).hint


def test_operation_changes_the_meaning_of_21():
    assert "offered no targets" in describe(21, "discovery").message
    assert "no node record" in describe(21, "login").message
    assert describe(21, "logout").message == "Not logged in to that target."
    assert describe(21, "session").message == "No active sessions."
    assert describe(21).message.startswith("Nothing matched")


def test_unknown_codes():
    assert "does not know" in describe(77).message and describe(77).name == "UNKNOWN"
    assert "killed" in describe(-9).message
    assert name_of(24) == "ISCSI_ERR_LOGIN_AUTH_FAILED" and name_of(99) == "exit 99"


def test_iscsiadm_text_matches_what_it_printed(captured):
    # "initiator reported error (N - text)": our table's text is iscsiadm's own.
    for case in captured.values():
        for code, text in re.findall(r"initiator reported error \((\d+) - ([^)]*)\)", case["stderr"]):
            assert EXIT_CODES[int(code)].text == text


@pytest.mark.parametrize("case,operation,words", [
    ("discovery_refused", "discovery", "connection refused"),
    ("discovery_ipv6_refused", "discovery", "connection refused"),
    ("discovery_timeout", "discovery", "never answered"),
    ("discovery_iscsid_down", "discovery", "not running"),
    ("login_iscsid_down", "login", "not running"),
    ("node_delete_while_logged_in", "delete", "session uses"),
    ("node_update_bad_key", "update", "does not know that setting"),
    ("login_auth_failure_wrong_secret", "login", "refused this initiator"),
    ("login_unknown_target", "login", "timed out"),
])
def test_explain_on_real_failures(captured, case, operation, words):
    real = captured[case]
    assert words in explain(real["rc"], operation, real["stderr"]).message
