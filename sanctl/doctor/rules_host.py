"""The doctor's rules about the host: what is lost at reboot (unsaved, an unfinished change, the boot
service, dbroot folders) and backstores whose device or filesystem is in trouble.

A rule reads nothing and changes nothing (see :mod:`sanctl.doctor.rules`). No I/O, no Textual.
"""

from __future__ import annotations

from sanctl.doctor import paths
from sanctl.doctor.findings import ERROR, INFO, WARNING, Finding
from sanctl.doctor.host_facts import HostFacts
from sanctl.doctor.live_facts import LiveSnapshot
from sanctl.doctor.rules_common import NEARLY_FULL
from sanctl.model import SanConfig
from sanctl.summary import human_size
from sanctl.unit_states import ENABLED_STATES


# ---------------------------------------------------------------------------
# 6. lost at reboot
# ---------------------------------------------------------------------------


def _diff_path(config: SanConfig, kind: str, key: tuple) -> str | None:
    """The tree path of a saveconfig diff entry (``ObjectDiff.key``), when it is in the running tree."""
    try:
        if kind == "storage_object":
            return f"/backstores/{key[0][0]}/{key[0][1]}"
        if kind == "target":
            return f"/{key[0][0]}/{key[0][1]}"
        (fabric, wwn), tag = key[0], key[1]
        base = f"/{fabric}/{wwn}/tpg{tag}"
        if kind == "tpg":
            return base
        if kind == "lun":
            return f"{base}/luns/lun{key[2]}"
        if kind == "portal":
            return f"{base}/portals/{key[2][0]}:{key[2][1]}"
        if kind == "acl":
            return f"{base}/acls/{key[2]}"
        if kind == "mapped_lun":
            return f"{base}/acls/{key[2]}/mapped_lun{key[3]}"
    except (IndexError, TypeError, ValueError):
        return None
    return None


def unsaved_configuration(config: SanConfig, live: LiveSnapshot | None, facts: HostFacts) -> list[Finding]:
    """The running configuration differs from saveconfig.json (or was never saved) — warning, with the diff."""
    status = facts.save_status
    if status is None:
        return []
    where = facts.shown(status.location.path)
    fix = ("Save it: sanctl save, or s on the configuration panel (the previous file is kept as a backup); "
           "sanctl diff lists the differences.")
    if status.differs and status.diff is None:
        return [Finding(
            rule="unsaved_configuration", severity=WARNING,
            title="The configuration was never saved: it is lost at reboot",
            why=(f"{where} does not exist, so the boot service restores nothing: after a reboot the target "
                 "starts empty.",),
            fix=fix, panel="config")]
    if status.differs and status.diff is not None and config.empty and status.diff.of_kind("removed"):
        lost = status.diff.of_kind("removed")
        return [Finding(
            rule="unsaved_configuration", severity=ERROR,
            title=f"The running configuration is empty; {where} holds {len(lost)} object"
                  f"{'s' if len(lost) != 1 else ''} — restore it, do not save",
            why=(f"The kernel target has nothing configured while {where} holds a configuration (a reboot "
                 "without the boot service's restore?). Saving now would replace that file with an empty one.",),
            fix=(f"Restore it: sanctl restore {status.location.path} (it shows what it will create first), or R on "
                 "the configuration panel; then check why the boot service did not (systemctl status "
                 "target.service or rtslib-fb-targetctl.service). Do not save before that."),
            details=tuple(e.line() for e in lost), panel="config")]
    if status.differs and status.diff is not None:
        from sanctl.tree import find

        objects = []
        for entry in status.diff.entries:
            if entry.status == "removed":
                continue
            path = _diff_path(config, entry.kind, entry.key)
            if path and path not in objects and find(config, path):
                objects.append(path)
        return [Finding(
            rule="unsaved_configuration", severity=WARNING,
            title=f"Unsaved changes: {status.diff.summary().split(': ', 1)[-1].rstrip('.')} — lost at reboot",
            why=(f"The running configuration differs from {where}, which the boot service restores: these "
                 "changes are lost at the next reboot.",),
            fix=fix, objects=tuple(objects[:20]), details=tuple(e.line() for e in status.diff.entries),
            panel="config")]
    if status.differs is None and status.problem:
        return [Finding(
            rule="unsaved_configuration", severity=WARNING,
            title="Cannot tell whether the configuration is saved",
            why=(facts.shown(status.problem), "If the boot service cannot read the file either, the target starts "
                                              "empty after a reboot."),
            fix="Look at the file (sanctl diff says what is wrong with it); save again to replace it.")]
    return []


