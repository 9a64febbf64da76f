"""Changes to the LIO configuration as validated, immutable values.

A form builds one of these; the review list shows its :meth:`~Change.describe`
line and its :meth:`~Change.targetcli` equivalent; a writer
(:mod:`sanctl.lio.writer`) applies a sequence of them as one transaction.
Every value is checked with :mod:`sanctl.names` when the change is built: an
invalid name, size, address or secret raises :class:`~sanctl.names.InvalidValue`
with the reason, so nothing invalid can reach a writer and no name can
address a path outside configfs (:attr:`Change.cfs_path` is always one path under
``/sys/kernel/config/target``).

Identities are plain fields: a target is ``(fabric, target)``, a TPG adds its
tag ``tpg``, a LUN its ``index``, an ACL its ``initiator`` and a mapped LUN
its ``index`` within the ACL. A storage object is ``(plugin, name)`` —
rtslib-fb's plugin names ``block``, ``fileio``, ``ramdisk``, ``pscsi``,
``user``.

Deletes take what depends on them (see :mod:`sanctl.lio.impact`): a
confirmed delete carries the dependents the operator saw (``expect``), and a
writer refuses it if configfs has changed meanwhile. A setting change may
carry the value the form showed (``expect``) for the same reason.

No Textual here, and nothing touches the system.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import ClassVar

from sanctl import words
from sanctl.model import FABRIC_DIRS
from sanctl.names import (
    InvalidValue,
    check_chap_user,
    check_iscsi_name,
    check_object_name,
    check_port,
    check_portal_address,
    generate_iqn,
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
# CHAP credentials
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Chap:
    """One-way CHAP (``userid`` + ``password``), optionally mutual.

    ``Chap()`` (all empty) means "no CHAP": writing it clears every
    credential. Secrets are never shown by :meth:`describe` or ``repr``.
    """

    userid: str = ""
    password: str = field(default="", repr=False)
    mutual_userid: str = ""
    mutual_password: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        _bools(self)
        for value in (self.userid, self.password, self.mutual_userid, self.mutual_password):
            if any(ord(c) < 32 or ord(c) == 127 for c in _text(value, "CHAP value")):
                raise InvalidValue("CHAP names and secrets cannot contain control characters.")
        if bool(self.userid) != bool(self.password):
            raise InvalidValue("CHAP needs both a user name and a secret (or neither, to turn it off).")
        if bool(self.mutual_userid) != bool(self.mutual_password):
            raise InvalidValue("Mutual CHAP needs both the target's user name and its secret.")
        if self.mutual_userid and not self.userid:
            raise InvalidValue("Mutual CHAP needs one-way CHAP too: the initiator authenticates first.")
        if self.userid:
            check_chap_user(_text(self.userid, "CHAP user name"))
            _secret(self.password, "CHAP secret")
            if self.userid == "NULL":
                raise InvalidValue("'NULL' cannot be a CHAP user name: LIO reads it as 'no value'.")
        if self.mutual_userid:
            check_chap_user(_text(self.mutual_userid, "CHAP user name"))
            _secret(self.mutual_password, "mutual CHAP secret")
            if self.mutual_userid == "NULL":
                raise InvalidValue("'NULL' cannot be a CHAP user name: LIO reads it as 'no value'.")

    @property
    def enabled(self) -> bool:
        return bool(self.userid)

    @property
    def mutual(self) -> bool:
        return bool(self.mutual_userid)

    def summary(self) -> str:
        if self.mutual:
            return f"mutual CHAP (user {self.userid}, target user {self.mutual_userid})"
        if self.enabled:
            return f"CHAP (user {self.userid})"
        return "no CHAP"

    def warnings(self) -> list[str]:
        """What initiators commonly refuse, for the form to show (LIO itself accepts it)."""
        out = []
        for what, secret in (("secret", self.password), ("mutual secret", self.mutual_password)):
            if secret and not 12 <= len(secret) <= 16:
                out.append(f"The {what} has {len(secret)} characters: Windows initiators accept only 12 to 16.")
        if self.mutual and self.password == self.mutual_password:
            out.append("The mutual secret equals the initiator's secret: RFC 7143 requires them to differ.")
        return out

    def files(self) -> dict[str, str]:
        """The four ``auth/`` files as rtslib-fb writes them ('' clears a value)."""
        return {
            "userid": self.userid,
            "password": self.password,
            "userid_mutual": self.mutual_userid,
            "password_mutual": self.mutual_password,
        }

    def targetcli_args(self) -> str:
        def show(value: str, secret: bool) -> str:
            if not value:
                return "''"
            return "<secret>" if secret else value

        return (f"userid={show(self.userid, False)} password={show(self.password, True)} "
                f"mutual_userid={show(self.mutual_userid, False)} "
                f"mutual_password={show(self.mutual_password, True)}")


NO_CHAP = Chap()


def chap_of(auth) -> Chap:
    """The credentials a :class:`~sanctl.model.Auth` holds as a Chap (not re-validated: they exist already).

    What a form showed, for its change's ``expect``; ``None`` is "no CHAP".
    """
    if auth is None:
        return NO_CHAP
    chap = object.__new__(Chap)
    for name, value in (("userid", auth.userid or ""), ("password", _reveal(auth.password)),
                        ("mutual_userid", auth.mutual_userid or ""),
                        ("mutual_password", _reveal(auth.mutual_password))):
        object.__setattr__(chap, name, value)
    return chap


def _reveal(secret) -> str:
    if secret is None:
        return ""
    return secret.reveal() if hasattr(secret, "reveal") else str(secret)


def _check_expect_chap(expect) -> None:
    if expect is not None and not isinstance(expect, Chap):
        raise InvalidValue("The credentials shown must be CHAP credentials.")


def chap_difference(shown: Chap, now: Chap) -> str:
    """What differs between two sets of credentials, secrets never written out."""
    parts = []
    for name, label in (("userid", "user name"), ("mutual_userid", "mutual user name")):
        a, b = getattr(shown, name), getattr(now, name)
        if a != b:
            parts.append(f"{label} {a or '(none)'} -> {b or '(none)'}")
    for name, label in (("password", "secret"), ("mutual_password", "mutual secret")):
        a, b = getattr(shown, name), getattr(now, name)
        if a != b:
            parts.append(f"{label} {'changed' if a and b else ('set' if b else 'cleared')}")
    return ", ".join(parts) or "nothing"


# ---------------------------------------------------------------------------
# The base class
# ---------------------------------------------------------------------------


def _target_label(fabric: str, wwn: str) -> str:
    return f"target {wwn}" if fabric == "iscsi" else f"{fabric} target {wwn}"


def _tpg_label(fabric: str, wwn: str, tpg: int) -> str:
    return f"{wwn}/tpg{tpg}" if fabric == "iscsi" else f"{fabric} {wwn}/tpg{tpg}"


def _rts_target(fabric: str, wwn: str) -> str:
    return f"/{fabric}/{wwn}"


def _rts_tpg(fabric: str, wwn: str, tpg: int) -> str:
    return f"/{fabric}/{wwn}/tpg{tpg}"


def _yes(flag: bool) -> str:
    return "true" if flag else "false"


def _cfs_target(fabric: str, wwn: str) -> str:
    return f"{FABRIC_DIRS[fabric]}/{wwn}"


def _cfs_tpg(fabric: str, wwn: str, tpg: int) -> str:
    return f"{_cfs_target(fabric, wwn)}/tpgt_{tpg}"


@dataclass(frozen=True, slots=True)
class Change:
    """A validated operation. Subclasses are frozen dataclasses."""

    #: Deletes take dependents with them and are confirmed first.
    dangerous: ClassVar[bool] = False

    def describe(self) -> str:
        """One line for the review list and the confirmation."""
        raise NotImplementedError

    def targetcli(self) -> str:
        """The equivalent targetcli command line (secrets replaced by ``<secret>``)."""
        raise NotImplementedError

    @property
    def subject(self) -> str:
        """The object this change is about, as error messages name it."""
        raise NotImplementedError

    @property
    def cfs_path(self) -> str:
        """The configfs path it addresses, relative to ``/sys/kernel/config/target``.

        A storage object's HBA index is allocated by the kernel, so its path
        is a pattern: ``core/iblock_*/name``.
        """
        raise NotImplementedError

    def scope(self) -> Scope:
        raise NotImplementedError

    def __str__(self) -> str:
        return self.describe()


class _TargetScoped:
    """Mixin: the change lives inside one target (fields ``fabric`` and ``target``)."""

    __slots__ = ()

    def scope(self) -> Scope:
        return Scope(targets=frozenset({(self.fabric, self.target)}))  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------
# Storage objects
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _CreateStorageObject(Change):
    plugin: ClassVar[str] = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.plugin, self.name)  # type: ignore[attr-defined]

    @property
    def subject(self) -> str:
        return f"backstore {self.plugin}/{self.name}"  # type: ignore[attr-defined]

    @property
    def cfs_path(self) -> str:
        return f"core/{PLUGIN_PREFIX[self.plugin]}_*/{self.name}"  # type: ignore[attr-defined]

    def scope(self) -> Scope:
        return Scope(storage_objects=frozenset({self.key}))


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
        _bools(self)
        object.__setattr__(self, "name", _name(self.name, "backstore name"))
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
        _bools(self)
        object.__setattr__(self, "name", _name(self.name, "backstore name"))
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
        _bools(self)
        object.__setattr__(self, "name", _name(self.name, "backstore name"))
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
        _bools(self)
        object.__setattr__(self, "name", _name(self.name, "backstore name"))
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
        _bools(self)
        object.__setattr__(self, "name", _name(self.name, "backstore name"))
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
class DeleteStorageObject(Change):
    """Delete a backstore and every LUN using it, in any target (and their mapped LUNs).

    ``expect`` is what the confirmation listed (:attr:`Impact.keys`); ``None``
    deletes whatever depends on it at the time (scripts, restore).
    """

    dangerous: ClassVar[bool] = True
    plugin: str
    name: str
    expect: frozenset | None = None

    def __post_init__(self) -> None:
        _bools(self)
        _plugin(self.plugin)
        object.__setattr__(self, "name", _name(self.name, "backstore name"))

    @property
    def key(self) -> tuple[str, str]:
        return (self.plugin, self.name)

    @property
    def subject(self) -> str:
        return f"backstore {self.plugin}/{self.name}"

    @property
    def cfs_path(self) -> str:
        return f"core/{PLUGIN_PREFIX[self.plugin]}_*/{self.name}"

    def scope(self) -> Scope:
        return Scope(storage_objects=frozenset({self.key}), all_targets=True)

    def describe(self) -> str:
        return f"Delete backstore {self.plugin}/{self.name} and every LUN using it"

    def targetcli(self) -> str:
        prefix = "user:*" if self.plugin == "user" else self.plugin
        return f"/backstores/{prefix} delete {self.name}"


@dataclass(frozen=True, slots=True)
class SetStorageObjectAttribute(Change):
    """Write ``attrib/<attribute>`` of a backstore (e.g. ``emulate_tpu=1`` for thin UNMAP)."""

    plugin: str
    name: str
    attribute: str
    value: str | int
    expect: str | None = None

    def __post_init__(self) -> None:
        _bools(self)
        _plugin(self.plugin)
        object.__setattr__(self, "name", _name(self.name, "backstore name"))
        _setting_name(self.attribute, "attribute")
        object.__setattr__(self, "value", _setting_value(self.value, self.attribute))

    @property
    def key(self) -> tuple[str, str]:
        return (self.plugin, self.name)

    @property
    def subject(self) -> str:
        return f"attribute {self.attribute} of backstore {self.plugin}/{self.name}"

    @property
    def cfs_path(self) -> str:
        return f"core/{PLUGIN_PREFIX[self.plugin]}_*/{self.name}/attrib/{self.attribute}"

    def scope(self) -> Scope:
        return Scope(storage_objects=frozenset({self.key}))

    def describe(self) -> str:
        return f"Set {self.attribute}={self.value} on backstore {self.plugin}/{self.name}"

    def targetcli(self) -> str:
        return f"/backstores/{self.plugin}/{self.name} set attribute {self.attribute}={self.value}"


# ---------------------------------------------------------------------------
# ALUA target port groups (of a storage object) and a LUN's group
# ---------------------------------------------------------------------------

#: The group the kernel gives every ALUA-capable backstore; it cannot be created or deleted.
DEFAULT_ALUA_GROUP = "default_tg_pt_gp"
#: ``alua_access_state`` values (rtslib-fb's ALUATargetPortGroup doc) and their names.
ALUA_STATES = {0: "Active/Optimized", 1: "Active/NonOptimized", 2: "Standby", 3: "Unavailable",
               4: "LBA Dependent", 14: "Offline", 15: "Transitioning"}
#: ``alua_access_type``: written as a number, shown as these words (rtslib-fb's ``alua_types``).
ALUA_TYPES = ("None", "Implicit", "Explicit", "Implicit and Explicit")
#: ``alua_access_status``: written as a number, shown as these words (rtslib-fb's ``alua_statuses``).
ALUA_STATUSES = ("None", "Altered by Explicit STPG", "Altered by Implicit ALUA")
#: The writable parameters of a group (rtslib-fb's ``alua_rw_params``) and their kernel ranges.
ALUA_PARAM_RANGE: dict[str, tuple[int, int]] = {
    "alua_access_state": (0, 15),
    "alua_access_status": (0, 2),
    "alua_write_metadata": (0, 1),
    "alua_access_type": (0, 3),
    "preferred": (0, 1),
    "nonop_delay_msecs": (0, 10000),
    "trans_delay_msecs": (0, 30000),
    "implicit_trans_secs": (0, 255),
    "alua_support_offline": (0, 1),
    "alua_support_standby": (0, 1),
    "alua_support_transitioning": (0, 1),
    "alua_support_active_nonoptimized": (0, 1),
    "alua_support_unavailable": (0, 1),
    "alua_support_active_optimized": (0, 1),
}
ALUA_PARAMS = tuple(ALUA_PARAM_RANGE)
#: A group name: one configfs directory, no whitespace.
_ALUA_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,63}$")


def alua_number(parameter: str, value: object) -> int:
    """A group parameter as the number the kernel takes (type and status also by their words)."""
    if parameter == "alua_access_type" and isinstance(value, str) and value.strip() in ALUA_TYPES:
        return ALUA_TYPES.index(value.strip())
    if parameter == "alua_access_status" and isinstance(value, str) and value.strip() in ALUA_STATUSES:
        return ALUA_STATUSES.index(value.strip())
    if parameter == "alua_access_state" and isinstance(value, str):
        names = {v.lower(): k for k, v in ALUA_STATES.items()}
        if value.strip().lower() in names:
            return names[value.strip().lower()]
    number = int(_int_value(value, parameter, ALUA_PARAM_RANGE.get(parameter)))
    if parameter == "alua_access_state" and number not in ALUA_STATES:
        raise InvalidValue("alua_access_state is 0 (Active/Optimized), 1 (Active/NonOptimized), 2 (Standby), "
                           "3 (Unavailable), 4 (LBA Dependent), 14 (Offline) or 15 (Transitioning).")
    return number


def check_alua_group_name(name: object, *, new: bool = False) -> str:
    """An ALUA group name: letters, digits and ``_ . : -`` (not ``default_tg_pt_gp`` for a new one)."""
    if not isinstance(name, str) or not _ALUA_NAME.match(name.strip()) or name.strip() in (".", ".."):
        raise InvalidValue("An ALUA group name uses letters, digits and _ . : - (at most 64, no spaces).")
    name = name.strip()
    if new and name == DEFAULT_ALUA_GROUP:
        raise InvalidValue(f"{DEFAULT_ALUA_GROUP} is the kernel's own group: every backstore has it already.")
    return name


@dataclass(frozen=True, slots=True)
class _AluaGroupChange(Change):
    """Base of changes addressing ``core/<hba>/<name>/alua/<group>``: ``plugin``, ``name``, ``group``."""

    def _check_group(self, *, new: bool = False) -> None:
        _plugin(self.plugin)  # type: ignore[attr-defined]
        object.__setattr__(self, "name", _name(self.name, "backstore name"))  # type: ignore[attr-defined]
        object.__setattr__(self, "group", check_alua_group_name(self.group, new=new))  # type: ignore[attr-defined]

    @property
    def key(self) -> tuple[str, str]:
        return (self.plugin, self.name)  # type: ignore[attr-defined]

    @property
    def group_label(self) -> str:
        return f"ALUA group {self.group} of backstore {self.plugin}/{self.name}"  # type: ignore[attr-defined]

    @property
    def subject(self) -> str:
        return self.group_label

    @property
    def cfs_path(self) -> str:
        return f"core/{PLUGIN_PREFIX[self.plugin]}_*/{self.name}/alua/{self.group}"  # type: ignore[attr-defined]

    def scope(self) -> Scope:
        return Scope(storage_objects=frozenset({self.key}))

    @property
    def rts_so(self) -> str:
        return f"/backstores/{self.plugin}/{self.name}"  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class CreateAluaGroup(_AluaGroupChange):
    """An ALUA target port group of a backstore, with its group id (``tg_pt_gp_id``, 1-65535).

    Its LUNs join it with :class:`SetLunAluaGroup`; its state and type are
    :class:`SetAluaGroupParameter`.
    """

    plugin: str
    name: str
    group: str
    tg_pt_gp_id: int = 1

    def __post_init__(self) -> None:
        _bools(self)
        self._check_group(new=True)
        if isinstance(self.tg_pt_gp_id, bool) or not isinstance(self.tg_pt_gp_id, int) \
                or not 1 <= self.tg_pt_gp_id <= 65535:
            raise InvalidValue("An ALUA group id (tg_pt_gp_id) is a whole number from 1 to 65535.")

    def describe(self) -> str:
        return f"Create {self.group_label} with id {self.tg_pt_gp_id}"

    def targetcli(self) -> str:
        return (f"# rtslib: ALUATargetPortGroup(so({self.rts_so!r}), {self.group!r}, {self.tg_pt_gp_id})"
                "  (not in targetcli)")


@dataclass(frozen=True, slots=True)
class DeleteAluaGroup(_AluaGroupChange):
    """Delete an ALUA group: the kernel moves its LUNs back to ``default_tg_pt_gp``."""

    dangerous: ClassVar[bool] = True
    plugin: str
    name: str
    group: str
    expect: frozenset | None = None

    def __post_init__(self) -> None:
        _bools(self)
        self._check_group(new=True)

    def scope(self) -> Scope:
        return Scope(storage_objects=frozenset({self.key}), all_targets=True)

    def describe(self) -> str:
        return f"Delete {self.group_label} (its LUNs return to {DEFAULT_ALUA_GROUP})"

    def targetcli(self) -> str:
        return f"# rtslib: ALUATargetPortGroup(so({self.rts_so!r}), {self.group!r}).delete()  (not in targetcli)"


@dataclass(frozen=True, slots=True)
class SetAluaGroupParameter(_AluaGroupChange):
    """Write one parameter of an ALUA group (``alua_access_state``, ``preferred``, …)."""

    plugin: str
    name: str
    group: str
    parameter: str
    value: str | int
    expect: str | None = None

    def __post_init__(self) -> None:
        _bools(self)
        self._check_group()
        if self.parameter not in ALUA_PARAM_RANGE:
            raise InvalidValue(f"'{self.parameter}' is not an ALUA group parameter: use one of "
                               f"{', '.join(ALUA_PARAMS)}.")
        object.__setattr__(self, "value", str(alua_number(self.parameter, self.value)))

    @property
    def subject(self) -> str:
        return f"{self.parameter} of {self.group_label}"

    @property
    def cfs_path(self) -> str:
        return f"core/{PLUGIN_PREFIX[self.plugin]}_*/{self.name}/alua/{self.group}/{self.parameter}"

    def shown_value(self) -> str:
        number = int(self.value)
        if self.parameter == "alua_access_state":
            return f"{number} ({ALUA_STATES.get(number, '?')})"
        if self.parameter == "alua_access_type":
            return f"{number} ({ALUA_TYPES[number]})"
        if self.parameter == "alua_access_status":
            return f"{number} ({ALUA_STATUSES[number]})"
        return self.value

    def describe(self) -> str:
        return f"Set {self.parameter}={self.shown_value()} on {self.group_label}"

    def targetcli(self) -> str:
        return (f"# rtslib: ALUATargetPortGroup(so({self.rts_so!r}), {self.group!r}).{self.parameter} = {self.value}"
                "  (not in targetcli)")


# ---------------------------------------------------------------------------
# Targets and TPGs
# ---------------------------------------------------------------------------


def generate_wwn(fabric: str) -> str:
    """A fresh target name of the kind rtslib-fb generates for ``fabric``."""
    if fabric == "iscsi":
        return generate_iqn()
    import secrets

    return "naa.5001405" + secrets.token_hex(5)[:9]


@dataclass(frozen=True, slots=True)
class CreateTarget(_TargetScoped, Change):
    """A target, without TPG (add :class:`CreateTpg`); ``target=None`` generates a name like targetcli."""

    target: str | None = None
    fabric: str = "iscsi"

    def __post_init__(self) -> None:
        _bools(self)
        _fabric(self.fabric)
        wwn = generate_wwn(self.fabric) if self.target in (None, "") else self.target
        object.__setattr__(self, "target", check_wwn(self.fabric, wwn))

    @property
    def subject(self) -> str:
        return _target_label(self.fabric, self.target)

    @property
    def cfs_path(self) -> str:
        return _cfs_target(self.fabric, self.target)

    def describe(self) -> str:
        return f"Create {_target_label(self.fabric, self.target)}"

    def targetcli(self) -> str:
        return f"/{self.fabric} create wwn={self.target}"


@dataclass(frozen=True, slots=True)
class DeleteTarget(_TargetScoped, Change):
    """Delete a target with its TPGs, LUNs, ACLs and portals (sessions drop)."""

    dangerous: ClassVar[bool] = True
    target: str
    fabric: str = "iscsi"
    expect: frozenset | None = None

    def __post_init__(self) -> None:
        _bools(self)
        _fabric(self.fabric)
        object.__setattr__(self, "target", check_wwn(self.fabric, self.target))

    @property
    def subject(self) -> str:
        return _target_label(self.fabric, self.target)

    @property
    def cfs_path(self) -> str:
        return _cfs_target(self.fabric, self.target)

    def describe(self) -> str:
        return f"Delete {_target_label(self.fabric, self.target)} with everything in it"

    def targetcli(self) -> str:
        return f"/{self.fabric} delete {self.target}"


@dataclass(frozen=True, slots=True)
class _InTpg(_TargetScoped, Change):
    """Base of changes addressing one TPG: ``target``, ``tpg``, ``fabric``."""

    def _check_tpg(self) -> None:
        _fabric(self.fabric)  # type: ignore[attr-defined]
        object.__setattr__(self, "target", check_wwn(self.fabric, self.target))  # type: ignore[attr-defined]
        _tag(self.tpg)  # type: ignore[attr-defined]

    @property
    def tpg_label(self) -> str:
        return _tpg_label(self.fabric, self.target, self.tpg)  # type: ignore[attr-defined]

    @property
    def tpg_path(self) -> str:
        return _cfs_tpg(self.fabric, self.target, self.tpg)  # type: ignore[attr-defined]

    @property
    def rts_tpg(self) -> str:
        return _rts_tpg(self.fabric, self.target, self.tpg)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class CreateTpg(_TargetScoped, Change):
    """A target portal group; ``tpg=None`` takes the next free tag (like targetcli)."""

    target: str
    tpg: int | None = None
    fabric: str = "iscsi"

    def __post_init__(self) -> None:
        _bools(self)
        _fabric(self.fabric)
        object.__setattr__(self, "target", check_wwn(self.fabric, self.target))
        if self.tpg is not None:
            _tag(self.tpg)

    @property
    def subject(self) -> str:
        return f"TPG {self.tpg if self.tpg is not None else '(next free)'} of {self.target}"

    @property
    def cfs_path(self) -> str:
        return _cfs_tpg(self.fabric, self.target, self.tpg or 1)

    def describe(self) -> str:
        tag = f"TPG {self.tpg}" if self.tpg is not None else "a TPG (next free tag)"
        return f"Create {tag} in {_target_label(self.fabric, self.target)}"

    def targetcli(self) -> str:
        tag = f" tag={self.tpg}" if self.tpg is not None else ""
        return f"{_rts_target(self.fabric, self.target)} create{tag}"


@dataclass(frozen=True, slots=True)
class DeleteTpg(_InTpg):
    """Delete a TPG with its LUNs, ACLs and portals (disabled first: its sessions drop)."""

    dangerous: ClassVar[bool] = True
    target: str
    tpg: int
    fabric: str = "iscsi"
    expect: frozenset | None = None

    def __post_init__(self) -> None:
        _bools(self)
        self._check_tpg()

    @property
    def subject(self) -> str:
        return f"TPG {self.tpg_label}"

    @property
    def cfs_path(self) -> str:
        return self.tpg_path

    def describe(self) -> str:
        return f"Delete TPG {self.tpg_label} with its LUNs, ACLs and portals"

    def targetcli(self) -> str:
        return f"{_rts_target(self.fabric, self.target)} delete tag={self.tpg}"


@dataclass(frozen=True, slots=True)
class SetTpgEnabled(_InTpg):
    """Enable or disable a TPG (disabling drops its sessions; the listener stays)."""

    target: str
    tpg: int
    enabled: bool = True
    fabric: str = "iscsi"
    expect: bool | None = None  #: whether the form showed it enabled

    def __post_init__(self) -> None:
        _bools(self)
        self._check_tpg()

    @property
    def subject(self) -> str:
        return f"TPG {self.tpg_label}"

    @property
    def cfs_path(self) -> str:
        return f"{self.tpg_path}/enable"

    def describe(self) -> str:
        return f"{'Enable' if self.enabled else 'Disable'} TPG {self.tpg_label}"

    def targetcli(self) -> str:
        return f"{self.rts_tpg} {'enable' if self.enabled else 'disable'}"


@dataclass(frozen=True, slots=True)
class SetTpgAttribute(_InTpg):
    """Write ``tpgt_N/attrib/<attribute>`` (e.g. ``generate_node_acls``, ``authentication``)."""

    target: str
    tpg: int
    attribute: str
    value: str | int
    fabric: str = "iscsi"
    expect: str | None = None

    def __post_init__(self) -> None:
        _bools(self)
        self._check_tpg()
        _setting_name(self.attribute, "TPG attribute")
        from sanctl.lio.attributes import TPG_ATTRIB_RANGE

        bounds = TPG_ATTRIB_RANGE.get(self.attribute) if self.fabric == "iscsi" else None
        object.__setattr__(self, "value", _int_value(self.value, self.attribute, bounds))

    @property
    def subject(self) -> str:
        return f"attribute {self.attribute} of TPG {self.tpg_label}"

    @property
    def cfs_path(self) -> str:
        return f"{self.tpg_path}/attrib/{self.attribute}"

    def describe(self) -> str:
        return f"Set {self.attribute}={self.value} on TPG {self.tpg_label}"

    def targetcli(self) -> str:
        return f"{self.rts_tpg} set attribute {self.attribute}={self.value}"


#: RFC 7143 negotiation keys LIO checks (iscsi_check_value): allowed list items,
#: or a numeric range, or Yes/No. Unknown keys are left to the kernel.
_LIST_KEYS = {
    "HeaderDigest": ("CRC32C", "None"),
    "DataDigest": ("CRC32C", "None"),
    "AuthMethod": ("CHAP", "None", "KRB5", "SPKM1", "SPKM2", "SRP"),
}
_BOOL_KEYS = frozenset({"InitialR2T", "ImmediateData", "DataPDUInOrder", "DataSequenceInOrder",
                        "IFMarker", "OFMarker"})
_RANGE_KEYS = {
    "MaxConnections": (1, 65535),
    "MaxRecvDataSegmentLength": (512, 16777215),
    "MaxXmitDataSegmentLength": (512, 16777215),
    "MaxBurstLength": (512, 16777215),
    "FirstBurstLength": (512, 16777215),
    "DefaultTime2Wait": (0, 3600),
    "DefaultTime2Retain": (0, 3600),
    "MaxOutstandingR2T": (1, 65535),
    "ErrorRecoveryLevel": (0, 2),
}


def check_parameter(name: str, value: str) -> str:
    """An iSCSI negotiation key's value as LIO's validator accepts it."""
    if name in _LIST_KEYS:
        items = value.split(",")
        allowed = _LIST_KEYS[name]
        if any(item not in allowed for item in items):
            raise InvalidValue(f"{name} is a list of {', '.join(allowed)} (e.g. {','.join(allowed[:2])}).")
    elif name in _BOOL_KEYS:
        if value not in ("Yes", "No"):
            raise InvalidValue(f"{name} is Yes or No.")
    elif name in _RANGE_KEYS:
        low, high = _RANGE_KEYS[name]
        if not value.isdigit() or not low <= int(value) <= high:
            raise InvalidValue(f"{name} is a number from {low} to {high}.")
    elif name in ("IFMarkInt", "OFMarkInt"):
        if value != "Reject" and not re.fullmatch(r"\d+~\d+", value):
            raise InvalidValue(f"{name} is Reject or a range like 2048~65535 (markers are obsolete).")
    elif name != "TargetAlias" and " " in value:
        raise InvalidValue(f"{name} takes a value without spaces.")
    return value


@dataclass(frozen=True, slots=True)
class SetTpgParameter(_InTpg):
    """Write ``tpgt_N/param/<parameter>`` (an RFC 7143 key, e.g. ``HeaderDigest``)."""

    target: str
    tpg: int
    parameter: str
    value: str
    fabric: str = "iscsi"
    expect: str | None = None

    def __post_init__(self) -> None:
        _bools(self)
        self._check_tpg()
        _setting_name(self.parameter, "TPG parameter")
        object.__setattr__(self, "value", check_parameter(self.parameter, _setting_value(self.value, self.parameter)))

    @property
    def subject(self) -> str:
        return f"parameter {self.parameter} of TPG {self.tpg_label}"

    @property
    def cfs_path(self) -> str:
        return f"{self.tpg_path}/param/{self.parameter}"

    def describe(self) -> str:
        return f"Set {self.parameter}={self.value} on TPG {self.tpg_label}"

    def targetcli(self) -> str:
        value = f'"{self.value}"' if " " in self.value else self.value
        return f"{self.rts_tpg} set parameter {self.parameter}={value}"


@dataclass(frozen=True, slots=True)
class SetTpgAuth(_InTpg):
    """TPG-wide CHAP: the credentials checked in demo mode (``generate_node_acls=1``)."""

    target: str
    tpg: int
    chap: Chap = NO_CHAP
    fabric: str = "iscsi"
    expect: Chap | None = field(default=None, repr=False)  #: the credentials the form showed

    def __post_init__(self) -> None:
        _bools(self)
        self._check_tpg()
        if self.fabric != "iscsi":
            raise InvalidValue(f"The {self.fabric} fabric has no CHAP.")
        if not isinstance(self.chap, Chap):
            raise InvalidValue("CHAP credentials are required.")
        _check_expect_chap(self.expect)

    @property
    def subject(self) -> str:
        return f"CHAP of TPG {self.tpg_label}"

    @property
    def cfs_path(self) -> str:
        return f"{self.tpg_path}/auth"

    def describe(self) -> str:
        return f"Set TPG-wide {self.chap.summary()} on {self.tpg_label}"

    def targetcli(self) -> str:
        return f"{self.rts_tpg} set auth {self.chap.targetcli_args()}"


@dataclass(frozen=True, slots=True)
class SetDiscoveryAuth(Change):
    """iSCSI discovery authentication: credentials and whether it is enforced."""

    chap: Chap = NO_CHAP
    enforce: bool = False
    expect: Chap | None = field(default=None, repr=False)  #: the credentials the form showed
    expect_enforce: bool | None = None  #: whether the form showed it enforced

    def __post_init__(self) -> None:
        _bools(self)
        if not isinstance(self.chap, Chap):
            raise InvalidValue("CHAP credentials are required.")
        _check_expect_chap(self.expect)
        if self.enforce and not self.chap.enabled:
            raise InvalidValue("Enforcing discovery authentication needs a CHAP user name and secret.")

    @property
    def subject(self) -> str:
        return "iSCSI discovery authentication"

    @property
    def cfs_path(self) -> str:
        return "iscsi/discovery_auth"

    def scope(self) -> Scope:
        return Scope()

    def describe(self) -> str:
        if not self.enforce:
            return "Turn discovery authentication off" + (" (credentials kept)" if self.chap.enabled else "")
        return f"Require {self.chap.summary()} for discovery"

    def targetcli(self) -> str:
        return f"/iscsi set discovery_auth enable={int(self.enforce)} {self.chap.targetcli_args()}"


# ---------------------------------------------------------------------------
# LUNs
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateLun(_InTpg):
    """Export a backstore as a TPG LUN; ``index=None`` takes the lowest free number.

    With ``map_to_acls`` (targetcli's ``auto_add_mapped_luns``, on by
    default) every existing ACL of the TPG gets a mapped LUN for it: the same
    number if free there, else the lowest free one.
    """

    target: str
    tpg: int
    storage_object: tuple[str, str]
    index: int | None = None
    alias: str | None = None
    map_to_acls: bool = True
    fabric: str = "iscsi"

    def __post_init__(self) -> None:
        _bools(self)
        self._check_tpg()
        so = self.storage_object
        if not isinstance(so, tuple) or len(so) != 2:
            raise InvalidValue("Choose a backstore to export.")
        object.__setattr__(self, "storage_object", (_plugin(so[0]), _name(so[1], "backstore name")))
        if self.index is not None:
            _index(self.index, "LUN number")
        object.__setattr__(self, "alias", _alias(self.alias, "LUN alias"))

    def scope(self) -> Scope:
        return Scope(targets=frozenset({(self.fabric, self.target)}), storage_objects=frozenset({self.storage_object}))

    @property
    def subject(self) -> str:
        number = self.index if self.index is not None else "(next free)"
        return f"LUN {number} of {self.tpg_label}"

    @property
    def cfs_path(self) -> str:
        return f"{self.tpg_path}/lun/lun_{self.index if self.index is not None else 0}"

    def describe(self) -> str:
        plugin, name = self.storage_object
        number = f"LUN {self.index}" if self.index is not None else "a LUN"
        maps = ", mapped to every ACL" if self.map_to_acls and self.fabric in ACL_FABRICS else ""
        return f"Export {plugin}/{name} as {number} of {self.tpg_label}{maps}"

    def targetcli(self) -> str:
        plugin, name = self.storage_object
        line = f"{self.rts_tpg}/luns create storage_object=/backstores/{plugin}/{name}"
        if self.index is not None:
            line += f" lun={self.index}"
        if self.fabric in ACL_FABRICS:
            line += f" add_mapped_luns={_yes(self.map_to_acls)}"
        return line


@dataclass(frozen=True, slots=True)
class DeleteLun(_InTpg):
    """Remove a TPG LUN and every mapped LUN pointing at it (initiators lose the disk)."""

    dangerous: ClassVar[bool] = True
    target: str
    tpg: int
    index: int
    fabric: str = "iscsi"
    expect: frozenset | None = None

    def __post_init__(self) -> None:
        _bools(self)
        self._check_tpg()
        _index(self.index, "LUN number")

    @property
    def subject(self) -> str:
        return f"LUN {self.index} of {self.tpg_label}"

    @property
    def cfs_path(self) -> str:
        return f"{self.tpg_path}/lun/lun_{self.index}"

    def describe(self) -> str:
        return f"Delete LUN {self.index} of {self.tpg_label} and its mappings"

    def targetcli(self) -> str:
        return f"{self.rts_tpg}/luns delete lun={self.index}"


@dataclass(frozen=True, slots=True)
class SetLunAluaGroup(_InTpg):
    """Put a TPG LUN in an ALUA group of its backstore (``default_tg_pt_gp`` moves it back)."""

    target: str
    tpg: int
    index: int
    group: str = DEFAULT_ALUA_GROUP
    fabric: str = "iscsi"
    expect: str | None = None

    def __post_init__(self) -> None:
        _bools(self)
        self._check_tpg()
        _index(self.index, "LUN number")
        object.__setattr__(self, "group", check_alua_group_name(self.group))

    @property
    def subject(self) -> str:
        return f"ALUA group of LUN {self.index} of {self.tpg_label}"

    @property
    def cfs_path(self) -> str:
        return f"{self.tpg_path}/lun/lun_{self.index}/alua_tg_pt_gp"

    def describe(self) -> str:
        return f"Put LUN {self.index} of {self.tpg_label} in ALUA group {self.group}"

    def targetcli(self) -> str:
        return f"# rtslib: LUN({self.rts_tpg}, {self.index}).alua_tg_pt_gp_name = {self.group!r}  (not in targetcli)"


# ---------------------------------------------------------------------------
# Node ACLs and mapped LUNs
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _InAcl(_InTpg):
    def _check_acl(self) -> None:
        self._check_tpg()
        if self.fabric not in ACL_FABRICS:  # type: ignore[attr-defined]
            raise InvalidValue(f"The {self.fabric} fabric has no ACLs.")  # type: ignore[attr-defined]
        object.__setattr__(self, "initiator", check_wwn(self.fabric, self.initiator))  # type: ignore[attr-defined]

    @property
    def acl_label(self) -> str:
        return f"ACL {self.initiator} of {self.tpg_label}"  # type: ignore[attr-defined]

    @property
    def acl_path(self) -> str:
        return f"{self.tpg_path}/acls/{self.initiator}"  # type: ignore[attr-defined]

    @property
    def rts_acl(self) -> str:
        return f"{self.rts_tpg}/acls/{self.initiator}"  # type: ignore[attr-defined]


def _check_acl_tag(tag: str | None) -> str | None:
    if tag in (None, ""):
        return None
    if not isinstance(tag, str) or not _ACL_TAG.match(tag):
        raise InvalidValue("An ACL tag uses letters, digits and _ : @ + - (no '.' and no spaces), at most 64.")
    if tag == "NULL":
        raise InvalidValue("'NULL' cannot be a tag: LIO reads it as 'no tag'.")
    return tag


@dataclass(frozen=True, slots=True)
class CreateAcl(_InAcl):
    """Allow an initiator into a TPG; with ``map_all_luns`` every TPG LUN is mapped 1:1."""

    target: str
    tpg: int
    initiator: str
    map_all_luns: bool = True
    acl_tag: str | None = None
    fabric: str = "iscsi"

    def __post_init__(self) -> None:
        _bools(self)
        self._check_acl()
        object.__setattr__(self, "acl_tag", _check_acl_tag(self.acl_tag))

    @property
    def subject(self) -> str:
        return self.acl_label

    @property
    def cfs_path(self) -> str:
        return self.acl_path

    def describe(self) -> str:
        maps = " mapping every LUN" if self.map_all_luns else " (no LUN mapped yet)"
        tag = f", tag {self.acl_tag}" if self.acl_tag else ""
        return f"Allow initiator {self.initiator} into {self.tpg_label}{maps}{tag}"

    def targetcli(self) -> str:
        line = f"{self.rts_tpg}/acls create wwn={self.initiator} add_mapped_luns={_yes(self.map_all_luns)}"
        if self.acl_tag:
            line += f"\n{self.rts_tpg}/acls tag {self.initiator} {self.acl_tag}"
        return line


@dataclass(frozen=True, slots=True)
class DeleteAcl(_InAcl):
    """Remove an initiator's ACL with its mapped LUNs and CHAP (its session drops now)."""

    dangerous: ClassVar[bool] = True
    target: str
    tpg: int
    initiator: str
    fabric: str = "iscsi"
    expect: frozenset | None = None

    def __post_init__(self) -> None:
        _bools(self)
        self._check_acl()

    @property
    def subject(self) -> str:
        return self.acl_label

    @property
    def cfs_path(self) -> str:
        return self.acl_path

    def describe(self) -> str:
        return f"Delete {self.acl_label} (its session is dropped)"

    def targetcli(self) -> str:
        return f"{self.rts_tpg}/acls delete wwn={self.initiator}"


