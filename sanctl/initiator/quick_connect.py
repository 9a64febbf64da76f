"""The initiator tab's two multi-step operations: log in to several records, and quick connect.

Both are blocking (one iscsiadm after another): the tab runs them in a
worker thread and passes ``progress``, called with a sentence before each
step. Failures of single logins are collected, not raised: a quick connect
that logs in to two targets of three is a result to show, with the third's
exit code. No Textual here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sanctl.initiator.iscsiadm import Iscsiadm, IscsiadmError
from sanctl.initiator.overview import NodeKey


@dataclass
class QuickConnectResult:
    """What a quick connect found (target names) and what each login did."""

    found: list[str] = field(default_factory=list)
    logged_in: list[NodeKey] = field(default_factory=list)
    already: list[NodeKey] = field(default_factory=list)
    failed: list[tuple[NodeKey, IscsiadmError]] = field(default_factory=list)


def login_each(adm: Iscsiadm, keys: Sequence[NodeKey], progress: Callable[[str], None] = lambda _step: None
               ) -> list:
    """Log in to each record; ``(key, LoginResult | IscsiadmError)`` for each, in order."""
    results: list = []
    for index, (target, portal, iface) in enumerate(keys):
        if len(keys) > 1:
            progress(f"Logging in to {target} ({index + 1} of {len(keys)})")
        try:
            results.append(((target, portal, iface),
                            adm.login(target, portal, iface=iface if iface != "default" else None)))
        except IscsiadmError as exc:
            results.append(((target, portal, iface), exc))
    return results


def quick_connect(adm: Iscsiadm, portal: str, progress: Callable[[str], None] = lambda _step: None
                  ) -> QuickConnectResult:
    """Discover at ``portal`` (``-o new``), then log in to each target found.

    Each target is logged in on the portals discovery gave that match the
    typed address and port — else that address on any port, else all of its
    portals (a wildcard portal is advertised as every address of the target,
    some of which this host may not reach). Exit 21 from discovery is "no
    target for this initiator", an answer rather than a failure.
    """
    found = adm.discover_offered(portal)
    address = portal.rpartition(":")[0]
    by_target: dict[str, list] = {}
    for item in found:
        by_target.setdefault(item.target, []).append(item)
    keys: list[NodeKey] = []
    for target, items in by_target.items():
        chosen = [i for i in items if i.portal == portal] or [i for i in items if i.address == address] or items
        keys += [(target, i.portal, "default") for i in chosen]
    result = QuickConnectResult(found=sorted(by_target))
    for index, key in enumerate(keys):
        progress(f"Logging in to {key[0]} ({index + 1} of {len(keys)})")
        try:
            outcome = adm.login(key[0], key[1])
        except IscsiadmError as exc:
            result.failed.append((key, exc))
            continue
        (result.already if outcome.already else result.logged_in).append(key)
    return result
