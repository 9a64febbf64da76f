"""``sanctl [global options] [command]``: the TUI, or a scriptable command.

Global options mean the same for every command and may come before or after it
(``sanctl --demo show`` and ``sanctl show --demo`` are the same).
Commands that print (``show``, ``export``, ``sessions``, ``errors``, ``doctor``) never import Textual, so they stay
fast in scripts and cron jobs.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (type checkers know the name)
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Sequence

    from sanctl.host.protocol import Host

# Start-up time: ``sanctl --version`` and ``--help`` import nothing of sanctl's
# beyond this module and ``sanctl/__init__``, a printing command only what it
# prints with (``python bench/startup.py`` measures it). So everything else is
# imported inside the function that needs it.


def version() -> str:
    """The package's version (pyproject.toml takes it from ``sanctl.__version__``;
    ``importlib.metadata`` would cost more than the rest of ``--version``)."""
    from sanctl import __version__

    return __version__


def _add_global_options(parser: argparse.ArgumentParser, *, default: object = None) -> None:
    """The options every command shares. On a command's own parser they default to SUPPRESS,
    so ``sanctl show --demo`` sets ``demo`` and ``sanctl --demo show`` is not undone."""
    flag = {} if default is None else {"default": default}
    parser.add_argument("--demo", action="store_true", help="run on the demo SAN (no kernel target needed)", **flag)
    parser.add_argument("--root", metavar="DIR", help="filesystem root to read (a captured tree, or where the demo SAN lives)", **flag)
    parser.add_argument("--readonly", action="store_true", help="never change anything", **flag)
    parser.add_argument("--no-mouse", action="store_true", help="do not capture the mouse (cheaper over slow SSH links)", **flag)
    parser.add_argument("--theme", metavar="NAME", help="colour theme (bundled: sanctl-dark, sanctl-light)", **flag)


def terminal_columns() -> int:
    """``shutil.get_terminal_size().columns``, which argparse's help formatter asks for, without
    importing shutil (and bz2, lzma and zlib with it) into every command's start."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


_PARSER_CLASS: type | None = None


def _parser_class() -> type[argparse.ArgumentParser]:
    """argparse's parser, formatting help at :func:`terminal_columns` (its subparsers are of its class)."""
    global _PARSER_CLASS
    if _PARSER_CLASS is None:
        import argparse

        class Formatter(argparse.HelpFormatter):
            def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                         width: int | None = None) -> None:
                super().__init__(prog, indent_increment, max_help_position,
                                 terminal_columns() - 2 if width is None else width)

        class Parser(argparse.ArgumentParser):
            def __init__(self, *args: object, **kwargs: object) -> None:
                kwargs.setdefault("formatter_class", Formatter)
                super().__init__(*args, **kwargs)  # type: ignore[arg-type]

        _PARSER_CLASS = Parser
    return _PARSER_CLASS


def _global_parser(*, add_help: bool = True, exit_on_error: bool = True) -> argparse.ArgumentParser:
    parser = _parser_class()(
        prog="sanctl",
        description="A terminal UI for Linux iSCSI storage (LIO target, open-iscsi initiator).",
        epilog="Without a command, sanctl opens the TUI. Global options may also follow the command.",
        add_help=add_help,
        exit_on_error=exit_on_error,
    )
    parser.add_argument("--version", action="version", version=f"sanctl {version()}")
    _add_global_options(parser)
    return parser


