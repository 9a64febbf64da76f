"""The doctor's rules on the configuration a form is about to make (issue 12 item 8).

The projection is checked against the real thing: the same changes applied by
the sim writer and read back give the same findings for the rules the forms use.
"""

from __future__ import annotations

from sanctl.doctor import before_commit, rules
from sanctl.lio import changes as C

from .conftest import RAC, WEB, apply, config_of, facts


def _titles(found) -> set[str]:
    return {f.title for f in found}


def test_iser_without_rdma_warns_only_when_the_host_has_none(demo, writer):
    apply(writer, C.SetPortalFlag(WEB, 1, "0.0.0.0", 3260, "iser", True))
    config = config_of(demo)
    assert [f.severity for f in rules.iser_without_rdma(config, None, facts(config, rdma=False))] == ["warning"]
    assert rules.iser_without_rdma(config, None, facts(config, rdma=True)) == []
    assert rules.iser_without_rdma(config, None, facts(config)) == []  # not looked at: quiet


def test_the_projection_finds_what_the_written_configuration_has(demo, writer):
    before = config_of(demo)
    changes = [C.tpg_attribute(RAC, 1, "generate_node_acls", 1),
               C.tpg_attribute(RAC, 1, "demo_mode_write_protect", 0),
               C.SetPortalFlag(RAC, 1, "0.0.0.0", 3260, "iser", True),
               C.CreateLun(WEB, 1, ("block", "ora-ocr-1"))]
    f = facts(before, rdma=False)
    projected = before_commit.project(before, changes)
    apply(writer, *changes)
    written = config_of(demo)
    for rule in before_commit.RULES:
        assert _titles(rule(projected, None, f)) == _titles(rule(written, None, f)), rule.__name__
    said = before_commit.warnings(before, changes, f)
    assert any(w.startswith("doctor: Demo mode with write access") for w in said)
    assert any("iSER on portal 0.0.0.0:3260" in w for w in said)
    assert any("block/ora-ocr-1" in w for w in said)


def test_a_harmless_change_adds_no_warning(demo):
    config = config_of(demo)
    assert before_commit.warnings(config, [C.tpg_attribute(RAC, 1, "login_timeout", 20)],
                                  facts(config, rdma=False)) == []
