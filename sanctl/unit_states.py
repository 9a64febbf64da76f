"""systemd's words for a unit's enablement that sanctl acts on (``systemctl is-enabled``).

Plain values: the service readers and the doctor's pure rules both use them.
"""

from __future__ import annotations

#: The states in which a unit starts at boot (or with what pulls it in).
ENABLED_STATES = frozenset({"enabled", "enabled-runtime", "static", "indirect", "alias", "generated"})
