"""Fixtures for the exporter: demo trees, the real Prometheus tools, parsing the exposition text.

promtool and prometheus come from Debian's ``prometheus`` package (``.ci/run``
installs it). Without them the tests that need them are skipped with the
reason — and with ``CI=true`` they fail instead, like the kernel tier's
missing pieces: CI cannot go green by skipping.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "contrib" / "prometheus" / "sanctl.rules.yml"
DASHBOARD = REPO / "contrib" / "grafana" / "sanctl.json"
SYSTEMD = REPO / "contrib" / "systemd"
#: 2026-01-01 12:00:00 UTC: the live demo's "now" in tests that drive its clock.
T0 = 1767268800.0


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def need_tool(name: str) -> str:
    """The tool's path; skip without it (fail with CI=true)."""
    found = shutil.which(name)
    if found:
        return found
    message = f"{name} is not installed (Debian: apt-get install prometheus)"
    if _ci():
        pytest.fail(f"CI=true: {message}", pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sanctl(*args: str, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    """``sanctl ARGS`` in a fresh interpreter."""
    return subprocess.run([sys.executable, "-m", "sanctl", *args], capture_output=True, timeout=timeout, **kwargs)


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """The exposition text's samples: (name, labels) -> value, parsed by prometheus-client's own parser."""
    from prometheus_client.parser import text_string_to_metric_families

    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


def value(found: dict, name: str, **labels) -> float | None:
    """The one sample of ``name`` whose labels include ``labels``; None if there is none."""
    want = set(labels.items())
    hits = [v for (n, l), v in found.items() if n == name and want <= set(l)]
    assert len(hits) <= 1, f"{name}{labels}: {len(hits)} samples"
    return hits[0] if hits else None


@pytest.fixture
def demo_root(tmp_path) -> Path:
    """Where ``sanctl --demo --root`` keeps a demo SAN (built by the first command)."""
    return tmp_path / "demo"


@pytest.fixture
def demo_tree(tmp_path) -> Path:
    """An idle demo SAN, built."""
    from sanctl.sim.demo import build_demo

    root = tmp_path / "demo"
    build_demo(root)
    return root
