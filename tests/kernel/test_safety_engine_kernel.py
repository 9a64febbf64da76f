"""Issue 12 on the real kernel, with this guest's initiator logged in: a stale form's change is
refused and the other writer's value stays; a transaction killed half-way is finished or undone
through the writer; the kernel refuses no name sanctl accepts."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.kernel

REPO = Path(__file__).resolve().parents[2]


def _writer():
    from sanctl.lio.rtslib_writer import RtslibWriter

    return RtslibWriter("/", lock_timeout=5.0)


def _canonical(value):
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted((_canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return value


def _state():
    from sanctl.lio.configfs import read_config
    from sanctl.lio.saveconfig import dump

    return _canonical(json.loads(json.dumps(dump(read_config("/", details=True)))))


def _acl(target: str, initiator: str):
    from sanctl.lio import configfs as cf
    from sanctl.lio.configfs import read_config

    config = read_config("/", details=True)
    acl = next(a for t in config.targets if t.wwn == target for tpg in t.tpgs for a in tpg.acls
               if a.node_wwn == initiator)
    return cf.read_acl_details("/", acl)


def _still_logged_in(kt, target: str) -> None:
    sessions = kt.iscsi_sessions()
    assert any(s["targetname"] == target and s["state"] == "LOGGED_IN" for s in sessions), sessions


def test_a_stale_chap_form_is_refused_and_the_other_value_stays(lab, basic_san, logged_in, kernel_env):
    from sanctl.lio import changes as C
    from sanctl.lio.writer import ROLLED_BACK_ALL

    kt = kernel_env
    t, init = basic_san.target_iqn, basic_san.acl
    shown = C.chap_of(_acl(t, init).auth)  # what the form showed: no CHAP
    assert not shown.enabled
    theirs = C.Chap("other-admin", "other-admin-secret1")
    assert _writer().apply([C.SetAclAuth(t, 1, init, theirs)]).ok
    before = _state()
    report = _writer().apply([C.SetAclAuth(t, 1, init, C.Chap("mine", "my-own-secret-12"), expect=shown),
                              C.SetMappedLunWriteProtect(t, 1, init, 0, True, expect=False)])
    assert report.outcome == ROLLED_BACK_ALL and report.error.conflict, "\n".join(report.lines())
    assert "changed meanwhile" in report.error.cause and "other-admin-secret1" not in report.message()
    assert _state() == before
    auth = _acl(t, init).auth
    assert auth.userid == "other-admin" and auth.password.reveal() == "other-admin-secret1"
    # a stale write-protect alone: the same
    assert _writer().apply([C.SetMappedLunWriteProtect(t, 1, init, 1, True)]).ok  # already read-only: nothing
    other = _writer().apply([C.SetMappedLunWriteProtect(t, 1, init, 0, True)])
    assert other.ok
    stale = _writer().apply([C.SetMappedLunWriteProtect(t, 1, init, 0, False, expect=False)])
    assert stale.outcome == ROLLED_BACK_ALL and "changed meanwhile" in stale.error.cause
    assert next(m for m in _acl(t, init).mapped_luns if m.index == 0).write_protect
    _still_logged_in(kt, t)


_CHILD = textwrap.dedent("""
    import json, os, signal, sys
    from sanctl.lio.rtslib_writer import RtslibWriter
    from sanctl.lio import journal as J

    class Killed(RtslibWriter):
        def execute(self, change):
            self.n = getattr(self, "n", 0) + 1
            if self.n == int(sys.argv[1]):
                os.kill(os.getpid(), signal.SIGKILL)
            return super().execute(change)

    Killed("/", lock_timeout=5.0).apply([J.decode_change(c) for c in json.loads(sys.stdin.read())])
    print("not killed")
