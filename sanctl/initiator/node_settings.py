"""The node record keys operators change, what each means, and writing them safely.

Each :class:`NodeKey` carries open-iscsi's default (``etc/iscsid.conf`` of
open-iscsi 2.1.x), what a multipath setup uses (Red Hat's and SUSE's
dm-multipath guides: quick failover to the other paths instead of two minutes
of queued I/O) and the range iscsid accepts. :func:`plan` turns a form's
values into one ``iscsiadm -m node -o update`` per changed key;
:func:`apply` writes them after re-reading the record — a key someone else
changed since the form opened is refused, not overwritten — and puts back
what it wrote when a later key fails.

CHAP (``node.session.auth.*``) is written through
:meth:`~sanctl.initiator.iscsiadm.Iscsiadm.set_session_chap` /
:meth:`~sanctl.initiator.iscsiadm.Iscsiadm.set_session_auth` (the ``a`` form's
rules); the keys here are the rest. No Textual and no I/O of its own here:
:func:`apply` acts only through the :class:`~sanctl.initiator.iscsiadm.Iscsiadm`
it is handed (the host's), so the UI imports this module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sanctl.errors import SanctlError
from sanctl.initiator.iscsiadm_arguments import STARTUP_VALUES, check_setting
from sanctl.initiator.iscsiadm_errors import IscsiadmError
from sanctl.names import InvalidValue

if TYPE_CHECKING:
    from sanctl.initiator.iscsiadm import Iscsiadm


@dataclass(frozen=True, slots=True)
class NodeKey:
    """One record key: its label, meaning, open-iscsi's default and what multipath setups use."""

    key: str
    label: str
    meaning: str
    default: str
    multipath: str
    #: The value the form's "Multipath values" button puts in.
    suggested: str = ""
    #: ``(low, high)`` for numbers; None for a choice.
    bounds: tuple[int, int] | None = None
    choices: tuple[str, ...] = ()
    power_of_two: bool = False

    def check(self, text: str) -> str:
        """The value as iscsiadm takes it, or :class:`InvalidValue` with the reason."""
        value = text.strip()
        if self.choices:
            if value.lower() not in self.choices:
                raise InvalidValue(f"{self.key} is {', '.join(self.choices[:-1])} or {self.choices[-1]}.")
            return value.lower()
        assert self.bounds is not None
        low, high = self.bounds
        try:
            number = int(value, 10)
        except ValueError:
            raise InvalidValue(f"{self.label} is a whole number ({low} to {high}).") from None
        if not low <= number <= high:
            raise InvalidValue(f"{self.label} is {low} to {high}; {number} is out of range.")
        if self.power_of_two and number & (number - 1):
            raise InvalidValue(f"{self.label} is a power of 2 (iscsid replaces any other value by its default): "
                               f"{_near_powers(number)}.")
        return str(number)


def _near_powers(number: int) -> str:
    lower = 1 << (number.bit_length() - 1)
    return f"{lower} or {lower * 2}"


#: The keys of the form, in its order (CHAP is the ``a`` form's and comes after them).
NODE_KEYS: tuple[NodeKey, ...] = (
    NodeKey("node.startup", "Startup",
            "automatic: logged in at boot by iscsi.service / open-iscsi.service; manual: only when asked; "
            "onboot: by the initramfs, for a root filesystem on iSCSI.",
            "manual", "automatic (every path at boot)", "automatic", choices=STARTUP_VALUES),
    NodeKey("node.conn[0].startup", "Connection startup",
            "The same for the record's connection; keep it equal to Startup (some open-iscsi versions read this "
            "one at boot).", "manual", "automatic", "automatic", choices=STARTUP_VALUES),
    NodeKey("node.session.timeo.replacement_timeout", "Replacement timeout (s)",
            "How long a broken session waits to come back before its queued I/O fails to the layer above. "
            "0 fails I/O at once; below 0 queues it until the session returns (or a logout).",
            "120", "5 to 15: dm-multipath moves the I/O to another path instead of waiting two minutes",
            "15", bounds=(-1, 86400)),
    NodeKey("node.conn[0].timeo.noop_out_interval", "NOP-Out interval (s)",
            "How often the initiator pings the target on an idle connection; 0 stops pinging (a dead path "
            "is then noticed only by the next I/O).", "5", "5", "5", bounds=(0, 3600)),
    NodeKey("node.conn[0].timeo.noop_out_timeout", "NOP-Out timeout (s)",
            "How long a ping may go unanswered before the connection is declared failed and recovery (and the "
            "replacement timeout) starts.", "5", "5 (10 on busy links)", "5", bounds=(0, 3600)),
    NodeKey("node.session.cmds_max", "Commands per session",
            "How many SCSI commands the session may have outstanding in all (a power of 2, 2 to 2048).",
            "128", "128; raise to 1024 for many LUNs or fast flash", "128", bounds=(2, 2048), power_of_two=True),
    NodeKey("node.session.queue_depth", "Queue depth per LUN",
            "How many commands each LUN may have outstanding (1 to 1024); the target's own limit "
            "(LIO's default_cmdsn_depth) still applies.", "32", "32; 64 to 128 where the array's vendor says so",
            "32", bounds=(1, 1024)),
)

