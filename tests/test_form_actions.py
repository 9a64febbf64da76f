"""The ACTIONS table (sanctl.forms.actions): one row per tree node kind, and the forms free of Textual and reads."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sanctl.forms.actions import ACTIONS, add_form, delete_change, edit_form
from sanctl.forms.context import Context
from sanctl.forms.spec import FormSpec
from sanctl.lio import changes as C
from sanctl.lio.configfs import read_config
from sanctl.sim.demo import build_demo
from sanctl.tree import walk

#: The kinds d deletes (the others are lists, the root, a fabric or a plugin).
OBJECTS = {"storage_object", "target", "tpg", "lun", "acl", "mapped_lun", "portal"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("actions") / "demo"
    build_demo(root)
    return str(root), read_config(str(root))


def test_every_kind_the_tree_makes_has_a_row(demo):
    _, config = demo
    kinds = {node.kind for node in walk(config)}
    assert kinds <= set(ACTIONS), kinds - set(ACTIONS)
    assert {k for k, row in ACTIONS.items() if row.delete is not None} == OBJECTS


def test_d_is_a_change_on_objects_and_a_sentence_elsewhere(demo):
    _, config = demo
    seen = set()
    for node in walk(config):
        result = delete_change(config, node)
        if node.kind in OBJECTS:
            assert isinstance(result, C.Change), (node.path, result)
            seen.add(node.kind)
        else:
            assert isinstance(result, str) and result, node.path
    assert seen == OBJECTS


def test_a_and_e_answer_a_form_or_a_sentence_on_every_node(demo):
    root, config = demo
    ctx = Context(config)
    for node in walk(config):
        for result in (add_form(ctx, node), edit_form(ctx, node)):
            assert isinstance(result, FormSpec) or (isinstance(result, str) and result), node.path
    # a kind with no add: the sentence names it (the words the old ladder said)
    lun = next(n for n in walk(config) if n.kind == "lun")
    assert add_form(ctx, lun).startswith("Nothing can be added under a LUN")


def test_the_forms_import_no_textual_no_ui_and_no_reader():
    code = ("import sys, sanctl.forms.actions, sanctl.forms.doctor_check\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')\n"
            "             or m.startswith(('sanctl.ui', 'sanctl.sim', 'sanctl.lio.configfs')))\n"
            "print(' '.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == ""
