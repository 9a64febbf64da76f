"""The live state as the doctor sees it: one or more looks, and what the last run saw.

A single reading of configfs shows each ACL's *current* session only; that
one initiator name is logged in from two hosts shows over several readings,
as LIO replaces the session again and again and its address alternates.
:class:`Observer` takes the sampler's frames (:class:`~sanctl.live.sampler.LiveFrame`)
as they come — the TUI's live service every interval, the command a few
times during its short watch — and keeps, per ACL, the addresses its
session came from and how often it was replaced (:class:`SessionTrail`).

"Since the last look": the command keeps what it saw (:class:`LastLook`:
the targets' login-failure counters and each ACL's session) in a small JSON
file, so the next run reports only failures counted since, and a session
that came back from another address. :func:`state_path` says where that
file lives; a captured tree keeps none.

:meth:`Observer.snapshot` is an immutable :class:`LiveSnapshot` for the
rules; it and the other values the rules read live in
:mod:`sanctl.doctor.live_facts` (re-exported here). No Textual here.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from sanctl.doctor.live_facts import AclKey, LiveSnapshot, LoginCounters, SeenSession, SessionTrail, _empty  # noqa: F401  (re-exported)
from sanctl.doctor.observer import WINDOW, LastLook, Observer, _number  # noqa: F401  (re-exported: no I/O there)
from sanctl.state_files import DamagedState, read_json, set_aside, write_private

if TYPE_CHECKING:
    from sanctl.host.protocol import Host

STATE_FILE = "doctor-last-look.json"


def state_path(host: Host) -> str | None:
    """Where the command keeps its last look: where the host keeps sanctl's state (under the demo
    root for the demo SAN; ``/var/lib/sanctl`` for root on a real host, else ``$XDG_STATE_HOME/sanctl``,
    ``~/.local/state/sanctl``); None for a captured tree (its counters never move)."""
    return host.state_file(STATE_FILE)


def load_last_look(path: str | None, notes: list[str] | None = None) -> LastLook | None:
    """The last run's look; None when there is none. A damaged file is moved aside
    (``<name>.damaged-<time>``), said in ``notes``, and the count starts afresh."""
    if path is None:
        return None
    try:
        data = read_json(path)
    except FileNotFoundError:
        return None
    except DamagedState as exc:
        data, reason = None, str(exc)
    else:
        reason = "not a last look"
    look = LastLook.from_json(data)
    if look is None:
        aside = set_aside(path)
        if notes is not None:
            where = f"moved to {aside}" if aside else "removed"
            notes.append(f"last look: {path} was damaged ({reason}), {where}; a fresh one is started")
    return look


def save_last_look(path: str, look: LastLook) -> None:
    """Write atomically at 0600, fsynced; nothing left behind on failure. Raises OSError."""
    write_private(path, json.dumps(look.to_json()).encode())


