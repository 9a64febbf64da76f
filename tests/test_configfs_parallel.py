"""read_config(threads=N) reads the same model as one thread, in the same order (issue 19).

The parallel read hands targets and backstore HBAs to a thread pool and joins what they read in
the listing's order; on the real kernel's captured trees, the demo SAN and a scale tree, at every
detail level the CLI and the TUI use, it must give exactly the serial read's SanConfig, problems
included.
"""

from __future__ import annotations

import os
import threading

import pytest

from sanctl.lio import configfs
from sanctl.lio.configfs import read_config

#: The detail levels: the TUI's first read, what ``show`` reads, what ``export`` reads.
LEVELS = {
    "tui": {"mapped_luns": False, "tpg_attributes": False},
    "show": {},
    "export": {"details": True},
}

CFS = "sys/kernel/config/target"


@pytest.fixture(scope="module")
def scale_tree(tmp_path_factory):
    """200 LUNs over 10 targets, 40 backstores of every plugin the builder makes, 2 ACLs per target."""
    from sanctl.sim.scale import build_scale

    root = tmp_path_factory.mktemp("scale")
    build_scale(root, luns=200, storage_objects=40, acls=20, targets=10)
    return root


def _targets(config):
    return [target for fabric in config.fabrics for target in fabric.targets]


@pytest.mark.parametrize("level", list(LEVELS))
@pytest.mark.parametrize("tree", ["rac_idle_shared", "rac_live_shared", "kernel_capture", "demo", "scale_tree"])
def test_the_parallel_read_is_the_serial_read(tree, level, request):
    root = str(request.getfixturevalue(tree))
    serial = read_config(root, **LEVELS[level])
    assert serial.storage_objects and _targets(serial)  # something to read side by side
    for threads in (2, 3):
        parallel = read_config(root, threads=threads, **LEVELS[level])
        assert parallel == serial, (tree, level, threads)
        assert parallel.problems == serial.problems


def test_the_parallel_read_keeps_a_scope(scale_tree):
    everything = read_config(str(scale_tree))
    wanted_targets = {(t.fabric, t.wwn) for t in _targets(everything)[2:5]}
    wanted_objects = {so.key for so in everything.storage_objects[::3]}
    serial = read_config(str(scale_tree), targets=wanted_targets, storage_objects=wanted_objects)
    parallel = read_config(str(scale_tree), targets=wanted_targets, storage_objects=wanted_objects, threads=2)
    assert parallel == serial
    assert {(t.fabric, t.wwn) for t in _targets(parallel)} == wanted_targets
    assert {so.key for so in parallel.storage_objects} == wanted_objects


def test_the_parallel_read_notes_problems_in_the_serial_order(scale_tree, tmp_path):
    """Files that are not files (a FIFO: refused and noted) in many backstores and targets: each thread's
    notes are joined in the listing's order, so the problems are the serial read's, in its order."""
    import shutil

    root = tmp_path / "broken"
    shutil.copytree(scale_tree, root, symlinks=True)
    cfs = root / CFS
    planted = 0
    for hba in sorted((cfs / "core").iterdir()):
        for so in (p for p in hba.iterdir() if p.is_dir()):
            serial_file = so / "wwn" / "vpd_unit_serial"
            if serial_file.exists() and planted % 2 == 0:
                serial_file.unlink()
                os.mkfifo(serial_file)
            planted += 1
    for target in sorted((cfs / "iscsi").glob("iqn.*")):
        enable = target / "tpgt_1" / "enable"
        enable.unlink()
        os.mkfifo(enable)
    for level, options in LEVELS.items():
        serial = read_config(str(root), **options)
        assert len(serial.problems) >= 10 + 20, (level, serial.problems)
        parallel = read_config(str(root), threads=2, **options)
        assert parallel.problems == serial.problems, level
        assert parallel == serial, level


def test_the_subtrees_are_read_on_the_pool_not_here(scale_tree, monkeypatch):
    """The parallel mode really hands the targets and backstores to other threads (else the tests above
    would compare the serial read with itself)."""
    readers: dict[str, set[int]] = {"target": set(), "storage object": set()}
    real_target, real_storage_object = configfs._target, configfs._storage_object

    def target(*args, **kwargs):
        readers["target"].add(threading.get_ident())
        return real_target(*args, **kwargs)

    def storage_object(*args, **kwargs):
        readers["storage object"].add(threading.get_ident())
        return real_storage_object(*args, **kwargs)

    monkeypatch.setattr(configfs, "_target", target)
    monkeypatch.setattr(configfs, "_storage_object", storage_object)
    read_config(str(scale_tree), threads=2)
    here = threading.get_ident()
    for what, idents in readers.items():
        assert idents and here not in idents, what
    readers["target"].clear()
    read_config(str(scale_tree))
    assert readers["target"] == {here}


def test_a_failure_on_a_thread_is_raised_as_in_one_thread(scale_tree, monkeypatch):
    """An unexpected error in a thread's subtree reaches the caller, as it would from the serial read."""
    real_target = configfs._target

    def failing(cfs, fabric, entry, *args, **kwargs):
        if entry.name.endswith("t0007"):
            raise RuntimeError("boom in t0007")
        return real_target(cfs, fabric, entry, *args, **kwargs)

    monkeypatch.setattr(configfs, "_target", failing)
    with pytest.raises(RuntimeError, match="boom in t0007"):
        read_config(str(scale_tree), threads=2)
