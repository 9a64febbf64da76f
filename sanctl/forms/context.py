"""What the forms know, and the checks and fields several forms share.

:class:`Context` is filled in a worker thread before a form opens
(:func:`sanctl.ui.forms.gather.gather`); :func:`where` finds the objects
around a tree node. Every check raises :class:`~sanctl.names.InvalidValue`
with the sentence the form shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sanctl import block_devices as H
from sanctl.model import Auth, NodeAcl, SanConfig, Target, Tpg
from sanctl.names import InvalidValue, check_object_name, generate_chap_secret, parse_size
from sanctl import words
from sanctl.lio import changes as C
from sanctl.tree import Node, find
from sanctl.forms.spec import SECRET, Choice, Field

_FLAG = (0, 1)


@dataclass(frozen=True, slots=True)
class Context:
    """What the forms know besides the configuration (filled in a worker thread)."""

    config: SanConfig
    devices: tuple[H.BlockDevice, ...] = ()
    addresses: tuple[str, ...] = ()
    tcmu: bool = False
    #: The host name generated IQNs use (None: this host's).
    host: str | None = None
    #: ``path -> ("missing"|"file"|"block"|"other", size)``: the writer's view of a fileio path.
    backing: Callable[[str], tuple[str, int]] | None = None
    #: The fabrics targets can be created in (loaded, or whose kernel module is there to load).
    fabrics: tuple[str, ...] = ("iscsi",)
    #: The kernel's (major, minor), from configfs's ``version`` (None: unknown).
    kernel: tuple[int, int] | None = None
    #: The node's object with the details its form needs (read by the gathering; None: the tree's).
    detail: Any = None
    #: A LUN's backstore with its details (read by the gathering, for the LUN's edit form).
    backstore: Any = None
    #: Whether a path the devices do not list is a block device (the host's facts; None: only the listed count).
    device_exists: Callable[[str], bool] | None = None
    #: The host is the machine sanctl runs on (a missing device is "not on this host"); else the devices
    #: listed are all that is known of it.
    this_machine: bool = False


@dataclass(frozen=True, slots=True)
class Where:
    """The objects around a node: its target, TPG and ACL (when it has them)."""

    fabric: str | None = None
    target: Target | None = None
    tpg: Tpg | None = None
    acl: NodeAcl | None = None


def where(config: SanConfig, node: Node) -> Where:
    fabric = target = tpg = acl = None
    for n in find(config, node.path):
        if n.kind == "fabric":
            fabric = n.name
        elif n.kind == "target":
            target = n.obj
        elif n.kind == "tpg":
            tpg = n.obj
        elif n.kind == "acl":
            acl = n.obj
    return Where(fabric, target, tpg, acl)  # type: ignore[arg-type]


def _join(parent: str, name: str) -> str:
    return f"/{name}" if parent == "/" else f"{parent}/{name}"


# ---------------------------------------------------------------------------
# checks shared by several forms
# ---------------------------------------------------------------------------


#: fileio write-back: off here, on in targetcli — said in the form, with why (ClusterLabs resource-agents#2177
#: lost fsync'd writes on a node crash with targetcli's buffered default).
WRITE_BACK_HELP = ("off by default here, unlike targetcli (on): off, each write reaches the file before it is "
                   "acknowledged; on, writes are acknowledged from this host's page cache, and a crash or power "
                   "loss of this host loses them, even writes the client flushed")

#: authentication=0 does not mean "no CHAP": LIO offers AuthMethod=CHAP,None, so an initiator that offers CHAP
#: is still checked against the ACL's credentials.
NOT_REQUIRED_CHAP = ("This TPG does not require CHAP (authentication=0): an initiator that logs in without CHAP "
                     "gets in, but one that offers CHAP is still checked against these credentials by LIO.")


def _n(count: int, word: str) -> str:
    return words.plural(count, word)


def _lowest_free(used: Iterable[int], start: int = 0) -> int:
    taken = set(used)
    n = start
    while n in taken:
        n += 1
    return n


def _int(text: str, what: str, low: int, high: int) -> int:
    raw = text.strip()
    if not raw.isdigit():
        raise InvalidValue(f"{what} is a whole number from {low} to {high}.")
    value = int(raw)
    if not low <= value <= high:
        raise InvalidValue(f"{what} is a whole number from {low} to {high}.")
    return value


def _size(text: str) -> int:
    return parse_size(text)


def _new_so_name(config: SanConfig, plugin: str) -> Callable[[str], str]:
    def check(text: str) -> str:
        name = check_object_name(text, "backstore name")
        if config.storage_object((plugin, name)) is not None:
            raise InvalidValue(f"A {plugin} backstore named {name} exists already.")
        return name

    return check


def _serial(text: str) -> str:
    value = C._unit_serial(text)
    return value or ""


def _name_from_path(path: str) -> str:
    """A backstore name from a device path: its last component, unsafe characters as '-'."""
    base = path.rstrip("/").rsplit("/", 1)[-1]
    name = "".join(c if c.isalnum() or c in "_.:@+-" else "-" for c in base).lstrip(".-:@+")
    return name.replace("..", ".")[:64]


def _device_choices(devices: tuple[H.BlockDevice, ...], kind: str | None = None) -> tuple[Choice, ...]:
    """The picker's entries (of ``kind`` only, if given), refused ones dimmed with why (:func:`sanctl.block_devices.refusal`)."""
    return tuple(Choice(d.path, d.label(), H.note(d, devices), H.refusal(d, devices) is None)
                 for d in devices if kind is None or d.kind == kind)


