"""Which object a change is about: a backstore, an ALUA group, a target, a TPG,
a LUN, a portal, an ACL or a mapped LUN, as a small frozen value.

A reference is checked when built and says, once for every change that
addresses its object, how it is named (:attr:`label`), where it is in configfs
(:attr:`path`) and in targetcli (:attr:`rts`), what a change to it reads
(:meth:`scope`), and how one of its setting files is named and written (for
:class:`~sanctl.lio.changes.setting.SetSetting`). Its fields carry the names
the changes use (``plugin``, ``name``, ``fabric``, ``target``, ``tpg``,
``initiator``, ``index``): a change builds its :attr:`~sanctl.lio.changes.Change.ref`
from them, and the planner's lookups take either.

No Textual here, and nothing touches the system.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sanctl.model import FABRIC_DIRS
from sanctl.names import InvalidValue, check_port, check_portal_address
from sanctl.lio.changes.base import (
    ACL_FABRICS,
    PLUGIN_PREFIX,
    Scope,
    _fabric,
    _index,
    _name,
    _plugin,
    _tag,
    _target_label,
    _text,
    _tpg_label,
    check_wwn,
)

#: The group the kernel gives every ALUA-capable backstore; it cannot be created or deleted.
DEFAULT_ALUA_GROUP = "default_tg_pt_gp"
#: A group name: one configfs directory, no whitespace.
_ALUA_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,63}$")


def check_alua_group_name(name: object, *, new: bool = False) -> str:
    """An ALUA group name: letters, digits and ``_ . : -`` (not ``default_tg_pt_gp`` for a new one)."""
    if not isinstance(name, str) or not _ALUA_NAME.match(name.strip()) or name.strip() in (".", ".."):
        raise InvalidValue("An ALUA group name uses letters, digits and _ . : - (at most 64, no spaces).")
    name = name.strip()
    if new and name == DEFAULT_ALUA_GROUP:
        raise InvalidValue(f"{DEFAULT_ALUA_GROUP} is the kernel's own group: every backstore has it already.")
    return name


class _Ref:
    """What every reference says of its settings: ``attrib/<key>`` or ``param/<key>`` under its path."""

    __slots__ = ()

    def setting_subject(self, group: str, key: str) -> str:
        return f"{group} {key} of {self.label}"  # type: ignore[attr-defined]

    def setting_path(self, group: str, key: str) -> str:
        return f"{self.path}/{'attrib' if group == 'attribute' else 'param'}/{key}"  # type: ignore[attr-defined]

    def setting_line(self, group: str, key: str, value: str) -> str:
        if group == "parameter" and " " in value:  # a value with spaces (TargetAlias) is quoted
            value = f'"{value}"'
        return f"{self.rts} set {group} {key}={value}"  # type: ignore[attr-defined]


class _WithinBackstore:
    """What a reference or change of a backstore or in it (fields ``plugin``, ``name``) says of the backstore."""

    __slots__ = ()

    @property
    def key(self) -> tuple[str, str]:
        return (self.plugin, self.name)  # type: ignore[attr-defined]

    @property
    def backstore_label(self) -> str:
        return f"backstore {self.plugin}/{self.name}"  # type: ignore[attr-defined]

    @property
    def backstore_path(self) -> str:
        """A pattern: the HBA index is the kernel's (``core/iblock_*/name``)."""
        return f"core/{PLUGIN_PREFIX[self.plugin]}_*/{self.name}"  # type: ignore[attr-defined]

    @property
    def rts(self) -> str:
        return f"/backstores/{self.plugin}/{self.name}"  # type: ignore[attr-defined]

    def scope(self) -> Scope:
        return Scope(storage_objects=frozenset({self.key}))


def _check_backstore(ref) -> None:
    _plugin(ref.plugin)
    object.__setattr__(ref, "name", _name(ref.name, "backstore name"))


@dataclass(frozen=True, slots=True)
class BackstoreRef(_WithinBackstore, _Ref):
    """A storage object: rtslib-fb's plugin name and the object's name."""

    plugin: str
    name: str

    def __post_init__(self) -> None:
        _check_backstore(self)

    @property
    def label(self) -> str:
        return self.backstore_label

    @property
    def path(self) -> str:
        return self.backstore_path


@dataclass(frozen=True, slots=True)
class AluaGroupRef(_WithinBackstore, _Ref):
    """An ALUA target port group of a backstore; its parameters are files of the group's own folder."""

    plugin: str
    name: str
    group: str

    def __post_init__(self) -> None:
        _check_backstore(self)
        object.__setattr__(self, "group", check_alua_group_name(self.group))

    @property
    def label(self) -> str:
        return f"ALUA group {self.group} of {self.backstore_label}"

    @property
    def path(self) -> str:
        return f"{self.backstore_path}/alua/{self.group}"

    def setting_subject(self, group: str, key: str) -> str:
        return f"{key} of {self.label}"

    def setting_path(self, group: str, key: str) -> str:
        return f"{self.path}/{key}"

    def setting_line(self, group: str, key: str, value: str) -> str:
        return f"# rtslib: ALUATargetPortGroup(so({self.rts!r}), {self.group!r}).{key} = {value}  (not in targetcli)"


