"""The setup wizard's steps, one class each: what a step shows and what its buttons do.

A step composes its inputs from its form (:func:`sanctl.setup.fields.step_form`,
the screen's ``form``: a FormSpec laid out for the answers so far) and adds
what is not an input — sections' buttons, notes, the plan, progress; the
screen (:class:`~sanctl.ui.screens.setup.SetupScreen`) reads every ``#f-…``
field back into the answers through its field as it changes and shows the step's
refusals (:mod:`sanctl.setup.validate`) under the fields. A step may
re-compose itself when an answer changes its shape (the kind of a disk,
CHAP on, a client added). Nothing here writes anything but the answers:
Apply is the screen's, through :mod:`sanctl.setup.apply`.
"""

from __future__ import annotations

from typing import Any, Protocol

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from sanctl.names import generate_chap_secret, generate_iqn
from sanctl.setup import checks as K
from sanctl.setup.answers import Answers, Client, StorageItem
from sanctl.setup.fields import AUTHENTICATION, answer_key, field_for, sections
from sanctl.setup.presets import effects, preset
from sanctl.summary import human_size
from sanctl.ui.screens.setup_fields import button, field_rows, help_line, section



class Wizard(Protocol):
    """What a step uses of the wizard screen (:class:`~sanctl.ui.screens.setup.SetupScreen`): its
    answers, its context and its helpers — named here so that the steps do not import the screen."""

    answers: Answers
    readonly: bool
    #: The step's form as drawn (:func:`sanctl.setup.fields.step_form`), or None for a step that asks nothing.
    form: Any

    def __getattr__(self, name: str) -> Any: ...

GLYPHS = {K.OK: "✓", K.WARN: "!", K.FAIL: "✖", K.INFO: "·"}
DEFAULT_DIR = "/srv/iscsi"


def _default_file(name: str) -> str:
    return f"{DEFAULT_DIR}/{name or 'disk1'}.img"


class Step:
    key = ""
    intro = ""
    next_label = "Next"

    def compose(self, s: Wizard) -> ComposeResult:
        yield from ()

    def changed(self, s: Wizard, key: str) -> bool:
        """An answer changed: adjust others; True when the step must be composed again."""
        return False

    def pressed(self, s: Wizard, button_id: str) -> bool:
        """A button of the step; True when the step must be composed again."""
        return False

    def picked(self, s: Wizard, key: str, value: str) -> bool:
        return False


# ---------------------------------------------------------------------------
# 1 Checks
# ---------------------------------------------------------------------------


class ChecksStep(Step):
    key = "checks"
    intro = "can this host be an iSCSI target? Nothing changes before Apply."

    def compose(self, s: Wizard) -> ComposeResult:
        ctx = s.ctx
        if s.resumed:
            yield help_line(f"Resumed: your answers from {s.resumed} are kept (ctrl+r starts over).", "setup-note")
        for check in ctx.checks:
            line = Text()
            line.append(f"{GLYPHS.get(check.status, '?')} ")
            line.append(check.title, style="bold")
            line.append(f"  {check.detail}")
            with Horizontal(classes="setup-check"):
                yield Static(line, classes=f"setup-check-line -{check.status}")
                if check.action == "modprobe" and s.ctx.capabilities.is_this_machine and not s.readonly:
                    yield button("Load the modules", "b-modprobe")
            if check.fix and check.status in (K.FAIL, K.WARN, K.INFO):
                yield help_line(f"  fix: {check.fix}", "setup-fix")
        reason = ctx.dry_run_reason
        if reason:
            yield help_line(f"Apply is not possible here ({reason}): the wizard is a dry run ending at Review.",
                            "setup-note")
        with Horizontal(classes="setup-actions"):
            yield button("Check again", "b-recheck")

    def pressed(self, s: Wizard, button_id: str) -> bool:
        if button_id == "b-recheck":
            s.regather("Checked again.")
        elif button_id == "b-modprobe":
            s.run_modprobe()
        return False


# ---------------------------------------------------------------------------
# 2 Storage
# ---------------------------------------------------------------------------


def default_storage(s: Wizard) -> StorageItem:
    """A first disk: the kind that fits this host (a free device, else a file)."""
    n = len(s.answers.storage) + 1 if s.answers.storage != [StorageItem()] else 1
    name = f"disk{n}"
    return StorageItem(kind="fileio", name=name, file=_default_file(name), size="10G")


