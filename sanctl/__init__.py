"""sanctl: a terminal UI and CLI for Linux iSCSI storage (the LIO target and the open-iscsi initiator)."""

#: The one place the version is written: pyproject.toml reads it from here (hatch's version source).
__version__ = "0.1.0"
