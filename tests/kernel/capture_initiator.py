"""Capture what iscsiadm prints and returns in every case sanctl's wrapper handles (run in the VM).

The happy paths and the failures an operator meets: discovery refused, timing
out, finding nothing; login refused by CHAP, to an unknown target, without a
record, when already logged in; logout when not logged in; queries on an
empty database; iscsid not running. Each case is stored with its argv, exit
code, stdout, stderr and duration, so the fake iscsiadm of
``tests/initiator/`` replays real text and the parsers are tested on it.

    tests/kernel/run --keep --shell='$PY tests/kernel/capture_initiator.py /sanctl-results/capture'

writes OUTDIR/iscsiadm-cases.json (copy it to tests/fixtures/kernel/).
"""

from __future__ import annotations

import json
import os
import platform
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ktools as kt  # noqa: E402

TARGET = kt.BASIC_TARGET
PORTAL = f"{kt.PORTAL_IP}:{kt.PORTAL_PORT}"
DEAD_PORT = 3299  # nothing listens
MUTE_PORT = 3298  # accepts and never answers
NOACL_TARGET = "iqn.2024-01.test.sanctl:no-acl"
CHAP_USER, CHAP_SECRET = "sanctl-in", "in-secret-123"  # test values

cases: list[dict] = []


def case(name: str, *args: str, timeout: float = 150) -> dict:
    env = dict(os.environ, LC_ALL="C")
    start = time.monotonic()
    try:
        proc = subprocess.run(["iscsiadm", *args], capture_output=True, text=True, timeout=timeout, env=env)
        rc, out, err = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as exc:
        rc = None
        out = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        err = (exc.stderr or b"").decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
    entry = {"name": name, "argv": list(args), "rc": rc, "stdout": out, "stderr": err,
             "seconds": round(time.monotonic() - start, 2)}
    cases.append(entry)
    print(f"--- {name}: iscsiadm {' '.join(args)} -> rc {rc} in {entry['seconds']} s\n{out}{err}", flush=True)
    return entry