#: Each command's one-line summary, in ``--help``'s order. ``sanctl --help`` lists the commands from
#: here, so that it imports no command's module (their options are built only for ``sanctl <command>``);
#: tests/test_cli_startup.py checks that this list says what the commands' own parsers say.
SUMMARIES: dict[str, str] = {
    "show": "print the configuration tree (like targetcli ls)",
    "export": "print the configuration as saveconfig.json (targetctl's format)",
    "discover": "find the targets a portal offers (SendTargets discovery)",
    "login": "log in to a target (every portal of its node records unless --portal)",
    "logout": "log out of a target (every portal of its node records unless --portal)",
    "sessions": "print the iSCSI sessions, connections and I/O counters",
    "errors": "print iSCSI connection errors, their meaning and fix, and flapping",
    "save": "make the running configuration the boot configuration (saveconfig.json)",
    "diff": "what differs between the running and the saved configuration",
    "apply": "make the running configuration what a saveconfig.json or a targetcli script says "
             "(validated whole, only what differs, previewed first)",
    "restore": "restore a saved configuration or backup (previewed first)",
    "backups": "list the kept copies of saveconfig.json, newest first",
    "setup": "open the TUI on the guided first-time setup wizard",
    "doctor": "what is wrong with this SAN, why it matters, how to fix it (exit 0 ok, 1 warnings, 2 errors)",
    "exporter": "Prometheus metrics of the target, the initiator and the doctor (serve, textfile or once)",
}


def _add_own_parsers(commands: argparse._SubParsersAction) -> None:
    show = commands.add_parser("show", help=SUMMARIES["show"])
    show.add_argument("--json", action="store_true", help="print sanctl's model as JSON")

    export = commands.add_parser("export", help=SUMMARIES["export"])
    export.add_argument("-o", "--output", metavar="FILE",
                        help="write it to FILE instead (mode 0600, atomically: it holds the CHAP secrets)")


def _add_initiator_parsers(commands: argparse._SubParsersAction) -> None:
    from sanctl.initiator.commands import add_parsers  # stdlib-only module

    add_parsers(commands)  # discover, login, logout


def _add_live_parsers(commands: argparse._SubParsersAction) -> None:
    from sanctl.live.commands import add_arguments  # no Textual either; the sampler only when run

    add_arguments(commands)  # sessions, errors


def _add_saveconfig_parsers(commands: argparse._SubParsersAction) -> None:
    from sanctl.lio.commands import add_parsers  # no Textual, rtslib-fb lazily

    add_parsers(commands)  # save, diff, apply, restore, backups; export --target


def _add_setup_parser(commands: argparse._SubParsersAction) -> None:
    setup = commands.add_parser("setup", help=SUMMARIES["setup"])
    setup.add_argument("--start-over", action="store_true", help="forget the answers of an unfinished setup")


def _add_doctor_parser(commands: argparse._SubParsersAction) -> None:
    from sanctl.doctor.command import add_parser  # no Textual either

    add_parser(commands)  # doctor


def _add_exporter_parser(commands: argparse._SubParsersAction) -> None:
    from sanctl.exporter.command import add_parser  # no Textual, prometheus-client lazily

    add_parser(commands)  # exporter


#: Which commands each part of the parser defines, in ``--help``'s order: running one command
#: builds (and imports) only the parts that define it.
_PARSER_PARTS: tuple[tuple[frozenset[str], Callable[[argparse._SubParsersAction], None]], ...] = (
    (frozenset({"show", "export"}), _add_own_parsers),
    (frozenset({"discover", "login", "logout"}), _add_initiator_parsers),
    (frozenset({"sessions", "errors"}), _add_live_parsers),
    (frozenset({"save", "diff", "apply", "restore", "backups", "export"}), _add_saveconfig_parsers),
    (frozenset({"setup"}), _add_setup_parser),
    (frozenset({"doctor"}), _add_doctor_parser),
    (frozenset({"exporter"}), _add_exporter_parser),
)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line: global options, then one command.

    With ``command``, only the parts that define that command (what running it takes: the
    other commands' modules are not imported).
    """
    import argparse

    parser = _global_parser()
    commands = parser.add_subparsers(dest="command", metavar="command")
    for names, add in _PARSER_PARTS:
        if command is None or command in names:
            add(commands)
    for sub in commands.choices.values():  # global options after the command too
        _add_global_options(sub, default=argparse.SUPPRESS)
    return parser


def summary_parser() -> argparse.ArgumentParser:
    """The parser ``sanctl --help`` prints: the global options and each command's summary, none of the
    commands' own options (so no command's module is imported). Its usage, top-level help and errors
    are the whole parser's."""
    parser = _global_parser()
    commands = parser.add_subparsers(dest="command", metavar="command")
    for name, summary in SUMMARIES.items():
        commands.add_parser(name, help=summary)
    return parser