class StorageStep(Step):
    key = "storage"
    intro = "the disks clients will see, each a LUN: a device, a file, or memory."

    def compose(self, s: Wizard) -> ComposeResult:
        several = len(s.answers.storage) > 1
        for i, (title, fields) in enumerate(sections(s.form.fields)):  # one section per disk
            remove = (button("remove", f"b-remove-storage-{i}"),) if several else ()
            yield from section(title, *remove)
            yield from field_rows(fields)
        with Horizontal(classes="setup-actions"):
            yield button("Add another disk", "b-add-storage")

    def changed(self, s: Wizard, key: str) -> bool:
        if key.endswith(".kind"):
            item = s.answers.storage[int(key.split(".")[1])]
            if item.kind == "fileio":
                item.file = item.file or _default_file(item.name)
                item.size = item.size or "10G"
            elif item.kind == "ramdisk":
                item.size = item.size or "1G"
            return True
        return False

    def pressed(self, s: Wizard, button_id: str) -> bool:
        if button_id == "b-add-storage":
            name = f"disk{len(s.answers.storage) + 1}"
            s.answers.storage.append(StorageItem(kind="fileio", name=name, file=_default_file(name), size="10G"))
            return True
        if button_id.startswith("b-remove-storage-"):
            index = int(button_id.rsplit("-", 1)[1])
            if 0 <= index < len(s.answers.storage) and len(s.answers.storage) > 1:
                del s.answers.storage[index]
                s.forget_touched("storage.")
            return True
        return False

    def picked(self, s: Wizard, key: str, value: str) -> bool:
        if key.endswith(".dev"):
            item = s.answers.storage[int(key.split(".")[1])]
            item.dev = value
            if not item.name.strip() or item.name.startswith("disk"):
                from sanctl.forms.context import _name_from_path

                item.name = _name_from_path(value) or item.name
            return True
        return False


# ---------------------------------------------------------------------------
# 3 Target
# ---------------------------------------------------------------------------


def suggested_iqn(s: Wizard) -> str:
    first = s.answers.storage[0].name if s.answers.storage and s.answers.storage[0].name else "storage"
    try:
        return generate_iqn(first, hostname=s.ctx.host, today=s.ctx.day)
    except ValueError:
        return generate_iqn("storage", hostname=s.ctx.host, today=s.ctx.day)


class TargetStep(Step):
    key = "target"
    intro = "the name clients find the target by, and its LUNs."

    def compose(self, s: Wizard) -> ComposeResult:
        yield from field_rows(s.form.fields, buttons=lambda key: (button("generate", "b-generate-target"),))
        yield from section("LUNs (TPG 1)")
        for i, item in enumerate(s.answers.storage):
            where = {"block": item.dev, "fileio": item.file, "ramdisk": "memory"}.get(item.kind, "")
            size = s.item_size(item)
            yield help_line(f"  LUN {i}  {item.kind}/{item.name}  {where}  {human_size(size) if size else ''}".rstrip(),
                            "setup-lun")

    def pressed(self, s: Wizard, button_id: str) -> bool:
        if button_id == "b-generate-target":
            s.answers.target = suggested_iqn(s)
            s.touched.add("target")
            return True
        return False


# ---------------------------------------------------------------------------
# 4 Portal
# ---------------------------------------------------------------------------

class PortalStep(Step):
    key = "portal"
    intro = "where the target listens for clients."

    def compose(self, s: Wizard) -> ComposeResult:
        yield from field_rows(s.form.fields)
        if field_for(s.form, "iser") is None:
            yield help_line("iSER: not offered — no RDMA-capable NIC here (/sys/class/infiniband is empty).",
                            "setup-note")

    def picked(self, s: Wizard, key: str, value: str) -> bool:
        if key == "address":
            s.answers.address = value
            return True
        return False


# ---------------------------------------------------------------------------
# 5 Access
# ---------------------------------------------------------------------------


def _user_for(client: Client, index: int) -> str:
    base = client.label.strip() or (client.initiator.rsplit(":", 1)[-1] if client.initiator else "")
    base = "".join(c for c in base if not c.isspace())
    return base or f"client{index + 1}"


