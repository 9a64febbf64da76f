"""What the doctor says: findings, each with a severity, the objects involved and the fix.

A :class:`Finding` names the objects it is about as paths of the
configuration tree (``/iscsi/<iqn>/tpg1/acls/<initiator>``, the paths
:func:`sanctl.tree.find` resolves), so the doctor panel can jump to them.
Where the fix is one safe change to the configuration, :attr:`Finding.action`
holds it as a writer :class:`~sanctl.lio.changes.Change`; the panel applies
it after a confirmation, the command line prints its targetcli equivalent.

A :class:`Report` is the findings of one evaluation, most severe first, plus
what could not be checked and why (no iscsiadm, not root, no systemd) — said,
never silently skipped. Its :attr:`Report.exit_code` is the command's:
0 nothing (or information only), 1 warnings, 2 errors.

No Textual here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sanctl import words

if TYPE_CHECKING:
    from sanctl.lio.changes import Change

ERROR = "error"
WARNING = "warning"
INFO = "info"
#: Most severe first.
SEVERITIES = (ERROR, WARNING, INFO)
_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing the doctor found."""

    rule: str  #: the rule's id (``demo_mode_writable``, ``shared_initiator_name`` …)
    severity: str  #: ``error``, ``warning`` or ``info``
    title: str  #: one line: what is wrong, naming the object
    why: tuple[str, ...]  #: why it matters, a sentence a line
    fix: str  #: what to do
    objects: tuple[str, ...] = ()  #: configuration tree paths; the first is where the panel jumps
    action: Change | None = None  #: the one safe change that fixes it, applied after a confirmation
    details: tuple[str, ...] = ()  #: supporting lines: a diff, iscsiadm's words, addresses seen
    panel: str | None = None  #: the panel showing more (``errors``, ``sessions``, ``connect``)

    def __post_init__(self) -> None:
        if self.severity not in _RANK:
            raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}, not {self.severity!r}")

    @property
    def key(self) -> tuple:
        """Stable identity across evaluations (the panel keeps its cursor on it)."""
        return (self.rule, self.objects, self.title)

    @property
    def rank(self) -> int:
        return _RANK[self.severity]


def plural(count: int, word: str) -> str:
    """``1 error``, ``3 warnings``."""
    return words.plural(count, word)


@dataclass(frozen=True, slots=True)
class Report:
    """The findings of one evaluation, most severe first, and what was not checked."""

    findings: tuple[Finding, ...] = ()
    #: What could not be checked, and why ("iscsiadm is not installed: …").
    not_checked: tuple[str, ...] = ()
    #: Seconds the live state was watched for (the command's --observe), 0 for one look.
    observed: float = 0.0
    #: Whether the live state (sessions, counters, logs) was looked at at all.
    live: bool = True

    @classmethod
    def of(cls, findings: Iterable[Finding], not_checked: Iterable[str] = (), **kwargs) -> Report:
        ordered = sorted(findings, key=lambda f: f.rank)  # stable: rules' own order within a severity
        return cls(tuple(ordered), tuple(dict.fromkeys(not_checked)), **kwargs)

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def errors(self) -> int:
        return self.count(ERROR)

    @property
    def warnings(self) -> int:
        return self.count(WARNING)

    @property
    def exit_code(self) -> int:
        """0: nothing or information only; 1: warnings; 2: errors (Nagios' OK, WARNING, CRITICAL)."""
        if self.errors:
            return 2
        if self.warnings:
            return 1
        return 0

    def of_severity(self, severity: str) -> list[Finding]:
        return [f for f in self.findings if f.severity == severity]

    def summary(self) -> str:
        """``1 error, 3 warnings, 2 notes`` — or ``nothing found``."""
        parts = []
        if self.errors:
            parts.append(plural(self.errors, "error"))
        if self.warnings:
            parts.append(plural(self.warnings, "warning"))
        infos = self.count(INFO)
        if infos:
            parts.append(plural(infos, "note"))
        return ", ".join(parts) if parts else "nothing found"

    def badge(self) -> str:
        """The header's words: ``doctor: 1 error 3 warnings``; ``doctor: OK`` without either."""
        parts = []
        if self.errors:
            parts.append(plural(self.errors, "error"))
        if self.warnings:
            parts.append(plural(self.warnings, "warning"))
        return "doctor: " + (" ".join(parts) if parts else "OK")

    @property
    def worst(self) -> str | None:
        """The most severe severity found, or None."""
        return self.findings[0].severity if self.findings else None
