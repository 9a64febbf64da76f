"""The Checks step on fake roots: each check's status and fix, and the boot unit under the distribution's name."""

from __future__ import annotations

import os

from sanctl.setup import checks as K
from sanctl.setup.probe import HostProbe


def _root(tmp_path, *, os_id: str = "debian", configfs: bool = True, iscsi: bool = True, units=(),
          enabled=(), iscsiadm: bool = True, name: str | None = "iqn.1993-08.org.debian:01:abc"):
    root = tmp_path / "host"
    (root / "etc").mkdir(parents=True)
    (root / "etc/os-release").write_text(f"ID={os_id}\n")
    (root / "proc").mkdir()
    mounts = "sysfs /sys sysfs rw 0 0\n"
    if configfs:
        mounts += "configfs /sys/kernel/config configfs rw 0 0\n"
        (root / "sys/kernel/config/target").mkdir(parents=True)
        if iscsi:
            (root / "sys/kernel/config/target/iscsi").mkdir()
    (root / "proc/mounts").write_text(mounts)
    for unit in units:
        (root / "usr/lib/systemd/system").mkdir(parents=True, exist_ok=True)
        (root / "usr/lib/systemd/system" / unit).write_text("[Unit]\n")
    for unit in enabled:
        wants = root / K.WANTS
        wants.mkdir(parents=True, exist_ok=True)
        os.symlink(f"/usr/lib/systemd/system/{unit}", wants / unit)
    if iscsiadm:
        (root / "usr/sbin").mkdir(parents=True, exist_ok=True)
        (root / "usr/sbin/iscsiadm").write_text("")
    if name:
        (root / "etc/iscsi").mkdir()
        (root / "etc/iscsi/initiatorname.iscsi").write_text(f"InitiatorName={name}\n")
    return str(root)


def _by_key(checks):
    return {c.key: c for c in checks}


def test_a_ready_debian_host(tmp_path):
    root = _root(tmp_path, units=["rtslib-fb-targetctl.service"], enabled=["rtslib-fb-targetctl.service"])
    found = _by_key(K.run_checks(HostProbe(root, euid=0)))
    assert {k: c.status for k, c in found.items()} == {
        "root": K.OK, "configfs": K.OK, "rtslib": K.OK, "boot": K.OK, "initiator": K.OK, "existing": K.INFO}
    assert "rtslib-fb-targetctl.service is enabled" in found["boot"].detail
    assert not K.blocking(found.values())


def test_not_root_blocks_apply(tmp_path):
    found = _by_key(K.run_checks(HostProbe(_root(tmp_path), euid=1000)))
    assert found["root"].status == K.FAIL and found["root"].blocks
    assert "sudo sanctl setup" in found["root"].fix


def test_configfs_and_modules_missing_offer_modprobe(tmp_path):
    found = _by_key(K.run_checks(HostProbe(_root(tmp_path, configfs=False), euid=0)))
    assert found["configfs"].status == K.FAIL and found["configfs"].action == "modprobe"
    assert "mount -t configfs none /sys/kernel/config" in found["configfs"].fix
    only_core = _by_key(K.run_checks(HostProbe(_root(tmp_path / "b", iscsi=False), euid=0)))
    assert only_core["configfs"].status == K.WARN and "iscsi_target_mod" in only_core["configfs"].fix


def test_boot_unit_by_distribution(tmp_path):
    assert K.boot_unit(HostProbe(_root(tmp_path / "d", os_id="ubuntu"))) == "rtslib-fb-targetctl.service"
    assert K.boot_unit(HostProbe(_root(tmp_path / "r", os_id="rocky"))) == "target.service"
    assert K.boot_unit(HostProbe(_root(tmp_path / "s", os_id="opensuse-leap"))) == "targetcli.service"
    # the unit installed wins over the os-release guess
    assert K.boot_unit(HostProbe(_root(tmp_path / "x", os_id="debian", units=["target.service"]))) == \
        "target.service"


