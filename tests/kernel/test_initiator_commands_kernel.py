"""``sanctl discover``, ``sanctl login`` and ``sanctl logout`` as a script runs them: subprocesses of
the real CLI against the LIO target built by sanctl's writer, with the real iscsiadm and iscsid (in the VM)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from test_initiator_wrapper import build_writer_san

pytestmark = pytest.mark.kernel

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = "90"  # TCG is slow: sanctl's own deadline for each iscsiadm call


def sanctl(*args: str, env: dict | None = None, timeout: float = 240) -> subprocess.CompletedProcess:
    """``python -m sanctl ARGS`` as a script would run it (no terminal on stdin)."""
    full_env = dict(os.environ)
    full_env.pop(CHAP_ENV, None)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "sanctl", *args], cwd=REPO, env=full_env, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


CHAP_ENV = "SANCTL_CHAP_SECRET"


def _disks_of(kt, target: str, count: int):
    def ready():
        for s in kt.iscsi_sessions():
            if s["targetname"] == target and s["state"] == "LOGGED_IN" and len(s["disks"]) == count \
                    and all(os.path.exists(f"/dev/{d}") for d in s["disks"]):
                return s
        return None

    return kt.wait_for(ready, f"a session to {target} with {count} disks", 90)


def test_discover_login_logout_from_the_command_line(lab, kernel_env):
    kt = kernel_env
    san = build_writer_san(lab, kt, "iqn.2024-01.test.sanctl:cli", prefix="cli")
    target, portal = san.target_iqn, f"{kt.PORTAL_IP}:{kt.PORTAL_PORT}"

    found = sanctl("discover", kt.PORTAL_IP, "--json", "--timeout", TIMEOUT)
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout) == {"ok": True, "portal": portal, "targets": [
        {"target": target, "portal": portal, "address": kt.PORTAL_IP, "port": kt.PORTAL_PORT, "tpgt": 1}]}
    # the node record discovery made, in open-iscsi's own database
    assert kt.iscsiadm("-m", "node").stdout.split() == [f"{portal},1", target]

    plain = sanctl("discover", portal, "--timeout", TIMEOUT)  # rediscovery: -o new, nothing reset
    assert plain.returncode == 0 and plain.stdout == f"{portal},1 {target}\n", plain.stderr

    login = sanctl("login", target, "--portal", kt.PORTAL_IP, "--json", "--timeout", TIMEOUT)
    assert login.returncode == 0, login.stderr
    assert json.loads(login.stdout) == {"ok": True, "target": target, "already": False,
                                        "logged_in": [{"target": target, "portal": portal, "iface": "default"}]}
    session = _disks_of(kt, target, len(san.mapped))
    assert session["initiatorname"] == san.acl
    sizes = sorted(int(Path(f"/sys/block/{d}/size").read_text()) * 512 for d in session["disks"])
    assert sizes == sorted(san.sizes.values())

    again = sanctl("login", target, "--timeout", TIMEOUT)  # every portal of its records: already there
    assert again.returncode == 0 and again.stdout == f"Already logged in to {target}.\n", again.stderr

    sid = int(session["name"].removeprefix("session"))
    logout = sanctl("logout", target, "--json", "--timeout", TIMEOUT)
    assert logout.returncode == 0, logout.stderr
    assert json.loads(logout.stdout) == {"ok": True, "target": target, "already": False,
                                         "logged_out": [{"target": target, "portal": portal, "sid": sid}]}
    kt.wait_for(lambda: not kt.iscsi_sessions(), "the session to go", 60)
    none = sanctl("logout", target, "--portal", portal, "--timeout", TIMEOUT)
    assert none.returncode == 0 and none.stdout == f"Not logged in to {target} on {portal}: nothing to do.\n"


def test_command_line_failures_are_sentences_with_what_to_do(lab, kernel_env):
    kt = kernel_env
    san = build_writer_san(lab, kt, "iqn.2024-01.test.sanctl:cli-fail", prefix="clifail")

    # a portal nothing listens on: iscsiadm's exit code as a sentence, then its own words
    refused = sanctl("discover", f"{kt.PORTAL_IP}:3299", "--timeout", TIMEOUT)
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.startswith("sanctl: Nothing accepts connections on that portal (connection refused).\n")
    assert "Is the target running and listening on that address and port?" in refused.stderr
    assert "iscsiadm: cannot make connection to 127.0.0.1: Connection refused" in refused.stderr
    assert "Traceback" not in refused.stderr

    # no node record yet: run discovery first
    unknown = sanctl("login", san.target_iqn, "--json", "--timeout", TIMEOUT)
    assert unknown.returncode == 1, unknown.stdout
    answer = json.loads(unknown.stdout)
    assert answer["ok"] is False and answer["code"] == 21
    assert "discover" in answer["hint"].lower()

    # an option where a target name belongs never reaches iscsiadm
    bad = sanctl("login", "--portal=-o", san.target_iqn)
    assert bad.returncode == 2 and "is not a portal" in bad.stderr


def test_discovery_chap_from_the_environment(lab, kernel_env):
    """Discovery authentication on the target: refused without the right discovery CHAP, found with it."""
    from sanctl.lio import changes as C

    kt = kernel_env
    san = build_writer_san(lab, kt, "iqn.2024-01.test.sanctl:cli-disc", prefix="clidisc", extra=[
        C.SetDiscoveryAuth(C.Chap("disc-user", "disc-secret-123"), enforce=True)])
    portal = f"{kt.PORTAL_IP}:{kt.PORTAL_PORT}"

    wrong = sanctl("discover", portal, "--chap-user", "disc-user", "--timeout", TIMEOUT,
                   env={CHAP_ENV: "not-the-secret"})
    assert wrong.returncode == 1
    assert wrong.stderr.startswith("sanctl: The portal refused discovery"), wrong.stderr
    assert "discovery" in wrong.stderr and "CHAP" in wrong.stderr
    assert "not-the-secret" not in wrong.stderr + wrong.stdout

    right = sanctl("discover", portal, "--chap-user", "disc-user", "--json", "--timeout", TIMEOUT,
                   env={CHAP_ENV: "disc-secret-123"})
    assert right.returncode == 0, right.stderr
    assert [t["target"] for t in json.loads(right.stdout)["targets"]] == [san.target_iqn]
    shown = kt.iscsiadm("-m", "discoverydb", "-t", "sendtargets", "-p", portal, "-o", "show").stdout
    assert "discovery.sendtargets.auth.username = disc-user" in shown

    # without a secret and without a terminal: refused before iscsiadm runs
    no_secret = sanctl("discover", portal, "--chap-user", "disc-user")
    assert no_secret.returncode == 2 and "never the command line" in no_secret.stderr
