"""The runner's answer to a guest kernel oops, drilled on the real kernel (opt-in: ``tests/kernel/run -- --crash-drill``).

On the VM's first boot this test crashes the guest's kernel (sysrq ``c``); the
runner must see the crash on the console, boot a fresh VM and run this test again
there (``SANCTL_VM_BOOT=2``), where it passes.  Not part of the ordinary tier: it
costs a second boot.
"""

from __future__ import annotations

import os
import time

import pytest

pytestmark = pytest.mark.kernel


def test_a_guest_kernel_crash_is_survived_by_a_fresh_vm(request, kernel_env):
    if not request.config.getoption("--crash-drill", default=False):
        pytest.skip("the crash drill runs with: tests/kernel/run -- --crash-drill")
    boot = os.environ.get("SANCTL_VM_BOOT")
    assert boot in ("1", "2"), f"the runner did not say which boot this is ({boot!r})"
    if boot == "1":
        os.sync()
        with open("/proc/sysrq-trigger", "w") as trigger:
            trigger.write("c")
        time.sleep(60)  # not reached: the kernel panics (oops=panic) and qemu stops
        pytest.fail("the guest kernel did not crash on sysrq c")
