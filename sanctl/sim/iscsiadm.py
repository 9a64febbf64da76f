"""An iscsiadm for the demo SAN: this host's open-iscsi, simulated in memory.

:class:`DemoIscsiadm` is an :class:`~sanctl.initiator.iscsiadm.Iscsiadm`
whose :meth:`run` answers from an in-memory node database and session list
instead of starting a process, in iscsiadm's own words and exit codes (the
texts of ``tests/fixtures/initiator/iscsiadm-cases.json``). Everything above
``run`` — validation, the parsers, "already logged in" as success, the
result types — is the real wrapper's, so the initiator tab behaves on the
demo as it does on a host.

What the simulation knows comes from the demo SAN's configfs tree (read
with :func:`~sanctl.lio.configfs.read_config`), so its answers follow the
target's configuration:

- SendTargets discovery answers on the demo host's addresses (127.0.0.1,
  ::1, 192.168.50.10, localhost) and lists every enabled TPG's portals
  (LIO's ``0.0.0.0`` as the address discovery came in on). Another port on
  those addresses is refused (exit 11, as the captured real case); an
  address that is not the demo host's answers nothing: the connection times
  out (exit 8). With the fabric's ``discovery_auth/enforce_discovery_auth=1``
  the discovery record's CHAP must be discovery_auth's, or exit 24 as LIO
  refuses (wrong mutual credentials: exit 19).
- Discovery records keep their keys (``-o new``, ``-o update``, ``-o show``
  with the secrets masked), as open-iscsi's discovery database does.
- iSNS discovery (``-t isns``): the demo SAN runs no iSNS server (LIO does
  not register with one), so it fails as iscsiadm does when the server does
  not answer (exit 25). A manual node record (``-m node -o new``) is added
  with TPG tag -1 and ``node.discovery_type = static``, as open-iscsi does.
- A login works when the record's address is the demo host's and the TPG is
  enabled and has an ACL for this host's initiator name
  (``<root>/etc/iscsi/initiatorname.iscsi``) or is in demo mode
  (``generate_node_acls``); with ``authentication=1`` the node's CHAP user
  and secret must be the ACL's (exit 24 otherwise, as LIO refuses). An
  address that is not the demo host's, or a target LIO does not have, times
  out (exit 8).
- A session brings one disk per mapped LUN, sized as its backstore.

It starts as the live demo's host is: a discovery record for
192.168.50.10:3260, records for the three targets (the RAC one a favourite,
``node.startup = automatic``) and session 1 to the RAC target with its six
disks. Nothing here touches this host's open-iscsi. No Textual here.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sanctl.initiator.iscsiadm import Completed, Iscsiadm, Timeouts

#: The demo host's addresses: discovery against any other is refused.
DEMO_ADDRESSES = ("127.0.0.1", "::1", "192.168.50.10", "localhost", "san01")
HOST_ADDRESS = "192.168.50.10"
VERSION = "2.1.8"


def _bare(address: str) -> str:
    return address[1:-1] if address.startswith("[") and address.endswith("]") else address


def _portal(address: str, port: int | str) -> str:
    address = _bare(address)
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def _comma(portal: str) -> str:
    """``a:p`` -> ``a,p`` (iscsiadm's bracket-tuple spelling, IPv6 unbracketed)."""
    address, _, port = portal.rpartition(":")
    return f"{_bare(address)},{port}"


def _discovery_record(portal: str, method: str = "sendtargets") -> dict[str, str]:
    """A discovery record with open-iscsi 2.1.8's defaults (tests/fixtures/initiator: discoverydb_show)."""
    address, _, port = portal.rpartition(":")
    if method == "isns":
        return {"discovery.startup": "manual", "discovery.type": "isns",
                "discovery.isns.address": _bare(address), "discovery.isns.port": port}
    prefix = "discovery.sendtargets"
    return {
        "discovery.startup": "manual", "discovery.type": "sendtargets",
        f"{prefix}.address": _bare(address), f"{prefix}.port": port,
        f"{prefix}.auth.authmethod": "None", f"{prefix}.auth.username": "<empty>",
        f"{prefix}.auth.password": "<empty>", f"{prefix}.auth.username_in": "<empty>",
        f"{prefix}.auth.password_in": "<empty>", "node.session.auth.chap_algs": "MD5",
        f"{prefix}.timeo.login_timeout": "15", f"{prefix}.use_discoveryd": "No",
        f"{prefix}.discoveryd_poll_inval": "30", f"{prefix}.reopen_max": "5",
        f"{prefix}.timeo.auth_timeout": "45", f"{prefix}.timeo.active_timeout": "30",
        f"{prefix}.iscsi.MaxRecvDataSegmentLength": "32768",
    }


def _record(target: str, tpgt: int, portal: str, discovery: str, startup: str = "manual") -> dict[str, str]:
    """A node record with open-iscsi 2.1.8's defaults (the keys a record shows most).
    ``discovery`` empty: a manual (static) record, as ``-m node -o new`` makes."""
    address, _, port = portal.rpartition(":")
    d_address, _, d_port = discovery.rpartition(":")
    return {
        "node.name": target,
        "node.tpgt": str(tpgt),
        "node.startup": startup,
        "node.leading_login": "No",
        "iface.iscsi_ifacename": "default",
        "iface.transport_name": "tcp",
        "iface.initiatorname": "<empty>",
        "node.discovery_address": _bare(d_address) if discovery else "<empty>",
        "node.discovery_port": d_port if discovery else "0",
        "node.discovery_type": "send_targets" if discovery else "static",
        "node.session.initial_login_retry_max": "8",
        "node.session.cmds_max": "128",
        "node.session.queue_depth": "32",
        "node.session.nr_sessions": "1",
        "node.session.auth.authmethod": "None",
        "node.session.auth.username": "<empty>",
        "node.session.auth.password": "<empty>",
        "node.session.auth.username_in": "<empty>",
        "node.session.auth.password_in": "<empty>",
        "node.session.timeo.replacement_timeout": "120",
        "node.session.err_timeo.abort_timeout": "15",
        "node.session.err_timeo.lu_reset_timeout": "30",
        "node.session.err_timeo.tgt_reset_timeout": "30",
        "node.session.iscsi.InitialR2T": "No",
        "node.session.iscsi.ImmediateData": "Yes",
        "node.session.iscsi.FirstBurstLength": "262144",
        "node.session.iscsi.MaxBurstLength": "16776192",
        "node.session.scan": "auto",
        "node.conn[0].address": _bare(address),
        "node.conn[0].port": port,
        "node.conn[0].startup": startup,
        "node.conn[0].timeo.login_timeout": "15",
        "node.conn[0].timeo.noop_out_interval": "5",
        "node.conn[0].timeo.noop_out_timeout": "5",
        "node.conn[0].iscsi.MaxRecvDataSegmentLength": "262144",
        "node.conn[0].iscsi.HeaderDigest": "None",
        "node.conn[0].iscsi.DataDigest": "None",
    }


@dataclass
class _Session:
    sid: int
    target: str
    portal: str
    tpgt: int
    disks: list[tuple[int, str, int]] = field(default_factory=list)  # (lun, sdX, bytes)
    #: When it logged in (time.monotonic()): its statistics grow from there.
    since: float = field(default_factory=time.monotonic)

    @property
    def header(self) -> str:
        return f"[sid: {self.sid}, target: {self.target}, portal: {_comma(self.portal)}]"

    def stats(self, now: float) -> str:
        """``iscsiadm -m session -r SID -s`` as open-iscsi prints it, the counters growing with the
        session's age (a steady trickle of 4 KiB reads and writes, like the live demo's LUNs)."""
        commands = int((now - self.since) * 25) + 111
        reads = commands * 9 // 10
        counters = {
            "txdata_octets": (commands - reads) * 4096 + 5824, "rxdata_octets": reads * 4096 + 45252,
            "noptx_pdus": int((now - self.since) / 5), "scsicmd_pdus": commands, "tmfcmd_pdus": 0,
            "login_pdus": 0, "text_pdus": 0, "dataout_pdus": commands - reads, "logout_pdus": 0,
            "snack_pdus": 0, "noprx_pdus": int((now - self.since) / 5), "scsirsp_pdus": commands,
            "tmfrsp_pdus": 0, "textrsp_pdus": 0, "datain_pdus": reads, "logoutrsp_pdus": 0,
            "r2t_pdus": 0, "async_pdus": 0, "rjt_pdus": 0, "digest_err": 0, "timeout_err": 0,
        }
        lines = [f"Stats for session {self.header}\n", "iSCSI SNMP:\n"]
        lines += [f"\t{name}: {value}\n" for name, value in counters.items()]
        lines += ["iSCSI Extended:\n", "\ttx_sendpage_failures: 0\n", "\trx_discontiguous_hdr: 0\n",
                  "\teh_abort_cnt: 0\n"]
        return "".join(lines)


@dataclass(frozen=True)
class _Tpg:
    target: str
    tag: int
    portals: tuple[tuple[str, int], ...]
    enabled: bool
    demo_mode: bool
    authentication: bool
    acls: dict  # initiator name -> (userid, password, [(mapped lun, size)])
    luns: tuple[tuple[int, int], ...]  # (lun, size) for demo mode


@dataclass(frozen=True)
class _DiscoveryAuth:
    """The fabric's discovery_auth: what a SendTargets login must bring when ``enforce``."""

    enforce: bool = False
    userid: str = ""
    password: str = ""
    mutual_userid: str = ""
    mutual_password: str = ""


class DemoIscsiadm(Iscsiadm):
    """The demo SAN's iscsiadm (see the module's docstring). ``delay`` makes discovery and login take
    that long, so the tab's progress line can be seen; tests pass 0."""

    #: Where a persisting simulation keeps its node database and sessions between runs (under the root).
    STATE = "var/lib/iscsi/sanctl-demo-initiator.json"

    def __init__(self, root: str, *, delay: float = 0.4, seed_sessions: bool = True,
                 timeouts: Timeouts | None = None, persist: bool = False) -> None:
        super().__init__("iscsiadm", timeouts=timeouts)
        self.root = root
        self.delay = delay
        self._lock = threading.Lock()
        self.discovery: dict[str, str] = {}  # portal -> method (sendtargets, isns)
        self.discovery_keys: dict[str, dict[str, str]] = {}  # portal -> the discovery record's keys
        self.records: dict[tuple[str, str, str], dict[str, str]] = {}
        self.sessions: dict[tuple[str, str], _Session] = {}
        self._next_sid = 1
        self._next_disk = 7  # sda..sdg are the live demo's; new logins get sdh, sdi, …
        self.calls: list[list[str]] = []
        #: ``sanctl --demo --root R login …`` then ``… logout …``: the second run sees the first's session.
        self.persist = persist
        if persist and self._load():
            return
        if seed_sessions:
            self._seed()

    # --- the demo's starting state ------------------------------------------------------
    def _seed(self) -> None:
        from sanctl.sim.demo import RAC_IQN, SCRATCH_IQN, WEB_IQN

        discovery = f"{HOST_ADDRESS}:3260"
        self._add_discovery(discovery, "sendtargets")
        for target, portal, startup in ((RAC_IQN, discovery, "automatic"), (WEB_IQN, discovery, "manual"),
                                        (SCRATCH_IQN, "[::1]:3260", "manual")):
            self.records[(target, portal, "default")] = _record(target, 1, portal, discovery, startup)
        tpg = self._tpgs().get(RAC_IQN)
        if tpg is not None:
            self._login_session(RAC_IQN, discovery, 1, self._luns_for(tpg, self.initiator_name()),
                                names=[f"sd{c}" for c in "abcdef"])

    # --- between runs (the CLI on a kept demo root) --------------------------------------------
    def _state_path(self) -> str:
        return os.path.join(self.root, self.STATE)

    def _save(self) -> None:
        """The node database and sessions as JSON, written atomically (0600: records may hold CHAP secrets)."""
        import json
        import tempfile

        state = {
            "discovery": self.discovery, "discovery_keys": self.discovery_keys,
            "records": [[list(key), record] for key, record in self.records.items()],
            "sessions": [[s.sid, s.target, s.portal, s.tpgt, [list(d) for d in s.disks]]
                         for s in self.sessions.values()],
            "next_sid": self._next_sid, "next_disk": self._next_disk,
        }
        path = self._state_path()
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".sanctl-demo-", dir=os.path.dirname(path))
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(state, handle)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise

    def _load(self) -> bool:
        """The state a previous run saved; False (start as the live demo's host) when there is none or it
        cannot be read."""
        import json

        try:
            with open(self._state_path(), encoding="utf-8") as handle:
                state = json.load(handle)
            self.discovery = {str(k): str(v) for k, v in state["discovery"].items()}
            self.discovery_keys = {str(k): dict(v) for k, v in state["discovery_keys"].items()}
            self.records = {(str(k[0]), str(k[1]), str(k[2])): dict(r) for k, r in state["records"]}
            self.sessions = {}
            for sid, target, portal, tpgt, disks in state["sessions"]:
                session = _Session(int(sid), str(target), str(portal), int(tpgt),
                                   [(int(lun), str(name), int(size)) for lun, name, size in disks])
                self.sessions[(session.target, session.portal)] = session
            self._next_sid, self._next_disk = int(state["next_sid"]), int(state["next_disk"])
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            self.discovery, self.discovery_keys, self.records, self.sessions = {}, {}, {}, {}
            self._next_sid, self._next_disk = 1, 7
            return False
        return True

    # --- the target side, from the demo's configfs ----------------------------------------
    def _tpgs(self) -> dict[str, _Tpg]:
        from sanctl.lio.configfs import read_config

        config = read_config(self.root, details=True)  # details: the ACLs' CHAP credentials
        found: dict[str, _Tpg] = {}
        fabric = config.fabric("iscsi")
        for target in fabric.targets if fabric is not None else ():
            for tpg in target.tpgs[:1]:
                attrs = tpg.attributes
                luns = {lun.index: lun for lun in tpg.luns}

                def size(lun_index: int | None) -> int:
                    lun = luns.get(lun_index) if lun_index is not None else None
                    so = config.storage_object(lun.storage_object) if lun is not None else None
                    return (so.size or 0) if so is not None else 0

                acls = {}
                for acl in tpg.acls:
                    auth = acl.auth
                    acls[acl.node_wwn] = (auth.userid if auth else "", auth.password.reveal() if auth else "",
                                          [(m.index, size(m.tpg_lun)) for m in acl.mapped_luns])
                found[target.wwn] = _Tpg(
                    target.wwn, tpg.tag, tuple((p.ip_address, p.port) for p in tpg.portals), tpg.enabled,
                    attrs.int_value("generate_node_acls", 0) == 1, attrs.int_value("authentication", 0) == 1,
                    acls, tuple((lun.index, size(lun.index)) for lun in tpg.luns))
        return found

    def _discovery_auth(self) -> _DiscoveryAuth:
        from sanctl.lio.configfs import read_config

        fabric = read_config(self.root, details=True).fabric("iscsi")
        auth = fabric.discovery_auth if fabric is not None else None
        if auth is None:
            return _DiscoveryAuth()
        return _DiscoveryAuth(bool(auth.enforce), auth.userid, auth.password.reveal(), auth.mutual_userid,
                              auth.mutual_password.reveal())

    def _add_discovery(self, portal: str, method: str) -> None:
        self.discovery[portal] = method
        self.discovery_keys.setdefault(portal, _discovery_record(portal, method))

    def initiator_name(self) -> str:
        from sanctl.initiator.initiator_name import InitiatorNameError, read_initiator_name

        try:
            name = read_initiator_name(self.root)
        except InitiatorNameError:
            return ""
        return name.name if name is not None else ""

    @staticmethod
    def _luns_for(tpg: _Tpg, initiator: str) -> list[tuple[int, int]]:
        if initiator in tpg.acls:
            return list(tpg.acls[initiator][2])
        return list(tpg.luns) if tpg.demo_mode else []

    def _login_session(self, target: str, portal: str, tpgt: int, luns: Iterable[tuple[int, int]], *,
                       names: Sequence[str] = ()) -> _Session:
        session = _Session(self._next_sid, target, portal, tpgt)
        self._next_sid += 1
        for index, (lun, size) in enumerate(luns):
            if index < len(names):
                name = names[index]
            else:
                name = "sd" + _letters(self._next_disk)
                self._next_disk += 1
            session.disks.append((lun, name, size))
        self.sessions[(target, portal)] = session
        return session

    def disk_sizes(self) -> dict[str, int]:
        return {name: size for s in self.sessions.values() for _lun, name, size in s.disks}

    # --- iscsiadm ---------------------------------------------------------------------------
    @property
    def binary(self) -> str:
        return "iscsiadm"

    def run(self, args: Sequence[str], *, timeout: float | None = None, operation: str = "query",
            ok: Iterable[int] | None = (0,)) -> Completed:
        start = time.monotonic()
        argv = list(args)
        with self._lock:
            self.calls.append(argv)
            rc, stdout, stderr, wait = self._answer(argv)
            if self.persist:
                self._save()
        if wait and self.delay:
            time.sleep(self.delay)
        done = Completed(tuple(argv), rc, stdout, stderr, time.monotonic() - start)
        if ok is None or rc in set(ok):
            return done
        raise self._error(done, operation)

    def _answer(self, a: list[str]) -> tuple[int, str, str, bool]:
        if a == ["--version"]:
            return 0, f"iscsiadm version {VERSION}\n", "", False
        mode = _opt(a, "-m")
        if mode == "discoverydb" or mode == "discovery":
            return self._discoverydb(a)
        if mode == "node":
            return self._node(a)
        if mode == "session":
            return self._session(a)
        if mode == "iface":
            return 0, "default tcp,<empty>,<empty>,<empty>,<empty>\niser iser,<empty>,<empty>,<empty>,<empty>\n", "", False
        return 7, "", f"iscsiadm: demo: not simulated: {' '.join(a)}\n", False

    # discovery
    def _discoverydb(self, a: list[str]) -> tuple[int, str, str, bool]:
        portal = _opt(a, "-p")
        ops = _opts(a, "-o")
        method = {"st": "sendtargets"}.get(_opt(a, "-t") or "", _opt(a, "-t") or "sendtargets")
        if portal is None:
            lines = [f"{_bare(p.rpartition(':')[0])}:{p.rpartition(':')[2]} via {m}" for p, m in self.discovery.items()]
            return (0 if lines else 21), "".join(line + "\n" for line in lines), "", False
        if ":" not in portal or portal.endswith("]"):  # no port: iscsiadm's default for the method
            portal = _portal(portal, 3205 if method == "isns" else 3260)
        # ``-m discovery -t st -p P`` discovers; ``-m discoverydb`` only with --discover
        discovers = "--discover" in a or "-D" in a or (_opt(a, "-m") == "discovery" and "-t" in a)
        if not discovers:
            return self._discovery_record_op(portal, method, ops, a)
        if method == "isns":
            self._add_discovery(portal, "isns")
            return 25, "", "iscsiadm: Could not perform iSNS discovery: iSNS query failed\n", True
        address, _, port = portal.rpartition(":")
        shown = _bare(address)
        if shown not in DEMO_ADDRESSES:  # nothing at that address: every connect times out
            timed_out = f"iscsiadm: connect to {shown} timed out\n" * 6
            return 8, "", (timed_out + "iscsiadm: connection login retries (reopen_max) 5 exceeded\n"
                           "iscsiadm: Could not perform SendTargets discovery: connection timed out\n"), True
        if port != "3260":
            refused = f"iscsiadm: cannot make connection to {shown}: Connection refused\n" * 6
            return 11, "", (refused + "iscsiadm: connection login retries (reopen_max) 5 exceeded\n"
                            "iscsiadm: Could not perform SendTargets discovery: iSCSI PDU timed out\n"), True
        self._add_discovery(portal, "sendtargets")
        refused_auth = self._discovery_refusal(self.discovery_keys[portal], shown)
        if refused_auth is not None:
            return refused_auth
        lines = []
        found = []
        for tpg in self._tpgs().values():
            if not tpg.enabled:
                continue
            for ip, p in tpg.portals:
                where = _portal(shown if ip in ("0.0.0.0", "::", "[::]") else ip, p)
                found.append((tpg.target, where, tpg.tag))
        for target, where, tag in found:
            lines.append(f"{where},{tag} {target}\n")
            key = (target, where, "default")
            if key not in self.records:  # -o new: what exists keeps its settings
                self.records[key] = _record(target, tag, where, portal)
            elif "update" in ops:
                self.records[key].update(node_discovery(portal))
        if "delete" in ops:
            keep = {(t, w, "default") for t, w, _ in found}
            for key in [k for k, r in self.records.items()
                        if _portal(r["node.discovery_address"], r["node.discovery_port"]) == portal
                        and k not in keep and (k[0], k[1]) not in self.sessions]:
                del self.records[key]
        if not lines:
            return 21, "", "iscsiadm: No portals found\n", True
        return 0, "".join(lines), "", True

    def _discovery_record_op(self, portal: str, method: str, ops: list[str],
                             a: list[str]) -> tuple[int, str, str, bool]:
        """``-m discoverydb -p P -o new|update|delete|show`` (no discovery)."""
        if "new" in ops:
            self._add_discovery(portal, method)
            return 0, f"New discovery record for [{_comma(portal)}] added.\n", "", False
        if portal not in self.discovery:
            return 6, "", f"iscsiadm: Discovery record [{_comma(portal)}] not found.\n", False
        if "delete" in ops:
            del self.discovery[portal]
            self.discovery_keys.pop(portal, None)
            for key in [k for k, r in self.records.items()
                        if r["node.discovery_address"] != "<empty>"
                        and _portal(r["node.discovery_address"], r["node.discovery_port"]) == portal
                        and (k[0], k[1]) not in self.sessions]:
                del self.records[key]
            return 0, "", "", False
        record = self.discovery_keys[portal]
        if "update" in ops:
            key, value = _opt(a, "-n") or "", _opt(a, "-v")
            if key not in record:
                return 7, "", (f"iscsiadm: Cannot modify {key}. Invalid param name.\n"
                               "iscsiadm: Could not execute operation on all records: invalid parameter\n"), False
            record[key] = value if value else "<empty>"
            return 0, "", "", False
        out = [f"# BEGIN RECORD {VERSION}\n"]
        out += [f"{name} = {_mask(name, value)}\n" for name, value in record.items()]
        out.append("# END RECORD\n")
        return 0, "".join(out), "", False

    def _discovery_refusal(self, record: dict[str, str], shown: str) -> tuple[int, str, str, bool] | None:
        """LIO's answer to a SendTargets login under ``enforce_discovery_auth``: exit 24 when the record
        brings no CHAP or the wrong one (iscsiadm's discovery.c words), 19 when the target's mutual
        credentials are not the ones the record expects."""
        auth = self._discovery_auth()
        prefix = "discovery.sendtargets.auth"
        method = record.get(f"{prefix}.authmethod", "None").upper()
        user, secret = record.get(f"{prefix}.username", "<empty>"), record.get(f"{prefix}.password", "<empty>")
        if auth.enforce and (method != "CHAP" or user != auth.userid or secret != auth.password
                             or not auth.userid):
            return 24, "", (f"iscsiadm: discovery login to {shown} rejected: initiator failed authorization\n"
                            "iscsiadm: Could not perform SendTargets discovery: iSCSI login failed due to "
                            "authorization failure\n"), True
        user_in = record.get(f"{prefix}.username_in", "<empty>")
        if auth.enforce and user_in not in ("", "<empty>") and (
                user_in != auth.mutual_userid or record.get(f"{prefix}.password_in") != auth.mutual_password):
            return 19, "", (f"iscsiadm: discovery login to {shown} failed, giving up 1\n"
                            "iscsiadm: Could not perform SendTargets discovery: encountered non-retryable "
                            "iSCSI login failure\n"), True
        return None

    # node records, login, logout
    def _matching(self, a: list[str]) -> list[tuple[str, str, str]]:
        target, portal = _opt(a, "-T"), _opt(a, "-p")
        iface = _opt(a, "-I") or None
        return [k for k in self.records if (target is None or k[0] == target) and (portal is None or k[1] == portal)
                and (iface is None or k[2] == iface)]

    def _node(self, a: list[str]) -> tuple[int, str, str, bool]:
        ops = _opts(a, "-o")
        if "new" in ops:
            return self._new_node(a)
        keys = self._matching(a)
        if "--login" in a or "-l" in a:
            return self._login(keys)
        if "--logout" in a or "-u" in a:
            return self._logout([(k[0], k[1]) for k in keys])
        if not keys:
            return 21, "", "iscsiadm: No records found\n", False
        if "--rescan" in a or "-R" in a:
            sessions = [self.sessions[(k[0], k[1])] for k in keys if (k[0], k[1]) in self.sessions]
            if not sessions:
                return 21, "", "iscsiadm: No active sessions.\n", False
            return 0, "".join(f"Rescanning session {s.header}\n" for s in sessions), "", False
        if "update" in ops:
            key, value = _opt(a, "-n") or "", _opt(a, "-v")
            if not key.startswith(("node.", "iface.")) or any(key not in self.records[k] and key not in _MORE_KEYS
                                                                for k in keys):
                return 7, "", (f"iscsiadm: Cannot modify {key}. Invalid param name.\n"
                               "iscsiadm: Could not execute operation on all records: invalid parameter\n"), False
            for k in keys:
                self.records[k][key] = value if value else "<empty>"
            return 0, "", "", False
        if "delete" in ops:
            for k in keys:
                if (k[0], k[1]) in self.sessions:
                    return 15, "", (f"iscsiadm: This command will remove the record [iface: default, target: {k[0]}, "
                                    f"portal: {_comma(k[1])}], but a session is using it. Logout session then "
                                    "rerun command to remove record.\n"
                                    "iscsiadm: Could not execute operation on all records: session exists\n"), False
            for k in keys:
                del self.records[k]
            return 0, "", "", False
        if "show" in ops or _opt(a, "-T") is not None:
            out = []
            for k in keys:
                out.append(f"# BEGIN RECORD {VERSION}\n")
                out += [f"{name} = {_mask(name, value)}\n" for name, value in self.records[k].items()]
                out.append("# END RECORD\n")
            return 0, "".join(out), "", False
        if _opt(a, "-P") == "1":
            out = []
            for k in keys:
                out += [f"Target: {k[0]}\n", f"\tPortal: {k[1]},{self.records[k]['node.tpgt']}\n",
                        f"\t\tIface Name: {k[2]}\n"]
            return 0, "".join(out), "", False
        return 0, "".join(f"{k[1]},{self.records[k]['node.tpgt']} {k[0]}\n" for k in keys), "", False

    def _new_node(self, a: list[str]) -> tuple[int, str, str, bool]:
        """``-m node -T IQN -p P -o new``: a static record (TPG tag -1), as open-iscsi prints it."""
        target, portal = _opt(a, "-T"), _opt(a, "-p")
        if target is None or portal is None:
            return 7, "", "iscsiadm: --targetname and --portal are required to add a node record\n", False
        iface = _opt(a, "-I") or "default"
        if ":" not in portal or portal.endswith("]"):
            portal = _portal(portal, 3260)
        self.records[(target, portal, iface)] = _record(target, -1, portal, "")
        return 0, (f"New iSCSI node [tcp:[hw=,ip=,net_if=,iscsi_if={iface}] {_comma(portal)},-1 {target}] added\n"), \
            "", False

    def _login(self, keys: list[tuple[str, str, str]]) -> tuple[int, str, str, bool]:
        if not keys:
            return 21, "", "iscsiadm: No records found\n", False
        tpgs = self._tpgs()
        name = self.initiator_name()
        out, err, rc = [], [], 0
        for target, portal, iface in keys:
            tuple_ = f"[iface: {iface}, target: {target}, portal: {_comma(portal)}]"
            if (target, portal) in self.sessions:
                err.append(f"iscsiadm: {iface}: 1 session requested, but 1 already present.\n")
                rc = rc or 15
                continue
            out.append(f"Logging in to {tuple_}\n")
            tpg = tpgs.get(target)
            record = self.records[(target, portal, iface)]
            code = self._refusal(tpg, name, record)
            if code:
                reason = {24: "iSCSI login failed due to authorization failure",
                          8: "connection timed out"}[code]
                err += [f"iscsiadm: Could not login to {tuple_}.\n",
                        f"iscsiadm: initiator reported error ({code} - {reason})\n"]
                rc = rc if rc and rc != 15 else code
                continue
            assert tpg is not None
            self._login_session(target, portal, tpg.tag, self._luns_for(tpg, name))
            out.append(f"Login to {tuple_} successful.\n")
        if rc:
            err.append("iscsiadm: Could not log into all portals\n")
        return rc, "".join(out), "".join(err), True

    @staticmethod
    def _refusal(tpg: _Tpg | None, name: str, record: dict[str, str]) -> int:
        address = _bare(record.get("node.conn[0].address", ""))
        if address not in DEMO_ADDRESSES or record.get("node.conn[0].port") != "3260":
            return 8  # nothing answers at that address and port: the connection times out
        if tpg is None or not tpg.enabled:
            return 8  # no such target on that portal: LIO drops the login, iscsiadm retries, then gives up
        if name not in tpg.acls and not tpg.demo_mode:
            return 24
        if tpg.authentication and name in tpg.acls:
            userid, password, _ = tpg.acls[name]
            if (record.get("node.session.auth.authmethod", "None").upper() != "CHAP"
                    or record.get("node.session.auth.username") != userid
                    or record.get("node.session.auth.password") != password):
                return 24
        return 0

    def _logout(self, pairs: Iterable[tuple[str, str]]) -> tuple[int, str, str, bool]:
        out = []
        for pair in list(pairs):
            session = self.sessions.pop(pair, None)
            if session is None:
                continue
            tuple_ = f"[sid: {session.sid}, target: {session.target}, portal: {_comma(session.portal)}]"
            out += [f"Logging out of session {tuple_}\n", f"Logout of {tuple_} successful.\n"]
        if not out:
            return 21, "", "iscsiadm: No matching sessions found\n", False
        return 0, "".join(out), "", True

    # sessions
    def _session(self, a: list[str]) -> tuple[int, str, str, bool]:
        sid = _opt(a, "-r")
        sessions = [s for s in self.sessions.values() if sid is None or str(s.sid) == sid]
        if "--logout" in a or "-u" in a:
            return self._logout([(s.target, s.portal) for s in sessions])
        if sid is not None and not sessions and ("--rescan" in a or "-R" in a or "-s" in a or "--stats" in a):
            return 22, "", (f"iscsiadm: could not read session targetname: 5\n"
                            f"iscsiadm: Could not get session info for sid {sid}\n"), False
        if not sessions:
            return 21, "", "iscsiadm: No active sessions.\n", False
        ordered = sorted(sessions, key=lambda s: s.sid)
        if "--rescan" in a or "-R" in a:
            return 0, "".join(f"Rescanning session {s.header}\n" for s in ordered), "", False
        if "-s" in a or "--stats" in a:
            now = time.monotonic()
            return 0, "".join(s.stats(now) for s in ordered), "", False
        if _opt(a, "-P") is None:
            return 0, "".join(f"tcp: [{s.sid}] {s.portal},{s.tpgt} {s.target} (non-flash)\n"
                              for s in sorted(sessions, key=lambda s: s.sid)), "", False
        return 0, self._tree(sorted(sessions, key=lambda s: s.sid)), "", False

    def _tree(self, sessions: list[_Session]) -> str:
        name = self.initiator_name()
        out = ["iSCSI Transport Class version 2.0-870\n", f"version {VERSION}\n"]
        for s in sessions:
            record = self.records.get((s.target, s.portal, "default"), {})
            local = "::1" if s.portal.startswith("[") else (HOST_ADDRESS if HOST_ADDRESS in s.portal else "127.0.0.1")
            host = 10 + s.sid
            out += [f"Target: {s.target} (non-flash)\n", f"\tCurrent Portal: {s.portal},{s.tpgt}\n",
                    f"\tPersistent Portal: {s.portal},{s.tpgt}\n",
                    "\t\t**********\n", "\t\tInterface:\n", "\t\t**********\n",
                    "\t\tIface Name: default\n", "\t\tIface Transport: tcp\n", f"\t\tIface Initiatorname: {name}\n",
                    f"\t\tIface IPaddress: {local}\n", "\t\tIface HWaddress: default\n", "\t\tIface Netdev: default\n",
                    f"\t\tSID: {s.sid}\n", "\t\tiSCSI Connection State: LOGGED IN\n",
                    "\t\tiSCSI Session State: LOGGED_IN\n", "\t\tInternal iscsid Session State: NO CHANGE\n",
                    "\t\t*********\n", "\t\tTimeouts:\n", "\t\t*********\n", "\t\tRecovery Timeout: 120\n",
                    "\t\tTarget Reset Timeout: 30\n", "\t\tLUN Reset Timeout: 30\n", "\t\tAbort Timeout: 15\n",
                    "\t\t*****\n", "\t\tCHAP:\n", "\t\t*****\n",
                    f"\t\tusername: {record.get('node.session.auth.username', '<empty>')}\n",
                    "\t\tpassword: ********\n", "\t\tusername_in: <empty>\n", "\t\tpassword_in: ********\n",
                    "\t\t************************\n", "\t\tNegotiated iSCSI params:\n", "\t\t************************\n",
                    "\t\tHeaderDigest: None\n", "\t\tDataDigest: None\n", "\t\tMaxRecvDataSegmentLength: 262144\n",
                    "\t\tMaxXmitDataSegmentLength: 262144\n", "\t\tFirstBurstLength: 65536\n",
                    "\t\tMaxBurstLength: 262144\n", "\t\tImmediateData: Yes\n", "\t\tInitialR2T: Yes\n",
                    "\t\tMaxOutstandingR2T: 1\n",
                    "\t\t************************\n", "\t\tAttached SCSI devices:\n", "\t\t************************\n",
                    f"\t\tHost Number: {host}\tState: running\n"]
            for lun, disk, _size in s.disks:
                out += [f"\t\tscsi{host} Channel 00 Id 0 Lun: {lun}\n",
                        f"\t\t\tAttached scsi disk {disk}\t\tState: running\n"]
        return "".join(out)


