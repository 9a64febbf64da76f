"""What every change shares: the constants of LIO's objects, the scope a change
reads, the validation of each kind of value, and the :class:`Change` base with
the labels and paths its subclasses build on.

No Textual here, and nothing touches the system.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields
from typing import ClassVar

from sanctl import words
from sanctl.model import FABRIC_DIRS
from sanctl.names import (
    InvalidValue,
    check_iscsi_name,
    check_object_name,
    parse_size,
)


#: rtslib-fb's plugin name -> the configfs HBA directory prefix.
PLUGIN_PREFIX = {"block": "iblock", "fileio": "fileio", "ramdisk": "rd_mcp", "pscsi": "pscsi", "user": "user"}
PLUGINS = tuple(PLUGIN_PREFIX)
#: Fabrics whose targets have several TPGs, portals, ACLs, CHAP (rtslib-fb features).
TPGTS_FABRICS = frozenset({"iscsi", "vhost", "xen-pvscsi"})
ACL_FABRICS = frozenset({"iscsi", "vhost", "qla2xxx", "efct", "srpt", "tcm_fc"})
NEXUS_FABRICS = frozenset({"loopback", "vhost", "xen-pvscsi"})
#: The first kernel whose iblock takes ``exclusive=0`` (a block device shared with others).
SHARED_BLOCK_KERNEL = (6, 17)
MAX_LUN = 65535
MAX_TAG = 65535
DEFAULT_PORTAL = "[::0]"
#: Names a LUN's or mapped LUN's link cannot take: its sibling attribute files.
_RESERVED_ALIASES = frozenset({
    "alua_tg_pt_gp", "alua_tg_pt_offline", "alua_tg_pt_status", "alua_tg_pt_write_md",
    "statistics", "write_protect",
})
_SETTING_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_ACL_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_:@+-]{0,63}$")
_HANDLER = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_FREE_WWN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,222}$")
_NAA = re.compile(r"^naa\.[125c-f][0-9a-f]{15}$")  #: rtslib-fb's rule: 16 digits, a known NAA type first


# ---------------------------------------------------------------------------
# What a change touches
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scope:
    """The part of configfs a change reads before it writes.

    ``targets`` are ``(fabric, wwn)``; ``all_targets`` is needed when a
    change must see every user of a backstore.
    """

    targets: frozenset[tuple[str, str]] = frozenset()
    storage_objects: frozenset[tuple[str, str]] = frozenset()
    all_targets: bool = False
    all_storage_objects: bool = False

    def __or__(self, other: Scope) -> Scope:
        return Scope(
            self.targets | other.targets,
            self.storage_objects | other.storage_objects,
            self.all_targets or other.all_targets,
            self.all_storage_objects or other.all_storage_objects,
        )


EVERYTHING = Scope(all_targets=True, all_storage_objects=True)


# ---------------------------------------------------------------------------
# Validation helpers (each returns the value normalised or raises InvalidValue)
# ---------------------------------------------------------------------------


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise InvalidValue(f"A {what} is text, not {type(value).__name__}.")
    return value


def _name(value: object, what: str) -> str:
    return check_object_name(_text(value, what), what)


def _bools(obj: object) -> None:
    """Every ``bool`` field of a change is a real bool (0 and 1 accepted)."""
    for f in fields(obj):  # type: ignore[arg-type]
        if f.type in ("bool", bool, "bool | None"):
            value = getattr(obj, f.name)
            if value is None and f.type == "bool | None":
                continue
            if isinstance(value, bool):
                continue
            if isinstance(value, int) and value in (0, 1):
                object.__setattr__(obj, f.name, bool(value))
                continue
            raise InvalidValue(f"{f.name} is yes or no (true/false), not {value!r}.")


def _fabric(fabric: str) -> str:
    if not isinstance(fabric, str) or fabric not in FABRIC_DIRS:
        raise InvalidValue(f"Unknown fabric '{fabric}': rtslib-fb knows {', '.join(sorted(FABRIC_DIRS))}.")
    return fabric


def check_wwn(fabric: str, wwn: str) -> str:
    """A target or initiator name as the fabric spells it."""
    text = wwn.strip() if isinstance(wwn, str) else ""
    if fabric == "iscsi":
        return check_iscsi_name(_text(wwn, "name"))
    lowered = text.lower()
    if fabric in ("loopback", "vhost", "xen-pvscsi", "qla2xxx", "efct", "tcm_fc"):
        if not _NAA.match(lowered):
            raise InvalidValue(f"A {fabric} WWN is 'naa.' followed by 16 hexadecimal digits (the first 1, 2, 5 "
                               "or c-f), e.g. naa.5001405abcdef012.")
        return lowered
    if not text or not _FREE_WWN.match(text) or ".." in text:
        raise InvalidValue(f"A {fabric} WWN uses letters, digits and . : _ - only (at most 223).")
    return text


def _tag(tag: int, what: str = "TPG tag") -> int:
    if isinstance(tag, bool) or not isinstance(tag, int) or not 1 <= tag <= MAX_TAG:
        raise InvalidValue(f"A {what} is a whole number from 1 to {MAX_TAG}.")
    return tag


def _index(index: int, what: str) -> int:
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index <= MAX_LUN:
        raise InvalidValue(f"A {what} is a whole number from 0 to {MAX_LUN}.")
    return index


def _plugin(plugin: str) -> str:
    if plugin not in PLUGIN_PREFIX:
        raise InvalidValue(f"Unknown backstore type '{plugin}': use one of {', '.join(PLUGINS)}.")
    return plugin


def check_dev_path(text: str, what: str = "device or file") -> str:
    """An absolute path to a device or file, safe to hand to the kernel's ``control`` file."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidValue(f"A {what} path is required.")
    path = text.strip()
    if not path.startswith("/"):
        raise InvalidValue(f"The {what} path must be absolute (start with '/').")
    if any(c in ",=" or ord(c) < 32 or ord(c) == 127 for c in path):
        raise InvalidValue(f"The {what} path cannot contain commas, '=' or control characters (the kernel parses them).")
    if len(path) > 4095:
        raise InvalidValue(f"The {what} path is too long.")
    if "/../" in path + "/" or "/./" in path + "/" or path.endswith("/"):
        raise InvalidValue(f"Write the {what} path without '.', '..' or a trailing '/'.")
    return "/" + os.path.normpath(path).lstrip("/")


