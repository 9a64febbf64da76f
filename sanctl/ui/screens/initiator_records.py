"""The initiator tab's keys on records: discovery (``D``, ``d``), CHAP (``a``), the read-only
views (``k``, ``s``, ``i``), new records and settings, rescan (``R``), delete (``x``) and the
initiator name (``n``).

A mixin of :class:`~sanctl.ui.screens.initiator.InitiatorTargetsScreen`:
the methods run on the screen and use its workers (``_start``), guards
(``_writable``, ``_selected_target``) and tree.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text

from sanctl import words
from sanctl.initiator.overview import (
    PortalEntry,
    TargetEntry,
)

if TYPE_CHECKING:
    from sanctl.initiator.name_rules import NameChange



class RecordKeys:
    """Discovery, CHAP, the read-only views, new records and settings, rescan, delete, the name."""

    # --- discovery and delete ---------------------------------------------------------------------

    def action_discover(self) -> None:
        if not self._writable("Discovery"):
            return
        kind, value = self.selection()
        if kind != "portal":
            self.notify("Select a discovery portal to rediscover (or type a new one: c, or d for options).",
                        severity="warning", timeout=4)
            return
        self._discover(value.portal, known={t.target for t in value.targets}, verb="Rediscover")

    def action_discover_form(self, focus_auth: bool = False) -> None:
        """``d``: discovery with an iface, discovery CHAP (keep / none / CHAP / mutual) and pruning."""
        if not self._writable("Discovery"):
            return
        from sanctl.ui.screens.initiator_forms import DiscoverModal

        kind, value = self.selection()
        portal = value.portal if kind == "portal" else ""
        self.app.push_screen(DiscoverModal(portal, ifaces=self.known_ifaces, focus_auth=focus_auth),
                             self._discover_requested)

    def _discover_requested(self, request) -> None:
        if request is None:
            return
        portal = self.overview.portal(request.portal) if self.overview is not None else None
        known = {t.target for t in portal.targets} if portal is not None else set()
        self._discover(request.portal, iface=request.iface, chap=request.chap, reset_auth=request.auth == "none",
                       prune=request.prune, known=known, verb="Discover", auth=request.auth)

    def _discover(self, portal: str, *, iface: str | None = None, chap=None, reset_auth: bool = False,
                  prune: bool = False, known: set[str] | frozenset[str] = frozenset(), verb: str = "Discover",
                  auth: str = "keep") -> None:
        adm = self.backend.iscsiadm

        def work(progress: Callable[[str], None]) -> Any:
            from sanctl.initiator.iscsiadm_errors import IscsiadmError

            try:
                return adm.discover(portal, iface=iface, chap=chap, reset_auth=reset_auth, prune=prune)
            except IscsiadmError as exc:
                if exc.code == 21:
                    return []
                raise

        def done(found: list | None, error: BaseException | None) -> None:
            if error is not None:
                self._report(error, f"Discovery at {portal}")
                return
            if not found:
                self._set_status(f"✔ {portal} offers no target to this initiator now (records kept).", "warn")
                return
            new = sorted({f.target for f in found} - set(known))
            extra = f", new: {', '.join(new)}" if new else ", none new"
            how = {"none": " Discovery CHAP off.", "chap": " With discovery CHAP.",
                   "mutual": " With mutual discovery CHAP."}.get(auth, "")
            self._set_status(f"✔ {verb}ed {portal}: {words.plural(len(found), 'target portal')}{extra}. "
                             f"Existing records kept their settings.{how}", "ok")

        self._wanted = ("portal", portal)
        self._start(f"{'Rediscovering' if verb == 'Rediscover' else 'Discovering'} {portal}"
                    + (f" through iface {iface}" if iface else ""), adm.timeouts.discovery, work, done)

    # --- CHAP of a node record ----------------------------------------------------------------------

    def action_auth(self) -> None:
        """``a``: session CHAP of the selected record; on a portal, discovery CHAP (the discovery form)."""
        if not self._writable("Changing CHAP"):
            return
        kind, value = self.selection()
        if kind == "portal":
            self.action_discover_form(focus_auth=True)
            return
        if kind != "target":
            self.notify("Select a target (its session CHAP) or a portal (discovery CHAP).", severity="warning",
                        timeout=4)
            return
        entry: TargetEntry = value
        if entry.settings is None:
            self.notify("This session has no node record to hold CHAP settings.", severity="warning", timeout=4)
            return
        from sanctl.model import Secret
        from sanctl.ui.screens.initiator_forms import AuthModal

        settings = entry.settings

        def is_set(key: str) -> bool:
            value = settings.get(key, "")
            return bool(value.reveal() if isinstance(value, Secret) else value)

        method = "none"
        if settings.authmethod.upper() == "CHAP":
            method = "mutual" if settings.text("node.session.auth.username_in") else "chap"
        modal = AuthModal(entry.target, entry.portal, method=method,
                          username=settings.text("node.session.auth.username"),
                          username_in=settings.text("node.session.auth.username_in"),
                          has_password=is_set("node.session.auth.password"),
                          has_password_in=is_set("node.session.auth.password_in"),
                          logged_in=entry.session is not None)
        self.app.push_screen(modal, lambda request: self._auth_requested(entry, request))

    def _auth_requested(self, entry: TargetEntry, request) -> None:
        if request is None:
            return
        adm = self.backend.iscsiadm
        iface = entry.iface if entry.iface != "default" else None

        def work(progress: Callable[[str], None]) -> Any:
            if request.method == "none":
                adm.set_session_auth(entry.target, entry.portal, None, iface=iface)
            else:
                mutual = request.method == "mutual"
                adm.set_session_chap(entry.target, entry.portal, request.username, request.password,
                                     request.username_in if mutual else "",
                                     request.password_in if mutual else None, iface=iface)

        def done(result: Any, error: BaseException | None) -> None:
            if error is not None:
                self._report(error, f"CHAP of {entry.target}")
                return
            later = (" The session keeps its old settings until it logs in again (o, then l)."
                     if entry.session is not None else " l logs in with it.")
            self._set_status(f"✔ {entry.target} now uses {request.describe()}.{later}", "ok")

        self._wanted = ("target", entry.key)
        self._start(f"Setting the CHAP of {entry.target}", adm.timeouts.action, work, done)

    # --- read-only views: all keys, statistics, ifaces ----------------------------------------------

    def _can_read(self) -> bool:
        if self.missing is not None:
            self.notify("iscsiadm is not installed: see the panel.", severity="warning", timeout=4)
            return False
        return True

    def action_keys(self) -> None:
        """``K``: every key of the selected node record (or discovery record), empty ones too."""
        if not self._can_read():
            return
        from sanctl.ui.screens.initiator_views import ReadingModal, render_record

        adm = self.backend.iscsiadm
        kind, value = self.selection()
        if kind == "target" and value.has_record:
            entry: TargetEntry = value
            iface = entry.iface if entry.iface != "default" else None
            title = f"Node record: {entry.target} at {entry.portal}"
            loader = lambda: render_record(adm.node_settings(entry.target, entry.portal, iface=iface))  # noqa: E731
        elif kind == "portal":
            portal: PortalEntry = value
            title = f"Discovery record: {portal.portal}"
            loader = lambda: render_record([adm.discovery_settings(portal.portal)])  # noqa: E731
        else:
            self.notify("Select a target with a node record, or a discovery portal.", severity="warning", timeout=4)
            return
        self.app.push_screen(ReadingModal(title, loader, tall=True))

    def action_new_record(self) -> None:
        """``N``: targets SendTargets does not list — a node record by hand, or an iSNS server's."""
        if not self._writable("Adding a node record"):
            return
        from sanctl.ui.screens.initiator_forms import NewRecordModal

        self.app.push_screen(NewRecordModal(), self._new_record_requested)

    def _new_record_requested(self, request) -> None:
        if request is None:
            return
        adm = self.backend.iscsiadm

        def work(progress: Callable[[str], None]) -> Any:
            if request.how == "isns":
                return adm.discover_isns(request.portal, iface=request.iface)
            adm.new_node(request.target, request.portal, iface=request.iface)
            return None

        def done(result: Any, error: BaseException | None) -> None:
            if request.how == "isns":
                if error is not None:
                    self._report(error, f"iSNS discovery at {request.portal}")
                    return
                self._set_status(f"✔ The iSNS server at {request.portal} lists "
                                 f"{words.plural(len({f.target for f in result}), 'target')}; new records added, "
                                 "existing ones kept their settings.", "ok")
                return
            if error is not None:
                self._report(error, f"New record of {request.target}")
                return
            self._wanted = ("target", (request.target, request.portal, request.iface or "default"))
            self._set_status(f"✔ Node record of {request.target} at {request.portal} added (static, iscsid.conf's "
                             "defaults): l logs in, e changes its settings.", "ok")

        text = (f"Asking the iSNS server at {request.portal}" if request.how == "isns"
                else f"Adding a node record of {request.target} at {request.portal}")
        self._start(text, adm.timeouts.discovery if request.how == "isns" else adm.timeouts.action, work, done)

    def action_iscsid_conf(self) -> None:
        """``I``: /etc/iscsi/iscsid.conf's defaults as they are in effect (what new records get)."""
        from sanctl.ui.screens.initiator_views import ReadingModal, render_iscsid_conf

        read = self.backend.iscsid_conf
        self.app.push_screen(ReadingModal("iscsid.conf: the defaults new node records get",
                                          lambda: render_iscsid_conf(read()), tall=True))

    def action_settings(self) -> None:
        """``e``: the selected record's settings (timeouts, queue depths, startup, CHAP), each explained."""
        if not self._writable("Changing a record's settings"):
            return
        kind, value = self.selection()
        if kind != "target" or value.settings is None:
            self.notify("Select a target with a node record to change its settings.", severity="warning", timeout=4)
            return
        from sanctl.ui.screens.initiator_forms import NodeSettingsModal

        entry: TargetEntry = value
        modal = NodeSettingsModal(entry.target, entry.portal, entry.settings, logged_in=entry.session is not None)
        original = {k: str(v) for k, v in entry.settings.settings.items()}
        self.app.push_screen(modal, lambda request: self._settings_requested(entry, original, request))

    def _settings_requested(self, entry: TargetEntry, original: dict[str, str], request) -> None:
        if request is None:
            return
        from sanctl.initiator import node_settings as NS

        adm = self.backend.iscsiadm
        iface = entry.iface if entry.iface != "default" else None
        try:
            updates = NS.plan(original, request.values)
        except Exception as exc:  # InvalidValue: the form checked already; say it anyway
            self._report(exc, f"Settings of {entry.target}")
            return
        if not updates and request.auth is None:
            self._set_status(f"✔ Nothing changed in the record of {entry.target}.", "ok")
            return

        def work(progress: Callable[[str], None]) -> Any:
            written = NS.apply(adm, entry.target, entry.portal, updates, iface=iface, progress=progress)
            if request.auth is not None:
                auth = request.auth
                progress("Setting the record's CHAP")
                try:
                    if auth.method == "none":
                        adm.set_session_auth(entry.target, entry.portal, None, iface=iface)
                    else:
                        mutual = auth.method == "mutual"
                        adm.set_session_chap(entry.target, entry.portal, auth.username, auth.password,
                                             auth.username_in if mutual else "",
                                             auth.password_in if mutual else None, iface=iface)
                except Exception:
                    back = [NS.Update(u.key, u.new, u.old) for u in reversed(written)]
                    NS.apply(adm, entry.target, entry.portal, back, iface=iface)
                    raise
            return written

        def done(result: Any, error: BaseException | None) -> None:
            if error is not None:
                self._report(error, f"Settings of {entry.target}")
                return
            said = ", ".join(f"{u.key} = {u.new}" for u in result)
            if request.auth is not None:
                said = ", ".join(p for p in (said, request.auth.describe()) if p)
            later = (" The session keeps its old settings until it logs in again (o, then l)."
                     if entry.session is not None else "")
            self._set_status(f"✔ {entry.target}: {said}.{later}", "ok")

        self._start(f"Writing the settings of {entry.target}", self.backend.iscsiadm.timeouts.action * 4, work, done)

    def action_stats(self) -> None:
        """``s``: the selected session's counters (``iscsiadm -m session -r SID -s``)."""
        if not self._can_read():
            return
        from sanctl.ui.screens.initiator_views import ReadingModal, render_stats

        kind, value = self.selection()
        session = value.session if kind == "target" else None
        if session is None:
            self.notify("Select a logged-in target to see its session's statistics.", severity="warning", timeout=4)
            return
        adm = self.backend.iscsiadm
        sid = session.sid
        self.app.push_screen(ReadingModal(f"Statistics of session {sid}", lambda: render_stats(adm.session_stats(sid), sid),
                                          tall=True))

    def action_ifaces(self) -> None:
        """``i``: open-iscsi's ifaces (``iscsiadm -m iface``)."""
        if not self._can_read():
            return
        from sanctl.ui.screens.initiator_views import ReadingModal, render_ifaces

        adm = self.backend.iscsiadm

        def load():
            ifaces = adm.ifaces()
            self.known_ifaces = tuple(i.name for i in ifaces)
            return render_ifaces(ifaces)

        self.app.push_screen(ReadingModal("Ifaces (iscsiadm -m iface)", load))

    def action_rescan(self) -> None:
        """``R``: rescan the selected session's LUNs (on a portal: every session there)."""
        if not self._writable("Rescanning"):
            return
        kind, value = self.selection()
        if kind == "target":
            entries = [value] if value.session is not None else []
        elif kind == "portal":
            entries = [t for t in value.targets if t.session is not None]
        else:
            entries = []
        if not entries:
            self.notify("Select a logged-in target (or a portal with sessions) to rescan.", severity="warning",
                        timeout=4)
            return
        adm = self.backend.iscsiadm
        sids = [e.session.sid for e in entries]

        def work(progress: Callable[[str], None]) -> Any:
            for sid in sids:
                adm.rescan(sid)
            return sids

        def done(result: Any, error: BaseException | None) -> None:
            if error is not None:
                self._report(error, "Rescan")
                return
            which = f"session {sids[0]}" if len(sids) == 1 else words.plural(len(sids), "session")
            self._set_status(f"✔ Rescanned {which}: LUNs mapped since the login show up as disks.", "ok")

        self._start(f"Rescanning {words.plural(len(sids), 'session')}", adm.timeouts.action, work, done)

    def action_delete(self) -> None:
        if not self._writable("Deleting a record"):
            return
        kind, value = self.selection()
        from sanctl.ui.screens.confirm import ConfirmScreen

        adm = self.backend.iscsiadm
        if kind == "target":
            entry: TargetEntry = value
            if not entry.has_record:
                self.notify("This session has no record to delete.", severity="warning", timeout=4)
                return
            if entry.session is not None:
                self.notify("Log out first (o): a record deleted under a live session leaves the session running.",
                            severity="warning", timeout=6)
                return
            lines = [f"Delete the node record of {entry.target} at {entry.portal}?",
                     "Its settings (startup, CHAP, timeouts) go with it; rediscovery creates a new record "
                     "with the defaults."]

            def delete(progress: Callable[[str], None]) -> Any:
                return adm.delete_node(entry.target, entry.portal,
                                       iface=entry.iface if entry.iface != "default" else None)

            what = entry.target
        elif kind == "portal":
            portal: PortalEntry = value
            logged = [t for t in portal.targets if t.session is not None]
            if logged:
                self.notify(f"Log out of this portal's {words.plural(len(logged), 'session')} first (o).", severity="warning",
                            timeout=6)
                return
            lines = [f"Delete the discovery record of {portal.portal}?",
                     f"open-iscsi also deletes the node records found through it ({len(portal.targets)} here), "
                     "with their settings."]

            def delete(progress: Callable[[str], None]) -> Any:
                return adm.delete_discovery_record(portal.portal)

            what = portal.portal
        else:
            self.notify("Select a target or a portal to delete its record.", severity="warning", timeout=4)
            return

        def done(deleted: bool | None, error: BaseException | None) -> None:
            if error is not None:
                self._report(error, f"Deleting {what}")
                return
            self._set_status(f"✔ Deleted the record of {what}." if deleted
                             else f"✔ {what} had no record any more (nothing to do).", "ok")

        def answered(yes: bool | None) -> None:
            if yes:
                self._start(f"Deleting the record of {what}", adm.timeouts.action, delete, done)

        self.app.push_screen(ConfirmScreen("Delete record", lines, confirm="Delete", danger=True), answered)

    # --- the initiator name ---------------------------------------------------------------------

    def action_name(self) -> None:
        if not self._writable("Changing the initiator name"):
            return
        from sanctl.ui.screens.initiator_modals import NameModal

        current = self.initiator_name.name if self.initiator_name is not None else ""
        self.app.push_screen(NameModal(current, self.backend.generate_name), self._name_chosen)

    def _name_chosen(self, new: str | None) -> None:
        if not new:
            return
        change = self.backend.change_name

        def work(progress: Callable[[str], None]) -> NameChange:
            return change(new)

        def done(change: NameChange | None, error: BaseException | None) -> None:
            if error is not None:
                self._set_status(f"✖ The name was not changed: {error}", "error")
                return
            self._name_changed(change)

        self._start("Writing the new initiator name", None, work, done)

    def _name_changed(self, change: NameChange) -> None:
        from sanctl.ui.screens.confirm import ConfirmScreen

        kept = f" (the old file is kept as {Path(change.backup).name})" if change.backup else ""
        self._set_status(f"✔ Initiator name is now {change.new}{kept}. iscsid must restart.", "warn")
        lines: list[str | Text] = [Text(f"The name is now {change.new}.", style="bold")]
        if change.backup:
            lines.append(f"The old file is kept as {change.backup}.")
        lines.append("")
        lines += [Text(f"⚠ {w}", style=self._st("warn")) for w in change.warnings]
        lines.append("")
        lines.append("Restart iscsid now? Sessions stay up, with the old name until they log in again.")

        def answered(yes: bool | None) -> None:
            if yes:
                self._restart_iscsid()
            else:
                self._set_status("▲ iscsid still uses the old name until it restarts (systemctl restart iscsid).",
                                 "warn")

        self.app.push_screen(ConfirmScreen("Initiator name changed", lines, confirm="Restart iscsid",
                                           cancel="Later", danger=False), answered)

    def _restart_iscsid(self) -> None:
        restart = self.backend.restart_iscsid

        def work(progress: Callable[[str], None]) -> Any:
            return restart()

        def done(result: Any, error: BaseException | None) -> None:
            if error is not None:
                self._set_status(f"✖ iscsid was not restarted: {error}", "error")
                return
            self._set_status(("✔ " if result.ok else "✖ ") + result.message, "ok" if result.ok else "error")

        self._start("Restarting iscsid", 30.0, work, done)
