"""Is the portal's port open in this host's firewall, and the command that opens it.

The tutorials' step "open the firewall" (``firewall-cmd --add-port=3260/tcp``)
is the one people forget, and then discovery times out from every client.
:func:`check_firewall` asks, in order:

1. **firewalld** (RHEL, Fedora, SUSE) when it runs: ``--query-port`` /
   ``--query-service=iscsi-target`` in the default zone;
2. **ufw** (Ubuntu) when active: a rule allowing the port, or an incoming
   policy of allow;
3. **nftables**: a base chain on the input hook that drops (policy drop, or
   an unconditional drop/reject rule) and no rule accepting the port;
4. none of them: nothing on this host filters the port.

The firewall is never changed by asking: :func:`open_port` runs the
commands of a status only when the operator presses the button that shows
them. Every command goes through a ``run(argv, write=False) -> (code, stdout, stderr)``
runner (``code`` None: not installed or no answer; ``write`` marks the commands
that open the port, which a read-only host's runner refuses) that the host's
probe hands in (:meth:`~sanctl.setup.probe.HostProbe.firewall_runner`), so
tests give canned outputs and the demo SAN a simulated firewalld
(:class:`~sanctl.sim.firewall.DemoFirewall`).

No Textual and no I/O of its own here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

Runner = Callable[..., "tuple[int | None, str, str]"]  #: ``run(argv, write=False)``


@dataclass(frozen=True, slots=True)
class FirewallStatus:
    tool: str  #: firewalld, ufw, nftables, none, unknown
    open: bool | None  #: None: cannot tell
    detail: str
    #: The commands that open the port (runtime and permanent), to show and — when asked — to run.
    commands: tuple[str, ...] = ()
    note: str = ""

    @property
    def closed(self) -> bool:
        return self.open is False


@dataclass(frozen=True, slots=True)
class OpenResult:
    ok: bool
    message: str


def _firewalld(port: int, run: Runner) -> FirewallStatus | None:
    code, out, _err = run(["firewall-cmd", "--state"])
    if code is None or code != 0 or "running" not in out:
        return None
    commands = (f"firewall-cmd --add-port={port}/tcp", f"firewall-cmd --permanent --add-port={port}/tcp")
    code, out, err = run(["firewall-cmd", f"--query-port={port}/tcp"])
    if code == 0:
        return FirewallStatus("firewalld", True, f"firewalld runs and allows {port}/tcp in the default zone.")
    if port == 3260:
        code2, _out, _err = run(["firewall-cmd", "--query-service=iscsi-target"])
        if code2 == 0:
            return FirewallStatus("firewalld", True, "firewalld runs and allows the iscsi-target service "
                                                     "(3260/tcp) in the default zone.")
    if code not in (0, 1):
        return FirewallStatus("firewalld", None, f"firewalld runs, but asking it failed: {(err or out).strip()}",
                              commands)
    return FirewallStatus("firewalld", False, f"firewalld runs and does not allow {port}/tcp: clients cannot "
                                              "reach the portal.", commands,
                          "The second command keeps it after a reboot. Another zone? add --zone=NAME.")


_UFW_RULE = re.compile(r"^(\d+)(?::(\d+))?(?:/(tcp|udp))?(?:\s+\(v6\))?\s+ALLOW(?:\s+IN)?\s", re.MULTILINE)


def _ufw(port: int, run: Runner) -> FirewallStatus | None:
    code, out, _err = run(["ufw", "status", "verbose"])
    if code is None or code != 0 or "Status: active" not in out:
        return None
    commands = (f"ufw allow {port}/tcp",)
    if re.search(r"Default:\s*allow \(incoming\)", out):
        return FirewallStatus("ufw", True, "ufw is active and allows incoming connections by default.")
    for match in _UFW_RULE.finditer(out):
        low = int(match.group(1))
        high = int(match.group(2) or low)
        if low <= port <= high and match.group(3) in (None, "tcp"):
            return FirewallStatus("ufw", True, f"ufw is active and allows {port}/tcp.")
    return FirewallStatus("ufw", False, f"ufw is active and does not allow {port}/tcp: clients cannot reach the "
                                        "portal.", commands, "ufw keeps the rule after a reboot.")


def _port_in(spec: str, port: int) -> bool:
    """Whether an nft dport expression (``3260``, ``{ 22, 3260 }``, ``3000-4000``, ``iscsi-target``) has ``port``."""
    for item in re.split(r"[\s,{}]+", spec):
        if not item:
            continue
        if item in ("iscsi-target", "iscsi") and port == 3260:
            return True
        low, sep, high = item.partition("-")
        if low.isdigit() and (high.isdigit() if sep else True):
            if int(low) <= port <= int(high if sep else low):
                return True
    return False


def _nftables(port: int, run: Runner) -> FirewallStatus | None:
    code, out, err = run(["nft", "list", "ruleset"])
    if code is None:
        return None
    if code != 0:
        return FirewallStatus("nftables", None, f"nft list ruleset failed: {(err or out).strip()} (as root?)")
    family = table = chain = hook = None
    filtering: list[tuple[str, str, str]] = []
    accepted = False
    for raw in out.splitlines():
        line = raw.strip()
        m = re.match(r"^table\s+(\S+)\s+(\S+)\s*\{", line)
        if m:
            family, table = m.group(1), m.group(2)
            continue
        m = re.match(r"^chain\s+(\S+)\s*\{", line)
        if m:
            chain, hook = m.group(1), None
            continue
        m = re.match(r"^type\s+filter\s+hook\s+(\S+)", line)
        if m:
            hook = m.group(1)
            if hook == "input" and re.search(r"policy\s+drop", line):
                filtering.append((family or "inet", table or "filter", chain or "input"))
            continue
        if hook in ("input", None) and re.fullmatch(r"(counter( packets \d+ bytes \d+)?\s+)?(drop|reject.*)", line):
            filtering.append((family or "inet", table or "filter", chain or "input"))
            continue
        m = re.search(r"\b(?:tcp|th)\s+dport\s+(\{[^}]*\}|\S+)", line)
        if m and line.endswith("accept") and _port_in(m.group(1), port):
            accepted = True
    if not filtering:
        return None
    if accepted:
        return FirewallStatus("nftables", True, f"nftables filters input and a rule accepts {port}/tcp.")
    family, table, chain = filtering[0]
    return FirewallStatus(
        "nftables", False,
        f"nftables drops input ({family} {table} {chain}) and no rule accepts {port}/tcp: clients cannot reach "
        "the portal.",
        (f"nft insert rule {family} {table} {chain} tcp dport {port} accept",),
        "A rule added with nft is lost at reboot: add it to /etc/nftables.conf as well.")


def check_firewall(port: int, run: Runner) -> FirewallStatus:
    """Whether ``port``/tcp is open here, by the first firewall that is active."""
    for probe in (_firewalld, _ufw, _nftables):
        found = probe(port, run)
        if found is not None:
            return found
    return FirewallStatus("none", True, f"No active firewall (firewalld, ufw, nftables) filters {port}/tcp on this "
                                        "host. A firewall between the clients and this host may still.")


def open_port(status: FirewallStatus, run: Runner) -> OpenResult:
    """Run the status's commands (the operator asked for it), then say what happened."""
    if not status.commands:
        return OpenResult(True, "Nothing to do: the port is open.")
    for command in status.commands:
        code, out, err = run(command.split(), write=True)
        if code != 0:
            why = (err or out).strip() or (f"exit {code}" if code is not None else "it did not run")
            return OpenResult(False, f"{command} failed: {why}")
    return OpenResult(True, "Opened: " + "; ".join(status.commands) + ".")
