"""Read the LIO configuration from configfs in one pass.

One walk with ``os.scandir``; each symlink is read once with ``os.readlink``
and resolved by string arithmetic (LUN -> storage object, mapped LUN -> TPG
LUN), so there are no per-object re-reads and no quadratic lookups — the
reason targetcli takes minutes on big targets. Every function takes the
filesystem ``root`` so tests and the demo SAN read a plain directory tree
exactly as they would read the kernel.

A node that vanishes between listing and reading (someone ran targetcli
meanwhile) is skipped; a file that cannot be read becomes a
:class:`~sanctl.model.Setting` with an ``error`` or a
:class:`~sanctl.model.Problem`, never an exception.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Collection, Iterable
from contextvars import ContextVar
from dataclasses import replace
from types import MappingProxyType

from sanctl.lio.errors import ConfigfsNotFound  # noqa: F401  (re-exported: its home has no I/O)
from sanctl import safe_io
from sanctl.bounded import parse_int
from sanctl.model import (
    FABRIC_DIRS,
    PLUGIN_BY_DIR_PREFIX,
    AluaGroup,
    Auth,
    Fabric,
    Lun,
    MappedLun,
    NodeAcl,
    Portal,
    Problem,
    SanConfig,
    Secret,
    Setting,
    Settings,
    StorageObject,
    Target,
    Tpg,
)

CONFIGFS_TARGET = "sys/kernel/config/target"

#: Bytes read of an attribute (a page, as configfs never shows more) and of an ``info`` file.
ATTRIBUTE_LIMIT = safe_io.ATTRIBUTE_LIMIT
INFO_LIMIT = safe_io.INFO_LIMIT

#: Entries of a fabric directory that are not targets.
_FABRIC_NON_TARGETS = frozenset({"lio_version", "version", "discovery_auth", "cpus_allowed_list"})


class _Vanished(Exception):
    """A directory that was listed is gone: skip the whole node."""


def target_dir(root: str = "/") -> str:
    return os.path.join(root, CONFIGFS_TARGET)


# --- low-level file access -------------------------------------------------


def _read(path: str) -> str:
    """A configfs file's content, stripped. Raises OSError.

    Through :mod:`sanctl.safe_io` (``os.open``/``os.read``, no buffered text
    wrapper per file — most of the cost when reading tens of thousands of
    one-line files): a FIFO, a device or a link in place of a file is
    refused, and no more than a page (an ``info`` file: a few) is read.
    """
    limit = INFO_LIMIT if path.endswith("/info") else ATTRIBUTE_LIMIT
    return safe_io.read_bytes(path, limit).decode("utf-8", "replace").strip()


def _read_opt(path: str) -> str | None:
    """A file's content, or None if it is missing or unreadable (noted when it is not a file at all)."""
    try:
        return _read(path)
    except (safe_io.NotRegularFile, safe_io.FileTooLarge) as exc:
        _note(path, exc)
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            _note(path, exc)
        return None


#: Notes of the read in progress: directories skipped because they could not be listed.
_notes: ContextVar[list[Problem] | None] = ContextVar("configfs_notes", default=None)


def _note(path: str, exc: OSError) -> None:
    notes = _notes.get()
    if notes is not None:
        notes.append(Problem(path, safe_io.describe(exc)))


def _scandir(path: str) -> list[os.DirEntry]:
    """The entries of a directory in the kernel's order; raises _Vanished.

    One that cannot be listed (unreadable, a link loop) is noted and skipped
    like one that vanished.
    """
    try:
        with os.scandir(path) as entries:
            return list(entries)
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise _Vanished(path) from exc
    except OSError as exc:
        _note(path, exc)
        raise _Vanished(path) from exc


def _subdirs(path: str) -> list[os.DirEntry]:
    try:
        return [e for e in _scandir(path) if e.is_dir(follow_symlinks=False)]
    except _Vanished:
        return []


def _names(path: str) -> list[str]:
    """Names in a directory, or none if it is gone (or cannot be listed: noted)."""
    try:
        return os.listdir(path)
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as exc:
        _note(path, exc)
        return []


def _flag(path: str) -> bool | None:
    raw = _read_opt(path)
    if raw is None:
        return None
    try:
        return bool(parse_int(raw))
    except ValueError:
        return None


def _int(raw: str | None) -> int | None:
    try:
        return parse_int(raw) if raw is not None else None
    except ValueError:
        return None


