"""Changes to storage objects (rtslib-fb's backstores): create one per plugin, delete, set an attribute."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from sanctl.names import InvalidValue
from sanctl.lio.changes.refs import BackstoreRef, _WithinBackstore
from sanctl.lio.changes.base import (
    Change,
    Scope,
    _HANDLER,
    _int_value,
    _size,
    _unit_serial,
    _yes,
    check_dev_path,
    format_size,
)


# ---------------------------------------------------------------------------
# Storage objects
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _CreateStorageObject(_WithinBackstore, Change):
    plugin: ClassVar[str] = ""
    ref_kind = BackstoreRef


@dataclass(frozen=True, slots=True)
class CreateBlock(_CreateStorageObject):
    """A block backstore on a block device (``/dev/vg/lv``, ``/dev/disk/by-id/…``)."""

    plugin: ClassVar[str] = "block"
    name: str
    dev: str
    readonly: bool = False
    wwn: str | None = None
    #: Refuse a device something else holds open (kernel ≥ 6.17 allows False).
    exclusive: bool = True

    def __post_init__(self) -> None:
        Change.__post_init__(self)
        object.__setattr__(self, "dev", check_dev_path(self.dev, "block device"))
        object.__setattr__(self, "wwn", _unit_serial(self.wwn))

    def describe(self) -> str:
        mode = "read-only" if self.readonly else "read-write"
        return f"Create block backstore {self.name} on {self.dev} ({mode})"

    def targetcli(self) -> str:
        line = f"/backstores/block create name={self.name} dev={self.dev} readonly={_yes(self.readonly)}"
        if self.wwn:
            line += f" wwn={self.wwn}"
        if not self.exclusive:
            line += " exclusive=false"
        return line


@dataclass(frozen=True, slots=True)
class CreateFileio(_CreateStorageObject):
    """A fileio backstore: a file (created if missing, sparse or allocated) or a block device.

    ``size`` is required for a new file and ignored for an existing one (its
    size wins, as in targetcli). ``write_back`` defaults to False (write-through)
    — targetcli defaults to True, which loses acknowledged writes on a crash.
    """

    plugin: ClassVar[str] = "fileio"
    name: str
    file: str
    size: int | str | None = None
    write_back: bool = False
    sparse: bool = True
    wwn: str | None = None
    aio: bool = False

    def __post_init__(self) -> None:
        Change.__post_init__(self)
        object.__setattr__(self, "file", check_dev_path(self.file, "file"))
        object.__setattr__(self, "size", _size(self.size, required=False))
        object.__setattr__(self, "wwn", _unit_serial(self.wwn))

    def describe(self) -> str:
        size = f", {format_size(self.size)}" if self.size else ""
        cache = "write-back" if self.write_back else "write-through"
        alloc = "" if not self.size else (", sparse" if self.sparse else ", fully allocated")
        return f"Create fileio backstore {self.name} on {self.file}{size} ({cache}{alloc})"

    def targetcli(self) -> str:
        line = f"/backstores/fileio create name={self.name} file_or_dev={self.file}"
        if self.size:
            line += f" size={self.size}"
        line += f" write_back={_yes(self.write_back)} sparse={_yes(self.sparse)}"
        if self.wwn:
            line += f" wwn={self.wwn}"
        return line


@dataclass(frozen=True, slots=True)
class CreateRamdisk(_CreateStorageObject):
    """A memory-backed backstore (data lost at reboot); ``nullio`` discards writes."""

    plugin: ClassVar[str] = "ramdisk"
    name: str
    size: int | str
    nullio: bool = False
    wwn: str | None = None

    def __post_init__(self) -> None:
        Change.__post_init__(self)
        object.__setattr__(self, "size", _size(self.size))
        object.__setattr__(self, "wwn", _unit_serial(self.wwn))

    def describe(self) -> str:
        extra = ", nullio" if self.nullio else ""
        return f"Create ramdisk backstore {self.name} of {format_size(self.size)}{extra}"

    def targetcli(self) -> str:
        line = f"/backstores/ramdisk create name={self.name} size={self.size} nullio={_yes(self.nullio)}"
        if self.wwn:
            line += f" wwn={self.wwn}"
        return line


@dataclass(frozen=True, slots=True)
class CreatePscsi(_CreateStorageObject):
    """SCSI pass-through of a device (any SCSI type)."""

    plugin: ClassVar[str] = "pscsi"
    name: str
    dev: str

    def __post_init__(self) -> None:
        Change.__post_init__(self)
        object.__setattr__(self, "dev", check_dev_path(self.dev, "SCSI device"))

    def describe(self) -> str:
        return f"Create pscsi backstore {self.name} passing through {self.dev}"

    def targetcli(self) -> str:
        return f"/backstores/pscsi create name={self.name} dev={self.dev}"


@dataclass(frozen=True, slots=True)
class CreateUser(_CreateStorageObject):
    """A TCMU (userspace) backstore: ``handler`` (e.g. ``rbd``, ``file``) and its config string."""

    plugin: ClassVar[str] = "user"
    name: str
    handler: str
    cfgstring: str
    size: int | str
    wwn: str | None = None
    hw_max_sectors: int | None = None
    control: str | None = None

    def __post_init__(self) -> None:
        Change.__post_init__(self)
        if not isinstance(self.handler, str) or not _HANDLER.match(self.handler):
            raise InvalidValue("A TCMU handler name is lower-case letters, digits and '_' (e.g. rbd, file, qcow).")
        cfg = self.cfgstring if isinstance(self.cfgstring, str) else ""
        if not cfg or any(c in cfg for c in "\0\n\r,:") or len(cfg) > 1024:
            raise InvalidValue("The handler's config string is one line without ',' or ':' (at most 1024).")
        object.__setattr__(self, "size", _size(self.size))
        object.__setattr__(self, "wwn", _unit_serial(self.wwn))
        if self.hw_max_sectors is not None:
            object.__setattr__(self, "hw_max_sectors", int(_int_value(self.hw_max_sectors, "hw_max_sectors",
                                                                       (1, 65535))))
        control = self.control
        if control is not None and (not isinstance(control, str)
                                    or not re.fullmatch(r"[a-z_]+=\d+(,[a-z_]+=\d+)*", control)):
            raise InvalidValue("control is key=number pairs separated by ',' (e.g. max_data_area_mb=64).")

    @property
    def config(self) -> str:
        return f"{self.handler}/{self.cfgstring}"

    def describe(self) -> str:
        return f"Create user:{self.handler} backstore {self.name} of {format_size(self.size)} ({self.cfgstring})"

    def targetcli(self) -> str:
        line = f"/backstores/user:{self.handler} create name={self.name} size={self.size} cfgstring={self.cfgstring}"
        if self.wwn:
            line += f" wwn={self.wwn}"
        if self.hw_max_sectors is not None:
            line += f" hw_max_sectors={self.hw_max_sectors}"
        if self.control:
            line += f" control={self.control}"
        return line


CREATE_BY_PLUGIN: dict[str, type[_CreateStorageObject]] = {
    "block": CreateBlock, "fileio": CreateFileio, "ramdisk": CreateRamdisk, "pscsi": CreatePscsi, "user": CreateUser,
}


@dataclass(frozen=True, slots=True)
class DeleteStorageObject(_WithinBackstore, Change):
    """Delete a backstore and every LUN using it, in any target (and their mapped LUNs).

    ``expect`` is what the confirmation listed (:attr:`Impact.keys`); ``None``
    deletes whatever depends on it at the time (scripts, restore).
    """

    dangerous: ClassVar[bool] = True
    ref_kind = BackstoreRef
    plugin: str
    name: str
    expect: frozenset | None = None

    def scope(self) -> Scope:
        return Scope(storage_objects=frozenset({self.key}), all_targets=True)

    def describe(self) -> str:
        return f"Delete backstore {self.plugin}/{self.name} and every LUN using it"

    def targetcli(self) -> str:
        prefix = "user:*" if self.plugin == "user" else self.plugin
        return f"/backstores/{prefix} delete {self.name}"
