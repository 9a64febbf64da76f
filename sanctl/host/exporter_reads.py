"""Every read the exporter makes, one method per reader, in one small class.

The collector never touches a file, a process or the demo itself: it asks
the :class:`ExporterReads` its host hands out (``host.exporter_reads()``).
That keeps the exporter above the Host seam (a host over SSH hands out its
own reads with these methods) and lets the collector count time and errors
per reader by name.

The reads are the live panels' cheap ones (:mod:`sanctl.lio.live`,
:mod:`sanctl.initiator.sysfs`, :mod:`sanctl.kernel_log`), the configuration
reader (:func:`sanctl.lio.configfs.read_config`, called by the cache in
:mod:`sanctl.exporter.structure` only when something changed), the save state
(:mod:`sanctl.lio.savefile`), ``multipath -ll`` and the doctor's host facts.
On the demo SAN, :meth:`ExporterReads.advance` moves the simulated kernel to
the time of the scrape first, as the live panels' sampler does. No Textual here.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from sanctl.lio.configfs import target_dir

if TYPE_CHECKING:
    from sanctl.host.protocol import Host


class ExporterReads:
    """What the exporter reads from one host (the real host ``/``, a captured tree, or the demo SAN).

    Below the seam: the cheap reads go to the files under the host's tree; the configuration,
    the save state, the host's facts and the demo's clock come from the host's parts.
    """

    def __init__(self, host: Host, *, once: bool = False, wall_clock: Callable[[], float] = time.time) -> None:
        self.host = host
        self.root = root = host.root
        self.wall_clock = wall_clock
        self.problems: list[str] = []
        self._move, _past = host.target.before_sample(wall_clock)
        from sanctl.kernel_log import boot_wall_time, default_sources

        self.boot_wall = boot_wall_time(root)
        # One scrape (``once``) reads what the kernel log still holds; a running exporter reads it too (the
        # doctor's flapping needs the recent past) and then follows it.
        self._sources = default_sources(root, follow=not once, history=True, problems=self.problems)

    # --- the simulated kernel ----------------------------------------------------------

    def advance(self, wall: float) -> None:
        """The demo SAN: write its state at ``wall`` (sessions, counters, log lines); else nothing."""
        if self._move is not None:
            self._move(wall)

    # --- the target: cheap, every scrape ------------------------------------------------

    def layout(self):
        from sanctl.lio.live import read_layout

        return read_layout(self.root)

    def storage_names(self) -> tuple[str, ...]:
        """``core/<hba>/<object>`` names: directories only (the structure's fingerprint)."""
        core = os.path.join(target_dir(self.root), "core")
        out = []
        for hba in _listdir(core):
            if hba == "alua":
                continue
            for name in _listdir(os.path.join(core, hba)):
                if name not in ("hba_info", "hba_mode"):
                    out.append(f"{hba}/{name}")
        return tuple(sorted(out))

    def tpg_word(self, tpg_path: str, rel: str) -> str | None:
        """One small file of a TPG (``attrib/demo_mode_write_protect``, ``attrib/authentication``)."""
        from sanctl.lio.live import read_word

        return read_word(os.path.join(tpg_path, rel))

    def target_stats(self, target_path: str):
        from sanctl.lio.live import read_target_stats

        return read_target_stats(target_path)

    def acl_session(self, target: str, tag: int, initiator: str, acl_path: str, cache: dict):
        from sanctl.lio.live import read_acl_session

        return read_acl_session(target, tag, initiator, acl_path, stats=True, cache=cache)

    def dynamic_sessions(self, tpg):
        from sanctl.lio.live import read_dynamic_sessions

        return read_dynamic_sessions(tpg)

    def lun_stats(self, lun_path: str) -> tuple[int | None, int | None, int | None] | None:
        """A TPG LUN's ``(commands, read MiB, write MiB)`` (``scsi_tgt_port``); None if the LUN is gone.

        The same files as :func:`sanctl.lio.live.read_lun_stats`, without its dataclass and path
        joins: 10,000 LUNs are 30,000 reads a scrape.
        """
        from sanctl.lio.live import read_int

        base = f"{lun_path}/statistics/scsi_tgt_port/"
        values = (read_int(base + "in_cmds"), read_int(base + "read_mbytes"), read_int(base + "write_mbytes"))
        if values == (None, None, None) and not os.path.isdir(lun_path):
            return None
        return values

    def lun_backstore(self, lun_path: str) -> str | None:
        from sanctl.lio.live import lun_backstore

        return lun_backstore(lun_path)

    def mapped_lun_stats(self, acl_path: str):
        """``(mapped LUN, commands, read MiB, write MiB)`` of an ACL's mapped LUNs: the three counters only.

        :func:`sanctl.lio.live.read_mapped_lun_stats` reads five files a mapped LUN (the attached
        session's port and count too); on 20,000 mapped LUNs the two the metrics do not use cost a
        second a scrape.
        """
        from sanctl.lio.live import read_int

        out = []
        for name in _listdir(acl_path):
            if not name.startswith("lun_") or not name[4:].isdigit():
                continue
            base = f"{acl_path}/{name}/statistics/scsi_auth_intr/"
            out.append((int(name[4:]), read_int(base + "num_cmds"), read_int(base + "read_mbytes"),
                        read_int(base + "write_mbytes")))
        out.sort()
        return tuple(out)

    # --- the target: the structure, when it changed ---------------------------------------

    def config(self):
        """The whole configuration with every attribute and ALUA group (seconds on a big target)."""
        from sanctl.lio.errors import ConfigfsNotFound

        try:
            return self.host.target.read_config(details=True)
        except ConfigfsNotFound:
            return self.host.target.empty_config()

    def save_file(self) -> tuple[str, float | None, int | None]:
        """The boot-time saveconfig.json's path, mtime and size (None, None if there is none)."""
        path = self.host.target.save_location().path
        try:
            st = os.stat(path)
        except OSError:
            return path, None, None
        return path, st.st_mtime, st.st_size

    def save_status(self, config):
        """Whether the running configuration is the saved one; None for a captured tree."""
        if not self.host.capabilities.has_live or config.empty and not os.path.isdir(target_dir(self.root)):
            return None
        from sanctl.lio.saveconfig import dump

        return self.host.target.save_status(running_config=dump(config))

    def host_facts(self, config, save_status):
        """The doctor's facts about the host (addresses, boot service, devices, node records)."""
        from sanctl.doctor import facts as F

        status = None if save_status is None else save_status
        return F.gather(config, host=self.host, save_status=status)

    # --- the initiator ------------------------------------------------------------------------

    def initiator(self):
        from sanctl.initiator.sysfs import read_initiator

        return read_initiator(self.root, disks=True)

    def multipath(self):
        """``multipath -ll`` on the real host (None: not installed, failed, or not the real host)."""
        if not self.host.capabilities.is_this_machine:
            return None
        from sanctl.initiator.multipath import multipath_devices

        return multipath_devices(timeout=5.0)

    def log_events(self) -> list:
        """Kernel and iscsid log events since the last call."""
        events = []
        for source in self._sources:
            try:
                events.extend(source.read_new())
            except OSError as exc:
                message = f"{getattr(source, 'name', 'log')}: {exc.strerror or exc}"
                if message not in self.problems:
                    self.problems.append(message)
        return events

    def close(self) -> None:
        for source in self._sources:
            try:
                source.close()
            except OSError:
                pass


def _listdir(path: str) -> list[str]:
    try:
        return os.listdir(path)
    except OSError:
        return []
