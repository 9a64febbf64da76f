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
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, RadioButton, RadioSet, Static

from sanctl.initiator.iscsiadm import Chap, chap_updates, check_iface_name, portal_arg
from sanctl.model import Secret
from sanctl.names import InvalidValue, check_chap_secret, check_chap_user

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


class _ChapForm(ModalScreen):
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
        with Vertical(id="auth-dialog", classes="initiator-dialog initiator-form") as box:
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
        with Vertical(id="discover-dialog", classes="initiator-dialog initiator-form") as box:
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
