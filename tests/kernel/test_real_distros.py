"""A real distribution and its own tools on the real kernel: Debian's targetcli-fb and targetctl.

- *Stock Debian*: Debian's targetcli (python3-rtslib-fb, under /usr/bin/python3) sets LIO up
  first, so the kernel's dbroot is ``/etc/rtslib-fb-target`` and ``/etc/target`` does not
  exist; sanctl's writer (PyPI rtslib-fb, which prefers ``/etc/target``) must still write,
  create ``<dbroot>/pr`` and ``alua``, save where Debian's boot service reads, and Debian's
  ``targetctl restore`` must reproduce sanctl's file.
- *targetcli's defaults*: each object kind once through sanctl's writer and once through
  targetcli's one-shot command; every attribute, parameter and auth file compared.

The stock-Debian scenario reloads the target modules (the guest boots with ``/etc/target``
for the other tests) and puts them back as they were.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.kernel

MiB = 1 << 20
DEBIAN_DIR = "/etc/rtslib-fb-target"
TARGETCLI = "/usr/bin/targetcli"
TARGETCTL = "/usr/bin/targetctl"
TARGET_MODULES = ("ib_isert", "iscsi_target_mod", "tcm_loop", "target_core_user", "target_core_pscsi",
                  "target_core_file", "target_core_iblock", "target_core_mod")


def _need_debian_tools() -> None:
    missing = [p for p in (TARGETCLI, TARGETCTL) if not os.access(p, os.X_OK)]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing: tests/kernel/setup-host installs targetcli-fb", pytrace=False)


_BUS: list[str] = []


@pytest.fixture(scope="module", autouse=True)
def system_bus():
    """A D-Bus for targetcli: it asks tcmu-runner over the system bus for user: backstores and exits 255
    when there is no bus at all (the VM runs no dbus); an empty bus answers "no such service"."""
    proc = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1"],
                            stdout=subprocess.PIPE, text=True)
    try:
        _BUS[:] = [proc.stdout.readline().strip()]
        yield _BUS[0]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _debian(*argv: str, timeout: float = 120, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Debian's tool under the system Python (Debian's rtslib-fb), never the venv's."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env.update(LC_ALL="C.UTF-8", PATH="/usr/sbin:/usr/bin:/sbin:/bin")
    if _BUS:
        env["DBUS_SYSTEM_BUS_ADDRESS"] = _BUS[0]
    proc = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, env=env, input=stdin)
    assert proc.returncode == 0 or not check, f"{' '.join(argv)}: {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


def targetcli(*lines: str) -> None:
    """Each line through targetcli's one-shot command (``targetcli /iscsi create …``)."""
    for line in lines:
        _debian(TARGETCLI, *line.split())


def targetcli_batch(*lines: str) -> str:
    """The lines through one targetcli shell reading them from stdin (one start-up instead of one per
    line: under TCG each start costs seconds); a refused line fails the test."""
    script = "\n".join(("set global auto_save_on_exit=false", *lines, "exit")) + "\n"
    proc = _debian(TARGETCLI, stdin=script, timeout=300)
    out = proc.stdout + proc.stderr
    assert not re.search(r"(?m)^(Error|No such path)|\bErr\b", out), out
    return out


