"""What ``a``, ``e`` and ``d`` do on each kind of tree node: one table, :data:`ACTIONS`.

A row names the form ``a`` opens under a node of that kind, the form ``e``
opens on it and the change ``d`` confirms. A handler returns ``None`` when
the node lacks what it needs (a LUN outside any TPG); :func:`add_form`,
:func:`edit_form` and :func:`delete_change` then say why nothing can be
done there, as they do for a kind with no handler. Nothing here reads the
system: what a form needs beyond the configuration (an object's details,
the host's devices) is already in the :class:`~sanctl.forms.context.Context`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sanctl.forms.add import (
    _backstore_chooser,
    _fabric_chooser,
    _tpg_chooser,
    acl_form,
    lun_form,
    mapped_lun_form,
    portal_form,
    storage_object_form,
    target_form,
    tpg_form,
)
from sanctl.forms.alua import _storage_object_chooser, alua_group_form, lun_edit
from sanctl.forms.context import Context, Where, where
from sanctl.forms.edit import acl_edit, discovery_edit, mapped_lun_edit, portal_edit, storage_object_edit, tpg_edit
from sanctl.forms.spec import FormSpec
from sanctl.lio import changes as C
from sanctl.model import SanConfig, StorageObject
from sanctl.tree import Node

Form = Callable[[Context, Node, Where], "FormSpec | str | None"]
Delete = Callable[[Node, Where], "C.Change | None"]


@dataclass(frozen=True, slots=True)
class Actions:
    """What the writing keys do on one kind of node (``None``: nothing there)."""

    add: Form | None = None
    edit: Form | None = None
    delete: Delete | None = None


def _detail(ctx: Context, node: Node) -> Any:
    """The node's object as the gathering read it in full, or the tree's."""
    return ctx.detail if ctx.detail is not None else node.obj


# --- a ----------------------------------------------------------------------------------------------


def _add_alua_group(ctx: Context, node: Node, w: Where) -> FormSpec | str:
    return alua_group_form(ctx, _detail(ctx, node))


def _add_in_tpg(form: Callable[..., FormSpec | str]) -> Form:
    def add(ctx: Context, node: Node, w: Where) -> FormSpec | str | None:
        if w.target is None or w.tpg is None:
            return None
        return form(ctx, w.target, w.tpg, node.path)

    return add


def _add_tpg(ctx: Context, node: Node, w: Where) -> FormSpec | None:
    return tpg_form(ctx, w.target, node.path) if w.target is not None else None


def _add_to_tpg(ctx: Context, node: Node, w: Where) -> FormSpec | None:
    return _tpg_chooser(ctx, w, node.path) if w.target is not None and w.tpg is not None else None


def _add_mapped_lun(ctx: Context, node: Node, w: Where) -> FormSpec | str | None:
    if w.target is None or w.tpg is None or w.acl is None:
        return None
    return mapped_lun_form(ctx, w.target, w.tpg, w.acl, node.path)


# --- e ----------------------------------------------------------------------------------------------


def _edit_storage_object(ctx: Context, node: Node, w: Where) -> FormSpec | str:
    so: StorageObject = _detail(ctx, node)
    if so.alua_supported and so.alua_groups:
        return _storage_object_chooser(ctx, so)
    return storage_object_edit(so)


def _edit_fabric(ctx: Context, node: Node, w: Where) -> FormSpec | str:
    if node.name != "iscsi":
        return f"The {node.name} fabric has no settings sanctl can change."
    fabric = ctx.config.fabric("iscsi")
    return discovery_edit(fabric.discovery_auth if fabric is not None else None)


def _edit_tpg(ctx: Context, node: Node, w: Where) -> FormSpec | None:
    if w.target is None or w.tpg is None:
        return None
    return tpg_edit(w.target, ctx.detail if ctx.detail is not None else w.tpg)


def _edit_acl(ctx: Context, node: Node, w: Where) -> FormSpec | None:
    if w.target is None or w.tpg is None or w.acl is None:
        return None
    return acl_edit(w.target, w.tpg, ctx.detail if ctx.detail is not None else w.acl)


def _edit_mapped_lun(ctx: Context, node: Node, w: Where) -> FormSpec | None:
    if w.target is None or w.tpg is None or w.acl is None:
        return None
    return mapped_lun_edit(w.target, w.tpg, w.acl, node.obj)


def _edit_portal(ctx: Context, node: Node, w: Where) -> FormSpec | None:
    return portal_edit(w.target, w.tpg, node.obj) if w.target is not None and w.tpg is not None else None


def _edit_lun(ctx: Context, node: Node, w: Where) -> FormSpec | str | None:
    if w.target is None or w.tpg is None:
        return None
    lun = _detail(ctx, node)
    so = ctx.backstore if ctx.backstore is not None else ctx.config.storage_object(lun.storage_object)
    return lun_edit(w.target, w.tpg, lun, so)


# --- d ----------------------------------------------------------------------------------------------


def _delete_storage_object(node: Node, w: Where) -> C.Change:
    so: StorageObject = node.obj  # type: ignore[assignment]
    return C.DeleteStorageObject(so.plugin, so.name)


def _delete_target(node: Node, w: Where) -> C.Change | None:
    return C.DeleteTarget(w.target.wwn, w.target.fabric) if w.target is not None else None


def _delete_in_tpg(make: Callable[..., C.Change | None]) -> Delete:
    def delete(node: Node, w: Where) -> C.Change | None:
        if w.target is None or w.tpg is None:
            return None
        return make(node, w, w.target.wwn, w.tpg.tag, w.target.fabric)

    return delete


def _delete_acl(node, w, wwn, tag, fabric):
    return C.DeleteAcl(wwn, tag, w.acl.node_wwn, fabric=fabric) if w.acl is not None else None


def _delete_mapped_lun(node, w, wwn, tag, fabric):
    return C.DeleteMappedLun(wwn, tag, w.acl.node_wwn, node.obj.index, fabric=fabric) if w.acl is not None else None


def _delete_portal(node, w, wwn, tag, fabric):
    return C.DeletePortal(wwn, tag, node.obj.ip_address, node.obj.port, fabric=fabric)


#: Node kind -> what ``a`` / ``e`` / ``d`` do there. A kind not listed (or a ``None``) does nothing.
ACTIONS: dict[str, Actions] = {
    "root": Actions(add=lambda ctx, node, w: _fabric_chooser(ctx, node)),
    "backstores": Actions(add=lambda ctx, node, w: _backstore_chooser(ctx, node)),
    "plugin": Actions(add=lambda ctx, node, w: storage_object_form(ctx, str(node.obj), node.path)),
    "storage_object": Actions(add=_add_alua_group, edit=_edit_storage_object, delete=_delete_storage_object),
    # each fabric adds its own kind of target (the loopback node: loopback ones), as targetcli
    "fabric": Actions(add=lambda ctx, node, w: target_form(ctx, node.name, node.path), edit=_edit_fabric),
    "target": Actions(add=_add_tpg, delete=_delete_target),
    "tpg": Actions(add=_add_to_tpg, edit=_edit_tpg,
                   delete=_delete_in_tpg(lambda node, w, wwn, tag, fabric: C.DeleteTpg(wwn, tag, fabric=fabric))),
    "acls": Actions(add=_add_in_tpg(acl_form)),
    "luns": Actions(add=_add_in_tpg(lun_form)),
    "portals": Actions(add=_add_in_tpg(portal_form)),
    "acl": Actions(add=_add_mapped_lun, edit=_edit_acl, delete=_delete_in_tpg(_delete_acl)),
    "lun": Actions(edit=_edit_lun, delete=_delete_in_tpg(
        lambda node, w, wwn, tag, fabric: C.DeleteLun(wwn, tag, node.obj.index, fabric=fabric))),
    "mapped_lun": Actions(edit=_edit_mapped_lun, delete=_delete_in_tpg(_delete_mapped_lun)),
    "portal": Actions(edit=_edit_portal, delete=_delete_in_tpg(_delete_portal)),
}


def add_form(ctx: Context, node: Node) -> FormSpec | str:
    """The form adding a child of ``node``, or why nothing can be added there."""
    act = ACTIONS.get(node.kind)
    if act is not None and act.add is not None:
        result = act.add(ctx, node, where(ctx.config, node))
        if result is not None:
            return result
    what = {"lun": "a LUN", "mapped_lun": "a mapped LUN", "portal": "a portal"}.get(node.kind, node.kind)
    return f"Nothing can be added under {what}: select its parent list (backstores, luns, acls, portals) to add one."


def edit_form(ctx: Context, node: Node) -> FormSpec | str:
    """The form editing ``node``, or why there is nothing to edit."""
    act = ACTIONS.get(node.kind)
    if act is not None and act.edit is not None:
        result = act.edit(ctx, node, where(ctx.config, node))
        if result is not None:
            return result
    return {
        "target": "A target has nothing to edit (there is no rename: delete it and create another); "
                  "edit its TPG.",
    }.get(node.kind, "Nothing to edit here: select a backstore, TPG, ACL, mapped LUN, portal or the iscsi fabric.")


def delete_change(config: SanConfig, node: Node) -> C.Change | str:
    """The delete ``d`` confirms for ``node``, or why there is none."""
    act = ACTIONS.get(node.kind)
    w = where(config, node)
    if act is not None and act.delete is not None:
        result = act.delete(node, w)
        if result is not None:
            return result
    if w.target is None:
        return "Select an object to delete: a backstore, target, TPG, LUN, ACL, mapped LUN or portal."
    if w.tpg is None:
        return "Select an object to delete."
    return f"{node.name} is a list, not an object: select one of its entries to delete it."


def must_type_name(node: Node, sessions: int) -> str | None:
    """The word to type before a delete goes ahead: the name of a target, a TPG, or anything with sessions."""
    if node.kind in ("target", "tpg") or sessions:
        return node.name
    return None
