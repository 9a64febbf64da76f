"""open-iscsi's ``iscsiadm``, wrapped so that it cannot surprise the operator.

One idea a module:

- :mod:`sanctl.initiator.iscsiadm_records` — what its answers become: frozen
  dataclasses, plain values;
- :mod:`.parsers` — pure functions of its text (``parse_*``), tested on
  outputs captured from a real kernel;
- :mod:`sanctl.initiator.iscsiadm_arguments` — every value checked before it
  reaches the command line, so an IQN, portal or setting can never be read as an option;
- :mod:`sanctl.initiator.iscsiadm_errors` — every failure an :class:`IscsiadmError`
  with the exit code, a plain message, what to do and iscsiadm's own words;
- :mod:`.operations` — :class:`Iscsiadm`, the typed operations, each run
  through the one :class:`~sanctl.host.runner.Runner` (an argument list with
  ``LC_ALL=C``, a deadline that stops the process group, writes refused on a
  read-only host).

The records, arguments and errors are pure (no I/O), outside this package, so
the UI imports them without the runner.

Import the names from here (the UI from the pure modules); the modules are how the code is filed.
No Textual here: the initiator tab runs these calls in a worker thread.
"""

from __future__ import annotations

from sanctl.initiator.iscsiadm_arguments import (
    STARTUP_VALUES,
    chap_updates,
    check_iface_name,
    check_setting,
    check_startup,
    portal_arg,
)
from sanctl.initiator.iscsiadm_errors import (
    PACKAGE_HINT,
    IscsiadmError,
    IscsiadmNotFound,
    IscsiadmTimeout,
    LoginFailed,
)
from sanctl.initiator.iscsiadm.operations import SBIN_DIRS, Iscsiadm, find_iscsiadm
from sanctl.initiator.iscsiadm.parsers import (
    parse_discovery,
    parse_discoverydb,
    parse_ifaces,
    parse_login_failures,
    parse_nodes,
    parse_portal_tuples,
    parse_records,
    parse_session_details,
    parse_sessions,
    parse_stats,
)
from sanctl.initiator.iscsiadm_records import (
    Chap,
    Completed,
    Connection,
    DiscoveredTarget,
    DiscoveryRecord,
    Disk,
    Iface,
    LoginResult,
    LogoutResult,
    NodeRecord,
    NodeSettings,
    PortalLogin,
    Session,
    SessionStats,
    SessionSummary,
    Timeouts,
)

__all__ = [
    "PACKAGE_HINT",
    "SBIN_DIRS",
    "STARTUP_VALUES",
    "Chap",
    "Completed",
    "Connection",
    "DiscoveredTarget",
    "DiscoveryRecord",
    "Disk",
    "Iface",
    "Iscsiadm",
    "IscsiadmError",
    "IscsiadmNotFound",
    "IscsiadmTimeout",
    "LoginFailed",
    "LoginResult",
    "LogoutResult",
    "NodeRecord",
    "NodeSettings",
    "PortalLogin",
    "Session",
    "SessionStats",
    "SessionSummary",
    "Timeouts",
    "chap_updates",
    "check_iface_name",
    "check_setting",
    "check_startup",
    "find_iscsiadm",
    "parse_discovery",
    "parse_discoverydb",
    "parse_ifaces",
    "parse_login_failures",
    "parse_nodes",
    "parse_portal_tuples",
    "parse_records",
    "parse_session_details",
    "parse_sessions",
    "parse_stats",
    "portal_arg",
]
