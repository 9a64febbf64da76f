"""Changes composed and shown: targetcli's defaults as explicit changes, a batch as targetcli lines."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields, replace

from sanctl.lio.changes.base import Change, DEFAULT_PORTAL
from sanctl.lio.changes.fabric import CreateTarget, CreateTpg, SetTpgEnabled
from sanctl.lio.changes.portal import CreatePortal
from sanctl.lio.changes.setting import tpg_attribute


# ---------------------------------------------------------------------------
# Helpers for forms and the record
# ---------------------------------------------------------------------------


def confirmed(change: Change, impact) -> Change:
    """``change`` carrying what the confirmation showed (:class:`~sanctl.lio.impact.Impact`)."""
    if not change.dangerous or not hasattr(change, "expect"):
        return change
    return replace(change, expect=frozenset(impact.keys))


def targetcli_iscsi_target(target: str | None = None, *, portal: tuple[str, int] | None = (DEFAULT_PORTAL, 3260),
                           enable: bool = True) -> list[Change]:
    """What ``targetcli /iscsi create`` does with default prefs, as explicit changes.

    Target, TPG 1, ``authentication=0``, the default portal (unless ``None``)
    and the TPG enabled.
    """
    first = CreateTarget(target)
    wwn = first.target
    out: list[Change] = [first, CreateTpg(wwn, 1), tpg_attribute(wwn, 1, "authentication", 0)]
    if portal is not None:
        out.append(CreatePortal(wwn, 1, portal[0], portal[1]))
    if enable:
        out.append(SetTpgEnabled(wwn, 1, True))
    return out


def loopback_target(target: str | None = None) -> list[Change]:
    """A loopback target with its TPG: its LUNs appear as local SCSI disks.

    rtslib-fb gives a new loopback TPG a generated nexus (the local
    initiator's WWN) when it creates it, as targetcli does.
    """
    first = CreateTarget(target, fabric="loopback")
    return [first, CreateTpg(first.target, 1, fabric="loopback")]


def targetcli_script(changes: Sequence[Change]) -> list[str]:
    """The changes as a targetcli batch, with the prefs that make it literal.

    targetcli's automatic extras (default portal, TPG 1, mapped LUNs) are
    turned off first, so each line does exactly what its change does; a
    ``/iscsi create`` is merged with the ``create tag=1`` that follows it,
    since targetcli always creates the first TPG itself.
    """
    lines = ["set global auto_add_default_portal=false auto_enable_tpgt=false auto_add_mapped_luns=false"]
    skip_tpg: set[tuple[str, str]] = set()
    for change in changes:
        if isinstance(change, CreateTarget):
            skip_tpg.add((change.fabric, change.target))
        elif isinstance(change, CreateTpg) and (change.fabric, change.target) in skip_tpg and change.tpg in (1, None):
            skip_tpg.discard((change.fabric, change.target))
            continue
        lines.extend(change.targetcli().splitlines())
    return lines


def fields_of(change: Change) -> dict[str, object]:
    """A change's fields by name (for the UI's review table and tests)."""
    return {f.name: getattr(change, f.name) for f in fields(change)}


def subjects(changes: Iterable[Change]) -> list[str]:
    return [c.subject for c in changes]
