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

The screen also listens to the live panels' sampler: when the target side
sees this host's initiator name logged in from two addresses in turn (the
shared-name flap), the name line says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
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
from sanctl.ui.widgets.initiator_detail import InitiatorDetailBody
from sanctl.ui.widgets.status_bar import StatusBar
from sanctl.ui.widgets.styling import component_fg

if TYPE_CHECKING:
    from sanctl.initiator.initiator_name import InitiatorName, NameChange
    from sanctl.initiator.iscsiadm import Iscsiadm, IscsiadmError
    from sanctl.initiator.quick_connect import QuickConnectResult
    from sanctl.initiator.services import UnitState
    from sanctl.live.sampler import LiveFrame

#: systemctl is-enabled words that mean "runs at boot" (as sanctl.initiator.services).
BOOT_ENABLED = frozenset({"enabled", "enabled-runtime", "static", "indirect", "alias", "generated"})

#: Below this many columns the list takes 3/5 of the width (the state after each IQN must show).
NARROW = 100
STATE_GLYPHS = {LOGGED_IN: "●", NOT_LOGGED_IN: "○", FAILED: "✖"}
OTHERS_HELP = ("Node records whose discovery portal has no discovery record: static records "
               "(iscsiadm -m node -o new), iSNS or firmware records, or records left after their "
               "discovery record was deleted; and sessions whose record was deleted while logged in.")
EMPTY_HELP = ("No discovery portal yet. Press c and type the target's address (address[:port]): "
              "Enter discovers its targets and logs in to them.")


def default_backend(app: Any) -> InitiatorBackend:
    """The app's backend: injected, else built for its mode (the demo's simulation on the demo SAN)."""
    backend = getattr(app, "initiator_backend", None)
    if backend is not None:
        return backend
    adm = getattr(app, "iscsiadm", None)
    host = app.session.host
    if adm is None and host.capabilities.simulated:
        backend = host.initiator.backend()  # the demo host's simulation
    else:
        from sanctl.initiator.iscsiadm import Iscsiadm

        # real and captured modes: this host's iscsiadm, name file and disks (a captured tree has no initiator)
        backend = InitiatorBackend(adm if adm is not None else Iscsiadm())
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


class InitiatorTargetsScreen(Screen[None]):
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
        yield StatusBar(host=app.host, mode=app.mode, readonly=app.readonly,  # type: ignore[attr-defined]
                        readonly_reason=app.readonly_reason, root=app.root, id="status-bar")  # type: ignore[attr-defined]
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
        from sanctl.initiator.iscsiadm import IscsiadmError, IscsiadmNotFound

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
            from sanctl.initiator.initiator_name import InitiatorNameError, read_initiator_name

            try:
                name, problem = read_initiator_name(backend.root), None
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
        from sanctl.initiator.initiator_name import name_warnings

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
        from sanctl.initiator.iscsiadm import portal_arg
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
        parts = [f"{_count(len(found), 'target')} at {portal}"]
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
        from sanctl.ui.screens.initiator_modals import ConfirmModal

        lines: list[str | Text] = [f"Log in to {_count(len(entries), 'node record')}:"]
        lines += [f"  {e.target} at {e.portal}" + (f" (iface {e.iface})" if e.iface != "default" else "")
                  for e in entries]

        def answered(yes: bool | None) -> None:
            if yes:
                self._login(entries)

        self.app.push_screen(ConfirmModal("Log in", lines, confirm="Log in"), answered)

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
            f"Logging in to {_count(len(entries), 'target')}"
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
            self._set_status(f"✔ Logged in to {_count(ok, 'target')}" + (f", {already} already "
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
            from sanctl.ui.screens.initiator_modals import ConfirmModal

            lines: list[str | Text] = [f"Log out of {_count(len(entries), 'session')}:" if len(entries) > 1 else
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

            self.app.push_screen(ConfirmModal("Log out", lines, confirm="Log out", danger=bool(mounted)), answered)
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
                self._set_status(f"✔ Logged out of {_count(len(results), 'session')}.", "ok")

        first = entries[0]
        self._start(f"Logging out of {first.target}" if len(entries) == 1 else f"Logging out of {_count(len(entries), 'session')}",
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
            from sanctl.initiator.iscsiadm import IscsiadmError

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
            self._set_status(f"✔ {verb}ed {portal}: {_count(len(found), 'target portal')}{extra}. "
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
                                 f"{_count(len({f.target for f in result}), 'target')}; new records added, "
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
        from sanctl.initiator.iscsid_conf import read
        from sanctl.ui.screens.initiator_views import ReadingModal, render_iscsid_conf

        root = getattr(self.backend, "root", "/") or "/"
        self.app.push_screen(ReadingModal("iscsid.conf: the defaults new node records get",
                                          lambda: render_iscsid_conf(read(root)), tall=True))

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
            which = f"session {sids[0]}" if len(sids) == 1 else _count(len(sids), "session")
            self._set_status(f"✔ Rescanned {which}: LUNs mapped since the login show up as disks.", "ok")

        self._start(f"Rescanning {_count(len(sids), 'session')}", adm.timeouts.action, work, done)

    def action_delete(self) -> None:
        if not self._writable("Deleting a record"):
            return
        kind, value = self.selection()
        from sanctl.ui.screens.initiator_modals import ConfirmModal

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
                self.notify(f"Log out of this portal's {_count(len(logged), 'session')} first (o).", severity="warning",
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

        self.app.push_screen(ConfirmModal("Delete record", lines, confirm="Delete", danger=True), answered)

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
        root = self.backend.root

        def work(progress: Callable[[str], None]) -> NameChange:
            from sanctl.initiator.initiator_name import change_initiator_name

            return change_initiator_name(new, root=root)

        def done(change: NameChange | None, error: BaseException | None) -> None:
            if error is not None:
                self._set_status(f"✖ The name was not changed: {error}", "error")
                return
            self._name_changed(change)

        self._start("Writing the new initiator name", None, work, done)

    def _name_changed(self, change: NameChange) -> None:
        from sanctl.ui.screens.initiator_modals import ConfirmModal

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

        self.app.push_screen(ConfirmModal("Initiator name changed", lines, confirm="Restart iscsid",
                                          cancel="Later"), answered)

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


def _count(n: int, word: str) -> str:
    return words.plural(n, word)

