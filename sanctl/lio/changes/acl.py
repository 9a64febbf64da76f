"""Changes to node ACLs and their mapped LUNs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from sanctl.names import InvalidValue
from sanctl.lio.changes.base import (
    _ACL_TAG,
    _alias,
    _index,
    _int_value,
    _yes,
)
from sanctl.lio.changes.chap import Chap, NO_CHAP, _check_chap_change
from sanctl.lio.changes.fabric import _InTpg
from sanctl.lio.changes.refs import AclRef, MappedLunRef, _WithinAcl


# ---------------------------------------------------------------------------
# Node ACLs and mapped LUNs
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _InAcl(_WithinAcl, _InTpg):
    """Base of changes addressing one ACL (``initiator`` in a TPG) or a mapped LUN in it."""

    ref_kind = AclRef


def _check_acl_tag(tag: str | None) -> str | None:
    if tag in (None, ""):
        return None
    if not isinstance(tag, str) or not _ACL_TAG.match(tag):
        raise InvalidValue("An ACL tag uses letters, digits and _ : @ + - (no '.' and no spaces), at most 64.")
    if tag == "NULL":
        raise InvalidValue("'NULL' cannot be a tag: LIO reads it as 'no tag'.")
    return tag


@dataclass(frozen=True, slots=True)
class CreateAcl(_InAcl):
    """Allow an initiator into a TPG; with ``map_all_luns`` every TPG LUN is mapped 1:1."""

    target: str
    tpg: int
    initiator: str
    map_all_luns: bool = True
    acl_tag: str | None = None
    fabric: str = "iscsi"

    def __post_init__(self) -> None:
        _InAcl.__post_init__(self)
        object.__setattr__(self, "acl_tag", _check_acl_tag(self.acl_tag))

    def describe(self) -> str:
        maps = " mapping every LUN" if self.map_all_luns else " (no LUN mapped yet)"
        tag = f", tag {self.acl_tag}" if self.acl_tag else ""
        return f"Allow initiator {self.initiator} into {self.tpg_label}{maps}{tag}"

    def targetcli(self) -> str:
        line = f"{self.rts_tpg}/acls create wwn={self.initiator} add_mapped_luns={_yes(self.map_all_luns)}"
        if self.acl_tag:
            line += f"\n{self.rts_tpg}/acls tag {self.initiator} {self.acl_tag}"
        return line


@dataclass(frozen=True, slots=True)
class DeleteAcl(_InAcl):
    """Remove an initiator's ACL with its mapped LUNs and CHAP (its session drops now)."""

    dangerous: ClassVar[bool] = True
    target: str
    tpg: int
    initiator: str
    fabric: str = "iscsi"
    expect: frozenset | None = None

    def describe(self) -> str:
        return f"Delete {self.acl_label} (its session is dropped)"

    def targetcli(self) -> str:
        return f"{self.rts_tpg}/acls delete wwn={self.initiator}"


@dataclass(frozen=True, slots=True)
class SetAclTag(_InAcl):
    """Group an ACL under a tag (``None`` removes it from its group)."""

    target: str
    tpg: int
    initiator: str
    acl_tag: str | None = None
    fabric: str = "iscsi"
    expect: str | None = None  #: the tag the form showed ('' for none)
    writes, what = "tag", "tag"

    def __post_init__(self) -> None:
        _InAcl.__post_init__(self)
        object.__setattr__(self, "acl_tag", _check_acl_tag(self.acl_tag))
        if self.expect is not None and not isinstance(self.expect, str):
            raise InvalidValue("The tag shown must be text.")

    def describe(self) -> str:
        if self.acl_tag:
            return f"Tag {self.acl_label} as {self.acl_tag}"
        return f"Remove the tag of {self.acl_label}"

    def targetcli(self) -> str:
        if self.acl_tag:
            return f"{self.rts_tpg}/acls tag {self.initiator} {self.acl_tag}"
        return f"{self.rts_tpg}/acls untag {self.initiator}"


