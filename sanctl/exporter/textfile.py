"""node_exporter's textfile collector: the metrics written to one ``.prom`` file, atomically.

node_exporter reads every ``*.prom`` file of its directory at each scrape,
so a file half written would be read half. The text is made first, written
to a hidden temporary file in the same directory (same filesystem, and a
name node_exporter ignores), flushed to disk, and renamed over the file: a
reader sees the old file or the new one, never a mix; on any failure the
temporary file is removed and the old file stays. No Textual here.
"""

from __future__ import annotations

#: What node_exporter's user needs: to read it.
MODE = 0o644


def write_atomic(path: str, data: bytes) -> None:
    """Replace ``path`` with ``data`` (temporary file + rename in the same directory). Raises OSError."""
    from sanctl.state_files import write_atomic as whole

    whole(path, data, MODE)
