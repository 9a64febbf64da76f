"""Name, size, port and address rules: clear refusals, no path escapes."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sanctl import names
from sanctl.names import InvalidValue


@pytest.mark.parametrize(
    "iqn",
    [
        "iqn.2024-01.storage.oracle:rac",
        "iqn.1993-08.org.debian:01:8f3c2d1a4b5e",
        "iqn.2003-01.org.linux-iscsi.san01.x8664:sn.0123456789ab",
        "iqn.1991-05.com.microsoft:db01.corp.example.com",
    ],
)
def test_valid_iqns(iqn):
    assert names.check_iqn(iqn) == iqn


@pytest.mark.parametrize(
    ("iqn", "reason"),
    [
        ("", "required"),
        ("iqn.2024-13.com.example:x", "Month 13"),
        ("iqn.24-01.com.example:x", "Not an IQN"),
        ("iqn.2024-01.com.example:a b", "Not an IQN"),
        ("IQN.2024-01.com.example:x", "lower case"),
        ("iqn.2024-01.com.example:../../etc", "Not an IQN"),
        ("iqn.2024-01.com.example:a/b", "Not an IQN"),
        ("--help", "starts with 'iqn.'"),
        ("iqn.2024-01." + "a" * 230, "223 bytes"),
    ],
)
def test_invalid_iqns_say_why(iqn, reason):
    with pytest.raises(InvalidValue, match=reason):
        names.check_iqn(iqn)


def test_eui_and_naa():
    assert names.check_iscsi_name("eui.0123456789ABCDEF") == "eui.0123456789abcdef"
    assert names.check_iscsi_name("naa.5001405abcdef012") == "naa.5001405abcdef012"
    with pytest.raises(InvalidValue, match="16 hexadecimal"):
        names.check_iscsi_name("eui.123")


def test_generated_iqns_are_valid_and_unique():
    first, second = names.generate_iqn(hostname="san01"), names.generate_iqn(hostname="san01")
    assert first != second
    assert names.check_iqn(first) == first
    suggested = names.generate_iqn("rac", hostname="san01.storage.example.com", today=date(2026, 11, 21))
    assert suggested == "iqn.2026-11.com.example.storage.san01:rac"


@pytest.mark.parametrize("bad", ["", "a/b", "..", "a..b", ".hidden", "with space", "tab\tname", "x" * 129, "a\0b", "-opt"])
def test_object_names_refused(bad):
    with pytest.raises(InvalidValue):
        names.check_object_name(bad)


@pytest.mark.parametrize(
    ("text", "size"),
    [("100M", 100 * 1024**2), ("1.5G", 1536 * 1024**2), ("2T", 2 * 1024**4), ("512", 512), ("10GiB", 10 * 1024**3), ("4k", 4096)],
)
def test_sizes(text, size):
    assert names.parse_size(text) == size


@pytest.mark.parametrize("bad", ["12Q", "", "-1G", "0", "G", "1.5", "1e3"])
def test_bad_sizes(bad):
    with pytest.raises(InvalidValue):
        names.parse_size(bad)


@pytest.mark.parametrize("bad", ["0", "70000", "-1", "http", ""])
def test_bad_ports(bad):
    with pytest.raises(InvalidValue):
        names.check_port(bad)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0.0.0.0", "0.0.0.0"), ("192.0.2.10", "192.0.2.10"), ("::1", "[::1]"), ("[::1]", "[::1]"), ("::", "[::0]"), ("[2001:db8::1]", "[2001:db8::1]")],
)
def test_portal_addresses(text, expected):
    assert names.check_portal_address(text) == expected


@pytest.mark.parametrize("bad", ["fe80::1", "300.1.1.1", "host.example", "", "[::1"])
def test_bad_portal_addresses(bad):
    with pytest.raises(InvalidValue):
        names.check_portal_address(bad)


def test_split_portal():
    assert names.split_portal("192.0.2.1") == ("192.0.2.1", 3260)
    assert names.split_portal("192.0.2.1:3261") == ("192.0.2.1", 3261)
    assert names.split_portal("[::1]:3262") == ("[::1]", 3262)
    with pytest.raises(InvalidValue, match="out of range"):
        names.split_portal("192.0.2.1:70000")


def test_chap_secret_rules():
    assert len(names.generate_chap_secret()) == 16
    names.check_chap_secret(names.generate_chap_secret(12))
    with pytest.raises(InvalidValue, match="at least 12"):
        names.check_chap_secret("short")


@given(st.text())
def test_random_text_never_crashes_and_never_escapes(text):
    for check in (names.check_object_name, names.check_iscsi_name, names.parse_size, names.check_port, names.check_portal_address):
        try:
            value = check(text)
        except InvalidValue:
            continue
        if check is names.check_object_name:
            assert "/" not in value and ".." not in value and not value.startswith("-")
        if check is names.check_iscsi_name:
            assert "/" not in value and not value.startswith("-")
