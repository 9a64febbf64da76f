"""What the seam promises about the code above it, checked on the source (so a regression fails here)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import sanctl

PACKAGE = Path(sanctl.__file__).parent
#: A decision on the mode word: ``mode == "demo"``, ``source.mode != "real"``, ``"captured" == x``…
MODE_TEST = re.compile(r'(==|!=)\s*"(real|captured|demo)"|"(real|captured|demo)"\s*(==|!=)')


def _sources() -> dict[str, str]:
    return {str(path.relative_to(PACKAGE.parent)): path.read_text(encoding="utf-8") for path in PACKAGE.rglob("*.py")}


def _imports(text: str) -> set[str]:
    """Every sanctl module a file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sanctl"):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("sanctl"))
    return found


def test_fewer_than_four_places_test_a_mode_string():
    places = [f"{path}:{number}" for path, text in _sources().items()
              for number, line in enumerate(text.splitlines(), 1) if MODE_TEST.search(line)]
    assert len(places) < 4, places


def test_the_app_keeps_its_services_in_the_session_not_as_private_attributes():
    pattern = re.compile(r"_sanctl_(writer|live|facts|doctor|doctor_badge|save_state|export)\b")
    places = [path for path, text in _sources().items() if pattern.search(text)]
    assert places == []


def test_the_doctor_service_imports_neither_the_panels_nor_the_status_bar():
    """The circle ui.doctor_service -> ui.panels / ui.widgets.status_bar -> ui.doctor_service is gone."""
    text = (PACKAGE / "ui" / "doctor_service.py").read_text(encoding="utf-8")
    imported = _imports(text)
    assert not imported & {"sanctl.ui.panels", "sanctl.ui.widgets.status_bar"}, imported


def test_only_the_demo_host_imports_the_simulation_from_the_ui_and_the_cli():
    """The UI screens that ask the host (the initiator tab, the wizard) and the CLI no longer import sanctl.sim."""
    for rel in ("sanctl/ui/screens/initiator.py", "sanctl/ui/screens/setup.py", "sanctl/cli.py", "sanctl/startup.py",
                "sanctl/ui/app.py", "sanctl/ui/session.py"):
        text = (PACKAGE.parent / rel).read_text(encoding="utf-8")
        assert not any(name.startswith("sanctl.sim") for name in _imports(text)), rel
