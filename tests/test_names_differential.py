"""sanctl's name rules against rtslib-fb's (issue 12, item 10): sanctl refuses everything rtslib-fb refuses.

rtslib-fb's ``normalize_wwn`` is what targetcli and the boot-time
``targetctl restore`` run; a name it refuses is a target that fails to come
back after a reboot. The same corpus goes to the kernel in
tests/kernel/test_names_kernel.py.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sanctl.names import MAX_ISCSI_NAME, InvalidValue, check_iscsi_name

rtslib_utils = pytest.importorskip("rtslib_fb.utils")

ISCSI_WWN_TYPES = ("iqn", "naa", "eui")  # rtslib_fb.fabric.ISCSIFabricModule.wwn_types


def _at(length: int) -> str:
    """A valid-looking IQN of exactly ``length`` bytes."""
    head = "iqn.2024-01.com.example:"
    return head + "a" * (length - len(head))


#: Valid and invalid names, the edges on purpose. tests/kernel/test_names_kernel.py uses it too.
CORPUS = [
    # IQNs
    "iqn.2024-01.com.example:storage", "iqn.2024-01.com.example", "iqn.1993-08.org.debian:01:8f3c2d1a4b5e",
    "iqn.2003-01.org.linux-iscsi.san01.x8664:sn.0123456789ab", "iqn.2024-01.com.example:a.b-c:d",
    "iqn.2024-01.com.example:my_target", "iqn.2024-01.com.my_domain:x", "iqn.2024-01.com.example:_",
    "iqn.2024-01.localhost:target", "iqn.2024-01.localhost", "iqn.2024-01.localhost:a.b",
    "iqn.2024-13.com.example:x", "iqn.2024-00.com.example:x", "iqn.2024-1.com.example:x", "iqn.24-01.com.example:x",
    "iqn.2024-01.com.example:a b", "IQN.2024-01.COM.EXAMPLE:X", "iqn.2024-01.com.Example:x", " iqn.2024-01.com.example:x ",
    "iqn.2024-01..com:x", "iqn.2024-01.com.example:a/b", "iqn.2024-01.com.example:../x", "iqn.2024-01.-com.example:x",
    "iqn.2024-01.com.example:x\n", "iqn.2024-01.com.example:é", "iqn.1969-12.com.example:x",
    _at(MAX_ISCSI_NAME - 1), _at(MAX_ISCSI_NAME), _at(MAX_ISCSI_NAME + 1), _at(255), _at(256),
    # EUI-64
    "eui.0123456789abcdef", "eui.0123456789ABCDEF", "eui.0123456789abcde", "eui.0123456789abcdef0", "eui.g123456789abcdef",
    "eui.01-23-45-67-89-ab-cd-ef",
    # NAA
    "naa.5001405abcdef012", "naa.6001405abcdef012", "naa.3001405abcdef012", "naa.1001405abcdef012",
    "naa.2001405abcdef012", "naa.c001405abcdef012", "naa.f001405abcdef012", "naa.5001405ABCDEF012",
    "naa.60014051234567890123456789abcdef", "naa.5001405abcdef01", "naa.5001405abcdef0123", "naa.5001405abcdef01z",
    "naa.50:01:40:5a:bc:de:f0:12",
    # neither
    "", "iqn.", "eui.", "naa.", "target", "--help", "iqn", "ib.0123456789abcdef0123456789abcdef",
]


def rtslib_refuses(name: str) -> bool:
    try:
        rtslib_utils.normalize_wwn(ISCSI_WWN_TYPES, name)
    except rtslib_utils.RTSLibError:
        return True
    return False


def sanctl_accepts(name: str) -> str | None:
    try:
        return check_iscsi_name(name)
    except InvalidValue:
        return None


def _agrees(name: str) -> None:
    accepted = sanctl_accepts(name)
    if rtslib_refuses(name):
        assert accepted is None, f"sanctl accepts {name!r}, which rtslib-fb refuses"
    if accepted is not None:
        # what sanctl writes passes rtslib-fb too, unchanged, and fits the kernel's 224-byte buffer
        assert rtslib_utils.normalize_wwn(ISCSI_WWN_TYPES, accepted)[0] == accepted
        assert len(accepted.encode()) <= MAX_ISCSI_NAME


@pytest.mark.parametrize("name", CORPUS)
def test_the_corpus(name):
    _agrees(name)


@pytest.mark.parametrize("name", ["iqn.2024-01.com.example:my_target", "iqn.2024-01.com.my_domain:x",
                                  "naa.60014051234567890123456789abcdef", "naa.3001405abcdef012",
                                  "iqn.2024-01.localhost:target", _at(MAX_ISCSI_NAME + 1)])
def test_what_issue_12_found_is_refused_with_a_reason(name):
    with pytest.raises(InvalidValue) as info:
        check_iscsi_name(name)
    assert str(info.value).endswith(".")


def test_the_limits():
    assert sanctl_accepts(_at(MAX_ISCSI_NAME)) == _at(MAX_ISCSI_NAME)
    assert sanctl_accepts(_at(MAX_ISCSI_NAME + 1)) is None


_PIECES = st.text(alphabet="abcdefxyzABCDEF0123456789.:-_ /\\é\n", min_size=0)


@settings(max_examples=400, deadline=None)
@given(st.one_of(
    st.text(),
    st.builds(lambda p, b: p + b, st.sampled_from(["iqn.2024-01.", "iqn.2024-01.com.", "iqn.", "eui.", "naa.",
                                                    "naa.5", "naa.6", "IQN.2024-01.", "iqn.2024-13.", ""]), _PIECES),
    st.builds(lambda n: _at(n), st.integers(min_value=25, max_value=400)),
))
@example("iqn.2024-01.com.example:a_b")
def test_anything(name):
    _agrees(name)
