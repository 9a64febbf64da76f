"""The writer for the real kernel: each primitive step is one rtslib-fb call.

rtslib-fb is the only code in sanctl that writes to the kernel's configfs
(it knows the kernel's quirks and is what ``targetctl`` uses at boot), and
it is imported here lazily, when the first write happens. The transaction,
re-reads, preconditions, locking and rollback are
:class:`sanctl.lio.writer.Writer`'s; this module only maps a change to
the rtslib-fb object and attribute that carry it out.

No Textual here.
"""

from __future__ import annotations

import contextlib
import json
import os
import warnings
from collections.abc import Iterator, Mapping
from typing import Any

from sanctl.lio import changes as C
from sanctl.lio.steps import StepTable
from sanctl.lio.writer import (
    CreateBackingFile,
    RemoveBackingFile,
    Writer,
    create_backing_file,
    path_kind,
)


#: Where the kernel shows its dbroot (the folder for APTPL reservations and ALUA metadata).
CONFIGFS_DBROOT = "sys/kernel/config/target/dbroot"
#: The kernel's own default, kept when ``/etc/target`` did not exist as target_core_mod loaded.
KERNEL_DEFAULT_DBROOT = "/var/target"
#: The subfolders the kernel writes to and never creates (``pr/aptpl_<wwn>``, ``alua/…``).
DBROOT_SUBDIRS = ("pr", "alua")


def kernel_dbroot(root: str = "/") -> str | None:
    """The dbroot of the running kernel, or None when target_core_mod is not loaded."""
    try:
        with open(os.path.join(root, CONFIGFS_DBROOT), encoding="utf-8", errors="replace") as handle:
            value = handle.read().strip()
    except OSError:
        return None
    return value or None


def configuration_loaded(root: str = "/") -> bool:
    """Whether the kernel holds a configuration: a backstore, or a fabric (iscsi, loopback...) in use.

    Once a fabric module is loaded the kernel refuses a new dbroot anyway
    ("db_root: cannot be changed: target drivers registered").
    """
    top = os.path.join(root, "sys/kernel/config/target")
    try:
        names = os.listdir(top)
    except OSError:
        return False
    if any(os.path.isdir(os.path.join(top, n)) and n != "core" for n in names):
        return True
    try:
        hbas = os.listdir(os.path.join(top, "core"))
    except OSError:
        return False
    for hba in hbas:
        try:
            if any(os.path.isdir(os.path.join(top, "core", hba, d)) for d in os.listdir(os.path.join(top, "core", hba))):
                return True
        except OSError:
            continue
    return False


def chosen_dbroot(root: str = "/") -> str:
    """The dbroot sanctl's rtslib-fb must use: the running one, never a new one over a loaded configuration.

    rtslib-fb writes its preferred dbroot (``/etc/target`` from PyPI,
    ``/etc/rtslib-fb-target`` in Debian's python3-rtslib-fb) whenever the
    kernel's differs, and fails ("Cannot set dbroot to /etc/target") where
    that folder does not exist — every write on a stock Debian host, where
    targetctl set ``/etc/rtslib-fb-target`` at boot. sanctl takes what the
    kernel has; only a kernel with no configuration and its built-in default
    gets the distribution's folder (where the saved configuration lives).
    """
    from sanctl.lio import savefile

    running = kernel_dbroot(root)
    if running is not None and (running != KERNEL_DEFAULT_DBROOT or configuration_loaded(root)):
        return running
    location = savefile.locate(root)
    return "/" + os.path.relpath(location.directory, os.path.abspath(root))


def ensure_dbroot_dirs(dbroot: str, root: str = "/") -> list[str]:
    """Create ``<dbroot>/pr`` and ``<dbroot>/alua`` when missing (as targetctl's unit does); the ones made."""
    made = []
    for sub in DBROOT_SUBDIRS:
        path = os.path.join(root, dbroot.lstrip("/"), sub)
        if not os.path.isdir(path):
            try:
                os.makedirs(path, mode=0o755, exist_ok=True)
            except OSError:
                continue  # a read-only /etc: the doctor reports the missing folder and what it costs
            made.append(path)
    return made


