"""The one way into a storage host: the :class:`~sanctl.host.protocol.Host` seam, its
implementations (this machine, a captured tree, the demo SAN) and the host's facts.

:func:`host_for` picks the implementation for what :func:`~sanctl.startup.resolve_source`
decided; each is imported only when chosen (only :mod:`sanctl.host.demo` imports the demo).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sanctl.host.protocol import Host


def host_for(source: Any, *, name: str | None = None) -> Host:
    """The Host for a :class:`~sanctl.startup.Source` (its root, kind, and why it is read-only)."""
    reason = (source.readonly_reason or "read-only") if source.readonly else None
    can = source.capabilities
    if can.simulated:
        from sanctl.host.demo import DemoHost

        return DemoHost(source.root, readonly_reason=reason, temporary=source.temporary, name=name)
    if not can.has_live:
        from sanctl.host.captured import CapturedHost

        return CapturedHost(source.root, readonly_reason=reason, name=name)
    from sanctl.host.local import LocalHost

    return LocalHost(source.root, readonly_reason=reason, name=name)