class AccessStep(Step):
    key = "access"
    intro = "who may log in: an ACL per client's initiator name, CHAP if wanted."

    def compose(self, s: Wizard) -> ComposeResult:
        a = s.answers
        masked = not s.show_secrets
        groups = sections(s.form.fields)
        for title, fields in groups:  # the demo mode's flags, then one section per client
            if title == AUTHENTICATION:
                break
            if title:
                i = int(answer_key(fields[0].name).split(".")[1])
                yield from section(title, *((button("remove", f"b-remove-client-{i}"),) if len(a.clients) > 1 else ()))
            yield from field_rows(fields, buttons=lambda key: self._buttons(s, key), masked=masked)
        with Horizontal(classes="setup-actions"):
            yield button("Add a client", "b-add-client")
        authentication = next((fields for title, fields in groups if title == AUTHENTICATION), None)
        if authentication is None:  # demo mode: no ACLs, no CHAP
            return
        yield from section(AUTHENTICATION)
        yield from field_rows(authentication, buttons=lambda key: self._buttons(s, key), masked=masked)
        if a.chap:
            where = s.shown(s.state_path) if s.state_path else "memory only"
            yield help_line(f"The secrets are kept with your answers in {where} (mode 0600) until the wizard is "
                            "finished.", "setup-note")

    @staticmethod
    def _buttons(s: Wizard, key: str) -> tuple:
        """The buttons beside an input: this host's or a generated initiator name, a generated secret."""
        *path, last = key.split(".")
        if last == "initiator":
            here = (button("this host", f"b-thishost-{path[1]}"),) if s.ctx.this_initiator else ()
            return (*here, button("generate", f"b-geninit-{path[1]}"))
        if last == "chap_secret":
            return (button("generate", f"b-gensecret-{path[1]}"),)
        if last == "mutual_secret":
            return (button("generate", "b-gensecret-mutual"),)
        return ()

    def _secret(self, s: Wizard) -> str:
        return generate_chap_secret(preset(s.answers.preset).secret_length)

    def changed(self, s: Wizard, key: str) -> bool:
        a = s.answers
        if key == "chap" and a.chap:
            for i, client in enumerate(a.clients):
                client.chap_user = client.chap_user or _user_for(client, i)
                client.chap_secret = client.chap_secret or self._secret(s)
        if key == "mutual" and a.mutual:
            a.mutual_user = a.mutual_user or (a.target.rsplit(":", 1)[-1] if ":" in a.target else "target")
            a.mutual_secret = a.mutual_secret or self._secret(s)
        return key in ("demo_mode", "chap", "mutual")

    def pressed(self, s: Wizard, button_id: str) -> bool:
        a = s.answers
        if button_id == "b-add-client":
            client = Client()
            if a.chap:
                client.chap_user, client.chap_secret = _user_for(client, len(a.clients)), self._secret(s)
            a.clients.append(client)
            return True
        if button_id.startswith("b-remove-client-"):
            index = int(button_id.rsplit("-", 1)[1])
            if 0 <= index < len(a.clients) and len(a.clients) > 1:
                del a.clients[index]
                s.forget_touched("clients.")
            return True
        if button_id.startswith("b-thishost-"):
            index = int(button_id.rsplit("-", 1)[1])
            client = a.clients[index]
            client.initiator = s.ctx.this_initiator or ""
            client.label = client.label or s.ctx.host
            s.touched.add(f"clients.{index}.initiator")
            return True
        if button_id.startswith("b-geninit-"):
            index = int(button_id.rsplit("-", 1)[1])
            client = a.clients[index]
            label = "".join(c if c.isalnum() else "-" for c in client.label.strip().lower()) or f"client{index + 1}"
            client.initiator = generate_iqn(label, hostname=s.ctx.host, today=s.ctx.day)
            s.touched.add(f"clients.{index}.initiator")
            return True
        if button_id.startswith("b-gensecret-"):
            which = button_id.rsplit("-", 1)[1]
            if which == "mutual":
                a.mutual_secret = self._secret(s)
            else:
                a.clients[int(which)].chap_secret = self._secret(s)
            return True
        return False


# ---------------------------------------------------------------------------
# 6 Preset
# ---------------------------------------------------------------------------


