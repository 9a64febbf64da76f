"""What a targetcli/iscsiadm user types first, run as a user runs it (a subprocess): --version,
global options after the command, and the initiator commands on the demo SAN."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sanctl.sim.demo import RAC_IQN, SCRATCH_IQN, WEB_IQN


def sanctl(*argv: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sanctl", *argv], capture_output=True, text=True, timeout=120,
                          env=env)


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory):
    return str(tmp_path_factory.mktemp("cli-demo") / "san")


def test_version_prints_the_package_version():
    from importlib.metadata import version

    done = sanctl("--version")
    assert done.returncode == 0 and done.stdout == f"sanctl {version('sanctl')}\n"


def test_global_options_after_the_command(demo_root):
    before = sanctl("--demo", "--root", demo_root, "show")
    after = sanctl("show", "--demo", "--root", demo_root)
    assert after.returncode == 0, after.stderr
    assert after.stdout == before.stdout and "ora-ocr-1" in after.stdout
    exported = sanctl("export", "--root", demo_root)  # a demo tree read as a captured root
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["storage_objects"]


def test_show_demo_without_root():
    done = sanctl("show", "--demo")
    assert done.returncode == 0 and "ora-ocr-1" in done.stdout


def test_demo_discover_lists_the_rac_target(demo_root):
    done = sanctl("--demo", "--root", demo_root, "discover", "127.0.0.1")
    assert done.returncode == 0, done.stderr
    assert f"127.0.0.1:3260,1 {RAC_IQN}" in done.stdout.splitlines()
    assert f"[::1]:3260,1 {SCRATCH_IQN}" in done.stdout.splitlines()


def test_demo_discover_json_after_the_command(demo_root):
    done = sanctl("discover", "127.0.0.1", "--json", "--demo", "--root", demo_root)
    assert done.returncode == 0, done.stderr
    assert {t["target"] for t in json.loads(done.stdout)["targets"]} == {RAC_IQN, WEB_IQN, SCRATCH_IQN}


def test_demo_login_and_logout(demo_root):
    login = sanctl("--demo", "--root", demo_root, "login", SCRATCH_IQN, "--portal", "[::1]:3260")
    assert login.returncode == 0, login.stderr
    assert login.stdout == f"Logged in to {SCRATCH_IQN} on [::1]:3260 (iface default).\n"
    refused = sanctl("--demo", "--root", demo_root, "login", WEB_IQN)  # the web target's ACL is web01's
    assert refused.returncode == 1 and "exit" not in refused.stdout
    assert "authorization failure" in refused.stderr
    logout = sanctl("logout", RAC_IQN, "--demo", "--root", demo_root)
    assert logout.returncode == 0, logout.stderr
    assert logout.stdout.startswith(f"Logged out of {RAC_IQN} on 192.168.50.10:3260")


def test_demo_discover_of_an_address_that_is_not_there(demo_root):
    done = sanctl("--demo", "--root", demo_root, "discover", "10.77.0.1")
    assert done.returncode == 1
    assert "connect to 10.77.0.1 timed out" in done.stderr and "Traceback" not in done.stderr


def test_demo_readonly_refuses_login(demo_root):
    done = sanctl("--demo", "--root", demo_root, "--readonly", "login", RAC_IQN)
    assert done.returncode == 2 and "read-only" in done.stderr


def test_demo_isns_discovery_asks_port_3205_and_says_why_it_failed(demo_root):
    done = sanctl("--demo", "--root", demo_root, "discover", "--isns", "127.0.0.1")
    assert done.returncode == 1
    assert "iSNS query failed" in done.stderr and "Traceback" not in done.stderr
    refused = sanctl("--demo", "--root", demo_root, "discover", "--isns", "--prune", "127.0.0.1")
    assert refused.returncode == 2 and "SendTargets options" in refused.stderr


def test_demo_initiator_state_carries_over_on_a_kept_root(tmp_path):
    root = str(tmp_path / "kept")
    first = sanctl("--demo", "--root", root, "logout", RAC_IQN)
    assert first.returncode == 0 and first.stdout.startswith("Logged out of")
    again = sanctl("--demo", "--root", root, "logout", RAC_IQN)
    assert again.returncode == 0 and again.stdout.startswith(f"Not logged in to {RAC_IQN}")
    back = sanctl("--demo", "--root", root, "login", RAC_IQN)
    assert back.returncode == 0 and back.stdout.startswith(f"Logged in to {RAC_IQN}")
    import os
    import stat

    state = os.path.join(root, "var/lib/iscsi/sanctl-demo-initiator.json")
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o600