#: Mode bits of the attribute files of the read in progress, by (kind of directory, file name).
#: configfs gives a file the mode of its attribute's definition (one per fabric or backstore module),
#: so every ``attrib/queue_depth`` of an iblock backstore has the same: one ``lstat`` per attribute
#: name and kind tells them all, where there are thousands of each (``tests/test_reader.py`` checks it
#: on the real kernel's captures). ``None`` outside a read: every file is looked at.
_modes: ContextVar[dict[tuple[str, str], int] | None] = ContextVar("configfs_modes", default=None)

#: The settings of the read in progress by (name, value, mode): a setting is an immutable value, and the
#: same one (``emulate_3pc`` = ``1``, writable) is held once however many objects have it.
_seen: ContextVar[dict[tuple[str, str, int], Setting] | None] = ContextVar("configfs_seen", default=None)

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC


def _open_dir(path: str) -> int | None:
    """A descriptor of the directory; ``None`` if it is gone, or cannot be opened (noted)."""
    try:
        return os.open(path, _DIR_FLAGS)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        _note(path, exc)
        return None


def _read_setting(dir_fd: int, name: str) -> str:
    """One file of a settings directory, stripped (opened relative to the directory). Raises OSError."""
    limit = INFO_LIMIT if name == "info" else ATTRIBUTE_LIMIT
    return safe_io.read_bytes(name, limit, dir_fd=dir_fd).decode("utf-8", "replace").strip()


def read_settings(path: str, kind: str | None = None) -> Settings:
    """Every file of an ``attrib/``, ``param/`` or ``auth/`` directory, by name.

    Writability comes from the owner's mode bits, as rtslib-fb decides it.
    ``kind`` names the sort of directory (``"core/iblock/attrib"``, ``"iscsi/tpg/param"``…: no name holds
    a "/"): within a read, the mode of a name already seen in that kind is not looked up again
    (:data:`_modes`).
    """
    dir_fd = _open_dir(path)
    if dir_fd is None:
        return Settings()
    try:
        return _settings_at(dir_fd, path, kind)
    finally:
        os.close(dir_fd)


def _settings_at(dir_fd: int, path: str, kind: str | None) -> Settings:
    try:
        with os.scandir(dir_fd) as listing:
            entries = sorted(listing, key=_entry_name)
    except OSError as exc:
        _note(path, exc)
        return Settings()
    modes = _modes.get() if kind is not None else None
    seen = _seen.get() if kind is not None else None
    items = []
    for entry in entries:
        name = entry.name
        try:
            if not entry.is_file(follow_symlinks=False):  # the type is in the listing: no system call
                continue
            mode = modes.get((kind, name)) if modes is not None else None  # type: ignore[arg-type]
            if mode is None:
                mode = entry.stat(follow_symlinks=False).st_mode
                if modes is not None:
                    modes[(kind, name)] = mode  # type: ignore[index]
        except FileNotFoundError:
            continue
        if not mode & stat.S_IRUSR:
            items.append(Setting(name, None, bool(mode & stat.S_IWUSR), False, None))
            continue
        try:
            value = _read_setting(dir_fd, name)
        except FileNotFoundError:
            continue
        except OSError as exc:
            items.append(Setting(name, None, bool(mode & stat.S_IWUSR), True, exc.strerror or str(exc)))
            continue
        if seen is None:
            items.append(Setting(name, value, bool(mode & stat.S_IWUSR), True, None))
            continue
        key = (name, value, mode)
        setting = seen.get(key)
        if setting is None:
            setting = seen[key] = Setting(name, value, bool(mode & stat.S_IWUSR), True, None)
        items.append(setting)  # the same value once: thousands of objects share their defaults
    return Settings(tuple(items))


def _entry_name(entry: os.DirEntry) -> str:
    return entry.name


def parse_info(text: str) -> dict[str, str]:
    """The ``key: value`` pairs of a backstore ``info`` file.

    Parsed the way rtslib-fb does (whitespace joined, value up to the next
    space or colon), for every key rtslib-fb relies on.
    """
    words = " ".join(text.split())
    found: dict[str, str] = {}
    for key, marker in _INFO_MARKERS:
        start = words.find(marker)
        while start > 0 and words[start - 1] != " ":
            start = words.find(marker, start + 1)
        if start < 0:
            continue
        begin = start + len(marker)
        end = len(words)
        for stop in (" ", ":"):
            pos = words.find(stop, begin, end)
            if pos >= 0:
                end = pos
        if end > begin:
            found[key] = words[begin:end]
    return found


#: The keys of an ``info`` file rtslib-fb relies on, each with what precedes its value.
_INFO_MARKERS = tuple((key, f"{key}: ") for key in (
    "Status", "Max Queue Depth", "SectorSize", "HwMaxSectors", "iBlock device",
    "UDEV PATH", "readonly", "exclusive", "Major", "Minor", "File", "Size", "Mode",
    "Async", "PAGES/PAGE_SIZE", "nullio", "Config", "MaxDataAreaMB",
    "DataPagesPerBlk", "Host ID", "Channel ID", "Target ID", "LUN",
    "TCM FILEIO ID",
))


