"""Random names and values never crash a form, and never address a path outside configfs.

Every add and edit form of every node of the demo SAN gets random text
(slashes, dots, brackets, NUL, whitespace, non-ASCII), random switches and
random choices. The form's evaluation must only ever refuse with a reason
(InvalidValue) — never raise — and every change it builds must name one
path inside configfs (``cfs_path``: relative, normalised, no ``..``, under a
known top directory) and describe itself. A sample of the valid results is
applied to a fresh demo SAN by the sim writer: it completes or rolls back,
never raises. One more property drives the real screen with Pilot: random
typing into a form, then confirm, never crashes it, and invalid input writes
nothing.
"""

from __future__ import annotations

import asyncio
import os
import posixpath
import tempfile

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sanctl.model import FABRIC_DIRS
from sanctl.sim.demo import build_demo
from sanctl.sim.writer import SimWriter
from sanctl.lio import changes as C
from sanctl.lio.configfs import read_config
from sanctl.lio.writer import COMPLETED, ROLLED_BACK_ALL
from sanctl.tree import walk
from sanctl.host.demo import DemoHost
from sanctl.ui.forms.gather import gather
from sanctl.forms.actions import add_form, edit_form
from sanctl.forms.spec import BOOL, SELECT, FormSpec, evaluate

TOPS = {"core"} | set(FABRIC_DIRS.values())

#: Text that probes names and paths: separators, traversal, brackets, NUL, spaces, unicode.
NASTY = st.lists(
    st.sampled_from(list("abcXYZ019-_.:/\\[]@+=, \t\n\0%*~é漢") + ["..", "/..", "iqn.", "/dev/", "NULL", "eui."]),
    max_size=24,
).map("".join)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("hyp") / "demo"
    build_demo(root)
    return str(root)


@pytest.fixture(scope="module")
def forms(demo):
    """Every (node path, action, spec) of the demo, choosers expanded one level."""
    (demo_tcmu := os.path.join(demo, "sys/module/target_core_user")) and os.makedirs(demo_tcmu, exist_ok=True)
    config = read_config(demo)
    writer = SimWriter(demo)
    out = []
    for node in walk(config):
        for action in ("add", "edit"):
            ctx = gather(DemoHost(demo), config, node, action, host="san01", backing=writer.backing_file)
            spec = add_form(ctx, node) if action == "add" else edit_form(ctx, node)
            if not isinstance(spec, FormSpec):
                continue
            out.append((node.path, action, spec))
            for f in spec.fields:
                if f.kind == SELECT and spec.confirm == "Next":
                    for choice in f.choices:
                        nxt = spec.build({f.name: choice.value})
                        if isinstance(nxt, FormSpec):
                            out.append((node.path, f"{action}>{choice.value}", nxt))
    assert len(out) > 30
    return out


def safe_cfs_path(path: str) -> bool:
    if not path or path.startswith("/") or "\0" in path or "\n" in path:
        return False
    if posixpath.normpath(path) != path or ".." in path.split("/"):
        return False
    if path.split("/")[0] not in TOPS:
        return False
    base = "/sys/kernel/config/target"
    return posixpath.commonpath([base, posixpath.join(base, path)]) == base


def values_for(spec: FormSpec):
    """A strategy of raw widget values for every field of ``spec``."""
    parts = {}
    for f in spec.fields:
        if f.kind == BOOL:
            parts[f.name] = st.booleans()
        elif f.kind == SELECT:
            parts[f.name] = st.one_of(st.sampled_from([c.value for c in f.choices] or [""]), NASTY, st.none())
        else:
            options = [str(f.default)] + [c.value for c in f.choices]
            parts[f.name] = st.one_of(NASTY, st.sampled_from(options))
    return st.fixed_dictionaries(parts)


def one_field(spec: FormSpec, data) -> dict:
    """The form's defaults with one or two fields given random values (mostly valid forms)."""
    raw = spec.defaults()
    randoms = values_for(spec)
    drawn = data.draw(randoms, label="random values")
    for _ in range(data.draw(st.integers(1, 2), label="fields changed")):
        name = data.draw(st.sampled_from([f.name for f in spec.fields]), label="field")
        raw[name] = drawn[name]
    return raw


