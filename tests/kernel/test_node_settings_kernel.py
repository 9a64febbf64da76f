"""The settings form's keys, records made by hand, iSNS and enforced discovery CHAP against the real
iscsiadm, iscsid and LIO (in the VM): what the demo's simulated iscsiadm claims, checked on the real one."""

from __future__ import annotations

import pytest

from test_initiator_wrapper import _adm, build_writer_san

pytestmark = pytest.mark.kernel


def test_every_settings_key_is_written_and_the_session_uses_it(lab, kernel_env):
    from sanctl.initiator import node_settings as NS

    kt = kernel_env
    san = build_writer_san(lab, kt, prefix="settings")
    adm = _adm()
    portal = f"{kt.PORTAL_IP}:{kt.PORTAL_PORT}"
    adm.discover(portal)
    (record,) = adm.node_settings(san.target_iqn, portal)
    original = {k: str(v) for k, v in record.settings.items()}
    for spec in NS.NODE_KEYS:  # open-iscsi's defaults are the ones the form says
        assert original[spec.key] == spec.default, spec.key
    wanted = {spec.key: spec.suggested for spec in NS.NODE_KEYS} | {"node.session.queue_depth": "64",
                                                                     "node.session.cmds_max": "256"}
    updates = NS.plan(original, wanted)
    assert NS.apply(adm, san.target_iqn, portal, updates) == updates
    (after,) = adm.node_settings(san.target_iqn, portal)
    for key, value in wanted.items():
        assert after.text(key) == value, key
    # a key changed behind the form's back is refused, nothing written
    adm.update_node(san.target_iqn, portal, "node.conn[0].timeo.noop_out_interval", "7")
    with pytest.raises(NS.StaleRecord):
        NS.apply(adm, san.target_iqn, portal, NS.plan(original, {"node.conn[0].timeo.noop_out_interval": "9"}))
    (still,) = adm.node_settings(san.target_iqn, portal)
    assert still.text("node.conn[0].timeo.noop_out_interval") == "7"
    assert adm.login(san.target_iqn, portal).logged_in
    (session,) = adm.session_details()
    assert session.timeouts.get("Recovery Timeout") == "15"


def test_a_record_by_hand_logs_in_and_is_static(lab, kernel_env):
    from sanctl.initiator.iscsiadm import IscsiadmError
    from sanctl.names import InvalidValue

    kt = kernel_env
    san = build_writer_san(lab, kt, prefix="static")
    adm = _adm()
    portal = f"{kt.PORTAL_IP}:{kt.PORTAL_PORT}"
    adm.new_node(san.target_iqn, portal)
    (record,) = adm.node_settings(san.target_iqn, portal)
    assert record.text("node.discovery_type") == "static" and record.tpgt == -1
    with pytest.raises(InvalidValue, match="exists already"):
        adm.new_node(san.target_iqn, portal)
    assert adm.login(san.target_iqn, portal).logged_in
    # iSNS: nothing runs an iSNS server in the VM; the demo says exit 25 — the real code must be the same
    with pytest.raises(IscsiadmError) as isns:
        adm.discover_isns(kt.PORTAL_IP)
    assert isns.value.code == 25, (isns.value.code, isns.value.stderr)


def test_enforced_discovery_auth_without_chap_is_24(lab, kernel_env):
    from sanctl.initiator.iscsiadm import IscsiadmError
    from sanctl.lio import changes as C
    from sanctl.lio.rtslib_writer import RtslibWriter

    kt = kernel_env
    build_writer_san(lab, kt, prefix="discauth")
    report = RtslibWriter("/", lock_timeout=1.0).apply(
        [C.SetDiscoveryAuth(C.Chap("disc-user", "disc-secret-123"), enforce=True)])
    assert report.ok, "\n".join(report.lines())
    adm = _adm()
    with pytest.raises(IscsiadmError) as refused:
        adm.discover(f"{kt.PORTAL_IP}:{kt.PORTAL_PORT}")
    assert refused.value.code == 24, (refused.value.code, refused.value.stderr)
    assert "rejected: initiator failed authorization" in refused.value.stderr