class PresetStep(Step):
    key = "preset"
    intro = "what the clients are: each preset sets what that system needs."

    def compose(self, s: Wizard) -> ComposeResult:
        a = s.answers
        p = preset(a.preset)
        yield from field_rows(s.form.fields)
        write_back = any(i.kind == "fileio" and i.write_back for i in a.storage)
        yield from section("What it sets")
        try:
            size = int(a.block_size)
        except ValueError:
            size = p.default_block_size
        for line in effects(p, block_size=size, thin=a.thin, write_back=write_back,
                            chap=a.chap and not a.demo_mode):
            yield help_line(f"  {line}", "setup-effect")
        check = s.check
        fixes = []
        if any("write-through" in problem for problem in check.problems):
            fixes.append(button("Use write-through", "b-fix-writethrough"))
        if any("CHAP secrets of" in problem for problem in check.problems):
            fixes.append(button(f"Generate {p.secret_length}-character secrets", "b-fix-secrets"))
        if fixes:
            with Horizontal(classes="setup-actions"):
                yield from fixes
        yield from section("Hints for the Client step")
        for hint in p.hints:
            yield help_line(f"• {hint}", "setup-hint")

    def changed(self, s: Wizard, key: str) -> bool:
        if key == "preset":
            p = preset(s.answers.preset)
            if s.answers.block_size not in {str(n) for n in p.block_sizes}:
                s.answers.block_size = str(p.default_block_size)
            return True
        return key in ("block_size", "thin")

    def pressed(self, s: Wizard, button_id: str) -> bool:
        a = s.answers
        if button_id == "b-fix-writethrough":
            for item in a.storage:
                if item.kind == "fileio":
                    item.write_back = False
            return True
        if button_id == "b-fix-secrets":
            length = preset(a.preset).secret_length
            low, high = preset(a.preset).chap_length
            for client in a.clients:
                if not low <= len(client.chap_secret) <= high:
                    client.chap_secret = generate_chap_secret(length)
            if a.mutual and not low <= len(a.mutual_secret) <= high:
                a.mutual_secret = generate_chap_secret(length)
            return True
        return False


# ---------------------------------------------------------------------------
# 7 Review
# ---------------------------------------------------------------------------


class ReviewStep(Step):
    key = "review"
    intro = "every operation Apply will do, and the same as targetcli commands."
    next_label = "Apply"

    def compose(self, s: Wizard) -> ComposeResult:
        from sanctl.setup.answers import TITLES
        from sanctl.setup.plan import Plan

        left = s.unfinished()
        if left:
            yield help_line("Before applying, correct:", "setup-section")
            for step, summary in left:
                yield help_line(f"  {TITLES[step]}: {summary}", "setup-refusal")
            return
        plan = s.plan()
        if not isinstance(plan, Plan):
            yield help_line(f"No plan: {plan}", "setup-refusal")
            return
        for group in plan.groups:
            yield help_line(group.title, "setup-section")
            for change in group.changes:
                yield help_line(f"  → {change.describe()}", "setup-op")
        yield help_line("Then", "setup-section")
        yield help_line(f"  → Save to {s.shown(s.ctx.save_path)} (the previous file kept as a backup)", "setup-op")
        yield help_line(f"  → Enable {s.ctx.boot_unit} so the configuration comes back at boot", "setup-op")
        yield help_line(f"  → Check the firewall for {plan.port}/tcp (it is changed only if you ask)", "setup-op")
        with Horizontal(classes="setup-section-row"):
            yield Static(Text("targetcli, for the record"), classes="setup-section")
            yield button("copy", "b-copy-targetcli")
        yield Static(Text("\n".join(plan.targetcli())), classes="setup-code", id="setup-targetcli")
        reason = s.ctx.dry_run_reason
        if reason:
            yield help_line(f"Dry run: {reason}. Nothing can be applied here; the commands above are the record.",
                            "setup-note")

    def pressed(self, s: Wizard, button_id: str) -> bool:
        if button_id == "b-copy-targetcli":
            plan = s.plan()
            if not isinstance(plan, str):
                s.copy("\n".join(plan.targetcli()) + "\n", "targetcli commands")
        return False


# ---------------------------------------------------------------------------
# 8 Apply
# ---------------------------------------------------------------------------

PHASE_GLYPHS = {"pending": "·", "running": "…", "done": "✓", "failed": "✖", "rolled back": "↺", "skipped": "-",
                "warning": "!"}


