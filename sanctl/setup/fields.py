"""The setup wizard's inputs as data: each step that asks something is a :class:`FormSpec`, like the config forms.

One :class:`~sanctl.forms.spec.Field` per answer — its label, help, kind,
choices and check — and :func:`step_form`, which lays out the fields a step
shows for the answers so far (a disk's by its kind, CHAP's when it is on),
each named after its answer's key (``storage.0.name`` → ``storage__0__name``:
a field name is an identifier) and starting from the value answered. The
screen draws that form and reads each input back through :meth:`Field.parse`;
:mod:`sanctl.setup.validate` refuses a value with the same fields' checks and
adds only what needs the host (a device in use, a target that exists) or
several answers (two clients with one initiator name). No Textual, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sanctl import block_devices as H
from sanctl.forms.spec import BOOL, SECRET, SELECT, Choice, Field, FormSpec
from sanctl.lio import changes as C
from sanctl.names import InvalidValue, check_chap_user, check_iscsi_name, check_object_name, check_port, \
    check_portal_address, parse_size
from sanctl.setup.answers import KINDS, TITLES, Answers
from sanctl.setup.presets import ORDER, PRESETS, Preset, preset

if TYPE_CHECKING:  # read only: the devices, addresses and RDMA the context found
    from sanctl.setup.context import SetupContext

#: The steps drawn from a form (the others show checks, the plan or progress).
FORM_STEPS = ("storage", "target", "portal", "access", "preset", "client")
AUTHENTICATION = "Authentication"
ADDRESS_NOTES = {"0.0.0.0": "every IPv4 address", "[::0]": "every IPv4 and IPv6 address",
                 "127.0.0.1": "this host only", "[::1]": "this host only (IPv6)"}


def field_name(key: str) -> str:
    """An answer's key as a field name: ``clients.1.chap_user`` → ``clients__1__chap_user``."""
    return key.replace(".", "__")


def answer_key(name: str) -> str:
    """A field name back to its answer's key (no answer's name holds a double underscore)."""
    return name.replace("__", ".")


# ---------------------------------------------------------------------------
# The checks: each returns the value normalised or raises InvalidValue
# ---------------------------------------------------------------------------


def check_kind(text: str) -> str:
    if text not in KINDS:
        raise InvalidValue(f"Choose one of: {', '.join(KINDS)}.")
    return text


def check_backstore_name(text: str) -> str:
    return check_object_name(text, "backstore name")


def check_block_device(text: str) -> str:
    if not text.strip():
        raise InvalidValue("Choose a device below (or type its path).")
    return C.check_dev_path(text, "block device")


def check_file(text: str) -> str:
    if not text.strip():
        raise InvalidValue("A file is required: it is created when it does not exist.")
    return C.check_dev_path(text, "file")


def check_ramdisk_size(text: str) -> int:
    if not text.strip():
        raise InvalidValue("A ramdisk needs a size, e.g. 1G.")
    return parse_size(text)


def check_target_iqn(text: str) -> str:
    if not text.strip():
        raise InvalidValue("An IQN is required (generate suggests one).")
    return check_iscsi_name(text)


def check_label(text: str) -> str:
    """A client's label is free text, but one short line (it names the client's commands)."""
    if any(ord(c) < 32 for c in text) or len(text) > 64:
        raise InvalidValue("A label is one line of at most 64 characters.")
    return text


def check_chap_secret(text: str) -> str:
    return C._secret(text, "CHAP secret")


def check_target_secret(text: str) -> str:
    return C._secret(text, "target secret")


def check_preset(text: str) -> str:
    if text not in PRESETS:
        raise InvalidValue(f"Choose one of: {', '.join(ORDER)}.")
    return text


def block_size_of(text: str) -> int:
    """The block size answered, in bytes (0 when it is not a number)."""
    try:
        return int(text)
    except ValueError:
        return 0


def block_size_check(p: Preset) -> Callable[[str], str]:
    """The block sizes ``p`` takes: a preset's clients decide (ESXi reads only 512-byte LUNs over iSCSI)."""

    def check(text: str) -> str:
        size = block_size_of(text)
        if size not in p.block_sizes:
            allowed = " or ".join(str(s) for s in p.block_sizes)
            raise InvalidValue(f"{p.label} takes a block size of {allowed} bytes.")
        return str(size)

    return check


# ---------------------------------------------------------------------------
# The fields, per step (repeated ones are named per item by step_form)
# ---------------------------------------------------------------------------

KIND = Field("kind", "Kind", SELECT, check=check_kind, choices=(
    Choice("block", "block device (disk, partition, LV)"), Choice("fileio", "file (fileio)"),
    Choice("ramdisk", "memory (ramdisk)")))
