"""Each step's refusals and warnings, as the wizard shows them inline.

:func:`check_step` returns a :class:`StepCheck`: ``errors`` by field key
(``storage.0.dev``, ``target``, ``clients.1.initiator`` …) shown under the
field, ``problems`` for the step as a whole, ``warnings`` for what is
allowed but risky. A step with errors or problems cannot be left forward;
the plan is built only from answers every step accepts.

The refusals that matter most for a first setup:

- a device that is mounted, swap, held (LVM, md, a partition of a disk in
  use) or exported already — with the reason;
- an IQN that is not one, or a target that exists;
- two clients with the same initiator name — the tutorial's connection
  error 1020, where two hosts knock each other off the target;
- an address this host does not have, or a listener that collides;
- a ramdisk is allowed, with the warning that its data is lost at reboot;
  demo mode is allowed, with the warning that anyone reaching the portal
  gets the LUNs.

A value on its own is checked by its field's check (:mod:`sanctl.setup.fields`,
the forms the steps are drawn from): here are only the refusals that need the
host or several answers. No Textual here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sanctl import block_devices as H
from sanctl.names import InvalidValue, parse_size
from sanctl.setup import fields as F
from sanctl.setup.answers import INPUT_STEPS, Answers, StorageItem
from sanctl.setup.presets import preset
from sanctl.summary import human_size

if TYPE_CHECKING:  # the context is gathered through the host; here it is only read
    from sanctl.setup.context import SetupContext

DUPLICATE_NAME = ("Two clients cannot share an initiator name: the target lets one of them in at a time, and both "
                  "drop every few seconds with connection error 1020 (the tutorial's case). Give each host its own "
                  "name — iscsi-iname makes one, written to /etc/iscsi/initiatorname.iscsi.")
RAMDISK_WARNING = ("A ramdisk keeps its data in memory: everything written to it is lost when this host reboots or "
                   "the target is stopped. Use it for tests only.")
DEMO_WARNING = ("Demo mode: any initiator that reaches the portal logs in without an ACL and sees every LUN{rw}. "
                "Use it only on an isolated test network — demo mode left open is a classic mistake.")
WRITE_BACK_WARNING = ("Write-back: writes are acknowledged before they reach the disk (the page cache); a crash of "
                      "this host loses them.")


@dataclass
class StepCheck:
    errors: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.problems

    def error(self, key: str, reason: str) -> None:
        self.errors.setdefault(key, reason)

    def summary(self) -> str:
        """One sentence: the first problem, or how many fields to correct."""
        if self.problems:
            return self.problems[0]
        if self.errors:
            n = len(self.errors)
            return f"{n} field{'s' if n != 1 else ''} to correct."
        return ""


def _try(check: StepCheck, key: str, func, *args):
    try:
        return func(*args)
    except InvalidValue as exc:
        check.error(key, str(exc))
        return None


def size_of(text: str) -> int | None:
    try:
        return parse_size(text) if text.strip() else None
    except InvalidValue:
        return None


# ---------------------------------------------------------------------------
# Storage
# ---------------------------------------------------------------------------


def _device_refusal(ctx: SetupContext, dev: H.BlockDevice) -> str | None:
    """:func:`sanctl.host.facts.refusal`: the forms' list, not a copy of it."""
    return H.refusal(dev, ctx.devices)


def _check_block(ctx: SetupContext, item: StorageItem, key: str, out: StepCheck, seen: dict) -> None:
    path = _try(out, key + "dev", F.DEVICE.parse, item.dev)
    if path is None:
        return
    dev = ctx.device(path)
    if dev is None:
        if not ctx.device_exists(path):
            where = "on this host" if ctx.capabilities.is_this_machine else "here (the devices listed are the ones there are)"
            out.error(key + "dev", f"There is no block device {path} {where}.")
        return
    refusal = _device_refusal(ctx, dev)
    if refusal:
        out.error(key + "dev", refusal)
        return
    if dev.kname in seen:
        out.error(key + "dev", f"Disk {seen[dev.kname] + 1} exports {dev.path} already.")
        return
    seen[dev.kname] = int(key.split(".")[1])
    if dev.partitions:
        out.warnings.append(f"{dev.path} has partitions: the client sees the whole disk, partition table and all.")
    if dev.readonly:
        out.warnings.append(f"{dev.path} is read-only: clients can only read it.")


