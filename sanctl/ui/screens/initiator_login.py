"""The initiator tab's keys that connect: quick connect (``c``), log in and out (``l``/``L``,
``o``/``O``), favourite (``f``).

A mixin of :class:`~sanctl.ui.screens.initiator.InitiatorTargetsScreen`:
the methods run on the screen and use its workers (``_start``), guards
(``_writable``, ``_selected_target``) and tree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.widgets import Input

from sanctl import words
from sanctl.initiator.overview import (
    LOGGED_IN,
    NodeKey,
    TargetEntry,
)

if TYPE_CHECKING:
    from sanctl.initiator.iscsiadm_errors import IscsiadmError
    from sanctl.initiator.quick_connect import QuickConnectResult
    from sanctl.unit_states import UnitState


#: systemctl is-enabled words that mean "runs at boot" (as sanctl.initiator.services).
BOOT_ENABLED = frozenset({"enabled", "enabled-runtime", "static", "indirect", "alias", "generated"})


class LoginKeys:
    """Quick connect, log in, log out, favourite."""

    # --- quick connect ----------------------------------------------------------------------

    def action_leave_field(self) -> None:
        if self.focused is self.quick_connect:
            self.tree.focus()

    def action_quick_connect(self) -> None:
        if not self._writable("Quick connect"):
            return
        self.quick_connect.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "quick-connect":
            return
        event.stop()
        if not self._writable("Quick connect"):
            return
        from sanctl.initiator.iscsiadm_arguments import portal_arg
        from sanctl.names import InvalidValue

        text = event.value.strip()
        try:
            portal = portal_arg(text)
        except InvalidValue as exc:
            self._set_status(f"✖ Quick connect: {exc}", "error")
            return
        if "," in portal:
            self._set_status("✖ Quick connect: give an address and port, without a TPG tag.", "error")
            return
        adm = self.backend.iscsiadm

        def work(progress: Callable[[str], None]) -> QuickConnectResult:
            from sanctl.initiator.quick_connect import quick_connect

            return quick_connect(adm, portal, progress)

        def done(result: QuickConnectResult | None, error: BaseException | None) -> None:
            if error is not None:
                self._report(error, f"Discovery at {portal}")
                return
            self._quick_connected(portal, result)

        if self._start(f"Discovering the targets at {portal}", adm.timeouts.discovery, work, done):
            event.input.value = ""
            self.tree.focus()
            self._wanted = ("portal", portal)

    def _quick_connected(self, portal: str, result: QuickConnectResult) -> None:
        found = result.found
        if not found:
            self._set_status(f"✔ {portal} answered, but offers no target to this initiator "
                             "(exit 21: nothing to log in to; is there an ACL or demo mode for this host?).", "warn")
            return
        for key, error in result.failed:
            self.failures[key] = error
        for key in result.logged_in + result.already:
            self.failures.pop(key, None)
        parts = [f"{words.plural(len(found), 'target')} at {portal}"]
        if result.logged_in:
            parts.append(f"logged in to {len(result.logged_in)}")
        if result.already:
            parts.append(f"{len(result.already)} already logged in")
        kind = "ok"
        if result.failed:
            kind = "error" if not (result.logged_in or result.already) else "warn"
            (target, _portal, _iface), error = result.failed[0]
            code = f" (exit {error.code})" if error.code is not None else ""
            parts.append(f"{len(result.failed)} failed — {target}: {error.message}{code}")
            self._wanted = ("target", result.failed[0][0])
        glyph = "✔" if kind == "ok" else "▲" if kind == "warn" else "✖"
        self._set_status(f"{glyph} Quick connect: " + "; ".join(parts), kind)

    # --- login / logout -----------------------------------------------------------------------

    def action_login(self) -> None:
        if not self._writable("Logging in"):
            return
        kind, value = self.selection()
        if kind == "portal":
            entries = [t for t in value.targets if t.state != LOGGED_IN and t.has_record]
            if not entries:
                self.notify("Every target of this portal is logged in already.", timeout=4)
                return
        elif kind == "target":
            entries = [value]
            if not value.has_record:
                self.notify("This session has no node record to log in with.", severity="warning", timeout=4)
                return
        else:
            self.notify("Select a target or a portal to log in to.", severity="warning", timeout=4)
            return
        self._login(entries)

    def action_login_all(self) -> None:
        """``L``: log in to every node record that is not logged in (every portal, every target)."""
        if not self._writable("Logging in"):
            return
        overview = self.overview
        entries = [t for t in overview.targets if t.state != LOGGED_IN and t.has_record] if overview else []
        if not entries:
            self.notify("Every node record is logged in already (or there is none: c or d discovers).", timeout=4)
            return
        from sanctl.ui.screens.confirm import ConfirmScreen

        lines: list[str | Text] = [f"Log in to {words.plural(len(entries), 'node record')}:"]
        lines += [f"  {e.target} at {e.portal}" + (f" (iface {e.iface})" if e.iface != "default" else "")
                  for e in entries]

        def answered(yes: bool | None) -> None:
            if yes:
                self._login(entries)

        self.app.push_screen(ConfirmScreen("Log in", lines, confirm="Log in", danger=False), answered)

    def _login(self, entries: Sequence[TargetEntry]) -> None:
        adm = self.backend.iscsiadm

        def work(progress: Callable[[str], None]) -> list:
            from sanctl.initiator.quick_connect import login_each

            return login_each(adm, [e.key for e in entries], progress)

        def done(results: list | None, error: BaseException | None) -> None:
            if error is not None:
                self._report(error, "Login")
                return
            self._logged_in(results)

        first = entries[0]
        text = f"Logging in to {first.target} at {first.portal}" if len(entries) == 1 else \
            f"Logging in to {words.plural(len(entries), 'target')}"
        self._start(text, adm.timeouts.action, work, done)

    def _logged_in(self, results: list) -> None:
        ok = already = 0
        failed: list[tuple[NodeKey, IscsiadmError]] = []
        for key, outcome in results:
            if isinstance(outcome, BaseException):  # login_each keeps only IscsiadmError
                self.failures[key] = outcome
                failed.append((key, outcome))
                continue
            self.failures.pop(key, None)
            if outcome.already:
                already += 1
            else:
                ok += 1
        if failed:
            key, error = failed[0]
            if len(results) == 1:
                self._report(error, f"Login to {key[0]}")
            else:
                self._set_status(f"▲ Logged in to {ok}, {already} already; {len(failed)} failed — {key[0]}: "
                                 f"{error.message}" + (f" (exit {error.code})" if error.code is not None else ""),
                                 "warn" if ok or already else "error")
            return
        if len(results) == 1:
            key = results[0][0]
            self._set_status(f"✔ Already logged in to {key[0]} (nothing to do)." if already
                             else f"✔ Logged in to {key[0]} at {key[1]}.", "ok")
        else:
            self._set_status(f"✔ Logged in to {words.plural(ok, 'target')}" + (f", {already} already "
                                                                            f"{'was' if already == 1 else 'were'}."
                                                                            if already else "."), "ok")

    def action_logout(self) -> None:
        if not self._writable("Logging out"):
            return
        kind, value = self.selection()
        if kind == "portal":
            entries = [t for t in value.targets if t.session is not None]
        elif kind == "target":
            entries = [value]
        else:
            self.notify("Select a target or a portal to log out of.", severity="warning", timeout=4)
            return
        if not entries:
            self.notify("No target of this portal is logged in.", timeout=4)
            return
        self._confirm_logout(entries)

    def action_logout_all(self) -> None:
        """``O``: log out of every session of this host, after a list of them (Cancel focused)."""
        if not self._writable("Logging out"):
            return
        overview = self.overview
        entries = [t for t in overview.targets if t.session is not None] if overview else []
        if not entries:
            self.notify("No session to log out of.", timeout=4)
            return
        self._confirm_logout(entries, always=True)

    def _confirm_logout(self, entries: Sequence[TargetEntry], *, always: bool = False) -> None:
        mounted = self._mounted(entries)
        if mounted or len(entries) > 1 or always:
            from sanctl.ui.screens.confirm import ConfirmScreen

            lines: list[str | Text] = [f"Log out of {words.plural(len(entries), 'session')}:" if len(entries) > 1 else
                                       f"Log out of {entries[0].target} at {entries[0].portal}."]
            lines += [f"  {e.target} at {e.portal}" for e in entries] if len(entries) > 1 else []
            if mounted:
                lines.append(Text(""))
                lines.append(Text("These disks are in use:", style=self._st("bad")))
                lines += [Text(f"  /dev/{device}: {where}", style=self._st("bad")) for device, where in mounted]
                lines.append(Text("Logging out under a mounted filesystem loses what is not written yet and "
                                  "leaves the mount broken. Unmount first.", style=self._st("bad")))

            def answered(yes: bool | None) -> None:
                if yes:
                    self._logout(entries)

            self.app.push_screen(ConfirmScreen("Log out", lines, confirm="Log out", danger=bool(mounted)), answered)
            return
        self._logout(entries)

    def _mounted(self, entries: Sequence[TargetEntry]) -> list[tuple[str, str]]:
        overview = self.overview
        found = []
        for entry in entries:
            if entry.session is None or overview is None:
                continue
            for disk in entry.session.disks:
                fact = overview.disks.get(disk.device) if disk.device else None
                if fact is not None and (fact.mounts or fact.holders):
                    found.append((disk.device, ", ".join(fact.mounts or fact.holders)))
        return found

    def _logout(self, entries: Sequence[TargetEntry]) -> None:
        adm = self.backend.iscsiadm
        keys = [e.key for e in entries]
        sids = {e.key: e.session.sid if e.session is not None and not e.has_record else None for e in entries}

        def work(progress: Callable[[str], None]) -> list:
            results = []
            for index, key in enumerate(keys):
                if len(keys) > 1:
                    progress(f"Logging out of {key[0]} ({index + 1} of {len(keys)})")
                try:
                    sid = sids[key]
                    if sid is not None:
                        results.append((key, adm.logout_session(sid)))
                    else:
                        results.append((key, adm.logout(key[0], key[1],
                                                        iface=key[2] if key[2] != "default" else None)))
                except Exception as exc:
                    results.append((key, exc))
            return results

        def done(results: list | None, error: BaseException | None) -> None:
            if error is not None:
                self._report(error, "Logout")
                return
            errors = [(k, r) for k, r in results if isinstance(r, BaseException)]
            for key, outcome in results:
                if not isinstance(outcome, BaseException):
                    self.failures.pop(key, None)
            if errors:
                key, exc = errors[0]
                self._report(exc, f"Logout of {key[0]}")
                return
            if len(results) == 1:
                key, outcome = results[0]
                self._set_status(f"✔ Was not logged in to {key[0]} (nothing to do)." if outcome.already
                                 else f"✔ Logged out of {key[0]}.", "ok")
            else:
                self._set_status(f"✔ Logged out of {words.plural(len(results), 'session')}.", "ok")

        first = entries[0]
        self._start(f"Logging out of {first.target}" if len(entries) == 1 else f"Logging out of {words.plural(len(entries), 'session')}",
                    adm.timeouts.action, work, done)

    # --- favourite ------------------------------------------------------------------------------

    def action_favourite(self) -> None:
        if not self._writable("The favourite toggle"):
            return
        entry = self._selected_target("make a favourite")
        if entry is None:
            return
        if not entry.has_record:
            self.notify("This session has no node record to mark.", severity="warning", timeout=4)
            return
        if entry.startup == "onboot":
            self.notify("node.startup is onboot: the initramfs logs this one in (root on iSCSI?). "
                        "Not changed here; iscsiadm -m node -o update changes it.", severity="warning", timeout=8)
            return
        adm = self.backend.iscsiadm
        backend = self.backend
        wanted = not entry.favourite
        iface = entry.iface if entry.iface != "default" else None

        def work(progress: Callable[[str], None]) -> Any:
            adm.set_favourite(entry.target, entry.portal, wanted, iface=iface)
            if wanted:
                try:
                    return backend.boot_login()
                except Exception:
                    return None
            return None

        def done(state: UnitState | None, error: BaseException | None) -> None:
            if error is not None:
                self._report(error, "Favourite")
                return
            if not wanted:
                self._set_status(f"✔ {entry.target} is no favourite any more (node.startup = manual).", "ok")
                return
            self.boot_state = state or self.boot_state
            message = f"★ {entry.target} is a favourite: logged in at boot (node.startup = automatic)."
            if state is not None and state.state not in BOOT_ENABLED and state.state != "unknown":
                if state.state == "not-found":
                    message += " But no boot-time login service is installed."
                else:
                    message += f" But {state.unit} is {state.state}: systemctl enable {state.unit}"
                self._set_status("▲ " + message.removeprefix("★ "), "warn")
            else:
                self._set_status(message, "ok")

        self._start(f"{'Marking' if wanted else 'Unmarking'} {entry.target} as a favourite", adm.timeouts.action,
                    work, done)
