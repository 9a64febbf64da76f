"""Every rule: a situation that triggers it, and the ones that must leave it quiet.

Configurations come from the real kernel's trees (``tests/fixtures``: the RAC
example, the rich VM capture) and from the demo SAN changed through the
simulated kernel's writer; live states are built frames.
"""

from __future__ import annotations

from types import MappingProxyType

import pytest

from sanctl.doctor import rules as R
from sanctl.doctor.findings import ERROR, INFO, WARNING
from sanctl.host.demo import DemoHost
from sanctl.host.local import LocalHost
from sanctl.doctor.observe import LoginCounters, SeenSession, SessionTrail
from sanctl.live.fail_time import printed_fail_time
from sanctl.model import Auth, SanConfig, Secret
from sanctl.lio import changes as C
from sanctl.lio.live import TargetStats
from sanctl.tree import find

from .conftest import (
    CLIENT,
    CLIENT2,
    RAC,
    SCRATCH,
    T0,
    WEB,
    WEB01,
    acl_session,
    apply,
    config_of,
    dynamic_session,
    facts,
    flap,
    frame,
    local_session,
    snapshot,
)

RAC_ACL = f"/iscsi/{RAC}/tpg1/acls/{CLIENT}"


def assert_findable(config, finding) -> None:
    """Every object a finding names is a node the configuration tree can find."""
    for path in finding.objects:
        assert find(config, path), f"{path} is not in the tree"


# ---------------------------------------------------------------------------
# one initiator name, two hosts
# ---------------------------------------------------------------------------


class TestSharedInitiatorName:
    def test_the_samplers_own_detection_is_an_error(self, demo):
        from sanctl.live.flap import Finding

        config = config_of(demo)
        seen = Finding(kind="shared_initiator_name", key=("shared", RAC, 1, CLIENT), title=f"One initiator name, "
                       f"2 hosts: {CLIENT}", lines=("LIO replaced the session 12 times.",), fix="", count=12,
                       first=T0 - 60, last=T0 - 1, active=True, target=RAC, tpg=1, initiator=CLIENT,
                       addresses=("192.168.50.10", "192.168.50.12"))
        found = R.shared_initiator_name(config, snapshot(frame(findings=(seen, flap(RAC)))), facts(config))
        assert [(f.severity, f.objects) for f in found] == [(ERROR, (RAC_ACL,))]
        assert "connection 1:0" in " ".join(found[0].why)  # this host's side of it, named
        assert "address: 192.168.50.10 (this host)" in found[0].details
        assert found[0].panel == "errors"
        assert_findable(config, found[0])

    def test_stopped_flapping_is_a_warning(self, demo):
        from sanctl.live.flap import Finding

        config = config_of(demo)
        seen = Finding(kind="shared_initiator_name", key=("shared", RAC, 1, CLIENT), title="t", lines=(), fix="",
                       count=5, first=T0 - 900, last=T0 - 600, active=False, target=RAC, tpg=1, initiator=CLIENT)
        found = R.shared_initiator_name(config, snapshot(frame(findings=(seen,))), facts(config))
        assert [f.severity for f in found] == [WARNING] and "(stopped)" in found[0].title

    def test_two_addresses_back_and_forth_while_watching(self, demo):
        config = config_of(demo)
        trail = SessionTrail(("192.168.50.10", "192.168.50.12"), replaced=2, switches=2,
                             last=SeenSession("192.168.50.10", 9, 5))
        found = R.shared_initiator_name(config, snapshot(trails={(RAC, 1, CLIENT): trail}), facts(config))
        assert [(f.rule, f.severity) for f in found] == [("shared_initiator_name", ERROR)]
        assert "192.168.50.10 and 192.168.50.12 in turn" in found[0].why[0]

    def test_one_move_to_another_address_is_not_enough(self, demo):
        """A host whose address changed once logs in again from the new one: not two hosts."""
        config = config_of(demo)
        trail = SessionTrail(("192.168.50.10", "192.168.50.99"), replaced=1, switches=1,
                             last=SeenSession("192.168.50.99", 9, 5))
        assert R.shared_initiator_name(config, snapshot(trails={(RAC, 1, CLIENT): trail}), facts(config)) == []

    def test_one_move_while_this_host_gets_1020_is_enough(self, demo):
        """While this host's connection to the target fails with 1020, one replacement from another
        address names the shared name at once."""
        from sanctl.live.flap import Finding

        config = config_of(demo)
        trail = SessionTrail(("192.168.50.10", "192.168.50.99"), replaced=1, switches=1,
                             last=SeenSession("192.168.50.99", 9, 5))
        flap = Finding(kind="connection_flap", key=("flap", "1:0"), title="", lines=(), fix="", count=3,
                       first=T0 - 20, last=T0 - 2, active=True, connection="1:0", target=RAC, codes=(1020,))
        found = R.shared_initiator_name(config, snapshot(frame(findings=(flap,)), trails={(RAC, 1, CLIENT): trail}),
                                        facts(config))
        assert [(f.rule, f.severity) for f in found] == [("shared_initiator_name", ERROR)]

    def test_one_look_when_both_sides_are_this_host(self, demo):
        """This host is logged in as the client while the ACL's session is another address's."""
        config = config_of(demo)
        mine, host = local_session(RAC, CLIENT)
        from sanctl.initiator.sysfs import InitiatorLive

        live = snapshot(frame(sessions=(acl_session(RAC, CLIENT, "192.168.50.12"),),
                              initiator=InitiatorLive((mine,), (host,))))
        found = R.shared_initiator_name(config, live, facts(config))
        assert [f.severity for f in found] == [ERROR]
        assert "this host (192.168.50.10)" in found[0].why[0] and "192.168.50.12" in found[0].why[0]

    def test_quiet_when_the_acls_session_is_this_hosts(self, demo):
        from sanctl.initiator.sysfs import InitiatorLive

        config = config_of(demo)
        mine, host = local_session(RAC, CLIENT, state="LOGGED_IN")
        live = snapshot(frame(sessions=(acl_session(RAC, CLIENT, "192.168.50.10"),),
                              initiator=InitiatorLive((mine,), (host,))))
        assert R.shared_initiator_name(config, live, facts(config)) == []

    def test_quiet_when_this_hosts_addresses_are_unknown_or_nothing_was_looked_at(self, demo):
        from sanctl.initiator.sysfs import InitiatorLive

        config = config_of(demo)
        mine, host = local_session(RAC, CLIENT)
        live = snapshot(frame(sessions=(acl_session(RAC, CLIENT, "192.168.50.12"),),
                              initiator=InitiatorLive((mine,), (host,))))
        assert R.shared_initiator_name(config, live, facts(config, addresses=None)) == []
        assert R.shared_initiator_name(config, None, facts(config)) == []