def _read(host: Host, *, details: bool):
    from sanctl.lio.configfs import ConfigfsNotFound
    from sanctl.output import printable
    from sanctl.startup import StartupError

    try:
        config = host.target.read_config(details=details)
    except ConfigfsNotFound as exc:
        raise StartupError(f"No LIO configfs under {exc.path}.", exit_code=2) from exc
    for problem in config.problems:  # what could not be read is said, not silently missing
        print(f"sanctl: skipped {printable(problem.path)}: {printable(problem.message)}", file=sys.stderr)
    return config


def cmd_show(args: argparse.Namespace, host: Host) -> int:
    config = _read(host, details=args.json)
    if args.json:
        import json

        from sanctl.model_json import to_jsonable

        json.dump(to_jsonable(config), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        from sanctl.tree import render_text

        sys.stdout.write(render_text(config))
    return 0


def cmd_export(args: argparse.Namespace, host: Host) -> int:
    """``sanctl export [--target WWN]``: the whole running configuration, or one target's part."""
    if getattr(args, "target", None) is not None:
        from sanctl.lio.commands import cmd_export_target

        return cmd_export_target(args, host)
    from sanctl.lio.saveconfig import dump
    from sanctl.output import write_document

    config = _read(host, details=True)
    return write_document(args, dump(config))


def cmd_setup(args: argparse.Namespace, host: Host) -> int:
    """The TUI, opened on the setup wizard (resuming an unfinished setup unless --start-over)."""
    if args.start_over:
        from sanctl.setup.state import clear_state, state_path

        clear_state(state_path(host))
    return cmd_tui(args, host, setup=True)


def cmd_tui(args: argparse.Namespace, host: Host, *, setup: bool = False) -> int:
    from sanctl.startup import StartupError
    from sanctl.ui.app import SanctlApp, UnknownThemeError

    try:
        app = SanctlApp(system=host, theme=args.theme, setup=setup)
    except UnknownThemeError as exc:
        raise StartupError(str(exc), exit_code=2) from exc
    app.run(mouse=not args.no_mouse)
    return app.return_code or 0


def _initiator(name: str) -> Callable[[argparse.Namespace, Host], int]:
    def run(args: argparse.Namespace, host: Host) -> int:
        from sanctl.initiator import commands

        return getattr(commands, name)(args, host)

    return run


def _live(name: str) -> Callable[[argparse.Namespace, Host], int]:
    def run(args: argparse.Namespace, host: Host) -> int:
        from sanctl.live import commands

        return getattr(commands, name)(args, host)

    return run


def cmd_doctor(args: argparse.Namespace, host: Host) -> int:
    from sanctl.doctor.command import cmd_doctor as run

    return run(args, host)


def cmd_exporter(args: argparse.Namespace, host: Host) -> int:
    from sanctl.exporter.command import cmd_exporter as run

    return run(args, host)


def _saveconfig(name: str) -> Callable[[argparse.Namespace, Host], int]:
    def run(args: argparse.Namespace, host: Host) -> int:
        from sanctl.lio import commands

        return getattr(commands, name)(args, host)

    return run


COMMANDS: dict[str | None, Callable[[argparse.Namespace, Host], int]] = {
    None: cmd_tui,
    "show": cmd_show,
    "setup": cmd_setup,
    "export": cmd_export,
    "discover": _initiator("cmd_discover"),
    "login": _initiator("cmd_login"),
    "logout": _initiator("cmd_logout"),
    "sessions": _live("cmd_sessions"),
    "errors": _live("cmd_errors"),
    "save": _saveconfig("cmd_save"),
    "diff": _saveconfig("cmd_diff"),
    "restore": _saveconfig("cmd_restore"),
    "apply": _saveconfig("cmd_apply"),
    "backups": _saveconfig("cmd_backups"),
    "doctor": cmd_doctor,
    "exporter": cmd_exporter,
}


#: ``sanctl doctor`` exits 0/1/2 for what it found; 3 (Nagios' UNKNOWN) when it could not look.
DOCTOR_FAILED = 3

#: Commands that work on a host without the LIO target (a pure initiator host).
INITIATOR_ONLY = frozenset({"discover", "login", "logout", "sessions", "errors", "doctor", "exporter"})
#: ``setup`` starts without the kernel target too: its first step says how to load it (and offers to).
NO_TARGET_NEEDED = INITIATOR_ONLY | {"setup"}


def parse_command_line(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse the command line, building only the parser the command needs.

    Each command module the full parser imports costs start-up time: with
    global options only (the TUI), a small parser does; with a known command,
    that command's part of the parser. ``--help`` before any command, and an
    unknown command, get :func:`summary_parser` (which lists every command
    without importing their modules).
    """
    import argparse

    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args, rest = _global_parser(add_help=False, exit_on_error=False).parse_known_args(argv)
    except argparse.ArgumentError:  # a global option without its value: said with the usage --help shows
        return summary_parser().parse_args(argv)
    if not rest:
        args.command = None
        return args
    # argparse takes the first word that is not an option as the command; the options before it
    # (unknown to the global parser) are the top-level parser's, so a help among them is its help.
    word = next((a for a in rest if not a.startswith("-")), None)
    before = rest if word is None else rest[: rest.index(word)]
    if word in SUMMARIES and not any(_asks_help(a) for a in before):
        return build_parser(word).parse_args(argv)
    return summary_parser().parse_args(argv)


def _asks_help(arg: str) -> bool:
    """``-h``, ``--help`` or an abbreviation argparse takes for it (``--he``)."""
    return arg == "-h" or (len(arg) > 2 and "--help".startswith(arg))


def build_host(args: argparse.Namespace) -> Host:
    """The one Host every command and the TUI talk to: this machine, a captured tree or the demo SAN
    (:func:`~sanctl.startup.resolve_source` decides which, and says why when it cannot)."""
    from sanctl.host import host_for
    from sanctl.startup import resolve_source

    source = resolve_source(root=args.root, demo=args.demo, readonly=args.readonly,
                            need_target=args.command not in NO_TARGET_NEEDED)
    return host_for(source, name=os.uname().nodename)  # gethostname's answer, without importing socket


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv == ["--version"]:  # what argparse would print, without importing it (and re, shutil, gettext)
        sys.stdout.write(f"sanctl {version()}\n")
        return 0
    from sanctl.bounded import invalid_argument

    bad = invalid_argument(argv)
    if bad is not None:  # bytes that are not UTF-8 (decoded with surrogateescape): refused, not a traceback
        print(f"sanctl: an argument is not valid UTF-8: {bad}", file=sys.stderr)
        return DOCTOR_FAILED if "doctor" in argv else 2
    args = parse_command_line(argv)  # --version and --help exit here
    from sanctl.errors import SanctlError
    from sanctl.output import said

    try:
        host = build_host(args)
    except SanctlError as exc:
        return said(exc, DOCTOR_FAILED if args.command == "doctor" else None)
    try:
        return COMMANDS[args.command](args, host)
    except SanctlError as exc:  # what a command did not catch itself: said, not a traceback
        return said(exc, DOCTOR_FAILED if args.command == "doctor" and not hasattr(exc, "exit_code") else None)
    except BrokenPipeError:
        return 0
    finally:
        host.cleanup()
