"""The doctor's rules on the configuration a form is about to make, so the form warns before it commits.

A form builds changes; :func:`project` applies the ones these rules look at
to the model (a TPG's attributes, new targets, TPGs, LUNs, ACLs, mapped LUNs
and portals, a portal's iSER flag) and :func:`warnings` runs the doctor's own
rule functions on the configuration before and after: what the change would
newly make the doctor warn about — demo mode with write access, iSER on a
host without an RDMA device, one backstore written through two targets — is
said in the form, before anything is written. The rules are not copied: a
rule changed in :mod:`sanctl.doctor.rules` changes the form's warning too.

No Textual, no I/O: the caller passes the configuration (with its mapped
LUNs read) and the host facts it has.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from sanctl.doctor import rules
from sanctl.doctor.facts import HostFacts
from sanctl.doctor.findings import ERROR, WARNING
from sanctl.model import Lun, MappedLun, NodeAcl, Portal, SanConfig, Setting, Settings, Target, Tpg
from sanctl.lio import changes as C

#: The rules a form's change can newly break.
RULES = (rules.demo_mode_writable, rules.iser_without_rdma, rules.shared_luns)


def warnings(config: SanConfig, changes: Iterable[C.Change], facts: HostFacts) -> list[str]:
    """What the doctor would newly warn about once ``changes`` are applied to ``config``."""
    after = project(config, changes)
    if after is config:
        return []
    out: list[str] = []
    for rule in RULES:
        before = {f.title for f in rule(config, None, facts)}
        for finding in rule(after, None, facts):
            if finding.severity in (ERROR, WARNING) and finding.title not in before:
                out.append(f"doctor: {finding.title} — {finding.fix}")
    return out


def project(config: SanConfig, changes: Iterable[C.Change]) -> SanConfig:
    """``config`` as it will be after ``changes``, as far as :data:`RULES` look (others are left out)."""
    result = config
    for change in changes:
        result = _one(result, change)
    return result


def _one(config: SanConfig, change: C.Change) -> SanConfig:
    if isinstance(change, C.CreateTarget):
        if any(t.wwn == change.target for t in config.targets):
            return config
        return _with_target(config, change.fabric, Target(change.fabric, change.target, ""))
    if isinstance(change, C.CreateTpg):
        tag = change.tpg or 1
        attrs = Settings((Setting("generate_node_acls", "0", True), Setting("demo_mode_write_protect", "1", True)))
        return _map_target(config, change.fabric, change.target,
                           lambda t: replace(t, tpgs=(*t.tpgs, Tpg(tag, "", False, attributes=attrs))))
    if isinstance(change, C.SetSetting) and change.sets(C.TpgRef, "attribute"):
        return _map_tpg(config, change.owner, lambda tpg: replace(
            tpg, attributes=_set(tpg.attributes, change.key, str(change.value))))
    if isinstance(change, C.CreateLun):
        def add_lun(tpg: Tpg) -> Tpg:
            index = change.index if change.index is not None else max((lun.index for lun in tpg.luns), default=-1) + 1
            luns = (*tpg.luns, Lun(index, change.alias, change.storage_object, ""))
            acls = tpg.acls
            if change.map_to_acls:
                acls = tuple(replace(a, mapped_luns=(*a.mapped_luns, MappedLun(
                    max((m.index for m in a.mapped_luns), default=-1) + 1, index, False, None, ""))) for a in acls)
            return replace(tpg, luns=luns, acls=acls)
        return _map_tpg(config, change, add_lun)
    if isinstance(change, C.CreateAcl):
        def add_acl(tpg: Tpg) -> Tpg:
            mapped = tuple(MappedLun(lun.index, lun.index, False, None, "") for lun in tpg.luns) \
                if change.map_all_luns else ()
            return replace(tpg, acls=(*tpg.acls, NodeAcl(change.initiator, "", mapped)))
        return _map_tpg(config, change, add_acl)
    if isinstance(change, C.CreateMappedLun):
        mapped = MappedLun(change.index, change.tpg_lun, change.write_protect, None, "")
        return _map_tpg(config, change, lambda tpg: replace(tpg, acls=tuple(
            replace(a, mapped_luns=(*a.mapped_luns, mapped)) if a.node_wwn == change.initiator else a
            for a in tpg.acls)))
    if isinstance(change, C.CreatePortal):
        portal = Portal(change.address, change.port, "", change.iser, change.offload)
        return _map_tpg(config, change, lambda tpg: replace(tpg, portals=(*tpg.portals, portal)))
    if isinstance(change, C.SetPortalFlag) and change.flag == "iser":
        return _map_tpg(config, change, lambda tpg: replace(tpg, portals=tuple(
            replace(p, iser=change.on) if (p.ip_address, p.port) == (change.address, change.port) else p
            for p in tpg.portals)))
    return config


def _set(settings: Settings, name: str, value: str) -> Settings:
    if settings.get(name) is None:
        return Settings((*settings.items, Setting(name, value, True)))
    return Settings(tuple(replace(s, value=value) if s.name == name else s for s in settings.items))


def _with_target(config: SanConfig, fabric: str, target: Target) -> SanConfig:
    fabrics = config.fabrics
    if not any(f.name == fabric for f in fabrics):
        from sanctl.model import Fabric

        fabrics = (*fabrics, Fabric(fabric, ""))
    return replace(config, fabrics=tuple(replace(f, targets=(*f.targets, target)) if f.name == fabric else f
                                         for f in fabrics))


def _map_target(config: SanConfig, fabric: str, wwn: str, fn) -> SanConfig:
    return replace(config, fabrics=tuple(
        replace(f, targets=tuple(fn(t) if t.wwn == wwn else t for t in f.targets)) if f.name == fabric else f
        for f in config.fabrics))


def _map_tpg(config: SanConfig, change, fn) -> SanConfig:
    tag = change.tpg
    return _map_target(config, change.fabric, change.target,
                       lambda t: replace(t, tpgs=tuple(fn(tpg) if tpg.tag == tag else tpg for tpg in t.tpgs)))
