"""Is the port open: firewalld, ufw, nftables from canned outputs; opened only when asked."""

from __future__ import annotations

from sanctl.setup.firewall import check_firewall, open_port
from sanctl.sim.firewall import DemoFirewall


def runner(answers: dict):
    calls = []

    def run(argv, write=False):
        calls.append(" ".join(argv))
        for prefix, answer in answers.items():
            if " ".join(argv).startswith(prefix):
                return answer
        return None, "", "not installed"

    run.calls = calls
    return run


def test_firewalld_closed_then_opened_on_request():
    run = runner({"firewall-cmd --state": (0, "running\n", ""), "firewall-cmd --query": (1, "no\n", ""),
                  "firewall-cmd --add-port": (0, "success\n", ""),
                  "firewall-cmd --permanent --add-port": (0, "success\n", "")})
    status = check_firewall(3260, run)
    assert (status.tool, status.open) == ("firewalld", False)
    assert status.commands == ("firewall-cmd --add-port=3260/tcp", "firewall-cmd --permanent --add-port=3260/tcp")
    assert not any("add-port" in c for c in run.calls)  # asking never changes it
    assert open_port(status, run).ok
    assert run.calls[-2:] == list(status.commands)


def test_firewalld_service_counts_as_open():
    run = runner({"firewall-cmd --state": (0, "running\n", ""), "firewall-cmd --query-port": (1, "no\n", ""),
                  "firewall-cmd --query-service=iscsi-target": (0, "yes\n", "")})
    assert check_firewall(3260, run).open is True


def test_ufw():
    active = "Status: active\nLogging: on (low)\nDefault: deny (incoming), allow (outgoing)\n\nTo Action From\n"
    closed = runner({"ufw status": (0, active + "22/tcp ALLOW IN Anywhere\n", "")})
    status = check_firewall(3260, closed)
    assert (status.tool, status.open, status.commands) == ("ufw", False, ("ufw allow 3260/tcp",))
    assert check_firewall(3260, runner({"ufw status": (0, active + "3260/tcp ALLOW IN Anywhere\n", "")})).open
    assert check_firewall(3260, runner({"ufw status": (0, active + "3000:4000/tcp ALLOW IN Anywhere\n", "")})).open
    assert check_firewall(3260, runner({"ufw status": (0, "Status: inactive\n", "")})).tool == "none"


NFT_DROP = """table inet filter {
\tchain input {
\t\ttype filter hook input priority filter; policy drop;
\t\tct state established,related accept
\t\ttcp dport 22 accept
\t}
\tchain forward {
\t\ttype filter hook forward priority filter; policy drop;
\t}
}
"""


def test_nftables():
    status = check_firewall(3260, runner({"nft list ruleset": (0, NFT_DROP, "")}))
    assert (status.tool, status.open) == ("nftables", False)
    assert status.commands == ("nft insert rule inet filter input tcp dport 3260 accept",)
    opened = NFT_DROP.replace("tcp dport 22 accept", "tcp dport { 22, 3260 } accept")
    assert check_firewall(3260, runner({"nft list ruleset": (0, opened, "")})).open
    accepting = "table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t}\n}\n"
    assert check_firewall(3260, runner({"nft list ruleset": (0, accepting, "")})).tool == "none"


def test_nothing_installed_means_nothing_filters():
    status = check_firewall(3260, runner({}))
    assert (status.tool, status.open, status.commands) == ("none", True, ())


def test_the_demo_firewall_lives_under_the_demo_root(demo_root):
    fw = DemoFirewall(demo_root)
    status = check_firewall(3260, fw)
    assert status.closed
    assert open_port(status, fw).ok
    assert check_firewall(3260, fw).open
    assert check_firewall(3261, fw).closed


def test_a_read_only_runner_refuses_opening_the_port_but_still_asks():
    """Opening the port changes the host: the probe's runner marks it a write, and a read-only one refuses
    it (asking whether it is open still runs)."""
    from sanctl.host.runner import ScriptedRunner
    from sanctl.setup.probe import HostProbe

    answers = {"--state": (0, "running\n", ""), "--query-port=3260/tcp": (1, "no\n", ""),
               "--query-service=iscsi-target": (1, "no\n", ""), "--add-port=3260/tcp": (0, "success\n", ""),
               "--permanent --add-port=3260/tcp": (0, "success\n", "")}
    runner = ScriptedRunner(answers, read_only="--readonly")
    run = HostProbe("/", runner=runner).firewall_runner()
    status = check_firewall(3260, run)
    assert (status.tool, status.open) == ("firewalld", False)
    result = open_port(status, run)
    assert not result.ok
    assert "--readonly" in result.message
    opening = [c for c in runner.calls if any("--add-port" in word for word in c.argv)]
    assert [c.write for c in opening] == [True]  # the first command was refused: the second never ran
    assert all(not c.write for c in runner.calls if c not in opening)
