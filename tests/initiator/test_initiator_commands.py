"""sanctl discover / login / logout: output, exit codes, refusals (fake iscsiadm)."""

from __future__ import annotations

import argparse
import json

import pytest

from sanctl.host.captured import CapturedHost
from sanctl.host.demo import DemoHost
from sanctl.host.local import LocalHost
from sanctl.initiator.commands import add_parsers, cmd_discover, cmd_login, cmd_logout

BASIC = "iqn.2024-01.test.sanctl:basic"
REAL = LocalHost("/")


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="sanctl")
    add_parsers(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_discover_text(fake_iscsiadm, capsys):
    fake_iscsiadm.use("discovery_ok")
    assert cmd_discover(parse("discover", "127.0.0.1"), REAL) == 0
    out = capsys.readouterr().out
    assert out == f"127.0.0.1:3260,1 {BASIC}\n127.0.0.1:3262,1 iqn.2024-01.test.sanctl:no-acl\n"


def test_discover_json(fake_iscsiadm, capsys):
    fake_iscsiadm.use("discovery_ok")
    assert cmd_discover(parse("discover", "127.0.0.1:3260", "--json"), REAL) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] and data["portal"] == "127.0.0.1:3260"
    assert data["targets"][0] == {"target": BASIC, "portal": "127.0.0.1:3260", "address": "127.0.0.1",
                                  "port": 3260, "tpgt": 1}


def test_discover_with_chap_from_the_environment(fake_iscsiadm, capsys, monkeypatch):
    fake_iscsiadm.use("discovery_ok")
    monkeypatch.setenv("SANCTL_CHAP_SECRET", "disc-secret-1")
    monkeypatch.setenv("SANCTL_CHAP_MUTUAL_SECRET", "disc-secret-2")
    assert cmd_discover(parse("discover", "127.0.0.1", "--chap-user", "u", "--mutual-user", "t", "--prune"), REAL) == 0
    calls = fake_iscsiadm.calls()
    assert ["discovery.sendtargets.auth.password", "-v", "disc-secret-1"] == calls[4][-3:]
    assert calls[-1][-4:] == ["-o", "new", "-o", "delete"]


def test_discover_chap_secret_never_from_argv_without_terminal(fake_iscsiadm, capsys, monkeypatch):
    fake_iscsiadm.use("discovery_ok")
    monkeypatch.delenv("SANCTL_CHAP_SECRET", raising=False)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert cmd_discover(parse("discover", "127.0.0.1", "--chap-user", "u"), REAL) == 2
    assert "SANCTL_CHAP_SECRET" in capsys.readouterr().err
    assert fake_iscsiadm.calls() == []


def test_discover_failure_prints_message_hint_and_iscsiadm(fake_iscsiadm, capsys):
    fake_iscsiadm.use("discovery_refused")
    assert cmd_discover(parse("discover", "127.0.0.1:3299"), REAL) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert lines[0] == "sanctl: Nothing accepts connections on that portal (connection refused)."
    assert "listening" in lines[1]
    assert lines[-1] == "iscsiadm: Could not perform SendTargets discovery: iSCSI PDU timed out"


def test_discover_failure_json(fake_iscsiadm, capsys):
    fake_iscsiadm.use("iscsid_down")
    assert cmd_discover(parse("discover", "127.0.0.1", "--json"), REAL) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False and data["code"] == 20 and "systemctl start iscsid" in data["hint"]


@pytest.mark.parametrize("portal", ["--help=x", "-o delete", "300.1.1.1", "1.2.3.4:0"])
def test_bad_input_is_exit_2_and_runs_nothing(fake_iscsiadm, capsys, portal):
    fake_iscsiadm.use("discovery_ok")
    args = argparse.Namespace(portal=portal, json=False)
    assert cmd_discover(args, REAL) == 2
    assert capsys.readouterr().err.startswith("sanctl: ")
    assert fake_iscsiadm.calls() == []


