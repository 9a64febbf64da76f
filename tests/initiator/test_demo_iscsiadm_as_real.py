"""The demo's simulated iscsiadm answers as open-iscsi 2.1.8 does (tests/fixtures/initiator, INITIATOR.md):
discovery CHAP enforced, a portal that is not there, discovery records with their keys, iSNS, static records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sanctl.initiator.iscsiadm import Chap, IscsiadmError, LoginFailed, parse_records
from sanctl.model import Secret

CASES = {c["name"]: c for c in json.loads(
    (Path(__file__).parent.parent / "fixtures" / "initiator" / "iscsiadm-cases.json").read_text())["cases"]}
DISCOVERY_AUTH = "sys/kernel/config/target/iscsi/discovery_auth"


def enforce_discovery_chap(root: str, userid: str = "disc-user", password: str = "disc-secret-1") -> None:
    base = Path(root) / DISCOVERY_AUTH
    (base / "userid").write_text(userid)
    (base / "password").write_text(password)
    (base / "enforce_discovery_auth").write_text("1")


def test_enforced_discovery_auth_without_chap_fails_with_24(demo_adm):
    enforce_discovery_chap(demo_adm.root)
    with pytest.raises(IscsiadmError) as refused:
        demo_adm.iscsiadm.discover("127.0.0.1")
    assert refused.value.code == 24
    assert "discovery login to 127.0.0.1 rejected: initiator failed authorization" in refused.value.stderr


def test_enforced_discovery_auth_with_the_wrong_secret_fails_and_the_right_one_lists(demo_adm):
    from sanctl.sim.demo import RAC_IQN

    enforce_discovery_chap(demo_adm.root)
    adm = demo_adm.iscsiadm
    with pytest.raises(IscsiadmError) as wrong:
        adm.discover("127.0.0.1", chap=Chap("disc-user", Secret("not-the-secret")))
    assert wrong.value.code == 24
    found = adm.discover("127.0.0.1", chap=Chap("disc-user", Secret("disc-secret-1")))
    assert RAC_IQN in {f.target for f in found}


def test_discovery_without_enforcement_needs_no_chap(demo_adm):
    assert demo_adm.iscsiadm.discover("127.0.0.1")


def test_an_address_that_is_not_there_times_out_with_8_not_24(demo_adm):
    from sanctl.sim.demo import RAC_IQN

    adm = demo_adm.iscsiadm
    with pytest.raises(IscsiadmError) as discovery:
        adm.discover("10.77.0.1")
    assert discovery.value.code == 8 and "connect to 10.77.0.1 timed out" in discovery.value.stderr
    # a record made by hand for a portal that does not exist: the login times out (RAC has an ACL for us,
    # so an "authorization failure" here would be a lie)
    adm.run(["-m", "node", "-T", RAC_IQN, "-p", "10.77.0.1:3260", "-o", "new"], operation="update")
    with pytest.raises(LoginFailed) as login:
        adm.login(RAC_IQN, "10.77.0.1:3260")
    assert login.value.code == 8
    assert "initiator reported error (8 - connection timed out)" in login.value.stderr


def test_a_discovery_portal_shows_its_record_with_secrets_masked(demo_adm):
    adm = demo_adm.iscsiadm
    settings = adm.discovery_settings("192.168.50.10:3260")
    real = parse_records(CASES["discoverydb_show"]["stdout"])[0]
    assert list(settings.settings) == list(real.settings)  # the keys and their order, as open-iscsi prints them
    assert settings.text("discovery.sendtargets.address") == "192.168.50.10"
    adm.discover("127.0.0.1", chap=Chap("disc-user", Secret("disc-secret-1")))
    shown = adm.discovery_settings("127.0.0.1:3260")
    assert shown.text("discovery.sendtargets.auth.username") == "disc-user"
    assert str(shown.get("discovery.sendtargets.auth.password")) == "********"


def test_missing_discovery_record_is_exit_6_as_captured(demo_adm):
    done = demo_adm.iscsiadm.run(["-m", "discoverydb", "-t", "sendtargets", "-p", "127.0.0.1:3260", "-o", "delete"],
                             ok=None)
    real = CASES["discoverydb_delete_again"]
    assert (done.returncode, done.stderr) == (real["rc"], real["stderr"])


def test_manual_node_record_is_static_with_tpgt_minus_1(demo_adm):
    from sanctl.sim.demo import SCRATCH_IQN

    adm = demo_adm.iscsiadm
    done = adm.run(["-m", "node", "-T", SCRATCH_IQN, "-p", "127.0.0.1:3260", "-o", "new"])
    assert done.stdout == (f"New iSCSI node [tcp:[hw=,ip=,net_if=,iscsi_if=default] 127.0.0.1,3260,-1 "
                           f"{SCRATCH_IQN}] added\n")
    (record,) = adm.node_settings(SCRATCH_IQN, "127.0.0.1:3260")
    assert record.text("node.discovery_type") == "static" and record.tpgt == -1
    assert adm.login(SCRATCH_IQN, "127.0.0.1:3260").logged_in  # demo mode lets anyone in


def test_isns_discovery_fails_as_no_isns_server_answers(demo_adm):
    done = demo_adm.iscsiadm.run(["-m", "discoverydb", "-t", "isns", "-p", "127.0.0.1:3205", "--discover"], ok=None)
    assert done.returncode == 25 and "Could not perform iSNS discovery" in done.stderr


def test_updating_a_key_open_iscsi_does_not_know_is_exit_7(demo_adm):
    from sanctl.sim.demo import RAC_IQN

    done = demo_adm.iscsiadm.run(["-m", "node", "-T", RAC_IQN, "-p", "192.168.50.10:3260", "-o", "update",
                              "-n", "node.no.such.key", "-v", "1"], ok=None)
    real = CASES["node_update_bad_key"]
    assert (done.returncode, done.stderr) == (real["rc"], real["stderr"])
