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
Every read goes through the :class:`~sanctl.host.protocol.Host` handed in:
this is the doctor's gathering step above the seam, and the demo is only
what its host answers. No Textual here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from sanctl.doctor.host_facts import (  # noqa: F401  (re-exported: the facts are plain values there)
    DeviceFact,
    FileFact,
    HostFacts,
    NodeDbProblem,
    _empty,
    normal_address,
)
from sanctl.model import Auth, SanConfig

if TYPE_CHECKING:
    from sanctl.host.protocol import Host
    from sanctl.initiator.iscsiadm import Iscsiadm, NodeSettings
    from sanctl.initiator.services import UnitState
    from sanctl.lio.savefile import SaveStatus

_DB_TROUBLE = re.compile(
    r"config file .* invalid|unknown parameter|database failure|could not stat|could not read|"
    r"could not open|idbm|corrupt|error while adding record", re.I)
_DB_PATH = re.compile(r"(/\S*/(?:nodes|send_targets|static|isns|fw|ifaces)/[^\s'\"\]]*)")


# ---------------------------------------------------------------------------
# the parts
# ---------------------------------------------------------------------------


def host_addresses(host: Host) -> frozenset[str] | None:
    found = host.facts.own_addresses()
    return None if found is None else frozenset(normal_address(a) for a in found)


def default_iscsiadm(host: Host) -> Iscsiadm | None:
    """The iscsiadm to ask: the host's (the demo's simulation), or none where there is no initiator."""
    if host.initiator is None or not host.capabilities.has_live:
        return None
    return host.initiator.iscsiadm()


def node_database(adm: Iscsiadm, db_dir: Callable[[], str | None] = lambda: None,
                  ) -> tuple[tuple[NodeSettings, ...] | None, NodeDbProblem | None, str | None]:
    """``(records, problem, not_checked)`` from one ``iscsiadm -m node -o show``
    (``db_dir``: where the records are kept, asked only when they cannot be read).

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
        records = tuple(parse_records(done.stdout)) if done.stdout.strip() else None
        return records, NodeDbProblem(done.returncode, tuple(stderr), files, db_dir()), None
    from sanctl.initiator.exit_codes import explain

    entry = explain(done.returncode, "query", done.stderr)
    return None, None, f"initiator records: iscsiadm -m node failed: {entry.message}"


def block_devices(config: SanConfig, host: Host) -> Mapping[str, DeviceFact] | None:
    """Each block backstore's device: there or gone, mounted, swap (None: not known on this host)."""
    paths = sorted({so.dev for so in config.storage_objects if so.plugin == "block" and so.dev})
    if not paths:
        return _empty()
    if not host.capabilities.has_live:
        return None
    return host.facts.device_facts(paths)


def fileio_files(config: SanConfig, host: Host) -> Mapping[str, FileFact] | None:
    """Each fileio backstore's file: its size, what it uses, its filesystem's free space."""
    paths = sorted({so.dev for so in config.storage_objects if so.plugin == "fileio" and so.dev})
    if not paths:
        return _empty()
    if not host.capabilities.has_live:
        return None
    return host.facts.file_facts(paths)


def chap_settings(config: SanConfig, host: Host) -> Mapping[str, Auth]:
    """The ``auth/`` of every ACL and demo-mode TPG, and discovery's: from the model when it
    has them (``details``), else read by the host (a few files each)."""
    out: dict[str, Auth] = {}
    unread: list[str] = []

    def read(rel: str, have: Auth | None) -> None:
        if have is not None:
            out[rel] = have
        else:
            unread.append(rel)

    for fabric in config.fabrics:
        if fabric.name == "iscsi":
            read(f"{fabric.path}/discovery_auth" if fabric.path else "iscsi/discovery_auth", fabric.discovery_auth)
        for target in fabric.targets:
            for tpg in target.tpgs:
                if tpg.demo_mode:
                    read(tpg.path, tpg.auth)
                for acl in tpg.acls:
                    read(acl.path, acl.auth)
    if unread:
        found = host.target.auth_settings(unread)
        out.update((rel, found[rel]) for rel in unread if rel in found)  # in the model's order
    return MappingProxyType(out)


def initiator_name(host: Host) -> str | None:
    if host.initiator is None or not host.capabilities.has_live:
        return None
    return host.initiator.name_in_use()