def unfinished_change(config: SanConfig, live: LiveSnapshot | None, facts: HostFacts) -> list[Finding]:
    """A multi-step change sanctl was killed in the middle of (its journal is there) — error."""
    found = facts.unfinished
    if found is None:
        return []
    if isinstance(found, str):
        return [Finding(
            rule="unfinished_change", severity=ERROR,
            title="The journal of an interrupted change cannot be read",
            why=(facts.shown(found), "A change of several steps may have been left half applied."),
            fix="Check the configuration (sanctl diff against the saved file); remove the journal once it is "
                "as it should be.")]
    steps = [f"{s.state}: {s.change.describe()}" for s in found.steps]
    return [Finding(
        rule="unfinished_change", severity=ERROR,
        title="A change was interrupted half-way: the configuration is partly changed",
        why=(found.summary(), f"Its journal: {facts.shown(found.path)}."),
        fix=("Start sanctl: it offers to finish the change or undo what was done (both all or nothing, through "
             "the writer). Do not save before that."),
        details=tuple(steps[:40]), panel="config")]


def boot_service_disabled(config: SanConfig, live: LiveSnapshot | None, facts: HostFacts) -> list[Finding]:
    """target.service (Debian: rtslib-fb-targetctl.service) not enabled — warning."""
    state = facts.target_service
    if state is None or config.empty or state.state in ENABLED_STATES or state.state == "unknown":
        return []
    if state.state == "not-found":
        return [Finding(
            rule="boot_service_disabled", severity=WARNING,
            title="No boot service restores the target configuration",
            why=("Neither target.service nor rtslib-fb-targetctl.service is installed: after a reboot the kernel "
                 "target starts empty, whatever saveconfig.json holds.",),
            fix="Install the distribution's package (python3-rtslib-fb on Debian and Ubuntu, targetcli or "
                "python3-rtslib on RHEL, Fedora and SUSE) and enable its service.")]
    return [Finding(
        rule="boot_service_disabled", severity=WARNING,
        title=f"{state.unit} is {state.state}: the configuration is not restored at boot",
        why=(f"{state.unit} runs targetctl restore at boot; while it is {state.state}, the target starts empty "
             "after a reboot, however carefully saveconfig.json was saved.",),
        fix=f"systemctl enable {state.unit}")]


def dbroot_folders_missing(config: SanConfig, live: LiveSnapshot | None, facts: HostFacts) -> list[Finding]:
    """``<dbroot>/pr`` missing: persistent reservations with APTPL cannot persist — warning
    (``alua`` alone: information)."""
    if facts.dbroot is None or not facts.dbroot_missing or not config.storage_objects:
        return []
    dbroot = facts.dbroot.rstrip("/") or "/"
    fix = (f"mkdir -p {' '.join(f'{dbroot}/{sub}' for sub in facts.dbroot_missing)} "
           "(sanctl's next change to the target creates them too).")
    if "pr" in facts.dbroot_missing:
        return [Finding(
            rule="dbroot_folders_missing", severity=WARNING,
            title=f"{dbroot}/pr is missing: persistent reservations with APTPL cannot persist",
            why=(f"The kernel keeps each LUN's reservations registered with APTPL (persist through power loss) in "
                 f"{dbroot}/pr/aptpl_<wwn> and never creates that folder: such a PERSISTENT RESERVE OUT fails, so "
                 "clusters that fence with SCSI reservations (Windows failover clustering, pacemaker's fence_scsi) "
                 "cannot register, and libiscsi's conformance tests of persistent reservations fail.",)
            + ((f"{dbroot}/alua is missing too: ALUA state changes are not kept.",)
               if "alua" in facts.dbroot_missing else ()),
            fix=fix)]
    return [Finding(
        rule="dbroot_folders_missing", severity=INFO,
        title=f"{dbroot}/alua is missing: ALUA state changes are not kept",
        why=(f"The kernel writes ALUA metadata under {dbroot}/alua and does not create the folder.",),
        fix=fix)]


