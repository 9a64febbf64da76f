"""The setting changes share one template and the backstore changes one
reference (sanctl.lio.changes.base._Setting, storage._InStorageObject): their
words, paths and journal form are what they were before the fold.

The expected lines were produced by the classes as they were written before
(one template per class), so a slip in the shared template shows here.
"""

import pytest

from sanctl.lio import changes as C
from sanctl.lio import journal as J

T, I = "iqn.2003-01.org.x:t", "iqn.1994-05.com.redhat:c"

CASES = [
    (C.SetStorageObjectAttribute("block", "d1", "emulate_tpu", 1),
     "Set emulate_tpu=1 on backstore block/d1", "attribute emulate_tpu of backstore block/d1",
     "core/iblock_*/d1/attrib/emulate_tpu", "/backstores/block/d1 set attribute emulate_tpu=1"),
    (C.DeleteStorageObject("fileio", "f"),
     "Delete backstore fileio/f and every LUN using it", "backstore fileio/f", "core/fileio_*/f",
     "/backstores/fileio delete f"),
    (C.SetTpgAttribute(T, 1, "login_timeout", 20),
     f"Set login_timeout=20 on TPG {T}/tpg1", f"attribute login_timeout of TPG {T}/tpg1",
     f"iscsi/{T}/tpgt_1/attrib/login_timeout", f"/iscsi/{T}/tpg1 set attribute login_timeout=20"),
    (C.SetTpgAttribute("naa.5001405abcdef012", 2, "anything", 3, fabric="loopback"),
     "Set anything=3 on TPG loopback naa.5001405abcdef012/tpg2",
     "attribute anything of TPG loopback naa.5001405abcdef012/tpg2",
     "loopback/naa.5001405abcdef012/tpgt_2/attrib/anything",
     "/loopback/naa.5001405abcdef012/tpg2 set attribute anything=3"),
    (C.SetTpgParameter(T, 1, "TargetAlias", "my alias"),
     f"Set TargetAlias=my alias on TPG {T}/tpg1", f"parameter TargetAlias of TPG {T}/tpg1",
     f"iscsi/{T}/tpgt_1/param/TargetAlias", f'/iscsi/{T}/tpg1 set parameter TargetAlias="my alias"'),
    (C.SetAclAttribute(T, 1, I, "nopin_timeout", 20),
     f"Set nopin_timeout=20 on ACL {I} of {T}/tpg1", f"attribute nopin_timeout of ACL {I} of {T}/tpg1",
     f"iscsi/{T}/tpgt_1/acls/{I}/attrib/nopin_timeout", f"/iscsi/{T}/tpg1/acls/{I} set attribute nopin_timeout=20"),
    (C.SetAluaGroupParameter("block", "d1", "g1", "alua_access_state", 2),
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


def test_the_journal_form_of_a_setting_is_unchanged():
    """A journal written before the fold is read back as the same change, and written the same way."""
    written = {"type": "SetAclAttribute",
               "fields": {"target": T, "tpg": 1, "initiator": I, "attribute": "nopin_timeout", "value": "20",
                          "fabric": "iscsi", "expect": "15"}}
    change = J.decode_change(written)
    assert change == C.SetAclAttribute(T, 1, I, "nopin_timeout", 20, expect="15")
    assert J.encode_change(change) == written
    so = {"type": "SetStorageObjectAttribute",
          "fields": {"plugin": "block", "name": "d1", "attribute": "emulate_tpu", "value": "1", "expect": None}}
    assert J.encode_change(J.decode_change(so)) == so
