"""The rules for what an operator may type: names, WWNs, sizes, ports, addresses.

Each ``check_*`` function returns the value normalised, or raises
:class:`InvalidValue` with a sentence saying why — forms show that sentence
inline as the operator types, commands print it, and nothing is written.
A value that passes can never address a path outside configfs nor be read
as an option by a command line.
"""

from __future__ import annotations

import ipaddress
import platform
import re
import secrets
import socket
from datetime import date

from sanctl.errors import SanctlError


class InvalidValue(SanctlError, ValueError):
    """A value the kernel would refuse or that would be unsafe to use."""


# --- iSCSI names and other WWNs (RFC 3720 §3.2.6, SPC-4 NAA/EUI-64) --------
#
# No weaker than what has to accept the name later: rtslib-fb's normalize_wwn
# (targetcli, and ``targetctl restore`` at boot) refuses an IQN with '_' or
# without a '.' after its date, and takes only 16-digit NAA names whose first
# digit is an NAA type it knows (1, 2, 5, c-f) — a 32-digit one is refused at
# boot; the kernel refuses a target or initiator name of 224 bytes or more
# (ISCSI_IQN_LEN). tests/test_names_differential.py checks this against
# rtslib-fb, tests/kernel against the kernel.

_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_IQN = re.compile(rf"^iqn\.(\d{{4}})-(\d{{2}})\.{_LABEL}(?:\.{_LABEL})*(?::[a-z0-9.:-]+)?$")
_EUI = re.compile(r"^eui\.[0-9a-f]{16}$")
_NAA = re.compile(r"^naa\.[125c-f][0-9a-f]{15}$")
MAX_ISCSI_NAME = 223


def check_iqn(text: str) -> str:
    """An iSCSI qualified name, e.g. ``iqn.2024-01.com.example:storage``."""
    name = text.strip()
    if not name:
        raise InvalidValue("An iSCSI name is required.")
    if len(name.encode()) > MAX_ISCSI_NAME:
        raise InvalidValue(f"An iSCSI name is at most {MAX_ISCSI_NAME} bytes.")
    if name != name.lower() and name.lower().startswith("iqn."):
        raise InvalidValue("Use lower case: iSCSI names are compared case-insensitively and LIO stores them lower case.")
    if not name.startswith("iqn."):
        raise InvalidValue("An IQN starts with 'iqn.', e.g. iqn.2024-01.com.example:storage.")
    if "_" in name:
        raise InvalidValue("An IQN cannot contain '_': rtslib-fb refuses it, so targetcli and the boot-time "
                           "restore would fail; use '-' instead.")
    match = _IQN.match(name)
    if not match:
        raise InvalidValue(
            "Not an IQN: expected iqn.YYYY-MM.reversed.domain[:unique-name] "
            "(letters, digits, '-', '.', ':' only)."
        )
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise InvalidValue(f"Month {month:02d} in the IQN's date is not a month (01-12).")
    if year < 1970:
        raise InvalidValue("The IQN's date is the year and month the naming authority owned the domain; it is after 1970.")
    if "." not in name[len("iqn.2024-01."):]:
        raise InvalidValue("The naming authority of an IQN is a reversed domain name with a '.', e.g. com.example "
                           "(rtslib-fb refuses one without).")
    return name


def check_iscsi_name(text: str) -> str:
    """Any iSCSI node name: IQN, EUI-64 or NAA."""
    name = text.strip()
    lowered = name.lower()
    if lowered.startswith("eui."):
        if not _EUI.match(lowered):
            raise InvalidValue("An EUI name is 'eui.' followed by 16 hexadecimal digits.")
        return lowered
    if lowered.startswith("naa."):
        if not _NAA.match(lowered):
            raise InvalidValue("An NAA name is 'naa.' followed by 16 hexadecimal digits, the first 1, 2, 5 or c-f "
                               "(rtslib-fb refuses others, 32-digit ones too).")
        return lowered
    return check_iqn(name)


def generate_iqn(name: str = "", *, hostname: str | None = None, today: date | None = None) -> str:
    """A fresh target or initiator name.

    With ``name``: ``iqn.YYYY-MM.<reversed domain or host>:<name>`` (the setup
    wizard's suggestion). Without: targetcli's style,
    ``iqn.2003-01.org.linux-iscsi.<host>.<arch>:sn.<12 hex>``, unique each call.
    """
    host = (hostname or socket.getfqdn() or "localhost").lower()
    labels = [re.sub(r"[^a-z0-9-]", "-", label).strip("-") or "host" for label in host.split(".") if label]
    if not name:
        arch = re.sub(r"[^a-z0-9]", "", platform.machine().lower()) or "unknown"
        return f"iqn.2003-01.org.linux-iscsi.{labels[0] if labels else 'host'}.{arch}:sn.{secrets.token_hex(6)}"
    today = today or date.today()
    # a host without a domain: targetcli's authority with the host name (rtslib-fb wants a '.' in it)
    authority = ".".join(reversed(labels)) if len(labels) > 1 else f"org.linux-iscsi.{labels[0] if labels else 'localhost'}"
    unique = re.sub(r"[^a-z0-9.:-]", "-", name.lower()).strip("-") or "storage"
    return check_iqn(f"iqn.{today.year:04d}-{today.month:02d}.{authority}:{unique}")


# --- object names ----------------------------------------------------------

