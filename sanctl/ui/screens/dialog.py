"""The one dialog style: a box centred over the screen, its title bold, its buttons at the bottom right.

The confirmation, quit, the unfinished change, the setup and restore
offers, the diff, the restore and the form are each a :class:`Dialog` whose
box has the class ``dialog`` and whose button row has ``dialog-buttons``;
each screen's own CSS keeps only its width and what is its own (the
initiator tab's dialogs too: ``.initiator-dialog`` in ``initiator.tcss``
holds only their sizes). ``-warning`` and ``-danger`` on the box colour the
border (quit; a change left half done, a delete).
"""

from __future__ import annotations

from typing import TypeVar

from textual.screen import ModalScreen

Result = TypeVar("Result")


class Dialog(ModalScreen[Result]):
    """A modal screen drawn in the one dialog style (its box: ``classes="dialog"``)."""

    DEFAULT_CSS = """
    Dialog {
        align: center middle;
    }
    Dialog .dialog {
        max-width: 100%;
        height: auto;
        border: round $border;
        border-title-color: $text;
        border-title-style: bold;
        border-subtitle-color: $text-muted;
        background: $surface;
        padding: 0 1;
    }
    Dialog .dialog.-warning {
        border: round $warning;
        border-title-color: $text-warning;
    }
    Dialog .dialog.-danger {
        border: round $error;
        border-title-color: $text-error;
        border-subtitle-color: rgba(255, 255, 255, 0);  /* the border's own colour, as Textual's default */
    }
    Dialog .dialog-buttons {
        height: 1;
        margin-top: 1;
        align-horizontal: right;
    }
    Dialog .dialog-buttons Button {
        margin-left: 2;
        min-width: 10;
    }
    """
