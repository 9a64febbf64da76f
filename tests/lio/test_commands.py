"""sanctl save / diff / restore / backups / export --target on the demo SAN, through the command line."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

from sanctl.cli import main
from sanctl.sim.demo import RAC_IQN, WEB_IQN
from sanctl.sim.writer import SimWriter
from sanctl.lio import changes as C


def _run(demo, *argv):
    return main(["--demo", "--root", str(demo), *argv])


def test_save_then_diff_then_restore_a_backup(demo, capsys):
    assert _run(demo, "save") == 0
    out = capsys.readouterr().out
    saved = demo / "etc/target/saveconfig.json"
    assert f"Configuration saved to {saved}." in out
    assert stat.S_IMODE(os.stat(saved).st_mode) == 0o600
    assert _run(demo, "diff", "--exit-code") == 0
    assert "are the same" in capsys.readouterr().out

    SimWriter(str(demo)).apply([C.DeleteTarget(WEB_IQN)])
    assert _run(demo, "diff", "--exit-code") == 1
    assert f"- target {WEB_IQN}" in capsys.readouterr().out
    assert _run(demo, "save") == 0
    assert "previous file is kept as" in capsys.readouterr().out

    assert _run(demo, "backups", "--json") == 0
    listing = json.loads(capsys.readouterr().out)
    assert len(listing["backups"]) == 1
    name = listing["backups"][0]["name"]

    assert _run(demo, "restore", name, "--dry-run") == 0
    out = capsys.readouterr().out
    assert f"+ Create target {WEB_IQN}" in out
    assert _run(demo, "restore", name, "--yes") == 0
    out = capsys.readouterr().out
    assert "all 11 objects restored" in out and "[restored] target " + WEB_IQN in out
    assert _run(demo, "diff", name, "--exit-code") == 0


def test_restore_needs_yes_when_not_on_a_terminal(demo, capsys, monkeypatch):
    _run(demo, "save")
    SimWriter(str(demo)).apply([C.DeleteTarget(WEB_IQN)])
    capsys.readouterr()
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    assert _run(demo, "restore", str(demo / "etc/target/saveconfig.json")) == 2
    assert "--yes" in capsys.readouterr().err


def test_bad_input_exits_2_with_a_sentence(demo, tmp_path, capsys):
    assert _run(demo, "restore", "no-such-backup", "--dry-run") == 2
    assert "no such file or backup" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    assert _run(demo, "restore", str(bad), "--dry-run") == 2
    assert "not valid JSON" in capsys.readouterr().err
    _run(demo, "save")
    capsys.readouterr()
    assert _run(demo, "restore", str(demo / "etc/target/saveconfig.json"), "--target", "iqn.2024-01.x.y:none",
                "--dry-run") == 2
    assert "there is no target" in capsys.readouterr().err
    assert _run(demo, "export", "--target", "iqn.2024-01.x.y:none") == 2


def test_read_only_save_fails_with_the_reason(demo, capsys):
    assert main(["--demo", "--root", str(demo), "--readonly", "save", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is False and "--readonly" in out["error"]
    assert not (demo / "etc/target/saveconfig.json").exists()


def test_export_one_target_and_restore_it(demo, tmp_path, capsys):
    assert _run(demo, "export", "--target", RAC_IQN) == 0
    part = json.loads(capsys.readouterr().out)
    assert [t["wwn"] for t in part["targets"]] == [RAC_IQN] and len(part["storage_objects"]) == 6
    path = tmp_path / "rac.json"
    path.write_text(json.dumps(part))
    SimWriter(str(demo)).apply([C.DeleteTarget(RAC_IQN)])
    assert _run(demo, "restore", str(path), "--target", RAC_IQN, "--yes", "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and {o["status"] for o in report["objects"]} == {"kept", "restored"}
    # the whole-configuration export is unchanged by --target's arrival
    assert _run(demo, "export") == 0
    assert len(json.loads(capsys.readouterr().out)["targets"]) == 3


def test_the_commands_never_import_textual(demo):
    code = (
        "import sys, io, contextlib\n"
        "from sanctl.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main(['--demo', '--root', {str(demo)!r}, 'save'])\n"
        f"    main(['--demo', '--root', {str(demo)!r}, 'diff'])\n"
        f"    main(['--demo', '--root', {str(demo)!r}, 'backups'])\n"
        "sys.exit(1 if 'textual' in sys.modules or 'rtslib' in sys.modules else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
