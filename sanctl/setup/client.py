"""What each client runs to use the new target, ready to copy.

For a Linux client (and the iSCSI layer of a Proxmox node): its initiator
name in ``/etc/iscsi/initiatorname.iscsi``, SendTargets discovery
(``iscsiadm -m discovery -t st -p …``), the CHAP settings of the node
record when there are any, the login, ``node.startup automatic`` so it
logs in at boot, and the ``/etc/fstab`` line with ``_netdev``. For ESXi the
``esxcli`` equivalents, for Windows the PowerShell ones.

When several clients are given the LUNs (every client's ACL maps every LUN)
nobody gets a ``mkfs``, a mount or an fstab line: two hosts mounting one
ordinary filesystem corrupt it. Their commands stop at discovery and login,
and say that a cluster filesystem or clusterware (Oracle ASM, GFS2, OCFS2;
Failover Clustering on Windows) must own the disks.

Secrets appear in the commands only when asked (``secrets=True``);
otherwise as ``<secret>``, like the targetcli record.

No Textual here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sanctl.setup.answers import Answers, Client
from sanctl.setup.presets import preset

HIDDEN = "<secret>"
WILDCARDS = ("0.0.0.0", "[::0]")


@dataclass(frozen=True, slots=True)
class CommandBlock:
    title: str
    lines: tuple[str, ...]
    #: Where they run ("on web01", "in PowerShell on win01").
    where: str = ""


def portal_for_clients(address: str, port: int, client_address: str) -> str:
    """``address:port`` as a client types it: a wildcard portal becomes this host's address."""
    shown = client_address if address in WILDCARDS else address
    return f"{shown}:{port}"


def client_name(client: Client, index: int) -> str:
    return client.label.strip() or f"client {index + 1}"


