"""Reading a desired configuration, previewing its plan against the live system, applying it.

The I/O around :mod:`sanctl.lio.plan`: a file is a saveconfig.json
(plain or a gzipped backup) or a targetcli script (:mod:`sanctl.lio.script`,
applied to a copy of the running configuration); the plan is made from a
fresh read of configfs and annotated with the live sessions each step
drops; applying takes targetcli's lock, plans again from a fresh read and
refuses if that differs from what was previewed, then runs the changes as
one transaction of the writer (all or nothing, rolled back on failure).

No Textual here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sanctl.errors import SanctlError
from sanctl.lio import plan as P
from sanctl.lio import save_files as S  # SaveFileError, load

#: A targetcli script larger than this is not a script (bytes).
MAX_SCRIPT = 16 << 20

SAVECONFIG = "saveconfig"
SCRIPT = "script"


class DesiredError(S.SaveFileError):
    """The file cannot become a desired configuration (unreadable, not a saveconfig file, a bad script line)."""


class PlanRefused(S.SaveFileError):
    """The file has problems: nothing was changed. ``problems`` lists every one."""

    def __init__(self, found: P.Plan, source: str = "the file") -> None:
        self.plan = found
        self.problems = found.problems
        lines = "\n".join(f"  {p}" for p in found.problems)
        super().__init__(f"{source} is refused ({len(found.problems)} problem"
                         f"{'s' if len(found.problems) != 1 else ''}); nothing was changed:\n{lines}")


class PlanChanged(SanctlError):
    """The running configuration changed between the preview and the confirmation."""


@dataclass
class Desired:
    """The configuration a file asks for, and where it came from."""

    data: dict[str, Any]
    kind: str  #: SAVECONFIG or SCRIPT
    source: str
    notes: list[str] = field(default_factory=list)

    @property
    def prune(self) -> bool:
        """A script's result is the whole running configuration changed: what it deletes goes."""
        return self.kind == SCRIPT


def parse_saveconfig(data: Any, source: str = "the file") -> dict[str, Any]:
    """``data`` if it is shaped like a saveconfig file; else :class:`DesiredError`
    ``"<source>: not a saveconfig file: <reason>"``."""
    try:
        P.parse(data, strict=False)
    except P.NotSaveconfig as exc:
        raise DesiredError(f"{source}: not a saveconfig file: {exc}") from None
    return data


def read_desired(path: str, running: Mapping) -> Desired:
    """A saveconfig file or a targetcli script as the desired configuration."""
    from sanctl.lio import script

    try:
        with open(path, "rb") as handle:
            head = handle.read(MAX_SCRIPT + 1)
    except FileNotFoundError:
        raise DesiredError(f"{path}: no such file") from None
    except OSError as exc:
        raise DesiredError(f"{path}: cannot read it ({exc.strerror})") from None
    if head[:2] == b"\x1f\x8b" or head.lstrip()[:1] in (b"{", b"["):
        data = S.load(path)
        return Desired(parse_saveconfig(data, path), SAVECONFIG, path)
    if len(head) > MAX_SCRIPT:
        raise DesiredError(f"{path}: too large for a targetcli script (more than {MAX_SCRIPT >> 20} MiB)")
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        raise DesiredError(f"{path}: neither a saveconfig file nor a targetcli script (not text)") from None
    try:
        result = script.apply_script(text, running)
    except script.ScriptError as exc:
        raise DesiredError(f"{path}: {exc}") from None
    return Desired(result.data, SCRIPT, path, result.notes)


def live_sessions(writer) -> tuple:
    """The target's live sessions now (none on a captured tree, or when they cannot be read)."""
    if not getattr(writer, "live", True):
        return ()
    try:
        from sanctl.lio.live import read_target_live

        return read_target_live(writer.root, luns=False).sessions
    except Exception:  # no session data: the plan still lists every step
        return ()


def running_config(writer):
    """A fresh read of the running configuration with details (mapped LUNs filled)."""
    from sanctl.lio import configfs as cf

    return cf.fill_mapped_luns(cf.read_config(writer.root, details=True))


def preview(writer, desired: Mapping, *, prune: bool = False, target: str | None = None) -> P.Plan:
    """The plan from a fresh read, with the sessions each step drops or disturbs."""
    from sanctl.lio.saveconfig import dump

    config = running_config(writer)
    found = P.plan(desired, dump(config), prune=prune, target=target)
    if found.ok and found.steps:
        found = P.with_sessions(found, config, live_sessions(writer))
    return found


def execute(writer, desired: Mapping, *, prune: bool = False, target: str | None = None,
            expected: P.Plan | None = None):
    """Apply ``desired``: under targetcli's lock, plan again from a fresh read and run it as one transaction.

    Raises :class:`PlanRefused` when the file has problems,
    :class:`PlanChanged` when the plan is not the ``expected`` one (the
    configuration changed since the preview), and the writer's
    refusals (read-only, lock held). Returns ``(plan, ApplyReport)``.
    """
    writer.check_writable()
    with writer.locked():
        found = preview(writer, desired, prune=prune, target=target)
        if not found.ok:
            raise PlanRefused(found)
        if expected is not None and found.changes != expected.changes:
            raise PlanChanged("the running configuration changed since the plan was shown; nothing was changed: "
                              "look at the new plan and confirm again")
        return found, writer.apply(found.changes)


def restore_errors(writer, data: Mapping, *, target: str | None = None) -> list[str]:
    """A writer's ``restore``: the plan with prune, validated whole, run as one transaction; the errors."""
    with writer.locked():
        found = preview(writer, data, prune=True, target=target)
        if not found.ok:
            return [str(p) for p in found.problems]
        report = writer.apply(found.changes)
    if report.ok:
        return []
    return [report.message(), *(str(e) for e in report.undo_errors)]


def source_name(path: str) -> str:
    return os.path.basename(path) or path
