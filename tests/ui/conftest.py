"""Fixtures for the UI tests: the demo SAN in a temporary root, a fixed host.

Nothing depends on the machine: the host name is passed in, user themes are
looked for in an empty temporary directory, NO_COLOR is unset, and the app
never shows a clock.
"""

from __future__ import annotations


import pytest

HOST = "san01"
RAC = "/iscsi/iqn.2024-01.storage.oracle:rac"
RAC_TPG = f"{RAC}/tpg1"
WEB_ACL = "/iscsi/iqn.2024-01.com.example:web/tpg1/acls/iqn.2024-01.com.example:web01"


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TEXTUAL_THEME", raising=False)


@pytest.fixture
def make_app(demo):
    """``make_app(**overrides)``: a SanctlApp on the demo SAN, host ``san01``."""
    from sanctl.ui.app import SanctlApp

    def make(**overrides):
        # live_checks=False: the live demo moves with the wall clock; only the tests of the start-up checks want it
        options = {"root": str(demo), "mode": "demo", "readonly": False, "readonly_reason": None, "theme": None, "host": HOST,
                   "live_checks": False}
        options.update(overrides)
        return SanctlApp(**options)

    return make


# --- the initiator tab through a fake iscsiadm (tests/ui/test_initiator_*.py) -----------------------


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """A fake ``iscsiadm`` on PATH replaying captured outputs (``initiator_tab_helpers``)."""
    from .initiator_tab_helpers import FakeIscsiadm

    return FakeIscsiadm(tmp_path, monkeypatch)


@pytest.fixture
def recorder():
    from .initiator_tab_helpers import Recorder

    return Recorder()


@pytest.fixture
def app_with(make_app, tmp_path, recorder):
    """``app_with(app_options=None, **backend_options)``: the demo app whose initiator tab uses the fake."""
    from .initiator_tab_helpers import host_root, make_backend, tab_app

    def make(app_options=None, **backend_options):
        backend = make_backend(host_root(tmp_path), recorder, **backend_options)
        return tab_app(make_app, backend, **(app_options or {}))

    return make


@pytest.fixture
def pinned_names(monkeypatch, demo):
    """Generated IQNs are iqn.2003-01.org.linux-iscsi.san01.x8664:sn.<12 hex>: pin the random part.

    (And the demo kernel gets TCMU, which the user backstore's form needs.)
    """
    import sanctl.names as names

    monkeypatch.setattr(names.secrets, "token_hex", lambda n=6: "0123456789abcdef"[: 2 * n])
    monkeypatch.setattr(names.platform, "machine", lambda: "x86_64")
    (demo / "sys/module/target_core_user").mkdir(parents=True)
