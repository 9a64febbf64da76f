"""Fixtures for the doctor: fixture trees, the demo SAN and its writer, built live snapshots and facts."""

from __future__ import annotations

import random

import pytest

#: 2026-01-01 12:00:00 UTC, the live demo's "now" in the doctor's tests.
T0 = 1767268800.0
HOST_ADDRESSES = frozenset({"127.0.0.1", "::1", "192.168.50.10"})
RAC = "iqn.2024-01.storage.oracle:rac"
CLIENT = "iqn.2024-01.storage.oracle:client"
CLIENT2 = "iqn.2024-01.storage.oracle:client2"
WEB = "iqn.2024-01.com.example:web"
WEB01 = "iqn.2024-01.com.example:web01"
SCRATCH = "iqn.2024-01.com.example:scratch"


@pytest.fixture
def writer(demo):
    from sanctl.sim.writer import SimWriter

    return SimWriter(str(demo), rng=random.Random(7), lock_timeout=0.3)


def apply(writer, *changes) -> None:
    report = writer.apply(list(changes))
    assert report.ok, "\n".join(report.lines())


def config_of(root):
    from sanctl.lio.configfs import read_config

    return read_config(str(root))


def facts(config=None, **overrides):
    """Host facts for a test: the demo host's addresses, nothing else known unless given."""
    from sanctl.doctor.facts import HostFacts

    root = config.root.rstrip("/") if config is not None else ""
    options = {"path_labels": {root + "/": "demo:/"} if root else {}, "addresses": HOST_ADDRESSES}
    options.update(overrides)
    return HostFacts(**options)


def frame(**fields):
    """A LiveFrame at T0 with the given sessions, counters, findings, initiator state."""
    from sanctl.live.sampler import LiveFrame

    options = {"seq": 1, "mono": 1000.0, "wall": T0}
    options.update(fields)
    return LiveFrame(**options)


def snapshot(live_frame=None, **fields):
    from sanctl.doctor.observe import LiveSnapshot

    return LiveSnapshot(frame=live_frame if live_frame is not None else frame(), **fields)


def acl_session(target: str, initiator: str, address: str, *, tpg: int = 1, sid: int = 7, tsih: int = 3):
    """An explicit ACL's logged-in session from ``address``, as the ACL's ``info`` shows it."""
    from sanctl.lio.live import AclSession, TargetConnection, TargetSession

    info = AclSession(initiator=initiator, alias="", sid=sid, isid="00023d000001", tsih=tsih, session_type="Normal",
                      state="LOGGED_IN", state_raw="TARG_SESS_STATE_LOGGED_IN",
                      connections=(TargetConnection(0, "LOGGED_IN", "TARG_CONN_STATE_LOGGED_IN", address, "TCP", 1),))
    return TargetSession(target, tpg, initiator, "acl", info)


def dynamic_session(target: str, initiator: str, tpg: int = 1):
    from sanctl.lio.live import TargetSession

    return TargetSession(target, tpg, initiator, "dynamic")


def local_session(target: str, initiator: str, *, sid: int = 1, host: int = 2, state: str = "FAILED",
                  address: str = "192.168.50.10"):
    """``(session, host)`` of this host's open-iscsi, as sysfs shows them."""
    from sanctl.initiator.sysfs import InitiatorHost, InitiatorSession

    session = InitiatorSession(sid=sid, target=target, tpgt=1, state=state, target_state=None, recovery_tmo=120,
                               initiator=initiator, iface="default", creator=1, host=host)
    return session, InitiatorHost(host, address, initiator, None, None, "running")


def flap(target: str, *, connection: str = "1:0", codes=(1020,), active: bool = True, count: int = 31):
    """The sampler's finding for a flapping connection of this host's initiator."""
    from sanctl.iscsi_errors import conn_error
    from sanctl.live.flap import Finding

    return Finding(kind="connection_flap", key=("flap", connection), title=f"Connection {connection} is flapping",
                   lines=(f"{count} errors on connection {connection} to {target}.",),
                   fix=conn_error(codes[-1]).fix, count=count, first=T0 - 180, last=T0 - 2, active=active,
                   connection=connection, target=target, codes=tuple(codes))


def rules_of(findings) -> list[str]:
    return [f.rule for f in findings]
