"""Fixtures for the setup wizard's domain: the demo SAN, an empty simulated kernel, their contexts."""

from __future__ import annotations

from datetime import date

import pytest

DAY = date(2024, 5, 1)


@pytest.fixture(autouse=True)
def _pinned_day(monkeypatch):
    import sanctl.setup.context as context

    monkeypatch.setattr(context, "today", lambda: DAY)


@pytest.fixture
def demo_root(tmp_path):
    from sanctl.sim.demo import build_demo

    root = tmp_path / "demo"
    build_demo(root)
    return str(root)


@pytest.fixture
def empty_root(tmp_path):
    """A simulated kernel with the target modules loaded and nothing configured."""
    from sanctl.sim.layout import SimKernel

    root = tmp_path / "empty"
    SimKernel.boot(root)
    return str(root)


@pytest.fixture
def demo_writer(demo_root):
    from sanctl.sim.writer import SimWriter

    return SimWriter(demo_root)


@pytest.fixture
def demo_ctx(demo_root, demo_writer):
    from sanctl.host.demo import DemoHost
    from sanctl.setup.context import gather

    return gather(DemoHost(demo_root), name="san01", backing=demo_writer.backing_file)


def export(root: str) -> dict:
    """What ``sanctl export`` prints for ``root``, as data."""
    from sanctl.lio.configfs import read_config
    from sanctl.lio.saveconfig import dump

    return dump(read_config(root, details=True))