@dataclass(frozen=True, slots=True)
class SetAclTag(_InAcl):
    """Group an ACL under a tag (``None`` removes it from its group)."""

    target: str
    tpg: int
    initiator: str
    acl_tag: str | None = None
    fabric: str = "iscsi"
    expect: str | None = None  #: the tag the form showed ('' for none)

    def __post_init__(self) -> None:
        _bools(self)
        self._check_acl()
        object.__setattr__(self, "acl_tag", _check_acl_tag(self.acl_tag))
        if self.expect is not None and not isinstance(self.expect, str):
            raise InvalidValue("The tag shown must be text.")

    @property
    def subject(self) -> str:
        return f"tag of {self.acl_label}"

    @property
    def cfs_path(self) -> str:
        return f"{self.acl_path}/tag"

    def describe(self) -> str:
        if self.acl_tag:
            return f"Tag {self.acl_label} as {self.acl_tag}"
        return f"Remove the tag of {self.acl_label}"

    def targetcli(self) -> str:
        if self.acl_tag:
            return f"{self.rts_tpg}/acls tag {self.initiator} {self.acl_tag}"
        return f"{self.rts_tpg}/acls untag {self.initiator}"


@dataclass(frozen=True, slots=True)
class SetAclAttribute(_InAcl):
    """Write ``acls/<initiator>/attrib/<attribute>`` (e.g. ``nopin_timeout``)."""

    target: str
    tpg: int
    initiator: str
    attribute: str
    value: str | int
    fabric: str = "iscsi"
    expect: str | None = None

    def __post_init__(self) -> None:
        _bools(self)
        self._check_acl()
        _setting_name(self.attribute, "ACL attribute")
        from sanctl.lio.attributes import ACL_ATTRIB_RANGE

        bounds = ACL_ATTRIB_RANGE.get(self.attribute) if self.fabric == "iscsi" else None
        object.__setattr__(self, "value", _int_value(self.value, self.attribute, bounds))

    @property
    def subject(self) -> str:
        return f"attribute {self.attribute} of {self.acl_label}"

    @property
    def cfs_path(self) -> str:
        return f"{self.acl_path}/attrib/{self.attribute}"

    def describe(self) -> str:
        return f"Set {self.attribute}={self.value} on {self.acl_label}"

    def targetcli(self) -> str:
        return f"{self.rts_acl} set attribute {self.attribute}={self.value}"