#: Record keys open-iscsi accepts in ``-o update`` that the demo's records do not list until set.
_MORE_KEYS = frozenset({
    "node.session.auth.chap_algs", "node.session.reopen_max", "node.conn[0].timeo.logout_timeout",
    "node.session.err_timeo.host_reset_timeout", "node.session.iscsi.MaxOutstandingR2T",
    "node.session.xmit_thread_priority", "iface.initiatorname", "node.session.auth.password_in",
})


def node_discovery(portal: str) -> dict[str, str]:
    address, _, port = portal.rpartition(":")
    return {"node.discovery_address": _bare(address), "node.discovery_port": port}


def _mask(name: str, value: str) -> str:
    if name.endswith(("password", "password_in")) and value not in ("", "<empty>"):
        return "********"
    return value or "<empty>"


def _letters(index: int) -> str:
    """0 -> a, 25 -> z, 26 -> aa (the kernel's sdX naming)."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(ord("a") + rest) + name
    return name


def _opt(args: Sequence[str], flag: str) -> str | None:
    for index, arg in enumerate(args[:-1]):
        if arg == flag:
            return args[index + 1]
    return None


def _opts(args: Sequence[str], flag: str) -> list[str]:
    return [args[i + 1] for i, arg in enumerate(args[:-1]) if arg == flag]


def ensure_initiator_name(root: str) -> None:
    """The demo host's initiator name, written once: the RAC client, as the live demo has it."""
    from sanctl.initiator.initiator_name import name_path
    from sanctl.sim.demo import RAC_CLIENTS

    path = name_path(root)
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(f"InitiatorName={RAC_CLIENTS[0]}\n")


