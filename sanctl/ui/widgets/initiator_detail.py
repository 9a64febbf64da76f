"""The initiator tab's details pane: what one record, session or portal holds.

One :class:`~textual.widgets.Static` drawing one Rich renderable (grids of
``Text``, no markup: an IQN with ``[`` stays literal). Colours come from
its component classes, so they follow the theme; states are also words
and glyphs (``● logged in``, ``✖ dead``), so they read the same in NO_COLOR.
Secrets are never shown: a record's passwords are
:class:`~sanctl.model.Secret`, whose ``str()`` is the mask.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from sanctl import words
from sanctl.initiator.overview import FAILED, LOGGED_IN, Overview, PortalEntry, TargetEntry
from sanctl.ui.widgets.styling import component_fg

if TYPE_CHECKING:
    from sanctl.initiator.iscsiadm import IscsiadmError, Session


def _grid() -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True, style="dim")
    grid.add_column(overflow="fold")  # IQNs and addresses have no spaces: fold, never cut
    return grid


class InitiatorDetailBody(Static):
    """``#init-detail-body``."""

    COMPONENT_CLASSES = {"init-detail--ok", "init-detail--bad", "init-detail--warn", "init-detail--muted"}

    def st(self, name: str):
        """The foreground of component class ``init-detail--<name>`` (ok, bad, warn, muted)."""
        return component_fg(self, f"init-detail--{name}")

    def show_text(self, text: str) -> None:
        self.update(Text(text))

    def show_target(self, entry: TargetEntry, failure: IscsiadmError | None, overview: Overview | None,
                    favourite_warnings: Sequence[str] = ()) -> None:
        """A record (or a session without one): state, last failure, session, disks, multipath, keys."""
        self.update(Group(*self._target(entry, failure, overview, favourite_warnings)))

    def _target(self, entry: TargetEntry, failure: IscsiadmError | None, overview: Overview | None,
                favourite_warnings: Sequence[str]) -> list[RenderableType]:
        parts: list[RenderableType] = []
        head = Text(entry.target, style="bold")
        parts.append(head)
        tag = f"  TPG {entry.tpgt}" if entry.tpgt is not None else ""
        parts.append(Text(f"portal {entry.portal}{tag}  iface {entry.iface or 'default'}"))
        state = entry.state
        line = Text("state  ")
        if state == LOGGED_IN and entry.session is not None:
            line.append(f"● logged in (session {entry.session.sid})", style=self.st("ok"))
        elif state == FAILED and entry.session is not None:
            line.append(f"✖ session {entry.session.sid} is {entry.session.state or 'down'}: iscsid is recovering it",
                        style=self.st("bad"))
        elif failure is not None:
            line.append("✖ failed: the last login did not work", style=self.st("bad"))
        else:
            line.append("○ not logged in")
        parts.append(line)
        if entry.settings is not None:
            fav = Text("favourite  ")
            if entry.favourite:
                fav.append(f"★ yes: logged in at boot (node.startup = {entry.startup})", style=self.st("warn"))
            else:
                fav.append(f"no (node.startup = {entry.startup or '?'}); f makes it one")
            parts.append(fav)
            for warning in favourite_warnings:
                parts.append(Text(f"⚠ {warning}", style=self.st("warn")))
            parts.append(self._auth_line(entry))
        else:
            parts.append(Text("No node record: it was deleted while the session was up. o logs out.", style=self.st("warn")))
        parts.append(self._keys_line(entry))
        if failure is not None and state != LOGGED_IN:
            parts.append(Text(""))
            parts.append(Text("Last login failed" + (f" (exit {failure.code})" if failure.code is not None else ""),
                              style=self.st("bad")))
            parts.append(Text(failure.message))
            if failure.hint:
                parts.append(Text(failure.hint, style="italic"))
            for detail in failure.details:
                parts.append(Text(f"iscsiadm: {detail}", style=self.st("muted")))
        session = entry.session
        if session is not None:
            parts.append(Text(""))
            parts.append(Text(f"Session {session.sid}", style="bold"))
            grid = _grid()
            grid.add_row("connection", session.connection_state or "?")
            grid.add_row("session", f"{session.state or '?'} (iscsid: {session.internal_state or '?'})")
            if session.connections and session.connections[0].ip_address:
                grid.add_row("from", session.connections[0].ip_address)
            if session.initiator_name:
                grid.add_row("as", session.initiator_name)
            if session.chap_username:
                grid.add_row("CHAP user", session.chap_username)
            parts.append(grid)
            if session.negotiated:
                parts.append(Text("Negotiated", style="bold"))
                grid = _grid()
                for key, value in session.negotiated.items():
                    grid.add_row(key, value)
                parts.append(grid)
            if session.timeouts:
                parts.append(Text("Timeouts (s)", style="bold"))
                grid = _grid()
                for key, value in session.timeouts.items():
                    grid.add_row(key.removesuffix(" Timeout"), value)
                parts.append(grid)
            parts.extend(self._disks(session, overview))
        if entry.settings is not None:
            parts.append(Text(""))
            shown = [(k, v) for k, v in entry.settings.settings.items() if str(v)]
            hidden = len(entry.settings.settings) - len(shown)
            parts.append(Text(f"Node record ({len(shown)} keys set, {hidden} empty not shown: K shows all; "
                              "secrets masked)", style="bold"))
            grid = _grid()
            for key, value in shown:
                grid.add_row(key, str(value))  # a Secret's str() is its mask
            parts.append(grid)
        return parts

    def _auth_line(self, entry: TargetEntry) -> Text:
        """Session CHAP in words: user names, never a secret (only whether one is set)."""
        from sanctl.model import Secret

        settings = entry.settings
        line = Text("CHAP  ")
        if settings is None or settings.authmethod.upper() != "CHAP":
            line.append("none (a to set it)")
            return line

        def is_set(key: str) -> bool:
            value = settings.get(key, "")
            return bool(value.reveal() if isinstance(value, Secret) else value)

        user = settings.text("node.session.auth.username") or "?"
        secret = "secret set" if is_set("node.session.auth.password") else "no secret"
        user_in = settings.text("node.session.auth.username_in")
        if user_in:
            secret_in = "secret set" if is_set("node.session.auth.password_in") else "no secret"
            line.append(f"mutual: as {user} ({secret}), the target as {user_in} ({secret_in})")
        else:
            line.append(f"one-way: as {user} ({secret})")
        if not is_set("node.session.auth.password"):
            line.append("  ▲ no secret: the login will fail", style=self.st("bad"))
        return line

    def _keys_line(self, entry: TargetEntry) -> Text:
        """The keys that work on this selection."""
        keys = []
        if entry.settings is not None:
            keys += ["o log out" if entry.session is not None else "l log in", "a CHAP", "f favourite",
                     "K all keys"]
        else:
            keys.append("o log out")
        if entry.session is not None:
            keys += ["s statistics", "R rescan"]
        if entry.settings is not None:
            keys.append("x delete")
        return Text(" · ".join(keys), style=self.st("muted"))

    def _disks(self, session: Session, overview: Overview | None) -> list[RenderableType]:
        from sanctl.live import format as fmt

        parts: list[RenderableType] = []
        if not session.disks:
            return [Text("No LUN visible to this session (no LUN mapped to this initiator?)", style=self.st("warn"))]
        parts.append(Text("Disks", style="bold"))
        grid = Table.grid(padding=(0, 1))
        for _ in range(4):
            grid.add_column(no_wrap=True)
        grid.add_column()
        facts = overview.disks if overview is not None else {}
        for disk in session.disks:
            fact = facts.get(disk.device) if disk.device else None
            size = fmt.size(fact.size) if fact is not None and fact.size is not None else "?"
            mounts = ", ".join(fact.mounts) if fact is not None and fact.mounts else "not mounted"
            if fact is not None and fact.holders and not fact.mounts:
                mounts = "held by " + ", ".join(fact.holders)
            state = disk.state or "?"
            style = "" if state == "running" else self.st("bad")
            grid.add_row(Text(disk.path or "(no disk)"), Text(f"LUN {disk.lun}"), Text(size),
                         Text(state, style=style), Text(mounts))
        parts.append(grid)
        paths = overview.multipath if overview is not None else None
        if paths is None:
            return parts
        devices = {d.device for d in session.disks if d.device}
        shown = [m for m in paths if any(p.device in devices for p in m.paths)]
        if not shown:
            parts.append(Text("multipath: these disks are not multipathed", style=self.st("muted")))
            return parts
        parts.append(Text("Multipath", style="bold"))
        for device in shown:
            failed = len(device.failed_paths)
            title = Text(f"{device.name} {device.dm} {device.size}  {words.plural(len(device.paths), 'path')}")
            if device.down:
                title.append("  ✖ no path works", style=self.st("bad"))
            elif failed:
                title.append(f"  ▲ {failed} dead", style=self.st("bad"))
            parts.append(title)
            for path in device.paths:
                line = f"  {'✖ dead' if path.failed else '● ok  '}  {path.hctl} {path.device}  " \
                        f"{path.dm_state} {path.checker_state} {path.online_state}"
                parts.append(Text(line, style=self.st("bad") if path.failed else ""))
        return parts

    def show_portal(self, entry: PortalEntry) -> None:
        """A discovery portal: how many targets, what the keys do there."""
        parts: list[RenderableType] = [Text(f"Discovery portal {entry.portal}", style="bold"),
                                       Text(f"method {entry.method}")]
        logged = sum(1 for t in entry.targets if t.state == LOGGED_IN)
        parts.append(Text(f"{words.plural(len(entry.targets), 'target')} found here, {logged} logged in"))
        parts.append(Text(""))
        parts.append(Text("D rediscovers: new targets are added, the records you have keep their settings "
                          "(iscsiadm -o new); d and a discover with an iface or discovery CHAP. l logs in to "
                          "every target here, o logs out of them, R rescans their sessions, K shows the "
                          "discovery record's keys, x deletes it."))
        self.update(Group(*parts))
