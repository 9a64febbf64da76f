"""Tests assert on what a module offers, not on its private names (issue 16): an ``assert`` that reads
``obj._name`` (``obj`` not the test's own ``self``/``cls``) or calls a ``_name`` imported from sanctl
breaks when the inside is tidied though nothing an operator or caller sees changed.

Spying on a private reader to inject a fault (``monkeypatch.setattr(configfs, "_read", …)``) is not an
assertion and stays allowed.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__") and name != "_"


def private_reads_in_asserts(text: str) -> list[str]:
    """``line: expression`` for every private name an ``assert`` in ``text`` reads."""
    tree = ast.parse(text)
    imported = {alias.asname or alias.name for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sanctl")
                for alias in node.names if _private(alias.name)}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assert):
            continue
        for sub in ast.walk(node):
            if isinstance(sub, ast.Attribute) and _private(sub.attr) and not (
                    isinstance(sub.value, ast.Name) and sub.value.id in ("self", "cls")):
                found.append(f"{sub.lineno}: {ast.unparse(sub)}")
            elif isinstance(sub, ast.Name) and sub.id in imported:
                found.append(f"{sub.lineno}: {sub.id}")
    return found


def test_no_assert_reads_a_private_name():
    found = {}
    for path in sorted(TESTS.rglob("*.py")):
        if ".cache" in path.parts:
            continue
        if reads := private_reads_in_asserts(path.read_text(encoding="utf-8")):
            found[str(path.relative_to(TESTS))] = reads
    assert found == {}


def test_the_check_sees_private_attributes_and_imports_but_not_the_tests_own_helpers():
    text = ("from sanctl.cli import _parse\nfrom sanctl.host import facts as host\n"
            "assert host._lvm_path('a-b') == '/dev/a/b'\nassert _parse([]).command is None\n"
            "assert self._auth(x) and cls._helper() and obj.__class__ and host.block_devices()\n")
    assert private_reads_in_asserts(text) == ["3: host._lvm_path", "4: _parse"]