# ---------------------------------------------------------------------------
# recurring connection errors
# ---------------------------------------------------------------------------


class TestRecurringConnectionErrors:
    def test_a_flapping_connection_is_a_warning_with_the_codes_meaning(self, demo):
        config = config_of(demo)
        found = R.recurring_connection_errors(config, snapshot(frame(findings=(flap(RAC, codes=(1011,)),))),
                                              facts(config))
        assert [(f.severity, f.objects) for f in found] == [(WARNING, (f"/iscsi/{RAC}",))]
        assert "1011 CONN_FAILED" in found[0].title
        assert any(line.startswith("1011 CONN_FAILED: Generic connection failure") for line in found[0].why)

    def test_stopped_is_information(self, demo):
        config = config_of(demo)
        found = R.recurring_connection_errors(config, snapshot(frame(findings=(flap(RAC, active=False),))),
                                              facts(config))
        assert [f.severity for f in found] == [INFO]

    def test_left_out_when_a_shared_name_explains_the_1020(self, demo):
        config = config_of(demo)
        trail = SessionTrail(("192.168.50.10", "192.168.50.12"), 3, 3, SeenSession("192.168.50.12", 9, 5))
        live = snapshot(frame(findings=(flap(RAC),)), trails={(RAC, 1, CLIENT): trail})
        assert R.recurring_connection_errors(config, live, facts(config)) == []
        # other codes on the same connection are still worth saying
        live = snapshot(frame(findings=(flap(RAC, codes=(1011, 1020)),)), trails={(RAC, 1, CLIENT): trail})
        assert len(R.recurring_connection_errors(config, live, facts(config))) == 1

    def test_quiet_without_a_flap(self, demo):
        config = config_of(demo)
        assert R.recurring_connection_errors(config, snapshot(), facts(config)) == []
        assert R.recurring_connection_errors(config, None, facts(config)) == []


# ---------------------------------------------------------------------------
# a LUN written by several initiators
# ---------------------------------------------------------------------------