def _rel(cfs: str, path: str) -> str:
    """``path`` relative to the configfs target root (``path`` is always under it)."""
    return path[len(cfs) + 1:]


_NOT_A_LINK = "\0not-a-link"


def _link_target(link_path: str, cfs: str) -> str | None:
    """Where a configfs symlink points, relative to the target root.

    The kernel writes relative links (``../../../../../../target/core/...``);
    they are resolved by counting the ``..`` rather than with
    ``os.path.realpath``/``relpath``, which cost more than the read itself
    on a tree of 10,000 LUNs.
    """
    try:
        dest = os.readlink(link_path)
    except OSError as exc:
        return _NOT_A_LINK if exc.errno == errno.EINVAL else None
    ups = dest.count("../")
    rest = dest[3 * ups:]  # the kernel's form: ups times "../", then names without "." or ".." or ""
    if (rest and dest.startswith("../" * ups) and "/." not in "/" + rest and "//" not in rest
            and rest[0] != "/" and rest[-1] != "/"):
        full = link_path.rsplit("/", ups + 1)[0] + "/" + rest
    else:
        full = os.path.normpath(os.path.join(os.path.dirname(link_path), dest))
    prefix = cfs + "/"
    return full[len(prefix):] if full.startswith(prefix) else None


# --- storage objects -------------------------------------------------------


def _storage_object(root: str, cfs: str, hba: str, entry: os.DirEntry, details: bool = False) -> StorageObject:
    prefix = hba.rsplit("_", 1)[0]
    plugin = PLUGIN_BY_DIR_PREFIX.get(prefix, prefix)
    path = entry.path
    try:
        info_text = _read(path + "/info")
    except FileNotFoundError as exc:
        raise _Vanished(path) from exc
    except OSError as exc:
        _note(path + "/info", exc)
        info_text = ""
    info = parse_info(info_text)
    enabled = _flag(path + "/enable")
    enabled = True if enabled is None else enabled
    serial = _read_opt(path + "/wwn/vpd_unit_serial")
    wwn = serial.partition(":")[2].strip() if serial else None
    udev_path = _read_opt(path + "/udev_path") or None
    status = info.get("Status", "").lower() or None
    size: int | None = None
    dev = udev_path
    write_back = readonly = exclusive = nullio = aio = None
    config = None
    hw_max_sectors = _int(info.get("HwMaxSectors"))
    if plugin in ("block", "fileio"):
        write_back = _flag(path + "/attrib/emulate_write_cache")
    if plugin == "block":
        readonly = info.get("readonly") == "1"
        exclusive = info.get("exclusive", "1") == "1"
        kname = info.get("iBlock device")
        if kname:
            sectors = _int(_read_opt(os.path.join(root, "sys/class/block", kname) + "/size"))
            if sectors is not None:
                size = sectors * 512
    elif plugin == "fileio":
        if not dev:
            dev = info.get("File")
        size = _int(info.get("Size"))
        aio = info.get("Async") == "1"
    elif plugin == "ramdisk":
        pages, _, page_size = info.get("PAGES/PAGE_SIZE", "").partition("*")
        pages_n, page_size_n = _int(pages), _int(page_size)
        if pages_n is not None and page_size_n is not None:
            size = pages_n * page_size_n
        nullio = info.get("nullio") == "1"
    elif plugin == "user":
        size = _int(info.get("Size"))
        config = info.get("Config")
        if config == "NULL":
            config = None
    so = StorageObject(
        plugin=plugin,
        name=entry.name,
        hba=hba,
        path=_rel(cfs, path),
        dev=dev,
        size=size,
        wwn=wwn,
        status=status,
        enabled=enabled,
        write_back=write_back,
        readonly=readonly,
        exclusive=exclusive,
        nullio=nullio,
        aio=aio,
        config=config,
        hw_max_sectors=hw_max_sectors,
        info=MappingProxyType(info),
        attributes=read_settings(path + "/attrib", "core/" + prefix + "/attrib") if details else None,
    )
    return replace(so, alua_groups=_alua_groups(path, so)) if details else so


def alua_supported(so: StorageObject) -> bool:
    """Whether rtslib-fb lists ALUA groups for this object (pass-through needs the attribute)."""
    return so.alua_supported


