"""What the operator answered in the setup wizard, step by step.

Plain mutable dataclasses holding the values as typed (text stays text:
a size is ``"10G"`` until the plan parses it), so a half-filled step can be
kept, shown again and resumed. :meth:`Answers.to_dict` /
:meth:`Answers.from_dict` make them JSON; reading back is tolerant (unknown
keys are ignored, a value of the wrong type falls back to the default), so
a state file written by another version never stops the wizard.

No Textual here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from sanctl.setup.presets import PRESETS

#: The wizard's steps, in order.
STEPS = ("checks", "storage", "target", "portal", "access", "preset", "review", "apply", "client")
TITLES = {
    "checks": "Checks",
    "storage": "Storage",
    "target": "Target",
    "portal": "Portal",
    "access": "Access",
    "preset": "Preset",
    "review": "Review",
    "apply": "Apply",
    "client": "Client",
}
#: The steps whose answers become the plan (their refusals block Apply).
INPUT_STEPS = ("storage", "target", "portal", "access", "preset")
#: Storage kinds the wizard offers: rtslib-fb's plugin names.
KINDS = ("block", "fileio", "ramdisk")


@dataclass
class StorageItem:
    """One disk to export: a block device, a file, or memory."""

    kind: str = "fileio"
    name: str = ""
    dev: str = ""  #: block: /dev/…
    file: str = ""  #: fileio: the file (created when missing)
    size: str = ""  #: fileio (new file) and ramdisk: "10G"
    sparse: bool = True
    write_back: bool = False


@dataclass
class Client:
    """One client host: its initiator name gets an ACL; CHAP credentials when asked for."""

    label: str = ""
    initiator: str = ""
    chap_user: str = ""
    chap_secret: str = field(default="", repr=False)


@dataclass
class Answers:
    storage: list[StorageItem] = field(default_factory=lambda: [StorageItem()])
    target: str = ""
    address: str = "0.0.0.0"
    port: str = "3260"
    iser: bool = False
    clients: list[Client] = field(default_factory=lambda: [Client()])
    demo_mode: bool = False
    demo_write_protect: bool = True
    chap: bool = False
    mutual: bool = False
    mutual_user: str = ""
    mutual_secret: str = field(default="", repr=False)
    preset: str = "linux"
    block_size: str = "512"
    thin: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> Answers:
        if not isinstance(data, dict):
            return cls()
        out = cls()
        for f in fields(cls):
            if f.name not in data:
                continue
            value = data[f.name]
            if f.name == "storage":
                items = [_load(StorageItem, d) for d in value] if isinstance(value, list) else []
                out.storage = [i for i in items if i is not None] or [StorageItem()]
            elif f.name == "clients":
                items = [_load(Client, d) for d in value] if isinstance(value, list) else []
                out.clients = [i for i in items if i is not None] or [Client()]
            elif _same_type(getattr(out, f.name), value):
                setattr(out, f.name, value)
        if out.preset not in PRESETS:  # the preset field's choices
            out.preset = "linux"
        return out


def _same_type(default: Any, value: Any) -> bool:
    if isinstance(default, bool):
        return isinstance(value, bool)
    return isinstance(value, type(default)) and not isinstance(value, bool)


def _load(cls, data: Any):
    if not isinstance(data, dict):
        return None
    item = cls()
    for f in fields(cls):
        if f.name in data and _same_type(getattr(item, f.name), data[f.name]):
            setattr(item, f.name, data[f.name])
    if cls is StorageItem and item.kind not in KINDS:
        item.kind = "fileio"
    return item
