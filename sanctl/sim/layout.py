"""The simulated kernel: LIO objects written under a root, file for file.

Each ``create_*`` function does to a plain directory tree what a ``mkdir`` or
``symlink`` (plus the attribute writes rtslib-fb makes right after) does to the
real configfs: it creates the directory, the default groups and every
attribute file the kernel shows, with the kernel's content and file mode, and
updates the files elsewhere that the kernel derives from the new object
(a backstore's ``info`` status and statistics once it is exported, the ALUA
``members`` lists, a target's portal count, …). The readers of sanctl and
rtslib-fb then read the result exactly as they read a real kernel.

State the kernel keeps but does not show in one place — allocation counters
(HBA ids, device and ACL indexes, relative port ids) and the uptime clock the
``creation_time`` statistics come from — lives in :class:`SimKernel`.
:meth:`SimKernel.boot` starts an empty kernel under a root;
:meth:`SimKernel.attach` rebuilds that state from a tree written earlier, so a
sim writer or the live simulator can pick up a demo tree.

Randomness (LUN aliases, unit serials) comes only from ``SimKernel.rng``, a
seeded :class:`random.Random`, so the same calls always give the same tree.

Names are validated before any path is built: empty names, ``.``/``..``,
``/`` and NUL are refused with :class:`InvalidName`, so nothing is ever
written outside the root. Kernel refusals (an object that exists, a group
that is not empty, a value out of range) are raised as :class:`OSError` with
the errno the kernel returns.

No Textual import here (and none anywhere under ``sanctl.sim``).
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import os
import random
import re
import shutil
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from sanctl.sim import kfiles as K

#: Where LIO's configfs lives under a root.
CONFIGFS_TARGET = "sys/kernel/config/target"
#: Scratch directory (outside configfs, same filesystem) for atomic rewrites.
SCRATCH = ".sim-tmp"

_O_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
_O_DIR = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_HBA_RE = re.compile(r"^(iblock|fileio|rd_mcp|pscsi|user)_(\d+)$")
_INFO_STATUS_RE = re.compile(r"^Status: \S+")


@dataclass(frozen=True)
class Link:
    """A symlink in a :data:`Spec` (``target`` relative, as configfs writes them)."""

    target: str


#: A directory's content: name -> ``(mode, text)`` file, sub-``Spec`` dict, or :class:`Link`.
Spec = dict[str, "tuple[int, str] | Spec | Link"]


class InvalidName(ValueError):
    """A name that would not be a single, safe path component."""


def check_name(name: object, what: str = "name", *, max_len: int = K.NAME_MAX) -> str:
    """Return ``name`` if it is usable as one configfs directory name, else raise.

    Refused: non-strings, the empty string, ``.`` and ``..``, anything with
    ``/`` or NUL, names longer than ``max_len`` bytes.
    """
    if not isinstance(name, str):
        raise InvalidName(f"{what} must be a string, not {type(name).__name__}")
    if not name:
        raise InvalidName(f"{what} is empty")
    if name in (".", ".."):
        raise InvalidName(f"{what} {name!r} is not a name")
    if "/" in name or "\0" in name:
        raise InvalidName(f"{what} {name!r} contains '/' or NUL")
    if len(name.encode("utf-8", "surrogateescape")) > max_len:
        raise InvalidName(f"{what} is longer than {max_len} bytes")
    return name


def _kerr(code: int, message: str, path: str | None = None) -> OSError:
    return OSError(code, f"{os.strerror(code)}: {message}", path)


def _index(value: object, what: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise _kerr(errno.EINVAL, f"{what} must be an integer in {lo}..{hi}, not {value!r}")
    return value


# ---------------------------------------------------------------------------
# Kernel state
# ---------------------------------------------------------------------------


@dataclass
class Device:
    """A backstore as the kernel holds it (``struct se_device`` + its HBA)."""

    hba: str  #: HBA directory, e.g. ``iblock_0``
    name: str
    prefix: str  #: ``iblock``, ``fileio``, ``rd_mcp``, ``pscsi`` or ``user``
    hba_id: int  #: ``hba_info`` "HBA Index"
    inst: int  #: SCSI instance index of the HBA (statistics ``inst``)
    index: int  #: device index (statistics ``indx`` / ``dev``)
    serial: str  #: T10 unit serial ('' if none)
    block_size: int
    hw_max_sectors: int
    info_tail: str  #: the backend's part of ``info``
    alua: bool  #: False when the backend passes ALUA through (pscsi)
    created_cs: int
    vendor: str = "LIO-ORG"
    model: str = ""
    revision: str = ""
    exports: list[tuple[str, int, int]] = field(default_factory=list)  #: (wwn, tag, lun)
    rtpi_next: int = 1
    #: ALUA group -> its LUNs in the kernel's list order (a LUN is in exactly one group).
    members: dict[str, list[tuple[str, int, int]]] = field(default_factory=dict)
    #: The fabric of each export that is not iSCSI (loopback LUNs).
    export_fabric: dict[tuple[str, int, int], str] = field(default_factory=dict)

    @property
    def rel(self) -> str:
        """Path relative to the configfs target dir: ``core/<hba>/<name>``."""
        return f"core/{self.hba}/{self.name}"


@dataclass
class _TargetState:
    index: int  #: tiqn index (fabric statistics ``inst``)
    nps: int = 0


class SimKernel:
    """Kernel-side state of the simulated LIO target, bound to one root.

    Create it with :meth:`boot` (fresh tree) or :meth:`attach` (existing tree);
    pass it as the first argument of every ``create_*`` / ``set_*`` /
    ``delete_*`` function of this module.
    """

    def __init__(self, root: str | os.PathLike[str], *, rng: random.Random | None = None,
                 uptime_cs: int = 560) -> None:
        self.root = os.path.abspath(os.fspath(root))
        self.cfs = os.path.join(self.root, CONFIGFS_TARGET)
        self.rng = rng if rng is not None else random.Random(0)
        #: Simulated jiffies since boot, in hundredths of a second.
        self.uptime_cs = uptime_cs
        self.devices: dict[tuple[str, str], Device] = {}  # (prefix, name) -> Device
        self.targets: dict[str, _TargetState] = {}
        #: Loopback (tcm_loop) targets: wwn -> the SCSI host number the kernel gave it.
        self.loopback: dict[str, int] = {}
        self.acl_index: dict[tuple[str, int, str], int] = {}
        self.next_hba_id = 1  # 0 is the kernel's internal rd_mcp HBA for virtual LUN 0
        self.next_inst = 2  # SCSI_INST_INDEX 1 went to that internal HBA
        self.next_dev_index = 1
        self.next_tiqn_index = 0
        self.next_acl_index = 1
        self.next_dm_minor = 0
        self.hba_indexes: set[int] = set()  # N of every <prefix>_<N> HBA directory
        self._hba_hint = 0  # no HBA index below this is free
        self.lu_gp_members: list[str] = []  # default_lu_gp members, in configure order
        #: NAF_*_SET flags of CHAP files written since boot/attach (path -> set).
        self.auth_flags: dict[str, bool] = {}
        self._batch_depth = 0
        self._dirty: dict[tuple[str, str], Device] = {}
        self._lu_gp_dirty = False
        self._scratch_ready = False
        self._tmp_seq = 0
        self._unknown_acls: list[tuple[str, int, str]] = []
        self._fix_modes = (_current_umask() & 0o755) != 0

    # -- construction -------------------------------------------------------

    @classmethod
    def boot(cls, root: str | os.PathLike[str], *, seed: int | None = 0,
             rng: random.Random | None = None, uptime_cs: int = 560,
             release: str = K.KERNEL_RELEASE, cpus_allowed_list: str = "0") -> SimKernel:
        """Load target_core_mod and iscsi_target_mod under ``root`` (must not hold a tree yet).

        Writes what the kernel shows with no object configured: ``version``,
        ``dbroot``, ``core/alua/lu_gps/default_lu_gp``, and the iSCSI fabric
        directory with ``lio_version``, ``cpus_allowed_list`` and
        ``discovery_auth/``.
        """
        k = cls(root, rng=rng if rng is not None else random.Random(seed), uptime_cs=uptime_cs)
        os.makedirs(os.path.dirname(k.cfs), exist_ok=True)
        k.write_tree(k.cfs, {
            "dbroot": (K.RW, K.DBROOT + "\n"),
            "version": (K.RO, K.VERSION_TEXT.format(core=K.TARGET_CORE_VERSION, release=release)),
            "core": {"alua": {"lu_gps": {"default_lu_gp": {
                "lu_gp_id": (K.RW, "0\n"), "members": (K.RO, ""),
            }}}},
            "iscsi": {
                "cpus_allowed_list": (K.RW, cpus_allowed_list + "\n"),
                "lio_version": (K.RO, K.LIO_VERSION_TEXT),
                "discovery_auth": {**_auth_spec(),
                                   "enforce_discovery_auth": (K.RW, "0\n")},
            },
        })
        return k

    @classmethod
    def attach(cls, root: str | os.PathLike[str], *, seed: int | None = 0,
               rng: random.Random | None = None) -> SimKernel:
        """Rebuild the kernel state from a tree this module (or a kernel capture) wrote.

        Counters restart above the highest index seen, which is what the
        kernel's monotonic counters guarantee for the objects still present.
        """
        k = cls(root, rng=rng if rng is not None else random.Random(seed))
        if not os.path.isdir(k.cfs):
            raise FileNotFoundError(errno.ENOENT, "no simulated configfs here", k.cfs)
        clock = 0
        core = os.path.join(k.cfs, "core")
        for hba in sorted(os.listdir(core)):
            m = _HBA_RE.match(hba)
            if not m:
                continue
            hba_path = os.path.join(core, hba)
            k.hba_indexes.add(int(m.group(2)))
            hba_id = int(_field(_read(os.path.join(hba_path, "hba_info")), "HBA Index"))
            k.next_hba_id = max(k.next_hba_id, hba_id + 1)
            k.next_inst = max(k.next_inst, hba_id + 2)
            for name in sorted(os.listdir(hba_path)):
                so = os.path.join(hba_path, name)
                if not os.path.isdir(so):
                    continue
                dev = k._device_from_tree(hba, m.group(1), hba_id, name, so)
                k.devices[(dev.prefix, name)] = dev
                clock = max(clock, dev.created_cs)
        # device-mapper volumes no backstore uses yet (spare LVs) hold their minors too
        block = os.path.join(k.root, "sys", "class", "block")
        for kname in os.listdir(block) if os.path.isdir(block) else ():
            m = re.fullmatch(r"dm-(\d+)", kname)
            if m:
                k.next_dm_minor = max(k.next_dm_minor, int(m.group(1)) + 1)
        iscsi = os.path.join(k.cfs, "iscsi")
        for wwn in sorted(os.listdir(iscsi)) if os.path.isdir(iscsi) else ():
            tdir = os.path.join(iscsi, wwn)
            inst_file = os.path.join(tdir, "fabric_statistics", "iscsi_instance", "inst")
            if not os.path.isfile(inst_file):
                continue
            state = _TargetState(index=int(_read(inst_file)))
            state.nps = int(_read(os.path.join(tdir, "fabric_statistics", "iscsi_instance", "portals")))
            k.targets[wwn] = state
            k.next_tiqn_index = max(k.next_tiqn_index, state.index + 1)
            for tpgt in os.listdir(tdir):
                if not tpgt.startswith("tpgt_"):
                    continue
                tag = int(tpgt[5:])
                clock = max(clock, k._tpg_from_tree(wwn, tag, os.path.join(tdir, tpgt)))
        loop = os.path.join(k.cfs, "loopback")
        for wwn in sorted(os.listdir(loop)) if os.path.isdir(loop) else ():
            tdir = os.path.join(loop, wwn)
            if not os.path.isdir(tdir) or wwn == "discovery_auth":
                continue
            host = 0
            for tpgt in sorted(os.listdir(tdir)):
                if not tpgt.startswith("tpgt_"):
                    continue
                address = _read(os.path.join(tdir, tpgt, "address"))
                host = int(address.split(":")[0]) if address[:1].isdigit() else host
                clock = max(clock, k._tpg_from_tree(wwn, int(tpgt[5:]), os.path.join(tdir, tpgt),
                                                    fabric="loopback"))
            k.loopback[wwn] = host
        for key in k._unknown_acls:
            k.acl_index[key] = k.next_acl_index
            k.next_acl_index += 1
        k._unknown_acls.clear()
        k.lu_gp_members = _read_raw(
            os.path.join(core, "alua", "lu_gps", "default_lu_gp", "members")).splitlines(keepends=True)
        # Order each backstore's exports as the kernel listed them in its ALUA groups.
        for dev in k.devices.values():
            alua = os.path.join(k.cfs, dev.rel, "alua")
            by_line = {_member_line(*e, fabric=dev.export_fabric.get(e, "iscsi")).strip(): e
                       for e in dev.exports}
            order: list[str] = []
            for group in sorted(os.listdir(alua)) if os.path.isdir(alua) else ():
                lines = _read_raw(os.path.join(alua, group, "members")).replace("\0", "").split()
                order += lines
                if dev.alua:
                    dev.members[group] = [by_line[line] for line in lines if line in by_line]
            pos = {line: i for i, line in enumerate(order)}
            dev.exports.sort(key=lambda e: pos.get(_member_line(*e, fabric=dev.export_fabric.get(e, "iscsi"))
                                                   .strip(), len(pos)))
            if dev.alua:
                listed = {e for group in dev.members.values() for e in group}
                dev.members.setdefault(DEFAULT_TG_PT_GP, []).extend(e for e in dev.exports if e not in listed)
        k.uptime_cs = clock + 1
        return k

    def _device_from_tree(self, hba: str, prefix: str, hba_id: int, name: str, so: str) -> Device:
        stats = os.path.join(so, "statistics")
        info = _read(os.path.join(so, "info"))
        first, _, tail = info.partition("\n")
        tail = tail[8:] if tail.startswith(" " * 8) else tail
        m = re.search(r"iBlock device: dm-(\d+)", tail)
        if m:
            self.next_dm_minor = max(self.next_dm_minor, int(m.group(1)) + 1)
        serial = _read(os.path.join(so, "wwn", "vpd_unit_serial")).partition(":")[2].strip()
        dev = Device(
            hba=hba, name=name, prefix=prefix, hba_id=hba_id,
            inst=int(_read(os.path.join(stats, "scsi_dev", "inst"))),
            index=int(_read(os.path.join(stats, "scsi_dev", "indx"))),
            serial=serial,
            block_size=int(_field(first, "SectorSize")),
            hw_max_sectors=int(_field(first, "HwMaxSectors")),
            info_tail=tail + ("\n" if tail and not tail.endswith("\n") else ""),
            alua=bool(_read(os.path.join(so, "alua_lu_gp"))),
            created_cs=int(_read(os.path.join(stats, "scsi_lu", "creation_time"))),
            vendor=_read(os.path.join(so, "wwn", "vendor_id")),
            model=_read(os.path.join(so, "wwn", "product_id")),
            revision=_read(os.path.join(so, "wwn", "revision")),
        )
        self.next_dev_index = max(self.next_dev_index, dev.index + 1)
        return dev

    def _tpg_from_tree(self, wwn: str, tag: int, tpg: str, *, fabric: str = "iscsi") -> int:
        clock = 0
        lun_root = os.path.join(tpg, "lun")
        for lun_dir in sorted(os.listdir(lun_root), key=_num_suffix):
            path = os.path.join(lun_root, lun_dir)
            dev = _lun_device(self, path)
            if dev is None:
                continue
            rtpi = int(_read(os.path.join(path, "statistics", "scsi_port", "indx")))
            dev.rtpi_next = max(dev.rtpi_next, rtpi + 1)
            export = (wwn, tag, _num_suffix(lun_dir))
            dev.exports.append(export)
            if fabric != "iscsi":
                dev.export_fabric[export] = fabric
        acl_root = os.path.join(tpg, "acls")
        for init in sorted(os.listdir(acl_root)):
            acl = os.path.join(acl_root, init)
            index = None
            for entry in os.listdir(acl):
                if entry.startswith("lun_"):
                    stats = os.path.join(acl, entry, "statistics", "scsi_auth_intr")
                    index = int(_read(os.path.join(stats, "indx")))
                    clock = max(clock, int(_read(os.path.join(stats, "creation_time"))))
            if index is None:  # no mapped LUN shows it: numbered after all known ones
                self._unknown_acls.append((wwn, tag, init))
                continue
            self.acl_index[(wwn, tag, init)] = index
            self.next_acl_index = max(self.next_acl_index, index + 1)
        return clock

    # -- helpers ------------------------------------------------------------

    def now(self) -> int:
        """The simulated uptime in 1/100 s, then advance it by one tick."""
        value = self.uptime_cs
        self.uptime_cs += 1
        return value

    def alias(self) -> str:
        """A 10-hex-digit link name as rtslib-fb makes them (``uuid4()[-10:]``)."""
        return f"{self.rng.getrandbits(40):010x}"

    def unit_serial(self) -> str:
        """A T10 unit serial as rtslib-fb makes them (a random UUID)."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def auth_flag(self, path: str) -> bool:
        """Whether a CHAP value counts as set (the kernel's NAF flag).

        Known exactly for files written through this object; for older files
        it is guessed from the content (written, not ``NULL``).
        """
        if path in self.auth_flags:
            return self.auth_flags[path]
        text = _read_raw(path).rstrip("\n")
        return bool(text) and not text.startswith("NULL")

    def device(self, plugin: str, name: str) -> Device:
        """The backstore ``plugin``/``name`` (plugin as rtslib or configfs spells it)."""
        prefix = K.PLUGIN_DIR.get(plugin)
        if prefix is None:
            raise _kerr(errno.EINVAL, f"unknown backstore plugin {plugin!r}")
        try:
            return self.devices[(prefix, name)]
        except KeyError:
            raise _kerr(errno.ENOENT, f"no storage object {plugin}/{name}") from None

    def path(self, *parts: str) -> str:
        return os.path.join(self.cfs, *parts)

    def write_tree(self, path: str, spec: Spec, *, create: bool = True) -> str:
        """Create directory ``path`` (unless ``create`` is False) and fill it from ``spec``.

        ``spec`` maps names to ``(mode, text)`` for a file, a dict for a
        subdirectory, or a :class:`Link` for a symlink. Files are created
        with ``O_EXCL`` relative to an open directory (``openat``), so an
        existing entry is an error and no path is walked twice.
        """
        if create:
            os.mkdir(path, K.DIR)
            if self._fix_modes:
                os.chmod(path, K.DIR)
        dfd = os.open(path, _O_DIR)
        try:
            self._fill(dfd, spec)
        finally:
            os.close(dfd)
        return path

    def _fill(self, dfd: int, spec: Spec) -> None:
        fix = self._fix_modes
        for name, item in spec.items():
            kind = type(item)
            if kind is tuple:
                mode, text = item  # type: ignore[misc]
                fd = os.open(name, _O_NEW, mode, dir_fd=dfd)
                try:
                    if text:
                        os.write(fd, text.encode())
                    if fix:
                        os.fchmod(fd, mode)
                finally:
                    os.close(fd)
            elif kind is dict:
                os.mkdir(name, K.DIR, dir_fd=dfd)
                sub = os.open(name, _O_DIR, dir_fd=dfd)
                try:
                    if fix:
                        os.fchmod(sub, K.DIR)
                    self._fill(sub, item)  # type: ignore[arg-type]
                finally:
                    os.close(sub)
            elif kind is Link:
                os.symlink(item.target, name, dir_fd=dfd)  # type: ignore[union-attr]
            else:
                raise TypeError(f"bad spec entry for {name!r}: {item!r}")

    def _rewrite(self, path: str, text: str | bytes, mode: int) -> None:
        """Replace a file's content atomically (readers see old or new, never half)."""
        scratch = os.path.join(self.root, SCRATCH)
        if not self._scratch_ready:
            os.makedirs(scratch, exist_ok=True)
            self._scratch_ready = True
        self._tmp_seq += 1
        tmp = os.path.join(scratch, f"w{os.getpid()}-{self._tmp_seq}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0), mode)
        try:
            if text:
                os.write(fd, text if isinstance(text, bytes) else text.encode())
            os.fchmod(fd, mode)
        finally:
            os.close(fd)
        os.replace(tmp, path)

    def _remove_tree(self, path: str) -> None:
        """rmdir as one step: move the subtree out of configfs, then delete it."""
        scratch = os.path.join(self.root, SCRATCH)
        os.makedirs(scratch, exist_ok=True)
        self._tmp_seq += 1
        grave = os.path.join(scratch, f"rm{os.getpid()}-{self._tmp_seq}")
        os.rename(path, grave)
        shutil.rmtree(grave)

    # -- batching -----------------------------------------------------------

    @contextlib.contextmanager
    def batch(self) -> Iterator[SimKernel]:
        """Defer the files derived from many objects until the block ends.

        Inside the block, exporting a backstore or adding one only marks its
        ``info``, statistics and ALUA ``members`` (and the LU group's) stale;
        they are written once on exit. Use it for bulk builds; readers
        looking at the tree meanwhile may see those files lag.
        """
        self._batch_depth += 1
        try:
            yield self
        finally:
            self._batch_depth -= 1
            if not self._batch_depth:
                self.flush()

    def flush(self) -> None:
        """Write every derived file left stale by :meth:`batch`."""
        dirty, self._dirty = self._dirty, {}
        for dev in dirty.values():
            _write_export_state(self, dev)
        if self._lu_gp_dirty:
            self._lu_gp_dirty = False
            _write_lu_gp_members(self)


def _current_umask() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _read(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as handle:
        return handle.read().strip()


def _read_raw(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as handle:
        return handle.read()


def _field(text: str, key: str) -> str:
    m = re.search(re.escape(key) + r": ([^: ]+)", " ".join(text.split()))
    if not m:
        raise ValueError(f"no {key!r} in {text!r}")
    return m.group(1)


def _num_suffix(name: str) -> int:
    try:
        return int(name.rsplit("_", 1)[1])
    except (IndexError, ValueError):
        return -1


def _auth_spec() -> Spec:
    return {
        "authenticate_target": (K.RO, "0\n"),
        "password": (K.RW, "\n"),
        "password_mutual": (K.RW, "\n"),
        "userid": (K.RW, "\n"),
        "userid_mutual": (K.RW, "\n"),
    }


#: The ALUA target port group the kernel gives every backstore.
DEFAULT_TG_PT_GP = "default_tg_pt_gp"
#: The name each fabric module gives itself (``fabric_name``): ALUA members, statistics.
_FABRIC_NAMES = {"iscsi": K.FABRIC_NAME, "loopback": "loopback"}


def _member_line(wwn: str, tag: int, lun: int, *, fabric: str = "iscsi") -> str:
    return f"{_FABRIC_NAMES.get(fabric, fabric)}/{wwn}/tpgt_{tag}/lun_{lun}\n"


# ---------------------------------------------------------------------------
# Backstores
# ---------------------------------------------------------------------------


def _block_kname(k: SimKernel, dev: str) -> tuple[str, int, int]:
    """The kernel name and numbers a block device path would have on a typical host."""
    base = os.path.basename(dev)
    m = re.fullmatch(r"loop(\d+)", base)
    if m:
        return base, 7, int(m.group(1))
    m = re.fullmatch(r"sd([a-z]+)", base)
    if m:
        n = 0
        for ch in m.group(1):
            n = n * 26 + (ord(ch) - ord("a") + 1)
        n -= 1
        return base, 8 if n < 16 else 65 + (n // 16 - 1), (n % 16) * 16
    m = re.fullmatch(r"md(\d+)", base)
    if m:
        return base, 9, int(m.group(1))
    minor = k.next_dm_minor  # LVs, multipath, anything under /dev/mapper or /dev/<vg>/
    k.next_dm_minor += 1
    return f"dm-{minor}", 253, minor


def create_storage_object(
    k: SimKernel,
    plugin: str,
    name: str,
    *,
    dev: str | None = None,
    size: int | None = None,
    wwn: str | None = None,
    write_back: bool = False,
    readonly: bool = False,
    aio: bool = False,
    nullio: bool = False,
    config: str | None = None,
    kname: str | None = None,
    major: int | None = None,
    minor: int | None = None,
    scsi_address: tuple[int, int, int, int] = (0, 0, 0, 0),
    inquiry: tuple[str, str, str] = ("ATA", "QEMU HARDDISK", "2.5+"),
    attributes: dict[str, int | str] | None = None,
    index: int | None = None,
) -> Device:
    """Create and enable a backstore as rtslib-fb does: HBA dir, device dir, configure.

    ``plugin`` is rtslib's name or the configfs prefix: ``block``/``iblock``
    (needs ``dev``), ``fileio`` (``dev`` = file, ``size`` bytes, ``write_back``,
    ``aio``), ``ramdisk``/``rd_mcp`` (``size`` bytes, ``nullio``), ``pscsi``
    (``dev``, ``scsi_address`` = host/channel/target/lun, ``inquiry`` =
    vendor/model/rev of the real device) or ``user`` (``config`` =
    ``handler/cfg``, ``size``). The HBA directory is ``<prefix>_<N>`` with N the
    lowest index no backstore uses, as rtslib-fb allocates it (``index`` forces
    one). ``wwn`` is the unit serial (random from ``k.rng`` if omitted);
    ``attributes`` overrides device-dependent attribute values (hw_max_sectors,
    is_nonrot, …). The object starts unexported: ``Status: DEACTIVATED``.
    """
    prefix = K.PLUGIN_DIR.get(plugin)
    if prefix is None:
        raise _kerr(errno.EINVAL, f"unknown backstore plugin {plugin!r}")
    check_name(name, "storage object name")
    if (prefix, name) in k.devices:
        raise _kerr(errno.EEXIST, f"storage object {prefix}/{name} exists")
    core = k.path("core")
    if index is None:  # rtslib-fb: the lowest index no backstore of any plugin uses
        index = k._hba_hint
        while index in k.hba_indexes:
            index += 1
        k._hba_hint = index + 1
    elif isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise _kerr(errno.EINVAL, f"invalid HBA index {index!r}")
    hba = f"{prefix}_{index}"
    hba_path = os.path.join(core, hba)
    if os.path.lexists(hba_path):
        raise _kerr(errno.EEXIST, f"HBA {hba} exists", hba_path)

    if prefix in ("iblock", "pscsi") and not dev:
        raise _kerr(errno.EINVAL, f"a {plugin} backstore needs dev=")
    if prefix == "fileio" and (not dev or size is None):
        raise _kerr(errno.EINVAL, "a fileio backstore needs dev= and size=")
    if prefix in ("rd_mcp", "user") and size is None:
        raise _kerr(errno.EINVAL, f"a {plugin} backstore needs size=")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size <= 0):
        raise _kerr(errno.EINVAL, f"size must be a positive integer, not {size!r}")
    if prefix == "user":
        if not config or ":" in config or "/" not in config:
            raise _kerr(errno.EINVAL, "a user backstore needs config='<handler>/<cfgstring>'")

    # What the backend computes when it configures the device.
    alua = True
    udev_path = dev or ""
    vendor, model, rev = "LIO-ORG", K.INQUIRY_PROD.get(prefix, ""), K.INQUIRY_REV.get(prefix, "")
    action: tuple[tuple[str, int, str], ...] = ()
    ro_attrs = K.SBC_RO
    pr_files = K.PR_FILES
    serial = wwn if wwn is not None else k.unit_serial()
    if prefix == "iblock":
        attrib: dict[str, int | str] = dict(K.IBLOCK_ATTRIB)
        if kname is None or major is None or minor is None:
            auto = _block_kname(k, dev or "")
            kname = kname or auto[0]
            major = auto[1] if major is None else major
            minor = auto[2] if minor is None else minor
        tail = (f"iBlock device: {kname}  UDEV PATH: {dev}  readonly: {int(readonly)}\n"
                f"        Major: {major} Minor: {minor}  CLAIMED: IBLOCK\n")
    elif prefix == "fileio":
        attrib = dict(K.FILEIO_ATTRIB)
        if write_back:
            attrib["emulate_write_cache"] = 1
        tail = (f"TCM FILEIO ID: 0        File: {dev}  Size: {size}  "
                f"Mode: {'Buffered-WCE' if write_back else 'O_DSYNC'} Async: {int(aio)}\n")
    elif prefix == "rd_mcp":
        attrib = dict(K.RD_ATTRIB)
        pages = max(1, round(size / 4096))  # rtslib: round(size / page size), at least 1
        tables = 0 if nullio else pages // (65536 // 32) + 1
        tail = (f"TCM RamDisk ID: 0  RamDisk Makeup: rd_mcp\n"
                f"        PAGES/PAGE_SIZE: {pages}*4096  SG_table_count: {tables}  "
                f"nullio: {int(nullio)}\n")
        udev_path = ""
    elif prefix == "pscsi":
        attrib = dict(K.PSCSI_ATTRIB)
        alua = False
        pr_files = K.PR_FILES_PASSTHROUGH
        host, channel, target, lun = scsi_address
        vendor, model, rev = inquiry
        tail = (f"SCSI Device Bus Location: Channel ID: {channel} Target ID: {target} "
                f"LUN: {lun} Host ID: {host}\n"
                f"        Vendor: {vendor:<8.8} Model: {model:<16.16} Rev: {rev:<4.4}\n")
        if wwn is None:  # pscsi takes the serial from the device's VPD page 0x80
            serial = f"{k.rng.getrandbits(48):012X}"
    else:  # user
        attrib = dict(K.USER_ATTRIB)
        attrib["dev_config"] = config or ""
        attrib["dev_size"] = size or 0
        ro_attrs = K.USER_RO
        action = K.USER_ACTION
        vendor = model = rev = ""  # passthrough: the handler answers INQUIRY
        tail = (f"Config: {config} Size: {size} MaxDataAreaMB: {attrib['max_data_area_mb']} "
                f"DataPagesPerBlk: {attrib['data_pages_per_blk']} "
                f"CmdRingSizeMB: {attrib['cmd_ring_size_mb']}\n")
        udev_path = ""
    for key, value in (attributes or {}).items():
        if key not in attrib:
            raise _kerr(errno.ENOENT, f"{prefix} has no attribute {key!r}")
        attrib[key] = value

    hba_id = k.next_hba_id
    inst = k.next_inst
    k.next_hba_id += 1
    k.next_inst += 1
    dev_index = k.next_dev_index
    k.next_dev_index += 1
    device = Device(
        hba=hba, name=name, prefix=prefix, hba_id=hba_id, inst=inst, index=dev_index,
        serial=serial, block_size=int(attrib.get("block_size", attrib["hw_block_size"])),
        hw_max_sectors=int(attrib["hw_max_sectors"]), info_tail=tail, alua=alua,
        created_cs=k.now(), vendor=vendor, model=model, revision=rev,
    )
    so_spec: Spec = {
        "alias": (K.RW, ""),
        "alua_lu_gp": (K.RW, K.ALUA_LU_GP_TEXT if alua else ""),
        "control": (K.WO, ""),
        "enable": (K.RW, "1\n"),
        "info": (K.RO, _info_text(device)),
        "lba_map": (K.RW, ""),
        "udev_path": (K.RW, udev_path + "\n" if udev_path else ""),
        "action": {n: (m, t) for n, m, t in action},
        "attrib": {key: (K.RO if key in ro_attrs else K.RW, f"{value}\n")
                   for key, value in sorted(attrib.items())},
        "pr": {n: (m, t) for n, m, t in pr_files},
        "alua": {"default_tg_pt_gp": {**{n: (m, t) for n, m, t in K.TG_PT_GP_FILES},
                                      "members": (K.RO, "")}},
        "statistics": _device_stats_spec(device),
        "wwn": {
            "company_id": (K.RW, K.COMPANY_ID + "\n"),
            "product_id": (K.RW, model + "\n"),
            "revision": (K.RW, rev + "\n"),
            "vendor_id": (K.RW, vendor + "\n"),
            "vpd_assoc_logical_unit": (K.RO, ""),
            "vpd_assoc_scsi_target_device": (K.RO, ""),
            "vpd_assoc_target_port": (K.RO, ""),
            "vpd_protocol_identifier": (K.RO, ""),
            "vpd_unit_serial": (K.RW, f"T10 VPD Unit Serial Number: {serial}\n"),
        },
    }
    k.write_tree(hba_path, {
        "hba_info": (K.RO, f"HBA Index: {hba_id} plugin: {K.BACKEND_NAME[prefix]} "
                           f"version: {K.TARGET_CORE_VERSION}\n"),
        "hba_mode": (K.RW, "0\n"),
        name: so_spec,
    })
    k.hba_indexes.add(index)
    k.devices[(prefix, name)] = device
    if alua:
        device.members[DEFAULT_TG_PT_GP] = []
        k.lu_gp_members.append(f"{hba}/{name}\n")
        _write_lu_gp_members(k)
    return device


def _info_text(dev: Device) -> str:
    status = "ACTIVATED" if dev.exports else "DEACTIVATED"
    return (f"Status: {status}  Max Queue Depth: 0  SectorSize: {dev.block_size}  "
            f"HwMaxSectors: {dev.hw_max_sectors}\n        {dev.info_tail}")


def _device_stats_spec(dev: Device, dev_type: int = 0) -> Spec:
    """statistics/{scsi_dev,scsi_tgt_dev,scsi_lu} of a backstore."""
    exported = bool(dev.exports)
    inst, indx = (K.RO, f"{dev.inst}\n"), (K.RO, f"{dev.index}\n")
    zero = (K.RO, "0\n")
    return {
        "scsi_dev": {"indx": indx, "inst": inst, "ports": (K.RO, f"{len(dev.exports)}\n"),
                     "role": (K.RO, "Target\n")},
        "scsi_tgt_dev": {
            "aborts_complete": zero, "aborts_no_task": zero, "indx": indx, "inst": inst,
            "non_access_lus": (K.RO, f"{int(not exported)}\n"), "num_lus": (K.RO, "1\n"),
            "resets": zero, "status": (K.RO, "activated" if exported else "deactivated"),
        },
        "scsi_lu": {
            "creation_time": (K.RO, f"{dev.created_cs}\n"), "dev": indx,
            "dev_type": (K.RO, f"{dev_type}\n"), "full_stat": zero, "hs_num_cmds": zero,
            "indx": (K.RO, f"{K.SCSI_LU_INDEX}\n"), "inst": inst,
            "lu_name": (K.RO, f"{dev.serial or 'None'}\n"), "lun": zero, "num_cmds": zero,
            "prod": (K.RO, f"{dev.model:<16}\n"), "read_mbytes": zero, "resets": zero,
            "rev": (K.RO, f"{dev.revision:<4}\n"), "state_bit": (K.RO, "exposed\n"),
            "status": (K.RO, "available\n" if exported else "notavailable\n"),
            "vend": (K.RO, f"{dev.vendor:<8}\n"), "write_mbytes": zero,
        },
    }


def _write_lu_gp_members(k: SimKernel) -> None:
    if k._batch_depth:
        k._lu_gp_dirty = True
        return
    k._rewrite(k.path("core", "alua", "lu_gps", "default_lu_gp", "members"),
               "".join(k.lu_gp_members), K.RO)


def _write_export_state(k: SimKernel, dev: Device) -> None:
    """Everything of a backstore that changes when a LUN starts or stops using it."""
    if k._batch_depth:
        k._dirty[(dev.prefix, dev.name)] = dev
        return
    so = k.path(dev.rel)
    exported = bool(dev.exports)
    stats = os.path.join(so, "statistics")
    k._rewrite(os.path.join(so, "info"), _info_text(dev), K.RO)
    k._rewrite(os.path.join(stats, "scsi_dev", "ports"), f"{len(dev.exports)}\n", K.RO)
    k._rewrite(os.path.join(stats, "scsi_tgt_dev", "status"),
               "activated" if exported else "deactivated", K.RO)
    k._rewrite(os.path.join(stats, "scsi_tgt_dev", "non_access_lus"), f"{int(not exported)}\n", K.RO)
    k._rewrite(os.path.join(stats, "scsi_lu", "status"),
               "available\n" if exported else "notavailable\n", K.RO)
    if dev.alua:
        _write_members(k, dev)


def _write_members(k: SimKernel, dev: Device) -> None:
    """Every ALUA group's ``members`` of a backstore (``fabric/wwn/tpgt_N/lun_M\\n\\0`` each)."""
    groups = dict(dev.members)
    groups.setdefault(DEFAULT_TG_PT_GP, [])
    for group, exports in groups.items():
        path = k.path(dev.rel, "alua", group, "members")
        if not os.path.isfile(path):
            continue
        text = "".join(_member_line(*e, fabric=dev.export_fabric.get(e, "iscsi")) + "\0" for e in exports)
        k._rewrite(path, text, K.RO)


def set_storage_object_attribute(k: SimKernel, so: Device, attribute: str, value: int | str) -> None:
    """Write ``attrib/<attribute>`` with the kernel's checks for the ones it guards.

    Read-only attributes raise PermissionError; ``block_size`` and
    ``emulate_model_alias`` cannot change while the object is exported
    (EINVAL, as in the kernel). ``emulate_model_alias=1`` makes the backstore
    name the SCSI product id.
    """
    check_name(attribute, "attribute")
    path = k.path(so.rel, "attrib", attribute)
    if not os.path.isfile(path):
        raise _kerr(errno.ENOENT, f"no attribute {attribute!r}", path)
    if not os.stat(path).st_mode & 0o200:
        raise _kerr(errno.EACCES, f"attribute {attribute!r} is read-only", path)
    text = str(value).strip()
    if attribute not in ("dev_config",):
        try:
            int(text)
        except ValueError:
            raise _kerr(errno.EINVAL, f"{attribute} must be an integer, not {value!r}") from None
    if attribute in ("block_size", "emulate_model_alias") and so.exports:
        raise _kerr(errno.EINVAL, f"cannot change {attribute} while exported")
    if attribute in ("emulate_tpu", "emulate_tpws") and int(text) and so.prefix not in ("iblock", "fileio"):
        # emulate_tpu_store(): no discard support and no configure_unmap (rd_mcp) -> -ENOSYS
        raise _kerr(errno.ENOSYS, "Generic Block Discard not supported", path)
    if attribute == "block_size":
        if int(text) not in (512, 1024, 2048, 4096):
            raise _kerr(errno.EINVAL, "block_size must be 512, 1024, 2048 or 4096")
        so.block_size = int(text)
        k._rewrite(k.path(so.rel, "info"), _info_text(so), K.RO)
    if attribute == "emulate_model_alias" and so.prefix in K.INQUIRY_PROD:
        if int(text) not in (0, 1):
            raise _kerr(errno.EINVAL, "emulate_model_alias is 0 or 1")
        so.model = so.name[:16] if int(text) else K.INQUIRY_PROD[so.prefix]
        k._rewrite(k.path(so.rel, "wwn", "product_id"), so.model + "\n", K.RW)
        k._rewrite(k.path(so.rel, "statistics", "scsi_lu", "prod"), f"{so.model:<16}\n", K.RO)
    k._rewrite(path, text + "\n", K.RW)


def delete_storage_object(k: SimKernel, so: Device) -> None:
    """rmdir the device and its HBA (rtslib-fb's order). EBUSY while a LUN uses it."""
    if so.exports:
        raise _kerr(errno.EBUSY, f"storage object {so.prefix}/{so.name} is exported by a LUN")
    groups = [g for g in _alua_groups(k, so) if g != DEFAULT_TG_PT_GP]
    if groups:
        raise _kerr(errno.ENOTEMPTY, f"storage object {so.prefix}/{so.name} still has ALUA group {groups[0]}")
    k._remove_tree(k.path(so.rel))
    k._remove_tree(k.path("core", so.hba))
    del k.devices[(so.prefix, so.name)]
    k._dirty.pop((so.prefix, so.name), None)
    index = int(so.hba.rsplit("_", 1)[1])
    k.hba_indexes.discard(index)
    k._hba_hint = min(k._hba_hint, index)
    if so.alua:
        k.lu_gp_members.remove(f"{so.hba}/{so.name}\n")
        _write_lu_gp_members(k)


# ---------------------------------------------------------------------------
# iSCSI targets and TPGs
# ---------------------------------------------------------------------------


def _target_path(k: SimKernel, wwn: str, fabric: str = "iscsi") -> str:
    check_name(wwn, "target name", max_len=K.IQN_MAX)
    if fabric == "loopback":
        path = k.path("loopback", wwn)
        if wwn not in k.loopback or not os.path.isdir(path):
            raise _kerr(errno.ENOENT, f"no loopback target {wwn}", path)
        return path
    _iscsi_only(fabric)
    path = k.path("iscsi", wwn)
    if wwn not in k.targets or not os.path.isdir(path):
        raise _kerr(errno.ENOENT, f"no iSCSI target {wwn}", path)
    return path


def _iscsi_only(fabric: str) -> None:
    if fabric not in ("iscsi", "loopback"):
        raise _kerr(errno.ENOENT, f"the {fabric} fabric is not loaded in this simulated kernel "
                                  "(it has iscsi_target_mod and tcm_loop)")


def _tpg_path(k: SimKernel, wwn: str, tag: int, fabric: str = "iscsi") -> str:
    _index(tag, "TPG tag", 1, 65535)
    path = os.path.join(_target_path(k, wwn, fabric), f"tpgt_{tag}")
    if not os.path.isdir(path):
        raise _kerr(errno.ENOENT, f"no TPG {tag} in {wwn}", path)
    return path


# ---------------------------------------------------------------------------
# The loopback fabric (tcm_loop): its LUNs become local SCSI disks
# ---------------------------------------------------------------------------

#: ``loopback/version`` as tcm_loop 6.1 shows it.
LOOPBACK_VERSION = "TCM Loopback Fabric module v2.1-rc2\n"
#: TL_TPGS_PER_HBA: a loopback TPG tag is below it.
LOOPBACK_TPGS = 32


def load_loopback(k: SimKernel) -> str:
    """What ``modprobe tcm_loop`` and rtslib-fb's ``mkdir loopback`` show (idempotent)."""
    path = k.path("loopback")
    if not os.path.isdir(path):
        k.write_tree(path, {"discovery_auth": {}, "version": (K.RO, LOOPBACK_VERSION)})
    return path


def _next_scsi_host(k: SimKernel) -> int:
    """The SCSI host number a new tcm_loop HBA gets: above every host of the tree and every loopback target."""
    used = set(k.loopback.values())
    hosts = os.path.join(k.root, "sys", "class", "scsi_host")
    for name in os.listdir(hosts) if os.path.isdir(hosts) else ():
        m = re.fullmatch(r"host(\d+)", name)
        if m:
            used.add(int(m.group(1)))
    return max(used) + 1 if used else 0


def create_loopback_target(k: SimKernel, wwn: str) -> str:
    """mkdir ``loopback/<naa>``: tcm_loop adds a SCSI host, ``fabric_statistics/`` and ``param/``."""
    check_name(wwn, "target name", max_len=K.IQN_MAX)
    if not re.fullmatch(r"naa\.[0-9a-f]{16}", wwn):
        # tcm_loop_make_scsi_hba() takes naa., fc. or iqn.; rtslib-fb only writes naa.
        raise _kerr(errno.EINVAL, f"loopback target name {wwn!r} is not naa.<16 hex digits>")
    load_loopback(k)
    path = k.path("loopback", wwn)
    if os.path.lexists(path):
        raise _kerr(errno.EEXIST, f"loopback target {wwn} exists", path)
    k.write_tree(path, {"fabric_statistics": {}, "param": {n: (m, t) for n, m, t in K.TARGET_PARAM}})
    k.loopback[wwn] = _next_scsi_host(k)
    return path


def set_loopback_nexus(k: SimKernel, wwn: str, tag: int, nexus: str | None) -> None:
    """Write ``tpgt_N/nexus`` (the local initiator's naa. name); ``None`` drops it."""
    path = os.path.join(_tpg_path(k, wwn, tag, "loopback"), "nexus")
    current = _read(path)
    if nexus is None or nexus == "NULL":
        k._rewrite(path, "", K.RW)
        return
    if current:
        raise _kerr(errno.EEXIST, f"the TPG's nexus is {current} already", path)
    if not re.fullmatch(r"naa\.[0-9a-f]{16}", nexus):
        raise _kerr(errno.EINVAL, f"nexus {nexus!r} is not naa.<16 hex digits> (the target's protocol is SAS)")
    k._rewrite(path, nexus + "\n", K.RW)


def create_target(k: SimKernel, wwn: str, fabric: str = "iscsi") -> str:
    """mkdir ``iscsi/<wwn>``: the kernel adds ``fabric_statistics/`` and ``param/``."""
    if fabric == "loopback":
        return create_loopback_target(k, wwn)
    _iscsi_only(fabric)
    check_name(wwn, "target name", max_len=K.IQN_MAX)
    if any(ch.isspace() for ch in wwn):
        raise _kerr(errno.EINVAL, f"target name {wwn!r} contains whitespace")
    path = k.path("iscsi", wwn)
    if os.path.lexists(path):
        raise _kerr(errno.EEXIST, f"target {wwn} exists", path)
    state = _TargetState(index=k.next_tiqn_index)
    k.next_tiqn_index += 1
    inst = (K.RO, f"{state.index}\n")
    node = (K.RO, f"{K.ISCSI_NODE_INDEX}\n")
    zero = (K.RO, "0\n")
    k.write_tree(path, {
        "fabric_statistics": {
            "iscsi_instance": {
                "description": (K.RO, "Storage Engine Target\n"), "disc_time": zero,
                "fail_rem_name": (K.RO, "None\n"), "fail_sess": zero, "fail_type": zero,
                "inst": inst, "max_ver": zero, "min_ver": zero, "nodes": (K.RO, "1\n"),
                "portals": zero, "sessions": zero,
                "vendor": (K.RO, "Datera, Inc. iSCSI-Target\n"),
                "version": (K.RO, K.ISCSIT_VERSION + "\n"),
            },
            "iscsi_login_stats": {
                "accepts": zero, "authenticate_fails": zero, "authorize_fails": zero,
                "indx": node, "inst": inst, "negotiate_fails": zero, "other_fails": zero,
                "redirects": zero,
            },
            "iscsi_logout_stats": {
                "abnormal_logouts": zero, "indx": node, "inst": inst, "normal_logouts": zero,
            },
            "iscsi_sess_err": {
                "cxn_errors": zero, "digest_errors": zero, "format_errors": zero, "inst": inst,
            },
            "iscsi_tgt_attr": {
                # %pISc of the never-filled failure address prints "(einval)".
                "fail_intr_addr": (K.RO, "(einval)\n"), "fail_intr_addr_type": (K.RO, "ipv4\n"),
                "fail_intr_name": (K.RO, "None\n"), "indx": node, "inst": inst,
                "last_fail_time": zero, "last_fail_type": zero, "login_fails": zero,
            },
        },
        "param": {n: (m, t) for n, m, t in K.TARGET_PARAM},
    })
    k.targets[wwn] = state
    return path


def delete_target(k: SimKernel, wwn: str, fabric: str = "iscsi") -> None:
    """rmdir ``iscsi/<wwn>``; ENOTEMPTY while it has TPGs."""
    path = _target_path(k, wwn, fabric)
    if any(name.startswith("tpgt_") for name in os.listdir(path)):
        raise _kerr(errno.ENOTEMPTY, f"target {wwn} still has TPGs", path)
    k._remove_tree(path)
    if fabric == "loopback":
        del k.loopback[wwn]
    else:
        del k.targets[wwn]


def create_tpg(k: SimKernel, wwn: str, tag: int = 1, fabric: str = "iscsi") -> str:
    """mkdir ``tpgt_<tag>``, with the kernel's defaults (disabled, authentication=1).

    ``authentication=1`` is in force from the start, so AuthMethod reads
    ``CHAP`` (a TPG rtslib-fb created and left alone shows it on 6.1: the
    capture's capture-b TPG, and the writer's differential test). A
    loopback TPG has no nexus yet (:func:`set_loopback_nexus`).
    """
    if fabric == "loopback":
        _index(tag, "TPG tag", 0, LOOPBACK_TPGS - 1)
        path = os.path.join(_target_path(k, wwn, fabric), f"tpgt_{tag}")
        if os.path.lexists(path):
            raise _kerr(errno.EEXIST, f"TPG {tag} of {wwn} exists", path)
        k.write_tree(path, {
            "acls": {}, "address": (K.RO, f"{k.loopback[wwn]}:0:{tag}\n"),
            "attrib": {"fabric_prot_type": (K.RW, "0\n")}, "auth": {}, "lun": {},
            "nexus": (K.RW, ""), "np": {}, "param": {}, "transport_status": (K.RW, "online\n"),
        })
        return path
    _index(tag, "TPG tag", 1, 65535)
    path = os.path.join(_target_path(k, wwn), f"tpgt_{tag}")
    if os.path.lexists(path):
        raise _kerr(errno.EEXIST, f"TPG {tag} of {wwn} exists", path)
    params = dict(K.TPG_PARAM_DEFAULTS)
    params["AuthMethod"] = _auth_method_for(params["AuthMethod"], K.TPG_ATTRIB_DEFAULTS["authentication"])
    k.write_tree(path, {
        "dynamic_sessions": (K.RO, ""),
        "enable": (K.RW, "0\n"),
        "acls": {},
        "lun": {},
        "np": {},
        "attrib": {key: (K.RW, f"{v}\n") for key, v in K.TPG_ATTRIB_DEFAULTS.items()},
        "auth": _auth_spec(),
        "param": {key: (K.RW, f"{v}\n") for key, v in params.items()},
    })
    return path


def delete_tpg(k: SimKernel, wwn: str, tag: int, fabric: str = "iscsi") -> None:
    """rmdir ``tpgt_<tag>``; ENOTEMPTY while it has LUNs, ACLs or portals (a loopback nexus just goes)."""
    path = _tpg_path(k, wwn, tag, fabric)
    for sub in ("acls", "lun", "np"):
        if os.listdir(os.path.join(path, sub)):
            raise _kerr(errno.ENOTEMPTY, f"TPG {tag} of {wwn} still has {sub}", path)
    k._remove_tree(path)


def _tpg_value(path: str, group: str, key: str) -> str:
    return _read(os.path.join(path, group, key))


def _auth_method_for(current: str, authentication: int) -> str:
    """iscsit_ta_authentication(): drop ``None`` from AuthMethod when 1, add it when 0."""
    methods = [m for m in current.split(",") if m]
    if authentication:
        if "None" in methods and len(methods) > 1:
            methods.remove("None")
    elif "None" not in methods:
        methods.append("None")
    return ",".join(methods)


def set_tpg_enable(k: SimKernel, wwn: str, tag: int, enabled: bool = True) -> None:
    """Write ``tpgt_<tag>/enable``. Enabling applies ``authentication`` to AuthMethod."""
    path = _tpg_path(k, wwn, tag)
    if enabled:
        auth = int(_tpg_value(path, "attrib", "authentication"))
        method = _tpg_value(path, "param", "AuthMethod")
        if auth:
            new = "CHAP" if method == "None" else _auth_method_for(method, 1)
            if new != method:
                k._rewrite(os.path.join(path, "param", "AuthMethod"), new + "\n", K.RW)
    k._rewrite(os.path.join(path, "enable"), f"{int(bool(enabled))}\n", K.RW)


def set_tpg_attribute(k: SimKernel, wwn: str, tag: int, attribute: str, value: int,
                      fabric: str = "iscsi") -> None:
    """Write ``tpgt_<tag>/attrib/<attribute>`` with the kernel's range checks and side effects.

    ``generate_node_acls=1`` also turns ``cache_dynamic_acls`` on, and
    ``cache_dynamic_acls=0`` is ignored while it is on; ``authentication``
    rewrites ``param/AuthMethod`` (1 removes ``None``, 0 adds it back).
    A loopback TPG has only ``fabric_prot_type`` (0, 1 or 3).
    """
    path = _tpg_path(k, wwn, tag, fabric)
    check_name(attribute, "attribute")
    if fabric == "loopback":
        if attribute != "fabric_prot_type":
            raise _kerr(errno.ENOENT, f"no loopback TPG attribute {attribute!r}")
        number = _as_int(value)
        if number not in (0, 1, 3):
            raise _kerr(errno.EINVAL, "fabric_prot_type is 0, 1 or 3")
        k._rewrite(os.path.join(path, "attrib", attribute), f"{number}\n", K.RW)
        return
    bounds = K.TPG_ATTRIB_RANGE.get(attribute)
    if bounds is None:
        raise _kerr(errno.ENOENT, f"no TPG attribute {attribute!r}")
    value = _index(_as_int(value), attribute, *bounds)
    attrib = os.path.join(path, "attrib")
    if attribute == "cache_dynamic_acls" and value == 0:
        if _tpg_value(path, "attrib", "generate_node_acls") == "1":
            return  # "Skipping cache_dynamic_acls=0 when generate_node_acls=1"
    k._rewrite(os.path.join(attrib, attribute), f"{value}\n", K.RW)
    if attribute == "generate_node_acls" and value == 1:
        k._rewrite(os.path.join(attrib, "cache_dynamic_acls"), "1\n", K.RW)
    if attribute == "authentication":
        method = _tpg_value(path, "param", "AuthMethod")
        new = _auth_method_for(method, value)
        if new != method:
            k._rewrite(os.path.join(path, "param", "AuthMethod"), new + "\n", K.RW)


def set_tpg_parameter(k: SimKernel, wwn: str, tag: int, key: str, value: str) -> None:
    """Write ``tpgt_<tag>/param/<key>`` (an RFC 7143 key LIO knows)."""
    path = _tpg_path(k, wwn, tag)
    check_name(key, "parameter")
    if key not in K.TPG_PARAM_DEFAULTS:
        raise _kerr(errno.ENOENT, f"no TPG parameter {key!r}")
    text = str(value).strip()
    if not text or "\n" in text or len(text) > 255:
        raise _kerr(errno.EINVAL, f"invalid value for {key}: {value!r}")
    k._rewrite(os.path.join(path, "param", key), text + "\n", K.RW)


def _as_int(value: object) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        raise _kerr(errno.EINVAL, f"not an integer: {value!r}") from None


# ---------------------------------------------------------------------------
# CHAP credentials (TPG, ACL, discovery)
# ---------------------------------------------------------------------------


def write_auth_file(k: SimKernel, auth_dir: str, key: str, raw: str) -> None:
    """The kernel's store of one CHAP file: the text as written, ``NULL`` clears the flag.

    ``authenticate_target`` becomes 1 once both mutual values are set.
    """
    if key not in K.AUTH_KEYS:
        raise _kerr(errno.ENOENT, f"no auth file {key!r}")
    if len(raw) >= K.AUTH_MAX_LEN:
        raise _kerr(errno.EINVAL, f"{key} is too long ({len(raw)} >= {K.AUTH_MAX_LEN})")
    path = os.path.join(auth_dir, key)
    k._rewrite(path, raw + "\n", K.RW)
    k.auth_flags[path] = not raw.startswith("NULL")
    mutual_set = all(k.auth_flag(os.path.join(auth_dir, name))
                     for name in ("userid_mutual", "password_mutual"))
    k._rewrite(os.path.join(auth_dir, "authenticate_target"), f"{int(mutual_set)}\n", K.RO)


def _set_auth(k: SimKernel, auth_dir: str, userid: str | None, password: str | None,
              mutual_userid: str | None, mutual_password: str | None) -> None:
    """rtslib-fb's mapping: None leaves a value alone, '' clears it (writes ``NULL``)."""
    for key, value in (("userid", userid), ("password", password),
                       ("userid_mutual", mutual_userid), ("password_mutual", mutual_password)):
        if value is None:
            continue
        if "\n" in value or "\0" in value:
            raise _kerr(errno.EINVAL, f"{key} contains a newline or NUL")
        write_auth_file(k, auth_dir, key, value if value else "NULL")


def set_tpg_auth(k: SimKernel, wwn: str, tag: int, *, userid: str | None = None,
                 password: str | None = None, mutual_userid: str | None = None,
                 mutual_password: str | None = None) -> None:
    """TPG-wide CHAP (used in demo mode, ``generate_node_acls=1``)."""
    _set_auth(k, os.path.join(_tpg_path(k, wwn, tag), "auth"),
              userid, password, mutual_userid, mutual_password)


def set_discovery_auth(k: SimKernel, *, userid: str | None = None, password: str | None = None,
                       mutual_userid: str | None = None, mutual_password: str | None = None,
                       enforce: bool | None = None) -> None:
    """``iscsi/discovery_auth``: credentials and ``enforce_discovery_auth``."""
    disc = k.path("iscsi", "discovery_auth")
    _set_auth(k, disc, userid, password, mutual_userid, mutual_password)
    if enforce is not None:
        k._rewrite(os.path.join(disc, "enforce_discovery_auth"), f"{int(bool(enforce))}\n", K.RW)


# ---------------------------------------------------------------------------
# Portals
# ---------------------------------------------------------------------------


def portal_dir_name(ip: str, port: int = 3260) -> str:
    """The ``np/`` directory name: ``1.2.3.4:3260`` or ``[::1]:3260``."""
    bare = ip[1:-1] if ip.startswith("[") and ip.endswith("]") else ip
    try:
        addr = ipaddress.ip_address(bare)
    except ValueError:
        raise _kerr(errno.EINVAL, f"not an IP address: {ip!r}") from None
    _index(port, "port", 1, 65535)
    return f"[{bare}]:{port}" if addr.version == 6 else f"{bare}:{port}"


def create_portal(k: SimKernel, wwn: str, tag: int, ip: str, port: int = 3260) -> str:
    """mkdir ``np/<ip>:<port>`` (``iser`` and ``cxgbit`` off)."""
    name = portal_dir_name(ip, port)
    path = os.path.join(_tpg_path(k, wwn, tag), "np", name)
    if os.path.lexists(path):
        raise _kerr(errno.EEXIST, f"portal {name} exists", path)
    k.write_tree(path, {"cxgbit": (K.RW, "0\n"), "iser": (K.RW, "0\n")})
    _set_portal_count(k, wwn, +1)
    return path


def set_portal_flag(k: SimKernel, wwn: str, tag: int, ip: str, port: int, flag: str,
                    on: bool) -> None:
    """Write ``np/<portal>/iser`` or ``cxgbit``."""
    if flag not in ("iser", "cxgbit"):
        raise _kerr(errno.ENOENT, f"no portal flag {flag!r}")
    path = os.path.join(_tpg_path(k, wwn, tag), "np", portal_dir_name(ip, port))
    if not os.path.isdir(path):
        raise _kerr(errno.ENOENT, "no such portal", path)
    k._rewrite(os.path.join(path, flag), f"{int(bool(on))}\n", K.RW)


def delete_portal(k: SimKernel, wwn: str, tag: int, ip: str, port: int = 3260) -> None:
    path = os.path.join(_tpg_path(k, wwn, tag), "np", portal_dir_name(ip, port))
    if not os.path.isdir(path):
        raise _kerr(errno.ENOENT, "no such portal", path)
    k._remove_tree(path)
    _set_portal_count(k, wwn, -1)


def _set_portal_count(k: SimKernel, wwn: str, delta: int) -> None:
    state = k.targets[wwn]
    state.nps += delta
    k._rewrite(k.path("iscsi", wwn, "fabric_statistics", "iscsi_instance", "portals"),
               f"{state.nps}\n", K.RO)


# ---------------------------------------------------------------------------
# LUNs
# ---------------------------------------------------------------------------


_LUN_FILES = frozenset({"alua_tg_pt_gp", "alua_tg_pt_offline", "alua_tg_pt_status",
                        "alua_tg_pt_write_md", "statistics"})


def create_lun(k: SimKernel, wwn: str, tag: int, lun: int, so: Device, *,
               alias: str | None = None, fabric: str = "iscsi") -> str:
    """mkdir ``lun/lun_<lun>`` and link it to the backstore (rtslib-fb's ``LUN()``).

    The link is ``<alias> -> ../../../../../../target/core/<hba>/<name>``; the
    backstore becomes ``ACTIVATED`` and gets this port in its ALUA members
    (``default_tg_pt_gp``).
    """
    tpg = _tpg_path(k, wwn, tag, fabric)
    _index(lun, "LUN", 0, 65535)
    if k.devices.get((so.prefix, so.name)) is not so:
        raise _kerr(errno.ENOENT, f"storage object {so.prefix}/{so.name} is not in this kernel")
    link = alias if alias is not None else k.alias()
    check_name(link, "LUN alias")
    if link in _LUN_FILES:
        raise _kerr(errno.EEXIST, f"LUN alias {link!r} is the name of a LUN attribute")
    path = os.path.join(tpg, "lun", f"lun_{lun}")
    if os.path.lexists(path):
        raise _kerr(errno.EEXIST, f"LUN {lun} exists", path)
    rtpi = so.rtpi_next
    so.rtpi_next += 1
    # tpg_get_inst_index: the tiqn index for iSCSI, 1 for tcm_loop (which speaks SAS, protocol 6)
    tiqn = k.targets[wwn].index if fabric == "iscsi" else 1
    fname = _FABRIC_NAMES.get(fabric, fabric)
    proto = K.ISCSI_PROTO_ID if fabric == "iscsi" else 6
    inst, dev, port = (K.RO, f"{so.inst}\n"), (K.RO, f"{so.index}\n"), (K.RO, f"{rtpi}\n")
    zero = (K.RO, "0\n")
    k.write_tree(path, {
        "alua_tg_pt_gp": (K.RW, _lun_alua_text(k, so, DEFAULT_TG_PT_GP) if so.alua else ""),
        "alua_tg_pt_offline": (K.RW, "0\n"),
        "alua_tg_pt_status": (K.RW, "0\n"),
        "alua_tg_pt_write_md": (K.RW, "0\n"),
        link: Link(f"../../../../../../target/{so.rel}"),
        "statistics": {
            "scsi_port": {"busy_count": zero, "dev": dev, "indx": port, "inst": inst,
                          "role": (K.RO, f"Device{so.index}\n")},
            "scsi_tgt_port": {
                "dev": dev, "hs_in_cmds": zero, "in_cmds": zero, "indx": port, "inst": inst,
                "name": (K.RO, f"{fname}Port#{rtpi}\n"),
                "port_index": (K.RO, f"{wwn}+t+{tag}\n"),
                "read_mbytes": zero, "write_mbytes": zero,
            },
            "scsi_transport": {
                "dev_name": (K.RO, f"{wwn}+{so.serial or so.vendor}\n"),
                "device": (K.RO, f"scsiTransport{fname}\n"),
                "indx": (K.RO, f"{tiqn}\n"), "inst": inst,
                "proto_id": (K.RO, f"{proto}\n"),
            },
        },
    })
    export = (wwn, tag, lun)
    so.exports.append(export)
    if fabric != "iscsi":
        so.export_fabric[export] = fabric
    if so.alua:
        so.members.setdefault(DEFAULT_TG_PT_GP, []).append(export)
    _write_export_state(k, so)
    return path


def _lun_device(k: SimKernel, lun_path: str) -> Device | None:
    for entry in os.scandir(lun_path):
        if entry.is_symlink():
            rel = os.path.normpath(os.path.join(lun_path, os.readlink(entry.path)))
            parts = os.path.relpath(rel, k.cfs).split(os.sep)
            if len(parts) == 3 and parts[0] == "core":
                m = _HBA_RE.match(parts[1])
                if m:
                    return k.devices.get((m.group(1), parts[2]))
    return None


def delete_lun(k: SimKernel, wwn: str, tag: int, lun: int, fabric: str = "iscsi") -> None:
    """Unlink and rmdir ``lun/lun_<lun>``; EBUSY while a mapped LUN points at it."""
    tpg = _tpg_path(k, wwn, tag, fabric)
    path = os.path.join(tpg, "lun", f"lun_{_index(lun, 'LUN', 0, 65535)}")
    if not os.path.isdir(path):
        raise _kerr(errno.ENOENT, f"no LUN {lun}", path)
    for init, mlun in _mapped_luns_of(tpg):
        if mlun[1] == lun:
            raise _kerr(errno.EBUSY, f"LUN {lun} is mapped by {init} (lun_{mlun[0]})", path)
    dev = _lun_device(k, path)
    k._remove_tree(path)
    if dev is not None:
        export = (wwn, tag, lun)
        dev.exports.remove(export)
        dev.export_fabric.pop(export, None)
        for members in dev.members.values():
            if export in members:
                members.remove(export)
        _write_export_state(k, dev)


# ---------------------------------------------------------------------------
# ALUA target port groups
# ---------------------------------------------------------------------------

#: alua_access_state -> what the LUN's ``alua_tg_pt_gp`` shows (core_alua_dump_state).
_ALUA_STATE_NAMES = {0: "Active/Optimized", 1: "Active/NonOptimized", 2: "Standby", 3: "Unavailable",
                     4: "LBA Dependent", 14: "Offline", 15: "Transitioning"}
#: The support flag each state needs (tg_pt_gp_alua_supported_states).
_ALUA_STATE_FLAG = {0: "alua_support_active_optimized", 1: "alua_support_active_nonoptimized",
                    2: "alua_support_standby", 3: "alua_support_unavailable", 4: "alua_support_lba_dependent",
                    14: "alua_support_offline", 15: "alua_support_transitioning"}
_ALUA_TYPES = ("None", "Implicit", "Explicit", "Implicit and Explicit")
_ALUA_STATUSES = ("None", "Altered by Explicit STPG", "Altered by Implicit ALUA")
#: Numeric parameters and their largest value (ALUA_MAX_* in target_core_alua.h).
_ALUA_MAX = {"nonop_delay_msecs": 10000, "trans_delay_msecs": 30000, "implicit_trans_secs": 255,
             "preferred": 1, "alua_write_metadata": 1,
             **{flag: 1 for flag in _ALUA_STATE_FLAG.values() if flag != "alua_support_lba_dependent"}}


def _alua_groups(k: SimKernel, so: Device) -> list[str]:
    path = k.path(so.rel, "alua")
    return sorted(e.name for e in os.scandir(path) if e.is_dir()) if os.path.isdir(path) else []


def _group_path(k: SimKernel, so: Device, group: str) -> str:
    check_name(group, "ALUA group name")
    path = k.path(so.rel, "alua", group)
    if not os.path.isdir(path):
        raise _kerr(errno.ENOENT, f"no ALUA group {group} in {so.prefix}/{so.name}", path)
    return path


def _group_valid(path: str) -> bool:
    """tg_pt_gp_valid_id: the default group, or one whose id was written."""
    return os.path.basename(path) == DEFAULT_TG_PT_GP or _read(os.path.join(path, "tg_pt_gp_id")) not in ("", "0")


def _lun_alua_text(k: SimKernel, so: Device, group: str) -> str:
    """A LUN's ``alua_tg_pt_gp`` in ``group`` (core_alua_show_tg_pt_gp_info)."""
    path = k.path(so.rel, "alua", group)
    if group == DEFAULT_TG_PT_GP and not os.path.isdir(path):
        return K.LUN_ALUA_TG_PT_GP_TEXT
    state = int(_read(os.path.join(path, "alua_access_state")) or 0)
    return (f"TG Port Alias: {group}\n"
            f"TG Port Group ID: {_read(os.path.join(path, 'tg_pt_gp_id')) or 0}\n"
            f"TG Port Primary Access State: {_ALUA_STATE_NAMES.get(state, 'Unknown')}\n"
            f"TG Port Primary Access Status: {_read(os.path.join(path, 'alua_access_status')) or 'None'}\n"
            "TG Port Secondary Access State: None\n"
            "TG Port Secondary Access Status: None\n")


def _lun_dir(k: SimKernel, so: Device, export: tuple[str, int, int]) -> str:
    wwn, tag, lun = export
    fabric = so.export_fabric.get(export, "iscsi")
    return k.path(fabric, wwn, f"tpgt_{tag}", "lun", f"lun_{lun}")


def _rewrite_group_luns(k: SimKernel, so: Device, group: str) -> None:
    """What each member LUN shows of its group (state, status, id) after the group changed."""
    text = _lun_alua_text(k, so, group)
    for export in so.members.get(group, ()):
        k._rewrite(os.path.join(_lun_dir(k, so, export), "alua_tg_pt_gp"), text, K.RW)


def create_alua_group(k: SimKernel, so: Device, group: str) -> str:
    """mkdir ``core/<hba>/<so>/alua/<group>``: id 0 (not valid until written), the kernel's defaults."""
    check_name(group, "ALUA group name")
    if not so.alua:
        raise _kerr(errno.ENODEV, f"{so.prefix}/{so.name} passes ALUA through: it has no ALUA groups")
    path = k.path(so.rel, "alua", group)
    if os.path.lexists(path):
        raise _kerr(errno.EEXIST, f"ALUA group {group} exists", path)
    k.write_tree(path, {**{n: (m, t) for n, m, t in K.TG_PT_GP_FILES}, "members": (K.RO, "")})
    so.members[group] = []
    return path


def set_alua_group_id(k: SimKernel, so: Device, group: str, tg_pt_gp_id: int) -> None:
    """Write ``tg_pt_gp_id`` once (core_alua_set_tg_pt_gp_id): unique in the device, 1-65535."""
    path = _group_path(k, so, group)
    number = _index(_as_int(tg_pt_gp_id), "tg_pt_gp_id", 0, 65535)
    if _group_valid(path):
        raise _kerr(errno.EINVAL, f"ALUA group {group} already has a valid id")
    for other in _alua_groups(k, so):
        if other != group and _read(k.path(so.rel, "alua", other, "tg_pt_gp_id")) == str(number):
            raise _kerr(errno.EINVAL, f"ALUA group id {number} already exists in {so.prefix}/{so.name}")
    if number == 0:
        raise _kerr(errno.EINVAL, "tg_pt_gp_id 0 belongs to default_tg_pt_gp")
    k._rewrite(os.path.join(path, "tg_pt_gp_id"), f"{number}\n", K.RW)


def set_alua_group_param(k: SimKernel, so: Device, group: str, param: str, value: int | str) -> None:
    """Write one parameter of an ALUA group with the kernel's checks.

    ``alua_access_state`` needs a valid id, implicit ALUA in the access type
    and the state's support flag; it is an implicit transition, so the
    status becomes "Altered by Implicit ALUA". Type and status are written
    as numbers and shown as words. Member LUNs show the new state.
    """
    path = _group_path(k, so, group)
    number = _as_int(value)
    target = os.path.join(path, param)
    if param == "alua_access_state":
        if not _group_valid(path):
            raise _kerr(errno.EINVAL, "unable to do implicit ALUA on an invalid tg_pt_gp id")
        access = _read(os.path.join(path, "alua_access_type"))
        if access not in ("Implicit", "Implicit and Explicit"):
            raise _kerr(errno.EINVAL, "implicit ALUA transitions need alua_access_type 1 or 3")
        flag = _ALUA_STATE_FLAG.get(number)
        if flag is None or _read(os.path.join(path, flag)) != "1":
            raise _kerr(errno.EINVAL, f"ALUA state {number} is not supported by this group")
        if int(_read(target) or 0) != number:
            k._rewrite(target, f"{number}\n", K.RW)
            k._rewrite(os.path.join(path, "alua_access_status"), _ALUA_STATUSES[2] + "\n", K.RW)
        _rewrite_group_luns(k, so, group)
        return
    if param == "alua_access_status":
        if not _group_valid(path):
            raise _kerr(errno.EINVAL, "unable to set the status of an invalid tg_pt_gp id")
        if number not in (0, 1, 2):
            raise _kerr(errno.EINVAL, f"alua_access_status is 0, 1 or 2, not {number}")
        k._rewrite(target, _ALUA_STATUSES[number] + "\n", K.RW)
        _rewrite_group_luns(k, so, group)
        return
    if param == "alua_access_type":
        if number not in (0, 1, 2, 3):
            raise _kerr(errno.EINVAL, f"alua_access_type is 0 to 3, not {number}")
        k._rewrite(target, _ALUA_TYPES[number] + "\n", K.RW)
        return
    if param == "tg_pt_gp_id":
        set_alua_group_id(k, so, group, number)
        return
    high = _ALUA_MAX.get(param)
    if high is None:
        raise _kerr(errno.ENOENT if not os.path.exists(target) else errno.EACCES,
                    f"ALUA group parameter {param!r} cannot be written", target)
    _index(number, param, 0, high)
    k._rewrite(target, f"{number}\n", K.RW)


def delete_alua_group(k: SimKernel, so: Device, group: str) -> None:
    """rmdir the group: its LUNs go back to ``default_tg_pt_gp`` (at the end of its list)."""
    path = _group_path(k, so, group)
    if group == DEFAULT_TG_PT_GP:
        raise _kerr(errno.EPERM, "default_tg_pt_gp cannot be deleted", path)
    moved = so.members.pop(group, [])
    k._remove_tree(path)
    if moved:
        so.members.setdefault(DEFAULT_TG_PT_GP, []).extend(moved)
        _rewrite_group_luns(k, so, DEFAULT_TG_PT_GP)
        _write_members(k, so)


def set_lun_alua_group(k: SimKernel, wwn: str, tag: int, lun: int, group: str, fabric: str = "iscsi") -> None:
    """Write ``lun_N/alua_tg_pt_gp`` (core_alua_store_tg_pt_gp_info): ENODEV for a group without a valid id."""
    path = os.path.join(_tpg_path(k, wwn, tag, fabric), "lun", f"lun_{_index(lun, 'LUN', 0, 65535)}")
    if not os.path.isdir(path):
        raise _kerr(errno.ENOENT, f"no LUN {lun}", path)
    dev = _lun_device(k, path)
    if dev is None or not dev.alua:
        raise _kerr(errno.ENODEV, f"LUN {lun} has no ALUA-capable backstore", path)
    name = DEFAULT_TG_PT_GP if group in ("", "NULL") else group
    group_dir = k.path(dev.rel, "alua", name)
    if not os.path.isdir(group_dir) or not _group_valid(group_dir):
        raise _kerr(errno.ENODEV, f"unable to locate ALUA target port group {name}", path)
    export = (wwn, tag, lun)
    for members in dev.members.values():
        if export in members:
            members.remove(export)
    dev.members.setdefault(name, []).append(export)
    k._rewrite(os.path.join(path, "alua_tg_pt_gp"), _lun_alua_text(k, dev, name), K.RW)
    _write_members(k, dev)


def _mapped_luns_of(tpg: str) -> Iterable[tuple[str, tuple[int, int]]]:
    acls = os.path.join(tpg, "acls")
    for init in os.listdir(acls):
        acl = os.path.join(acls, init)
        for entry in os.listdir(acl):
            if not entry.startswith("lun_"):
                continue
            mdir = os.path.join(acl, entry)
            for link in os.scandir(mdir):
                if link.is_symlink():
                    yield init, (_num_suffix(entry), _num_suffix(os.readlink(link.path)))


# ---------------------------------------------------------------------------
# ACLs and mapped LUNs
# ---------------------------------------------------------------------------


def _acl_path(k: SimKernel, wwn: str, tag: int, initiator: str) -> str:
    tpg = _tpg_path(k, wwn, tag)
    check_name(initiator, "initiator name", max_len=K.IQN_MAX)
    path = os.path.join(tpg, "acls", initiator)
    if not os.path.isdir(path):
        raise _kerr(errno.ENOENT, f"no ACL {initiator}", path)
    return path


def create_acl(k: SimKernel, wwn: str, tag: int, initiator: str) -> str:
    """mkdir ``acls/<initiator>`` — as the kernel shows it with no session."""
    tpg = _tpg_path(k, wwn, tag)
    check_name(initiator, "initiator name", max_len=K.IQN_MAX)
    if any(ch.isspace() for ch in initiator):
        raise _kerr(errno.EINVAL, f"initiator name {initiator!r} contains whitespace")
    path = os.path.join(tpg, "acls", initiator)
    if os.path.lexists(path):
        raise _kerr(errno.EEXIST, f"ACL {initiator} exists", path)
    depth = _tpg_value(tpg, "attrib", "default_cmdsn_depth")
    index = k.next_acl_index
    k.next_acl_index += 1
    k.write_tree(path, {
        "cmdsn_depth": (K.RW, depth + "\n"),
        "info": (K.RO, K.NO_SESSION_INFO.format(initiator=initiator)),
        "tag": (K.RW, ""),
        "attrib": {key: (K.RW, f"{v}\n") for key, v in K.ACL_ATTRIB_DEFAULTS.items()},
        "auth": _auth_spec(),
        "param": {key: (K.RO, K.NO_SESSION_PARAM) for key in K.ACL_PARAM_KEYS},
        "fabric_statistics": {"iscsi_sess_stats": {
            "inst": (K.RO, f"{k.targets[wwn].index}\n"),
            **{key: (K.RO, "") for key in K.SESS_STATS_KEYS},
        }},
    })
    k.acl_index[(wwn, tag, initiator)] = index
    return path


def delete_acl(k: SimKernel, wwn: str, tag: int, initiator: str) -> None:
    """rmdir ``acls/<initiator>``; ENOTEMPTY while it has mapped LUNs."""
    path = _acl_path(k, wwn, tag, initiator)
    if any(name.startswith("lun_") for name in os.listdir(path)):
        raise _kerr(errno.ENOTEMPTY, f"ACL {initiator} still has mapped LUNs", path)
    k._remove_tree(path)
    k.acl_index.pop((wwn, tag, initiator), None)


def set_acl_auth(k: SimKernel, wwn: str, tag: int, initiator: str, *, userid: str | None = None,
                 password: str | None = None, mutual_userid: str | None = None,
                 mutual_password: str | None = None) -> None:
    """Per-initiator CHAP (explicit ACLs). '' clears a value, None leaves it."""
    _set_auth(k, os.path.join(_acl_path(k, wwn, tag, initiator), "auth"),
              userid, password, mutual_userid, mutual_password)


def set_acl_attribute(k: SimKernel, wwn: str, tag: int, initiator: str, attribute: str,
                      value: int) -> None:
    path = _acl_path(k, wwn, tag, initiator)
    bounds = K.ACL_ATTRIB_RANGE.get(attribute)
    if bounds is None:
        raise _kerr(errno.ENOENT, f"no ACL attribute {attribute!r}")
    value = _index(_as_int(value), attribute, *bounds)
    k._rewrite(os.path.join(path, "attrib", attribute), f"{value}\n", K.RW)


def set_acl_cmdsn_depth(k: SimKernel, wwn: str, tag: int, initiator: str, depth: int) -> None:
    path = _acl_path(k, wwn, tag, initiator)
    depth = _index(_as_int(depth), "cmdsn_depth", *K.TPG_ATTRIB_RANGE["default_cmdsn_depth"])
    k._rewrite(os.path.join(path, "cmdsn_depth"), f"{depth}\n", K.RW)


def set_acl_tag(k: SimKernel, wwn: str, tag: int, initiator: str, acl_tag: str | None) -> None:
    """``acls/<init>/tag``: shown without a newline; None or ``NULL`` clears it."""
    path = _acl_path(k, wwn, tag, initiator)
    text = "" if acl_tag in (None, "", "NULL") else acl_tag.strip()
    if "\n" in text or "\0" in text:
        raise _kerr(errno.EINVAL, "tag contains a newline or NUL")
    k._rewrite(os.path.join(path, "tag"), text, K.RW)


def create_mapped_lun(k: SimKernel, wwn: str, tag: int, initiator: str, mapped_lun: int,
                      tpg_lun: int, *, write_protect: bool = False,
                      alias: str | None = None) -> str:
    """mkdir ``acls/<init>/lun_<mapped_lun>`` and link it to ``lun/lun_<tpg_lun>``.

    The link is ``<alias> -> ../../../../../../../target/iscsi/<wwn>/tpgt_<tag>/lun/lun_<n>``.
    """
    acl = _acl_path(k, wwn, tag, initiator)
    _index(mapped_lun, "mapped LUN", 0, 65535)
    _index(tpg_lun, "TPG LUN", 0, 65535)
    lun_path = os.path.join(os.path.dirname(os.path.dirname(acl)), "lun", f"lun_{tpg_lun}")
    dev = _lun_device(k, lun_path) if os.path.isdir(lun_path) else None
    if dev is None:
        raise _kerr(errno.ENODEV, f"TPG LUN {tpg_lun} does not exist or has no device", lun_path)
    link = alias if alias is not None else k.alias()
    check_name(link, "mapped LUN alias")
    if link in ("write_protect", "statistics"):
        raise _kerr(errno.EEXIST, f"mapped LUN alias {link!r} is the name of an attribute")
    path = os.path.join(acl, f"lun_{mapped_lun}")
    if os.path.lexists(path):
        raise _kerr(errno.EEXIST, f"mapped LUN {mapped_lun} of {initiator} exists", path)
    acl_index = k.acl_index[(wwn, tag, initiator)]
    tiqn = k.targets[wwn].index
    inst, devi = (K.RO, f"{tiqn}\n"), (K.RO, f"{dev.index}\n")
    port, idx, zero = (K.RO, f"{tag}\n"), (K.RO, f"{acl_index}\n"), (K.RO, "0\n")
    k.write_tree(path, {
        link: Link(f"../../../../../../../target/iscsi/{wwn}/tpgt_{tag}/lun/lun_{tpg_lun}"),
        "write_protect": (K.RW, f"{int(bool(write_protect))}\n"),
        "statistics": {
            "scsi_att_intr_port": {
                "dev": devi, "indx": (K.RO, ""), "inst": inst, "port": port,
                "port_auth_indx": idx, "port_ident": (K.RO, ""),
            },
            "scsi_auth_intr": {
                "att_count": (K.RO, "1\n"), "creation_time": (K.RO, f"{k.now()}\n"),
                "dev": devi, "dev_or_port": (K.RO, "1\n"), "hs_num_cmds": zero, "indx": idx,
                "inst": inst, "intr_name": (K.RO, initiator + "\n"), "map_indx": zero,
                "num_cmds": zero, "port": port, "read_mbytes": zero,
                "row_status": (K.RO, "Ready\n"), "write_mbytes": zero,
            },
        },
    })
    return path


def set_mapped_lun_write_protect(k: SimKernel, wwn: str, tag: int, initiator: str,
                                 mapped_lun: int, write_protect: bool) -> None:
    path = os.path.join(_acl_path(k, wwn, tag, initiator), f"lun_{_index(mapped_lun, 'mapped LUN', 0, 65535)}")
    if not os.path.isdir(path):
        raise _kerr(errno.ENOENT, f"no mapped LUN {mapped_lun}", path)
    k._rewrite(os.path.join(path, "write_protect"), f"{int(bool(write_protect))}\n", K.RW)


def delete_mapped_lun(k: SimKernel, wwn: str, tag: int, initiator: str, mapped_lun: int) -> None:
    path = os.path.join(_acl_path(k, wwn, tag, initiator), f"lun_{_index(mapped_lun, 'mapped LUN', 0, 65535)}")
    if not os.path.isdir(path):
        raise _kerr(errno.ENOENT, f"no mapped LUN {mapped_lun}", path)
    k._remove_tree(path)