def _quote(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


def sharing_clients(answers: Answers) -> list[str]:
    """The clients that get the same LUNs (each client's ACL maps every LUN): more than one means shared."""
    return [client_name(c, i) for i, c in enumerate(answers.clients) if c.initiator.strip() or c.label.strip()]


def _shared_note(names: list[str]) -> tuple[str, ...]:
    return (
        f"# Every LUN is shared by {len(names)} clients ({', '.join(names)}): a cluster filesystem or",
        "# clusterware must own it (Oracle ASM, GFS2, OCFS2). Do not format or mount it on each",
        "# client: two hosts mounting one ordinary filesystem corrupt it.",
    )


def _linux(target: str, portal: str, client: Client, answers: Answers, secret, mount: str,
           shared: list[str] | None = None) -> list[CommandBlock]:
    node = f"iscsiadm -m node -T {target} -p {portal}"
    blocks = []
    if client.initiator:
        blocks.append(CommandBlock("Initiator name (/etc/iscsi/initiatorname.iscsi), then restart iscsid", (
            f"echo 'InitiatorName={client.initiator}' > /etc/iscsi/initiatorname.iscsi",
            "systemctl restart iscsid",
        )))
    lines = [f"iscsiadm -m discovery -t st -p {portal}"]
    if answers.chap and not answers.demo_mode:
        lines += [
            f"{node} -o update -n node.session.auth.authmethod -v CHAP",
            f"{node} -o update -n node.session.auth.username -v {_quote(client.chap_user)}",
            f"{node} -o update -n node.session.auth.password -v {_quote(secret(client.chap_secret))}",
        ]
        if answers.mutual:
            lines += [
                f"{node} -o update -n node.session.auth.username_in -v {_quote(answers.mutual_user)}",
                f"{node} -o update -n node.session.auth.password_in -v {_quote(secret(answers.mutual_secret))}",
            ]
    lines += [f"{node} --login", f"{node} -o update -n node.startup -v automatic"]
    blocks.append(CommandBlock("Discover, log in, and log in again at every boot", tuple(lines)))
    blocks.append(CommandBlock("Log in at boot: enable the initiator's services", (
        "systemctl enable iscsid iscsi        # RHEL, Fedora, SUSE",
        "systemctl enable iscsid open-iscsi   # Debian, Ubuntu",
    )))
    if shared:
        blocks.append(CommandBlock("The shared disks: for the cluster, not for a filesystem of this host", (
            f"ls -l /dev/disk/by-path/*{target}*",
            *_shared_note(shared),
        )))
        return blocks
    blocks.append(CommandBlock("The new disk, a filesystem, and /etc/fstab with _netdev", (
        f"ls -l /dev/disk/by-path/*{target}*",
        "mkfs.xfs /dev/disk/by-path/<that link>       # a new, empty disk only",
        f"mkdir -p {mount}",
        f"UUID=<blkid of the disk> {mount} xfs defaults,_netdev 0 0   # add to /etc/fstab",
        f"mount {mount}",
    )))
    return blocks


def _proxmox(target: str, portal: str, client: Client, answers: Answers, secret, storage: str) -> list[CommandBlock]:
    blocks = []
    if client.initiator:
        blocks.append(CommandBlock("Initiator name of this node, then restart iscsid", (
            f"echo 'InitiatorName={client.initiator}' > /etc/iscsi/initiatorname.iscsi",
            "systemctl restart iscsid",
        )))
    if answers.chap and not answers.demo_mode:
        lines = [
            "# in /etc/iscsi/iscsid.conf (the storage dialog has no CHAP field):",
            "node.session.auth.authmethod = CHAP",
            f"node.session.auth.username = {client.chap_user}",
            f"node.session.auth.password = {secret(client.chap_secret)}",
        ]
        if answers.mutual:
            lines += [f"node.session.auth.username_in = {answers.mutual_user}",
                      f"node.session.auth.password_in = {secret(answers.mutual_secret)}"]
        blocks.append(CommandBlock("CHAP for every target this node logs in to", tuple(lines)))
    address = portal.rsplit(":", 1)[0]
    blocks.append(CommandBlock("Add the storage (once, on any node): iSCSI, then shared LVM on it", (
        f"iscsiadm -m discovery -t st -p {portal}",
        f"pvesm add iscsi {storage} --portal {address} --target {target} --content none",
        f"ls -l /dev/disk/by-path/*{target}*",
        "pvcreate /dev/disk/by-path/<that link> && vgcreate vg-" + storage + " /dev/disk/by-path/<that link>",
        f"pvesm add lvm {storage}-lvm --vgname vg-{storage} --base {storage}:0.0.0.<lun> --shared 1 "
        "--content images",
    )))
    return blocks


def _esxi(target: str, portal: str, client: Client, answers: Answers, secret) -> list[CommandBlock]:
    adapter = "vmhba64"
    lines = [
        "esxcli iscsi software set --enabled=true",
        "esxcli iscsi adapter list     # the software adapter's name, e.g. vmhba64",
    ]
    if client.initiator:
        lines.append(f"esxcli iscsi adapter set -A {adapter} -n {client.initiator}")
    lines.append(f"esxcli iscsi adapter discovery sendtarget add -A {adapter} -a {portal}")
    if answers.chap and not answers.demo_mode:
        lines.append(f"esxcli iscsi adapter auth chap set -A {adapter} --direction=uni --level=required "
                     f"--authname={client.chap_user} --secret={secret(client.chap_secret)}")
        if answers.mutual:
            lines.append(f"esxcli iscsi adapter auth chap set -A {adapter} --direction=mutual --level=required "
                         f"--authname={answers.mutual_user} --secret={secret(answers.mutual_secret)}")
    lines += [f"esxcli storage core adapter rescan -A {adapter}",
              "esxcli storage core device list | grep -i LIO   # the new LUNs"]
    return [CommandBlock("ESXi shell (or vSphere: Storage > Adapters > Software iSCSI)", tuple(lines))]


def _windows(target: str, portal: str, client: Client, answers: Answers, secret,
             shared: list[str] | None = None) -> list[CommandBlock]:
    address, _, port = portal.rpartition(":")
    lines = ["Set-Service -Name MSiSCSI -StartupType Automatic; Start-Service MSiSCSI"]
    if client.initiator:
        lines.append(f"Set-InitiatorPort -NodeAddress (Get-InitiatorPort).NodeAddress -NewNodeAddress "
                     f"'{client.initiator}'")
    lines.append(f"New-IscsiTargetPortal -TargetPortalAddress {address} -TargetPortalPortNumber {port}")
    connect = f"Connect-IscsiTarget -NodeAddress '{target}' -TargetPortalAddress {address} -IsPersistent $true"
    if answers.chap and not answers.demo_mode:
        kind = "MUTUALCHAP" if answers.mutual else "ONEWAYCHAP"
        if answers.mutual:
            lines.append(f"Set-IscsiChapSecret -ChapSecret '{secret(answers.mutual_secret)}'")
        connect += (f" -AuthenticationType {kind} -ChapUsername '{client.chap_user}' "
                    f"-ChapSecret '{secret(client.chap_secret)}'")
    if shared:
        lines += [connect, f"# Every LUN is shared by {len(shared)} clients ({', '.join(shared)}): Failover "
                  "Clustering (Cluster Shared Volumes) must own the disks; do not initialize or format them here."]
    else:
        lines += [connect, "Get-Disk | Where-Object BusType -eq iSCSI | Initialize-Disk -PartitionStyle GPT"]
    return [CommandBlock("PowerShell, as Administrator", tuple(lines))]


def client_commands(answers: Answers, target: str, address: str, port: int, client_address: str,
                    client: Client, index: int, *, secrets: bool = False) -> list[CommandBlock]:
    """The command blocks for one client, in the preset's words."""
    p = preset(answers.preset)
    portal = portal_for_clients(address, port, client_address)

    def secret(value: str) -> str:
        return value if secrets else HIDDEN

    first = answers.storage[0].name if answers.storage and answers.storage[0].name else "iscsi"
    sharing = sharing_clients(answers)
    shared = sharing if len(sharing) > 1 else None
    if p.commands == "esxi":  # VMFS is itself a cluster filesystem: no mkfs to leave out
        return _esxi(target, portal, client, answers, secret)
    if p.commands == "windows":
        return _windows(target, portal, client, answers, secret, shared)
    if p.commands == "proxmox":  # shared LVM, created once for the whole cluster
        return _proxmox(target, portal, client, answers, secret, first)
    return _linux(target, portal, client, answers, secret, f"/mnt/{first}", shared)


def as_text(blocks: list[CommandBlock]) -> str:
    """The blocks as one text to paste: titles as comments."""
    out: list[str] = []
    for block in blocks:
        out.append(f"# {block.title}")
        out.extend(block.lines)
        out.append("")
    return "\n".join(out).rstrip() + "\n"
