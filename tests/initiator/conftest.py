"""Fixtures for the initiator tests: a fake ``iscsiadm`` first on PATH.

``fake_iscsiadm`` writes a shell shim named ``iscsiadm`` into ``tmp_path/bin``
that runs ``fake_iscsiadm.py`` (which replays real captured outputs), puts
that directory first on PATH, and points ``$FAKE_ISCSIADM_SCENARIO`` at a
scenario: a file of ``scenarios/`` by name, or rules given inline.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from initiator_helpers import write_shim

HERE = Path(__file__).resolve().parent
FAKE = HERE / "fake_iscsiadm.py"
SCENARIOS = HERE / "scenarios"
CASES_FILE = HERE.parent / "fixtures" / "initiator" / "iscsiadm-cases.json"


class FakeIscsiadm:
    """The fake's controls: pick a scenario, read back the calls made."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.bin = tmp_path / "bin"
        self.shim = write_shim(self.bin, "iscsiadm", f'#!/bin/sh\nexec "{sys.executable}" "{FAKE}" "$@"\n')
        self.log = tmp_path / "iscsiadm-calls.jsonl"
        self.scenario_file = tmp_path / "scenario.json"
        monkeypatch.setenv("PATH", f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}")
        monkeypatch.setenv("FAKE_ISCSIADM_SCENARIO", str(self.scenario_file))
        monkeypatch.setenv("FAKE_ISCSIADM_LOG", str(self.log))
        self.rules([])

    def use(self, name: str) -> FakeIscsiadm:
        """A scenario of tests/initiator/scenarios/ by name."""
        self.scenario_file.write_text((SCENARIOS / f"{name}.json").read_text())
        return self

    def rules(self, rules: list[dict]) -> FakeIscsiadm:
        self.scenario_file.write_text(json.dumps({"rules": rules}))
        return self

    def calls(self) -> list[list[str]]:
        return [entry["argv"] for entry in self.entries()]

    def entries(self) -> list[dict]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]


@pytest.fixture
def fake_iscsiadm(tmp_path, monkeypatch) -> FakeIscsiadm:
    return FakeIscsiadm(tmp_path, monkeypatch)


@pytest.fixture(scope="session")
def captured() -> dict[str, dict]:
    """The captured cases by name."""
    data = json.loads(CASES_FILE.read_text())
    return {case["name"]: case for case in data["cases"]}


@pytest.fixture
def demo_adm(demo):
    """The demo SAN's simulated iscsiadm (answering at once), on a fresh demo."""
    from sanctl.sim.iscsiadm import demo_backend

    return demo_backend(str(demo), delay=0)
