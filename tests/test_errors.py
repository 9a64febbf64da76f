"""Every error sanctl raises on purpose has one root, SanctlError (issue 16).

Found by walking the package, so a new error class that forgets the root fails
here; classes whose name starts with ``_`` are control flow inside one module.
"""

from __future__ import annotations

import errno
import importlib
import inspect
import pkgutil

import sanctl
from sanctl.errors import SanctlError


def _error_classes():
    for info in pkgutil.walk_packages(sanctl.__path__, "sanctl."):
        if info.name.startswith("sanctl.ui") or info.name == "sanctl.__main__":
            continue  # the UI's errors are checked below without importing every screen here
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (inspect.isclass(value) and issubclass(value, BaseException) and value.__module__ == info.name
                    and not name.startswith("_")):
                yield value


def test_every_public_error_is_a_sanctl_error():
    found = list(_error_classes())
    assert len(found) > 20
    assert [c.__qualname__ for c in found if not issubclass(c, SanctlError)] == []


def test_the_ui_errors_too():
    from sanctl.ui.themes import ThemeFileError, UnknownThemeError

    assert issubclass(ThemeFileError, SanctlError) and issubclass(UnknownThemeError, SanctlError)


def test_the_older_bases_still_catch_them():
    from sanctl.names import InvalidValue
    from sanctl.safe_io import NotRegularFile

    assert issubclass(InvalidValue, ValueError)
    error = NotRegularFile("/x", "a FIFO")
    assert isinstance(error, OSError) and error.errno == errno.EINVAL and error.filename == "/x"
    assert str(error) == "[Errno 22] not a regular file (a FIFO): '/x'"
