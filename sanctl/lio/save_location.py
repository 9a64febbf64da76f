"""Where saveconfig.json lives, and what the boot service's rtslib-fb reads of it.

:func:`locate` finds the file the distribution's boot service reads:
``/etc/rtslib-fb-target/saveconfig.json`` on Debian/Ubuntu,
``/etc/target/saveconfig.json`` elsewhere — always under a ``root``, so the
demo saves to ``<root>/etc/target/…``. :func:`for_boot` drops what an older
rtslib-fb at boot would refuse.

No Textual here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

FILE_NAME = "saveconfig.json"
REDHAT_DIR = "etc/target"
DEBIAN_DIR = "etc/rtslib-fb-target"
BACKUP_DIR = "backup"
MAX_BACKUPS = 10
_UNITS = ("usr/lib/systemd/system", "lib/systemd/system", "etc/systemd/system")


# ---------------------------------------------------------------------------
# Where the file is
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SaveLocation:
    root: str
    directory: str  #: absolute, under root
    why: str

    @property
    def path(self) -> str:
        return os.path.join(self.directory, FILE_NAME)

    @property
    def backup_dir(self) -> str:
        return os.path.join(self.directory, BACKUP_DIR)

    @property
    def shown(self) -> str:
        """The path as the operator knows it (``/etc/target/saveconfig.json``), or the full demo path."""
        return self.path


def _exists_under(root: str, rel: str) -> bool:
    return os.path.exists(os.path.join(root, rel))


def _os_release(root: str) -> dict[str, str]:
    for rel in ("etc/os-release", "usr/lib/os-release"):
        try:
            with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as handle:
                text = handle.read()
        except OSError:
            continue
        out = {}
        for line in text.splitlines():
            key, sep, value = line.partition("=")
            if sep:
                out[key.strip()] = value.strip().strip('"').strip("'")
        return out
    return {}


def locate(root: str = "/") -> SaveLocation:
    """The saveconfig.json the boot service of this system restores.

    Decided, in order, by the boot unit installed (Debian's
    ``rtslib-fb-targetctl.service`` or ``target.service``), an existing file,
    the Debian directory, then ``/etc/os-release`` (``ID``/``ID_LIKE``
    debian or ubuntu); ``/etc/target`` otherwise (RHEL, Fedora, SUSE,
    upstream rtslib-fb).
    """
    root = os.path.abspath(root)
    debian = SaveLocation(root, os.path.join(root, DEBIAN_DIR), "")
    redhat = SaveLocation(root, os.path.join(root, REDHAT_DIR), "")

    def pick(loc: SaveLocation, why: str) -> SaveLocation:
        return SaveLocation(loc.root, loc.directory, why)

    for unit_dir in _UNITS:
        if _exists_under(root, f"{unit_dir}/rtslib-fb-targetctl.service"):
            return pick(debian, "Debian's rtslib-fb-targetctl.service restores it at boot")
    for unit_dir in _UNITS:
        if _exists_under(root, f"{unit_dir}/target.service"):
            return pick(redhat, "target.service restores it at boot")
    if os.path.isfile(debian.path):
        return pick(debian, "a saved configuration exists there")
    if os.path.isfile(redhat.path):
        return pick(redhat, "a saved configuration exists there")
    if os.path.isdir(debian.directory):
        return pick(debian, "Debian's rtslib-fb directory exists")
    release = _os_release(root)
    family = {release.get("ID", "")} | set(release.get("ID_LIKE", "").split())
    if family & {"debian", "ubuntu"}:
        return pick(debian, f"{release.get('ID', 'Debian')} keeps it in /etc/rtslib-fb-target")
    return pick(redhat, "the default of rtslib-fb and targetcli")


# ---------------------------------------------------------------------------
# What the boot service's rtslib-fb understands
# ---------------------------------------------------------------------------

_BOOT_RTSLIB = (
    "usr/lib/python3/dist-packages/rtslib_fb/tcm.py",  # Debian, Ubuntu (python3-rtslib-fb)
    "usr/lib/python3/dist-packages/rtslib/tcm.py",
    "usr/lib/python3*/site-packages/rtslib_fb/tcm.py",  # RHEL, Fedora, SUSE (python3-rtslib)
    "usr/lib/python3*/site-packages/rtslib/tcm.py",
    "usr/lib64/python3*/site-packages/rtslib*/tcm.py",
)


@dataclass(frozen=True, slots=True)
class BootRtslib:
    """The distribution's rtslib-fb, which ``targetctl restore`` runs at boot."""

    path: str
    knows_exclusive: bool


