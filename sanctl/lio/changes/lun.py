"""Changes to a TPG's LUNs: export a backstore, delete, put in an ALUA group."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from sanctl.names import InvalidValue
from sanctl.lio.changes.base import ACL_FABRICS, Scope, _alias, _index, _name, _plugin, _yes
from sanctl.lio.changes.alua import DEFAULT_ALUA_GROUP, check_alua_group_name
from sanctl.lio.changes.fabric import _InTpg
from sanctl.lio.changes.refs import LunRef


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
        _InTpg.__post_init__(self)
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
    ref_kind = LunRef
    target: str
    tpg: int
    index: int
    fabric: str = "iscsi"
    expect: frozenset | None = None

    def describe(self) -> str:
        return f"Delete LUN {self.index} of {self.tpg_label} and its mappings"

    def targetcli(self) -> str:
        return f"{self.rts_tpg}/luns delete lun={self.index}"


@dataclass(frozen=True, slots=True)
class SetLunAluaGroup(_InTpg):
    """Put a TPG LUN in an ALUA group of its backstore (``default_tg_pt_gp`` moves it back)."""

    ref_kind = LunRef
    target: str
    tpg: int
    index: int
    group: str = DEFAULT_ALUA_GROUP
    fabric: str = "iscsi"
    expect: str | None = None
    writes, what = "alua_tg_pt_gp", "ALUA group"

    def __post_init__(self) -> None:
        _InTpg.__post_init__(self)
        object.__setattr__(self, "group", check_alua_group_name(self.group))

    def describe(self) -> str:
        return f"Put LUN {self.index} of {self.tpg_label} in ALUA group {self.group}"

    def targetcli(self) -> str:
        return f"# rtslib: LUN({self.rts_tpg}, {self.index}).alua_tg_pt_gp_name = {self.group!r}  (not in targetcli)"
