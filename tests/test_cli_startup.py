"""Start-up cost: a printing command imports only what it prints with (issue 19).

Time is measured by ``bench/startup.py``, never asserted; what is asserted is
the cause of the time: which modules a command's process imports.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import json, sys
from sanctl.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
sys.stdout.flush()
sys.stderr.write("\\n" + json.dumps(sorted(sys.modules)) + "\\n")
"""


def imported_by(*argv: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=120)
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize("option", ["--version", "--help"])
def test_version_and_help_import_no_reader_no_metadata_and_no_command_internals(option):
    modules = imported_by(option)
    heavy = {"importlib.metadata", "sanctl.startup", "sanctl.model", "sanctl.lio.configfs", "sanctl.live.report",
             "sanctl.live.sampler", "ssl", "socket", "textual", "rich"}
    assert not modules & heavy, sorted(modules & heavy)
    if option == "--version":  # alone, it does not even need argparse
        assert "argparse" not in modules and "sanctl.bounded" not in modules


def test_show_on_an_empty_tree_imports_no_other_command(tmp_path):
    (tmp_path / "sys/kernel/config/target").mkdir(parents=True)
    modules = imported_by("--root", str(tmp_path), "show")
    assert "sanctl.tree" in modules  # the probe saw the command run
    others = {m for m in modules if m.startswith(("sanctl.doctor", "sanctl.live", "sanctl.exporter",
                                                   "sanctl.initiator", "sanctl.sim", "sanctl.ui"))}
    assert not others, sorted(others)
    assert not {"importlib.metadata", "textual", "tempfile", "ssl", "socket"} & modules


def test_the_version_is_the_installed_packages():
    from importlib.metadata import version

    import sanctl
    from sanctl.cli import version as shown

    assert shown() == sanctl.__version__ == version("sanctl")
