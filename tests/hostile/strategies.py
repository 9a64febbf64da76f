"""Hypothesis strategies for input from outside: any text, any bytes, any JSON — and the real formats,
mangled. No cap on size and no excluded alphabet (surrogates and control characters included)."""

from __future__ import annotations

from hypothesis import strategies as st

#: Every code point, lone surrogates included.
ANY_CHAR = st.characters(exclude_categories=())
any_text = st.text(alphabet=ANY_CHAR)
#: Numbers as they may appear: small, huge (past int()'s 4,300 digits), signed, hex, unicode digits.
number_text = st.one_of(
    st.integers().map(str),
    st.integers(min_value=4290, max_value=6000).map(lambda n: "9" * n),
    st.integers(min_value=0).map(hex),
    st.text(alphabet=st.characters(categories=["Nd"])),
    any_text,
)


def _templated(templates: list[str]) -> st.SearchStrategy[str]:
    """A real line with every ``{}`` replaced by a hostile number or text."""
    def fill(template: str, values: list[str]) -> str:
        parts = template.split("{}")
        out = parts[0]
        for part, value in zip(parts[1:], values):
            out += value + part
        return out

    return st.sampled_from(templates).flatmap(
        lambda t: st.lists(number_text, min_size=t.count("{}"), max_size=t.count("{}")).map(
            lambda values: fill(t, values)))


KERNEL_LINES = [
    "[{}] connection{}:{}: detected conn error ({})",
    "{},{},{},-;connection{}:{}: detected conn error ({})",
    "{},{},{},-;session{}: session recovery timed out after {} secs",
    "[{}] connection{}:{}: ping timeout of {} secs expired, recv timeout 5",
    "[{}] iSCSI Initiator Node: {} is not authorized to access iSCSI target portal group: {}",
    "[{}] Did not receive response to NOPIN on CID: {}, failing connection for I_T Nexus iqn.a:b,i,0x{},iqn.t:x,t,0x{}",
    "[{}] Detected NON_EXISTENT_LUN Access for 0x{} from {}",
    "iscsid: Kernel reported iSCSI connection {}:{} error ({} - {}: {}) state ({})",
    "iscsid: connection{}:{} is operational after recovery ({} attempts)",
    "iscsid: session {} login rejected: {}",
    "Nov 21 21:28:22 host iscsid[{}]: Connection{}:{} to [target: {}, portal: {},{}] through [iface: {}] is operational now",
]
kernel_log_line = st.one_of(any_text, _templated(KERNEL_LINES))


def _journal(values: dict) -> str:
    import json

    return json.dumps(values)


journal_value = st.one_of(any_text, number_text, st.integers(), st.none(), st.lists(st.integers()),
                          st.booleans(), st.floats())
journal_line = st.one_of(
    any_text,
    st.fixed_dictionaries({"MESSAGE": st.one_of(kernel_log_line, st.lists(st.integers()), journal_value)},
                          optional={k: journal_value for k in ("SYSLOG_IDENTIFIER", "_COMM", "_UID", "_TRANSPORT",
                                                               "_SYSTEMD_UNIT", "__REALTIME_TIMESTAMP",
                                                               "_SOURCE_MONOTONIC_TIMESTAMP")}).map(_journal),
    st.integers(min_value=1, max_value=300_000).map(lambda n: "[" * n + "]" * n),
)

ISCSIADM_LINES = [
    "{}:{},{} iqn.2003-01.org.x:{}",
    "tcp: [{}] {}:{},{} iqn.2003-01.org.x:t (non-flash)",
    "Target: {} (non-flash)", "\tCurrent Portal: {}:{},{}", "\tPersistent Portal: {}:{},{}",
    "\t\tInterface:", "\t\tSID: {}", "\t\tHost Number: {}\tState: running",
    "\t\tscsi{} Channel {} Id {} Lun: {}", "\t\t\tAttached scsi disk {}\t\tState: running",
    "Stats for session [sid: {}, target: {}, portal: {},{}]", "\t{}: {}",
    "Login to [sid: {}, iface: {}, target: {}, portal: {},{}] successful.",
    "Could not login to [iface: {}, target: {}, portal: {},{}].",
    "iscsiadm: initiator reported error ({} - {})",
    "# BEGIN RECORD {}", "node.{} = {}", "# END RECORD", "{}:{} via sendtargets", "{} tcp,{},{},{},{}",
]
iscsiadm_output = st.one_of(any_text, st.lists(st.one_of(_templated(ISCSIADM_LINES), any_text)).map("\n".join))

ACL_INFO_LINES = [
    "InitiatorName: {}", "InitiatorAlias: {}", "LIO Session ID: {}   ISID: 0x{}   TSIH: {}   SessionType: Normal",
    "Session State: {}", "-----------------------[iSCSI Session Values]-----------------------",
    "  CmdSN/WR  :  CmdSN/C  :  ExpCmdSN  :  MaxCmdSN  :     ITT    :     TTT",
    " 0x{}   0x{}   0x{}   0x{}   0x{}   0x{}",
    "----------------------[iSCSI Connections]-------------------------",
    "CID: {}  Connection State: {}", "   Address {} {}  StatSN: 0x{}", "No active iSCSI Session for Initiator Endpoint: {}",
]
acl_info = st.one_of(any_text, st.lists(st.one_of(_templated(ACL_INFO_LINES), any_text)).map("\n".join))


def _json_values() -> st.SearchStrategy:
    scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), any_text)
    return st.recursive(scalars, lambda inner: st.one_of(st.lists(inner), st.dictionaries(any_text, inner)))


any_json = _json_values()
SAVECONFIG_KEYS = ["storage_objects", "targets", "fabric_modules", "tpgs", "luns", "portals", "node_acls",
                   "mapped_luns", "plugin", "name", "wwn", "fabric", "tag", "index", "ip_address", "port",
                   "node_wwn", "storage_object", "tpg_lun", "attributes", "alua_tpgs", "password"]


def _saveconfig_like() -> st.SearchStrategy:
    key = st.one_of(st.sampled_from(SAVECONFIG_KEYS), any_text)
    return st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), any_text),
        lambda inner: st.one_of(st.lists(inner), st.dictionaries(key, inner)),
    ).map(lambda v: {"targets": v, "storage_objects": v} if not isinstance(v, dict) else v)


saveconfig_like = _saveconfig_like()
#: A file's bytes: anything, or JSON of anything, or deeply nested brackets.
file_bytes = st.one_of(
    st.binary(),
    any_json.map(lambda v: __import__("json").dumps(v).encode()),
    saveconfig_like.map(lambda v: __import__("json").dumps(v).encode()),
    st.integers(min_value=1, max_value=300_000).map(lambda n: b"[" * n + b"]" * n),
)
