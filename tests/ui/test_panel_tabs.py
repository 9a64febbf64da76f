"""The header's panel tabs and a footer that fits 80 columns.

The panels used to be listed in the footer, where they pushed the screen's
own keys and "q Quit" off an 80-column terminal; now the header lists them.
"""

from __future__ import annotations

import pytest

from sanctl.ui.panels import PANELS
from sanctl.ui.screens.errors import ErrorsScreen
from tests.ui.helpers import settle


def _line(app, index: int) -> str:
    strips = app.screen._compositor.render_strips()
    return "".join(segment.text for segment in strips[index])


def _header(app) -> str:
    return _line(app, 0)


def _footer(app) -> str:
    return _line(app, -1)


@pytest.mark.parametrize("name", list(PANELS))
async def test_every_panel_fits_80_columns_with_quit_and_help_in_the_footer(make_app, name):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(PANELS[name][0])
        await settle(pilot)
        footer = _footer(app)
        assert "q Quit" in footer and "? Help" in footer
        header = _header(app)
        key, label = PANELS[name][:2]
        assert f"{key} {label}" in header, header
        # the other panels are still there, by key
        for other, (other_key, _label, _path) in PANELS.items():
            if other != name:
                assert f" {other_key}" in header


async def test_wide_header_labels_every_panel(make_app):
    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        header = _header(app)
        for key, label, _path in PANELS.values():
            assert f"{key} {label}" in header
        assert header.startswith(" sanctl ")


async def test_the_current_tab_follows_the_panel(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.screen.query_one("#status-bar").current_panel() == "config"
        await pilot.press("3")
        await settle(pilot)
        assert app.screen.query_one("#status-bar").current_panel() == "errors"


async def test_clicking_a_tab_shows_its_panel(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        bar = app.screen.query_one("#status-bar")
        header = _header(app)
        column = header.rindex(PANELS["errors"][0])  # compact at 80: the bare key "3"
        assert bar.panel_at(column) == "errors"
        await pilot.click("#status-bar", offset=(column, 0))
        await settle(pilot)
        assert isinstance(app.screen, ErrorsScreen)
        # a click left of the tabs does nothing
        await pilot.click("#status-bar", offset=(2, 0))
        await settle(pilot)
        assert isinstance(app.screen, ErrorsScreen)


async def test_a_long_read_only_reason_gives_way_to_the_tabs(make_app):
    app = make_app(readonly=True, readonly_reason="not root (run as root to change the configuration)")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        header = _header(app)
        assert "1 Config" in header
        assert "…" in header  # the reason is cut, visibly