@dataclass(frozen=True, slots=True)
class SetAclCmdsnDepth(_InAcl):
    """The initiator's command window (queue depth): ``acls/<initiator>/cmdsn_depth``."""

    target: str
    tpg: int
    initiator: str
    depth: int
    fabric: str = "iscsi"
    expect: int | None = None
    writes, what = "cmdsn_depth", "cmdsn_depth"

    def __post_init__(self) -> None:
        _InAcl.__post_init__(self)
        object.__setattr__(self, "depth", int(_int_value(self.depth, "cmdsn_depth", (1, 512))))

    def describe(self) -> str:
        return f"Set the queue depth (cmdsn_depth) of {self.acl_label} to {self.depth}"

    def targetcli(self) -> str:
        return f"# rtslib: NodeACL({self.initiator!r}).tcq_depth = {self.depth}  (not in targetcli)"


@dataclass(frozen=True, slots=True)
class SetAclAuth(_InAcl):
    """Per-initiator CHAP (checked when the TPG has ``authentication=1`` and explicit ACLs)."""

    target: str
    tpg: int
    initiator: str
    chap: Chap = NO_CHAP
    fabric: str = "iscsi"
    expect: Chap | None = field(default=None, repr=False)  #: the credentials the form showed
    writes, what = "auth", "CHAP"

    def __post_init__(self) -> None:
        _InAcl.__post_init__(self)
        _check_chap_change(self, fabric=self.fabric)

    def describe(self) -> str:
        return f"Set {self.chap.summary()} on {self.acl_label}"

    def targetcli(self) -> str:
        return f"{self.rts_acl} set auth {self.chap.targetcli_args()}"


@dataclass(frozen=True, slots=True)
class CreateMappedLun(_InAcl):
    """Show TPG LUN ``tpg_lun`` to the initiator as LUN ``index``."""

    ref_kind = MappedLunRef
    target: str
    tpg: int
    initiator: str
    index: int
    tpg_lun: int
    write_protect: bool = False
    alias: str | None = None
    fabric: str = "iscsi"

    def __post_init__(self) -> None:
        _InAcl.__post_init__(self)
        _index(self.tpg_lun, "TPG LUN number")
        object.__setattr__(self, "alias", _alias(self.alias, "mapped LUN alias"))

    def describe(self) -> str:
        mode = "read-only" if self.write_protect else "read-write"
        return f"Map LUN {self.tpg_lun} of {self.tpg_label} to {self.initiator} as LUN {self.index} ({mode})"

    def targetcli(self) -> str:
        return (f"{self.rts_acl} create mapped_lun={self.index} tpg_lun_or_backstore={self.tpg_lun} "
                f"write_protect={_yes(self.write_protect)}")


@dataclass(frozen=True, slots=True)
class DeleteMappedLun(_InAcl):
    """Hide a LUN from one initiator."""

    dangerous: ClassVar[bool] = True
    ref_kind = MappedLunRef
    target: str
    tpg: int
    initiator: str
    index: int
    fabric: str = "iscsi"

    def describe(self) -> str:
        return f"Unmap LUN {self.index} from {self.initiator} in {self.tpg_label}"

    def targetcli(self) -> str:
        return f"{self.rts_acl} delete mapped_lun={self.index}"


@dataclass(frozen=True, slots=True)
class SetMappedLunWriteProtect(_InAcl):
    ref_kind = MappedLunRef
    target: str
    tpg: int
    initiator: str
    index: int
    write_protect: bool = True
    fabric: str = "iscsi"
    expect: bool | None = None  #: whether the form showed it write-protected

    writes = "write_protect"

    def describe(self) -> str:
        mode = "read-only" if self.write_protect else "read-write"
        return f"Make mapped LUN {self.index} of {self.initiator} in {self.tpg_label} {mode}"

    def targetcli(self) -> str:
        return f"{self.rts_acl}/mapped_lun{self.index} set attribute write_protect={int(self.write_protect)}"
