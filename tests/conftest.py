"""Shared fixtures: real-kernel trees unpacked with their modes and symlinks."""

from __future__ import annotations

import shutil
import tarfile
import tempfile
from pathlib import Path

import pytest

from sanctl.startup import fast_temp_dir

FIXTURES = Path(__file__).parent / "fixtures"


def pytest_configure(config):
    """Keep test trees in memory when the host has tmpfs: they are thousands of small files."""
    if config.option.basetemp is None and fast_temp_dir():
        config.option.basetemp = tempfile.mkdtemp(prefix="sanctl-pytest-", dir=fast_temp_dir())
        config._sanctl_basetemp = config.option.basetemp


def pytest_unconfigure(config):
    basetemp = getattr(config, "_sanctl_basetemp", None)
    if basetemp:
        shutil.rmtree(basetemp, ignore_errors=True)


def unpack(tarball: Path, dest: Path) -> Path:
    """Unpack a captured tree keeping modes and symlinks (git would lose them)."""
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball) as archive:
        archive.extractall(dest, filter="tar")
    return dest


@pytest.fixture
def demo(tmp_path) -> Path:
    """A fresh demo SAN (``sanctl.sim.demo``) under a private root, free to change."""
    from sanctl.sim.demo import build_demo

    root = tmp_path / "demo"
    build_demo(root)
    return root


@pytest.fixture(scope="session")
def _rac_trees(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("rac")
    return {
        name: unpack(FIXTURES / "rac" / f"{name}-root.tar.gz", base / name)
        for name in ("idle", "live")
    }


@pytest.fixture(scope="session")
def kernel_capture(tmp_path_factory) -> Path:
    """The rich capture made by ``tests/kernel/run --capture`` (every backstore kind, CHAP, demo mode, a session)."""
    return unpack(FIXTURES / "kernel" / "root.tar.gz", tmp_path_factory.mktemp("kernel-capture"))


@pytest.fixture
def rac_idle(_rac_trees, tmp_path) -> Path:
    """A private copy of the RAC example as the real kernel showed it, no session."""
    dest = tmp_path / "idle"
    shutil.copytree(_rac_trees["idle"], dest, symlinks=True)
    return dest


@pytest.fixture
def rac_live(_rac_trees, tmp_path) -> Path:
    """The RAC example with one logged-in initiator (target and initiator sysfs)."""
    dest = tmp_path / "live"
    shutil.copytree(_rac_trees["live"], dest, symlinks=True)
    return dest


@pytest.fixture(scope="session")
def rac_idle_shared(_rac_trees) -> Path:
    """The RAC tree for tests that only read it."""
    return _rac_trees["idle"]


@pytest.fixture(scope="session")
def rac_live_shared(_rac_trees) -> Path:
    return _rac_trees["live"]