def rtsroot(root: str = "/"):
    """``rtslib.RTSRoot()`` that keeps the kernel's dbroot (see :func:`chosen_dbroot`).

    rtslib-fb makes its own ``RTSRoot()`` inside storage-object calls (the
    APTPL file of a new backstore, a delete), so the preference is the
    class's own: set on ``rtslib.root.RTSRoot`` for this process, which
    writes to this kernel only.
    """
    import rtslib
    import rtslib.root

    dbroot = chosen_dbroot(root)
    if kernel_dbroot(root) != dbroot:
        os.makedirs(os.path.join(root, dbroot.lstrip("/")), mode=0o755, exist_ok=True)
    rtslib.root.RTSRoot._preferred_dbroot = dbroot
    with warnings.catch_warnings():
        # A kernel with fabric modules loaded keeps its dbroot; rtslib-fb warns on stderr (the screen).
        warnings.simplefilter("ignore")
        rts = rtslib.root.RTSRoot()
    ensure_dbroot_dirs(rts.dbroot, root)
    return rts


#: The rtslib-fb call for each primitive step.
STEPS = StepTable("rtslib")
#: The rtslib-fb object whose setting a :class:`~sanctl.lio.changes.SetSetting` writes, by kind of object.
SETTINGS = StepTable("rtslib (settings)")