BACKSTORE_NAME = Field("name", "Name", check=check_backstore_name, placeholder="e.g. data1")
DEVICE = Field("dev", "Device", check=check_block_device, placeholder="/dev/…, or pick one below")
FILE = Field("file", "File", check=check_file, placeholder="/srv/iscsi/data1.img",
             help="created when missing; an existing file keeps its size and data")
#: A new file's size; blank is allowed here, for an existing file keeps its own (validate asks when it is missing).
FILE_SIZE = Field("size", "Size", check=parse_size, required=False, placeholder="e.g. 10G, 500M, 2T")
SPARSE = Field("sparse", "Sparse file (space allocated as clients write)", BOOL)
WRITE_BACK = Field("write_back", "Write-back cache", BOOL, help="faster, but writes are lost if this host crashes")
RAMDISK_SIZE = Field("size", "Size", check=check_ramdisk_size, placeholder="e.g. 1G")
#: A disk's fields by its kind, in the order the step shows them.
STORAGE = {
    "block": (KIND, BACKSTORE_NAME, DEVICE),
    "fileio": (KIND, BACKSTORE_NAME, FILE, FILE_SIZE, SPARSE, WRITE_BACK),
    "ramdisk": (KIND, BACKSTORE_NAME, RAMDISK_SIZE),
}

TARGET = Field("target", "Target IQN", check=check_target_iqn, placeholder="iqn.YYYY-MM.domain:name",
               help="iqn.YYYY-MM.reversed.domain:name — lower case, no spaces")

ADDRESS = Field("address", "Address", check=check_portal_address,
                help="IPv6 in brackets; a listener already there is shared")
PORT = Field("port", "Port", check=check_port)
ISER = Field("iser", "iSER (iSCSI over RDMA)", BOOL, help="an RDMA NIC was found; clients need one too")

DEMO_MODE = Field("demo_mode", "Demo mode: no ACLs, any initiator may log in", BOOL)
DEMO_WRITE_PROTECT = Field("demo_write_protect", "Read-only for them (demo_mode_write_protect)", BOOL)
# required, so that the check sees a label of blanks too (a newline is refused, spaces are not)
LABEL = Field("label", "Label", check=check_label, placeholder="its host name, e.g. web01")
#: Blank is allowed here: demo mode needs no initiator name (validate requires it otherwise).
INITIATOR = Field("initiator", "Initiator name", check=check_iscsi_name, required=False, placeholder="iqn.…",
                  help="the client's /etc/iscsi/initiatorname.iscsi — one per host")
CHAP_USER = Field("chap_user", "CHAP user", check=check_chap_user)
CHAP_SECRET = Field("chap_secret", "CHAP secret", SECRET, check=check_chap_secret)
CHAP = Field("chap", "CHAP: clients log in with a user name and secret", BOOL)
MUTUAL = Field("mutual", "Mutual CHAP: the target proves itself too", BOOL)
MUTUAL_USER = Field("mutual_user", "Target user", check=check_chap_user)
MUTUAL_SECRET = Field("mutual_secret", "Target secret", SECRET, check=check_target_secret)
#: Not an answer: whether the secrets above are shown (the wizard's, never kept).
SHOW_SECRETS = Field("show_secrets", "show secrets", BOOL)

PRESET = Field("preset", "Clients", SELECT, check=check_preset,
               choices=tuple(Choice(k, PRESETS[k].label) for k in ORDER))
THIN = Field("thin", "Thin provisioning (UNMAP: freed blocks go back)", BOOL)

SHOW_SECRETS_IN_COMMANDS = Field("show_secrets", "show secrets in the commands (copy always has them)", BOOL)


def block_size_field(p: Preset) -> Field:
    """The block size select for preset ``p``: its choices and check are the sizes ``p`` takes."""
    return Field("block_size", "Block size", SELECT, check=block_size_check(p),
                 choices=tuple(Choice(str(n), f"{n} bytes") for n in p.block_sizes))


# ---------------------------------------------------------------------------
# The steps' forms
# ---------------------------------------------------------------------------


def _at(f: Field, key: str, value: Any, section: str = "", **changes: Any) -> Field:
    """``f`` as the input of answer ``key``: named after it, starting from ``value``."""
    return replace(f, name=field_name(key), default=value, section=section, **changes)


def _storage(answers: Answers, ctx: SetupContext) -> list[Field]:
    devices = tuple(Choice(d.path, d.label(), H.note(d, ctx.devices), d.free and H.refusal(d, ctx.devices) is None)
                    for d in ctx.devices)
    out: list[Field] = []
    for i, item in enumerate(answers.storage):
        title = f"Disk {i + 1} → LUN {i}"
        for f in STORAGE.get(item.kind, STORAGE["ramdisk"]):  # as validate: not block nor fileio
            key = f"storage.{i}.{f.name}"
            out.append(_at(f, key, getattr(item, f.name), title, **({"choices": devices} if f is DEVICE else {})))
    return out