@dataclass(frozen=True, slots=True)
class SetAclCmdsnDepth(_InAcl):
    """The initiator's command window (queue depth): ``acls/<initiator>/cmdsn_depth``."""

    target: str
    tpg: int
    initiator: str
    depth: int
    fabric: str = "iscsi"
    expect: int | None = None

    def __post_init__(self) -> None:
        _bools(self)
        self._check_acl()
        object.__setattr__(self, "depth", int(_int_value(self.depth, "cmdsn_depth", (1, 512))))

    @property
    def subject(self) -> str:
        return f"cmdsn_depth of {self.acl_label}"

    @property
    def cfs_path(self) -> str:
        return f"{self.acl_path}/cmdsn_depth"

    def describe(self) -> str:
        return f"Set the queue depth (cmdsn_depth) of {self.acl_label} to {self.depth}"

    def targetcli(self) -> str:
        return f"# rtslib: NodeACL({self.initiator!r}).tcq_depth = {self.depth}  (not in targetcli)"


@dataclass(frozen=True, slots=True)
class SetAclAuth(_InAcl):
    """Per-initiator CHAP (checked when the TPG has ``authentication=1`` and explicit ACLs)."""

    target: str
    tpg: int
    initiator: str
    chap: Chap = NO_CHAP
    fabric: str = "iscsi"
    expect: Chap | None = field(default=None, repr=False)  #: the credentials the form showed

    def __post_init__(self) -> None:
        _bools(self)
        self._check_acl()
        if self.fabric != "iscsi":
            raise InvalidValue(f"The {self.fabric} fabric has no CHAP.")
        if not isinstance(self.chap, Chap):
            raise InvalidValue("CHAP credentials are required.")
        _check_expect_chap(self.expect)

    @property
    def subject(self) -> str:
        return f"CHAP of {self.acl_label}"

    @property
    def cfs_path(self) -> str:
        return f"{self.acl_path}/auth"

    def describe(self) -> str:
        return f"Set {self.chap.summary()} on {self.acl_label}"

    def targetcli(self) -> str:
        return f"{self.rts_acl} set auth {self.chap.targetcli_args()}"


