"""The kernel tier's runner after a guest kernel oops (tests/kernel/guest_crash.py, vmrun.py).

The oops is read from the console CI really printed (Debian 6.1's iscsi_tcp), the
progress file as the guest's conftest writes it.  The drill on the real kernel is
``tests/kernel/run -- --crash-drill`` (tests/kernel/test_crash_drill.py).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

HERE = Path(__file__).resolve().parent
KERNEL = HERE / "kernel"
sys.path.insert(0, str(KERNEL))
import guest_crash  # noqa: E402

CI_TAIL = (HERE / "fixtures" / "guest-crash" / "ci-console-tail.txt").read_text()


def _vmrun():
    spec = importlib.util.spec_from_file_location("sanctl_kernel_vmrun_for_tests", KERNEL / "vmrun.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_oops_ci_saw_is_named_with_the_function_it_hit():
    assert guest_crash.kernel_oops(CI_TAIL) == (
        "BUG: kernel NULL pointer dereference, address: 0000000000000018 "
        "in iscsi_sw_tcp_release_conn+0x67/0x160 [iscsi_tcp]")


def test_refused_logins_and_warnings_are_not_an_oops():
    quiet = "\n".join(line for line in CI_TAIL.splitlines() if "856.1" not in line and "856.2" not in line)
    assert "iSCSI Login negotiation failed." in quiet and "Security negotiation failed." in CI_TAIL
    assert guest_crash.kernel_oops(quiet) is None
    assert guest_crash.kernel_oops("[   12.5] WARNING: CPU: 0 PID: 1 at fs/configfs/dir.c:1 x\n") is None


def test_a_panic_without_an_oops_line_is_still_a_crash_and_a_user_space_rip_names_no_function():
    # as the crash drill's console has it (sysrq c, from a write() in user space)
    console = ("[   42.530076] sysrq: Trigger a crash\n"
               "[   42.531847] Kernel panic - not syncing: sysrq triggered crash\n"
               "[   42.535384]  sysrq_handle_crash+0x16/0x20\n"
               "[   42.535384] RIP: 0033:0x7f7464154350\n")
    assert guest_crash.kernel_oops(console) == "Kernel panic - not syncing: sysrq triggered crash"


PROGRESS = ("start\ttests/kernel/a.py::test_one\nend\tpassed\ttests/kernel/a.py::test_one\n"
            "start\ttests/kernel/a.py::test_two[x-1]\nend\tskipped\ttests/kernel/a.py::test_two[x-1]\n"
            "start\ttests/kernel/b.py::test_three\nend\tpas")


def test_progress_names_the_finished_tests_and_the_one_that_was_running():
    progress = guest_crash.read_progress(PROGRESS)
    assert progress.finished == {"tests/kernel/a.py::test_one": "passed",
                                 "tests/kernel/a.py::test_two[x-1]": "skipped"}
    assert progress.running == "tests/kernel/b.py::test_three"


def test_the_fresh_vm_runs_what_did_not_finish_with_the_same_arguments():
    args = guest_crash.resume_args(["-q", "-k", "login"], guest_crash.read_progress(PROGRESS))
    assert args == ["-q", "-k", "login", "--deselect", "tests/kernel/a.py::test_one",
                    "--deselect", "tests/kernel/a.py::test_two[x-1]"]


def test_no_second_vm_once_a_test_had_failed_on_its_own():
    progress = guest_crash.read_progress(PROGRESS + "\nend\tfailed\ttests/kernel/b.py::test_three\n")
    assert progress.failed == ["tests/kernel/b.py::test_three"]
    assert guest_crash.resume_args([], progress) is None


@given(st.text())
def test_any_console_or_progress_text_is_read_without_error(text):
    guest_crash.kernel_oops(text)
    progress = guest_crash.read_progress(text)
    assert all(outcome in ("passed", "failed", "skipped") for outcome in progress.finished.values())


_nodeids = st.text(st.characters(blacklist_characters="\t\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"), min_size=1)


@given(st.lists(st.tuples(_nodeids, st.sampled_from(["passed", "failed", "skipped"]))))
def test_progress_written_as_the_guest_writes_it_reads_back(events):
    text = "".join(guest_crash.start_line(nodeid) + guest_crash.end_line(outcome, nodeid)
                   for nodeid, outcome in events)
    progress = guest_crash.read_progress(text)
    assert progress.finished == dict(events) and progress.running is None


class _FakeBoots:
    """Stands in for qemu: the first boot 'crashes' mid-test, the second passes."""

    def __init__(self, tmp_path: Path, vmrun, second_oops: str | None = None, progress: str = PROGRESS,
                 second_rc: int = 0) -> None:
        self.calls: list[tuple[list[str], float, int]] = []
        self.tmp, self.vmrun, self.second_oops = tmp_path, vmrun, second_oops
        self.progress, self.second_rc = progress, second_rc

    def __call__(self, opts, pytest_args, timeout, *, number=1, **vm):
        self.calls.append((list(pytest_args), timeout, number))
        resdir = self.tmp / f"boot{number}"
        resdir.mkdir()
        if number == 1:
            (resdir / guest_crash.PROGRESS_NAME).write_text(self.progress)
            (resdir / "console.log").write_text(CI_TAIL)
            return self.vmrun._Boot(125, 900.0, resdir, "BUG: kernel NULL pointer dereference in x [iscsi_tcp]")
        return self.vmrun._Boot(125 if self.second_oops else self.second_rc, 300.0, resdir, self.second_oops)


@pytest.fixture
def vmrun(monkeypatch, tmp_path):
    module = _vmrun()
    monkeypatch.setattr(module, "missing_pieces", lambda: [])
    monkeypatch.setattr(module, "find_kernel", lambda: ("6.1", tmp_path / "vmlinuz", tmp_path / "mods"))
    monkeypatch.setattr(module, "build_initramfs", lambda: tmp_path / "initrd")
    monkeypatch.setattr(module, "_check_python", lambda capture: None)
    monkeypatch.setattr(module, "LAST_RUN", tmp_path / "last-run")
    return module


def test_after_an_oops_the_runner_boots_once_more_for_the_rest(vmrun, monkeypatch, tmp_path, capsys):
    boots = _FakeBoots(tmp_path, vmrun)
    monkeypatch.setattr(vmrun, "_boot", boots)
    assert vmrun.run(["--accel=tcg", "--timeout=2700", "-q"]) == 0
    (first, t1, n1), (second, t2, n2) = boots.calls
    assert (first, n1, n2) == (["-q"], 1, 2)
    assert second == ["-q", "--deselect", "tests/kernel/a.py::test_one",
                      "--deselect", "tests/kernel/a.py::test_two[x-1]"]
    assert t2 == 2700 - 900 + 300
    said = capsys.readouterr().err
    assert "while tests/kernel/b.py::test_three ran, after 2 tests had finished" in said
    assert (tmp_path / "last-run" / "console-crashed.log").read_text() == CI_TAIL


def test_a_second_oops_fails_the_tier(vmrun, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(vmrun, "_boot", _FakeBoots(tmp_path, vmrun, second_oops="Oops: again"))
    assert vmrun.run(["--accel=tcg"]) == 125
    assert "crashed again (Oops: again): failing" in capsys.readouterr().err


def test_a_crash_after_the_last_test_leaves_nothing_to_run_and_passes(vmrun, monkeypatch, tmp_path, capsys):
    finished = "".join(line + "\n" for line in PROGRESS.splitlines()[:4])
    monkeypatch.setattr(vmrun, "_boot", _FakeBoots(tmp_path, vmrun, progress=finished, second_rc=5))
    assert vmrun.run(["--accel=tcg"]) == 0
    assert "nothing was left to run" in capsys.readouterr().err


def test_the_rerun_failing_fails_the_tier(vmrun, monkeypatch, tmp_path):
    monkeypatch.setattr(vmrun, "_boot", _FakeBoots(tmp_path, vmrun, second_rc=1))
    assert vmrun.run(["--accel=tcg"]) == 1
