"""The writer for the real kernel: each primitive step is one rtslib-fb call.

rtslib-fb is the only code in sanctl that writes to the kernel's configfs
(it knows the kernel's quirks and is what ``targetctl`` uses at boot), and
it is imported here lazily, when the first write happens. The transaction,
re-reads, preconditions, locking and rollback are
:class:`sanctl.target.writer.Writer`'s; this module only maps a change to
the rtslib-fb object and attribute that carry it out.

No Textual here.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping
from typing import Any

from sanctl.target import changes as C
from sanctl.target.writer import (
    CreateBackingFile,
    RemoveBackingFile,
    Writer,
    create_backing_file,
    path_kind,
)


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
        self._rts = rtslib.RTSRoot()  # mounts configfs, loads target_core_mod if needed
        self._rts.invalidate_caches()  # other processes may have changed backstores
        try:
            yield
        finally:
            self._rts = None

    def backing_file(self, path: str) -> tuple[str, int]:
        return path_kind(os.path.join(self.root, path.lstrip("/")) if self.root != "/" else path)

    # -- lookups -------------------------------------------------------------

    def _so(self, plugin: str, name: str):
        cls = self._rtslib.tcm.so_mapping[plugin]
        return cls(name)  # lookup mode: no creation arguments

    def _target(self, fabric: str, wwn: str):
        return self._rtslib.Target(self._rtslib.FabricModule(fabric), wwn, mode="lookup")

    def _tpg(self, c):
        return self._rtslib.TPG(self._target(c.fabric, c.target), c.tpg, mode="lookup")

    def _acl(self, c):
        return self._rtslib.NodeACL(self._tpg(c), c.initiator, mode="lookup")

    def _portal(self, c):
        return self._rtslib.NetworkPortal(self._tpg(c), c.address, c.port, mode="lookup")

    # -- primitive steps -------------------------------------------------------

    def execute(self, change: C.Change) -> None:
        method = getattr(self, "_" + type(change).__name__, None)
        if method is None:
            raise NotImplementedError(f"no rtslib-fb step for {type(change).__name__}")
        method(change)

    def _CreateBackingFile(self, c: CreateBackingFile) -> None:
        create_backing_file(c.file, c.size, c.sparse)

    def _RemoveBackingFile(self, c: RemoveBackingFile) -> None:
        os.unlink(c.file)

    def _CreateBlock(self, c: C.CreateBlock) -> None:
        kwargs: dict[str, Any] = {"dev": c.dev, "wwn": c.wwn, "readonly": c.readonly}
        if not c.exclusive:
            kwargs["exclusive"] = False
        self._rtslib.BlockStorageObject(c.name, **kwargs)

    def _CreateFileio(self, c: C.CreateFileio) -> None:
        self._rtslib.FileIOStorageObject(c.name, dev=c.file, size=c.size, wwn=c.wwn,
                                         write_back=c.write_back, aio=c.aio)

    def _CreateRamdisk(self, c: C.CreateRamdisk) -> None:
        self._rtslib.RDMCPStorageObject(c.name, size=c.size, wwn=c.wwn, nullio=c.nullio)

    def _CreatePscsi(self, c: C.CreatePscsi) -> None:
        self._rtslib.PSCSIStorageObject(c.name, dev=c.dev)

    def _CreateUser(self, c: C.CreateUser) -> None:
        self._rtslib.UserBackedStorageObject(c.name, config=c.config, size=c.size, wwn=c.wwn,
                                             hw_max_sectors=c.hw_max_sectors, control=c.control)

    def _DeleteStorageObject(self, c: C.DeleteStorageObject) -> None:
        self._so(c.plugin, c.name).delete()

    def _SetStorageObjectAttribute(self, c: C.SetStorageObjectAttribute) -> None:
        self._so(c.plugin, c.name).set_attribute(c.attribute, c.value)

    def _alua_group(self, c):
        return self._rtslib.ALUATargetPortGroup(self._so(c.plugin, c.name), c.group)  # lookup

    def _CreateAluaGroup(self, c: C.CreateAluaGroup) -> None:
        self._rtslib.ALUATargetPortGroup(self._so(c.plugin, c.name), c.group, c.tg_pt_gp_id)

    def _DeleteAluaGroup(self, c: C.DeleteAluaGroup) -> None:
        self._alua_group(c).delete()

    def _SetAluaGroupParameter(self, c: C.SetAluaGroupParameter) -> None:
        setattr(self._alua_group(c), c.parameter, int(c.value))

    def _SetLunAluaGroup(self, c: C.SetLunAluaGroup) -> None:
        # LUN.alua_tg_pt_gp_name's setter swallows errors; write the file so a refusal is seen.
        lun = self._rtslib.LUN(self._tpg(c), c.index)
        self._rtslib.utils.fwrite(f"{lun.path}/alua_tg_pt_gp", c.group)

    def _CreateTarget(self, c: C.CreateTarget) -> None:
        self._rtslib.Target(self._rtslib.FabricModule(c.fabric), c.target, mode="create")

    def _DeleteTarget(self, c: C.DeleteTarget) -> None:
        self._target(c.fabric, c.target).delete()

    def _CreateTpg(self, c: C.CreateTpg) -> None:
        self._rtslib.TPG(self._target(c.fabric, c.target), c.tpg, mode="create")

    def _DeleteTpg(self, c: C.DeleteTpg) -> None:
        self._tpg(c).delete()

    def _SetTpgEnabled(self, c: C.SetTpgEnabled) -> None:
        self._tpg(c).enable = c.enabled

    def _SetTpgAttribute(self, c: C.SetTpgAttribute) -> None:
        self._tpg(c).set_attribute(c.attribute, c.value)

    def _SetTpgParameter(self, c: C.SetTpgParameter) -> None:
        self._tpg(c).set_parameter(c.parameter, c.value)

    @staticmethod
    def _set_chap(obj, chap: C.Chap, prefix: str = "chap_") -> None:
        setattr(obj, prefix + "userid", chap.userid)
        setattr(obj, prefix + "password", chap.password)
        setattr(obj, prefix + "mutual_userid", chap.mutual_userid)
        setattr(obj, prefix + "mutual_password", chap.mutual_password)

    def _SetTpgAuth(self, c: C.SetTpgAuth) -> None:
        self._set_chap(self._tpg(c), c.chap)

    def _SetDiscoveryAuth(self, c: C.SetDiscoveryAuth) -> None:
        fabric = self._rtslib.FabricModule("iscsi")
        if not c.enforce:
            fabric.discovery_enable_auth = False
        self._set_chap(fabric, c.chap, "discovery_")
        if c.enforce:
            fabric.discovery_enable_auth = True

    def _CreateLun(self, c: C.CreateLun) -> None:
        so = self._so(*c.storage_object)
        self._rtslib.LUN(self._tpg(c), c.index, storage_object=so, alias=c.alias)

    def _DeleteLun(self, c: C.DeleteLun) -> None:
        self._rtslib.LUN(self._tpg(c), c.index).delete()

    def _CreateAcl(self, c: C.CreateAcl) -> None:
        self._rtslib.NodeACL(self._tpg(c), c.initiator, mode="create")

    def _DeleteAcl(self, c: C.DeleteAcl) -> None:
        self._acl(c).delete()

    def _SetAclTag(self, c: C.SetAclTag) -> None:
        # NodeACL.tag's setter swallows errors; write the file so a refusal is seen.
        acl = self._acl(c)
        self._rtslib.utils.fwrite(f"{acl.path}/tag", c.acl_tag or "NULL")

    def _SetAclAttribute(self, c: C.SetAclAttribute) -> None:
        self._acl(c).set_attribute(c.attribute, c.value)

    def _SetAclCmdsnDepth(self, c: C.SetAclCmdsnDepth) -> None:
        acl = self._acl(c)
        self._rtslib.utils.fwrite(f"{acl.path}/cmdsn_depth", str(c.depth))

    def _SetAclAuth(self, c: C.SetAclAuth) -> None:
        self._set_chap(self._acl(c), c.chap)

    def _CreateMappedLun(self, c: C.CreateMappedLun) -> None:
        self._rtslib.MappedLUN(self._acl(c), c.index, tpg_lun=c.tpg_lun, write_protect=c.write_protect,
                               alias=c.alias)

    def _DeleteMappedLun(self, c: C.DeleteMappedLun) -> None:
        self._rtslib.MappedLUN(self._acl(c), c.index).delete()

    def _SetMappedLunWriteProtect(self, c: C.SetMappedLunWriteProtect) -> None:
        self._rtslib.MappedLUN(self._acl(c), c.index).write_protect = c.write_protect

    def _CreatePortal(self, c: C.CreatePortal) -> None:
        self._rtslib.NetworkPortal(self._tpg(c), c.address, c.port, mode="create")

    def _DeletePortal(self, c: C.DeletePortal) -> None:
        self._portal(c).delete()

    def _SetPortalFlag(self, c: C.SetPortalFlag) -> None:
        setattr(self._portal(c), c.flag, c.on)

    # -- whole configuration ---------------------------------------------------

    def dump(self) -> dict[str, Any]:
        """``RTSRoot().dump()``, as saveconfig.json would hold it (JSON types)."""
        import rtslib

        return json.loads(json.dumps(rtslib.RTSRoot().dump()))

    def restore(self, data: Mapping, *, target: str | None = None) -> list[str]:
        """Make the running configuration (or one target) ``data``, never through
        ``RTSRoot.restore``: the file is validated whole by sanctl's name and value
        rules before rtslib-fb sees any of it (a name with ``../`` never reaches
        configfs), and only what differs is changed, one rtslib-fb call per step,
        as one transaction (:func:`sanctl.target.apply.restore_errors`).
        """
        from sanctl.target.apply import restore_errors

        return restore_errors(self, data, target=target)