""")


def _transaction(t, init):
    from sanctl.lio import changes as C

    return [
        C.CreateRamdisk("j-ram", "8M"),
        C.CreateLun(t, 1, ("ramdisk", "j-ram"), 3, map_to_acls=False),
        C.CreateMappedLun(t, 1, init, 3, 3),
        C.SetMappedLunWriteProtect(t, 1, init, 0, True, expect=False),
        C.tpg_attribute(t, 1, "default_cmdsn_depth", 32),
    ]


def _kill(changes, step: int) -> None:
    from sanctl.lio import journal as J

    done = subprocess.run([sys.executable, "-c", _CHILD, str(step)], input=json.dumps(
        [J.encode_change(c) for c in changes]), text=True, capture_output=True, timeout=300, cwd=str(REPO))
    assert done.returncode == -signal.SIGKILL, done.stdout + done.stderr


@pytest.mark.parametrize("step", [2, 4])
def test_a_killed_transaction_is_undone_through_the_writer(lab, basic_san, logged_in, kernel_env, step):
    from sanctl.lio import journal as J
    from sanctl.lio.writer import ROLLED_BACK_ALL

    before = _state()
    _kill(_transaction(basic_san.target_iqn, basic_san.acl), step)
    assert os.stat(J.journal_path("/")).st_mode & 0o777 == 0o600
    record = _writer().unfinished()
    assert record is not None and _state() != before
    report = _writer().undo(record)
    assert report.outcome == ROLLED_BACK_ALL, "\n".join(report.lines())
    assert _state() == before
    assert _writer().unfinished() is None
    _still_logged_in(kernel_env, basic_san.target_iqn)


@pytest.mark.parametrize("step", [2, 4])
def test_a_killed_transaction_is_finished_through_the_writer(lab, basic_san, logged_in, kernel_env, step):
    from sanctl.lio.configfs import read_config
    from sanctl.lio.writer import COMPLETED

    t, init = basic_san.target_iqn, basic_san.acl
    _kill(_transaction(t, init), step)
    record = _writer().unfinished()
    report = _writer().finish(record)
    assert report.outcome == COMPLETED, "\n".join(report.lines())
    assert _writer().unfinished() is None
    config = read_config("/", details=True)
    assert config.storage_object(("ramdisk", "j-ram")) is not None
    tpg = next(tpg for target in config.targets if target.wwn == t for tpg in target.tpgs)
    assert any(lun.index == 3 and lun.storage_object == ("ramdisk", "j-ram") for lun in tpg.luns)
    acl = _acl(t, init)
    assert {m.index: (m.tpg_lun, m.write_protect) for m in acl.mapped_luns}[3] == (3, False)
    assert next(m for m in acl.mapped_luns if m.index == 0).write_protect
    assert tpg.attributes.value("default_cmdsn_depth") == "32"
    _still_logged_in(kernel_env, t)


def _corpus() -> list[str]:
    spec = importlib.util.spec_from_file_location("names_corpus", REPO / "tests" / "test_names_differential.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CORPUS


def test_the_kernel_refuses_no_name_sanctl_accepts(lab, kernel_env):
    """mkdir of an iSCSI target and of an ACL for each name of the corpus: what the kernel refuses, sanctl refuses."""
    from rtslib import TPG, FabricModule, Target

    from sanctl.names import InvalidValue, check_iscsi_name

    lab.rtsroot()
    holder = Target(FabricModule("iscsi"), "iqn.2024-01.test.sanctl:names")
    TPG(holder, 1)
    base = kernel_env.CFS / "iscsi"
    acls = base / holder.wwn / "tpgt_1" / "acls"
    refused, accepted = [], []
    for name in _corpus():
        if not name or "/" in name or "\0" in name or name in (".", ".."):
            continue  # not one path component: no directory the kernel could be asked for
        for where in (base, acls):
            path = where / name
            try:
                os.mkdir(path)
            except OSError as exc:
                refused.append((name, where.name, exc.errno))
                continue
            accepted.append(name)
            os.rmdir(path)
    for name, where, errno in refused:
        try:
            check_iscsi_name(name)
        except InvalidValue:
            continue
        pytest.fail(f"the kernel refuses {name!r} in {where} (errno {errno}), sanctl accepts it")
    assert any(len(n.encode()) >= 224 for n, _, _ in refused), "the corpus reaches the kernel's 224-byte limit"