class RtslibWriter(Writer):
    """Writes to ``/sys/kernel/config/target`` through rtslib-fb (needs root)."""

    mode = "real"

    def __init__(self, root: str = "/", *, readonly_reason: str | None = None, lock_timeout: float = 2.0) -> None:
        super().__init__(root, readonly_reason=readonly_reason, lock_timeout=lock_timeout)
        self._rts: Any = None

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        if self._rts is not None:
            yield
            return
        import rtslib

        self._rtslib = rtslib
        self._rts = rtsroot(self.root)  # mounts configfs, loads target_core_mod if needed
        self._rts.invalidate_caches()  # other processes may have changed backstores
        try:
            yield
        finally:
            self._rts = None

    def backing_file(self, path: str) -> tuple[str, int]:
        return path_kind(os.path.join(self.root, path.lstrip("/")) if self.root != "/" else path)

    # -- lookups (also of the object a setting belongs to) ---------------------

    def _so(self, plugin: str, name: str):
        cls = self._rtslib.tcm.so_mapping[plugin]
        return cls(name)  # lookup mode: no creation arguments

    @SETTINGS.step(C.BackstoreRef)
    def _backstore(self, ref: C.BackstoreRef):
        return self._so(ref.plugin, ref.name)

    @SETTINGS.step(C.AluaGroupRef)
    def _alua_group(self, c):
        return self._rtslib.ALUATargetPortGroup(self._so(c.plugin, c.name), c.group)  # lookup

    def _target(self, fabric: str, wwn: str):
        return self._rtslib.Target(self._rtslib.FabricModule(fabric), wwn, mode="lookup")

    @SETTINGS.step(C.TpgRef)
    def _tpg(self, c):
        return self._rtslib.TPG(self._target(c.fabric, c.target), c.tpg, mode="lookup")

    @SETTINGS.step(C.AclRef)
    def _acl(self, c):
        return self._rtslib.NodeACL(self._tpg(c), c.initiator, mode="lookup")

    def _portal(self, c):
        return self._rtslib.NetworkPortal(self._tpg(c), c.address, c.port, mode="lookup")

    # -- primitive steps -------------------------------------------------------

    def execute(self, change: C.Change) -> None:
        step = STEPS.find(type(change))
        if step is None:
            raise NotImplementedError(f"no rtslib-fb step for {type(change).__name__}")
        step(self, change)

    @STEPS.step(CreateBackingFile)
    def _CreateBackingFile(self, c: CreateBackingFile) -> None:
        create_backing_file(c.file, c.size, c.sparse)

    @STEPS.step(RemoveBackingFile)
    def _RemoveBackingFile(self, c: RemoveBackingFile) -> None:
        os.unlink(c.file)

    @STEPS.step(C.CreateBlock)
    def _CreateBlock(self, c: C.CreateBlock) -> None:
        kwargs: dict[str, Any] = {"dev": c.dev, "wwn": c.wwn, "readonly": c.readonly}
        if not c.exclusive:
            kwargs["exclusive"] = False
        self._model_alias(self._rtslib.BlockStorageObject(c.name, **kwargs))

    @STEPS.step(C.CreateFileio)
    def _CreateFileio(self, c: C.CreateFileio) -> None:
        self._model_alias(self._rtslib.FileIOStorageObject(c.name, dev=c.file, size=c.size, wwn=c.wwn,
                                                           write_back=c.write_back, aio=c.aio))

    @STEPS.step(C.CreateRamdisk)
    def _CreateRamdisk(self, c: C.CreateRamdisk) -> None:
        self._model_alias(self._rtslib.RDMCPStorageObject(c.name, size=c.size, wwn=c.wwn, nullio=c.nullio))

    def _model_alias(self, so) -> None:
        """targetcli's default for block, fileio and ramdisk (``export_backstore_name_as_model``): the
        backstore's name is the SCSI product id, which multipath and Windows match on."""
        try:
            so.set_attribute("emulate_model_alias", 1)
        except self._rtslib.RTSLibError:
            pass  # a kernel without the attribute: the product id stays the plugin's, as with targetcli

    @STEPS.step(C.CreatePscsi)
    def _CreatePscsi(self, c: C.CreatePscsi) -> None:
        self._rtslib.PSCSIStorageObject(c.name, dev=c.dev)

    @STEPS.step(C.CreateUser)
    def _CreateUser(self, c: C.CreateUser) -> None:
        self._rtslib.UserBackedStorageObject(c.name, config=c.config, size=c.size, wwn=c.wwn,
                                             hw_max_sectors=c.hw_max_sectors, control=c.control)

    @STEPS.step(C.DeleteStorageObject)
    def _DeleteStorageObject(self, c: C.DeleteStorageObject) -> None:
        self._so(c.plugin, c.name).delete()

    @STEPS.step(C.SetSetting)
    def _SetSetting(self, c: C.SetSetting) -> None:
        owner = SETTINGS.find(type(c.owner))(self, c.owner)  # type: ignore[misc]  # SetSetting admits these only
        if isinstance(c.owner, C.AluaGroupRef):  # a group's parameters are properties
            setattr(owner, c.key, int(c.value))
        elif c.group == "parameter":
            owner.set_parameter(c.key, c.value)
        else:
            owner.set_attribute(c.key, c.value)

    @STEPS.step(C.CreateAluaGroup)
    def _CreateAluaGroup(self, c: C.CreateAluaGroup) -> None:
        self._rtslib.ALUATargetPortGroup(self._so(c.plugin, c.name), c.group, c.tg_pt_gp_id)

    @STEPS.step(C.DeleteAluaGroup)
    def _DeleteAluaGroup(self, c: C.DeleteAluaGroup) -> None:
        self._alua_group(c).delete()

    @STEPS.step(C.SetLunAluaGroup)
    def _SetLunAluaGroup(self, c: C.SetLunAluaGroup) -> None:
        # LUN.alua_tg_pt_gp_name's setter swallows errors; write the file so a refusal is seen.
        lun = self._rtslib.LUN(self._tpg(c), c.index)
        self._rtslib.utils.fwrite(f"{lun.path}/alua_tg_pt_gp", c.group)

    @STEPS.step(C.CreateTarget)
    def _CreateTarget(self, c: C.CreateTarget) -> None:
        self._rtslib.Target(self._rtslib.FabricModule(c.fabric), c.target, mode="create")

    @STEPS.step(C.DeleteTarget)
    def _DeleteTarget(self, c: C.DeleteTarget) -> None:
        self._target(c.fabric, c.target).delete()

    @STEPS.step(C.CreateTpg)
    def _CreateTpg(self, c: C.CreateTpg) -> None:
        self._rtslib.TPG(self._target(c.fabric, c.target), c.tpg, mode="create")

    @STEPS.step(C.DeleteTpg)
    def _DeleteTpg(self, c: C.DeleteTpg) -> None:
        self._tpg(c).delete()

    @STEPS.step(C.SetTpgEnabled)
    def _SetTpgEnabled(self, c: C.SetTpgEnabled) -> None:
        self._tpg(c).enable = c.enabled

    @staticmethod
    def _set_chap(obj, chap: C.Chap, prefix: str = "chap_") -> None:
        for name, value in (("userid", chap.userid), ("password", chap.password),
                            ("mutual_userid", chap.mutual_userid), ("mutual_password", chap.mutual_password)):
            if not value and getattr(obj, prefix + name) in ("", "NULL", None):
                # Leave an unset credential unset: rtslib-fb writes "NULL" for "", where targetcli
                # (and the kernel's own default) leave the file empty.
                continue
            setattr(obj, prefix + name, value)

    @STEPS.step(C.SetTpgAuth)
    def _SetTpgAuth(self, c: C.SetTpgAuth) -> None:
        self._set_chap(self._tpg(c), c.chap)

    @STEPS.step(C.SetDiscoveryAuth)
    def _SetDiscoveryAuth(self, c: C.SetDiscoveryAuth) -> None:
        fabric = self._rtslib.FabricModule("iscsi")
        if not c.enforce:
            fabric.discovery_enable_auth = False
        self._set_chap(fabric, c.chap, "discovery_")
        if c.enforce:
            fabric.discovery_enable_auth = True

    @STEPS.step(C.CreateLun)
    def _CreateLun(self, c: C.CreateLun) -> None:
        so = self._so(*c.storage_object)
        self._rtslib.LUN(self._tpg(c), c.index, storage_object=so, alias=c.alias)

    @STEPS.step(C.DeleteLun)
    def _DeleteLun(self, c: C.DeleteLun) -> None:
        self._rtslib.LUN(self._tpg(c), c.index).delete()

    @STEPS.step(C.CreateAcl)
    def _CreateAcl(self, c: C.CreateAcl) -> None:
        self._rtslib.NodeACL(self._tpg(c), c.initiator, mode="create")

    @STEPS.step(C.DeleteAcl)
    def _DeleteAcl(self, c: C.DeleteAcl) -> None:
        self._acl(c).delete()

    @STEPS.step(C.SetAclTag)
    def _SetAclTag(self, c: C.SetAclTag) -> None:
        # NodeACL.tag's setter swallows errors; write the file so a refusal is seen.
        acl = self._acl(c)
        self._rtslib.utils.fwrite(f"{acl.path}/tag", c.acl_tag or "NULL")

    @STEPS.step(C.SetAclCmdsnDepth)
    def _SetAclCmdsnDepth(self, c: C.SetAclCmdsnDepth) -> None:
        acl = self._acl(c)
        self._rtslib.utils.fwrite(f"{acl.path}/cmdsn_depth", str(c.depth))

    @STEPS.step(C.SetAclAuth)
    def _SetAclAuth(self, c: C.SetAclAuth) -> None:
        self._set_chap(self._acl(c), c.chap)

    @STEPS.step(C.CreateMappedLun)
    def _CreateMappedLun(self, c: C.CreateMappedLun) -> None:
        self._rtslib.MappedLUN(self._acl(c), c.index, tpg_lun=c.tpg_lun, write_protect=c.write_protect,
                               alias=c.alias)

    @STEPS.step(C.DeleteMappedLun)
    def _DeleteMappedLun(self, c: C.DeleteMappedLun) -> None:
        self._rtslib.MappedLUN(self._acl(c), c.index).delete()

    @STEPS.step(C.SetMappedLunWriteProtect)
    def _SetMappedLunWriteProtect(self, c: C.SetMappedLunWriteProtect) -> None:
        self._rtslib.MappedLUN(self._acl(c), c.index).write_protect = c.write_protect

    @STEPS.step(C.CreatePortal)
    def _CreatePortal(self, c: C.CreatePortal) -> None:
        self._rtslib.NetworkPortal(self._tpg(c), c.address, c.port, mode="create")

    @STEPS.step(C.DeletePortal)
    def _DeletePortal(self, c: C.DeletePortal) -> None:
        self._portal(c).delete()

    @STEPS.step(C.SetPortalFlag)
    def _SetPortalFlag(self, c: C.SetPortalFlag) -> None:
        setattr(self._portal(c), c.flag, c.on)

    # -- whole configuration ---------------------------------------------------

    def dump(self) -> dict[str, Any]:
        """``RTSRoot().dump()``, as saveconfig.json would hold it (JSON types)."""
        return json.loads(json.dumps(rtsroot(self.root).dump()))

    def restore(self, data: Mapping, *, target: str | None = None) -> list[str]:
        """Make the running configuration (or one target) ``data``, never through
        ``RTSRoot.restore``: the file is validated whole by sanctl's name and value
        rules before rtslib-fb sees any of it (a name with ``../`` never reaches
        configfs), and only what differs is changed, one rtslib-fb call per step,
        as one transaction (:func:`sanctl.lio.apply.restore_errors`).
        """
        from sanctl.lio.apply import restore_errors

        return restore_errors(self, data, target=target)
