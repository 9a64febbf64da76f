"""The initiator tab (key ``5``): connect this host to iSCSI targets with open-iscsi.

Top to bottom: this host's initiator name (``n`` changes or generates it)
with any warning about it; a quick-connect field (``c``: type an
address[:port], Enter discovers and logs in to what it finds, as the
Windows initiator's Quick Connect does); the discovery portals and, under
each, the targets discovery found there, each with its state (not logged
in / logged in / failed) and a ★ when it is a favourite (``node.startup =
automatic``: logged in at boot); the details of the selection (the node
record's keys with secrets masked, the session's negotiated parameters,
its disks with size and mount points, multipath paths with dead ones
marked); and a status line that says what iscsiadm is doing while it runs.

Besides log in/out (``l``/``o``), favourite (``f``: node.startup automatic or
manual), rediscover (``D``), delete (``x``) and the name (``n``): ``d``
discovers with options (an iface, discovery CHAP, pruning); ``a`` edits the
selected record's session CHAP (or, on a portal, discovery CHAP); ``k``
shows every key of a record; ``s`` a session's statistics; ``R`` rescans a
session's LUNs; ``i`` lists open-iscsi's ifaces; ``L`` logs in to every
record, ``O`` logs out of every session (after a list of them).

Every iscsiadm call runs in a thread worker with the wrapper's deadline
(:class:`~sanctl.initiator.iscsiadm.Timeouts`): a hung iscsiadm is killed
and said so, the UI keeps answering keys meanwhile. One change runs at a
time; a key pressed meanwhile says what is still running. Failures show
iscsiadm's exit code as a plain sentence and what to do, never a
traceback. Read-only mode (``app.readonly``) refuses every key that
changes something, saying why.

The backend (:class:`~sanctl.initiator.overview.InitiatorBackend`: the
Iscsiadm, the root of the name file, disks, multipath, systemd) comes from
the constructor, else the app's ``initiator_backend`` attribute, else the
app's ``iscsiadm`` attribute wrapped in the default backend, else this
host's. On the demo SAN it is the demo's simulated iscsiadm
(:mod:`sanctl.sim.iscsiadm`), and a notice says nothing on this host changes.

The keys' work is in two mixins of the screen, by idea:
:class:`~sanctl.ui.screens.initiator_login.LoginKeys` (quick connect, log
in/out, favourite) and :class:`~sanctl.ui.screens.initiator_records.RecordKeys`
(discovery, CHAP, the read-only views, settings, rescan, delete, the name).

The screen also listens to the live panels' sampler: when the target side
sees this host's initiator name logged in from two addresses in turn (the
shared-name flap), the name line says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Static, Tree

from sanctl import words
from sanctl.initiator.overview import (
    FAILED,
    LOGGED_IN,
    NOT_LOGGED_IN,
    InitiatorBackend,
    NodeKey,
    Overview,
    PortalEntry,
    TargetEntry,
)
from sanctl.ui import panels
from sanctl.ui.screens.initiator_login import BOOT_ENABLED, LoginKeys
from sanctl.ui.session import session_of
from sanctl.ui.screens.initiator_records import RecordKeys
from sanctl.ui.widgets.initiator_detail import InitiatorDetailBody
from sanctl.ui.widgets.status_bar import StatusBar
from sanctl.ui.widgets.styling import component_fg

if TYPE_CHECKING:
    from sanctl.initiator.iscsiadm import Iscsiadm
    from sanctl.initiator.iscsiadm_errors import IscsiadmError
    from sanctl.initiator.name_rules import InitiatorName
    from sanctl.unit_states import UnitState
    from sanctl.live.sampler import LiveFrame

#: Below this many columns the list takes 3/5 of the width (the state after each IQN must show).
NARROW = 100
STATE_GLYPHS = {LOGGED_IN: "●", NOT_LOGGED_IN: "○", FAILED: "✖"}
OTHERS_HELP = ("Node records whose discovery portal has no discovery record: static records "
               "(iscsiadm -m node -o new), iSNS or firmware records, or records left after their "
               "discovery record was deleted; and sessions whose record was deleted while logged in.")
EMPTY_HELP = ("No discovery portal yet. Press c and type the target's address (address[:port]): "
              "Enter discovers its targets and logs in to them.")


def default_backend(app: Any) -> InitiatorBackend:
    """The app's backend: injected, else the host's initiator's (the demo's simulation on the demo SAN)."""
    backend = getattr(app, "initiator_backend", None)
    if backend is not None:
        return backend
    adm = getattr(app, "iscsiadm", None)
    if adm is not None:
        backend = InitiatorBackend(adm)
    else:
        initiator = app.session.host.initiator
        if initiator is None:  # a captured tree has no initiator: the tab shows this machine's own open-iscsi
            from sanctl.host.local import LocalHost

            initiator = LocalHost.here(readonly=True).initiator
        backend = initiator.backend()
    app.initiator_backend = backend
    return backend


class InitiatorTree(Tree[tuple]):
    """``#init-tree``: discovery portals, their targets with state; labels are ``rich.text.Text``.
    ``j``/``k`` move as in the configuration tree."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="initiator.tree.down"),
        Binding("k", "cursor_up", "Up", show=False, id="initiator.tree.up"),
    ]

    COMPONENT_CLASSES = {
        "initiator-tree--portal",
        "initiator-tree--ok",
        "initiator-tree--bad",
        "initiator-tree--muted",
        "initiator-tree--fav",
    }

    def style(self, name: str):
        return component_fg(self, f"initiator-tree--{name}")


