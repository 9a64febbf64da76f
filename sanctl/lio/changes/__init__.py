"""Changes to the LIO configuration as validated, immutable values.

One module per family of objects (as rtslib-fb files them): :mod:`.storage`,
:mod:`.alua`, :mod:`.fabric` (targets and TPGs), :mod:`.lun`, :mod:`.acl`
(ACLs and mapped LUNs), :mod:`.portal`; :mod:`.base` holds what they share,
:mod:`.refs` the references to an object (backstore, ALUA group, target, TPG,
ACL) that a change addresses, :mod:`.setting` the one change of a setting
file (attribute or parameter) of any of them, :mod:`.chap` the credentials,
:mod:`.script` the composed and shown forms.
This package re-exports every name, so ``from sanctl.lio import changes as C``
reaches them all.

A form builds one of these; the review list shows its :meth:`~Change.describe`
line and its :meth:`~Change.targetcli` equivalent; a writer
(:mod:`sanctl.lio.writer`) applies a sequence of them as one transaction.
Every value is checked with :mod:`sanctl.names` when the change is built: an
invalid name, size, address or secret raises :class:`~sanctl.names.InvalidValue`
with the reason, so nothing invalid can reach a writer and no name can
address a path outside configfs (:attr:`Change.cfs_path` is always one path under
``/sys/kernel/config/target``).

Identities are plain fields: a target is ``(fabric, target)``, a TPG adds its
tag ``tpg``, a LUN its ``index``, an ACL its ``initiator`` and a mapped LUN
its ``index`` within the ACL. A storage object is ``(plugin, name)`` —
rtslib-fb's plugin names ``block``, ``fileio``, ``ramdisk``, ``pscsi``,
``user``. A change's :attr:`~Change.ref` is its object as one of
:mod:`.refs`; a setting change holds one (``SetSetting.owner``).

Deletes take what depends on them (see :mod:`sanctl.lio.impact`): a
confirmed delete carries the dependents the operator saw (``expect``), and a
writer refuses it if configfs has changed meanwhile. A setting change may
carry the value the form showed (``expect``) for the same reason.

No Textual here, and nothing touches the system.
"""

from __future__ import annotations

from sanctl.lio.changes.base import (  # noqa: F401
    ACL_FABRICS,
    Change,
    DEFAULT_PORTAL,
    EVERYTHING,
    MAX_LUN,
    MAX_TAG,
    NEXUS_FABRICS,
    PLUGINS,
    PLUGIN_PREFIX,
    SHARED_BLOCK_KERNEL,
    Scope,
    TPGTS_FABRICS,
    _ACL_TAG,
    _FREE_WWN,
    _HANDLER,
    _NAA,
    _RESERVED_ALIASES,
    _SETTING_NAME,
    _alias,
    _bools,
    _fabric,
    _index,
    _int_value,
    _name,
    _plugin,
    _secret,
    _setting_name,
    _setting_value,
    _size,
    _tag,
    _target_label,
    _text,
    _tpg_label,
    _unit_serial,
    _yes,
    check_dev_path,
    check_wwn,
    format_size,
)
from sanctl.lio.changes.chap import (  # noqa: F401
    Chap,
    NO_CHAP,
    _check_expect_chap,
    _reveal,
    chap_difference,
    chap_of,
)
from sanctl.lio.changes.storage import (  # noqa: F401
    CREATE_BY_PLUGIN,
    CreateBlock,
    CreateFileio,
    CreatePscsi,
    CreateRamdisk,
    CreateUser,
    DeleteStorageObject,
    _CreateStorageObject,
)
from sanctl.lio.changes.alua import (  # noqa: F401
    ALUA_PARAMS,
    ALUA_PARAM_RANGE,
    ALUA_STATES,
    ALUA_STATUSES,
    ALUA_TYPES,
    CreateAluaGroup,
    DEFAULT_ALUA_GROUP,
    DeleteAluaGroup,
    _ALUA_NAME,
    _AluaGroupChange,
    alua_number,
    check_alua_group_name,
)
from sanctl.lio.changes.fabric import (  # noqa: F401
    CreateTarget,
    CreateTpg,
    DeleteTarget,
    DeleteTpg,
    SetDiscoveryAuth,
    SetTpgAuth,
    SetTpgEnabled,
    _BOOL_KEYS,
    _InTpg,
    _LIST_KEYS,
    _RANGE_KEYS,
    check_parameter,
    generate_wwn,
)
from sanctl.lio.changes.lun import (  # noqa: F401
    CreateLun,
    DeleteLun,
    SetLunAluaGroup,
)
from sanctl.lio.changes.acl import (  # noqa: F401
    CreateAcl,
    CreateMappedLun,
    DeleteAcl,
    DeleteMappedLun,
    SetAclAuth,
    SetAclCmdsnDepth,
    SetAclTag,
    SetMappedLunWriteProtect,
    _InAcl,
    _check_acl_tag,
)
from sanctl.lio.changes.portal import (  # noqa: F401
    CreatePortal,
    DeletePortal,
    SetPortalFlag,
    _PortalChange,
)
from sanctl.lio.changes.refs import (  # noqa: F401
    AclRef,
    AluaGroupRef,
    BackstoreRef,
    LunRef,
    MappedLunRef,
    PortalRef,
    TargetRef,
    TpgRef,
)
from sanctl.lio.changes.setting import (  # noqa: F401
    SETTING_OWNERS,
    SetSetting,
    acl_attribute,
    alua_group_parameter,
    backstore_attribute,
    tpg_attribute,
    tpg_parameter,
)
from sanctl.lio.changes.script import (  # noqa: F401
    confirmed,
    fields_of,
    loopback_target,
    subjects,
    targetcli_iscsi_target,
    targetcli_script,
)


def all_change_types() -> list[type[Change]]:
    """Every concrete change class (for tests and the help screen)."""
    module = globals()
    return sorted(
        (obj for name, obj in module.items()
         if isinstance(obj, type) and issubclass(obj, Change) and obj is not Change and not name.startswith("_")),
        key=lambda c: c.__name__,
    )
