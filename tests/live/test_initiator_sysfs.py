"""The initiator's sysfs reader on trees a real kernel wrote."""

from __future__ import annotations

import os
import shutil

from sanctl.initiator.sysfs import has_initiator, read_initiator, read_session


def test_the_rac_capture(rac_live_shared):
    live = read_initiator(str(rac_live_shared))
    (session,) = live.sessions
    assert (session.sid, session.target, session.tpgt, session.state) == (
        1, "iqn.2024-01.storage.oracle:rac", 1, "LOGGED_IN")
    assert (session.recovery_tmo, session.iface, session.host, session.target_state) == (120, "default", 0, "SCANNED")
    assert session.initiator == "iqn.2024-01.storage.oracle:client"
    (conn,) = session.connections
    assert (conn.cid, conn.address, conn.port, conn.state, conn.local_port) == (0, "127.0.0.1", 3260, "up", 57778)
    assert session.portal == "127.0.0.1:3260"
    # LUN N of the ACL is /dev/sdX here, in the kernel's discovery order (not the LUN order)
    assert [(d.lun, d.name, d.size) for d in session.disks] == [
        (0, "sda", 10 << 20), (1, "sdf", 10 << 20), (2, "sde", 10 << 20),
        (3, "sdd", 20 << 20), (4, "sdc", 20 << 20), (5, "sdb", 20 << 20)]
    assert {d.state for d in session.disks} == {"running"}
    (host,) = live.hosts
    assert (host.host, host.ipaddress, host.initiator, host.state) == (0, "127.0.0.1", None, "running")


def test_two_sessions_and_mapped_lun_numbers(kernel_tree):
    live = read_initiator(str(kernel_tree))
    assert [s.sid for s in live.sessions] == [1, 2]
    first, second = live.sessions
    assert [d.lun for d in first.disks] == [0, 1, 2, 3, 10]  # mapped LUN 10 is LUN 10 here
    assert first.disks[-1].device == "/dev/sdc"
    assert second.portal == "127.0.0.1:3261" and second.tpgt == 2


def test_a_session_that_logs_out_while_read(rac_live):
    root = str(rac_live)
    shutil.rmtree(os.path.join(root, "sys/devices/platform/host0"))
    # the class link is still listed but leads nowhere: the session is skipped, not an error
    assert os.path.islink(os.path.join(root, "sys/class/iscsi_session/session1"))
    assert read_session(root, 1) is None
    assert read_initiator(root).sessions == ()


def test_no_initiator_at_all(tmp_path):
    assert not has_initiator(str(tmp_path))
    assert read_initiator(str(tmp_path)).sessions == ()
