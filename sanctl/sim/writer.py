"""The demo SAN's writer: changes applied to the simulated kernel.

Same protocol, validation, locking and rollback as the rtslib-fb writer
(:mod:`sanctl.lio.writer` does all of that); only the primitive steps
differ: each is one call of :mod:`sanctl.sim.layout`, which mutates the
tree under the demo root as the kernel would (and refuses as the kernel
would: EEXIST, EBUSY while linked, ENOTEMPTY while not empty, EINVAL out of
range).

What a real host has outside configfs is pretended under the root: a new
block backstore's device gets a sysfs entry (10 GiB unless the tree already
has it), a new fileio file is created under ``<root>/<path>`` (sparse, with
its parent directories). The demo kernel has ``iscsi_target_mod`` loaded and
``tcm_loop`` available: the first loopback target loads it (``loopback/``
appears, as rtslib-fb's ``FabricModule`` makes it); other fabrics are
refused with a clear message.

No Textual here.
"""

from __future__ import annotations

import contextlib
import errno
import os
import random
from collections.abc import Iterator, Mapping

from sanctl import safe_io
from sanctl.bounded import int_or_none
from sanctl.sim import kfiles as K
from sanctl.sim import layout as L
from sanctl.lio import changes as C
from sanctl.lio.steps import StepTable
from sanctl.lio.writer import (
    CreateBackingFile,
    RemoveBackingFile,
    Writer,
)

#: Size of a block device the demo pretends exists when a backstore names it.
DEFAULT_BLOCK_SIZE = 10 << 30


#: The simulated kernel's file operations for each primitive step.
STEPS = StepTable("demo")
#: How the simulated kernel writes a setting (:class:`~sanctl.lio.changes.SetSetting`) of each kind of object.
SETTINGS = StepTable("demo (settings)")


