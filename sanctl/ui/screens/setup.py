"""The setup wizard: from a bare disk to a logged-in client, one step at a time.

Checks → Storage → Target → Portal → Access → Preset → Review → Apply →
Client (:mod:`sanctl.ui.screens.setup_steps` draws each; a step that asks
something is a FormSpec, :func:`sanctl.setup.fields.step_form`). Back and Next move
between steps (``ctrl+b`` / ``ctrl+n``, ``enter`` in a field); a step with
refusals shows them under its fields and does not let Next through. Cancel
(``esc``) leaves at any step with nothing changed — the answers are kept
(:mod:`sanctl.setup.state`) and the wizard resumes at that step next time;
``ctrl+r`` starts over. Review is where a dry run ends (read-only, or a
check that fails); Apply runs the plan as one transaction in a worker
thread, showing each group's progress, rolls everything back on failure,
then saves with a backup, enables the boot service and checks the
firewall. The Client step shows each client's commands and, when a client
is this host, logs it in through the initiator tab's iscsiadm.

Opened by ``sanctl setup``, the command palette ("Setup wizard"), or the
offer shown on start when the host has no target yet.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Input, OptionList, Select, Static

from sanctl.setup.answers import INPUT_STEPS, STEPS, TITLES, Answers, StorageItem
from sanctl.setup.apply import Phase
from sanctl.setup.fields import answer_value, field_for, step_form
from sanctl.setup.state import WizardState, clear_state, load_state, save_state, state_path
from sanctl.setup.validate import StepCheck, check_all, check_step, size_of
from sanctl.ui.screens.setup_fields import get_answer, key_of, set_answer, widget_value
from sanctl.ui.screens.setup_steps import STEP_CLASSES, default_storage, phase_text, suggested_iqn
from sanctl.ui.widgets.status_bar import StatusBar
from sanctl.ui.widgets.key_bar import KeyBar

if TYPE_CHECKING:
    from sanctl.host.protocol import Host

_UNSET = object()


class StepBody(VerticalScroll):
    """``#setup-body``: the current step's widgets (composed again when the step changes shape)."""

    def compose(self) -> ComposeResult:
        screen = self.screen
        if not isinstance(screen, SetupScreen) or screen.ctx is None:
            yield Static(Text("Looking at this host…"), classes="setup-note")
            return
        screen.form = step_form(screen.step, screen.answers, screen.ctx, show_secrets=screen.show_secrets)
        yield from screen.view.compose(screen)


@runtime_checkable
class AfterSetup(Protocol):
    """A screen that shows the configuration: re-read when the wizard finishes (the configuration
    screen), without the wizard importing it."""

    def after_setup(self) -> None: ...


