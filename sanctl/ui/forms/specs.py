"""The forms of each kind of tree node: what ``a`` adds, ``e`` edits, ``d`` deletes.

:func:`add_form` and :func:`edit_form` read what the form needs (the
object's attributes, the host's block devices or addresses) and return a
:class:`~sanctl.ui.forms.spec.FormSpec`, or a sentence saying why there is
nothing to add or edit there. They block for a few file reads: the screen
calls them in a thread worker. :func:`delete_change` is the change ``d``
confirms. Every field is checked by :mod:`sanctl.names` or by the change
it feeds, so a value the form accepts is one the writer accepts.

No Textual here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sanctl.host import facts as H
from sanctl.model import Auth, NodeAcl, SanConfig, Settings, StorageObject, Target, Tpg
from sanctl.names import (
    InvalidValue,
    check_object_name,
    check_port,
    check_portal_address,
    generate_chap_secret,
    generate_iqn,
    parse_size,
)
from sanctl import words
from sanctl.summary import human_size
from sanctl.lio import changes as C
from sanctl.tree import Node, find
from sanctl.ui.forms.spec import BOOL, SECRET, SELECT, Choice, Field, FormSpec

#: Settings whose range is 0-1 are checkboxes.
_FLAG = (0, 1)


@dataclass(frozen=True, slots=True)
class Context:
    """What the forms know besides the configuration (filled in a worker thread)."""

    root: str
    config: SanConfig
    devices: tuple[H.BlockDevice, ...] = ()
    addresses: tuple[str, ...] = ()
    tcmu: bool = False
    #: The host name generated IQNs use (None: this host's).
    host: str | None = None
    #: ``path -> ("missing"|"file"|"block"|"other", size)``: the writer's view of a fileio path.
    backing: Callable[[str], tuple[str, int]] | None = None
    #: The fabrics targets can be created in (loaded, or whose kernel module is there to load).
    fabrics: tuple[str, ...] = ("iscsi",)
    #: The kernel's (major, minor), from configfs's ``version`` (None: unknown).
    kernel: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class Where:
    """The objects around a node: its target, TPG and ACL (when it has them)."""

    fabric: str | None = None
    target: Target | None = None
    tpg: Tpg | None = None
    acl: NodeAcl | None = None


def where(config: SanConfig, node: Node) -> Where:
    fabric = target = tpg = acl = None
    for n in find(config, node.path):
        if n.kind == "fabric":
            fabric = n.name
        elif n.kind == "target":
            target = n.obj
        elif n.kind == "tpg":
            tpg = n.obj
        elif n.kind == "acl":
            acl = n.obj
    return Where(fabric, target, tpg, acl)  # type: ignore[arg-type]


def _join(parent: str, name: str) -> str:
    return f"/{name}" if parent == "/" else f"{parent}/{name}"


# ---------------------------------------------------------------------------
# checks shared by several forms
# ---------------------------------------------------------------------------


#: fileio write-back: off here, on in targetcli — said in the form, with why (ClusterLabs resource-agents#2177
#: lost fsync'd writes on a node crash with targetcli's buffered default).
WRITE_BACK_HELP = ("off by default here, unlike targetcli (on): off, each write reaches the file before it is "
                   "acknowledged; on, writes are acknowledged from this host's page cache, and a crash or power "
                   "loss of this host loses them, even writes the client flushed")

#: authentication=0 does not mean "no CHAP": LIO offers AuthMethod=CHAP,None, so an initiator that offers CHAP
#: is still checked against the ACL's credentials.
NOT_REQUIRED_CHAP = ("This TPG does not require CHAP (authentication=0): an initiator that logs in without CHAP "
                     "gets in, but one that offers CHAP is still checked against these credentials by LIO.")


def _n(count: int, word: str) -> str:
    return words.plural(count, word)


def _lowest_free(used: Iterable[int], start: int = 0) -> int:
    taken = set(used)
    n = start
    while n in taken:
        n += 1
    return n


def _int(text: str, what: str, low: int, high: int) -> int:
    raw = text.strip()
    if not raw.isdigit():
        raise InvalidValue(f"{what} is a whole number from {low} to {high}.")
    value = int(raw)
    if not low <= value <= high:
        raise InvalidValue(f"{what} is a whole number from {low} to {high}.")
    return value


def _size(text: str) -> int:
    return parse_size(text)


def _new_so_name(config: SanConfig, plugin: str) -> Callable[[str], str]:
    def check(text: str) -> str:
        name = check_object_name(text, "backstore name")
        if config.storage_object((plugin, name)) is not None:
            raise InvalidValue(f"A {plugin} backstore named {name} exists already.")
        return name

    return check


def _serial(text: str) -> str:
    value = C._unit_serial(text)
    return value or ""


def _name_from_path(path: str) -> str:
    """A backstore name from a device path: its last component, unsafe characters as '-'."""
    base = path.rstrip("/").rsplit("/", 1)[-1]
    name = "".join(c if c.isalnum() or c in "_.:@+-" else "-" for c in base).lstrip(".-:@+")
    return name.replace("..", ".")[:64]


def _device_choices(devices: tuple[H.BlockDevice, ...], kind: str | None = None) -> tuple[Choice, ...]:
    """The picker's entries (of ``kind`` only, if given), refused ones dimmed with why (:func:`sanctl.host.facts.refusal`)."""
    return tuple(Choice(d.path, d.label(), H.note(d, devices), H.refusal(d, devices) is None)
                 for d in devices if kind is None or d.kind == kind)


def _device_check(ctx: Context, what: str) -> Callable[[str], str]:
    def check(text: str) -> str:
        path = C.check_dev_path(text, what)
        dev = H.find_device(ctx.devices, path)
        if dev is None and not H.device_exists(ctx.root, path, ctx.devices):
            where = "on this host" if ctx.root in ("", "/") else "here (the devices listed are the ones there are)"
            raise InvalidValue(f"There is no block device {path} {where}.")
        refused = H.refusal(dev, ctx.devices) if dev is not None else None
        if refused:  # the wizard's and the doctor's list: mounted, swap, held, a partition in use
            raise InvalidValue(refused)
        return path

    return check


def _chap_fields(auth: Auth | None, *, section: str, edit: bool) -> tuple[Field, ...]:
    """User name and secret, for the initiator and (mutual) the target; blank = none."""
    auth = auth or Auth()

    def user(text: str) -> str:
        if any(c.isspace() for c in text) or len(text) > 255:
            raise InvalidValue("A CHAP user name has no whitespace and at most 255 characters.")
        return text

    def secret(text: str) -> str:
        return C._secret(text, "CHAP secret")

    def original(value: str) -> str | None:
        return value if edit else None

    return (
        Field("userid", "CHAP user", default=auth.userid, check=user, required=False, section=section,
              original=original(auth.userid), help="the initiator's user name; blank: no CHAP"),
        Field("password", "CHAP secret", SECRET, default=auth.password.reveal(), check=secret, required=False,
              generate=generate_chap_secret, original=original(auth.password.reveal())),
        Field("mutual_userid", "Target user", default=auth.mutual_userid, check=user, required=False,
              original=original(auth.mutual_userid), help="mutual CHAP: the target's user name; blank: one-way"),
        Field("mutual_password", "Target secret", SECRET, default=auth.mutual_password.reveal(), check=secret,
              required=False, generate=generate_chap_secret, original=original(auth.mutual_password.reveal())),
    )


def _chap(values: dict[str, Any]) -> C.Chap:
    return C.Chap(values.get("userid") or "", values.get("password") or "",
                  values.get("mutual_userid") or "", values.get("mutual_password") or "")


