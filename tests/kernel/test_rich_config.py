"""Every object kind the kernel offers, read back by sanctl, on the real kernel.

Builds the capture's configuration (tests/kernel/capture.py: block, fileio,
ramdisk, nullio, pscsi on a tcm_loop disk, TCMU, a loopback target, two TPGs,
IPv4/IPv6/wildcard portals with iSER, CHAP and mutual CHAP ACLs, tags, a
mapped LUN above 255, demo mode, discovery auth) without logging in.
"""

from __future__ import annotations

import pytest

from test_cleanup import _assert_configfs_empty
from test_reader_vs_rtslib import _assert_export_equals_dump, _assert_facts_agree, _rtslib_facts, _sanctl_facts

pytestmark = pytest.mark.kernel


@pytest.fixture
def rich_san(lab):
    import capture

    made = capture.build(lab.tmp)
    lab.loops.extend(made["loops"])
    return made


def test_export_equals_rtslib_dump_for_every_object_kind(rich_san, kernel_env):
    _assert_export_equals_dump(kernel_env)


def test_read_config_agrees_with_rtslib_for_every_object_kind(rich_san):
    from sanctl.lio.configfs import read_config

    config = read_config(root="/", details=True)
    assert not config.problems, config.problems
    ours = _sanctl_facts(config)
    _assert_facts_agree(ours, _rtslib_facts())
    plugins = {plugin for plugin, _name in ours["storage"]}
    assert {"block", "fileio", "ramdisk"} <= plugins
    # pscsi and user exist when the kernel took them (it did on Debian's 6.1).
    assert plugins <= {"block", "fileio", "ramdisk", "pscsi", "user"}
    fabrics = {fabric for fabric, _wwn in ours["targets"]}
    assert fabrics == {"iscsi", "loopback"}


def test_cleanup_after_every_object_kind_leaves_configfs_empty(rich_san, lab, kernel_env):
    lab.cleanup()
    _assert_configfs_empty(kernel_env)