class TestSharedLuns:
    def test_the_rac_example_is_explained_not_alarmed(self, rac_idle_shared):
        """The real kernel's RAC tree: two nodes' ACLs map the same six LUNs — intended."""
        config = config_of(rac_idle_shared)
        found = R.shared_luns(config, None, facts(config))
        assert [f.severity for f in found] == [INFO]
        text = " ".join((found[0].title, *found[0].why))
        assert "LUNs 0, 1, 2, 3, 4, 5" in text and CLIENT in text and CLIENT2 in text
        assert "cluster filesystem" in text and "Oracle RAC with ASM this sharing is intended" in text
        assert found[0].objects[0] == f"/iscsi/{RAC}/tpg1/luns/lun0"
        assert_findable(config, found[0])

    def test_one_initiator_per_lun_is_quiet(self, demo, writer):
        apply(writer, C.DeleteAcl(RAC, 1, CLIENT2))
        config = config_of(demo)
        assert R.shared_luns(config, None, facts(config)) == []

    def test_read_only_mappings_do_not_count(self, demo, writer):
        apply(writer, *(C.SetMappedLunWriteProtect(RAC, 1, CLIENT2, n, True) for n in range(6)))
        config = config_of(demo)
        assert R.shared_luns(config, None, facts(config)) == []

    def test_one_backstore_exported_through_two_targets_is_a_warning(self, demo, writer):
        other = "iqn.2024-01.com.example:other"
        host = "iqn.2024-01.com.example:host-b"
        apply(writer, C.DeleteAcl(RAC, 1, CLIENT2), C.CreateTarget(other), C.CreateTpg(other, 1),
              C.CreateLun(other, 1, ("block", "ora-data-1"), index=0), C.CreateAcl(other, 1, host, map_all_luns=False),
              C.CreateMappedLun(other, 1, host, 0, 0))
        config = config_of(demo)
        found = R.shared_luns(config, None, facts(config))
        assert [(f.severity, f.objects[0]) for f in found] == [(WARNING, "/backstores/block/ora-data-1")]
        assert "2 targets or TPGs by 2 initiators" in found[0].title
        assert_findable(config, found[0])

    def test_overlapping_groups_are_a_warning(self, demo, writer):
        """client+client2 share LUN 0 as before, but LUN 5 goes to client and a third host."""
        third = "iqn.2024-01.com.example:third"
        apply(writer, C.DeleteMappedLun(RAC, 1, CLIENT2, 5), C.CreateAcl(RAC, 1, third, map_all_luns=False),
              C.CreateMappedLun(RAC, 1, third, 0, 5))
        config = config_of(demo)
        found = R.shared_luns(config, None, facts(config))
        assert sorted(f.severity for f in found) == [WARNING, WARNING]
        assert any("LUNs 0, 1, 2, 3, 4 of" in f.title for f in found)
        assert any(f.title.startswith("LUN 5 of") for f in found)


# ---------------------------------------------------------------------------
# demo mode, open portals
# ---------------------------------------------------------------------------


class TestDemoMode:
    def test_write_access_is_an_error_with_a_safe_fix(self, kernel_capture):
        config = config_of(kernel_capture)
        live = snapshot(frame(sessions=(dynamic_session("iqn.2024-01.test.sanctl:capture-a",
                                                        "iqn.2024-01.test.sanctl:vm-initiator", tpg=2),)))
        found = R.demo_mode_writable(config, live, facts(config))
        assert [f.severity for f in found] == [ERROR]
        action = found[0].action
        assert isinstance(action, C.SetSetting) and action.sets(C.TpgRef, "attribute")
        assert (action.owner.target, action.owner.tpg, action.key, action.value, action.expect) == (
            "iqn.2024-01.test.sanctl:capture-a", 2, "demo_mode_write_protect", "1", "0")
        assert "vm-initiator" in " ".join(found[0].why)
        assert_findable(config, found[0])

    def test_read_only_demo_mode_is_quiet(self, demo):
        config = config_of(demo)  # the scratch target: generate_node_acls=1, demo_mode_write_protect=1
        assert R.demo_mode_writable(config, None, facts(config)) == []

    def test_the_fix_applied_through_the_writer_clears_it(self, demo, writer):
        apply(writer, C.tpg_attribute(SCRATCH, 1, "demo_mode_write_protect", 0))
        config = config_of(demo)
        [finding] = R.demo_mode_writable(config, None, facts(config))
        apply(writer, finding.action)
        assert R.demo_mode_writable(config_of(demo), None, facts(config)) == []


class TestOpenPortal:
    def test_wildcard_portal_without_authentication(self, demo):
        config = config_of(demo)
        found = R.open_portal_without_auth(config, None, facts(config))
        # RAC: 0.0.0.0 and authentication=0. The web target's 0.0.0.0 has authentication=1; scratch is on [::1].
        assert [f.objects[0] for f in found] == [f"/iscsi/{RAC}/tpg1/portals/0.0.0.0:3260"]
        assert found[0].severity == WARNING
        assert_findable(config, found[0])

    def test_quiet_with_authentication_or_a_specific_address(self, demo, writer):
        apply(writer, C.tpg_attribute(RAC, 1, "authentication", 1))
        config = config_of(demo)
        assert R.open_portal_without_auth(config, None, facts(config)) == []
        apply(writer, C.tpg_attribute(RAC, 1, "authentication", 0), C.DeletePortal(RAC, 1, "0.0.0.0", 3260),
              C.CreatePortal(RAC, 1, "127.0.0.1", 3260))
        config = config_of(demo)
        assert R.open_portal_without_auth(config, None, facts(config)) == []


