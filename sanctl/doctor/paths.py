"""Configuration tree paths of the objects findings are about.

The spelling of :mod:`sanctl.tree` (targetcli's): ``/backstores/block/<name>``,
``/iscsi/<iqn>/tpg1/luns/lun0``, ``…/acls/<initiator>/mapped_lun0``,
``…/portals/0.0.0.0:3260``. :func:`sanctl.tree.find` resolves every one of
them, so the doctor panel can put the tree's cursor there. No Textual here.
"""

from __future__ import annotations

from sanctl.model import NodeAcl, Portal, StorageObject, Target, Tpg


def storage_object(so: StorageObject) -> str:
    return f"/backstores/{so.plugin}/{so.name}"


def storage_key(key: tuple[str, str]) -> str:
    return f"/backstores/{key[0]}/{key[1]}"


def target(t: Target) -> str:
    return f"/{t.fabric}/{t.wwn}"


def tpg(t: Target, g: Tpg) -> str:
    return f"{target(t)}/tpg{g.tag}"


def lun(t: Target, g: Tpg, index: int) -> str:
    return f"{tpg(t, g)}/luns/lun{index}"


def acls(t: Target, g: Tpg) -> str:
    return f"{tpg(t, g)}/acls"


def acl(t: Target, g: Tpg, a: NodeAcl | str) -> str:
    name = a if isinstance(a, str) else a.node_wwn
    return f"{tpg(t, g)}/acls/{name}"


def mapped_lun(t: Target, g: Tpg, a: NodeAcl | str, index: int) -> str:
    return f"{acl(t, g, a)}/mapped_lun{index}"


def portal(t: Target, g: Tpg, p: Portal) -> str:
    return f"{tpg(t, g)}/portals/{p.label}"
