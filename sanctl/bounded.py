"""Numbers, JSON and arguments from outside, parsed so that no input can crash the parser.

``int()`` of a string of more than 4,300 digits raises ``ValueError`` and
``json.loads`` of deeply nested brackets ``RecursionError``; a file can
also simply be too big to hold in memory twice. Every number, JSON
document and command-line argument that comes from a file, a log, another
program or the operator goes through here and fails, when it fails, with
:class:`OutsideDataError` — a ``ValueError`` carrying a sentence.

No Textual here.
"""

from __future__ import annotations

from sanctl.errors import SanctlError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: every command imports this module
if TYPE_CHECKING:
    from typing import Any

#: Digits of the longest number anything sanctl reads can hold (a 128-bit counter has 39).
MAX_DIGITS = 40
#: Nesting of the deepest JSON sanctl itself writes or reads from others is under 10.
MAX_JSON_DEPTH = 64
#: The default size limit of a JSON document (state files, one journal entry).
MAX_JSON_BYTES = 4 << 20


class OutsideDataError(SanctlError, ValueError):
    """Text from outside that is not what it should be; ``str()`` says why."""


def parse_int(text: str | bytes, base: int = 10, *, max_digits: int = MAX_DIGITS) -> int:
    """``int(text, base)``, refusing more than ``max_digits`` digits. Raises OutsideDataError."""
    if isinstance(text, bytes):
        text = text.decode("ascii", "replace")
    stripped = text.strip()
    if len(stripped) > max_digits + 1 and len(stripped.lstrip("+-").lstrip("0").replace("_", "")) > max_digits:
        raise OutsideDataError(f"a number of more than {max_digits} digits")
    try:
        return int(stripped, base)
    except ValueError:
        shown = stripped if len(stripped) <= 20 else stripped[:19] + "…"
        raise OutsideDataError(f"not a number: {shown!r}") from None


def int_or_none(text: str | bytes | None, base: int = 10) -> int | None:
    """The number, or ``None`` for a missing, empty, malformed or overlong one."""
    if text is None:
        return None
    try:
        return parse_int(text, base)
    except OutsideDataError:
        return None


def _depth_at_most(value: Any, limit: int) -> bool:
    """Whether ``value`` nests no deeper than ``limit`` containers (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return False
        for child in children:
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
    return True


def load_json(raw: str | bytes, *, max_bytes: int = MAX_JSON_BYTES, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """A JSON document from outside. Raises OutsideDataError (too big, too deep, not JSON, not UTF-8)."""
    if len(raw) > max_bytes:
        raise OutsideDataError(f"larger than {max_bytes} bytes")
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise OutsideDataError("not UTF-8 text") from None
    import json  # here, not at the top: every command imports this module, few read JSON (start-up time)

    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise OutsideDataError(f"not valid JSON (line {exc.lineno}: {exc.msg})") from None
    except RecursionError:
        raise OutsideDataError(f"nested more than {max_depth} levels deep") from None
    except ValueError as exc:  # an overlong number
        raise OutsideDataError(f"not valid JSON ({exc})") from None
    if not _depth_at_most(value, max_depth):
        raise OutsideDataError(f"nested more than {max_depth} levels deep")
    return value


def read_json_file(path: str, *, max_bytes: int = MAX_JSON_BYTES, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """A JSON file from outside, read no further than ``max_bytes``. Raises OSError or OutsideDataError."""
    with open(path, "rb") as handle:
        raw = handle.read(max_bytes + 1)
    return load_json(raw, max_bytes=max_bytes, max_depth=max_depth)


def invalid_argument(argv: list[str]) -> str | None:
    """The first argument that is not valid UTF-8 (``surrogateescape``-decoded bytes), shown escaped."""
    for arg in argv:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            return arg.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return None