# ---------------------------------------------------------------------------
# ACLs, LUNs, TPGs and portals that lead nowhere
# ---------------------------------------------------------------------------

CAPTURE_B = "/iscsi/iqn.2024-01.test.sanctl:capture-b/tpg1"


class TestLeadsNowhere:
    def test_acl_without_luns(self, kernel_capture, demo):
        config = config_of(kernel_capture)
        found = R.acl_without_luns(config, None, facts(config))
        assert [f.objects for f in found] == [(f"{CAPTURE_B}/acls/iqn.2024-01.test.sanctl:no-luns-host",)]
        assert_findable(config, found[0])
        assert R.acl_without_luns(config_of(demo), None, facts()) == []

    def test_lun_no_acl_maps(self, kernel_capture, demo):
        config = config_of(kernel_capture)
        found = R.unmapped_luns(config, None, facts(config))
        assert [(f.severity, f.objects) for f in found] == [(WARNING, (f"{CAPTURE_B}/luns/lun0",))]
        assert_findable(config, found[0])
        assert R.unmapped_luns(config_of(demo), None, facts()) == []  # scratch is demo mode: no ACLs needed

    def test_unmapped_luns_are_one_finding_per_tpg(self, demo, writer):
        apply(writer, *(C.DeleteMappedLun(RAC, 1, acl, n) for acl in (CLIENT, CLIENT2) for n in (3, 5)))
        found = R.unmapped_luns(config_of(demo), None, facts())
        assert [f.title for f in found] == [f"LUNs 3, 5 of {RAC}/tpg1 mapped to no ACL"]

    def test_disabled_tpg_has_a_safe_fix(self, kernel_capture, demo, writer):
        config = config_of(kernel_capture)
        found = R.tpg_unreachable(config, None, facts(config))
        assert [(f.rule, f.objects) for f in found] == [("tpg_disabled", (CAPTURE_B,))]
        assert isinstance(found[0].action, C.SetTpgEnabled) and found[0].action.enabled is True
        apply(writer, C.SetTpgEnabled(WEB, 1, False))
        [finding] = R.tpg_unreachable(config_of(demo), None, facts())
        apply(writer, finding.action)
        assert R.tpg_unreachable(config_of(demo), None, facts()) == []

    def test_tpg_without_portal(self, demo, writer):
        assert R.tpg_unreachable(config_of(demo), None, facts()) == []
        apply(writer, C.DeletePortal(WEB, 1, "0.0.0.0", 3260))
        found = R.tpg_unreachable(config_of(demo), None, facts())
        assert [(f.rule, f.objects) for f in found] == [("tpg_without_portal", (f"/iscsi/{WEB}/tpg1",))]

    def test_portal_on_an_address_the_host_does_not_have(self, demo, writer):
        apply(writer, C.CreatePortal(WEB, 1, "192.0.2.7", 3260), C.CreatePortal(WEB, 1, "192.168.50.10", 3261))
        config = config_of(demo)
        found = R.portal_address_missing(config, None, facts(config))
        assert [f.objects for f in found] == [(f"/iscsi/{WEB}/tpg1/portals/192.0.2.7:3260",)]
        assert_findable(config, found[0])
        # [::1] (scratch) is this host's; unknown addresses (a captured tree) check nothing
        assert R.portal_address_missing(config, None, facts(config, addresses=None)) == []


# ---------------------------------------------------------------------------
# lost at reboot
# ---------------------------------------------------------------------------


