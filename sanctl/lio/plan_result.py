"""What a plan is: its steps, the problems that refuse it, and the targetcli path of each object.

:mod:`sanctl.lio.plan` builds these; ``sanctl apply``, ``sanctl restore``,
the TUI's restore and diff views show them (as text or as the JSON
``sanctl apply --json`` prints).

No Textual and no I/O here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from sanctl.errors import SanctlError
from sanctl.lio import changes as C

CREATE, DELETE, SET = "create", "delete", "set"


# ---------------------------------------------------------------------------
# What comes out
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    """Why one entry of the desired configuration cannot be applied."""

    path: str  #: the object's targetcli path (or where in the file)
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass(frozen=True, slots=True)
class PlanStep:
    """One change of the plan, with the object it is about and the sessions it drops or disturbs."""

    op: str  #: "create", "delete" or "set"
    path: str  #: the object's targetcli path
    change: C.Change
    sessions: tuple[str, ...] = ()

    def targetcli(self) -> str:
        """The equivalent targetcli command (secrets shown as ``<secret>``)."""
        return self.change.targetcli()

    def line(self) -> str:
        mark = {CREATE: "+", DELETE: "-", SET: "~"}[self.op]
        text = f"{mark} {self.change.describe()}"
        for s in self.sessions:
            text += f"\n    ! {s}"
        return text

    def as_json(self) -> dict[str, Any]:
        return {"op": self.op, "object": self.path, "targetcli": self.targetcli(),
                "description": self.change.describe(), "sessions": list(self.sessions)}


@dataclass(frozen=True, slots=True)
class Plan:
    """The steps that make the running configuration the desired one, or why there are none."""

    steps: tuple[PlanStep, ...] = ()
    problems: tuple[Problem, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def empty(self) -> bool:
        return not self.steps

    @property
    def changes(self) -> tuple[C.Change, ...]:
        return tuple(s.change for s in self.steps)

    @property
    def sessions(self) -> tuple[str, ...]:
        """Every session some step drops or disturbs (each once)."""
        out: list[str] = []
        for step in self.steps:
            out.extend(s for s in step.sessions if s not in out)
        return tuple(out)

    def counts(self) -> dict[str, int]:
        return {op: sum(1 for s in self.steps if s.op == op) for op in (CREATE, DELETE, SET)}

    def summary(self) -> str:
        if self.problems:
            n = len(self.problems)
            return f"Refused: {n} problem{'s' if n != 1 else ''} in the file; nothing was changed."
        if not self.steps:
            return "Nothing to do: the running configuration already is like that."
        c = self.counts()
        parts = [f"{c[op]} {word}" for op, word in ((CREATE, "to create"), (SET, "to change"), (DELETE, "to delete"))
                 if c[op]]
        text = f"{len(self.steps)} step{'s' if len(self.steps) != 1 else ''}: " + ", ".join(parts)
        n = len(self.sessions)
        if n:
            text += f"; {n} live session{'s' if n != 1 else ''} dropped or disturbed"
        return text + "."

    def lines(self) -> list[str]:
        out = [self.summary()]
        out.extend(f"  {p}" for p in self.problems)
        for step in self.steps:
            out.extend(f"  {line}" for line in step.line().splitlines())
        out.extend(f"  note: {n}" for n in self.notes)
        return out

    def as_json(self) -> dict[str, Any]:
        return {"plan": [s.as_json() for s in self.steps],
                "problems": [{"object": p.path, "reason": p.reason} for p in self.problems],
                "sessions": list(self.sessions), "notes": list(self.notes), "summary": self.summary()}

    def only(self, keep) -> Plan:
        """The steps ``keep(step)`` selects (the diff view applies one target's part)."""
        return replace(self, steps=tuple(s for s in self.steps if keep(s)))


class NotSaveconfig(SanctlError, ValueError):
    """The data is not shaped like a saveconfig.json file; ``str()`` says why."""


# ---------------------------------------------------------------------------
# targetcli paths
# ---------------------------------------------------------------------------


def so_path(plugin: Any, name: Any) -> str:
    return f"/backstores/{plugin}/{name}"


def target_path(fabric: Any, wwn: Any) -> str:
    return f"/{fabric}/{wwn}"


def tpg_path(fabric: Any, wwn: Any, tag: Any) -> str:
    return f"/{fabric}/{wwn}/tpg{tag}"


def path_of(change: C.Change) -> str:
    """The targetcli path of the object a change is about."""
    if isinstance(change, C.SetSetting):
        change = change.owner  # the object whose setting it is
    if isinstance(change, (C.CreateAluaGroup, C.DeleteAluaGroup, C.AluaGroupRef)):
        return f"{so_path(change.plugin, change.name)}/alua/{change.group}"
    key = getattr(change, "key", None)
    if isinstance(key, tuple) and hasattr(change, "plugin"):
        return so_path(*key)
    if isinstance(change, C.SetDiscoveryAuth):
        return "/iscsi"
    wwn = getattr(change, "target", None)
    fabric = getattr(change, "fabric", "iscsi")
    tag = getattr(change, "tpg", None)
    if wwn is None:
        return "/"
    if tag is None or isinstance(change, (C.CreateTarget, C.DeleteTarget)):
        return target_path(fabric, wwn)
    base = tpg_path(fabric, wwn, tag)
    if isinstance(change, (C.CreateLun, C.DeleteLun, C.SetLunAluaGroup)):
        return f"{base}/luns/lun{change.index}"
    if isinstance(change, (C.CreatePortal, C.DeletePortal, C.SetPortalFlag)):
        return f"{base}/portals/{change.address}:{change.port}"
    initiator = getattr(change, "initiator", None)
    if initiator is not None:
        acl = f"{base}/acls/{initiator}"
        if isinstance(change, (C.CreateMappedLun, C.DeleteMappedLun, C.SetMappedLunWriteProtect)):
            return f"{acl}/mapped_lun{change.index}"
        return acl
    return base




def op_of(change: C.Change) -> str:
    name = type(change).__name__
    if name.startswith("Create"):
        return CREATE
    if name.startswith("Delete"):
        return DELETE
    return SET



def dumps(found: Plan, **extra: Any) -> str:
    """The plan as the JSON ``sanctl apply --json`` prints (secrets are never in it)."""
    return json.dumps({**found.as_json(), **extra}, indent=2)
