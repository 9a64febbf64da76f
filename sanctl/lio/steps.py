"""Which method of a writer carries out which change type: one table per writer.

A writer (the planner, the rtslib-fb writer, the demo's simulated kernel)
declares its steps with ``@TABLE.step(ChangeType, …)`` on the method; the
writer dispatches through :meth:`StepTable.find`. Nothing is looked up by
name, so renaming a change class cannot silently leave a writer without its
step, and :meth:`StepTable.missing` lets a test list what a writer lacks.

No Textual, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

Step = Callable[..., Any]


class StepTable:
    """Change type -> the function (an unbound method) that carries it out."""

    def __init__(self, writer: str) -> None:
        self.writer = writer
        self._steps: dict[type, Step] = {}

    def step(self, *types: type) -> Callable[[Step], Step]:
        """Decorator: the function is this writer's step for each of ``types``."""
        if not types:
            raise TypeError("step() needs at least one change type")

        def register(function: Step) -> Step:
            for kind in types:
                if kind in self._steps:
                    raise TypeError(f"{self.writer}: {kind.__name__} has two steps "
                                    f"({self._steps[kind].__name__} and {function.__name__})")
                self._steps[kind] = function
            return function

        return register

    def find(self, kind: type) -> Step | None:
        """The step for exactly ``kind`` (no subclass matching: each type is declared)."""
        return self._steps.get(kind)

    def types(self) -> frozenset[type]:
        return frozenset(self._steps)

    def missing(self, types: Iterable[type]) -> list[str]:
        """The names of ``types`` this table has no step for, sorted."""
        return sorted(kind.__name__ for kind in types if kind not in self._steps)
