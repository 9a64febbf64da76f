"""``sanctl export`` is key for key what rtslib-fb dumps for the same tree."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from rtslib_tree import rtslib_on_tree

from sanctl.lio.configfs import read_config
from sanctl.lio.saveconfig import dump

FIXTURES = Path(__file__).parent / "fixtures"
TPG_ACL = "sys/kernel/config/target/iscsi/iqn.2024-01.storage.oracle:rac/tpgt_1/acls/iqn.2024-01.storage.oracle:client"


def unordered(value):
    """Lists compared as multisets: the kernel's directory order is not the unpacked tree's."""
    if isinstance(value, dict):
        return {k: unordered(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted((unordered(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return value


@pytest.mark.parametrize("name", ["idle", "live"])
def test_export_equals_rtslib_dump_of_the_same_tree(request, name):
    tree = request.getfixturevalue(f"rac_{name}_shared")
    with rtslib_on_tree(tree) as rts:
        expected = rts.dump()
    assert dump(read_config(str(tree))) == expected  # same keys, values and order


@pytest.mark.parametrize("name", ["idle", "live"])
def test_export_equals_the_dump_the_real_kernel_gave(request, name):
    tree = request.getfixturevalue(f"rac_{name}_shared")
    kernel = json.loads((FIXTURES / "rac" / f"{name}-rtslib-dump.json").read_text())
    assert unordered(dump(read_config(str(tree)))) == unordered(kernel)


def test_export_with_chap_tag_and_write_protect_matches_rtslib(rac_idle):
    acl = rac_idle / TPG_ACL
    (acl / "auth" / "userid").write_text("client")
    (acl / "auth" / "password").write_text("pass-0123456789")
    (acl / "auth" / "userid_mutual").write_text("target")
    (acl / "auth" / "password_mutual").write_text("mutual-0123456789")
    (acl / "tag").write_text("rac-nodes")
    (acl / "lun_3" / "write_protect").write_text("1\n")
    disc = rac_idle / "sys/kernel/config/target/iscsi/discovery_auth"
    (disc / "enforce_discovery_auth").write_text("1\n")
    (disc / "userid").write_text("disc")
    (disc / "password").write_text("disc-secret-123")
    with rtslib_on_tree(rac_idle) as rts:
        expected = rts.dump()
    ours = dump(read_config(str(rac_idle)))
    assert ours == expected
    acl_dump = next(a for a in ours["targets"][0]["tpgs"][0]["node_acls"] if a["node_wwn"].endswith(":client"))
    assert acl_dump["chap_password"] == "pass-0123456789"  # the save file needs the clear secret
    assert ours["fabric_modules"][0]["discovery_userid"] == "disc"


def test_export_command_prints_saveconfig_json(rac_idle_shared):
    result = subprocess.run(
        [sys.executable, "-m", "sanctl", "--root", str(rac_idle_shared), "export"],
        capture_output=True, text=True, check=True,
    )
    with rtslib_on_tree(rac_idle_shared) as rts:
        assert json.loads(result.stdout) == rts.dump()


def test_export_of_the_rich_kernel_capture(kernel_capture):
    """Every backstore kind, loopback, iSER, CHAP and mutual CHAP, tags, demo mode, discovery auth."""
    with rtslib_on_tree(kernel_capture) as rts:
        expected = rts.dump()
    ours = dump(read_config(str(kernel_capture)))
    assert ours == expected
    kernel = json.loads((FIXTURES / "kernel" / "rtslib-dump.json").read_text())
    assert unordered(ours) == unordered(kernel)
    assert {so["plugin"] for so in ours["storage_objects"]} >= {"block", "fileio", "ramdisk", "pscsi"}
    assert {t["fabric"] for t in ours["targets"]} == {"iscsi", "loopback"}