def read_storage_object_details(root: str, so: StorageObject) -> StorageObject:
    """The object with every attribute and ALUA group read."""
    path = os.path.join(target_dir(root), so.path)
    prefix = so.hba.rsplit("_", 1)[0]
    so = replace(so, attributes=read_settings(os.path.join(path, "attrib"), "core/" + prefix + "/attrib"))
    return replace(so, alua_groups=_alua_groups(path, so))


def _alua_groups(path: str, so: StorageObject) -> tuple[AluaGroup, ...]:
    """The ALUA groups of the object at ``path`` (none where rtslib-fb lists none)."""
    groups: list[AluaGroup] = []
    if alua_supported(so):
        kind = "core/" + so.hba.rsplit("_", 1)[0] + "/alua"
        for entry in _subdirs(path + "/alua"):
            settings = read_settings(entry.path, kind)
            groups.append(AluaGroup(entry.name, settings.int_value("tg_pt_gp_id"), settings))
    return tuple(groups)


# --- fabrics, targets, TPGs ------------------------------------------------


def _fabric_wwn(fabric: str, name: str) -> str:
    """The canonical WWN rtslib-fb uses for a configfs directory name."""
    if fabric in ("qla2xxx", "efct", "tcm_fc"):
        return "naa." + name.replace(":", "")
    if fabric == "srpt" and name.startswith("0x"):
        return "ib." + name[2:]
    if fabric == "sbp":
        return "eui." + name
    return name


#: The files a LUN or mapped-LUN directory has besides its link (whose name
#: is a random alias): skipped without a readlink.
_LUN_DIR_FILES = frozenset({
    "alua_tg_pt_gp", "alua_tg_pt_offline", "alua_tg_pt_status", "alua_tg_pt_write_md",
    "statistics", "write_protect",
})


def _listdir(path: str) -> list[str]:
    """Names in a directory (cheaper than scandir where types are not needed)."""
    try:
        return os.listdir(path)
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise _Vanished(path) from exc
    except OSError as exc:
        _note(path, exc)
        raise _Vanished(path) from exc


def _find_link(path: str, cfs: str) -> tuple[str | None, str | None]:
    """(alias, destination relative to the target root) of the one link in a LUN directory."""
    for name in _listdir(path):
        if name in _LUN_DIR_FILES:
            continue
        found = _link_target(f"{path}/{name}", cfs)
        if found is not _NOT_A_LINK:
            return name, found
    return None, None


def _lun(cfs: str, path: str, name: str, alua: Collection[tuple[str, str]] | None = None) -> Lun:
    """A TPG LUN; with ``alua`` (the storage objects whose ALUA groups rtslib-fb lists), its group too."""
    index = parse_int(name[4:])
    alias, dest = _find_link(path, cfs)
    so_key = None
    if dest:
        parts = dest.split("/")
        if len(parts) == 3 and parts[0] == "core":
            prefix = parts[1].rsplit("_", 1)[0]
            so_key = (PLUGIN_BY_DIR_PREFIX.get(prefix, prefix), parts[2])
    group = _alua_group_name(_read_opt(path + "/alua_tg_pt_gp")) if alua and so_key in alua else None
    return Lun(index=index, alias=alias, storage_object=so_key, path=_rel(cfs, path), alua_tg_pt_gp_name=group)


def _alua_group_name(raw: str | None) -> str | None:
    """The group a LUN's ``alua_tg_pt_gp`` names (its first line: ``TG Port Alias: <name>``)."""
    if not raw:
        return None
    first = raw.splitlines()[0]
    return first.split(":", 1)[1].strip() if ":" in first else None


def _mapped_lun(cfs: str, lun_dir: str, path: str, name: str) -> MappedLun:
    index = parse_int(name[4:])
    alias, dest = _find_link(path, cfs)
    tpg_lun = None
    if dest:
        head, _, target_lun = dest.rpartition("/")
        if head == lun_dir and target_lun.startswith("lun_"):
            tpg_lun = _int(target_lun[4:])
    try:
        write_protect = _read(path + "/write_protect") == "1"
    except FileNotFoundError as exc:
        raise _Vanished(path) from exc
    except OSError:
        write_protect = False
    return MappedLun(index, tpg_lun, write_protect, alias, _rel(cfs, path))


