"""Which writer a host gets: rtslib-fb for the kernel, the simulated kernel for the demo.

The one place that knows every writer implementation, so that
:mod:`sanctl.lio` imports none of them (its writer base would otherwise
import the demo and the rtslib-fb writer, which both import it). The Host
seam's implementations will each build their own.
"""

from __future__ import annotations

from sanctl.host.protocol import capabilities_of
from sanctl.lio.writer import NoWriter, Writer


def writer_for(source) -> Writer:
    """The writer for a :class:`sanctl.startup.Source`: rtslib-fb for the kernel, the sim for the demo.

    A captured tree gets a writer that is read-only with the source's reason.
    """
    reason = source.readonly_reason if source.readonly else None
    if capabilities_of(source.mode).simulated:
        from sanctl.sim.writer import SimWriter

        return SimWriter(source.root, readonly_reason=reason)
    if capabilities_of(source.mode).is_this_machine:
        from sanctl.lio.rtslib_writer import RtslibWriter

        return RtslibWriter(source.root, readonly_reason=reason)
    return NoWriter(source.root, readonly_reason=reason or "reading a captured tree, not the running kernel")
