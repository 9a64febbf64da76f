"""Counts and sizes in words (sanctl/words.py): singulars, zero cases, huge sizes, and the places
that used to say "1 sessions", "Map to all 0 ACLs", "1022976 TiB" and "last ? from ? (none)"."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from sanctl import words


def test_plural_singular_zero_and_acronyms():
    assert words.plural(1, "session") == "1 session"
    assert words.plural(2, "session") == "2 sessions"
    assert words.plural(0, "session") == "0 sessions"
    assert words.plural(0, "session", zero="no sessions") == "no sessions"
    assert words.plural(3, "ACL") == "3 ACLs" and words.plural(1, "LUN") == "1 LUN"
    assert words.plural(2, "entry") == "2 entries" and words.plural(2, "index") == "2 indexes"
    assert words.plural(2, "failed login") == "2 failed logins"


def test_every_says_one_or_all_and_nothing_for_none():
    assert words.every(0, "ACL") is None
    assert words.every(1, "ACL") == "the one ACL"
    assert words.every(3, "ACL") == "all 3 ACLs"


def test_size_never_a_seven_digit_tib():
    assert words.size(999 * 1024**5) == "999.0 PiB"
    assert words.size(999 * 1024**5, whole=True) == "999 PiB"
    assert words.size(10 * 1024**3, space=False) == "10.0GiB"
    assert words.size(512) == "512 B"
    assert words.size(None) == "?" and words.size(-1) == "?"
    assert words.size(2**64 - 1) == "16.0 EiB"


@given(st.integers(min_value=0, max_value=2**80))
def test_size_is_at_most_four_digits_and_a_unit(n):
    text = words.size(n)
    number, unit = text.split(" ")
    assert unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")
    assert float(number) < 1024 or unit == "EiB"


def test_a_size_that_rounds_up_to_1024_takes_the_next_unit():
    """Hypothesis found it: 1,073,689,396 bytes are 1023.96 MiB, which one decimal makes 1024.0."""
    assert words.size(1_073_689_396) == "1.0 GiB"
    assert words.size(1023.96 * 1024, space=False) == "1.0MiB"


@given(st.integers(min_value=0, max_value=10**9), st.text(alphabet="abcdefghijklmnopqrstuvwxyzACLUN", min_size=1,
                                                          max_size=12))
def test_plural_is_singular_exactly_for_one(n, word):
    text = words.plural(n, word)
    assert text.startswith(f"{n} ")
    assert (text == f"1 {word}") == (n == 1)


def test_last_failure_leaves_out_what_the_kernel_did_not_record():
    assert words.last_failure("", "", "") == "last one not recorded by the kernel"
    assert "?" not in words.last_failure("", "10.0.0.5", "")
    assert words.last_failure("iqn.x", "10.0.0.5", "authorize", " at 12:00:00") == \
        "last iqn.x from 10.0.0.5 (authorize) at 12:00:00"


# --- the places that said it wrong --------------------------------------------------------------
def test_typed_sizes_in_changes_read_as_their_unit():
    from sanctl.lio.changes import format_size

    assert format_size(999 * 1024**5) == "999 PiB"
    assert format_size(8 * 1024) == "8 KiB"


def _demo_config(tmp_path):
    from sanctl.sim.demo import build_demo
    from sanctl.lio.configfs import read_config

    build_demo(tmp_path / "demo")
    return str(tmp_path / "demo"), read_config(str(tmp_path / "demo"), details=True)


def test_lun_and_acl_forms_say_one_and_offer_nothing_for_none(tmp_path):
    from dataclasses import replace

    from sanctl.sim.demo import RAC_IQN, SCRATCH_IQN, WEB_IQN
    from sanctl.forms.add import acl_form, lun_form
    from sanctl.forms.context import Context

    root, config = _demo_config(tmp_path)
    ctx = Context(config)
    labels = lambda spec: {f.name: f.label for f in spec.fields}  # noqa: E731

    def tpg_of(wwn):
        target = next(t for t in config.fabric("iscsi").targets if t.wwn == wwn)
        return target, target.tpgs[0]

    rac, rac_tpg = tpg_of(RAC_IQN)
    assert labels(lun_form(ctx, rac, rac_tpg, "p"))["map"] == f"Map to all {len(rac_tpg.acls)} ACLs"
    web, web_tpg = tpg_of(WEB_IQN)
    assert len(web_tpg.acls) == 1 and labels(lun_form(ctx, web, web_tpg, "p"))["map"] == "Map to the one ACL"
    scratch, scratch_tpg = tpg_of(SCRATCH_IQN)
    no_acls = replace(scratch_tpg, acls=())
    assert "map" not in labels(lun_form(ctx, scratch, no_acls, "p"))  # was "Map to all 0 ACLs"
    no_luns = replace(scratch_tpg, luns=())
    spec = acl_form(ctx, scratch, no_luns, "p")
    assert "map_all" not in labels(spec)  # was "Map all 0 LUNs"
    changes = spec.build({"initiator": "iqn.2024-01.com.example:new", "acl_tag": None})
    assert changes[0].map_all_luns is False


def test_live_report_last_failure_has_no_question_marks():
    from sanctl.live import report

    line = "  " + words.last_failure("", "", "", lead="last failed login:")
    assert line == "  last failed login: not recorded by the kernel"
    assert "?" not in line and report is not None


def test_no_plural_after_a_count_of_one_in_the_source():
    """Guard: f-strings that put a count before a plural word go through words.plural."""
    import pathlib

    root = pathlib.Path(words.__file__).parent
    pattern = re.compile(r"\{len\([^)]*\)\} (sessions|LUNs|ACLs|targets|errors|paths)\b")
    offenders = [f"{p.relative_to(root)}:{i}" for p in root.rglob("*.py")
                 for i, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line)]
    # doctor/rules_access.py: "written through N targets or TPGs" is reported only for N > 1
    assert [o for o in offenders if not o.startswith("doctor/rules_access.py")] == []


@given(st.text())
def test_printable_text_prints_on_one_line_and_a_replacement_keeps_its_length(text):
    from sanctl.words import printable

    assert printable(text).isprintable()
    replaced = printable(text, replacement="?")
    assert replaced.isprintable() and len(replaced) == len(text)
