"""``chap_updates`` and ``Iscsiadm.set_session_chap``: CHAP that keeps a secret left out, checked before iscsiadm runs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sanctl.initiator.iscsiadm import Iscsiadm, IscsiadmError, Timeouts, chap_updates
from sanctl.model import Secret
from sanctl.names import InvalidValue

BASIC = "iqn.2024-01.test.sanctl:basic"
PORTAL = "127.0.0.1:3260"
P = "node.session.auth"


@pytest.fixture
def adm(fake_iscsiadm) -> Iscsiadm:
    return Iscsiadm(timeouts=Timeouts(query=10, action=10, discovery=10))


def test_one_way_chap_clears_mutual():
    assert chap_updates(P, "user", Secret("secret-1234")) == [
        (f"{P}.authmethod", "CHAP"), (f"{P}.username", "user"), (f"{P}.password", "secret-1234"),
        (f"{P}.username_in", ""), (f"{P}.password_in", "")]


def test_a_none_secret_is_kept():
    assert chap_updates(P, "user", None, "target", None) == [
        (f"{P}.authmethod", "CHAP"), (f"{P}.username", "user"), (f"{P}.username_in", "target")]
    assert chap_updates("discovery.sendtargets.auth", "u", "s-1", "t", "s-2")[-1] == (
        "discovery.sendtargets.auth.password_in", "s-2")


@pytest.mark.parametrize(("args", "why"), [
    (("", Secret("x")), "user name is required"),
    (("us er", Secret("x")), "whitespace"),
    (("user", Secret("sec ret")), "whitespace"),
    (("user", Secret("same-secret"), "target", Secret("same-secret")), "must differ"),
    (("user", Secret("one"), "", Secret("two")), "needs the target's user name"),
    (("user", Secret("one"), "tar get", Secret("two")), "whitespace"),
    (("user", Secret("x" * 256)), "at most 255"),
])
def test_bad_values_are_refused(args, why):
    with pytest.raises(InvalidValue, match=why):
        chap_updates(P, *args)


@settings(max_examples=200, deadline=None)
@given(user=st.text(max_size=40), secret=st.one_of(st.none(), st.text(max_size=40)),
       user_in=st.text(max_size=20), secret_in=st.one_of(st.none(), st.text(max_size=20)))
def test_random_values_are_refused_or_safe_for_the_command_line(user, secret, user_in, secret_in):
    try:
        updates = chap_updates(P, user, secret, user_in, secret_in)
    except InvalidValue:
        return
    for key, value in updates:
        assert key.startswith(f"{P}.") and "\n" not in value and "\0" not in value
        assert not any(c.isspace() for c in value)


def test_set_session_chap_runs_one_update_a_key_and_masks_secrets_in_errors(fake_iscsiadm, adm):
    fake_iscsiadm.rules([{"match": ["-n", f"{P}.password"], "case": "node_update_bad_key"},
                         {"match": ["-o", "update"], "case": "node_update_auth_username"}])
    with pytest.raises(IscsiadmError) as exc:
        adm.set_session_chap(BASIC, PORTAL, "sanctl-in", Secret("in-secret-123"))
    assert "in-secret-123" not in exc.value.command and "********" in exc.value.command
    assert "in-secret-123" not in exc.value.explain()
    fake_iscsiadm.rules([{"match": ["-o", "update"], "case": "node_update_auth_username"}])
    start = len(fake_iscsiadm.calls())
    adm.set_session_chap(BASIC, PORTAL, "sanctl-in", None, "sanctl-out", None)
    assert [argv[-3:] for argv in fake_iscsiadm.calls()[start:]] == [
        ["-n", f"{P}.authmethod", "-v", "CHAP"][1:], ["-n", f"{P}.username", "-v", "sanctl-in"][1:],
        ["-n", f"{P}.username_in", "-v", "sanctl-out"][1:]]
    assert all(argv[:6] == ["-m", "node", "-T", BASIC, "-p", PORTAL] for argv in fake_iscsiadm.calls()[start:])


def test_nothing_runs_when_a_value_is_bad(fake_iscsiadm, adm):
    with pytest.raises(InvalidValue):
        adm.set_session_chap(BASIC, PORTAL, "--help", Secret("a b"))
    assert fake_iscsiadm.calls() == []
