"""Client commands per preset, the state file's round trip, and logging this host in through the wrapper."""

from __future__ import annotations

import json
import os
import stat

from sanctl.setup.answers import Answers, Client, StorageItem
from sanctl.setup.client import as_text, client_commands
from sanctl.setup.state import WizardState, clear_state, load_state, save_state, state_path

T = "iqn.2024-05.org.linux-iscsi.san01:disk1"


def _answers(preset: str = "linux", **kw) -> Answers:
    return Answers(storage=[StorageItem("fileio", "disk1", file="/srv/d.img", size="1G")], target=T, preset=preset,
                   **kw)


def _text(a: Answers, client: Client, *, secrets=False, address="0.0.0.0") -> str:
    return as_text(client_commands(a, T, address, 3260, "192.168.1.5", client, 0, secrets=secrets))


def test_linux_commands():
    client = Client("web02", "iqn.2024-01.com.example:web02", "web02", "s3cret-s3cret-16")
    a = _answers(chap=True, clients=[client])
    text = _text(a, client)
    assert "echo 'InitiatorName=iqn.2024-01.com.example:web02' > /etc/iscsi/initiatorname.iscsi" in text
    assert "iscsiadm -m discovery -t st -p 192.168.1.5:3260" in text  # the wildcard as the client reaches it
    assert f"iscsiadm -m node -T {T} -p 192.168.1.5:3260 --login" in text
    assert f"iscsiadm -m node -T {T} -p 192.168.1.5:3260 -o update -n node.startup -v automatic" in text
    assert "/mnt/disk1 xfs defaults,_netdev 0 0" in text
    assert "node.session.auth.password -v '<secret>'" in text and "s3cret" not in text
    assert "-v 's3cret-s3cret-16'" in _text(a, client, secrets=True)
    # CHAP comes after discovery (which writes the record) and before the login
    lines = text.splitlines()
    assert lines.index(next(x for x in lines if "authmethod" in x)) < lines.index(next(x for x in lines if "--login" in x))


def test_a_lun_shared_by_two_clients_gets_no_filesystem():
    """Issue 12 item 9: two clients on one LUN were each told to mkfs.xfs and mount it."""
    rac1 = Client("rac1", "iqn.2024-01.com.example:rac1")
    rac2 = Client("rac2", "iqn.2024-01.com.example:rac2")
    a = _answers(clients=[rac1, rac2])
    for client in (rac1, rac2):
        text = _text(a, client)
        assert "mkfs" not in text and "fstab" not in text and "mount /mnt" not in text and "_netdev" not in text
        assert "shared by 2 clients (rac1, rac2)" in text
        assert "Oracle ASM, GFS2, OCFS2" in text
        assert "iscsiadm -m discovery -t st -p 192.168.1.5:3260" in text
        assert f"iscsiadm -m node -T {T} -p 192.168.1.5:3260 --login" in text
    win = _text(_answers("windows", clients=[rac1, rac2]), rac1)
    assert "Initialize-Disk" not in win and "Failover Clustering" in win
    # one client alone still gets its filesystem
    assert "mkfs.xfs" in _text(_answers(clients=[rac1]), rac1)


def test_a_specific_portal_address_is_kept():
    assert "-p 10.0.0.9:3260" in _text(_answers(), Client("c", "iqn.2024-01.com.example:c"), address="10.0.0.9")


def test_esxi_windows_proxmox_commands():
    client = Client("esx1", "iqn.1998-01.com.vmware:esx1", "esx1", "e" * 16)
    esxi = _text(_answers("esxi", chap=True, clients=[client]), client, secrets=True)
    assert "esxcli iscsi adapter discovery sendtarget add -A vmhba64 -a 192.168.1.5:3260" in esxi
    assert "--authname=esx1 --secret=" + "e" * 16 in esxi
    win = _text(_answers("windows"), Client("w", "iqn.1991-05.com.microsoft:w"))
    assert "New-IscsiTargetPortal -TargetPortalAddress 192.168.1.5 -TargetPortalPortNumber 3260" in win
    assert f"Connect-IscsiTarget -NodeAddress '{T}'" in win and "-IsPersistent $true" in win
    pve = _text(_answers("proxmox"), Client("pve1", "iqn.1993-08.org.debian:01:pve1"))
    assert f"pvesm add iscsi disk1 --portal 192.168.1.5 --target {T} --content none" in pve


def test_state_round_trip_is_private(tmp_path):
    path = str(tmp_path / "state" / "sanctl" / "setup.json")
    a = _answers(chap=True, clients=[Client("x", "iqn.2024-01.com.example:x", "x", "secret-secret-16")])
    save_state(path, WizardState("access", a))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
    back = load_state(path)
    assert back.step == "access" and back.answers == a and back.saved_at
    clear_state(path)
    assert load_state(path) is None


def test_state_is_tolerant(tmp_path):
    path = tmp_path / "setup.json"
    path.write_text("{not json")
    assert load_state(str(path)) is None
    path.write_text(json.dumps({"version": 1, "step": "apply", "answers": {"storage": "x", "port": 3260,
                                                                          "preset": "beos", "chap": "yes"}}))
    state = load_state(str(path))
    assert state.step == "review"  # left while applying: look at the plan again
    assert state.answers == Answers()
    path.write_text(json.dumps({"version": 1, "step": "target", "applied": {"target": T}, "answers": {}}))
    assert load_state(str(path)).step == "client"  # applied already


def test_state_paths(tmp_path):
    from sanctl.host.captured import CapturedHost
    from sanctl.host.demo import DemoHost
    from sanctl.host.local import LocalHost

    assert state_path(DemoHost("/tmp/demo")) == "/tmp/demo/var/lib/sanctl/setup.json"
    assert state_path(CapturedHost("/x")) is None
    assert state_path(LocalHost("/"), environ={"XDG_STATE_HOME": "/s"}) == "/s/sanctl/setup.json"
    assert state_path(LocalHost("/"), environ={}).endswith("/.local/state/sanctl/setup.json")


def test_this_host_logs_in_through_the_demo_wrapper(demo_root, demo_ctx, demo_writer):
    from sanctl.setup.answers import Client as C_
    from sanctl.setup.apply import ApplyRun
    from sanctl.setup.login import login_here
    from sanctl.setup.plan import build_plan
    from sanctl.sim.iscsiadm import demo_backend

    adm = demo_backend(demo_root, delay=0).iscsiadm
    a = _answers(clients=[C_("me", demo_ctx.this_initiator)])
    assert ApplyRun(build_plan(demo_ctx, a), demo_writer, demo_ctx.probe).run()
    result = login_here(adm, T, "0.0.0.0", 3260, expect_disks=1, wait=0)
    assert result.ok and result.portal == "127.0.0.1:3260" and len(result.disks) == 1, result
    assert adm.records[(T, "127.0.0.1:3260", "default")]["node.startup"] == "automatic"
    other = login_here(adm, "iqn.2024-05.org.linux-iscsi.san01:nothing", "0.0.0.0", 3260, wait=0)
    assert not other.ok and "does not offer" in other.message
