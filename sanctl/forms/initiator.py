"""The initiator tab's dialogs as forms: session CHAP (``a``), discovery (``d``), a record's settings (``e``)
and a record by hand or from iSNS (``N``).

Each function returns a :class:`~sanctl.forms.spec.FormSpec` that the one
form screen draws, like the configuration's forms; its ``build`` returns a
plain request (:class:`AuthRequest`, :class:`DiscoverRequest`,
:class:`NodeSettingsRequest`, :class:`NewRecordRequest`) that the tab runs
through the iscsiadm wrapper. Every value is checked with the rules the
wrapper applies (:func:`~sanctl.initiator.iscsiadm_arguments.chap_updates`,
:func:`~sanctl.initiator.iscsiadm_arguments.portal_arg`,
:func:`~sanctl.initiator.iscsiadm_arguments.check_iface_name`, the record
keys of :mod:`sanctl.initiator.node_settings`, themselves on
:mod:`sanctl.names`): nothing invalid reaches iscsiadm.

Secrets are carried as :class:`~sanctl.model.Secret` (whose ``str()`` and
``repr()`` are the mask). A record's secret is never read back to be shown:
leaving a secret empty keeps the one the record has. No Textual, no I/O here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sanctl.forms.spec import BOOL, RADIO, SECRET, Choice, Field, Fill, FormSpec
from sanctl.initiator.iscsiadm_arguments import chap_updates, check_iface_name, portal_arg
from sanctl.initiator.iscsiadm_records import Chap
from sanctl.initiator.node_settings import NODE_KEYS, current
from sanctl.model import Secret
from sanctl.names import InvalidValue, check_chap_secret, check_chap_user, check_iscsi_name

#: Shorter secrets work with LIO and open-iscsi, but Windows initiators and some arrays refuse them.
SHORT_SECRET = 12

#: The auth choices of each form, in the order of their radio buttons.
NODE_METHODS = ("none", "chap", "mutual")
DISCOVERY_METHODS = ("keep", "none", "chap", "mutual")
_LABELS = {"keep": "Keep", "none": "None", "chap": "CHAP", "mutual": "Mutual CHAP"}
_WITH_USER = ("chap", "mutual")


@dataclass(frozen=True, slots=True)
class AuthRequest:
    """What the CHAP form asks for. A ``None`` secret keeps the record's own."""

    method: str  # "none", "chap", "mutual" (and "keep" in the discovery form)
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


@dataclass(frozen=True, slots=True)
class NodeSettingsRequest:
    """The settings form's answer: every key's value as typed (checked), and the CHAP request,
    None when the CHAP fields were left as they were."""

    values: dict[str, str]
    auth: AuthRequest | None = None


@dataclass(frozen=True, slots=True)
class NewRecordRequest:
    """``N``: a node record by hand (``how = "manual"``: ``target`` at ``portal``) or iSNS discovery
    (``how = "isns"``: ``portal`` is the iSNS server)."""

    how: str
    portal: str
    target: str = ""
    iface: str | None = None


# --- the CHAP fields the three record forms share ------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ChapStart:
    """What a CHAP section starts from: the record's method and users, and whether it holds secrets
    (never the secrets themselves). ``keeps``: an empty secret field keeps the record's (node records);
    discovery never keeps a secret it cannot show."""

    method: str = "none"
    username: str = ""
    username_in: str = ""
    has_password: bool = False
    has_password_in: bool = False
    keeps: bool = True


def _user_check(original: str):
    """A CHAP user name as typed, stripped; the record's own name is taken as it is (not judged again)."""
    def check(text: str) -> str:
        user = text.strip()
        return user if user == original and user else check_chap_user(user)
    return check


def _secret(text: str) -> Secret | None:
    """A typed secret (empty: none typed, keep or require it — the form's build decides)."""
    if text == "":
        return None
    return Secret(check_chap_secret(text, min_length=1))


def _secret_hint(has: bool) -> str:
    return "set — leave empty to keep it" if has else "the secret"


def chap_fields(methods: Sequence[str], start: ChapStart, *, label: str = "Authentication", help: str = "",
                section: str = "") -> tuple[Field, ...]:
    """``method`` (a radio), ``user``/``secret`` (while CHAP or mutual), ``user_in``/``secret_in`` (mutual)."""
    method = start.method if start.method in methods else methods[0]
    return (
        Field("method", label, RADIO, default=method, choices=tuple(Choice(m, _LABELS[m]) for m in methods),
              help=help, section=section),
        Field("user", "Initiator user", default=start.username, check=_user_check(start.username),
              required=False, placeholder="the ACL's userid", when=("method", _WITH_USER)),
        Field("secret", "Initiator secret", SECRET, check=_secret, placeholder=_secret_hint(start.has_password),
              when=("method", _WITH_USER)),
        Field("user_in", "Target user", default=start.username_in, check=_user_check(start.username_in),
              required=False, placeholder="the ACL's mutual userid", when=("method", ("mutual",))),
        Field("secret_in", "Target secret", SECRET, check=_secret, placeholder=_secret_hint(start.has_password_in),
              when=("method", ("mutual",))),
    )


