"""sanctl's iscsiadm wrapper against the real iscsiadm, iscsid and LIO target (in the VM), the target built by sanctl's own writer."""

from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.kernel


def _adm():
    from sanctl.initiator.iscsiadm import Iscsiadm, Timeouts

    return Iscsiadm(timeouts=Timeouts(query=30, action=90, discovery=90))  # TCG is slow


def build_writer_san(lab, kt, target: str = "iqn.2024-01.test.sanctl:wrapper", *, prefix: str = "wrapper",
                     chap=None, portal_port: int | None = None, extra=()):
    """Two LUNs (fileio, ramdisk) for this guest's initiator, mapped as LUN 0 and LUN 3 (write-protected),
    on 127.0.0.1, built by sanctl's own writer in one transaction (not rtslib-fb directly).

    ``chap`` (a :class:`sanctl.lio.changes.Chap`) turns authentication on with that CHAP on the ACL;
    ``extra`` changes go into the same transaction (a second target …)."""
    from types import SimpleNamespace

    from sanctl.lio import changes as C
    from sanctl.lio.rtslib_writer import RtslibWriter

    lab.rtsroot()
    image = lab.sparse(f"{prefix}-file.img", 64 * kt.MiB)
    initiator = kt.initiator_name()
    steps = [
        C.CreateFileio(f"{prefix}-file", str(image), 64 * kt.MiB),
        C.CreateRamdisk(f"{prefix}-ram", 16 * kt.MiB),
        C.CreateTarget(target),
        C.CreateTpg(target, 1),
        C.tpg_attribute(target, 1, "authentication", 1 if chap is not None else 0),
        C.CreateLun(target, 1, ("fileio", f"{prefix}-file"), index=0),
        C.CreateLun(target, 1, ("ramdisk", f"{prefix}-ram"), index=1),
        C.CreateAcl(target, 1, initiator, map_all_luns=False),
        C.CreateMappedLun(target, 1, initiator, 0, 0),
        C.CreateMappedLun(target, 1, initiator, 3, 1, write_protect=True),
    ]
    if chap is not None:
        steps.append(C.SetAclAuth(target, 1, initiator, chap))
    steps += [C.CreatePortal(target, 1, kt.PORTAL_IP, portal_port or kt.PORTAL_PORT),
              C.SetTpgEnabled(target, 1, True), *extra]
    report = RtslibWriter("/", lock_timeout=1.0).apply(steps)
    assert report.ok, "\n".join(report.lines())
    return SimpleNamespace(target_iqn=target, acl=initiator, mapped={0: (0, False), 3: (1, True)},
                           sizes={0: 64 * kt.MiB, 3: 16 * kt.MiB})


@pytest.fixture
def writer_san(lab, kernel_env):
    """The basic SAN's shape, built by sanctl's own writer in one transaction (not rtslib-fb directly)."""
    return build_writer_san(lab, kernel_env)


