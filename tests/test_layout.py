"""The house rules of issue 16 that a file listing can check: no module over
1,000 lines, no import circle among sanctl's modules (imports inside
functions included, see tests/layout_graph.py).
"""

from __future__ import annotations

import pytest
from layout_graph import circles, import_graph, modules

MAX_LINES = 1_000

MODULES = modules()


def _length(module: str) -> int:
    return len(MODULES[module].read_text(encoding="utf-8").splitlines())


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_over_a_thousand_lines(module):
    assert _length(module) <= MAX_LINES, f"{module}: {_length(module)} lines"


def test_the_graph_sees_imports_inside_functions():
    # cli imports the UI only inside cmd_tui; a graph of top-level imports would miss it
    assert "sanctl.ui.app" in import_graph()["sanctl.cli"]


def test_no_import_circle_among_sanctl_modules():
    assert circles(import_graph()) == []
