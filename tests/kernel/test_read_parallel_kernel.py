"""Does reading configfs on two threads pay on the real kernel? (issue 19)

Builds 10 targets x 20 LUNs (40 ramdisk and fileio backstores, each behind 5
LUNs of different targets) with 2 ACLs per target mapping all 20, through
rtslib-fb, then runs ``bench/read_floor.py``'s parallel figures against ``/``:
the recorded file operations of each detail level done bare on one thread and
split by target and backstore subtree over two. The figures (wall seconds,
medians) are printed to the tier's output (tests/kernel/.cache/last-run/
output.txt); only correctness is asserted: the same operations succeed either
way, and the split covers every target and backstore. Timing under TCG is
compared within this run only. (A parallel ``read_config`` was measured here
too and removed: README, Performance.)
"""

from __future__ import annotations

import json
import sys
import time

import pytest

from ktools import REPO

pytestmark = pytest.mark.kernel

TARGETS = 10
LUNS_PER_TARGET = 20
BACKSTORES = 40
ACLS_PER_TARGET = 2
THREADS = 2
RUNS = 7
PREFIX = "iqn.2024-01.test.sanctl.par"
KiB = 1 << 10


def _build(lab) -> dict:
    """The tree, through rtslib-fb; what was made, counted."""
    from rtslib import LUN, TPG, FabricModule, FileIOStorageObject, MappedLUN, NodeACL, RDMCPStorageObject, Target

    lab.rtsroot()  # mounts configfs / loads target_core_mod if needed
    objects = []
    for i in range(BACKSTORES):
        if i % 2:
            image = lab.sparse(f"par-{i:02d}.img", 1 << 20)
            objects.append(FileIOStorageObject(f"par-file-{i:02d}", str(image), 1 << 20))
        else:
            objects.append(RDMCPStorageObject(f"par-ram-{i:02d}", 64 * KiB))
    iscsi = FabricModule("iscsi")
    mapped = 0
    for t in range(TARGETS):
        tpg = TPG(Target(iscsi, f"{PREFIX}:t{t:02d}"), 1)
        luns = [LUN(tpg, n, objects[(t * LUNS_PER_TARGET + n) % BACKSTORES]) for n in range(LUNS_PER_TARGET)]
        for a in range(ACLS_PER_TARGET):
            acl = NodeACL(tpg, f"{PREFIX}:h{t:02d}{a}")
            for lun in luns:
                MappedLUN(acl, lun.lun, lun)
                mapped += 1
    return {"targets": TARGETS, "luns": TARGETS * LUNS_PER_TARGET, "backstores": BACKSTORES,
            "acls": TARGETS * ACLS_PER_TARGET, "mapped_luns": mapped}


@pytest.fixture
def parallel_tree(lab):
    start = time.monotonic()
    made = _build(lab)
    made["build_seconds"] = round(time.monotonic() - start, 1)
    return made


def _read_floor():
    sys.path.insert(0, str(REPO / "bench"))
    try:
        import read_floor
    finally:
        sys.path.remove(str(REPO / "bench"))
    return read_floor


def test_parallel_read_on_the_real_kernel(parallel_tree, capsys):
    import os

    from sanctl.lio.configfs import read_config

    read_floor = _read_floor()
    figures = read_floor.parallel_figures("/", threads=THREADS, runs=RUNS)
    figures["tree"] = parallel_tree
    figures["vcpus"] = os.cpu_count()
    with capsys.disabled():
        print(f"\nparallel read on the real kernel: {json.dumps(parallel_tree)}, {os.cpu_count()} vCPU")
        read_floor.print_parallel(figures)
        print(json.dumps(figures, sort_keys=True), flush=True)

    for level, figure in figures["levels"].items():
        # every run did the same operations with the same outcome, one thread or two
        assert len(figure["done_serial"]) == 1 and figure["done_serial"] == figure["done_parallel"], (level, figure)
        assert figure["done_serial"][0] > 0.9 * figure["distinct"], (level, figure)
        assert figure["units"] == TARGETS + BACKSTORES, (level, figure)
    assert figures["levels"]["show"]["distinct"] > TARGETS * LUNS_PER_TARGET * ACLS_PER_TARGET  # the mapped LUNs
    config = read_config("/")  # the tree measured is the tree built
    assert not config.problems, config.problems
    assert sum(len(fabric.targets) for fabric in config.fabrics) == TARGETS
    assert len(config.storage_objects) == BACKSTORES
