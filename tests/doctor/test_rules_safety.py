"""Doctor findings of issue 12: an empty kernel over a full saved file says restore; an unfinished change is reported."""

from __future__ import annotations

from sanctl.doctor import rules as R
from sanctl.doctor.findings import ERROR
from sanctl.target import changes as C
from sanctl.target import savefile

from .conftest import apply, config_of, facts


def _empty(writer, root) -> None:
    config = config_of(root)
    apply(writer, *[C.DeleteTarget(t.wwn, t.fabric) for t in config.targets])
    config = config_of(root)
    apply(writer, *[C.DeleteStorageObject(so.plugin, so.name) for so in config.storage_objects])


def test_an_empty_kernel_with_a_full_saved_file_says_restore_not_save(demo, writer):
    savefile.save(writer)
    _empty(writer, demo)
    config = config_of(demo)
    assert config.empty
    [finding] = R.unsaved_configuration(config, None, facts(config, save_status=savefile.status(str(demo))))
    assert finding.severity == ERROR
    assert "restore it" in finding.title and "Save it" not in finding.fix
    assert finding.fix.startswith("Restore it: sanctl restore ")
    assert "Do not save" in finding.fix
    assert any(line.startswith("- target ") for line in finding.details)
