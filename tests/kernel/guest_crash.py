"""What a crashed guest kernel leaves behind, and which tests a fresh VM must run again.

Debian's kernel can oops in its own iSCSI initiator (6.1's ``iscsi_tcp`` has a race
on a refused login: a NULL dereference in ``iscsi_sw_tcp_release_conn`` from the
connection clean-up work, seen once in CI).  After an oops the guest's kernel is
broken, so nothing it runs afterwards means anything.  The guest boots with
``oops=panic`` and qemu stops at once; the runner then reads the console for the
oops and the guest's progress file for the tests that had finished, and runs the
test that was running and those not yet run in a fresh VM, once.

Standard library only (vmrun.py runs with any python3).  The progress file is
written in the guest by tests/kernel/conftest.py, one line per event::

    start<TAB>nodeid
    end<TAB>outcome<TAB>nodeid        (outcome: passed, failed or skipped)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

PROGRESS_NAME = "progress.txt"

#: The console lines that say the kernel itself failed (an oops, a BUG(), a panic).
_OOPS = re.compile(r"\]\s+(BUG: .*|kernel BUG at .*|Oops: .*|general protection fault.*|Kernel panic - .*)$")
#: The kernel function the oops hit (a user-space RIP, ``0033:0x7f…``, names none).
_RIP = re.compile(r"\]\s+RIP: [0-9a-f]{4}:([A-Za-z_][\w.]*\+0x[0-9a-f]+/0x[0-9a-f]+)(?: \[(\S+)\])?")


def kernel_oops(console: str) -> str | None:
    """The first oops on the guest's console, in one line (with the function it hit), or None."""
    first = rip = None
    for line in console.splitlines():
        if first is None:
            found = _OOPS.search(line)
            if found:
                first = found.group(1).strip()
        elif rip is None:
            found = _RIP.search(line)
            if found:
                rip = found.group(1) + (f" [{found.group(2)}]" if found.group(2) else "")
                break
    if first is None:
        return None
    return f"{first} in {rip}" if rip else first


#: How a test's end outranks another phase's: a test that failed in any phase failed.
_RANK = {"passed": 0, "skipped": 1, "failed": 2}


def start_line(nodeid: str) -> str:
    return f"start\t{nodeid}\n"


def end_line(outcome: str, nodeid: str) -> str:
    return f"end\t{outcome}\t{nodeid}\n"


def worse(outcome: str, than: str) -> str:
    """The worse of two phases' outcomes (setup, call, teardown) of one test."""
    return outcome if _RANK[outcome] > _RANK[than] else than


@dataclass
class Progress:
    """The guest's tests as far as they got: finished ones with their outcome, and the one running."""

    finished: dict[str, str] = field(default_factory=dict)
    running: str | None = None

    @property
    def failed(self) -> list[str]:
        return [nodeid for nodeid, outcome in self.finished.items() if outcome == "failed"]


def read_progress(text: str) -> Progress:
    """Parse the progress file; a torn last line (the guest died mid-write) is ignored."""
    progress = Progress()
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) == 2 and parts[0] == "start" and parts[1]:
            progress.running = parts[1]
        elif len(parts) == 3 and parts[0] == "end" and parts[1] in _RANK and parts[2]:
            progress.finished[parts[2]] = parts[1]
            if progress.running == parts[2]:
                progress.running = None
    return progress


def resume_args(pytest_args: list[str], progress: Progress) -> list[str] | None:
    """The pytest arguments for the fresh VM: the same, without the tests that finished.

    None when a test had already failed before the crash: the tier has failed on
    its own account and a second VM would only hide that."""
    if progress.failed:
        return None
    args = list(pytest_args)
    for nodeid in progress.finished:
        args += ["--deselect", nodeid]
    return args
