"""Counts and sizes in words, the same way on every screen and in every command.

One place decides "1 session" / "2 sessions" / "no sessions" and "999.0 PiB",
so no screen says "1 sessions", "Map to all 0 ACLs" or "1022976 TiB".
No Textual, no I/O: the CLI's printing commands import it too.
"""

from __future__ import annotations

from collections.abc import Mapping

#: Plurals that are not the word with an "s" (lower case; the case of the word given is kept).
_IRREGULAR = {"entry": "entries", "policy": "policies", "child": "children", "index": "indexes",
              "is": "are", "was": "were", "this": "these", "it": "they"}

#: Binary units, as targetcli and lsblk print them; EiB is as far as a 64-bit size goes.
_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")


def plural_of(word: str) -> str:
    """``session`` -> ``sessions``, ``ACL`` -> ``ACLs``, ``entry`` -> ``entries``."""
    lower = word.lower()
    if lower in _IRREGULAR:
        shown = _IRREGULAR[lower]
        return shown.upper() if word.isupper() and len(word) > 1 else shown
    if word.isupper() and len(word) > 1:  # ACL, LUN, TPG: acronyms take a lower-case s
        return word + "s"
    if lower.endswith(("s", "x", "sh", "ch")):
        return word + "es"
    if lower.endswith("y") and len(lower) > 1 and lower[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def plural(count: int, word: str, many: str | None = None, *, zero: str | None = None) -> str:
    """``1 session``, ``2 sessions``, ``0 sessions`` — or ``zero`` (e.g. ``"no sessions"``) for none.
    ``many`` overrides the plural form."""
    if count == 0 and zero is not None:
        return zero
    return f"{count} {word if count == 1 else (many or plural_of(word))}"


def no(word: str, many: str | None = None) -> str:
    """``no sessions``: how a zero count reads in a sentence."""
    return f"no {many or plural_of(word)}"


def size(n: int | float | None, *, space: bool = True, whole: bool = False, unknown: str = "?") -> str:
    """``10737418240`` -> ``10.0 GiB``; bytes as ``512 B``; ``unknown`` when there is no size.

    Units go up to EiB, so a huge size reads as itself (``999.0 PiB``), never as a
    seven-digit number of TiB. ``space=False`` is targetcli's spelling (``10.0GiB``).
    A whole number keeps one decimal (``1.0 GiB``), as targetcli prints it, unless
    ``whole`` (``1 GiB``, for sizes the operator typed).
    """
    if n is None:
        return unknown
    if n < 0:
        return unknown
    sep = " " if space else ""
    value = float(n)
    for unit in _UNITS:
        if round(value, 1) < 1024 or unit == _UNITS[-1]:  # 1023.96 MiB prints as 1.0 GiB, not 1024.0 MiB
            if unit == "B" or (whole and value == int(value)):
                return f"{value:.0f}{sep}{unit}"
            return f"{value:.1f}{sep}{unit}"
        value /= 1024
    return f"{n}{sep}B"  # pragma: no cover - the loop always returns


def relabelled(text: str, labels: Mapping[str, str]) -> str:
    """``text`` with every path prefix of ``labels`` written as its label (a host's
    :attr:`~sanctl.host.protocol.Host.path_labels`: the demo's scratch root as ``demo:/``)."""
    for prefix, label in labels.items():
        text = text.replace(prefix, label)
    return text


def known(value: object, missing: str = "unknown") -> str:
    """A value read from the kernel or a tool, or ``missing`` (a word, not ``?``) when there is none."""
    text = "" if value is None else str(value).strip()
    return text if text else missing


def every(count: int, word: str, many: str | None = None) -> str | None:
    """``all 3 ACLs``, ``the one ACL``; None when there are none (there is nothing to offer then)."""
    if count <= 0:
        return None
    return f"the one {word}" if count == 1 else f"all {count} {many or plural_of(word)}"


def last_failure(initiator: str, address: str, kind: str, when: str = "", *, lead: str = "last") -> str:
    """LIO's last login failure from what the kernel recorded of it (``last iqn… from 10.0.0.5
    (authorize)``); the parts it did not record are left out, never ``last ? from ? (none)``."""
    parts = [part for part in (initiator, f"from {address}" if address else "", f"({kind})" if kind else "")
             if part]
    if not parts:
        return f"{lead} not recorded by the kernel{when}" if lead.endswith(":") else \
            f"{lead} one not recorded by the kernel{when}"
    return f"{lead} {' '.join(parts)}{when}"


def printable(text: str, *, replacement: str | None = None) -> str:
    """Text from a file, the kernel or another process, safe to print on one terminal line.

    Undecodable bytes and control characters are escaped (``\\x1b``), or each replaced by
    ``replacement`` where the text must keep its length (a lock holder's name in a column).
    """
    if replacement is not None:
        return "".join(c if c.isprintable() else replacement for c in text)
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text.encode("utf-8", "surrogateescape")
                   .decode("utf-8", "backslashreplace"))
