"""What the rules need to know about the host, gathered cheaply and without surprises.

:func:`gather` collects, for one configuration:

- this host's addresses (psutil; the demo host's own under ``--demo``);
- whether the boot service that restores saveconfig.json is enabled
  (``target.service`` / Debian's ``rtslib-fb-targetctl.service``, systemctl
  with a deadline);
- whether the running configuration is the saved one
  (:func:`sanctl.lio.savefile.status`, or the status the caller has);
- this host's initiator name and its open-iscsi node records, read with one
  ``iscsiadm -m node -o show`` — and, when iscsiadm cannot read its own
  database any more, what it said (:class:`NodeDbProblem`);
- for each block backstore, whether its device still exists and whether it
  (or a partition of it) is mounted or swap on this host;
- for each fileio backstore, its file's size and allocated bytes and the
  free space of its filesystem;
- the CHAP settings of every ACL, demo-mode TPG and discovery (read from
  configfs unless the model has them).

Every part tolerates absence: no iscsiadm, not root, no systemd, a captured
tree (whose host is not this one) each leave that part unknown (``None``)
and add a sentence to :attr:`HostFacts.not_checked`, never an exception.
The costs are a few hundred small reads, one ``iscsiadm`` and one
``systemctl`` call. The facts themselves (:class:`HostFacts` and its parts)
are plain values in :mod:`sanctl.doctor.host_facts`, re-exported here.
No Textual here.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from sanctl.doctor.host_facts import DeviceFact, FileFact, HostFacts, NodeDbProblem, _empty, normal_address
from sanctl.host.protocol import capabilities_of
from sanctl.model import Auth, SanConfig

if TYPE_CHECKING:
    from sanctl.initiator.iscsiadm import Iscsiadm, NodeSettings
    from sanctl.initiator.services import UnitState
    from sanctl.lio.savefile import SaveStatus

#: Where open-iscsi keeps its node database (a build option: Debian and Ubuntu use /etc/iscsi).
NODE_DB_DIRS = ("etc/iscsi", "var/lib/iscsi")
_DB_TROUBLE = re.compile(
    r"config file .* invalid|unknown parameter|database failure|could not stat|could not read|"
    r"could not open|idbm|corrupt|error while adding record", re.I)
_DB_PATH = re.compile(r"(/\S*/(?:nodes|send_targets|static|isns|fw|ifaces)/[^\s'\"\]]*)")


# ---------------------------------------------------------------------------
# the parts
# ---------------------------------------------------------------------------


def host_addresses(root: str, mode: str) -> frozenset[str] | None:
    if not capabilities_of(mode).has_live:
        return None
    if capabilities_of(mode).simulated:
        from sanctl.host.facts import LOOPBACK
        from sanctl.sim.live import HOST_ADDRESS

        return frozenset(normal_address(a) for a in (*LOOPBACK, HOST_ADDRESS))
    from sanctl.host.facts import host_addresses as found

    addresses = found()
    return None if addresses is None else frozenset(normal_address(a) for a in addresses)


def target_service(mode: str) -> UnitState | None:
    from sanctl.initiator.services import UnitState, target_boot_service

    if capabilities_of(mode).simulated:
        return UnitState("target.service", "enabled", "demo: simulated")
    if not capabilities_of(mode).is_this_machine:
        return None
    return target_boot_service(timeout=3.0)


def default_iscsiadm(root: str, mode: str) -> Iscsiadm | None:
    """The iscsiadm to ask: the demo's simulation, this host's, or none for a captured tree."""
    if capabilities_of(mode).simulated:
        from sanctl.sim.iscsiadm import DemoIscsiadm

        return DemoIscsiadm(root, delay=0)  # the demo host's records; nothing written under the root
    if not capabilities_of(mode).has_live:
        return None
    from sanctl.initiator.iscsiadm import Iscsiadm

    return Iscsiadm()


def node_database(adm: Iscsiadm, root: str = "/") -> tuple[tuple[NodeSettings, ...] | None, NodeDbProblem | None, str | None]:
    """``(records, problem, not_checked)`` from one ``iscsiadm -m node -o show``.

    Exit 21 (no records) is an empty database. Exit 6 (database failure), 7
    (a record with a key this iscsiadm does not know: "config file … invalid")
    or stderr naming a record it could not read is a :class:`NodeDbProblem`.
    """
    from sanctl.initiator.iscsiadm import IscsiadmError, IscsiadmNotFound, parse_records

    try:
        done = adm.run(["-m", "node", "-o", "show"], operation="node", ok=None)
    except IscsiadmNotFound as exc:
        return None, None, f"initiator records: {exc} ({exc.hint})"
    except IscsiadmError as exc:  # a deadline, a permission problem
        return None, None, f"initiator records: {exc}"
    stderr = [line.strip() for line in done.stderr.splitlines() if line.strip()]
    troubled = [line for line in stderr if _DB_TROUBLE.search(line)]
    if done.returncode in (0, 21) and not troubled:
        return tuple(parse_records(done.stdout)) if done.returncode == 0 else (), None, None
    if done.returncode in (6, 7) or troubled:
        files = tuple(dict.fromkeys(m.group(1).rstrip(".,:") for line in stderr for m in _DB_PATH.finditer(line)))
        db_dir = next((f"/{d}" for d in NODE_DB_DIRS if os.path.isdir(os.path.join(root, d, "nodes"))), None)
        records = tuple(parse_records(done.stdout)) if done.stdout.strip() else None
        return records, NodeDbProblem(done.returncode, tuple(stderr), files, db_dir), None
    from sanctl.initiator.exit_codes import explain

    entry = explain(done.returncode, "query", done.stderr)
    return None, None, f"initiator records: iscsiadm -m node failed: {entry.message}"


def block_devices(config: SanConfig, root: str, mode: str) -> Mapping[str, DeviceFact] | None:
    """Each block backstore's device: there or gone, mounted, swap."""
    paths = sorted({so.dev for so in config.storage_objects if so.plugin == "block" and so.dev})
    if not paths:
        return _empty()
    if not capabilities_of(mode).has_live:
        return None
    from sanctl.host.facts import block_devices as devices_of
    from sanctl.host.facts import device_exists, find_device

    devices = devices_of(root)
    out = {}
    for path in paths:
        found = find_device(devices, path)
        if found is None:
            resolved = os.path.realpath(path) if os.path.abspath(root) == "/" else path
            found = find_device(devices, resolved)
        exists = device_exists(root, path, devices)
        mounts: list[str] = []
        swap = False
        if found is not None:
            mounts.extend(found.mountpoints)
            swap = found.swap
            for part in found.partitions:
                child = find_device(devices, part)
                if child is not None:
                    mounts.extend(f"{m} ({child.path})" for m in child.mountpoints)
                    swap = swap or child.swap
        out[path] = DeviceFact(path, exists, tuple(mounts), swap)
    return MappingProxyType(out)


