"""Changed meanwhile, for every setting (issue 12, item 6).

Each case: a form showed a value (``expect``), another writer changed it,
then the form's change arrives. The writer must refuse it as a conflict
("changed meanwhile: …", secrets masked) and write nothing, so the other
writer's value stays. With the value the form really showed, it applies.
"""

from __future__ import annotations

import pytest

from sanctl.sim.demo import RAC_CLIENTS, RAC_IQN, WEB_CHAP, WEB_CLIENT, WEB_IQN
from sanctl.sim.writer import SimWriter
from sanctl.lio import changes as C
from sanctl.lio.writer import COMPLETED, ROLLED_BACK_ALL

from .conftest import snapshot

WEB_SHOWN = C.Chap(**WEB_CHAP)
OTHER = C.Chap("someone", "other-secret-123")
MINE = C.Chap("mine", "my-own-secret-12")
NO = C.NO_CHAP


def _setup(writer, changes):
    if changes:
        report = writer.apply(changes)
        assert report.ok, "\n".join(report.lines())


#: id -> (before: changes that make the value the form shows; other: another admin's change;
#:        mine(expect): the form's change, carrying what it showed; shown: that value)
CASES = {
    "tpg chap": (
        [],
        [C.SetTpgAuth(WEB_IQN, 1, OTHER)],
        lambda e: C.SetTpgAuth(WEB_IQN, 1, MINE, expect=e), NO),
    "acl chap": (
        [],
        [C.SetAclAuth(WEB_IQN, 1, WEB_CLIENT, OTHER)],
        lambda e: C.SetAclAuth(WEB_IQN, 1, WEB_CLIENT, MINE, expect=e), WEB_SHOWN),
    "acl chap secret only": (
        [],
        [C.SetAclAuth(WEB_IQN, 1, WEB_CLIENT, C.Chap("web01", "a-new-secret-99", "web-target", "target-chap-secret"))],
        lambda e: C.SetAclAuth(WEB_IQN, 1, WEB_CLIENT, MINE, expect=e), WEB_SHOWN),
    "discovery chap": (
        [],
        [C.SetDiscoveryAuth(OTHER, False)],
        lambda e: C.SetDiscoveryAuth(MINE, True, expect=e, expect_enforce=False), NO),
    "discovery enforce": (
        [C.SetDiscoveryAuth(OTHER, False)],
        [C.SetDiscoveryAuth(OTHER, True)],
        lambda e: C.SetDiscoveryAuth(NO, False, expect=OTHER, expect_enforce=e), False),
    "acl tag": (
        [],
        [C.SetAclTag(RAC_IQN, 1, RAC_CLIENTS[0], "nodes")],
        lambda e: C.SetAclTag(RAC_IQN, 1, RAC_CLIENTS[0], "mine", expect=e), ""),
    "tpg enable": (
        [],
        [C.SetTpgEnabled(WEB_IQN, 1, False)],
        lambda e: C.SetTpgEnabled(WEB_IQN, 1, True, expect=e), True),
    "mapped lun write-protect": (
        [],
        [C.SetMappedLunWriteProtect(WEB_IQN, 1, WEB_CLIENT, 0, True)],
        lambda e: C.SetMappedLunWriteProtect(WEB_IQN, 1, WEB_CLIENT, 0, False, expect=e), False),
    "portal iser": (
        [],
        [C.SetPortalFlag(WEB_IQN, 1, "0.0.0.0", 3260, "iser", True)],
        lambda e: C.SetPortalFlag(WEB_IQN, 1, "0.0.0.0", 3260, "iser", False, expect=e), False),
    "tpg attribute": (
        [],
        [C.tpg_attribute(WEB_IQN, 1, "default_cmdsn_depth", 100)],
        lambda e: C.tpg_attribute(WEB_IQN, 1, "default_cmdsn_depth", 32, expect=e), "64"),
    "tpg parameter": (
        [],
        [C.tpg_parameter(WEB_IQN, 1, "HeaderDigest", "None")],
        lambda e: C.tpg_parameter(WEB_IQN, 1, "HeaderDigest", "CRC32C", expect=e), "CRC32C,None"),
    "acl attribute": (
        [],
        [C.acl_attribute(WEB_IQN, 1, WEB_CLIENT, "nopin_timeout", 20)],
        lambda e: C.acl_attribute(WEB_IQN, 1, WEB_CLIENT, "nopin_timeout", 30, expect=e), "15"),
    "acl queue depth": (
        [],
        [C.SetAclCmdsnDepth(WEB_IQN, 1, WEB_CLIENT, 100)],
        lambda e: C.SetAclCmdsnDepth(WEB_IQN, 1, WEB_CLIENT, 32, expect=e), 64),
    "backstore attribute": (
        [],
        [C.backstore_attribute("fileio", "web-data", "emulate_tpu", 1)],
        lambda e: C.backstore_attribute("fileio", "web-data", "emulate_tpu", 0, expect=e), "0"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_setting_changed_by_another_writer_is_refused_and_stays(demo, case):
    before, other, mine, shown = CASES[case]
    ours = SimWriter(str(demo))
    theirs = SimWriter(str(demo))
    _setup(ours, before)
    _setup(theirs, other)
    state = snapshot(demo)
    report = ours.apply([mine(shown)])
    assert report.outcome == ROLLED_BACK_ALL, "\n".join(report.lines())
    assert report.error.conflict
    assert "changed meanwhile" in report.error.cause
    for secret in (OTHER.password, MINE.password, WEB_CHAP["password"], WEB_CHAP["mutual_password"],
                   "a-new-secret-99"):
        assert secret not in report.message()
    assert snapshot(demo) == state, "nothing may be written"


@pytest.mark.parametrize("case", list(CASES))
def test_with_the_value_shown_it_applies(demo, case):
    before, other, mine, shown = CASES[case]
    ours = SimWriter(str(demo))
    _setup(ours, before)
    report = ours.apply([mine(shown)])
    assert report.outcome == COMPLETED, "\n".join(report.lines())


def test_the_chap_refusal_says_what_changed_without_secrets(demo):
    SimWriter(str(demo)).apply([C.SetAclAuth(WEB_IQN, 1, WEB_CLIENT, OTHER)])
    report = SimWriter(str(demo)).apply([C.SetAclAuth(WEB_IQN, 1, WEB_CLIENT, MINE, expect=WEB_SHOWN)])
    cause = report.error.cause
    assert "user name web01 -> someone" in cause and "secret changed" in cause
    assert "mutual secret cleared" in cause
    assert "other-secret-123" not in cause and "web01-chap-secret" not in cause


def test_a_multi_change_transaction_with_one_stale_setting_writes_nothing(demo):
    SimWriter(str(demo)).apply([C.SetAclTag(RAC_IQN, 1, RAC_CLIENTS[1], "theirs")])
    state = snapshot(demo)
    report = SimWriter(str(demo)).apply([
        C.SetAclTag(RAC_IQN, 1, RAC_CLIENTS[0], "ours", expect=""),
        C.SetAclTag(RAC_IQN, 1, RAC_CLIENTS[1], "ours", expect=""),
    ])
    assert report.outcome == ROLLED_BACK_ALL and report.failed_change == 1
    assert snapshot(demo) == state