def _device_check(ctx: Context, what: str) -> Callable[[str], str]:
    def check(text: str) -> str:
        path = C.check_dev_path(text, what)
        dev = H.find_device(ctx.devices, path)
        if dev is None and not (ctx.device_exists is not None and ctx.device_exists(path)):
            where = "on this host" if ctx.this_machine else "here (the devices listed are the ones there are)"
            raise InvalidValue(f"There is no block device {path} {where}.")
        refused = H.refusal(dev, ctx.devices) if dev is not None else None
        if refused:  # the wizard's and the doctor's list: mounted, swap, held, a partition in use
            raise InvalidValue(refused)
        return path

    return check


def _chap_fields(auth: Auth | None, *, section: str, edit: bool) -> tuple[Field, ...]:
    """User name and secret, for the initiator and (mutual) the target; blank = none."""
    auth = auth or Auth()

    def user(text: str) -> str:
        if any(c.isspace() for c in text) or len(text) > 255:
            raise InvalidValue("A CHAP user name has no whitespace and at most 255 characters.")
        return text

    def secret(text: str) -> str:
        return C._secret(text, "CHAP secret")

    def original(value: str) -> str | None:
        return value if edit else None

    return (
        Field("userid", "CHAP user", default=auth.userid, check=user, required=False, section=section,
              original=original(auth.userid), help="the initiator's user name; blank: no CHAP"),
        Field("password", "CHAP secret", SECRET, default=auth.password.reveal(), check=secret, required=False,
              generate=generate_chap_secret, original=original(auth.password.reveal())),
        Field("mutual_userid", "Target user", default=auth.mutual_userid, check=user, required=False,
              original=original(auth.mutual_userid), help="mutual CHAP: the target's user name; blank: one-way"),
        Field("mutual_password", "Target secret", SECRET, default=auth.mutual_password.reveal(), check=secret,
              required=False, generate=generate_chap_secret, original=original(auth.mutual_password.reveal())),
    )


def _chap(values: dict[str, Any]) -> C.Chap:
    return C.Chap(values.get("userid") or "", values.get("password") or "",
                  values.get("mutual_userid") or "", values.get("mutual_password") or "")


def _chap_changed(values: dict[str, Any], auth: Auth | None) -> bool:
    auth = auth or Auth()
    now = (auth.userid, auth.password.reveal(), auth.mutual_userid, auth.mutual_password.reveal())
    return tuple(values.get(k) or "" for k in ("userid", "password", "mutual_userid", "mutual_password")) != now


def _chap_warnings(values: dict[str, Any]) -> list[str]:
    try:
        return _chap(values).warnings()
    except InvalidValue:
        return []
