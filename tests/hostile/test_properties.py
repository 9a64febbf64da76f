"""One property per parser of input from outside: it returns a value, or raises sanctl's own error with a
message — never anything else. Strategies in strategies.py; examples bounded by the ``ci`` profile (see
conftest.py; ``SANCTL_HYPOTHESIS_PROFILE=long`` for a local soak)."""

from __future__ import annotations

import json
import os
import tempfile

from hypothesis import given
from hypothesis import strategies as st

from .strategies import (acl_info, any_json, any_text, file_bytes, iscsiadm_output, journal_line,
                         kernel_log_line, number_text, saveconfig_like)


def _file(data: bytes, name: str = "f") -> str:
    directory = tempfile.mkdtemp(prefix="sanctl-prop-")
    path = os.path.join(directory, name)
    with open(path, "wb") as handle:
        handle.write(data)
    return path


# --- numbers --------------------------------------------------------------------------------------


@given(number_text, st.sampled_from([10, 16]))
def test_numbers_from_outside(text, base):
    from sanctl.bounded import OutsideDataError, int_or_none, parse_int

    try:
        value = parse_int(text, base)
    except OutsideDataError as exc:
        assert str(exc)
        assert int_or_none(text, base) is None
    else:
        assert isinstance(value, int) and int_or_none(text, base) == value


# --- the kernel log --------------------------------------------------------------------------------


@given(kernel_log_line)
def test_kmsg_records(line):
    from sanctl.kernel_log import LogEvent, parse_kmsg_record

    assert parse_kmsg_record(line, boot_wall=1e9) is None or isinstance(parse_kmsg_record(line), LogEvent)


@given(kernel_log_line)
def test_dmesg_lines(line):
    from sanctl.kernel_log import LogEvent, parse_dmesg_line

    assert parse_dmesg_line(line) is None or isinstance(parse_dmesg_line(line, boot_wall=0.0), LogEvent)


@given(journal_line)
def test_journal_json(line):
    from sanctl.kernel_log import LogEvent, parse_journal_json

    event = parse_journal_json(line)
    assert event is None or isinstance(event, LogEvent)


@given(kernel_log_line)
def test_iscsid_and_syslog_lines(line):
    from sanctl.kernel_log import LogEvent, parse_line, parse_message, parse_syslog_line

    for event in (parse_syslog_line(line), parse_message(line, source="iscsid"), parse_line(line)):
        assert event is None or isinstance(event, LogEvent)


# --- iscsiadm's outputs ------------------------------------------------------------------------------

PARSERS = ["parse_discovery", "parse_nodes", "parse_records", "parse_discoverydb", "parse_sessions",
           "parse_session_details", "parse_stats", "parse_ifaces", "parse_login_failures"]


@given(iscsiadm_output, st.sampled_from(PARSERS))
def test_each_iscsiadm_output(text, name):
    from sanctl.initiator import iscsiadm

    result = getattr(iscsiadm, name)(text)
    assert result is not None


@given(iscsiadm_output, st.sampled_from(["Login to", "Logout of", "Logging in to"]))
def test_iscsiadm_portal_tuples(text, verb):
    from sanctl.initiator.iscsiadm import parse_portal_tuples

    assert isinstance(parse_portal_tuples(text, verb), list)


# --- LIO's live files ------------------------------------------------------------------------------------


@given(acl_info)
def test_acl_info(text):
    from sanctl.lio.live import AclSession, parse_acl_info

    session = parse_acl_info(text)
    assert session is None or isinstance(session, AclSession)


@given(st.one_of(st.none(), st.binary()))
def test_dynamic_sessions(data):
    from sanctl.lio.live import parse_dynamic_sessions

    assert isinstance(parse_dynamic_sessions(data), tuple)


SESSION_FILES = ["targetname", "tpgt", "state", "target_state", "recovery_tmo", "initiatorname", "ifacename",
                 "creator"]


@given(st.dictionaries(st.sampled_from(SESSION_FILES), st.one_of(st.binary(), number_text.map(
    lambda t: t.encode("utf-8", "surrogatepass")))),
       st.dictionaries(st.sampled_from(["address", "port", "persistent_address", "persistent_port", "local_port",
                                        "state"]), st.binary()))
def test_sysfs_session_files(session_files, connection_files):
    from sanctl.initiator.sysfs import InitiatorLive, read_initiator

    root = tempfile.mkdtemp(prefix="sanctl-prop-")
    session = os.path.join(root, "sys/class/iscsi_session/session1")
    connection = os.path.join(root, "sys/class/iscsi_connection/connection1:0")
    for base, files in ((session, session_files), (connection, connection_files)):
        os.makedirs(base)
        for name, data in files.items():
            with open(os.path.join(base, name), "wb") as handle:
                handle.write(data)
    assert isinstance(read_initiator(root), InitiatorLive)


# --- files: saveconfig.json, setup.json, the doctor's state, themes ----------------------------------------


@given(file_bytes)
def test_saveconfig_files(data):
    from sanctl.lio.savefile import SaveFileError, load_saveconfig

    try:
        loaded = load_saveconfig(_file(data))
    except SaveFileError as exc:
        assert str(exc)
    else:
        assert isinstance(loaded, dict)


@given(saveconfig_like, saveconfig_like, st.one_of(st.none(), any_text))
def test_saveconfig_contents_that_pass_the_loader_can_be_diffed_and_previewed(old, new, target):
    from sanctl.lio.savefile import SaveFileError, check_shape, diff, preview

    for data in (old, new):
        try:
            check_shape(json.loads(json.dumps(data)))
        except SaveFileError as exc:
            assert str(exc).startswith("not a saveconfig file: ")
            return
    diff(old, new)
    preview(old, new, target=target)


@given(file_bytes)
def test_setup_state_files(data):
    from sanctl.setup.state import WizardState, load_state

    notes: list[str] = []
    state = load_state(_file(data, "setup.json"), notes)
    assert state is None or isinstance(state, WizardState)


@given(st.one_of(file_bytes, any_json.map(lambda v: json.dumps({"version": 1, "wall": 1, "counters": v,
                                                                "sessions": v}).encode())))
def test_doctor_state_files(data):
    from sanctl.doctor.observe import LastLook, load_last_look

    notes: list[str] = []
    look = load_last_look(_file(data, "doctor-last-look.json"), notes)
    assert look is None or isinstance(look, LastLook)
    assert look is not None or notes


@given(st.one_of(any_text, st.dictionaries(st.sampled_from(["name", "primary", "secondary", "dark", "variables",
                                                            "foreground", "luminosity_spread"]),
                                           st.one_of(any_text, st.integers(), st.booleans(),
                                                     st.dictionaries(any_text, any_text))).map(
    lambda d: "\n".join(f"{k} = {json.dumps(v) if not isinstance(v, dict) else '{' + ', '.join(f'{json.dumps(a)} = {json.dumps(b)}' for a, b in v.items()) + '}'}" for k, v in d.items()))))
def test_theme_files(text):
    from pathlib import Path

    from textual.theme import Theme

    from sanctl.ui.themes import ThemeFileError, load_theme

    path = Path(_file(text.encode("utf-8", "surrogateescape"), "user.toml"))
    try:
        theme = load_theme(path)
    except ThemeFileError as exc:
        assert str(exc).startswith("user.toml: ")
    else:
        assert isinstance(theme, Theme)
