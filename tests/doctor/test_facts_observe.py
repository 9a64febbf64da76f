"""The host's facts (absences tolerated) and the live state over several looks."""

from __future__ import annotations

import os

import pytest

from sanctl.doctor import facts as F
from sanctl.doctor.observe import LastLook, LoginCounters, Observer, SeenSession, load_last_look, save_last_look, state_path
from sanctl.host.captured import CapturedHost
from sanctl.host.demo import DemoHost
from sanctl.host.local import LocalHost
from sanctl.initiator.iscsiadm import Completed, Iscsiadm, IscsiadmNotFound

from .conftest import CLIENT, RAC, T0, acl_session, config_of, frame


class ScriptedIscsiadm(Iscsiadm):
    """An iscsiadm that answers ``-m node -o show`` with a fixed exit code and output."""

    def __init__(self, rc: int, stdout: str = "", stderr: str = "") -> None:
        super().__init__("iscsiadm")
        self.answer = (rc, stdout, stderr)
        self.calls: list[list[str]] = []

    def run(self, args, *, timeout=None, operation="query", ok=(0,)):
        self.calls.append(list(args))
        rc, out, err = self.answer
        return Completed(tuple(args), rc, out, err, 0.0)


class MissingIscsiadm(Iscsiadm):
    def run(self, args, *, timeout=None, operation="query", ok=(0,)):
        raise IscsiadmNotFound(None, "iscsiadm, open-iscsi's command, is not installed.", "Install open-iscsi.")


# ---------------------------------------------------------------------------
# facts
# ---------------------------------------------------------------------------


def test_the_demo_hosts_facts(demo):
    config = config_of(demo)
    found = F.gather(config, host=DemoHost(config.root))
    assert {"127.0.0.1", "::1", "192.168.50.10"} <= found.addresses
    assert found.has_address("[::1]") and found.has_address("192.168.50.10") and not found.has_address("10.9.9.9")
    assert found.target_service.state == "enabled"
    assert found.save_status is not None and found.save_status.differs  # never saved
    assert found.initiator_name == CLIENT
    assert sorted(r.target for r in found.node_records) == sorted(
        ["iqn.2024-01.com.example:scratch", "iqn.2024-01.com.example:web", RAC])
    assert found.node_db is None
    assert set(found.devices) == {f"/dev/vg_san/{n}" for n in
                                  ("ora-ocr-1", "ora-ocr-2", "ora-ocr-3", "ora-data-1", "ora-data-2", "ora-arch")}
    assert all(d.exists and not d.mountpoints for d in found.devices.values())
    assert found.files == {}  # the demo does not write its 50 GiB file out
    web_acl = "iscsi/iqn.2024-01.com.example:web/tpgt_1/acls/iqn.2024-01.com.example:web01"
    assert found.auth[web_acl].chap and found.auth[web_acl].mutual
    assert "iscsi/discovery_auth" in found.auth
    assert found.not_checked == ()


def test_a_captured_tree_says_what_it_cannot_know(rac_live_shared):
    config = config_of(rac_live_shared)
    found = F.gather(config, host=CapturedHost(config.root))
    assert found.addresses is None and found.target_service is None and found.save_status is None
    assert found.node_records is None and found.devices == {}
    text = " ".join(found.not_checked)
    for part in ("portal addresses", "boot service", "saved configuration", "initiator records", "block backstores"):
        assert part in text


def test_no_iscsiadm_is_a_note_not_a_crash(demo):
    found = F.gather(config_of(demo), host=DemoHost(str(demo)), iscsiadm=MissingIscsiadm())
    assert found.node_records is None and found.node_db is None
    assert any("not installed" in note for note in found.not_checked)


def test_not_root_skips_the_node_database(demo, monkeypatch):
    adm = ScriptedIscsiadm(0)
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    found = F.gather(config_of(demo), host=LocalHost(str(demo)), iscsiadm=adm, save_status=None, target_service_state=None,
                     addresses=frozenset())
    assert adm.calls == [] and found.node_records is None
    assert any("not root" in note for note in found.not_checked)


def test_no_systemd_is_a_note(demo):
    from sanctl.initiator.services import UnitState

    found = F.gather(config_of(demo), host=DemoHost(str(demo)),
                     target_service_state=UnitState("target.service", "unknown", "systemctl is not installed"))
    assert found.target_service is None
    assert "boot service: systemctl is not installed" in found.not_checked


UNREADABLE = ("iSCSI ERROR: Unknown parameter name node.session.conn_reopen_log_freq\n"
              "iSCSI ERROR: config file /var/lib/iscsi/nodes/iqn.2019-10.io.longhorn:pvc-77/10.244.22.17,3260,1/default "
              "invalid\n")


@pytest.mark.parametrize(("rc", "stderr", "files"), [
    (7, UNREADABLE, ("/var/lib/iscsi/nodes/iqn.2019-10.io.longhorn:pvc-77/10.244.22.17,3260,1/default",)),
    (6, "iscsiadm: iface iter could not stat /var/lib/iscsi/nodes/iqn.1994-05.com.redhat:rhel-37/172.18.210.9,3260.\n"
        "iscsiadm: Could not execute operation on all records: encountered iSCSI database failure\n",
     ("/var/lib/iscsi/nodes/iqn.1994-05.com.redhat:rhel-37/172.18.210.9,3260",)),
])
def test_a_node_database_iscsiadm_cannot_read(rc, stderr, files):
    records, problem, note = F.node_database(ScriptedIscsiadm(rc, "", stderr))
    assert records is None and note is None
    assert problem.code == rc and problem.files == files and problem.lines[-1] in stderr


