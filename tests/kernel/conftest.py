"""The kernel tier: real LIO target + real open-iscsi initiator, inside a VM.

Kernel tests (``@pytest.mark.kernel``) run only in the qemu guest that
``tests/kernel/run`` boots (it sets ``SANCTL_IN_VM=1``).  On the host they are
skipped with a message naming what is needed; with ``CI=true`` a missing
piece of the tier is a failure instead, so CI cannot go green by skipping.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
IN_VM = os.environ.get("SANCTL_IN_VM") == "1"
_FAIL = pytest.StashKey[str]()

if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
import guest_crash  # noqa: E402  (tests/kernel's own modules are on the path from here on)


def _vmrun():
    spec = importlib.util.spec_from_file_location("sanctl_kernel_vmrun", HERE / "vmrun.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def _host_gate() -> tuple[bool, str]:
    """(ready, message) for a kernel test collected on the host."""
    missing = _vmrun().missing_pieces()
    if missing:
        return False, (
            "kernel tier not set up: missing " + "; ".join(missing)
            + ". Install qemu-system-x86 and linux-image-amd64 (unpacked, not installed) "
            "with tests/kernel/setup-host, then run tests/kernel/run"
        )
    return True, "runs in the VM: tests/kernel/run"


def pytest_addoption(parser):
    parser.addoption("--crash-drill", action="store_true", default=False,
                     help="crash the guest kernel once to drill the runner's fresh-VM rerun "
                          "(tests/kernel/test_crash_drill.py)")


def pytest_configure(config):
    # rtslib-fb 2.2.4 calls pyudev APIs that warn on every lookup: noise, not ours.
    config.addinivalue_line("filterwarnings", "ignore:Will be removed in 1.0:DeprecationWarning")


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def pytest_collection_modifyitems(config, items):
    # Everything under tests/kernel needs the VM, marked or not.
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents and not item.get_closest_marker("kernel"):
            item.add_marker(pytest.mark.kernel)
    if IN_VM:
        return
    kernel_items = [item for item in items if item.get_closest_marker("kernel")]
    if not kernel_items:
        return
    ready, message = _host_gate()
    for item in kernel_items:
        if _ci() and not ready:
            item.stash[_FAIL] = message
        else:
            item.add_marker(pytest.mark.skip(reason=message))


# ---------------------------------------------------------------------------
# Progress (in the VM): which test ran and how it ended, line by line into the
# results share, so that after a guest kernel oops the runner knows which tests
# finished and which one was running (tests/kernel/guest_crash.py).
# ---------------------------------------------------------------------------
_PROGRESS = Path("/sanctl-results") / guest_crash.PROGRESS_NAME
_outcomes: dict[str, str] = {}


def _progress(line: str) -> None:
    if not IN_VM or not _PROGRESS.parent.is_dir():
        return
    with open(_PROGRESS, "a", encoding="utf-8") as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())


def pytest_runtest_logstart(nodeid, location):
    _progress(guest_crash.start_line(nodeid))


def pytest_runtest_logreport(report):
    _outcomes[report.nodeid] = guest_crash.worse(report.outcome, _outcomes.get(report.nodeid, "passed"))


def pytest_runtest_logfinish(nodeid, location):
    _progress(guest_crash.end_line(_outcomes.pop(nodeid, "passed"), nodeid))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    message = item.stash.get(_FAIL, None)
    if message:
        pytest.fail(f"CI=true: {message}", pytrace=False)


# ---------------------------------------------------------------------------
# Fixtures (used inside the VM only)
# ---------------------------------------------------------------------------
@pytest.fixture(scope="session")
def kernel_env():
    """Check that this really is the prepared guest."""
    if not IN_VM:
        pytest.fail("kernel fixtures need the VM (tests/kernel/run)", pytrace=False)
    import ktools

    if os.geteuid() != 0:
        pytest.fail("kernel tests need root in the guest", pytrace=False)
    if not ktools.CFS.is_dir():
        pytest.fail(f"{ktools.CFS} is missing: configfs/target_core_mod not set up", pytrace=False)
    return ktools


class Lab:
    """Scratch backing storage plus the cleanup every kernel test needs."""

    def __init__(self, tmp_path: Path) -> None:
        import ktools

        self.tmp = tmp_path
        self.loops: list[str] = []
        self.kt = ktools

    def rtsroot(self):
        from rtslib import RTSRoot

        return RTSRoot()

    def sparse(self, name: str, size: int) -> Path:
        return self.kt.sparse_file(self.tmp / name, size)

    def loop(self, name: str, size: int) -> str:
        dev = self.kt.losetup(self.sparse(name, size))
        self.loops.append(dev)
        return dev

    def cleanup(self) -> None:
        """Log out everywhere, clear LIO, reset discovery auth, free the loops."""
        from rtslib import RTSRoot
        from rtslib.utils import RTSLibError

        errors = []
        try:
            self.kt.logout_all()
        except Exception as exc:  # keep cleaning; report at the end
            errors.append(f"logout: {exc}")
        try:
            RTSRoot().clear_existing(confirm=True)
        except (RTSLibError, OSError) as exc:
            errors.append(f"clear_existing: {exc}")
        try:
            self.kt.reset_discovery_auth()
        except OSError as exc:
            errors.append(f"discovery auth: {exc}")
        for dev in self.loops:
            self.kt.losetup_detach(dev)
        if errors:
            pytest.fail("cleanup failed: " + "; ".join(errors), pytrace=False)


@pytest.fixture
def lab(kernel_env, tmp_path):
    """Clean LIO and initiator state before and after the test."""
    lab = Lab(tmp_path)
    lab.cleanup()  # a clean start even if an earlier test's cleanup failed
    yield lab
    lab.cleanup()


@pytest.fixture
def basic_san(lab):
    """fileio + ramdisk + block-on-loop, one target/TPG, three LUNs, an ACL, a portal."""
    import ktools

    return ktools.build_basic_san(lab)


@pytest.fixture
def logged_in(basic_san):
    """The basic SAN with this guest's initiator logged in over 127.0.0.1."""
    import ktools

    session = ktools.login(basic_san.target_iqn, expect_disks=len(basic_san.mapped))
    yield session
    ktools.logout_all()
