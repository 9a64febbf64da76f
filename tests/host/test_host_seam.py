"""The Host seam: every implementation satisfies the Protocol, says what it can do, and hands back plain values."""

from __future__ import annotations

import json
import os
from dataclasses import asdict

import pytest

from sanctl.host import host_for
from sanctl.host.captured import REASON, CapturedHost
from sanctl.host.demo import DemoHost
from sanctl.host.local import LocalHost
from sanctl.host.protocol import FactsPart, Host, InitiatorPart, LogsPart, TargetPart
from sanctl.lio.writer import ReadOnlyError
from sanctl.model_json import to_jsonable
from sanctl.sim.demo import build_demo
from sanctl.sim.iscsiadm import DemoIscsiadm
from sanctl.sim.writer import SimWriter
from sanctl.startup import resolve_source


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory) -> str:
    root = str(tmp_path_factory.mktemp("demo"))
    build_demo(root)
    return root


def _hosts(root: str) -> list:
    return [LocalHost(root, readonly_reason="--readonly"), CapturedHost(root), DemoHost(root)]


def test_every_implementation_satisfies_the_protocol(demo_root):
    for host in _hosts(demo_root):
        assert isinstance(host, Host), type(host).__name__
        assert isinstance(host.target, TargetPart)
        assert isinstance(host.facts, FactsPart)
        assert isinstance(host.logs, LogsPart)
        assert host.initiator is None or isinstance(host.initiator, InitiatorPart)


def test_an_object_missing_a_part_is_not_a_host(demo_root):
    class Partial:
        name, kind, root, mode = "x", "local", demo_root, "real"

    assert not isinstance(Partial(), Host)


def test_the_protocol_module_imports_no_io_and_no_textual():
    import ast
    import sanctl.host.protocol as protocol

    tree = ast.parse(open(protocol.__file__, encoding="utf-8").read())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert imported <= {"__future__", "collections.abc", "dataclasses", "typing", "sanctl.model"}, imported


def test_captured_host_refuses_writes_with_its_reason_and_has_no_initiator(demo_root):
    host = CapturedHost(demo_root)
    assert host.readonly and host.readonly_reason == REASON
    assert not host.capabilities.can_write and not host.capabilities.has_live
    assert host.initiator is None
    writer = host.target.writer()
    with pytest.raises(ReadOnlyError, match="captured tree"):
        writer.check_writable()
    assert host.target.unfinished_change() is None


def test_demo_host_reads_the_demo_san(demo_root):
    host = DemoHost(demo_root)
    config = host.target.read_config()
    assert config.storage_objects and config.fabrics
    assert host.capabilities.simulated and host.capabilities.can_write and host.capabilities.has_initiator
    assert isinstance(host.target.writer(), SimWriter)
    assert host.target.writer() is host.target.writer()  # one writer per host
    assert host.show_path(os.path.join(demo_root, "etc/target/saveconfig.json")) == "demo:/etc/target/saveconfig.json"
    assert isinstance(host.initiator.iscsiadm(), DemoIscsiadm)  # the simulation, not this host's
    assert set(host.facts.available_fabrics()) >= {"iscsi"}


def test_the_config_read_crosses_the_seam_as_a_plain_value(demo_root):
    config = DemoHost(demo_root).target.read_config(details=True)
    text = json.dumps(to_jsonable(config))  # what `sanctl show --json` prints: an agent over SSH would send it
    back = json.loads(text)
    assert [so["name"] for so in back["storage_objects"]] == [so.name for so in config.storage_objects]
    assert json.loads(json.dumps(back)) == back
    capabilities = json.loads(json.dumps(asdict(CapturedHost(demo_root).capabilities)))
    assert capabilities == {"can_write": False, "has_initiator": False, "has_live": False,
                            "is_this_machine": False, "simulated": False}


def test_host_for_follows_the_source(demo_root):
    demo = host_for(resolve_source(root=demo_root, demo=True, readonly=True))
    assert isinstance(demo, DemoHost) and demo.readonly and demo.readonly_reason == "--readonly"
    captured = host_for(resolve_source(root=demo_root, demo=False, readonly=False))
    assert isinstance(captured, CapturedHost) and captured.readonly
    demo.cleanup()  # not temporary: the tree stays
    assert os.path.isdir(demo_root)


