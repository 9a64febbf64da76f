"""Changes are validated values: nothing invalid can be built, nothing built escapes configfs."""

from __future__ import annotations

import os
from dataclasses import fields

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sanctl.names import InvalidValue
from sanctl.lio import changes as C

T = "iqn.2024-01.com.example:t1"
I = "iqn.2024-01.com.example:host1"

#: One valid instance of every change type, as keyword arguments.
VALID: dict[type, dict] = {
    C.CreateBlock: dict(name="disk1", dev="/dev/vg0/lv1"),
    C.CreateFileio: dict(name="file1", file="/srv/iscsi/f1.img", size="10G"),
    C.CreateRamdisk: dict(name="ram1", size="1G"),
    C.CreatePscsi: dict(name="tape1", dev="/dev/sg2"),
    C.CreateUser: dict(name="rbd1", handler="rbd", cfgstring="pool/image", size="5G"),
    C.DeleteStorageObject: dict(plugin="block", name="disk1"),
    C.CreateTarget: dict(target=T),
    C.DeleteTarget: dict(target=T),
    C.CreateTpg: dict(target=T, tpg=2),
    C.DeleteTpg: dict(target=T, tpg=1),
    C.SetTpgEnabled: dict(target=T, tpg=1, enabled=False),
    C.SetSetting: dict(owner=C.TpgRef(T, 1), group="attribute", key="generate_node_acls", value=1),
    C.SetTpgAuth: dict(target=T, tpg=1, chap=C.Chap("user", "secret-secret")),
    C.SetDiscoveryAuth: dict(chap=C.Chap("disc", "discoverysecret"), enforce=True),
    C.CreateLun: dict(target=T, tpg=1, storage_object=("block", "disk1")),
    C.DeleteLun: dict(target=T, tpg=1, index=0),
    C.CreateAcl: dict(target=T, tpg=1, initiator=I),
    C.DeleteAcl: dict(target=T, tpg=1, initiator=I),
    C.SetAclTag: dict(target=T, tpg=1, initiator=I, acl_tag="cluster_a"),
    C.SetAclCmdsnDepth: dict(target=T, tpg=1, initiator=I, depth=128),
    C.SetAclAuth: dict(target=T, tpg=1, initiator=I, chap=C.Chap("host1", "host1-secret-1", "t1", "t1-secret-12")),
    C.CreateMappedLun: dict(target=T, tpg=1, initiator=I, index=3, tpg_lun=0, write_protect=True),
    C.DeleteMappedLun: dict(target=T, tpg=1, initiator=I, index=3),
    C.SetMappedLunWriteProtect: dict(target=T, tpg=1, initiator=I, index=3, write_protect=False),
    C.CreatePortal: dict(target=T, tpg=1, address="192.168.1.10", port=3260, iser=True),
    C.DeletePortal: dict(target=T, tpg=1, address="192.168.1.10", port=3260),
    C.SetPortalFlag: dict(target=T, tpg=1, address="::1", port=3261, flag="offload", on=True),
    C.CreateAluaGroup: dict(plugin="block", name="disk1", group="site_b", tg_pt_gp_id=2),
    C.DeleteAluaGroup: dict(plugin="block", name="disk1", group="site_b"),
    C.SetLunAluaGroup: dict(target=T, tpg=1, index=0, group="site_b"),
}


def test_every_change_type_has_a_valid_example():
    assert set(VALID) == set(C.all_change_types())


@pytest.mark.parametrize("cls", sorted(VALID, key=lambda c: c.__name__), ids=lambda c: c.__name__)
def test_every_change_describes_itself_and_renders_targetcli(cls):
    change = cls(**VALID[cls])
    line = change.describe()
    assert line and "\n" not in line
    assert change.targetcli()
    assert change.subject
    assert _inside_configfs(change.cfs_path), change.cfs_path
    assert change.dangerous == cls.__name__.startswith("Delete")
    # Secrets never appear in the review line or the targetcli record.
    for text in (line, change.targetcli(), repr(change)):
        for secret in ("secret-secret", "discoverysecret", "host1-secret-1", "t1-secret-12"):
            assert secret not in text


