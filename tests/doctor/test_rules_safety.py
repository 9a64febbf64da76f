"""Doctor findings of issue 12: an empty kernel over a full saved file says restore; an unfinished change is reported."""

from __future__ import annotations

import json

from sanctl.doctor import rules as R
from sanctl.doctor.findings import ERROR
from sanctl.lio import changes as C
from sanctl.lio import savefile

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


def test_sanctl_doctor_reports_an_interrupted_change(demo, capsys):
    """A transaction killed after its second step: the doctor says so, with finish/undo as the fix."""
    import os
    import signal
    import subprocess
    import sys
    import textwrap

    from sanctl.cli import main
    from sanctl.sim.demo import WEB_IQN

    child = textwrap.dedent("""
        import os, signal, sys
        from sanctl.sim.writer import SimWriter
        from sanctl.lio import changes as C

        class Killed(SimWriter):
            def execute(self, change):
                self.n = getattr(self, "n", 0) + 1
                if self.n == 3:
                    os.kill(os.getpid(), signal.SIGKILL)
                return super().execute(change)

        Killed(sys.argv[1]).apply([C.DeleteTarget(sys.argv[2])])
    """)
    done = subprocess.run([sys.executable, "-c", child, str(demo), WEB_IQN], capture_output=True, timeout=120)
    assert done.returncode == -signal.SIGKILL
    assert os.path.exists(demo / "var/lib/sanctl/journal.json")
    code = main(["--demo", "--root", str(demo), "doctor", "--json", "--observe", "0"])
    out = json.loads(capsys.readouterr().out)
    found = [f for f in out["findings"] if f["rule"] == "unfinished_change"]
    assert code != 0 and len(found) == 1
    assert found[0]["severity"] == "error" and "interrupted" in found[0]["title"]
    assert "finish" in found[0]["fix"] and "undo" in found[0]["fix"]