def test_a_temporary_demo_is_removed_by_cleanup(tmp_path):
    source = resolve_source(root=None, demo=True, readonly=False)
    host = host_for(source)
    assert os.path.isdir(host.root)
    host.cleanup()
    assert not os.path.exists(host.root)


def test_the_demo_sampler_moves_the_simulated_kernel(demo_root):
    sampler = DemoHost(demo_root).target.sampler(clock=lambda: 0.0, wall_clock=lambda: 1_700_000_000.0)
    assert sampler.before_sample is not None
    assert CapturedHost(demo_root).target.sampler(clock=lambda: 0.0, wall_clock=lambda: 0.0).before_sample is None


def test_an_idle_demos_first_sample_has_the_past_its_logs_were_started_with(tmp_path):
    """The one way to make a sampler (the TUI's, the CLI's and the doctor's): a demo the sampler starts
    has written its logs' recent past before they are opened, so the flapping is seen at once — also by
    a one-look reader (``follow=False``: ``sanctl doctor``, ``sanctl errors``)."""
    root = str(tmp_path / "demo")
    build_demo(root)  # idle: the sampler starts it
    now = 1_700_000_000.0
    sampler = DemoHost(root).target.sampler(clock=lambda: 0.0, wall_clock=lambda: now, follow=False)
    try:
        frame = sampler.sample()
    finally:
        sampler.close()
    assert "connection_flap" in {f.kind for f in frame.findings}


def test_the_doctors_questions_by_host(demo_root):
    """What the doctor's gathering step asks: the demo answers for its simulated host, a captured
    tree knows nothing of this machine, and every answer is a plain value."""
    demo, captured = DemoHost(demo_root), CapturedHost(demo_root)
    assert "192.168.50.10" in demo.facts.own_addresses()
    assert demo.facts.boot_service().state == "enabled"
    assert demo.initiator.name_in_use() is not None
    assert demo.facts.dbroot() is None  # the simulated kernel's dbroot is not this machine's
    assert captured.facts.own_addresses() is None and captured.facts.boot_service() is None
    assert captured.facts.device_facts(["/dev/sda"]) is None and captured.facts.rdma() is None
    devices = demo.facts.device_facts(["/dev/vg_san/ora-arch", "/dev/nope"])
    assert devices["/dev/vg_san/ora-arch"].exists and not devices["/dev/nope"].exists
    json.dumps(to_jsonable(devices["/dev/vg_san/ora-arch"]))


def test_what_the_ui_shows_of_where_a_host_is_comes_from_the_host(demo_root):
    """The header's ``root …`` and the doctor's ``demo:/…`` are Host values (plain text), not a path the UI
    works out from a root of its own."""
    local, captured, demo = _hosts(demo_root)
    assert LocalHost("/").where is None and demo.where is None  # this machine's /; the demo's scratch tree
    assert captured.where == f"root {demo_root}" and local.where == f"root {demo_root}"
    assert local.path_labels == captured.path_labels == {}
    assert demo.path_labels == {demo_root.rstrip("/") + "/": "demo:/"}
    assert json.loads(json.dumps([demo.where, demo.path_labels, captured.where])) == [
        None, demo.path_labels, captured.where]


def test_an_empty_configuration_is_the_hosts(demo_root):
    """What the UI shows while there is no LIO target: empty, and read again from the same host."""
    for host in _hosts(demo_root):
        empty = host.target.empty_config()
        assert empty.empty and empty.problems == ()
        assert empty == type(empty)(root=host.target.read_config().root)


def test_sanctls_state_files_are_where_the_host_keeps_them(demo_root, monkeypatch, tmp_path):
    """The doctor's last look: in the demo's tree, nowhere for a captured tree, the user's state folder
    (root: /var/lib/sanctl) on this machine."""
    assert DemoHost(demo_root).state_file("x.json") == os.path.join(demo_root, "var", "lib", "sanctl", "x.json")
    assert CapturedHost(demo_root).state_file("x.json") is None
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert LocalHost("/").state_file("x.json") == str(tmp_path / "sanctl" / "x.json")
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert LocalHost("/").state_file("x.json") == "/var/lib/sanctl/x.json"
