"""The refusals a first setup needs, said with the reason."""

from __future__ import annotations

from sanctl.setup.answers import Answers, Client, StorageItem
from sanctl.setup.validate import DUPLICATE_NAME, RAMDISK_WARNING, check_access, check_portal, check_storage, \
    check_target


def _storage(*items) -> Answers:
    return Answers(storage=list(items))


def test_in_use_devices_are_refused_with_the_reason(demo_ctx):
    mounted = check_storage(demo_ctx, _storage(StorageItem("block", "x", dev="/dev/vdb1")))
    assert "mounted on /srv" in mounted.errors["storage.0.dev"]
    whole = check_storage(demo_ctx, _storage(StorageItem("block", "x", dev="/dev/vdb")))
    assert "partition /dev/vdb1 in use" in whole.errors["storage.0.dev"]
    exported = check_storage(demo_ctx, _storage(StorageItem("block", "x", dev="/dev/vg_san/ora-ocr-1")))
    assert "already exported by backstore block/ora-ocr-1" in exported.errors["storage.0.dev"]
    free = check_storage(demo_ctx, _storage(StorageItem("block", "x", dev="/dev/vg_san/spare-1")))
    assert free.ok, free
    missing = check_storage(demo_ctx, _storage(StorageItem("block", "x", dev="/dev/nope")))
    assert "There is no block device /dev/nope" in missing.errors["storage.0.dev"]


def test_names_and_files_are_checked_against_the_configuration_and_each_other(demo_ctx):
    check = check_storage(demo_ctx, _storage(
        StorageItem("fileio", "web-data", file="/srv/a.img", size="1G"),  # exists in the demo
        StorageItem("fileio", "b", file="/srv/iscsi/web-data.img", size="1G"),  # the web target's file
        StorageItem("fileio", "c/d", file="/srv/c.img", size="1G"),
        StorageItem("fileio", "e", file="/srv/e.img"),
        StorageItem("block", "f", dev="/dev/vg_san/spare-2"),
        StorageItem("block", "g", dev="/dev/vg_san/spare-2")))
    assert "exists already" in check.errors["storage.0.name"]
    assert "exported already, by backstore fileio/web-data" in check.errors["storage.1.file"]
    assert "'/'" in check.errors["storage.2.name"]
    assert "give its size" in check.errors["storage.3.size"]
    assert "Disk 5 exports /dev/vg_san/spare-2 already" in check.errors["storage.5.dev"]


def test_a_ramdisk_is_allowed_with_its_data_loss_warning(demo_ctx):
    check = check_storage(demo_ctx, _storage(StorageItem("ramdisk", "mem", size="1G")))
    assert check.ok and RAMDISK_WARNING in check.warnings
    assert "needs a size" in check_storage(demo_ctx, _storage(StorageItem("ramdisk", "mem"))).errors["storage.0.size"]


def test_bad_and_existing_iqns(demo_ctx):
    assert "Use lower case" in check_target(demo_ctx, Answers(target="iqn.2024-01.COM.x:y")).errors["target"]
    assert "Not an IQN" in check_target(demo_ctx, Answers(target="iqn.2024-01.x y")).errors["target"]
    assert "exists already" in check_target(demo_ctx, Answers(target="iqn.2024-01.com.example:web")).errors["target"]
    assert check_target(demo_ctx, Answers(target="iqn.2024-05.org.linux-iscsi.san01:disk1")).ok


def test_duplicate_initiator_names_are_the_1020_case(demo_ctx):
    name = "iqn.2024-01.storage.oracle:client"
    check = check_access(demo_ctx, Answers(clients=[Client("rac1", name), Client("rac2", name.upper().lower())]))
    assert "Client 1 has this initiator name already" in check.errors["clients.1.initiator"]
    assert DUPLICATE_NAME in check.problems and "1020" in DUPLICATE_NAME
    assert "required" in check_access(demo_ctx, Answers(clients=[Client("x", "")])).errors["clients.0.initiator"]
    assert check_access(demo_ctx, Answers(demo_mode=True, clients=[Client()])).ok


def test_mutual_secret_must_differ(demo_ctx):
    clients = [Client("a", "iqn.2024-01.com.example:a", "a", "same-secret-16ch")]
    check = check_access(demo_ctx, Answers(clients=clients, chap=True, mutual=True, mutual_user="t",
                                           mutual_secret="same-secret-16ch"))
    assert "must differ" in check.errors["mutual_secret"]


def test_portal_address_must_be_this_hosts_and_free(demo_ctx):
    assert "not an address of this host" in check_portal(demo_ctx, Answers(address="10.9.8.7")).errors["address"]
    assert check_portal(demo_ctx, Answers(address="0.0.0.0")).ok  # shared with the RAC and web targets
    clash = check_portal(demo_ctx, Answers(address="127.0.0.1"))  # 0.0.0.0:3260 is bound already
    assert "address in use" in clash.errors["address"]
    assert "out of range" in check_portal(demo_ctx, Answers(port="70000")).errors["port"]
    assert "RDMA" in check_portal(demo_ctx, Answers(iser=True)).errors["iser"]
