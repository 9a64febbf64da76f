"""CHAP credentials as one validated value (secrets never shown)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sanctl.names import (
    InvalidValue,
    check_chap_user,
)
from sanctl.lio.changes.base import _bools, _secret, _text


# ---------------------------------------------------------------------------
# CHAP credentials
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Chap:
    """One-way CHAP (``userid`` + ``password``), optionally mutual.

    ``Chap()`` (all empty) means "no CHAP": writing it clears every
    credential. Secrets are never shown by :meth:`describe` or ``repr``.
    """

    userid: str = ""
    password: str = field(default="", repr=False)
    mutual_userid: str = ""
    mutual_password: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        _bools(self)
        for value in (self.userid, self.password, self.mutual_userid, self.mutual_password):
            if any(ord(c) < 32 or ord(c) == 127 for c in _text(value, "CHAP value")):
                raise InvalidValue("CHAP names and secrets cannot contain control characters.")
        if bool(self.userid) != bool(self.password):
            raise InvalidValue("CHAP needs both a user name and a secret (or neither, to turn it off).")
        if bool(self.mutual_userid) != bool(self.mutual_password):
            raise InvalidValue("Mutual CHAP needs both the target's user name and its secret.")
        if self.mutual_userid and not self.userid:
            raise InvalidValue("Mutual CHAP needs one-way CHAP too: the initiator authenticates first.")
        if self.userid:
            check_chap_user(_text(self.userid, "CHAP user name"))
            _secret(self.password, "CHAP secret")
            if self.userid == "NULL":
                raise InvalidValue("'NULL' cannot be a CHAP user name: LIO reads it as 'no value'.")
        if self.mutual_userid:
            check_chap_user(_text(self.mutual_userid, "CHAP user name"))
            _secret(self.mutual_password, "mutual CHAP secret")
            if self.mutual_userid == "NULL":
                raise InvalidValue("'NULL' cannot be a CHAP user name: LIO reads it as 'no value'.")

    @property
    def enabled(self) -> bool:
        return bool(self.userid)

    @property
    def mutual(self) -> bool:
        return bool(self.mutual_userid)

    def summary(self) -> str:
        if self.mutual:
            return f"mutual CHAP (user {self.userid}, target user {self.mutual_userid})"
        if self.enabled:
            return f"CHAP (user {self.userid})"
        return "no CHAP"

    def warnings(self) -> list[str]:
        """What initiators commonly refuse, for the form to show (LIO itself accepts it)."""
        out = []
        for what, secret in (("secret", self.password), ("mutual secret", self.mutual_password)):
            if secret and not 12 <= len(secret) <= 16:
                out.append(f"The {what} has {len(secret)} characters: Windows initiators accept only 12 to 16.")
        if self.mutual and self.password == self.mutual_password:
            out.append("The mutual secret equals the initiator's secret: RFC 7143 requires them to differ.")
        return out

    def files(self) -> dict[str, str]:
        """The four ``auth/`` files as rtslib-fb writes them ('' clears a value)."""
        return {
            "userid": self.userid,
            "password": self.password,
            "userid_mutual": self.mutual_userid,
            "password_mutual": self.mutual_password,
        }

    def targetcli_args(self) -> str:
        def show(value: str, secret: bool) -> str:
            if not value:
                return "''"
            return "<secret>" if secret else value

        return (f"userid={show(self.userid, False)} password={show(self.password, True)} "
                f"mutual_userid={show(self.mutual_userid, False)} "
                f"mutual_password={show(self.mutual_password, True)}")


NO_CHAP = Chap()


def chap_of(auth) -> Chap:
    """The credentials a :class:`~sanctl.model.Auth` holds as a Chap (not re-validated: they exist already).

    What a form showed, for its change's ``expect``; ``None`` is "no CHAP".
    """
    if auth is None:
        return NO_CHAP
    chap = object.__new__(Chap)
    for name, value in (("userid", auth.userid or ""), ("password", _reveal(auth.password)),
                        ("mutual_userid", auth.mutual_userid or ""),
                        ("mutual_password", _reveal(auth.mutual_password))):
        object.__setattr__(chap, name, value)
    return chap


def _reveal(secret) -> str:
    if secret is None:
        return ""
    return secret.reveal() if hasattr(secret, "reveal") else str(secret)


def _check_expect_chap(expect) -> None:
    if expect is not None and not isinstance(expect, Chap):
        raise InvalidValue("The credentials shown must be CHAP credentials.")


def _check_chap_change(change, *, fabric: str | None = None) -> None:
    """What every CHAP change checks: a fabric that has CHAP (iSCSI), credentials, and what the form showed."""
    if fabric is not None and fabric != "iscsi":
        raise InvalidValue(f"The {fabric} fabric has no CHAP.")
    if not isinstance(change.chap, Chap):
        raise InvalidValue("CHAP credentials are required.")
    _check_expect_chap(change.expect)


def chap_difference(shown: Chap, now: Chap) -> str:
    """What differs between two sets of credentials, secrets never written out."""
    parts = []
    for name, label in (("userid", "user name"), ("mutual_userid", "mutual user name")):
        a, b = getattr(shown, name), getattr(now, name)
        if a != b:
            parts.append(f"{label} {a or '(none)'} -> {b or '(none)'}")
    for name, label in (("password", "secret"), ("mutual_password", "mutual secret")):
        a, b = getattr(shown, name), getattr(now, name)
        if a != b:
            parts.append(f"{label} {'changed' if a and b else ('set' if b else 'cleared')}")
    return ", ".join(parts) or "nothing"
