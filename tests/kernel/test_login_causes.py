"""Every way a login is refused, provoked with open-iscsi on the real kernel, each explained by its cause.

For each cause the kernel's lines (dmesg), iscsid's answer and the target's login
statistics are kept; when the results share is there they are written to
``login-causes.json`` (the fixtures of tests/live/test_login_causes.py come from it).
Then sanctl (:func:`sanctl.live.login_causes.classify`, the errors panel's event log), reading
the same lines and counters, must name the cause once per attempt.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.kernel

T = "iqn.2024-01.test.sanctl:causes"
NOWHERE = "iqn.2024-01.test.sanctl:nowhere"
PORTAL = "127.0.0.1:3260"
RESULTS = Path("/sanctl-results")


def _dmesg() -> list[str]:
    return subprocess.run(["dmesg"], capture_output=True, text=True, check=True).stdout.splitlines()


def _stats() -> dict[str, str]:
    base = Path("/sys/kernel/config/target/iscsi") / T / "fabric_statistics"
    out = {}
    for group in ("iscsi_tgt_attr", "iscsi_login_stats"):
        for entry in sorted((base / group).iterdir()) if (base / group).is_dir() else ():
            try:
                out[f"{group}/{entry.name}"] = entry.read_text().strip()
            except OSError:
                continue
    return out


def _node(target: str, **settings: str) -> None:
    import ktools

    ktools.iscsiadm("-m", "node", "-o", "new", "-T", target, "-p", PORTAL)
    settings.setdefault("node.session.initial_login_retry_max", "1")
    for key, value in settings.items():
        ktools.iscsiadm("-m", "node", "-T", target, "-p", PORTAL, "-o", "update", "-n", key, "-v", value)


def _iscsid() -> list[str]:
    """iscsid's own log in the guest (tests/kernel/guest.sh starts it with -f into $TMPDIR)."""
    path = Path(os.environ.get("TMPDIR", "/tmp")) / "iscsid.log"
    try:
        return [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return []


def _bare_attempt(target: str) -> dict:
    """One login, once (tests/kernel/rogue_login.py): iscsid retries a refused login it thinks the target may
    accept later (TPG disabled, unknown target) eight times, which the tier's time cannot afford."""
    import ktools
    import rogue_login

    seen = len(_dmesg())
    try:
        rogue_login.login(target, ktools.initiator_name(), "00023d000009", source="127.0.0.1").close()
        refused = ""
    except (OSError, ConnectionError) as exc:
        refused = str(exc)
    lines = ktools.wait_for(lambda: _dmesg()[seen:] or None, "kernel lines for the refused login", 15)
    return {"rc": None, "iscsiadm": refused, "dmesg": lines, "iscsid": []}


def _attempt(target: str, *, iscsid_explains: bool = False) -> dict:
    """One login attempt and the lines it left. ``iscsid_explains``: the cause is in iscsid's words only
    (a wrong mutual secret is found by the initiator), so wait for them as for the kernel's."""
    import ktools

    seen, heard = len(_dmesg()), len(_iscsid())
    proc = ktools.iscsiadm("-m", "node", "-T", target, "-p", PORTAL, "--login", ok=tuple(range(256)))
    lines = ktools.wait_for(lambda: _dmesg()[seen:] or None, "kernel lines for the refused login", 15)
    if iscsid_explains:  # iscsid's log is there only while the iscsid guest.sh started runs (not after a restart)
        deadline = time.monotonic() + 15
        while not _iscsid()[heard:] and time.monotonic() < deadline:
            time.sleep(0.2)
    time.sleep(0.5)  # the rest of the attempt's lines
    ktools.iscsiadm("-m", "node", "-o", "delete", ok=(0, 21))
    return {"rc": proc.returncode, "iscsiadm": (proc.stdout + proc.stderr).strip(),
            "dmesg": _dmesg()[seen:] or lines, "iscsid": _iscsid()[heard:]}


CHAP = ("cu-user", "cu-secret-1234")
MUTUAL = ("mu-target", "mu-secret-1234")


def _setup(lab, writer, *, chap: bool = True, mutual: bool = True, acl: bool = True, enabled: bool = True,
           auth: int = 1) -> None:
    import ktools
    from rtslib import RTSRoot

    from sanctl.lio import changes as C

    RTSRoot().clear_existing(confirm=True)
    me = ktools.initiator_name()
    changes = [C.CreateRamdisk("causes", "4M"),
               *C.targetcli_iscsi_target(T, portal=("127.0.0.1", 3260), enable=enabled),
               C.tpg_attribute(T, 1, "authentication", auth)]
    if acl:
        changes += [C.CreateAcl(T, 1, me), C.CreateLun(T, 1, ("ramdisk", "causes"))]
        if chap:
            changes.append(C.SetAclAuth(T, 1, me, C.Chap(*CHAP, *(MUTUAL if mutual else ("", "")))))
    else:
        changes.append(C.CreateLun(T, 1, ("ramdisk", "causes")))
    report = writer.apply(changes)
    assert report.ok, "\n".join(report.lines())


def _chap(user: str, secret: str, user_in: str = "", secret_in: str = "") -> dict[str, str]:
    out = {"node.session.auth.authmethod": "CHAP", "node.session.auth.username": user,
           "node.session.auth.password": secret}
    if user_in:
        out.update({"node.session.auth.username_in": user_in, "node.session.auth.password_in": secret_in})
    return out


#: cause -> (target setup, node record settings, the target to log in to)
CAUSES = {
    "wrong_secret": ({}, _chap(CHAP[0], "wrong-secret-99"), T),
    "mutual_secret_wrong": ({}, _chap(*CHAP, MUTUAL[0], "wrong-mutual-99"), T),
    "chap_required_not_offered": ({}, {"node.session.auth.authmethod": "None"}, T),
    "chap_offered_none_set": ({"chap": False}, _chap(*CHAP), T),
    "no_acl": ({"acl": False, "auth": 0}, {"node.session.auth.authmethod": "None"}, T),
    "tpg_disabled": ({"chap": False, "auth": 0, "enabled": False}, {"node.session.auth.authmethod": "None"}, T),
    "unknown_target": ({"chap": False, "auth": 0}, {"node.session.auth.authmethod": "None"}, NOWHERE),
}


def test_each_refused_login_is_named_by_its_cause_once(lab, tmp_path):
    import ktools

    from sanctl.lio.rtslib_writer import RtslibWriter

    lab.rtsroot()
    writer = RtslibWriter("/", lock_timeout=2.0)
    captured = {}
    for cause, (setup, node, target) in CAUSES.items():
        ktools.logout_all()
        _setup(lab, writer, **setup)
        before = _stats()
        if cause in ("tpg_disabled", "unknown_target"):
            found = _bare_attempt(target)
        else:
            _node(target, **node)
            found = _attempt(target, iscsid_explains=cause == "mutual_secret_wrong")
        found["stats_before"], found["stats_after"] = before, _stats()
        captured[cause] = found
    if RESULTS.is_dir():
        (RESULTS / "login-causes.json").write_text(json.dumps(captured, indent=1))
    from sanctl.live.login_causes import classify

    wrong = {}
    for cause, found in captured.items():
        verdicts = classify(found["dmesg"] + found["iscsid"], found["stats_before"], found["stats_after"])
        tries = sum("iSCSI Login negotiation failed." in line for line in found["dmesg"])
        causes = [v.cause for v in verdicts]
        # iscsid may try the mutual-CHAP login twice; only the attempt it explains is that cause
        expected = causes == [cause] * tries or (cause == "mutual_secret_wrong" and len(causes) == tries
                                                 and cause in causes and set(causes) <= {cause, "negotiation_failed"})
        if cause == "mutual_secret_wrong" and not found["iscsid"]:
            # only the initiator knows the target's answer was wrong: without iscsid's words the kernel's
            # lines say no more than a failed negotiation, and that is what must be said, not a guess
            expected = causes == ["negotiation_failed"] * tries
        if not tries or not expected:
            wrong[cause] = ([v.cause for v in verdicts], found["dmesg"], found["iscsid"], found["iscsiadm"])
    assert not wrong, json.dumps(wrong, indent=1)
    os.sync()
