"""The first read of the configuration, started before the screen is built.

The configuration screen needs the model to draw its tree. On the demo SAN
``read_config`` takes a few milliseconds, on a 10,000-LUN target a second or
more. The read starts in a thread as soon as the screen object exists (it
overlaps Textual's own start-up; ``scandir``/``read`` release the GIL); the
screen waits briefly for it, and if it is not done draws itself anyway with a
"reading configfs…" tree and fills the tree in when the thread finishes.
A big tree (:data:`BIG`, by the host's ``target.rough_size``) is
read only once the first frame is drawn: started together, the reader and
Textual's start-up take turns on the interpreter and both finish later
(measured by ``bench/config_load.py``). No Textual here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from sanctl.model import SanConfig


#: Storage objects + targets from which the read waits for the first frame.
BIG = 300


class InitialRead:
    """The host's first ``read_config`` in a daemon thread; :meth:`done` waits for it."""

    def __init__(self, reader: Callable[[], SanConfig], *, start: bool = True) -> None:
        """``reader()`` reads (the host's ``target.read_config``, through the screen); ``start=False``:
        :meth:`start` later (a big tree, read after the first frame)."""
        self.config: SanConfig | None = None
        self.error: Exception | None = None
        self._reader = reader
        self._thread = threading.Thread(target=self._run, name="sanctl-initial-read", daemon=True)
        if start:
            self._thread.start()

    @property
    def started(self) -> bool:
        return self._thread.ident is not None

    def start(self) -> None:
        if not self.started:
            self._thread.start()

    def _run(self) -> None:
        try:
            self.config = self._reader()
        except Exception as exc:  # ConfigfsNotFound, or the tree vanished mid-read
            self.error = exc

    def done(self, timeout: float | None = None) -> bool:
        """Wait up to ``timeout`` seconds (``None``: until done); whether it is done (never, unstarted)."""
        if not self.started:
            return False
        self._thread.join(timeout)
        return not self._thread.is_alive()
