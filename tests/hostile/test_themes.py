"""Issue 14, reproducer 7: a colour value such as "[/]" in a user theme is a theme problem, and the TUI starts."""

from __future__ import annotations

import pytest

BAD = {
    "markup-colour.toml": 'name = "markup"\nprimary = "[/]"\n',
    "markup-value.toml": 'name = "markup-value"\nprimary = "#123456"\n[variables]\nblock-cursor-foreground = "[/]"\n',
    "markup-variable.toml": 'name = "markup-var"\nprimary = "#123456"\n[variables]\n"[/]" = "#zz[/]"\n',
    "markup-name.toml": 'name = "[/]"\nprimary = "#123456"\nsecondary = "[bold red]"\n',
}


@pytest.fixture
def user_themes(tmp_path, monkeypatch):
    themes = tmp_path / "config" / "sanctl" / "themes"
    themes.mkdir(parents=True)
    for name, text in BAD.items():
        (themes / name).write_text(text)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return themes


def test_markup_in_a_theme_value_is_reported_like_any_bad_value(user_themes):
    from sanctl.ui.themes import load_themes, theme_dirs

    themes, problems = load_themes(theme_dirs())
    assert "sanctl-dark" in themes
    named = {p.path.name: p.message for p in problems}
    assert "is not a colour" in named["markup-colour.toml"]
    assert "neither a colour nor a plain word" in named["markup-value.toml"]
    assert "markup-value" not in themes
    assert "markup-name.toml" in named


@pytest.mark.parametrize("theme", [None, "markup-value"])
async def test_the_tui_starts_and_shows_the_theme_problems_as_text(user_themes, tmp_path, theme):
    from sanctl.sim.demo import build_demo
    from sanctl.ui.app import SanctlApp

    root = tmp_path / "demo"
    build_demo(root)
    app = SanctlApp(root=str(root), mode="demo", readonly=False, readonly_reason=None, theme=theme, host="san01")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        shown = [str(n.message) for n in app.notices]
        assert any("markup-colour.toml" in m and "[/]" in m for m in shown)
        assert any("markup-value.toml" in m for m in shown)
        assert app.theme == "sanctl-dark"
    assert app.return_code in (None, 0)
