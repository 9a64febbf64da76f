"""The operator's own files on the machine sanctl runs on: theme files, read bounded.

They are not the storage host's: with a host reached over SSH they would
still be read here, so they are never asked of a :class:`~sanctl.host.protocol.Host`.
The UI reads them through this module, not through :mod:`sanctl.safe_io`
(the readers' module for the host's files). No Textual here.
"""

from __future__ import annotations

from sanctl import safe_io


def read_small(path: str, limit: int) -> bytes:
    """A small file's bytes, following links; raises OSError (a FIFO, ``/dev/zero`` or a file over
    ``limit`` bytes cannot hold or flood the caller)."""
    return safe_io.read_bytes(path, limit, follow=True)
