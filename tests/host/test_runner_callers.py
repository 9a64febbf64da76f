"""The programs sanctl starts outside iscsiadm go through a Runner: a ScriptedRunner stands in
for multipath, iscsi-iname, systemctl, modprobe, the firewall tools and journalctl."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sanctl.host.runner import Result, ScriptedRunner
from sanctl.initiator import services
from sanctl.initiator.initiator_name import generate_initiator_name
from sanctl.initiator.multipath import multipath_devices
from sanctl.kernel_log import JournalSource
from sanctl.setup.probe import HostProbe, run_command

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "initiator"


def test_multipath_reads_its_answer_through_the_runner():
    text = (FIXTURES / "multipath-ll-healthy.txt").read_text()
    runner = ScriptedRunner({"-ll": (0, text, "")})
    devices = multipath_devices(runner=runner)
    assert devices and all(d.paths for d in devices)
    assert [c.argv for c in runner.calls] == [("multipath", "-ll")]
    assert multipath_devices(runner=ScriptedRunner(missing=("multipath",))) is None
    assert multipath_devices(runner=ScriptedRunner({"-ll": Result(("multipath",), None, timed_out=True)})) is None


def test_iscsi_iname_is_used_when_it_answers_and_skipped_when_missing():
    prefix = "iqn.2005-03.org.open-iscsi"
    runner = ScriptedRunner({"-p": (0, f"{prefix}:abcdef012345\n", "")})
    assert generate_initiator_name(prefix, runner=runner) == f"{prefix}:abcdef012345"
    assert runner.calls[0].argv == ("iscsi-iname", "-p", prefix)
    fallback = generate_initiator_name(prefix, runner=ScriptedRunner(missing=("iscsi-iname",)))
    assert fallback.startswith(prefix + ":") and len(fallback) == len(prefix) + 13


def test_systemctl_answers_and_refusals_keep_their_words(monkeypatch):
    runner = ScriptedRunner({"is-enabled iscsi.service": (0, "enabled\n", ""),
                             "is-enabled open-iscsi.service": (1, "", "No such file or directory")})
    assert services.boot_login_service(runner=runner).state == "enabled"
    missing = services.iscsid_state(runner=ScriptedRunner(missing=("systemctl",)))
    assert (missing.state, missing.detail) == ("unknown", "systemctl is not installed")
    monkeypatch.setattr(services, "systemd_running", lambda: True)
    read_only = ScriptedRunner({"": (0, "", "")}, read_only="sanctl was started read-only")
    result = services.restart_iscsid(runner=read_only)
    assert not result.ok and "sanctl was started read-only" in result.message
    assert read_only.calls[0].write


def test_host_probe_actions_are_writes_refused_on_a_read_only_runner(tmp_path):
    probe = HostProbe("/", euid=0, runner=ScriptedRunner({"": (0, "", "")}, read_only="read-only"))
    result = probe.modprobe()
    assert not result.ok and "read-only" in result.message
    assert probe.runner.calls[0].write


def test_firewall_commands_keep_their_messages():
    assert run_command(["nft", "list", "ruleset"], runner=ScriptedRunner(missing=("nft",))) == \
        (None, "", "nft is not installed")
    timed = ScriptedRunner({"": Result(("ufw",), None, timed_out=True)})
    assert run_command(["ufw", "status"], timeout=3, runner=timed) == (None, "", "ufw did not answer within 3 s")
    assert run_command(["ufw", "status"], runner=ScriptedRunner({"status": (0, "Status: inactive\n", "")})) == \
        (0, "Status: inactive\n", "")


def test_the_journal_source_reads_lines_from_the_runner():
    entry = {"MESSAGE": " session3: session recovery timed out after 120 secs", "_TRANSPORT": "kernel",
             "_SOURCE_MONOTONIC_TIMESTAMP": "5000000", "__REALTIME_TIMESTAMP": "1"}
    runner = ScriptedRunner(lines=[json.dumps(entry) + "\n"])
    source = JournalSource(["SYSLOG_IDENTIFIER=iscsid"], follow=False, runner=runner)
    events = source.read_new()
    assert [(e.kind, e.sid) for e in events] == [("recovery_timeout", 3)]
    assert runner.calls[0].argv[:2] == ("journalctl", "-o")
    source.close()


def test_iscsiadm_writes_are_refused_on_a_read_only_runner_and_reads_are_not():
    from sanctl.initiator.iscsiadm import Iscsiadm, IscsiadmError

    target, portal = "iqn.2003-01.org.linux-iscsi.t:sn.1", "192.0.2.10:3260"
    record = f"# BEGIN RECORD 2.1.8\nnode.name = {target}\nnode.startup = manual\n# END RECORD\n"
    runner = ScriptedRunner({"-m session": (21, "", "iscsiadm: No active sessions.\n"),
                             f"-m node -T {target} -p {portal} -o show": (0, record, "")},
                            read_only="sanctl runs read-only here")
    adm = Iscsiadm("/usr/sbin/iscsiadm", runner=runner)
    assert adm.sessions() == []
    assert adm.node_settings(target, portal)[0].startup == "manual"
    with pytest.raises(IscsiadmError) as refused:
        adm.login(target, portal)
    assert str(refused.value) == "sanctl runs read-only here" and refused.value.code is None
    assert [(c.argv[1:3], c.write) for c in runner.calls] == [
        (("-m", "session"), False), (("-m", "node"), False), (("-m", "node"), True)]


def test_iscsiadm_timeouts_and_a_vanished_binary_keep_their_errors():
    from sanctl.initiator.iscsiadm import Iscsiadm, IscsiadmNotFound, IscsiadmTimeout

    hung = ScriptedRunner(lambda argv: Result(argv, None, stdout="partial", timed_out=True))
    with pytest.raises(IscsiadmTimeout) as timed:
        Iscsiadm("/usr/sbin/iscsiadm", runner=hung).sessions()
    assert timed.value.stdout == "partial" and "did not answer within 10 s" in str(timed.value)
    gone = ScriptedRunner(missing=("iscsiadm",))
    with pytest.raises(IscsiadmNotFound) as missing:
        Iscsiadm("/usr/sbin/iscsiadm", runner=gone).sessions()
    assert str(missing.value) == "/usr/sbin/iscsiadm is not there any more."
