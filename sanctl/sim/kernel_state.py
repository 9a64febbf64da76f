"""The simulated kernel's state, and the files the kernel derives from it.

:class:`SimKernel` holds what the kernel keeps but does not show in one
place — allocation counters (HBA ids, device and ACL indexes, relative port
ids), the uptime clock of the ``creation_time`` statistics, the seeded
``rng`` — and writes files atomically under its root; :class:`Device` is one
backstore. Here too: the name rule (:func:`check_name`), the kernel's errors
(:class:`OSError` with its errno) and the files it rewrites when an object
is exported or unexported (a backstore's ``info`` and statistics, the ALUA
``members`` lists).

No Textual import here (and none anywhere under ``sanctl.sim``).
"""

from __future__ import annotations

import contextlib
import errno
import os
import random
import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from sanctl.errors import SanctlError
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


class InvalidName(SanctlError, ValueError):
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


def _as_int(value: object) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        raise _kerr(errno.EINVAL, f"not an integer: {value!r}") from None


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