# ---------------------------------------------------------------------------
# 8. backstores whose device or filesystem is in trouble
# ---------------------------------------------------------------------------


def _users(config: SanConfig, key: tuple[str, str]) -> tuple[str, ...]:
    return tuple(paths.lun(t, g, lun.index) for t, g, lun in config.users_of(key))


def block_device_trouble(config: SanConfig, live: LiveSnapshot | None, facts: HostFacts) -> list[Finding]:
    """A block backstore whose device is gone, or now mounted (or swap) on this host — error."""
    found = []
    for so in sorted(config.storage_objects, key=lambda s: s.name):
        if so.plugin != "block" or not so.dev or so.dev not in facts.devices:
            continue
        fact = facts.devices[so.dev]
        users = _users(config, so.key)
        objects = (paths.storage_object(so), *users)
        if not fact.exists:
            found.append(Finding(
                rule="block_device_trouble", severity=ERROR,
                title=f"Backstore block/{so.name}: device {so.dev} is gone",
                why=("Every LUN on it fails I/O" + (f" ({', '.join(users)})" if users else "") + "; initiators see "
                     "errors and their filesystems go read-only.",),
                fix="Bring the device back (LVM: vgchange -ay; a disk: dmesg, cabling, multipath) — or delete the "
                    "backstore and its LUNs if the device was retired.",
                objects=objects))
            continue
        if fact.mountpoints or fact.swap:
            where = ", ".join(fact.mountpoints) + (" and as swap" if fact.mountpoints and fact.swap else
                                                   "as swap" if fact.swap else "")
            found.append(Finding(
                rule="block_device_trouble", severity=ERROR,
                title=f"Backstore block/{so.name}: {so.dev} is in use on this host ({where})",
                why=("This host and the initiators write the same blocks, each without knowing of the other: both "
                     "corrupt the data.",),
                fix="Unmount it here (umount; and take it out of /etc/fstab) or swapoff it — or stop exporting it.",
                objects=objects))
    return found


def fileio_space(config: SanConfig, live: LiveSnapshot | None, facts: HostFacts) -> list[Finding]:
    """A fileio file on a filesystem that is nearly full, or too small for the sparse file — warning."""
    found = []
    for so in sorted(config.storage_objects, key=lambda s: s.name):
        if so.plugin != "fileio" or not so.dev or so.dev not in facts.files:
            continue
        f = facts.files[so.dev]
        objects = (paths.storage_object(so), *_users(config, so.key))
        if f.hole > f.fs_free:
            found.append(Finding(
                rule="fileio_space", severity=WARNING,
                title=f"Backstore fileio/{so.name}: its sparse file can outgrow its filesystem",
                why=(f"{f.path} is {human_size(f.size)} long but uses {human_size(f.allocated)}; its filesystem has "
                     f"{human_size(f.fs_free)} free. Once the initiators have written that much more, writes fail "
                     "(ENOSPC) and they see I/O errors on a disk that looks half empty to them.",),
                fix="Free or add space on that filesystem, or move the file to one that can hold all of it (or "
                    "allocate it fully: fallocate -l <size> while nothing uses it).",
                objects=objects))
        elif f.fs_total and f.fs_free < NEARLY_FULL * f.fs_total:
            found.append(Finding(
                rule="fileio_space", severity=WARNING,
                title=f"Backstore fileio/{so.name}: its filesystem is nearly full "
                      f"({100 * f.fs_free / f.fs_total:.0f}% free)",
                why=(f"{f.path} lives on a filesystem with {human_size(f.fs_free)} of {human_size(f.fs_total)} "
                     "free: a sparse file, snapshots or logs there can use it up, and then writes to the LUN fail.",),
                fix="Free or add space on that filesystem.", objects=objects))
    return found
