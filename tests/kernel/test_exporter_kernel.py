"""The exporter on the real kernel: its session and I/O metrics match a logged-in initiator doing I/O.

``sanctl exporter --once`` runs on ``/`` in the VM (the real LIO target and
open-iscsi initiator of the basic SAN, logged in over 127.0.0.1), before and
after this test reads 8 MiB from mapped LUN 0 and writes 4 MiB to mapped LUN
5 with O_DIRECT. The metrics must show the session on both sides and the
I/O on the right mapped LUNs, TPG LUNs and session — in the whole MiB the
kernel counts.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.kernel

MiB = 1 << 20


def _scrape() -> dict:
    from prometheus_client.parser import text_string_to_metric_families

    done = subprocess.run([sys.executable, "-m", "sanctl", "exporter", "--once"], capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()
    out = {}
    for family in text_string_to_metric_families(done.stdout.decode()):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


def _value(found: dict, name: str, **labels) -> float:
    want = set(labels.items())
    hits = [v for (n, l), v in found.items() if n == name and want <= set(l)]
    assert len(hits) == 1, f"{name}{labels}: {hits}"
    return hits[0]


def _disk_of(mapped_lun: int) -> str:
    from sanctl.initiator.sysfs import read_initiator

    for session in read_initiator("/").sessions:
        for disk in session.disks:
            if disk.lun == mapped_lun and disk.name:
                return disk.name
    raise AssertionError(f"no disk for mapped LUN {mapped_lun}")


def test_exporter_sessions_and_io_match_a_real_initiator(basic_san, logged_in, kernel_env):
    kt = kernel_env
    target, acl = basic_san.target_iqn, basic_san.acl
    before = _scrape()

    assert _value(before, "lio_tpg_sessions", target=target, tpg="1", kind="acl", state="LOGGED_IN") == 1
    assert _value(before, "lio_acl_session", target=target, initiator=acl, state="LOGGED_IN") == 1
    assert _value(before, "lio_tpg_enabled", target=target, tpg="1") == 1
    assert _value(before, "openiscsi_sessions", target=target, portal=f"{kt.PORTAL_IP}:{kt.PORTAL_PORT}",
                  state="LOGGED_IN") == 1
    assert _value(before, "openiscsi_connections", target=target, state="up") == 1
    assert _value(before, "openiscsi_session_disks", target=target, state="running") == len(basic_san.mapped)
    for (plugin, name), facts in basic_san.storage.items():
        assert _value(before, "lio_backstore_size_bytes", backstore=f"{plugin}/{name}") == facts["size"]
    assert _value(before, "lio_backstore_device_present", backstore="block/disk-block") == 1

    read_disk, write_disk = _disk_of(0), _disk_of(5)
    subprocess.run(["dd", f"if=/dev/{read_disk}", "of=/dev/null", "bs=1M", "count=8", "iflag=direct"],
                   check=True, capture_output=True, timeout=120)
    subprocess.run(["dd", "if=/dev/zero", f"of=/dev/{write_disk}", "bs=1M", "count=4", "oflag=direct"],
                   check=True, capture_output=True, timeout=120)
    after = _scrape()

    def moved(name: str, **labels) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    mapped0 = {"target": target, "initiator": acl, "mapped_lun": "0"}
    mapped5 = {"target": target, "initiator": acl, "mapped_lun": "5"}
    # whole MiB, as the kernel counts: exactly what dd moved (a stray udev read adds at most one more)
    assert 8 * MiB <= moved("lio_mapped_lun_read_bytes_total", **mapped0) <= 9 * MiB
    assert moved("lio_mapped_lun_write_bytes_total", **mapped5) == 4 * MiB
    assert moved("lio_mapped_lun_write_bytes_total", **mapped0) == 0
    assert moved("lio_mapped_lun_commands_total", **mapped0) >= 8
    assert moved("lio_mapped_lun_commands_total", **mapped5) >= 4
    # the same I/O on the TPG LUNs behind them (mapped 0 -> LUN 0 fileio, mapped 5 -> LUN 2 block)
    assert 8 * MiB <= moved("lio_lun_read_bytes_total", target=target, lun="0", backstore="fileio/disk-file") <= 9 * MiB
    assert moved("lio_lun_write_bytes_total", target=target, lun="2", backstore="block/disk-block") == 4 * MiB
    # and on the session, in bytes (data only: not less than what dd moved, not much more)
    assert 8 * MiB <= moved("lio_acl_session_read_bytes_total", target=target, initiator=acl) < 9 * MiB
    # LIO counts a session's received data from Data-Out PDUs: the immediate data of each write (up to
    # FirstBurstLength, 64 KiB here: 4 writes of 1 MiB counted 3.75 MiB in the first run) is not in it
    assert 3 * MiB <= moved("lio_acl_session_write_bytes_total", target=target, initiator=acl) <= 4 * MiB
    assert moved("lio_acl_session_commands_total", target=target, initiator=acl) >= 12
    assert _value(after, "sanctl_exporter_info", mode="real") == 1
    assert _value(after, "lio_acl_session", target=target, initiator=acl, state="LOGGED_IN") == 1
