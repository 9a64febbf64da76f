"""The demo host's firewalld: running, its port closed until the wizard opens it.

Handed to the wizard by :class:`~sanctl.host.demo.DemoHost` (its probe's
firewall runner); its state is a file under the demo root, so nothing on this
host changes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence


class DemoFirewall:
    """The demo host's firewalld: running, port closed until opened; state in a file under the demo root."""

    def __init__(self, root: str) -> None:
        self.path = os.path.join(root, "var", "lib", "sanctl", "demo-firewalld-ports")

    def _ports(self) -> set[str]:
        try:
            with open(self.path, encoding="utf-8") as handle:
                return {line.strip() for line in handle if line.strip()}
        except OSError:
            return set()

    def __call__(self, argv: Sequence[str], write: bool = False) -> tuple[int | None, str, str]:
        if not argv or argv[0] != "firewall-cmd":
            return None, "", f"{argv[0] if argv else '?'} is not installed (demo)"
        args = [a for a in argv[1:] if a != "--permanent"]
        if args == ["--state"]:
            return 0, "running\n", ""
        if len(args) == 1 and args[0].startswith("--query-port="):
            return (0, "yes\n", "") if args[0].split("=", 1)[1] in self._ports() else (1, "no\n", "")
        if len(args) == 1 and args[0].startswith("--query-service="):
            return 1, "no\n", ""
        if len(args) == 1 and args[0].startswith("--add-port="):
            ports = self._ports() | {args[0].split("=", 1)[1]}
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            with open(self.path, "w", encoding="utf-8") as handle:
                handle.write("".join(f"{p}\n" for p in sorted(ports)))
            return 0, "success\n", ""
        return 2, "", "demo: not simulated\n"
