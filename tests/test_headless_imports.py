"""The domain, readers and writers import no Textual (see shared/STYLE.md).

Each module is imported in a fresh interpreter, so an import anywhere in its
dependency chain is caught, not just in the module itself.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

HEADLESS = [
    "sanctl.model",
    "sanctl.model_json",
    "sanctl.names",
    "sanctl.details",
    "sanctl.sim.layout",
    "sanctl.sim.scale",
    "sanctl.summary",
    "sanctl.tree",
    "sanctl.startup",
    "sanctl.cli",
    "sanctl.lio.configfs",
    "sanctl.lio.saveconfig",
    "sanctl.lio.changes", "sanctl.lio.impact", "sanctl.lio.rebuild", "sanctl.lio.lock",
    "sanctl.lio.writer", "sanctl.lio.rtslib_writer", "sanctl.lio.savefile", "sanctl.lio.commands",
    "sanctl.lio.plan", "sanctl.lio.script", "sanctl.lio.apply",
    "sanctl.sim.writer",
    "sanctl.sim.demo",
    "sanctl.host.facts",
    "sanctl.forms.spec", "sanctl.forms.context", "sanctl.forms.add", "sanctl.forms.edit", "sanctl.forms.alua",
    "sanctl.forms.actions", "sanctl.forms.doctor_check",  # the forms' fields and checks; the screen draws them
    # the setup wizard's domain: answers, state, checks, presets, plan, apply, firewall, client commands
    "sanctl.setup.answers", "sanctl.setup.state", "sanctl.setup.checks", "sanctl.setup.presets",
    "sanctl.setup.validate", "sanctl.setup.plan", "sanctl.setup.apply", "sanctl.setup.firewall",
    "sanctl.setup.client", "sanctl.setup.context", "sanctl.setup.login",
    "sanctl.initiator.iscsiadm", "sanctl.initiator.exit_codes", "sanctl.initiator.initiator_name", "sanctl.initiator.services", "sanctl.initiator.multipath", "sanctl.initiator.commands",
    # live panels' domain: sessions, counters, kernel log, sampler, demo
    "sanctl.iscsi_errors", "sanctl.kernel_log", "sanctl.lio.live", "sanctl.initiator.sysfs",
    "sanctl.live.sampler", "sanctl.live.setup", "sanctl.live.flap", "sanctl.live.events", "sanctl.live.report",
    "sanctl.live.commands", "sanctl.live.format", "sanctl.sim.live", "sanctl.sim.live_files",
    # the doctor: findings, rules, facts, looks, the command
    "sanctl.doctor.findings", "sanctl.doctor.paths", "sanctl.doctor.observe", "sanctl.doctor.facts",
    "sanctl.doctor.rules", "sanctl.doctor.command",
    # the Prometheus exporter: its reads, cached structure, collector, textfile writer, the command
    "sanctl.exporter.reads", "sanctl.exporter.structure", "sanctl.exporter.collector", "sanctl.exporter.textfile",
    "sanctl.exporter.command",
]


@pytest.mark.parametrize("module", HEADLESS)
def test_module_imports_without_textual(module):
    code = f"import sys, {module}; sys.exit(1 if 'textual' in sys.modules else 0)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, f"{module} pulls in textual\n{result.stderr}"


def test_show_and_export_commands_never_import_textual(rac_idle_shared):
    code = (
        "import sys, io, contextlib\n"
        "from sanctl.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main(['--root', {str(rac_idle_shared)!r}, 'show'])\n"
        f"    main(['--root', {str(rac_idle_shared)!r}, 'export'])\n"
        "sys.exit(1 if 'textual' in sys.modules else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
