"""The setting changes are one class (sanctl.lio.changes.SetSetting, its object a
reference of sanctl.lio.changes.refs) and the backstore changes share one
reference: their words and paths are what the five setting classes and the
backstore changes said before the fold, and a journal written before it is
still read.

The expected lines were produced by the classes as they were written before
(one template per class), so a slip in the shared template shows here.
"""

import json

import pytest

from sanctl.lio import changes as C
from sanctl.lio import journal as J

T, I = "iqn.2003-01.org.x:t", "iqn.1994-05.com.redhat:c"

CASES = [
    (C.backstore_attribute("block", "d1", "emulate_tpu", 1),
     "Set emulate_tpu=1 on backstore block/d1", "attribute emulate_tpu of backstore block/d1",
     "core/iblock_*/d1/attrib/emulate_tpu", "/backstores/block/d1 set attribute emulate_tpu=1"),
    (C.DeleteStorageObject("fileio", "f"),
     "Delete backstore fileio/f and every LUN using it", "backstore fileio/f", "core/fileio_*/f",
     "/backstores/fileio delete f"),
    (C.tpg_attribute(T, 1, "login_timeout", 20),
     f"Set login_timeout=20 on TPG {T}/tpg1", f"attribute login_timeout of TPG {T}/tpg1",
     f"iscsi/{T}/tpgt_1/attrib/login_timeout", f"/iscsi/{T}/tpg1 set attribute login_timeout=20"),
    (C.tpg_attribute("naa.5001405abcdef012", 2, "anything", 3, fabric="loopback"),
     "Set anything=3 on TPG loopback naa.5001405abcdef012/tpg2",
     "attribute anything of TPG loopback naa.5001405abcdef012/tpg2",
     "loopback/naa.5001405abcdef012/tpgt_2/attrib/anything",
     "/loopback/naa.5001405abcdef012/tpg2 set attribute anything=3"),
    (C.tpg_parameter(T, 1, "TargetAlias", "my alias"),
     f"Set TargetAlias=my alias on TPG {T}/tpg1", f"parameter TargetAlias of TPG {T}/tpg1",
     f"iscsi/{T}/tpgt_1/param/TargetAlias", f'/iscsi/{T}/tpg1 set parameter TargetAlias="my alias"'),
    (C.acl_attribute(T, 1, I, "nopin_timeout", 20),
     f"Set nopin_timeout=20 on ACL {I} of {T}/tpg1", f"attribute nopin_timeout of ACL {I} of {T}/tpg1",
     f"iscsi/{T}/tpgt_1/acls/{I}/attrib/nopin_timeout", f"/iscsi/{T}/tpg1/acls/{I} set attribute nopin_timeout=20"),
    (C.alua_group_parameter("block", "d1", "g1", "alua_access_state", 2),
     "Set alua_access_state=2 (Standby) on ALUA group g1 of backstore block/d1",
     "alua_access_state of ALUA group g1 of backstore block/d1", "core/iblock_*/d1/alua/g1/alua_access_state",
     "# rtslib: ALUATargetPortGroup(so('/backstores/block/d1'), 'g1').alua_access_state = 2  (not in targetcli)"),
    (C.DeleteAluaGroup("block", "d1", "g1"),
     "Delete ALUA group g1 of backstore block/d1 (its LUNs return to default_tg_pt_gp)",
     "ALUA group g1 of backstore block/d1", "core/iblock_*/d1/alua/g1",
     "# rtslib: ALUATargetPortGroup(so('/backstores/block/d1'), 'g1').delete()  (not in targetcli)"),
]


@pytest.mark.parametrize("change, describe, subject, path, targetcli", CASES, ids=lambda v: type(v).__name__)
def test_a_folded_change_says_what_it_said(change, describe, subject, path, targetcli):
    assert (change.describe(), change.subject, change.cfs_path, change.targetcli()) == (
        describe, subject, path, targetcli)


def test_a_setting_journalled_before_the_fold_is_read_as_the_same_change():
    """A journal written before the fold (old class names and fields) is read back as the one SetSetting."""
    written = {"type": "SetAclAttribute",
               "fields": {"target": T, "tpg": 1, "initiator": I, "attribute": "nopin_timeout", "value": "20",
                          "fabric": "iscsi", "expect": "15"}}
    change = J.decode_change(written)
    assert change == C.acl_attribute(T, 1, I, "nopin_timeout", 20, expect="15")
    assert change == C.SetSetting(C.AclRef(T, 1, I), "attribute", "nopin_timeout", "20", "15")
    assert J.decode_change(J.encode_change(change)) == change
    so = {"type": "SetStorageObjectAttribute",
          "fields": {"plugin": "block", "name": "d1", "attribute": "emulate_tpu", "value": "1", "expect": None}}
    assert J.decode_change(so) == C.backstore_attribute("block", "d1", "emulate_tpu", 1)
    alua = {"type": "SetAluaGroupParameter",
            "fields": {"plugin": "block", "name": "d1", "group": "g1", "parameter": "alua_access_state",
                       "value": "2", "expect": None}}
    assert J.decode_change(alua).describe() == "Set alua_access_state=2 (Standby) on ALUA group g1 of backstore block/d1"


def test_a_damaged_old_setting_is_a_sentence():
    with pytest.raises(J.JournalError, match="invalid SetTpgAttribute"):
        J.decode_change({"type": "SetTpgAttribute", "fields": {"target": T, "tpg": 1, "attribute": "../enable",
                                                               "value": "1"}})
    with pytest.raises(J.JournalError, match="invalid TpgRef"):
        J.decode_change({"type": "SetSetting", "fields": {
            "owner": {"__ref__": "TpgRef", "fields": {"target": "no iqn", "tpg": 1}},
            "group": "attribute", "key": "login_timeout", "value": "20"}})



@pytest.mark.parametrize("change", [case[0] for case in CASES if isinstance(case[0], C.SetSetting)],
                         ids=lambda c: f"{type(c.owner).__name__}-{c.group}")
def test_a_setting_goes_through_the_journal_as_itself(change):
    written = J.encode_change(change)
    assert written["type"] == "SetSetting" and written["fields"]["owner"]["__ref__"] == type(change.owner).__name__
    assert J.decode_change(json.loads(json.dumps(written))) == change
