"""Why a login was refused, once per attempt: LIO's lines, iscsid's words and the login counters together.

A refused login shows as several lines — LIO's cause ("… is not authorized",
"CHAP user or password not set", "Security negotiation failed."), its closing
"iSCSI Login negotiation failed.", the initiator's 1020, iscsid's "login
rejected" — and as two steps of LIO's counters. :class:`sanctl.live.events.EventLog`
folds them into one incident per attempt; this module names the causes the
operator acts on and reads saved lines and counters into attempts (what the
kernel tier checks against the real kernel). No Textual here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sanctl.iscsi_errors import message_kind
from sanctl.kernel_log import parse_line
from sanctl.live.events import LOGIN_KINDS, EventLog, Incident

#: The incident kind that says why, and the cause's short name.
CAUSES: Mapping[str, str] = {
    "target_security_failed": "wrong_secret",
    "target_chap_user_mismatch": "wrong_user",
    "login_mutual_failed": "mutual_secret_wrong",
    "target_auth_required": "chap_required_not_offered",
    "target_chap_not_set": "chap_offered_none_set",
    "target_not_authorized": "no_acl",
    "target_no_tpg": "tpg_disabled",
    "target_not_found": "unknown_target",
    "target_negotiation_failed": "negotiation_failed",
    "target_login_failure": "counted_only",
}


@dataclass(frozen=True, slots=True)
class Attempt:
    """One refused login and its cause."""

    cause: str
    incident: Incident

    @property
    def title(self) -> str:
        return message_kind(self.incident.kind).title

    @property
    def fix(self) -> str:
        return message_kind(self.incident.kind).fix


def attempts(incidents: Iterable[Incident]) -> list[Attempt]:
    """The refused logins among incidents, each with its cause."""
    return [Attempt(CAUSES[i.kind], i) for i in incidents if i.kind in LOGIN_KINDS or i.kind == "target_login_failure"]


def classify(lines: Iterable[str], before: Mapping[str, str] | None = None,
             after: Mapping[str, str] | None = None) -> list[Attempt]:
    """Saved log lines (dmesg, iscsid, journal) and LIO's login statistics before and after (the
    ``fabric_statistics`` files by relative path) as refused logins, one per attempt."""
    log = EventLog()
    events = [e for e in (parse_line(line, boot_wall=0.0) for line in lines) if e is not None]
    log.add(events)
    if before is not None and after is not None:
        from sanctl.live.sampler import refused_logins
        from sanctl.lio.live import TargetStats

        def stats(files: Mapping[str, str]) -> TargetStats:
            def number(name: str) -> int:
                try:
                    return int(files.get(name, "0"))
                except ValueError:
                    return 0
            return TargetStats(login_fails=number("iscsi_tgt_attr/login_fails"),
                               authorize_fails=number("iscsi_login_stats/authorize_fails"),
                               authenticate_fails=number("iscsi_login_stats/authenticate_fails"),
                               negotiate_fails=number("iscsi_login_stats/negotiate_fails"),
                               other_fails=number("iscsi_login_stats/other_fails"))

        counted = refused_logins(stats(after)) - refused_logins(stats(before))
        times = [e.wall for e in events if e.wall is not None]
        for _ in range(max(0, counted)):
            log.add_derived("target_login_failure", max(times) if times else 0.0,
                            message="a refused login, counted by LIO",
                            initiator=after.get("iscsi_tgt_attr/fail_intr_name"))
    return attempts(log.incidents)
