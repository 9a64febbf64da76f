"""Live monitoring: sampling, rates, histories, incidents and flapping findings.

- :mod:`sanctl.live.sampler` — :class:`~sanctl.live.sampler.Sampler`, one tick at a time, into
  immutable :class:`~sanctl.live.sampler.LiveFrame` values;
- a sampler for the real host, a captured tree or the demo SAN comes from the Host (``host.target.sampler()``);
- :mod:`sanctl.live.rates`, :mod:`sanctl.live.history` — rates from deltas, sparklines;
- :mod:`sanctl.live.events`, :mod:`sanctl.live.flap` — incidents, counts, flapping and its cause;
- :mod:`sanctl.live.report`, :mod:`sanctl.live.commands` — ``sanctl sessions`` / ``sanctl errors``.

Nothing here imports Textual.
"""
