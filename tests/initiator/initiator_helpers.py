"""Helpers shared by the initiator tests (a module, not conftest, so tests can import it)."""

from __future__ import annotations

import stat
from pathlib import Path


def write_shim(directory: Path, name: str, script: str) -> Path:
    """An executable script ``directory/name`` (put ``directory`` first on PATH to use it)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path
