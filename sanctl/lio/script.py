"""A file of targetcli commands, applied to a copy of the running configuration.

Operators automate with targetcli batches (the seed tutorials are lists of
them); ``sanctl apply`` takes the same lines. Each line is applied, as
targetcli would apply it with its default preferences, to a copy of the
running configuration in saveconfig.json form; the result is the desired
configuration, which then goes through the same validation and minimal
plan as a saveconfig file (:mod:`sanctl.lio.plan`). Nothing here
touches the kernel, so a script with an error changes nothing.

The subset understood is what the tutorials and targetcli's manual use:
``cd``; ``/backstores/{block,iblock,fileio,ramdisk} create|delete``;
``/iscsi create|delete``, ``/loopback create|delete``; a target's
``create|delete tag=N``; a TPG's ``luns/ create|delete``,
``acls/ create|delete``, ``portals/ create|delete``, ``enable``,
``disable``; an ACL's ``create|delete`` of mapped LUNs; ``set
attribute|parameter|auth`` on backstores, TPGs and ACLs; ``set
discovery_auth`` on ``/iscsi``; ``set global`` of targetcli's ``auto_*``
preferences; a portal's ``enable_iser``/``iser_enable``. ``ls``, ``get``,
``pwd``, ``help``, ``exit`` and ``saveconfig`` change nothing here
(sanctl never saves implicitly: ``sanctl save`` does). Any other line is
refused with its line number — the whole script, not just that line.

No Textual, no I/O.
"""

from __future__ import annotations

import copy
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sanctl.errors import SanctlError
from sanctl.names import InvalidValue, check_port, check_portal_address, parse_size
from sanctl.lio import changes as C

#: targetcli's preferences that change what a command creates, with their defaults.
DEFAULT_PREFS = {"auto_add_default_portal": True, "auto_add_mapped_luns": True, "auto_enable_tpgt": True,
                 "export_backstore_name_as_model": True}
#: The backstores targetcli gives ``emulate_model_alias=1`` (``export_backstore_name_as_model``).
_MODEL_ALIAS_PLUGINS = frozenset({"block", "fileio", "ramdisk"})
#: Lines that only look (or save, which sanctl leaves to ``sanctl save``).
_HARMLESS = frozenset({"ls", "get", "pwd", "help", "exit", "status", "version", "bookmarks", "info"})
_PLUGIN_ALIASES = {"iblock": "block", "block": "block", "fileio": "fileio", "ramdisk": "ramdisk",
                   "rd_mcp": "ramdisk", "pscsi": "pscsi"}
_FABRICS = ("iscsi", "loopback", "vhost")
#: The most lines one script may have (a batch, not a data file).
MAX_LINES = 100_000


class ScriptError(SanctlError, ValueError):
    """A line that cannot be applied; ``str()`` names the line."""

    def __init__(self, line: int, text: str, reason: str) -> None:
        self.line = line
        self.text = text
        self.reason = reason
        shown = _mask(text.strip())
        super().__init__(f"line {line}: {reason} ({shown[:120]})" if shown else f"line {line}: {reason}")


_SECRET = re.compile(r"((?:password|password_mutual|mutual_password)=)(\S+)")


def _mask(text: str) -> str:
    """A script line as an error message shows it: CHAP secrets replaced by ``<secret>``."""
    return _SECRET.sub(r"\1<secret>", text)


@dataclass
class Result:
    """The desired configuration a script leads to, and what sanctl did not do."""

    data: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    lines: int = 0


def looks_like_script(text: str) -> bool:
    """Whether a file is a list of targetcli commands rather than JSON."""
    stripped = text.lstrip()
    return not stripped.startswith(("{", "["))


class _Fail(Exception):
    pass


def _bool(value: str) -> bool:
    v = value.strip().lower()
    if v in ("1", "true", "yes", "on"):
        return True
    if v in ("0", "false", "no", "off"):
        return False
    raise _Fail(f"'{value}' is not true or false")


def _int(value: str, what: str) -> int:
    text = value.strip()
    m = re.fullmatch(r"(?:lun|mapped_lun|tpgt?|tag=)?(\d+)", text)
    if not m:
        raise _Fail(f"{what} is a whole number, not '{value}'")
    return int(m.group(1))