def test_discover_login_disks_logout_delete(writer_san, kernel_env):
    from sanctl.initiator.iscsiadm import DiscoveredTarget, IscsiadmError, NodeRecord

    kt = kernel_env
    adm = _adm()
    basic_san = writer_san
    target, portal = basic_san.target_iqn, f"{kt.PORTAL_IP}:{kt.PORTAL_PORT}"

    assert adm.nodes() == [] and adm.sessions() == []
    assert adm.discover(portal) == [DiscoveredTarget(target, portal, 1)]
    assert adm.nodes() == [NodeRecord(target, portal, 1)]
    assert [r.portal for r in adm.discovery_records()] == [portal]

    # A favourite survives rediscovery: discovery adds new records only.
    adm.set_favourite(target, portal, True)
    adm.discover(portal)
    [record] = adm.node_settings(target, portal)
    assert record.target == target and record.startup == "automatic" and record.automatic
    adm.set_favourite(target, portal, False)

    result = adm.login(target, portal)
    assert [(p.target, p.portal) for p in result.logged_in] == [(target, portal)] and not result.already
    assert adm.login(target, portal).already  # exit 15 is success

    def with_disks():
        sessions = adm.session_details()
        if sessions and len(sessions[0].disks) == len(basic_san.mapped) and all(d.device for d in sessions[0].disks):
            return sessions
        return None

    [session] = kt.wait_for(with_disks, "the session's disks in iscsiadm -m session -P 3", 60)
    assert session.target == target and session.portal == portal and session.logged_in
    assert session.initiator_name == basic_san.acl
    assert sorted(d.lun for d in session.disks) == sorted(basic_san.mapped)
    assert all(os.path.exists(d.path) and d.state == "running" for d in session.disks)
    sysfs = {s["name"]: s for s in kt.iscsi_sessions()}
    assert sorted(d.device for d in session.disks) == sysfs[f"session{session.sid}"]["disks"]
    [summary] = adm.sessions()
    assert summary.sid == session.sid
    assert "scsicmd_pdus" in adm.session_stats(session.sid).counters
    assert adm.rescan(session.sid)[0].sid == session.sid

    with pytest.raises(IscsiadmError) as exc:
        adm.delete_node(target, portal)  # a session uses it
    assert exc.value.code == 15 and "Log out" in exc.value.hint

    logout = adm.logout(target, portal)
    assert [p.sid for p in logout.logged_out] == [session.sid]
    kt.wait_for(lambda: not kt.iscsi_sessions(), "the session to go", 60)
    assert adm.logout(target, portal).already  # exit 21 is success
    assert adm.delete_node(target, portal) is True
    assert adm.delete_node(target, portal) is False
    assert adm.nodes() == []
    assert adm.delete_discovery_record(portal) is True
    assert adm.delete_discovery_record(portal) is False


def test_chap_refusal_then_login_with_chap(lab, kernel_env):
    from rtslib import LUN, TPG, FabricModule, MappedLUN, NetworkPortal, NodeACL, RDMCPStorageObject, Target

    from sanctl.initiator.iscsiadm import Chap, LoginFailed

    kt = kernel_env
    lab.rtsroot()
    iqn = "iqn.2024-01.test.sanctl:wrapper-chap"
    tpg = TPG(Target(FabricModule("iscsi"), iqn), 1)
    tpg.set_attribute("authentication", "1")
    lun = LUN(tpg, 0, RDMCPStorageObject("wrapper-ram", 8 * kt.MiB))
    acl = NodeACL(tpg, kt.initiator_name())
    MappedLUN(acl, 0, lun)
    acl.chap_userid, acl.chap_password = "sanctl-in", "in-secret-123"
    acl.chap_mutual_userid, acl.chap_mutual_password = "sanctl-out", "out-secret-456"
    NetworkPortal(tpg, kt.PORTAL_IP, kt.PORTAL_PORT)
    tpg.enable = True

    adm = _adm()
    portal = f"{kt.PORTAL_IP}:{kt.PORTAL_PORT}"
    adm.discover(portal)
    with pytest.raises(LoginFailed) as exc:
        adm.login(iqn, portal)
    assert exc.value.code == 24 and "ACL" in exc.value.hint

    adm.set_session_auth(iqn, portal, Chap("sanctl-in", "in-secret-123", "sanctl-out", "wrong-secret-789"))
    with pytest.raises(LoginFailed) as exc:
        adm.login(iqn, portal)
    assert exc.value.code == 19 and "mutual CHAP" in exc.value.hint

    adm.set_session_auth(iqn, portal, Chap("sanctl-in", "in-secret-123", "sanctl-out", "out-secret-456"))
    [record] = adm.node_settings(iqn, portal, reveal=True)
    assert record.chap.password.reveal() == "in-secret-123" and record.chap.username_in == "sanctl-out"
    assert adm.login(iqn, portal).logged_in
    kt.wait_for(lambda: [s for s in kt.iscsi_sessions() if s["disks"]], "the CHAP session's disk", 60)
    [session] = adm.session_details()
    assert session.chap_username == "sanctl-in" and session.chap_username_in == "sanctl-out"
    adm.logout(iqn, portal)