BY_KEY: Mapping[str, NodeKey] = {k.key: k for k in NODE_KEYS}


@dataclass(frozen=True, slots=True)
class Update:
    """One ``-o update -n KEY -v VALUE``, with the value it replaces (for the stale check and rollback)."""

    key: str
    old: str
    new: str


def current(settings: Mapping[str, object], key: str) -> str:
    """A key's value in a record read with ``-o show`` (``<empty>`` is ``""``)."""
    value = settings.get(key, "")
    return str(value) if value is not None else ""


def plan(original: Mapping[str, object], wanted: Mapping[str, str]) -> list[Update]:
    """The updates that take ``original`` (the record as the form opened it) to ``wanted`` (the form's
    values by key): only the keys that change, each checked by its :class:`NodeKey` and by the wrapper."""
    updates = []
    for spec in NODE_KEYS:
        if spec.key not in wanted:
            continue
        new = spec.check(wanted[spec.key])
        old = current(original, spec.key)
        if new != old:
            check_setting(spec.key, new)
            updates.append(Update(spec.key, old, new))
    return updates


class StaleRecord(SanctlError):
    """The record changed since the form read it: nothing was written."""

    def __init__(self, changed: Sequence[tuple[str, str, str]]) -> None:
        self.changed = tuple(changed)  # (key, value the form saw, value now)
        what = "; ".join(f"{key} is {now or '<empty>'} now (was {seen or '<empty>'})" for key, seen, now in changed)
        super().__init__(f"The record changed since the form opened, so nothing was written: {what}. "
                         "Open the form again to start from what it holds now.")


class PartlyWritten(SanctlError):
    """A key failed; what was written before it was put back (or could not be, said here)."""

    def __init__(self, failed: Update, error: IscsiadmError, undone: Sequence[Update],
                 stuck: Sequence[tuple[Update, IscsiadmError]]) -> None:
        self.failed, self.error, self.undone, self.stuck = failed, error, tuple(undone), tuple(stuck)
        text = f"Setting {failed.key} to {failed.new} failed: {error.message}"
        if undone:
            text += f" {', '.join(u.key for u in undone)} put back as they were."
        if stuck:
            text += (" Could not put back " + ", ".join(f"{u.key} (still {u.new}, was {u.old})" for u, _ in stuck)
                     + ".")
        super().__init__(text)


def apply(adm: Iscsiadm, target: str, portal: str, updates: Sequence[Update], *, iface: str | None = None,
          progress: Callable[[str], None] = lambda _text: None) -> list[Update]:
    """Write ``updates`` to the record of ``target`` on ``portal``: re-read it first and refuse
    (:class:`StaleRecord`) when a key to change no longer holds the value the form saw; on a failure,
    put back what was written (:class:`PartlyWritten`). Returns what was written."""
    if not updates:
        return []
    records = adm.node_settings(target, portal, iface=iface)
    if len(records) != 1:
        raise InvalidValue(f"Expected one node record of {target} at {portal}, found {len(records)}: "
                           "name the iface.")
    now = records[0].settings
    changed = [(u.key, u.old, current(now, u.key)) for u in updates if current(now, u.key) != u.old]
    if changed:
        raise StaleRecord(changed)
    written: list[Update] = []
    for index, update in enumerate(updates):
        progress(f"Setting {update.key} = {update.new} ({index + 1} of {len(updates)})")
        try:
            adm.update_node(target, portal, update.key, update.new, iface=iface)
        except IscsiadmError as exc:
            undone, stuck = [], []
            for done in reversed(written):
                try:
                    adm.update_node(target, portal, done.key, done.old, iface=iface)
                    undone.append(done)
                except IscsiadmError as again:
                    stuck.append((done, again))
            raise PartlyWritten(update, exc, undone, stuck) from exc
        written.append(update)
    return written
