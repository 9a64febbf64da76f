"""The initiator tab's forms: a node record's session CHAP (``a``) and discovery with options (``d``).

Both return a plain request (or None when cancelled); the screen runs it
through the wrapper in a worker thread. Every value is checked as it is
typed with the same rules the wrapper applies
(:func:`sanctl.initiator.iscsiadm.chap_updates`, :func:`~sanctl.initiator.iscsiadm.portal_arg`,
:func:`~sanctl.initiator.iscsiadm.check_iface_name`, themselves on
:mod:`sanctl.names`), and the reason is shown under the fields: nothing
invalid reaches iscsiadm.

Secrets are masked (``password=True`` fields; "show secrets" unmasks them on
this screen only), are carried as :class:`~sanctl.model.Secret` (whose
``str()`` and ``repr()`` are the mask) and are never put in a message. A
record's secret is never read back to be shown: leaving a secret field empty
keeps the one the record has.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label, RadioButton, RadioSet, Static

from sanctl.initiator.iscsiadm_arguments import chap_updates, check_iface_name, portal_arg
from sanctl.initiator.iscsiadm_records import Chap
from sanctl.model import Secret
from sanctl.names import InvalidValue, check_chap_secret, check_chap_user
from sanctl.ui.screens.dialog import Dialog

#: Shorter secrets work with LIO and open-iscsi, but Windows initiators and some arrays refuse them.
SHORT_SECRET = 12

#: The auth choices of each form, in the order of their radio buttons.
NODE_METHODS = ("none", "chap", "mutual")
DISCOVERY_METHODS = ("keep", "none", "chap", "mutual")
_LABELS = {"keep": "Keep", "none": "None", "chap": "CHAP", "mutual": "Mutual CHAP"}


@dataclass(frozen=True, slots=True)
class AuthRequest:
    """What the CHAP form asks for. A ``None`` secret keeps the record's own."""

    method: str  # "none", "chap", "mutual"
    username: str = ""
    password: Secret | None = field(default=None, repr=False)
    username_in: str = ""
    password_in: Secret | None = field(default=None, repr=False)

    def describe(self) -> str:
        """For the status line: never a secret."""
        if self.method == "none":
            return "no authentication"
        what = f"CHAP as {self.username}"
        if self.method == "mutual":
            what = f"mutual CHAP as {self.username}, the target as {self.username_in}"
        kept = [name for name, value in (("secret", self.password), ("mutual secret", self.password_in))
                if value is None and (name == "secret" or self.method == "mutual")]
        return what + (f" ({' and '.join(kept)} kept)" if kept else "")


@dataclass(frozen=True, slots=True)
class DiscoverRequest:
    """SendTargets discovery with its options. ``auth`` is keep / none / chap / mutual."""

    portal: str
    iface: str | None = None
    auth: str = "keep"
    chap: Chap | None = field(default=None, repr=False)
    prune: bool = False


def _problem_of(exc: Exception) -> str:
    return str(exc) or exc.__class__.__name__