def test_values_are_normalised_when_built():
    assert C.CreateRamdisk("r", "1.5G").size == 1536 * 1024**2
    assert C.CreatePortal(T, 1, "::1").address == "[::1]"
    assert C.CreatePortal(T, 1, "::").address == "[::0]"
    assert C.CreatePortal(T, 1, "0.0.0.0", "3261").port == 3261
    assert C.tpg_attribute(T, 1, "authentication", True).value == "1"
    assert C.alua_group_parameter("block", "d", "g", "alua_access_type", "Explicit").value == "2"
    assert C.alua_group_parameter("block", "d", "g", "alua_access_state", "standby").value == "2"
    assert C.alua_group_parameter("block", "d", "g", "alua_access_status", "Altered by Implicit ALUA").value == "2"
    assert C.CreateTarget(" iqn.2024-01.com.example:x ").target == "iqn.2024-01.com.example:x"
    assert C.CreateTarget(fabric="loopback").target.startswith("naa.5001405")
    generated = C.CreateTarget().target
    assert generated.startswith("iqn.2003-01.org.linux-iscsi.") and ":sn." in generated
    assert C.CreateTarget().target != generated


@pytest.mark.parametrize("build, reason", [
    (lambda: C.CreateBlock("../etc", "/dev/sda"), "'/'"),
    (lambda: C.CreateBlock("a b", "/dev/sda"), "spaces"),
    (lambda: C.CreateBlock("disk", "dev/sda"), "absolute"),
    (lambda: C.CreateBlock("disk", "/dev/../etc/passwd"), "'..'"),
    (lambda: C.CreateFileio("f", "/srv/a,fd_dev_size=1", "1G"), "commas"),
    (lambda: C.CreateFileio("f", "/srv/a.img", "-1G"), "size"),
    (lambda: C.CreateRamdisk("r", 0), "greater than zero"),
    (lambda: C.CreateUser("u", "Rbd", "pool/img", "1G"), "handler"),
    (lambda: C.CreateUser("u", "rbd", "a:b", "1G"), "config string"),
    (lambda: C.CreateTarget("iqn.2024-13.com.x:t"), "Month"),
    (lambda: C.CreateTarget("naa.123", fabric="loopback"), "naa"),
    (lambda: C.CreateTarget(T, fabric="nosuch"), "Unknown fabric"),
    (lambda: C.CreateTpg(T, 0), "1 to 65535"),
    (lambda: C.CreateLun(T, 1, ("block", "d"), index=70000), "0 to 65535"),
    (lambda: C.CreateLun(T, 1, ("disk", "d")), "backstore type"),
    (lambda: C.CreateLun(T, 1, ("block", "d"), alias="statistics"), "attribute file"),
    (lambda: C.tpg_attribute(T, 1, "login_timeout", 99), "between 5 and 30"),
    (lambda: C.tpg_attribute(T, 1, "../enable", 1), "attribute name"),
    (lambda: C.tpg_parameter(T, 1, "HeaderDigest", "CRC32C\nNone"), "one line"),
    (lambda: C.tpg_parameter(T, 1, "HeaderDigest", "Bogus"), "list of CRC32C, None"),
    (lambda: C.tpg_parameter(T, 1, "ImmediateData", "yes"), "Yes or No"),
    (lambda: C.tpg_parameter(T, 1, "MaxRecvDataSegmentLength", "100"), "512 to 16777215"),
    (lambda: C.tpg_parameter(T, 1, "AuthMethod", "CHAP,PAP"), "list of"),
    (lambda: C.acl_attribute(T, 1, I, "nopin_timeout", "x"), "whole number"),
    (lambda: C.CreateAcl(T, 1, "not-an-iqn"), "IQN"),
    (lambda: C.CreateAcl(T, 1, I, acl_tag="a.b"), "tag"),
    (lambda: C.CreateAcl("naa.5001405abcdef012", 1, I, fabric="loopback"), "no ACLs"),
    (lambda: C.CreatePortal(T, 1, "fe80::1"), "Link-local"),
    (lambda: C.CreatePortal(T, 1, "example.com"), "not an IPv4"),
    (lambda: C.CreatePortal(T, 1, "1.2.3.4", 0), "out of range"),
    (lambda: C.SetPortalFlag(T, 1, "1.2.3.4", 3260, "rdma"), "'iser' or 'offload'"),
    (lambda: C.CreateAluaGroup("block", "d", "default_tg_pt_gp", 2), "kernel's own group"),
    (lambda: C.CreateAluaGroup("block", "d", "../x", 2), "ALUA group name"),
    (lambda: C.CreateAluaGroup("block", "d", "g", 0), "1 to 65535"),
    (lambda: C.DeleteAluaGroup("block", "d", "default_tg_pt_gp"), "kernel's own group"),
    (lambda: C.alua_group_parameter("block", "d", "g", "alua_access_state", 5), "alua_access_state is"),
    (lambda: C.alua_group_parameter("block", "d", "g", "alua_access_type", 4), "between 0 and 3"),
    (lambda: C.alua_group_parameter("block", "d", "g", "members", "x"), "not an ALUA group parameter"),
    (lambda: C.alua_group_parameter("block", "d", "g", "nonop_delay_msecs", 20000), "between 0 and 10000"),
    (lambda: C.SetLunAluaGroup(T, 1, 0, "a b"), "ALUA group name"),
    (lambda: C.Chap("user", ""), "both"),
    (lambda: C.Chap("", "", "m", "mutual-secret"), "one-way"),
    (lambda: C.Chap("user", "has space here"), "whitespace"),
    (lambda: C.Chap("user", "NULL"), "NULL"),
    (lambda: C.SetDiscoveryAuth(C.NO_CHAP, enforce=True), "needs a CHAP"),
])
def test_invalid_values_are_refused_with_the_reason(build, reason):
    with pytest.raises(InvalidValue) as info:
        build()
    assert reason.lower() in str(info.value).lower()


