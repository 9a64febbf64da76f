"""The doctor's rules: one small pure function each, over the model, the live state and the host.

Every rule is ``rule(config, live, facts) -> list[Finding]``:

- ``config`` — the :class:`~sanctl.model.SanConfig` (with mapped LUNs read);
- ``live`` — a :class:`~sanctl.doctor.live_facts.LiveSnapshot` (sessions,
  counters, log incidents and the sampler's findings, the sessions' trails
  over the looks), or ``None`` when the live state was not looked at;
- ``facts`` — :class:`~sanctl.doctor.host_facts.HostFacts`; a fact that is
  ``None`` is unknown and the rules that need it stay quiet (the report says
  what was not checked).

A rule reads nothing and changes nothing: the same inputs give the same
findings, so each is tested on fixture trees and built snapshots, both the
situation that triggers it and the one that must not. :func:`evaluate` runs
them all into a :class:`~sanctl.doctor.findings.Report`.

The rules live by theme in :mod:`~sanctl.doctor.rules_sessions`,
:mod:`~sanctl.doctor.rules_access` and :mod:`~sanctl.doctor.rules_host`
(shared walks in :mod:`~sanctl.doctor.rules_common`), all re-exported here.
They take gathered facts — :mod:`sanctl.doctor.host_facts` and
:mod:`sanctl.doctor.live_facts`, plain values — and import no reader: the
gathering step is :mod:`sanctl.doctor.facts` and :mod:`sanctl.doctor.observe`.

No Textual and no I/O here.
"""

from __future__ import annotations

from sanctl.doctor.findings import Finding, Report
from sanctl.doctor.host_facts import HostFacts
from sanctl.doctor.live_facts import LiveSnapshot
from sanctl.doctor.rules_access import (COORDINATION, acl_without_luns, chap_one_side, demo_mode_writable,
                                        iser_without_rdma, open_portal_without_auth, portal_address_missing,
                                        shared_luns, tpg_unreachable, unmapped_luns)
from sanctl.doctor.rules_common import NEARLY_FULL, RECENT, Rule
from sanctl.doctor.rules_host import (block_device_trouble, boot_service_disabled, dbroot_folders_missing,
                                      fileio_space, unfinished_change, unsaved_configuration)
from sanctl.doctor.rules_sessions import (SHARED_NAME_WHY, SharedName, demo_mode_sessions, login_failures,
                                          node_database_unreadable, recurring_connection_errors,
                                          shared_initiator_name, shared_names)
from sanctl.model import SanConfig

__all__ = [
    "COORDINATION", "NEARLY_FULL", "RECENT", "RULES", "SHARED_NAME_WHY", "Rule", "SharedName", "acl_without_luns",
    "block_device_trouble", "boot_service_disabled", "chap_one_side", "dbroot_folders_missing", "demo_mode_sessions",
    "demo_mode_writable", "evaluate", "fileio_space", "iser_without_rdma", "login_failures",
    "node_database_unreadable", "open_portal_without_auth", "portal_address_missing", "recurring_connection_errors",
    "shared_initiator_name", "shared_luns", "shared_names", "tpg_unreachable", "unfinished_change", "unmapped_luns",
    "unsaved_configuration",
]


# ---------------------------------------------------------------------------
# all of them
# ---------------------------------------------------------------------------

#: (id, rule), in the order findings of one severity are listed.
RULES: tuple[tuple[str, Rule], ...] = (
    ("shared_initiator_name", shared_initiator_name),
    ("demo_mode_writable", demo_mode_writable),
    ("block_device_trouble", block_device_trouble),
    ("node_database_unreadable", node_database_unreadable),
    ("recurring_connection_errors", recurring_connection_errors),
    ("login_failures", login_failures),
    ("unfinished_change", unfinished_change),
    ("unsaved_configuration", unsaved_configuration),
    ("boot_service_disabled", boot_service_disabled),
    ("dbroot_folders_missing", dbroot_folders_missing),
    ("open_portal_without_auth", open_portal_without_auth),
    ("chap_one_side", chap_one_side),
    ("shared_lun", shared_luns),
    ("tpg_unreachable", tpg_unreachable),
    ("portal_address_missing", portal_address_missing),
    ("iser_without_rdma", iser_without_rdma),
    ("acl_without_luns", acl_without_luns),
    ("unmapped_lun", unmapped_luns),
    ("fileio_space", fileio_space),
    ("demo_mode_sessions", demo_mode_sessions),
)


def evaluate(config: SanConfig, live: LiveSnapshot | None, facts: HostFacts, *, observed: float = 0.0) -> Report:
    """Every rule over the inputs. A rule that fails is reported as not checked, never a crash."""
    findings: list[Finding] = []
    notes = list(facts.not_checked)
    if live is None:
        notes.append("live state: not looked at (sessions, login counters, connection errors)")
    for name, rule in RULES:
        try:
            findings.extend(rule(config, live, facts))
        except Exception as exc:  # pragma: no cover - a bug in a rule must not hide the others
            notes.append(f"rule {name} failed: {type(exc).__name__}: {exc}")
    return Report.of(findings, notes, observed=observed, live=live is not None)