_OBJECT_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:@+-]*$")
MAX_OBJECT_NAME = 128


def check_object_name(text: str, what: str = "name") -> str:
    """A backstore or ALUA group name: one configfs path component, nothing more."""
    if text != text.strip() or any(c.isspace() for c in text):
        raise InvalidValue(f"A {what} cannot contain spaces or other whitespace.")
    if not text:
        raise InvalidValue(f"A {what} is required.")
    if "/" in text:
        raise InvalidValue(f"A {what} cannot contain '/': it becomes a configfs directory name.")
    if text in (".", "..") or ".." in text:
        raise InvalidValue(f"A {what} cannot contain '..'.")
    if "\0" in text:
        raise InvalidValue(f"A {what} cannot contain NUL.")
    if len(text) > MAX_OBJECT_NAME:
        raise InvalidValue(f"A {what} is at most {MAX_OBJECT_NAME} characters.")
    if not _OBJECT_NAME.match(text):
        raise InvalidValue(
            f"A {what} uses letters, digits and _ . : @ + - only, and starts with a letter, digit or '_'."
        )
    return text


# --- sizes -----------------------------------------------------------------

_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmgtpe]?)(i?b)?$", re.IGNORECASE)
_FACTORS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4, "p": 1024**5, "e": 1024**6}


def parse_size(text: str) -> int:
    """``100M``, ``1.5G``, ``2T``, ``512`` (bytes) -> bytes; binary units like targetcli."""
    raw = text.strip()
    match = _SIZE.match(raw)
    if not match:
        raise InvalidValue(f"'{text}' is not a size: use a number with K, M, G, T or P, e.g. 100M, 1.5G, 2T.")
    number, unit = match.group(1), match.group(2).lower()
    value = float(number) * _FACTORS[unit]
    if not unit and "." in number:
        raise InvalidValue("A size in bytes is a whole number.")
    if value > 1024**6:  # before int(): a number too long for a float is infinite
        raise InvalidValue("That size is larger than any device (1 EiB).")
    size = int(value)
    if size <= 0:
        raise InvalidValue("A size must be greater than zero.")
    return size


# --- network ---------------------------------------------------------------


def check_port(value: str | int) -> int:
    """A TCP port, 1-65535."""
    try:
        port = int(str(value).strip())
    except ValueError:
        raise InvalidValue(f"'{value}' is not a port number (1-65535).") from None
    if not 1 <= port <= 65535:
        raise InvalidValue(f"Port {port} is out of range: a TCP port is 1-65535 (iSCSI uses 3260).")
    return port


def check_portal_address(text: str) -> str:
    """An address a portal can listen on, spelled as LIO wants it.

    IPv4 dotted; IPv6 in brackets (``[::1]``), as rtslib-fb requires;
    ``0.0.0.0`` / ``[::0]`` for all addresses. Link-local IPv6 is refused
    (targetcli refuses it too: it needs a scope LIO cannot take).
    """
    raw = text.strip()
    if not raw:
        raise InvalidValue("An address is required (0.0.0.0 listens on all IPv4 addresses).")
    inner = raw[1:-1] if raw.startswith("[") and raw.endswith("]") else raw
    try:
        address = ipaddress.ip_address(inner)
    except ValueError:
        raise InvalidValue(f"'{raw}' is not an IPv4 or IPv6 address.") from None
    if address.version == 4:
        return str(address)
    if address.is_link_local:
        raise InvalidValue("Link-local IPv6 addresses (fe80::/10) cannot be used for a portal.")
    return "[::0]" if address.is_unspecified else f"[{address.compressed}]"


def split_portal(text: str, default_port: int = 3260) -> tuple[str, int]:
    """``host[:port]``, ``[v6]:port`` or ``v6`` -> (address, port), both checked."""
    raw = text.strip()
    if raw.startswith("["):
        end = raw.find("]")
        if end < 0:
            raise InvalidValue("An IPv6 address in brackets needs its closing ']'.")
        address, rest = raw[: end + 1], raw[end + 1:]
        if rest and not rest.startswith(":"):
            raise InvalidValue(f"Unexpected text after the address: '{rest}'.")
        port = check_port(rest[1:]) if rest else default_port
        return check_portal_address(address), port
    if raw.count(":") == 1:
        address, port_text = raw.split(":")
        return check_portal_address(address), check_port(port_text)
    return check_portal_address(raw), default_port


# --- CHAP ------------------------------------------------------------------


def check_chap_secret(text: str, *, min_length: int = 12, max_length: int = 255) -> str:
    """A CHAP secret; 12-16 characters is what Windows initiators accept."""
    if any(c.isspace() for c in text):
        raise InvalidValue("A CHAP secret cannot contain whitespace.")
    if len(text) < min_length:
        raise InvalidValue(f"A CHAP secret needs at least {min_length} characters (Windows refuses shorter ones).")
    if len(text) > max_length:
        raise InvalidValue(f"A CHAP secret is at most {max_length} characters.")
    return text


def check_chap_user(text: str) -> str:
    if not text or any(c.isspace() for c in text):
        raise InvalidValue("A CHAP user name is required and cannot contain whitespace.")
    if len(text) > 255:
        raise InvalidValue("A CHAP user name is at most 255 characters.")
    return text


def generate_chap_secret(length: int = 16) -> str:
    """A random secret of letters and digits (16 fits Windows' 12-16 limit)."""
    alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(length))