class TestLostAtReboot:
    def test_never_saved(self, demo):
        from sanctl.lio import savefile

        config = config_of(demo)
        found = R.unsaved_configuration(config, None, facts(config, save_status=savefile.status(str(demo))))
        assert [(f.severity, f.title) for f in found] == [
            (WARNING, "The configuration was never saved: it is lost at reboot")]
        assert "demo:/etc/target/saveconfig.json does not exist" in found[0].why[0]

    def test_saved_is_quiet_and_a_change_after_it_is_a_warning_with_the_diff(self, demo, writer):
        from sanctl.lio import savefile

        savefile.save(writer)
        config = config_of(demo)
        assert R.unsaved_configuration(config, None, facts(config, save_status=savefile.status(str(demo)))) == []
        apply(writer, C.CreateAcl(WEB, 1, "iqn.2024-01.com.example:web02"))
        config = config_of(demo)
        [finding] = R.unsaved_configuration(config, None, facts(config, save_status=savefile.status(str(demo))))
        assert finding.severity == WARNING and finding.title.startswith("Unsaved changes: 1 added")
        assert finding.objects == (f"/iscsi/{WEB}/tpg1/acls/iqn.2024-01.com.example:web02",)
        assert any("ACL iqn.2024-01.com.example:web02" in line for line in finding.details)

    def test_no_status_no_finding(self, demo):
        config = config_of(demo)
        assert R.unsaved_configuration(config, None, facts(config)) == []

    def test_boot_service(self, demo):
        from sanctl.initiator.services import UnitState

        config = config_of(demo)
        for state in ("enabled", "static", "alias"):
            assert R.boot_service_disabled(config, None, facts(config, target_service=UnitState("target.service", state))) == []
        [found] = R.boot_service_disabled(config, None, facts(config, target_service=UnitState("target.service",
                                                                                               "disabled")))
        assert found.title == "target.service is disabled: the configuration is not restored at boot"
        assert found.fix == "systemctl enable target.service"
        [missing] = R.boot_service_disabled(config, None, facts(config, target_service=UnitState("x", "not-found")))
        assert missing.title == "No boot service restores the target configuration"
        # nothing configured: nothing to restore
        disabled = UnitState("target.service", "disabled")
        assert R.boot_service_disabled(SanConfig(root="/"), None, facts(target_service=disabled)) == []
        assert R.boot_service_disabled(config, None, facts(config)) == []  # unknown: quiet


# ---------------------------------------------------------------------------
# CHAP on one side only
# ---------------------------------------------------------------------------


def _records(*blocks: dict[str, str]):
    from sanctl.initiator.iscsiadm import parse_records

    text = ""
    for block in blocks:
        text += "# BEGIN RECORD 2.1.8\n" + "".join(f"{k} = {v}\n" for k, v in block.items()) + "# END RECORD\n"
    return tuple(parse_records(text))


def _record(target: str, **auth: str) -> dict[str, str]:
    record = {"node.name": target, "node.tpgt": "1", "node.conn[0].address": "192.168.50.10",
              "node.conn[0].port": "3260", "node.session.auth.authmethod": "None",
              "node.session.auth.username": "<empty>", "node.session.auth.password": "<empty>",
              "node.session.auth.username_in": "<empty>", "node.session.auth.password_in": "<empty>"}
    record.update({f"node.session.auth.{k}": v for k, v in auth.items()})
    return record