def _acl(cfs: str, tpg_rel: str, fabric: str, path: str, name: str, read_mapped: bool = True,
         details: bool = False) -> NodeAcl:
    mapped = []
    unread = 0
    tag = None
    depth = None
    lun_dir = tpg_rel + "/lun"
    for child in _listdir(path):
        if child.startswith("lun_"):
            if not read_mapped:
                unread += 1
                continue
            try:
                mapped.append(_mapped_lun(cfs, lun_dir, f"{path}/{child}", child))
            except (_Vanished, ValueError):
                continue
        elif child == "tag":
            tag = _read_opt(f"{path}/tag") or None
        elif child == "cmdsn_depth":
            depth = _int(_read_opt(f"{path}/cmdsn_depth"))
    return NodeAcl(
        node_wwn=_fabric_wwn(fabric, name),
        path=_rel(cfs, path),
        mapped_luns=tuple(mapped),
        tag=tag,
        cmdsn_depth=depth,
        attributes=read_settings(path + "/attrib", fabric + "/acl/attrib") if details else None,
        auth=_auth_if_present(path + "/auth", fabric + "/acl/auth") if details else None,
        unread_mapped_luns=None if read_mapped else unread,
    )


def read_mapped_luns(root: str, acl: NodeAcl) -> NodeAcl:
    """The ACL with its mapped LUNs read (a no-op when they already are).

    Mapped LUNs are most of a big configuration's files (two ACLs seeing
    10,000 LUNs are 20,000 directories, each a listing, a link and a file),
    yet nobody looks at them until an ACL is opened: the TUI's first read
    skips them and this reads one ACL's when it is.
    """
    if acl.unread_mapped_luns is None:
        return acl
    cfs = os.path.normpath(os.path.abspath(target_dir(root)))
    path = os.path.join(cfs, acl.path)
    lun_dir = acl.path.rsplit("/acls/", 1)[0] + "/lun"
    mapped = []
    for child in _names(path):
        if child.startswith("lun_"):
            try:
                mapped.append(_mapped_lun(cfs, lun_dir, f"{path}/{child}", child))
            except (_Vanished, ValueError):
                continue
    return replace(acl, mapped_luns=tuple(mapped), unread_mapped_luns=None)


def fill_mapped_luns(config: SanConfig) -> SanConfig:
    """The configuration with every ACL's mapped LUNs read (itself if none is missing).

    What a change needs before it is planned: which LUNs an ACL sees, the next
    free mapped-LUN index, what a delete takes with it.
    """
    if not any(acl.unread_mapped_luns is not None for acl in _acls(config)):
        return config
    root = config.root

    def tpg_filled(tpg: Tpg) -> Tpg:
        if all(acl.unread_mapped_luns is None for acl in tpg.acls):
            return tpg
        return replace(tpg, acls=tuple(read_mapped_luns(root, acl) for acl in tpg.acls))

    fabrics = tuple(
        replace(fabric, targets=tuple(
            replace(target, tpgs=tuple(tpg_filled(tpg) for tpg in target.tpgs)) for target in fabric.targets
        ))
        for fabric in config.fabrics
    )
    return replace(config, fabrics=fabrics)


def _acls(config: SanConfig) -> Iterable[NodeAcl]:
    for fabric in config.fabrics:
        for target in fabric.targets:
            for tpg in target.tpgs:
                yield from tpg.acls


def _portal(cfs: str, entry: os.DirEntry) -> Portal:
    ip, _, port = entry.name.rpartition(":")
    return Portal(
        ip_address=ip,
        port=parse_int(port),
        path=_rel(cfs, entry.path),
        iser=_flag(os.path.join(entry.path, "iser")) or False,
        offload=_flag(os.path.join(entry.path, "cxgbit")) or False,
    )


#: The TPG attributes the tree's labels and the live panels use: all the light read takes.
SUMMARY_TPG_ATTRIBUTES = ("authentication", "demo_mode_write_protect", "generate_node_acls")


def _summary_settings(path: str, names: tuple[str, ...]) -> Settings:
    """Just these settings, read without listing the directory or stat-ing each file.

    Writability is not looked at (assumed writable): whatever edits a
    setting reads the whole directory first (``read_tpg_details``).
    """
    items = []
    for name in names:
        value = _read_opt(f"{path}/{name}")
        if value is not None:
            items.append(Setting(name, value, True, True, None))
    return Settings(tuple(items))


