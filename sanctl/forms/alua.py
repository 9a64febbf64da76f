"""ALUA target port groups: ``a`` on a backstore adds one, ``e`` on it picks one, ``e`` on a LUN moves it."""

from __future__ import annotations

from typing import Any

from sanctl.model import StorageObject, Target, Tpg
from sanctl.names import (
    InvalidValue,
)
from sanctl.lio import changes as C
from sanctl.forms.spec import BOOL, SELECT, Choice, Field, FormSpec
from sanctl.forms.context import (
    _FLAG, Context, _int, _lowest_free,
)
from sanctl.forms.edit import storage_object_edit



def _alua_state_choices() -> tuple[Choice, ...]:
    return tuple(Choice(str(n), f"{n} {name}") for n, name in C.ALUA_STATES.items())


def _alua_summary(group) -> str:
    state = group.settings.value("alua_access_state")
    name = C.ALUA_STATES.get(int(state), "?") if state and state.isdigit() else "?"
    return f"id {group.tg_pt_gp_id}, {name}"


def alua_group_form(ctx: Context, so: StorageObject) -> FormSpec | str:
    """``a`` on a backstore: a new ALUA target port group with its id, state and type."""
    if so.alua_groups is None or not so.alua_supported:
        return (f"Backstore {so.plugin}/{so.name} passes ALUA through to its device (alua_support=0): "
                "it has no ALUA groups. Nothing else can be added under a backstore.")
    names = {g.name for g in so.alua_groups}
    ids = {g.tg_pt_gp_id for g in so.alua_groups if g.tg_pt_gp_id}
    free = _lowest_free(ids, 1)

    def name(text: str) -> str:
        value = C.check_alua_group_name(text, new=True)
        if value in names:
            raise InvalidValue(f"{so.plugin}/{so.name} has an ALUA group {value} already.")
        return value

    def gid(text: str) -> int:
        value = _int(text, "A group id", 1, 65535)
        if value in ids:
            raise InvalidValue(f"Another ALUA group of {so.plugin}/{so.name} has id {value}.")
        return value

    fields = (
        Field("group", "Name", check=name, placeholder="e.g. site_b", help="letters, digits and _ . : -"),
        Field("tg_pt_gp_id", "Group id", default=str(free), check=gid, help=f"1-65535; {free} is free"),
        Field("alua_access_state", "Access state", SELECT, default="0", choices=_alua_state_choices()),
        Field("alua_access_type", "Access type", SELECT, default="3",
              choices=tuple(Choice(str(i), t) for i, t in enumerate(C.ALUA_TYPES))),
        Field("preferred", "Preferred", BOOL, default=False, help="report this group as the preferred path"),
    )

    def build(v: dict[str, Any]) -> list[C.Change]:
        out: list[C.Change] = [C.CreateAluaGroup(so.plugin, so.name, v["group"], v["tg_pt_gp_id"])]
        if v["alua_access_state"] != "0":
            out.append(C.alua_group_parameter(so.plugin, so.name, v["group"], "alua_access_state",
                                              v["alua_access_state"]))
        if v["alua_access_type"] != "3":
            out.append(C.alua_group_parameter(so.plugin, so.name, v["group"], "alua_access_type",
                                              v["alua_access_type"]))
        if v["preferred"]:
            out.append(C.alua_group_parameter(so.plugin, so.name, v["group"], "preferred", 1))
        return out

    def warnings(v: dict[str, Any]) -> list[str]:
        if v.get("alua_access_state") not in (None, "0") and v.get("alua_access_type") in ("0", "2"):
            return ["The kernel changes the state only with implicit ALUA: the state is set before the type."]
        return []

    return FormSpec(f"Add an ALUA group to {so.plugin}/{so.name}", fields, build, warnings=warnings,
                    intro="A target port group: LUNs of this backstore join it from their own edit form (e).")


def _storage_object_chooser(ctx: Context, so: StorageObject) -> FormSpec:
    choices = [Choice("attributes", "attributes", "the backstore's attrib/ settings")]
    choices += [Choice(f"alua:{g.name}", f"ALUA group {g.name}", _alua_summary(g)) for g in so.alua_groups or ()]

    def build(v: dict[str, Any]) -> FormSpec | str:
        if v["what"] == "attributes":
            return storage_object_edit(so)
        group = next((g for g in so.alua_groups or () if f"alua:{g.name}" == v["what"]), None)
        if group is None:
            return f"{so.plugin}/{so.name} has no ALUA group '{v['what']}'."
        return alua_group_edit(ctx, so, group)

    return FormSpec(f"Edit backstore {so.plugin}/{so.name}",
                    (Field("what", "Edit", SELECT, default="attributes", choices=tuple(choices)),),
                    build, confirm="Next")


