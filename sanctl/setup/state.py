"""The wizard's progress, kept so that leaving half way and coming back resumes there.

One JSON file: the step the operator was on, every answer so far, and —
once the configuration is applied — what was applied (so the Client step
can be shown again). It holds the CHAP secrets typed or generated, in
clear: it is written atomically with mode 0600 in a 0700 directory, the
wizard says so where secrets are entered, and the file is removed when the
wizard is finished.

Where: ``$XDG_STATE_HOME/sanctl/setup.json`` (``~/.local/state/…``) for
this host; under the demo root (``<root>/var/lib/sanctl/setup.json``) on the
demo SAN, so the demo never touches the real one; nowhere for a captured
tree (read-only: nothing to resume).

No Textual here.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sanctl.setup.answers import STEPS, Answers
from sanctl.state_files import DamagedState, read_json, set_aside, user_state_dir, write_private

if TYPE_CHECKING:
    from sanctl.host.protocol import Host

FILE_NAME = "setup.json"
MODE = 0o600
DIR_MODE = 0o700
VERSION = 1


@dataclass
class WizardState:
    """Where the wizard is, and what was answered."""

    step: str = "checks"
    answers: Answers = field(default_factory=Answers)
    #: After Apply: {"target", "address", "port", "save", "service", ...} — the Client step's facts.
    applied: dict[str, Any] | None = None
    saved_at: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"version": VERSION, "step": self.step, "answers": self.answers.to_dict(),
                "applied": self.applied, "saved_at": self.saved_at}

    @classmethod
    def from_dict(cls, data: Any) -> WizardState:
        if not isinstance(data, dict):
            return cls()
        step = data.get("step") if data.get("step") in STEPS else "checks"
        applied = data.get("applied") if isinstance(data.get("applied"), dict) else None
        if step in ("apply", "client") and applied is None:
            step = "review"  # left while applying, or a file from elsewhere: look at the plan again
        if applied is not None and step != "client":
            step = "client"  # applied already: what is left is the client side
        saved_at = data.get("saved_at") if isinstance(data.get("saved_at"), str) else ""
        return cls(step, Answers.from_dict(data.get("answers")), applied, saved_at)

    @property
    def started(self) -> bool:
        """Whether there is anything to resume (past the first step, or answers given)."""
        return self.step != "checks" or self.answers != Answers()


def state_path(host: Host, *, environ: dict[str, str] | None = None) -> str | None:
    """Where the wizard keeps its progress for ``host`` (None: nowhere, a captured tree)."""
    can = host.capabilities
    if can.simulated:  # in the demo's tree, where the demo host keeps its state
        return host.state_file(FILE_NAME)
    if not can.has_live:
        return None
    return os.path.join(user_state_dir(environ), FILE_NAME)


def load_state(path: str | None, notes: list[str] | None = None) -> WizardState | None:
    """The saved progress, or None when there is none.

    A file that cannot be used (damaged, nested a thousand deep, of another
    shape) is moved aside as ``setup.json.damaged-<time>``, said in ``notes``,
    and the wizard starts afresh: it never waits on it.
    """
    if not path:
        return None
    try:
        data = read_json(path)
    except FileNotFoundError:
        return None
    except DamagedState as exc:
        return _set_aside(path, str(exc), notes)
    if not isinstance(data, dict) or data.get("version") != VERSION:
        return _set_aside(path, "not the wizard's progress", notes)
    try:
        return WizardState.from_dict(data)
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        return _set_aside(path, f"not the wizard's progress ({type(exc).__name__})", notes)


def _set_aside(path: str, reason: str, notes: list[str] | None) -> None:
    aside = set_aside(path)
    if notes is not None:
        notes.append(f"{path} was damaged ({reason}); " + (f"moved to {aside}" if aside else "removed")
                     + ": the wizard starts afresh")
    return None


def save_state(path: str | None, state: WizardState, *, now: datetime | None = None) -> None:
    """Write the progress atomically, mode 0600 (it holds CHAP secrets)."""
    if not path:
        return
    state.saved_at = (now or datetime.now()).isoformat(timespec="seconds")
    payload = json.dumps(state.to_dict(), indent=2, sort_keys=True).encode() + b"\n"
    write_private(path, payload)


def clear_state(path: str | None) -> None:
    """Forget the progress (the wizard is finished, or the operator starts over)."""
    if path:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