def _tpg(cfs: str, fabric: str, entry: os.DirEntry, read_mapped: bool = True, all_attributes: bool = True,
         details: bool = False, alua: Collection[tuple[str, str]] | None = None) -> Tpg:
    if not entry.name.startswith("tpgt_"):
        raise ValueError(f"{entry.name}: not a TPG")
    tag = parse_int(entry.name[5:])
    tpg_rel = _rel(cfs, entry.path)
    luns: list[Lun] = []
    acls: list[NodeAcl] = []
    portals: list[Portal] = []
    for name in _names(entry.path + "/lun"):
        if name.startswith("lun_"):
            try:
                luns.append(_lun(cfs, f"{entry.path}/lun/{name}", name, alua))
            except (_Vanished, ValueError):
                continue
    for name in _names(entry.path + "/acls"):
        try:
            acls.append(_acl(cfs, tpg_rel, fabric, f"{entry.path}/acls/{name}", name, read_mapped, details))
        except _Vanished:
            continue
    for sub in _subdirs(entry.path + "/np"):
        try:
            portals.append(_portal(cfs, sub))
        except ValueError:
            continue
    enabled = _flag(entry.path + "/enable")
    nexus = _read_opt(entry.path + "/nexus") if fabric in ("loopback", "vhost", "xen-pvscsi") else None
    return Tpg(
        tag=tag,
        path=tpg_rel,
        enabled=True if enabled is None else enabled,
        luns=tuple(luns),
        acls=tuple(acls),
        portals=tuple(portals),
        attributes=(read_settings(entry.path + "/attrib", fabric + "/tpg/attrib") if all_attributes
                    else _summary_settings(entry.path + "/attrib", SUMMARY_TPG_ATTRIBUTES)),
        parameters=read_settings(entry.path + "/param", fabric + "/tpg/param") if details else None,
        auth=_auth_if_present(entry.path + "/auth", fabric + "/tpg/auth") if details else None,
        nexus=nexus or None,
    )


def _target(cfs: str, fabric: str, entry: os.DirEntry, read_mapped: bool = True, all_attributes: bool = True,
            details: bool = False, alua: Collection[tuple[str, str]] | None = None) -> Target:
    tpgs = []
    for sub in _subdirs(entry.path):
        if not sub.name.startswith("tpgt"):
            continue
        try:
            tpgs.append(_tpg(cfs, fabric, sub, read_mapped, all_attributes, details, alua))
        except ValueError:
            continue
    return Target(fabric=fabric, wwn=_fabric_wwn(fabric, entry.name), path=_rel(cfs, entry.path), tpgs=tuple(tpgs),
                  parameters=read_settings(entry.path + "/param", fabric + "/target/param") if details else None)


def read_auth(path: str, kind: str | None = None) -> Auth:
    """The CHAP files of an ``auth/`` or ``discovery_auth/`` directory."""
    return _auth(read_settings(path, kind))


def _auth_if_present(path: str, kind: str) -> Auth | None:
    """The CHAP files of an ``auth/`` directory; ``None`` where there is none (a fabric without CHAP)."""
    try:
        dir_fd = os.open(path, _DIR_FLAGS)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:  # there, but cannot be opened: as an unlistable auth/ reads
        _note(path, exc)
        return _auth(Settings())
    try:
        return _auth(_settings_at(dir_fd, path, kind))
    finally:
        os.close(dir_fd)


def _auth(settings: Settings) -> Auth:

    def text(name: str) -> str:
        value = settings.value(name, "") or ""
        return "" if value == "NULL" else value

    def flag(name: str) -> bool | None:
        value = settings.int_value(name)
        return None if value is None else bool(value)

    return Auth(
        userid=text("userid"),
        password=Secret(text("password")),
        mutual_userid=text("userid_mutual"),
        mutual_password=Secret(text("password_mutual")),
        authenticate_target=flag("authenticate_target"),
        enforce=flag("enforce_discovery_auth"),
    )


def read_tpg_details(root: str, tpg: Tpg) -> Tpg:
    path = os.path.join(target_dir(root), tpg.path)
    fabric = _fabric_of(tpg.path)
    return replace(
        tpg,
        attributes=read_settings(os.path.join(path, "attrib"), fabric + "/tpg/attrib"),
        parameters=read_settings(os.path.join(path, "param"), fabric + "/tpg/param"),
        auth=_auth_if_present(os.path.join(path, "auth"), fabric + "/tpg/auth"),
    )


def _fabric_of(path: str) -> str:
    """The fabric directory a path relative to the target root is in (``iscsi/iqn…/tpgt_1`` → ``iscsi``)."""
    return path.split("/", 1)[0]


def read_acl_details(root: str, acl: NodeAcl) -> NodeAcl:
    acl = read_mapped_luns(root, acl)
    path = os.path.join(target_dir(root), acl.path)
    fabric = _fabric_of(acl.path)
    return replace(
        acl,
        attributes=read_settings(os.path.join(path, "attrib"), fabric + "/acl/attrib"),
        auth=_auth_if_present(os.path.join(path, "auth"), fabric + "/acl/auth"),
    )


def read_lun_details(root: str, lun: Lun, so: StorageObject | None) -> Lun:
    """The LUN with its ALUA group name, read as rtslib-fb reads it."""
    if so is None or not alua_supported(so):
        return replace(lun, alua_tg_pt_gp_name=None)
    raw = _read_opt(os.path.join(target_dir(root), lun.path, "alua_tg_pt_gp"))
    return replace(lun, alua_tg_pt_gp_name=_alua_group_name(raw))


