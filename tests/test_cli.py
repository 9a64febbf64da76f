"""The command line: global options, show, export and honest start-up errors."""

from __future__ import annotations

import json

import pytest

from sanctl import startup
from sanctl.cli import main

TPG_ACL = "sys/kernel/config/target/iscsi/iqn.2024-01.storage.oracle:rac/tpgt_1/acls/iqn.2024-01.storage.oracle:client"


def test_show_prints_the_tree_like_targetcli(rac_idle_shared, capsys):
    assert main(["--root", str(rac_idle_shared), "show"]) == 0
    out = capsys.readouterr().out
    assert "o- iqn.2024-01.storage.oracle:rac" in out
    assert "[lun0 block/ora-ocr-1 (rw)]" in out
    assert "[no-gen-acls, no-auth, enabled]" in out
    assert "[Storage Objects: 6]" in out


def test_show_json_is_our_model_with_secrets_masked(rac_idle, capsys):
    (rac_idle / TPG_ACL / "auth" / "userid").write_text("client")
    (rac_idle / TPG_ACL / "auth" / "password").write_text("topsecret-4242")
    assert main(["--root", str(rac_idle), "show", "--json"]) == 0
    out = capsys.readouterr().out
    data = json.loads(out)
    assert "topsecret" not in out
    acls = data["fabrics"][0]["targets"][0]["tpgs"][0]["acls"]
    acl = next(a for a in acls if a["node_wwn"].endswith(":client"))
    assert acl["auth"]["userid"] == "client" and acl["auth"]["password"] == "********"


def test_root_pointing_nowhere_exits_2(tmp_path, capsys):
    assert main(["--root", str(tmp_path / "nowhere"), "show"]) == 2
    assert "no such directory" in capsys.readouterr().err


def test_root_without_configfs_exits_2(tmp_path, capsys):
    assert main(["--root", str(tmp_path), "export"]) == 2
    assert "no LIO configfs tree" in capsys.readouterr().err


def test_captured_root_opens_read_only(rac_idle_shared):
    source = startup.resolve_source(root=str(rac_idle_shared), demo=False, readonly=False)
    assert source.readonly and source.mode == "captured"


def test_no_configfs_on_host_names_the_cause_and_offers_demo(monkeypatch, capsys):
    monkeypatch.setattr(startup.os.path, "isdir", lambda path: False)
    assert main(["show"]) == 1
    err = capsys.readouterr().err
    assert "No LIO target on this host" in err and "sanctl --demo" in err


def test_not_root_opens_read_only(monkeypatch):
    real_isdir = startup.os.path.isdir
    monkeypatch.setattr(startup.os.path, "isdir", lambda p: True if p.startswith("/sys/kernel/config") else real_isdir(p))
    monkeypatch.setattr(startup.os, "geteuid", lambda: 1000)
    source = startup.resolve_source(root=None, demo=False, readonly=False)
    assert source.readonly and "not root" in source.readonly_reason


def test_diagnosis_names_a_missing_configfs(tmp_path):
    (tmp_path / "filesystems").write_text("nodev\tsysfs\nnodev\ttmpfs\n")
    assert "no configfs" in startup.diagnose_missing_configfs(proc=str(tmp_path))


def test_diagnosis_names_unloaded_target_modules(tmp_path):
    (tmp_path / "filesystems").write_text("nodev\tsysfs\nnodev\tconfigfs\n")
    sys_root = tmp_path / "sys"
    (sys_root / "kernel" / "config").mkdir(parents=True)
    (sys_root / "kernel" / "config" / "other").mkdir()
    message = startup.diagnose_missing_configfs(proc=str(tmp_path), sys_root=str(sys_root))
    assert "iscsi_target_mod" in message or "container" in message


def test_initiator_commands_run_on_a_host_without_the_target(monkeypatch):
    monkeypatch.setattr(startup.os.path, "isdir", lambda path: False)
    monkeypatch.setattr(startup.os, "geteuid", lambda: 0)
    source = startup.resolve_source(root=None, demo=False, readonly=False, need_target=False)
    assert source.mode == "real" and not source.readonly
    with pytest.raises(startup.StartupError, match="No LIO target"):
        startup.resolve_source(root=None, demo=False, readonly=False)


def test_tui_command_line_parses_without_building_every_command():
    from sanctl.cli import parse_command_line

    args = parse_command_line(["--demo", "--root", "/tmp/x", "--no-mouse", "--theme", "sanctl-light"])
    assert args.command is None and args.demo and args.root == "/tmp/x" and args.no_mouse
    assert parse_command_line(["--root", "/tmp/x", "show", "--json"]).command == "show"
