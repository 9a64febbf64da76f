"""``sanctl exporter`` as a process: --once checked by promtool, --textfile atomic, --listen serving, bad options."""

from __future__ import annotations

import ipaddress
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sanctl.exporter.command import UsageError, parse_listen
from sanctl.exporter.textfile import write_atomic
from tests.exporter.conftest import SYSTEMD, free_port, need_tool, samples, sanctl, start_exporter, value

SECRETS = ("web01-chap-secret", "target-chap-secret")


def test_once_on_the_demo_passes_promtool_and_has_every_part(demo_root):
    promtool = need_tool("promtool")
    done = sanctl("--demo", "--root", str(demo_root), "exporter", "--once")
    assert done.returncode == 0, done.stderr.decode()
    text = done.stdout.decode()
    check = subprocess.run([promtool, "check", "metrics"], input=done.stdout, capture_output=True, timeout=60)
    assert check.returncode == 0, check.stdout.decode() + check.stderr.decode()
    names = {name for name, _ in samples(text)}
    assert any(re.fullmatch(r"lio_.*session.*", n) for n in names)
    assert any(re.fullmatch(r"lio_.*bytes_total", n) for n in names)
    assert any(re.fullmatch(r"lio_.*login.*fail.*", n) for n in names)
    assert any(n.startswith("openiscsi_") for n in names)
    assert any(n.startswith("sanctl_doctor") for n in names)
    for secret in SECRETS:
        assert secret not in text
    found = samples(text)
    # the demo's file server knocks on the RAC target without an ACL: refused as "authorize"
    assert value(found, "lio_target_login_failures_total", target="iqn.2024-01.storage.oracle:rac",
                 reason="authorize") > 0
    # --once counts the connection errors the log still holds: the demo's 1020s of the last minutes
    assert value(found, "openiscsi_connection_errors_total", code="1020") > 0


def _chap_secrets(root: Path) -> set[str]:
    found = set()
    for path in (root / "sys/kernel/config/target").rglob("*password*"):
        try:
            text = path.read_text().strip()
        except OSError:
            continue
        if text:
            found.add(text)
    return found


def test_once_on_a_captured_tree_shows_no_chap_secret(kernel_capture):
    promtool = need_tool("promtool")
    secrets = _chap_secrets(kernel_capture)
    assert secrets, "the capture has CHAP secrets to hide"
    done = sanctl("--root", str(kernel_capture), "exporter", "--once")
    assert done.returncode == 0, done.stderr.decode()
    text = done.stdout.decode()
    for secret in secrets:
        assert secret not in text
    check = subprocess.run([promtool, "check", "metrics"], input=done.stdout, capture_output=True, timeout=60)
    assert check.returncode == 0, check.stdout.decode() + check.stderr.decode()
    found = samples(text)
    assert value(found, "sanctl_exporter_info", mode="captured") == 1
    assert any(name == "lio_tpg_sessions" for name, _ in found)


def test_textfile_once_replaces_the_file_atomically_with_nothing_beside_it(demo_root, tmp_path):
    out = tmp_path / "textfile"
    out.mkdir()
    path = out / "sanctl.prom"
    path.write_text("old\n")
    inode = path.stat().st_ino
    done = sanctl("--demo", "--root", str(demo_root), "exporter", "--textfile", str(path), "--once")
    assert done.returncode == 0, done.stderr.decode()
    assert os.listdir(out) == ["sanctl.prom"]
    assert path.stat().st_ino != inode  # a new file renamed over the old, not rewritten in place
    assert path.stat().st_mode & 0o777 == 0o644
    assert value(samples(path.read_text()), "sanctl_exporter_info", mode="demo") == 1


def test_write_atomic_failing_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "sanctl.prom"
    path.write_bytes(b"old\n")

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError):
        write_atomic(str(path), b"new\n")
    assert path.read_bytes() == b"old\n"
    assert os.listdir(tmp_path) == ["sanctl.prom"]


def test_textfile_interval_rewrites_and_stops_cleanly_on_sigterm(demo_root, tmp_path):
    out = tmp_path / "textfile"
    out.mkdir()
    path = out / "sanctl.prom"
    proc = subprocess.Popen([sys.executable, "-m", "sanctl", "--demo", "--root", str(demo_root), "exporter",
                             "--textfile", str(path), "--interval", "0.2"], stderr=subprocess.PIPE)
    try:
        inodes = set()
        deadline = time.monotonic() + 60
        while len(inodes) < 3 and time.monotonic() < deadline and proc.poll() is None:
            try:
                inodes.add(path.stat().st_ino)
            except FileNotFoundError:
                pass
            time.sleep(0.05)
        assert len(inodes) >= 3, "the file was not written again and again"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert proc.returncode == 0, proc.stderr.read().decode()
    assert os.listdir(out) == ["sanctl.prom"]
    assert value(samples(path.read_text()), "sanctl_exporter_info", mode="demo") == 1


def test_listen_serves_metrics(demo_root):
    proc, port, before = start_exporter(demo_root)  # it said "serving http://127.0.0.1:PORT/metrics"
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as response:
            body = response.read().decode()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert proc.returncode == 0
    assert "Traceback" not in before + proc.stderr.read().decode()
    assert value(samples(body), "lio_tpg_sessions", target="iqn.2024-01.com.example:web", kind="acl",
                 state="LOGGED_IN") == 1


