"""ALUA target port groups of a storage object: create, delete, set a parameter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from sanctl.names import InvalidValue
from sanctl.lio.changes.base import Change, Scope, _int_value
from sanctl.lio.changes.refs import DEFAULT_ALUA_GROUP, _ALUA_NAME, AluaGroupRef, _WithinBackstore, check_alua_group_name  # noqa: F401


# ---------------------------------------------------------------------------
# ALUA target port groups (of a storage object) and a LUN's group
# ---------------------------------------------------------------------------

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


@dataclass(frozen=True, slots=True)
class _AluaGroupChange(_WithinBackstore, Change):
    """Base of the changes that make or remove a group (not ``default_tg_pt_gp``): ``plugin``, ``name``, ``group``."""

    ref_kind = AluaGroupRef

    def __post_init__(self) -> None:
        Change.__post_init__(self)
        check_alua_group_name(self.group, new=True)  # type: ignore[attr-defined]

    @property
    def group_label(self) -> str:
        return self.ref.label


@dataclass(frozen=True, slots=True)
class CreateAluaGroup(_AluaGroupChange):
    """An ALUA target port group of a backstore, with its group id (``tg_pt_gp_id``, 1-65535).

    Its LUNs join it with :class:`SetLunAluaGroup`; its state and type are
    :func:`~sanctl.lio.changes.setting.alua_group_parameter`.
    """

    plugin: str
    name: str
    group: str
    tg_pt_gp_id: int = 1

    def __post_init__(self) -> None:
        _AluaGroupChange.__post_init__(self)
        if isinstance(self.tg_pt_gp_id, bool) or not isinstance(self.tg_pt_gp_id, int) \
                or not 1 <= self.tg_pt_gp_id <= 65535:
            raise InvalidValue("An ALUA group id (tg_pt_gp_id) is a whole number from 1 to 65535.")

    def describe(self) -> str:
        return f"Create {self.group_label} with id {self.tg_pt_gp_id}"

    def targetcli(self) -> str:
        return (f"# rtslib: ALUATargetPortGroup(so({self.ref.rts!r}), {self.group!r}, {self.tg_pt_gp_id})"
                "  (not in targetcli)")


@dataclass(frozen=True, slots=True)
class DeleteAluaGroup(_AluaGroupChange):
    """Delete an ALUA group: the kernel moves its LUNs back to ``default_tg_pt_gp``."""

    dangerous: ClassVar[bool] = True
    plugin: str
    name: str
    group: str
    expect: frozenset | None = None

    def scope(self) -> Scope:
        return Scope(storage_objects=frozenset({self.key}), all_targets=True)

    def describe(self) -> str:
        return f"Delete {self.group_label} (its LUNs return to {DEFAULT_ALUA_GROUP})"

    def targetcli(self) -> str:
        return f"# rtslib: ALUATargetPortGroup(so({self.ref.rts!r}), {self.group!r}).delete()  (not in targetcli)"