def test_login_and_logout_text(fake_iscsiadm, capsys):
    fake_iscsiadm.use("login_ok")
    assert cmd_login(parse("login", BASIC, "--portal", "127.0.0.1"), REAL) == 0
    assert capsys.readouterr().out == f"Logged in to {BASIC} on 127.0.0.1:3260 (iface default).\n"
    assert cmd_logout(parse("logout", BASIC, "--portal", "127.0.0.1"), REAL) == 0
    assert capsys.readouterr().out == f"Logged out of {BASIC} on 127.0.0.1:3260 (session 1).\n"
    assert fake_iscsiadm.calls()[0] == ["-m", "node", "-T", BASIC, "-p", "127.0.0.1:3260", "--login"]


def test_login_already_and_logout_not_logged_in_exit_0(fake_iscsiadm, capsys):
    fake_iscsiadm.use("already_logged_in")
    assert cmd_login(parse("login", BASIC), REAL) == 0
    assert capsys.readouterr().out == f"Already logged in to {BASIC}.\n"
    assert cmd_logout(parse("logout", BASIC, "--json"), REAL) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == {"ok": True, "target": BASIC, "already": True, "logged_out": []}


def test_login_auth_failure_exit_1(fake_iscsiadm, capsys):
    fake_iscsiadm.use("login_auth_failure")
    assert cmd_login(parse("login", BASIC, "--portal", "127.0.0.1:3260"), REAL) == 1
    err = capsys.readouterr().err
    assert err.startswith("sanctl: The target refused this initiator")
    assert "ACL" in err and "initiator reported error (24" in err


def test_login_no_records_says_discover(fake_iscsiadm, capsys):
    fake_iscsiadm.use("no_records")
    assert cmd_login(parse("login", BASIC, "--json"), REAL) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["code"] == 21 and "sanctl discover" in data["hint"]


def test_login_hang_is_killed_by_timeout(fake_iscsiadm, capsys):
    fake_iscsiadm.use("hang")
    assert cmd_login(parse("login", BASIC, "--timeout", "0.5"), REAL) == 1
    assert "did not answer within 0.5 s" in capsys.readouterr().err


def test_bad_target_and_timeout_exit_2(fake_iscsiadm, capsys):
    assert cmd_login(parse("login", "--", "-o"), REAL) == 2
    assert cmd_logout(parse("logout", "iqn.bad"), REAL) == 2
    assert cmd_login(parse("login", BASIC, "--timeout", "0"), REAL) == 2
    assert fake_iscsiadm.calls() == []


@pytest.mark.parametrize("source,words", [
    (DemoHost("/tmp/x", readonly_reason="--readonly"), "read-only here (--readonly"),
    (CapturedHost("/tmp/x"), "captured tree"),
    (LocalHost("/", readonly_reason="not root: changes need root"), "read-only here (not root"),
])
def test_modes_that_cannot_reach_an_initiator_say_so(fake_iscsiadm, capsys, source, words):
    fake_iscsiadm.use("login_ok")
    for command, args in ((cmd_discover, parse("discover", "127.0.0.1")), (cmd_login, parse("login", BASIC)),
                          (cmd_logout, parse("logout", BASIC))):
        assert command(args, source) == 2
        assert words in capsys.readouterr().err
    assert fake_iscsiadm.calls() == []


# --- through sanctl's command line ------------------------------------------------------
def test_cli_registers_the_commands_and_demo_uses_the_simulation(fake_iscsiadm, capsys, tmp_path):
    from sanctl.cli import build_parser, main
    from sanctl.sim.demo import RAC_IQN

    args = build_parser().parse_args(["discover", "10.0.0.1:3260", "--json"])
    assert (args.command, args.portal, args.json) == ("discover", "10.0.0.1:3260", True)
    assert main(["--demo", "--root", str(tmp_path / "demo"), "login", RAC_IQN]) == 0
    assert f"Already logged in to {RAC_IQN}" in capsys.readouterr().out
    assert fake_iscsiadm.calls() == []  # the demo's iscsiadm is simulated: no process started


def test_cli_captured_root_refuses(fake_iscsiadm, capsys, rac_idle_shared):
    from sanctl.cli import main

    assert main(["--root", str(rac_idle_shared), "discover", "127.0.0.1"]) == 2
    assert "captured tree" in capsys.readouterr().err
    assert fake_iscsiadm.calls() == []