class _FormDialog(Dialog):
    """What every initiator dialog does with its fields and buttons: a change re-checks
    (``_show_problem``), enter or OK submits (``action_submit``), Cancel or esc dismisses."""

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._show_problem()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "form-ok":
            self.action_submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class _ChapForm(_FormDialog):
    """The CHAP fields both forms share: a method, the initiator's user and secret, the target's."""

    METHODS: tuple[str, ...] = NODE_METHODS
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="initiator-form.cancel"),
        Binding("ctrl+s", "submit", "Save", show=False, id="initiator-form.submit"),
    ]

    def __init__(self, *, method: str, username: str = "", username_in: str = "", has_password: bool = False,
                 has_password_in: bool = False) -> None:
        super().__init__()
        self.method = method if method in self.METHODS else self.METHODS[0]
        self.username = username
        self.username_in = username_in
        self.has_password = has_password
        self.has_password_in = has_password_in

    # --- composition -----------------------------------------------------------------------
    def chap_fields(self) -> ComposeResult:
        with RadioSet(id="chap-method", compact=True):
            for method in self.METHODS:
                yield RadioButton(_LABELS[method], value=method == self.method, id=f"chap-{method}", compact=True)
        yield from self._row("Initiator user", Input(self.username, id="chap-user", compact=True,
                                                     placeholder="the ACL's userid"))
        yield from self._row("Initiator secret", Input(id="chap-secret", password=True, compact=True,
                                                       placeholder=self._secret_hint(self.has_password)))
        yield from self._row("Target user", Input(self.username_in, id="chap-user-in", compact=True,
                                                  placeholder="the ACL's mutual userid"))
        yield from self._row("Target secret", Input(id="chap-secret-in", password=True, compact=True,
                                                    placeholder=self._secret_hint(self.has_password_in)))
        yield Checkbox("show secrets", id="chap-show", compact=True)

    @staticmethod
    def _row(label: str, field_: Input) -> ComposeResult:
        field_.cursor_blink = False
        with Horizontal(classes="form-row"):
            yield Label(label, classes="form-label")
            yield field_

    @staticmethod
    def _secret_hint(has: bool) -> str:
        return "set — leave empty to keep it" if has else "the secret"

    def buttons(self, action: str) -> ComposeResult:
        yield Static("", id="form-error", markup=False)
        with Horizontal(classes="dialog-buttons"):
            yield Button("Cancel", id="form-cancel", compact=True)
            yield Button(action, id="form-ok", compact=True, variant="primary")

    def on_mount(self) -> None:
        self._enable()
        self.initial_focus().focus()

    def initial_focus(self):
        return self.query_one("#chap-method", RadioSet)

    # --- state -----------------------------------------------------------------------------
    def chosen(self) -> str:
        pressed = self.query_one("#chap-method", RadioSet).pressed_button
        return (pressed.id or "").removeprefix("chap-") if pressed is not None else self.METHODS[0]

    def _enable(self) -> None:
        method = self.chosen()
        for name in ("#chap-user", "#chap-secret"):
            self.query_one(name, Input).disabled = method not in ("chap", "mutual")
        for name in ("#chap-user-in", "#chap-secret-in"):
            self.query_one(name, Input).disabled = method != "mutual"

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        event.stop()
        self._enable()
        self._show_problem()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        if event.checkbox.id != "chap-show":
            return
        event.stop()
        for name in ("#chap-secret", "#chap-secret-in"):
            self.query_one(name, Input).password = not event.value

    def value(self, name: str) -> str:
        return self.query_one(name, Input).value

    def chap_request(self) -> AuthRequest:
        """The CHAP fields as a request; InvalidValue says what is wrong."""
        method = self.chosen()
        if method in ("none", "keep"):
            return AuthRequest(method)
        user = self.value("#chap-user").strip()
        secret = self.value("#chap-secret")
        user_in = self.value("#chap-user-in").strip() if method == "mutual" else ""
        secret_in = self.value("#chap-secret-in") if method == "mutual" else ""
        if not user:
            raise InvalidValue("The initiator's CHAP user name is required (the target ACL's userid).")
        check_chap_user(user)
        if secret:
            check_chap_secret(secret, min_length=1)
        elif not self.keeps_secrets:
            raise InvalidValue("The initiator's CHAP secret is required.")
        elif not self.has_password:
            raise InvalidValue("The initiator's CHAP secret is required (the record has none to keep).")
        if method == "mutual":
            if not user_in:
                raise InvalidValue("Mutual CHAP needs the target's user name (the ACL's mutual userid).")
            check_chap_user(user_in)
            if secret_in:
                check_chap_secret(secret_in, min_length=1)
            elif not (self.keeps_secrets and self.has_password_in):
                raise InvalidValue("Mutual CHAP needs the target's secret.")
        password = Secret(secret) if secret else None
        password_in = Secret(secret_in) if secret_in else None
        chap_updates("node.session.auth", user, password, user_in, password_in)  # the wrapper's own checks
        return AuthRequest(method, user, password, user_in, password_in)

    #: Whether an empty secret field may keep the record's secret (node records: yes; discovery: no).
    keeps_secrets = True

    def request_problem(self) -> tuple[str | None, str | None]:
        """(why it cannot be submitted, a warning that does not stop it)."""
        try:
            request = self.current_request()
        except InvalidValue as exc:
            return _problem_of(exc), None
        return None, self.warning(request)

    def current_request(self):  # pragma: no cover - overridden
        raise NotImplementedError

    def warning(self, request) -> str | None:
        short = [name for name, value in (("initiator", self.value("#chap-secret")),
                                          ("target", self.value("#chap-secret-in")))
                 if value and len(value) < SHORT_SECRET and not self.query_one(
                     "#chap-secret" if name == "initiator" else "#chap-secret-in", Input).disabled]
        if short:
            return (f"The {' and '.join(short)} secret is shorter than {SHORT_SECRET} characters: LIO takes it, "
                    "Windows initiators and some arrays refuse it.")
        return None

    def _show_problem(self, *, strict: bool = False) -> bool:
        """Show what is wrong (only once something was typed, unless ``strict``); True when fine."""
        problem, warning = self.request_problem()
        widget = self.query_one("#form-error", Static)
        typed = any(self.value(n) for n in ("#chap-user", "#chap-secret", "#chap-user-in", "#chap-secret-in"))
        if problem and (strict or typed):
            widget.update(Text(f"✖ {problem}"))
            widget.set_class(False, "-warn")
        elif warning:
            widget.update(Text(f"▲ {warning}"))
            widget.set_class(True, "-warn")
        else:
            widget.update(Text(""))
        return problem is None

    def action_submit(self) -> None:
        if not self._show_problem(strict=True):
            return
        self.dismiss(self.current_request())


