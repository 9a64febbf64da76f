"""Changes to targets and their TPGs: create, delete, enable, settings, CHAP, discovery auth."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import ClassVar

from sanctl.names import (
    InvalidValue,
    generate_iqn,
)
from sanctl.lio.changes.base import (
    Change,
    Scope,
    _fabric,
    _tag,
)
from sanctl.lio.changes.chap import Chap, NO_CHAP, _check_chap_change
from sanctl.lio.changes.refs import TargetRef, TpgRef, _WithinTpg


# ---------------------------------------------------------------------------
# Targets and TPGs
# ---------------------------------------------------------------------------


def generate_wwn(fabric: str) -> str:
    """A fresh target name of the kind rtslib-fb generates for ``fabric``."""
    if fabric == "iscsi":
        return generate_iqn()
    import secrets

    return "naa.5001405" + secrets.token_hex(5)[:9]


@dataclass(frozen=True, slots=True)
class CreateTarget(Change):
    """A target, without TPG (add :class:`CreateTpg`); ``target=None`` generates a name like targetcli."""

    ref_kind = TargetRef
    target: str | None = None
    fabric: str = "iscsi"

    def __post_init__(self) -> None:
        _fabric(self.fabric)
        if self.target in (None, ""):
            object.__setattr__(self, "target", generate_wwn(self.fabric))
        Change.__post_init__(self)

    def describe(self) -> str:
        return f"Create {self.ref.label}"

    def targetcli(self) -> str:
        return f"/{self.fabric} create wwn={self.target}"


@dataclass(frozen=True, slots=True)
class DeleteTarget(Change):
    """Delete a target with its TPGs, LUNs, ACLs and portals (sessions drop)."""

    dangerous: ClassVar[bool] = True
    ref_kind = TargetRef
    target: str
    fabric: str = "iscsi"
    expect: frozenset | None = None

    def describe(self) -> str:
        return f"Delete {self.ref.label} with everything in it"

    def targetcli(self) -> str:
        return f"/{self.fabric} delete {self.target}"


@dataclass(frozen=True, slots=True)
class _InTpg(_WithinTpg, Change):
    """Base of changes addressing one TPG (``target``, ``tpg``, ``fabric``) or something in it."""

    ref_kind = TpgRef


@dataclass(frozen=True, slots=True)
class CreateTpg(Change):
    """A target portal group; ``tpg=None`` takes the next free tag (like targetcli)."""

    ref_kind = TargetRef
    target: str
    tpg: int | None = None
    fabric: str = "iscsi"

    def __post_init__(self) -> None:
        Change.__post_init__(self)
        if self.tpg is not None:
            _tag(self.tpg)

    @property
    def subject(self) -> str:
        return f"TPG {self.tpg if self.tpg is not None else '(next free)'} of {self.target}"

    @property
    def cfs_path(self) -> str:
        return f"{self.ref.path}/tpgt_{self.tpg or 1}"

    def describe(self) -> str:
        tag = f"TPG {self.tpg}" if self.tpg is not None else "a TPG (next free tag)"
        return f"Create {tag} in {self.ref.label}"

    def targetcli(self) -> str:
        tag = f" tag={self.tpg}" if self.tpg is not None else ""
        return f"{self.ref.rts} create{tag}"


@dataclass(frozen=True, slots=True)
class DeleteTpg(_InTpg):
    """Delete a TPG with its LUNs, ACLs and portals (disabled first: its sessions drop)."""

    dangerous: ClassVar[bool] = True
    target: str
    tpg: int
    fabric: str = "iscsi"
    expect: frozenset | None = None

    def describe(self) -> str:
        return f"Delete TPG {self.tpg_label} with its LUNs, ACLs and portals"

    def targetcli(self) -> str:
        return f"/{self.fabric}/{self.target} delete tag={self.tpg}"


@dataclass(frozen=True, slots=True)
class SetTpgEnabled(_InTpg):
    """Enable or disable a TPG (disabling drops its sessions; the listener stays)."""

    target: str
    tpg: int
    enabled: bool = True
    fabric: str = "iscsi"
    expect: bool | None = None  #: whether the form showed it enabled
    writes = "enable"

    def describe(self) -> str:
        return f"{'Enable' if self.enabled else 'Disable'} TPG {self.tpg_label}"

    def targetcli(self) -> str:
        return f"{self.rts_tpg} {'enable' if self.enabled else 'disable'}"


#: RFC 7143 negotiation keys LIO checks (iscsi_check_value): allowed list items,
#: or a numeric range, or Yes/No. Unknown keys are left to the kernel.
_LIST_KEYS = {
    "HeaderDigest": ("CRC32C", "None"),
    "DataDigest": ("CRC32C", "None"),
    "AuthMethod": ("CHAP", "None", "KRB5", "SPKM1", "SPKM2", "SRP"),
}
_BOOL_KEYS = frozenset({"InitialR2T", "ImmediateData", "DataPDUInOrder", "DataSequenceInOrder",
                        "IFMarker", "OFMarker"})
_RANGE_KEYS = {
    "MaxConnections": (1, 65535),
    "MaxRecvDataSegmentLength": (512, 16777215),
    "MaxXmitDataSegmentLength": (512, 16777215),
    "MaxBurstLength": (512, 16777215),
    "FirstBurstLength": (512, 16777215),
    "DefaultTime2Wait": (0, 3600),
    "DefaultTime2Retain": (0, 3600),
    "MaxOutstandingR2T": (1, 65535),
    "ErrorRecoveryLevel": (0, 2),
}


def check_parameter(name: str, value: str) -> str:
    """An iSCSI negotiation key's value as LIO's validator accepts it."""
    if name in _LIST_KEYS:
        items = value.split(",")
        allowed = _LIST_KEYS[name]
        if any(item not in allowed for item in items):
            raise InvalidValue(f"{name} is a list of {', '.join(allowed)} (e.g. {','.join(allowed[:2])}).")
    elif name in _BOOL_KEYS:
        if value not in ("Yes", "No"):
            raise InvalidValue(f"{name} is Yes or No.")
    elif name in _RANGE_KEYS:
        low, high = _RANGE_KEYS[name]
        if not value.isdigit() or not low <= int(value) <= high:
            raise InvalidValue(f"{name} is a number from {low} to {high}.")
    elif name in ("IFMarkInt", "OFMarkInt"):
        if value != "Reject" and not re.fullmatch(r"\d+~\d+", value):
            raise InvalidValue(f"{name} is Reject or a range like 2048~65535 (markers are obsolete).")
    elif name != "TargetAlias" and " " in value:
        raise InvalidValue(f"{name} takes a value without spaces.")
    return value


@dataclass(frozen=True, slots=True)
class SetTpgAuth(_InTpg):
    """TPG-wide CHAP: the credentials checked in demo mode (``generate_node_acls=1``)."""

    target: str
    tpg: int
    chap: Chap = NO_CHAP
    fabric: str = "iscsi"
    expect: Chap | None = field(default=None, repr=False)  #: the credentials the form showed
    writes, what = "auth", "CHAP"

    def __post_init__(self) -> None:
        _InTpg.__post_init__(self)
        _check_chap_change(self, fabric=self.fabric)

    def describe(self) -> str:
        return f"Set TPG-wide {self.chap.summary()} on {self.tpg_label}"

    def targetcli(self) -> str:
        return f"{self.rts_tpg} set auth {self.chap.targetcli_args()}"


@dataclass(frozen=True, slots=True)
class SetDiscoveryAuth(Change):
    """iSCSI discovery authentication: credentials and whether it is enforced."""

    chap: Chap = NO_CHAP
    enforce: bool = False
    expect: Chap | None = field(default=None, repr=False)  #: the credentials the form showed
    expect_enforce: bool | None = None  #: whether the form showed it enforced

    def __post_init__(self) -> None:
        Change.__post_init__(self)
        _check_chap_change(self)
        if self.enforce and not self.chap.enabled:
            raise InvalidValue("Enforcing discovery authentication needs a CHAP user name and secret.")

    @property
    def subject(self) -> str:
        return "iSCSI discovery authentication"

    @property
    def cfs_path(self) -> str:
        return "iscsi/discovery_auth"

    def scope(self) -> Scope:
        return Scope()

    def describe(self) -> str:
        if not self.enforce:
            return "Turn discovery authentication off" + (" (credentials kept)" if self.chap.enabled else "")
        return f"Require {self.chap.summary()} for discovery"

    def targetcli(self) -> str:
        return f"/iscsi set discovery_auth enable={int(self.enforce)} {self.chap.targetcli_args()}"