class InitiatorTargetsScreen(LoginKeys, RecordKeys, Screen[None]):
    """Name (``#init-name``, ``#init-warnings``), notice (``#init-notice``), quick connect
    (``#quick-connect``), tree (``#init-tree``), details (``#init-detail`` / ``#init-detail-body``),
    iscsiadm missing (``#init-missing``), status line (``#init-status``)."""

    CSS_PATH = Path(__file__).resolve().parent.parent / "initiator.tcss"

    BINDINGS = [
        Binding("c", "quick_connect", "Quick connect", id="initiator.connect"),
        Binding("l", "login", "Log in", id="initiator.login"),
        Binding("o", "logout", "Log out", id="initiator.logout"),
        Binding("f", "favourite", "Favourite", id="initiator.favourite"),
        Binding("n", "name", "Name", id="initiator.name"),
        # not in the footer (80 columns are few), listed by ? like every key
        Binding("D", "discover", "Rediscover portal", show=False, id="initiator.discover"),
        Binding("d", "discover_form", "Discover (iface, discovery CHAP)", show=False, id="initiator.discover_form"),
        Binding("a", "auth", "CHAP of the record", show=False, id="initiator.auth"),
        Binding("K", "keys", "All keys of the record", show=False, id="initiator.keys"),
        Binding("e", "settings", "Settings of the record", show=False, id="initiator.settings"),
        Binding("I", "iscsid_conf", "iscsid.conf defaults", show=False, id="initiator.iscsid_conf"),
        Binding("N", "new_record", "New record by hand (iSNS)", show=False, id="initiator.new_record"),
        Binding("s", "stats", "Session statistics", show=False, id="initiator.stats"),
        Binding("R", "rescan", "Rescan the session's LUNs", show=False, id="initiator.rescan"),
        Binding("i", "ifaces", "Ifaces", show=False, id="initiator.ifaces"),
        Binding("L", "login_all", "Log in to every record", show=False, id="initiator.login_all"),
        Binding("O", "logout_all", "Log out of every session", show=False, id="initiator.logout_all"),
        Binding("x", "delete", "Delete record", show=False, id="initiator.delete"),
        Binding("r", "refresh", "Refresh", show=False, id="initiator.refresh"),
        Binding("escape", "leave_field", "Back to the list", show=False, id="initiator.leave_field"),
    ]

    class Done(Message):
        """A worker's result (or exception), to be handled on the UI thread by ``callback``."""

        def __init__(self, callback: Callable[[Any, BaseException | None], None], result: Any,
                     error: BaseException | None) -> None:
            super().__init__()
            self.callback = callback
            self.result = result
            self.error = error

    def __init__(self, backend: InitiatorBackend | None = None, *, iscsiadm: Iscsiadm | None = None) -> None:
        super().__init__()
        if backend is None and iscsiadm is not None:
            backend = InitiatorBackend(iscsiadm)
        self._backend = backend
        self.overview: Overview | None = None
        self.initiator_name: InitiatorName | None = None
        self.name_problem: str | None = None
        self.boot_state: UnitState | None = None
        #: The last failed login of each record (cleared by a login or logout that works).
        self.failures: dict[NodeKey, IscsiadmError] = {}
        #: What the change running now does ("Logging in to …"), None when idle.
        self.busy: str | None = None
        self.busy_limit: float | None = None
        self.refreshing = False
        self.missing: IscsiadmError | None = None
        self.last_error: IscsiadmError | None = None
        self.shared_name: tuple[str, ...] = ()
        self._busy_since = 0.0
        self._busy_timer: Timer | None = None
        self._status: tuple[str, str] = ("", "")
        self._wanted: tuple | None = None
        self._shown_rows: list[tuple[int, tuple, Text]] | None = None
        self._frame: LiveFrame | None = None
        self._refresh_again = False
        #: iface names from the last ``i`` (offered by the discovery form).
        self.known_ifaces: tuple[str, ...] = ()

    # --- layout ---------------------------------------------------------------------------

    @property
    def backend(self) -> InitiatorBackend:
        if self._backend is None:
            self._backend = default_backend(self.app)
        return self._backend

    def compose(self) -> ComposeResult:
        app = self.app
        yield StatusBar(system=session_of(app).host, id="status-bar")
        yield Static(Text("Initiator name  …", no_wrap=True, overflow="ellipsis"), id="init-name", markup=False)
        yield Static("", id="init-warnings", markup=False)
        yield Static("", id="init-notice", markup=False)
        with Horizontal(id="init-main"):
            with Vertical(id="init-left"):
                field = Input(placeholder="Quick connect (c): address[:port], Enter",
                              id="quick-connect", compact=True, select_on_focus=False)
                field.cursor_blink = False  # a blinking cursor repaints twice a second over SSH
                yield field
                yield InitiatorTree("portals", id="init-tree")
            with VerticalScroll(id="init-detail"):
                yield InitiatorDetailBody("", id="init-detail-body", markup=False)
        yield Static("", id="init-missing", markup=False)
        yield Static("", id="init-status", markup=False)
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        tree = self.tree
        tree.show_root = False
        tree.guide_depth = 2
        tree.border_title = "Discovery portals → targets"
        self.query_one("#init-detail").border_title = "Details"
        notice = self._notice()
        widget = self.query_one("#init-notice", Static)
        widget.update(Text(notice))
        widget.set_class(bool(notice), "-shown")
        tree.focus()
        self.action_refresh()

    def _notice(self) -> str:
        backend = self.backend
        if backend.notice:
            return backend.notice
        can = self.app.session.host.capabilities
        if can.simulated:
            return ("demo SAN: this tab drives this host's real iscsiadm and "
                    "/etc/iscsi/initiatorname.iscsi, not the demo.")
        if not can.has_live:
            return ("captured tree: this tab shows this host's own open-iscsi (its iscsiadm and "
                    "/etc/iscsi/initiatorname.iscsi), read-only.")
        return ""

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < NARROW, "-narrow")

    @property
    def tree(self) -> InitiatorTree:
        return self.query_one("#init-tree", InitiatorTree)

    @property
    def quick_connect(self) -> Input:
        return self.query_one("#quick-connect", Input)

    # --- live findings: the shared-name flap ------------------------------------------------

    def on_screen_resume(self) -> None:
        service = panels.service(self.app)
        service.attach(self)

    def on_screen_suspend(self) -> None:
        panels.service(self.app).detach(self)

    def show_frame(self, frame: LiveFrame) -> None:
        """From the live service: note whether this host's name is seen from several addresses."""
        self._frame = frame
        self._check_shared_name()

    def _check_shared_name(self) -> None:
        frame = self._frame
        name = self.initiator_name.name if self.initiator_name is not None else ""
        addresses: tuple[str, ...] = ()
        for finding in frame.findings if frame is not None and name else ():
            if finding.kind == "shared_initiator_name" and finding.active and finding.initiator == name:
                addresses = tuple(finding.addresses)
                break
        if addresses != self.shared_name:
            self.shared_name = addresses
            self._show_name()

    def show_state(self) -> None:
        """The live service's pause and interval: nothing of it is shown here."""

    # --- workers ------------------------------------------------------------------------------

    def _in_thread(self, work: Callable[[], Any], done: Callable[[Any, BaseException | None], None], *,
                   group: str) -> None:
        def run() -> None:
            try:
                result = work()
            except BaseException as exc:  # every failure comes back as a value, never a traceback
                self.post_message(self.Done(done, None, exc))
            else:
                self.post_message(self.Done(done, result, None))

        self.run_worker(run, thread=True, group=group, exit_on_error=False, description=group)

    def on_initiator_targets_screen_done(self, message: Done) -> None:
        message.stop()
        message.callback(message.result, message.error)

    def _start(self, text: str, limit: float | None, work: Callable[[Callable[[str], None]], Any],
               done: Callable[[Any, BaseException | None], None]) -> bool:
        """Run one change in a thread; ``work(progress)`` may call ``progress(text)`` as it goes."""
        if self.busy is not None:
            self.notify(f"Still running: {self.busy}", title="Wait", severity="warning", timeout=4)
            return False
        self._set_busy(text, limit)

        def progress(step: str) -> None:
            self.app.call_from_thread(self._set_busy, step, self.busy_limit, False)

        def finished(result: Any, error: BaseException | None) -> None:
            self._clear_busy()
            done(result, error)
            self.action_refresh()

        self._in_thread(lambda: work(progress), finished, group="iscsiadm")
        return True

    def _set_busy(self, text: str, limit: float | None, restart: bool = True) -> None:
        self.busy = text
        self.busy_limit = limit
        if restart:
            self._busy_since = time.monotonic()
        if self._busy_timer is None:
            self._busy_timer = self.set_interval(1.0, self._tick, name="initiator-busy")
        self._tick()

    def _tick(self) -> None:
        if self.busy is None:
            return
        seconds = int(time.monotonic() - self._busy_since)
        limit = f" (iscsiadm is stopped after {self.busy_limit:g} s)" if self.busy_limit else ""
        elapsed = f" {seconds} s" if seconds else ""
        self._set_status(f"⟳ {self.busy}…{elapsed}{limit}", "busy")

    def _clear_busy(self) -> None:
        self.busy = None
        self.busy_limit = None
        if self._busy_timer is not None:
            self._busy_timer.stop()
            self._busy_timer = None

    def _set_status(self, text: str, kind: str = "") -> None:
        if self._status == (text, kind):
            return
        self._status = (text, kind)
        widget = self.query_one("#init-status", Static)
        widget.update(Text(text))
        for name in ("busy", "ok", "error", "warn"):
            widget.set_class(kind == name, f"-{name}")

    def _report(self, error: BaseException, what: str) -> None:
        """A failure in the status line: the plain message, the hint, iscsiadm's own first words."""
        from sanctl.initiator.iscsiadm_errors import IscsiadmError, IscsiadmNotFound

        if isinstance(error, IscsiadmNotFound):
            self._show_missing(error)
            return
        if isinstance(error, IscsiadmError):
            self.last_error = error
            code = f" (exit {error.code})" if error.code is not None else ""
            lines = [f"✖ {what}: {error.message}{code}"]
            if error.hint:
                lines.append(f"  {error.hint}")
            details = error.details
            if details:
                lines.append(f"  iscsiadm: {details[-1]}")
            self._set_status("\n".join(lines), "error")
            return
        self._set_status(f"✖ {what}: {error}", "error")

    # --- refresh ------------------------------------------------------------------------------

    def action_refresh(self) -> None:
        """Re-read the name, the records and the sessions (in a thread)."""
        if self.refreshing:
            self._refresh_again = True
            return
        self.refreshing = True
        backend = self.backend

        def work() -> tuple:
            from sanctl.initiator.name_rules import InitiatorNameError

            try:
                name, problem = backend.read_name(), None
            except InitiatorNameError as exc:
                name, problem = None, str(exc)
            try:
                overview, error = backend.overview(), None
            except Exception as exc:  # shown; the name line still updates
                overview, error = None, exc
            boot = None
            if overview is not None and overview.favourites:
                try:
                    boot = backend.boot_login()
                except Exception:
                    boot = None
            return name, problem, overview, error, boot

        self._in_thread(work, self._refreshed, group="refresh")
        if self.busy is None and self.overview is None and self.missing is None:
            self._set_status("⟳ Reading open-iscsi's records…", "busy")

    def _refreshed(self, result: tuple | None, error: BaseException | None) -> None:
        self.refreshing = False
        if error is not None:  # cannot happen (work catches), but never a traceback
            self._report(error, "Reading the initiator")
            return
        name, problem, overview, failure, boot = result
        self.initiator_name, self.name_problem = name, problem
        self.boot_state = boot
        if failure is not None:
            self._report(failure, "Reading open-iscsi's records")
        else:
            self._hide_missing()
            self.overview = overview
            self._rebuild_tree()
            if self.busy is None and self._status[1] == "busy":
                self._set_status("")
        self._show_name()
        self._check_shared_name()
        self._show_details()
        if self._refresh_again:
            self._refresh_again = False
            self.action_refresh()

    # --- iscsiadm missing -------------------------------------------------------------------

    def _show_missing(self, error: IscsiadmError) -> None:
        self.missing = error
        packages = Table.grid(padding=(0, 2))
        packages.add_column(no_wrap=True)
        packages.add_column(no_wrap=True, style="bold")
        packages.add_column()
        packages.add_row("Debian, Ubuntu", "open-iscsi", "apt install open-iscsi")
        packages.add_row("RHEL, Fedora", "iscsi-initiator-utils", "dnf install iscsi-initiator-utils")
        packages.add_row("SUSE", "open-iscsi", "zypper install open-iscsi")
        text = Group(
            Text("iscsiadm is not installed", style="bold"),
            Text(""),
            Text(f"{error.message} This tab runs open-iscsi's iscsiadm to discover targets and log in to them. "
                 "The package that provides it:"),
            Text(""),
            packages,
            Text(""),
            Text("Install it, then press r.", style="italic"),
        )
        widget = self.query_one("#init-missing", Static)
        widget.update(text)
        widget.add_class("-shown")
        self.query_one("#init-main").display = False
        self._set_status("✖ iscsiadm (open-iscsi) is not installed.", "error")

    def _hide_missing(self) -> None:
        if self.missing is None:
            return
        self.missing = None
        self.query_one("#init-missing", Static).remove_class("-shown")
        self.query_one("#init-main").display = True
        self._set_status("")

    # --- the name line ------------------------------------------------------------------------

    def _show_name(self) -> None:
        from sanctl.initiator.name_rules import name_warnings

        line = Text(no_wrap=True, overflow="ellipsis")
        line.append("Initiator name  ", style="bold")
        warnings: list[str] = []
        if self.name_problem:
            line.append("(unreadable)")
            warnings.append(self.name_problem)
        elif self.initiator_name is None:
            line.append("(none: /etc/iscsi/initiatorname.iscsi is missing)")
            warnings.append("No initiator name file: iscsid will not start. n generates one.")
        else:
            line.append(self.initiator_name.name or "(empty)")
            if self.initiator_name.alias:
                line.append(f"  alias {self.initiator_name.alias}")
            warnings += name_warnings(self.initiator_name.name)
        line.append("   n change / generate", style="italic")
        self.query_one("#init-name", Static).update(line)
        if len(self.shared_name) > 1:
            seen = " and ".join(self.shared_name)
            warnings.insert(0, f"This host's name is also logged in from another address: the target sees it from "
                               f"{seen} in turn (live panels). Two hosts share it — n generates a new one.")
        elif self.shared_name:
            warnings.insert(0, f"The target keeps replacing the session of this host's name from {self.shared_name[0]} "
                               "(live panels): two initiators with this name share that address. n generates a new one.")
        warnings += self._favourite_warnings()
        widget = self.query_one("#init-warnings", Static)
        widget.update(Text("\n".join(f"⚠ {w}" for w in warnings)))
        widget.set_class(bool(warnings), "-shown")

    def _favourite_warnings(self) -> list[str]:
        overview, state = self.overview, self.boot_state
        if overview is None or state is None or not overview.favourites:
            return []
        if state.state in BOOT_ENABLED or state.state == "unknown":
            return []
        count = len(overview.favourites)
        what = f"{count} favourite{'s' if count != 1 else ''}"
        if state.state == "not-found":
            return [f"{what}, but no boot-time login service (iscsi.service / open-iscsi.service) is installed: "
                    "they are not logged in at boot."]
        return [f"{what}, but {state.unit} is {state.state}: they are not logged in at boot. "
                f"Enable it: systemctl enable {state.unit}"]

    # --- the tree ---------------------------------------------------------------------------

    def _target_label(self, entry: TargetEntry, *, show_portal: bool = True) -> Text:
        tree = self.tree
        state = entry.state
        failure = self.failures.get(entry.key)
        if state == NOT_LOGGED_IN and failure is not None:
            state = FAILED
        style = tree.style("ok" if state == LOGGED_IN else "bad" if state == FAILED else "muted")
        label = Text(no_wrap=True, overflow="ellipsis")
        label.append(f"{STATE_GLYPHS[state]} ", style)
        label.append(entry.target)
        label.append(f"  {state}", style)  # before the portal: on 80 columns the state must not be cut
        if entry.favourite:
            label.append("  ★ favourite", tree.style("fav"))
        if not entry.has_record:
            label.append("  (no record)", tree.style("bad"))
        if show_portal:
            tag = f",{entry.tpgt}" if entry.tpgt is not None else ""
            label.append(f"  {entry.portal}{tag}", tree.style("muted"))
        if entry.iface and entry.iface != "default":
            label.append(f"  iface {entry.iface}", tree.style("muted"))
        return label

    def _portal_label(self, entry: PortalEntry) -> Text:
        tree = self.tree
        label = Text(no_wrap=True, overflow="ellipsis")
        label.append(entry.portal, tree.style("portal"))
        count = len(entry.targets)
        logged = sum(1 for t in entry.targets if t.state == LOGGED_IN)
        summary = f"  {count} target{'s' if count != 1 else ''}" if count else "  no targets"
        if logged:
            summary += f", {logged} logged in"
        label.append(summary, tree.style("muted"))
        return label

    def _tree_rows(self) -> list[tuple[int, tuple, Text]]:
        """``(depth, data, label)`` for every line the tree should show."""
        overview = self.overview
        rows: list[tuple[int, tuple, Text]] = []
        if overview is None:
            return rows
        for portal in overview.portals:
            rows.append((0, ("portal", portal.portal), self._portal_label(portal)))
            rows += [(1, ("target", e.key), self._target_label(e)) for e in portal.targets]
        if overview.others:
            rows.append((0, ("others", ""), Text("Other records (no discovery record)", self.tree.style("portal"))))
            rows += [(1, ("target", e.key), self._target_label(e)) for e in overview.others]
        return rows

    def _rebuild_tree(self) -> None:
        """Show the overview; nothing is touched when no line changed (a rebuild repaints the tree)."""
        tree = self.tree
        rows = self._tree_rows()
        wanted = self._wanted
        self._wanted = None
        tree.border_subtitle = self._tree_subtitle()
        if rows == self._shown_rows:
            if wanted is not None:
                self._move_to(wanted)
            return
        self._shown_rows = rows
        cursor = wanted
        if cursor is None and tree.cursor_node is not None:
            cursor = tree.cursor_node.data
        tree.clear()
        parent = tree.root
        select = first = None
        for depth, data, label in rows:
            if depth == 0:
                parent = node = tree.root.add(label, data=data, expand=True)
            else:
                node = parent.add_leaf(label, data=data)
            first = first or node
            if data == cursor:
                select = node
        tree.last_line  # noqa: B018 - builds the lines, so node lines are current
        if select or first:
            tree.move_cursor(select or first)

    def _move_to(self, data: tuple) -> None:
        tree = self.tree
        for line in range(tree.last_line + 1):
            node = tree.get_node_at_line(line)
            if node is not None and node.data == data:
                tree.move_cursor(node)
                return

    def _tree_subtitle(self) -> str:
        overview = self.overview
        if overview is None:
            return ""
        targets = overview.targets
        logged = sum(1 for t in targets if t.state == LOGGED_IN)
        return f"{_count(len(overview.portals), 'portal')} · {_count(len(targets), 'target')} · {logged} logged in"

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted) -> None:
        event.stop()
        self._show_details()

    def selection(self) -> tuple[str, Any]:
        """``("portal", PortalEntry)``, ``("target", TargetEntry)``, ``("others", None)`` or ``("", None)``."""
        node = self.tree.cursor_node
        overview = self.overview
        if node is None or node.data is None or overview is None:
            return "", None
        kind, value = node.data
        if kind == "portal":
            found = overview.portal(value)
            return ("portal", found) if found is not None else ("", None)
        if kind == "target":
            found = overview.target(value)
            return ("target", found) if found is not None else ("", None)
        return kind, None

    # --- details ----------------------------------------------------------------------------

    def _show_details(self) -> None:
        body = self.query_one("#init-detail-body", InitiatorDetailBody)
        kind, value = self.selection()
        if kind == "target":
            warnings = self._favourite_warnings() if value.favourite else []
            body.show_target(value, self.failures.get(value.key), self.overview, warnings)
        elif kind == "portal":
            body.show_portal(value)
        elif kind == "others":
            body.show_text(OTHERS_HELP)
        elif self.overview is not None and not self.overview.targets and not self.overview.portals:
            body.show_text(EMPTY_HELP)
        else:
            body.show_text("")

    def _st(self, name: str):
        return self.query_one("#init-detail-body", InitiatorDetailBody).st(name)

    # --- guards ------------------------------------------------------------------------------

    def _writable(self, what: str) -> bool:
        app = self.app
        if getattr(app, "readonly", False):
            reason = getattr(app, "readonly_reason", None)
            self.notify(f"{what} changes this host's initiator; sanctl is read-only here"
                        + (f" ({reason})." if reason else "."), title="Read-only", severity="warning", timeout=6)
            return False
        if self.missing is not None:
            self.notify("iscsiadm is not installed: see the panel.", severity="warning", timeout=4)
            return False
        return True

    def _selected_target(self, verb: str) -> TargetEntry | None:
        kind, value = self.selection()
        if kind == "target":
            return value
        self.notify(f"Select a target to {verb}.", severity="warning", timeout=4)
        return None


def _count(n: int, word: str) -> str:
    return words.plural(n, word)