@dataclass(frozen=True, slots=True)
class CreateMappedLun(_InAcl):
    """Show TPG LUN ``tpg_lun`` to the initiator as LUN ``index``."""

    target: str
    tpg: int
    initiator: str
    index: int
    tpg_lun: int
    write_protect: bool = False
    alias: str | None = None
    fabric: str = "iscsi"

    def __post_init__(self) -> None:
        _bools(self)
        self._check_acl()
        _index(self.index, "mapped LUN number")
        _index(self.tpg_lun, "TPG LUN number")
        object.__setattr__(self, "alias", _alias(self.alias, "mapped LUN alias"))

    @property
    def subject(self) -> str:
        return f"mapped LUN {self.index} of {self.acl_label}"

    @property
    def cfs_path(self) -> str:
        return f"{self.acl_path}/lun_{self.index}"

    def describe(self) -> str:
        mode = "read-only" if self.write_protect else "read-write"
        return f"Map LUN {self.tpg_lun} of {self.tpg_label} to {self.initiator} as LUN {self.index} ({mode})"

    def targetcli(self) -> str:
        return (f"{self.rts_acl} create mapped_lun={self.index} tpg_lun_or_backstore={self.tpg_lun} "
                f"write_protect={_yes(self.write_protect)}")


@dataclass(frozen=True, slots=True)
class DeleteMappedLun(_InAcl):
    """Hide a LUN from one initiator."""

    dangerous: ClassVar[bool] = True
    target: str
    tpg: int
    initiator: str
    index: int
    fabric: str = "iscsi"

    def __post_init__(self) -> None:
        _bools(self)
        self._check_acl()
        _index(self.index, "mapped LUN number")

    @property
    def subject(self) -> str:
        return f"mapped LUN {self.index} of {self.acl_label}"

    @property
    def cfs_path(self) -> str:
        return f"{self.acl_path}/lun_{self.index}"

    def describe(self) -> str:
        return f"Unmap LUN {self.index} from {self.initiator} in {self.tpg_label}"

    def targetcli(self) -> str:
        return f"{self.rts_acl} delete mapped_lun={self.index}"