@dataclass(frozen=True, slots=True)
class TargetRef(_Ref):
    """A target: its WWN (an IQN for iSCSI) in a fabric."""

    target: str
    fabric: str = "iscsi"

    def __post_init__(self) -> None:
        _fabric(self.fabric)
        object.__setattr__(self, "target", check_wwn(self.fabric, self.target))

    @property
    def label(self) -> str:
        return _target_label(self.fabric, self.target)

    @property
    def path(self) -> str:
        return f"{FABRIC_DIRS[self.fabric]}/{self.target}"

    @property
    def rts(self) -> str:
        return f"/{self.fabric}/{self.target}"

    def scope(self) -> Scope:
        return Scope(targets=frozenset({(self.fabric, self.target)}))


def _check_tpg(ref) -> None:
    """A reference inside a TPG: a known fabric, the target's name as the fabric spells it, a tag."""
    _fabric(ref.fabric)
    object.__setattr__(ref, "target", check_wwn(ref.fabric, ref.target))
    _tag(ref.tpg)


class _WithinTpg:
    """What a reference or change inside a TPG (fields ``target``, ``tpg``, ``fabric``) says of its TPG."""

    __slots__ = ()

    @property
    def tpg_label(self) -> str:
        """``<wwn>/tpg<N>``, as the review lines name a TPG after a verb (``into …``, ``of …``)."""
        return _tpg_label(self.fabric, self.target, self.tpg)  # type: ignore[attr-defined]

    @property
    def tpg_path(self) -> str:
        return f"{FABRIC_DIRS[self.fabric]}/{self.target}/tpgt_{self.tpg}"  # type: ignore[attr-defined]

    @property
    def rts_tpg(self) -> str:
        return f"/{self.fabric}/{self.target}/tpg{self.tpg}"  # type: ignore[attr-defined]

    def scope(self) -> Scope:
        return Scope(targets=frozenset({(self.fabric, self.target)}))  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class TpgRef(_WithinTpg, _Ref):
    """A target portal group: the target and the group's tag."""

    target: str
    tpg: int
    fabric: str = "iscsi"

    def __post_init__(self) -> None:
        _check_tpg(self)

    @property
    def label(self) -> str:
        return f"TPG {self.tpg_label}"

    @property
    def path(self) -> str:
        return self.tpg_path

    @property
    def rts(self) -> str:
        return self.rts_tpg


@dataclass(frozen=True, slots=True)
class LunRef(_WithinTpg, _Ref):
    """A TPG's LUN, by its number."""

    target: str
    tpg: int
    index: int
    fabric: str = "iscsi"

    def __post_init__(self) -> None:
        _check_tpg(self)
        _index(self.index, "LUN number")

    @property
    def label(self) -> str:
        return f"LUN {self.index} of {self.tpg_label}"

    @property
    def path(self) -> str:
        return f"{self.tpg_path}/lun/lun_{self.index}"


@dataclass(frozen=True, slots=True)
class PortalRef(_WithinTpg, _Ref):
    """An iSCSI TPG's network portal (a listener): IPv4 dotted, IPv6 in brackets, and a port."""

    target: str
    tpg: int
    address: str
    port: int = 3260
    fabric: str = "iscsi"

    def __post_init__(self) -> None:
        _check_tpg(self)
        if self.fabric != "iscsi":
            raise InvalidValue(f"The {self.fabric} fabric has no network portals.")
        object.__setattr__(self, "address", check_portal_address(_text(self.address, "portal address")))
        object.__setattr__(self, "port", check_port(self.port))

    @property
    def portal(self) -> str:
        return f"{self.address}:{self.port}"

    @property
    def label(self) -> str:
        return f"portal {self.portal} of {self.tpg_label}"

    @property
    def path(self) -> str:
        return f"{self.tpg_path}/np/{self.portal}"


class _WithinAcl(_WithinTpg):
    """What a reference or change inside an ACL (``initiator`` in a TPG) says of its ACL."""

    __slots__ = ()

    @property
    def acl_label(self) -> str:
        return f"ACL {self.initiator} of {self.tpg_label}"  # type: ignore[attr-defined]

    @property
    def acl_path(self) -> str:
        return f"{self.tpg_path}/acls/{self.initiator}"  # type: ignore[attr-defined]

    @property
    def rts_acl(self) -> str:
        return f"{self.rts_tpg}/acls/{self.initiator}"  # type: ignore[attr-defined]


def _check_acl(ref) -> None:
    _check_tpg(ref)
    if ref.fabric not in ACL_FABRICS:
        raise InvalidValue(f"The {ref.fabric} fabric has no ACLs.")
    object.__setattr__(ref, "initiator", check_wwn(ref.fabric, ref.initiator))


@dataclass(frozen=True, slots=True)
class AclRef(_WithinAcl, _Ref):
    """A node ACL: an initiator's name in a TPG."""

    target: str
    tpg: int
    initiator: str
    fabric: str = "iscsi"

    def __post_init__(self) -> None:
        _check_acl(self)

    @property
    def label(self) -> str:
        return self.acl_label

    @property
    def path(self) -> str:
        return self.acl_path

    @property
    def rts(self) -> str:
        return self.rts_acl


@dataclass(frozen=True, slots=True)
class MappedLunRef(_WithinAcl, _Ref):
    """A LUN as one initiator sees it: its number within the ACL."""

    target: str
    tpg: int
    initiator: str
    index: int
    fabric: str = "iscsi"

    def __post_init__(self) -> None:
        _check_acl(self)
        _index(self.index, "mapped LUN number")

    @property
    def label(self) -> str:
        return f"mapped LUN {self.index} of {self.acl_label}"

    @property
    def path(self) -> str:
        return f"{self.acl_path}/lun_{self.index}"
