"""Reading configfs, sysfs and proc files so that no file can hold, flood or fool the reader.

A captured tree (``--root T``) or a damaged host can put anything where a
kernel attribute belongs: a FIFO (an ``open`` that never returns), a link
to ``/dev/zero`` (a read that never ends), a directory, a link loop. Every
reader goes through here:

- files are opened ``O_NONBLOCK`` (a FIFO or a terminal cannot block the
  open or the read) and, unless the caller expects a link, ``O_NOFOLLOW``
  (a link in place of an attribute is refused, ``ELOOP``);
- at most ``limit`` bytes are read (configfs and sysfs attributes are at
  most a page; ``info`` files a few);
- what is not a regular file is refused (:class:`NotRegularFile`). The
  ``fstat`` that tells is made only when the read looks wrong — it would
  block, came back empty or overflowed the limit — because a real attribute
  always reads as a short, non-empty regular file and a tree of 10,000 LUNs
  is read in a few hundred milliseconds: one more system call per file shows.

Directory listings never raise for a missing, unreadable or looping entry:
they return nothing, and :func:`list_names` says why to a caller that keeps
notes.

No Textual here.
"""

from __future__ import annotations

import errno
import os
import stat

from sanctl.errors import SanctlError

#: The size of a page: a configfs or sysfs attribute never reads longer.
PAGE = 4096
#: An attribute file (configfs ``attrib/``, sysfs ``size``…).
ATTRIBUTE_LIMIT = PAGE
#: A text file the kernel writes in one go but may make longer than a page
#: (a backstore's or an ACL's ``info``, ``/proc/mounts``).
INFO_LIMIT = 16 * PAGE
#: A whole proc table (``/proc/locks``, ``/proc/self/mounts`` on a busy host).
TABLE_LIMIT = 1 << 20

_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC
_NOFOLLOW = os.O_NOFOLLOW


class NotRegularFile(SanctlError, OSError):
    """A FIFO, device, socket or directory where a file was expected."""

    def __init__(self, path: str, what: str) -> None:
        super().__init__(errno.EINVAL, f"not a regular file ({what})", path)


class FileTooLarge(SanctlError, OSError):
    """A file longer than its kind ever is."""

    def __init__(self, path: str, limit: int) -> None:
        super().__init__(errno.EFBIG, f"longer than {limit} bytes", path)


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a file"


def _check_regular(fd: int, path: str) -> None:
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        raise NotRegularFile(path, _kind(mode))


def read_bytes(path: str, limit: int = ATTRIBUTE_LIMIT, *, follow: bool = False, dir_fd: int | None = None) -> bytes:
    """At most ``limit`` bytes of a regular file. Raises OSError (FileNotFoundError for a missing one).

    ``follow=True`` where the last component is a link by design (sysfs
    class entries); intermediate links are always followed, as the kernel's
    own trees need. ``dir_fd``: ``path`` is relative to that open directory
    (the kernel then walks one name, not the whole path).
    """
    fd = os.open(path, _FLAGS if follow else _FLAGS | _NOFOLLOW, dir_fd=dir_fd)
    try:
        try:
            data = os.read(fd, limit + 1)
        except BlockingIOError:
            _check_regular(fd, path)
            raise
        except IsADirectoryError:
            raise NotRegularFile(path, "a directory") from None
        if not data:
            _check_regular(fd, path)
            return data
        if len(data) < PAGE and len(data) <= limit:
            return data  # the kernel gives an attribute in one read: no need to read EOF
        chunks = [data]
        size = len(data)
        while size <= limit:
            chunk = os.read(fd, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            _check_regular(fd, path)
            raise FileTooLarge(path, limit)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_text(path: str, limit: int = ATTRIBUTE_LIMIT, *, follow: bool = False) -> str:
    """The file as text (undecodable bytes replaced), not stripped. Raises OSError."""
    return read_bytes(path, limit, follow=follow).decode("utf-8", "replace")


def read_optional(path: str, limit: int = ATTRIBUTE_LIMIT, *, follow: bool = False) -> str | None:
    """The file's text, stripped; ``None`` when it is missing or cannot be read."""
    try:
        return read_bytes(path, limit, follow=follow).decode("utf-8", "replace").strip()
    except OSError:
        return None


def describe(exc: OSError) -> str:
    """A short reason for a note: 'Permission denied', 'not a regular file (a FIFO)'."""
    if exc.errno == errno.ELOOP:
        return "a link where none belongs (or a link loop)"
    return exc.strerror or str(exc)


def list_names(path: str, notes: list[str] | None = None) -> list[str]:
    """The names in a directory; none when it is missing, unreadable or a link loop.

    A reason other than "missing" is appended to ``notes`` (when given) as
    ``"<path>: <reason>"``, so a reader can say what it skipped.
    """
    try:
        return os.listdir(path)
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as exc:
        if notes is not None:
            notes.append(f"{path}: {describe(exc)}")
        return []