class TestChap:
    def _auth(self, demo):
        from sanctl.doctor.facts import chap_settings

        return chap_settings(config_of(demo), DemoHost(str(demo)))

    def test_demo_is_quiet(self, demo):
        config = config_of(demo)
        assert R.chap_one_side(config, None, facts(config, auth=self._auth(demo), initiator_name=CLIENT,
                                                   node_records=_records(_record(RAC)))) == []

    def test_mutual_half_set_on_the_target(self, demo):
        config = config_of(demo)
        auth = dict(self._auth(demo))
        web_acl = f"iscsi/{WEB}/tpgt_1/acls/{WEB01}"
        auth[web_acl] = Auth("web01", Secret("web01-chap-secret"), "web-target", Secret(""))
        [found] = R.chap_one_side(config, None, facts(config, auth=MappingProxyType(auth)))
        assert found.title == f"ACL {WEB01} of {WEB}/tpg1: a mutual CHAP user name without a secret"
        assert_findable(config, found)

    def test_tpg_requires_chap_but_the_acl_has_none(self, demo, writer):
        apply(writer, C.CreateAcl(WEB, 1, "iqn.2024-01.com.example:web02"))
        config = config_of(demo)
        [found] = R.chap_one_side(config, None, facts(config, auth=self._auth(demo)))
        assert found.title == f"ACL iqn.2024-01.com.example:web02 of {WEB}/tpg1 has no CHAP, but the TPG requires it"

    def test_both_sides_on_this_host(self, demo):
        """This host is web01: the ACL has CHAP, the node record has none, the TPG requires it."""
        config = config_of(demo)
        auth = self._auth(demo)
        [found] = R.chap_one_side(config, None, facts(config, auth=auth, initiator_name=WEB01,
                                                      node_records=_records(_record(WEB))))
        assert found.title == f"CHAP set on the target, not in this host's node record: {WEB}"
        assert "fails with error 24" in found.why[0] and found.panel == "connect"
        # the record with the ACL's user and mutual CHAP: quiet
        good = _record(WEB, authmethod="CHAP", username="web01", password="********", username_in="web-target",
                       password_in="********")
        assert R.chap_one_side(config, None, facts(config, auth=auth, initiator_name=WEB01,
                                                   node_records=_records(good))) == []
        # one-way only: the target's mutual CHAP is not used
        one_way = _record(WEB, authmethod="CHAP", username="web01", password="********")
        [found] = R.chap_one_side(config, None, facts(config, auth=auth, initiator_name=WEB01,
                                                      node_records=_records(one_way)))
        assert found.title == f"Mutual CHAP set on the target only: {WEB}"
        # another user name
        other = _record(WEB, authmethod="CHAP", username="someone", password="********", username_in="web-target",
                        password_in="********")
        [found] = R.chap_one_side(config, None, facts(config, auth=auth, initiator_name=WEB01,
                                                      node_records=_records(other)))
        assert found.title == f"CHAP user names differ: {WEB}"

    def test_one_target_through_two_ifaces_is_one_client(self, demo, writer):
        """iscsiadm records of WEB through iface0 and iface1, each iface logging in as web02 (its own
        initiator name, its own ACL and CHAP user): no "sends 'web02'", no "mutual CHAP on the target only"."""
        web02 = "iqn.2024-01.com.example:web02"
        apply(writer, C.CreateAcl(WEB, 1, web02), C.SetAclAuth(WEB, 1, web02, C.Chap("web02", "web02-secret-12")))
        config = config_of(demo)
        auth = self._auth(demo)

        def through(iface: str, initiator: str, **chap: str) -> dict[str, str]:
            record = _record(WEB, **chap)
            record.update({"iface.iscsi_ifacename": iface, "iface.initiatorname": initiator or "<empty>",
                           "iface.net_ifacename": f"eth{iface[-1]}" if iface != "default" else "<empty>"})
            return record

        web02_chap = {"authmethod": "CHAP", "username": "web02", "password": "********"}
        web01_chap = {"authmethod": "CHAP", "username": "web01", "password": "********",
                      "username_in": "web-target", "password_in": "********"}
        records = _records(through("default", "", **web01_chap), through("iface0", web02, **web02_chap),
                           through("iface1", web02, **web02_chap))
        assert R.chap_one_side(config, None, facts(config, auth=auth, initiator_name=WEB01, node_records=records)) == []
        # a real problem through both ifaces is said once, naming the iface's own initiator
        wrong = {**web02_chap, "username": "someone"}
        records = _records(through("iface0", web02, **wrong), through("iface1", web02, **wrong))
        [found] = R.chap_one_side(config, None, facts(config, auth=auth, initiator_name=WEB01, node_records=records))
        assert found.title == f"CHAP user names differ: {WEB}" and "'web02'" in found.why[0]

    def test_mutual_half_set_in_a_node_record(self, demo):
        config = config_of(demo)
        record = _record(RAC, authmethod="CHAP", username="u", password="********", username_in="t")
        [found] = R.chap_one_side(config, None, facts(config, node_records=_records(record)))
        assert found.title.endswith("mutual CHAP half set") and found.panel == "connect"


# ---------------------------------------------------------------------------
# backstores in trouble
# ---------------------------------------------------------------------------


class TestBackstores:
    def test_block_device_gone_or_mounted(self, demo):
        from sanctl.doctor.facts import DeviceFact

        config = config_of(demo)
        dev = "/dev/vg_san/ora-arch"
        gone = facts(config, devices=MappingProxyType({dev: DeviceFact(dev, False)}))
        [found] = R.block_device_trouble(config, None, gone)
        assert (found.severity, found.title) == (ERROR, f"Backstore block/ora-arch: device {dev} is gone")
        assert found.objects == ("/backstores/block/ora-arch", f"/iscsi/{RAC}/tpg1/luns/lun5")
        assert_findable(config, found)
        mounted = facts(config, devices=MappingProxyType({dev: DeviceFact(dev, True, ("/mnt/arch",))}))
        [found] = R.block_device_trouble(config, None, mounted)
        assert found.title == f"Backstore block/ora-arch: {dev} is in use on this host (/mnt/arch)"
        fine = facts(config, devices=MappingProxyType({dev: DeviceFact(dev, True)}))
        assert R.block_device_trouble(config, None, fine) == []

    def test_block_device_mounted_as_the_host_sees_it(self, demo, writer):
        """Exporting the demo's data disk, whose partition is mounted on /srv: facts find it, the rule says it."""
        from sanctl.doctor.facts import block_devices

        apply(writer, C.CreateBlock("data", "/dev/vdb"))
        config = config_of(demo)
        devices = block_devices(config, DemoHost(str(demo)))
        assert devices["/dev/vdb"].mountpoints == ("/srv (/dev/vdb1)",)
        assert devices["/dev/vg_san/ora-ocr-1"] == type(devices["/dev/vdb"])("/dev/vg_san/ora-ocr-1", True)
        found = R.block_device_trouble(config, None, facts(config, devices=devices))
        assert [f.title for f in found] == ["Backstore block/data: /dev/vdb is in use on this host (/srv (/dev/vdb1))"]

    def test_fileio_sparse_file_bigger_than_the_free_space(self, demo):
        from sanctl.doctor.facts import FileFact

        config = config_of(demo)
        path = "/srv/iscsi/web-data.img"
        GiB = 1 << 30
        sparse = FileFact(path, size=50 * GiB, allocated=2 * GiB, fs_free=10 * GiB, fs_total=200 * GiB)
        [found] = R.fileio_space(config, None, facts(config, files=MappingProxyType({path: sparse})))
        assert found.title == "Backstore fileio/web-data: its sparse file can outgrow its filesystem"
        assert "ENOSPC" in found.why[0]
        full = FileFact(path, size=50 * GiB, allocated=50 * GiB, fs_free=5 * GiB, fs_total=200 * GiB)
        [found] = R.fileio_space(config, None, facts(config, files=MappingProxyType({path: full})))
        assert found.title == "Backstore fileio/web-data: its filesystem is nearly full (2% free)"
        roomy = FileFact(path, size=50 * GiB, allocated=2 * GiB, fs_free=100 * GiB, fs_total=200 * GiB)
        assert R.fileio_space(config, None, facts(config, files=MappingProxyType({path: roomy}))) == []


