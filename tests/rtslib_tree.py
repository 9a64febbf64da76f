"""Point rtslib-fb at an unpacked configfs tree, for reading only.

rtslib-fb normally mounts configfs and loads modules in ``RTSRoot()``; a plain
directory tree (unpacked from a fixture tarball with modes and symlinks intact,
or written by the demo SAN) reads the same once those steps are bypassed and
``CFSNode.configfs_dir`` points at ``<root>/sys/kernel/config/target``.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from unittest import mock


@contextlib.contextmanager
def rtslib_on_tree(root: str | Path):
    """Yield an ``RTSRoot`` reading the configfs tree under ``root``."""
    import rtslib.fabric
    import rtslib.node
    import rtslib.root
    import rtslib.tcm

    cfs = str(Path(root).resolve() / "sys/kernel/config/target")
    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch.object(rtslib.node.CFSNode, "configfs_dir", cfs))
        stack.enter_context(mock.patch.object(rtslib.root, "mount_configfs", lambda: None))
        stack.enter_context(mock.patch.object(rtslib.root, "modprobe", lambda _m: None))
        stack.enter_context(mock.patch.object(rtslib.fabric, "modprobe", lambda _m: None))
        stack.enter_context(
            mock.patch.object(rtslib.root.RTSRoot, "_set_dbroot", lambda self: None)
        )
        yield rtslib.root.RTSRoot()
