#!/bin/busybox sh
# /init of the kernel tier's initramfs (built by tests/kernel/vmrun.py).
# Mounts the host's root (9p, read-only) under a tmpfs overlay, mounts the
# writable results share, and switches root into the overlay to run stage 2
# (tests/kernel/guest.sh from the working tree, passed on the command line).
/bin/busybox --install -s /bin
export PATH=/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

fail() {
    echo "sanctl-initramfs: $*" >/dev/console
    echo "sanctl-initramfs: powering off" >/dev/console
    poweroff -f
    sleep 5
}

for ko in $(cat /modules.list); do
    insmod "/modules/$ko" || echo "sanctl-initramfs: insmod $ko failed" >/dev/console
done

stage2=
for arg in $(cat /proc/cmdline); do
    case "$arg" in
        sanctl.stage2=*) stage2="${arg#sanctl.stage2=}" ;;
    esac
done
[ -n "$stage2" ] || fail "no sanctl.stage2= on the kernel command line"

mkdir -p /lower /upper /newroot
opts=trans=virtio,version=9p2000.L,msize=262144
mount -t 9p -o "$opts,ro,cache=loose" hostroot /lower || fail "cannot mount the host root (9p)"
mount -t tmpfs -o mode=0755 upper /upper || fail "cannot mount the overlay's tmpfs"
mkdir -p /upper/up /upper/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/upper/up,workdir=/upper/work /newroot \
    || fail "cannot mount the overlay root"

mkdir -p /newroot/sanctl-results
mount -t 9p -o "$opts" results /newroot/sanctl-results || fail "cannot mount the results share"

mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
mount --move /dev /newroot/dev

[ -x "/newroot$stage2" ] || [ -f "/newroot$stage2" ] || fail "stage 2 $stage2 not found in the host root"
exec switch_root /newroot /bin/bash "$stage2"
