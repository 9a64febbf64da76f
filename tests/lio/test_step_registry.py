"""Every change type has a step in every writer: the planner plans it, the
rtslib-fb writer and the demo's simulated kernel carry it out.

Writers dispatch through their :class:`~sanctl.lio.steps.StepTable`, not by
method name, so these tests are what says a new change type is complete.
"""

import inspect
import sys

import pytest

from sanctl.lio import changes as C
from sanctl.lio import rtslib_writer, writer
from sanctl.lio.planner import SETTING_PLANS
from sanctl.lio.steps import StepTable
from sanctl.sim import writer as sim_writer


def _primitive_types() -> list[type]:
    """Every concrete change class in sanctl, the writer's internal steps included.

    ``dataclass(slots=True)`` replaces a class by a new one, so a subclass
    counts only if its module holds it under its name.
    """
    found, todo = set(), [C.Change]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            todo.append(sub)
            if (sub.__module__.startswith("sanctl.") and not sub.__name__.startswith("_")
                    and getattr(sys.modules[sub.__module__], sub.__name__, None) is sub):
                found.add(sub)
    return sorted(found, key=lambda c: c.__name__)


def test_the_change_types_are_found():
    names = {c.__name__ for c in _primitive_types()}
    assert {"CreateBlock", "SetAclAuth", "DeletePortal", "CreateBackingFile", "RemoveBackingFile"} <= names
    assert {c.__name__ for c in C.all_change_types()} <= names


def test_the_planner_plans_every_change_type():
    missing = writer.PLANS.missing(C.all_change_types())
    assert not missing, f"the planner has no step for: {', '.join(missing)}"


@pytest.mark.parametrize("table", [rtslib_writer.STEPS, sim_writer.STEPS], ids=["rtslib", "demo"])
def test_every_writer_has_a_step_for_every_change_type(table):
    missing = table.missing(_primitive_types())
    assert not missing, f"the {table.writer} writer has no step for: {', '.join(missing)}"


@pytest.mark.parametrize("table", [SETTING_PLANS, rtslib_writer.SETTINGS, sim_writer.SETTINGS],
                         ids=["planner", "rtslib", "demo"])
def test_every_writer_writes_a_setting_of_every_kind_of_object(table):
    """One change (SetSetting) writes every setting; each writer finds its object by the reference's kind."""
    missing = table.missing(C.SETTING_OWNERS)
    assert not missing, f"{table.writer} has no step for a setting of: {', '.join(missing)}"


def test_a_table_lists_what_it_lacks_and_refuses_two_steps_for_one_type():
    table = StepTable("test")

    @table.step(C.CreateBlock, C.CreateRamdisk)
    def create(self, change):
        return change

    assert table.find(C.CreateBlock) is create
    assert table.find(C.CreateFileio) is None
    assert table.missing([C.CreateFileio, C.CreateBlock, C.DeleteLun]) == ["CreateFileio", "DeleteLun"]
    with pytest.raises(TypeError, match="CreateBlock has two steps"):
        table.step(C.CreateBlock)(create)


def test_a_change_without_a_step_is_refused_not_guessed(tmp_path):
    """A change type no table knows stops the plan with its name (nothing is looked up by name)."""
    from dataclasses import dataclass

    @dataclass(frozen=True, slots=True)
    class Unknown(C.SetTpgEnabled):
        pass

    from sanctl.model import SanConfig

    planner = writer.Planner(writer.Writer(str(tmp_path)), SanConfig(str(tmp_path)))
    with pytest.raises(writer.PreconditionFailed, match="cannot apply Unknown"):
        planner.plan(Unknown("iqn.2003-01.org.example:t", 1))


def _self_names(function) -> tuple[set[str], set[str]]:
    """The attributes ``function`` reads from ``self``, and those it sets on it."""
    import dis

    read, written = set(), set()
    code = list(dis.get_instructions(function))
    for first, second in zip(code, code[1:]):
        if first.opname == "LOAD_FAST" and first.argval == "self":
            if second.opname in ("LOAD_ATTR", "LOAD_METHOD"):
                read.add(second.argval)
            elif second.opname == "STORE_ATTR":
                written.add(second.argval)
    return read, written


@pytest.mark.parametrize("writer_class, tables", [
    (rtslib_writer.RtslibWriter, [rtslib_writer.STEPS, rtslib_writer.SETTINGS]),
    (sim_writer.SimWriter, [sim_writer.STEPS, sim_writer.SETTINGS]),
], ids=["rtslib", "demo"])
def test_every_step_calls_only_what_its_writer_has(writer_class, tables):
    """A step that calls a helper its writer lost fails here, not only on the real kernel."""
    methods = [m for cls in writer_class.__mro__ for m in vars(cls).values()]
    functions = [inspect.unwrap(getattr(m, "__func__", m)) for m in methods]  # session() is a context manager
    written = set().union(*(_self_names(f)[1] for f in functions if hasattr(f, "__code__")))
    for table in tables:
        for kind in table.types():
            step = table.find(kind)
            missing = {name for name in _self_names(step)[0] if not hasattr(writer_class, name)} - written
            assert not missing, f"{table.writer}: the step for {kind.__name__} calls {sorted(missing)}"
