"""The node record keys operators change (sanctl/initiator/node_settings.py) and iscsid.conf in effect
(sanctl/initiator/iscsid_conf.py): checks, only-what-changed, the stale refusal, the rollback; the parser
on any text (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sanctl.initiator import iscsid_conf
from sanctl.initiator import node_settings as NS
from sanctl.initiator.iscsiadm import IscsiadmError
from sanctl.names import InvalidValue
from sanctl.sim.demo import WEB_IQN

PORTAL = "192.168.50.10:3260"
REPLACEMENT = "node.session.timeo.replacement_timeout"
NOOP = "node.conn[0].timeo.noop_out_interval"


def record(adm, target=WEB_IQN):
    (settings,) = adm.node_settings(target, PORTAL)
    return {k: str(v) for k, v in settings.settings.items()}


def test_every_key_has_meaning_default_and_multipath_value_that_pass_its_own_check():
    keys = {k.key for k in NS.NODE_KEYS}
    assert keys == {"node.startup", "node.conn[0].startup", REPLACEMENT, NOOP, "node.conn[0].timeo.noop_out_timeout",
                    "node.session.cmds_max", "node.session.queue_depth"}
    for spec in NS.NODE_KEYS:
        assert spec.meaning and spec.multipath
        assert spec.check(spec.default) == spec.default and spec.check(spec.suggested) == spec.suggested


@pytest.mark.parametrize("key,bad,words", [
    ("node.session.cmds_max", "100", "power of 2"),
    ("node.session.cmds_max", "4096", "out of range"),
    ("node.session.queue_depth", "0", "out of range"),
    (REPLACEMENT, "ten", "whole number"),
    ("node.startup", "sometimes", "manual, automatic or onboot"),
])
def test_bad_values_are_refused_with_the_reason(key, bad, words):
    with pytest.raises(InvalidValue, match=words):
        NS.BY_KEY[key].check(bad)


@given(st.text(max_size=200))
def test_a_check_either_refuses_or_returns_a_value_iscsiadm_takes(text):
    from sanctl.initiator.iscsiadm import check_setting

    for spec in NS.NODE_KEYS:
        try:
            value = spec.check(text)
        except InvalidValue:
            continue
        assert check_setting(spec.key, value) == (spec.key, value)


def test_plan_writes_only_what_changed(demo_adm):
    original = record(demo_adm.iscsiadm)
    wanted = {k.key: original[k.key] for k in NS.NODE_KEYS} | {REPLACEMENT: "15", "node.startup": "automatic"}
    assert NS.plan(original, wanted) == [NS.Update("node.startup", "manual", "automatic"),
                                         NS.Update(REPLACEMENT, "120", "15")]
    assert NS.plan(original, {k.key: original[k.key] for k in NS.NODE_KEYS}) == []


def test_apply_writes_through_iscsiadm_node_update(demo_adm):
    adm = demo_adm.iscsiadm
    original = record(adm)
    updates = NS.plan(original, {REPLACEMENT: "15", NOOP: "10"})
    before = len(adm.calls)
    assert NS.apply(adm, WEB_IQN, PORTAL, updates) == updates
    writes = [c for c in adm.calls[before:] if "update" in c]
    assert writes == [["-m", "node", "-T", WEB_IQN, "-p", PORTAL, "-o", "update", "-n", REPLACEMENT, "-v", "15"],
                      ["-m", "node", "-T", WEB_IQN, "-p", PORTAL, "-o", "update", "-n", NOOP, "-v", "10"]]
    now = record(adm)
    assert (now[REPLACEMENT], now[NOOP]) == ("15", "10")


def test_a_key_changed_by_someone_else_is_refused_not_overwritten(demo_adm):
    adm = demo_adm.iscsiadm
    original = record(adm)  # the form opens
    adm.update_node(WEB_IQN, PORTAL, REPLACEMENT, "30")  # someone else, meanwhile
    updates = NS.plan(original, {REPLACEMENT: "15", NOOP: "10"})
    with pytest.raises(NS.StaleRecord, match="is 30 now"):
        NS.apply(adm, WEB_IQN, PORTAL, updates)
    now = record(adm)
    assert (now[REPLACEMENT], now[NOOP]) == ("30", "5")  # nothing written


def test_a_failure_puts_back_what_was_written(demo_adm, monkeypatch):
    adm = demo_adm.iscsiadm
    original = record(adm)
    updates = NS.plan(original, {REPLACEMENT: "15", NOOP: "10", "node.session.queue_depth": "64"})
    real = adm.update_node

    def failing(target, portal, key, value, **kw):
        if key == "node.session.queue_depth":
            raise IscsiadmError(6, "The node database could not be written.")
        return real(target, portal, key, value, **kw)

    monkeypatch.setattr(adm, "update_node", failing)
    with pytest.raises(NS.PartlyWritten) as failed:
        NS.apply(adm, WEB_IQN, PORTAL, updates)
    assert [u.key for u in failed.value.undone] == [NOOP, REPLACEMENT] and not failed.value.stuck
    assert "put back" in str(failed.value)
    now = record(adm)
    assert (now[REPLACEMENT], now[NOOP], now["node.session.queue_depth"]) == ("120", "5", "32")


# --- iscsid.conf ---------------------------------------------------------------------------------------

def test_iscsid_conf_file_over_built_in_last_setting_wins(tmp_path):
    conf = tmp_path / "etc" / "iscsi" / "iscsid.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text("# comment\nnode.startup = automatic\n\nnode.session.cmds_max=64\nnode.startup = manual\n"
                    "node.session.auth.password = hunter2-secret\nnot a setting\n")
    found = iscsid_conf.read(str(tmp_path))
    assert found.path == str(conf) and found.ignored == 1
    assert (found.get("node.startup").value, found.get("node.startup").line) == ("manual", 5)
    assert found.get("node.session.cmds_max").value == "64"
    assert found.get("node.session.queue_depth").source == "built in"
    assert found.get("node.session.auth.password").shown == "********"


def test_iscsid_conf_missing_is_every_key_built_in(tmp_path):
    found = iscsid_conf.read(str(tmp_path))
    assert found.path is None and all(s.line is None for s in found.settings)
    assert found.get(REPLACEMENT).value == "120"


def test_iscsid_conf_read_is_bounded(tmp_path):
    conf = tmp_path / "etc" / "iscsi" / "iscsid.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text("node.startup = automatic\n" + "#" * (iscsid_conf.MAX_BYTES + 10) + "\n")
    found = iscsid_conf.read(str(tmp_path))
    assert found.cut and found.get("node.startup").value == "automatic"


@given(st.text())
def test_iscsid_conf_parser_takes_any_text(text):
    found, ignored = iscsid_conf.parse(text)
    lines = text.splitlines()
    assert ignored <= len(lines)
    for key, (value, number) in found.items():
        assert key in lines[number - 1] and "=" in lines[number - 1]
        assert value == value.strip()