def _chap_changed(values: dict[str, Any], auth: Auth | None) -> bool:
    auth = auth or Auth()
    now = (auth.userid, auth.password.reveal(), auth.mutual_userid, auth.mutual_password.reveal())
    return tuple(values.get(k) or "" for k in ("userid", "password", "mutual_userid", "mutual_password")) != now


def _chap_warnings(values: dict[str, Any]) -> list[str]:
    try:
        return _chap(values).warnings()
    except InvalidValue:
        return []


# ---------------------------------------------------------------------------
# a: add
# ---------------------------------------------------------------------------


def add_form(ctx: Context, node: Node) -> FormSpec | str:
    """The form adding a child of ``node``, or why nothing can be added there."""
    kind = node.kind
    if kind == "root":
        return _fabric_chooser(ctx, node)
    if kind == "backstores":
        return _backstore_chooser(ctx, node)
    if kind == "storage_object":
        so = node.obj
        if ctx.root and isinstance(so, StorageObject) and so.alua_groups is None:
            from sanctl.lio import configfs as cf

            so = cf.read_storage_object_details(ctx.root, so)
        return alua_group_form(ctx, so)  # type: ignore[arg-type]
    if kind == "plugin":
        return storage_object_form(ctx, str(node.obj), node.path)
    if kind == "fabric":  # each fabric adds its own kind of target (the loopback node: loopback ones), as targetcli
        return target_form(ctx, node.name, node.path)
    w = where(ctx.config, node)
    if kind == "target" and w.target is not None:
        return tpg_form(ctx, w.target, node.path)
    if kind == "tpg" and w.target is not None and w.tpg is not None:
        return _tpg_chooser(ctx, w, node.path)
    if kind == "acls" and w.target is not None and w.tpg is not None:
        return acl_form(ctx, w.target, w.tpg, node.path)
    if kind == "luns" and w.target is not None and w.tpg is not None:
        return lun_form(ctx, w.target, w.tpg, node.path)
    if kind == "portals" and w.target is not None and w.tpg is not None:
        return portal_form(ctx, w.target, w.tpg, node.path)
    if kind == "acl" and w.target is not None and w.tpg is not None and w.acl is not None:
        return mapped_lun_form(ctx, w.target, w.tpg, w.acl, node.path)
    what = {"lun": "a LUN", "mapped_lun": "a mapped LUN", "portal": "a portal"}.get(kind, kind)
    return f"Nothing can be added under {what}: select its parent list (backstores, luns, acls, portals) to add one."


#: What each fabric's target is, for the chooser on the root.
_FABRIC_NOTES = {"iscsi": "iSCSI over TCP/IP (iscsi_target_mod)",
                 "loopback": "local SCSI disks on this host (tcm_loop)"}
#: The fabrics sanctl's forms create targets in (the others need hardware WWNs).
CREATABLE_FABRICS = ("iscsi", "loopback")


def _fabric_chooser(ctx: Context, node: Node, default: str | None = None) -> FormSpec | str:
    """Which fabric a new target goes in (``a`` on a fabric node, or on the root)."""
    available = [f for f in CREATABLE_FABRICS if f in ctx.fabrics]
    if not available:
        return "This kernel has no fabric module sanctl can create targets in (iscsi_target_mod, tcm_loop)."
    loaded = {f.name for f in ctx.config.fabrics}
    choices = tuple(Choice(f, f, _FABRIC_NOTES[f] + ("" if f in loaded else "; loaded on first use"))
                    for f in available)

    base = "/" if node.kind == "fabric" else node.path

    def build(values: dict[str, Any]) -> FormSpec | str:
        if values["fabric"] not in available:
            return f"Targets cannot be created in '{values['fabric']}' here: choose {' or '.join(available)}."
        return target_form(ctx, values["fabric"], _join(base, values["fabric"]))

    first = default if default in available else available[0]
    return FormSpec("Add a target", (Field("fabric", "Fabric", SELECT, default=first, choices=choices),),
                    build, confirm="Next", intro="Which kind of target?")


def _backstore_chooser(ctx: Context, node: Node) -> FormSpec:
    plugins = ["block", "fileio", "pscsi", "ramdisk"] + (["user"] if ctx.tcmu else [])
    notes = {"block": "a block device (disk, partition, LV)", "fileio": "a file, created if missing",
             "pscsi": "SCSI pass-through of a device", "ramdisk": "memory, lost at reboot",
             "user": "a TCMU handler (tcmu-runner)"}
    choices = tuple(Choice(p, p, notes[p]) for p in plugins)

    def build(values: dict[str, Any]) -> FormSpec:
        return storage_object_form(ctx, values["plugin"], _join(node.path, values["plugin"]))

    return FormSpec("Add a backstore", (Field("plugin", "Type", SELECT, default="block", choices=choices),),
                    build, confirm="Next", intro="Which kind of backstore?")


def storage_object_form(ctx: Context, plugin: str, path: str) -> FormSpec | str:
    config = ctx.config
    name = Field("name", "Name", check=_new_so_name(config, plugin), placeholder="e.g. data1",
                 help="no '/', no '..', no spaces")
    serial = Field("wwn", "Unit serial", check=_serial, required=False, placeholder="generated if blank")
    expand = (path,)
    if plugin == "block":
        fields = (
            name,
            Field("dev", "Device", check=_device_check(ctx, "block device"), choices=_device_choices(ctx.devices),
                  placeholder="/dev/…, or pick one below", suggest=("name", _name_from_path)),
            Field("readonly", "Read-only", BOOL, default=False),
            Field("exclusive", "Exclusive", BOOL, default=True,
                  help="open the device exclusively (off: share it, Linux 6.17 or later)"),
            serial,
        )

        def build(v: dict[str, Any]) -> list[C.Change]:
            if not v["exclusive"] and ctx.kernel is not None and ctx.kernel < C.SHARED_BLOCK_KERNEL:
                raise InvalidValue(f"This kernel ({ctx.kernel[0]}.{ctx.kernel[1]}) always opens a block device "
                                   "exclusively: sharing it needs Linux 6.17 or later.")
            return [C.CreateBlock(v["name"], v["dev"], readonly=v["readonly"], wwn=v["wwn"] or None,
                                  exclusive=v["exclusive"])]

        return FormSpec("Add a block backstore", fields, build, expand=expand,
                        intro="Export a disk, partition or logical volume.")
    if plugin == "fileio":
        fields = (
            name,
            Field("file", "File", check=lambda t: C.check_dev_path(t, "file"), placeholder="/srv/iscsi/data1.img",
                  help="created if missing; an existing file keeps its size"),
            Field("size", "Size", check=_size, required=False, placeholder="e.g. 100M, 1.5G, 2T"),
            Field("write_back", "Write-back cache", BOOL, default=False, help=WRITE_BACK_HELP),
            Field("sparse", "Sparse file", BOOL, default=True, help="allocate space as it is written"),
            Field("aio", "Async I/O", BOOL, default=False, help="submit I/O asynchronously (fd_async_io)"),
            serial,
        )

        def build(v: dict[str, Any]) -> list[C.Change]:
            kind = ctx.backing(v["file"])[0] if ctx.backing is not None else "missing"
            if kind == "other":
                raise InvalidValue(f"{v['file']} is neither a file nor a block device.")
            if kind == "missing" and v["size"] is None:
                raise InvalidValue(f"{v['file']} does not exist yet: give a size to create it.")
            size = v["size"] if kind == "missing" else None
            return [C.CreateFileio(v["name"], v["file"], size, write_back=v["write_back"], sparse=v["sparse"],
                                   wwn=v["wwn"] or None, aio=v["aio"])]

        def warnings(v: dict[str, Any]) -> list[str]:
            out = []
            if v.get("write_back"):
                out.append("Write-back: writes are acknowledged before they reach the disk; a crash of this "
                           "host loses them.")
            kind = ctx.backing(v["file"])[0] if ctx.backing is not None and v.get("file") else "missing"
            if kind == "file" and v.get("size"):
                out.append("The file exists: its own size is used, not the size given.")
            return out

        return FormSpec("Add a fileio backstore", fields, build, warnings=warnings, expand=expand,
                        intro="A file (or block device) used through the page cache or directly.")
    if plugin == "ramdisk":
        fields = (
            name,
            Field("size", "Size", check=_size, placeholder="e.g. 1G"),
            Field("nullio", "Null I/O", BOOL, default=False, help="discard writes, read zeros (benchmarks)"),
            serial,
        )

        def build(v: dict[str, Any]) -> list[C.Change]:
            return [C.CreateRamdisk(v["name"], v["size"], nullio=v["nullio"], wwn=v["wwn"] or None)]

        return FormSpec("Add a ramdisk backstore", fields, build, expand=expand,
                        intro="Memory-backed: its data is lost when the target stops.")
    if plugin == "pscsi":
        fields = (
            name,
            Field("dev", "SCSI device", check=_device_check(ctx, "SCSI device"),
                  choices=_device_choices(ctx.devices, "disk"), placeholder="/dev/sdX"),
        )

        def build(v: dict[str, Any]) -> list[C.Change]:
            return [C.CreatePscsi(v["name"], v["dev"])]

        return FormSpec("Add a pscsi backstore", fields, build, expand=expand,
                        intro="Pass a SCSI device through, commands and all.")
    if plugin == "user":
        if not ctx.tcmu:
            return ("This kernel has no TCMU (target_core_user is not loaded): user backstores need it and "
                    "tcmu-runner.")

        def handler(text: str) -> str:
            if not C._HANDLER.match(text):
                raise InvalidValue("A TCMU handler name is lower-case letters, digits and '_' (e.g. rbd, file).")
            return text

        fields = (
            name,
            Field("handler", "Handler", check=handler, placeholder="e.g. rbd, file, qcow"),
            Field("cfgstring", "Config string", placeholder="handler-specific, e.g. pool/image"),
            Field("size", "Size", check=_size, placeholder="e.g. 10G"),
            serial,
        )

        def build(v: dict[str, Any]) -> list[C.Change]:
            return [C.CreateUser(v["name"], v["handler"], v["cfgstring"], v["size"], wwn=v["wwn"] or None)]

        return FormSpec("Add a user (TCMU) backstore", fields, build, expand=expand)
    return f"sanctl cannot create {plugin} backstores."


