"""What an initiator name is and what is wrong with one: the file's contents as values, the rules.

:mod:`sanctl.initiator.initiator_name` reads, generates and changes the file
(``/etc/iscsi/initiatorname.iscsi``); the initiator's screens show what these
say. No I/O, no Textual here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sanctl.errors import SanctlError
from sanctl.names import InvalidValue, check_iscsi_name

#: open-iscsi's own prefix for iscsi-iname when nothing better is known.
OPEN_ISCSI_PREFIX = "iqn.2016-04.com.open-iscsi"
#: The prefixes distributions seed names with (iscsi-iname -p PREFIX at install).
DISTRO_PREFIXES = (
    "iqn.1993-08.org.debian:01",
    "iqn.2004-10.com.ubuntu:01",
    "iqn.1994-05.com.redhat",
    "iqn.1996-04.de.suse:01",
    OPEN_ISCSI_PREFIX,
)


class InitiatorNameError(SanctlError):
    """The initiator name file cannot be read or written; ``str()`` says why and what to do."""


@dataclass(frozen=True, slots=True)
class InitiatorName:
    """What ``initiatorname.iscsi`` says."""

    name: str
    alias: str
    path: str

    @property
    def prefix(self) -> str:
        """The part before the generated suffix (``iqn.1993-08.org.debian:01``), or ""."""
        match = re.match(r"^(.*):[0-9a-f]{6,}$", self.name)
        return match.group(1) if match else ""


@dataclass(frozen=True, slots=True)
class NameChange:
    """A changed name: where the old file went and what the operator must do next."""

    path: str
    backup: str | None
    old: str
    new: str
    warnings: tuple[str, ...]


def parse_initiator_name(text: str, path: str = "") -> InitiatorName:
    name = alias = ""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            continue
        key, sep, value = stripped.partition("=")
        if not sep:
            continue
        if key.strip() == "InitiatorName" and not name:
            name = value.strip()
        elif key.strip() == "InitiatorAlias" and not alias:
            alias = value.strip()
    return InitiatorName(name, alias, path)


def name_warnings(name: str) -> list[str]:
    """What looks wrong about a name as it stands (for the initiator tab's header)."""
    warnings = []
    if not name:
        return ["There is no InitiatorName: iscsid will not start. Generate one."]
    try:
        check_iscsi_name(name)
    except InvalidValue as exc:
        warnings.append(f"The initiator name is not a valid iSCSI name: {exc}")
    if name.endswith((":01:", ":")) or re.search(r":01:0+$", name):
        warnings.append("The initiator name has no unique part: generate one.")
    return warnings