class ApplyStep(Step):
    key = "apply"
    intro = "one transaction (all of it, or all rolled back), then saved for boot."

    def compose(self, s: Wizard) -> ComposeResult:
        with Vertical(id="setup-phases"):
            for phase in s.phases:
                yield phase_line(phase)
        if s.firewall_closed():
            with Horizontal(classes="setup-actions"):
                yield button(f"Open port {s.applied_port()}/tcp", "b-open-firewall")
        if s.apply_message:
            yield help_line(s.apply_message, "setup-note")

    def pressed(self, s: Wizard, button_id: str) -> bool:
        if button_id == "b-open-firewall":
            s.open_firewall()
        return False


def phase_text(phase) -> Text:
    text = Text()
    text.append(f"{PHASE_GLYPHS.get(phase.status, '?')} ")
    text.append(phase.title, style="bold")
    text.append(f"  {phase.status}")
    if phase.detail:
        text.append(f": {phase.detail}")
    return text


def phase_line(phase) -> Static:
    return Static(phase_text(phase), id=f"phase-{phase.key.replace(':', '-')}",
                  classes=f"setup-phase -{phase.status.replace(' ', '-')}")


# ---------------------------------------------------------------------------
# 9 Client
# ---------------------------------------------------------------------------


class ClientStep(Step):
    key = "client"
    intro = "what each client runs to log in and mount the disk."
    next_label = "Finish"

    def compose(self, s: Wizard) -> ComposeResult:
        from sanctl.setup.client import client_commands, client_name

        a = s.answers
        p = preset(a.preset)
        applied = s.applied or {}
        target, address, port = applied.get("target", a.target), applied.get("address", a.address), \
            int(applied.get("port", a.port or 3260))
        if s.can_login_here():
            yield from section("This host is a client")
            with Horizontal(classes="setup-actions"):
                yield button("Log in from this host", "b-login-here", variant="primary",
                             disabled=s.login_busy or bool(s.login_result and s.login_result.ok))
                if s.login_result is not None and s.login_result.ok:
                    yield button("Open the initiator tab", "b-open-initiator")
            if s.login_busy:
                yield help_line("Logging in through iscsiadm…", "setup-note")
            if s.login_result is not None:
                yield help_line(s.login_result.message, "setup-note" if s.login_result.ok else "setup-refusal")
                if s.login_result.hint:
                    yield help_line(s.login_result.hint, "setup-help")
        clients = [c for c in a.clients if c.initiator.strip()] or ([Client()] if a.demo_mode else [])
        for i, client in enumerate(clients):
            with Horizontal(classes="setup-section-row"):
                name = client_name(client, i)
                yield Static(Text(f"{name}" + (f"  {client.initiator}" if client.initiator else "")),
                             classes="setup-section")
                yield button("copy", f"b-copy-client-{i}")
            for block in client_commands(a, target, address, port, s.ctx.client_address, client, i,
                                         secrets=s.show_secrets):
                yield help_line(f"# {block.title}", "setup-comment")
                yield Static(Text("\n".join(block.lines)), classes="setup-code")
        yield from field_rows(s.form.fields)  # show secrets, when there are some
        yield from section(f"Hints for {p.label}")
        for hint in p.hints:
            yield help_line(f"• {hint}", "setup-hint")

    def changed(self, s: Wizard, key: str) -> bool:
        return key == "show_secrets"

    def pressed(self, s: Wizard, button_id: str) -> bool:
        from sanctl.setup.client import as_text, client_commands

        a = s.answers
        if button_id.startswith("b-copy-client-"):
            index = int(button_id.rsplit("-", 1)[1])
            clients = [c for c in a.clients if c.initiator.strip()] or [Client()]
            applied = s.applied or {}
            blocks = client_commands(a, applied.get("target", a.target), applied.get("address", a.address),
                                     int(applied.get("port", a.port or 3260)), s.ctx.client_address,
                                     clients[index], index, secrets=True)
            s.copy(as_text(blocks), "the client's commands")
        elif button_id == "b-login-here":
            s.login_here()
        elif button_id == "b-open-initiator":
            s.open_initiator_tab()
        return False


STEP_CLASSES = (ChecksStep, StorageStep, TargetStep, PortalStep, AccessStep, PresetStep, ReviewStep, ApplyStep,
                ClientStep)
