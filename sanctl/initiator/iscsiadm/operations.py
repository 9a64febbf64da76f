"""The typed iscsiadm operations (:class:`Iscsiadm`), each one run through the host's
:class:`~sanctl.host.runner.Runner`.

- Every call has a deadline (:class:`~sanctl.initiator.iscsiadm_records.Timeouts`);
  when it passes the runner stops the process group and
  :class:`~sanctl.initiator.iscsiadm_errors.IscsiadmTimeout` says so.
- Being already in the asked-for state is success: logging in when already
  logged in (exit 15), logging out or deleting when there is nothing (exit
  21), listing an empty database (exit 21).
- Rediscovery never resets an operator's per-node settings: discovery always
  runs with ``-o new`` (plus ``-o delete`` only when pruning is asked for).
- Calls that change something are writes: one at a time, and refused by a
  read-only runner before anything starts.
No Textual here: the initiator tab runs these calls in a worker thread.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType

from sanctl.host.runner import Runner
from sanctl.initiator.iscsiadm_arguments import (
    STARTUP_VALUES,
    chap_updates,
    check_iface_name,
    check_setting,
    check_startup,
    mask_command,
    portal_arg,
    sid_arg,
)
from sanctl.initiator.iscsiadm_errors import (
    PACKAGE_HINT,
    IscsiadmError,
    IscsiadmNotFound,
    IscsiadmTimeout,
    LoginFailed,
    error_for,
    timeout_hint,
)
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
    DiscoveredTarget,
    DiscoveryRecord,
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
from sanctl.model import Secret
from sanctl.names import InvalidValue, check_iscsi_name

#: Where iscsiadm lives when PATH has no sbin (a non-root shell on Debian).
SBIN_DIRS = ("/usr/sbin", "/sbin", "/usr/local/sbin")


def find_iscsiadm(path: str | None = None) -> str:
    """The iscsiadm binary: on PATH, else in the usual sbin directories; else IscsiadmNotFound."""
    search = path if path is not None else os.environ.get("PATH", os.defpath)
    found = shutil.which("iscsiadm", path=search)
    if not found:
        found = shutil.which("iscsiadm", path=os.pathsep.join(SBIN_DIRS))
    if not found:
        raise IscsiadmNotFound(None, "iscsiadm, open-iscsi's command, is not installed.", PACKAGE_HINT)
    return found


_WRITE_LOCK = threading.Lock()
_QUERY_OPERATIONS = frozenset({"query", "node", "session", "discoverydb", "iface", "stats"})


def _changes(operation: str, args: Sequence[str]) -> bool:
    """Whether a call changes the host (a read-only runner refuses it): every operation but the
    queries, except a record's ``-o show`` (read under the "update" operation for its messages)."""
    if operation in _QUERY_OPERATIONS:
        return False
    return not any(a == "-o" and b == "show" for a, b in zip(args, args[1:]))


