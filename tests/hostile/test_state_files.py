"""Issue 14, reproducers 3 and 6: sanctl's own state files — damaged ones set aside, every one private and whole."""

from __future__ import annotations

import json
import os
import stat
import subprocess

import pytest

from .conftest import run_cli

DOCTOR_STATE = "var/lib/sanctl/doctor-last-look.json"
NESTED = '{"version": 1, "step": ' + "[" * 100_000 + "]" * 100_000 + "}"


def _demo(tmp_path):
    root = tmp_path / "demo"
    assert run_cli("--demo", "--root", str(root), "show").returncode == 0
    return root


def test_a_damaged_doctor_state_is_moved_aside_and_a_fresh_one_started(tmp_path):
    root = _demo(tmp_path)
    state = root / DOCTOR_STATE
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_text(json.dumps({"version": 1, "wall": 1.0, "counters": []}))
    done = run_cli("--demo", "--root", str(root), "doctor")
    assert done.clean, done.stderr
    assert done.returncode in (0, 1, 2), done.stdout + done.stderr  # looked: not 3
    assert "was damaged" in " ".join((done.stdout + done.stderr).split())  # the report wraps long lines
    assert list(state.parent.glob("doctor-last-look.json.damaged-*"))
    assert json.loads(state.read_text())["version"] == 1  # the fresh one
    again = run_cli("--demo", "--root", str(root), "doctor")
    assert again.returncode in (0, 1, 2) and "was damaged" not in " ".join((again.stdout + again.stderr).split())


def test_the_doctor_state_is_private(tmp_path):
    root = _demo(tmp_path)
    assert run_cli("--demo", "--root", str(root), "doctor").returncode in (0, 1, 2)
    assert stat.S_IMODE((root / DOCTOR_STATE).stat().st_mode) == 0o600


@pytest.fixture
def full_disk(tmp_path):
    """A 4 KB tmpfs: the next write of any size fails with ENOSPC."""
    mount = tmp_path / "full"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4k", "tmpfs", str(mount)],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def test_a_full_disk_leaves_no_temporary_file_behind(full_disk):
    from sanctl.doctor.observe import LastLook, LoginCounters, save_last_look

    look = LastLook(1.0, {f"iqn.2024-01.example:{n:06d}": LoginCounters(1, 2, 3) for n in range(500)})
    path = full_disk / "doctor-last-look.json"
    with pytest.raises(OSError):
        save_last_look(str(path), look)
    assert os.listdir(full_disk) == []


def test_a_deeply_nested_setup_file_is_set_aside_not_waited_on(tmp_path):
    from sanctl.setup.state import load_state

    path = tmp_path / "setup.json"
    path.write_text(NESTED)
    notes: list[str] = []
    assert load_state(str(path), notes) is None
    assert notes and "nested more than" in notes[0]
    assert not path.exists() and list(tmp_path.glob("setup.json.damaged-*"))


@pytest.mark.parametrize("content", [
    '{"version": 1, "answers": []}', '{"version": 1, "answers": {"targets": 5}}', "[1, 2]", "\xff\xfe",
    '{"version": 1, "step": ["checks"]}',
])
def test_a_setup_file_of_the_wrong_shape_starts_afresh(tmp_path, content):
    from sanctl.setup.state import load_state

    path = tmp_path / "setup.json"
    path.write_text(content, encoding="latin-1")
    state = load_state(str(path), [])
    assert state is None or state.step in ("checks", "storage", "target", "portal", "access", "preset", "review")
