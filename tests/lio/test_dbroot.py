"""The real writer keeps the kernel's dbroot and makes the folders the kernel writes to."""

from __future__ import annotations

import os

from hypothesis import given
from hypothesis import strategies as st

from sanctl.lio.rtslib_writer import chosen_dbroot, configuration_loaded, ensure_dbroot_dirs, kernel_dbroot


def _kernel(root, dbroot: str | None, *, backstore: bool = False, fabric: bool = False) -> None:
    cfs = root / "sys/kernel/config/target"
    (cfs / "core").mkdir(parents=True)
    if dbroot is not None:
        (cfs / "dbroot").write_text(dbroot + "\n")
    if backstore:
        (cfs / "core/fileio_0/disk1").mkdir(parents=True)
    if fabric:
        (cfs / "iscsi").mkdir()


def _debian(root) -> None:
    (root / "etc").mkdir(exist_ok=True)
    (root / "etc/os-release").write_text('ID=debian\nVERSION_ID="12"\n')


def test_stock_debian_keeps_the_dbroot_targetctl_set(tmp_path):
    """Debian's targetcli set /etc/rtslib-fb-target; PyPI's rtslib-fb would try /etc/target and fail."""
    _debian(tmp_path)
    _kernel(tmp_path, "/etc/rtslib-fb-target", backstore=True, fabric=True)
    assert kernel_dbroot(str(tmp_path)) == "/etc/rtslib-fb-target"
    assert configuration_loaded(str(tmp_path))
    assert chosen_dbroot(str(tmp_path)) == "/etc/rtslib-fb-target"
    assert not (tmp_path / "etc/target").exists()


def test_a_loaded_configuration_keeps_even_the_kernels_default(tmp_path):
    _debian(tmp_path)
    _kernel(tmp_path, "/var/target", fabric=True)
    assert chosen_dbroot(str(tmp_path)) == "/var/target"


def test_an_empty_kernel_gets_the_distributions_folder(tmp_path):
    _debian(tmp_path)
    _kernel(tmp_path, "/var/target")
    assert not configuration_loaded(str(tmp_path))
    assert chosen_dbroot(str(tmp_path)) == "/etc/rtslib-fb-target"
    (tmp_path / "etc/os-release").write_text("ID=fedora\n")
    assert chosen_dbroot(str(tmp_path)) == "/etc/target"


def test_no_target_module_gets_the_distributions_folder(tmp_path):
    _debian(tmp_path)
    assert kernel_dbroot(str(tmp_path)) is None
    assert chosen_dbroot(str(tmp_path)) == "/etc/rtslib-fb-target"


def test_pr_and_alua_are_created_when_missing(tmp_path):
    (tmp_path / "etc/rtslib-fb-target/alua").mkdir(parents=True)
    made = ensure_dbroot_dirs("/etc/rtslib-fb-target", str(tmp_path))
    assert made == [str(tmp_path / "etc/rtslib-fb-target/pr")]
    assert (tmp_path / "etc/rtslib-fb-target/pr").is_dir()
    assert ensure_dbroot_dirs("/etc/rtslib-fb-target", str(tmp_path)) == []


@given(st.text(max_size=300))
def test_any_dbroot_file_content_reads_without_error(tmp_path_factory, text):
    root = tmp_path_factory.mktemp("k")
    path = root / "sys/kernel/config/target"
    path.mkdir(parents=True)
    (path / "dbroot").write_bytes(text.encode("utf-8", "surrogatepass"))
    value = kernel_dbroot(str(root))
    assert value is None or value == value.strip()
    os.listdir(root)
