"""What changes touch on the system as it is now: :func:`~sanctl.lio.impact.impact` on a fresh read.

The confirmation of a delete (or of a change that drops sessions) is judged
against the system, not the screen: configfs and the live sessions (ACL
``info``, ``dynamic_sessions``) are read again when it opens. The host's
``target.impacts`` calls this; :mod:`sanctl.lio.impact` itself reads nothing.
No Textual here.
"""

from __future__ import annotations

from collections.abc import Iterable

from sanctl.lio import changes as C
from sanctl.lio.configfs import read_config
from sanctl.lio.impact import Impact, impact
from sanctl.lio.live import read_target_live


def read_impact(root: str, change: C.Change, *, live: bool = True) -> Impact:
    """:func:`~sanctl.lio.impact.impact` on a fresh read of configfs and of the live sessions
    (blocking: call it in a worker). ``live=False`` (a captured tree) reads no sessions."""
    return read_impacts(root, [change], live=live)[0]


def read_impacts(root: str, changes: Iterable[C.Change], *, live: bool = True) -> tuple[Impact, ...]:
    """The impact of each of several changes, on one read."""
    config = read_config(root)
    sessions: tuple = read_target_live(root, luns=False).sessions if live else ()
    return tuple(impact(config, change, sessions) for change in changes)