class AuthModal(_ChapForm):
    """``#auth-dialog``: a node record's session CHAP (none, CHAP, mutual CHAP). Returns :class:`AuthRequest`."""

    METHODS = NODE_METHODS

    def __init__(self, target: str, portal: str, *, method: str = "none", username: str = "",
                 username_in: str = "", has_password: bool = False, has_password_in: bool = False,
                 logged_in: bool = False) -> None:
        super().__init__(method=method, username=username, username_in=username_in, has_password=has_password,
                         has_password_in=has_password_in)
        self.target = target
        self.portal = portal
        self.logged_in = logged_in

    def compose(self) -> ComposeResult:
        with Vertical(id="auth-dialog", classes="dialog initiator-dialog initiator-form") as box:
            box.border_title = "Session CHAP of a node record"
            box.border_subtitle = "ctrl+s saves · esc cancels"
            what = Text()
            what.append(self.target, style="bold")
            what.append(f" at {self.portal}\n")
            what.append("The target's ACL for this host holds the same user and secret; mutual CHAP adds the "
                        "ACL's mutual user and secret, with which the target proves itself.")
            if self.logged_in:
                what.append("\nThe session keeps its settings until it logs in again.")
            yield Static(what, id="auth-what", markup=False)
            yield from self.chap_fields()
            yield from self.buttons("Save")

    def current_request(self) -> AuthRequest:
        return self.chap_request()


class DiscoverModal(_ChapForm):
    """``#discover-dialog``: SendTargets discovery with iface, discovery CHAP and pruning. Returns
    :class:`DiscoverRequest`."""

    METHODS = DISCOVERY_METHODS
    keeps_secrets = False

    def __init__(self, portal: str = "", *, ifaces: Sequence[str] = (), iface: str = "",
                 method: str = "keep", focus_auth: bool = False) -> None:
        super().__init__(method=method)
        self.portal = portal
        self.ifaces = tuple(ifaces)
        self.iface = iface
        self.focus_auth = focus_auth

    def compose(self) -> ComposeResult:
        with Vertical(id="discover-dialog", classes="dialog initiator-dialog initiator-form") as box:
            box.border_title = "Discover the targets of a portal"
            box.border_subtitle = "enter discovers · esc cancels"
            yield from self._row("Portal", Input(self.portal, id="disc-portal", compact=True,
                                                 placeholder="address[:port], e.g. 192.168.1.10"))
            known = ", ".join(self.ifaces) if self.ifaces else "default"
            yield from self._row("Iface", Input(self.iface, id="disc-iface", compact=True,
                                                placeholder=f"default (known: {known}; i lists them)"))
            yield Static(Text("Discovery CHAP (the target's discovery_auth); Keep leaves the discovery record's "
                              "as it is:"), id="disc-auth-label", markup=False)
            yield from self.chap_fields()
            yield Checkbox("prune: delete the records the portal no longer offers (-o delete)",
                           id="disc-prune", compact=True)
            yield from self.buttons("Discover")

    def initial_focus(self):
        if self.focus_auth:
            return self.query_one("#chap-method", RadioSet)
        return self.query_one("#disc-portal", Input)

    def current_request(self) -> DiscoverRequest:
        portal = portal_arg(self.value("#disc-portal"))
        if "," in portal:
            raise InvalidValue("A discovery portal is an address and port, without a TPG tag.")
        iface_text = self.value("#disc-iface").strip()
        iface = check_iface_name(iface_text) if iface_text else None
        auth = self.chap_request()
        chap = None
        if auth.method in ("chap", "mutual"):
            assert auth.password is not None
            chap = Chap(auth.username, auth.password, auth.username_in,
                        auth.password_in if auth.password_in is not None else Secret(""))
        return DiscoverRequest(portal, None if iface == "default" else iface, auth.method, chap,
                               self.query_one("#disc-prune", Checkbox).value)

    def _show_problem(self, *, strict: bool = False) -> bool:
        if not strict and not self.value("#disc-portal").strip():
            self.query_one("#form-error", Static).update(Text(""))
            return False
        return super()._show_problem(strict=True if self.value("#disc-portal").strip() else strict)


