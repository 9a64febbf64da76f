"""The LIO configuration as immutable values.

Everything the readers find under ``/sys/kernel/config/target`` becomes one
:class:`SanConfig`. The UI, the exporters and the doctor work on it; nobody
below this line touches configfs. Objects are frozen dataclasses holding
tuples, so a snapshot can be shared between a worker thread and the screen.

Details that are costly on a big target (every attribute file of every object)
are ``None`` until asked for: :func:`sanctl.lio.configfs.read_config` with
``details=True`` fills them for export, and
:func:`sanctl.lio.configfs.with_details` fills one object for the detail pane.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

MASK = "********"

#: rtslib-fb's and targetcli's name for each configfs plugin directory prefix.
PLUGIN_BY_DIR_PREFIX = {
    "iblock": "block",
    "fileio": "fileio",
    "pscsi": "pscsi",
    "rd_mcp": "ramdisk",
    "user": "user",
}

#: The fabrics rtslib-fb knows, in the order it lists them, with the configfs
#: directory each lives in.
FABRIC_DIRS = {
    "srpt": "srpt",
    "iscsi": "iscsi",
    "loopback": "loopback",
    "qla2xxx": "qla2xxx",
    "efct": "efct",
    "sbp": "sbp",
    "tcm_fc": "fc",
    "vhost": "vhost",
    "xen-pvscsi": "xen-pvscsi",
    "ibmvscsis": "ibmvscsis",
}


@dataclass(frozen=True, slots=True)
class Secret:
    """A CHAP secret: held for writing back, never shown or logged as is."""

    value: str

    def __str__(self) -> str:
        return MASK if self.value else ""

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def reveal(self) -> str:
        """The clear text, for the writer and export only."""
        return self.value

    def __bool__(self) -> bool:
        return bool(self.value)


@dataclass(frozen=True, slots=True)
class Setting:
    """One configfs file of an ``attrib/``, ``param/`` or ``auth/`` group."""

    name: str
    value: str | None
    writable: bool
    readable: bool = True
    error: str | None = None

    @property
    def unreadable(self) -> bool:
        return self.error is not None

    def shown(self) -> str:
        """The value as the screen shows it."""
        if self.error is not None:
            return f"<unreadable: {self.error}>"
        return "" if self.value is None else self.value


@dataclass(frozen=True, slots=True)
class Settings:
    """An ordered group of settings, looked up by name."""

    items: tuple[Setting, ...] = ()

    def __iter__(self) -> Iterator[Setting]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def get(self, name: str) -> Setting | None:
        for item in self.items:
            if item.name == name:
                return item
        return None

    def value(self, name: str, default: str | None = None) -> str | None:
        item = self.get(name)
        if item is None or item.value is None:
            return default
        return item.value

    def int_value(self, name: str, default: int | None = None) -> int | None:
        raw = self.value(name)
        try:
            return int(raw) if raw is not None else default
        except ValueError:
            return default


@dataclass(frozen=True, slots=True)
class Auth:
    """CHAP credentials of an ACL, a TPG (demo mode) or discovery."""

    userid: str = ""
    password: Secret = Secret("")
    mutual_userid: str = ""
    mutual_password: Secret = Secret("")
    authenticate_target: bool | None = None
    #: Discovery auth only: ``enforce_discovery_auth``.
    enforce: bool | None = None

    @property
    def chap(self) -> bool:
        return bool(self.userid and self.password)

    @property
    def mutual(self) -> bool:
        return bool(self.mutual_userid and self.mutual_password)

    def summary(self) -> str:
        if self.mutual:
            return "mutual CHAP"
        if self.chap:
            return "CHAP"
        return "no CHAP"


@dataclass(frozen=True, slots=True)
class AluaGroup:
    """An ALUA target port group of a storage object."""

    name: str
    tg_pt_gp_id: int | None
    settings: Settings


@dataclass(frozen=True, slots=True)
class StorageObject:
    """A backstore object: ``core/<hba>/<name>``."""

    plugin: str
    name: str
    hba: str
    path: str
    dev: str | None = None
    size: int | None = None
    wwn: str | None = None
    status: str | None = None
    enabled: bool = True
    write_back: bool | None = None
    readonly: bool | None = None
    exclusive: bool | None = None
    nullio: bool | None = None
    aio: bool | None = None
    config: str | None = None
    hw_max_sectors: int | None = None
    info: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    attributes: Settings | None = None
    alua_groups: tuple[AluaGroup, ...] | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.plugin, self.name)

    @property
    def rts_path(self) -> str:
        """The path rtslib-fb and targetcli use: ``/backstores/block/name``."""
        return f"/backstores/{self.plugin}/{self.name}"

    @property
    def activated(self) -> bool:
        return (self.status or "").lower() == "activated"

    @property
    def alua_supported(self) -> bool:
        """Whether rtslib-fb lists ALUA groups for this object (pass-through needs the attribute)."""
        if self.plugin in ("pscsi", "user"):
            return self.attributes is not None and self.attributes.value("alua_support") == "1"
        return True


@dataclass(frozen=True, slots=True)
class Lun:
    """A TPG LUN; ``storage_object`` is ``None`` when its link is broken."""

    index: int
    alias: str | None
    storage_object: tuple[str, str] | None
    path: str
    alua_tg_pt_gp_name: str | None = None


@dataclass(frozen=True, slots=True)
class MappedLun:
    """An ACL's mapped LUN; ``tpg_lun`` is ``None`` when its link is broken."""

    index: int
    tpg_lun: int | None
    write_protect: bool
    alias: str | None
    path: str