def _wwn_check(config: SanConfig, fabric: str) -> Callable[[str], str]:
    def check(text: str) -> str:
        wwn = C.check_wwn(fabric, text)
        fab = config.fabric(fabric)
        if fab is not None and any(t.wwn == wwn for t in fab.targets):
            raise InvalidValue(f"Target {wwn} exists already.")
        return wwn

    return check


def _generator(ctx: Context, fabric: str) -> Callable[[], str]:
    if fabric == "iscsi":
        return lambda: generate_iqn(hostname=ctx.host)
    return lambda: C.generate_wwn(fabric)


def target_form(ctx: Context, fabric: str, path: str) -> FormSpec:
    generate = _generator(ctx, fabric)
    fields: list[Field] = [
        Field("wwn", "Target name" if fabric != "iscsi" else "Target IQN", default=generate(),
              check=_wwn_check(ctx.config, fabric), generate=generate,
              help="iqn.YYYY-MM.reversed.domain:name (or eui./naa.)" if fabric == "iscsi"
        else "naa. and 16 hexadecimal digits" if fabric in C.NEXUS_FABRICS else ""),
    ]
    tpgs = fabric in C.TPGTS_FABRICS or fabric in C.NEXUS_FABRICS
    if tpgs:
        fields.append(Field("tpg", "Create TPG 1", BOOL, default=True, section="As targetcli would",
                            help="a target needs a TPG for LUNs, ACLs and portals" if fabric in C.TPGTS_FABRICS
                            else "with its nexus: the local initiator its LUNs appear to"))
    if fabric == "iscsi":
        fields += [
            Field("authentication", "Require CHAP", BOOL, default=False,
                  help="authentication=1: initiators must log in with CHAP"),
            Field("portal", "Portal address", default=_default_portal(ctx.config),
                  check=check_portal_address, required=False,
                  choices=tuple(Choice(a, a) for a in ctx.addresses), help="blank: no portal yet"),
            Field("port", "Port", default="3260", check=check_port),
            Field("enable", "Enable TPG 1", BOOL, default=True),
        ]

    def build(v: dict[str, Any]) -> list[C.Change]:
        first = C.CreateTarget(v["wwn"], fabric)
        out: list[C.Change] = [first]
        if tpgs and v.get("tpg"):
            out.append(C.CreateTpg(first.target, 1, fabric=fabric))
            if fabric == "iscsi":
                out.append(C.SetTpgAttribute(first.target, 1, "authentication", int(v["authentication"])))
                if v.get("portal"):
                    out.append(C.CreatePortal(first.target, 1, v["portal"], v["port"]))
                if v.get("enable"):
                    out.append(C.SetTpgEnabled(first.target, 1, True))
        return out

    def warnings(v: dict[str, Any]) -> list[str]:
        portal, port = v.get("portal"), v.get("port")
        if portal and port and v.get("tpg"):
            clash = portal_conflict(ctx.config, "", None, portal, port)
            return [clash] if clash else []
        return []

    intro = ("Its LUNs appear as SCSI disks of this host (lsblk shows them)." if fabric == "loopback" else "")
    return FormSpec(f"Add a{'n' if fabric == 'iscsi' else ''} {fabric} target", tuple(fields), build,
                    warnings=warnings, expand=(path,), intro=intro)


def _listeners(config: SanConfig) -> set[tuple[str, int]]:
    return {(p.ip_address, p.port) for t in config.targets for tpg in t.tpgs for p in tpg.portals}


def _overlap(a: str, b: str) -> bool:
    """Whether two different listen addresses collide on one port (a wildcard covers its family)."""
    if a == b:
        return False  # the same address and port is one listener, shared by the targets using it
    v6 = {a.startswith("["), b.startswith("[")}
    if "[::0]" in (a, b):
        return True  # [::0] takes IPv4 too, unless IPV6_V6ONLY
    if "0.0.0.0" in (a, b):
        return v6 == {False}
    return False


def portal_conflict(config: SanConfig, wwn: str, tag: int | None, address: str, port: int) -> str | None:
    """Why the kernel will refuse a listener on ``address:port`` for a TPG of ``wwn``, if it will."""
    for target in config.targets:
        for tpg in target.tpgs:
            for p in tpg.portals:
                if p.port != port:
                    continue
                if target.wwn == wwn and tpg.tag != tag and p.ip_address == address:
                    return (f"tpg{tpg.tag} of this target listens on {p.label} already: TPGs of one target "
                            "cannot share an address and port.")
                if _overlap(p.ip_address, address):
                    return (f"{target.wwn}/tpg{tpg.tag} listens on {p.label}: the kernel cannot also bind "
                            f"{address}:{port} (address in use).")
    return None


def _default_portal(config: SanConfig, port: int = 3260) -> str:
    """Share an existing wildcard listener on the port, or targetcli's default."""
    used = {a for a, p in _listeners(config) if p == port}
    for wildcard in ("0.0.0.0", C.DEFAULT_PORTAL):
        if wildcard in used:
            return wildcard
    return C.DEFAULT_PORTAL


