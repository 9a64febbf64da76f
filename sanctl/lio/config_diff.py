"""Two saveconfig configurations compared object by object (secrets masked).

What ``sanctl diff``, the restore preview and the save status show: each
added, removed or changed object with its targetcli-like label and the
fields that differ. Pure: no I/O, no Textual.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# ---------------------------------------------------------------------------
# Diff
# ---------------------------------------------------------------------------

ADDED = "added"
REMOVED = "removed"
CHANGED = "changed"
#: Values that are random and not identity (LUN and mapped LUN link names).
IGNORED_FIELDS = frozenset({"alias"})


@dataclass(frozen=True, slots=True)
class ObjectDiff:
    """One object that differs: added (only in ``new``), removed (only in ``old``) or changed."""

    kind: str
    key: tuple
    label: str
    status: str
    fields: tuple[tuple[str, str, str], ...] = ()  #: (field, old, new), secrets masked

    def line(self) -> str:
        mark = {ADDED: "+", REMOVED: "-", CHANGED: "~"}[self.status]
        text = f"{mark} {self.label}"
        if self.fields:
            text += ": " + ", ".join(f"{name} {old} -> {new}" for name, old, new in self.fields)
        return text


@dataclass(frozen=True, slots=True)
class ConfigDiff:
    entries: tuple[ObjectDiff, ...] = ()
    old_name: str = "saved"
    new_name: str = "running"

    @property
    def empty(self) -> bool:
        return not self.entries

    def of_kind(self, status: str) -> list[ObjectDiff]:
        return [e for e in self.entries if e.status == status]

    def summary(self) -> str:
        if self.empty:
            return f"The {self.new_name} and {self.old_name} configurations are the same."
        counts = [f"{len(self.of_kind(s))} {w}" for s, w in ((ADDED, "added"), (REMOVED, "removed"),
                                                             (CHANGED, "changed")) if self.of_kind(s)]
        return f"{self.new_name.capitalize()} vs {self.old_name}: " + ", ".join(counts) + "."

    def lines(self) -> list[str]:
        return [self.summary(), *(f"  {e.line()}" for e in self.entries)]


def _mask(name: str, value: Any) -> str:
    if "password" in name:
        return "(set)" if value else "(not set)"
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _scalars(d: Mapping, skip: Iterable[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    skip = set(skip) | IGNORED_FIELDS
    for key, value in d.items():
        if key in skip:
            continue
        if isinstance(value, Mapping):
            for sub, v in value.items():
                out[f"{key}.{sub}"] = v
        elif isinstance(value, list):
            if key == "alua_tpgs":
                for group in value:
                    if isinstance(group, Mapping):
                        gname = group.get("name", "?")
                        for sub, v in group.items():
                            if sub != "name":
                                out[f"alua {gname}.{sub}"] = v
            else:
                out[key] = json.dumps(value, sort_keys=True)
        else:
            out[key] = value
    return out


def _compare_fields(old: Mapping, new: Mapping, skip: Iterable[str]) -> tuple[tuple[str, str, str], ...]:
    a, b = _scalars(old, skip), _scalars(new, skip)
    out = []
    for name in sorted(set(a) | set(b)):
        va, vb = a.get(name), b.get(name)
        if va != vb:
            if "password" in name:
                out.append((name, _mask(name, va), "(changed)" if va and vb else _mask(name, vb)))
            else:
                out.append((name, _mask(name, va), _mask(name, vb)))
    return tuple(out)


def _index(items: Any, key) -> dict:
    out = {}
    for item in items or ():
        if isinstance(item, Mapping):
            out[key(item)] = item
    return out


_CHILDREN = {
    "target": (("tpgs", "tpg", lambda d: d.get("tag")),),
    "tpg": (("luns", "lun", lambda d: d.get("index")),
            ("portals", "portal", lambda d: (d.get("ip_address"), d.get("port"))),
            ("node_acls", "acl", lambda d: d.get("node_wwn"))),
    "acl": (("mapped_luns", "mapped_lun", lambda d: d.get("index")),),
}


def _label(kind: str, key: Any, parent: str) -> str:
    if kind == "storage_object":
        return f"backstore {key[0]}/{key[1]}"
    if kind == "target":
        return f"target {key[1]}" if key[0] == "iscsi" else f"{key[0]} target {key[1]}"
    if kind == "fabric":
        return f"{key} discovery authentication"
    if kind == "tpg":
        return f"{parent}/tpg{key}"
    if kind == "lun":
        return f"{parent} LUN {key}"
    if kind == "portal":
        return f"{parent} portal {key[0]}:{key[1]}"
    if kind == "acl":
        return f"{parent} ACL {key}"
    if kind == "mapped_lun":
        return f"{parent} mapped LUN {key}"
    return f"{kind} {key}"


def _normal(kind: str, d: Mapping) -> Mapping:
    """Defaults an older rtslib-fb leaves out (block ``exclusive``) filled in, so they are no difference."""
    if kind == "storage_object" and d.get("plugin") == "block" and "exclusive" not in d:
        return {**d, "exclusive": True}
    return d


def _diff_items(kind: str, old: dict, new: dict, parent: str, out: list[ObjectDiff], path: tuple = ()) -> None:
    for key in list(old) + [k for k in new if k not in old]:
        label = _label(kind, key, parent)
        full = path + (key,)
        if key not in new:
            out.append(ObjectDiff(kind, full, label, REMOVED))
            continue
        if key not in old:
            out.append(ObjectDiff(kind, full, label, ADDED))
            continue
        children = _CHILDREN.get(kind, ())
        skip = [name for name, _, _ in children]
        fields = _compare_fields(_normal(kind, old[key]), _normal(kind, new[key]), skip)
        if fields:
            out.append(ObjectDiff(kind, full, label, CHANGED, fields))
        child_parent = label if kind != "target" else key[1]
        for name, child_kind, keyfn in children:
            _diff_items(child_kind, _index(old[key].get(name), keyfn), _index(new[key].get(name), keyfn),
                        child_parent if kind != "acl" else f"{parent} ACL {key}", out, full)


def diff(old: Mapping, new: Mapping, *, old_name: str = "saved", new_name: str = "running") -> ConfigDiff:
    """Object-by-object differences from ``old`` to ``new`` (saveconfig dictionaries).

    Objects are matched by identity (backstore plugin/name, target fabric/WWN,
    TPG tag, LUN number, portal address, ACL initiator, mapped LUN number);
    a changed object lists its changed fields, secrets shown only as
    set/changed. LUN aliases are random and ignored.
    """
    out: list[ObjectDiff] = []
    _diff_items("storage_object", _index(old.get("storage_objects"), lambda d: (d.get("plugin"), d.get("name"))),
                _index(new.get("storage_objects"), lambda d: (d.get("plugin"), d.get("name"))), "", out)
    _diff_items("fabric", _index(old.get("fabric_modules"), lambda d: d.get("name")),
                _index(new.get("fabric_modules"), lambda d: d.get("name")), "", out)
    _diff_items("target", _index(old.get("targets"), lambda d: (d.get("fabric"), d.get("wwn"))),
                _index(new.get("targets"), lambda d: (d.get("fabric"), d.get("wwn"))), "", out)
    return ConfigDiff(tuple(out), old_name, new_name)