class SetupScreen(Screen[None]):
    """The wizard. ``#setup-body`` (the step), ``#setup-back``, ``#setup-cancel``, ``#setup-next``."""

    CSS_PATH = Path(__file__).resolve().parent.parent / "setup.tcss"

    BINDINGS = [
        Binding("escape", "leave", "Cancel", id="setup.cancel"),
        Binding("ctrl+b", "back", "Back", id="setup.back"),
        Binding("ctrl+n", "next", "Next", id="setup.next"),
        Binding("ctrl+r", "start_over", "Start over", id="setup.start_over"),
    ]

    def __init__(self, *, system: Host, state_file: Any = _UNSET) -> None:
        super().__init__()
        #: The host the wizard sets up: every read and change goes through it (its name and read-only reason too).
        self.system = system
        self.host = system.name
        self.readonly = system.readonly
        self.readonly_reason = system.readonly_reason
        self.state_path: str | None = state_path(system) if state_file is _UNSET else state_file
        self.ctx = None
        self.answers = Answers()
        self.step = "checks"
        self.applied: dict[str, Any] | None = None
        self.views = {cls.key: cls() for cls in STEP_CLASSES}
        self.touched: set[str] = set()
        self.all_shown = False
        self.show_secrets = False
        self.check = StepCheck()
        #: The current step's form as drawn (what each ``#f-…`` input is), or None for a step that asks nothing.
        self.form = None
        self.phases: list[Phase] = []
        self.apply_message = ""
        self.applying = False
        self.run = None
        self.login_result = None
        self.login_busy = False
        self.resumed = ""
        self._rendering = False
        self._state_problem_told = False
        self._finished = False
        self._fresh: Answers | None = None

    # --- layout -------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StatusBar(system=self.system, id="status-bar")
        yield Static(id="setup-steps")
        yield Static(id="setup-heading")
        yield StepBody(id="setup-body")
        yield Static(id="setup-problem")
        yield Static(id="setup-warnings")
        with Horizontal(id="setup-buttons"):
            yield Button("Back", id="setup-back", compact=True)
            yield Button("Cancel", id="setup-cancel", compact=True)
            yield Button("Next", id="setup-next", variant="primary", compact=True)
        yield KeyBar()

    def on_resize(self) -> None:
        self._heading()

    def on_mount(self) -> None:
        self._heading()
        self.query_one("#setup-next", Button).disabled = True
        self.query_one("#setup-back", Button).disabled = True
        self.gather(initial=True)

    @property
    def view(self):
        return self.views[self.step]

    @property
    def body(self) -> StepBody:
        return self.query_one("#setup-body", StepBody)

    # --- the host ---------------------------------------------------------------

    @property
    def writer(self):
        """The host's writer, shared with the configuration screen (tests replace it in ``app.session``)."""
        return self.app.session.writer

    def _thread(self, work, done, *, group: str) -> None:
        app = self.app

        def run() -> None:
            try:
                result = work()
            except Exception as exc:  # shown as a sentence, never a traceback
                result = exc
            app.call_from_thread(done, result)

        self.run_worker(run, thread=True, group=group, exit_on_error=False)

    def gather(self, *, initial: bool = False, told: str = "") -> None:
        from sanctl.setup.context import gather

        writer = self.writer
        system, name = self.system, self.host
        reason = (self.readonly_reason or "read-only") if self.readonly else None

        def work():
            return gather(system, name=name, readonly_reason=reason, backing=writer.backing_file)

        def done(ctx) -> None:
            if isinstance(ctx, Exception):
                self.app.fail(ctx, title="Setup", doing="Cannot look at this host")
                return
            self.ctx = ctx
            if initial:
                self._restore()
            if told:
                self.notify(told, timeout=3)
            self.render_step()

        self._thread(work, done, group="setup-gather")

    def regather(self, told: str = "") -> None:
        self.gather(told=told)

    def run_modprobe(self) -> None:
        probe = self.ctx.probe

        def done(result) -> None:
            if isinstance(result, Exception):
                self.app.fail(result, title="Setup")
                return
            self.notify(result.message, severity="information" if result.ok else "error", timeout=8)
            self.regather()

        self._thread(probe.modprobe, done, group="setup-modprobe")

    # --- state ------------------------------------------------------------------

    def _restore(self) -> None:
        notes: list[str] = []
        state = load_state(self.state_path, notes)
        for note in notes:  # a damaged setup.json: said (as text, never markup), then a fresh start
            self.notify(note, severity="warning", timeout=10, markup=False)
        if state is not None and state.started:
            self.answers = state.answers
            self.step = state.step
            self.applied = state.applied
            self.resumed = state.saved_at.replace("T", " ") or "earlier"
            if self.applied:
                self.phases = [Phase(p.get("key", ""), p.get("title", ""), p.get("status", ""), p.get("detail", ""))
                               for p in self.applied.get("phases", []) if isinstance(p, dict)]
        else:
            self.answers = self.fresh_answers()

    def fresh_answers(self) -> Answers:
        answers = Answers()
        self.answers = answers
        answers.storage = [default_storage(self)]
        self._fresh = copy.deepcopy(answers)
        return answers

    def save(self) -> None:
        if self.state_path is None:
            return
        state = WizardState(self.step, self.answers, self.applied)
        if not state.started or (self.step == "checks" and self.applied is None and self.answers == self._fresh):
            clear_state(self.state_path)  # nothing to resume
            return
        try:
            save_state(self.state_path, state)
        except OSError as exc:
            if not self._state_problem_told:
                self._state_problem_told = True
                self.notify(f"Cannot keep the answers in {self.state_path}: {exc.strerror or exc}",
                            severity="warning", timeout=8)

    def on_unmount(self) -> None:
        if self.ctx is not None and not getattr(self, "_finished", False):
            self.save()

    # --- drawing ----------------------------------------------------------------

    def _heading(self) -> None:
        strip = Text(no_wrap=True, overflow="ellipsis")
        current = STEPS.index(self.step)
        separator = " › " if self.size.width >= 90 else " "
        for i, step in enumerate(STEPS):
            if i:
                strip.append(separator, style="dim")
            style = "bold reverse" if i == current else ("" if i < current else "dim")
            strip.append(TITLES[step] if i != current else f" {TITLES[step]} ", style=style)
        self.query_one("#setup-steps", Static).update(strip)
        heading = Text()
        heading.append(f"Step {current + 1} of {len(STEPS)} · {TITLES[self.step]}", style="bold")
        if self.ctx is not None:
            heading.append(f" — {self.view.intro}")
        self.query_one("#setup-heading", Static).update(heading)

    def render_step(self, *, first_field: bool = False) -> None:
        """Compose the current step again (its shape changed), keeping focus and scroll where they were.

        ``first_field``: a new step — focus its first field, so that what is typed goes there and not
        to the keys of the screen behind it (a step without fields: its scrollable body).
        """
        if self.ctx is None:
            return
        self.check = check_step(self.step, self.ctx, self.answers) if self.step in INPUT_STEPS else StepCheck()
        focused = self.focused.id if self.focused is not None else None
        body = self.body
        scroll = 0.0 if first_field else body.scroll_y
        self._heading()

        async def again() -> None:
            self._rendering = True
            try:
                await body.recompose()
            finally:
                self._rendering = False
            self._validate()
            target = None
            if focused and not first_field:
                found = self.query(f"#{focused}")
                target = found.first() if found else None
            if first_field:  # a step without fields keeps the focus on its (scrollable) body
                target = next(iter(body.query("Input, Select")), None) or body
            if target is None and focused in (None, "setup-next", "setup-back"):
                target = next(iter(body.query("Input, Select, Checkbox, Button")), None)
            if target is not None and target.focusable:
                target.focus(scroll_visible=False)
            body.scroll_to(y=scroll, animate=False)

        self.call_later(again)

    def _validate(self) -> None:
        if self.ctx is None:
            return
        step = self.step
        check = check_step(step, self.ctx, self.answers) if step in INPUT_STEPS else StepCheck()
        self.check = check
        for error in self.body.query(".setup-error"):
            key = key_of(error.id or "")
            reason = check.errors.get(key)
            shown = bool(reason) and (self.all_shown or key in self.touched)
            error.update(Text(reason if shown else ""))
            error.set_class(shown, "-shown")
        problem = self.query_one("#setup-problem", Static)
        lines = list(check.problems)
        if not lines and check.errors and self.all_shown:
            lines = [check.summary()]
        if step == "review" and self.ctx.dry_run_reason and not self.unfinished():
            lines = ["Dry run: Apply is not possible here (see below)."]
        problem.update(Text("\n".join(f"✖ {line}" for line in lines)))
        problem.display = bool(lines)
        warnings = self.query_one("#setup-warnings", Static)
        warnings.update(Text("\n".join(f"! {w}" for w in check.warnings)))
        warnings.display = bool(check.warnings)
        self._buttons()

    def _buttons(self) -> None:
        step = self.step
        back = self.query_one("#setup-back", Button)
        nxt = self.query_one("#setup-next", Button)
        cancel = self.query_one("#setup-cancel", Button)
        back.disabled = self.applying or step == "checks" or self.applied is not None
        cancel.disabled = self.applying
        nxt.label = self.view.next_label if self.ctx is not None else "Next"
        if self.ctx is None:
            nxt.disabled = True
        elif step == "review":
            nxt.disabled = bool(self.unfinished()) or bool(self.ctx.dry_run_reason)
        elif step == "apply":
            nxt.disabled = self.applying or self.applied is None
        else:
            nxt.disabled = False
        self.refresh_bindings()

    def update_phases(self) -> None:
        """Repaint the Apply step's lines in place (no recompose: it runs while the writer works)."""
        if self.step != "apply":
            return
        for phase in self.phases:
            found = self.query(f"#phase-{phase.key.replace(':', '-')}")
            if found:
                widget = found.first(Static)
                widget.update(phase_text(phase))
                widget.set_classes(f"setup-phase -{phase.status.replace(' ', '-')}")

    # --- helpers for the steps --------------------------------------------------

    def shown(self, text: str) -> str:
        """Paths under the demo's root as ``demo:/…``."""
        return self.app.session.host.show_path(text)

    def forget_touched(self, prefix: str) -> None:
        self.touched = {k for k in self.touched if not k.startswith(prefix)}

    def item_size(self, item: StorageItem) -> int | None:
        if item.kind == "block":
            dev = self.ctx.device(item.dev.strip())
            return dev.size if dev is not None else None
        if item.kind == "fileio" and self.ctx.backing is not None and item.file.strip():
            try:
                kind, size = self.ctx.backing(item.file.strip())
            except (OSError, ValueError):
                kind, size = "missing", 0
            if kind == "file":
                return size
        return size_of(item.size)

    def unfinished(self) -> list[tuple[str, str]]:
        return [(step, check.summary()) for step, check in check_all(self.ctx, self.answers).items() if not check.ok]

    def plan(self):
        from sanctl.setup.plan import try_plan

        return try_plan(self.ctx, self.answers)

    def copy(self, text: str, what: str) -> None:
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied {what} to the clipboard (through the terminal, OSC 52: it must allow it).", timeout=5)

    def firewall_closed(self) -> bool:
        phase = next((p for p in self.phases if p.key == "firewall"), None)
        return phase is not None and phase.status == "warning" and "To open it" in phase.detail

    def applied_port(self) -> int:
        return int((self.applied or {}).get("port", self.answers.port or 3260))

    # --- events -----------------------------------------------------------------

    @on(Input.Changed)
    @on(Checkbox.Changed)
    @on(Select.Changed)
    def _changed(self, event) -> None:
        widget = event.control
        wid = widget.id or ""
        if self._rendering or self.ctx is None:
            return
        if wid == "f-show_secrets":
            event.stop()
            if widget.value != self.show_secrets:
                self.show_secrets = bool(widget.value)
                self.render_step()
            return
        if not wid.startswith("f-"):
            return
        event.stop()
        key = key_of(wid)
        field = field_for(self.form, key)
        if field is None:  # not an input of the form drawn (a stale event of the form before)
            return
        try:
            value = answer_value(field, widget_value(widget))  # refused: a choice that is not one
            if get_answer(self.answers, key) == value:
                return
            set_answer(self.answers, key, value)
        except (AttributeError, IndexError, ValueError):
            return
        self.touched.add(key)
        if self.view.changed(self, key):
            self.render_step()
        else:
            self._validate()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        list_id = event.option_list.id or ""
        if not list_id.startswith("p-"):
            return
        event.stop()
        key = key_of(list_id)
        value = event.option.id or ""
        self.touched.add(key)
        if self.view.picked(self, key, value):
            self.render_step()
            self.call_after_refresh(self._focus_field, key)

    def _focus_field(self, key: str) -> None:
        found = self.query(f"#f-{key.replace('.', '-')}")
        if found:
            found.first().focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        bid = event.button.id or ""
        if bid == "setup-next":
            self.action_next()
        elif bid == "setup-back":
            self.action_back()
        elif bid == "setup-cancel":
            self.action_leave()
        elif self.ctx is not None and self.view.pressed(self, bid):
            self.render_step()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_next()

    # --- navigation -------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return None if (self.step == "checks" or self.applied is not None or self.applying) else True
        if action == "start_over":
            return not self.applying
        return True

    def go(self, step: str) -> None:
        self.step = step
        self.touched = set()
        self.all_shown = False
        if step == "target" and not self.answers.target.strip():
            self.answers.target = suggested_iqn(self)
        self.save()
        self.render_step(first_field=True)

    def action_next(self) -> None:
        if self.ctx is None or self.applying:
            return
        step = self.step
        if step in INPUT_STEPS:
            check = check_step(step, self.ctx, self.answers)
            if not check.ok:
                self.all_shown = True
                self._validate()
                first = next((k for k in check.errors), None)
                if first is not None:
                    self._focus_field(first)
                return
        if step == "review":
            left = self.unfinished()
            if left:
                self.notify(f"{TITLES[left[0][0]]}: {left[0][1]}", title="Not yet", severity="warning")
                return
            if self.ctx.dry_run_reason:
                self.notify(f"Dry run: {self.ctx.dry_run_reason}", title="Not applied", severity="warning",
                            timeout=8)
                return
            self.start_apply()
            return
        if step == "apply":
            if self.applied is not None:
                self.go("client")
            return
        if step == "client":
            self.finish()
            return
        self.go(STEPS[STEPS.index(step) + 1])

    def action_back(self) -> None:
        if self.ctx is None or self.applying or self.step == "checks" or self.applied is not None:
            return
        if self.step == "apply":
            self.phases = []
            self.apply_message = ""
            self.go("review")
            return
        self.go(STEPS[STEPS.index(self.step) - 1])

    def action_leave(self) -> None:
        if self.applying:
            self.notify("Apply is running: wait until it has finished.", severity="warning")
            return
        if self.ctx is not None:
            self.save()
        if self.applied is not None:
            text = ("Setup left at the Client step: the configuration is applied. `sanctl setup` or the command "
                    "palette shows the client commands again.")
        elif self.state_path:
            text = (f"Setup cancelled at {TITLES[self.step]}: nothing was changed. Your answers are kept — "
                    "`sanctl setup` or the command palette (Setup wizard) resumes there.")
        else:
            text = "Setup cancelled: nothing was changed."
        self._finished = True
        self.dismiss()
        self.app.notify(text, title="Setup", timeout=8)

    def action_start_over(self) -> None:
        if self.ctx is None or self.applying:
            return
        clear_state(self.state_path)
        self.applied = None
        self.phases = []
        self.apply_message = ""
        self.login_result = None
        self.resumed = ""
        self.fresh_answers()
        self.go("checks")
        self.notify("Starting over: the answers are forgotten.", timeout=4)

    def finish(self) -> None:
        clear_state(self.state_path)
        self._finished = True
        self.dismiss()
        self._refresh_config()
        self.app.notify("Setup finished. The new target is in the tree; s saves again after later changes.",
                        title="Setup", timeout=8)

    def _refresh_config(self) -> None:
        for screen in self.app.screen_stack:
            if isinstance(screen, AfterSetup):
                screen.after_setup()

    # --- apply ------------------------------------------------------------------

    def start_apply(self) -> None:
        from sanctl.setup.apply import ApplyRun
        from sanctl.setup.plan import Plan

        plan = self.plan()
        if not isinstance(plan, Plan):
            self.app.fail(str(plan), title="Setup", doing="No plan")
            return
        app = self.app
        run = ApplyRun(plan, self.writer, self.ctx.probe, shown=self.shown,
                       progress=lambda phases: app.call_from_thread(self._progress, phases))
        self.run = run
        self.phases = list(run.phases)
        self.applying = True
        self.apply_message = ""
        self.go("apply")

        def done(result) -> None:
            self.applying = False
            if isinstance(result, Exception):
                from sanctl.lio.report import explain

                self.apply_message = f"Nothing was applied: {explain(result)}. Back returns to the Review step."
            elif run.ok:
                self.applied = run.applied()
                self.apply_message = "Applied. Next: what the clients run."
                self._refresh_config()
            else:
                report = run.report
                told = report.message() if report is not None else next(
                    (p.detail for p in run.phases if p.status == "failed"), "refused")
                self.apply_message = f"{told} Back returns to the Review step."
            self.phases = list(run.phases)
            self.save()
            self.render_step()

        self._thread(run.run, done, group="setup-apply")

    def _progress(self, phases: list[Phase]) -> None:
        self.phases = phases
        self.update_phases()

    def open_firewall(self) -> None:
        from sanctl.setup.firewall import open_port

        run = self.run
        probe = self.ctx.probe

        def work():
            status = run.firewall if run is not None else None
            if status is None:
                from sanctl.setup.firewall import check_firewall

                status = check_firewall(self.applied_port(), probe.firewall_runner())
            result = open_port(status, probe.firewall_runner())
            return result

        def done(result) -> None:
            if isinstance(result, Exception):
                self.app.fail(result, title="Setup")
                return
            self.notify(result.message, severity="information" if result.ok else "error", timeout=8)
            self._recheck_firewall()

        self._thread(work, done, group="setup-firewall")

    def _recheck_firewall(self) -> None:
        from sanctl.setup.apply import ApplyRun

        def work():
            from sanctl.setup.plan import Plan

            port = self.applied_port()
            address = (self.applied or {}).get("address", self.answers.address)
            dummy = ApplyRun(Plan((), "", address, port), self.writer, self.ctx.probe)
            dummy.check_firewall()
            return dummy.phase("firewall")

        def done(phase) -> None:
            if isinstance(phase, Exception):
                return
            self.phases = [phase if p.key == "firewall" else p for p in self.phases]
            if self.applied is not None:
                self.applied["phases"] = [{"key": p.key, "title": p.title, "status": p.status, "detail": p.detail}
                                          for p in self.phases]
                self.save()
            self.render_step()

        self._thread(work, done, group="setup-firewall")

    # --- this host as a client --------------------------------------------------

    def this_client(self):
        me = self.ctx.this_initiator
        return next((c for c in self.answers.clients if me and c.initiator.strip() == me), None)

    def can_login_here(self) -> bool:
        from sanctl.setup.presets import preset

        if self.applied is None or not self.app.session.host.capabilities.has_live or not self.ctx.this_initiator:
            return False
        if preset(self.answers.preset).commands not in ("linux", "proxmox"):
            return False
        if not self.ctx.probe or not self.ctx.probe.iscsiadm():
            return False
        return self.this_client() is not None or self.answers.demo_mode

    def login_here(self) -> None:
        from sanctl.initiator.iscsiadm_records import Chap
        from sanctl.setup.login import login_here
        from sanctl.ui.screens.initiator import default_backend

        a = self.answers
        client = self.this_client()
        chap = None
        if a.chap and not a.demo_mode and client is not None:
            chap = Chap(client.chap_user, client.chap_secret, a.mutual_user if a.mutual else "",
                        a.mutual_secret if a.mutual else "")
        applied = self.applied or {}
        target, address, port = applied.get("target", a.target), applied.get("address", a.address), \
            int(applied.get("port", a.port))
        adm = default_backend(self.app).iscsiadm
        expect = len(a.storage)
        self.login_busy = True
        self.render_step()

        def done(result) -> None:
            self.login_busy = False
            if isinstance(result, Exception):
                from sanctl.setup.login import LocalLogin

                result = LocalLogin(False, f"Login failed: {result}")
            self.login_result = result
            self.render_step()

        self._thread(lambda: login_here(adm, target, address, port, chap=chap, expect_disks=expect), done,
                     group="setup-login")

    def open_initiator_tab(self) -> None:
        from sanctl.ui import panels

        clear_state(self.state_path)
        self._finished = True
        app = self.app
        self._refresh_config()
        panels.show_panel(app, "connect")


def open_setup(app) -> None:
    """Push the wizard on ``app`` (a :class:`~sanctl.ui.app.SanctlApp`), unless it is open already."""
    for screen in app.screen_stack:
        if isinstance(screen, SetupScreen):
            return
    app.push_screen(SetupScreen(system=app.session.host))