def tpg_form(ctx: Context, target: Target, path: str) -> FormSpec:
    used = {t.tag for t in target.tpgs}
    free = _lowest_free(used, 1)

    def tag(text: str) -> int:
        value = _int(text, "A TPG tag", 1, C.MAX_TAG)
        if value in used:
            raise InvalidValue(f"tpg{value} exists already.")
        return value

    fields = [Field("tag", "Tag", default=str(free), check=tag, help=f"tpg{free} is the lowest free one")]
    if target.fabric == "iscsi":
        fields.append(Field("authentication", "Require CHAP", BOOL, default=False))
    fields.append(Field("enable", "Enable", BOOL, default=True, help="a disabled TPG refuses logins"))

    def build(v: dict[str, Any]) -> list[C.Change]:
        out: list[C.Change] = [C.CreateTpg(target.wwn, v["tag"], fabric=target.fabric)]
        if target.fabric == "iscsi":
            out.append(C.SetTpgAttribute(target.wwn, v["tag"], "authentication", int(v["authentication"])))
        if v["enable"]:
            out.append(C.SetTpgEnabled(target.wwn, v["tag"], True, fabric=target.fabric))
        return out

    return FormSpec(f"Add a TPG to {target.wwn}", tuple(fields), build, expand=(path,))


def _tpg_chooser(ctx: Context, w: Where, path: str) -> FormSpec:
    target, tpg = w.target, w.tpg
    assert target is not None and tpg is not None
    kinds = [Choice("luns", "LUN", "export a backstore")]
    if target.fabric in C.ACL_FABRICS:
        kinds.append(Choice("acls", "ACL", "allow an initiator"))
    if target.fabric == "iscsi":
        kinds.append(Choice("portals", "portal", "listen on an address"))

    def build(v: dict[str, Any]) -> FormSpec | str:
        sub = _join(path, v["what"])
        if v["what"] == "luns":
            return lun_form(ctx, target, tpg, sub)
        if v["what"] == "acls":
            return acl_form(ctx, target, tpg, sub)
        return portal_form(ctx, target, tpg, sub)

    return FormSpec(f"Add to tpg{tpg.tag}", (Field("what", "Add a", SELECT, default="luns", choices=tuple(kinds)),),
                    build, confirm="Next")


def acl_form(ctx: Context, target: Target, tpg: Tpg, path: str) -> FormSpec | str:
    fabric = target.fabric
    if fabric not in C.ACL_FABRICS:
        return (f"A {fabric} TPG has no ACLs: its nexus is its only initiator." if fabric in C.NEXUS_FABRICS
                else f"A {fabric} TPG has no ACLs.")
    existing = {a.node_wwn for a in tpg.acls}

    def initiator(text: str) -> str:
        wwn = C.check_wwn(fabric, text)
        if wwn in existing:
            raise InvalidValue(f"{wwn} has an ACL in this TPG already.")
        return wwn

    def tag(text: str) -> str | None:
        return C._check_acl_tag(text)

    generate = (lambda: generate_iqn("initiator", hostname=ctx.host)) if fabric == "iscsi" else (
        lambda: C.generate_wwn(fabric))
    fields: list[Field] = [
        Field("initiator", "Initiator name", check=initiator, generate=generate, placeholder="iqn.…",
              help="the initiator's name: /etc/iscsi/initiatorname.iscsi on a Linux host"),
        Field("acl_tag", "Tag", check=tag, required=False, placeholder="optional group name"),
    ]
    if tpg.luns:  # none yet: nothing to map
        fields.append(Field("map_all", f"Map {words.every(len(tpg.luns), 'LUN')}", BOOL, default=True,
                            help="each TPG LUN as the same LUN number"))
    if fabric == "iscsi":
        fields += _chap_fields(None, section="CHAP (blank: none)", edit=False)

    def build(v: dict[str, Any]) -> list[C.Change]:
        out: list[C.Change] = [C.CreateAcl(target.wwn, tpg.tag, v["initiator"], map_all_luns=bool(v.get("map_all")),
                                           acl_tag=v["acl_tag"], fabric=fabric)]
        if fabric == "iscsi":
            chap = _chap(v)
            if chap.enabled:
                out.append(C.SetAclAuth(target.wwn, tpg.tag, v["initiator"], chap))
        return out

    def warnings(v: dict[str, Any]) -> list[str]:
        out = _chap_warnings(v) if fabric == "iscsi" else []
        if fabric == "iscsi" and v.get("userid") and not tpg.authentication:
            out.append(NOT_REQUIRED_CHAP)
        if tpg.demo_mode:
            out.append("This TPG is in demo mode (generate_node_acls=1): any initiator may log in, and CHAP "
                       "uses the TPG's credentials, not the ACL's.")
        return out

    return FormSpec(f"Add an ACL to tpg{tpg.tag}", tuple(fields), build, warnings=warnings, expand=(path,))


def _so_choices(config: SanConfig, tpg: Tpg) -> tuple[Choice, ...]:
    here = {lun.storage_object: lun.index for lun in tpg.luns if lun.storage_object is not None}
    out = []
    for so in sorted(config.storage_objects, key=lambda s: (s.plugin, s.name)):
        note = f"already LUN {here[so.key]} here" if so.key in here else (so.dev or human_size(so.size))
        out.append(Choice(f"{so.plugin}/{so.name}", f"{so.plugin}/{so.name}", note, so.key not in here))
    return tuple(out)


def lun_form(ctx: Context, target: Target, tpg: Tpg, path: str) -> FormSpec | str:
    config = ctx.config
    if not config.storage_objects:
        return "There is no backstore to export yet: add one under backstores first."
    used = {lun.index for lun in tpg.luns}
    here = {lun.storage_object: lun.index for lun in tpg.luns if lun.storage_object is not None}
    free = _lowest_free(used)

    def so(value: str) -> tuple[str, str]:
        plugin, _, name = str(value).partition("/")
        key = (plugin, name)
        if config.storage_object(key) is None:
            raise InvalidValue(f"There is no backstore {value}.")
        if key in here:
            raise InvalidValue(f"{value} is exported by this TPG already, as LUN {here[key]}.")
        return key

    def index(text: str) -> int:
        value = _int(text, "A LUN number", 0, C.MAX_LUN)
        if value in used:
            raise InvalidValue(f"LUN {value} exists already.")
        return value

    choices = _so_choices(config, tpg)
    first = next((c.value for c in choices if c.ok), "")
    fields: list[Field] = [
        Field("storage_object", "Backstore", SELECT, default=first, check=so, choices=choices),
        Field("index", "LUN number", check=index, required=False, placeholder=f"blank: lowest free ({free})"),
        Field("alias", "Alias", check=lambda t: C._alias(t.strip(), "LUN alias"), required=False,
              placeholder="generated if blank", help="the name of the LUN's link to its backstore"),
    ]
    acl_fabric = target.fabric in C.ACL_FABRICS
    if acl_fabric and tpg.acls:  # no ACL yet: nothing to map to
        fields.append(Field("map", f"Map to {words.every(len(tpg.acls), 'ACL')}", BOOL, default=True,
                            help="every ACL of this TPG sees it (targetcli's auto_add_mapped_luns)"))

    def build(v: dict[str, Any]) -> list[C.Change]:
        return [C.CreateLun(target.wwn, tpg.tag, v["storage_object"], v["index"], alias=v["alias"],
                            map_to_acls=bool(v.get("map")) if acl_fabric else False, fabric=target.fabric)]

    return FormSpec(f"Add a LUN to tpg{tpg.tag}", tuple(fields), build, expand=(path,))


