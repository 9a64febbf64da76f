"""Issue 14, reproducer 4: targetcli's lock held by a local user (any user can: the file is 0644).

The holder runs as ``nobody`` with ``password=…`` and ``[/]`` on its command
line: sanctl must not wait on it, must say who holds it (pid, user, program —
never arguments) and go ahead only when told to.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time

import pytest

from .conftest import run_cli

SECRET = "password=hunter2-lock-secret"
HOLD = ('use Fcntl qw(:flock); open(my $f, "<&=", $ARGV[0]) or die "open: $!"; '
        'flock($f, LOCK_EX) or die "flock: $!"; $| = 1; print "held\\n"; sleep 120;')


def _as_nobody() -> None:
    os.setgid(65534)
    os.setuid(65534)


@pytest.fixture
def user_holds_the_lock(demo):
    """A process of nobody's holding <root>/var/run/targetcli.lock through a read-only descriptor."""
    if os.geteuid() != 0 or shutil.which("perl") is None:
        pytest.skip("needs root (to run a holder as nobody) and perl")
    path = demo / "var" / "run" / "targetcli.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o644)
    fd = os.open(path, os.O_RDONLY)
    try:
        holder = subprocess.Popen(["perl", "-e", HOLD, str(fd), SECRET, "[/]"], pass_fds=(fd,),
                                  stdout=subprocess.PIPE, preexec_fn=_as_nobody)
    finally:
        os.close(fd)
    assert holder.stdout.readline() == b"held\n"
    yield holder
    holder.kill()
    holder.wait()


def test_a_lock_held_by_a_user_is_not_waited_on_and_names_no_arguments(demo, user_holds_the_lock):
    done = run_cli("--demo", "--root", str(demo), "save")
    assert done.returncode == 1 and done.clean, done.stderr
    assert f"pid {user_holds_the_lock.pid} (user nobody, program perl)" in done.stderr
    assert "not by root" in done.stderr and "--force" in done.stderr
    assert "hunter2" not in done.stderr + done.stdout
    assert not (demo / "etc" / "target" / "saveconfig.json").exists()


def test_the_json_output_names_no_arguments_either(demo, user_holds_the_lock):
    done = run_cli("--demo", "--root", str(demo), "save", "--json")
    document = json.loads(done.stdout)
    assert document["ok"] is False and "user nobody" in document["error"]
    assert "hunter2" not in done.stdout + done.stderr


def test_force_goes_ahead_past_a_user_lock(demo, user_holds_the_lock):
    done = run_cli("--demo", "--root", str(demo), "save", "--force")
    assert done.returncode == 0, done.stderr
    assert (demo / "etc" / "target" / "saveconfig.json").is_file()


async def test_the_tui_asks_before_going_past_a_user_lock_and_shows_the_holder_as_text(demo, user_holds_the_lock):
    from sanctl.ui.app import SanctlApp
    from sanctl.ui.screens.confirm import ConfirmScreen

    app = SanctlApp(root=str(demo), mode="demo", readonly=False, readonly_reason=None, theme=None, host="san01")
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(3):
            await pilot.pause()
            await app.workers.wait_for_complete()
        await pilot.press("s")  # a MarkupError here ended the app before (the holder's "[/]")
        for _ in range(3):
            await pilot.pause()
            await app.workers.wait_for_complete()
        assert isinstance(app.screen, ConfirmScreen)
        body = str(app.screen.query_one("#confirm-body").render())
        assert "user nobody" in body and "hunter2" not in body
        app.screen.dismiss(True)
        for _ in range(3):
            await pilot.pause()
            await app.workers.wait_for_complete()
    assert (demo / "etc" / "target" / "saveconfig.json").is_file()


def test_a_root_holder_is_still_waited_on_then_reported(tmp_path):
    import fcntl

    from sanctl.lio.lock import LockBusy, LockHeldByUser, targetcli_lock

    path = tmp_path / "var" / "run" / "targetcli.lock"
    path.parent.mkdir(parents=True)
    path.touch()
    held = subprocess.Popen(["flock", "-x", str(path), "sleep", "60"]) if shutil.which("flock") else None
    if held is None:
        pytest.skip("needs flock(1)")
    try:
        for _ in range(200):  # until flock(1) has it
            time.sleep(0.05)
            fd = os.open(path, os.O_RDONLY)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(fd, fcntl.LOCK_UN)
            except OSError:
                break
            finally:
                os.close(fd)
        with pytest.raises(LockBusy) as info:
            with targetcli_lock(str(tmp_path), timeout=0.2):
                pass
        assert not isinstance(info.value, LockHeldByUser)
        assert "user root" in str(info.value) and "sleep" not in str(info.value).split("program")[0]
    finally:
        held.kill()
        held.wait()
