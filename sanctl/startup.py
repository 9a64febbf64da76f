"""Decide what sanctl is looking at before anything is drawn.

The real kernel, a captured tree (``--root DIR``) or the demo SAN; writable
or read-only, and why. When there is no LIO configfs the reason is named
(not Linux, configfs not mounted, target modules not loaded, a container)
and ``--demo`` offered, instead of a traceback.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from sanctl.errors import SanctlError
from sanctl.host.protocol import Capabilities, capabilities_of
from sanctl.lio.configfs import CONFIGFS_TARGET


class StartupError(SanctlError):
    """sanctl cannot start as asked; ``exit_code`` says how to exit."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True, slots=True)
class Source:
    """Where the configuration comes from, and whether it may be changed."""

    root: str
    mode: str  # "real", "captured" or "demo"
    readonly: bool
    readonly_reason: str | None
    temporary: bool = False

    @property
    def capabilities(self) -> Capabilities:
        """What the source's host can do (as its :class:`~sanctl.host.protocol.Host` says)."""
        return capabilities_of(self.mode, readonly=self.readonly)

    def show_path(self, text: str) -> str:
        """``text`` with paths under a simulated host's scratch root written ``demo:/…``."""
        root = self.root.rstrip("/")
        return text.replace(root + "/", "demo:/") if self.capabilities.simulated and root else text

    def cleanup(self) -> None:
        """Remove a temporary demo root."""
        if self.temporary:
            import shutil  # imported where used: start-up time of every printing command

            shutil.rmtree(self.root, ignore_errors=True)


_DEMO_HINT = "Try the demo SAN instead: sanctl --demo"


def diagnose_missing_configfs(proc: str = "/proc", sys_root: str = "/sys") -> str:
    """Why ``/sys/kernel/config/target`` is missing on this host, in one sentence."""
    import platform

    if platform.system() != "Linux":
        return f"This is {platform.system()}, not Linux: the LIO target exists only in the Linux kernel."
    try:
        with open(os.path.join(proc, "filesystems"), encoding="utf-8") as handle:
            filesystems = handle.read()
    except OSError:
        filesystems = ""
    in_container = os.path.exists("/.dockerenv") or os.path.exists("/run/.containerenv")
    if "configfs" not in filesystems:
        cause = "The kernel has no configfs (module configfs not loaded or not built)"
        if in_container:
            cause += "; this looks like a container, which cannot load kernel modules"
        return cause + ". Load it with: modprobe configfs && mount -t configfs none /sys/kernel/config"
    config_dir = os.path.join(sys_root, "kernel", "config")
    if not os.path.isdir(config_dir) or not os.listdir(config_dir):
        if os.path.isdir(config_dir) and not os.path.ismount(config_dir):
            return "configfs is not mounted. Mount it with: mount -t configfs none /sys/kernel/config"
    if in_container:
        return "The LIO target is not visible here; this looks like a container without the host's configfs."
    return (
        "The LIO target modules are not loaded. Load them with: "
        "modprobe target_core_mod iscsi_target_mod (or start target.service)"
    )


def resolve_source(*, root: str | None, demo: bool, readonly: bool, need_target: bool = True) -> Source:
    """Work out the source for the command line options given.

    ``need_target=False`` is for initiator commands: a client host has
    open-iscsi but no LIO target, and that is fine there.
    """
    if demo:
        return _demo_source(root, readonly)
    if root is not None and os.path.abspath(root) != "/":
        if not os.path.isdir(root):
            raise StartupError(f"--root {root}: no such directory.", exit_code=2)
        if not os.path.isdir(os.path.join(root, CONFIGFS_TARGET)):
            raise StartupError(
                f"--root {root}: no LIO configfs tree there (expected {os.path.join(root, CONFIGFS_TARGET)}).",
                exit_code=2,
            )
        return Source(root, "captured", True, "reading a captured tree, not the running kernel")
    if need_target and not os.path.isdir(os.path.join("/", CONFIGFS_TARGET)):
        raise StartupError(f"No LIO target on this host. {diagnose_missing_configfs()}\n{_DEMO_HINT}")
    if readonly:
        return Source("/", "real", True, "--readonly")
    if os.geteuid() != 0:
        return Source("/", "real", True, "not root: changes need root")
    return Source("/", "real", False, None)


def fast_temp_dir() -> str | None:
    """A memory-backed directory for scratch trees, if the host has one.

    The demo SAN is a couple of thousand small files; on a slow disk writing
    them takes seconds, on tmpfs a few tens of milliseconds.
    """
    for candidate in (os.environ.get("XDG_RUNTIME_DIR"), "/dev/shm"):
        if candidate and os.path.isdir(candidate) and os.access(candidate, os.W_OK | os.X_OK) and _roomy(candidate):
            return candidate
    return None


def _roomy(path: str) -> bool:
    """Room for scratch trees: a full tmpfs (bytes or inodes) would fail every write."""
    try:
        st = os.statvfs(path)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize >= 256 * 1024**2 and (st.f_favail == 0 and st.f_files == 0 or st.f_favail >= 200_000)


def _demo_source(root: str | None, readonly: bool) -> Source:
    temporary = root is None
    if root is None:
        import tempfile

        root = tempfile.mkdtemp(prefix="sanctl-demo-", dir=fast_temp_dir())
    elif os.path.exists(root) and not os.path.isdir(root):
        raise StartupError(f"--root {root}: not a directory.", exit_code=2)
    if not os.path.isdir(os.path.join(root, CONFIGFS_TARGET)):
        from sanctl.host.demo import DemoHost  # only when there is a tree to write

        try:
            os.makedirs(root, exist_ok=True)
            DemoHost.build(root)
        except OSError as exc:
            raise StartupError(f"Cannot write the demo SAN under {root}: {exc.strerror or exc}", exit_code=2) from exc
    reason = "--readonly" if readonly else None
    return Source(root, "demo", readonly, reason, temporary)
