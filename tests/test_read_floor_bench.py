"""bench/read_floor.py's parallel floor does the serial floor's operations, split by subtree (issue 19).

The figures are only worth comparing if the parallel floor does exactly what the serial one does:
every recorded operation once, each target's and each backstore HBA's in one unit (what a thread of
a parallel reader would get), and as many of them succeed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
CFS = "sys/kernel/config/target"


@pytest.fixture(scope="module")
def read_floor():
    sys.path.insert(0, str(BENCH))
    try:
        import read_floor
    finally:
        sys.path.remove(str(BENCH))
    return read_floor


@pytest.fixture(scope="module")
def scale_tree(tmp_path_factory):
    """200 LUNs over 10 targets, 40 backstores (block ones with their sysfs size), 2 ACLs per target."""
    from sanctl.sim.scale import build_scale

    root = tmp_path_factory.mktemp("scale")
    build_scale(root, luns=200, storage_objects=40, acls=20, targets=10)
    return root


@pytest.mark.parametrize("level", ["tui", "show", "export"])
def test_the_units_split_the_operations_by_target_and_backstore(read_floor, scale_tree, level):
    root = str(scale_tree)
    count, ops = read_floor.record(root, read_floor.LEVELS[level])
    assert count >= len(ops) > 500
    head, units = read_floor.units(ops, root)
    assert sorted(head + [op for unit in units for op in unit]) == sorted(ops)  # each operation once
    cfs = os.path.realpath(scale_tree / CFS) + "/"
    keys = []
    for unit in units:
        inside = {tuple(path[len(cfs):].split("/")[:2]) for _kind, path in unit if path.startswith(cfs)}
        assert len(inside) == 1, inside  # one subtree per unit
        keys.append(inside.pop())
        outside = [path for _kind, path in unit if not path.startswith(cfs)]
        assert not outside or keys[-1][0] == "core", outside  # a block device's size: its backstore's
    targets = [key for key in keys if key[0] == "iscsi"]
    hbas = [key for key in keys if key[0] == "core"]
    assert len(targets) == 10 and len(hbas) == len(set(hbas)) == len(os.listdir(scale_tree / CFS / "core")) - 1
    assert len(units) == len(targets) + len(hbas)
    for _kind, path in head:  # the top listings, a fabric's own files, core/alua: in no target or HBA
        assert path.startswith(cfs), path
        parts = path[len(cfs):].split("/")
        assert len(parts) < 2 or parts[1] in read_floor.NOT_TARGETS or (
            parts[0] == "core" and "_" not in parts[1]), path
    if level != "tui":
        assert any(not path.startswith(cfs) for unit in units for _kind, path in unit)  # sysfs sizes were placed


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_the_parallel_floor_does_what_the_serial_floor_does(read_floor, scale_tree, threads):
    root = str(scale_tree)
    _count, ops = read_floor.record(root, read_floor.LEVELS["export"])
    head, units = read_floor.units(ops, root)
    done = read_floor.floor(ops)
    assert done > 0.9 * len(ops)
    assert read_floor.parallel_floor(head, units, threads) == done


def test_chunks_keep_the_order_and_every_item(read_floor):
    for length in range(0, 30):
        for count in range(1, 12):
            runs = read_floor.chunks(list(range(length)), count)
            assert [item for run in runs for item in run] == list(range(length))
            assert len(runs) <= count and all(runs)


def test_parallel_figures_report_equal_outcomes(read_floor, scale_tree):
    figures = read_floor.parallel_figures(str(scale_tree), threads=2, runs=1)
    for level, figure in figures["levels"].items():
        assert figure["done_serial"] == figure["done_parallel"] and len(figure["done_serial"]) == 1, level
        assert figure["units"] == 10 + 40, level
        assert figure["floor_serial"] > 0 and figure["floor_parallel"] > 0
