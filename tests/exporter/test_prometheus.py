"""The real Prometheus: the rules file checked and unit-tested by promtool, and a server scraping the exporter.

The server test starts ``sanctl --demo --root R exporter --listen 127.0.0.1:<free port>``
and a Prometheus (its own temporary directory, another free port, a scrape
and rule evaluation every second, the shipped rules loaded), waits for a
scrape and asks ``/api/v1/query`` for a session metric and for alert states.
Waiting is bounded by a deadline; nothing asserts how long anything took.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.exporter.conftest import DASHBOARD, RULES, need_tool, samples, sanctl, start_exporter, start_on_free_port

HERE = Path(__file__).resolve().parent
WEB = "iqn.2024-01.com.example:web"


def test_rules_pass_promtool_check_rules():
    promtool = need_tool("promtool")
    done = subprocess.run([promtool, "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_rules_fire_as_intended_promtool_test_rules():
    """promtool's rule unit tests: series in, alerts (with their labels and annotations) out."""
    promtool = need_tool("promtool")
    done = subprocess.run([promtool, "test", "rules", str(HERE / "rules_test.yml")], capture_output=True, text=True,
                          timeout=120, cwd=HERE)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_alert_has_a_summary_and_a_description_naming_the_fix():
    text = RULES.read_text()
    chunks = text.split("- alert: ")[1:]
    names = {chunk.split()[0] for chunk in chunks}
    assert {"SanctlSharedInitiatorName", "OpeniscsiConnection1020Flapping", "LioLoginFailuresRising",
            "LioTpgDisabledWithSessions", "LioDemoModeWritable", "LioConfigurationUnsaved", "OpeniscsiPathDown",
            "LioBackstoreDeviceGone"} <= names
    for chunk in chunks:
        assert "summary:" in chunk, chunk.split()[0]
        description = chunk.partition("description:")[2]
        assert "Fix:" in description, chunk.split()[0]


def _metric_names(expr: str) -> set[str]:
    return {m for m in re.findall(r"\b((?:lio|openiscsi|sanctl)_[a-z0-9_]+)", expr)}


def test_dashboard_is_grafana_json_with_a_host_variable_over_metrics_the_exporter_has(demo_root):
    dashboard = json.loads(DASHBOARD.read_text())
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert "host" in variables
    panels = [p for p in dashboard["panels"] if p.get("type") != "row"]
    exprs = [t["expr"] for p in panels for t in p.get("targets", [])]
    assert exprs and all("$host" in e for e in exprs if _metric_names(e))
    done = sanctl("--demo", "--root", str(demo_root), "exporter", "--once")
    assert done.returncode == 0, done.stderr.decode()
    # every family the exporter declares (multipath's have no samples on a host without multipath-tools)
    exported = set(re.findall(r"^# HELP (\S+)", done.stdout.decode(), re.M))
    assert {name for name, _ in samples(done.stdout.decode())} <= exported
    used = set().union(*(_metric_names(e) for e in exprs))
    assert used and used <= exported, f"the dashboard queries what the exporter never writes: {used - exported}"
    titles = " ".join(p["title"].lower() for p in panels)
    for word in ("session", "lun", "initiator", "login", "connection error", "doctor"):
        assert word in titles


def _query(port: int, expr: str) -> list:
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(url, timeout=30) as response:
        data = json.load(response)
    assert data["status"] == "success", data
    return data["data"]["result"]


def _wait(what: str, probe, deadline: float):
    last = None
    while time.monotonic() < deadline:
        try:
            last = probe()
        except OSError as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(0.5)
    pytest.fail(f"{what}: not seen before the deadline (last answer: {last!r})")


def test_a_real_prometheus_scrapes_the_exporter_and_evaluates_the_rules(demo_root, tmp_path):
    prometheus = need_tool("prometheus")
    exporter, exporter_port, _ = start_exporter(demo_root)
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        f"rule_files:\n  - {RULES}\n"
        "scrape_configs:\n  - job_name: sanctl\n    static_configs:\n"
        f"      - targets: ['127.0.0.1:{exporter_port}']\n")
    try:
        server, prom_port = start_on_free_port(
            lambda port: [prometheus, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
                          f"--web.listen-address=127.0.0.1:{port}"],
                          tmp_path / "prometheus.log", ready="Server is ready to receive web requests",
                          taken="address already in use")
    except BaseException:
        exporter.kill()
        exporter.wait()
        raise
    try:
        deadline = time.monotonic() + 180
        up = _wait("the exporter scraped", lambda: [r for r in _query(prom_port, 'up{job="sanctl"}')
                                                     if r["value"][1] == "1"], deadline)
        assert up[0]["metric"]["instance"] == f"127.0.0.1:{exporter_port}"
        session = _wait("web01's session", lambda: _query(
            prom_port, f'lio_tpg_sessions{{target="{WEB}",kind="acl",state="LOGGED_IN"}}'), deadline)
        assert session[0]["value"][1] == "1"
        # "for: 1h": the demo's configuration was never saved, so the alert is pending, not firing yet
        pending = _wait("LioConfigurationUnsaved pending", lambda: _query(
            prom_port, 'ALERTS{alertname="LioConfigurationUnsaved"}'), deadline)
        assert pending[0]["metric"]["alertstate"] == "pending"
        # the demo's RAC client shares its name with a clone: sessions replaced every few seconds
        firing = _wait("SanctlSharedInitiatorName firing", lambda: _query(
            prom_port, 'ALERTS{alertname="SanctlSharedInitiatorName",alertstate="firing"}'), deadline)
        assert firing[0]["metric"]["severity"] == "critical"
    finally:
        for proc in (server, exporter):
            proc.send_signal(signal.SIGTERM)
        for proc in (server, exporter):
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    assert "Traceback" not in exporter.stderr.read().decode()
