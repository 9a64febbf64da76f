"""Words and defaults of the forms an operator used to targetcli reads first (specs, no screen needed)."""

from __future__ import annotations

import pytest

from sanctl.sim.demo import RAC_IQN, build_demo
from sanctl.lio.configfs import read_config
from sanctl.forms.add import acl_form, storage_object_form
from sanctl.forms.context import Context


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    root = tmp_path_factory.mktemp("words") / "demo"
    build_demo(root)
    return Context(read_config(str(root), details=True))


def test_fileio_write_back_says_it_differs_from_targetcli_and_why(ctx):
    form = storage_object_form(ctx, "fileio", "/backstores/fileio")
    field = next(f for f in form.fields if f.name == "write_back")
    assert field.default is False
    assert "targetcli" in field.help and "unlike" in field.help and "crash" in field.help


def test_fileio_path_placeholder_is_not_open_iscsis_database(ctx):
    form = storage_object_form(ctx, "fileio", "/backstores/fileio")
    placeholder = next(f for f in form.fields if f.name == "file").placeholder
    assert not placeholder.startswith("/var/lib/iscsi")
    assert placeholder.startswith(("/var/lib/target/", "/srv/iscsi/"))


def test_authentication_0_says_lio_still_checks_offered_chap(ctx):
    target = next(t for t in ctx.config.fabric("iscsi").targets if t.wwn == RAC_IQN)
    tpg = target.tpgs[0]
    assert not tpg.authentication
    form = acl_form(ctx, target, tpg, "p")
    said = " ".join(form.warnings({"initiator": "iqn.2024-01.com.example:x", "userid": "u1", "password": "secret-123456",
                                   "mutual_userid": "", "mutual_password": ""}))
    assert "not checked" not in said
    assert "offers CHAP is still checked" in said
