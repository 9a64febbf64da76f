"""The configuration screen's writing keys: add, edit, delete, save, diff, restore.

:class:`Writes` belongs to one :class:`~sanctl.ui.screens.config.ConfigScreen`
and does the work behind its keys, so the screen only binds them:

* ``a`` / ``e`` — read what the form needs in a thread worker
  (:func:`~sanctl.ui.forms.gather.gather`, then :func:`~sanctl.forms.actions.add_form`
  or :func:`~sanctl.forms.actions.edit_form`),
  open the :class:`~sanctl.ui.forms.screen.FormScreen`, and apply what it
  returns;
* ``d`` — compute the delete's impact (with the live sessions it drops) in a
  worker, confirm it listing everything removed (Cancel focused; typing the
  name for a target, a TPG or anything with sessions), apply it carrying
  what was confirmed (:func:`~sanctl.lio.changes.confirmed`). A form's
  change that drops sessions or takes a disk (or its writes) from one is
  confirmed the same way. What is listed comes from a fresh read of configfs
  and of the live sessions when the confirmation opens
  (the host's ``target.impacts``), never from the tree or a
  panel's last sample;
* after a write the object the form or confirmation was opened on is
  selected again by its path (:class:`Follow`);
* ``s`` — save with a backup; ``D`` — the running vs saved diff;
  ``R`` — the restore screen; ``q`` — quit, asking first when the running
  configuration is not the saved one.

Every write runs in a thread worker through the host's writer
(``host.target.writer()``); its
:class:`~sanctl.lio.writer.ApplyReport` becomes one notification —
"Done: …", or "rolled back: …" naming the object and the cause — and the
tree is re-read keeping the cursor (and opening the new object's parent).
In read-only mode every writing key says why instead ("read-only: <reason>"),
and opens nothing; the writer refuses on its own as well.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sanctl.lio.report import ApplyReport
    from sanctl.lio.writer import Writer


class WritingScreen(Protocol):
    """What :class:`Writes` needs of its screen (the configuration screen), without importing it."""

    app: Any
    tree: Any
    host: str | None
    readonly: bool
    readonly_reason: str | None

    def action_refresh(self, quiet: bool = False, expand: tuple[str, ...] = (),
                       follow: Follow | None = None) -> None: ...

    def run_worker(self, *args: Any, **kwargs: Any) -> Any: ...


@dataclass(frozen=True, slots=True)
class Follow:
    """The object a form or a confirmation was opened on, by identity (its tree path).

    After the write the tree selects it again, wherever a filter or a re-read put the cursor;
    when it is gone, the nearest object still there is selected and — unless it was deleted on
    purpose (``gone_expected``) — a notification says so.
    """

    path: str
    gone_expected: bool = False



class Writes:
    """The writing half of the configuration screen."""

    def __init__(self, screen: WritingScreen) -> None:
        self.screen = screen
        #: The last ApplyReport / SaveResult / SaveStatus, for tests.
        self.last_report: ApplyReport | None = None
        self.last_save: Any = None
        self.status: Any = None
        self._status_seq = 0
        #: A save-state question is under way: ``status`` may be out of date.
        self._status_pending = False

    # --- plumbing -------------------------------------------------------------

    @property
    def app(self):
        return self.screen.app

    @property
    def writer(self) -> Writer:
        """The host's writer, made on first use and kept in the app's session (tests replace it there)."""
        return self.app.session.writer

    def shown(self, text: str) -> str:
        """``text`` with paths under the demo's (temporary) root written ``demo:/etc/…``."""
        return self.app.session.host.show_path(text)

    def refused(self) -> bool:
        """In read-only mode: say why and refuse (the key stays in the footer)."""
        screen = self.screen
        if not screen.readonly:
            return False
        reason = screen.readonly_reason or "read-only"
        self.app.notify(f"read-only: {reason}", title="Read-only", severity="warning", timeout=6)
        return True

    def _thread(self, work: Callable[[], Any], done: Callable[[Any], None], *, group: str) -> None:
        """Run ``work`` in a thread worker; ``done(result or exception)`` on the UI thread."""
        app = self.app

        def run() -> None:
            try:
                result = work()
            except Exception as exc:  # shown as a sentence by ``done``, never a traceback
                result = exc
            app.call_from_thread(done, result)

        self.screen.run_worker(run, thread=True, group=group, exit_on_error=False)

    def _node(self):
        node = self.screen.tree.cursor_node
        return node.data if node is not None else None

    def _problem(self, what: str, exc: BaseException) -> None:
        self.app.fail(exc, doing=what)

    # --- a / e ----------------------------------------------------------------

    def add(self) -> None:
        self._form("add")

    def edit(self) -> None:
        self._form("edit")

    def _form(self, action: str) -> None:
        if self.refused():
            return
        node = self._node()
        if node is None:
            self.app.notify("Select a node first.", severity="warning")
            return
        screen = self.screen
        config, system, host = screen.tree.config, self.app.session.host, screen.host
        writer = self.writer
        backing = writer.backing_file
        fabrics = writer.available_fabrics(config) if node.kind in ("root", "fabric") else None

        def work():
            from sanctl.tree import complete
            from sanctl.forms.actions import add_form, edit_form
            from sanctl.forms.doctor_check import with_doctor
            from sanctl.forms.spec import FormSpec
            from sanctl.ui.forms.gather import doctor_facts, gather

            full, whole_node = complete(config, node)  # mapped LUNs the first read left unread
            ctx = gather(system, full, whole_node, action, host=host, backing=backing, fabrics=fabrics)
            spec = add_form(ctx, whole_node) if action == "add" else edit_form(ctx, whole_node)
            return with_doctor(ctx, spec, doctor_facts(system)) if isinstance(spec, FormSpec) else spec

        self._thread(work, lambda result: self._open(result, f"{action} {node.name}", node), group="form")

    def _open(self, result: Any, what: str, node) -> None:
        """Show the form; what it returns is applied to the object it was opened on (``node``'s identity)."""
        from sanctl.forms.spec import FormSpec

        if isinstance(result, Exception):
            self._problem(f"Cannot open the form to {what}", result)
            return
        if isinstance(result, str):
            self.app.notify(result, severity="warning", timeout=8)
            return
        if not isinstance(result, FormSpec):  # pragma: no cover - specs return one of the three
            return
        from sanctl.ui.forms.screen import FormScreen

        spec = result

        def answered(value: Any) -> None:
            if isinstance(value, FormSpec):
                self._open(value, what, node)
            elif isinstance(value, str):
                self.app.notify(value, severity="warning", timeout=8)
            elif value:
                self._apply_checked(list(value), node, spec.expand)

        self.app.push_screen(FormScreen(spec), answered)

    # --- d --------------------------------------------------------------------

    def delete(self) -> None:
        if self.refused():
            return
        node = self._node()
        if node is None:
            return
        from sanctl.forms.actions import delete_change

        config = self.screen.tree.config
        change = delete_change(config, node)
        if isinstance(change, str):
            self.app.notify(change, severity="warning", timeout=8)
            return
        read = self._fresh_impacts()
        self._thread(lambda: read([change])[0], lambda found: self._confirm_delete(node, change, found),
                     group="impact")

    def _fresh_impacts(self) -> Callable[[list], tuple]:
        """A function for a worker: the impacts of some changes on the system as it is now.

        configfs and the live sessions are read again (never the tree's or a panel's sample);
        the demo's simulated kernel is first brought to the present, as the live panels do
        before each sample — it moves only when told, so right after start it would show the
        sessions of the moment the demo was built.
        """
        host = self.app.session.host
        advance = self._demo_clock() if host.capabilities.simulated else None

        def read(changes: list) -> tuple:
            if advance is not None:
                advance()
            return host.target.impacts(changes)

        return read

    def _demo_clock(self) -> Callable[[], None]:
        from sanctl.ui import panels

        service = panels.service(self.app)

        def advance() -> None:
            sampler = service.sampler()  # makes the idle demo live, as opening panel 2 does
            if sampler.before_sample is not None:
                sampler.before_sample(service.wall_clock())

        return advance

    def _confirm_delete(self, node, change, found) -> None:
        if isinstance(found, Exception):
            self._problem(f"Cannot tell what deleting {node.name} removes", found)
            return
        if not found.exists:
            self.app.notify(found.summary() + " Press r to re-read.", severity="warning", timeout=8)
            return
        from sanctl.lio.changes import confirmed
        from sanctl.forms.actions import must_type_name
        from sanctl.ui.screens.confirm import ConfirmScreen

        word = must_type_name(node, len(found.sessions))

        def answered(yes: bool | None) -> None:
            if yes:
                self.apply([confirmed(change, found)], follow=self._follow(node, gone_expected=True))

        self.app.push_screen(ConfirmScreen(f"Delete {node.name}", _ordered(found.lines()), word=word), answered)

    # --- applying -------------------------------------------------------------

    def _follow(self, node, *, gone_expected: bool = False):
        return Follow(node.path, gone_expected)

    def _apply_checked(self, changes: list, node, expand: tuple[str, ...]) -> None:
        """A form's changes: applied at once, unless one of them drops sessions or takes a disk (or its
        writes) from one — then, read fresh from the system, a confirmation names them and asks for
        the object's name, as a delete does."""
        from sanctl.lio.impact import touches_initiators

        follow = self._follow(node)
        touching = [c for c in changes if touches_initiators(c)]
        if not touching:
            self.apply(changes, expand=expand, follow=follow)
            return
        read = self._fresh_impacts()

        def done(found: Any) -> None:
            if isinstance(found, Exception):
                self._problem(f"Cannot tell whom changing {node.name} affects", found)
                return
            sessions = [line for impact in found for line in impact.lines()[1:] if line.startswith("  ! ")]
            if not sessions:
                self.apply(changes, expand=expand, follow=follow)
                return
            from sanctl.ui.screens.confirm import ConfirmScreen

            head = [impact.summary() for impact in found if impact.sessions]

            def answered(yes: bool | None) -> None:
                if yes:
                    self.apply(changes, expand=expand, follow=follow)

            self.app.push_screen(ConfirmScreen(f"Change {node.name}", _ordered(head + sessions), confirm="Apply",
                                               word=node.name), answered)

        self._thread(lambda: read(touching), done, group="impact")

    def apply(self, changes: list, *, expand: tuple[str, ...] = (), follow: Any = None) -> None:
        """Apply ``changes`` as one transaction in a thread worker, then tell and re-read.

        ``follow``: the :class:`Follow` of the object the form or the
        confirmation was opened on, selected again after the re-read.
        """
        writer = self.writer
        subject = changes[0].subject if changes else "the configuration"
        tree = self.screen.tree
        before = tree.border_subtitle
        tree.border_subtitle = f"writing {len(changes)} change{'s' if len(changes) != 1 else ''}…"

        def done(report: Any) -> None:
            if tree.border_subtitle.startswith("writing "):
                tree.border_subtitle = before
            self._applied(report, subject, expand, follow)

        self._thread(lambda: writer.apply(changes), done, group="write")

    def _applied(self, report: Any, subject: str, expand: tuple[str, ...], follow: Any = None) -> None:
        from sanctl.lio.report import COMPLETED, NOTHING_TO_DO, ROLLED_BACK_ALL, WriteRefused

        if isinstance(report, WriteRefused):
            self.app.fail(report, title="Not written")
            return
        if isinstance(report, Exception):
            self._problem(f"{subject}: nothing was written", report)
            return
        self.last_report = report
        if report.outcome in (COMPLETED, NOTHING_TO_DO):
            self.app.notify(report.message(), title="Applied", timeout=6)
        elif report.outcome == ROLLED_BACK_ALL:
            self.app.fail(f"rolled back: {report.message()}", title="Rolled back", timeout=20)
        else:
            detail = "\n".join(report.lines()[1:6])
            self.app.fail(f"{report.message()}\n{detail}", title="Rollback incomplete", timeout=60)
        self.screen.action_refresh(quiet=True, expand=tuple(expand), follow=follow)
        from sanctl.lio.report import touched_scope

        self.refresh_status(touched=touched_scope(report))

    # --- s / D / R --------------------------------------------------------------

    def save(self, *, force: bool = False, past_lock: bool = False, then_quit: bool = False) -> None:
        """``s``: save for boot. A save that would empty or halve the saved file asks first (then
        ``force``s); ``past_lock``: the operator confirmed writing past a lock no root process holds;
        ``then_quit`` (from the quit question): the app exits once the file is written."""
        if self.refused():
            return
        target = self.app.session.host.target

        def work():
            return target.save(force=force, past_user_lock=past_lock)

        def done(result: Any) -> None:
            from sanctl.lio.errors import SaveFileError, SaveRefused
            from sanctl.lio.report import LockedError, WriteRefused

            if isinstance(result, SaveRefused):
                self._ask_force_save(result, past_lock, then_quit)
            elif isinstance(result, LockedError) and result.by_user and not past_lock:
                self._confirm_past_user_lock(
                    result, lambda: self.save(force=force, past_lock=True, then_quit=then_quit))
            elif isinstance(result, (SaveFileError, WriteRefused)):
                self.app.fail(result, title="Not saved")
            elif isinstance(result, Exception):
                self._problem("Nothing was saved", result)
            else:
                self.last_save = result
                self.app.notify(self.shown(result.message()), title="Saved", timeout=10)
                if then_quit:
                    self.app.exit()
                    return
            from sanctl.lio.changes import Scope

            self.refresh_status(touched=Scope())  # a save changes the file, not the running configuration

        self._thread(work, done, group="save")

    def _ask_force_save(self, refused: Any, past_lock: bool, then_quit: bool) -> None:
        from sanctl.ui.screens.confirm import ConfirmScreen

        lines = [self.shown(refused.reason),
                 "Saving replaces it (the current file is kept as a backup). R restores it instead."]

        def answered(yes: bool | None) -> None:
            if yes:
                self.save(force=True, past_lock=past_lock, then_quit=then_quit)
            else:
                self.app.notify("Nothing was saved.", title="Not saved", timeout=6)

        self.app.push_screen(ConfirmScreen("Save over a fuller saved configuration?", lines,
                                           confirm="Save anyway"), answered)

    def _confirm_past_user_lock(self, refused: Any, again: Any) -> None:
        """targetcli's lock is held by a user's process: say who (as text), and go ahead only if confirmed."""
        from sanctl.ui.screens.confirm import ConfirmScreen

        lines = ["targetcli's lock is held by a process that is not root's",
                 *(f"  {holder}" for holder in refused.holders),
                 "",
                 "Any user can take this lock (the file is readable by all), so sanctl does not wait on it.",
                 "! Go ahead only if nothing else is changing the configuration now."]

        def answered(yes: bool | None) -> None:
            if yes:
                again()
            else:
                self.app.notify("Nothing was saved.", title="Not saved", timeout=6)

        self.app.push_screen(ConfirmScreen("Lock held by another user", lines, confirm="Go ahead"), answered)

    # --- q --------------------------------------------------------------------

    def quit(self) -> None:
        """Quit at once when the running configuration is the saved one; otherwise ask first.

        The header's last answer is used when no re-read is under way; else (right after start,
        or just after a write) the question is asked of the files in a worker.
        """
        screen = self.screen
        if not self.app.session.host.capabilities.has_live or screen.readonly:
            self.app.exit()  # nothing sanctl could save
            return
        if self.status is not None and not self._status_pending:
            self._quit_or_ask(self.status)
            return
        target = self.app.session.host.target
        self._thread(target.save_status, self._quit_or_ask, group="quit")

    def _quit_or_ask(self, status: Any) -> None:
        from sanctl.ui.screens.quit import QuitScreen

        if any(isinstance(s, QuitScreen) for s in self.app.screen_stack):
            return
        if isinstance(status, Exception):
            lines = [f"Cannot tell whether the configuration is saved: {status}"]
        elif status.differs is False:
            self.app.exit()
            return
        elif status.problem:
            lines = [self.shown(status.problem)]
        else:
            lines = [self.shown(status.message())]
            if status.diff is not None:
                lines.append(status.diff.summary())
        lines.append("Save it for boot before quitting?")

        def answered(choice: str | None) -> None:
            if choice == "quit":
                self.app.exit()
            elif choice == "save":
                self.save(then_quit=True)

        self.app.push_screen(QuitScreen(lines), answered)

    def refresh_status(self, touched: Any = None) -> None:
        """Ask, in a worker, whether the running configuration is the saved one; the header says.

        ``touched``: after sanctl's own write, the :class:`~sanctl.lio.changes.Scope` it may
        have changed — only that is read again (a full read of every attribute takes seconds on
        a big target); ``None`` reads everything (start, ``r``, restore, or an unknown change).
        """
        screen = self.screen
        if not self.app.session.host.capabilities.has_live:  # a captured tree is never saved
            return
        if getattr(screen, "_reading", False):
            # the first read of a big configuration is still running: don't compete with it for the GIL
            screen.set_timer(0.25, lambda: self.refresh_status(touched))
            return
        target = self.app.session.host.target
        self._status_seq += 1
        seq = self._status_seq
        self._status_pending = True

        def work():
            return target.save_status(running_config=target.running_saved(touched))

        def done(result: Any) -> None:
            if seq != self._status_seq or not screen.is_attached:
                return
            self._status_pending = False
            bar = screen.query_one("#status-bar")
            if isinstance(result, Exception):
                self.status = None
                bar.set_save_state("save state unknown")
                return
            self.status = result
            if result.differs and result.problem:
                bar.set_save_state("never saved")
            elif result.differs:
                bar.set_save_state("unsaved changes")
            elif result.differs is None:
                bar.set_save_state("save state unknown")
            else:
                bar.set_save_state(None)

        self._thread(work, done, group="save-status")

    def diff(self) -> None:
        target = self.app.session.host.target

        def work():
            from sanctl.lio.config_diff import diff

            current = target.running_saved()  # the diff view reads everything: someone else may have written
            status = target.save_status(running_config=current)
            if status.diff is not None:
                return status, status.diff
            if status.differs:  # never saved: everything running is new
                return status, diff({}, current)
            return status, None

        def done(result: Any) -> None:
            if isinstance(result, Exception):
                self._problem("Cannot compare with the saved configuration", result)
                return
            status, found = result
            from sanctl.ui.screens.diff import DiffScreen

            path = self.shown(status.location.path)
            if found is None:
                summary = self.shown(status.problem or "The running and saved configurations are the same.")
                screen = DiffScreen(f"Running vs {path}", summary)
            else:
                summary = found.summary() if status.problem is None else self.shown(status.problem)
                saved = status.location.path if status.problem is None and not self.writer.readonly else None

                def after(_report: Any) -> None:
                    self.screen.action_refresh(quiet=True)
                    self.refresh_status()

                screen = DiffScreen(f"Running vs {path}", summary, found.entries,
                                    note="s saves the running configuration (the previous file is kept as a backup)."
                                    + (" Apply saved makes the running configuration (or one target) as saved."
                                       if saved else ""),
                                    source=saved, writer_factory=(lambda: self.writer) if saved else None,
                                    after=after, shown=self.shown)
            self.app.push_screen(screen)

        self._thread(work, done, group="diff")

    def restore(self) -> None:
        if self.refused():
            return
        from sanctl.ui.screens.restore import RestoreScreen

        def after(_report: Any) -> None:
            self.screen.action_refresh(quiet=True)
            self.refresh_status()

        self.app.push_screen(RestoreScreen(host=self.app.session.host, writer_factory=lambda: self.writer, after=after,
                                           shown=self.shown))


def _natural(text: str) -> list:
    import re

    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _ordered(lines: list[str]) -> list[str]:
    """The impact's summary, then what it removes and the sessions it drops, each in natural order
    (the reader lists directories in the filesystem's order, which differs between hosts)."""
    head = [line for line in lines if not line.startswith(("  - ", "  ~ ", "  ! "))]
    removes = sorted((line for line in lines if line.startswith("  - ")), key=_natural)
    notes = sorted((line for line in lines if line.startswith("  ~ ")), key=_natural)
    sessions = sorted((line for line in lines if line.startswith("  ! ")), key=_natural)
    return head + removes + notes + sessions
