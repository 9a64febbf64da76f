"""What may go on iscsiadm's command line: every value checked before any process starts.

An IQN, portal or setting can never be read as an option: ``--help`` or
``-o delete`` typed as a target name is refused here. Checks use
:mod:`sanctl.names` (or a rule here) and raise
:class:`~sanctl.names.InvalidValue` with a sentence. :func:`mask_command`
is the command line as shown, with secrets masked.
No Textual, no I/O here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sanctl.initiator.iscsiadm_records import is_secret_key, join_portal
from sanctl.model import MASK, Secret
from sanctl.names import (
    InvalidValue,
    check_chap_secret,
    check_chap_user,
    check_port,
    check_portal_address,
)

STARTUP_VALUES = ("manual", "automatic", "onboot")


_HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                       r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$")
_IFACE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,63}$")
_SETTING_KEY = re.compile(r"^(?:node|iface|discovery)(?:\.[A-Za-z0-9_]+(?:\[\d+\])?)+$")


def _check_address(text: str) -> str:
    """An initiator-side portal address: IPv4, IPv6 (bracketed on output) or a host name."""
    raw = text.strip()
    if not raw:
        raise InvalidValue("A portal address is required, e.g. 192.168.1.10 or storage.example.com.")
    if raw.startswith("-"):
        raise InvalidValue(f"'{raw}' is not an address.")
    looks_ip = raw.startswith("[") or ":" in raw or re.fullmatch(r"[\d.]+", raw)
    if looks_ip:
        address = check_portal_address(raw)
        if address in ("0.0.0.0", "[::0]"):
            raise InvalidValue("0.0.0.0 and [::] mean 'every address' on a target; "
                               "give the address of the target to connect to.")
        return address
    if not _HOSTNAME.match(raw):
        raise InvalidValue(f"'{raw}' is neither an IP address nor a host name.")
    return raw.lower().rstrip(".")


def portal_arg(text: str, default_port: int = 3260) -> str:
    """``host[:port][,tpgt]``, ``[v6][:port][,tpgt]`` or a bare IPv6 address -> what ``-p`` takes.

    The result is ``address:port`` (IPv6 bracketed), with ``,tpgt`` kept when
    given (it picks one of two records that differ only in their TPG tag).
    """
    raw = text.strip()
    if raw.startswith("-"):
        raise InvalidValue(f"'{raw}' is not a portal: a portal is an address with an optional :port.")
    tpgt = ""
    match = re.search(r",(\d{1,5})$", raw)
    if match:
        tpgt, raw = match.group(1), raw[: match.start()]
    if raw.startswith("["):
        end = raw.find("]")
        if end < 0:
            raise InvalidValue("An IPv6 address in brackets needs its closing ']'.")
        address_text, rest = raw[: end + 1], raw[end + 1:]
        if rest and not rest.startswith(":"):
            raise InvalidValue(f"Unexpected text after the address: '{rest}'.")
        port = check_port(rest[1:]) if rest else default_port
    elif raw.count(":") == 1:
        address_text, port_text = raw.split(":")
        port = check_port(port_text)
    else:
        address_text, port = raw, default_port  # a bare IPv6 address or no port
    address = _check_address(address_text)
    portal = join_portal(address, port)
    return f"{portal},{int(tpgt)}" if tpgt else portal


def check_iface_name(text: str) -> str:
    """An iface record name: ``default``, ``iser``, ``iface0``, ``bnx2i.00:11:22:33:44:55``."""
    name = text.strip()
    if not _IFACE.match(name):
        raise InvalidValue("An iface name uses letters, digits and _ . : - and does not start with '-'.")
    return name


def check_startup(text: str) -> str:
    value = text.strip().lower()
    if value not in STARTUP_VALUES:
        raise InvalidValue("node.startup is manual, automatic or onboot.")
    return value


def check_setting(key: str, value: str | Secret) -> tuple[str, str]:
    """A record key and its value, both safe for ``-n KEY -v VALUE``."""
    if not _SETTING_KEY.match(key):
        raise InvalidValue(f"'{key}' is not a record setting (node.…, iface.… or discovery.…).")
    text = value.reveal() if isinstance(value, Secret) else str(value)
    if any(c in text for c in "\n\r\0"):
        raise InvalidValue("A setting's value is one line.")
    if len(text) > 1024:
        raise InvalidValue("That value is too long for open-iscsi (1024 characters at most).")
    if key.endswith("startup") and key.startswith("node."):
        return key, check_startup(text)
    if key.endswith("auth.authmethod"):
        if text.upper() not in ("CHAP", "NONE"):
            raise InvalidValue("authmethod is CHAP or None.")
        return key, "CHAP" if text.upper() == "CHAP" else "None"
    if is_secret_key(key):
        if text:
            check_chap_secret(text, min_length=1)
        return key, text  # getopt takes -v's argument verbatim, even one starting with '-'
    if key.endswith(("auth.username", "auth.username_in")):
        if text:
            check_chap_user(text)
        return key, text
    if text.startswith("-") and not re.fullmatch(r"-\d+", text):
        raise InvalidValue(f"A value for {key} cannot start with '-'.")
    return key, text


def chap_updates(prefix: str, username: str, password: Secret | str | None, username_in: str = "",
                 password_in: Secret | str | None = None) -> list[tuple[str, str]]:
    """``(key, value)`` updates for CHAP under ``prefix`` (``node.session.auth``,
    ``discovery.sendtargets.auth``), every value checked; a ``None`` secret is left out (kept as it is).

    The rules of :mod:`sanctl.names` apply (user names without whitespace, secrets without whitespace);
    a mutual secret equal to the initiator's is refused, as LIO refuses it.
    """
    def text(value: Secret | str | None) -> str | None:
        return value.reveal() if isinstance(value, Secret) else value

    secret, secret_in = text(password), text(password_in)
    check_chap_user(username)
    if secret is not None:
        check_chap_secret(secret, min_length=1)
    updates = [(f"{prefix}.authmethod", "CHAP"), (f"{prefix}.username", username)]
    if secret is not None:
        updates.append((f"{prefix}.password", secret))
    if username_in:
        check_chap_user(username_in)
        if secret_in is not None:
            check_chap_secret(secret_in, min_length=1)
            if secret is not None and secret_in == secret:
                raise InvalidValue("The mutual CHAP secret must differ from the initiator's secret "
                                   "(LIO and most targets refuse equal secrets).")
        updates.append((f"{prefix}.username_in", username_in))
        if secret_in is not None:
            updates.append((f"{prefix}.password_in", secret_in))
    else:
        if secret_in:
            raise InvalidValue("A mutual CHAP secret needs the target's user name too.")
        updates += [(f"{prefix}.username_in", ""), (f"{prefix}.password_in", "")]
    return [check_setting(k, v) for k, v in updates]


def sid_arg(value: int | str) -> str:
    text = str(value).strip()
    if not re.fullmatch(r"\d{1,9}", text) or int(text) < 1:
        raise InvalidValue(f"'{value}' is not a session id (a positive number).")
    return str(int(text))


def mask_command(args: Sequence[str]) -> str:
    shown: list[str] = []
    secret_next = False
    for index, arg in enumerate(args):
        if secret_next:
            shown.append(MASK if arg else "''")
            secret_next = False
            continue
        shown.append(arg)
        if arg == "-v" and index >= 2 and args[index - 2] == "-n" and is_secret_key(args[index - 1]):
            secret_next = True
    return "iscsiadm " + " ".join(shown)