@dataclass(frozen=True, slots=True)
class NodeSettingsRequest:
    """The settings form's answer: every key's value as typed (checked), and the CHAP request,
    None when the CHAP fields were left as they were."""

    values: dict[str, str]
    auth: AuthRequest | None = None


class NodeSettingsModal(_ChapForm):
    """``#settings-dialog``: the node record keys operators change (``e``), each with its meaning,
    open-iscsi's default and what multipath setups use, and the record's session CHAP. Returns
    :class:`NodeSettingsRequest`; the screen writes only what changed."""

    METHODS = NODE_METHODS

    def __init__(self, target: str, portal: str, settings, *, logged_in: bool = False) -> None:
        from sanctl.initiator.node_settings import current

        values = settings.settings
        method = "none"
        if str(values.get("node.session.auth.authmethod", "")).upper() == "CHAP":
            method = "mutual" if current(values, "node.session.auth.username_in") else "chap"

        def is_set(key: str) -> bool:
            value = values.get(key, "")
            return bool(value.reveal() if isinstance(value, Secret) else value)

        super().__init__(method=method, username=current(values, "node.session.auth.username"),
                         username_in=current(values, "node.session.auth.username_in"),
                         has_password=is_set("node.session.auth.password"),
                         has_password_in=is_set("node.session.auth.password_in"))
        self.target = target
        self.portal = portal
        self.original = {k: current(values, k) for k in values}
        self.logged_in = logged_in
        self.initial_method = method

    def compose(self) -> ComposeResult:
        from textual.containers import VerticalScroll

        from sanctl.initiator.node_settings import NODE_KEYS

        with Vertical(id="settings-dialog", classes="dialog initiator-dialog initiator-form -tall") as box:
            box.border_title = "Settings of a node record"
            box.border_subtitle = "ctrl+s saves · esc cancels"
            what = Text()
            what.append(self.target, style="bold")
            what.append(f" at {self.portal}\n")
            what.append("Written with iscsiadm -m node -o update, one key at a time, only the keys you change.")
            if self.logged_in:
                what.append(" The session keeps its settings until it logs in again.")
            yield Static(what, id="settings-what", markup=False)
            with Horizontal(classes="dialog-buttons settings-fill"):
                yield Button("Multipath values", id="ns-multipath", compact=True)
                yield Button("Defaults", id="ns-defaults", compact=True)
            with VerticalScroll(id="settings-scroll"):
                for index, spec in enumerate(NODE_KEYS):
                    yield from self._row(spec.label, Input(self.original.get(spec.key, ""), id=f"ns-{index}",
                                                           compact=True, placeholder=spec.default))
                    help_ = Text(f"{spec.key}: {spec.meaning} ", style="dim")
                    help_.append(f"Default {spec.default}; multipath: {spec.multipath}.", style="dim italic")
                    yield Static(help_, classes="form-help", markup=False)
                yield Static(Text("Session CHAP (node.session.auth.*): the target ACL's user and secret; mutual "
                                  "CHAP adds the ACL's mutual user and secret."), classes="form-help", markup=False)
                yield from self.chap_fields()
            yield from self.buttons("Save")

    def initial_focus(self):
        return self.query_one("#ns-0", Input)

    def fill(self, which: str) -> None:
        """``multipath``: the values dm-multipath setups use; ``default``: open-iscsi's defaults."""
        from sanctl.initiator.node_settings import NODE_KEYS

        for index, spec in enumerate(NODE_KEYS):
            self.query_one(f"#ns-{index}", Input).value = spec.suggested if which == "multipath" else spec.default

    def on_button_pressed(self, event: Button.Pressed) -> None:
        # Textual calls _ChapForm's handler after this one unless the default is prevented
        if event.button.id in ("ns-multipath", "ns-defaults"):
            event.stop()
            event.prevent_default()
            self.fill("multipath" if event.button.id == "ns-multipath" else "default")
            self._show_problem(strict=True)

    def chap_unchanged(self) -> bool:
        return (self.chosen() == self.initial_method and self.value("#chap-user").strip() == self.username
                and self.value("#chap-user-in").strip() == self.username_in
                and not self.value("#chap-secret") and not self.value("#chap-secret-in"))

    def current_request(self) -> NodeSettingsRequest:
        from sanctl.initiator.node_settings import NODE_KEYS

        values = {}
        for index, spec in enumerate(NODE_KEYS):
            values[spec.key] = spec.check(self.value(f"#ns-{index}"))
        auth = None if self.chap_unchanged() else self.chap_request()
        return NodeSettingsRequest(values, auth)

    def _show_problem(self, *, strict: bool = False) -> bool:
        return super()._show_problem(strict=True)


