"""``sanctl exporter``: serve the metrics, write them for node_exporter's textfile collector, or print one scrape.

- ``--listen ADDR:PORT`` (the default, ``127.0.0.1:13260``) serves ``/metrics``
  over HTTP — or HTTPS with ``--tls-cert``/``--tls-key`` (and client
  certificates with ``--tls-client-ca``), prometheus-client's own TLS. It has
  no basic authentication: put a reverse proxy in front for that.
- ``--textfile PATH`` writes the metrics to PATH atomically, every
  ``--interval`` seconds, or once with ``--once``.
- ``--once`` alone prints one scrape to stdout.

13260 is outside 9100–9999, the range the Prometheus wiki's default port
allocations list has given out entirely, and is not on that list (3260 is
iSCSI's own port). Never imports Textual.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING, Any

from sanctl.errors import SanctlError

if TYPE_CHECKING:  # ipaddress, ssl, threading and signal are imported where used: ``sanctl --help`` needs none
    import threading

DEFAULT_ADDRESS = "127.0.0.1"
DEFAULT_PORT = 13260
DEFAULT_INTERVAL = 15.0


def add_parser(commands: Any) -> None:
    exporter = commands.add_parser(
        "exporter", help="Prometheus metrics of the target, the initiator and the doctor (serve, textfile or once)",
        description="Prometheus metrics for the LIO target, the open-iscsi initiator and sanctl's doctor.")
    mode = exporter.add_mutually_exclusive_group()
    mode.add_argument("--listen", metavar="ADDR:PORT",
                      help=f"serve /metrics here (default {DEFAULT_ADDRESS}:{DEFAULT_PORT}; [::1]:PORT for IPv6)")
    mode.add_argument("--textfile", metavar="PATH",
                      help="write node_exporter's textfile-collector file PATH (atomically) instead of serving")
    exporter.add_argument("--interval", type=float, metavar="S",
                          help=f"with --textfile: write every S seconds (default {DEFAULT_INTERVAL:g})")
    exporter.add_argument("--once", action="store_true",
                          help="one scrape: to stdout, or with --textfile written once (for a systemd timer)")
    exporter.add_argument("--config-every", type=float, default=300.0, metavar="S",
                          help="read the whole configuration again at least every S seconds (default 300; it is "
                               "read again at once when a target, TPG, ACL, LUN or backstore comes or goes, or "
                               "saveconfig.json changes)")
    exporter.add_argument("--no-mapped-luns", action="store_true",
                          help="leave out the series per initiator and mapped LUN (lio_mapped_lun_*): on a big "
                               "target they are most of the scrape (LUN and session series stay)")
    exporter.add_argument("--tls-cert", metavar="FILE", help="serve HTTPS with this certificate (PEM)")
    exporter.add_argument("--tls-key", metavar="FILE", help="the certificate's private key (PEM)")
    exporter.add_argument("--tls-client-ca", metavar="FILE",
                          help="require client certificates signed by this CA (PEM)")


class UsageError(SanctlError):
    """Bad options: said in one line, exit 2."""


def parse_listen(text: str) -> tuple[str, int]:
    """``127.0.0.1:13260``, ``[::1]:13260``, ``:13260`` (every address) -> (address, port)."""
    text = text.strip()
    if text.startswith("["):
        host, sep, port = text[1:].partition("]:")
        if not sep:
            raise UsageError(f"--listen {text}: expected [IPv6]:PORT")
    else:
        host, sep, port = text.rpartition(":")
        if not sep:
            raise UsageError(f"--listen {text}: expected ADDR:PORT, e.g. {DEFAULT_ADDRESS}:{DEFAULT_PORT}")
    if not (port.isascii() and port.isdigit()) or not 1 <= int(port) <= 65535:
        raise UsageError(f"--listen {text}: the port must be a number from 1 to 65535")
    host = host or "0.0.0.0"
    import ipaddress

    try:
        ipaddress.ip_address(host)
    except ValueError:
        if host != "localhost":
            raise UsageError(f"--listen {text}: {host!r} is not an IP address") from None
    return host, int(port)


def _registry(source, *, once: bool, config_every: float, mapped_luns: bool = True):
    from prometheus_client.registry import CollectorRegistry

    from sanctl.exporter.collector import SanCollector
    reads = source.exporter_reads(once=once)
    collector = SanCollector(reads, mode=source.mode, config_every=config_every, since_start=not once,
                             version=_version(), mapped_luns=mapped_luns, background=not once)
    registry = CollectorRegistry(support_collectors_without_names=True)
    registry.register(collector)
    return registry, reads


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sanctl")
    except PackageNotFoundError:
        return "unknown"


def _check(args: argparse.Namespace) -> None:
    if args.interval is not None and not args.textfile:
        raise UsageError("--interval goes with --textfile")
    if args.interval is not None and args.once:
        raise UsageError("--interval and --once: choose one")
    if args.interval is not None and not args.interval > 0:
        raise UsageError("--interval must be more than 0 seconds")
    if args.once and args.listen:
        raise UsageError("--once prints one scrape (or writes --textfile once); it does not serve")
    if not args.config_every > 0:
        raise UsageError("--config-every must be more than 0 seconds")
    tls = (args.tls_cert, args.tls_key, args.tls_client_ca)
    if any(tls) and (args.textfile or args.once):
        raise UsageError("--tls-* options are for --listen")
    if bool(args.tls_cert) != bool(args.tls_key):
        raise UsageError("--tls-cert and --tls-key go together")
    if args.tls_client_ca and not args.tls_cert:
        raise UsageError("--tls-client-ca needs --tls-cert and --tls-key")


def cmd_exporter(args: argparse.Namespace, source) -> int:
    try:
        _check(args)
        listen = parse_listen(args.listen) if args.listen else (DEFAULT_ADDRESS, DEFAULT_PORT)
    except UsageError as exc:
        print(f"sanctl exporter: {exc}", file=sys.stderr)
        return 2
    from prometheus_client import generate_latest

    registry, reads = _registry(source, once=args.once, config_every=args.config_every,
                                mapped_luns=not args.no_mapped_luns)
    try:
        if args.once and not args.textfile:
            sys.stdout.buffer.write(generate_latest(registry))
            sys.stdout.flush()
            return 0
        if args.textfile:
            return _textfile(args.textfile, registry, once=args.once,
                             interval=args.interval or DEFAULT_INTERVAL)
        return _serve(listen, registry, args)
    except KeyboardInterrupt:
        return 0
    finally:
        reads.close()


def _textfile(path: str, registry, *, once: bool, interval: float) -> int:
    from prometheus_client import generate_latest

    from sanctl.exporter.textfile import write_atomic

    _stop_on_sigterm()
    while True:
        started = time.monotonic()
        try:
            write_atomic(path, generate_latest(registry))
        except OSError as exc:
            print(f"sanctl exporter: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        if once:
            return 0
        time.sleep(max(0.0, interval - (time.monotonic() - started)))


def _serve(listen: tuple[str, int], registry, args: argparse.Namespace) -> int:
    import ssl
    import threading

    from prometheus_client import start_http_server

    address, port = listen
    options: dict[str, Any] = {}
    if args.tls_cert:
        options.update(certfile=args.tls_cert, keyfile=args.tls_key)
        if args.tls_client_ca:
            options.update(client_cafile=args.tls_client_ca, client_auth_required=True)
    try:
        server, thread = start_http_server(port, addr=address, registry=registry, **options)
    except ssl.SSLError as exc:  # a bad certificate or key (prometheus-client says which file)
        words = exc.args[0] if len(exc.args) == 1 else (exc.strerror or exc)
        print(f"sanctl exporter: cannot serve TLS: {words}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"sanctl exporter: cannot listen on {address}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bad certificate or key: ssl's own words
        print(f"sanctl exporter: cannot serve TLS: {exc}", file=sys.stderr)
        return 1
    scheme = "https" if args.tls_cert else "http"
    shown = f"[{address}]" if ":" in address else address
    print(f"sanctl exporter: serving {scheme}://{shown}:{port}/metrics", file=sys.stderr, flush=True)
    stop = threading.Event()
    _stop_on_sigterm(stop)
    try:
        stop.wait()
    finally:
        server.shutdown()
        server.server_close()
    return 0


def _stop_on_sigterm(event: threading.Event | None = None) -> None:
    """systemd stops services with SIGTERM: leave as cleanly as on ^C."""
    def handler(signum, frame):  # noqa: ARG001
        if event is not None:
            event.set()
        else:
            raise KeyboardInterrupt

    import signal

    try:
        signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (a test calling main() from a thread)
        pass
