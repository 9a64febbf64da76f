"""The errors of the target's readers and files, without the readers.

A screen or a command that only catches one of these imports it from here, not
from the module that raises it (which reads configfs or the saved files). The
raising modules re-export them under their old names. No I/O, no Textual.
"""

from __future__ import annotations

from sanctl.errors import SanctlError


class ConfigfsNotFound(SanctlError):
    """There is no LIO configfs tree under the given root."""

    def __init__(self, root: str, path: str) -> None:
        super().__init__(f"no LIO configfs at {path}")
        self.root = root
        self.path = path


class JournalError(SanctlError):
    """A journal that cannot be read or written; ``str()`` says which and why."""


class SaveFileError(SanctlError):
    """A saveconfig file that cannot be read, parsed or written; ``str()`` says which and why."""


class SaveRefused(SaveFileError):
    """The save would replace a saved configuration by a much smaller one; ``force`` overrides it."""

    def __init__(self, reason: str, running: int, saved: int) -> None:
        self.reason = reason
        self.running = running
        self.saved = saved
        super().__init__(reason)
