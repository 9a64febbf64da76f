"""The forms ``a`` opens: a new backstore, target, TPG, ACL, LUN, mapped LUN or portal.

Each returns a :class:`~sanctl.forms.spec.FormSpec` whose ``build`` makes
the :mod:`sanctl.lio.changes` to apply, or a sentence saying why nothing
can be added. Which node opens which is :data:`sanctl.forms.actions.ACTIONS`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sanctl import block_devices as H
from sanctl.model import NodeAcl, SanConfig, Target, Tpg
from sanctl.names import (
    InvalidValue,
    check_port,
    check_portal_address,
    generate_iqn,
)
from sanctl import words
from sanctl.summary import human_size
from sanctl.lio import changes as C
from sanctl.tree import Node
from sanctl.forms.spec import BOOL, SELECT, Choice, Field, FormSpec
from sanctl.forms.context import (
    NOT_REQUIRED_CHAP, WRITE_BACK_HELP, Context, Where, _chap, _chap_fields,
    _chap_warnings, _device_check, _device_choices, _int, _join, _lowest_free, _name_from_path,
    _new_so_name, _serial, _size,
)


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
                out.append(C.tpg_attribute(first.target, 1, "authentication", int(v["authentication"])))
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
            out.append(C.tpg_attribute(target.wwn, v["tag"], "authentication", int(v["authentication"])))
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
