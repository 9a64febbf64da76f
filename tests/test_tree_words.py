"""The tree and `sanctl show` in targetcli 3's words: CHAP on ACLs and TPGs, discovery auth on the
fabric, the ALUA group on LUN labels, and loopback targets under their own fabric node."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sanctl import tree as T
from sanctl.sim import layout as L
from sanctl.sim.demo import RAC_IQN, SCRATCH_IQN, WEB_CLIENT, WEB_IQN, demo_kernel
from sanctl.lio.configfs import read_config

FIXTURES = Path(__file__).parent / "fixtures" / "scenarios"
LOOP = "naa.5001405c0ffee123"


def _label(text: str, name: str) -> str:
    """The bracketed summary of the line naming ``name`` in ``render_text`` (or targetcli ls) output."""
    for line in text.splitlines():
        if re.search(rf"o- {re.escape(name)} ", line):
            return line.rsplit("[", 1)[1].rstrip("]")
    raise AssertionError(f"no line for {name}")


@pytest.fixture
def kernel(tmp_path):
    return demo_kernel(tmp_path / "demo")


def test_acls_say_1_way_or_mutual_auth_where_the_tpg_requires_chap(kernel):
    L.set_tpg_attribute(kernel, RAC_IQN, 1, "authentication", 1)  # RAC's ACLs have no CHAP
    text = T.render_text(read_config(kernel.root))
    assert _label(text, WEB_CLIENT) == "mutual auth, Mapped LUNs: 1"  # CHAP and mutual CHAP
    assert _label(text, "iqn.2024-01.storage.oracle:client") == "1-way auth, Mapped LUNs: 6"
    L.set_tpg_attribute(kernel, RAC_IQN, 1, "authentication", 0)
    assert _label(T.render_text(read_config(kernel.root)), "iqn.2024-01.storage.oracle:client") == "Mapped LUNs: 6"


def test_demo_mode_with_auth_says_tpg_auth_and_its_chap(kernel):
    L.set_tpg_attribute(kernel, SCRATCH_IQN, 1, "authentication", 1)
    L.set_tpg_auth(kernel, SCRATCH_IQN, 1, userid="u", password="p")
    config = read_config(kernel.root)
    scratch = T.find(config, f"/iscsi/{SCRATCH_IQN}/tpg1")[-1]
    assert scratch.summary == "gen-acls, tpg-auth, 1-way auth, enabled"


def test_the_fabric_says_discovery_auth_when_enforced(kernel):
    assert _label(T.render_text(read_config(kernel.root)), "iscsi") == "Targets: 3"
    L.set_discovery_auth(kernel, userid="d", password="dp", mutual_userid="m", mutual_password="mp", enforce=True)
    assert _label(T.render_text(read_config(kernel.root)), "iscsi") == "mutual disc auth, Targets: 3"
    L.set_discovery_auth(kernel, mutual_userid="NULL", mutual_password="NULL")
    assert _label(T.render_text(read_config(kernel.root)), "iscsi") == "1-way disc auth, Targets: 3"


def test_lun_labels_name_their_alua_group_as_targetcli_3_does(kernel):
    text = T.render_text(read_config(kernel.root))
    assert _label(text, "lun0") == "ramdisk/scratch (default_tg_pt_gp)"
    ls = (FIXTURES / "targetcli_pip_3.0.2_ls_1session.txt").read_text()
    assert _label(ls, "lun0") == "fileio/disk0 (/tmp/lun0.img) (default_tg_pt_gp)"  # the shape copied
    assert "[block/ora-ocr-1 (/dev/vg_san/ora-ocr-1) (default_tg_pt_gp)]" in text


def test_loopback_has_its_own_fabric_node_without_acls_or_auth(kernel):
    config = read_config(kernel.root)
    assert "o- loopback " not in T.render_text(config)  # tcm_loop not loaded, not announced
    assert _label(T.render_text(config, fabrics=("loopback",)), "loopback") == "Targets: 0"
    L.create_loopback_target(kernel, LOOP)
    L.create_tpg(kernel, LOOP, 1, "loopback")
    L.set_loopback_nexus(kernel, LOOP, 1, "naa.5001405aaaaaaaaa")
    text = T.render_text(read_config(kernel.root))
    assert _label(text, "loopback") == "Targets: 1"
    tpg = T.find(read_config(kernel.root), f"/loopback/{LOOP}/tpg1")[-1]
    assert tpg.summary == "naa.5001405aaaaaaaaa"  # targetcli: the nexus; no acls, no auth
    assert [n.name for n in T.children(read_config(kernel.root), tpg)] == ["luns"]
    assert [n.name for n in T.children(read_config(kernel.root), T.find(config, f"/iscsi/{WEB_IQN}/tpg1")[-1])] == [
        "acls", "luns", "portals"]