class SimWriter(Writer):
    """Writes to the simulated kernel under ``root`` (a demo SAN tree)."""

    mode = "demo"

    def __init__(self, root: str, *, readonly_reason: str | None = None, rng: random.Random | None = None,
                 lock_timeout: float = 2.0) -> None:
        super().__init__(os.path.abspath(root), readonly_reason=readonly_reason, lock_timeout=lock_timeout)
        self.rng = rng
        self.kernel: L.SimKernel | None = None
        #: Tests: raise this from the Nth primitive step (1-based) of the next transactions.
        self.fail_at: tuple[int, BaseException] | None = None
        self._count = 0

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        if self.kernel is not None:  # nested (restore -> apply)
            yield
            return
        self.kernel = L.SimKernel.attach(self.root, rng=self.rng if self.rng is not None else random.Random())
        self._count = 0
        try:
            yield
        finally:
            self.kernel = None

    # -- outside configfs --------------------------------------------------

    def host_path(self, path: str) -> str:
        """``path`` (absolute, validated) under the demo root; never outside it, not even through a link.

        Every link on the way is resolved (``<root>/srv/link -> /elsewhere``
        would otherwise make ``/srv/link/x.img`` a file outside the demo):
        the resolved path must still be under the (resolved) root, and it is
        what is returned, so the file is created where it was checked.
        """
        full = os.path.normpath(os.path.join(self.root, path.lstrip("/")))
        if os.path.commonpath([full, self.root]) != self.root:
            raise OSError(errno.EINVAL, f"{path} is outside the demo root")
        root = os.path.realpath(self.root)
        resolved = os.path.realpath(full)
        if os.path.commonpath([resolved, root]) != root:
            raise OSError(errno.EXDEV, f"{path} leads outside the demo root through a link; nothing was created")
        return resolved

    def available_fabrics(self, config=None) -> tuple[str, ...]:
        """iSCSI and loopback: the demo kernel has both modules (tcm_loop loads on first use)."""
        return FABRICS

    def backing_file(self, path: str) -> tuple[str, int]:
        if _is_block_path(path):
            return "block", 0
        full = self.host_path(path)
        if os.path.isfile(full):
            return "file", os.path.getsize(full)
        if os.path.exists(full):
            return "other", 0
        return "missing", 0

    def _block_device(self, k: L.SimKernel, dev: str) -> tuple[str, int, int, int]:
        """(kname, major, minor, size) of ``dev`` in the simulated sysfs, created if missing."""
        from sanctl.sim.blockdev import create_block_device, dm_name

        base = os.path.join(self.root, "sys", "devices", "virtual", "block")
        want_dm = dm_name(dev)
        if os.path.isdir(base):
            for kname in sorted(os.listdir(base)):
                entry = os.path.join(base, kname)
                name = _read(os.path.join(entry, "dm", "name")) or kname
                if name == want_dm or kname == os.path.basename(dev):
                    major, _, minor = (_read(os.path.join(entry, "dev")) or "0:0").partition(":")
                    size = (int_or_none(_read(os.path.join(entry, "size"))) or 0) * 512
                    return kname, int_or_none(major) or 0, int_or_none(minor) or 0, size
        kname, major, minor = create_block_device(k, dev, DEFAULT_BLOCK_SIZE)
        return kname, major, minor, DEFAULT_BLOCK_SIZE

    # -- primitive steps ---------------------------------------------------

    def execute(self, change: C.Change) -> None:
        k = self.kernel
        if k is None:
            raise RuntimeError("SimWriter.execute outside a session")
        self._count += 1
        if self.fail_at is not None and self._count == self.fail_at[0]:
            raise self.fail_at[1]
        step = STEPS.find(type(change))
        if step is None:
            raise OSError(errno.ENOSYS, f"the demo kernel cannot do {type(change).__name__}")
        fabric = getattr(getattr(change, "owner", change), "fabric", "iscsi")  # a setting's: its object's
        if fabric not in FABRICS:
            raise OSError(errno.ENOENT, f"the {fabric} fabric is not available in the demo SAN "
                                        "(its kernel has iscsi_target_mod and tcm_loop)")
        step(self, k, change)

    @STEPS.step(CreateBackingFile)
    def _CreateBackingFile(self, k: L.SimKernel, c: CreateBackingFile) -> None:
        from sanctl.lio.writer import create_backing_file

        full = self.host_path(c.file)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        create_backing_file(full, c.size, True)  # the demo never allocates

    @STEPS.step(RemoveBackingFile)
    def _RemoveBackingFile(self, k: L.SimKernel, c: RemoveBackingFile) -> None:
        os.unlink(self.host_path(c.file))

    @STEPS.step(C.CreateBlock)
    def _CreateBlock(self, k: L.SimKernel, c: C.CreateBlock) -> None:
        if not c.exclusive and _release(k) < C.SHARED_BLOCK_KERNEL:
            # iblock before 6.17 ignores exclusive=0 and rtslib-fb then refuses (and removes the object)
            raise OSError(errno.EINVAL, "Cannot configure StorageObject. exclusive=false not supported "
                                        f"(the demo kernel is {K.KERNEL_RELEASE})")
        if c.exclusive:
            for dev in k.devices.values():
                if dev.prefix == "iblock" and f"UDEV PATH: {c.dev} " in dev.info_tail:
                    raise OSError(errno.EBUSY, f"Device {c.dev} is already in use (backstore block/{dev.name})")
        kname, major, minor, _size = self._block_device(k, c.dev)
        so = L.create_storage_object(k, "block", c.name, dev=c.dev, wwn=c.wwn, readonly=c.readonly,
                                     kname=kname, major=major, minor=minor)
        _model_alias(k, so)

    @STEPS.step(C.CreateFileio)
    def _CreateFileio(self, k: L.SimKernel, c: C.CreateFileio) -> None:
        size = c.size
        if _is_block_path(c.file):
            size = self._block_device(k, c.file)[3]
        so = L.create_storage_object(k, "fileio", c.name, dev=c.file, size=size, wwn=c.wwn,
                                     write_back=c.write_back, aio=c.aio)
        _model_alias(k, so)

    @STEPS.step(C.CreateRamdisk)
    def _CreateRamdisk(self, k: L.SimKernel, c: C.CreateRamdisk) -> None:
        _model_alias(k, L.create_storage_object(k, "ramdisk", c.name, size=c.size, nullio=c.nullio, wwn=c.wwn))

    @STEPS.step(C.CreatePscsi)
    def _CreatePscsi(self, k: L.SimKernel, c: C.CreatePscsi) -> None:
        L.create_storage_object(k, "pscsi", c.name, dev=c.dev)

    @STEPS.step(C.CreateUser)
    def _CreateUser(self, k: L.SimKernel, c: C.CreateUser) -> None:
        attributes = {"hw_max_sectors": c.hw_max_sectors} if c.hw_max_sectors else None
        L.create_storage_object(k, "user", c.name, config=c.config, size=c.size, wwn=c.wwn, attributes=attributes)

    @STEPS.step(C.DeleteStorageObject)
    def _DeleteStorageObject(self, k: L.SimKernel, c: C.DeleteStorageObject) -> None:
        L.delete_storage_object(k, k.device(c.plugin, c.name))

    @STEPS.step(C.SetSetting)
    def _SetSetting(self, k: L.SimKernel, c: C.SetSetting) -> None:
        SETTINGS.find(type(c.owner))(self, k, c)  # type: ignore[misc]  # SetSetting admits these only

    @SETTINGS.step(C.BackstoreRef)
    def _backstore_setting(self, k: L.SimKernel, c: C.SetSetting) -> None:
        L.set_storage_object_attribute(k, k.device(*c.owner.key), c.key, c.value)

    @SETTINGS.step(C.AluaGroupRef)
    def _alua_group_setting(self, k: L.SimKernel, c: C.SetSetting) -> None:
        group = c.owner
        L.set_alua_group_param(k, k.device(group.plugin, group.name), group.group, c.key, int(c.value))

    @SETTINGS.step(C.TpgRef)
    def _tpg_setting(self, k: L.SimKernel, c: C.SetSetting) -> None:
        tpg = c.owner
        if c.group == "parameter":
            L.set_tpg_parameter(k, tpg.target, tpg.tpg, c.key, c.value)
        else:
            L.set_tpg_attribute(k, tpg.target, tpg.tpg, c.key, int(c.value), tpg.fabric)

    @SETTINGS.step(C.AclRef)
    def _acl_setting(self, k: L.SimKernel, c: C.SetSetting) -> None:
        acl = c.owner
        L.set_acl_attribute(k, acl.target, acl.tpg, acl.initiator, c.key, int(c.value))

    @STEPS.step(C.CreateAluaGroup)
    def _CreateAluaGroup(self, k: L.SimKernel, c: C.CreateAluaGroup) -> None:
        # rtslib-fb's ALUATargetPortGroup(so, name, tag): mkdir, then the id (the group goes if it is refused)
        so = k.device(c.plugin, c.name)
        L.create_alua_group(k, so, c.group)
        try:
            L.set_alua_group_id(k, so, c.group, c.tg_pt_gp_id)
        except OSError:
            L.delete_alua_group(k, so, c.group)
            raise

    @STEPS.step(C.DeleteAluaGroup)
    def _DeleteAluaGroup(self, k: L.SimKernel, c: C.DeleteAluaGroup) -> None:
        L.delete_alua_group(k, k.device(c.plugin, c.name), c.group)

    @STEPS.step(C.SetLunAluaGroup)
    def _SetLunAluaGroup(self, k: L.SimKernel, c: C.SetLunAluaGroup) -> None:
        L.set_lun_alua_group(k, c.target, c.tpg, c.index, c.group, c.fabric)

    @STEPS.step(C.CreateTarget)
    def _CreateTarget(self, k: L.SimKernel, c: C.CreateTarget) -> None:
        L.create_target(k, c.target, c.fabric)

    @STEPS.step(C.DeleteTarget)
    def _DeleteTarget(self, k: L.SimKernel, c: C.DeleteTarget) -> None:
        L.delete_target(k, c.target, c.fabric)

    @STEPS.step(C.CreateTpg)
    def _CreateTpg(self, k: L.SimKernel, c: C.CreateTpg) -> None:
        L.create_tpg(k, c.target, c.tpg, c.fabric)
        if c.fabric in C.NEXUS_FABRICS:  # rtslib-fb gives a new TPG a generated nexus at once
            L.set_loopback_nexus(k, c.target, c.tpg, self._naa(k))

    @STEPS.step(C.DeleteTpg)
    def _DeleteTpg(self, k: L.SimKernel, c: C.DeleteTpg) -> None:
        L.delete_tpg(k, c.target, c.tpg, c.fabric)

    @staticmethod
    def _naa(k: L.SimKernel) -> str:
        """A naa. name as rtslib-fb's generate_wwn('naa') makes it (from the kernel's seeded rng)."""
        return "naa.5001405" + f"{k.rng.getrandbits(36):09x}"

    @STEPS.step(C.SetTpgEnabled)
    def _SetTpgEnabled(self, k: L.SimKernel, c: C.SetTpgEnabled) -> None:
        L.set_tpg_enable(k, c.target, c.tpg, c.enabled)

    @STEPS.step(C.SetTpgAuth)
    def _SetTpgAuth(self, k: L.SimKernel, c: C.SetTpgAuth) -> None:
        L.set_tpg_auth(k, c.target, c.tpg, **_auth_kwargs(c.chap))

    @STEPS.step(C.SetDiscoveryAuth)
    def _SetDiscoveryAuth(self, k: L.SimKernel, c: C.SetDiscoveryAuth) -> None:
        L.set_discovery_auth(k, **_auth_kwargs(c.chap), enforce=c.enforce)

    @STEPS.step(C.CreateLun)
    def _CreateLun(self, k: L.SimKernel, c: C.CreateLun) -> None:
        L.create_lun(k, c.target, c.tpg, c.index, k.device(*c.storage_object), alias=c.alias, fabric=c.fabric)

    @STEPS.step(C.DeleteLun)
    def _DeleteLun(self, k: L.SimKernel, c: C.DeleteLun) -> None:
        L.delete_lun(k, c.target, c.tpg, c.index, c.fabric)

    @STEPS.step(C.CreateAcl)
    def _CreateAcl(self, k: L.SimKernel, c: C.CreateAcl) -> None:
        L.create_acl(k, c.target, c.tpg, c.initiator)

    @STEPS.step(C.DeleteAcl)
    def _DeleteAcl(self, k: L.SimKernel, c: C.DeleteAcl) -> None:
        L.delete_acl(k, c.target, c.tpg, c.initiator)

    @STEPS.step(C.SetAclTag)
    def _SetAclTag(self, k: L.SimKernel, c: C.SetAclTag) -> None:
        L.set_acl_tag(k, c.target, c.tpg, c.initiator, c.acl_tag)

    @STEPS.step(C.SetAclCmdsnDepth)
    def _SetAclCmdsnDepth(self, k: L.SimKernel, c: C.SetAclCmdsnDepth) -> None:
        L.set_acl_cmdsn_depth(k, c.target, c.tpg, c.initiator, c.depth)

    @STEPS.step(C.SetAclAuth)
    def _SetAclAuth(self, k: L.SimKernel, c: C.SetAclAuth) -> None:
        L.set_acl_auth(k, c.target, c.tpg, c.initiator, **_auth_kwargs(c.chap))

    @STEPS.step(C.CreateMappedLun)
    def _CreateMappedLun(self, k: L.SimKernel, c: C.CreateMappedLun) -> None:
        L.create_mapped_lun(k, c.target, c.tpg, c.initiator, c.index, c.tpg_lun,
                            write_protect=c.write_protect, alias=c.alias)

    @STEPS.step(C.DeleteMappedLun)
    def _DeleteMappedLun(self, k: L.SimKernel, c: C.DeleteMappedLun) -> None:
        L.delete_mapped_lun(k, c.target, c.tpg, c.initiator, c.index)

    @STEPS.step(C.SetMappedLunWriteProtect)
    def _SetMappedLunWriteProtect(self, k: L.SimKernel, c: C.SetMappedLunWriteProtect) -> None:
        L.set_mapped_lun_write_protect(k, c.target, c.tpg, c.initiator, c.index, c.write_protect)

    @STEPS.step(C.CreatePortal)
    def _CreatePortal(self, k: L.SimKernel, c: C.CreatePortal) -> None:
        L.create_portal(k, c.target, c.tpg, c.address, c.port)

    @STEPS.step(C.DeletePortal)
    def _DeletePortal(self, k: L.SimKernel, c: C.DeletePortal) -> None:
        # rtslib-fb turns iSER and offload off before the rmdir.
        for flag in ("iser", "cxgbit"):
            L.set_portal_flag(k, c.target, c.tpg, c.address, c.port, flag, False)
        L.delete_portal(k, c.target, c.tpg, c.address, c.port)

    @STEPS.step(C.SetPortalFlag)
    def _SetPortalFlag(self, k: L.SimKernel, c: C.SetPortalFlag) -> None:
        L.set_portal_flag(k, c.target, c.tpg, c.address, c.port, "iser" if c.flag == "iser" else "cxgbit", c.on)

    # -- restore -------------------------------------------------------------

    def restore(self, data: Mapping, *, target: str | None = None) -> list[str]:
        """Make the running configuration (or one target) ``data``: validated whole, then only
        what differs, as one transaction (:func:`sanctl.lio.apply.restore_errors`)."""
        from sanctl.lio.apply import restore_errors

        return restore_errors(self, data, target=target)