def check_result(result) -> None:
    if isinstance(result, FormSpec):
        return
    for change in result:
        assert isinstance(change, C.Change), f"{type(result).__name__}: {type(change).__name__} {change!r:.200}"
        assert safe_cfs_path(change.cfs_path), change.cfs_path
        assert change.describe() and change.targetcli()
        assert change.subject


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_values_never_crash_a_form(forms, data):
    path, action, spec = forms[data.draw(st.integers(0, len(forms) - 1), label="form")]
    if data.draw(st.booleans(), label="all fields random"):
        raw = data.draw(values_for(spec), label=f"{action} {path}")
    else:
        raw = one_field(spec, data)
    ev = evaluate(spec, raw)  # raises only on a bug: InvalidValue is caught and shown
    assert set(ev.errors) <= {f.name for f in spec.fields}
    assert all(isinstance(reason, str) and reason for reason in ev.errors.values())
    event("built" if ev.ok else "refused")
    if ev.ok:
        check_result(ev.result)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_valid_random_forms_apply_or_roll_back(forms, data):
    path, action, spec = forms[data.draw(st.integers(0, len(forms) - 1), label="form")]
    raw = one_field(spec, data)
    ev = evaluate(spec, raw)
    if not ev.ok or isinstance(ev.result, FormSpec):
        event("refused")
        return
    event("applied")
    from sanctl.startup import fast_temp_dir

    with tempfile.TemporaryDirectory(dir=fast_temp_dir()) as tmp:
        root = os.path.join(tmp, "demo")
        build_demo(root)
        os.makedirs(os.path.join(root, "sys/module/target_core_user"))
        report = SimWriter(root, lock_timeout=1).apply(ev.changes)
        assert report.outcome in (COMPLETED, ROLLED_BACK_ALL), "\n".join(report.lines())
        assert "Traceback" not in report.message()
        outside = [p for p in _walk_outside(root) if not p.startswith(("sys/", "srv/", "var/", ".sim", "etc/", "proc/"))]
        assert outside == [], outside


def _walk_outside(root: str) -> list[str]:
    found = []
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            found.append(os.path.relpath(os.path.join(dirpath, name), root))
    return found


# ---------------------------------------------------------------------------
# the real screen
# ---------------------------------------------------------------------------


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=NASTY, secret=NASTY, tag=NASTY)
def test_typing_random_text_into_the_acl_form(tmp_path_factory, name, secret, tag):
    from sanctl.ui.app import SanctlApp
    from sanctl.ui.forms.screen import FormScreen

    from .form_helpers import saved_state
    from .helpers import settle

    root = tmp_path_factory.mktemp("typing") / "demo"
    build_demo(root)
    before = saved_state(root)

    async def run() -> tuple[bool, object]:
        app = SanctlApp(root=str(root), mode="demo", readonly=False, readonly_reason=None, host="san01")
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            assert app.screen.tree.select_path("/iscsi/iqn.2024-01.com.example:web/tpg1/acls")
            await settle(pilot)
            await pilot.press("a")
            await settle(pilot)
            form = app.screen
            assert isinstance(form, FormScreen)
            for field, text in (("initiator", name), ("acl_tag", tag), ("userid", "u"), ("password", secret)):
                widget = form.query_one(f"#field-{field}")
                widget.focus()
                for ch in text:
                    if ch.isprintable():
                        await pilot.press(ch)
                    else:
                        widget.insert_text_at_cursor(ch)
                await pilot.pause()
            valid = form.evaluation.ok
            await pilot.press("ctrl+s")
            await settle(pilot, rounds=5)
            return valid, app.screen_stack[0].writes.last_report

    valid, report = asyncio.run(run())
    if not valid:
        assert report is None
        assert saved_state(root) == before
    else:
        assert report is not None and report.outcome in (COMPLETED, ROLLED_BACK_ALL)
