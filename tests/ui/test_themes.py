"""Theme files: loaded, validated, reported by name when bad, chosen with --theme."""

from __future__ import annotations

from pathlib import Path

import pytest

from sanctl.ui.themes import DEFAULT_THEME, ThemeFileError, UnknownThemeError, load_theme, load_themes, theme_dirs

from .conftest import HOST

REPO_THEMES = Path(__file__).resolve().parents[2] / "themes"

GOOD = """
name = "site-blue"
primary = "#3366cc"
background = "#101010"
dark = true
[variables]
footer-key-foreground = "#88aaff"
"""


def test_bundled_themes_load():
    themes, problems = load_themes([REPO_THEMES])
    assert problems == []
    assert {"sanctl-dark", "sanctl-light"} <= set(themes)
    assert themes["sanctl-dark"].dark and not themes["sanctl-light"].dark


def test_search_path_is_bundled_then_user(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    dirs = theme_dirs()
    assert dirs[0].name in ("themes", "_themes") and (dirs[0] / "sanctl-dark.toml").is_file()
    assert dirs[-1] == tmp_path / "sanctl" / "themes"


def test_a_bad_colour_names_the_file(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('name = "broken"\nprimary = "#12345z"\n')
    with pytest.raises(ThemeFileError, match=r"broken\.toml.*primary"):
        load_theme(path)


@pytest.mark.parametrize(
    "text, message",
    [
        ("name = \n", "not valid TOML"),
        ('name = "x"\n', "primary colour missing"),
        ('primary = "#fff"\nwobble = 1\n', "unknown key 'wobble'"),
        ('primary = "#fff"\ndark = "yes"\n', "dark must be a bool"),
        ('primary = "#fff"\n[variables]\nborder = "#nothex"\n', "variable border"),
        ('primary = 7\n', "primary must be a colour string"),
    ],
)
def test_invalid_files_are_rejected_with_a_reason(tmp_path, text, message):
    path = tmp_path / "t.toml"
    path.write_text(text)
    with pytest.raises(ThemeFileError, match=message):
        load_theme(path)


def test_bad_files_are_skipped_and_reported(tmp_path):
    (tmp_path / "good.toml").write_text(GOOD)
    (tmp_path / "bad.toml").write_text('primary = "not-a-colour"\n')
    themes, problems = load_themes([tmp_path])
    assert list(themes) == ["site-blue"]
    assert [p.path.name for p in problems] == ["bad.toml"]
    assert "bad.toml" in str(problems[0]) and "skipped" in str(problems[0])


def test_name_defaults_to_the_file_stem(tmp_path):
    path = tmp_path / "plain.toml"
    path.write_text('primary = "#abcdef"\n')
    assert load_theme(path).name == "plain"


def test_default_theme_is_sanctl_dark(make_app):
    assert make_app().theme == DEFAULT_THEME == "sanctl-dark"


@pytest.mark.parametrize("name", ["sanctl-light", "ansi-dark", "textual-dark"])
def test_theme_by_name(make_app, name):
    assert make_app(theme=name).theme == name


def test_unknown_theme_is_a_clear_error(make_app):
    with pytest.raises(UnknownThemeError) as info:
        make_app(theme="no-such-theme")
    message = str(info.value)
    assert "no-such-theme" in message and "sanctl-dark" in message and "sanctl-light" in message
    assert isinstance(info.value, ValueError)


async def test_user_theme_is_usable_and_a_bad_one_is_notified(make_app, tmp_path, monkeypatch):
    user_dir = tmp_path / "xdg-config" / "sanctl" / "themes"
    user_dir.mkdir(parents=True)
    (user_dir / "site.toml").write_text(GOOD)
    (user_dir / "oops.toml").write_text('primary = "#zzzzzz"\n')
    app = make_app(theme="site-blue")
    notes = []
    app.notify = lambda message, **kw: notes.append((message, kw.get("severity")))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.theme == "site-blue"
    assert any("oops.toml" in message and severity == "warning" for message, severity in notes)


async def test_no_color_runs(make_app, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(theme="ansi-dark")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.no_color
        assert "backstores" in app.export_screenshot()


def test_constructor_is_keyword_only(demo):
    from sanctl.ui.app import SanctlApp

    with pytest.raises(TypeError):
        SanctlApp(str(demo))  # type: ignore[misc]
    with pytest.raises(ValueError):
        SanctlApp(root=str(demo), mode="fake", host=HOST)