def _size(size: int | str | None, what: str = "size", *, required: bool = True) -> int | None:
    if size is None:
        if required:
            raise InvalidValue(f"A {what} is required, e.g. 10G.")
        return None
    if isinstance(size, bool):
        raise InvalidValue(f"'{size}' is not a {what}.")
    if isinstance(size, int):
        if size <= 0:
            raise InvalidValue(f"A {what} must be greater than zero.")
        if size > 1024**6:
            raise InvalidValue("That size is larger than any device (1 EiB).")
        return size
    if isinstance(size, str):
        return parse_size(size)
    raise InvalidValue(f"'{size}' is not a {what}.")


def _unit_serial(wwn: str | None) -> str | None:
    """A storage object's T10 unit serial (rtslib-fb calls it wwn)."""
    if wwn is None or wwn == "":
        return None
    if not isinstance(wwn, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}", wwn.strip()):
        raise InvalidValue("A unit serial (WWN) uses letters, digits and . : _ - only, at most 64.")
    return wwn.strip()


def _alias(alias: str | None, what: str) -> str | None:
    if alias is None:
        return None
    alias = _name(alias, what)
    if alias in _RESERVED_ALIASES:
        raise InvalidValue(f"'{alias}' is the name of an attribute file; choose another {what}.")
    return alias


def _setting_name(name: str, what: str) -> str:
    if not isinstance(name, str) or not _SETTING_NAME.match(name):
        raise InvalidValue(f"'{name}' is not a {what} name (letters, digits and '_', starting with a letter).")
    return name


def _setting_value(value: object, what: str) -> str:
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, str):
        raise InvalidValue(f"A {what} value is text or a number.")
    text = value.strip()
    if not text:
        raise InvalidValue(f"A {what} value is required.")
    if any(ord(c) < 32 or ord(c) == 127 for c in text) or len(text) > 255:
        raise InvalidValue(f"A {what} value is one line of at most 255 characters.")
    return text