#: The demo host's iscsid.conf: Debian's, trimmed to its settings (comments dropped).
DEMO_ISCSID_CONF = """\
# /etc/iscsi/iscsid.conf of the demo host (Debian's open-iscsi 2.1.8, its settings only)
iscsid.startup = /bin/systemctl start iscsid.socket
node.startup = manual
node.leading_login = No
node.session.timeo.replacement_timeout = 120
node.conn[0].timeo.login_timeout = 15
node.conn[0].timeo.logout_timeout = 15
node.conn[0].timeo.noop_out_interval = 5
node.conn[0].timeo.noop_out_timeout = 5
node.session.err_timeo.abort_timeout = 15
node.session.err_timeo.lu_reset_timeout = 30
node.session.err_timeo.tgt_reset_timeout = 30
node.session.initial_login_retry_max = 8
node.session.cmds_max = 128
node.session.queue_depth = 32
node.session.xmit_thread_priority = -20
node.session.iscsi.InitialR2T = No
node.session.iscsi.ImmediateData = Yes
node.session.iscsi.FirstBurstLength = 262144
node.session.iscsi.MaxBurstLength = 16776192
node.conn[0].iscsi.MaxRecvDataSegmentLength = 262144
node.conn[0].iscsi.MaxXmitDataSegmentLength = 0
discovery.sendtargets.iscsi.MaxRecvDataSegmentLength = 32768
node.session.nr_sessions = 1
node.session.reopen_max = 0
node.session.iscsi.FastAbort = Yes
node.session.scan = auto
"""


