"""One setting file of one object: the change every attribute and parameter form makes.

A backstore's, a TPG's or an ACL's ``attrib/<key>``, a TPG's ``param/<key>``
(an RFC 7143 negotiation key), an ALUA group's parameter: one
:class:`SetSetting` with the object's reference
(:mod:`sanctl.lio.changes.refs`), the group (``attribute`` or
``parameter``), the key and the value. The reference says how the setting
is named, where its file is and the targetcli line; :data:`SETTINGS` says,
for each kind of object and group, how a value is checked.

The functions below build the five kinds with the arguments their forms
have (``tpg_attribute(wwn, tag, "authentication", 1)``).

No Textual here, and nothing touches the system.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sanctl.names import InvalidValue
from sanctl.lio.attributes import ACL_ATTRIB_RANGE, TPG_ATTRIB_RANGE
from sanctl.lio.changes.alua import ALUA_PARAM_RANGE, ALUA_PARAMS, ALUA_STATES, ALUA_STATUSES, ALUA_TYPES, alua_number
from sanctl.lio.changes.base import Change, Scope, _int_value, _setting_name, _setting_value
from sanctl.lio.changes.fabric import check_parameter
from sanctl.lio.changes.refs import AclRef, AluaGroupRef, BackstoreRef, TpgRef

Ref = BackstoreRef | AluaGroupRef | TpgRef | AclRef


def _backstore_attribute(owner, key: str, value: object) -> str:
    _setting_name(key, "attribute")
    return _setting_value(value, key)


def _tpg_attribute(owner, key: str, value: object) -> str:
    _setting_name(key, "TPG attribute")
    return _int_value(value, key, TPG_ATTRIB_RANGE.get(key) if owner.fabric == "iscsi" else None)


def _tpg_parameter(owner, key: str, value: object) -> str:
    _setting_name(key, "TPG parameter")
    return check_parameter(key, _setting_value(value, key))


def _acl_attribute(owner, key: str, value: object) -> str:
    _setting_name(key, "ACL attribute")
    return _int_value(value, key, ACL_ATTRIB_RANGE.get(key) if owner.fabric == "iscsi" else None)


def _alua_parameter(owner, key: str, value: object) -> str:
    if key not in ALUA_PARAM_RANGE:
        raise InvalidValue(f"'{key}' is not an ALUA group parameter: use one of {', '.join(ALUA_PARAMS)}.")
    return str(alua_number(key, value))


#: (kind of object, group) -> the check of a value, which returns it as the kernel's file holds it.
SETTINGS: dict[tuple[type, str], Callable[[Ref, str, object], str]] = {
    (BackstoreRef, "attribute"): _backstore_attribute,
    (TpgRef, "attribute"): _tpg_attribute,
    (TpgRef, "parameter"): _tpg_parameter,
    (AclRef, "attribute"): _acl_attribute,
    (AluaGroupRef, "parameter"): _alua_parameter,
}
#: The kinds of object that have settings (each writer has a step for each).
SETTING_OWNERS = tuple(dict.fromkeys(kind for kind, _ in SETTINGS))


@dataclass(frozen=True, slots=True)
class SetSetting(Change):
    """Write one setting of an object (e.g. ``emulate_tpu=1`` of a backstore for thin UNMAP).

    ``expect`` is the value the form showed: the writer refuses the change
    if the file holds another one by then.
    """

    owner: Ref
    group: str
    key: str
    value: str | int
    expect: str | None = None

    def __post_init__(self) -> None:
        check = SETTINGS.get((type(self.owner), self.group))
        if check is None:
            raise InvalidValue(f"A {type(self.owner).__name__} has no {self.group} settings.")
        object.__setattr__(self, "value", check(self.owner, self.key, self.value))

    @property
    def ref(self) -> Ref:
        return self.owner

    def sets(self, owner: type, group: str, key: str | None = None) -> bool:
        """Whether this writes a ``group`` setting (``key`` if given) of a ``owner`` kind of object."""
        return type(self.owner) is owner and self.group == group and key in (None, self.key)

    @property
    def subject(self) -> str:
        return self.owner.setting_subject(self.group, self.key)

    @property
    def cfs_path(self) -> str:
        return self.owner.setting_path(self.group, self.key)

    def scope(self) -> Scope:
        return self.owner.scope()

    def shown_value(self) -> str:
        """The value with its meaning, where the kernel's number has one (an ALUA state, type or status)."""
        value = str(self.value)
        if isinstance(self.owner, AluaGroupRef):
            number = int(value)
            if self.key == "alua_access_state":
                return f"{number} ({ALUA_STATES.get(number, '?')})"
            if self.key == "alua_access_type":
                return f"{number} ({ALUA_TYPES[number]})"
            if self.key == "alua_access_status":
                return f"{number} ({ALUA_STATUSES[number]})"
        return value

    def describe(self) -> str:
        return f"Set {self.key}={self.shown_value()} on {self.owner.label}"

    def targetcli(self) -> str:
        return self.owner.setting_line(self.group, self.key, str(self.value))


# ---------------------------------------------------------------------------
# The five kinds, built with the arguments their forms have
# ---------------------------------------------------------------------------


def backstore_attribute(plugin: str, name: str, attribute: str, value: str | int,
                        expect: str | None = None) -> SetSetting:
    """``attrib/<attribute>`` of a backstore."""
    return SetSetting(BackstoreRef(plugin, name), "attribute", attribute, value, expect)


def alua_group_parameter(plugin: str, name: str, group: str, parameter: str, value: str | int,
                         expect: str | None = None) -> SetSetting:
    """One parameter of an ALUA group (``alua_access_state``, ``preferred``, …); states and types also by name."""
    return SetSetting(AluaGroupRef(plugin, name, group), "parameter", parameter, value, expect)


def tpg_attribute(target: str, tpg: int, attribute: str, value: str | int, fabric: str = "iscsi",
                  expect: str | None = None) -> SetSetting:
    """``tpgt_N/attrib/<attribute>`` (e.g. ``generate_node_acls``, ``authentication``)."""
    return SetSetting(TpgRef(target, tpg, fabric), "attribute", attribute, value, expect)


def tpg_parameter(target: str, tpg: int, parameter: str, value: str, fabric: str = "iscsi",
                  expect: str | None = None) -> SetSetting:
    """``tpgt_N/param/<parameter>`` (an RFC 7143 key, e.g. ``HeaderDigest``)."""
    return SetSetting(TpgRef(target, tpg, fabric), "parameter", parameter, value, expect)


def acl_attribute(target: str, tpg: int, initiator: str, attribute: str, value: str | int, fabric: str = "iscsi",
                  expect: str | None = None) -> SetSetting:
    """``acls/<initiator>/attrib/<attribute>`` (e.g. ``nopin_timeout``)."""
    return SetSetting(AclRef(target, tpg, initiator, fabric), "attribute", attribute, value, expect)
