"""The doctor: what is wrong with this SAN, why it matters, and how to fix it.

- :mod:`sanctl.doctor.findings` — :class:`~sanctl.doctor.findings.Finding`
  (severity, objects as configuration tree paths, the fix, an optional safe
  fix as a writer change) and :class:`~sanctl.doctor.findings.Report`;
- :mod:`sanctl.doctor.rules` — one small pure function per rule over the
  model, the live state and the host's facts (by theme in ``rules_sessions``,
  ``rules_access``, ``rules_host``); :func:`~sanctl.doctor.rules.evaluate`;
- :mod:`sanctl.doctor.host_facts` and :mod:`sanctl.doctor.live_facts` — the
  plain values the rules read;
- :mod:`sanctl.doctor.facts` — gathers the host's facts, cheaply and
  tolerating absences (no iscsiadm, not root, no systemd);
- :mod:`sanctl.doctor.observe` — gathers the live state over one or more
  looks, and what the previous run saw;
- :mod:`sanctl.doctor.command` — ``sanctl doctor [--json]``.

The TUI's doctor panel and header badge are in :mod:`sanctl.ui`. Nothing
here imports Textual.
"""
