"""Hostile input: the CLI run as a subprocess on mangled trees and files, with a timeout and a memory cap.

Each case is built here (a FIFO where a file belongs, a link to /dev/zero, a
link loop, a stray directory, huge numbers, hostile JSON, a lock held by
``nobody``) and sanctl must answer within seconds, without a traceback, in
bounded memory.

Hypothesis profiles: ``ci`` (the default, bounded examples) and ``long``
(for a local soak): ``SANCTL_HYPOTHESIS_PROFILE=long python -m pytest tests/hostile``.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("long", max_examples=5000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("SANCTL_HYPOTHESIS_PROFILE", "ci"))

#: The checkout the tests belong to: the subprocess imports sanctl from here.
REPO = Path(__file__).resolve().parents[2]
CONFIGFS = "sys/kernel/config/target"
WEB = "iqn.2024-01.com.example:web"
WEB_TPG = f"{CONFIGFS}/iscsi/{WEB}/tpgt_1"
WEB_DATA = f"{CONFIGFS}/core/fileio_6/web-data"
#: Address space a CLI run may use: a 4 GB runaway read fails instead of swapping.
MEMORY_CAP = 1 << 30
#: Seconds a CLI run may take before it counts as a hang.
TIMEOUT = 30


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str

    @property
    def clean(self) -> bool:
        """No traceback and no line of Python's own (``ValueError: …``, ``MemoryError``)."""
        return "Traceback" not in self.stderr and not re.search(r"^\w*(Error|Exception)\b", self.stderr, re.M)


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def run_cli(*args: str | bytes, stdin: str | None = None, env: dict | None = None, prefix: tuple = (),
            memory_cap: bool = True, timeout: float = TIMEOUT) -> Run:
    """``python -m sanctl ARGS`` from this checkout; fails the test on a hang."""
    environment = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    command = [*prefix, sys.executable, "-m", "sanctl", *args]
    try:
        done = subprocess.run(command, cwd=REPO, env=environment, capture_output=True, timeout=timeout,
                              input=stdin.encode() if stdin is not None else b"",
                              preexec_fn=_cap_memory if memory_cap else None)
    except subprocess.TimeoutExpired:
        pytest.fail(f"sanctl {' '.join(map(str, args))} did not return within {timeout} s")
    return Run(done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"))


@pytest.fixture(scope="session")
def demo_base(tmp_path_factory) -> Path:
    """The demo SAN written once, copied for each mangled case."""
    from sanctl.sim.demo import build_demo

    base = tmp_path_factory.mktemp("hostile-base") / "root"
    build_demo(base)
    return base


@pytest.fixture
def tree(demo_base, tmp_path) -> Path:
    """A private copy of the demo tree to mangle."""
    dest = tmp_path / "root"
    shutil.copytree(demo_base, dest, symlinks=True)
    return dest


def _traversable(path: Path) -> bool:
    return all(os.stat(p).st_mode & 0o001 for p in [path, *path.parents])


@pytest.fixture
def public_tree(demo_base) -> Path:
    """A copy of the demo tree where a process without DAC override can reach it (not under a 0700 /tmp)."""
    for candidate in (Path(tempfile.gettempdir()), Path("/var/tmp"), Path("/dev/shm")):
        if candidate.is_dir() and _traversable(candidate):
            break
    else:
        pytest.skip("no world-traversable temporary directory")
    holder = Path(tempfile.mkdtemp(prefix="sanctl-hostile-", dir=candidate))
    holder.chmod(0o755)
    dest = holder / "root"
    shutil.copytree(demo_base, dest, symlinks=True)
    yield dest
    for path in dest.rglob("*"):
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)
    shutil.rmtree(holder, ignore_errors=True)


#: Run as root without the right to bypass file modes: what "unreadable" means to the operator's tool.
NO_DAC = ("setpriv", "--bounding-set=-dac_override,-dac_read_search")


def no_dac_prefix() -> tuple[str, ...]:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to drop CAP_DAC_OVERRIDE")
    if not _traversable(REPO):
        pytest.skip(f"{REPO} cannot be reached without DAC override")
    return NO_DAC


@pytest.fixture
def no_hang():
    """Fail an in-process read that blocks (a FIFO opened without O_NONBLOCK) instead of hanging the run."""
    import signal

    def expire(signum, frame):
        raise TimeoutError("the read blocked")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)
