"""DemoHost: the demo SAN, a simulated kernel under a scratch root.

The only production module besides :mod:`sanctl.sim` itself that imports the
simulation: its writer, its iscsiadm, its clock. Above the seam nothing knows
the demo is not a kernel, except what :class:`~sanctl.host.protocol.Capabilities`
says (``simulated``: its clock moves when told, its root is not worth showing).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from typing import Any

from sanctl.host.local import TreeFacts, TreeInitiator, TreeLogs, TreeTarget
from sanctl.host.protocol import capabilities_of
from sanctl.words import relabelled


class _DemoTarget(TreeTarget):
    def _make_writer(self) -> Any:
        from sanctl.sim.writer import SimWriter

        return SimWriter(self.root, readonly_reason=self.readonly_reason)

    def before_sample(self, wall_clock: Callable[[], float]) -> tuple[Any, Any]:
        """The live demo, started at the current time if the tree is still idle; moved before every sample."""
        from sanctl.sim.live import LiveDemo, is_live, start_live_demo

        demo = LiveDemo.attach(self.root) if is_live(self.root) else start_live_demo(self.root, now=wall_clock())
        return demo.tick, demo.rate_history


class _DemoInitiator(TreeInitiator):
    """The demo host's own initiator: the simulated iscsiadm over the records under the root (kept there
    between runs when the root is, ``temporary`` False)."""

    def __init__(self, root: str, *, temporary: bool = False) -> None:
        super().__init__(root)
        self.temporary = temporary

    def iscsiadm(self, *, timeouts: Any = None) -> Any:
        """The simulation; the demo host has an initiator name, as its initiator tab writes on first use."""
        from sanctl.sim.iscsiadm import DemoIscsiadm, ensure_initiator_name

        ensure_initiator_name(self.root)
        return DemoIscsiadm(self.root, delay=0, timeouts=timeouts, persist=not self.temporary)

    def backend(self, *, delay: float = 0.4) -> Any:
        """The initiator tab's backend on the demo SAN (sizes from the simulation, no multipath)."""
        from sanctl.sim.iscsiadm import demo_backend

        return demo_backend(self.root, delay=delay)

    def name_in_use(self) -> str | None:
        from sanctl.initiator.initiator_name import name_path

        if not os.path.exists(name_path(self.root)):
            from sanctl.sim.demo import RAC_CLIENTS

            return RAC_CLIENTS[0]  # what the demo's initiator writes there when first used
        return super().name_in_use()


class _DemoFacts(TreeFacts):
    def available_fabrics(self, *, loaded: bool = False) -> tuple[str, ...]:
        from sanctl.sim.writer import FABRICS

        return tuple(FABRICS)

    def own_addresses(self) -> tuple[str, ...] | None:
        """The demo host's own address besides the loopback ones (the same everywhere)."""
        from sanctl.host.facts import LOOPBACK
        from sanctl.sim.live import HOST_ADDRESS

        return (*LOOPBACK, HOST_ADDRESS)

    def boot_service(self) -> Any:
        from sanctl.initiator.services import UnitState

        return UnitState("target.service", "enabled", "demo: simulated")
    def client_address(self) -> str:
        """The demo host's simulated address."""
        from sanctl.sim.iscsiadm import HOST_ADDRESS

        return HOST_ADDRESS

    def setup_probe(self) -> Any:
        """The demo's "host" for the wizard: its tree, its firewalld, the name its initiator tab writes."""
        from sanctl.setup.probe import DemoProbe
        from sanctl.sim.demo import RAC_CLIENTS
        from sanctl.sim.firewall import DemoFirewall

        return DemoProbe(self.root, initiator_name=RAC_CLIENTS[0], firewall=DemoFirewall(self.root))


class DemoHost:
    """The demo SAN under ``root`` (``temporary``: removed by :meth:`cleanup`)."""

    kind = "demo"
    mode = "demo"

    def __init__(self, root: str, *, readonly_reason: str | None = None, temporary: bool = False,
                 name: str | None = None) -> None:
        self.root = root
        self.name = name if name is not None else os.uname().nodename
        #: The demo's scratch tree is nobody's to read: not said, and its paths shown as ``demo:/…``.
        self.where: str | None = None
        bare = root.rstrip("/")
        self.path_labels = {bare + "/": "demo:/"} if bare else {}
        self.readonly_reason = readonly_reason
        self.temporary = temporary
        self.capabilities = capabilities_of(self.mode, readonly=readonly_reason is not None)
        self.target: Any = _DemoTarget(root, readonly_reason=readonly_reason)
        self.initiator: Any = _DemoInitiator(root, temporary=temporary)
        self.facts: Any = _DemoFacts(root, this_machine=False)
        self.logs: Any = TreeLogs(root)

    @staticmethod
    def build(root: str) -> None:
        """Write the demo SAN under ``root`` (a directory that has no configfs tree yet)."""
        from sanctl.sim.demo import build_demo

        build_demo(root)

    @property
    def readonly(self) -> bool:
        return not self.capabilities.can_write

    def show_path(self, text: str) -> str:
        """Paths under the demo's scratch root written ``demo:/etc/…`` (its :attr:`path_labels`)."""
        return relabelled(text, self.path_labels)

    def state_file(self, name: str) -> str | None:
        """In the demo's tree (``var/lib/sanctl``), so a demo's state goes with it."""
        return os.path.join(self.root, "var", "lib", "sanctl", name)

    def exporter_reads(self, *, once: bool = False, wall_clock: Callable[[], float] = time.time) -> Any:
        from sanctl.host.exporter_reads import ExporterReads

        return ExporterReads(self, once=once, wall_clock=wall_clock)

    def cleanup(self) -> None:
        if self.temporary:
            shutil.rmtree(self.root, ignore_errors=True)

    def __repr__(self) -> str:
        return f"DemoHost(root={self.root!r}, readonly_reason={self.readonly_reason!r})"