def _int_value(value: object, what: str, bounds: tuple[int, int] | None) -> str:
    text = _setting_value(value, what)
    try:
        number = int(text)
    except ValueError:
        raise InvalidValue(f"{what} takes a whole number, not '{text}'.") from None
    if bounds is not None and not bounds[0] <= number <= bounds[1]:
        raise InvalidValue(f"{what} must be between {bounds[0]} and {bounds[1]}.")
    return str(number)


def _secret(text: str, what: str) -> str:
    if not isinstance(text, str) or not text:
        raise InvalidValue(f"A {what} is required.")
    if any(c.isspace() for c in text) or "\0" in text:
        raise InvalidValue(f"A {what} cannot contain whitespace.")
    if len(text) > 255:
        raise InvalidValue(f"A {what} is at most 255 characters.")
    if text == "NULL":
        raise InvalidValue(f"'NULL' cannot be a {what}: LIO reads it as 'no value'.")
    return text


# ---------------------------------------------------------------------------
# The base class
# ---------------------------------------------------------------------------


def _target_label(fabric: str, wwn: str) -> str:
    return f"target {wwn}" if fabric == "iscsi" else f"{fabric} target {wwn}"


def _tpg_label(fabric: str, wwn: str, tpg: int) -> str:
    return f"{wwn}/tpg{tpg}" if fabric == "iscsi" else f"{fabric} {wwn}/tpg{tpg}"


def _yes(flag: bool) -> str:
    return "true" if flag else "false"


@dataclass(frozen=True, slots=True)
class Change:
    """A validated operation. Subclasses are frozen dataclasses.

    A change names the object it addresses with a reference
    (:mod:`sanctl.lio.changes.refs`) of kind :attr:`ref_kind`, built from its
    own fields of the same names; the reference checks them (the change keeps
    them as it normalised them) and gives the change its :attr:`subject`,
    :attr:`cfs_path` and :meth:`scope` unless the change says otherwise; a
    change of one file of its object names it with :attr:`writes` (and
    :attr:`what`, how its subject calls it).
    """

    #: Deletes take dependents with them and are confirmed first.
    dangerous: ClassVar[bool] = False
    #: The kind of reference that names the object this change addresses (None: the change says itself).
    ref_kind: ClassVar[type | None] = None
    #: The file of the object this change writes (``auth``, ``enable``, …), and what it is called.
    writes: ClassVar[str] = ""
    what: ClassVar[str] = ""

    def __post_init__(self) -> None:
        _bools(self)
        if self.ref_kind is None:
            return
        ref = self.ref  # checks the fields that name the object
        own = {f.name for f in fields(self)}
        for f in fields(ref):
            if f.name in own:
                object.__setattr__(self, f.name, getattr(ref, f.name))

    @property
    def ref(self):
        """The object this change addresses (:mod:`sanctl.lio.changes.refs`)."""
        kind: type = self.ref_kind  # type: ignore[assignment]
        return kind(**{f.name: getattr(self, f.name) for f in fields(kind)})

    def describe(self) -> str:
        """One line for the review list and the confirmation."""
        raise NotImplementedError

    def targetcli(self) -> str:
        """The equivalent targetcli command line (secrets replaced by ``<secret>``)."""
        raise NotImplementedError

    @property
    def subject(self) -> str:
        """The object this change is about, as error messages name it."""
        return f"{self.what} of {self.ref.label}" if self.what else self.ref.label

    @property
    def cfs_path(self) -> str:
        """The configfs path it addresses, relative to ``/sys/kernel/config/target``.

        A storage object's HBA index is allocated by the kernel, so its path
        is a pattern: ``core/iblock_*/name``.
        """
        return f"{self.ref.path}/{self.writes}" if self.writes else self.ref.path

    def scope(self) -> Scope:
        return self.ref.scope()

    def __str__(self) -> str:
        return self.describe()


def format_size(size: int | None) -> str:
    """A size the operator typed: ``1 GiB``, ``1.5 GiB``, ``999 PiB`` (never a seven-digit TiB)."""
    return words.size(size, whole=True) if size else "?"
