"""Changes to a TPG's network portals (iSCSI listeners)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from sanctl.names import InvalidValue
from sanctl.lio.changes.base import DEFAULT_PORTAL, _yes
from sanctl.lio.changes.fabric import _InTpg
from sanctl.lio.changes.refs import PortalRef


# ---------------------------------------------------------------------------
# Portals
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _PortalChange(_InTpg):
    ref_kind = PortalRef

    @property
    def portal(self) -> str:
        return f"{self.address}:{self.port}"  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class CreatePortal(_PortalChange):
    """A listener: IPv4 dotted, IPv6 (brackets added), ``0.0.0.0`` / ``[::0]`` for all addresses."""

    target: str
    tpg: int
    address: str = DEFAULT_PORTAL
    port: int = 3260
    iser: bool = False
    offload: bool = False
    fabric: str = "iscsi"

    def describe(self) -> str:
        extra = "".join(f", {name}" for name, on in (("iSER", self.iser), ("offload", self.offload)) if on)
        return f"Listen on {self.portal} for {self.tpg_label}{extra}"

    def targetcli(self) -> str:
        line = f"{self.rts_tpg}/portals create ip_address={self.address} ip_port={self.port}"
        if self.iser:
            line += f"\n{self.rts_tpg}/portals/{self.portal} enable_iser true"
        if self.offload:
            line += f"\n{self.rts_tpg}/portals/{self.portal} enable_offload true"
        return line


@dataclass(frozen=True, slots=True)
class DeletePortal(_PortalChange):
    dangerous: ClassVar[bool] = True
    target: str
    tpg: int
    address: str
    port: int = 3260
    fabric: str = "iscsi"

    def describe(self) -> str:
        return f"Stop listening on {self.portal} for {self.tpg_label}"

    def targetcli(self) -> str:
        return f"{self.rts_tpg}/portals delete ip_address={self.address} ip_port={self.port}"


@dataclass(frozen=True, slots=True)
class SetPortalFlag(_PortalChange):
    """Turn iSER (``flag='iser'``) or Chelsio offload (``flag='offload'``) on or off."""

    target: str
    tpg: int
    address: str
    port: int
    flag: str
    on: bool = True
    fabric: str = "iscsi"
    expect: bool | None = None  #: whether the form showed the flag on

    def __post_init__(self) -> None:
        _PortalChange.__post_init__(self)
        if self.flag not in ("iser", "offload"):
            raise InvalidValue("A portal flag is 'iser' or 'offload'.")

    @property
    def cfs_path(self) -> str:
        return f"{self.ref.path}/{'iser' if self.flag == 'iser' else 'cxgbit'}"

    def describe(self) -> str:
        name = "iSER" if self.flag == "iser" else "offload"
        return f"{'Enable' if self.on else 'Disable'} {name} on portal {self.portal} of {self.tpg_label}"

    def targetcli(self) -> str:
        command = "enable_iser" if self.flag == "iser" else "enable_offload"
        return f"{self.rts_tpg}/portals/{self.portal} {command} {_yes(self.on)}"