def boot_rtslib(root: str = "/") -> BootRtslib | None:
    """The system rtslib-fb under ``root`` (not sanctl's own), or None if there is none.

    sanctl writes the file with the rtslib-fb it runs on; the boot service
    reads it with the distribution's, which may be older: Debian 12 and RHEL 9
    ship 2.1.7x, whose ``BlockStorageObject`` has no ``exclusive`` argument, so
    a block backstore saved with it (as rtslib-fb 2.2 saves every one) is not
    restored at boot — and ``targetctl`` still exits 0.
    """
    import glob

    found = []
    for pattern in _BOOT_RTSLIB:
        found.extend(sorted(glob.glob(os.path.join(root, pattern))))
    best = None
    for path in found:
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                text = handle.read()
        except OSError:
            continue
        start = text.find("class BlockStorageObject")
        init = text.find("def __init__", start)
        signature = text[init:text.find("):", init)] if start >= 0 and init >= 0 else ""
        lib = BootRtslib(path, "exclusive" in signature)
        if best is None or (best.knows_exclusive and not lib.knows_exclusive):
            best = lib  # the least capable one decides
    return best


def for_boot(data: Mapping, root: str = "/") -> tuple[dict[str, Any], list[str]]:
    """``data`` as the boot service's rtslib-fb can restore it, and what had to change."""
    boot = boot_rtslib(root)
    out = dict(data)
    notes: list[str] = []
    if boot is None or boot.knows_exclusive:
        return out, notes
    sos = []
    for so in data.get("storage_objects") or ():
        if isinstance(so, Mapping) and so.get("plugin") == "block" and "exclusive" in so:
            so = {k: v for k, v in so.items() if k != "exclusive"}
            if not data_exclusive(so, data):
                notes.append(f"block/{so.get('name')} is non-exclusive, which the boot-time rtslib-fb "
                             f"({boot.path}) cannot restore: it will be exclusive after a reboot")
        sos.append(so)
    out["storage_objects"] = sos
    if any(isinstance(so, Mapping) and so.get("plugin") == "block" for so in sos):
        notes.insert(0, f"'exclusive' left out of block backstores: the boot-time rtslib-fb ({boot.path}) "
                        "does not know it and would skip them")
    return out, notes


def data_exclusive(so: Mapping, data: Mapping) -> bool:
    """Whether the block backstore ``so`` (stripped) was exclusive in ``data``."""
    for original in data.get("storage_objects") or ():
        if isinstance(original, Mapping) and original.get("plugin") == "block" and original.get("name") == so.get("name"):
            return bool(original.get("exclusive", True))
    return True


def max_backups(location: SaveLocation) -> int:
    """targetcli's rule: the larger of 10 and ``max_backup_files`` in targetcli.conf."""
    best = MAX_BACKUPS
    for conf in {os.path.join(location.directory, "targetcli.conf"),
                 os.path.join(location.root, REDHAT_DIR, "targetcli.conf")}:
        try:
            with open(conf, encoding="utf-8", errors="replace") as handle:
                for line in handle:
                    m = re.match(r"^max_backup_files\s*=\s*(\d+)", line)
                    if m:
                        best = max(best, int(m.group(1)))
        except OSError:
            continue
    return best
