"""What the printing commands write: errors told one way, text made safe to print, saveconfig documents.

A document goes to stdout in one write (whatever ``PYTHONUNBUFFERED`` says, a
token-by-token dump is a million syscalls at 10,000 LUNs), or with ``-o FILE``
to a file written 0600 and atomically, since it holds CHAP secrets.
"""

from __future__ import annotations

import os
import sys

from sanctl.words import printable  # noqa: F401  (re-exported: the commands know it from here)


def say(message: str) -> None:
    """The command line's one way of telling the operator something went wrong: ``sanctl: <message>``
    on stderr, as text (a name or path from a file cannot move the cursor or ring the bell)."""
    text = "\n".join(printable(line) for line in message.split("\n"))  # its own lines kept, nothing else raw
    print(f"sanctl: {text}", file=sys.stderr)


def said(exc: BaseException, exit_code: int | None = None) -> int:
    """An error meant for the operator (a :class:`~sanctl.errors.SanctlError`) told with :func:`say`;
    the exit code is ``exit_code``, else the error's own, else 1."""
    say(str(exc))
    return exit_code if exit_code is not None else getattr(exc, "exit_code", 1)


def write_document(args, document: object) -> int:
    """Print a saveconfig document, or write it to ``args.output`` (0600, atomically)."""
    from sanctl.json_text import dumps

    text = dumps(document) + "\n"
    output = getattr(args, "output", None)
    if not output:
        sys.stdout.write(text)
        return 0
    from sanctl.startup import StartupError
    from sanctl.state_files import write_atomic

    try:
        write_atomic(os.path.abspath(output), text.encode(), 0o600)
    except OSError as exc:
        raise StartupError(f"cannot write {printable(output)}: {exc.strerror or exc}; nothing was written",
                           exit_code=1) from exc
    return 0
