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


#: The packages above the seam: they reach a host only through what the Host hands them.
ABOVE_THE_SEAM = ("ui", "forms", "doctor", "setup", "exporter")
#: What a Host is called above the seam: ``host``, ``system``, ``source``, or ``x.host``/``x.system``/``x.source``;
#: and ``config``: the model's own ``SanConfig.root`` stays for the readers below the seam, not for the UI to reach
#: the system by.
HOST_NAMES = {"host", "system", "source", "config"}
#: Reads of a Host's ``root`` still left above the seam, per file (only ever fewer): none.
STILL_READING_ROOT: dict[str, int] = {}


def _names_a_host(node: ast.expr) -> bool:
    named = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
    return named in HOST_NAMES


def root_reads(text: str) -> list[int]:
    """The lines where ``text`` reads the ``root`` of a Host (``host.root``, ``self.system.root``,
    ``getattr(source, "root")``) or of the model (``tree.config.root``)."""
    found = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Attribute) and node.attr == "root" and _names_a_host(node.value):
            found.append(node.lineno)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
              and len(node.args) >= 2 and _names_a_host(node.args[0])
              and isinstance(node.args[1], ast.Constant) and node.args[1].value == "root"):
            found.append(node.lineno)
    return found


def test_code_above_the_seam_reads_no_hosts_root():
    """No ``root`` above the seam (issue 16): the UI, the forms, the doctor, the wizard and the exporter ask
    the Host (``target.empty_config()``, ``where``, ``path_labels``, ``state_file()``), never its tree."""
    found = {}
    for path, text in _sources().items():
        if path.split("/")[1] in ABOVE_THE_SEAM and (lines := root_reads(text)):
            found[path] = len(lines)
    assert found == STILL_READING_ROOT, {path: root_reads(_sources()[path]) for path in found}


def test_the_root_check_sees_every_way_of_naming_a_host():
    text = ("a = host.root\nb = self.system.root\nc = session_of(app).host.root\nd = getattr(source, 'root')\n"
            "e = self.tree.root\nf = screen.tree.config.root\ng = ctx.root\n")
    assert root_reads(text) == [1, 2, 3, 4, 6]