def mapped_lun_form(ctx: Context, target: Target, tpg: Tpg, acl: NodeAcl, path: str) -> FormSpec | str:
    if not tpg.luns:
        return "This TPG has no LUN to map yet: add one under luns first."
    used = {m.index for m in acl.mapped_luns}
    mapped = {m.tpg_lun: m.index for m in acl.mapped_luns}
    luns = sorted(tpg.luns, key=lambda lun: lun.index)
    choices = tuple(
        Choice(str(lun.index), f"lun{lun.index}", (f"mapped as {mapped[lun.index]} already; "
                                                   if lun.index in mapped else "")
               + (f"{lun.storage_object[0]}/{lun.storage_object[1]}" if lun.storage_object else "broken link"),
               lun.index not in mapped)
        for lun in luns
    )
    first = next((c for c in choices if c.ok), choices[0])
    free = _lowest_free(used)

    def index(text: str) -> int:
        value = _int(text, "A mapped LUN number", 0, C.MAX_LUN)
        if value in used:
            raise InvalidValue(f"The initiator sees a LUN {value} already.")
        return value

    def tpg_lun(value: str) -> int:
        number = _int(str(value), "A TPG LUN", 0, C.MAX_LUN)
        if number not in {lun.index for lun in luns}:
            raise InvalidValue(f"This TPG has no LUN {number}.")
        return number

    default_index = first.value if int(first.value) not in used else str(free)
    fields = (
        Field("tpg_lun", "TPG LUN", SELECT, default=first.value, check=tpg_lun, choices=choices),
        Field("index", "Seen as LUN", default=default_index, check=index,
              help=f"the number the initiator sees; lowest free: {free}"),
        Field("write_protect", "Write-protect", BOOL, default=False, help="the initiator may only read"),
    )

    def build(v: dict[str, Any]) -> list[C.Change]:
        return [C.CreateMappedLun(target.wwn, tpg.tag, acl.node_wwn, v["index"], v["tpg_lun"],
                                  write_protect=v["write_protect"], fabric=target.fabric)]

    def warnings(v: dict[str, Any]) -> list[str]:
        n = v.get("tpg_lun")
        if n in mapped:
            return [f"This initiator sees TPG LUN {n} already, as LUN {mapped[n]}: two paths to one disk."]
        return []

    return FormSpec(f"Map a LUN to {acl.node_wwn}", fields, build, warnings=warnings, expand=(path,))


def portal_form(ctx: Context, target: Target, tpg: Tpg, path: str) -> FormSpec:
    mine = {(p.ip_address, p.port) for p in tpg.portals}

    def build(v: dict[str, Any]) -> list[C.Change]:
        if (v["address"], v["port"]) in mine:
            raise InvalidValue(f"This TPG listens on {v['address']}:{v['port']} already.")
        return [C.CreatePortal(target.wwn, tpg.tag, v["address"], v["port"], iser=v["iser"], offload=v["offload"])]

    def warnings(v: dict[str, Any]) -> list[str]:
        address, port = v.get("address"), v.get("port")
        out = []
        clash = portal_conflict(ctx.config, target.wwn, tpg.tag, address, port) if address and port else None
        if clash:
            out.append(clash)
        if address and address not in ctx.addresses:
            out.append(f"{address} is not an address of this host: the kernel accepts it, but nothing can "
                       "connect.")
        return out

    candidates = [_default_portal(ctx.config), *ctx.addresses]
    default = next((a for a in candidates if (a, 3260) not in mine
                    and portal_conflict(ctx.config, target.wwn, tpg.tag, a, 3260) is None), candidates[0])
    fields = (
        Field("address", "Address", default=default, check=check_portal_address,
              choices=tuple(Choice(a, a, "all addresses" if a in H.WILDCARDS else "") for a in ctx.addresses),
              help="IPv6 in brackets; [::0] listens on IPv4 and IPv6"),
        Field("port", "Port", default="3260", check=check_port),
        Field("iser", "iSER", BOOL, default=False, help="iSCSI over RDMA (needs an RDMA NIC)"),
        Field("offload", "Offload", BOOL, default=False, help="Chelsio iSCSI offload (cxgbit)"),
    )
    return FormSpec(f"Add a portal to tpg{tpg.tag}", fields, build, warnings=warnings, expand=(path,))


# ---------------------------------------------------------------------------
# e: edit
# ---------------------------------------------------------------------------


def edit_form(ctx: Context, node: Node) -> FormSpec | str:
    """The form editing ``node``, or why there is nothing to edit."""
    from sanctl.lio import configfs as cf

    kind = node.kind
    config, root = ctx.config, ctx.root
    if kind == "storage_object":
        so = cf.read_storage_object_details(root, node.obj)  # type: ignore[arg-type]
        if cf.alua_supported(so) and so.alua_groups:
            return _storage_object_chooser(ctx, so)
        return storage_object_edit(so)
    if kind == "fabric":
        if node.name != "iscsi":
            return f"The {node.name} fabric has no settings sanctl can change."
        fabric = config.fabric("iscsi")
        return discovery_edit(fabric.discovery_auth if fabric is not None else None)
    w = where(config, node)
    if kind == "tpg" and w.target is not None and w.tpg is not None:
        return tpg_edit(w.target, cf.read_tpg_details(root, w.tpg))
    if kind == "acl" and w.target is not None and w.tpg is not None and w.acl is not None:
        return acl_edit(w.target, w.tpg, cf.read_acl_details(root, w.acl))
    if kind == "mapped_lun" and w.target is not None and w.tpg is not None and w.acl is not None:
        return mapped_lun_edit(w.target, w.tpg, w.acl, node.obj)  # type: ignore[arg-type]
    if kind == "portal" and w.target is not None and w.tpg is not None:
        return portal_edit(w.target, w.tpg, node.obj)  # type: ignore[arg-type]
    if kind == "lun" and w.target is not None and w.tpg is not None:
        lun = node.obj
        so = config.storage_object(lun.storage_object)  # type: ignore[attr-defined]
        if so is not None:
            so = cf.read_storage_object_details(root, so)
            lun = cf.read_lun_details(root, lun, so)  # type: ignore[arg-type]
        return lun_edit(w.target, w.tpg, lun, so)  # type: ignore[arg-type]
    return {
        "target": "A target has nothing to edit (there is no rename: delete it and create another); "
                  "edit its TPG.",
    }.get(kind, "Nothing to edit here: select a backstore, TPG, ACL, mapped LUN, portal or the iscsi fabric.")


def _setting_fields(settings: Settings | None, *, section: str, make: Callable[[str, str], C.Change],
                    ranges: dict[str, tuple[int, int]] | None = None) -> tuple[Field, ...]:
    """A field per writable setting; 0-1 settings are checkboxes. ``make(name, value)`` validates."""
    out: list[Field] = []
    first = True
    for s in settings or ():
        if not s.writable or s.value is None or s.unreadable:
            continue
        if ranges is not None and ranges.get(s.name) == _FLAG and s.value in ("0", "1"):
            out.append(Field(s.name, s.name, BOOL, default=s.value == "1", original=s.value == "1",
                             section=section if first else ""))
        else:
            numeric = s.value.lstrip("-").isdigit()

            def check(text: str, _name: str = s.name, _numeric: bool = numeric) -> str:
                if _numeric and not text.strip().lstrip("-").isdigit():
                    raise InvalidValue(f"{_name} takes a whole number, not '{text.strip()}'.")
                return str(getattr(make(_name, text), "value"))

            out.append(Field(s.name, s.name, default=s.value, check=check, original=s.value,
                             section=section if first else ""))
        first = False
    return tuple(out)


def _changed_settings(fields: Iterable[Field], values: dict[str, Any], make: Callable[..., C.Change]) -> list[C.Change]:
    out = []
    for f in fields:
        value = values.get(f.name)
        if value is None or value == f.original:
            continue
        if f.kind == BOOL:
            out.append(make(f.name, int(value), "1" if f.original else "0"))
        else:
            out.append(make(f.name, value, f.original))
    return out