@dataclass(frozen=True, slots=True)
class SetMappedLunWriteProtect(_InAcl):
    target: str
    tpg: int
    initiator: str
    index: int
    write_protect: bool = True
    fabric: str = "iscsi"
    expect: bool | None = None  #: whether the form showed it write-protected

    def __post_init__(self) -> None:
        _bools(self)
        self._check_acl()
        _index(self.index, "mapped LUN number")

    @property
    def subject(self) -> str:
        return f"mapped LUN {self.index} of {self.acl_label}"

    @property
    def cfs_path(self) -> str:
        return f"{self.acl_path}/lun_{self.index}/write_protect"

    def describe(self) -> str:
        mode = "read-only" if self.write_protect else "read-write"
        return f"Make mapped LUN {self.index} of {self.initiator} in {self.tpg_label} {mode}"

    def targetcli(self) -> str:
        return f"{self.rts_acl}/mapped_lun{self.index} set attribute write_protect={int(self.write_protect)}"


# ---------------------------------------------------------------------------
# Portals
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _PortalChange(_InTpg):
    def _check_portal(self) -> None:
        self._check_tpg()
        if self.fabric != "iscsi":  # type: ignore[attr-defined]
            raise InvalidValue(f"The {self.fabric} fabric has no network portals.")  # type: ignore[attr-defined]
        object.__setattr__(self, "address", check_portal_address(_text(self.address, "portal address")))  # type: ignore[attr-defined]
        object.__setattr__(self, "port", check_port(self.port))  # type: ignore[attr-defined]

    @property
    def portal(self) -> str:
        return f"{self.address}:{self.port}"  # type: ignore[attr-defined]

    @property
    def subject(self) -> str:
        return f"portal {self.portal} of {self.tpg_label}"

    @property
    def cfs_path(self) -> str:
        return f"{self.tpg_path}/np/{self.portal}"


