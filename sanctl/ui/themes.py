"""sanctl's themes are TOML files, validated when loaded.

Search path, later directories overriding earlier ones by theme name:
the packaged copy ``sanctl/_themes`` (the wheel maps the repo's ``themes/``
there) or, in a checkout, the repo's ``themes/`` next to the package; then the
user's ``$XDG_CONFIG_HOME/sanctl/themes`` (``~/.config/sanctl/themes``).

A file is a table of Textual theme fields::

    name = "sanctl-dark"
    dark = true
    primary = "#4f9fd8"
    ...
    [variables]
    footer-key-foreground = "#4f9fd8"

Every colour is checked with :meth:`textual.color.Color.parse`; a file that
does not parse or names a bad colour is reported with its file name and
skipped, never a crash.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from textual.color import Color, ColorParseError
from textual.theme import Theme

from sanctl.errors import SanctlError
from sanctl.local_files import read_small

DEFAULT_THEME = "sanctl-dark"

COLOR_KEYS = ("primary", "secondary", "warning", "error", "success", "accent",
              "foreground", "background", "surface", "panel", "boost")
_OTHER_KEYS = {"name": str, "dark": bool, "luminosity_spread": float, "text_alpha": float, "ansi": bool}


class ThemeFileError(SanctlError, ValueError):
    """A theme file that cannot be used; the message names the file."""


class UnknownThemeError(SanctlError, ValueError):
    """``--theme NAME`` names no theme; the message lists the available ones."""

    def __init__(self, name: str, available: list[str]) -> None:
        super().__init__(f"unknown theme {name!r}; available themes: {', '.join(available)}")
        self.name = name
        self.available = available


@dataclass(frozen=True)
class ThemeProblem:
    path: Path
    message: str

    def __str__(self) -> str:
        return f"theme file {self.path.name}: {self.message} (skipped)"


def theme_dirs() -> list[Path]:
    """Where themes are looked for, in order of increasing precedence."""
    package = Path(__file__).resolve().parent.parent  # sanctl/
    bundled = package / "_themes"
    dirs = [bundled if bundled.is_dir() else package.parent / "themes"]
    config_home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    dirs.append(Path(config_home) / "sanctl" / "themes")
    return dirs


def _color(path: Path, key: str, value: object) -> str:
    if not isinstance(value, str):
        raise ThemeFileError(f"{path.name}: {key} must be a colour string, not {value!r}")
    try:
        Color.parse(value)
    except ColorParseError as exc:
        raise ThemeFileError(f"{path.name}: {key} = {value!r} is not a colour ({exc})") from None
    return value


#: A theme file is a few dozen lines.
_MAX_THEME_BYTES = 256 << 10


def load_theme(path: Path) -> Theme:
    """One theme file; raises :class:`ThemeFileError` naming the file."""
    try:  # a FIFO or /dev/zero in the themes directory cannot hold or flood the start
        data = tomllib.loads(read_small(str(path), _MAX_THEME_BYTES).decode("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ThemeFileError(f"{path.name}: cannot read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ThemeFileError(f"{path.name}: not valid TOML ({exc})") from None
    fields: dict[str, object] = {}
    for key, value in data.items():
        if key in COLOR_KEYS:
            fields[key] = _color(path, key, value)
        elif key in _OTHER_KEYS:
            kind = _OTHER_KEYS[key]
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if not isinstance(value, kind):
                raise ThemeFileError(f"{path.name}: {key} must be a {kind.__name__}, not {value!r}")
            fields[key] = value
        elif key == "variables":
            if not isinstance(value, dict):
                raise ThemeFileError(f"{path.name}: [variables] must be a table")
            fields[key] = {str(k): _variable(path, str(k), v) for k, v in value.items()}
        else:
            raise ThemeFileError(f"{path.name}: unknown key {key!r}")
    name = fields.get("name") or path.stem
    if not isinstance(name, str) or not name.strip():
        raise ThemeFileError(f"{path.name}: name must not be empty")
    if not _VARIABLE_NAME.fullmatch(name):
        raise ThemeFileError(f"{path.name}: name {name!r} must be letters, digits, '-' and '_' (it is a CSS class)")
    fields["name"] = name
    if "primary" not in fields:
        raise ThemeFileError(f"{path.name}: primary colour missing")
    return Theme(**fields)  # type: ignore[arg-type]


#: A variable's name, and a value that is not a colour: plain words and numbers only. Variables go into
#: the stylesheet as they are, so anything else ("[/]", "red; x: y") would break it when the theme is used.
_VARIABLE_NAME = re.compile(r"[A-Za-z0-9_-]+")
_PLAIN_VALUE = re.compile(r"[A-Za-z][A-Za-z0-9 _-]*|-?[0-9]+(\.[0-9]+)?(%|fr|w|h|vw|vh)?")


def _variable(path: Path, key: str, value: object) -> str:
    """Variables that look like colours must be colours; others must be plain words or numbers."""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise ThemeFileError(f"{path.name}: variable {key!r} must be a string or number, not {value!r}")
    if not _VARIABLE_NAME.fullmatch(key):
        raise ThemeFileError(f"{path.name}: {key!r} is not a variable name (letters, digits, '-' and '_')")
    text = str(value)
    if text.startswith("#") or text.startswith(("rgb", "hsl", "ansi_")):
        _color(path, f"variable {key}", text)
    elif not _PLAIN_VALUE.fullmatch(text):
        try:
            Color.parse(text)
        except ColorParseError:
            raise ThemeFileError(f"{path.name}: variable {key} = {text!r} is neither a colour nor a plain "
                                 "word or number") from None
    return text


def load_themes(dirs: list[Path] | None = None) -> tuple[dict[str, Theme], list[ThemeProblem]]:
    """Every valid theme in ``dirs`` (default :func:`theme_dirs`), and what was skipped."""
    themes: dict[str, Theme] = {}
    problems: list[ThemeProblem] = []
    for directory in theme_dirs() if dirs is None else dirs:
        try:
            paths = sorted(directory.glob("*.toml"))
        except OSError:
            continue
        for path in paths:
            try:
                theme = load_theme(path)
            except ThemeFileError as exc:
                problems.append(ThemeProblem(path, str(exc).removeprefix(f"{path.name}: ")))
                continue
            except Exception as exc:  # a Theme that Textual itself rejects
                problems.append(ThemeProblem(path, f"{type(exc).__name__}: {exc}"))
                continue
            themes[theme.name] = theme
    return themes, problems