def read_target_details(root: str, target: Target) -> Target:
    path = os.path.join(target_dir(root), target.path)
    return replace(target, parameters=read_settings(os.path.join(path, "param"), target.fabric + "/target/param"))


def _fabrics(cfs: str, targets: Scope, read_mapped: bool = True, all_attributes: bool = True,
             details: bool = False, alua: Collection[tuple[str, str]] | None = None) -> list[Fabric]:
    present = {e.name: e for e in _subdirs(cfs) if e.name != "core"}
    fabrics = []
    known_dirs = set()
    for name, dirname in FABRIC_DIRS.items():
        known_dirs.add(dirname)
        entry = present.get(dirname)
        if entry is not None:
            fabrics.append(_fabric(cfs, name, entry, targets, read_mapped, all_attributes, details, alua))
    for dirname, entry in present.items():
        if dirname not in known_dirs:
            fabrics.append(_fabric(cfs, dirname, entry, targets, read_mapped, all_attributes, details, alua))
    return fabrics


def _fabric(cfs: str, name: str, entry: os.DirEntry, scope: Scope, read_mapped: bool = True,
            all_attributes: bool = True, details: bool = False,
            alua: Collection[tuple[str, str]] | None = None) -> Fabric:
    targets = [
        _target(cfs, name, sub, read_mapped, all_attributes, details, alua)
        for sub in _subdirs(entry.path)
        if sub.name not in _FABRIC_NON_TARGETS and (scope is None or (name, _fabric_wwn(name, sub.name)) in scope)
    ]
    version = _read_opt(entry.path + "/lio_version") or _read_opt(entry.path + "/version")
    disc_dir = entry.path + "/discovery_auth"
    discovery = read_auth(disc_dir) if os.path.isdir(disc_dir) else None
    return Fabric(name=name, path=_rel(cfs, entry.path), targets=tuple(targets), version=version, discovery_auth=discovery)


def _storage_objects(root: str, cfs: str, problems: list[Problem], scope: Scope,
                     details: bool = False) -> list[StorageObject]:
    found = []
    for hba in _subdirs(cfs + "/core"):
        if "_" not in hba.name:
            continue  # core/alua holds the LU groups, not storage objects
        prefix = hba.name.rsplit("_", 1)[0]
        plugin = PLUGIN_BY_DIR_PREFIX.get(prefix, prefix)
        for entry in _subdirs(hba.path):
            if scope is not None and (plugin, entry.name) not in scope:
                continue
            try:
                found.append(_storage_object(root, cfs, hba.name, entry, details))
            except _Vanished:
                continue
            except OSError as exc:
                problems.append(Problem(_rel(cfs, entry.path), exc.strerror or str(exc)))
    return found


# --- the whole configuration -----------------------------------------------


def rough_size(root: str = "/") -> int:
    """Backstore HBAs plus targets, counted with a handful of directory listings.

    Tells a big configuration from a small one before reading it (the TUI
    reads a big one only after its first frame is drawn, rather than making
    both wait on each other for the interpreter). rtslib-fb gives each
    storage object its own HBA, so HBAs count storage objects without
    listing each. 0 when there is no tree.
    """
    cfs = target_dir(root)
    count = sum(1 for hba in _names(cfs + "/core") if "_" in hba)
    for fabric in _names(cfs):
        if fabric != "core" and os.path.isdir(f"{cfs}/{fabric}"):
            count += sum(1 for name in _names(f"{cfs}/{fabric}") if name not in _FABRIC_NON_TARGETS)
    return count


#: A set of (fabric, wwn) targets or (plugin, name) storage objects to read; None = all.
Scope = Collection[tuple[str, str]] | None