@dataclass(frozen=True, slots=True)
class CreatePortal(_PortalChange):
    """A listener: IPv4 dotted, IPv6 (brackets added), ``0.0.0.0`` / ``[::0]`` for all addresses."""

    target: str
    tpg: int
    address: str = DEFAULT_PORTAL
    port: int = 3260
    iser: bool = False
    offload: bool = False
    fabric: str = "iscsi"

    def __post_init__(self) -> None:
        _bools(self)
        self._check_portal()

    def describe(self) -> str:
        extra = "".join(f", {name}" for name, on in (("iSER", self.iser), ("offload", self.offload)) if on)
        return f"Listen on {self.portal} for {self.tpg_label}{extra}"

    def targetcli(self) -> str:
        line = f"{self.rts_tpg}/portals create ip_address={self.address} ip_port={self.port}"
        if self.iser:
            line += f"\n{self.rts_tpg}/portals/{self.portal} enable_iser true"
        if self.offload:
            line += f"\n{self.rts_tpg}/portals/{self.portal} enable_offload true"
        return line


@dataclass(frozen=True, slots=True)
class DeletePortal(_PortalChange):
    dangerous: ClassVar[bool] = True
    target: str
    tpg: int
    address: str
    port: int = 3260
    fabric: str = "iscsi"

    def __post_init__(self) -> None:
        _bools(self)
        self._check_portal()

    def describe(self) -> str:
        return f"Stop listening on {self.portal} for {self.tpg_label}"

    def targetcli(self) -> str:
        return f"{self.rts_tpg}/portals delete ip_address={self.address} ip_port={self.port}"