def fileio_files(config: SanConfig, root: str, mode: str) -> Mapping[str, FileFact] | None:
    """Each fileio backstore's file: its size, what it uses, its filesystem's free space."""
    paths = sorted({so.dev for so in config.storage_objects if so.plugin == "fileio" and so.dev})
    if not paths:
        return _empty()
    if not capabilities_of(mode).has_live:
        return None
    out = {}
    for path in paths:
        local = path if os.path.abspath(root) == "/" else os.path.join(root, path.lstrip("/"))
        try:
            st = os.stat(local)
            if not stat.S_ISREG(st.st_mode):
                continue  # fileio on a block device: no filesystem of its own
            vfs = os.statvfs(os.path.dirname(local) or "/")
        except OSError:
            continue  # the demo's files are not written out; a missing file is the kernel's to report
        out[path] = FileFact(path, st.st_size, st.st_blocks * 512, vfs.f_bavail * vfs.f_frsize,
                             vfs.f_blocks * vfs.f_frsize)
    return MappingProxyType(out)


def chap_settings(config: SanConfig) -> Mapping[str, Auth]:
    """The ``auth/`` of every ACL and demo-mode TPG, and discovery's: from the model when it
    has them (``details``), else read (a few files each)."""
    from sanctl.lio.configfs import read_auth, target_dir

    base = target_dir(config.root)
    out: dict[str, Auth] = {}

    def read(rel: str, have: Auth | None) -> None:
        if have is not None:
            out[rel] = have
            return
        path = os.path.join(base, rel, "auth") if not rel.endswith("discovery_auth") else os.path.join(base, rel)
        if os.path.isdir(path):
            out[rel] = read_auth(path)

    for fabric in config.fabrics:
        if fabric.name == "iscsi":
            read(f"{fabric.path}/discovery_auth" if fabric.path else "iscsi/discovery_auth", fabric.discovery_auth)
        for target in fabric.targets:
            for tpg in target.tpgs:
                if tpg.demo_mode:
                    read(tpg.path, tpg.auth)
                for acl in tpg.acls:
                    read(acl.path, acl.auth)
    return MappingProxyType(out)


def initiator_name(root: str, mode: str) -> str | None:
    if not capabilities_of(mode).has_live:
        return None
    from sanctl.initiator.initiator_name import InitiatorNameError, read_initiator_name

    if capabilities_of(mode).simulated:
        from sanctl.initiator.initiator_name import name_path

        if not os.path.exists(name_path(root)):
            from sanctl.sim.demo import RAC_CLIENTS

            return RAC_CLIENTS[0]  # what the demo's initiator writes there when first used
    try:
        found = read_initiator_name(root)
    except (InitiatorNameError, OSError):
        return None
    return found.name if found is not None else None


# ---------------------------------------------------------------------------
# all of it
# ---------------------------------------------------------------------------

_UNSET: Any = object()


