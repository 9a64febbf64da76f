"""Presets for the consumer of the LUNs: Linux, VMware ESXi, Windows, Proxmox VE.

Each says what that client needs from the target and what its operator
must know:

- **block size** — the logical block size the LUN reports (the
  ``block_size`` attribute of a fileio or ramdisk backstore; a block
  backstore reports its device's). ESXi uses only 512-byte sectors on iSCSI
  LUNs; the others take 4096 as well.
- **write cache** — ESXi expects every acknowledged write to be on stable
  storage and does not flush a volatile cache: behind a write-back fileio
  backstore (``emulate_write_cache=1``, the page cache) the writes it was told
  were on disk are lost when this host crashes, so the ESXi preset refuses
  write-back. Linux, Windows and Proxmox flush when the LUN reports
  a write cache, and the kernel reports one exactly for write-back fileio.
- **thin provisioning** — ``emulate_tpu=1``: the client's UNMAP (``fstrim``,
  ESXi space reclamation, Windows "Optimize") punches holes in a fileio
  file, or discards on a block device that supports it.
- **CHAP** — the Windows initiator accepts secrets of 12 to 16 characters
  only; Proxmox's storage dialog has no CHAP field.
- **hints** — shown in the Client step with that client's commands.

No Textual here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Preset:
    key: str
    label: str
    summary: str
    block_sizes: tuple[int, ...]  #: allowed; the first is the default
    write_back_ok: bool
    chap_length: tuple[int, int]  #: (min, max) secret length the client accepts
    secret_length: int  #: what "generate" makes
    thin: bool  #: UNMAP on by default
    hints: tuple[str, ...]
    #: "linux", "esxi", "windows" or "proxmox": which client commands to show.
    commands: str

    @property
    def default_block_size(self) -> int:
        return self.block_sizes[0]


PRESETS: dict[str, Preset] = {
    "linux": Preset(
        "linux", "Linux", "open-iscsi clients (any distribution)",
        block_sizes=(512, 4096), write_back_ok=True, chap_length=(1, 255), secret_length=16, thin=True,
        hints=(
            "Each client needs its own initiator name: a cloned VM keeps its image's, and two hosts with one "
            "name knock each other out (connection error 1020 every few seconds).",
            "Mount with _netdev in /etc/fstab: the disk appears only once the network and iscsid are up.",
            "node.startup = automatic logs the client in at boot (iscsi.service, or open-iscsi.service on "
            "Debian and Ubuntu, must be enabled).",
            "A LUN given to several clients needs a cluster filesystem (GFS2, OCFS2) or LVM with locking: "
            "ext4 and XFS mounted twice are corrupted.",
            "fstrim (or mount -o discard) gives freed blocks back to a thin (sparse) backstore.",
        ),
        commands="linux",
    ),
    "esxi": Preset(
        "esxi", "VMware ESXi", "the ESXi software iSCSI adapter (VMFS datastores)",
        block_sizes=(512,), write_back_ok=False, chap_length=(1, 255), secret_length=16, thin=True,
        hints=(
            "ESXi uses 512-byte sectors on iSCSI LUNs: 4K-native LUNs are not supported there.",
            "ESXi expects acknowledged writes to be on stable storage: the backstore must be write-through, "
            "or writes ESXi was told were on disk are lost when this host crashes.",
            "Give every ESXi host of a cluster its own ACL and the same LUN numbers, so VMFS sees one "
            "datastore.",
            "Space reclamation (UNMAP) works when thin provisioning is on (emulate_tpu=1).",
            "After adding the target: Storage > Adapters > Rescan, then New datastore.",
        ),
        commands="esxi",
    ),
    "windows": Preset(
        "windows", "Windows", "the Microsoft iSCSI Initiator (Windows and Windows Server)",
        block_sizes=(512, 4096), write_back_ok=True, chap_length=(12, 16), secret_length=16, thin=True,
        hints=(
            "The Windows initiator accepts CHAP secrets of 12 to 16 characters only.",
            "For mutual CHAP, Windows uses its own initiator secret (Set-IscsiChapSecret) to check the "
            "target: set it to the target secret shown here.",
            "Connect with -IsPersistent $true (\"Add this connection to the list of Favorite Targets\") so "
            "the disk comes back after a reboot.",
            "The new disk is offline and not initialised: Disk Management, or Initialize-Disk.",
            "Optimize-Volume -ReTrim gives freed blocks back to a thin (sparse) backstore.",
        ),
        commands="windows",
    ),
    "proxmox": Preset(
        "proxmox", "Proxmox VE", "Proxmox VE nodes (iSCSI storage, LVM on top)",
        block_sizes=(512, 4096), write_back_ok=True, chap_length=(1, 255), secret_length=16, thin=True,
        hints=(
            "Every Proxmox node needs its own initiator name and its own ACL (cloned nodes keep the "
            "template's name).",
            "Proxmox's storage dialog has no CHAP field: put the credentials in /etc/iscsi/iscsid.conf on "
            "each node (node.session.auth.*) before adding the storage.",
            "Use the LUN as an LVM volume group marked shared, so every node sees the VM disks; Proxmox "
            "logs in at boot itself.",
            "Thin provisioning: enable discard on the VM disks to give freed blocks back.",
        ),
        commands="proxmox",
    ),
}
ORDER = ("linux", "esxi", "windows", "proxmox")


def preset(key: str) -> Preset:
    return PRESETS.get(key, PRESETS["linux"])


def effects(p: Preset, *, block_size: int, thin: bool, write_back: bool, chap: bool) -> list[str]:
    """What the preset sets, one line each, for the Preset and Review steps."""
    out = [f"Block size {block_size} bytes (fileio and ramdisk; a block device keeps its own)"]
    if write_back:
        out.append("Write-back fileio: the LUN reports a write cache (emulate_write_cache=1), the client flushes")
    else:
        out.append("Write-through: every acknowledged write is on disk (emulate_write_cache=0)")
    out.append("Thin provisioning: UNMAP on (emulate_tpu=1)" if thin else "Thin provisioning: UNMAP off")
    if chap:
        low, high = p.chap_length
        out.append(f"CHAP secrets of {low} to {high} characters" if high < 255 else "CHAP secrets of any length")
    return out
