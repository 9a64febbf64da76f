"""The edit forms build one SetSetting per changed setting, naming the object it
belongs to and carrying the value the form showed (``expect``): a backstore's
attributes, a TPG's attributes and parameters, an ACL's attributes, an ALUA
group's parameters. The review lines are the ones the five setting classes
wrote before they were folded into one.
"""

from __future__ import annotations

import pytest

from sanctl.sim.demo import RAC_CLIENTS, RAC_IQN, build_demo
from sanctl.forms.alua import alua_group_edit
from sanctl.forms.context import Context
from sanctl.forms.edit import acl_edit, storage_object_edit, tpg_edit
from sanctl.forms.spec import evaluate
from sanctl.lio import changes as C
from sanctl.lio.configfs import read_config
from sanctl.lio.impact import find_acl, find_tpg

TPG = f"{RAC_IQN}/tpg1"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("settings") / "demo"
    build_demo(root)
    config = read_config(str(root), details=True)
    target = next(t for t in config.targets if t.wwn == RAC_IQN)
    tpg = find_tpg(config, "iscsi", RAC_IQN, 1)
    return root, config, target, tpg


def _built(spec, raw) -> list[tuple[str, str, str, str | None]]:
    found = evaluate(spec, raw)
    assert found.ok, (found.problem, found.errors)
    assert all(isinstance(c, C.SetSetting) for c in found.result)
    return [(type(c.owner).__name__, c.group, c.describe(), c.expect) for c in found.result]


def test_a_backstore_attribute(demo):
    _, config, _, _ = demo
    so = config.storage_object(("block", "ora-ocr-1"))
    assert _built(storage_object_edit(so), {"emulate_tpu": True}) == [
        ("BackstoreRef", "attribute", "Set emulate_tpu=1 on backstore block/ora-ocr-1", "0")]


def test_a_tpg_attribute_and_parameter(demo):
    _, _, target, tpg = demo
    assert _built(tpg_edit(target, tpg), {"login_timeout": "20", "MaxConnections": "2"}) == [
        ("TpgRef", "attribute", f"Set login_timeout=20 on TPG {TPG}", "15"),
        ("TpgRef", "parameter", f"Set MaxConnections=2 on TPG {TPG}", "1")]


def test_an_acl_attribute(demo):
    _, _, target, tpg = demo
    acl = find_acl(tpg, RAC_CLIENTS[0])
    assert _built(acl_edit(target, tpg, acl), {"nopin_timeout": "20"}) == [
        ("AclRef", "attribute", f"Set nopin_timeout=20 on ACL {RAC_CLIENTS[0]} of {TPG}", "15")]


def test_alua_group_parameters_with_the_type_that_removes_implicit_last(demo):
    root, config, _, _ = demo
    so = config.storage_object(("block", "ora-ocr-1"))
    group = next(g for g in so.alua_groups if g.name == C.DEFAULT_ALUA_GROUP)
    where = "ALUA group default_tg_pt_gp of backstore block/ora-ocr-1"
    assert _built(alua_group_edit(Context(config), so, group),
                  {"alua_access_type": "2", "alua_access_state": "1", "preferred": True}) == [
        ("AluaGroupRef", "parameter", f"Set alua_access_state=1 (Active/NonOptimized) on {where}", "0"),
        ("AluaGroupRef", "parameter", f"Set preferred=1 on {where}", "0"),
        ("AluaGroupRef", "parameter", f"Set alua_access_type=2 (Explicit) on {where}", "3")]
