"""Everything outside the UI imports no Textual; the domain neither Textual nor rich (see shared/STYLE.md).

The modules are found, not listed: every module of the sanctl package but
``sanctl.ui`` (``pkgutil.walk_packages``), and the domain as the import-linter
"domain" contract in pyproject.toml names it. One fresh interpreter imports
them one after the other and notes, after each, whether the forbidden
packages have appeared: the first module that brings one in is the one whose
dependency chain holds it (modules imported before it were clean).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from layout_graph import modules

HEADLESS = sorted(
    name for name in modules()
    if name != "sanctl.__main__" and not (name == "sanctl.ui" or name.startswith("sanctl.ui."))
)


def _domain() -> list[str]:
    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    contracts = tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]
    return next(c for c in contracts if c["id"] == "domain")["source_modules"]


DOMAIN = _domain()

PROBE = """
import importlib, json, sys
forbidden = sys.argv[1].split(",")
culprits = {}
for name in sys.argv[2:]:
    importlib.import_module(name)
    culprits[name] = [f for f in forbidden if f in sys.modules]
    if culprits[name]:
        break
print(json.dumps(culprits))
"""


def _first_culprits(names: list[str], forbidden: list[str]) -> dict[str, list[str]]:
    done = subprocess.run([sys.executable, "-c", PROBE, ",".join(forbidden), *names],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def headless_culprits():
    return _first_culprits(HEADLESS, ["textual"])


@pytest.fixture(scope="module")
def domain_culprits():
    return _first_culprits(DOMAIN, ["textual", "rich"])


def test_the_module_lists_are_found_not_empty():
    assert "sanctl.lio.configfs" in HEADLESS and "sanctl.cli" in HEADLESS and "sanctl.ui.app" not in HEADLESS
    assert "sanctl.model" in DOMAIN


@pytest.mark.parametrize("module", HEADLESS)
def test_module_imports_without_textual(module, headless_culprits):
    assert module in headless_culprits, f"not reached: an earlier module pulled in textual: {headless_culprits}"
    assert headless_culprits[module] == [], f"{module} pulls in textual"


@pytest.mark.parametrize("module", DOMAIN)
def test_domain_module_imports_neither_textual_nor_rich(module, domain_culprits):
    assert module in domain_culprits, f"not reached: an earlier module pulled in textual or rich: {domain_culprits}"
    assert domain_culprits[module] == [], f"{module} pulls in {domain_culprits[module]}"


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