def test_boot_unit_disabled_or_missing_says_what_to_do(tmp_path):
    disabled = _by_key(K.run_checks(HostProbe(_root(tmp_path / "a", os_id="fedora", units=["target.service"]))))
    assert disabled["boot"].status == K.WARN and disabled["boot"].fix == "systemctl enable target.service"
    missing = _by_key(K.run_checks(HostProbe(_root(tmp_path / "b", os_id="debian"))))
    assert "not installed" in missing["boot"].detail and "apt install targetcli-fb" in missing["boot"].fix


def test_open_iscsi_missing_is_information_only(tmp_path):
    found = _by_key(K.run_checks(HostProbe(_root(tmp_path, os_id="fedora", iscsiadm=False, name=None))))
    assert found["initiator"].status == K.INFO and "dnf install iscsi-initiator-utils" in found["initiator"].fix
    assert not found["initiator"].required


def test_demo_probe_enables_the_unit_under_the_demo_root_only(demo_root):
    from sanctl.host.demo import DemoHost

    probe = DemoHost(demo_root).facts.setup_probe()
    found = _by_key(K.run_checks(probe, targets=3))
    assert found["root"].status == K.OK and found["configfs"].status == K.OK
    assert found["boot"].status == K.WARN and "target.service is disabled" in found["boot"].detail
    assert probe.enable_unit("target.service").ok
    assert os.path.islink(os.path.join(demo_root, K.WANTS, "target.service"))
    assert probe.unit_state("target.service") == "enabled"
    assert "3 targets exist already" in found["existing"].detail


def test_readonly_is_a_dry_run(demo_ctx, demo_root):
    from sanctl.host.demo import DemoHost
    from sanctl.setup.context import gather

    ctx = gather(DemoHost(demo_root), name="san01", readonly_reason="--readonly")
    assert ctx.dry_run_reason == "read-only: --readonly"
    assert demo_ctx.dry_run_reason is None


def test_dbroot_of_stock_debian_and_its_pr_folder(tmp_path):
    """Debian's layout: targetctl set dbroot /etc/rtslib-fb-target; without pr/ APTPL reservations fail."""
    root = _root(tmp_path, units=["rtslib-fb-targetctl.service"], enabled=["rtslib-fb-targetctl.service"])
    cfs = os.path.join(root, "sys/kernel/config/target")
    with open(os.path.join(cfs, "dbroot"), "w") as handle:
        handle.write("/etc/rtslib-fb-target\n")
    os.makedirs(os.path.join(root, "etc/rtslib-fb-target"))
    check = _by_key(K.run_checks(HostProbe(root, euid=0)))["dbroot"]
    assert check.status == K.WARN and "/etc/rtslib-fb-target/pr is missing" in check.detail
    assert "/etc/rtslib-fb-target/saveconfig.json" in check.detail
    assert check.fix.startswith("mkdir -p /etc/rtslib-fb-target/pr /etc/rtslib-fb-target/alua")
    for sub in ("pr", "alua"):
        os.makedirs(os.path.join(root, "etc/rtslib-fb-target", sub))
    check = _by_key(K.run_checks(HostProbe(root, euid=0)))["dbroot"]
    assert check.status == K.OK and check.detail.startswith("The kernel's dbroot is /etc/rtslib-fb-target")


def test_dbroot_of_an_upstream_layout(tmp_path):
    root = _root(tmp_path, os_id="fedora", units=["target.service"], enabled=["target.service"])
    with open(os.path.join(root, "sys/kernel/config/target/dbroot"), "w") as handle:
        handle.write("/etc/target\n")
    for sub in ("pr", "alua"):
        os.makedirs(os.path.join(root, "etc/target", sub))
    check = _by_key(K.run_checks(HostProbe(root, euid=0)))["dbroot"]
    assert check.status == K.OK and "saved to /etc/target/saveconfig.json" in check.detail