def dbroot_folders(root: str) -> tuple[str | None, tuple[str, ...]]:
    """``(dbroot, missing subfolders)``: where the kernel keeps APTPL reservations and ALUA state."""
    from sanctl.lio.rtslib_writer import DBROOT_SUBDIRS, kernel_dbroot

    dbroot = kernel_dbroot(root)
    if dbroot is None:
        return None, ()
    base = os.path.join(root, dbroot.lstrip("/"))
    return dbroot, tuple(sub for sub in DBROOT_SUBDIRS if not os.path.isdir(os.path.join(base, sub)))


def gather(config: SanConfig, *, mode: str, iscsiadm: Iscsiadm | None | Any = _UNSET,
           save_status: SaveStatus | None | Any = _UNSET, target_service_state: UnitState | None | Any = _UNSET,
           addresses: frozenset[str] | None | Any = _UNSET) -> HostFacts:
    """Everything the rules need to know about the host of ``config`` (``config.root``).

    Keyword arguments replace a part (tests, the TUI which has the save state
    already); ``iscsiadm=None`` skips the initiator's records.
    """
    root = config.root
    notes: list[str] = []

    def attempt(what: str, work):
        try:
            return work()
        except Exception as exc:  # a fact that cannot be had is said, never a crash
            notes.append(f"{what}: could not be read ({type(exc).__name__}: {exc})")
            return None

    if addresses is _UNSET:
        addresses = attempt("this host's addresses", lambda: host_addresses(root, mode))
    if addresses is None:
        notes.append("portal addresses: this host's addresses are not known"
                     + (" (a captured tree is not this host)" if not capabilities_of(mode).has_live else ""))
    empty = config.empty
    if target_service_state is _UNSET:
        target_service_state = attempt("the boot service", lambda: target_service(mode)) if not empty else None
    if target_service_state is not None and target_service_state.state == "unknown":
        notes.append(f"boot service: {target_service_state.detail or 'systemd is not available'}")
        target_service_state = None
    elif target_service_state is None and not capabilities_of(mode).has_live and not empty:
        notes.append("boot service: a captured tree's services are not this host's")
    if save_status is _UNSET:
        if not capabilities_of(mode).has_live:
            save_status = None
        else:
            from sanctl.lio import savefile

            save_status = attempt("saveconfig.json", lambda: savefile.status(root))
    if save_status is None and not capabilities_of(mode).has_live:
        notes.append("saved configuration: a captured tree is not compared with a saved file")

    name = attempt("this host's initiator name", lambda: initiator_name(root, mode))
    records = problem = None
    if iscsiadm is _UNSET:
        iscsiadm = None if not capabilities_of(mode).has_live else attempt("iscsiadm", lambda: default_iscsiadm(root, mode))
    if iscsiadm is None:
        notes.append("initiator records: " + ("a captured tree has none" if not capabilities_of(mode).has_live
                                              else "not read yet (the doctor panel reads them)"))
    elif capabilities_of(mode).is_this_machine and os.geteuid() != 0:
        notes.append("initiator records: not root (open-iscsi's node database is root's)")
    else:
        found = attempt("initiator records", lambda: node_database(iscsiadm, root))
        if found is not None:
            records, problem, note = found
            if note:
                notes.append(note)

    devices = attempt("block devices", lambda: block_devices(config, root, mode))
    if devices is None:
        devices = _empty()
        if any(so.plugin == "block" for so in config.storage_objects):
            notes.append("block backstores: devices are not checked" +
                         (" for a captured tree" if not capabilities_of(mode).has_live else ""))
    files = attempt("fileio files", lambda: fileio_files(config, root, mode))
    if files is None:
        files = _empty()
        if any(so.plugin == "fileio" for so in config.storage_objects):
            notes.append("fileio backstores: free space is not checked" +
                         (" for a captured tree" if not capabilities_of(mode).has_live else ""))
    auth = attempt("CHAP settings", lambda: chap_settings(config)) or _empty()
    unfinished = None if not capabilities_of(mode).has_live else unfinished_change(root)
    found_dbroot = attempt("the kernel's dbroot", lambda: dbroot_folders(root)) if capabilities_of(mode).is_this_machine else None
    dbroot, dbroot_missing = found_dbroot or (None, ())
    return HostFacts(
        root=root, mode=mode, addresses=addresses, target_service=target_service_state, save_status=save_status,
        initiator_name=name, node_records=records, node_db=problem, devices=devices, files=files, auth=auth,
        dbroot=dbroot, dbroot_missing=dbroot_missing, not_checked=tuple(notes), unfinished=unfinished,
        rdma=_rdma(root, mode),
    )


def unfinished_change(root: str) -> Any:
    """The journal an interrupted transaction left under ``root``: its record, why it is unreadable, or None."""
    from sanctl.lio import journal

    try:
        return journal.read(root)
    except journal.JournalError as exc:
        return str(exc)


def _rdma(root: str, mode: str) -> bool | None:
    if not capabilities_of(mode).has_live:
        return None  # a captured tree says nothing about this host's NICs
    from sanctl.host.facts import has_rdma

    return has_rdma(root)
