"""Rich styles from a widget's component classes, foreground only.

``get_component_rich_style(partial=True)`` cannot resolve colours such as
``$text-muted`` (``auto 60%``: a contrast colour blended with the
background), so it renders them as plain white. The full style resolves them
against the widget's background; keeping only its colour and text attributes
lets the line's own background (cursor, hover) show through.
"""

from __future__ import annotations

from rich.style import Style
from textual.widget import Widget


def component_fg(widget: Widget, name: str) -> Style:
    full = widget.get_component_rich_style(name)
    return Style(
        color=full.color,
        bold=full.bold,
        dim=full.dim,
        italic=full.italic,
        underline=full.underline,
        reverse=full.reverse,
        strike=full.strike,
    )