def _check_fileio(ctx: SetupContext, item: StorageItem, key: str, out: StepCheck, seen: dict) -> None:
    path = _try(out, key + "file", F.FILE.parse, item.file)
    if path is None:
        return
    if path in seen:
        out.error(key + "file", f"Disk {seen[path] + 1} uses {path} already.")
        return
    seen[path] = int(key.split(".")[1])
    for so in ctx.config.storage_objects:
        if so.plugin == "fileio" and so.dev == path:
            out.error(key + "file", f"{path} is exported already, by backstore fileio/{so.name}.")
            return
    kind, size = ctx.backing(path) if ctx.backing is not None else ("missing", 0)
    if kind == "other":
        out.error(key + "file", f"{path} is neither a regular file nor a block device.")
        return
    if kind == "block":
        dev = ctx.device(path)
        refusal = _device_refusal(ctx, dev) if dev is not None else None
        if refusal:
            out.error(key + "file", refusal)
            return
        out.warnings.append(f"{path} is a block device: a block backstore exports it without the page cache.")
    elif kind == "file":
        out.warnings.append(f"{path} exists: its {human_size(size)} are exported as they are (its own size is used).")
    else:
        if not item.size.strip():
            out.error(key + "size", f"{path} does not exist yet: give its size to create it, e.g. 10G.")
        else:
            wanted = _try(out, key + "size", F.FILE_SIZE.parse, item.size)
            free = ctx.free_space(path)
            if wanted is not None and free is not None and wanted > free:
                if item.sparse:
                    out.warnings.append(f"{path}: only {human_size(free)} free for {human_size(wanted)}: writes "
                                        "fail once the filesystem is full.")
                else:
                    out.error(key + "size", f"Only {human_size(free)} free there: a fully allocated file of "
                                            f"{human_size(wanted)} does not fit.")
        missing = ctx.missing_directory(path)
        if missing:
            out.warnings.append(f"The directory {missing} does not exist: Apply creates it.")
    if item.write_back:
        out.warnings.append(WRITE_BACK_WARNING)


def _check_ramdisk(ctx: SetupContext, item: StorageItem, key: str, out: StepCheck) -> None:
    wanted = _try(out, key + "size", F.RAMDISK_SIZE.parse, item.size)
    memory = ctx.memory() if wanted is not None else None
    if wanted is not None and memory is not None and wanted > memory:
        out.error(key + "size", f"Only {human_size(memory)} of memory is available.")
    if RAMDISK_WARNING not in out.warnings:
        out.warnings.append(RAMDISK_WARNING)


def check_storage(ctx: SetupContext, answers: Answers) -> StepCheck:
    out = StepCheck()
    if not answers.storage:
        out.problems.append("Add at least one disk to export.")
        return out
    names: dict[tuple[str, str], int] = {}
    devices: dict[str, int] = {}
    files: dict[str, int] = {}
    for i, item in enumerate(answers.storage):
        key = f"storage.{i}."
        if _try(out, key + "kind", F.KIND.check, item.kind) is None:  # the check: a blank kind says the same
            continue
        name = _try(out, key + "name", F.BACKSTORE_NAME.parse, item.name)
        if name is not None:
            if ctx.config.storage_object((item.kind, name)) is not None:
                out.error(key + "name", f"A {item.kind} backstore named {name} exists already.")
            elif (item.kind, name) in names:
                out.error(key + "name", f"Disk {names[(item.kind, name)] + 1} has this name already.")
            else:
                names[(item.kind, name)] = i
        if item.kind == "block":
            _check_block(ctx, item, key, out, devices)
        elif item.kind == "fileio":
            _check_fileio(ctx, item, key, out, files)
        else:
            _check_ramdisk(ctx, item, key, out)
    return out


# ---------------------------------------------------------------------------
# Target, portal
# ---------------------------------------------------------------------------


def check_target(ctx: SetupContext, answers: Answers) -> StepCheck:
    out = StepCheck()
    wwn = _try(out, "target", F.TARGET.parse, answers.target)
    if wwn is None:
        return out
    fabric = ctx.config.fabric("iscsi")
    if fabric is not None and any(t.wwn == wwn for t in fabric.targets):
        out.error("target", f"Target {wwn} exists already: choose another name.")
    return out


def check_portal(ctx: SetupContext, answers: Answers) -> StepCheck:
    from sanctl.forms.add import portal_conflict  # the forms' rule

    out = StepCheck()
    address = _try(out, "address", F.ADDRESS.parse, answers.address)
    port = _try(out, "port", F.PORT.parse, answers.port)
    if address is not None and address not in H.WILDCARDS and address not in ctx.addresses:
        out.error("address", f"{address} is not an address of this host: the kernel cannot listen on it. "
                             "Pick one below.")
    elif address is not None and port is not None:
        clash = portal_conflict(ctx.config, answers.target.strip().lower(), 1, address, port)
        if clash:
            out.error("address", clash)
    if answers.iser and not ctx.rdma:
        out.error("iser", "No RDMA-capable NIC here (/sys/class/infiniband is empty): iSER needs one.")
    if port is not None and port != 3260:
        out.warnings.append(f"Port {port} is not iSCSI's 3260: every client must give it (address:{port}).")
    return out