@dataclass(frozen=True, slots=True)
class SetPortalFlag(_PortalChange):
    """Turn iSER (``flag='iser'``) or Chelsio offload (``flag='offload'``) on or off."""

    target: str
    tpg: int
    address: str
    port: int
    flag: str
    on: bool = True
    fabric: str = "iscsi"
    expect: bool | None = None  #: whether the form showed the flag on

    def __post_init__(self) -> None:
        _bools(self)
        self._check_portal()
        if self.flag not in ("iser", "offload"):
            raise InvalidValue("A portal flag is 'iser' or 'offload'.")

    @property
    def cfs_path(self) -> str:
        return f"{self.tpg_path}/np/{self.portal}/{'iser' if self.flag == 'iser' else 'cxgbit'}"

    def describe(self) -> str:
        name = "iSER" if self.flag == "iser" else "offload"
        return f"{'Enable' if self.on else 'Disable'} {name} on portal {self.portal} of {self.tpg_label}"

    def targetcli(self) -> str:
        command = "enable_iser" if self.flag == "iser" else "enable_offload"
        return f"{self.rts_tpg}/portals/{self.portal} {command} {_yes(self.on)}"


# ---------------------------------------------------------------------------
# Helpers for forms and the record
# ---------------------------------------------------------------------------


def format_size(size: int | None) -> str:
    """A size the operator typed: ``1 GiB``, ``1.5 GiB``, ``999 PiB`` (never a seven-digit TiB)."""
    return words.size(size, whole=True) if size else "?"


