"""The wizard's steps as FormSpecs: every field's check takes any text, and validate refuses with the same words.

Property tests (hypothesis, no cap on the text): a field's ``parse`` either
returns a normalised value or raises :class:`InvalidValue` — never another
exception; a flag gives a bool, a select one of its choices. Then the one
source of truth: for any text, the step's check (:mod:`sanctl.setup.validate`)
refuses a value with the sentence its field's check gives.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sanctl.forms.spec import BOOL, SECRET, SELECT, TEXT, FormSpec, evaluate
from sanctl.host.protocol import Capabilities
from sanctl.model import SanConfig
from sanctl.names import InvalidValue
from sanctl.setup import fields as F
from sanctl.setup.answers import STEPS, Answers, Client, StorageItem
from sanctl.setup.context import SetupContext
from sanctl.setup.presets import ORDER
from sanctl.setup.validate import check_access, check_portal, check_preset, check_storage, check_target

#: A host with nothing configured, one address, an RDMA NIC (so every field is offered); no reads behind it.
CTX = SetupContext(capabilities=Capabilities(True, True, True, True, False), host="san01",
                   config=SanConfig(root="/"), addresses=("0.0.0.0", "192.0.2.10"), rdma=True)

#: Answers that between them show every field of every step.
SHAPES = (
    Answers(storage=[StorageItem("block", "a", dev="/dev/sdb"), StorageItem("fileio", "b", file="/srv/b.img"),
                     StorageItem("ramdisk", "c", size="1G")],
            clients=[Client("web01", "iqn.2024-01.com.example:web01"), Client()], chap=True, mutual=True),
    Answers(demo_mode=True),
    *(Answers(preset=key) for key in ORDER),
)


def _every_field() -> dict[str, F.Field]:
    found: dict[str, F.Field] = {}
    for answers in SHAPES:
        for step in STEPS:
            form = F.step_form(step, answers, CTX)
            for f in form.fields if form is not None else ():
                # one per kind of input: storage.0.size of a file and of a ramdisk differ, as do the presets' block sizes
                found.setdefault(f"{step}:{f.name.split('__')[-1]}:{f.placeholder}:{[c.value for c in f.choices]}", f)
    return found


FIELDS = _every_field()
#: Text that looks like what each field takes (digits and units, addresses, IQNs), and anything at all.
TEXTS = st.one_of(
    st.text(),
    st.from_regex(r"\A\s*\d+(\.\d+)?\s*[kKmMgGtTpPeE]?(i?[bB])?\s*\Z"),
    st.from_regex(r"\A(iqn|eui|naa)\.[0-9a-z.:-]*\Z"),
    st.from_regex(r"\A\[?[0-9a-fA-F:.]+\]?\Z"),
    st.from_regex(r"\A/[^\x00]*\Z"),
)


def test_every_step_that_asks_something_is_a_form_and_the_others_are_not():
    for step in STEPS:
        form = F.step_form(step, SHAPES[0], CTX)
        assert (form is not None) == (step in F.FORM_STEPS), step
        if form is not None:
            assert isinstance(form, FormSpec) and form.confirm == "Next"
    assert {f.kind for f in FIELDS.values()} == {TEXT, SECRET, BOOL, SELECT}
    assert len(FIELDS) >= 25  # every answer of the five input steps, and the show-secrets flags


@pytest.mark.parametrize("name", sorted(FIELDS))
@given(text=TEXTS)
@settings(deadline=None)  # no timing: a loaded CI machine is slow, not wrong
def test_a_field_takes_any_text_and_gives_a_value_or_the_reason(name, text):
    f = FIELDS[name]
    try:
        value = f.parse(text)
    except InvalidValue as exc:
        assert str(exc).strip()  # a sentence to show under the field
        return
    if f.kind == BOOL:
        assert value is bool(text)
    elif f.kind == SELECT:
        assert value in {c.value for c in f.choices}
    elif isinstance(value, str):
        assert f.parse(value) == value  # normalised: checking it again changes nothing
    elif isinstance(value, int):
        assert 0 < value <= 1024**6, value  # a size in bytes or a TCP port
    else:
        assert value is None and not f.required and not text.strip()


@pytest.mark.parametrize("name", sorted(n for n, f in FIELDS.items() if f.kind == SELECT))
def test_a_select_takes_each_of_its_choices_and_nothing_else(name):
    f = FIELDS[name]
    for choice in f.choices:
        assert F.answer_value(f, choice.value) == choice.value
    with pytest.raises(InvalidValue):
        F.answer_value(f, "not-a-choice")


def test_what_the_answers_keep_of_an_input():
    assert F.answer_value(F.THIN, 1) is True and F.answer_value(F.THIN, 0) is False
    assert F.answer_value(F.TARGET, "iqn.2024-13.Bad") == "iqn.2024-13.Bad"  # kept as typed, refused by the check
    assert F.answer_value(F.FILE_SIZE, " 10G ") == " 10G "


def test_a_size_too_long_for_a_float_is_refused_not_a_crash():
    # was OverflowError (float('1' * 400) is infinite): a traceback in the wizard's Size field
    for f in (F.FILE_SIZE, F.RAMDISK_SIZE):
        with pytest.raises(InvalidValue, match="larger than any device"):
            f.parse("1" * 400 + "G")
    assert "larger than any device" in check_storage(
        CTX, Answers(storage=[StorageItem("ramdisk", "r", size="9" * 400)])).errors["storage.0.size"]


def test_field_names_are_answer_keys_and_back():
    for answers in SHAPES:
        for step in F.FORM_STEPS:
            for f in F.step_form(step, answers, CTX).fields:
                key = F.answer_key(f.name)
                assert F.field_name(key) == f.name and "__" not in key
                assert F.field_for(F.step_form(step, answers, CTX), key) is not None


def test_a_step_form_starts_from_the_answers_and_evaluates_them():
    answers = SHAPES[0]
    form = F.step_form("storage", answers, CTX)
    assert form.field("storage__2__size").default == "1G" and form.field("storage__0__dev").default == "/dev/sdb"
    assert [title for title, _ in F.sections(form.fields)] == ["Disk 1 → LUN 0", "Disk 2 → LUN 1", "Disk 3 → LUN 2"]
    result = evaluate(form, form.defaults())
    assert result.errors == {}
    assert result.result["storage.2.size"] == 1024**3 and result.result["storage.0.dev"] == "/dev/sdb"
    bad = evaluate(form, {**form.defaults(), "storage__1__name": "a/b"})
    assert "'/'" in bad.errors["storage__1__name"]


def test_what_a_step_shows_follows_the_answers():
    def names(step, answers, **options):
        return [f.name for f in F.step_form(step, answers, CTX, **options).fields]

    assert names("access", Answers(demo_mode=True)) == ["demo_mode", "demo_write_protect", "clients__0__label",
                                                        "clients__0__initiator"]
    assert "clients__0__chap_secret" not in names("access", Answers(chap=False))
    assert names("access", Answers(chap=True))[-3:] == ["chap", "mutual", "show_secrets"]
    assert names("client", Answers(chap=True)) == ["show_secrets"] and names("client", Answers()) == []
    no_rdma = SetupContext(capabilities=CTX.capabilities, host="san01", config=CTX.config, rdma=False)
    assert [f.name for f in F.step_form("portal", Answers(), no_rdma).fields] == ["address", "port"]
    esxi = F.step_form("preset", Answers(preset="esxi"), CTX).field("block_size")
    assert [c.value for c in esxi.choices] == ["512"]


# ---------------------------------------------------------------------------
# one source of truth: validate refuses with the field's own sentence
# ---------------------------------------------------------------------------


def _reason(f: F.Field, text: str, *, select: bool = False) -> str | None:
    try:
        f.check(text) if select else f.parse(text)  # a select's blank is validated by its check, as a state file's
    except InvalidValue as exc:
        return str(exc)
    return None


@given(text=TEXTS)
@settings(deadline=None)  # no timing: a loaded CI machine is slow, not wrong
def test_validate_refuses_a_target_an_address_and_a_port_as_their_fields_do(text):
    assert check_target(CTX, Answers(target=text)).errors.get("target") == _reason(F.TARGET, text)
    portal = check_portal(CTX, Answers(address="0.0.0.0", port=text))
    assert portal.errors.get("port") == _reason(F.PORT, text)
    reason = _reason(F.ADDRESS, text)
    if reason is not None:
        assert check_portal(CTX, Answers(address=text)).errors["address"] == reason


@given(text=TEXTS)
@settings(deadline=None)  # no timing: a loaded CI machine is slow, not wrong
def test_validate_refuses_a_disk_as_its_fields_do(text):
    for item, key, f in ((StorageItem("ramdisk", text, size="1G"), "name", F.BACKSTORE_NAME),
                         (StorageItem("ramdisk", "r", size=text), "size", F.RAMDISK_SIZE),
                         (StorageItem("block", "b", dev=text), "dev", F.DEVICE),
                         (StorageItem("fileio", "f", file=text), "file", F.FILE)):
        reason = _reason(f, text)
        if reason is not None:
            assert check_storage(CTX, Answers(storage=[item])).errors[f"storage.0.{key}"] == reason


@given(text=TEXTS)
@settings(deadline=None)  # no timing: a loaded CI machine is slow, not wrong
def test_validate_refuses_a_client_and_chap_as_their_fields_do(text):
    client = Client(text, "iqn.2024-01.com.example:a", text, text)
    check = check_access(CTX, Answers(clients=[client], chap=True, mutual=True, mutual_user=text,
                                      mutual_secret=text + "x"))
    for key, f in (("clients.0.label", F.LABEL), ("clients.0.chap_user", F.CHAP_USER),
                   ("clients.0.chap_secret", F.CHAP_SECRET), ("mutual_user", F.MUTUAL_USER)):
        assert check.errors.get(key) == _reason(f, text), key
    initiator = check_access(CTX, Answers(clients=[Client("a", text)])).errors.get("clients.0.initiator")
    if text.strip():
        assert initiator == _reason(F.INITIATOR, text)


@given(text=TEXTS)
@settings(deadline=None)  # no timing: a loaded CI machine is slow, not wrong
def test_validate_refuses_a_block_size_as_the_presets_field_does(text):
    for key in ORDER:
        f = F.step_form("preset", Answers(preset=key), CTX).field("block_size")
        check = check_preset(CTX, Answers(preset=key, block_size=text))
        assert check.errors.get("block_size") == _reason(f, text, select=True)
