"""A synthetic configuration with one TPG of many LUNs, built in memory."""

from __future__ import annotations

from sanctl.model import Fabric, Lun, MappedLun, NodeAcl, Portal, SanConfig, StorageObject, Target, Tpg

BIG_IQN = "iqn.2024-01.com.example:big"


def big_config(luns: int = 10_000, acls: int = 16) -> SanConfig:
    sos = tuple(
        StorageObject("block", f"disk{i:05d}", "iblock_0", f"core/iblock_0/disk{i:05d}", dev=f"/dev/vg/disk{i:05d}",
                      size=10 << 30, status="activated", write_back=False)
        for i in range(luns)
    )
    tpg_path = f"iscsi/{BIG_IQN}/tpgt_1"
    lun_list = tuple(Lun(i, None, ("block", f"disk{i:05d}"), f"{tpg_path}/lun/lun_{i}") for i in range(luns))
    acl_list = tuple(
        NodeAcl(f"iqn.1994-05.com.redhat:host{j:03d}", f"{tpg_path}/acls/iqn.1994-05.com.redhat:host{j:03d}",
                mapped_luns=tuple(MappedLun(i, i, False, None, f"{tpg_path}/acls/h{j}/lun_{i}") for i in range(0, luns, 100)))
        for j in range(acls)
    )
    tpg = Tpg(1, tpg_path, True, luns=lun_list, acls=acl_list, portals=(Portal("0.0.0.0", 3260, f"{tpg_path}/np/0.0.0.0:3260"),))
    target = Target("iscsi", BIG_IQN, f"iscsi/{BIG_IQN}", tpgs=(tpg,))
    return SanConfig("/nonexistent", storage_objects=sos, fabrics=(Fabric("iscsi", "iscsi", targets=(target,)),))