def confirmed(change: Change, impact) -> Change:
    """``change`` carrying what the confirmation showed (:class:`~sanctl.lio.impact.Impact`)."""
    if not change.dangerous or not hasattr(change, "expect"):
        return change
    return replace(change, expect=frozenset(impact.keys))


def targetcli_iscsi_target(target: str | None = None, *, portal: tuple[str, int] | None = (DEFAULT_PORTAL, 3260),
                           enable: bool = True) -> list[Change]:
    """What ``targetcli /iscsi create`` does with default prefs, as explicit changes.

    Target, TPG 1, ``authentication=0``, the default portal (unless ``None``)
    and the TPG enabled.
    """
    first = CreateTarget(target)
    wwn = first.target
    out: list[Change] = [first, CreateTpg(wwn, 1), SetTpgAttribute(wwn, 1, "authentication", 0)]
    if portal is not None:
        out.append(CreatePortal(wwn, 1, portal[0], portal[1]))
    if enable:
        out.append(SetTpgEnabled(wwn, 1, True))
    return out


def loopback_target(target: str | None = None) -> list[Change]:
    """A loopback target with its TPG: its LUNs appear as local SCSI disks.

    rtslib-fb gives a new loopback TPG a generated nexus (the local
    initiator's WWN) when it creates it, as targetcli does.
    """
    first = CreateTarget(target, fabric="loopback")
    return [first, CreateTpg(first.target, 1, fabric="loopback")]


def targetcli_script(changes: Sequence[Change]) -> list[str]:
    """The changes as a targetcli batch, with the prefs that make it literal.

    targetcli's automatic extras (default portal, TPG 1, mapped LUNs) are
    turned off first, so each line does exactly what its change does; a
    ``/iscsi create`` is merged with the ``create tag=1`` that follows it,
    since targetcli always creates the first TPG itself.
    """
    lines = ["set global auto_add_default_portal=false auto_enable_tpgt=false auto_add_mapped_luns=false"]
    skip_tpg: set[tuple[str, str]] = set()
    for change in changes:
        if isinstance(change, CreateTarget):
            skip_tpg.add((change.fabric, change.target))
        elif isinstance(change, CreateTpg) and (change.fabric, change.target) in skip_tpg and change.tpg in (1, None):
            skip_tpg.discard((change.fabric, change.target))
            continue
        lines.extend(change.targetcli().splitlines())
    return lines


def fields_of(change: Change) -> dict[str, object]:
    """A change's fields by name (for the UI's review table and tests)."""
    return {f.name: getattr(change, f.name) for f in fields(change)}


def all_change_types() -> list[type[Change]]:
    """Every concrete change class (for tests and the help screen)."""
    module = globals()
    return sorted(
        (obj for name, obj in module.items()
         if isinstance(obj, type) and issubclass(obj, Change) and obj is not Change and not name.startswith("_")),
        key=lambda c: c.__name__,
    )


def subjects(changes: Iterable[Change]) -> list[str]:
    return [c.subject for c in changes]