def test_a_readable_or_empty_node_database():
    text = "# BEGIN RECORD 2.1.8\nnode.name = iqn.2024-01.x:y\nnode.conn[0].address = 10.0.0.1\n# END RECORD\n"
    records, problem, note = F.node_database(ScriptedIscsiadm(0, text))
    assert [r.target for r in records] == ["iqn.2024-01.x:y"] and problem is None and note is None
    assert F.node_database(ScriptedIscsiadm(21, "", "iscsiadm: No records found\n")) == ((), None, None)
    records, problem, note = F.node_database(ScriptedIscsiadm(20, "", "iscsiadm: can not connect to iSCSI daemon (111)!\n"))
    assert records is None and problem is None and note.startswith("initiator records: iscsiadm -m node failed")


def test_a_real_sparse_file_and_its_filesystem(tmp_path):
    from sanctl.model import SanConfig, StorageObject

    path = tmp_path / "big.img"
    with open(path, "wb") as handle:
        handle.truncate(1 << 40)  # 1 TiB, nothing allocated: more than any test machine has free
    config = SanConfig(root="/", storage_objects=(StorageObject("fileio", "big", "fileio_0", "core/fileio_0/big",
                                                                dev=str(path)),))
    found = F.fileio_files(config, LocalHost("/"))[str(path)]
    assert found.size == 1 << 40 and found.allocated < 1 << 20 and found.hole > found.fs_free


def test_normal_address():
    assert F.normal_address("[::1]") == "::1"
    assert F.normal_address("[0:0::1]") == "::1"
    assert F.normal_address("fe80::1%eth0") == "fe80::1"
    assert F.normal_address("192.168.50.10") == "192.168.50.10"
    assert F.normal_address("Host.Example") == "host.example"


# ---------------------------------------------------------------------------
# the looks
# ---------------------------------------------------------------------------

KEY = (RAC, 1, CLIENT)


def _look(wall, address, sid, tsih=None):
    sessions = () if address is None else (acl_session(RAC, CLIENT, address, sid=sid, tsih=tsih or sid),)
    return frame(wall=wall, sessions=sessions)


def test_a_session_moving_between_two_addresses():
    observer = Observer()
    observer.add(_look(T0, "192.168.50.10", 10))
    observer.add(_look(T0 + 1, "192.168.50.10", 10))  # the same session: nothing new
    observer.add(_look(T0 + 2, "192.168.50.12", 11))
    observer.add(_look(T0 + 5, "192.168.50.10", 12))
    trail = observer.snapshot().trails[KEY]
    assert trail.addresses == ("192.168.50.10", "192.168.50.12")
    assert (trail.replaced, trail.switches) == (2, 2)
    assert trail.last == SeenSession("192.168.50.10", 12, 12)
    assert observer.snapshot().looks == 4 and observer.snapshot().watched == 5


def test_an_ordinary_relogin_from_the_same_address():
    observer = Observer()
    observer.add(_look(T0, "192.168.50.10", 10))
    observer.add(_look(T0 + 1, None, 0))
    observer.add(_look(T0 + 2, "192.168.50.10", 11))
    trail = observer.snapshot().trails[KEY]
    assert (trail.addresses, trail.replaced, trail.switches) == (("192.168.50.10",), 1, 0)


def test_old_looks_leave_the_window():
    observer = Observer(window=600)
    observer.add(_look(T0, "192.168.50.12", 10))
    observer.add(_look(T0 + 1, "192.168.50.10", 11))
    observer.add(_look(T0 + 1000, "192.168.50.10", 11))
    observer.add(_look(T0 + 1001, "192.168.50.10", 12))
    trail = observer.snapshot().trails[KEY]
    assert trail.addresses == ("192.168.50.10",) and trail.switches == 0


def test_the_last_look_seeds_the_next_run(tmp_path):
    from sanctl.lio.live import TargetStats

    observer = Observer()
    observer.add(frame(wall=T0, sessions=(acl_session(RAC, CLIENT, "192.168.50.12", sid=4, tsih=2),),
                       target_stats={RAC: TargetStats(authorize_fails=3, authenticate_fails=1, login_fails=4)}))
    look = observer.last_look()
    path = str(tmp_path / "state" / "doctor.json")
    save_last_look(path, look)
    again = load_last_look(path)
    assert again.counters == {RAC: LoginCounters(3, 1, 4)}
    assert again.sessions == {KEY: SeenSession("192.168.50.12", 4, 2)}
    nxt = Observer(again)
    nxt.add(_look(T0 + 60, "192.168.50.10", 9))
    snap = nxt.snapshot()
    assert snap.baseline == {RAC: LoginCounters(3, 1, 4)} and snap.baseline_wall == T0
    assert snap.trails[KEY].addresses == ("192.168.50.12", "192.168.50.10")
    assert snap.trails[KEY].switches == 1


def test_a_damaged_state_file_is_ignored(tmp_path):
    path = tmp_path / "doctor.json"
    path.write_text("{not json")
    assert load_last_look(str(path)) is None
    path.write_text('{"version": 1, "wall": "x"}')
    assert load_last_look(str(path)) is None
    assert LastLook.from_json([1, 2]) is None
    assert load_last_look(None) is None


def test_where_the_last_look_is_kept(tmp_path, monkeypatch):
    assert state_path(DemoHost(str(tmp_path))) == str(tmp_path / "var" / "lib" / "sanctl" / "doctor-last-look.json")
    assert state_path(CapturedHost(str(tmp_path))) is None
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert state_path(LocalHost("/")) == "/var/lib/sanctl/doctor-last-look.json"
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert state_path(LocalHost("/")) == str(tmp_path / "xdg" / "sanctl" / "doctor-last-look.json")
