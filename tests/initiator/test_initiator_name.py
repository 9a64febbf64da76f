"""/etc/iscsi/initiatorname.iscsi under a root: read, generate, change (backup, atomic, warnings)."""

from __future__ import annotations

import os
import re
import stat
from datetime import datetime

import pytest

from initiator_helpers import write_shim
from sanctl.initiator.initiator_name import (
    OPEN_ISCSI_PREFIX,
    InitiatorNameError,
    change_initiator_name,
    generate_initiator_name,
    name_path,
    name_warnings,
    read_initiator_name,
)
from sanctl.names import InvalidValue

DEBIAN_FILE = """## DO NOT EDIT OR REMOVE THIS FILE!
## If you remove this file, the iSCSI daemon will not start.
## If you change the InitiatorName, existing access control lists
## may reject this initiator.  The InitiatorName must be unique
## for each iSCSI initiator.  Do NOT duplicate iSCSI InitiatorNames.
InitiatorName=iqn.1993-08.org.debian:01:ae3d2ec18ad
"""


def write(root, text, mode=0o600):
    path = name_path(str(root))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(text)
    os.chmod(path, mode)
    return path


def test_read(tmp_path):
    write(tmp_path, DEBIAN_FILE + "InitiatorAlias=db-host-1\n")
    name = read_initiator_name(str(tmp_path))
    assert name.name == "iqn.1993-08.org.debian:01:ae3d2ec18ad" and name.alias == "db-host-1"
    assert name.prefix == "iqn.1993-08.org.debian:01"
    assert name.path == str(tmp_path / "etc/iscsi/initiatorname.iscsi")


def test_read_missing_and_empty(tmp_path):
    assert read_initiator_name(str(tmp_path)) is None
    write(tmp_path, "# nothing\n")
    name = read_initiator_name(str(tmp_path))
    assert name.name == "" and name.prefix == ""
    assert "iscsid will not start" in name_warnings(name.name)[0]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_read_unreadable(tmp_path):
    write(tmp_path, DEBIAN_FILE, mode=0)
    with pytest.raises(InitiatorNameError, match="permission denied"):
        read_initiator_name(str(tmp_path))


def test_generate_keeps_the_distribution_prefix_without_the_tool(tmp_path):
    write(tmp_path, DEBIAN_FILE)
    one = generate_initiator_name(root=str(tmp_path), use_tool=False)
    two = generate_initiator_name(root=str(tmp_path), use_tool=False)
    assert re.fullmatch(r"iqn\.1993-08\.org\.debian:01:[0-9a-f]{12}", one) and one != two


def test_generate_defaults_and_prefix(tmp_path):
    assert generate_initiator_name(root=str(tmp_path), use_tool=False).startswith(OPEN_ISCSI_PREFIX + ":")
    assert generate_initiator_name("iqn.2004-10.com.ubuntu:01", use_tool=False).startswith("iqn.2004-10.com.ubuntu:01:")
    with pytest.raises(InvalidValue):
        generate_initiator_name("-p evil", use_tool=False)


def test_generate_uses_iscsi_iname_when_installed(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    write_shim(bin_dir, "iscsi-iname", '#!/bin/sh\n[ "$1" = "-p" ] && echo "$2:0123456789ab"\n')
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    assert generate_initiator_name("iqn.2004-10.com.ubuntu:01") == "iqn.2004-10.com.ubuntu:01:0123456789ab"


def test_generate_falls_back_when_the_tool_misbehaves(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    write_shim(bin_dir, "iscsi-iname", "#!/bin/sh\necho '--garbage'\n")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    assert re.fullmatch(r"iqn\.2004-10\.com\.ubuntu:01:[0-9a-f]{12}", generate_initiator_name("iqn.2004-10.com.ubuntu:01"))


def test_change_backs_up_keeps_comments_and_mode_and_warns(tmp_path):
    path = write(tmp_path, DEBIAN_FILE + "InitiatorAlias=db-host-1\n", mode=0o600)
    change = change_initiator_name("iqn.2024-01.com.example:db-host-2", root=str(tmp_path),
                                   now=datetime(2024, 5, 6, 7, 8, 9))
    assert change.old == "iqn.1993-08.org.debian:01:ae3d2ec18ad" and change.new == "iqn.2024-01.com.example:db-host-2"
    assert change.backup == path + ".20240506-070809.bak"
    assert open(change.backup).read() == DEBIAN_FILE + "InitiatorAlias=db-host-1\n"
    text = open(path).read()
    assert text.startswith("## DO NOT EDIT") and "InitiatorName=iqn.2024-01.com.example:db-host-2\n" in text
    assert "ae3d2ec18ad" not in text and "InitiatorAlias=db-host-1" in text
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert any("ACL" in w and change.old in w and change.new in w for w in change.warnings)
    assert any("restart iscsid" in w for w in change.warnings)
    assert [f for f in os.listdir(os.path.dirname(path)) if f.startswith(".initiatorname.")] == []


def test_change_twice_in_one_second_keeps_both_backups(tmp_path):
    write(tmp_path, DEBIAN_FILE)
    when = datetime(2024, 5, 6, 7, 8, 9)
    first = change_initiator_name("iqn.2024-01.com.example:a", root=str(tmp_path), now=when)
    second = change_initiator_name("iqn.2024-01.com.example:b", root=str(tmp_path), now=when)
    assert first.backup != second.backup and os.path.exists(first.backup) and os.path.exists(second.backup)
    assert read_initiator_name(str(tmp_path)).name == "iqn.2024-01.com.example:b"


def test_change_alias_and_new_file(tmp_path):
    change = change_initiator_name("iqn.2024-01.com.example:new", root=str(tmp_path), alias="web-1")
    assert change.backup is None and change.old == ""
    assert not any("ACL" in w for w in change.warnings)
    name = read_initiator_name(str(tmp_path))
    assert (name.name, name.alias) == ("iqn.2024-01.com.example:new", "web-1")
    change_initiator_name("iqn.2024-01.com.example:new", root=str(tmp_path), alias="")
    assert read_initiator_name(str(tmp_path)).alias == ""


@pytest.mark.parametrize("bad", ["", "--help", "iqn.2024-01.com.example:a\nInitiatorName=x", "IQN.2024-01.com.x:y",
                                 "iqn.2024-13.com.example:a"])
def test_change_refuses_bad_names_and_writes_nothing(tmp_path, bad):
    path = write(tmp_path, DEBIAN_FILE)
    with pytest.raises(InvalidValue):
        change_initiator_name(bad, root=str(tmp_path))
    assert open(path).read() == DEBIAN_FILE
    assert os.listdir(os.path.dirname(path)) == ["initiatorname.iscsi"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_change_without_permission_says_root(tmp_path):
    path = write(tmp_path, DEBIAN_FILE, mode=0o644)
    os.chmod(os.path.dirname(path), 0o555)
    try:
        with pytest.raises(InitiatorNameError, match="needs root"):
            change_initiator_name("iqn.2024-01.com.example:a", root=str(tmp_path))
    finally:
        os.chmod(os.path.dirname(path), 0o755)
    assert open(path).read() == DEBIAN_FILE
