"""What the doctor's rules share: the rule's signature, thresholds, and walks over the model.

No I/O, no Textual.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from sanctl.doctor import paths
from sanctl.doctor.findings import Finding
from sanctl.doctor.host_facts import HostFacts
from sanctl.doctor.live_facts import AclKey, LiveSnapshot
from sanctl.model import SanConfig, Target, Tpg

Rule = Callable[[SanConfig, "LiveSnapshot | None", HostFacts], list[Finding]]

#: Login failures whose last one is older than this are old news on a first look (seconds).
RECENT = 3600.0
#: A filesystem with less than this share free is nearly full.
NEARLY_FULL = 0.10


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _tpgs(config: SanConfig, fabric: str | None = None) -> Iterator[tuple[Target, Tpg]]:
    for target in config.targets:
        if fabric is not None and target.fabric != fabric:
            continue
        for tpg in sorted(target.tpgs, key=lambda t: t.tag):
            yield target, tpg


def _label(target: Target, tpg: Tpg) -> str:
    return f"{target.wwn}/tpg{tpg.tag}"


def _find_tpg(config: SanConfig, wwn: str, tag: int | None = None) -> tuple[Target, Tpg | None] | None:
    for target in config.targets:
        if target.wwn == wwn:
            if tag is None:
                return target, None
            for tpg in target.tpgs:
                if tpg.tag == tag:
                    return target, tpg
            return target, None
    return None


def _acl_objects(config: SanConfig, key: AclKey) -> tuple[str, ...]:
    """The ACL's tree path if it exists, else its target's, else nothing."""
    found = _find_tpg(config, key[0], key[1])
    if found is None:
        return ()
    target, tpg = found
    if tpg is not None and any(a.node_wwn == key[2] for a in tpg.acls):
        return (paths.acl(target, tpg, key[2]),)
    return (paths.target(target),)


def _numbers(values: Iterable[int]) -> str:
    items = sorted(values)
    return ", ".join(str(v) for v in items)


def _names(values: Iterable[str]) -> str:
    items = sorted(values)
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _ago(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s ago"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"
