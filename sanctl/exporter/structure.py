"""The configuration behind the metrics, cached: read whole only when it changed, or every few minutes.

On a 10,000-LUN target the full configuration (every attribute, ALUA group
and mapped LUN) takes seconds to read, and comparing it with
saveconfig.json as long again; a scrape every 15 s cannot pay that. What a
scrape reads anyway — the layout of targets, TPGs, ACLs and LUNs (directory
listings) — plus the backstores' names and the saved file's mtime and size
make a fingerprint; the configuration, the save state and the doctor's host
facts are read again when the fingerprint changes, when ``every`` seconds
have passed (attribute changes leave no trace in the layout), and the facts
alone every ``facts_every`` seconds (a backstore's device can go at any time).
No Textual here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: Read the whole configuration at least this often (seconds), changed or not.
DEFAULT_EVERY = 300.0
#: Gather the doctor's host facts (devices, services, node records) at least this often (seconds).
FACTS_EVERY = 60.0


@dataclass(frozen=True)
class Structure:
    """One reading of the configuration and what goes with it."""

    config: Any  #: :class:`sanctl.model.SanConfig` with details
    save_status: Any  #: :class:`sanctl.lio.savefile.SaveStatus` or None (not known)
    facts: Any  #: :class:`sanctl.doctor.facts.HostFacts`
    read_at: float  #: monotonic
    seconds: float  #: how long reading it took


class StructureCache:
    """Holds the last :class:`Structure`; :meth:`get` reads it again only when needed."""

    def __init__(self, reads: Any, *, every: float = DEFAULT_EVERY, facts_every: float = FACTS_EVERY,
                 clock: Callable[[], float] = time.monotonic, background: bool = False) -> None:
        self.reads = reads
        self.every = every
        self.facts_every = facts_every
        self.clock = clock
        #: Read a stale structure in a thread while scrapes go on with the last one (a running exporter:
        #: seconds of reading on a big target must not make one scrape miss Prometheus' timeout).
        self.background = background
        self.structure: Structure | None = None
        self.fingerprint: tuple | None = None
        self.reads_done = 0  #: full configuration reads so far
        self._facts_at = 0.0
        self._worker: threading.Thread | None = None

    def get(self, layout: tuple, timed: Callable[[str, Callable[[], Any]], Any]) -> Structure | None:
        """The structure for this scrape; ``timed(reader, work)`` runs each read (time and errors by reader)."""
        now = self.clock()
        names = timed("storage_names", self.reads.storage_names)
        save_file = timed("save_file", self.reads.save_file)
        fingerprint = (_shape(layout), names, save_file)
        stale = (self.structure is None or fingerprint != self.fingerprint
                 or now - self.structure.read_at >= self.every)
        if stale and self.background and self.structure is not None:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._read, args=(fingerprint, now, timed),
                                                name="sanctl-exporter-structure", daemon=True)
                self._worker.start()
        elif stale:
            self._read(fingerprint, now, timed)
        elif now - self._facts_at >= self.facts_every and self.structure is not None:
            s = self.structure
            facts = timed("host_facts", lambda: self.reads.host_facts(s.config, s.save_status))
            if facts is not None:
                self.structure = Structure(s.config, s.save_status, facts, s.read_at, s.seconds)
            self._facts_at = now
        return self.structure


    def _read(self, fingerprint: tuple, now: float, timed: Callable[[str, Callable[[], Any]], Any]) -> None:
        started = time.perf_counter()
        config = timed("config", self.reads.config)
        if config is None:
            return  # the reader failed (counted): keep the last one
        status = timed("save_status", lambda: self.reads.save_status(config))
        facts = timed("host_facts", lambda: self.reads.host_facts(config, status))
        self.structure = Structure(config, status, facts, now, time.perf_counter() - started)
        self.fingerprint = fingerprint
        self.reads_done += 1
        self._facts_at = now

    def wait(self, timeout: float | None = None) -> None:
        """Until a background read in progress is done (tests; a clean exit)."""
        worker = self._worker
        if worker is not None:
            worker.join(timeout)


def _shape(layout: tuple) -> tuple:
    """What of the layout makes the structure: names, LUN numbers, enabled and demo-mode flags."""
    return tuple((t.iqn, tuple((g.tag, g.enabled, g.demo_mode, g.acls, g.luns) for g in t.tpgs)) for t in layout)
