"""A sampler wired for what sanctl is looking at: the real host, a captured tree, or the demo SAN.

- real (root ``/``): configfs, sysfs, ``/dev/kmsg`` and iscsid's journal;
- captured (``--root DIR``): the tree as it is, plus any log files the demo
  layout has under it (``var/log/sanctl-demo/``);
- demo: the live demo SAN, started at the current time if the tree is still
  idle, moved by the sampler before every reading (so a test's fake clock
  drives it), with its modelled past as the sparklines' first minutes.

Used by the CLI (``sessions``, ``errors``) and the TUI alike. No Textual here.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sanctl.host.protocol import capabilities_of
from sanctl.kernel_log import default_sources
from sanctl.live.sampler import LiveConfig, Sampler


def make_sampler(root: str, mode: str, *, clock: Callable[[], float] = time.monotonic,
                 wall_clock: Callable[[], float] = time.time, follow: bool = True, history: bool = True,
                 config: LiveConfig | None = None) -> Sampler:
    problems: list[str] = []
    before = backfill = None
    if capabilities_of(mode).simulated:
        from sanctl.sim.live import LiveDemo, is_live, start_live_demo

        demo = LiveDemo.attach(root) if is_live(root) else start_live_demo(root, now=wall_clock())
        before, backfill = demo.tick, demo.rate_history
    sources = default_sources(root, follow=follow, history=history, problems=problems)
    return Sampler(root, clock=clock, wall_clock=wall_clock, log_sources=sources, before_sample=before,
                   backfill=backfill, config=config, problems=problems)
