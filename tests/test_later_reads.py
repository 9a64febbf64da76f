"""The tree and the saveconfig dump read what the first read left only through the model's ``later``.

The domain opens no file: a model read over another transport brings its own reads, and a model
from a file (no ``later``) is shown as it is.
"""

from __future__ import annotations

from dataclasses import replace

from sanctl import tree
from sanctl.lio.configfs import read_config
from sanctl.lio.saveconfig import dump


class Recording:
    """A ``LaterReads`` that counts what it was asked and hands on to the reader's."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.asked: list[str] = []

    def __getattr__(self, name):
        method = getattr(self.inner, name)

        def call(*args):
            self.asked.append(name)
            return method(*args)

        return call


def _acl_nodes(config):
    return [node for node in tree.walk(config) if node.kind == "acl"]


def test_an_acls_mapped_luns_are_read_through_the_models_later_reads(demo):
    quick = read_config(str(demo), mapped_luns=False)
    recording = Recording(quick.later)
    config = replace(quick, later=recording)
    full = read_config(str(demo))
    for node in _acl_nodes(config):
        shown = [child.name for child in tree.children(config, node)]
        expected = [child.name for child in tree.children(full, tree.find(full, node.path)[-1])]
        assert shown == expected
    assert "mapped_luns" in recording.asked


def test_a_model_with_nothing_to_read_later_is_shown_as_it_is(demo):
    config = replace(read_config(str(demo), mapped_luns=False), later=None)
    counted = [node for node in _acl_nodes(config) if node.obj.mapped_lun_count]
    assert counted, "the demo has ACLs with mapped LUNs"
    for node in counted:
        assert tree.children(config, node) == []  # no file is opened for them
    assert tree.complete(config, counted[0]) == (config, counted[0])


def test_the_dump_reads_the_details_through_later_reads(demo):
    quick = read_config(str(demo))
    recording = Recording(quick.later)
    assert dump(replace(quick, later=recording)) == dump(read_config(str(demo), details=True))
    assert recording.asked == ["details"]
