"""What an iscsiadm failure becomes: one exception family and the words that explain it.

Every failure is an :class:`IscsiadmError` carrying the exit code, a plain
message, what to do (from :mod:`sanctl.initiator.exit_codes`) and
iscsiadm's own words; :func:`error_for` maps a finished call to it, and
:func:`timeout_hint` says what a call that hung probably met.
No Textual here.
"""

from __future__ import annotations

from sanctl.errors import SanctlError
from sanctl.initiator.exit_codes import explain
from sanctl.initiator.iscsiadm_arguments import mask_command
from sanctl.initiator.iscsiadm_records import Completed, PortalLogin

PACKAGE_HINT = (
    "Install open-iscsi: apt install open-iscsi (Debian/Ubuntu), "
    "dnf install iscsi-initiator-utils (RHEL/Fedora), zypper install open-iscsi (SUSE)."
)


class IscsiadmError(SanctlError):
    """iscsiadm failed, or could not be run; ``str()`` is the plain message.

    ``code`` is iscsiadm's exit status (``None`` when it did not exit by
    itself: not installed, or killed after its deadline); ``hint`` says what to
    do; ``stderr`` is iscsiadm's own complaint; ``command`` the command line
    with secrets masked.
    """

    def __init__(self, code: int | None, message: str, hint: str = "", stderr: str = "",
                 command: str = "", stdout: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint
        self.stderr = stderr
        self.stdout = stdout
        self.command = command

    @property
    def details(self) -> list[str]:
        """iscsiadm's stderr lines without the ``iscsiadm: `` prefix."""
        return [line.removeprefix("iscsiadm: ").strip() for line in self.stderr.splitlines() if line.strip()]

    def explain(self) -> str:
        """Message, hint and iscsiadm's own words, one per line (for a terminal or an error pane)."""
        lines = [self.message]
        if self.hint:
            lines.append(self.hint)
        lines.extend(f"iscsiadm: {line}" for line in self.details)
        return "\n".join(lines)


class LoginFailed(IscsiadmError):
    """A login failed on at least one portal. ``logged_in`` lists the portals it worked on
    (a multi-portal login goes on after a failure), ``failures`` each failed portal with its code."""

    logged_in: tuple[PortalLogin, ...] = ()
    failures: tuple[tuple[PortalLogin, int], ...] = ()


class IscsiadmNotFound(IscsiadmError):
    """The iscsiadm binary is not installed (or not where we looked)."""


class IscsiadmTimeout(IscsiadmError):
    """iscsiadm did not finish in time and was killed."""

    def __init__(self, seconds: float, hint: str, stderr: str = "", command: str = "", stdout: str = "") -> None:
        super().__init__(None, f"iscsiadm did not answer within {seconds:g} s and was stopped.", hint,
                         stderr, command, stdout)
        self.seconds = seconds


_TIMEOUT_HINTS = {
    "discovery": ("The portal may be unreachable or a firewall may be dropping TCP port 3260 "
                  "(a refused port fails at once; a dropped one hangs). Check the address and the network. "
                  "A stuck iscsid hangs too: systemctl status iscsid."),
    "login": ("The portal may be unreachable or a firewall may be dropping TCP port 3260; iscsid retries a "
              "login for about 2 minutes. The pending login was cancelled."),
    "logout": "iscsid may be stuck: check systemctl status iscsid and its log.",
}
_QUERY_TIMEOUT_HINT = ("iscsid may be stuck, or another iscsiadm holds the node database lock (/run/lock/iscsi): "
                       "check systemctl status iscsid.")


def timeout_hint(operation: str) -> str:
    """What probably held up a call of ``operation`` that did not finish in time."""
    return _TIMEOUT_HINTS.get(operation, _QUERY_TIMEOUT_HINT)


def error_for(done: Completed, operation: str, command: str = "", code: int | None = None,
           cls: type[IscsiadmError] = IscsiadmError) -> IscsiadmError:
    """The error for a call that ended with ``code`` (its exit status by default): the plain message
    and hint of :mod:`sanctl.initiator.exit_codes` for ``operation``, iscsiadm's words, the masked command."""
    code = done.returncode if code is None else code
    command = command or mask_command(done.args)
    if code < 0:
        return cls(code, f"iscsiadm was killed by signal {-code}.", "", done.stderr, command, done.stdout)
    entry = explain(code, operation, done.stderr)
    return cls(code, entry.message, entry.hint, done.stderr, command, done.stdout)