def _target(answers: Answers, ctx: SetupContext) -> list[Field]:
    return [_at(TARGET, "target", answers.target)]


def _portal(answers: Answers, ctx: SetupContext) -> list[Field]:
    addresses = tuple(Choice(a, a, ADDRESS_NOTES.get(a, "")) for a in ctx.addresses)
    out = [_at(ADDRESS, "address", answers.address, choices=addresses), _at(PORT, "port", answers.port)]
    if ctx.rdma:  # no RDMA-capable NIC: iSER is not offered
        out.append(_at(ISER, "iser", answers.iser))
    return out


def _access(answers: Answers, ctx: SetupContext, show_secrets: bool) -> list[Field]:
    a = answers
    out = [_at(DEMO_MODE, "demo_mode", a.demo_mode)]
    if a.demo_mode:
        out.append(_at(DEMO_WRITE_PROTECT, "demo_write_protect", a.demo_write_protect))
    chap = a.chap and not a.demo_mode
    for i, client in enumerate(a.clients):
        title = f"Client {i + 1}" + (" (optional in demo mode: for the Client step's commands)" if a.demo_mode else "")
        for f in (LABEL, INITIATOR, *((CHAP_USER, CHAP_SECRET) if chap else ())):
            out.append(_at(f, f"clients.{i}.{f.name}", getattr(client, f.name), title))
    if a.demo_mode:
        return out
    out.append(_at(CHAP, "chap", a.chap, AUTHENTICATION))
    if a.chap:
        out.append(_at(MUTUAL, "mutual", a.mutual, AUTHENTICATION))
        if a.mutual:
            out.append(_at(MUTUAL_USER, "mutual_user", a.mutual_user, AUTHENTICATION))
            out.append(_at(MUTUAL_SECRET, "mutual_secret", a.mutual_secret, AUTHENTICATION))
        out.append(_at(SHOW_SECRETS, "show_secrets", show_secrets, AUTHENTICATION))
    return out


def _preset(answers: Answers, ctx: SetupContext) -> list[Field]:
    p = preset(answers.preset)
    return [_at(PRESET, "preset", answers.preset, help=p.summary),
            _at(block_size_field(p), "block_size", answers.block_size),
            _at(THIN, "thin", answers.thin)]


def _client(answers: Answers, ctx: SetupContext, show_secrets: bool) -> list[Field]:
    if answers.chap and not answers.demo_mode:
        return [_at(SHOW_SECRETS_IN_COMMANDS, "show_secrets", show_secrets)]
    return []


def _checked(values: dict[str, Any]) -> dict[str, Any]:
    """What a step's form builds: its answers checked, by key (the plan is built from all of them at Review)."""
    return {answer_key(name): value for name, value in values.items()}


def step_form(step: str, answers: Answers, ctx: SetupContext, *, show_secrets: bool = False) -> FormSpec | None:
    """The inputs ``step`` shows for ``answers``, in order; None for a step that asks nothing."""
    if step == "storage":
        fields = _storage(answers, ctx)
    elif step == "target":
        fields = _target(answers, ctx)
    elif step == "portal":
        fields = _portal(answers, ctx)
    elif step == "access":
        fields = _access(answers, ctx, show_secrets)
    elif step == "preset":
        fields = _preset(answers, ctx)
    elif step == "client":
        fields = _client(answers, ctx, show_secrets)
    else:
        return None
    return FormSpec(TITLES[step], tuple(fields), _checked, confirm="Next")


def field_for(form: FormSpec | None, key: str) -> Field | None:
    """The field of answer ``key`` in ``form``, or None when the form does not show it."""
    if form is None:
        return None
    try:
        return form.field(field_name(key))
    except KeyError:
        return None


def sections(fields: tuple[Field, ...]) -> list[tuple[str, tuple[Field, ...]]]:
    """The fields grouped by their section, in order (a section's title heads its group; "" has none)."""
    out: list[tuple[str, list[Field]]] = []
    for f in fields:
        if not out or out[-1][0] != f.section:
            out.append((f.section, []))
        out[-1][1].append(f)
    return [(title, tuple(group)) for title, group in out]


def answer_value(f: Field, raw: Any) -> Any:
    """What the answers keep of an input: a flag's or a choice's value through :meth:`Field.parse`.

    A text is kept as typed (``"10G"`` stays text, a half-typed IQN is kept to be corrected):
    its check runs when the step is validated, which refuses it with the reason.
    """
    if f.kind in (BOOL, SELECT):
        return f.parse(raw)
    return raw if isinstance(raw, str) else ""
