"""The initiator tab's dialogs as FormSpecs (sanctl.forms.initiator): any text never breaks them, and
what they build is always something the iscsiadm wrapper accepts.

Hypothesis drives :func:`~sanctl.forms.spec.evaluate` on each spec with any
text in every field (no size cap), random choices and random starting
records: it only ever refuses with a reason, and a request it builds passes
the wrapper's own checks (portals as ``-p`` takes them, iface names, CHAP
users and secrets, record keys). A few examples pin what each form says and
keeps; the last tests pin the parts of ``Field``/``FormSpec`` the dialogs
brought (``when``, radio choices, fills).
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sanctl.forms import initiator as I
from sanctl.forms.spec import BOOL, RADIO, Choice, Field, Fill, FormSpec, evaluate
from sanctl.initiator.iscsiadm_arguments import chap_updates, check_iface_name, check_setting, portal_arg
from sanctl.initiator.node_settings import BY_KEY, NODE_KEYS
from sanctl.model import Secret
from sanctl.names import InvalidValue, check_chap_secret, check_chap_user, check_iscsi_name

#: Values that pass some check, so that the valid paths are reached too; st.text() finds the rest.
GOOD = ["", " ", "default", "iser", "sanctl-in", "sanctl-out", "in-secret-123", "out-secret-456", "short1",
        "192.0.2.10", "192.0.2.10:3261", "[::1]", "[fe80::1]:3260", "storage.example.com", "10.0.0.1,1",
        "iqn.2003-01.org.linux-iscsi.san01:web", "eui.0123456789abcdef", "manual", "automatic", "15", "128",
        "-o delete", "--help"]
#: Portals, iface and target names that pass, so that the discovery and new-record forms build often enough.
NAMES = ["192.0.2.10", "[::1]:3261", "storage.example.com", "default", "iser",
         "iqn.2003-01.org.linux-iscsi.san01:web", "naa.6001405abcdef012"]
ANY_TEXT = st.one_of(st.text(), st.sampled_from(GOOD), st.sampled_from(NAMES))
SLOW = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _accepted(f: Field, values) -> list:
    """Those of ``values`` the field takes on its own."""
    out = []
    for value in values:
        try:
            f.parse(value)
        except InvalidValue:
            continue
        out.append(value)
    return out


def raw_for(spec: FormSpec, data) -> dict:
    """Random raw widget values for every field: any text, any switch, any choice (or a text that is none).

    In about half the examples most fields keep the value the form opened with, so that forms with many
    fields (the record's settings) are valid often enough for their request to be checked too.
    """
    raw = {}
    mostly_kept = data.draw(st.booleans())
    for f in spec.fields:
        if mostly_kept and f.kind not in (BOOL, RADIO) and data.draw(st.integers(0, 9)) < 9:
            raw[f.name] = data.draw(st.sampled_from(_accepted(f, (f.default, f.placeholder, "")) or [f.default]))
        elif f.kind == BOOL:
            raw[f.name] = data.draw(st.one_of(st.booleans(), st.none(), st.text()))
        elif f.kind == RADIO:
            raw[f.name] = data.draw(st.one_of(st.sampled_from([c.value for c in f.choices]), st.text(), st.none()))
        else:
            raw[f.name] = data.draw(st.one_of(ANY_TEXT, st.none()))
    return raw


def starts(methods):
    return st.builds(I.ChapStart, method=st.one_of(st.sampled_from(methods), st.text()), username=ANY_TEXT,
                     username_in=ANY_TEXT, has_password=st.booleans(), has_password_in=st.booleans(),
                     keeps=st.booleans())


def assert_valid_auth(request: I.AuthRequest, methods, start: I.ChapStart) -> None:
    assert request.method in methods
    if request.method in ("none", "keep"):
        assert (request.username, request.password, request.username_in, request.password_in) == ("", None, "", None)
        return
    assert check_chap_user(request.username) == request.username
    secrets = [(request.password, start.has_password)]
    if request.method == "mutual":
        secrets.append((request.password_in, start.has_password_in))
    for secret, has in secrets:
        if secret is None:
            assert start.keeps and has, "a secret is left out only when the record has one to keep"
        else:
            assert isinstance(secret, Secret) and check_chap_secret(secret.reveal(), min_length=1)
    if request.method == "mutual":
        assert check_chap_user(request.username_in) == request.username_in
    else:
        assert request.username_in == "" and request.password_in is None
    chap_updates("node.session.auth", request.username, request.password, request.username_in,
                 request.password_in)
    # what is shown of it does not depend on the secrets' text: never a secret
    other = replace(request, password=request.password and Secret("other-1"),
                    password_in=request.password_in and Secret("other-2"))
    assert (request.describe(), repr(request)) == (other.describe(), repr(other))


def assert_never_raises_but_refuses(spec: FormSpec, raw: dict):
    ev = evaluate(spec, raw)  # InvalidValue is caught inside: anything else escaping is the bug
    if ev.ok:
        assert not ev.errors and ev.problem is None
    return ev


@SLOW
@given(data=st.data(), logged_in=st.booleans())
def test_auth_form_builds_only_what_the_wrapper_takes(data, logged_in):
    start = data.draw(starts(I.NODE_METHODS))
    spec = I.auth_form(data.draw(st.text()), data.draw(st.text()), start, logged_in=logged_in)
    ev = assert_never_raises_but_refuses(spec, raw_for(spec, data))
    if ev.ok:
        assert isinstance(ev.result, I.AuthRequest)
        assert_valid_auth(ev.result, I.NODE_METHODS, start)


@SLOW
@given(data=st.data(), ifaces=st.lists(st.text()))
def test_discover_form_builds_only_what_the_wrapper_takes(data, ifaces):
    spec = I.discover_form(data.draw(st.text()), ifaces=ifaces, iface=data.draw(st.text()),
                           method=data.draw(st.text()))
    ev = assert_never_raises_but_refuses(spec, raw_for(spec, data))
    if not ev.ok:
        return
    request = ev.result
    assert isinstance(request, I.DiscoverRequest)
    assert portal_arg(request.portal) == request.portal and "," not in request.portal
    assert request.iface is None or (check_iface_name(request.iface) == request.iface and request.iface != "default")
    assert request.auth in I.DISCOVERY_METHODS and isinstance(request.prune, bool)
    assert (request.chap is not None) == (request.auth in ("chap", "mutual"))
    if request.chap is not None:  # discovery never keeps a secret: both are given
        assert request.chap.password and (request.auth == "chap" or request.chap.password_in)
        assert request.chap.mutual == (request.auth == "mutual")


RECORD_VALUES = st.dictionaries(
    st.sampled_from([k.key for k in NODE_KEYS] + ["node.session.auth.authmethod", "node.session.auth.username",
                                                  "node.session.auth.username_in", "node.session.auth.password",
                                                  "node.session.auth.password_in"]),
    st.one_of(ANY_TEXT, ANY_TEXT.map(Secret), st.none()))


@SLOW
@given(data=st.data(), record=RECORD_VALUES, logged_in=st.booleans())
def test_settings_form_builds_only_valid_keys_and_chap(data, record, logged_in):
    spec = I.node_settings_form(data.draw(st.text()), data.draw(st.text()), record, logged_in=logged_in)
    ev = assert_never_raises_but_refuses(spec, raw_for(spec, data))
    if not ev.ok:
        return
    request = ev.result
    assert isinstance(request, I.NodeSettingsRequest)
    assert list(request.values) == [k.key for k in NODE_KEYS]
    for key, value in request.values.items():
        assert BY_KEY[key].check(value) == value
        check_setting(key, value)
    if request.auth is not None:
        start = I.ChapStart(has_password=bool(record.get("node.session.auth.password")),
                            has_password_in=bool(record.get("node.session.auth.password_in")))
        assert_valid_auth(request.auth, I.NODE_METHODS, start)


@SLOW
@given(data=st.data(), how=st.text())
def test_new_record_form_builds_only_valid_records(data, how):
    spec = I.new_record_form(how)
    ev = assert_never_raises_but_refuses(spec, raw_for(spec, data))
    if not ev.ok:
        return
    request = ev.result
    assert isinstance(request, I.NewRecordRequest)
    assert portal_arg(request.portal) == request.portal and "," not in request.portal
    assert request.iface is None or (check_iface_name(request.iface) == request.iface and request.iface != "default")
    if request.how == "manual":
        assert check_iscsi_name(request.target) == request.target
    else:
        assert request.how == "isns" and request.target == ""


# --- what each form says and keeps -----------------------------------------------------------------------

def test_auth_form_keeps_the_records_secrets_and_warns_of_short_ones():
    start = I.ChapStart("mutual", "sanctl-in", "sanctl-out", has_password=True, has_password_in=True)
    spec = I.auth_form("iqn.2003-01.x:t", "127.0.0.1:3260", start, logged_in=True)
    assert "keeps its settings until it logs in again" in spec.intro
    ev = evaluate(spec, {**spec.defaults(), "user_in": "target-2"})
    assert ev.ok and ev.result.describe() == ("mutual CHAP as sanctl-in, the target as target-2 "
                                              "(secret and mutual secret kept)")
    ev = evaluate(spec, {**spec.defaults(), "method": "chap", "secret": "short1"})
    assert ev.ok and ev.result == I.AuthRequest("chap", "sanctl-in", Secret("short1"))
    assert ev.inactive == {"user_in", "secret_in"}
    assert ev.warnings and "shorter than 12" in ev.warnings[0]
    assert "short1" not in repr(ev)


def test_auth_form_says_what_is_missing_or_wrong():
    spec = I.auth_form("iqn.2003-01.x:t", "127.0.0.1:3262", I.ChapStart())
    assert evaluate(spec, spec.defaults()).result == I.AuthRequest("none")
    ev = evaluate(spec, {**spec.defaults(), "method": "chap", "user": "sanctl in"})
    assert "cannot contain whitespace" in ev.errors["user"]
    ev = evaluate(spec, {**spec.defaults(), "method": "chap", "user": "sanctl-in"})
    assert ev.problem == "The initiator's CHAP secret is required (the record has none to keep)."
    ev = evaluate(spec, {**spec.defaults(), "method": "mutual", "user": "a", "secret": "x" * 12, "user_in": "b",
                         "secret_in": "x" * 12})
    assert "must differ from the initiator's secret" in ev.problem


def test_discover_form_refuses_a_tpg_tag_and_an_option_as_portal():
    spec = I.discover_form(ifaces=("default", "iser"))
    assert "known: default, iser" in spec.field("iface").placeholder
    assert "without a TPG tag" in evaluate(spec, {**spec.defaults(), "portal": "10.0.0.1,1"}).errors["portal"]
    assert "is not a portal" in evaluate(spec, {**spec.defaults(), "portal": "-o delete"}).errors["portal"]
    ev = evaluate(spec, {**spec.defaults(), "portal": "10.0.0.1", "iface": "default", "method": "chap",
                         "user": "u", "secret": ""})
    assert ev.problem == "The initiator's CHAP secret is required."  # discovery keeps no unseen secret
    ev = evaluate(spec, {**spec.defaults(), "portal": "10.0.0.1", "iface": "default", "prune": True})
    assert ev.result == I.DiscoverRequest("10.0.0.1:3260", None, "keep", None, True)


def test_settings_form_leaves_unchanged_chap_alone_and_fills_multipath_values():
    record = {"node.session.auth.authmethod": "CHAP", "node.session.auth.username": "user with space",
              "node.session.timeo.replacement_timeout": "120", "node.session.cmds_max": "128"}
    spec = I.node_settings_form("iqn.2003-01.x:t", "127.0.0.1:3260", record)
    raw = spec.defaults()
    for fill in spec.fills:
        if fill.name == "multipath":
            raw.update(dict(fill.values))
    ev = evaluate(spec, raw)
    assert ev.ok and ev.result.auth is None  # a CHAP record without a secret: not judged while left alone
    assert ev.result.values["node.session.timeo.replacement_timeout"] == "15"
    assert ev.result.values["node.startup"] == "automatic"
    name = I.key_field_name("node.session.cmds_max")
    assert "power of 2" in evaluate(spec, {**raw, name: "100"}).errors[name]
    ev = evaluate(spec, {**raw, "user": "sanctl-in"})
    assert ev.problem == "The initiator's CHAP secret is required (the record has none to keep)."


def test_new_record_form_needs_a_target_by_hand_and_not_for_isns():
    spec = I.new_record_form()
    ev = evaluate(spec, {**spec.defaults(), "portal": "127.0.0.1"})
    assert ev.problem == "The target's name is required (iqn.…, eui.… or naa.…)."
    ev = evaluate(spec, {**spec.defaults(), "how": "isns", "portal": "127.0.0.1", "target": "not a name"})
    assert ev.result == I.NewRecordRequest("isns", "127.0.0.1:3205") and ev.inactive == {"target"}


# --- the parts of Field and FormSpec the dialogs brought ---------------------------------------------------

def _refuse(text: str) -> str:
    raise AssertionError("an inactive field is not checked")


def test_a_field_counts_only_while_its_condition_holds():
    spec = FormSpec("t", (Field("kind", "Kind", RADIO, default="a", choices=(Choice("a", "A"), Choice("b", "B"))),
                          Field("extra", "Extra", check=_refuse, when=("kind", ("b",)))),
                    build=lambda values: [values])
    ev = evaluate(spec, {"kind": "a", "extra": "anything"})
    assert ev.ok and ev.values["extra"] is None and ev.inactive == {"extra"}
    assert evaluate(spec, {"kind": "c"}).errors == {"kind": "Choose a kind."}  # a radio takes only its choices


def test_a_condition_or_fill_must_name_an_earlier_field():
    with pytest.raises(ValueError, match="not an earlier field"):
        FormSpec("t", (Field("a", "A", when=("b", ("x",))), Field("b", "B")), build=list)
    with pytest.raises(ValueError, match="names no field"):
        FormSpec("t", (Field("a", "A"),), build=list, fills=(Fill("f", "F", (("b", "1"),)),))


def test_a_secret_with_whitespace_is_refused_not_kept():
    spec = I.auth_form("t", "p", I.ChapStart("chap", "u", has_password=True))
    ev = evaluate(spec, {**spec.defaults(), "secret": "   "})
    assert "cannot contain whitespace" in ev.errors["secret"] and not ev.ok