def _sh(*argv: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(list(argv), capture_output=True, text=True, timeout=120)
    if check:
        assert proc.returncode == 0, f"{' '.join(argv)}: {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


def _unload_target() -> None:
    top = Path("/sys/kernel/config/target")
    for fabric in sorted(top.iterdir()) if top.is_dir() else ():
        if fabric.is_dir() and fabric.name != "core":
            os.rmdir(fabric)  # an empty fabric folder holds its module
    for module in TARGET_MODULES:
        if Path(f"/sys/module/{module}").exists():
            _sh("rmmod", module)


def _load_target() -> None:
    for module in ("target_core_mod", "target_core_iblock", "target_core_file", "target_core_pscsi",
                   "iscsi_target_mod", "tcm_loop"):
        _sh("modprobe", module)
    _sh("modprobe", "target_core_user", check=False)


@pytest.fixture
def stock_debian(lab):
    """The kernel target as a stock Debian host has it: loaded by Debian's tools, no /etc/target."""
    _need_debian_tools()
    from rtslib import RTSRoot

    RTSRoot().clear_existing(confirm=True)
    _unload_target()
    _sh("umount", "/etc/target")
    os.rmdir("/etc/target")
    Path(DEBIAN_DIR, "saveconfig.json").unlink(missing_ok=True)
    try:
        _sh("modprobe", "target_core_mod")  # what Debian's unit does: mkdir, then targetctl restore
        yield lab
    finally:
        try:
            _debian(TARGETCTL, "clear")
        finally:
            _unload_target()
            os.makedirs("/etc/target", exist_ok=True)
            _sh("mount", "-t", "tmpfs", "-o", "mode=0755", "etc-target", "/etc/target")
            _load_target()
            assert Path("/sys/kernel/config/target/dbroot").read_text().strip() == "/etc/target"


def _running():
    from sanctl.lio.configfs import read_config
    from sanctl.lio.saveconfig import dump

    found = read_config("/", details=True)
    assert not found.problems, found.problems
    return json.loads(json.dumps(dump(found)))


def test_stock_debian_targetcli_first_then_sanctl_writes_saves_and_targetctl_restores(stock_debian, tmp_path):
    from sanctl.lio import changes as C
    from sanctl.lio import savefile
    from sanctl.lio.rtslib_writer import RtslibWriter

    image = tmp_path / "deb.img"
    targetcli(f"/backstores/fileio create name=deb-file file_or_dev={image} size=16M",
              "/iscsi create iqn.2024-01.test.sanctl:debian")
    dbroot = Path("/sys/kernel/config/target/dbroot").read_text().strip()
    assert dbroot == DEBIAN_DIR and not os.path.exists("/etc/target")

    writer = RtslibWriter("/", lock_timeout=2.0)
    target = "iqn.2024-01.test.sanctl:sanctl-on-debian"
    report = writer.apply([
        C.CreateRamdisk("sn-ram", "8M"),
        *C.targetcli_iscsi_target(target, portal=("127.0.0.1", 3261)),
        C.CreateLun(target, 1, ("ramdisk", "sn-ram")),
        C.CreateAcl(target, 1, "iqn.2024-01.test.sanctl:client"),
        C.CreateLun("iqn.2024-01.test.sanctl:debian", 1, ("fileio", "deb-file")),
    ])
    assert report.ok, "\n".join(report.lines())
    assert Path("/sys/kernel/config/target/dbroot").read_text().strip() == DEBIAN_DIR  # never changed
    assert not os.path.exists("/etc/target")
    assert os.path.isdir(f"{DEBIAN_DIR}/pr") and os.path.isdir(f"{DEBIAN_DIR}/alua")

    location = savefile.locate("/")
    assert location.path == f"{DEBIAN_DIR}/saveconfig.json", location
    saved = savefile.save(writer, location)
    assert saved.path == location.path
    before = _running()

    _debian(TARGETCTL, "clear")
    assert not _running()["targets"]
    _debian(TARGETCTL, "restore")
    import ktools
    from test_writer_ops import canonical

    differences = ktools.json_diff(canonical(before), canonical(_running()))
    assert not differences, "\n".join(differences)


T_FORMS = "iqn.2024-01.test.sanctl:forms-on-debian"
FORMS_HOST = "iqn.2024-01.test.sanctl:forms-debian-host"


async def test_stock_debian_sanctls_forms_write_then_sanctl_save_and_targetctl_restore(stock_debian, tmp_path):
    """The TUI's create and edit forms (Textual's Pilot, mode "real") on the kernel Debian's targetcli set up:
    each write lands, the dbroot stays Debian's, ``sanctl save`` writes Debian's file, ``targetctl restore``
    reproduces it."""
    import sys

    from test_forms_kernel import SIZE, _confirm, _last_ok, _open, _record, _settle, _until
    from test_forms_kernel import _fill as _fill_now
    from textual.widgets import Select

    async def _fill(pilot, form, **values):
        """Once the form shows its fields (a pushed screen composes a moment later on a loaded TCG guest)."""
        def ready(name: str) -> bool:
            found = form.query(f"#field-{name}")
            # a Select's value can be set once its own parts are composed
            return bool(found) and found.first().is_mounted and (not isinstance(found.first(), Select)
                                                                 or bool(found.first().query("#label")))

        await _until(pilot, lambda: all(ready(name) for name in values),
                     f"the fields {sorted(values)} in {getattr(getattr(form, 'spec', None), 'title', form)!r}", 30)
        await _fill_now(pilot, form, **values)

    from sanctl.lio.impact import find_acl, find_tpg
    from sanctl.ui.app import SanctlApp

    debian_target = "iqn.2024-01.test.sanctl:debian-forms"
    targetcli(f"/backstores/fileio create name=deb-file file_or_dev={tmp_path / 'deb.img'} size=16M",
              f"/iscsi create {debian_target}")
    assert Path("/sys/kernel/config/target/dbroot").read_text().strip() == DEBIAN_DIR
    assert not os.path.exists("/etc/target")

    app = SanctlApp(root="/", mode="real", readonly=False, readonly_reason=None, theme=None, host="debian-vm")
    async with app.run_test(size=SIZE) as pilot:
        waits = pilot._wait_for_screen

        async def patient(timeout: float = 30.0) -> bool:
            """Pilot's wait after a key, bounded at 3 min instead of 30 s: the key is sent either way, and a TCG
            guest on a loaded host (two VMs on two cores) was seen taking longer to go idle."""
            return await waits(timeout=max(timeout, 180.0))

        pilot._wait_for_screen = patient
        seen = _record(app)
        await _settle(pilot)
        for _ in range(3):  # a setup wizard offered: declined, the forms are what is tested
            if len(app.screen_stack) == 1:
                break
            await pilot.press("escape")
            await _settle(pilot)
        assert len(app.screen_stack) == 1, app.screen_stack

        form = await _open(pilot, "/backstores")
        await _fill(pilot, form, plugin="ramdisk")
        await _confirm(pilot)
        await _fill(pilot, app.screen, name="deb-ram", size="8M")
        await _confirm(pilot)
        _last_ok(seen)
        # Debian's targetcli bound 0.0.0.0:3260 for its target: sanctl's listens on another port
        form = await _open(pilot, "/iscsi")
        await _fill(pilot, form, wwn=T_FORMS, portal="127.0.0.1", port="3261")
        await _confirm(pilot)
        _last_ok(seen)
        tpg = f"/iscsi/{T_FORMS}/tpg1"
        form = await _open(pilot, f"{tpg}/luns")
        await _fill(pilot, form, storage_object="ramdisk/deb-ram")
        await _confirm(pilot)
        _last_ok(seen)
        form = await _open(pilot, f"{tpg}/acls")
        await _fill(pilot, form, initiator=FORMS_HOST)
        await _confirm(pilot)
        _last_ok(seen)
        form = await _open(pilot, f"{tpg}/acls/{FORMS_HOST}", "e")
        await _fill(pilot, form, acl_tag="debian", nopin_timeout="25")
        await _confirm(pilot)
        _last_ok(seen)
        # and a LUN on the target targetcli made, of targetcli's backstore
        form = await _open(pilot, f"/iscsi/{debian_target}/tpg1/luns")
        await _fill(pilot, form, storage_object="fileio/deb-file")
        await _confirm(pilot)
        _last_ok(seen)

    from sanctl.lio.configfs import read_config

    found = read_config("/", details=True)
    assert not found.problems, found.problems
    mine = find_tpg(found, "iscsi", T_FORMS, 1)
    assert {(p.ip_address, p.port) for p in mine.portals} == {("127.0.0.1", 3261)}
    assert [(x.index, x.storage_object) for x in mine.luns] == [(0, ("ramdisk", "deb-ram"))]
    acl = find_acl(mine, FORMS_HOST)
    assert (acl.tag, acl.attributes.value("nopin_timeout")) == ("debian", "25")
    assert [(m.index, m.tpg_lun) for m in acl.mapped_luns] == [(0, 0)]
    theirs = find_tpg(found, "iscsi", debian_target, 1)
    assert [(x.index, x.storage_object) for x in theirs.luns] == [(0, ("fileio", "deb-file"))]
    assert Path("/sys/kernel/config/target/dbroot").read_text().strip() == DEBIAN_DIR  # never changed
    assert not os.path.exists("/etc/target")
    assert os.path.isdir(f"{DEBIAN_DIR}/pr") and os.path.isdir(f"{DEBIAN_DIR}/alua")

    proc = subprocess.run([sys.executable, "-m", "sanctl", "save", "--json"], capture_output=True, text=True,
                          timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["path"] == f"{DEBIAN_DIR}/saveconfig.json", proc.stdout
    saved = json.loads(Path(DEBIAN_DIR, "saveconfig.json").read_text())
    assert {t["wwn"] for t in saved["targets"]} == {T_FORMS, debian_target}
    before = _running()

    _debian(TARGETCTL, "clear")
    assert not _running()["targets"]
    _debian(TARGETCTL, "restore")
    import ktools
    from test_writer_ops import canonical

    differences = ktools.json_diff(canonical(before), canonical(_running()))
    assert not differences, "\n".join(differences)


# ---------------------------------------------------------------------------
# targetcli's defaults, attribute for attribute
# ---------------------------------------------------------------------------

T_TC = "iqn.2024-01.test.sanctl:made-by-targetcli"
T_SN = "iqn.2024-01.test.sanctl:made-by-sanctl"
CLIENT = "iqn.2024-01.test.sanctl:defaults-client"

#: Every difference between an object made by targetcli and the same made by sanctl:
#: (kind, file) -> ((targetcli's value, sanctl's value), why it stays). Anything else fails.
ALLOWED: dict[tuple[str, str], tuple[tuple[str | None, str | None], str]] = {
    ("backstore fileio", "attrib/emulate_write_cache"): (
        ("1", "0"), "targetcli creates fileio write-back (write_back=true); sanctl's form defaults to "
                    "write-through, which loses nothing on a power cut, and says so in the form"),
    ("portal", "all addresses"): (
        ("0.0.0.0:3260", "[::0]:3260"), "Debian 12's targetcli-fb 2.1.53 binds 0.0.0.0; targetcli-fb 2.1.54 and "
                                        "later, and sanctl, bind [::0], which takes IPv4 as well (bindv6only=0)"),
}


def _files(base: Path, subdirs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for sub in subdirs:
        folder = base / sub
        if not folder.is_dir():
            continue
        for entry in sorted(folder.iterdir()):
            if entry.is_file():
                try:
                    out[f"{sub}/{entry.name}"] = entry.read_text(errors="replace").strip()
                except OSError:
                    continue  # write-only (e.g. some control files)
    return out


def _backstore(plugin: str, name: str) -> Path:
    prefix = {"block": "iblock", "fileio": "fileio", "ramdisk": "rd_mcp", "pscsi": "pscsi"}[plugin]
    found = [p for p in Path("/sys/kernel/config/target/core").glob(f"{prefix}_*/{name}")]
    assert len(found) == 1, (plugin, name, found)
    return found[0]


def _read(path: Path) -> str:
    """A file's value, or why it has none (pscsi passes ALUA through: its LUN's group file refuses a read)."""
    try:
        return path.read_text().strip()
    except OSError as exc:
        return f"<{exc.strerror}>"


def _objects(target: str, prefix: str, plugins: list[str]) -> dict[str, dict[str, str]]:
    tpg = Path("/sys/kernel/config/target/iscsi") / target / "tpgt_1"
    out = {}
    for plugin in plugins:
        so = _backstore(plugin, f"{prefix}-{plugin}")
        files = _files(so, ("attrib", "wwn"))
        files.pop("wwn/vpd_unit_serial", None)  # a random serial each
        files.pop("wwn/product_id", None)  # the name: compared aside
        if plugin == "pscsi":  # the device's own identifiers, passed through (each side has its own disk)
            for key in [k for k in files if k.startswith("wwn/vpd_")]:
                del files[key]
        out[f"backstore {plugin}"] = files
    out["tpg"] = {**_files(tpg, ("attrib", "param", "auth")), "enable": (tpg / "enable").read_text().strip()}
    acl = tpg / "acls" / CLIENT
    out["acl"] = {**_files(acl, ("attrib", "auth")), "cmdsn_depth": (acl / "cmdsn_depth").read_text().strip()}
    out["lun"] = {f"lun {p.name}": _read(p / "alua_tg_pt_gp") for p in sorted((tpg / "lun").iterdir())}
    out["mapped lun"] = {p.name: (p / "write_protect").read_text().strip()
                         for p in sorted(acl.iterdir()) if p.name.startswith("lun_")}
    portals = sorted((tpg / "np").iterdir())
    everywhere = [p for p in portals if p.name.startswith(("0.0.0.0:", "[::0]:", "[::]:"))]
    out["portal"] = {"all addresses": ",".join(p.name for p in everywhere)}
    out["portal"].update({("all addresses" if p in everywhere else "added") + " " + name.split("/", 1)[1]: value
                          for p in portals for name, value in _files(p.parent, (p.name,)).items()})
    return out


@pytest.fixture
def scsi_disks(lab):
    """Two SCSI disks for pscsi (scsi_debug: one each for targetcli and sanctl, as pscsi holds its device)."""
    proc = _sh("modprobe", "scsi_debug", "dev_size_mb=16", "num_tgts=2", check=False)
    if proc.returncode:
        pytest.fail(f"modprobe scsi_debug: {proc.stderr.strip()} (Debian's kernel ships it)", pytrace=False)
    try:
        import ktools

        def disks():
            found = sorted(Path("/sys/bus/pseudo/drivers/scsi_debug").glob("adapter*/host*/target*/*:*/block/*"))
            names = [f"/dev/{p.name}" for p in found]
            return names if len(names) == 2 and all(os.path.exists(n) for n in names) else None

        yield ktools.wait_for(disks, "scsi_debug's two disks in /dev", 60)
    finally:
        from rtslib import RTSRoot

        RTSRoot().clear_existing(confirm=True)  # pscsi holds the disks until its backstore goes
        _sh("rmmod", "scsi_debug", check=False)


def test_objects_made_by_sanctl_have_targetclis_defaults(lab, scsi_disks, tmp_path):
    _need_debian_tools()
    from sanctl.lio import changes as C
    from sanctl.lio.rtslib_writer import RtslibWriter

    lab.rtsroot()
    plugins = ["block", "fileio", "ramdisk", "pscsi"]
    tc_loop, sn_loop = lab.loop("tc-block.img", 16 * MiB), lab.loop("sn-block.img", 16 * MiB)
    tc_scsi, sn_scsi = scsi_disks
    targetcli_batch(f"/backstores/block create name=tc-block dev={tc_loop}",
              f"/backstores/pscsi create name=tc-pscsi dev={tc_scsi}",
              f"/backstores/fileio create name=tc-fileio file_or_dev={tmp_path / 'tc.img'} size=16M",
              "/backstores/ramdisk create name=tc-ramdisk size=16M",
              f"/iscsi create {T_TC}",
              f"/iscsi/{T_TC}/tpg1/acls create {CLIENT}",
              f"/iscsi/{T_TC}/tpg1/acls/{CLIENT} set auth userid=client password=client-secret1",
              *(f"/iscsi/{T_TC}/tpg1/luns create /backstores/{p}/tc-{p}" for p in plugins),
              f"/iscsi/{T_TC}/tpg1/portals create 127.0.0.1 3262")
    writer = RtslibWriter("/", lock_timeout=2.0)
    report = writer.apply([
        C.CreateBlock("sn-block", sn_loop),
        C.CreateFileio("sn-fileio", str(tmp_path / "sn.img"), "16M"),
        C.CreateRamdisk("sn-ramdisk", "16M"),
        C.CreatePscsi("sn-pscsi", sn_scsi),
        *C.targetcli_iscsi_target(T_SN),
        C.CreateAcl(T_SN, 1, CLIENT),
        C.SetAclAuth(T_SN, 1, CLIENT, C.Chap("client", "client-secret1")),
        *(C.CreateLun(T_SN, 1, (p, f"sn-{p}")) for p in plugins),
        C.CreatePortal(T_SN, 1, "127.0.0.1", 3263),
    ])
    assert report.ok, "\n".join(report.lines())
    for plugin in ("block", "fileio", "ramdisk"):  # emulate_model_alias=1: the product id is the backstore's name
        # (pscsi passes the device's own inquiry through: compared below with the rest of its wwn)
        for prefix in ("tc", "sn"):
            product = (_backstore(plugin, f"{prefix}-{plugin}") / "wwn/product_id").read_text().strip()
            assert product == f"{prefix}-{plugin}", (plugin, prefix, product)

    made_by_targetcli = _objects(T_TC, "tc", plugins)
    made_by_sanctl = _objects(T_SN, "sn", plugins)
    differences = {}
    for kind, files in made_by_targetcli.items():
        other = made_by_sanctl[kind]
        for key in sorted(set(files) | set(other)):
            a, b = files.get(key), other.get(key)
            if a != b:
                differences[(kind, key)] = (a, b)
    unexplained = {k: v for k, v in differences.items() if k not in ALLOWED or ALLOWED[k][0] != v}
    assert not unexplained, "targetcli vs sanctl:\n" + "\n".join(
        f"  {kind} {key}: targetcli {a!r}, sanctl {b!r}" for (kind, key), (a, b) in sorted(unexplained.items()))
    stale = set(ALLOWED) - set(differences)
    assert not stale, f"allowed differences that no longer exist: {sorted(stale)}"


# ---------------------------------------------------------------------------
# The user: (TCMU) plugin, with Debian's tcmu-runner
# ---------------------------------------------------------------------------

TCMU_RUNNER = "/usr/bin/tcmu-runner"
TCMU_SERVICE = "org.kernel.TCMUService1"
T_TC_USER = "iqn.2024-01.test.sanctl:user-by-targetcli"
T_SN_USER = "iqn.2024-01.test.sanctl:user-by-sanctl"

#: The handlers Debian's tcmu-runner 1.5.4 ships that keep their data in a local file, and the
#: cfgstring of each for a file ``{image}``: fbo (file-backed optical, an MMC CD/DVD device; creates
#: the file), zbc (an emulated host-managed zoned disk: 4 MiB zones, one conventional; creates and
#: formats the file), qcow (a QEMU qcow/qcow2 image, or a raw file of the device's size).
USER_HANDLERS = {"fbo": "{image}", "zbc": "zsize-4/conv-1@{image}", "qcow": "{image}"}

#: (handler, file) -> ((targetcli's value, sanctl's value), why it stays). Anything else fails.
ALLOWED_USER: dict[tuple[str, str], tuple[tuple[str | None, str | None], str]] = {}


def _bus_has(name: str) -> bool:
    proc = subprocess.run(["dbus-send", "--system", "--print-reply", "--dest=org.freedesktop.DBus",
                           "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner", f"string:{name}"],
                          capture_output=True, text=True, timeout=30, env={**os.environ, "DBUS_SYSTEM_BUS_ADDRESS": _BUS[0]})
    return proc.returncode == 0 and "boolean true" in proc.stdout


@pytest.fixture
def tcmu_runner(lab, tmp_path):
    """Debian's tcmu-runner serving user: backstores, as on a Debian host: target_core_user loaded, a
    system D-Bus (Debian's system policy, which lets root own org.kernel.TCMUService1, at a private
    address so no other test's targetcli activates anything) and the daemon on it. targetcli asks that
    bus which ``user:<handler>`` backstores exist. Yields the daemon's log file."""
    _need_debian_tools()
    if not os.access(TCMU_RUNNER, os.X_OK):
        pytest.fail(f"{TCMU_RUNNER} missing: tests/kernel/setup-host installs tcmu-runner", pytrace=False)
    _sh("modprobe", "target_core_user")
    folder = tmp_path / "tcmu"
    folder.mkdir()
    folder.chmod(0o755)  # the bus drops to user messagebus
    bus = subprocess.Popen(["dbus-daemon", "--system", "--nofork", "--nopidfile", "--print-address=1",
                            f"--address=unix:path={folder}/system_bus_socket"], stdout=subprocess.PIPE, text=True)
    saved_bus = list(_BUS)
    runner = None
    log = folder / "tcmu-runner.log"
    try:
        address = bus.stdout.readline().strip()
        assert address, "dbus-daemon --system did not start"
        _BUS[:] = [address]
        with open(folder / "tcmu-runner.out", "w") as out:
            runner = subprocess.Popen([TCMU_RUNNER, f"--tcmu-log-dir={folder}"], stdout=out, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, start_new_session=True,
                                      env={**os.environ, "DBUS_SYSTEM_BUS_ADDRESS": address})

        def ready() -> bool:
            if runner.poll() is not None:
                pytest.fail(f"tcmu-runner exited with {runner.returncode}:\n"
                            f"{(folder / 'tcmu-runner.out').read_text()}\n{_read(log)}", pytrace=False)
            return _bus_has(TCMU_SERVICE)

        import ktools

        ktools.wait_for(ready, f"tcmu-runner to own {TCMU_SERVICE} on the system bus", 120, 0.5)
        yield log
    finally:
        try:
            from rtslib import RTSRoot

            RTSRoot().clear_existing(confirm=True)  # while tcmu-runner still serves the devices
        finally:
            _BUS[:] = saved_bus
            for proc in (runner, bus):
                if proc is not None and proc.poll() is None:
                    proc.terminate()
                    proc.wait(timeout=60)
            # tcmu-runner told target_core_user it answers the kernel's netlink commands; the module keeps
            # believing it after the daemon is gone and then waits, uninterruptibly, for an answer to the next
            # user backstore another test creates. Unloaded and loaded again, it starts afresh (loaded, as the
            # other tests expect: configfs does not load it for them).
            for args in (["-r", "target_core_user"], ["target_core_user"]):
                done = subprocess.run(["modprobe", *args], capture_output=True, text=True)
                assert done.returncode == 0, f"modprobe {' '.join(args)}: {done.stderr.strip()}"


def _user_so(name: str) -> Path | None:
    found = list(Path("/sys/kernel/config/target/core").glob(f"user_*/{name}"))
    assert len(found) <= 1, (name, found)
    return found[0] if found else None


def _user_files(name: str, image: Path, target: str) -> dict[str, str]:
    """Every readable file of a user backstore but its statistics (counters and indexes) and its random
    serial, with what each side names on its own (the backing file, the target of the LUN in its ALUA
    group's members) replaced by ``<image>`` and ``<target>``."""
    so = _user_so(name)
    assert so is not None, f"no user backstore {name}"
    files = _files(so, ("attrib", "wwn", "pr", "action", "alua/default_tg_pt_gp"))
    for entry in sorted(so.iterdir()):
        if entry.is_file():
            try:
                files[entry.name] = entry.read_text(errors="replace").strip()
            except OSError:
                continue  # control: write-only
    files.pop("wwn/vpd_unit_serial")
    return {key: value.replace(str(image), "<image>").replace(target, "<target>") for key, value in files.items()}


def _user_luns(target: str, prefix: str) -> dict[str, str]:
    """Each LUN of the target's TPG 1: the backstore it links to (without the side's name prefix) and its
    ALUA group."""
    out = {}
    for lun in sorted((Path("/sys/kernel/config/target/iscsi") / target / "tpgt_1" / "lun").iterdir()):
        link = next(p for p in lun.iterdir() if p.is_symlink())
        backstore = os.path.basename(os.readlink(link)).removeprefix(prefix)
        out[lun.name] = f"{backstore}, ALUA group {_read(lun / 'alua_tg_pt_gp')!r}"
    return out


def test_user_backstores_made_by_sanctl_have_targetclis_defaults(tcmu_runner, lab, tmp_path):
    """Each file-backed handler of Debian's tcmu-runner: one user backstore (and a LUN on it) made by
    targetcli's one-shot command, one by sanctl's writer; every attribute and file compared."""
    from sanctl.lio import changes as C
    from sanctl.lio.rtslib_writer import RtslibWriter

    listed = targetcli_batch("ls /backstores 1")
    offered = set(re.findall(r"\buser:(\w+)", listed))
    assert set(USER_HANDLERS) <= offered, f"targetcli offers {sorted(offered)}:\n{listed}"

    images = {(side, h): tmp_path / f"{side}-user-{h}.img" for side in ("tc", "sn") for h in USER_HANDLERS}
    for (_side, h), image in images.items():
        if h == "qcow":  # a raw image: the qcow handler opens it if its size is the device's
            lab.sparse(image.name, 16 * MiB)
    cfg = {key: USER_HANDLERS[key[1]].format(image=image) for key, image in images.items()}
    targetcli_batch(*(f"/backstores/user:{h} create name=tc-user-{h} size=16M cfgstring={cfg['tc', h]}"
                      for h in USER_HANDLERS),
                    f"/iscsi create {T_TC_USER}",
                    *(f"/iscsi/{T_TC_USER}/tpg1/luns create /backstores/user:{h}/tc-user-{h}" for h in USER_HANDLERS))
    writer = RtslibWriter("/", lock_timeout=2.0)
    report = writer.apply([
        *(C.CreateUser(f"sn-user-{h}", h, cfg["sn", h], "16M") for h in USER_HANDLERS),
        *C.targetcli_iscsi_target(T_SN_USER),
        *(C.CreateLun(T_SN_USER, 1, ("user", f"sn-user-{h}")) for h in USER_HANDLERS),
    ])
    assert report.ok, "\n".join(report.lines())

    differences = {}
    for h in USER_HANDLERS:
        theirs = _user_files(f"tc-user-{h}", images["tc", h], T_TC_USER)
        mine = _user_files(f"sn-user-{h}", images["sn", h], T_SN_USER)
        assert theirs["attrib/dev_config"] == f"{h}/{USER_HANDLERS[h].format(image='<image>')}", theirs
        assert theirs["enable"] == "1" and "ACTIVATED" in theirs["info"], theirs  # served, exported
        assert len(theirs) > 40 and "attrib/max_data_area_mb" in theirs, theirs  # every group was read
        for key in sorted(set(theirs) | set(mine)):
            if theirs.get(key) != mine.get(key):
                differences[(h, key)] = (theirs.get(key), mine.get(key))
        assert images["tc", h].is_file() and images["sn", h].is_file()  # the handler opened (or made) each
    made_by_targetcli, made_by_sanctl = _user_luns(T_TC_USER, "tc-"), _user_luns(T_SN_USER, "sn-")
    assert len(made_by_targetcli) == len(USER_HANDLERS), made_by_targetcli
    for lun in sorted(set(made_by_targetcli) | set(made_by_sanctl)):
        if made_by_targetcli.get(lun) != made_by_sanctl.get(lun):
            differences[("lun", lun)] = (made_by_targetcli.get(lun), made_by_sanctl.get(lun))

    unexplained = {k: v for k, v in differences.items() if k not in ALLOWED_USER or ALLOWED_USER[k][0] != v}
    assert not unexplained, "targetcli vs sanctl, user backstores:\n" + "\n".join(
        f"  user:{h} {key}: targetcli {a!r}, sanctl {b!r}" for (h, key), (a, b) in sorted(unexplained.items()))
    stale = set(ALLOWED_USER) - set(differences)
    assert not stale, f"allowed differences that no longer exist: {sorted(stale)}"


def test_user_rbd_backstore_refused_alike_without_a_ceph_cluster(tcmu_runner):
    """Debian's tcmu-runner also offers user:rbd, which needs a Ceph cluster (none in the VM): its open
    fails, the kernel refuses to enable the device, and both tools refuse the backstore and leave nothing
    behind; nothing else of it can be compared here."""
    from sanctl.lio import changes as C
    from sanctl.lio.rtslib_writer import RtslibWriter

    proc = _debian(TARGETCLI, "/backstores/user:rbd", "create", "name=tc-user-rbd", "size=16M", "cfgstring=rbd/sanctl",
                   check=False)
    assert "creation failed" in proc.stdout + proc.stderr, proc
    assert _user_so("tc-user-rbd") is None
    report = RtslibWriter("/", lock_timeout=2.0).apply([C.CreateUser("sn-user-rbd", "rbd", "rbd/sanctl", "16M")])
    assert not report.ok, "\n".join(report.lines())
    assert _user_so("sn-user-rbd") is None, "sanctl left the refused backstore behind"
    assert "Could not connect to cluster" in tcmu_runner.read_text(), "tcmu-runner's log says why"
