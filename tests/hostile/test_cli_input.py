"""Issue 14, reproducers 2 and 6: arguments that are not UTF-8; the export that holds every CHAP secret."""

from __future__ import annotations

import json
import os
import stat

from .conftest import run_cli

WEB = "iqn.2024-01.com.example:web"


def _demo(tmp_path):
    root = tmp_path / "demo"
    assert run_cli("--demo", "--root", str(root), "show").returncode == 0
    return root


def test_a_non_utf8_argument_is_refused_with_a_message(tmp_path):
    root = _demo(tmp_path)
    saved = tmp_path / "saved.json"
    assert run_cli("--demo", "--root", str(root), "export", "-o", str(saved)).returncode == 0
    done = run_cli("--demo", "--root", str(root), "restore", "--dry-run", "--target",
                   os.fsdecode(WEB.encode() + b"\xff"), str(saved))
    assert done.clean, done.stderr
    assert done.returncode == 2
    assert "not valid UTF-8: iqn.2024-01.com.example:web\\xff" in done.stderr


def test_export_to_a_file_is_private_and_whole(tmp_path):
    root = _demo(tmp_path)
    out = tmp_path / "export.json"
    out.write_text("old")
    out.chmod(0o644)
    done = run_cli("--demo", "--root", str(root), "export", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    data = json.loads(out.read_text())
    assert "web01-chap-secret" in json.dumps(data)  # the restore file keeps the secrets, so it is 0600
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    assert done.stdout == ""


def test_export_to_a_pipe_is_unchanged(tmp_path):
    root = _demo(tmp_path)
    done = run_cli("--demo", "--root", str(root), "export")
    assert done.returncode == 0 and json.loads(done.stdout)["targets"]


def test_export_of_one_target_to_a_file_is_private(tmp_path):
    root = _demo(tmp_path)
    out = tmp_path / "web.json"
    done = run_cli("--demo", "--root", str(root), "export", "--target", WEB, "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert [t["wwn"] for t in json.loads(out.read_text())["targets"]] == [WEB]


def test_export_into_a_missing_directory_says_so(tmp_path):
    root = _demo(tmp_path)
    done = run_cli("--demo", "--root", str(root), "export", "-o", str(tmp_path / "no" / "such" / "x.json"))
    assert done.returncode == 1 and done.clean
    assert "cannot write" in done.stderr and "nothing was written" in done.stderr
