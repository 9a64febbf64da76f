"""This host's iSCSI initiator name: ``/etc/iscsi/initiatorname.iscsi``.

Read it, generate a fresh one, change it. Changing it is an operation with
consequences the operator must be told about: every target ACL written for the
old name stops matching (logins fail with exit 24 until the ACLs follow), and
iscsid reads the file only when it starts. Cloned VMs keep the name of their
image, so two hosts fight over the same sessions (connection error 1020 every
few seconds on both): regenerating is the fix.

Like every reader in sanctl, these functions take a filesystem ``root``; the
values they return and the rules about a name are in :mod:`sanctl.initiator.name_rules`.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from datetime import datetime

from sanctl import safe_io
from sanctl.host.runner import Runner
from sanctl.initiator.name_rules import (  # noqa: F401  (re-exported)
    DISTRO_PREFIXES,
    OPEN_ISCSI_PREFIX,
    InitiatorName,
    InitiatorNameError,
    NameChange,
    name_warnings,
    parse_initiator_name,
)
from sanctl.names import InvalidValue, check_iqn, check_iscsi_name

INITIATORNAME_FILE = "etc/iscsi/initiatorname.iscsi"
def name_path(root: str = "/") -> str:
    return os.path.join(root, INITIATORNAME_FILE)


def read_initiator_name(root: str = "/") -> InitiatorName | None:
    """The name (and alias) in ``<root>/etc/iscsi/initiatorname.iscsi``; None when the file is missing.

    A file without an ``InitiatorName=`` line gives ``name=""`` (iscsid refuses to start then).
    """
    path = name_path(root)
    try:
        text = safe_io.read_text(path, safe_io.INFO_LIMIT, follow=True)  # a FIFO or /dev/zero cannot hold it
    except FileNotFoundError:
        return None
    except PermissionError:
        raise InitiatorNameError(f"{path} cannot be read: permission denied (it is readable by root only).") from None
    except OSError as exc:
        raise InitiatorNameError(f"{path} cannot be read: {exc.strerror or exc}.") from None
    return parse_initiator_name(text, path)


def generate_initiator_name(prefix: str | None = None, *, root: str = "/", use_tool: bool = True,
                            timeout: float = 5.0, runner: Runner | None = None) -> str:
    """A fresh, unique initiator name ``<prefix>:<12 hex digits>``, like ``iscsi-iname``.

    ``prefix`` defaults to the current name's prefix (so a Debian host keeps
    ``iqn.1993-08.org.debian:01``), else open-iscsi's. ``iscsi-iname -p PREFIX``
    is used when installed; otherwise the suffix comes from :mod:`secrets`.
    """
    if prefix is None:
        current = None
        try:
            current = read_initiator_name(root)
        except InitiatorNameError:
            pass
        prefix = (current.prefix if current else "") or OPEN_ISCSI_PREFIX
    prefix = check_iqn(prefix.rstrip(":"))
    if use_tool:
        result = (runner or Runner()).run(["iscsi-iname", "-p", prefix], timeout=timeout, sbin=False)
        candidate = result.stdout.strip()
        if result.rc == 0 and candidate.startswith(prefix + ":"):
            try:
                return check_iqn(candidate)
            except InvalidValue:
                pass
    return check_iqn(f"{prefix}:{secrets.token_hex(6)}")


def change_initiator_name(new: str, *, root: str = "/", alias: str | None = None,
                          now: datetime | None = None) -> NameChange:
    """Write ``new`` as this host's initiator name.

    The old file is kept next to it as ``initiatorname.iscsi.<YYYYmmdd-HHMMSS>.bak``;
    the new one is written to a temporary file and renamed over the old (never
    half-written), with the old file's mode. Other lines (comments, an alias)
    are kept; ``alias`` sets or replaces ``InitiatorAlias``. Returns the
    warnings to show: ACLs must follow, iscsid must restart.
    """
    name = check_iscsi_name(new)
    if alias is not None and (any(c in alias for c in "\n\r\0") or len(alias) > 255):
        raise InvalidValue("An alias is one line of at most 255 characters.")
    path = name_path(root)
    directory = os.path.dirname(path)
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            old_text = handle.read()
        mode = os.stat(path).st_mode & 0o7777
        existed = True
    except FileNotFoundError:
        old_text, mode, existed = "", 0o644, False
    except OSError as exc:
        raise InitiatorNameError(f"{path} cannot be read: {exc.strerror or exc}.") from None
    old = parse_initiator_name(old_text, path).name
    lines = old_text.splitlines()
    out: list[str] = []
    wrote_name = wrote_alias = False
    for line in lines:
        key = line.strip().partition("=")[0].strip()
        if not line.strip().startswith("#") and key == "InitiatorName":
            if not wrote_name:
                out.append(f"InitiatorName={name}")
                wrote_name = True
            continue
        if not line.strip().startswith("#") and key == "InitiatorAlias" and alias is not None:
            if not wrote_alias and alias:
                out.append(f"InitiatorAlias={alias}")
            wrote_alias = True
            continue
        out.append(line)
    if not wrote_name:
        out.append(f"InitiatorName={name}")
    if alias and not wrote_alias:
        out.append(f"InitiatorAlias={alias}")
    text = "\n".join(out) + "\n"

    backup = None
    try:
        os.makedirs(directory, exist_ok=True)
        if existed:
            stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
            backup = f"{path}.{stamp}.bak"
            counter = 1
            while os.path.exists(backup):
                backup = f"{path}.{stamp}-{counter}.bak"
                counter += 1
            shutil.copy2(path, backup)
        fd, tmp = tempfile.mkstemp(prefix=".initiatorname.", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except PermissionError:
        raise InitiatorNameError(f"{path} cannot be written: permission denied. Changing it needs root.") from None
    except OSError as exc:
        raise InitiatorNameError(f"{path} cannot be written: {exc.strerror or exc}.") from None

    warnings = []
    if old and old != name:
        warnings.append(
            f"Every target ACL for {old} must be changed to {name} (or an ACL for the new name added): "
            "until then those targets refuse this host's logins (iscsiadm exit 24)."
        )
    warnings.append("iscsid reads the name only when it starts: restart iscsid (systemctl restart iscsid). "
                    "Sessions logged in now keep the old name until they log in again.")
    return NameChange(path, backup, old, name, tuple(warnings))
