"""The TUI says a failure one way (``app.fail``): the operator's sentence, as text, demo paths as ``demo:/``."""

from __future__ import annotations

import ast
import errno
from pathlib import Path

from sanctl.lio.errors import ConfigfsNotFound

from .form_helpers import notices_from_now
from .helpers import settle

SIZE = (120, 40)


async def test_an_error_is_told_as_the_operators_sentence(make_app, demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        told = notices_from_now(app)
        app.fail(OSError(errno.EBUSY, "Device or resource busy"), doing="Nothing was written")
        app.fail(ConfigfsNotFound(str(demo), f"{demo}/sys/kernel/config/target"), title="Refresh failed")
        app.fail(KeyError("lun"))
        app.fail("[bold]not markup[/]", title="Refused")
        assert told[0] == ("error", "Error", "Nothing was written: is in use (EBUSY: Device or resource busy)")
        assert told[1] == ("error", "Refresh failed", "no LIO configfs at demo:/sys/kernel/config/target")
        assert told[2] == ("error", "Error", "internal error (KeyError: 'lun')")
        assert told[3] == ("error", "Refused", "[bold]not markup[/]")


def test_the_ui_tells_failures_only_through_app_fail():
    """A ``severity="error"`` notification anywhere but ``app.fail`` would be a second way of saying it."""
    ui = Path(__file__).parents[2] / "sanctl" / "ui"
    elsewhere = []
    for path in sorted(ui.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "notify":
                for keyword in node.keywords:
                    if keyword.arg == "severity" and isinstance(keyword.value, ast.Constant) \
                            and keyword.value.value == "error":
                        elsewhere.append(f"{path.relative_to(ui)}:{node.lineno}")
    assert len(elsewhere) == 1 and elsewhere[0].startswith("app.py:"), elsewhere
