"""From a desired configuration to the fewest changes that make the running one match it.

``sanctl apply``, ``sanctl restore`` and the TUI's restore and diff views
share this one engine: the desired configuration (a saveconfig.json
dictionary, or the running one with a targetcli script applied) is first
turned, object by object, into :mod:`~sanctl.lio.changes` values — the
same name and value rules as the forms, so a file is never trusted more
than a form — and every problem is collected with the object's targetcli
path. A file with any problem plans nothing (:attr:`Plan.problems`).

Otherwise it is compared with the running configuration (a fresh read,
passed in) and only what differs is planned:

* deletes first, dependents before what they depend on (mapped LUNs, ACLs,
  LUNs, portals, TPGs, targets, ALUA groups, backstores) — only of objects
  the file does not have when ``prune`` is set, or of objects whose identity
  differs (a LUN on another backstore, a backstore on another device),
  which the kernel cannot change in place and which are then recreated;
* then creates, in the order the kernel needs them (backstores before LUNs,
  LUNs before mapped LUNs), each new object with its settings;
* settings that differ on objects that stay are changed in place.

An identical file plans nothing; an object that does not differ gets no
step, so initiators logged in to untouched targets keep their sessions.
With ``target`` only that target is planned (with the backstores its LUNs
use that are missing); other targets, backstores and discovery
authentication are left as they are.

:func:`with_sessions` adds, per step, the live sessions it drops or
disturbs (from :func:`sanctl.lio.impact.impact`).

No Textual and no I/O here: the caller reads configfs and the live state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sanctl.model import SanConfig
from sanctl.lio import changes as C
from sanctl.lio.plan_input import _ERRORS, _Acl, _Config, _Group, _Setting, _Target, _Tpg, parse, validate
from sanctl.lio.plan_result import (CREATE, DELETE, SET, NotSaveconfig, Plan, PlanStep, Problem, dumps, op_of,
                                    path_of, so_path, target_path, tpg_path)
from sanctl.lio.rebuild import DEFAULT_ALUA_GROUP

__all__ = ["CREATE", "DELETE", "SET", "NotSaveconfig", "Plan", "PlanStep", "Problem", "dumps", "parse", "path_of",
           "plan", "so_path", "target_path", "tpg_path", "validate", "with_sessions"]


# ---------------------------------------------------------------------------
# Planning
# ---------------------------------------------------------------------------


class _Planner:
    def __init__(self, want: _Config, have: _Config, *, prune: bool, target: tuple[str, str] | None,
                 known: _Known) -> None:
        self.want = want
        self.have = have
        self.prune = prune
        self.target = target
        self.known = known
        self.problems: list[Problem] = []
        self.notes: list[str] = []
        self.deletes: list[C.Change] = []
        self.creates: list[C.Change] = []
        # objects of the running configuration that are gone once the deletes are done
        self.gone_sos: set[tuple[str, str]] = set()
        self.gone_groups: set[tuple[tuple[str, str], str]] = set()
        self.gone_targets: set[tuple[str, str]] = set()
        self.gone_tpgs: set[tuple] = set()
        self.gone_luns: set[tuple] = set()
        self.gone_acls: set[tuple] = set()
        self.gone_mapped: set[tuple] = set()
        self.gone_portals: set[tuple] = set()

    # -- scope ---------------------------------------------------------------

    def targets_in_scope(self) -> list[tuple[str, str]]:
        if self.target is None:
            return list(self.want.targets)
        return [k for k in self.want.targets if k == self.target]

    def so_in_scope(self, key: tuple[str, str]) -> bool:
        """With ``target``, only the backstores its LUNs use (and only to create them)."""
        if self.target is None:
            return True
        t = self.want.targets.get(self.target)
        return t is not None and any(lun.so == key for tpg in t.tpgs.values() for lun in tpg.luns.values())

    # -- checks of references and of names this kernel knows ------------------

    def check(self) -> None:
        will_have = set(self.want.sos) if self.prune and self.target is None else set(self.want.sos) | set(self.have.sos)
        for key in self.targets_in_scope():
            t = self.want.targets[key]
            for tag, tpg in t.tpgs.items():
                base = tpg_path(t.fabric, t.wwn, tag)
                for index, lun in tpg.luns.items():
                    if lun.so not in will_have:
                        why = ("the file does not have it and it is not in the running configuration"
                               if lun.so not in self.have.sos else "the file does not have it, so it would be deleted")
                        self.problems.append(Problem(f"{base}/luns/lun{index}",
                                                     f"uses backstore {'/'.join(lun.so)}: {why}"))
                    elif lun.group not in (None, "", DEFAULT_ALUA_GROUP):
                        so = self.want.sos.get(lun.so) or self.have.sos.get(lun.so)
                        if so is not None and lun.group not in so.groups:
                            self.problems.append(Problem(f"{base}/luns/lun{index}",
                                                         f"ALUA group {lun.group} is not a group of "
                                                         f"backstore {'/'.join(lun.so)}"))
                for init, acl in tpg.acls.items():
                    for index, m in acl.mapped.items():
                        if m.tpg_lun not in tpg.luns:
                            self.problems.append(Problem(f"{base}/acls/{init}/mapped_lun{index}",
                                                         f"maps LUN {m.tpg_lun}, which this TPG does not have"))
                self._known_names(t.fabric, base, tpg)
        for key, so in self.want.sos.items():
            if not self.so_in_scope(key):
                continue
            names = self.known.so_attrs.get(key[0])
            for name in so.attrs:
                if names and name not in names:
                    self.problems.append(Problem(so_path(*key), f"attribute {name}: this kernel's {key[0]} "
                                                                f"backstores have no such attribute"))

    def _known_names(self, fabric: str, base: str, tpg: _Tpg) -> None:
        for kind, have, names in (("attribute", tpg.attrs, self.known.tpg_attrs.get(fabric)),
                                  ("parameter", tpg.params, self.known.tpg_params.get(fabric))):
            for name in have:
                if names and name not in names:
                    self.problems.append(Problem(base, f"{kind} {name}: this kernel's {fabric} TPGs have no such "
                                                       f"{kind}"))
        names = self.known.acl_attrs.get(fabric)
        for init, acl in tpg.acls.items():
            for name in acl.attrs:
                if names and name not in names:
                    self.problems.append(Problem(f"{base}/acls/{init}", f"attribute {name}: this kernel's "
                                                                        f"{fabric} ACLs have no such attribute"))

    # -- phase 1: what goes --------------------------------------------------

    def plan_deletes(self) -> None:
        mapped: list[C.Change] = []
        acls: list[C.Change] = []
        luns: list[C.Change] = []
        portals: list[C.Change] = []
        tpgs: list[C.Change] = []
        targets: list[C.Change] = []
        groups: list[C.Change] = []
        sos: list[C.Change] = []
        whole = self.prune and self.target is None
        # backstores: gone from the file, or changed in what they are
        for key, so in self.have.sos.items():
            want = self.want.sos.get(key)
            if want is None:
                if whole:
                    self._delete(sos, lambda k=key: C.DeleteStorageObject(*k), so_path(*key))
                    self._so_gone(key)
                continue
            if not self.so_in_scope(key) or self.target is not None:
                continue  # one target: backstores present are kept as they are
            differs = _identity_differs(want.identity, so.identity)
            if differs:
                self.notes.append(f"backstore {'/'.join(key)} is recreated: its {', '.join(differs)} differ "
                                  "(the kernel cannot change them in place)")
                self._delete(sos, lambda k=key: C.DeleteStorageObject(*k), so_path(*key))
                self._so_gone(key)
                continue
            for name, group in so.groups.items():
                if name == DEFAULT_ALUA_GROUP:
                    continue
                wg = want.groups.get(name)
                if wg is None and self.prune or wg is not None and wg.tg_pt_gp_id != group.tg_pt_gp_id:
                    self._delete(groups, lambda k=key, n=name: C.DeleteAluaGroup(k[0], k[1], n),
                                 f"{so_path(*key)}/alua/{name}")
                    self.gone_groups.add((key, name))
        for key, t in self.have.targets.items():
            if self.target is not None and key != self.target:
                continue
            want = self.want.targets.get(key)
            if want is None:
                if self.prune:
                    self._delete(targets, lambda k=key: C.DeleteTarget(k[1], k[0]), target_path(*key))
                    self.gone_targets.add(key)
                continue
            for tag, tpg in t.tpgs.items():
                wt = want.tpgs.get(tag)
                tk = key + (tag,)
                if wt is None:
                    if self.prune:
                        self._delete(tpgs, lambda k=key, g=tag: C.DeleteTpg(k[1], g, fabric=k[0]), tpg_path(*tk))
                        self.gone_tpgs.add(tk)
                    continue
                for index, lun in tpg.luns.items():
                    wl = wt.luns.get(index)
                    replaced = wl is not None and (wl.so != lun.so or lun.so in self.gone_sos)
                    if wl is None and self.prune or replaced:
                        if lun.so not in self.gone_sos:  # else the backstore's delete takes it
                            self._delete(luns, lambda k=key, g=tag, i=index: C.DeleteLun(k[1], g, i, fabric=k[0]),
                                         f"{tpg_path(*tk)}/luns/lun{index}")
                        self.gone_luns.add(tk + (index,))
                for init, acl in tpg.acls.items():
                    wa = wt.acls.get(init)
                    if wa is None:
                        if self.prune:
                            self._delete(acls, lambda k=key, g=tag, n=init: C.DeleteAcl(k[1], g, n, fabric=k[0]),
                                         f"{tpg_path(*tk)}/acls/{init}")
                            self.gone_acls.add(tk + (init,))
                        continue
                    for index, m in acl.mapped.items():
                        wm = wa.mapped.get(index)
                        under = tk + (m.tpg_lun,) in self.gone_luns
                        if under:
                            self.gone_mapped.add(tk + (init, index))  # the LUN's delete takes it
                            continue
                        if wm is None and self.prune or wm is not None and wm.tpg_lun != m.tpg_lun:
                            self._delete(mapped, lambda k=key, g=tag, n=init, i=index:
                                         C.DeleteMappedLun(k[1], g, n, i, fabric=k[0]),
                                         f"{tpg_path(*tk)}/acls/{init}/mapped_lun{index}")
                            self.gone_mapped.add(tk + (init, index))
                for pkey in tpg.portals:
                    if pkey not in wt.portals and self.prune:
                        self._delete(portals, lambda k=key, g=tag, p=pkey: C.DeletePortal(k[1], g, p[0], p[1],
                                                                                          fabric=k[0]),
                                     f"{tpg_path(*tk)}/portals/{pkey[0]}:{pkey[1]}")
                        self.gone_portals.add(tk + pkey)
        self.deletes = mapped + acls + luns + portals + tpgs + targets + groups + sos

    def _delete(self, into: list, build, path: str) -> None:
        try:
            into.append(build())
        except _ERRORS as exc:
            self.problems.append(Problem(path, f"cannot be deleted: {exc}"))

    def _so_gone(self, key: tuple[str, str]) -> None:
        self.gone_sos.add(key)
        for tkey, t in self.have.targets.items():
            for tag, tpg in t.tpgs.items():
                for index, lun in tpg.luns.items():
                    if lun.so == key:
                        self.gone_luns.add(tkey + (tag, index))

    # -- phase 2: what comes and what changes ----------------------------------

    def plan_creates(self) -> None:
        out = self.creates
        for key, so in self.want.sos.items():
            if not self.so_in_scope(key):
                continue
            have = None if key in self.gone_sos else self.have.sos.get(key)
            if have is None:
                out.append(so.create)
                out.extend(_changed_settings(so.attrs, {}))
                for group in so.groups.values():
                    out.extend(_group_changes(group, None))
                continue
            if self.target is not None:
                continue  # present backstores are kept as they are for one target
            out.extend(_changed_settings(so.attrs, have.attrs))
            for name, group in so.groups.items():
                out.extend(_group_changes(group, None if (key, name) in self.gone_groups else have.groups.get(name)))
        if self.target is None and (self.want.discovery is not None or self.prune):
            want = self.want.discovery or C.SetDiscoveryAuth(C.NO_CHAP, False)
            have_raw = self.have.discovery_raw or ("", "", "", "", False)
            want_raw = (want.chap.userid, want.chap.password, want.chap.mutual_userid, want.chap.mutual_password,
                        want.enforce)
            if self.want.discovery is None and not have_raw[4]:
                pass  # not enforced either way: credentials left as they are
            elif want_raw != tuple(have_raw):
                out.append(want)
        for key in self.targets_in_scope():
            self.target_changes(self.want.targets[key])

    def target_changes(self, t: _Target) -> None:
        from sanctl.lio import rebuild

        out = self.creates
        key = (t.fabric, t.wwn)
        have = None if key in self.gone_targets else self.have.targets.get(key)
        if have is None:
            out.append(C.CreateTarget(t.wwn, t.fabric))
        for tag, tpg in t.tpgs.items():
            tk = key + (tag,)
            htpg = None if have is None or tk in self.gone_tpgs else have.tpgs.get(tag)
            if htpg is None:
                out.append(C.CreateTpg(t.wwn, tag, fabric=t.fabric))
                htpg = _Tpg(tag, enable=False, chap=C.NO_CHAP)
                fresh = True
            else:
                fresh = False
            out.extend(_changed_settings(tpg.attrs, htpg.attrs))
            out.extend(_changed_settings(tpg.params, htpg.params))
            for index, lun in tpg.luns.items():
                hl = None if tk + (index,) in self.gone_luns else htpg.luns.get(index)
                if hl is None:
                    out.append(lun.create)
                    if lun.group not in (None, "", DEFAULT_ALUA_GROUP):
                        out.append(C.SetLunAluaGroup(t.wwn, tag, index, lun.group, fabric=t.fabric))
                    continue
                hgroup = hl.group
                if hl.so is not None and (hl.so, hgroup) in self.gone_groups:
                    hgroup = DEFAULT_ALUA_GROUP
                if lun.group not in (None, "") and hgroup is not None and lun.group != hgroup:
                    out.append(C.SetLunAluaGroup(t.wwn, tag, index, lun.group, fabric=t.fabric))
            for pkey, portal in tpg.portals.items():
                hp = None if tk + pkey in self.gone_portals else htpg.portals.get(pkey)
                if hp is None:
                    out.append(rebuild.portal(t.fabric, t.wwn, tag, {"ip_address": pkey[0], "port": pkey[1],
                                                                     "iser": portal.iser, "offload": portal.offload}))
                    continue
                for flag, on, now in (("iser", portal.iser, hp.iser), ("offload", portal.offload, hp.offload)):
                    if on != now:
                        out.append(C.SetPortalFlag(t.wwn, tag, pkey[0], pkey[1], flag, on, fabric=t.fabric))
            for init, acl in tpg.acls.items():
                ha = None if tk + (init,) in self.gone_acls else htpg.acls.get(init)
                if ha is None:
                    out.append(C.CreateAcl(t.wwn, tag, init, map_all_luns=False, fabric=t.fabric))
                    ha = _Acl(init, chap=C.NO_CHAP)
                out.extend(_changed_settings(acl.attrs, ha.attrs))
                for index, m in acl.mapped.items():
                    hm = None if tk + (init, index) in self.gone_mapped else ha.mapped.get(index)
                    if hm is None:
                        out.append(m.create)
                    elif hm.write_protect != m.write_protect:
                        out.append(C.SetMappedLunWriteProtect(t.wwn, tag, init, index, m.write_protect,
                                                              fabric=t.fabric))
                if (acl.tag or None) != (ha.tag or None):
                    out.append(C.SetAclTag(t.wwn, tag, init, acl.tag, fabric=t.fabric))
                if t.fabric == "iscsi" and acl.chap is not None and _chap_differs(acl.raw_chap, ha.raw_chap):
                    out.append(C.SetAclAuth(t.wwn, tag, init, acl.chap, fabric=t.fabric))
            if t.fabric in C.TPGTS_FABRICS and (tpg.enable != htpg.enable or fresh and tpg.enable):
                out.append(C.SetTpgEnabled(t.wwn, tag, tpg.enable, fabric=t.fabric))
            if t.fabric == "iscsi" and tpg.chap is not None and _chap_differs(tpg.raw_chap, htpg.raw_chap):
                out.append(C.SetTpgAuth(t.wwn, tag, tpg.chap, fabric=t.fabric))


def _changed_settings(want: Mapping[str, _Setting], have: Mapping[str, _Setting]) -> list[C.Change]:
    """The set changes of the settings whose value differs (a setting the file leaves out is kept)."""
    out = []
    for name, setting in want.items():
        current = have.get(name)
        if setting.change is not None and (current is None or current.value != setting.value):
            out.append(setting.change)
    return out


def _group_changes(group: _Group, have: _Group | None) -> list[C.Change]:
    """An ALUA group's create (``have`` None: it is new; the kernel's own group always exists)
    and its parameters that differ."""
    out: list[C.Change] = []
    if have is None and group.name != DEFAULT_ALUA_GROUP:
        out.append(group.create)
    out.extend(_changed_settings(group.params, {} if have is None else have.params))
    return out


def _chap_differs(want_raw: tuple, have_raw: tuple) -> bool:
    """Whether CHAP credentials (userid, password, mutual userid, mutual password) must be set:
    they differ, and are not empty on both sides."""
    return want_raw != (have_raw or ("",) * 4) and (any(want_raw) or any(have_raw))


def _identity_differs(want: Mapping[str, Any], have: Mapping[str, Any]) -> list[str]:
    """The identity fields that differ; a field the file leaves out (None) is not a difference."""
    out = []
    for name, value in want.items():
        if value is None or name not in have:
            continue
        current = have[name]
        if name == "size" and current is None:
            continue
        if value != current:
            out.append(name)
    return out


@dataclass(frozen=True, slots=True)
class _Known:
    """The setting names this kernel has, per fabric and plugin (from the running configuration)."""

    tpg_attrs: dict[str, frozenset[str]] = field(default_factory=dict)
    tpg_params: dict[str, frozenset[str]] = field(default_factory=dict)
    acl_attrs: dict[str, frozenset[str]] = field(default_factory=dict)
    so_attrs: dict[str, frozenset[str]] = field(default_factory=dict)


def _known(have: _Config) -> _Known:
    known = _Known()
    for t in have.targets.values():
        for tpg in t.tpgs.values():
            known.tpg_attrs.setdefault(t.fabric, frozenset())
            known.tpg_attrs[t.fabric] |= frozenset(tpg.attrs)
            known.tpg_params.setdefault(t.fabric, frozenset())
            known.tpg_params[t.fabric] |= frozenset(tpg.params)
            for acl in tpg.acls.values():
                known.acl_attrs.setdefault(t.fabric, frozenset())
                known.acl_attrs[t.fabric] |= frozenset(acl.attrs)
    for key, so in have.sos.items():
        known.so_attrs.setdefault(key[0], frozenset())
        known.so_attrs[key[0]] |= frozenset(so.attrs)
    return known


def plan(desired: Any, current: Mapping, *, prune: bool = False, target: str | None = None) -> Plan:
    """The plan that makes ``current`` (the running configuration as saveconfig.json holds it)
    into ``desired``. See the module docstring.

    ``target`` limits it to one target (its WWN); with ``prune`` objects of
    the running configuration that ``desired`` does not have are deleted.
    Raises :class:`NotSaveconfig` for data that is not a saveconfig file at all.
    """
    want, problems = parse(desired, strict=True)
    have, _ = parse(current, strict=False)
    target_key = None
    if target is not None:
        found = [k for k in want.targets if k[1] == target]
        if not found:
            if prune:
                return Plan((), (Problem(f"/iscsi/{target}", "there is no such target in the file"),))
            found = [k for k in have.targets if k[1] == target] or [("iscsi", target)]
        target_key = found[0]
    planner = _Planner(want, have, prune=prune, target=target_key, known=_known(have))
    planner.check()
    problems = problems + planner.problems
    if problems:
        return Plan((), tuple(problems))
    planner.plan_deletes()
    planner.plan_creates()
    if planner.problems:
        return Plan((), tuple(planner.problems))
    changes = [c for c in planner.deletes + planner.creates if c is not None]
    steps = tuple(PlanStep(op_of(c), path_of(c), c) for c in changes)
    return Plan(steps, (), tuple(planner.notes))


# ---------------------------------------------------------------------------
# Sessions
# ---------------------------------------------------------------------------


def with_sessions(found: Plan, config: SanConfig, sessions: Iterable) -> Plan:
    """``found`` with, per step, the live sessions it drops or disturbs.

    ``config`` is the running configuration with details (mapped LUNs
    filled), ``sessions`` :class:`sanctl.lio.live.TargetSession` values,
    both read just before.
    """
    from sanctl.lio.impact import _sessions, impact

    sessions = tuple(sessions)
    if not sessions or not found.steps:
        return found
    steps = []
    for step in found.steps:
        c = step.change
        affected: tuple[str, ...] = ()
        if step.op == DELETE:
            affected = impact(config, c, sessions).sessions
        elif isinstance(c, C.SetTpgEnabled) and not c.enabled:
            affected = tuple(_sessions(sessions, c.fabric, c.target, {(c.tpg, None)}, "drops (TPG disabled)"))
        elif isinstance(c, C.SetMappedLunWriteProtect):
            affected = tuple(_sessions(sessions, c.fabric, c.target, {(c.tpg, c.initiator)},
                                       f"sees LUN {c.index} become {'read-only' if c.write_protect else 'writable'}"))
        steps.append(replace(step, sessions=tuple(affected)))
    return replace(found, steps=tuple(steps))

