"""The answers as writer changes: what Apply does, and the targetcli commands for the record.

:func:`build_plan` turns accepted answers into one list of
:mod:`~sanctl.lio.changes`, in groups the Apply step shows progress for:

1. **Storage** — each backstore, then what the preset sets on it while it
   is not exported yet (``block_size``; ``emulate_tpu`` for thin
   provisioning where the kernel accepts it: a fileio file, or a block
   device that takes discards);
2. **Target** — the target, TPG 1, ``authentication`` (1 with CHAP), the
   LUNs 0…n-1 in the order of the storage step;
3. **Portal** — the listener (iSER when asked);
4. **Access** — an ACL per client mapping every LUN, with its CHAP; or
   demo mode (``generate_node_acls=1``, ``cache_dynamic_acls=1``,
   ``demo_mode_write_protect``);
5. **Enable** — the TPG, last, so no client logs in half way.

The writer applies them as one transaction (everything, or everything
rolled back). :meth:`Plan.targetcli` is the same as a targetcli batch, with
``saveconfig`` at the end (which Apply does with a backup).

No Textual here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sanctl.names import InvalidValue, check_iscsi_name, check_portal_address, parse_size
from sanctl.setup.answers import Answers, StorageItem
from sanctl.lio import changes as C

if TYPE_CHECKING:
    from sanctl.setup.context import SetupContext


@dataclass(frozen=True, slots=True)
class PlanGroup:
    title: str
    changes: tuple[C.Change, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    groups: tuple[PlanGroup, ...]
    target: str
    address: str
    port: int
    #: Directories Apply creates before the transaction (new fileio files on this host).
    directories: tuple[str, ...] = ()

    @property
    def changes(self) -> list[C.Change]:
        return [c for g in self.groups for c in g.changes]

    def group_of(self) -> list[int]:
        """For each change of :attr:`changes`, the index of its group."""
        return [i for i, g in enumerate(self.groups) for _ in g.changes]

    def lines(self) -> list[str]:
        """The operations, grouped: a heading per group, a line per change."""
        out: list[str] = []
        for group in self.groups:
            out.append(group.title)
            out.extend(f"  {c.describe()}" for c in group.changes)
        return out

    def targetcli(self) -> list[str]:
        """The equivalent targetcli batch (secrets as ``<secret>``), ``saveconfig`` last."""
        lines = [f"mkdir -p {d}  # (shell) the file's directory" for d in self.directories]
        return lines + C.targetcli_script(self.changes) + ["saveconfig"]


def _storage_key(item: StorageItem) -> tuple[str, str]:
    return (item.kind, item.name)


def _create(item: StorageItem, ctx: SetupContext) -> C.Change:
    if item.kind == "block":
        return C.CreateBlock(item.name, item.dev.strip())
    if item.kind == "ramdisk":
        return C.CreateRamdisk(item.name, parse_size(item.size))
    path = C.check_dev_path(item.file, "file")
    kind = ctx.backing(path)[0] if ctx.backing is not None else "missing"
    size = parse_size(item.size) if kind == "missing" else None
    return C.CreateFileio(item.name, path, size, write_back=item.write_back, sparse=item.sparse)


def _thin_ok(item: StorageItem, ctx: SetupContext) -> bool:
    """Whether the kernel accepts ``emulate_tpu=1`` here: a fileio file, or a device that takes discards."""
    if item.kind == "ramdisk":
        return False
    if item.kind == "fileio":
        path = item.file.strip()
        kind = ctx.backing(path)[0] if ctx.backing is not None else "missing"
        if kind != "block":
            return True
    dev = ctx.device(item.dev.strip() if item.kind == "block" else item.file.strip())
    return dev is not None and ctx.discard(dev)


def build_plan(ctx: SetupContext, answers: Answers) -> Plan:
    """The plan for accepted answers; :class:`~sanctl.names.InvalidValue` if they are not."""
    wwn = check_iscsi_name(answers.target)
    address = check_portal_address(answers.address)
    port = int(answers.port)
    block_size = int(answers.block_size)

    storage: list[C.Change] = []
    directories: list[str] = []
    for item in answers.storage:
        create = _create(item, ctx)
        storage.append(create)
        if isinstance(create, C.CreateFileio) and create.size:
            missing = ctx.missing_directory(create.file)
            if missing and missing not in directories:
                directories.append(missing)
        if item.kind in ("fileio", "ramdisk") and block_size != 512:
            storage.append(C.backstore_attribute(item.kind, item.name, "block_size", block_size))
        if answers.thin and _thin_ok(item, ctx):
            storage.append(C.backstore_attribute(item.kind, item.name, "emulate_tpu", 1))

    chap = answers.chap and not answers.demo_mode
    target: list[C.Change] = [
        C.CreateTarget(wwn),
        C.CreateTpg(wwn, 1),
        C.tpg_attribute(wwn, 1, "authentication", 1 if chap else 0),
    ]
    for index, item in enumerate(answers.storage):
        target.append(C.CreateLun(wwn, 1, _storage_key(item), index, map_to_acls=False))

    portal = [C.CreatePortal(wwn, 1, address, port, iser=answers.iser)]

    access: list[C.Change] = []
    if answers.demo_mode:
        access += [
            C.tpg_attribute(wwn, 1, "generate_node_acls", 1),
            C.tpg_attribute(wwn, 1, "cache_dynamic_acls", 1),
            C.tpg_attribute(wwn, 1, "demo_mode_write_protect", 1 if answers.demo_write_protect else 0),
        ]
    else:
        for client in answers.clients:
            access.append(C.CreateAcl(wwn, 1, client.initiator.strip(), map_all_luns=True))
            if chap:
                credentials = C.Chap(client.chap_user, client.chap_secret,
                                     answers.mutual_user if answers.mutual else "",
                                     answers.mutual_secret if answers.mutual else "")
                access.append(C.SetAclAuth(wwn, 1, client.initiator.strip(), credentials))
    if not access:
        raise InvalidValue("No client and no demo mode: nobody could log in.")

    groups = (
        PlanGroup("Storage", tuple(storage)),
        PlanGroup("Target and LUNs", tuple(target)),
        PlanGroup("Portal", tuple(portal)),
        PlanGroup("Access" + (" (demo mode)" if answers.demo_mode else ""), tuple(access)),
        PlanGroup("Enable", (C.SetTpgEnabled(wwn, 1, True),)),
    )
    return Plan(groups, wwn, address, port, tuple(directories))


def try_plan(ctx: SetupContext, answers: Answers) -> Plan | str:
    """The plan, or why there is none (a sentence)."""
    try:
        return build_plan(ctx, answers)
    except (InvalidValue, ValueError) as exc:
        return str(exc)
