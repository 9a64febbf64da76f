"""The one root of the errors sanctl raises on purpose.

``except SanctlError`` catches what sanctl means to say to the operator (a
refused write, a damaged file, a stuck iscsiadm, a bad argument) and lets a
bug stay a bug. Each error keeps its older standard base too (``ValueError``
for a bad value, ``OSError`` for a file that is not what it should be), so
callers that catch those still do.
"""

from __future__ import annotations


class SanctlError(Exception):
    """An error sanctl raises on purpose; its message is meant for the operator."""
