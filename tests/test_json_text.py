"""sanctl.json_text writes what json.dumps(indent=2, sort_keys=True) writes, for any JSON value."""

import json

from hypothesis import given
from hypothesis import strategies as st

from sanctl.json_text import dumps

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
keys = st.text() | st.integers()
values = st.recursive(
    scalars,
    lambda children: st.lists(children) | st.tuples(children, children) | st.dictionaries(keys, children),
)


@given(values)
def test_same_text_as_the_standard_library(value):
    try:
        expected = json.dumps(value, indent=2, sort_keys=True)
    except (TypeError, ValueError) as exc:  # mixed key types: the same refusal
        try:
            dumps(value)
        except type(exc):
            return
        raise AssertionError("json.dumps refused, dumps did not")
    assert dumps(value) == expected


def test_a_saveconfig_shaped_document():
    document = {"storage_objects": [{"name": "ora-ocr-1", "attributes": {"block_size": 512, "wwn": "x\u00e9\"y"},
                                     "alua_tpgs": [], "write_back": False, "size": None}],
                "targets": [], "fabric_modules": [{"name": "iscsi", "discovery_enable_auth": True}]}
    assert dumps(document) == json.dumps(document, indent=2, sort_keys=True)