# ---------------------------------------------------------------------------
# all of it
# ---------------------------------------------------------------------------

_UNSET: Any = object()


def gather(config: SanConfig, *, host: Host, iscsiadm: Iscsiadm | None | Any = _UNSET,
           save_status: SaveStatus | None | Any = _UNSET, target_service_state: UnitState | None | Any = _UNSET,
           addresses: frozenset[str] | None | Any = _UNSET) -> HostFacts:
    """Everything the rules need to know about ``host``, whose configuration ``config`` is.

    Every read goes through the host. Keyword arguments replace a part (tests,
    the TUI which has the save state already); ``iscsiadm=None`` skips the
    initiator's records.
    """
    live = host.capabilities.has_live
    notes: list[str] = []

    def attempt(what: str, work):
        try:
            return work()
        except Exception as exc:  # a fact that cannot be had is said, never a crash
            notes.append(f"{what}: could not be read ({type(exc).__name__}: {exc})")
            return None

    if addresses is _UNSET:
        addresses = attempt("this host's addresses", lambda: host_addresses(host))
    if addresses is None:
        notes.append("portal addresses: this host's addresses are not known"
                     + (" (a captured tree is not this host)" if not live else ""))
    empty = config.empty
    if target_service_state is _UNSET:
        target_service_state = attempt("the boot service", host.facts.boot_service) if not empty else None
    if target_service_state is not None and target_service_state.state == "unknown":
        notes.append(f"boot service: {target_service_state.detail or 'systemd is not available'}")
        target_service_state = None
    elif target_service_state is None and not live and not empty:
        notes.append("boot service: a captured tree's services are not this host's")
    if save_status is _UNSET:
        save_status = attempt("saveconfig.json", host.target.save_status) if live else None
    if save_status is None and not live:
        notes.append("saved configuration: a captured tree is not compared with a saved file")

    name = attempt("this host's initiator name", lambda: initiator_name(host))
    records = problem = None
    if iscsiadm is _UNSET:
        iscsiadm = None if not live else attempt("iscsiadm", lambda: default_iscsiadm(host))
    if iscsiadm is None:
        notes.append("initiator records: " + ("a captured tree has none" if not live
                                              else "not read yet (the doctor panel reads them)"))
    elif host.capabilities.is_this_machine and os.geteuid() != 0:
        notes.append("initiator records: not root (open-iscsi's node database is root's)")
    else:
        db_dir = host.initiator.node_db_dir if host.initiator is not None else (lambda: None)
        found = attempt("initiator records", lambda: node_database(iscsiadm, db_dir))
        if found is not None:
            records, problem, note = found
            if note:
                notes.append(note)

    devices = attempt("block devices", lambda: block_devices(config, host))
    if devices is None:
        devices = _empty()
        if any(so.plugin == "block" for so in config.storage_objects):
            notes.append("block backstores: devices are not checked" + (" for a captured tree" if not live else ""))
    files = attempt("fileio files", lambda: fileio_files(config, host))
    if files is None:
        files = _empty()
        if any(so.plugin == "fileio" for so in config.storage_objects):
            notes.append("fileio backstores: free space is not checked" +
                         (" for a captured tree" if not live else ""))
    auth = attempt("CHAP settings", lambda: chap_settings(config, host)) or _empty()
    unfinished = unfinished_change(host) if live else None
    found_dbroot = attempt("the kernel's dbroot", host.facts.dbroot) if host.capabilities.is_this_machine else None
    dbroot, dbroot_missing = found_dbroot or (None, ())
    return HostFacts(
        path_labels=MappingProxyType(dict(host.path_labels)), addresses=addresses, target_service=target_service_state,
        save_status=save_status, initiator_name=name, node_records=records, node_db=problem, devices=devices,
        files=files, auth=auth, dbroot=dbroot, dbroot_missing=dbroot_missing, not_checked=tuple(notes),
        unfinished=unfinished, rdma=host.facts.rdma() if live else None,
    )


def unfinished_change(host: Host) -> Any:
    """The journal an interrupted transaction left on the host: its record, why it is unreadable, or None."""
    from sanctl.lio.errors import JournalError

    try:
        return host.target.unfinished_change()
    except JournalError as exc:
        return str(exc)