@dataclass(frozen=True, slots=True)
class NewRecordRequest:
    """``N``: a node record by hand (``how = "manual"``: ``target`` at ``portal``) or iSNS discovery
    (``how = "isns"``: ``portal`` is the iSNS server)."""

    how: str
    portal: str
    target: str = ""
    iface: str | None = None


class NewRecordModal(_FormDialog):
    """``#new-record-dialog``: targets SendTargets discovery does not list — a node record made by hand
    (``iscsiadm -m node -o new``) or the targets an iSNS server knows (``-m discoverydb -t isns``).
    Returns :class:`NewRecordRequest`."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="initiator-form.cancel"),
        Binding("ctrl+s", "submit", "Save", show=False, id="initiator-form.submit"),
    ]

    def __init__(self, how: str = "manual") -> None:
        super().__init__()
        self.how = how if how in ("manual", "isns") else "manual"

    def compose(self) -> ComposeResult:
        with Vertical(id="new-record-dialog", classes="dialog initiator-dialog initiator-form") as box:
            box.border_title = "Targets discovery does not list"
            box.border_subtitle = "enter adds · esc cancels"
            with RadioSet(id="new-how", compact=True):
                yield RadioButton("Node record by hand", value=self.how == "manual", id="how-manual", compact=True)
                yield RadioButton("iSNS server", value=self.how == "isns", id="how-isns", compact=True)
            yield Static("", id="new-what", markup=False)
            yield from _ChapForm._row("Portal", Input(id="new-portal", compact=True,
                                                      placeholder="address[:port], e.g. 192.168.1.10"))
            yield from _ChapForm._row("Target", Input(id="new-target", compact=True, placeholder="iqn.…"))
            yield from _ChapForm._row("Iface", Input(id="new-iface", compact=True, placeholder="default"))
            yield Static("", id="form-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="form-cancel", compact=True)
                yield Button("Add", id="form-ok", compact=True, variant="primary")

    def on_mount(self) -> None:
        self._enable()
        self.query_one("#new-portal", Input).focus()

    def chosen(self) -> str:
        pressed = self.query_one("#new-how", RadioSet).pressed_button
        return (pressed.id or "").removeprefix("how-") if pressed is not None else "manual"

    def _enable(self) -> None:
        manual = self.chosen() == "manual"
        self.query_one("#new-target", Input).disabled = not manual
        self.query_one("#new-portal", Input).placeholder = (
            "address[:port] of the target, e.g. 192.168.1.10" if manual else "the iSNS server, address[:3205]")
        self.query_one("#new-what", Static).update(Text(
            "A static node record (TPG tag -1) with iscsid.conf's defaults, for a target SendTargets does not "
            "list (demo_mode_discovery=0, a portal behind NAT); l logs in to it." if manual else
            "The targets registered with an iSNS server (LIO does not register by itself: target-isns does); "
            "new node records only, as discovery with -o new."))

    def value(self, name: str) -> str:
        return self.query_one(name, Input).value

    def current_request(self) -> NewRecordRequest:
        from sanctl.names import check_iscsi_name

        how = self.chosen()
        iface_text = self.value("#new-iface").strip()
        iface = check_iface_name(iface_text) if iface_text else None
        iface = None if iface == "default" else iface
        if how == "isns":
            portal = portal_arg(self.value("#new-portal"), default_port=3205)
            if "," in portal:
                raise InvalidValue("An iSNS server is an address and port, without a TPG tag.")
            return NewRecordRequest("isns", portal, iface=iface)
        portal = portal_arg(self.value("#new-portal"))
        if "," in portal:
            raise InvalidValue("Give the portal as address[:port]; open-iscsi finds the TPG tag at login.")
        target = self.value("#new-target").strip()
        if not target:
            raise InvalidValue("The target's name is required (iqn.…, eui.… or naa.…).")
        return NewRecordRequest("manual", portal, check_iscsi_name(target), iface)

    def _show_problem(self, *, strict: bool = False) -> bool:
        widget = self.query_one("#form-error", Static)
        try:
            self.current_request()
        except InvalidValue as exc:
            typed = any(self.value(n) for n in ("#new-portal", "#new-target", "#new-iface"))
            widget.update(Text(f"✖ {_problem_of(exc)}") if strict or typed else Text(""))
            return False
        widget.update(Text(""))
        return True

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        event.stop()
        self._enable()
        self._show_problem()

    def action_submit(self) -> None:
        if self._show_problem(strict=True):
            self.dismiss(self.current_request())