def storage_object_edit(so: StorageObject) -> FormSpec | str:
    def make(name: str, value: Any, expect: str | None = None) -> C.Change:
        return C.SetStorageObjectAttribute(so.plugin, so.name, name, value, expect=expect)

    ranges = {name: _FLAG for name in _SO_FLAGS}
    fields = _setting_fields(so.attributes, section="Attributes", make=make, ranges=ranges)
    if not fields:
        return f"Backstore {so.plugin}/{so.name} has no attribute that can be written."

    def build(v: dict[str, Any]) -> list[C.Change]:
        return _changed_settings(fields, v, make)

    return FormSpec(f"Edit backstore {so.plugin}/{so.name}", fields, build, confirm="Apply",
                    intro="Attributes the kernel accepts only while the backstore is not exported "
                          "(block_size) are refused with the reason.")


# ---------------------------------------------------------------------------
# ALUA target port groups (a on a backstore adds one, e on it picks one)
# ---------------------------------------------------------------------------


def _alua_state_choices() -> tuple[Choice, ...]:
    return tuple(Choice(str(n), f"{n} {name}") for n, name in C.ALUA_STATES.items())


def _alua_summary(group) -> str:
    state = group.settings.value("alua_access_state")
    name = C.ALUA_STATES.get(int(state), "?") if state and state.isdigit() else "?"
    return f"id {group.tg_pt_gp_id}, {name}"


def alua_group_form(ctx: Context, so: StorageObject) -> FormSpec | str:
    """``a`` on a backstore: a new ALUA target port group with its id, state and type."""
    from sanctl.lio import configfs as cf

    if so.alua_groups is None or not cf.alua_supported(so):
        return (f"Backstore {so.plugin}/{so.name} passes ALUA through to its device (alua_support=0): "
                "it has no ALUA groups. Nothing else can be added under a backstore.")
    names = {g.name for g in so.alua_groups}
    ids = {g.tg_pt_gp_id for g in so.alua_groups if g.tg_pt_gp_id}
    free = _lowest_free(ids, 1)

    def name(text: str) -> str:
        value = C.check_alua_group_name(text, new=True)
        if value in names:
            raise InvalidValue(f"{so.plugin}/{so.name} has an ALUA group {value} already.")
        return value

    def gid(text: str) -> int:
        value = _int(text, "A group id", 1, 65535)
        if value in ids:
            raise InvalidValue(f"Another ALUA group of {so.plugin}/{so.name} has id {value}.")
        return value

    fields = (
        Field("group", "Name", check=name, placeholder="e.g. site_b", help="letters, digits and _ . : -"),
        Field("tg_pt_gp_id", "Group id", default=str(free), check=gid, help=f"1-65535; {free} is free"),
        Field("alua_access_state", "Access state", SELECT, default="0", choices=_alua_state_choices()),
        Field("alua_access_type", "Access type", SELECT, default="3",
              choices=tuple(Choice(str(i), t) for i, t in enumerate(C.ALUA_TYPES))),
        Field("preferred", "Preferred", BOOL, default=False, help="report this group as the preferred path"),
    )

    def build(v: dict[str, Any]) -> list[C.Change]:
        out: list[C.Change] = [C.CreateAluaGroup(so.plugin, so.name, v["group"], v["tg_pt_gp_id"])]
        if v["alua_access_state"] != "0":
            out.append(C.SetAluaGroupParameter(so.plugin, so.name, v["group"], "alua_access_state",
                                               v["alua_access_state"]))
        if v["alua_access_type"] != "3":
            out.append(C.SetAluaGroupParameter(so.plugin, so.name, v["group"], "alua_access_type",
                                               v["alua_access_type"]))
        if v["preferred"]:
            out.append(C.SetAluaGroupParameter(so.plugin, so.name, v["group"], "preferred", 1))
        return out

    def warnings(v: dict[str, Any]) -> list[str]:
        if v.get("alua_access_state") not in (None, "0") and v.get("alua_access_type") in ("0", "2"):
            return ["The kernel changes the state only with implicit ALUA: the state is set before the type."]
        return []

    return FormSpec(f"Add an ALUA group to {so.plugin}/{so.name}", fields, build, warnings=warnings,
                    intro="A target port group: LUNs of this backstore join it from their own edit form (e).")


def _storage_object_chooser(ctx: Context, so: StorageObject) -> FormSpec:
    choices = [Choice("attributes", "attributes", "the backstore's attrib/ settings")]
    choices += [Choice(f"alua:{g.name}", f"ALUA group {g.name}", _alua_summary(g)) for g in so.alua_groups or ()]

    def build(v: dict[str, Any]) -> FormSpec | str:
        if v["what"] == "attributes":
            return storage_object_edit(so)
        group = next((g for g in so.alua_groups or () if f"alua:{g.name}" == v["what"]), None)
        if group is None:
            return f"{so.plugin}/{so.name} has no ALUA group '{v['what']}'."
        return alua_group_edit(ctx, so, group)

    return FormSpec(f"Edit backstore {so.plugin}/{so.name}",
                    (Field("what", "Edit", SELECT, default="attributes", choices=tuple(choices)),),
                    build, confirm="Next")


def alua_group_edit(ctx: Context, so: StorageObject, group) -> FormSpec:
    """An ALUA group's parameters; a group sanctl may delete has a 'Delete this group' switch."""
    settings = group.settings

    def original(param: str) -> str | None:
        raw = settings.value(param)
        if raw is None:
            return None
        try:
            return str(C.alua_number(param, raw))
        except InvalidValue:
            return None

    def make(param: str, value: Any, expect: str | None = None) -> C.Change:
        return C.SetAluaGroupParameter(so.plugin, so.name, group.name, param, value, expect=expect)

    fields: list[Field] = []
    selects = {"alua_access_state": _alua_state_choices(),
               "alua_access_type": tuple(Choice(str(i), t) for i, t in enumerate(C.ALUA_TYPES)),
               "alua_access_status": tuple(Choice(str(i), t) for i, t in enumerate(C.ALUA_STATUSES))}
    for param in C.ALUA_PARAMS:
        value = original(param)
        if value is None:
            continue
        section = "ALUA group" if not fields else ""
        low, high = C.ALUA_PARAM_RANGE[param]
        if param in selects:
            fields.append(Field(param, param, SELECT, default=value, original=value, choices=selects[param],
                                section=section))
        elif (low, high) == _FLAG:
            fields.append(Field(param, param, BOOL, default=value == "1", original=value == "1", section=section))
        else:
            fields.append(Field(param, param, default=value, original=value, section=section,
                                check=lambda t, _p=param: str(make(_p, t.strip()).value)))
    deletable = group.name != C.DEFAULT_ALUA_GROUP
    if deletable:
        fields.append(Field("delete", "Delete this group", BOOL, default=False, section="Delete",
                            help=f"its LUNs return to {C.DEFAULT_ALUA_GROUP}"))
    members = [f"{t.wwn}/tpg{tpg.tag}/lun{lun.index}" for t, tpg, lun in ctx.config.users_of(so.key)]

    def build(v: dict[str, Any]) -> list[C.Change]:
        if deletable and v.get("delete"):
            return [C.DeleteAluaGroup(so.plugin, so.name, group.name)]
        out = []
        for f in fields:
            if f.name == "delete":
                continue
            value = v.get(f.name)
            if f.kind == BOOL:
                if value != f.original:
                    out.append(make(f.name, int(value), "1" if f.original else "0"))
            elif value is not None and str(value) != str(f.original):
                out.append(make(f.name, value, f.original))
        # the state needs implicit ALUA: change the type last when it removes implicit
        out.sort(key=lambda c: c.parameter == "alua_access_type" and c.value in ("0", "2"))
        return out

    def warnings(v: dict[str, Any]) -> list[str]:
        out = []
        if deletable and v.get("delete"):
            out.append(f"Deleting {group.name}: every LUN in it returns to {C.DEFAULT_ALUA_GROUP}"
                       + (f" (LUNs of this backstore: {', '.join(members)})." if members else "."))
        if v.get("alua_access_state") in ("2", "3", "14") and members:
            out.append("Initiators using the LUNs of this group lose access through it (standby, unavailable "
                       "or offline).")
        return out

    return FormSpec(f"Edit ALUA group {group.name} of {so.plugin}/{so.name}", tuple(fields), build,
                    confirm="Apply", warnings=warnings)


