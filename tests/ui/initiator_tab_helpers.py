"""The initiator tab under test: a fake ``iscsiadm`` first on PATH, replaying real captured outputs.

The fake is ``tests/initiator/fake_iscsiadm.py`` (rules matched against argv,
answers taken from ``tests/fixtures/initiator/iscsiadm-cases.json``, written
by a real open-iscsi 2.1.8 on a real kernel); only the list of every node
record (``-m node -o show`` without a target), which the capture does not
have, is put together from two captured single-record shows. Disks, multipath,
systemd and the name generator are replaced in the backend, so nothing
depends on this machine.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from sanctl.initiator.iscsiadm import Iscsiadm, Timeouts
from sanctl.initiator.overview import DiskFacts, InitiatorBackend
from sanctl.initiator.services import ServiceResult, UnitState

from .helpers import settle

HERE = Path(__file__).resolve().parent
FAKE = HERE.parent / "initiator" / "fake_iscsiadm.py"
CASES_FILE = HERE.parent / "fixtures" / "initiator" / "iscsiadm-cases.json"
MULTIPATH_FAILED = HERE.parent / "fixtures" / "initiator" / "multipath-ll-path-failed.txt"

BASIC = "iqn.2024-01.test.sanctl:basic"
NO_ACL = "iqn.2024-01.test.sanctl:no-acl"
NAME = "iqn.2024-01.test.sanctl:vm-initiator"  # the captured VM's initiator name
NEW_NAME = "iqn.2024-01.test.sanctl:0123456789ab"
NOTICE = "test: a fake iscsiadm replays output captured from open-iscsi 2.1.8 on a real kernel"
MiB = 1 << 20


def cases() -> dict[str, dict]:
    return {case["name"]: case for case in json.loads(CASES_FILE.read_text())["cases"]}


def all_records(basic: str = "node_show_chap") -> str:
    """``-m node -o show`` with both targets: the captured record of ``basic``, and that record
    renamed to the no-acl target on port 3262 (its portal in discovery)."""
    shown = cases()[basic]["stdout"]
    no_acl = cases()["node_show"]["stdout"].replace(BASIC, NO_ACL).replace("node.conn[0].port = 3260",
                                                                          "node.conn[0].port = 3262")
    return shown + no_acl


def listing_rules(*, sessions: str = "session_P3", records: str | None = None) -> list[dict]:
    """What a refresh reads: discovery records, every node record, the sessions."""
    return [
        {"match": ["-m", "discoverydb", "--discover"], "case": "discoverydb_discover"},
        {"match": ["-m", "discoverydb", "-o", "delete"], "case": "discoverydb_delete"},
        {"match": ["-m", "discoverydb"], "case": "discoverydb_list"},
        {"match": ["-m", "node", "-o", "show"], "stdout": records if records is not None else all_records()},
        {"match": ["-m", "session", "-P", "3"], "case": sessions},
    ]


class FakeIscsiadm:
    """The shim on PATH and its controls."""

    def __init__(self, tmp_path: Path, monkeypatch) -> None:
        self.bin = tmp_path / "bin"
        self.bin.mkdir(parents=True, exist_ok=True)
        shim = self.bin / "iscsiadm"
        shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE}" "$@"\n')
        shim.chmod(0o755)
        self.log = tmp_path / "iscsiadm-calls.jsonl"
        self.scenario = tmp_path / "scenario.json"
        monkeypatch.setenv("PATH", f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}")
        monkeypatch.setenv("FAKE_ISCSIADM_SCENARIO", str(self.scenario))
        monkeypatch.setenv("FAKE_ISCSIADM_LOG", str(self.log))
        self.rules([])

    def rules(self, rules: list[dict]) -> FakeIscsiadm:
        self.scenario.write_text(json.dumps({"rules": rules}))
        return self

    def entries(self) -> list[dict]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]

    def calls(self) -> list[list[str]]:
        return [entry["argv"] for entry in self.entries()]

    def writes(self) -> list[list[str]]:
        """The calls that change something (login, logout, update, delete, discovery)."""
        verbs = {"--login", "--logout", "-u", "-l", "update", "delete", "new", "--discover"}
        return [argv for argv in self.calls() if verbs & set(argv)]


class Recorder:
    """Stands in for systemd: what was asked, and what it answers."""

    def __init__(self, boot: str = "enabled", unit: str = "iscsi.service") -> None:
        self.boot = UnitState(unit, boot)
        self.restarts = 0

    def boot_login(self) -> UnitState:
        return self.boot

    def restart(self) -> ServiceResult:
        self.restarts += 1
        return ServiceResult(True, "iscsid restarted.")


def host_root(tmp_path: Path, name: str | None = NAME) -> Path:
    """Where the tab reads ``etc/iscsi/initiatorname.iscsi``."""
    root = tmp_path / "host"
    (root / "etc" / "iscsi").mkdir(parents=True, exist_ok=True)
    if name is not None:
        (root / "etc" / "iscsi" / "initiatorname.iscsi").write_text(
            "## DO NOT EDIT OR REMOVE THIS FILE!\n" f"InitiatorName={name}\n")
    return root


def fake_disks(devices) -> dict[str, DiskFacts]:
    known = {
        "sda": DiskFacts("sda", 32 * MiB, ("/mnt/basic",)),
        "sdb": DiskFacts("sdb", 16 * MiB, (), ("dm-1",)),
        "sdc": DiskFacts("sdc", 32 * MiB, (), ("dm-0",)),
    }
    return {d: known.get(d, DiskFacts(d)) for d in devices}


def make_backend(root: Path, recorder: Recorder | None = None, *, timeout: float = 10.0,
                 multipath: str | None = None, **overrides) -> InitiatorBackend:
    from sanctl.initiator.multipath import parse_multipath_ll

    recorder = recorder or Recorder()
    options = dict(
        iscsiadm=Iscsiadm(timeouts=Timeouts(query=timeout, action=timeout, discovery=timeout)),
        root=str(root),
        disks=fake_disks,
        multipath=(lambda: parse_multipath_ll(Path(multipath).read_text())) if multipath else (lambda: None),
        boot_login=recorder.boot_login,
        restart_iscsid=recorder.restart,
        generate_name=lambda: NEW_NAME,
        notice=NOTICE,
    )
    options.update(overrides)
    return InitiatorBackend(**options)


def tab_app(make_app, backend: InitiatorBackend, **overrides):
    """The demo app with ``backend`` for the initiator tab and a live service that samples only when told."""
    from sanctl.ui import panels

    app = make_app(**overrides)
    app.initiator_backend = backend
    panels.configure(app, autostart=False)
    return app


def tab(app):
    from sanctl.ui.screens.initiator import InitiatorTargetsScreen

    for screen in reversed(app.screen_stack):
        if isinstance(screen, InitiatorTargetsScreen):
            return screen
    if app.is_screen_installed("panel-connect"):
        return app.get_screen("panel-connect")
    return None


async def open_tab(pilot) -> None:
    await pilot.press("5")
    await settle(pilot)


def text_of(widget, width: int = 200) -> str:
    """What a Static holds, as plain text (wrapped at ``width``)."""
    from rich.console import Console

    with open(os.devnull, "w") as sink:
        console = Console(width=width, record=True, color_system=None, file=sink)
        console.print(widget.content)
        return console.export_text()


def status(app) -> str:
    return text_of(tab(app).query_one("#init-status"))


def details(app) -> str:
    return text_of(tab(app).query_one("#init-detail-body"))


def tree_lines(app) -> list[str]:
    tree = tab(app).tree
    lines = []
    for line in range(tree.last_line + 1):
        node = tree.get_node_at_line(line)
        lines.append(node.label.plain if node is not None else "")
    return lines


def select(app, data) -> None:
    tree = tab(app).tree
    for line in range(tree.last_line + 1):
        node = tree.get_node_at_line(line)
        if node is not None and node.data == data:
            tree.move_cursor(node)
            return
    raise AssertionError(f"no tree node {data!r} in {tree_lines(app)}")