#: The fabrics the demo kernel has: iscsi_target_mod loaded, tcm_loop loaded on first use.
FABRICS = ("iscsi", "loopback")

#: Directories under /dev that hold files, not block devices.
_DEV_FILESYSTEMS = ("/dev/shm/", "/dev/pts/", "/dev/mqueue/", "/dev/hugepages/")


def _is_block_path(path: str) -> bool:
    """Whether the demo treats ``path`` as a block device (there is no /dev under its root)."""
    return path.startswith("/dev/") and not path.startswith(_DEV_FILESYSTEMS)


def _release(k: L.SimKernel) -> tuple[int, int]:
    """(major, minor) of the simulated kernel, from its ``target/version``."""
    import re

    m = re.search(r" on (\d+)\.(\d+)", _read(os.path.join(k.cfs, "version")))
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def _auth_kwargs(chap: C.Chap) -> dict[str, str]:
    return {"userid": chap.userid, "password": chap.password,
            "mutual_userid": chap.mutual_userid, "mutual_password": chap.mutual_password}


def _read(path: str) -> str:
    return safe_io.read_optional(path, safe_io.INFO_LIMIT) or ""


def _model_alias(k: L.SimKernel, so) -> None:
    """targetcli's default for block, fileio and ramdisk: the backstore's name is the SCSI product id."""
    L.set_storage_object_attribute(k, so, "emulate_model_alias", 1)