# ---------------------------------------------------------------------------
# login failures
# ---------------------------------------------------------------------------


def _stats(**values) -> TargetStats:
    return TargetStats(**values)


class TestLoginFailures:
    BOOT = T0 - 4000.0

    def _live(self, stats, *, baseline=None, baseline_wall=None):
        return snapshot(frame(target_stats={RAC: stats}, boot_wall=self.BOOT, hz=250), baseline=baseline,
                        baseline_wall=baseline_wall)

    def test_no_acl_versus_wrong_chap(self, demo):
        config = config_of(demo)
        stats = _stats(authorize_fails=5, authenticate_fails=2, login_fails=7, last_fail_type=4,
                       last_fail_time=printed_fail_time(int((T0 - 120 - self.BOOT) * 250), 250),
                       fail_intr_name="iqn.1991-05.com.microsoft:fileserver", fail_intr_addr="192.168.50.30")
        found = R.login_failures(config, self._live(stats), facts(config))
        assert [f.title for f in found] == [
            f"Logins refused on {RAC}: no ACL for the initiator (5 since the target module was loaded)",
            f"Logins refused on {RAC}: CHAP failed (2 since the target module was loaded)"]
        assert "The last one: iqn.1991-05.com.microsoft:fileserver from 192.168.50.30, 2 min ago." in found[0].why[0]
        assert "error 24" in found[0].why[1] and "error 24" in found[1].why[1]
        assert all(f.severity == WARNING and f.objects == (f"/iscsi/{RAC}",) for f in found)

    def test_since_the_last_look(self, demo):
        config = config_of(demo)
        stats = _stats(authorize_fails=9, authenticate_fails=2, login_fails=11, last_fail_type=4,
                       last_fail_time=printed_fail_time(int((T0 - 30 - self.BOOT) * 250), 250))
        before = MappingProxyType({RAC: LoginCounters(authorize=6, authenticate=2, total=8)})
        found = R.login_failures(config, self._live(stats, baseline=before, baseline_wall=T0 - 300), facts(config))
        assert [f.title for f in found] == [
            f"Logins refused on {RAC}: no ACL for the initiator (3 since the last look (5 min ago))"]
        # nothing new since the last look: quiet
        same = MappingProxyType({RAC: LoginCounters(authorize=9, authenticate=2, total=11)})
        assert R.login_failures(config, self._live(stats, baseline=same, baseline_wall=T0 - 60), facts(config)) == []

    def test_old_failures_on_a_first_look_are_quiet(self, demo):
        config = config_of(demo)
        stats = _stats(authorize_fails=5, login_fails=5, last_fail_type=4,
                       last_fail_time=int((T0 - 3 * 3600 - self.BOOT) * 100 if T0 - 3 * 3600 > self.BOOT else 1))
        old = snapshot(frame(target_stats={RAC: stats}, boot_wall=T0 - 5 * 3600))
        assert R.login_failures(config, old, facts(config)) == []
        assert R.login_failures(config, self._live(_stats()), facts(config)) == []
        assert R.login_failures(config, None, facts(config)) == []


# ---------------------------------------------------------------------------
# demo-mode sessions; the node database
# ---------------------------------------------------------------------------


