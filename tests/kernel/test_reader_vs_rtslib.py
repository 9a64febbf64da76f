"""sanctl's configfs reader and export against rtslib-fb, on the real kernel."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ktools import REPO

pytestmark = pytest.mark.kernel


def _sanctl_export() -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "sanctl", "export"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, f"sanctl export exited {proc.returncode}: {proc.stderr}"
    return json.loads(proc.stdout)


def _assert_export_equals_dump(kt) -> None:
    from rtslib import RTSRoot

    expected = RTSRoot().dump()
    # rtslib's dump is what saveconfig.json holds: compare as parsed JSON.
    expected = json.loads(json.dumps(expected))
    got = _sanctl_export()
    diff = kt.json_diff(expected, got)
    assert got == expected, "sanctl export differs from RTSRoot().dump() (first = rtslib):\n" + "\n".join(diff)


def test_export_equals_rtslib_dump(basic_san, kernel_env):
    _assert_export_equals_dump(kernel_env)


def test_export_equals_rtslib_dump_with_a_session(logged_in, kernel_env):
    _assert_export_equals_dump(kernel_env)


def test_export_of_an_empty_target_equals_rtslib_dump(lab, kernel_env):
    lab.rtsroot()
    _assert_export_equals_dump(kernel_env)


def _rtslib_facts() -> dict:
    """Identity-level facts as rtslib-fb sees them."""
    from rtslib import RTSRoot

    root = RTSRoot()
    facts: dict = {"storage": {}, "targets": {}}
    for so in root.storage_objects:
        # rtslib-fb has no size for pscsi objects: compare sizes where it has one.
        facts["storage"][(so.plugin, so.name)] = {
            "size": getattr(so, "size", None), "dev": so.udev_path or None, "wwn": so.wwn or None,
        }
    for target in root.targets:
        tpgs = {}
        for tpg in target.tpgs:
            tpgs[tpg.tag] = {
                "enabled": tpg.enable,
                "luns": {lun.lun: (lun.storage_object.plugin, lun.storage_object.name) for lun in tpg.luns},
                "acls": {
                    acl.node_wwn: {m.mapped_lun: (m.tpg_lun.lun, m.write_protect) for m in acl.mapped_luns}
                    for acl in tpg.node_acls
                },
                "portals": {(p.ip_address, p.port) for p in tpg.network_portals},
            }
        facts["targets"][(target.fabric_module.name, target.wwn)] = tpgs
    return facts


def _assert_facts_agree(ours: dict, theirs: dict) -> None:
    assert set(ours["storage"]) == set(theirs["storage"])
    for key, want in theirs["storage"].items():
        got = dict(ours["storage"][key])
        if want["size"] is None:
            got["size"] = None
        assert got == want, key
    assert ours["targets"] == theirs["targets"]


def _sanctl_facts(config) -> dict:
    """The same facts from sanctl's model (sanctl.model.SanConfig)."""
    facts: dict = {"storage": {}, "targets": {}}
    for so in config.storage_objects:
        facts["storage"][(so.plugin, so.name)] = {"size": so.size, "dev": so.dev or None, "wwn": so.wwn or None}
    for target in config.targets:
        tpgs = {}
        for tpg in target.tpgs:
            tpgs[tpg.tag] = {
                "enabled": tpg.enabled,
                "luns": {lun.index: lun.storage_object for lun in tpg.luns},
                "acls": {
                    acl.node_wwn: {m.index: (m.tpg_lun, m.write_protect) for m in acl.mapped_luns}
                    for acl in tpg.acls
                },
                "portals": {(p.ip_address, p.port) for p in tpg.portals},
            }
        facts["targets"][(target.fabric, target.wwn)] = tpgs
    return facts


@pytest.mark.parametrize("details", [False, True], ids=["plain", "details"])
def test_read_config_agrees_with_rtslib(basic_san, details):
    from sanctl.lio.configfs import read_config

    config = read_config(root="/", details=details)
    assert not config.problems, config.problems
    _assert_facts_agree(_sanctl_facts(config), _rtslib_facts())


def test_read_config_sees_what_was_built(basic_san):
    from sanctl.lio.configfs import read_config

    config = read_config(root="/", details=True)
    facts = _sanctl_facts(config)
    assert {k: {"size": v["size"], "dev": v["dev"]} for k, v in facts["storage"].items()} == basic_san.storage
    assert list(facts["targets"]) == [("iscsi", basic_san.target_iqn)]
    tpg = facts["targets"][("iscsi", basic_san.target_iqn)][1]
    assert tpg["enabled"] is True
    assert tpg["luns"] == basic_san.luns
    assert tpg["acls"] == {basic_san.acl: basic_san.mapped}
    assert tpg["portals"] == basic_san.portals
    assert not config.empty
