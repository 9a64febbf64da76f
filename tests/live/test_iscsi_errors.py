"""The one table of connection error codes and LIO failure classes."""

from __future__ import annotations

import pytest

from sanctl.iscsi_errors import CONN_ERRORS, LOGIN_FAIL_TYPES, TARGET_MESSAGES, conn_error, login_fail_type


def test_every_connection_error_code_is_in_the_table():
    assert sorted(CONN_ERRORS) == list(range(1001, 1023))
    for code, entry in CONN_ERRORS.items():
        assert entry.name.startswith("ISCSI_ERR_") and entry.meaning and entry.fix and entry.text
    assert conn_error(1020).label == "1020 TCP_CONN_CLOSE"
    assert "initiatorname.iscsi" in conn_error(1020).fix


def test_an_unknown_code_still_has_an_entry():
    entry = conn_error(1099)
    assert entry.code == 1099 and "not know" in entry.meaning


@pytest.mark.parametrize("value, name", [(4, "authorize"), (5, "authenticate"), (6, "negotiate"), (2, "other")])
def test_login_failure_classes(value, name):
    assert LOGIN_FAIL_TYPES[value].name == name
    assert login_fail_type(value).name == name
    assert login_fail_type(None) is None


def test_target_messages_cover_the_log_kinds():
    from sanctl.kernel_log import LOG_KINDS

    for kind in LOG_KINDS:
        assert kind == "conn_error" or kind in TARGET_MESSAGES, kind