def test_chap_warnings_name_what_initiators_refuse():
    chap = C.Chap("u", "short1", "m", "short1")
    warnings = chap.warnings()
    assert any("12 to 16" in w for w in warnings)
    assert any("must differ" in w for w in warnings) or any("differ" in w for w in warnings)
    assert C.Chap("u", "twelve-chars").warnings() == []
    assert "secret" not in repr(C.Chap("u", "twelve-chars"))


def test_targetcli_script_is_literal():
    changes = C.targetcli_iscsi_target(T) + [
        C.CreateLun(T, 1, ("block", "disk1"), index=0),
        C.CreateAcl(T, 1, I, map_all_luns=False),
    ]
    script = C.targetcli_script(changes)
    assert script[0].startswith("set global auto_add_default_portal=false")
    assert script[1] == f"/iscsi create wwn={T}"
    assert not any(line.endswith("create tag=1") for line in script)  # merged into /iscsi create
    assert f"/iscsi/{T}/tpg1 set attribute authentication=0" in script
    assert f"/iscsi/{T}/tpg1/portals create ip_address=[::0] ip_port=3260" in script
    assert f"/iscsi/{T}/tpg1 enable" in script
    assert f"/iscsi/{T}/tpg1/luns create storage_object=/backstores/block/disk1 lun=0 add_mapped_luns=true" in script
    assert f"/iscsi/{T}/tpg1/acls create wwn={I} add_mapped_luns=false" in script


def test_changes_are_immutable_and_hashable():
    change = C.CreateLun(T, 1, ("block", "d"))
    with pytest.raises(Exception):
        change.index = 3  # type: ignore[misc]
    assert {change, C.CreateLun(T, 1, ("block", "d"))} == {change}


# ---------------------------------------------------------------------------
# Random names and values: never a crash, never a path outside configfs
# ---------------------------------------------------------------------------

_CFS = "/sys/kernel/config/target"


def _inside_configfs(rel: str) -> bool:
    if not rel or rel.startswith("/") or any(c in rel for c in "\0\n"):
        return False
    parts = rel.split("/")
    if any(p in ("", ".", "..") for p in parts):
        return False
    full = os.path.normpath(os.path.join(_CFS, rel))
    return full.startswith(_CFS + "/")


_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="abc./:-_ \n\0[]%*,=", max_size=20),
    st.sampled_from(["..", ".", "/", "", "NULL", "../../etc/passwd", "a/../../b", "iqn.2024-01.com.x:../x",
                     "naa.5001405abcdef012", "/dev/../../etc", "lun_0", "statistics", "[::1]", "0.0.0.0"]),
)
_values = st.one_of(_text, st.integers(min_value=-(2**70), max_value=2**70), st.booleans(), st.none(),
                    st.floats(allow_nan=True), st.tuples(_text, _text))


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(cls=st.sampled_from(sorted(VALID, key=lambda c: c.__name__)), data=st.data())
def test_random_values_never_crash_and_never_leave_configfs(cls, data):
    kwargs = dict(VALID[cls])
    names = [f.name for f in fields(cls) if f.name != "expect"]
    for name in data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True)):
        kwargs[name] = data.draw(_values)
    try:
        change = cls(**kwargs)
    except InvalidValue:
        return
    assert _inside_configfs(change.cfs_path), change.cfs_path
    assert "\n" not in change.describe()
    change.targetcli()
    change.scope()


@settings(max_examples=300, deadline=None)
@given(userid=_text, password=_text, mutual_userid=_text, mutual_password=_text)
def test_random_chap_never_crashes(userid, password, mutual_userid, mutual_password):
    try:
        chap = C.Chap(userid, password, mutual_userid, mutual_password)
    except InvalidValue:
        return
    for value in chap.files().values():
        assert "\n" not in value and "\0" not in value and value != "NULL"
    args = chap.targetcli_args()
    if password:
        assert " password=<secret>" in args and f" password={password} " not in args
