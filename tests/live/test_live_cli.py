"""``sanctl sessions`` and ``sanctl errors``: JSON as the kernel reported it, text, watch and follow."""

from __future__ import annotations

import json
import subprocess
import sys

from sanctl.cli import main

from .conftest import FIXTURES

RAC = "iqn.2024-01.storage.oracle:rac"


def _run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_sessions_json_of_a_captured_tree(capsys, rac_live_shared):
    code, out = _run(capsys, "--root", str(rac_live_shared), "sessions", "--json")
    assert code == 0
    data = json.loads(out)
    (session,) = data["target"]["sessions"]
    assert session["initiator"] == "iqn.2024-01.storage.oracle:client"
    assert (session["state"], session["state_raw"], session["isid"], session["tsih"]) == (
        "LOGGED_IN", "TARG_SESS_STATE_LOGGED_IN", "00023d000001", 1)
    assert session["connections"][0]["address"] == "127.0.0.1"
    assert session["connections"][0]["port"] == 57778  # from this host's initiator, which the ACL does not print
    assert session["counters"]["txdata_octs"] == 12660998
    assert len(session["luns"]) == 6 and session["rates"] is None
    (target,) = data["target"]["targets"]
    assert target["stats"]["accepts"] == 1 and target["tpgs"][0]["acls_without_session"] == 1
    (mine,) = data["initiator"]["sessions"]
    assert mine["portal"] == "127.0.0.1:3260" and mine["disks"][0]["device"] == "/dev/sda"


def test_sessions_json_shows_the_dynamic_session(capsys, kernel_tree):
    code, out = _run(capsys, "--root", str(kernel_tree), "sessions", "--json")
    kinds = sorted(s["kind"] for s in json.loads(out)["target"]["sessions"])
    assert code == 0 and kinds == ["acl", "dynamic"]


def test_demo_sessions_watch_has_rates_from_the_second_sample(capsys, tmp_path):
    root = str(tmp_path / "demo")
    code, out = _run(capsys, "--demo", "--root", root, "sessions", "--json", "--watch", "--count", "2",
                     "--interval", "0.3")
    first, second = (json.loads(line) for line in out.splitlines())
    assert code == 0
    web = next(s for s in second["target"]["sessions"] if s["target"].endswith(":web"))
    assert web["rates"]["cmds_per_s"] > 0
    assert all(s["rates"] is None for s in first["target"]["sessions"] if s["kind"] == "acl")


def test_demo_errors_json_has_recent_1020s_with_meaning_and_fix(capsys, tmp_path):
    root = str(tmp_path / "demo")
    code, out = _run(capsys, "--demo", "--root", root, "errors", "--json")
    data = json.loads(out)
    assert code == 0
    errors = [i for i in data["incidents"] if i["code"] == 1020]
    assert len(errors) > 10
    first = errors[0]
    assert first["name"] == "ISCSI_ERR_TCP_CONN_CLOSE" and first["connection"] == "1:0"
    assert first["target"] == RAC and "initiatorname.iscsi" in first["fix"]
    assert any(f["kind"] == "connection_flap" for f in data["findings"])
    assert data["counts"]["by_connection"]["1:0"] >= 10


def test_errors_from_saved_logs(capsys, rac_live_shared):
    code, out = _run(capsys, "--root", str(rac_live_shared), "errors",
                     "--log", str(FIXTURES / "rac" / "dmesg-flap.txt"),
                     "--log", str(FIXTURES / "rac" / "iscsid-flap.log"))
    assert code == 0
    assert "!! Connection 1:0 is flapping" in out
    assert "1020 TCP_CONN_CLOSE" in out and "fix:" in out


def test_errors_follow_prints_new_findings(capsys, tmp_path):
    root = str(tmp_path / "demo")
    code, out = _run(capsys, "--demo", "--root", root, "errors", "--follow", "--json", "--count", "2",
                     "--interval", "0.2")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and any("incident" in line for line in lines)


def test_sessions_text(capsys, tmp_path):
    code, out = _run(capsys, "--demo", "--root", str(tmp_path / "demo"), "sessions")
    assert code == 0
    assert "dynamic (demo mode)" in out and "last failed login: iqn.1991-05.com.microsoft:fileserver" in out
    assert "/dev/sdg" in out


def test_the_commands_never_import_textual(rac_live_shared):
    code = (
        "import sys, io, contextlib\n"
        "from sanctl.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main(['--root', {str(rac_live_shared)!r}, 'sessions', '--json'])\n"
        f"    main(['--root', {str(rac_live_shared)!r}, 'errors'])\n"
        "sys.exit(1 if 'textual' in sys.modules else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_sessions_text_calls_an_iser_connection_iser_not_sctp(capsys, kernel_tree, tmp_path):
    """The kernel writes "SCTP" for every non-TCP connection; on a TPG with an iSER portal it is iSER."""
    import shutil

    root = tmp_path / "root"
    shutil.copytree(kernel_tree, root, symlinks=True)
    info = next(root.glob("sys/kernel/config/target/iscsi/*capture-a/tpgt_1/acls/*vm-initiator/info"))
    info.write_text(info.read_text().replace("127.0.0.1 TCP", "127.0.0.1 SCTP"))
    code, out = _run(capsys, "--root", str(root), "sessions")
    assert code == 0
    line = next(line for line in out.splitlines() if "cid 0" in line and "127.0.0.1" in line)
    assert "iSER" in line and "SCTP" not in line
    code, data = _run(capsys, "--root", str(root), "sessions", "--json")
    conn = next(s for s in json.loads(data)["target"]["sessions"] if s["kind"] == "acl")["connections"][0]
    assert conn["transport"] == "SCTP" and "iSER" in conn["transport_label"]
