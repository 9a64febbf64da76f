"""``sanctl discover``, ``sanctl login``, ``sanctl logout``: the initiator from a script.

Exit codes: 0 done (including "already logged in" / "not logged in"), 1 the
operation failed (the plain message, what to do and iscsiadm's own words on
stderr), 2 bad input or a mode in which these commands cannot run (a captured
tree, read-only).

With ``--demo`` they run against the demo SAN's simulated iscsiadm
(:mod:`sanctl.sim.iscsiadm`), as the TUI's initiator tab does: it answers from
the demo's configfs tree and starts as the live demo's host (a session to the
RAC target); on a demo root kept with ``--root`` its records and sessions carry
over to the next run. Nothing on this host changes.

CHAP secrets are never taken from the command line (other users see it in
``ps``): they come from ``$SANCTL_CHAP_SECRET`` / ``$SANCTL_CHAP_MUTUAL_SECRET``
or a prompt on the terminal.

This module imports only the standard library at load time, so registering
the commands costs the CLI nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING, Any

from sanctl.output import say

if TYPE_CHECKING:
    from sanctl.host.protocol import Host
    from sanctl.initiator.iscsiadm import Iscsiadm

SECRET_ENV = "SANCTL_CHAP_SECRET"
MUTUAL_SECRET_ENV = "SANCTL_CHAP_MUTUAL_SECRET"


def add_parsers(commands: Any) -> None:
    """Add ``discover``, ``login`` and ``logout`` to an argparse subparsers object."""
    discover = commands.add_parser("discover", help="find the targets a portal offers (SendTargets discovery)",
                                   epilog="With --demo: the demo SAN's simulated iscsiadm (try 127.0.0.1).")
    discover.add_argument("portal", metavar="PORTAL", help="address[:port] of the target, e.g. 192.168.1.10:3260")
    discover.add_argument("--json", action="store_true", help="print the targets as JSON")
    discover.add_argument("--iface", metavar="NAME", help="open-iscsi iface to discover through")
    discover.add_argument("--chap-user", metavar="USER",
                          help=f"discovery CHAP user (secret from ${SECRET_ENV} or a prompt)")
    discover.add_argument("--mutual-user", metavar="USER",
                          help=f"the target's mutual CHAP user (secret from ${MUTUAL_SECRET_ENV} or a prompt)")
    discover.add_argument("--no-chap", action="store_true", help="turn discovery CHAP off for this portal")
    discover.add_argument("--prune", action="store_true",
                          help="also delete node records of portals the target no longer offers")
    discover.add_argument("--timeout", type=float, metavar="SECONDS", help="give up after this long (default 45)")
    discover.add_argument("--isns", action="store_true",
                          help="PORTAL is an iSNS server (port 3205 unless given): list the targets registered there")

    for verb, what in (("login", "log in to a target"), ("logout", "log out of a target")):
        sub = commands.add_parser(verb, help=f"{what} (every portal of its node records unless --portal)")
        sub.add_argument("target", metavar="TARGET", help="the target's IQN")
        sub.add_argument("--portal", metavar="PORTAL", help="address[:port] of one portal")
        sub.add_argument("--json", action="store_true", help="print the result as JSON")
        sub.add_argument("--timeout", type=float, metavar="SECONDS", help="give up after this long (default 30)")


# ---------------------------------------------------------------------------
def _refuse(args: argparse.Namespace, host: Host, verb: str) -> int | None:
    """Exit code 2 with a sentence when this host has no initiator to reach, or may not be changed."""
    if host.initiator is None or not host.capabilities.has_live:
        message = (f"sanctl --root … {verb}: --root reads a captured tree; {verb} works on this host's "
                   "real initiator. Run it without --root.")
    elif host.readonly:
        message = f"sanctl {verb} changes this host's initiator, and sanctl is read-only here ({host.readonly_reason})."
    else:
        return None
    _emit_error(args, 2, message)
    return 2


def _emit_error(args: argparse.Namespace, exit_code: int, message: str, error: Any = None) -> None:
    if getattr(args, "json", False):
        payload: dict[str, Any] = {"ok": False, "message": message}
        if error is not None:
            payload.update(code=error.code, hint=error.hint, iscsiadm=error.details)
        json.dump(payload, sys.stdout, indent=2)
        sys.stdout.write("\n")
    say(message)
    if error is not None:
        if error.hint:
            print(error.hint, file=sys.stderr)
        for line in error.details:
            print(f"iscsiadm: {line}", file=sys.stderr)


def _adm(args: argparse.Namespace, default: str, host: Host) -> Iscsiadm:
    """The host's iscsiadm (the demo's simulation on the demo SAN) with the ``--timeout`` asked for."""
    from sanctl.initiator.iscsiadm_records import Timeouts

    timeout = getattr(args, "timeout", None)
    if timeout is not None and timeout <= 0:
        from sanctl.names import InvalidValue

        raise InvalidValue("--timeout is a number of seconds greater than 0.")
    timeouts = Timeouts()
    if timeout is not None:
        timeouts = Timeouts(query=timeouts.query, action=timeout if default == "action" else timeouts.action,
                            discovery=timeout if default == "discovery" else timeouts.discovery)
    return host.initiator.iscsiadm(timeouts=timeouts)


def _secret(env: str, prompt: str) -> str:
    value = os.environ.get(env)
    if value:
        return value
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(prompt)
    from sanctl.names import InvalidValue

    raise InvalidValue(f"The CHAP secret comes from ${env} or a prompt on a terminal (never the command line).")


def _run(args: argparse.Namespace, host: Host, verb: str, body) -> int:
    from sanctl.initiator.iscsiadm import IscsiadmError
    from sanctl.names import InvalidValue

    refused = _refuse(args, host, verb)
    if refused is not None:
        return refused
    try:
        return body()
    except InvalidValue as exc:
        _emit_error(args, 2, str(exc))
        return 2
    except IscsiadmError as exc:
        _emit_error(args, 1, exc.message, exc)
        return 1


# ---------------------------------------------------------------------------
def cmd_discover(args: argparse.Namespace, host: Host) -> int:
    """``sanctl discover PORTAL [--json]``: SendTargets discovery; new node records only."""

    def body() -> int:
        from sanctl.initiator.iscsiadm import Chap, portal_arg
        from sanctl.model import Secret

        if getattr(args, "isns", False):
            if getattr(args, "chap_user", None) or getattr(args, "no_chap", False) or getattr(args, "prune", False):
                from sanctl.names import InvalidValue

                raise InvalidValue("--isns asks an iSNS server: discovery CHAP and --prune are SendTargets options.")
            portal = portal_arg(args.portal, default_port=3205)
            found = _adm(args, "discovery", host).discover_isns(portal, iface=getattr(args, "iface", None))
            return _print_found(args, portal, found)
        portal = portal_arg(args.portal)
        chap = None
        if getattr(args, "chap_user", None):
            password = Secret(_secret(SECRET_ENV, f"Discovery CHAP secret for {args.chap_user}: "))
            user_in, password_in = "", Secret("")
            if getattr(args, "mutual_user", None):
                user_in = args.mutual_user
                password_in = Secret(_secret(MUTUAL_SECRET_ENV, f"Mutual CHAP secret of {user_in}: "))
            chap = Chap(args.chap_user, password, user_in, password_in)
        elif getattr(args, "mutual_user", None):
            from sanctl.names import InvalidValue

            raise InvalidValue("--mutual-user needs --chap-user: mutual CHAP comes on top of one-way CHAP.")
        found = _adm(args, "discovery", host).discover(
            portal, iface=getattr(args, "iface", None), chap=chap,
            reset_auth=bool(getattr(args, "no_chap", False)), prune=bool(getattr(args, "prune", False)))
        return _print_found(args, portal, found)

    return _run(args, host, "discover", body)


def _print_found(args: argparse.Namespace, portal: str, found) -> int:
    """Discovered targets, one ``address:port,tpgt iqn`` line each (or JSON)."""
    if args.json:
        json.dump({"ok": True, "portal": portal, "targets": [
            {"target": t.target, "portal": t.portal, "address": t.address, "port": t.port, "tpgt": t.tpgt}
            for t in found]}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for t in found:
            print(f"{t.portal},{t.tpgt} {t.target}")
        if not found:
            say(f"{portal} offered no targets.")
    return 0


def cmd_login(args: argparse.Namespace, host: Host) -> int:
    """``sanctl login TARGET [--portal P]``: already logged in is success."""

    def body() -> int:
        adm = _adm(args, "action", host)
        result = adm.login(args.target, getattr(args, "portal", None))
        where = f" on {args.portal}" if getattr(args, "portal", None) else ""
        if args.json:
            json.dump({"ok": True, "target": args.target, "already": result.already,
                       "logged_in": [{"target": p.target, "portal": p.portal, "iface": p.iface}
                                     for p in result.logged_in]}, sys.stdout, indent=2)
            sys.stdout.write("\n")
        elif result.already:
            print(f"Already logged in to {args.target}{where}.")
        else:
            for p in result.logged_in:
                print(f"Logged in to {p.target} on {p.portal} (iface {p.iface or 'default'}).")
        return 0

    return _run(args, host, "login", body)


def cmd_logout(args: argparse.Namespace, host: Host) -> int:
    """``sanctl logout TARGET [--portal P]``: not logged in is success."""

    def body() -> int:
        adm = _adm(args, "action", host)
        result = adm.logout(args.target, getattr(args, "portal", None))
        where = f" on {args.portal}" if getattr(args, "portal", None) else ""
        if args.json:
            json.dump({"ok": True, "target": args.target, "already": result.already,
                       "logged_out": [{"target": p.target, "portal": p.portal, "sid": p.sid}
                                      for p in result.logged_out]}, sys.stdout, indent=2)
            sys.stdout.write("\n")
        elif result.already:
            print(f"Not logged in to {args.target}{where}: nothing to do.")
        else:
            for p in result.logged_out:
                print(f"Logged out of {p.target} on {p.portal} (session {p.sid}).")
        return 0

    return _run(args, host, "logout", body)
