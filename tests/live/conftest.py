"""Fixtures for the live readers: real-kernel trees and captures, the live demo SAN."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

#: A fixed moment for the demo's clock (2026-01-01 12:00:00 UTC).
T0 = 1767268800.0


@pytest.fixture(scope="session")
def kernel_tree(tmp_path_factory) -> Path:
    """The project's own VM capture: two logged-in sessions, one of them dynamic (demo mode)."""
    dest = tmp_path_factory.mktemp("kernel")
    with tarfile.open(FIXTURES / "kernel" / "root.tar.gz") as archive:
        archive.extractall(dest, filter="tar")  # modes and symlinks matter
    return dest


@pytest.fixture
def live_demo(tmp_path):
    """``(root, demo)``: the demo SAN made live at T0 (flapping for 3 minutes already)."""
    from sanctl.sim.demo import build_demo
    from sanctl.sim.live import start_live_demo

    root = tmp_path / "demo"
    build_demo(root)
    return root, start_live_demo(root, now=T0)


def scenario_text(name: str) -> str:
    return (FIXTURES / "scenarios" / name).read_text()


def rac_text(name: str) -> str:
    return (FIXTURES / "rac" / name).read_text()
