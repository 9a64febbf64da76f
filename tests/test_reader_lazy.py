"""What the TUI's first read leaves for later, and reading it when needed.

``read_config(mapped_luns=False)`` counts each ACL's mapped LUNs without
reading them (they are most of a big configuration's files);
``tpg_attributes=False`` reads only the TPG attributes the labels use.
Whatever reads the rest later — one ACL, the whole configuration, the
details — must give exactly what the full read gives.
"""

from __future__ import annotations

import os
import shutil

import pytest

from sanctl import tree
from sanctl.model_json import to_jsonable
from sanctl.sim.demo import build_demo
from sanctl.lio.configfs import (
    SUMMARY_TPG_ATTRIBUTES,
    fill_details,
    fill_mapped_luns,
    read_config,
    read_mapped_luns,
)

#: What the TUI reads at start.
LIGHT = {"mapped_luns": False, "tpg_attributes": False}


@pytest.fixture(params=["demo", "rac_live", "kernel_capture"])
def root(request, tmp_path_factory):
    if request.param == "demo":
        path = tmp_path_factory.mktemp("lazy") / "demo"
        build_demo(path)
        return str(path)
    return str(request.getfixturevalue(request.param))


def _acls(config):
    return [acl for fabric in config.fabrics for target in fabric.targets for tpg in target.tpgs for acl in tpg.acls]


def test_the_lazy_read_counts_what_it_does_not_read(root):
    full, lazy = read_config(root), read_config(root, **LIGHT)
    assert _acls(full), "the tree has ACLs"
    assert any(acl.mapped_luns for acl in _acls(full))
    for whole, counted in zip(_acls(full), _acls(lazy), strict=True):
        assert whole.unread_mapped_luns is None
        assert counted.mapped_luns == ()
        assert counted.unread_mapped_luns == len(whole.mapped_luns) == counted.mapped_lun_count
        assert read_mapped_luns(root, counted) == whole


def test_filling_gives_the_full_read(root):
    full, lazy = read_config(root), read_config(root, mapped_luns=False)
    assert to_jsonable(fill_mapped_luns(lazy)) == to_jsonable(full)
    assert fill_mapped_luns(full) is full  # nothing to read: the same object
    assert to_jsonable(fill_details(lazy)) == to_jsonable(fill_details(full))
    assert to_jsonable(fill_details(read_config(root, **LIGHT))) == to_jsonable(fill_details(full))


def _tpgs(config):
    return [tpg for fabric in config.fabrics for target in fabric.targets for tpg in target.tpgs]


def test_the_light_read_keeps_the_tpg_attributes_the_labels_use(root):
    full, light = read_config(root), read_config(root, **LIGHT)
    assert _tpgs(full)
    for whole, summary in zip(_tpgs(full), _tpgs(light), strict=True):
        assert {s.name for s in summary.attributes} <= set(SUMMARY_TPG_ATTRIBUTES)
        assert len(summary.attributes) < len(whole.attributes)
        for name in SUMMARY_TPG_ATTRIBUTES:
            assert summary.attributes.value(name) == whole.attributes.value(name)
        assert (summary.demo_mode, summary.authentication) == (whole.demo_mode, whole.authentication)


def test_the_tree_and_its_text_are_the_same_either_way(root):
    full, lazy = read_config(root), read_config(root, **LIGHT)
    assert [(n.path, n.summary, n.expandable) for n in tree.walk(lazy)] == [
        (n.path, n.summary, n.expandable) for n in tree.walk(full)
    ]
    assert tree.render_text(lazy) == tree.render_text(full)


def test_complete_refinds_the_node_with_its_mapped_luns(root):
    lazy = read_config(root, **LIGHT)
    acl_node = next(n for n in tree.walk(lazy) if n.kind == "acl" and n.obj.mapped_lun_count)
    assert acl_node.obj.mapped_luns == ()
    full, node = tree.complete(lazy, acl_node)
    assert node.path == acl_node.path
    assert len(node.obj.mapped_luns) == acl_node.obj.mapped_lun_count
    assert all(acl.unread_mapped_luns is None for acl in _acls(full))


def test_an_acl_that_vanished_before_its_mapped_luns_were_read(tmp_path):
    root = tmp_path / "demo"
    build_demo(root)
    lazy = read_config(str(root), mapped_luns=False)
    acl = next(acl for acl in _acls(lazy) if acl.mapped_lun_count)
    shutil.rmtree(root / "sys/kernel/config/target" / acl.path)  # a plain tree: rmtree is the kernel's rmdir
    gone = read_mapped_luns(str(root), acl)
    assert gone.mapped_luns == () and gone.unread_mapped_luns is None


def test_the_detailed_read_in_one_pass_is_the_light_read_filled(root):
    """``read_config(details=True)`` reads each object's details with the object; filling a light read later
    (the TUI's details, export of a lazy read) reads them object by object. Both give the same model."""
    one_pass = read_config(root, details=True)
    assert one_pass.details
    assert one_pass == fill_details(read_config(root, **LIGHT))
    assert to_jsonable(one_pass) == to_jsonable(fill_details(read_config(root)))


def test_show_prints_the_lun_alua_groups_its_read_holds(root, monkeypatch):
    """The LUN labels name their ALUA group: the show read reads them in its pass, rendering reads none."""
    config = read_config(root)
    luns = [lun for tpg in _tpgs(config) for lun in tpg.luns]
    assert any(lun.alua_tg_pt_gp_name for lun in luns), "the tree has LUNs in ALUA groups"
    opened = []
    real_open = os.open

    def noting_open(path, *args, **kwargs):
        opened.append(os.fsdecode(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", noting_open)
    text = tree.render_text(config)
    monkeypatch.undo()
    assert not [path for path in opened if path.endswith("alua_tg_pt_gp")]
    assert text == tree.render_text(read_config(root, **LIGHT))  # what the light read's labels read themselves
