"""The initiator tab's dialogs: a record's session CHAP (``a``), discovery with options (``d``), a record's
settings (``e``) and a record discovery does not list (``N``).

Each is the one form screen (:class:`~sanctl.ui.forms.screen.FormScreen`)
drawing a spec of :mod:`sanctl.forms.initiator`, where the fields, their
checks and the request each builds are; it dismisses with that request (or
None when cancelled) and the tab runs it through the wrapper in a worker
thread. What is here is only the widget ids the tab's tests and the kernel
tier know (``#chap-user``, ``#disc-portal``, ``#ns-2``…), and the tab's
glyph for a warning.

Secrets are masked (the form's "show secrets" unmasks them on this screen
only) and carried as :class:`~sanctl.model.Secret`; a record's secret is
never read back to be shown: leaving a secret field empty keeps the one the
record has.
"""

from __future__ import annotations

from collections.abc import Sequence

from sanctl.forms import initiator as spec
from sanctl.initiator.node_settings import NODE_KEYS
from sanctl.ui.forms.screen import FormScreen

#: The ids of the CHAP fields (and their radio options) every CHAP form shares.
CHAP_IDS = {
    "field-method": "chap-method", "field-user": "chap-user", "field-secret": "chap-secret",
    "field-user_in": "chap-user-in", "field-secret_in": "chap-secret-in",
    **{f"field-method-{m}": f"chap-{m}" for m in spec.DISCOVERY_METHODS},
}


class _InitiatorForm(FormScreen):
    """A form of the initiator tab: its warnings marked as the tab marks them."""

    WARNING_MARK = "▲ "
    CHOICE = "method"

    def chosen(self) -> str:
        """The radio choice now (the CHAP method; how a record is added)."""
        return self.raw_values()[self.CHOICE] or ""


class AuthModal(_InitiatorForm):
    """A node record's session CHAP (none, CHAP, mutual CHAP). Returns :class:`~sanctl.forms.initiator.AuthRequest`."""

    def __init__(self, target: str, portal: str, *, method: str = "none", username: str = "",
                 username_in: str = "", has_password: bool = False, has_password_in: bool = False,
                 logged_in: bool = False) -> None:
        start = spec.ChapStart(method, username, username_in, has_password, has_password_in)
        super().__init__(spec.auth_form(target, portal, start, logged_in=logged_in), ids=CHAP_IDS)
        self.target = target
        self.portal = portal


class DiscoverModal(_InitiatorForm):
    """SendTargets discovery with iface, discovery CHAP and pruning. Returns
    :class:`~sanctl.forms.initiator.DiscoverRequest`."""

    def __init__(self, portal: str = "", *, ifaces: Sequence[str] = (), iface: str = "",
                 method: str = "keep", focus_auth: bool = False) -> None:
        super().__init__(spec.discover_form(portal, ifaces=ifaces, iface=iface, method=method),
                         ids={**CHAP_IDS, "field-portal": "disc-portal", "field-iface": "disc-iface",
                              "field-prune": "disc-prune"},
                         focus="method" if focus_auth else None)
        self.portal = portal


class NodeSettingsModal(_InitiatorForm):
    """The node record keys operators change (``e``), each with its meaning, open-iscsi's default and what
    multipath setups use, and the record's session CHAP. Returns
    :class:`~sanctl.forms.initiator.NodeSettingsRequest`; the screen writes only what changed."""

    def __init__(self, target: str, portal: str, settings, *, logged_in: bool = False) -> None:
        keys = {f"field-{spec.key_field_name(k.key)}": f"ns-{index}" for index, k in enumerate(NODE_KEYS)}
        super().__init__(spec.node_settings_form(target, portal, settings.settings, logged_in=logged_in),
                         ids={**CHAP_IDS, **keys, "fill-multipath": "ns-multipath", "fill-defaults": "ns-defaults"})
        self.target = target
        self.portal = portal


class NewRecordModal(_InitiatorForm):
    """Targets SendTargets discovery does not list — a node record made by hand (``iscsiadm -m node -o new``)
    or the targets an iSNS server knows (``-m discoverydb -t isns``). Returns
    :class:`~sanctl.forms.initiator.NewRecordRequest`."""

    CHOICE = "how"

    def __init__(self, how: str = "manual") -> None:
        super().__init__(spec.new_record_form(how),
                         ids={"field-how": "new-how", "field-how-manual": "how-manual", "field-how-isns": "how-isns",
                              "field-portal": "new-portal", "field-target": "new-target",
                              "field-iface": "new-iface"},
                         focus="portal")