def lun_edit(target: Target, tpg: Tpg, lun, so: StorageObject | None) -> FormSpec | str:
    """A LUN's ALUA group: which target port group of its backstore it is in."""
    from sanctl.lio import configfs as cf

    if so is None:
        return "This LUN's link to its backstore is broken: delete it and add the LUN again."
    if not cf.alua_supported(so) or lun.alua_tg_pt_gp_name is None:
        return (f"A LUN has nothing else to edit: its backstore {so.plugin}/{so.name} passes ALUA through. "
                "To export another backstore, delete it and add a LUN.")
    groups = [g for g in so.alua_groups or () if g.name == C.DEFAULT_ALUA_GROUP or g.tg_pt_gp_id]
    choices = tuple(Choice(g.name, g.name, _alua_summary(g)) for g in groups)
    current = lun.alua_tg_pt_gp_name
    field = Field("group", "ALUA group", SELECT, default=current, original=current, choices=choices,
                  help=f"groups of {so.plugin}/{so.name}; a on the backstore adds one")

    def build(v: dict[str, Any]) -> list[C.Change]:
        if v["group"] == current:
            return []
        if v["group"] not in {g.name for g in groups}:
            raise InvalidValue(f"{so.plugin}/{so.name} has no ALUA group '{v['group']}' with an id.")
        return [C.SetLunAluaGroup(target.wwn, tpg.tag, lun.index, v["group"], fabric=target.fabric,
                                  expect=current)]

    return FormSpec(f"Edit LUN {lun.index} of {target.wwn}/tpg{tpg.tag}", (field,), build, confirm="Apply")


#: Storage-object attributes that are on/off switches.
_SO_FLAGS = frozenset({
    "emulate_3pc", "emulate_caw", "emulate_dpo", "emulate_fua_read", "emulate_fua_write", "emulate_model_alias",
    "emulate_pr", "emulate_rest_reord", "emulate_tas", "emulate_tpu", "emulate_tpws", "emulate_write_cache",
    "enforce_pr_isids", "force_pr_aptpl", "is_nonrot", "unmap_zeroes_data",
})


def tpg_edit(target: Target, tpg: Tpg) -> FormSpec:
    from sanctl.lio.attributes import TPG_ATTRIB_RANGE

    wwn, tag, fabric = target.wwn, tpg.tag, target.fabric
    enable = Field("enabled", "Enabled", BOOL, default=tpg.enabled, original=tpg.enabled, section="State",
                   help="disabling drops its sessions and refuses logins")

    def attr(name: str, value: Any, expect: str | None = None) -> C.Change:
        return C.SetTpgAttribute(wwn, tag, name, value, fabric=fabric, expect=expect)

    def param(name: str, value: Any, expect: str | None = None) -> C.Change:
        return C.SetTpgParameter(wwn, tag, name, value, fabric=fabric, expect=expect)

    attrs = _setting_fields(tpg.attributes, section="Attributes", make=attr,
                            ranges=TPG_ATTRIB_RANGE if fabric == "iscsi" else {})
    params = _setting_fields(tpg.parameters, section="Parameters", make=param)
    chap = _chap_fields(tpg.auth, section="TPG-wide CHAP (demo mode only)", edit=True) if (
        fabric == "iscsi" and tpg.auth is not None) else ()

    switch = fabric not in C.NEXUS_FABRICS  # a loopback TPG has no enable switch
    head = (enable,) if switch else ()

    def build(v: dict[str, Any]) -> list[C.Change]:
        out: list[C.Change] = []
        if v.get("enabled") is False and tpg.enabled:
            out.append(C.SetTpgEnabled(wwn, tag, False, fabric=fabric, expect=tpg.enabled))
        out += _changed_settings(attrs, v, attr)
        out += _changed_settings(params, v, param)
        if chap and _chap_changed(v, tpg.auth):
            out.append(C.SetTpgAuth(wwn, tag, _chap(v), fabric=fabric, expect=C.chap_of(tpg.auth)))
        if v.get("enabled") is True and not tpg.enabled:
            out.append(C.SetTpgEnabled(wwn, tag, True, fabric=fabric, expect=tpg.enabled))
        return out

    def warnings(v: dict[str, Any]) -> list[str]:
        out = _chap_warnings(v) if chap and _chap_changed(v, tpg.auth) else []
        if v.get("generate_node_acls") is True and v.get("demo_mode_write_protect") is True:
            out.append("Demo mode with demo_mode_write_protect: every initiator sees the LUNs read-only.")
        if v.get("enabled") is False and tpg.enabled:
            out.append("Disabling drops every session of this TPG now.")
        return out

    return FormSpec(f"Edit {wwn}/tpg{tag}", (*head, *attrs, *params, *chap), build, confirm="Apply",
                    warnings=warnings)


def acl_edit(target: Target, tpg: Tpg, acl: NodeAcl) -> FormSpec:
    from sanctl.lio.attributes import ACL_ATTRIB_RANGE

    wwn, tag, fabric, init = target.wwn, tpg.tag, target.fabric, acl.node_wwn

    def attr(name: str, value: Any, expect: str | None = None) -> C.Change:
        return C.SetAclAttribute(wwn, tag, init, name, value, fabric=fabric, expect=expect)

    def depth(text: str) -> int:
        return C.SetAclCmdsnDepth(wwn, tag, init, text, fabric=fabric).depth

    head: list[Field] = [
        Field("acl_tag", "Tag", default=acl.tag or "", check=C._check_acl_tag, required=False,
              original=acl.tag or None, section="ACL", help="ACLs with one tag share settings; blank: none"),
    ]
    if acl.cmdsn_depth is not None:
        head.append(Field("cmdsn_depth", "Queue depth", default=str(acl.cmdsn_depth), check=depth,
                          original=acl.cmdsn_depth, help="cmdsn_depth: commands in flight, 1-512"))
    attrs = _setting_fields(acl.attributes, section="Attributes", make=attr,
                            ranges=ACL_ATTRIB_RANGE if fabric == "iscsi" else {})
    chap = _chap_fields(acl.auth, section="CHAP", edit=True) if fabric == "iscsi" and acl.auth is not None else ()

    def build(v: dict[str, Any]) -> list[C.Change]:
        out: list[C.Change] = []
        if (v["acl_tag"] or None) != (acl.tag or None):
            out.append(C.SetAclTag(wwn, tag, init, v["acl_tag"], fabric=fabric, expect=acl.tag or ""))
        if "cmdsn_depth" in v and v["cmdsn_depth"] is not None and v["cmdsn_depth"] != acl.cmdsn_depth:
            out.append(C.SetAclCmdsnDepth(wwn, tag, init, v["cmdsn_depth"], fabric=fabric, expect=acl.cmdsn_depth))
        out += _changed_settings(attrs, v, attr)
        if chap and _chap_changed(v, acl.auth):
            out.append(C.SetAclAuth(wwn, tag, init, _chap(v), fabric=fabric, expect=C.chap_of(acl.auth)))
        return out

    def warnings(v: dict[str, Any]) -> list[str]:
        out = _chap_warnings(v) if chap and _chap_changed(v, acl.auth) else []
        if chap and v.get("userid") and not tpg.authentication:
            out.append(NOT_REQUIRED_CHAP)
        return out

    return FormSpec(f"Edit ACL {init}", (*head, *attrs, *chap), build, confirm="Apply", warnings=warnings)


