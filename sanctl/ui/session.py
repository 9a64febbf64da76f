"""One typed object per host the app is looking at: the Host and the services the screens share.

Held by the app as ``app.session``. The writer, the live service and the
doctor are made on first use by their own modules and kept here; the doctor's
badge and the save state are kept here so a header made later shows them; the
headers on screen register here, so the doctor finds them without importing
the widget or the panels (no import circle between the services and the UI).
No Textual here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sanctl.host.protocol import Host
    from sanctl.ui.doctor_service import DoctorService
    from sanctl.ui.live_service import LiveService


@dataclass(eq=False)
class Session:
    """What the app shares between its screens for one host."""

    host: Host
    #: The writer every form, the wizard and the journal's recovery use (tests put a fake one here).
    _writer: Any = None
    #: The live panels' shared service (made by ``panels.configure``).
    live: LiveService | None = None
    #: The app's doctor (made by ``doctor_service.service``).
    doctor: DoctorService | None = None
    #: ("doctor: 1 error 3 warnings", worst severity) — None before the doctor's first look.
    doctor_badge: tuple[str, str | None] | None = None
    #: "unsaved changes", "never saved"… — None: saved (or not known yet).
    save_state: str | None = None
    #: The headers (status bars) mounted now: the doctor and the save state update each of them.
    bars: list[Any] = field(default_factory=list)

    @property
    def writer(self) -> Any:
        """The host's writer, made on first use."""
        if self._writer is None:
            self._writer = self.host.target.writer()
        return self._writer

    @writer.setter
    def writer(self, writer: Any) -> None:
        self._writer = writer

    def close(self) -> None:
        """The app is ending: stop the live service's sampler and its log readers."""
        if self.live is not None:
            self.live.close()


def session_of(app: Any) -> Session:
    """The app's session (``app`` is the SanctlApp; Textual types ``widget.app`` as a plain ``App``)."""
    return app.session