def auth_request(values: Mapping[str, Any], start: ChapStart) -> AuthRequest:
    """The CHAP fields' checked values as a request; :class:`InvalidValue` says what is missing."""
    method = values["method"]
    if method in ("none", "keep"):
        return AuthRequest(method)
    user = values["user"] or ""
    password: Secret | None = values["secret"]
    mutual = method == "mutual"
    user_in = (values["user_in"] or "") if mutual else ""
    password_in: Secret | None = values["secret_in"] if mutual else None
    if not user:
        raise InvalidValue("The initiator's CHAP user name is required (the target ACL's userid).")
    check_chap_user(user)
    if password is None:
        if not start.keeps:
            raise InvalidValue("The initiator's CHAP secret is required.")
        if not start.has_password:
            raise InvalidValue("The initiator's CHAP secret is required (the record has none to keep).")
    if mutual:
        if not user_in:
            raise InvalidValue("Mutual CHAP needs the target's user name (the ACL's mutual userid).")
        check_chap_user(user_in)
        if password_in is None and not (start.keeps and start.has_password_in):
            raise InvalidValue("Mutual CHAP needs the target's secret.")
    chap_updates("node.session.auth", user, password, user_in, password_in)  # the wrapper's own checks
    return AuthRequest(method, user, password, user_in, password_in)


def short_secrets(values: Mapping[str, Any]) -> list[str]:
    """A warning when a typed secret is shorter than :data:`SHORT_SECRET` (allowed, but risky)."""
    short = [name for name, key in (("initiator", "secret"), ("target", "secret_in"))
             if values.get(key) is not None and len(values[key].reveal()) < SHORT_SECRET]
    if not short:
        return []
    return [f"The {' and '.join(short)} secret is shorter than {SHORT_SECRET} characters: LIO takes it, "
            "Windows initiators and some arrays refuse it."]


def _iface(value: str | None) -> str | None:
    return None if value in (None, "default") else value


def _intro(target: str, portal: str, *sentences: str) -> str:
    return "\n".join((f"{target} at {portal}", *(s for s in sentences if s)))


_LATER = "The session keeps its settings until it logs in again."


# --- a: session CHAP of a node record -----------------------------------------------------------------

def auth_form(target: str, portal: str, start: ChapStart, *, logged_in: bool = False) -> FormSpec:
    """``a`` on a node record: none, CHAP or mutual CHAP. Builds an :class:`AuthRequest`."""
    return FormSpec(
        title="Session CHAP of a node record",
        intro=_intro(target, portal, "The target's ACL for this host holds the same user and secret; mutual CHAP "
                     "adds the ACL's mutual user and secret, with which the target proves itself.",
                     _LATER if logged_in else ""),
        fields=chap_fields(NODE_METHODS, start),
        build=lambda values: auth_request(values, start),
        warnings=short_secrets,
        confirm="Save",
    )


# --- d: SendTargets discovery with options ---------------------------------------------------------------

def _discovery_portal(text: str) -> str:
    portal = portal_arg(text)
    if "," in portal:
        raise InvalidValue("A discovery portal is an address and port, without a TPG tag.")
    return portal


def discover_form(portal: str = "", *, ifaces: Sequence[str] = (), iface: str = "",
                  method: str = "keep") -> FormSpec:
    """``d``: a portal, an iface, discovery CHAP (keep, none, CHAP, mutual) and pruning.
    Builds a :class:`DiscoverRequest`; discovery never keeps a secret it was not given."""
    start = ChapStart(method=method, keeps=False)
    known = ", ".join(ifaces) if ifaces else "default"

    def build(values: dict[str, Any]) -> DiscoverRequest:
        auth = auth_request(values, start)
        chap = None
        if auth.method in _WITH_USER:
            assert auth.password is not None  # required above: discovery keeps no secret
            chap = Chap(auth.username, auth.password, auth.username_in,
                        auth.password_in if auth.password_in is not None else Secret(""))
        return DiscoverRequest(values["portal"], _iface(values["iface"]), auth.method, chap, values["prune"])

    return FormSpec(
        title="Discover the targets of a portal",
        fields=(
            Field("portal", "Portal", default=portal, check=_discovery_portal,
                  placeholder="address[:port], e.g. 192.168.1.10"),
            Field("iface", "Iface", default=iface, check=check_iface_name, required=False,
                  placeholder=f"default (known: {known}; i lists them)"),
            *chap_fields(DISCOVERY_METHODS, start, label="Discovery CHAP",
                         help="The target's discovery_auth; Keep leaves the discovery record's as it is."),
            Field("prune", "prune: delete the records the portal no longer offers (-o delete)", BOOL),
        ),
        build=build,
        warnings=short_secrets,
        confirm="Discover",
    )


# --- e: the settings of a node record --------------------------------------------------------------------