class MuteListener:
    """A TCP listener that accepts connections and never says a word."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((kt.PORTAL_IP, port))
        self.sock.listen(16)
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)


def settle() -> None:
    kt.wait_for(lambda: not list(Path("/sys/class/iscsi_session").glob("session*")), "no sessions", 60)


def main(outdir: str) -> int:
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)

    class _Lab:  # the bits of conftest.Lab that build_basic_san uses
        def __init__(self) -> None:
            self.tmp = Path(os.environ.get("TMPDIR", "/tmp")) / "capture-initiator"
            self.tmp.mkdir(parents=True, exist_ok=True)
            self.loops: list[str] = []

        def rtsroot(self):
            from rtslib import RTSRoot

            return RTSRoot()

        def sparse(self, name, size):
            return kt.sparse_file(self.tmp / name, size)

        def loop(self, name, size):
            dev = kt.losetup(self.sparse(name, size))
            self.loops.append(dev)
            return dev

    lab = _Lab()
    case("version", "--version")
    # An empty database and no sessions.
    case("node_list_empty", "-m", "node")
    case("session_list_empty", "-m", "session")
    case("session_P3_empty", "-m", "session", "-P", "3")
    case("discoverydb_list_empty", "-m", "discoverydb")
    case("iface_list", "-m", "iface")
    case("iface_show_default", "-m", "iface", "-I", "default", "-o", "show")

    # Discovery that cannot work.
    case("discovery_refused", "-m", "discovery", "-t", "sendtargets", "-p", f"{kt.PORTAL_IP}:{DEAD_PORT}", "-o", "new")
    case("discoverydb_discover_without_record", "-m", "discoverydb", "-t", "sendtargets", "-p",
         f"{kt.PORTAL_IP}:{DEAD_PORT}", "--discover", "-o", "new")
    mute = MuteListener(MUTE_PORT)
    mute_disc = ["-m", "discoverydb", "-t", "sendtargets", "-p", f"{kt.PORTAL_IP}:{MUTE_PORT}"]
    case("discoverydb_new_mute", *mute_disc, "-o", "new")
    case("discoverydb_update_login_timeout", *mute_disc, "-o", "update", "-n",
         "discovery.sendtargets.timeo.login_timeout", "-v", "3")
    case("discovery_timeout", *mute_disc, "--discover", "-o", "new")
    case("discovery_timeout_default_timeouts", "-m", "discovery", "-t", "sendtargets", "-p",
         f"{kt.PORTAL_IP}:{MUTE_PORT}", "-o", "new", timeout=100)
    case("discoverydb_delete_mute", *mute_disc, "-o", "delete")

    # The basic SAN: fileio + ramdisk + block, an ACL for this guest.
    kt.build_basic_san(lab)
    from rtslib import LUN, TPG, FabricModule, NetworkPortal, RDMCPStorageObject, Target

    # A target whose TPG has no ACL for us (and no demo mode) on port 3262.
    tpg = TPG(Target(FabricModule("iscsi"), NOACL_TARGET), 1)
    LUN(tpg, 0, RDMCPStorageObject("noacl-ram", 8 * kt.MiB))
    NetworkPortal(tpg, kt.PORTAL_IP, 3262)
    tpg.set_attribute("authentication", "0")
    tpg.enable = True
    # LIO's demo_mode_discovery (default 1) lists it anyway, ACL or not.
    case("discovery_lists_target_without_acl", "-m", "discovery", "-t", "sendtargets", "-p", f"{kt.PORTAL_IP}:3262", "-o", "new")

    disc = ["-m", "discoverydb", "-t", "sendtargets", "-p", PORTAL]
    case("discoverydb_new", *disc, "-o", "new")
    case("discoverydb_new_again", *disc, "-o", "new")
    case("discoverydb_update_authmethod", *disc, "-o", "update", "-n", "discovery.sendtargets.auth.authmethod",
         "-v", "None")
    case("discoverydb_discover", *disc, "--discover", "-o", "new")
    case("discoverydb_discover_again_new", *disc, "--discover", "-o", "new")
    case("discoverydb_discover_new_delete", *disc, "--discover", "-o", "new", "-o", "delete")
    case("discovery_ipv6_refused", "-m", "discovery", "-t", "sendtargets", "-p", "[::1]:3260", "-o", "new")
    case("discoverydb_list", "-m", "discoverydb")
    case("discoverydb_show", *disc, "-o", "show")
    case("discovery_list_P1", "-m", "discovery", "-P", "1")
    case("node_list", "-m", "node")
    case("node_list_P1", "-m", "node", "-P", "1")
    node = ["-m", "node", "-T", TARGET, "-p", PORTAL]
    case("node_show", *node, "-o", "show")
    case("node_update_startup", *node, "-o", "update", "-n", "node.startup", "-v", "automatic")
    case("node_update_startup_manual", *node, "-o", "update", "-n", "node.startup", "-v", "manual")
    case("node_update_bad_key", *node, "-o", "update", "-n", "node.no.such.key", "-v", "1")
    case("node_show_unknown_target", "-m", "node", "-T", "iqn.2024-01.test.sanctl:nothing", "-p", PORTAL, "-o", "show")

    # Login and logout.
    case("login", *node, "--login")
    kt.wait_for(lambda: [s for s in kt.iscsi_sessions() if s["disks"]], "the session's disks", 60)
    case("login_again", *node, "--login")
    case("session_list", "-m", "session")
    case("session_P1", "-m", "session", "-P", "1")
    case("session_P3", "-m", "session", "-P", "3")
    sid = kt.iscsi_sessions()[0]["name"].removeprefix("session")
    case("session_stats", "-m", "session", "-r", sid, "-s")
    case("session_rescan", "-m", "session", "-r", sid, "--rescan")
    case("node_rescan", *node, "--rescan")
    case("session_rescan_unknown_sid", "-m", "session", "-r", "999", "--rescan")
    case("node_show_logged_in", *node, "-o", "show")
    case("logout", *node, "--logout")
    settle()
    case("logout_again", *node, "--logout")
    case("session_logout_all_none", "-m", "session", "-u")
    case("node_logoutall_none", "-m", "node", "--logoutall=all")
    case("node_loginall_all", "-m", "node", "--loginall=all")
    kt.wait_for(lambda: [s for s in kt.iscsi_sessions() if s["disks"]], "the session's disks", 60)
    case("node_loginall_all_again", "-m", "node", "--loginall=all")
    case("node_logoutall_all", "-m", "node", "--logoutall=all")
    settle()
    case("node_target_login_all_portals", "-m", "node", "-T", TARGET, "--login")
    kt.wait_for(lambda: [s for s in kt.iscsi_sessions() if s["disks"]], "the session's disks", 60)
    case("node_target_logout_all_portals", "-m", "node", "-T", TARGET, "--logout")
    settle()

    # Login failures.
    case("login_no_record", "-m", "node", "-T", "iqn.2024-01.test.sanctl:nothing", "-p", PORTAL, "--login")
    case("node_new_unknown_target", "-m", "node", "-T", "iqn.2024-01.test.sanctl:nothing", "-p", PORTAL, "-o", "new")
    case("login_unknown_target", "-m", "node", "-T", "iqn.2024-01.test.sanctl:nothing", "-p", PORTAL, "--login")
    case("node_delete_unknown_target", "-m", "node", "-T", "iqn.2024-01.test.sanctl:nothing", "-p", PORTAL,
         "-o", "delete")
    case("node_new_noacl", "-m", "node", "-T", NOACL_TARGET, "-p", f"{kt.PORTAL_IP}:3262", "-o", "new")
    case("login_no_acl", "-m", "node", "-T", NOACL_TARGET, "-p", f"{kt.PORTAL_IP}:3262", "--login")
    case("node_delete_noacl", "-m", "node", "-T", NOACL_TARGET, "-p", f"{kt.PORTAL_IP}:3262", "-o", "delete")
    # CHAP required by the target, none on the node.
    root = lab.rtsroot()
    basic_tpg = next(t for t in root.tpgs if t.parent_target.wwn == TARGET)
    acl = next(iter(basic_tpg.node_acls))
    acl.chap_userid, acl.chap_password = CHAP_USER, CHAP_SECRET
    basic_tpg.set_attribute("authentication", "1")
    case("login_auth_failure_no_chap", *node, "--login")
    for key, value in [("authmethod", "CHAP"), ("username", CHAP_USER), ("password", "wrong-secret-99")]:
        case(f"node_update_auth_{key}", *node, "-o", "update", "-n", f"node.session.auth.{key}", "-v", value)
    case("login_auth_failure_wrong_secret", *node, "--login")
    case("node_update_auth_password_right", *node, "-o", "update", "-n", "node.session.auth.password",
         "-v", CHAP_SECRET)
    case("node_update_auth_username_in", *node, "-o", "update", "-n", "node.session.auth.username_in",
         "-v", "sanctl-out")
    case("node_update_auth_password_in", *node, "-o", "update", "-n", "node.session.auth.password_in",
         "-v", "out-secret-456")
    case("login_mutual_failure", *node, "--login")
    case("node_show_chap", *node, "-o", "show")
    case("node_update_auth_username_in_clear", *node, "-o", "update", "-n", "node.session.auth.username_in",
         "-v", "")
    case("node_update_auth_password_in_clear", *node, "-o", "update", "-n", "node.session.auth.password_in",
         "-v", "")
    case("login_chap_ok", *node, "--login")
    kt.wait_for(lambda: [s for s in kt.iscsi_sessions() if s["disks"]], "the session's disks", 60)
    case("session_P3_chap", "-m", "session", "-P", "3")
    case("node_delete_while_logged_in", *node, "-o", "delete")
    case("node_list_after_delete_while_logged_in", "-m", "node")
    case("session_list_after_node_delete", "-m", "session")
    case("session_logout_all", "-m", "session", "-u")
    settle()

    # Login that hangs: a node pointing at the mute listener.
    mute_node = ["-m", "node", "-T", "iqn.2024-01.test.sanctl:mute", "-p", f"{kt.PORTAL_IP}:{MUTE_PORT}"]
    case("node_new_mute", *mute_node, "-o", "new")
    case("node_update_mute_login_timeout", *mute_node, "-o", "update", "-n", "node.conn[0].timeo.login_timeout",
         "-v", "3")
    case("node_update_mute_retry_max", *mute_node, "-o", "update", "-n", "node.session.initial_login_retry_max",
         "-v", "1")
    case("login_timeout", *mute_node, "--login", timeout=120)
    case("node_delete_mute", *mute_node, "-o", "delete")
    mute.sock.close()

    case("node_delete", *node, "-o", "delete")
    case("node_delete_again", *node, "-o", "delete")
    case("discoverydb_delete", *disc, "-o", "delete")
    case("discoverydb_delete_again", *disc, "-o", "delete")

    # iscsid not running.
    case("discovery_for_iscsid_down", "-m", "discovery", "-t", "sendtargets", "-p", PORTAL, "-o", "new")
    pids = subprocess.run(["pidof", "iscsid"], capture_output=True, text=True).stdout.split()
    for pid in pids:
        os.kill(int(pid), signal.SIGTERM)
    kt.wait_for(lambda: not subprocess.run(["pidof", "iscsid"], capture_output=True).stdout.strip(),
                "iscsid to stop", 30)
    case("login_iscsid_down", *node, "--login", timeout=90)
    case("discovery_iscsid_down", "-m", "discovery", "-t", "sendtargets", "-p", PORTAL, "-o", "new", timeout=90)
    case("session_list_iscsid_down", "-m", "session")
    case("node_list_iscsid_down", "-m", "node")

    meta = {"kernel": platform.release(), "open-iscsi": cases[0]["stdout"].strip(),
            "initiator_name": kt.initiator_name(), "cases": cases}
    (out / "iscsiadm-cases.json").write_text(json.dumps(meta, indent=1) + "\n")
    print(f"capture: wrote {len(cases)} cases to {out / 'iscsiadm-cases.json'}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "/sanctl-results/capture"))