def mapped_lun_edit(target: Target, tpg: Tpg, acl: NodeAcl, mlun) -> FormSpec:
    field = Field("write_protect", "Write-protect", BOOL, default=mlun.write_protect, original=mlun.write_protect,
                  help="the initiator may only read this LUN")

    def build(v: dict[str, Any]) -> list[C.Change]:
        if v["write_protect"] == mlun.write_protect:
            return []
        return [C.SetMappedLunWriteProtect(target.wwn, tpg.tag, acl.node_wwn, mlun.index, v["write_protect"],
                                           fabric=target.fabric, expect=mlun.write_protect)]

    return FormSpec(f"Edit mapped LUN {mlun.index} of {acl.node_wwn}", (field,), build, confirm="Apply")


def portal_edit(target: Target, tpg: Tpg, portal) -> FormSpec:
    fields = (
        Field("iser", "iSER", BOOL, default=portal.iser, original=portal.iser, help="iSCSI over RDMA"),
        Field("offload", "Offload", BOOL, default=portal.offload, original=portal.offload,
              help="Chelsio iSCSI offload (cxgbit)"),
    )

    def build(v: dict[str, Any]) -> list[C.Change]:
        out: list[C.Change] = []
        for flag in ("iser", "offload"):
            if v[flag] != getattr(portal, flag):
                out.append(C.SetPortalFlag(target.wwn, tpg.tag, portal.ip_address, portal.port, flag, v[flag],
                                           fabric=target.fabric, expect=bool(getattr(portal, flag))))
        return out

    return FormSpec(f"Edit portal {portal.label}", fields, build, confirm="Apply")


def discovery_edit(auth: Auth | None) -> FormSpec:
    enforce = bool(auth and auth.enforce)
    fields = (
        Field("enforce", "Require CHAP", BOOL, default=enforce, original=enforce, section="Discovery",
              help="SendTargets discovery only with these credentials"),
        *_chap_fields(auth, section="Credentials", edit=True),
    )

    def build(v: dict[str, Any]) -> list[C.Change]:
        if v["enforce"] == enforce and not _chap_changed(v, auth):
            return []
        return [C.SetDiscoveryAuth(_chap(v), v["enforce"], expect=C.chap_of(auth), expect_enforce=enforce)]

    def warnings(v: dict[str, Any]) -> list[str]:
        return _chap_warnings(v) if _chap_changed(v, auth) else []

    return FormSpec("Edit iSCSI discovery authentication", fields, build, confirm="Apply", warnings=warnings)


# ---------------------------------------------------------------------------
# d: delete
# ---------------------------------------------------------------------------


def delete_change(config: SanConfig, node: Node) -> C.Change | str:
    """The delete ``d`` confirms for ``node``, or why there is none."""
    kind = node.kind
    if kind == "storage_object":
        so: StorageObject = node.obj  # type: ignore[assignment]
        return C.DeleteStorageObject(so.plugin, so.name)
    w = where(config, node)
    t = w.target
    if t is None:
        return "Select an object to delete: a backstore, target, TPG, LUN, ACL, mapped LUN or portal."
    if kind == "target":
        return C.DeleteTarget(t.wwn, t.fabric)
    if w.tpg is None:
        return "Select an object to delete."
    if kind == "tpg":
        return C.DeleteTpg(t.wwn, w.tpg.tag, fabric=t.fabric)
    if kind == "lun":
        return C.DeleteLun(t.wwn, w.tpg.tag, node.obj.index, fabric=t.fabric)  # type: ignore[attr-defined]
    if kind == "acl" and w.acl is not None:
        return C.DeleteAcl(t.wwn, w.tpg.tag, w.acl.node_wwn, fabric=t.fabric)
    if kind == "mapped_lun" and w.acl is not None:
        return C.DeleteMappedLun(t.wwn, w.tpg.tag, w.acl.node_wwn, node.obj.index,  # type: ignore[attr-defined]
                                 fabric=t.fabric)
    if kind == "portal":
        p = node.obj
        return C.DeletePortal(t.wwn, w.tpg.tag, p.ip_address, p.port, fabric=t.fabric)  # type: ignore[attr-defined]
    return f"{node.name} is a list, not an object: select one of its entries to delete it."


def with_doctor(ctx: Context, spec: FormSpec, facts=None) -> FormSpec:
    """``spec`` whose warnings also say what the doctor would newly warn about once it is applied.

    Demo mode with write access, iSER without an RDMA device, one backstore written through two
    targets: :func:`sanctl.doctor.before_commit.warnings` runs the doctor's own rules on the
    configuration the form's changes make. A chooser's next form gets the same.
    """
    from dataclasses import replace

    from sanctl.doctor import before_commit
    from sanctl.doctor.facts import HostFacts

    if facts is None:
        facts = HostFacts(root=ctx.root, rdma=H.has_rdma(ctx.root) if ctx.root else None)
    own_warnings, own_build = spec.warnings, spec.build

    def build(values: dict[str, Any]) -> Any:
        result = own_build(values)
        return with_doctor(ctx, result, facts) if isinstance(result, FormSpec) else result

    def warnings(values: dict[str, Any]) -> list[str]:
        out = list(own_warnings(values)) if own_warnings is not None else []
        try:
            changes = own_build(values)
        except InvalidValue:
            return out
        if isinstance(changes, (list, tuple)) and changes:
            out.extend(w for w in before_commit.warnings(ctx.config, changes, facts) if w not in out)
        return out

    return replace(spec, build=build, warnings=warnings)


def must_type_name(node: Node, sessions: int) -> str | None:
    """The word to type before a delete goes ahead: the name of a target, a TPG, or anything with sessions."""
    if node.kind in ("target", "tpg") or sessions:
        return node.name
    return None


def kernel_version(root: str) -> tuple[int, int] | None:
    """The running kernel's (major, minor), from configfs's ``target/version`` (None: unknown)."""
    import os
    import re

    try:
        with open(os.path.join(root, "sys/kernel/config/target/version"), encoding="utf-8") as handle:
            text = handle.read()
    except OSError:
        return None
    m = re.search(r" on (\d+)\.(\d+)", text)
    return (int(m.group(1)), int(m.group(2))) if m else None


def gather(root: str, config: SanConfig, node: Node, action: str, *, host: str | None = None,
           backing: Callable[[str], tuple[str, int]] | None = None,
           fabrics: tuple[str, ...] | None = None) -> Context:
    """The :class:`Context` a form on ``node`` needs (blocking: a worker thread calls it).

    ``fabrics``: where targets can be created (the writer knows); by default
    the loaded ones.
    """
    devices: tuple[H.BlockDevice, ...] = ()
    addresses: tuple[str, ...] = ()
    tcmu = False
    if action == "add":
        if node.kind in ("backstores", "plugin"):
            if node.kind == "backstores" or node.obj in ("block", "pscsi", "fileio"):
                devices = tuple(H.block_devices(root, config))
            tcmu = H.has_tcmu(root, config)
        if node.kind in ("fabric", "tpg", "portals"):
            addresses = tuple(H.portal_addresses(root, config))
    if fabrics is None:
        fabrics = tuple(f.name for f in config.fabrics)
    kernel = kernel_version(root) if action == "add" and node.kind in ("backstores", "plugin") else None
    return Context(root, config, devices, addresses, tcmu, host, backing, tuple(fabrics), kernel)