@dataclass(frozen=True, slots=True)
class NodeAcl:
    """A node ACL: one initiator allowed into a TPG."""

    node_wwn: str
    path: str
    mapped_luns: tuple[MappedLun, ...] = ()
    tag: str | None = None
    cmdsn_depth: int | None = None
    attributes: Settings | None = None
    auth: Auth | None = None
    #: ``None``: :attr:`mapped_luns` is complete. A number: they were not read
    #: (``read_config(mapped_luns=False)``, the TUI's start) and this many exist;
    #: ``configfs.read_mapped_luns`` reads them when the ACL is opened.
    unread_mapped_luns: int | None = None

    @property
    def mapped_lun_count(self) -> int:
        """How many mapped LUNs the ACL has, read or not."""
        return len(self.mapped_luns) if self.unread_mapped_luns is None else self.unread_mapped_luns


@dataclass(frozen=True, slots=True)
class Portal:
    """A network portal (iSCSI listener) of a TPG."""

    ip_address: str
    port: int
    path: str
    iser: bool = False
    offload: bool = False

    @property
    def label(self) -> str:
        return f"{self.ip_address}:{self.port}"

    @property
    def wildcard(self) -> bool:
        return self.ip_address in ("0.0.0.0", "[::0]", "[::]")


@dataclass(frozen=True, slots=True)
class Tpg:
    """A target portal group."""

    tag: int
    path: str
    enabled: bool
    luns: tuple[Lun, ...] = ()
    acls: tuple[NodeAcl, ...] = ()
    portals: tuple[Portal, ...] = ()
    attributes: Settings = Settings()
    parameters: Settings | None = None
    auth: Auth | None = None
    nexus: str | None = None

    @property
    def demo_mode(self) -> bool:
        return self.attributes.value("generate_node_acls") == "1"

    @property
    def authentication(self) -> bool:
        return self.attributes.value("authentication") == "1"


@dataclass(frozen=True, slots=True)
class Target:
    """A target (an IQN for iSCSI, a WWN for the other fabrics)."""

    fabric: str
    wwn: str
    path: str
    tpgs: tuple[Tpg, ...] = ()
    parameters: Settings | None = None


@dataclass(frozen=True, slots=True)
class Fabric:
    """A fabric module whose configfs directory exists (its module is loaded)."""

    name: str
    path: str
    targets: tuple[Target, ...] = ()
    version: str | None = None
    discovery_auth: Auth | None = None


@dataclass(frozen=True, slots=True)
class Problem:
    """Something the reader could not read, kept to show instead of crashing."""

    path: str
    message: str


class LaterReads(Protocol):
    """What a partial read left unread, read when first needed, by the reader that made the model.

    The TUI's first read leaves mapped LUNs, CHAP files and LUNs' ALUA groups for later (they are
    most of a big tree's files); the tree and the saveconfig dump ask for them here, so the domain
    never opens a file itself and a model read over another transport brings its own.
    """

    def auth(self, path: str) -> Auth | None:
        """The ``auth/`` of the object at ``path`` (relative to the target's root); None if it has none."""
        ...

    def mapped_luns(self, acl: NodeAcl) -> NodeAcl:
        """``acl`` with its mapped LUNs read."""
        ...

    def lun_details(self, lun: Lun, so: StorageObject | None) -> Lun:
        """``lun`` with its details (ALUA group) read."""
        ...

    def all_mapped_luns(self, config: SanConfig) -> SanConfig:
        """``config`` with every ACL's mapped LUNs read (itself when none is missing)."""
        ...

    def details(self, config: SanConfig) -> SanConfig:
        """``config`` with every object's details read."""
        ...


@dataclass(frozen=True, slots=True)
class SanConfig:
    """The whole LIO configuration of one host at one moment."""

    root: str
    storage_objects: tuple[StorageObject, ...] = ()
    fabrics: tuple[Fabric, ...] = ()
    problems: tuple[Problem, ...] = ()
    details: bool = False
    so_index: Mapping[tuple[str, str], StorageObject] = field(
        default_factory=lambda: MappingProxyType({}), compare=False, repr=False
    )
    #: Reads what this read left for later (None: nothing more can be read, e.g. a model from a file).
    later: LaterReads | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if len(self.so_index) != len(self.storage_objects):
            index = {so.key: so for so in self.storage_objects}
            object.__setattr__(self, "so_index", MappingProxyType(index))

    @property
    def targets(self) -> Iterator[Target]:
        for fabric in self.fabrics:
            yield from fabric.targets

    def fabric(self, name: str) -> Fabric | None:
        for fabric in self.fabrics:
            if fabric.name == name:
                return fabric
        return None

    def storage_object(self, key: tuple[str, str] | None) -> StorageObject | None:
        return None if key is None else self.so_index.get(key)

    def users_of(self, key: tuple[str, str]) -> list[tuple[Target, Tpg, Lun]]:
        """Every TPG LUN backed by the storage object ``key``."""
        found = []
        for target in self.targets:
            for tpg in target.tpgs:
                for lun in tpg.luns:
                    if lun.storage_object == key:
                        found.append((target, tpg, lun))
        return found

    @property
    def empty(self) -> bool:
        return not self.storage_objects and not any(True for _ in self.targets)

