"""The UI's plain-Python helpers import no Textual (they run in worker threads and in scripts)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["sanctl.details", "sanctl.ui.model_filter"])
def test_imports_without_textual(module):
    code = f"import sys, {module}; sys.exit(1 if 'textual' in sys.modules or 'rich' in sys.modules else 0)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, f"{module} pulls in textual or rich\n{result.stderr}"
