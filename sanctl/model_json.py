"""The model as plain JSON values, for ``--json`` output.

Secrets come out masked: JSON output ends up in logs and tickets.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from sanctl.model import Secret, Settings


def to_jsonable(value: Any) -> Any:
    """Dataclasses to dicts, tuples to lists, secrets masked, settings by name."""
    if isinstance(value, Secret):
        return str(value)
    if isinstance(value, Settings):
        out = {}
        for item in value:
            out[item.name] = {"unreadable": item.error} if item.error is not None else item.value
        return out
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: to_jsonable(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.repr
        }
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    return value