class _Shell:
    def __init__(self, data: Mapping) -> None:
        self.data: dict[str, Any] = copy.deepcopy(dict(data))
        for key in ("storage_objects", "targets", "fabric_modules"):
            if not isinstance(self.data.get(key), list):
                self.data[key] = []
        self.cwd: list[str] = []
        self.prefs = dict(DEFAULT_PREFS)
        self.notes: list[str] = []

    # -- paths -----------------------------------------------------------------

    def resolve(self, path: str) -> list[str]:
        parts = [] if path.startswith("/") else list(self.cwd)
        for part in path.split("/"):
            if part in ("", "."):
                continue
            if part == "..":
                if parts:
                    parts.pop()
                continue
            if part == "<":
                continue
            parts.append(part)
        return parts

    # -- lookups -----------------------------------------------------------------

    def so(self, plugin: str, name: str) -> dict | None:
        return next((s for s in self.data["storage_objects"]
                     if isinstance(s, dict) and s.get("plugin") == plugin and s.get("name") == name), None)

    def target(self, fabric: str, wwn: str, *, need: bool = True) -> dict | None:
        found = next((t for t in self.data["targets"]
                      if isinstance(t, dict) and t.get("fabric") == fabric and t.get("wwn") == wwn.lower()), None)
        if found is None and need:
            raise _Fail(f"there is no {fabric} target {wwn}")
        return found

    def tpg(self, fabric: str, wwn: str, tag: int) -> dict:
        t = self.target(fabric, wwn)
        found = next((x for x in t.get("tpgs") or () if isinstance(x, dict) and x.get("tag") == tag), None)
        if found is None:
            raise _Fail(f"target {wwn} has no TPG {tag}")
        for key in ("luns", "portals", "node_acls"):
            found.setdefault(key, [])
        return found

    def acl(self, tpg: dict, initiator: str) -> dict:
        found = next((a for a in tpg["node_acls"] if a.get("node_wwn") == initiator.lower()), None)
        if found is None:
            raise _Fail(f"there is no ACL {initiator} in TPG {tpg.get('tag')}")
        found.setdefault("mapped_luns", [])
        return found

    # -- the line ----------------------------------------------------------------

    def run(self, line: str) -> None:
        try:
            words = shlex.split(line, comments=True)
        except ValueError as exc:
            raise _Fail(f"cannot split it into words ({exc})") from None
        if not words:
            return
        if words[0] == "targetcli":  # command-line mode: targetcli /iscsi create …
            words = words[1:]
            if not words:
                return
        path = None
        if words[0].startswith(("/", ".", "<")) or "/" in words[0] and "=" not in words[0]:
            path, words = words[0], words[1:]
        where = self.resolve(path) if path is not None else list(self.cwd)
        if not words:
            if path is None:
                return
            self.cwd = where  # a bare path is a cd in targetcli
            return
        command, args = words[0], words[1:]
        if command == "cd":
            if len(args) > 1:
                raise _Fail("cd takes one path")
            self.cwd = self.resolve(args[0]) if args else []
            return
        if command in _HARMLESS:
            return
        if command == "saveconfig":
            self.notes.append("'saveconfig' was not run: the running configuration is saved with 'sanctl save'")
            return
        if command in ("clearconfig", "restoreconfig"):
            raise _Fail(f"'{command}' is not applied from a script: use 'sanctl restore' (it keeps sessions "
                        "of what does not change)")
        if command == "set":
            self.set(where, args)
            return
        handler = getattr(self, "_cmd_" + command, None)
        if handler is None:
            raise _Fail(f"'{command}' is not a command sanctl applies from a script")
        handler(where, args)

    # -- argument handling ---------------------------------------------------------

    @staticmethod
    def params(args: list[str], names: tuple[str, ...], *, command: str) -> dict[str, str]:
        out: dict[str, str] = {}
        position = 0
        for arg in args:
            key, eq, value = arg.partition("=")
            if eq:
                if key not in names:
                    raise _Fail(f"{command} has no parameter '{key}' (it takes {', '.join(names) or 'none'})")
                out[key] = value
                continue
            while position < len(names) and names[position] in out:
                position += 1
            if position >= len(names):
                raise _Fail(f"too many arguments for {command}")
            out[names[position]] = arg
            position += 1
        return out

    # -- create ----------------------------------------------------------------------

    def _cmd_create(self, where: list[str], args: list[str]) -> None:
        kind, ctx = self.context(where)
        if kind == "plugin":
            self.create_storage_object(ctx["plugin"], args)
        elif kind == "fabric":
            self.create_target(ctx["fabric"], args)
        elif kind == "target":
            p = self.params(args, ("tag",), command="create")
            t = self.target(ctx["fabric"], ctx["wwn"])
            tags = {x.get("tag") for x in t["tpgs"]}
            tag = _int(p["tag"], "tag") if "tag" in p else next(n for n in range(1, 65537) if n not in tags)
            if tag in tags:
                raise _Fail(f"TPG {tag} already exists")
            t["tpgs"].append(self.new_tpg(ctx["fabric"], tag))
        elif kind == "luns":
            self.create_lun(ctx, args)
        elif kind == "acls":
            self.create_acl(ctx, args)
        elif kind == "portals":
            p = self.params(args, ("ip_address", "ip_port"), command="portals create")
            tpg = self.tpg(ctx["fabric"], ctx["wwn"], ctx["tag"])
            address = check_portal_address(p.get("ip_address", C.DEFAULT_PORTAL))
            port = check_port(p.get("ip_port", "3260"))
            if any((x.get("ip_address"), x.get("port")) == (address, port) for x in tpg["portals"]):
                raise _Fail(f"portal {address}:{port} already exists")
            tpg["portals"].append({"ip_address": address, "port": port, "iser": False, "offload": False})
        elif kind == "acl":
            p = self.params(args, ("mapped_lun", "tpg_lun_or_backstore", "write_protect"), command="create")
            tpg = self.tpg(ctx["fabric"], ctx["wwn"], ctx["tag"])
            acl = self.acl(tpg, ctx["initiator"])
            if "mapped_lun" not in p or "tpg_lun_or_backstore" not in p:
                raise _Fail("create needs mapped_lun and tpg_lun_or_backstore")
            index = _int(p["mapped_lun"], "mapped_lun")
            if any(m.get("index") == index for m in acl["mapped_luns"]):
                raise _Fail(f"mapped LUN {index} already exists")
            ref = p["tpg_lun_or_backstore"]
            if ref.startswith("/backstores/"):
                lun = next((x for x in tpg["luns"] if x.get("storage_object") == self.so_ref(ref)), None)
                if lun is None:
                    raise _Fail(f"{ref} is not a LUN of this TPG")
                tpg_lun = lun["index"]
            else:
                tpg_lun = _int(ref, "tpg_lun_or_backstore")
            acl["mapped_luns"].append({"index": index, "tpg_lun": tpg_lun, "alias": None,
                                       "write_protect": _bool(p.get("write_protect", "false"))})
        else:
            raise _Fail("'create' is not a command here")

    def so_ref(self, ref: str) -> str:
        parts = [x for x in ref.split("/") if x]
        if len(parts) != 3 or parts[0] != "backstores" or parts[1] not in _PLUGIN_ALIASES:
            raise _Fail(f"'{ref}' is not a backstore path (/backstores/<type>/<name>)")
        plugin = _PLUGIN_ALIASES[parts[1]]
        if self.so(plugin, parts[2]) is None:
            raise _Fail(f"there is no backstore {plugin}/{parts[2]}")
        return f"/backstores/{plugin}/{parts[2]}"

    def create_storage_object(self, plugin: str, args: list[str]) -> None:
        if plugin == "block":
            p = self.params(args, ("name", "dev", "readonly", "wwn", "exclusive"), command="block create")
            if "name" not in p or "dev" not in p:
                raise _Fail("block create needs a name and dev")
            d = {"plugin": "block", "name": p["name"], "dev": p["dev"], "readonly": _bool(p.get("readonly", "no")),
                 "write_back": False, "wwn": p.get("wwn"), "exclusive": _bool(p.get("exclusive", "yes"))}
        elif plugin == "fileio":
            p = self.params(args, ("name", "file_or_dev", "size", "write_back", "sparse", "wwn"),
                            command="fileio create")
            if "name" not in p or "file_or_dev" not in p:
                raise _Fail("fileio create needs a name and file_or_dev")
            d = {"plugin": "fileio", "name": p["name"], "dev": p["file_or_dev"],
                 "size": parse_size(p["size"]) if p.get("size") else None,
                 "write_back": _bool(p.get("write_back", "true")), "wwn": p.get("wwn"), "aio": False}
            if not _bool(p.get("sparse", "true")):
                self.notes.append(f"fileio/{p['name']}: sparse=false is not kept in the desired configuration; "
                                  "a new file is created sparse")
        elif plugin == "ramdisk":
            p = self.params(args, ("name", "size", "nullio", "wwn"), command="ramdisk create")
            if "name" not in p or "size" not in p:
                raise _Fail("ramdisk create needs a name and size")
            d = {"plugin": "ramdisk", "name": p["name"], "size": parse_size(p["size"]), "wwn": p.get("wwn")}
            if _bool(p.get("nullio", "false")):
                d["nullio"] = True
        elif plugin == "pscsi":
            p = self.params(args, ("name", "dev"), command="pscsi create")
            if "name" not in p or "dev" not in p:
                raise _Fail("pscsi create needs a name and dev")
            d = {"plugin": "pscsi", "name": p["name"], "dev": p["dev"]}
        else:  # pragma: no cover - context() knows the plugins
            raise _Fail(f"cannot create {plugin} backstores from a script")
        if self.so(plugin, d["name"]) is not None:
            raise _Fail(f"backstore {plugin}/{d['name']} already exists")
        d["attributes"] = {}
        if plugin in _MODEL_ALIAS_PLUGINS and self.prefs["export_backstore_name_as_model"]:
            d["attributes"]["emulate_model_alias"] = 1  # the backstore's name as the SCSI model, as targetcli does
        d["alua_tpgs"] = []
        self.data["storage_objects"].append(d)

    def new_tpg(self, fabric: str, tag: int) -> dict:
        tpg: dict[str, Any] = {"tag": tag, "luns": [], "portals": [], "node_acls": [], "attributes": {},
                               "parameters": {}}
        if fabric in C.TPGTS_FABRICS:
            tpg["enable"] = bool(self.prefs["auto_enable_tpgt"])
        if fabric == "iscsi":
            tpg["attributes"]["authentication"] = 0
            if self.prefs["auto_add_default_portal"]:
                tpg["portals"].append({"ip_address": C.DEFAULT_PORTAL, "port": 3260, "iser": False, "offload": False})
        return tpg

    def create_target(self, fabric: str, args: list[str]) -> None:
        p = self.params(args, ("wwn",), command=f"/{fabric} create")
        wwn = (p.get("wwn") or C.generate_wwn(fabric)).lower()
        if self.target(fabric, wwn, need=False) is not None:
            raise _Fail(f"target {wwn} already exists")
        self.data["targets"].append({"fabric": fabric, "wwn": wwn, "tpgs": [self.new_tpg(fabric, 1)]})

    def create_lun(self, ctx: dict, args: list[str]) -> None:
        p = self.params(args, ("storage_object", "lun", "add_mapped_luns"), command="luns create")
        if "storage_object" not in p:
            raise _Fail("luns create needs a storage_object")
        tpg = self.tpg(ctx["fabric"], ctx["wwn"], ctx["tag"])
        ref = self.so_ref(p["storage_object"])
        used = {x.get("index") for x in tpg["luns"]}
        index = _int(p["lun"], "lun") if "lun" in p else next(n for n in range(0, 65537) if n not in used)
        if index in used:
            raise _Fail(f"LUN {index} already exists")
        tpg["luns"].append({"index": index, "storage_object": ref, "alias": None,
                            "alua_tg_pt_gp_name": C.DEFAULT_ALUA_GROUP})
        if _bool(p.get("add_mapped_luns", str(self.prefs["auto_add_mapped_luns"]))):
            for acl in tpg["node_acls"]:
                acl.setdefault("mapped_luns", [])
                taken = {m.get("index") for m in acl["mapped_luns"]}
                mapped = index if index not in taken else next(n for n in range(0, 65537) if n not in taken)
                acl["mapped_luns"].append({"index": mapped, "tpg_lun": index, "alias": None, "write_protect": False})

    def create_acl(self, ctx: dict, args: list[str]) -> None:
        p = self.params(args, ("wwn", "add_mapped_luns"), command="acls create")
        if "wwn" not in p:
            raise _Fail("acls create needs the initiator's wwn")
        tpg = self.tpg(ctx["fabric"], ctx["wwn"], ctx["tag"])
        initiator = p["wwn"].lower()
        if any(a.get("node_wwn") == initiator for a in tpg["node_acls"]):
            raise _Fail(f"ACL {initiator} already exists")
        mapped = []
        if _bool(p.get("add_mapped_luns", str(self.prefs["auto_add_mapped_luns"]))):
            mapped = [{"index": x["index"], "tpg_lun": x["index"], "alias": None, "write_protect": False}
                      for x in sorted(tpg["luns"], key=lambda x: x.get("index", 0))]
        tpg["node_acls"].append({"node_wwn": initiator, "attributes": {}, "mapped_luns": mapped})

    # -- delete ----------------------------------------------------------------------

    def _cmd_delete(self, where: list[str], args: list[str]) -> None:
        kind, ctx = self.context(where)
        if kind == "plugin":
            p = self.params(args, ("name",), command="delete")
            name = p.get("name")
            so = self.so(ctx["plugin"], name or "")
            if so is None:
                raise _Fail(f"there is no backstore {ctx['plugin']}/{name}")
            self.data["storage_objects"].remove(so)
            ref = f"/backstores/{ctx['plugin']}/{name}"
            for t in self.data["targets"]:
                for tpg in t.get("tpgs") or ():
                    for lun in [x for x in tpg.get("luns") or () if x.get("storage_object") == ref]:
                        self.drop_lun(tpg, lun["index"])
        elif kind == "fabric":
            p = self.params(args, ("wwn",), command="delete")
            self.data["targets"].remove(self.target(ctx["fabric"], p.get("wwn", "")))
        elif kind == "target":
            p = self.params(args, ("tag",), command="delete")
            t = self.target(ctx["fabric"], ctx["wwn"])
            t["tpgs"].remove(self.tpg(ctx["fabric"], ctx["wwn"], _int(p.get("tag", ""), "tag")))
        elif kind == "luns":
            p = self.params(args, ("lun",), command="luns delete")
            tpg = self.tpg(ctx["fabric"], ctx["wwn"], ctx["tag"])
            index = _int(p.get("lun", ""), "lun")
            if not any(x.get("index") == index for x in tpg["luns"]):
                raise _Fail(f"there is no LUN {index}")
            self.drop_lun(tpg, index)
        elif kind == "acls":
            p = self.params(args, ("wwn",), command="acls delete")
            tpg = self.tpg(ctx["fabric"], ctx["wwn"], ctx["tag"])
            tpg["node_acls"].remove(self.acl(tpg, p.get("wwn", "")))
        elif kind == "portals":
            p = self.params(args, ("ip_address", "ip_port"), command="portals delete")
            tpg = self.tpg(ctx["fabric"], ctx["wwn"], ctx["tag"])
            address = check_portal_address(p.get("ip_address", ""))
            port = check_port(p.get("ip_port", "3260"))
            found = next((x for x in tpg["portals"] if (x.get("ip_address"), x.get("port")) == (address, port)), None)
            if found is None:
                raise _Fail(f"there is no portal {address}:{port}")
            tpg["portals"].remove(found)
        elif kind == "acl":
            p = self.params(args, ("mapped_lun",), command="delete")
            tpg = self.tpg(ctx["fabric"], ctx["wwn"], ctx["tag"])
            acl = self.acl(tpg, ctx["initiator"])
            index = _int(p.get("mapped_lun", ""), "mapped_lun")
            found = next((m for m in acl["mapped_luns"] if m.get("index") == index), None)
            if found is None:
                raise _Fail(f"there is no mapped LUN {index}")
            acl["mapped_luns"].remove(found)
        else:
            raise _Fail("'delete' is not a command here")

    @staticmethod
    def drop_lun(tpg: dict, index: int) -> None:
        tpg["luns"] = [x for x in tpg.get("luns") or () if x.get("index") != index]
        for acl in tpg.get("node_acls") or ():
            acl["mapped_luns"] = [m for m in acl.get("mapped_luns") or () if m.get("tpg_lun") != index]

    # -- enable, disable, iSER -------------------------------------------------------

    def _cmd_enable(self, where: list[str], args: list[str]) -> None:
        self._enable(where, args, True)

    def _cmd_disable(self, where: list[str], args: list[str]) -> None:
        self._enable(where, args, False)

    def _enable(self, where: list[str], args: list[str], on: bool) -> None:
        kind, ctx = self.context(where)
        if kind != "tpg" or args:
            raise _Fail("enable and disable apply to a TPG")
        self.tpg(ctx["fabric"], ctx["wwn"], ctx["tag"])["enable"] = on

    def _iser(self, where: list[str], args: list[str], default: bool, flag: str = "iser") -> None:
        kind, ctx = self.context(where)
        if kind != "portal":
            raise _Fail("this applies to a portal")
        on = _bool(args[0]) if args else default
        tpg = self.tpg(ctx["fabric"], ctx["wwn"], ctx["tag"])
        found = next((x for x in tpg["portals"] if (x.get("ip_address"), x.get("port")) == ctx["portal"]), None)
        if found is None:
            raise _Fail(f"there is no portal {ctx['portal'][0]}:{ctx['portal'][1]}")
        found[flag] = on

    def _cmd_enable_iser(self, where: list[str], args: list[str]) -> None:
        self._iser(where, args, True)

    def _cmd_iser_enable(self, where: list[str], args: list[str]) -> None:
        self._iser(where, args, True)

    def _cmd_disable_iser(self, where: list[str], args: list[str]) -> None:
        self._iser(where, args, False)

    def _cmd_enable_offload(self, where: list[str], args: list[str]) -> None:
        self._iser(where, args, True, "offload")

    # -- set -----------------------------------------------------------------------------

    def set(self, where: list[str], args: list[str]) -> None:
        if not args:
            raise _Fail("set needs a group (attribute, parameter, auth, discovery_auth, global)")
        group, pairs = args[0], args[1:]
        values: dict[str, str] = {}
        for pair in pairs:
            key, eq, value = pair.partition("=")
            if not eq or not key:
                raise _Fail(f"'{pair}' is not name=value")
            values[key] = value
        if not values:
            raise _Fail(f"set {group} needs name=value")
        if group == "global":
            for key, value in values.items():
                if key in DEFAULT_PREFS:
                    self.prefs[key] = _bool(value)
                elif key in ("auto_cd_after_create", "auto_save_on_exit", "auto_use_daemon", "loglevel_console",
                             "loglevel_file", "color_mode", "max_backup_files"):
                    continue  # display, daemon and save preferences change nothing here
                else:
                    raise _Fail(f"global preference '{key}' is not one sanctl applies")
            return
        kind, ctx = self.context(where)
        if group == "discovery_auth":
            if kind != "fabric" or ctx["fabric"] != "iscsi":
                raise _Fail("discovery_auth is set on /iscsi")
            self.discovery(values)
            return
        node = self.node(kind, ctx)
        if group == "attribute":
            if kind == "mapped_lun":
                for key, value in values.items():
                    if key != "write_protect":
                        raise _Fail("a mapped LUN has only the write_protect attribute")
                    node["write_protect"] = _bool(value)
                return
            node.setdefault("attributes", {}).update(values)
        elif group == "parameter":
            if kind != "tpg":
                raise _Fail("parameters are set on a TPG")
            node.setdefault("parameters", {}).update(values)
        elif group == "auth":
            if kind not in ("tpg", "acl"):
                raise _Fail("auth is set on a TPG or an ACL")
            names = {"userid": "userid", "password": "password", "mutual_userid": "mutual_userid",
                     "mutual_password": "mutual_password", "userid_mutual": "mutual_userid",
                     "password_mutual": "mutual_password"}
            for key, value in values.items():
                if key not in names:
                    raise _Fail(f"auth has no '{key}' (userid, password, mutual_userid, mutual_password)")
                node["chap_" + names[key]] = "" if value in ("''", '""', "NULL") else value
        else:
            raise _Fail(f"'set {group}' is not a group sanctl applies")

    def discovery(self, values: dict[str, str]) -> None:
        entry = next((f for f in self.data["fabric_modules"] if isinstance(f, dict) and f.get("name") == "iscsi"),
                     None)
        if entry is None:
            entry = {"name": "iscsi", "discovery_enable_auth": False}
            self.data["fabric_modules"].append(entry)
        names = {"userid": "userid", "password": "password", "mutual_userid": "mutual_userid",
                 "mutual_password": "mutual_password", "userid_mutual": "mutual_userid",
                 "password_mutual": "mutual_password"}
        for key, value in values.items():
            if key == "enable":
                entry["discovery_enable_auth"] = _bool(value)
            elif key in names:
                entry["discovery_" + names[key]] = "" if value in ("''", '""', "NULL") else value
            else:
                raise _Fail(f"discovery_auth has no '{key}'")

    def node(self, kind: str, ctx: dict) -> dict:
        if kind == "so":
            found = self.so(ctx["plugin"], ctx["name"])
            if found is None:
                raise _Fail(f"there is no backstore {ctx['plugin']}/{ctx['name']}")
            return found
        if kind == "tpg":
            return self.tpg(ctx["fabric"], ctx["wwn"], ctx["tag"])
        if kind in ("acl", "mapped_lun"):
            acl = self.acl(self.tpg(ctx["fabric"], ctx["wwn"], ctx["tag"]), ctx["initiator"])
            if kind == "acl":
                return acl
            found = next((m for m in acl["mapped_luns"] if m.get("index") == ctx["mapped"]), None)
            if found is None:
                raise _Fail(f"there is no mapped LUN {ctx['mapped']}")
            return found
        raise _Fail("nothing here takes that setting")

    # -- where we are -------------------------------------------------------------------

    def context(self, parts: list[str]) -> tuple[str, dict]:
        """What a path names: ("plugin", …), ("so", …), ("fabric", …), ("target", …), ("tpg", …), …"""
        if not parts:
            return "root", {}
        if parts[0] == "backstores":
            if len(parts) == 1:
                return "backstores", {}
            plugin = _PLUGIN_ALIASES.get(parts[1])
            if plugin is None:
                raise _Fail(f"unknown backstore type '{parts[1]}'")
            if len(parts) == 2:
                return "plugin", {"plugin": plugin}
            if len(parts) == 3:
                return "so", {"plugin": plugin, "name": parts[2]}
            raise _Fail(f"no such path /{'/'.join(parts)}")
        if parts[0] not in _FABRICS:
            raise _Fail(f"no such path /{'/'.join(parts)}")
        fabric = parts[0]
        if len(parts) == 1:
            return "fabric", {"fabric": fabric}
        ctx: dict[str, Any] = {"fabric": fabric, "wwn": parts[1].lower()}
        if len(parts) == 2:
            return "target", ctx
        m = re.fullmatch(r"tpgt?(\d+)", parts[2])
        if not m:
            raise _Fail(f"'{parts[2]}' is not a TPG (tpg1, tpg2, …)")
        ctx["tag"] = int(m.group(1))
        if len(parts) == 3:
            return "tpg", ctx
        if parts[3] in ("luns", "acls", "portals") and len(parts) == 4:
            return parts[3], ctx
        if parts[3] == "acls":
            ctx["initiator"] = parts[4].lower()
            if len(parts) == 5:
                return "acl", ctx
            m = re.fullmatch(r"mapped_lun(\d+)", parts[5])
            if m and len(parts) == 6:
                ctx["mapped"] = int(m.group(1))
                return "mapped_lun", ctx
        if parts[3] == "portals" and len(parts) == 5:
            address, _, port = parts[4].rpartition(":")
            ctx["portal"] = (check_portal_address(address), check_port(port))
            return "portal", ctx
        if parts[3] == "luns" and len(parts) == 5:
            return "lun", ctx
        raise _Fail(f"no such path /{'/'.join(parts)}")


def apply_script(text: str, running: Mapping) -> Result:
    """The configuration ``running`` becomes with the targetcli commands of ``text``.

    Raises :class:`ScriptError` at the first line that cannot be applied
    (nothing is applied: this only computes the desired configuration).
    """
    shell = _Shell(running)
    count = 0
    for number, line in enumerate(text.splitlines(), 1):
        if number > MAX_LINES:
            raise ScriptError(number, "", f"a script has at most {MAX_LINES} lines")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        count += 1
        try:
            shell.run(line)
        except (_Fail, InvalidValue) as exc:
            raise ScriptError(number, line, str(exc)) from None
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise ScriptError(number, line, f"the running configuration has an unexpected shape here ({exc})") \
                from None
    return Result(shell.data, shell.notes, count)
