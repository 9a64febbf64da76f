"""CapturedHost: a tree copied from another machine (``--root DIR``): read, never written.

It has no live system and no initiator of its own: the tree's configfs is read
as it was captured, its log files (if any) are read as files, and every write
is refused with :data:`REASON`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from sanctl.host.local import TreeFacts, TreeLogs, TreeTarget, shown_root
from sanctl.host.protocol import capabilities_of

#: Why a captured tree is never changed (the writer's refusal says this).
REASON = "reading a captured tree, not the running kernel"


class _CapturedTarget(TreeTarget):
    def _make_writer(self) -> Any:
        from sanctl.lio.writer import NoWriter  # the writer that refuses with its reason

        return NoWriter(self.root, readonly_reason=self.readonly_reason or REASON)

    def unfinished_change(self) -> Any:
        return None  # a journal in a copied tree is not a change this host could finish


class _CapturedFacts(TreeFacts):
    """A captured tree's host is not this one: its addresses, disks, files and NICs are not known."""

    def own_addresses(self) -> tuple[str, ...] | None:
        return None

    def device_facts(self, paths: Any) -> Any:
        return None

    def file_facts(self, paths: Any) -> Any:
        return None

    def rdma(self) -> bool | None:
        return None


class CapturedHost:
    """A captured tree under ``root``."""

    kind = "captured"
    mode = "captured"

    def __init__(self, root: str, *, readonly_reason: str | None = None, name: str | None = None) -> None:
        self.root = root
        self.name = name if name is not None else os.uname().nodename
        self.where = shown_root(root)
        self.path_labels: dict[str, str] = {}
        self.readonly_reason = readonly_reason or REASON
        self.capabilities = capabilities_of(self.mode)
        self.target: Any = _CapturedTarget(root, live=False, readonly_reason=self.readonly_reason)
        self.initiator: Any = None
        self.facts: Any = _CapturedFacts(root, this_machine=False)
        self.logs: Any = TreeLogs(root)

    @property
    def readonly(self) -> bool:
        return True

    def show_path(self, text: str) -> str:
        return text

    def state_file(self, name: str) -> str | None:
        """None: a captured tree's counters never move, so there is no last look to keep."""
        return None

    def exporter_reads(self, *, once: bool = False, wall_clock: Callable[[], float] = time.time) -> Any:
        from sanctl.host.exporter_reads import ExporterReads

        return ExporterReads(self, once=once, wall_clock=wall_clock)

    def cleanup(self) -> None:
        """Nothing to release: the tree is the operator's."""

    def __repr__(self) -> str:
        return f"CapturedHost(root={self.root!r})"