def key_field_name(key: str) -> str:
    """A record key as a field name: ``node.conn[0].startup`` -> ``node_conn_0_startup``."""
    return re.sub(r"\W+", "_", key).strip("_")


def node_settings_form(target: str, portal: str, settings: Mapping[str, object], *,
                       logged_in: bool = False) -> FormSpec:
    """``e``: the record keys operators change, each with its meaning, open-iscsi's default and what multipath
    setups use, and the record's session CHAP. Builds a :class:`NodeSettingsRequest` with every key's value
    (the tab writes only what changed) and the CHAP request, None while the CHAP fields are as they were."""
    method = "none"
    if current(settings, "node.session.auth.authmethod").upper() == "CHAP":
        method = "mutual" if current(settings, "node.session.auth.username_in") else "chap"

    def is_set(key: str) -> bool:
        value = settings.get(key, "")
        return bool(value.reveal() if isinstance(value, Secret) else value)

    start = ChapStart(method, current(settings, "node.session.auth.username"),
                      current(settings, "node.session.auth.username_in"),
                      is_set("node.session.auth.password"), is_set("node.session.auth.password_in"))
    names = {key.key: key_field_name(key.key) for key in NODE_KEYS}
    keys = tuple(
        Field(names[key.key], key.label, default=current(settings, key.key), check=key.check,
              placeholder=key.default,
              help=f"{key.key}: {key.meaning} Default {key.default}; multipath: {key.multipath}.")
        for key in NODE_KEYS)

    def chap_unchanged(values: Mapping[str, Any]) -> bool:
        return (values["method"] == start.method
                and values["user"] in (None, start.username) and values["user_in"] in (None, start.username_in)
                and values["secret"] is None and values["secret_in"] is None)

    def build(values: dict[str, Any]) -> NodeSettingsRequest:
        auth = None if chap_unchanged(values) else auth_request(values, start)
        return NodeSettingsRequest({key.key: values[names[key.key]] for key in NODE_KEYS}, auth)

    return FormSpec(
        title="Settings of a node record",
        intro=_intro(target, portal, "Written with iscsiadm -m node -o update, one key at a time, only the keys "
                     "you change.", _LATER if logged_in else ""),
        fields=(*keys, *chap_fields(NODE_METHODS, start, label="Session CHAP", section="Session CHAP",
                                    help="node.session.auth.*: the target ACL's user and secret; mutual CHAP adds "
                                         "the ACL's mutual user and secret.")),
        build=build,
        warnings=short_secrets,
        confirm="Save",
        fills=(Fill("multipath", "Multipath values", tuple((names[k.key], k.suggested) for k in NODE_KEYS)),
               Fill("defaults", "Defaults", tuple((names[k.key], k.default) for k in NODE_KEYS))),
    )


# --- N: a record discovery does not list -------------------------------------------------------------------

def _portal_text(text: str) -> str:
    portal_arg(text)  # the address and port are checked here; the default port depends on the kind
    return text.strip()


def new_record_form(how: str = "manual") -> FormSpec:
    """``N``: a node record made by hand (``iscsiadm -m node -o new``) or the targets an iSNS server knows
    (``-m discoverydb -t isns``). Builds a :class:`NewRecordRequest`."""

    def build(values: dict[str, Any]) -> NewRecordRequest:
        iface = _iface(values["iface"])
        if values["how"] == "isns":
            portal = portal_arg(values["portal"], default_port=3205)
            if "," in portal:
                raise InvalidValue("An iSNS server is an address and port, without a TPG tag.")
            return NewRecordRequest("isns", portal, iface=iface)
        portal = portal_arg(values["portal"])
        if "," in portal:
            raise InvalidValue("Give the portal as address[:port]; open-iscsi finds the TPG tag at login.")
        if not values["target"]:
            raise InvalidValue("The target's name is required (iqn.…, eui.… or naa.…).")
        return NewRecordRequest("manual", portal, values["target"], iface)

    return FormSpec(
        title="Targets discovery does not list",
        intro=("By hand: a static node record (TPG tag -1) with iscsid.conf's defaults, for a target SendTargets "
               "does not list (demo_mode_discovery=0, a portal behind NAT); l logs in to it. iSNS: the targets "
               "registered with an iSNS server (LIO does not register by itself: target-isns does); new node "
               "records only, as discovery with -o new."),
        fields=(
            Field("how", "Add", RADIO, default=how if how in ("manual", "isns") else "manual",
                  choices=(Choice("manual", "Node record by hand"), Choice("isns", "iSNS server"))),
            Field("portal", "Portal", check=_portal_text,
                  placeholder="address[:port] of the target, or of the iSNS server (port 3205)"),
            Field("target", "Target", check=lambda text: check_iscsi_name(text.strip()), required=False,
                  placeholder="iqn.…", when=("how", ("manual",))),
            Field("iface", "Iface", check=check_iface_name, required=False, placeholder="default"),
        ),
        build=build,
        confirm="Add",
    )