class TestSessionsAndRecords:
    def test_demo_mode_sessions_are_information(self, demo):
        config = config_of(demo)
        live = snapshot(frame(sessions=(dynamic_session(SCRATCH, CLIENT), acl_session(RAC, CLIENT, "192.168.50.10"))))
        [found] = R.demo_mode_sessions(config, live, facts(config))
        assert (found.severity, found.objects, found.panel) == (INFO, (f"/iscsi/{SCRATCH}/tpg1",), "sessions")
        assert "targetcli" in found.why[0] and CLIENT in found.title
        assert R.demo_mode_sessions(config, snapshot(frame(sessions=(acl_session(RAC, CLIENT, "192.168.50.10"),))),
                                    facts(config)) == []

    def test_an_unreadable_node_database_is_an_error_with_a_cleanup(self, demo):
        from sanctl.doctor.facts import NodeDbProblem

        config = config_of(demo)
        bad = "/var/lib/iscsi/nodes/iqn.2019-10.io.longhorn:pvc-1/10.244.22.17,3260,1/default"
        problem = NodeDbProblem(7, ("iSCSI ERROR: Unknown parameter name node.session.conn_reopen_log_freq",
                                    f"iSCSI ERROR: config file {bad} invalid"), (bad,), "/var/lib/iscsi")
        [found] = R.node_database_unreadable(config, None, facts(config, node_db=problem))
        assert (found.severity, found.panel) == (ERROR, "connect")
        assert found.title == "iscsiadm cannot read its node database (exit 7)"
        assert "tar czf" in found.fix and f"mv '{bad}' /root/" in found.fix and "Rediscover" in found.fix
        assert R.node_database_unreadable(config, None, facts(config)) == []


# ---------------------------------------------------------------------------
# all of them
# ---------------------------------------------------------------------------


def test_every_rule_is_listed_once():
    names = [name for name, _ in R.RULES]
    assert len(names) == len(set(names))


def test_evaluate_orders_by_severity_and_notes_what_was_not_looked_at(kernel_capture):
    config = config_of(kernel_capture)
    report = R.evaluate(config, None, facts(config, not_checked=("boot service: test",)))
    ranks = [f.rank for f in report.findings]
    assert ranks == sorted(ranks) and report.findings[0].severity == ERROR
    assert report.exit_code == 2
    assert report.not_checked[0] == "boot service: test"
    assert any(note.startswith("live state: not looked at") for note in report.not_checked)
    for finding in report.findings:
        assert_findable(config, finding)


@pytest.mark.parametrize("tree", ["rac_idle_shared", "kernel_capture"])
def test_objects_of_every_finding_are_in_the_tree(tree, request):
    root = request.getfixturevalue(tree)
    config = config_of(root)
    for finding in R.evaluate(config, None, facts(config)).findings:
        assert_findable(config, finding)


# ---------------------------------------------------------------------------
# the kernel's dbroot folders
# ---------------------------------------------------------------------------


def test_missing_pr_folder_is_reported_with_its_consequence(demo):
    """Stock Debian: dbroot /etc/rtslib-fb-target exists, pr/ does not — APTPL reservations fail."""
    from sanctl.doctor import facts as F

    cfs = demo / "sys/kernel/config/target"
    (cfs / "dbroot").write_text("/etc/rtslib-fb-target\n")
    (demo / "etc/rtslib-fb-target").mkdir(parents=True, exist_ok=True)
    config = config_of(demo)
    found = F.gather(config, host=LocalHost(config.root), iscsiadm=None, save_status=None, target_service_state=None,
                     addresses=frozenset())
    assert found.dbroot == "/etc/rtslib-fb-target" and found.dbroot_missing == ("pr", "alua")
    (finding,) = R.dbroot_folders_missing(config, None, found)
    assert finding.severity == WARNING
    assert finding.title == "/etc/rtslib-fb-target/pr is missing: persistent reservations with APTPL cannot persist"
    assert "APTPL" in finding.why[0] and "alua" in finding.why[1]
    assert finding.fix.startswith("mkdir -p /etc/rtslib-fb-target/pr /etc/rtslib-fb-target/alua")
    (demo / "etc/rtslib-fb-target/pr").mkdir()
    found = F.gather(config, host=LocalHost(config.root), iscsiadm=None, save_status=None, target_service_state=None,
                     addresses=frozenset())
    (finding,) = R.dbroot_folders_missing(config, None, found)
    assert finding.severity == INFO and "alua" in finding.title
    (demo / "etc/rtslib-fb-target/alua").mkdir()
    found = F.gather(config, host=LocalHost(config.root), iscsiadm=None, save_status=None, target_service_state=None,
                     addresses=frozenset())
    assert R.dbroot_folders_missing(config, None, found) == []