# ---------------------------------------------------------------------------
# Access
# ---------------------------------------------------------------------------


def check_access(ctx: SetupContext, answers: Answers) -> StepCheck:
    out = StepCheck()
    if answers.demo_mode:
        rw = ", read-only" if answers.demo_write_protect else ", and may write to it"
        out.warnings.append(DEMO_WARNING.format(rw=rw))
    seen: dict[str, int] = {}
    secrets: list[str] = []
    for i, client in enumerate(answers.clients):
        key = f"clients.{i}."
        _try(out, key + "label", F.LABEL.parse, client.label)
        if not client.initiator.strip():
            if not answers.demo_mode:
                out.error(key + "initiator", "The client's initiator name is required: its "
                                             "/etc/iscsi/initiatorname.iscsi (generate makes a new one).")
            continue
        name = _try(out, key + "initiator", F.INITIATOR.parse, client.initiator)
        if name is None:
            continue
        if name in seen:
            out.error(key + "initiator", f"Client {seen[name] + 1} has this initiator name already.")
            if DUPLICATE_NAME not in out.problems:
                out.problems.append(DUPLICATE_NAME)
            continue
        seen[name] = i
        if answers.chap and not answers.demo_mode:
            _try(out, key + "chap_user", F.CHAP_USER.parse, client.chap_user)
            if _try(out, key + "chap_secret", F.CHAP_SECRET.parse, client.chap_secret) is not None:
                secrets.append(client.chap_secret)
    if not answers.clients and not answers.demo_mode:
        out.problems.append("Add at least one client (or choose demo mode).")
    if answers.chap and not answers.demo_mode and answers.mutual:
        _try(out, "mutual_user", F.MUTUAL_USER.parse, answers.mutual_user)
        if _try(out, "mutual_secret", F.MUTUAL_SECRET.parse, answers.mutual_secret) is not None:
            if answers.mutual_secret in secrets:
                out.error("mutual_secret", "The target's secret must differ from the initiators' (RFC 7143; "
                                           "Windows refuses the same secret).")
    return out


# ---------------------------------------------------------------------------
# Preset
# ---------------------------------------------------------------------------


def check_preset(ctx: SetupContext, answers: Answers) -> StepCheck:
    out = StepCheck()
    p = preset(answers.preset)
    _try(out, "block_size", F.block_size_field(p).check, answers.block_size)  # the check: blank says the same
    size = F.block_size_of(answers.block_size)
    for i, item in enumerate(answers.storage):
        if item.kind == "block":
            dev = ctx.device(item.dev.strip())
            if dev is None:
                continue
            lbs = ctx.logical_block_size(dev)
            if lbs not in p.block_sizes:
                out.problems.append(f"Disk {i + 1} ({dev.path}) has {lbs}-byte sectors: {p.label} cannot use a "
                                    f"{lbs}-byte LUN over iSCSI.")
            elif size and lbs != size:
                out.warnings.append(f"Disk {i + 1} ({dev.path}) keeps its own {lbs}-byte sectors.")
        if item.kind == "fileio" and item.write_back and not p.write_back_ok:
            out.problems.append(f"{p.label} expects every acknowledged write to be on stable storage: disk {i + 1} "
                                f"({item.name or item.file}) must be write-through, not write-back.")
    if answers.chap and not answers.demo_mode:
        low, high = p.chap_length
        for i, client in enumerate(answers.clients):
            n = len(client.chap_secret)
            if n and not low <= n <= high:
                out.problems.append(f"{p.label} accepts CHAP secrets of {low} to {high} characters: client {i + 1}'s "
                                    f"has {n}.")
        n = len(answers.mutual_secret)
        if answers.mutual and n and not low <= n <= high:
            out.problems.append(f"{p.label} accepts CHAP secrets of {low} to {high} characters: the target's has {n}.")
        if p.key == "proxmox":
            out.warnings.append("Proxmox's storage dialog has no CHAP field: the Client step shows the iscsid.conf "
                                "lines each node needs.")
    return out


def check_step(step: str, ctx: SetupContext, answers: Answers) -> StepCheck:
    """The step's refusals and warnings (an empty check for steps without answers)."""
    func = {"storage": check_storage, "target": check_target, "portal": check_portal, "access": check_access,
            "preset": check_preset}.get(step)
    return func(ctx, answers) if func is not None else StepCheck()


def check_all(ctx: SetupContext, answers: Answers) -> dict[str, StepCheck]:
    """Every input step's check, in order (the Review step lists what is left to correct)."""
    return {step: check_step(step, ctx, answers) for step in INPUT_STEPS}
