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
             "sanctl.live.sampler", "ssl", "socket", "textual", "rich", "shutil", "typing"}
    assert not modules & heavy, sorted(modules & heavy)
    if option == "--version":  # alone, it does not even need argparse
        assert "argparse" not in modules and "sanctl.bounded" not in modules


COMMAND_MODULES = ("sanctl.initiator.commands", "sanctl.live.commands", "sanctl.lio.commands", "sanctl.doctor",
                   "sanctl.exporter", "sanctl.setup", "sanctl.ui", "sanctl.tree")


@pytest.mark.parametrize("argv", [["--help"], ["-h"], ["--demo", "--help"], ["-h", "show"]])
def test_help_imports_no_commands_module(argv):
    modules = imported_by(*argv)
    assert "argparse" in modules  # the probe saw the help printed
    commands = {m for m in modules if m.startswith(COMMAND_MODULES)}
    assert not commands, sorted(commands)


def test_a_commands_help_imports_that_command_only():
    modules = imported_by("sessions", "--help")
    assert "sanctl.live.commands" in modules
    others = {m for m in modules if m.startswith(COMMAND_MODULES) and not m.startswith("sanctl.live")}
    assert not others, sorted(others)


def _answer(parse, argv, capsys):
    """What parsing ``argv`` prints and returns: (stdout, stderr, exit status or the namespace's values)."""
    try:
        outcome = vars(parse(argv))
    except SystemExit as exc:
        outcome = exc.code
    out, err = capsys.readouterr()
    return out, err, outcome


@pytest.mark.parametrize("argv", [
    ["--help"], ["-h"], ["--he"], ["--demo", "--help"], ["--help", "show"], ["-h", "show"], ["--root", "/x", "-h"],
    ["show", "--help"], ["export", "-h"], ["--demo", "doctor", "--help"], ["apply", "--help"],
    ["bogus"], ["bogus", "--help"], ["--bogus"], ["--bogus", "show", "--json"], ["--root"], ["--theme", "x", "--root"],
    ["--root", "/x", "show", "--json"], ["show", "--root", "/x"], ["export", "--target", "iqn.2003-01.org.x:y"],
])
def test_the_command_line_answers_as_the_whole_parser_does(argv, capsys, monkeypatch):
    """``--help`` and errors come from the summary parser (or one command's part): the same text and
    exit status as the parser with every command built."""
    from sanctl.cli import build_parser, parse_command_line

    monkeypatch.setenv("COLUMNS", "100")
    assert _answer(parse_command_line, argv, capsys) == _answer(build_parser().parse_args, argv, capsys)


def test_the_summaries_are_what_the_commands_own_parsers_say(monkeypatch):
    """The summary list ``--help`` prints is the one the command modules declare: same commands, same order,
    same words."""
    from sanctl.cli import build_parser, summary_parser

    monkeypatch.setenv("COLUMNS", "80")
    assert summary_parser().format_help() == build_parser().format_help()


def test_show_on_an_empty_tree_imports_no_other_command(tmp_path):
    (tmp_path / "sys/kernel/config/target").mkdir(parents=True)
    modules = imported_by("--root", str(tmp_path), "show")
    assert "sanctl.tree" in modules  # the probe saw the command run
    others = {m for m in modules if m.startswith(("sanctl.doctor", "sanctl.live", "sanctl.exporter",
                                                   "sanctl.initiator", "sanctl.sim", "sanctl.ui"))}
    assert not others, sorted(others)
    assert not {"importlib.metadata", "textual", "tempfile", "ssl", "socket", "shutil"} & modules


@pytest.mark.parametrize("columns", [None, "100", "0", "-5", "wide", "33"])
def test_help_is_as_wide_as_argparse_would_make_it(columns, monkeypatch):
    """The help formatter asks :func:`terminal_columns`, not shutil (its import costs every command):
    the same width shutil gives argparse."""
    import shutil

    from sanctl.cli import terminal_columns

    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    assert terminal_columns() == shutil.get_terminal_size().columns


def test_the_version_is_the_installed_packages():
    from importlib.metadata import version

    import sanctl
    from sanctl.cli import version as shown

    assert shown() == sanctl.__version__ == version("sanctl")