def read_config(
    root: str = "/", *, details: bool = False, targets: Scope = None, storage_objects: Scope = None,
    mapped_luns: bool = True, tpg_attributes: bool = True,
) -> SanConfig:
    """Build the model of ``<root>/sys/kernel/config/target``.

    Without ``details`` only what the tree's labels need is read; with it,
    every attribute, parameter, auth file and ALUA group (what export needs).
    ``targets`` and ``storage_objects`` limit the read to those objects (every
    fabric is still listed): the writer re-reads just what a change touches.
    ``mapped_luns=False`` leaves each ACL's mapped LUNs unread, only counted
    (:attr:`NodeAcl.unread_mapped_luns`): the TUI's start, where they are
    most of the files; :func:`read_mapped_luns` and :func:`fill_mapped_luns`
    read them later, and ``details`` reads them too. ``tpg_attributes=False``
    reads only :data:`SUMMARY_TPG_ATTRIBUTES` of each TPG (the labels'); a
    TPG's details (``read_tpg_details``) read them all. Otherwise each LUN's
    ALUA group, which its label names, is read with the LUN (the light read
    leaves it to the label, :func:`read_lun_details`).
    Everything is read in one walk: the details of an object with the object.
    Raises :class:`ConfigfsNotFound` if there is no LIO tree under ``root``.
    """
    cfs = os.path.normpath(os.path.abspath(target_dir(root)))
    if not os.path.isdir(cfs):
        raise ConfigfsNotFound(root, cfs)
    problems: list[Problem] = []
    token = _notes.set(problems)
    modes_token, seen_token = _modes.set({}), _seen.set({})
    try:
        sos = tuple(_storage_objects(root, cfs, problems, storage_objects, details))
        # What the LUNs' labels need, in the same pass: the ALUA group of each LUN whose object has them.
        alua = {so.key for so in sos if so.alua_supported} if tpg_attributes or details else None
        fabrics = tuple(_fabrics(cfs, targets, mapped_luns or details, tpg_attributes or details, details, alua))
    finally:
        _seen.reset(seen_token)
        _modes.reset(modes_token)
        _notes.reset(token)
    return SanConfig(root=root, storage_objects=sos, fabrics=fabrics, problems=tuple(_relative(cfs, problems)),
                     details=details, later=ConfigfsLaterReads(root))


def _relative(cfs: str, problems: list[Problem]) -> list[Problem]:
    """Notes with paths relative to the target root, each once."""
    out: dict[str, Problem] = {}
    for problem in problems:
        path = _rel(cfs, problem.path) if problem.path.startswith(cfs + "/") else problem.path
        out.setdefault(path, Problem(path, problem.message))
    return list(out.values())


class ConfigfsLaterReads:
    """What :func:`read_config` left unread, read from the same configfs tree when asked
    (:class:`~sanctl.model.LaterReads`)."""

    __slots__ = ("root",)

    def __init__(self, root: str) -> None:
        self.root = root

    def auth(self, path: str) -> Auth | None:
        directory = os.path.join(target_dir(self.root), path, "auth")
        return read_auth(directory) if os.path.isdir(directory) else None

    def mapped_luns(self, acl: NodeAcl) -> NodeAcl:
        return read_mapped_luns(self.root, acl)

    def lun_details(self, lun: Lun, so: StorageObject | None) -> Lun:
        return read_lun_details(self.root, lun, so)

    def all_mapped_luns(self, config: SanConfig) -> SanConfig:
        return fill_mapped_luns(config)

    def details(self, config: SanConfig) -> SanConfig:
        return fill_details(config)


def fill_details(config: SanConfig) -> SanConfig:
    """The configuration with every object's details read."""
    problems: list[Problem] = []
    token = _notes.set(problems)
    modes_token, seen_token = _modes.set({}), _seen.set({})
    try:
        config = _fill_details(config)
    finally:
        _seen.reset(seen_token)
        _modes.reset(modes_token)
        _notes.reset(token)
    if not problems:
        return config
    cfs = os.path.normpath(os.path.abspath(target_dir(config.root)))
    return replace(config, problems=tuple(_relative(cfs, list(config.problems) + problems)))


def _fill_details(config: SanConfig) -> SanConfig:
    root = config.root
    sos = tuple(read_storage_object_details(root, so) for so in config.storage_objects)
    by_key = {so.key: so for so in sos}
    fabrics = []
    for fabric in config.fabrics:
        targets = []
        for target in fabric.targets:
            tpgs = []
            for tpg in target.tpgs:
                tpg = read_tpg_details(root, tpg)
                luns = tuple(read_lun_details(root, lun, by_key.get(lun.storage_object)) for lun in tpg.luns)
                acls = tuple(read_acl_details(root, acl) for acl in tpg.acls)
                tpgs.append(replace(tpg, luns=luns, acls=acls))
            targets.append(replace(read_target_details(root, target), tpgs=tuple(tpgs)))
        fabrics.append(replace(fabric, targets=tuple(targets)))
    return replace(config, storage_objects=sos, fabrics=tuple(fabrics), details=True, so_index=MappingProxyType(by_key))


def iter_tree(config: SanConfig) -> Iterable[object]:
    """Every object of the configuration, parents before children."""
    yield from config.storage_objects
    for fabric in config.fabrics:
        yield fabric
        for target in fabric.targets:
            yield target
            for tpg in target.tpgs:
                yield tpg
                yield from tpg.luns
                for acl in tpg.acls:
                    yield acl
                    yield from acl.mapped_luns
                yield from tpg.portals