def alua_group_edit(ctx: Context, so: StorageObject, group) -> FormSpec:
    """An ALUA group's parameters; a group sanctl may delete has a 'Delete this group' switch."""
    settings = group.settings

    def original(param: str) -> str | None:
        raw = settings.value(param)
        if raw is None:
            return None
        try:
            return str(C.alua_number(param, raw))
        except InvalidValue:
            return None

    def make(param: str, value: Any, expect: str | None = None) -> C.Change:
        return C.alua_group_parameter(so.plugin, so.name, group.name, param, value, expect=expect)

    fields: list[Field] = []
    selects = {"alua_access_state": _alua_state_choices(),
               "alua_access_type": tuple(Choice(str(i), t) for i, t in enumerate(C.ALUA_TYPES)),
               "alua_access_status": tuple(Choice(str(i), t) for i, t in enumerate(C.ALUA_STATUSES))}
    for param in C.ALUA_PARAMS:
        value = original(param)
        if value is None:
            continue
        section = "ALUA group" if not fields else ""
        low, high = C.ALUA_PARAM_RANGE[param]
        if param in selects:
            fields.append(Field(param, param, SELECT, default=value, original=value, choices=selects[param],
                                section=section))
        elif (low, high) == _FLAG:
            fields.append(Field(param, param, BOOL, default=value == "1", original=value == "1", section=section))
        else:
            fields.append(Field(param, param, default=value, original=value, section=section,
                                check=lambda t, _p=param: str(make(_p, t.strip()).value)))
    deletable = group.name != C.DEFAULT_ALUA_GROUP
    if deletable:
        fields.append(Field("delete", "Delete this group", BOOL, default=False, section="Delete",
                            help=f"its LUNs return to {C.DEFAULT_ALUA_GROUP}"))
    members = [f"{t.wwn}/tpg{tpg.tag}/lun{lun.index}" for t, tpg, lun in ctx.config.users_of(so.key)]

    def build(v: dict[str, Any]) -> list[C.Change]:
        if deletable and v.get("delete"):
            return [C.DeleteAluaGroup(so.plugin, so.name, group.name)]
        out = []
        for f in fields:
            if f.name == "delete":
                continue
            value = v.get(f.name)
            if f.kind == BOOL:
                if value != f.original:
                    out.append(make(f.name, int(value), "1" if f.original else "0"))
            elif value is not None and str(value) != str(f.original):
                out.append(make(f.name, value, f.original))
        # the state needs implicit ALUA: change the type last when it removes implicit
        out.sort(key=lambda c: c.key == "alua_access_type" and c.value in ("0", "2"))
        return out

    def warnings(v: dict[str, Any]) -> list[str]:
        out = []
        if deletable and v.get("delete"):
            out.append(f"Deleting {group.name}: every LUN in it returns to {C.DEFAULT_ALUA_GROUP}"
                       + (f" (LUNs of this backstore: {', '.join(members)})." if members else "."))
        if v.get("alua_access_state") in ("2", "3", "14") and members:
            out.append("Initiators using the LUNs of this group lose access through it (standby, unavailable "
                       "or offline).")
        return out

    return FormSpec(f"Edit ALUA group {group.name} of {so.plugin}/{so.name}", tuple(fields), build,
                    confirm="Apply", warnings=warnings)


def lun_edit(target: Target, tpg: Tpg, lun, so: StorageObject | None) -> FormSpec | str:
    """A LUN's ALUA group: which target port group of its backstore it is in."""
    if so is None:
        return "This LUN's link to its backstore is broken: delete it and add the LUN again."
    if not so.alua_supported or lun.alua_tg_pt_gp_name is None:
        return (f"A LUN has nothing else to edit: its backstore {so.plugin}/{so.name} passes ALUA through. "
                "To export another backstore, delete it and add a LUN.")
    groups = [g for g in so.alua_groups or () if g.name == C.DEFAULT_ALUA_GROUP or g.tg_pt_gp_id]
    choices = tuple(Choice(g.name, g.name, _alua_summary(g)) for g in groups)
    current = lun.alua_tg_pt_gp_name
    field = Field("group", "ALUA group", SELECT, default=current, original=current, choices=choices,
                  help=f"groups of {so.plugin}/{so.name}; a on the backstore adds one")

    def build(v: dict[str, Any]) -> list[C.Change]:
        if v["group"] == current:
            return []
        if v["group"] not in {g.name for g in groups}:
            raise InvalidValue(f"{so.plugin}/{so.name} has no ALUA group '{v['group']}' with an id.")
        return [C.SetLunAluaGroup(target.wwn, tpg.tag, lun.index, v["group"], fabric=target.fabric,
                                  expect=current)]

    return FormSpec(f"Edit LUN {lun.index} of {target.wwn}/tpg{tpg.tag}", (field,), build, confirm="Apply")
