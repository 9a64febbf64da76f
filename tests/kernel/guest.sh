#!/bin/bash
# Stage 2 of the kernel tier's VM: runs as PID 1 in the overlay root that the
# initramfs switched into.  Prepares the real LIO target and the open-iscsi
# initiator, runs the job written by the host (tests/kernel/vmrun.py) into
# the results share, writes the exit code there and powers off.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LC_ALL=C.UTF-8 LANG=C.UTF-8 TERM=dumb
R=/sanctl-results

say() { echo "[guest] $*" >/dev/console; }

power_off() {
    sync
    umount "$R" 2>/dev/null
    # busybox-static is installed on the host (setup-host); sysrq as a fallback.
    /bin/busybox poweroff -f 2>/dev/null
    echo o >/proc/sysrq-trigger
    sleep 30
}

finish() {
    echo "$1" >"$R/rc"
    dmesg >"$R/dmesg.txt" 2>&1
    cp "${TMPDIR:-/tmp}/iscsid.log" "$R/iscsid.log" 2>/dev/null
    power_off
}

prep_fail() {
    say "setup failed: $*"
    echo "guest setup failed: $*" >>"$R/output.txt"
    finish 99
}

# shellcheck source=/dev/null
set -a; . "$R/job.env" || prep_fail "cannot read $R/job.env"; set +a

# --- basic plumbing ------------------------------------------------------
mount -t tmpfs -o mode=0755 run /run
mkdir -p /run/lock/iscsi /dev/pts /dev/shm
mount -t devpts devpts /dev/pts 2>/dev/null
mount -t tmpfs shm /dev/shm 2>/dev/null
ln -sfn /proc/self/fd /dev/fd
ln -sfn /proc/self/fd/0 /dev/stdin
ln -sfn /proc/self/fd/1 /dev/stdout
ln -sfn /proc/self/fd/2 /dev/stderr
# A private scratch tmpfs (the overlay's /tmp shows the host's /tmp, where a
# fresh clone of the working tree may live: leave it visible).
mkdir -p /sanctl-tmp
mount -t tmpfs -o mode=1777 scratch /sanctl-tmp
export TMPDIR=/sanctl-tmp
hostname sanctl-vm 2>/dev/null || echo sanctl-vm >/proc/sys/kernel/hostname
ip link set lo up || /bin/busybox ip link set lo up || prep_fail "cannot bring up lo"

# The unpacked kernel's module tree, where modprobe (also the kernel's own
# request_module, e.g. crc32c at iSCSI login) looks for it.
mkdir -p /usr/lib/modules
rm -rf "/usr/lib/modules/$KVER"
ln -sfn "$KMODDIR" "/usr/lib/modules/$KVER"

# --- target side ---------------------------------------------------------
# rtslib-fb refuses to run without its db root: create it before target_core_mod.
mkdir -p /etc/target && mount -t tmpfs -o mode=0755 etc-target /etc/target || prep_fail "cannot make /etc/target"
modprobe configfs || prep_fail "modprobe configfs"
mountpoint -q /sys/kernel/config || mount -t configfs configfs /sys/kernel/config || prep_fail "mount configfs"
for m in target_core_mod target_core_iblock target_core_file target_core_pscsi \
         iscsi_target_mod iscsi_tcp loop tcm_loop sd_mod; do
    modprobe "$m" || prep_fail "modprobe $m"
done
modprobe target_core_user 2>/dev/null || say "target_core_user not available"

# --- initiator side ------------------------------------------------------
# A clean node database (Debian keeps it in /etc/iscsi) and our own name.
rm -rf /etc/iscsi/nodes /etc/iscsi/send_targets /etc/iscsi/ifaces /etc/iscsi/isns \
       /etc/iscsi/static /etc/iscsi/fw /var/lib/iscsi
mkdir -p /etc/iscsi/nodes /etc/iscsi/send_targets /var/lib/iscsi
echo "InitiatorName=$INITIATOR_NAME" >/etc/iscsi/initiatorname.iscsi
# iscsid signals its whole process group when it stops: give it its own session.
setsid iscsid -f -n </dev/null >"$TMPDIR/iscsid.log" 2>&1 &
ok=
for _ in $(seq 1 300); do
    if grep -q '@ISCSIADM_ABSTRACT_NAMESPACE' /proc/net/unix; then ok=1; break; fi
    sleep 0.1
done
[ -n "$ok" ] || prep_fail "iscsid did not open its socket in 30 s"

say "ready: kernel $(uname -r), $(nproc) vCPU; running the $MODE job"

# --- the job ----------------------------------------------------------------
export SANCTL_IN_VM=1 PYTHONUNBUFFERED=1
cd "$WORKTREE" || prep_fail "cannot cd to $WORKTREE"
case "$MODE" in
    test)
        # Plugins the kernel tests do not use cost seconds of imports under TCG.
        "$PY" -m pytest -m kernel tests/kernel -p no:cacheprovider \
            -p no:textual-snapshot -p no:syrupy -p no:hypothesispytest \
            --junitxml="$R/junit.xml" "${ARGS[@]}" 2>&1 | tee "$R/output.txt" >/dev/console
        rc=${PIPESTATUS[0]}
        ;;
    capture)
        mkdir -p "$R/capture"
        "$PY" tests/kernel/capture.py "$R/capture" 2>&1 | tee "$R/output.txt" >/dev/console
        rc=${PIPESTATUS[0]}
        ;;
    shell)
        # Debugging aid: run a command line given by the host.
        bash -c "$SHELL_CMD" 2>&1 | tee "$R/output.txt" >/dev/console
        rc=${PIPESTATUS[0]}
        ;;
    *)
        prep_fail "unknown mode $MODE"
        ;;
esac
say "job finished with exit code $rc"
finish "$rc"
