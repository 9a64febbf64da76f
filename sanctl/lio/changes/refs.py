"""Which object a change is about: small frozen values naming a backstore, an
ALUA group, a target, a TPG or an ACL.

A reference is checked when it is built (as every change is) and says, once
for every change that addresses its object, how the review line and error
messages name it (:attr:`label`), where it is in configfs (:attr:`path`,
relative to ``/sys/kernel/config/target``), where in targetcli
(:attr:`rts`) and which part of configfs a change to it reads
(:meth:`scope`). Its fields carry the names the flat changes use
(``plugin``/``name``, ``fabric``/``target``/``tpg``/``initiator``), so the
planner's lookups take either.

A reference also says how one of its setting files is named and written
(:meth:`setting_subject`, :meth:`setting_path`, :meth:`setting_line`), for
:class:`~sanctl.lio.changes.setting.SetSetting`.

No Textual here, and nothing touches the system.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sanctl.names import InvalidValue
from sanctl.lio.changes.base import (
    ACL_FABRICS,
    PLUGIN_PREFIX,
    Scope,
    _cfs_target,
    _cfs_tpg,
    _fabric,
    _name,
    _plugin,
    _rts_target,
    _rts_tpg,
    _tag,
    _target_label,
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


@dataclass(frozen=True, slots=True)
class BackstoreRef(_Ref):
    """A storage object: rtslib-fb's plugin name and the object's name."""

    plugin: str
    name: str

    def __post_init__(self) -> None:
        _plugin(self.plugin)
        object.__setattr__(self, "name", _name(self.name, "backstore name"))

    @property
    def key(self) -> tuple[str, str]:
        return (self.plugin, self.name)

    @property
    def label(self) -> str:
        return f"backstore {self.plugin}/{self.name}"

    @property
    def path(self) -> str:
        """A pattern: the HBA index is the kernel's (``core/iblock_*/name``)."""
        return f"core/{PLUGIN_PREFIX[self.plugin]}_*/{self.name}"

    @property
    def rts(self) -> str:
        return f"/backstores/{self.plugin}/{self.name}"

    def scope(self) -> Scope:
        return Scope(storage_objects=frozenset({self.key}))


@dataclass(frozen=True, slots=True)
class AluaGroupRef(_Ref):
    """An ALUA target port group of a backstore; its parameters are files of the group's own folder."""

    plugin: str
    name: str
    group: str

    def __post_init__(self) -> None:
        _plugin(self.plugin)
        object.__setattr__(self, "name", _name(self.name, "backstore name"))
        object.__setattr__(self, "group", check_alua_group_name(self.group))

    @property
    def backstore(self) -> BackstoreRef:
        return BackstoreRef(self.plugin, self.name)

    @property
    def key(self) -> tuple[str, str]:
        return (self.plugin, self.name)

    @property
    def label(self) -> str:
        return f"ALUA group {self.group} of {self.backstore.label}"

    @property
    def path(self) -> str:
        return f"{self.backstore.path}/alua/{self.group}"

    @property
    def rts(self) -> str:
        return self.backstore.rts

    def scope(self) -> Scope:
        return Scope(storage_objects=frozenset({self.key}))

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
        return _cfs_target(self.fabric, self.target)

    @property
    def rts(self) -> str:
        return _rts_target(self.fabric, self.target)

    def scope(self) -> Scope:
        return Scope(targets=frozenset({(self.fabric, self.target)}))


@dataclass(frozen=True, slots=True)
class TpgRef(_Ref):
    """A target portal group: the target and the group's tag."""

    target: str
    tpg: int
    fabric: str = "iscsi"

    def __post_init__(self) -> None:
        _fabric(self.fabric)
        object.__setattr__(self, "target", check_wwn(self.fabric, self.target))
        _tag(self.tpg)

    @property
    def short(self) -> str:
        """``<wwn>/tpg<N>``, as the review lines name a TPG after a verb (``into …``, ``of …``)."""
        return _tpg_label(self.fabric, self.target, self.tpg)

    @property
    def label(self) -> str:
        return f"TPG {self.short}"

    @property
    def path(self) -> str:
        return _cfs_tpg(self.fabric, self.target, self.tpg)

    @property
    def rts(self) -> str:
        return _rts_tpg(self.fabric, self.target, self.tpg)

    def scope(self) -> Scope:
        return Scope(targets=frozenset({(self.fabric, self.target)}))


@dataclass(frozen=True, slots=True)
class AclRef(_Ref):
    """A node ACL: an initiator's name in a TPG."""

    target: str
    tpg: int
    initiator: str
    fabric: str = "iscsi"

    def __post_init__(self) -> None:
        _fabric(self.fabric)
        object.__setattr__(self, "target", check_wwn(self.fabric, self.target))
        _tag(self.tpg)
        if self.fabric not in ACL_FABRICS:
            raise InvalidValue(f"The {self.fabric} fabric has no ACLs.")
        object.__setattr__(self, "initiator", check_wwn(self.fabric, self.initiator))

    @property
    def label(self) -> str:
        return f"ACL {self.initiator} of {_tpg_label(self.fabric, self.target, self.tpg)}"

    @property
    def path(self) -> str:
        return f"{_cfs_tpg(self.fabric, self.target, self.tpg)}/acls/{self.initiator}"

    @property
    def rts(self) -> str:
        return f"{_rts_tpg(self.fabric, self.target, self.tpg)}/acls/{self.initiator}"

    def scope(self) -> Scope:
        return Scope(targets=frozenset({(self.fabric, self.target)}))