def ensure_iscsid_conf(root: str) -> None:
    """The demo host's /etc/iscsi/iscsid.conf, written once (the ``I`` view reads it)."""
    path = os.path.join(root, "etc", "iscsi", "iscsid.conf")
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(DEMO_ISCSID_CONF)


def demo_backend(root: str, *, delay: float = 0.4):
    """The initiator tab's backend on the demo SAN: the simulation, sizes from it, no multipath,
    a boot-time login service that is enabled, an iscsid restart that only says so."""
    from sanctl.initiator.overview import DiskFacts, InitiatorBackend
    from sanctl.initiator.services import ServiceResult, UnitState

    ensure_initiator_name(root)
    ensure_iscsid_conf(root)
    adm = DemoIscsiadm(root, delay=delay)

    def disks(devices: Sequence[str]) -> dict[str, DiskFacts]:
        sizes = adm.disk_sizes()
        return {d: DiskFacts(d, sizes.get(d)) for d in devices}

    return InitiatorBackend(
        adm, root=root, disks=disks, multipath=lambda: None,
        boot_login=lambda: UnitState("open-iscsi.service", "enabled"),
        restart_iscsid=lambda: ServiceResult(True, "iscsid restarted (demo: simulated)."),
        notice="demo: iscsiadm is simulated against the demo SAN; nothing on this host changes. "
               "Try c and 127.0.0.1.",
    )