class Iscsiadm:
    """The operations of the initiator tab and the ``discover``/``login``/``logout`` commands.

    ``binary`` defaults to iscsiadm found on PATH (then /usr/sbin, /sbin) at the
    first call. Calls are blocking: run them in a worker thread. Calls that
    change something run one at a time (a process-wide lock); queries do not wait.
    """

    def __init__(self, binary: str | None = None, *, timeouts: Timeouts | None = None,
                 env: Mapping[str, str] | None = None, runner: Runner | None = None) -> None:
        self._binary = binary
        self.timeouts = timeouts or Timeouts()
        self._env = dict(env) if env is not None else None
        #: Starts iscsiadm; ``env`` (when given) replaces the process environment under it.
        self.runner = runner if runner is not None else Runner(env=env)

    # --- plumbing ----------------------------------------------------------
    @property
    def binary(self) -> str:
        if self._binary is None:
            path = (self._env or os.environ).get("PATH")
            self._binary = find_iscsiadm(path)
        return self._binary

    def run(self, args: Sequence[str], *, timeout: float | None = None, operation: str = "query",
            ok: Iterable[int] | None = (0,)) -> Completed:
        """Run ``iscsiadm ARGS``; return it when its exit code is in ``ok`` (any code when ``ok`` is
        None), else raise IscsiadmError."""
        for arg in args:
            if "\0" in arg or "\n" in arg:
                raise InvalidValue("A command line argument cannot contain a newline or NUL.")
        argv = [self.binary, *args]
        if timeout is not None:
            deadline = timeout
        elif operation in _QUERY_OPERATIONS:
            deadline = self.timeouts.query
        elif operation == "discovery":
            deadline = self.timeouts.discovery
        else:
            deadline = self.timeouts.action
        command = mask_command(list(args))
        if operation in _QUERY_OPERATIONS:
            return self._finish(argv, args, deadline, operation, command, ok)
        with _WRITE_LOCK:  # one writer at a time: iscsiadm's node-DB lock would make the second one wait
            return self._finish(argv, args, deadline, operation, command, ok)

    def _finish(self, argv: list[str], args: Sequence[str], deadline: float,
                operation: str, command: str, ok: Iterable[int] | None) -> Completed:
        result = self.runner.run(argv, timeout=deadline, write=_changes(operation, args))
        if result.refused:
            raise IscsiadmError(None, result.refused, command=command)
        if result.missing:
            raise IscsiadmNotFound(None, f"{self.binary} is not there any more.", PACKAGE_HINT, command=command)
        if result.denied:
            raise IscsiadmError(None, f"{self.binary} cannot be run: permission denied.",
                                "Run sanctl as root for initiator changes.", command=command)
        if result.error:
            raise IscsiadmError(None, f"{self.binary} cannot be run: {result.error}.", command=command)
        if result.timed_out:
            hint = timeout_hint(operation)
            raise IscsiadmTimeout(deadline, hint, result.stderr, command, result.stdout)
        assert result.rc is not None
        done = Completed(tuple(args), result.rc, result.stdout, result.stderr, result.seconds)
        if ok is None or done.returncode in set(ok):
            return done
        raise self._error(done, operation, command)

    #: The error for a finished call: see :func:`~sanctl.initiator.iscsiadm_errors.error_for`.
    _error = staticmethod(error_for)

    # --- discovery -----------------------------------------------------------
    def discover(self, portal: str, *, iface: str | None = None, chap: Chap | None = None,
                 reset_auth: bool = False, prune: bool = False) -> list[DiscoveredTarget]:
        """SendTargets discovery against ``portal`` (``host[:port]``).

        Node records are added for new portals only (``-o new``): an operator's
        per-node settings (startup, CHAP) survive rediscovery. ``prune`` also
        drops records of portals the target no longer returns (``-o delete``).
        ``chap`` sets discovery CHAP (and mutual CHAP) in the discovery record
        first; ``reset_auth`` turns discovery CHAP off; neither keeps what the
        record has. Exit 21 (the target offers nothing to this initiator) is an
        error: the operator expected targets.
        """
        p = portal_arg(portal)
        if "," in p:
            raise InvalidValue("A discovery portal is an address and port, without a TPG tag.")
        base = ["-m", "discoverydb", "-t", "sendtargets", "-p", p]
        if iface:
            base += ["-I", check_iface_name(iface)]
        if chap is not None or reset_auth:
            known = {r.portal for r in self.discovery_records() if r.method == "sendtargets"}
            if p not in known:
                self.run([*base, "-o", "new"], operation="discovery")
            for key, value in self._auth_updates("discovery.sendtargets.auth", chap):
                self.run([*base, "-o", "update", "-n", key, "-v", value], operation="update")
        ops = ["-o", "new"] + (["-o", "delete"] if prune else [])
        done = self.run([*base, "--discover", *ops], operation="discovery")
        return parse_discovery(done.stdout)

    def discover_isns(self, server: str, *, iface: str | None = None) -> list[DiscoveredTarget]:
        """iSNS discovery: ask the iSNS server at ``server`` (``host[:port]``, port 3205 by default)
        for the targets registered there. As :meth:`discover`, new node records only (``-o new``)."""
        p = portal_arg(server, default_port=3205)
        if "," in p:
            raise InvalidValue("An iSNS server is an address and port, without a TPG tag.")
        base = ["-m", "discoverydb", "-t", "isns", "-p", p]
        if iface:
            base += ["-I", check_iface_name(iface)]
        done = self.run([*base, "--discover", "-o", "new"], operation="discovery")
        return parse_discovery(done.stdout)

    def new_node(self, target: str, portal: str, *, iface: str | None = None) -> None:
        """A node record made by hand (``-m node -o new``) for a target discovery does not list
        (a target with demo_mode_discovery=0, a portal behind NAT): a static record with TPG tag -1,
        iscsid.conf's defaults, logged in to as any other. ``-o new`` would write an existing record over
        with the defaults, so one that exists (for this target and portal) is refused instead."""
        p = portal_arg(portal)
        if "," in p:
            raise InvalidValue("Give the portal as address[:port]; open-iscsi finds the TPG tag at login.")
        args = self._node_args(target, p, iface)
        if any(n.target == target and n.portal == p for n in self.nodes()):
            raise InvalidValue(f"A node record of {target} at {p} exists already; its settings stay as they are "
                               "(change them on the record).")
        self.run([*args, "-o", "new"], operation="update")

    def discover_offered(self, portal: str) -> list[DiscoveredTarget]:
        """:meth:`discover`, where exit 21 (nothing offered to this initiator) is an empty answer:
        for callers that then look for a target of their own and say what is missing."""
        try:
            return self.discover(portal)
        except IscsiadmError as exc:
            if exc.code != 21:
                raise
            return []

    @staticmethod
    def _auth_updates(prefix: str, chap: Chap | None) -> list[tuple[str, str]]:
        if chap is None:
            # Off, and the credentials cleared: authmethod=None with a user and
            # password left set still tries CHAP (open-iscsi#438).
            return [(f"{prefix}.authmethod", "None"), (f"{prefix}.username", ""), (f"{prefix}.password", ""),
                    (f"{prefix}.username_in", ""), (f"{prefix}.password_in", "")]
        updates = [(f"{prefix}.authmethod", "CHAP"), (f"{prefix}.username", chap.username),
                   (f"{prefix}.password", chap.password.reveal()),
                   (f"{prefix}.username_in", chap.username_in), (f"{prefix}.password_in", chap.password_in.reveal())]
        return [check_setting(k, v) for k, v in updates]

    def discovery_records(self) -> list[DiscoveryRecord]:
        """The discovery records (``-m discoverydb``); none is an empty list."""
        done = self.run(["-m", "discoverydb"], operation="discoverydb", ok=(0, 21))
        return parse_discoverydb(done.stdout)

    def discovery_settings(self, portal: str) -> NodeSettings:
        """All keys of one SendTargets discovery record."""
        done = self.run(["-m", "discoverydb", "-t", "sendtargets", "-p", portal_arg(portal), "-o", "show"],
                        operation="discoverydb")
        records = parse_records(done.stdout)
        return records[0] if records else NodeSettings(MappingProxyType({}))

    def delete_discovery_record(self, portal: str) -> bool:
        """Delete a SendTargets discovery record; False when there was none."""
        done = self.run(["-m", "discoverydb", "-t", "sendtargets", "-p", portal_arg(portal), "-o", "delete"],
                        operation="delete", ok=None)
        if done.returncode == 0:
            return True
        if done.returncode == 21 or (done.returncode == 6 and "not found" in done.stderr):
            return False
        raise self._error(done, "delete")

    # --- node records ------------------------------------------------------
    def nodes(self, *, with_ifaces: bool = False) -> list[NodeRecord]:
        """The node records; none is an empty list. ``with_ifaces`` reads ``-P 1`` to name each iface."""
        args = ["-m", "node"] + (["-P", "1"] if with_ifaces else [])
        return parse_nodes(self.run(args, operation="node", ok=(0, 21)).stdout)

    def _node_args(self, target: str, portal: str | None, iface: str | None = None) -> list[str]:
        args = ["-m", "node", "-T", check_iscsi_name(target)]
        if portal is not None:
            args += ["-p", portal_arg(portal)]
        if iface:
            args += ["-I", check_iface_name(iface)]
        return args

    def node_settings(self, target: str, portal: str, *, iface: str | None = None,
                      reveal: bool = False) -> list[NodeSettings]:
        """Every key of the record(s) of ``target`` on ``portal`` (one per iface).

        ``reveal`` reads the CHAP passwords too (``--show``, root only); they
        stay :class:`~sanctl.model.Secret` either way.
        """
        args = [*self._node_args(target, portal, iface), "-o", "show"] + (["--show"] if reveal else [])
        return parse_records(self.run(args, operation="update").stdout)

    def update_node(self, target: str, portal: str | None, key: str, value: str | Secret, *,
                    iface: str | None = None) -> None:
        """Set one key of a node record (or of every record of ``target`` when portal is None).
        A logged-in session keeps its settings until it logs in again."""
        base = self._node_args(target, portal, iface)
        key, text = check_setting(key, value)
        self.run([*base, "-o", "update", "-n", key, "-v", text], operation="update")

    def set_startup(self, target: str, portal: str | None, startup: str, *, iface: str | None = None) -> None:
        """node.startup: ``automatic`` (a favourite: logged in at boot), ``manual`` or ``onboot``."""
        value = check_startup(startup)
        base = self._node_args(target, portal, iface)
        self.run([*base, "-o", "update", "-n", "node.startup", "-v", value], operation="update")
        # The connection's own startup follows, as iscsiadm's -o update of node.startup
        # does not change node.conn[0].startup on every version.
        self.run([*base, "-o", "update", "-n", "node.conn[0].startup", "-v", value], operation="update")

    def set_favourite(self, target: str, portal: str | None, favourite: bool, *, iface: str | None = None) -> None:
        """The "favourite" toggle: automatic login at boot on or off."""
        self.set_startup(target, portal, "automatic" if favourite else "manual", iface=iface)

    def set_session_auth(self, target: str, portal: str | None, chap: Chap | None, *,
                         iface: str | None = None) -> None:
        """Session CHAP for a node: ``chap`` (one-way or mutual), or None for no authentication
        (which also clears the user names and passwords)."""
        base = self._node_args(target, portal, iface)
        for key, value in self._auth_updates("node.session.auth", chap):
            self.run([*base, "-o", "update", "-n", key, "-v", value], operation="update")

    def set_session_chap(self, target: str, portal: str | None, username: str, password: Secret | str | None = None,
                         username_in: str = "", password_in: Secret | str | None = None, *,
                         iface: str | None = None) -> None:
        """Session CHAP (mutual when ``username_in`` is given) that can keep a secret already in the record:
        a ``None`` password or password_in is left as it is (the tab's "leave empty to keep").
        An empty ``username_in`` turns mutual CHAP off (its user and secret cleared)."""
        base = self._node_args(target, portal, iface)
        for key, value in chap_updates("node.session.auth", username, password, username_in, password_in):
            self.run([*base, "-o", "update", "-n", key, "-v", value], operation="update")

    def delete_node(self, target: str, portal: str | None = None, *, iface: str | None = None) -> bool:
        """Delete a node record (all of ``target``'s when portal is None); False when there was none.
        Log out first: deleting a logged-in node leaves its session running."""
        done = self.run([*self._node_args(target, portal, iface), "-o", "delete"], operation="delete", ok=(0, 21))
        return done.returncode == 0  # 15: a session uses it -> IscsiadmError "log out first"

    # --- login / logout -------------------------------------------------------
    def login(self, target: str, portal: str | None = None, *, iface: str | None = None,
              cancel_on_timeout: bool = True) -> LoginResult:
        """Log in to ``target`` on ``portal`` (every portal of its records when None).

        Already logged in (exit 15) is success with ``already=True``. When the
        deadline passes, the pending login iscsid keeps retrying is cancelled
        (a logout of that node) unless ``cancel_on_timeout`` is False.
        """
        args = self._node_args(target, portal, iface)
        try:
            done = self.run([*args, "--login"], operation="login", ok=None)
        except IscsiadmTimeout:
            if cancel_on_timeout:
                try:
                    self.run([*args, "--logout"], operation="logout", timeout=self.timeouts.query, ok=None)
                except IscsiadmError:
                    pass
            raise
        return self._login_result(done)

    def login_all(self, which: str = "all") -> LoginResult:
        """``--loginall``: every node record (``all``) or those whose startup is
        ``automatic``/``manual``/``onboot``. No records at all is an error (run discovery)."""
        if which not in ("all", *STARTUP_VALUES):
            raise InvalidValue("Log in to all, automatic, manual or onboot records.")
        done = self.run(["-m", "node", f"--loginall={which}"], operation="login", ok=None)
        return self._login_result(done)

    def _login_result(self, done: Completed) -> LoginResult:
        """Success, already logged in, or a :class:`LoginFailed` naming the portals that failed.

        The exit code alone cannot say: it is the *first* error of a
        multi-record login, so 15 ("already") can hide a 24 on another record.
        """
        logged_in = tuple(parse_portal_tuples(done.stdout, "Login to"))
        failures = parse_login_failures(done.stderr)
        real = [(p, c) for p, c in failures if c != 15]
        if done.returncode in (0, 15) and not real:
            warnings = tuple(line.removeprefix("iscsiadm: ").strip() for line in done.stderr.splitlines()
                             if line.strip() and "Could not log" not in line)
            return LoginResult(logged_in, already=not logged_in and (done.returncode == 15 or bool(failures)),
                               warnings=warnings)
        code = real[0][1] if real else done.returncode
        error = self._error(done, "login", code=code, cls=LoginFailed)
        assert isinstance(error, LoginFailed)  # for the type checker
        error.logged_in = logged_in
        error.failures = tuple(failures)
        if logged_in:
            error.message = f"Logged in on {len(logged_in)} of {len(logged_in) + len(real)} portals. {error.message}"
            error.args = (error.message,)
        raise error

    def logout(self, target: str, portal: str | None = None, *, iface: str | None = None) -> LogoutResult:
        """Log out of ``target`` on ``portal`` (every portal when None). Not logged in is success."""
        done = self.run([*self._node_args(target, portal, iface), "--logout"], operation="logout", ok=(0, 21))
        return LogoutResult(tuple(parse_portal_tuples(done.stdout, "Logout of")), done.returncode == 21)

    def logout_session(self, sid: int) -> LogoutResult:
        done = self.run(["-m", "session", "-r", sid_arg(sid), "--logout"], operation="logout", ok=(0, 21))
        return LogoutResult(tuple(parse_portal_tuples(done.stdout, "Logout of")), done.returncode == 21)

    def logout_all(self) -> LogoutResult:
        """Every session, whether or not it has a node record. Dangerous: confirm first."""
        done = self.run(["-m", "session", "--logout"], operation="logout", ok=(0, 21))
        return LogoutResult(tuple(parse_portal_tuples(done.stdout, "Logout of")), done.returncode == 21)

    # --- sessions ------------------------------------------------------------
    def sessions(self) -> list[SessionSummary]:
        """``-m session``; no sessions is an empty list."""
        return parse_sessions(self.run(["-m", "session"], operation="session", ok=(0, 21)).stdout)

    def session_details(self, sid: int | None = None) -> list[Session]:
        """``-m session -P 3`` (one session with ``sid``): connections and disks. Round-trips
        to iscsid, so it hangs with a wedged iscsid: prefer sysfs for a live table."""
        args = ["-m", "session"] + (["-r", sid_arg(sid)] if sid is not None else []) + ["-P", "3"]
        return parse_session_details(self.run(args, operation="session", ok=(0, 21)).stdout)

    def rescan(self, sid: int | None = None) -> list[PortalLogin]:
        """Rescan one session's LUNs (all sessions when None): new LUNs appear as disks."""
        args = ["-m", "session"] + (["-r", sid_arg(sid)] if sid is not None else []) + ["--rescan"]
        done = self.run(args, operation="rescan", timeout=self.timeouts.action)
        return parse_portal_tuples(done.stdout, "Rescanning session")

    def session_stats(self, sid: int) -> SessionStats:
        return parse_stats(self.run(["-m", "session", "-r", sid_arg(sid), "-s"], operation="stats").stdout)

    # --- ifaces and version ---------------------------------------------------
    def ifaces(self) -> list[Iface]:
        return parse_ifaces(self.run(["-m", "iface"], operation="iface", ok=(0, 21)).stdout)

    def version(self) -> str:
        """``iscsiadm version 2.1.8`` -> ``2.1.8``."""
        out = self.run(["--version"]).stdout.strip()
        return out.rsplit(" ", 1)[-1] if out else ""
