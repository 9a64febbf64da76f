"""Issue 14, reproducer 1: a captured tree (``--root T``) cannot hold, flood or crash the reader."""

from __future__ import annotations

import os

import pytest

from .conftest import CONFIGFS, WEB, WEB_DATA, WEB_TPG, no_dac_prefix, run_cli


def _fifo(path) -> None:
    path.unlink()
    os.mkfifo(path)


def _zero(path) -> None:
    path.unlink()
    path.symlink_to("/dev/zero")


def _stray_tpgt(root) -> None:
    (root / CONFIGFS / "iscsi" / WEB / "tpgt").mkdir()


def _loop(root) -> None:
    acls = root / WEB_TPG / "acls"
    for child in sorted(acls.rglob("*"), reverse=True):
        child.unlink() if child.is_file() or child.is_symlink() else child.rmdir()
    acls.rmdir()
    acls.symlink_to("acls")  # a link to itself: ELOOP
    (root / WEB_TPG / "a").symlink_to("b")
    (root / WEB_TPG / "b").symlink_to("a")


CASES = {
    "fifo-info": lambda root: _fifo(root / WEB_DATA / "info"),
    "fifo-enable": lambda root: _fifo(root / WEB_TPG / "enable"),
    "fifo-attribute": lambda root: _fifo(root / WEB_TPG / "attrib" / "authentication"),
    "zero-info": lambda root: _zero(root / WEB_DATA / "info"),
    "zero-enable": lambda root: _zero(root / WEB_TPG / "enable"),
    "stray-tpgt": _stray_tpgt,
    "link-loop": _loop,
}


@pytest.mark.parametrize("command", ["show", "export"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_mangled_tree_is_shown_within_seconds_without_a_traceback(tree, case, command):
    CASES[case](tree)
    done = run_cli("--root", str(tree), command)
    assert done.returncode == 0, done.stderr
    assert done.clean, done.stderr
    assert WEB in done.stdout  # the rest of the configuration is still shown


def test_what_could_not_be_read_is_named(tree):
    _fifo(tree / WEB_DATA / "info")
    _loop(tree)
    done = run_cli("--root", str(tree), "show")
    assert "core/fileio_6/web-data/info: not a regular file (a FIFO)" in done.stderr
    assert f"iscsi/{WEB}/tpgt_1/acls: a link where none belongs" in done.stderr


@pytest.mark.parametrize("command", ["show", "export"])
def test_an_unreadable_directory_is_skipped_with_a_note(public_tree, command):
    prefix = no_dac_prefix()
    (public_tree / WEB_TPG / "acls").chmod(0)
    (public_tree / WEB_DATA).chmod(0)
    done = run_cli("--root", str(public_tree), command, prefix=prefix)
    assert done.returncode == 0, done.stderr
    assert done.clean, done.stderr
    assert "tpgt_1/acls: Permission denied" in done.stderr


def test_the_reader_models_a_fifo_as_unreadable_not_as_a_value(tree, no_hang):
    from sanctl.lio.configfs import read_config

    _fifo(tree / WEB_TPG / "attrib" / "authentication")
    _zero(tree / WEB_DATA / "info")
    config = read_config(str(tree), details=True)
    web = next(so for so in config.storage_objects if so.name == "web-data")
    assert web.info == {}
    assert any(p.path.endswith("web-data/info") for p in config.problems)
    tpg = next(t for f in config.fabrics for t in f.targets if t.wwn == WEB).tpgs[0]
    assert tpg.attributes.value("authentication") is None  # skipped: not a regular file


def test_safe_read_refuses_what_is_not_a_short_regular_file(tmp_path, no_hang):
    from sanctl import safe_io

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(safe_io.NotRegularFile):
        safe_io.read_bytes(str(fifo))
    link = tmp_path / "zero"
    link.symlink_to("/dev/zero")
    with pytest.raises(OSError):
        safe_io.read_bytes(str(link))
    with pytest.raises(safe_io.NotRegularFile):
        safe_io.read_bytes("/dev/zero", follow=True)
    big = tmp_path / "big"
    big.write_bytes(b"1" * (safe_io.PAGE + 1))
    with pytest.raises(safe_io.FileTooLarge):
        safe_io.read_bytes(str(big))
    assert safe_io.read_bytes(str(big), 2 * safe_io.PAGE) == b"1" * (safe_io.PAGE + 1)
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    assert safe_io.read_bytes(str(empty)) == b""
    notes: list[str] = []
    loop = tmp_path / "loop"
    loop.symlink_to("loop")
    assert safe_io.list_names(str(loop), notes) == [] and "link loop" in notes[0]
