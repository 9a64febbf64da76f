"""A form's warnings joined by what the doctor would newly warn about once it is applied."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sanctl.doctor import before_commit
from sanctl.doctor.facts import HostFacts
from sanctl.forms.context import Context
from sanctl.forms.spec import FormSpec
from sanctl.names import InvalidValue


def with_doctor(ctx: Context, spec: FormSpec, facts: HostFacts) -> FormSpec:
    """``spec`` whose warnings also say what the doctor would newly warn about once it is applied.

    Demo mode with write access, iSER without an RDMA device, one backstore written through two
    targets: :func:`sanctl.doctor.before_commit.warnings` runs the doctor's own rules on the
    configuration the form's changes make (``facts``: what the rules know of the host, read
    beforehand by :func:`sanctl.ui.forms.gather.doctor_facts`). A chooser's next form gets the same.
    """
    own_warnings, own_build = spec.warnings, spec.build

    def build(values: dict[str, Any]) -> Any:
        result = own_build(values)
        return with_doctor(ctx, result, facts) if isinstance(result, FormSpec) else result

    def warnings(values: dict[str, Any]) -> list[str]:
        out = list(own_warnings(values)) if own_warnings is not None else []
        try:
            changes = own_build(values)
        except InvalidValue:
            return out
        if isinstance(changes, (list, tuple)) and changes:
            out.extend(w for w in before_commit.warnings(ctx.config, changes, facts) if w not in out)
        return out

    return replace(spec, build=build, warnings=warnings)
