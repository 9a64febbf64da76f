"""What the wizard's UI tests share: the day and the generated secrets pinned, its state file in the test's tree."""

from __future__ import annotations

from datetime import date

import pytest


@pytest.fixture(autouse=True)
def pinned_wizard(monkeypatch, tmp_path):
    """Imported by a test module, this applies to each of its tests: IQNs dated 2024-05-01, every generated
    secret the same, the wizard's progress under the test's own XDG_STATE_HOME."""
    import sanctl.names as names
    import sanctl.setup.context as context

    monkeypatch.setattr(context, "today", lambda: date(2024, 5, 1))
    monkeypatch.setattr(names.secrets, "choice", lambda seq: seq[0])
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
