"""What the doctor's rules know about the host: plain values, gathered elsewhere.

:func:`sanctl.doctor.facts.gather` fills a :class:`HostFacts` (reading the
host, asking iscsiadm and systemctl); the rules only read it. A fact that
is ``None`` is unknown and the rules that need it stay quiet. No I/O and no
Textual here.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from sanctl.model import Auth
from sanctl.words import relabelled

if TYPE_CHECKING:
    from sanctl.initiator.iscsiadm import NodeSettings
    from sanctl.initiator.services import UnitState
    from sanctl.lio.savefile import SaveStatus


def _empty() -> Mapping:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class DeviceFact:
    """A block backstore's device on this host."""

    path: str
    exists: bool
    mountpoints: tuple[str, ...] = ()  #: of the device and of its partitions
    swap: bool = False


@dataclass(frozen=True, slots=True)
class FileFact:
    """A fileio backstore's file and the filesystem it lives on."""

    path: str
    size: int  #: the file's length
    allocated: int  #: bytes of disk it uses (less than ``size`` for a sparse file)
    fs_free: int  #: bytes free for unprivileged writers (what the kernel's writes get too, roughly)
    fs_total: int

    @property
    def hole(self) -> int:
        """Bytes the file still needs when every block is written."""
        return max(0, self.size - self.allocated)


@dataclass(frozen=True, slots=True)
class NodeDbProblem:
    """iscsiadm could not read its node database: its exit code, its words, the files it named."""

    code: int | None
    lines: tuple[str, ...]
    files: tuple[str, ...] = ()
    db_dir: str | None = None  #: ``/etc/iscsi`` or ``/var/lib/iscsi``, when found


@dataclass(frozen=True)
class HostFacts:
    """What the rules know about the host; ``None`` means "not known" (and the rule stays quiet)."""

    #: How the host's paths are shown (:attr:`~sanctl.host.protocol.Host.path_labels`): prefix -> what
    #: the operator reads instead (the demo's scratch root -> ``demo:/``).
    path_labels: Mapping[str, str] = field(default_factory=_empty)
    #: This host's addresses, normalised (``ipaddress`` text, no brackets); None: unknown.
    addresses: frozenset[str] | None = None
    target_service: UnitState | None = None
    save_status: SaveStatus | None = None
    initiator_name: str | None = None
    #: This host's node records (``iscsiadm -m node -o show``); None: not read.
    node_records: tuple[NodeSettings, ...] | None = None
    node_db: NodeDbProblem | None = None
    devices: Mapping[str, DeviceFact] = field(default_factory=_empty)
    files: Mapping[str, FileFact] = field(default_factory=_empty)
    #: CHAP settings by configfs path (relative to the target directory) of an ACL,
    #: a TPG, or ``iscsi/discovery_auth``.
    auth: Mapping[str, Auth] = field(default_factory=_empty)
    #: The kernel's dbroot (configfs ``dbroot``); None: unknown (no LIO, the demo, a captured tree).
    dbroot: str | None = None
    #: Its subfolders the kernel writes to but that do not exist (``pr``, ``alua``).
    dbroot_missing: tuple[str, ...] = ()
    not_checked: tuple[str, ...] = ()
    #: A multi-step change sanctl was killed in the middle of (:class:`sanctl.lio.journal.Unfinished`),
    #: or why its journal cannot be read (text); None: there is none (or not looked).
    unfinished: Any = None
    #: Whether a NIC does RDMA (iSER needs one); None: not looked at.
    rdma: bool | None = None

    def has_address(self, address: str) -> bool | None:
        """Whether ``address`` (LIO's or iscsiadm's spelling) is one of this host's; None: unknown."""
        if self.addresses is None:
            return None
        return normal_address(address) in self.addresses

    def shown(self, path: str) -> str:
        """A path as the operator knows it (``demo:/etc/target/…`` under the demo's root)."""
        return relabelled(path, self.path_labels)


def normal_address(text: str) -> str:
    """``[::1]`` -> ``::1``; ``0:0::1`` -> ``::1``; anything unparsable lower-cased as is."""
    bare = text.strip()
    if bare.startswith("[") and bare.endswith("]"):
        bare = bare[1:-1]
    bare = bare.split("%", 1)[0]
    try:
        return str(ipaddress.ip_address(bare))
    except ValueError:
        return bare.lower()
