#!/usr/bin/env python3
"""Render screens of the demo SAN into ``screenshots/*.svg``.

For each bundled theme (sanctl-dark, sanctl-light) and each size (120x40,
80x24), every screen in :data:`SCREENS`:

- ``config``: build the demo SAN in a temporary directory, open the RAC
  target down to its LUNs, put the cursor on lun0 so the detail pane shows it;
- the doctor panel, the live panels, the initiator tab, help, forms, a
  delete confirmation and the diff view (:data:`OTHER_SCREENS`; sanctl-dark
  only but for the doctor): the demo SAN made live at a fixed moment
  (2026-01-01 12:00 UTC), sampled with fake clocks;
- ``setup-<step>`` (sanctl-dark only): each step of the setup wizard on a
  fresh demo SAN, answered as a newcomer would (a 10 GiB file, this host as
  the client), the IQN's date fixed to 2026-01.

Nothing on the screen depends on the time of the run (no clock, times in UTC
from the fixed moment, animations off, the demo is seeded, the host name is
fixed), so running it twice gives the same files.

Usage: ``python scripts/screenshots.py [--out screenshots]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

THEMES = ("sanctl-dark", "sanctl-light")
SIZES = ((120, 40), (80, 24))
HOST = "san01"
CURSOR = "/iscsi/iqn.2024-01.storage.oracle:rac/tpg1/luns/lun0"
#: The live demo's "now" for the doctor panel: 2026-01-01 12:00:00 UTC.
LIVE_T0 = 1767268800.0


async def _settle(pilot) -> None:
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def render(root: str, theme: str, size: tuple[int, int], out: Path) -> Path:
    from sanctl.ui.app import SanctlApp

    # live_checks=False: the doctor's badge from the configuration alone, not from however far the live
    # demo's clock had moved when the picture was taken
    app = SanctlApp(root=root, mode="demo", readonly=False, readonly_reason=None, theme=theme, host=HOST,
                    theme_dirs=[REPO / "themes"], live_checks=False)
    path = out / f"config-{theme}-{size[0]}x{size[1]}.svg"
    async with app.run_test(size=size) as pilot:
        await _settle(pilot)
        if not app.screen.tree.select_path(CURSOR):
            raise SystemExit(f"the demo SAN has no {CURSOR}")
        await _settle(pilot)
        path.write_text(app.export_screenshot(title=f"sanctl — {theme} {size[0]}×{size[1]}"), encoding="utf-8")
    return path


#: The other screens (sanctl-dark only; the doctor in both themes), on the live demo at the fixed moment:
#: name -> (path the cursor goes to first or None, keys pressed, then waited on).
OTHER_SCREENS = {
    "doctor": (None, ("6",)),
    "sessions": (None, ("2",)),
    "errors": (None, ("3",)),
    "initiator": (None, ("4",)),
    "connect": (None, ("5",)),
    "help": (None, ("question_mark",)),
    "form-add-lun": ("/iscsi/iqn.2024-01.storage.oracle:rac/tpg1/luns", ("a",)),
    "form-edit-acl": ("/iscsi/iqn.2024-01.storage.oracle:rac/tpg1/acls/iqn.2024-01.storage.oracle:client", ("e",)),
    "confirm-delete-backstore": ("/backstores/block/ora-arch", ("d",)),
    "diff": (None, ("D",)),
}


async def render_other(tmp: str, name: str, theme: str, size: tuple[int, int], out: Path) -> Path:
    """One of :data:`OTHER_SCREENS` on the live demo SAN, its clocks fake and fixed."""
    from sanctl.sim.demo import build_demo
    from sanctl.sim.live import start_live_demo
    from sanctl.ui import panels
    from sanctl.ui.app import SanctlApp

    cursor, keys = OTHER_SCREENS[name]
    root = os.path.join(tmp, f"{name}-{theme}-{size[0]}x{size[1]}")
    build_demo(root)
    start_live_demo(root, now=LIVE_T0)
    clock = {"mono": 1000.0, "wall": LIVE_T0}
    app = SanctlApp(root=root, mode="demo", readonly=False, readonly_reason=None, theme=theme, host=HOST,
                    theme_dirs=[REPO / "themes"])
    live = panels.configure(app, clock=lambda: clock["mono"], wall_clock=lambda: clock["wall"], autostart=False)
    path = out / f"{name}-{theme}-{size[0]}x{size[1]}.svg"
    async with app.run_test(size=size) as pilot:
        await _settle(pilot)
        if cursor is not None:
            if not app.screen.tree.select_path(cursor):
                raise SystemExit(f"the demo SAN has no {cursor}")
            await _settle(pilot)
        for key in keys:
            await pilot.press(key)
            await _settle(pilot)
        for n in range(4):  # rates need two samples; the doctor tells the flapping client at the fourth
            if n:
                clock["mono"] += 1.0
                clock["wall"] += 1.0
            live.request()
            await _settle(pilot)
        await pilot.pause(0.6)  # the demo iscsiadm's answers (0.4 s) on the connect tab
        await _settle(pilot)
        path.write_text(app.export_screenshot(title=f"sanctl {name} — {theme} {size[0]}×{size[1]}"), encoding="utf-8")
    return path


#: The setup wizard's steps rendered (``setup-<step>-<theme>-<size>.svg``).
SETUP_STEPS = ("checks", "storage", "target", "portal", "access", "preset", "review", "apply", "client")


async def render_setup(tmp: str, step: str, theme: str, size: tuple[int, int], out: Path) -> Path:
    """One step of the setup wizard on a fresh demo SAN (Apply changes it)."""
    from datetime import date

    import sanctl.setup.context as context
    from sanctl.sim.demo import build_demo
    from sanctl.ui.app import SanctlApp

    context.today = lambda: date(2026, 1, 1)
    root = os.path.join(tmp, f"setup-{step}-{theme}-{size[0]}x{size[1]}")
    build_demo(root)
    app = SanctlApp(root=root, mode="demo", readonly=False, readonly_reason=None, theme=theme, host=HOST,
                    theme_dirs=[REPO / "themes"], setup=True, live_checks=False)
    path = out / f"setup-{step}-{theme}-{size[0]}x{size[1]}.svg"
    async with app.run_test(size=size) as pilot:
        await _settle(pilot)
        screen = app.screen
        while screen.step != step:
            if screen.step == "access" and not screen.answers.clients[0].initiator:
                screen.query_one("#b-thishost-0").press()
                await _settle(pilot)
            before = screen.step
            await pilot.press("ctrl+n")
            await _settle(pilot)
            if screen.step == before:
                raise SystemExit(f"the wizard stays at {before}: {screen.check}")
        await _settle(pilot)
        path.write_text(app.export_screenshot(title=f"sanctl setup — {step} {size[0]}×{size[1]}"), encoding="utf-8")
    return path


#: The screens rendered, by name.
SCREENS = ("config", *OTHER_SCREENS, *(f"setup-{step}" for step in SETUP_STEPS))


async def main_async(out: Path) -> None:
    from sanctl.sim.demo import build_demo

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sanctl-shots-") as tmp:
        root = os.path.join(tmp, "demo")
        build_demo(root)
        for theme in THEMES:
            for size in SIZES:
                print(await render(root, theme, size, out))
                if theme != "sanctl-dark":
                    print(await render_other(tmp, "doctor", theme, size, out))
                    continue
                for name in OTHER_SCREENS:
                    print(await render_other(tmp, name, theme, size, out))
                for step in SETUP_STEPS:
                    print(await render_setup(tmp, step, theme, size, out))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "screenshots", help="directory for the SVG files")
    args = parser.parse_args(argv)
    os.environ.pop("NO_COLOR", None)
    os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
    os.environ["TZ"] = "UTC"  # the doctor panel's "live state of 12:00:03"
    time.tzset()
    asyncio.run(main_async(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
