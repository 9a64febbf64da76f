"""``/etc/iscsi/iscsid.conf``: the defaults new node records get, as they are in effect.

iscsiadm copies these into every record discovery (or ``-o new``) creates;
records that exist keep their own values, so a change here reaches only new
records (open-iscsi's README, 7.3). A key the file does not set has
open-iscsi's built-in default (``usr/idbm.c``, ``etc/iscsid.conf``).

:func:`parse` is a pure function of the text (the last setting of a key wins,
as iscsiadm reads it); :func:`read` reads at most :data:`MAX_BYTES`. No
Textual here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

PATH = "etc/iscsi/iscsid.conf"
#: iscsid.conf is a few kB; a larger file is read this far and said to be cut.
MAX_BYTES = 1 << 20

#: open-iscsi 2.1.x's values for the keys an operator looks at first, when the file does not set them.
BUILT_IN: dict[str, str] = {
    "iscsid.startup": "/bin/systemctl start iscsid.socket iscsiuio.socket",
    "iscsid.safe_logout": "No",
    "node.startup": "manual",
    "node.leading_login": "No",
    "node.session.auth.authmethod": "None",
    "node.session.auth.chap_algs": "MD5",
    "discovery.sendtargets.auth.authmethod": "None",
    "node.session.timeo.replacement_timeout": "120",
    "node.conn[0].timeo.login_timeout": "15",
    "node.conn[0].timeo.logout_timeout": "15",
    "node.conn[0].timeo.noop_out_interval": "5",
    "node.conn[0].timeo.noop_out_timeout": "5",
    "node.session.err_timeo.abort_timeout": "15",
    "node.session.err_timeo.lu_reset_timeout": "30",
    "node.session.err_timeo.tgt_reset_timeout": "30",
    "node.session.err_timeo.host_reset_timeout": "60",
    "node.session.initial_login_retry_max": "8",
    "node.session.cmds_max": "128",
    "node.session.queue_depth": "32",
    "node.session.xmit_thread_priority": "-20",
    "node.session.nr_sessions": "1",
    "node.session.reopen_max": "0",
    "node.session.iscsi.InitialR2T": "No",
    "node.session.iscsi.ImmediateData": "Yes",
    "node.session.iscsi.FirstBurstLength": "262144",
    "node.session.iscsi.MaxBurstLength": "16776192",
    "node.conn[0].iscsi.MaxRecvDataSegmentLength": "262144",
    "node.conn[0].iscsi.MaxXmitDataSegmentLength": "0",
    "discovery.sendtargets.iscsi.MaxRecvDataSegmentLength": "32768",
    "node.session.scan": "auto",
}

_SECRET = re.compile(r"\.password(_in)?$")
_LINE = re.compile(r"^\s*([A-Za-z0-9_.\[\]]+)\s*=\s*(.*?)\s*$")


@dataclass(frozen=True, slots=True)
class Setting:
    """One key as it is in effect: its value, and where it comes from (a line of the file or built in)."""

    key: str
    value: str
    line: int | None  # None: open-iscsi's built-in default

    @property
    def secret(self) -> bool:
        return bool(_SECRET.search(self.key))

    @property
    def shown(self) -> str:
        """The value to show: a set secret is masked."""
        if self.secret and self.value:
            return "********"
        return self.value if self.value else "<empty>"

    @property
    def source(self) -> str:
        return f"iscsid.conf line {self.line}" if self.line is not None else "built in"


@dataclass(frozen=True, slots=True)
class IscsidConf:
    """The effective defaults; ``path`` None when there is no file (all built in); ``cut`` when the file
    was larger than :data:`MAX_BYTES`; ``ignored`` counts lines that are neither a setting nor a comment."""

    settings: tuple[Setting, ...]
    path: str | None
    cut: bool = False
    ignored: int = 0

    def get(self, key: str) -> Setting | None:
        return next((s for s in self.settings if s.key == key), None)


def parse(text: str) -> tuple[dict[str, tuple[str, int]], int]:
    """``key = value`` lines (``#`` comments, blank lines skipped; the last setting of a key wins) ->
    ``({key: (value, line number)}, lines ignored)``."""
    found: dict[str, tuple[str, int]] = {}
    ignored = 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            ignored += 1
            continue
        found[match.group(1)] = (match.group(2), number)
    return found, ignored


def effective(text: str | None, *, path: str | None = None, cut: bool = False,
              built_in: dict[str, str] = BUILT_IN) -> IscsidConf:
    """The file's settings over the built-in defaults: the file's keys in its order, then the
    built-in keys it does not set."""
    found, ignored = parse(text) if text is not None else ({}, 0)
    settings = [Setting(key, value, line) for key, (value, line) in sorted(found.items(), key=lambda i: i[1][1])]
    settings += [Setting(key, value, None) for key, value in built_in.items() if key not in found]
    return IscsidConf(tuple(settings), path, cut, ignored)


def read(root: str = "/") -> IscsidConf:
    """``<root>/etc/iscsi/iscsid.conf`` in effect; a missing file means every key is built in."""
    path = os.path.join(root, PATH)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return effective(None)
    cut = len(data) > MAX_BYTES
    return effective(data[:MAX_BYTES].decode("utf-8", "replace"), path=path, cut=cut)


def keys_of_interest(conf: IscsidConf, keys: Iterable[str]) -> list[Setting]:
    """The settings of ``keys`` (in that order) that the configuration has."""
    return [s for s in (conf.get(k) for k in keys) if s is not None]
