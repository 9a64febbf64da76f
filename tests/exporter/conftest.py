"""Fixtures for the exporter: demo trees, the real Prometheus tools, parsing the exposition text.

promtool and prometheus come from Debian's ``prometheus`` package (``.ci/run``
installs it). Without them the tests that need them are skipped with the
reason — and with ``CI=true`` they fail instead, like the kernel tier's
missing pieces: CI cannot go green by skipping.
"""

from __future__ import annotations

import os
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "contrib" / "prometheus" / "sanctl.rules.yml"
DASHBOARD = REPO / "contrib" / "grafana" / "sanctl.json"
SYSTEMD = REPO / "contrib" / "systemd"
#: 2026-01-01 12:00:00 UTC: the live demo's "now" in tests that drive its clock.
T0 = 1767268800.0


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def need_tool(name: str) -> str:
    """The tool's path; skip without it (fail with CI=true)."""
    found = shutil.which(name)
    if found:
        return found
    message = f"{name} is not installed (Debian: apt-get install prometheus)"
    if _ci():
        pytest.fail(f"CI=true: {message}", pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    """A port free now: another process (the test workers run side by side) may take it before the server
    binds it, so servers are started with :func:`start_exporter` / :func:`start_on_free_port`, which retry."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


#: How often a server is tried on another port when the one it was given was taken meanwhile.
PORT_ATTEMPTS = 5


def _line_with(stream, marker: str, timeout: float) -> tuple[str | None, list[str]]:
    """Read ``stream`` line by line until one holds ``marker`` (returned) or it ends (None); the lines read."""
    lines: queue.Queue = queue.Queue()

    def reader() -> None:
        for raw in iter(stream.readline, b""):
            line = raw.decode(errors="replace")
            lines.put(line)
            if marker in line:
                return  # the rest stays in the pipe for the test to read
        lines.put(None)

    threading.Thread(target=reader, daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            pytest.fail(f"no line with {marker!r} in {timeout:.0f} s; so far: {''.join(seen)!r}")
        if line is None:
            return None, seen
        seen.append(line)
        if marker in line:
            return line, seen


def start_exporter(root, *options: str, scheme: str = "http", timeout: float = 120):
    """``sanctl --demo --root ROOT exporter --listen 127.0.0.1:PORT OPTIONS`` on a free port:
    ``(process, port, what it wrote before serving)`` once it says it serves.

    Waiting for its own "serving" line, not for an answer on the port, makes sure that what answers
    there is this exporter; "cannot listen" (the port was taken meanwhile) tries another port.
    """
    for _ in range(PORT_ATTEMPTS):
        port = free_port()
        proc = subprocess.Popen([sys.executable, "-m", "sanctl", "--demo", "--root", str(root), "exporter",
                                 "--listen", f"127.0.0.1:{port}", *options],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        line, seen = _line_with(proc.stderr, f"serving {scheme}://127.0.0.1:{port}/metrics", timeout)
        if line is not None:
            return proc, port, "".join(seen)
        proc.wait(timeout=timeout)
        if "cannot listen" not in "".join(seen):
            pytest.fail(f"the exporter stopped before serving: {''.join(seen)!r}")
    pytest.fail(f"no free port for the exporter in {PORT_ATTEMPTS} tries")


def start_on_free_port(argv, log: Path, ready: str, taken: str, timeout: float = 120):
    """``argv(port)`` on a free port, its output to ``log``: ``(process, port)`` once the log says ``ready``;
    a log saying ``taken`` (the port was taken meanwhile) tries another port."""
    for attempt in range(PORT_ATTEMPTS):
        port = free_port()
        out = log.with_suffix(f".{attempt}{log.suffix}")
        with open(out, "wb") as sink:
            proc = subprocess.Popen(argv(port), stdout=subprocess.DEVNULL, stderr=sink)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = out.read_text(errors="replace")
            if ready in text:
                return proc, port
            if proc.poll() is not None:
                break
            time.sleep(0.1)  # polling the log for a condition, not waiting for a time to pass
        else:
            proc.kill()
            pytest.fail(f"{argv(port)[0]}: not ready in {timeout:.0f} s; its log: {out}")
        proc.wait()
        if taken not in out.read_text(errors="replace"):
            pytest.fail(f"{argv(port)[0]} stopped before it was ready; its log: {out.read_text()[-2000:]}")
    pytest.fail(f"no free port for {argv(0)[0]} in {PORT_ATTEMPTS} tries")


def sanctl(*args: str, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    """``sanctl ARGS`` in a fresh interpreter."""
    return subprocess.run([sys.executable, "-m", "sanctl", *args], capture_output=True, timeout=timeout, **kwargs)


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """The exposition text's samples: (name, labels) -> value, parsed by prometheus-client's own parser."""
    from prometheus_client.parser import text_string_to_metric_families

    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


def value(found: dict, name: str, **labels) -> float | None:
    """The one sample of ``name`` whose labels include ``labels``; None if there is none."""
    want = set(labels.items())
    hits = [v for (n, l), v in found.items() if n == name and want <= set(l)]
    assert len(hits) <= 1, f"{name}{labels}: {len(hits)} samples"
    return hits[0] if hits else None


@pytest.fixture
def demo_root(tmp_path) -> Path:
    """Where ``sanctl --demo --root`` keeps a demo SAN (built by the first command)."""
    return tmp_path / "demo"


@pytest.fixture
def demo_tree(tmp_path) -> Path:
    """An idle demo SAN, built."""
    from sanctl.sim.demo import build_demo

    root = tmp_path / "demo"
    build_demo(root)
    return root