def test_a_port_in_use_is_a_message_not_a_traceback(demo_root):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = sanctl("--demo", "--root", str(demo_root), "exporter", "--listen", f"127.0.0.1:{port}")
    assert done.returncode == 1
    err = done.stderr.decode()
    assert f"cannot listen on 127.0.0.1:{port}" in err and "Traceback" not in err


@pytest.mark.parametrize("args, words", [
    (["--listen", "nowhere"], "expected ADDR:PORT"),
    (["--listen", "127.0.0.1:70000"], "1 to 65535"),
    (["--listen", "example.com:13260"], "not an IP address"),
    (["--interval", "5"], "--interval goes with --textfile"),
    (["--textfile", "x.prom", "--interval", "0"], "more than 0"),
    (["--listen", "127.0.0.1:13260", "--once"], "does not serve"),
    (["--tls-cert", "c.pem"], "go together"),
])
def test_bad_options_say_why_and_change_nothing(demo_root, tmp_path, args, words):
    done = sanctl("--demo", "--root", str(demo_root), "exporter", *args, cwd=tmp_path)
    assert done.returncode == 2
    err = done.stderr.decode()
    assert words in err and "Traceback" not in err
    assert not (tmp_path / "x.prom").exists()


@pytest.mark.parametrize("text, expected", [
    ("127.0.0.1:13260", ("127.0.0.1", 13260)),
    ("[::1]:9", ("::1", 9)),
    (":13260", ("0.0.0.0", 13260)),
    ("0.0.0.0:1", ("0.0.0.0", 1)),
])
def test_parse_listen(text, expected):
    assert parse_listen(text) == expected


@pytest.mark.parametrize("text", ["", "13260", "[::1]13260", "1.2.3.4:", "1.2.3.4:0", "1.2.3.4:x", "a b:1", "1.2.3.4:\u00b2"])
def test_parse_listen_refuses(text):
    with pytest.raises(UsageError):
        parse_listen(text)


def test_the_exporter_command_never_imports_textual(demo_root):
    code = (
        "import sys, io, contextlib\n"
        "from sanctl.cli import main\n"
        "out = io.TextIOWrapper(io.BytesIO())\n"
        "with contextlib.redirect_stdout(out):\n"
        f"    main(['--demo', '--root', {str(demo_root)!r}, 'exporter', '--textfile', "
        f"{str(demo_root) + '.prom'!r}, '--once'])\n"
        "sys.exit(1 if 'textual' in sys.modules else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert os.path.exists(str(demo_root) + ".prom")


def test_systemd_units_verify(tmp_path):
    analyze = need_tool("systemd-analyze")
    units = []
    for unit in sorted(SYSTEMD.iterdir()):
        # the units name /usr/local/bin/sanctl; verify checks it is executable, so point it at this one
        text = unit.read_text().replace("/usr/local/bin/sanctl", str(Path(sys.executable).parent / "sanctl"))
        (tmp_path / unit.name).write_text(text)
        units.append(str(tmp_path / unit.name))
    assert {Path(u).name for u in units} == {"sanctl-exporter.service", "sanctl-exporter-textfile.service",
                                             "sanctl-exporter-textfile.timer"}
    done = subprocess.run([analyze, "verify", "--man=no", *units], capture_output=True, text=True, timeout=60,
                          cwd=tmp_path)
    problems = [line for line in (done.stdout + done.stderr).splitlines() if str(tmp_path) in line]
    assert done.returncode == 0 and not problems, done.stdout + done.stderr
    assert "--listen 127.0.0.1:13260" in (SYSTEMD / "sanctl-exporter.service").read_text()
    assert "--textfile" in (SYSTEMD / "sanctl-exporter-textfile.service").read_text()


def test_no_mapped_luns_leaves_out_only_the_per_initiator_lun_series(demo_root):
    done = sanctl("--demo", "--root", str(demo_root), "exporter", "--once", "--no-mapped-luns")
    assert done.returncode == 0, done.stderr.decode()
    names = {name for name, _ in samples(done.stdout.decode())}
    assert not any(n.startswith("lio_mapped_lun_") for n in names)
    assert {"lio_lun_read_bytes_total", "lio_acl_session_read_bytes_total", "lio_tpg_sessions"} <= names


@given(st.text(max_size=200))
@settings(max_examples=300, deadline=None)
def test_parse_listen_never_crashes_and_gives_a_usable_address(text):
    try:
        host, port = parse_listen(text)
    except UsageError as exc:
        assert str(exc).startswith("--listen ")
        return
    assert 1 <= port <= 65535
    assert host == "localhost" or ipaddress.ip_address(host)


def test_listen_with_tls_serves_https(demo_root, tmp_path):
    import ssl

    openssl = need_tool("openssl")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=120)
    proc, port, _ = start_exporter(demo_root, "--tls-cert", str(cert), "--tls-key", str(key), scheme="https")
    context = ssl.create_default_context(cafile=str(cert))
    try:
        with urllib.request.urlopen(f"https://127.0.0.1:{port}/metrics", timeout=30, context=context) as response:
            body = response.read().decode()
        with pytest.raises(OSError):  # plain HTTP is not answered with metrics
            urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30).read()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert value(samples(body), "sanctl_exporter_info", mode="demo") == 1


def test_a_bad_certificate_is_a_message_not_a_traceback(demo_root, tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate\n")
    done = sanctl("--demo", "--root", str(demo_root), "exporter", "--listen", f"127.0.0.1:{free_port()}",
                  "--tls-cert", str(bad), "--tls-key", str(bad))
    assert done.returncode == 1
    err = done.stderr.decode()
    assert "cannot serve TLS" in err and "Traceback" not in err
