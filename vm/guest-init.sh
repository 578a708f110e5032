#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# First process of the test VM, started by the kernel as
#
#	init=/path/to/vm/guest-init.sh -- OUTDIR
#
# with the host's root filesystem mounted read-only over 9p.  Nothing of the
# host's boot (fstab, systemd, udev) runs: this script mounts what tests
# need, mounts the run's output directory OUTDIR (9p tag "vmout") at its
# host path, runs the scenario that run-vm.sh described in OUTDIR/guest.env
# and powers the VM off.  Lines starting with "vm-init: " on the console
# are read by run-vm.sh; keep their wording.
#
# This is PID 1: it must never exit, or the kernel panics.

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp TMPDIR=/tmp LANG=C.UTF-8 TERM=${TERM:-linux}
umask 022
# Under TCG every exec of a host binary costs tens of milliseconds, so this
# script sticks to shell builtins where it can.

say() { echo "vm-init: $*"; }

power_off() {
	sync
	# The VM runs with -no-reboot: an immediate reboot ends QEMU.
	echo b > /proc/sysrq-trigger
	sleep 5
	say "sysrq reboot did not end the VM"
	while :; do sleep 3600; done
}

# mounted DIR: is DIR a mount point?
mounted() {
	local _dev mp _rest
	while read -r _dev mp _rest; do
		[ "$mp" = "$1" ] && return 0
	done < /proc/mounts
	return 1
}

# mnt FSTYPE SOURCE DIR [OPTIONS]: mount unless DIR is already mounted.
mnt() {
	local t=$1 src=$2 dir=$3 opts=${4:-}
	mounted "$dir" && return 0
	[ -d "$dir" ] || mkdir -p "$dir"
	mount -t "$t" ${opts:+-o "$opts"} "$src" "$dir" ||
		{ say "error: cannot mount $t on $dir"; return 1; }
}

mount -t proc proc /proc || { say "error: cannot mount /proc"; power_off; }
say "up $(cut -d' ' -f1 /proc/uptime)"

out=
[ "${1:-}" = -- ] && shift
out=${1:-}
[ -n "$out" ] || { say "error: no output directory on the kernel command line"; power_off; }

mnt sysfs sysfs /sys
mnt devtmpfs devtmpfs /dev
mnt devpts devpts /dev/pts gid=5,mode=620,ptmxmode=666
mnt tmpfs tmpfs /dev/shm mode=1777
mnt hugetlbfs hugetlbfs /dev/hugepages
# What udev would add and scripts expect: bash's <(...) needs /dev/fd.
ln -sfn /proc/self/fd /dev/fd
ln -sfn /proc/self/fd/0 /dev/stdin
ln -sfn /proc/self/fd/1 /dev/stdout
ln -sfn /proc/self/fd/2 /dev/stderr
# The project may live below one of the scratch places mounted over next
# (a CI clone under /tmp): keep a view of the host's root to bind it back.
top=${0%/vm/guest-init.sh}
case "$top" in
/tmp/*|/run/*|/var/tmp/*)
	mkdir -p /dev/shm/.host && mount --bind / /dev/shm/.host ||
		{ say "error: cannot keep a view of $top"; power_off; } ;;
*)	top= ;;
esac
# The root is read-only: give programs their usual scratch places.
mnt tmpfs tmpfs /tmp mode=1777
mnt tmpfs tmpfs /run mode=755
mnt tmpfs tmpfs /var/tmp mode=1777
if [ -n "$top" ]; then
	mkdir -p "$top" && mount --bind "/dev/shm/.host$top" "$top" ||
		{ say "error: cannot bind $top back"; power_off; }
fi
mkdir /run/lock /run/user
mnt debugfs debugfs /sys/kernel/debug
# The output directory may lie below one of the tmpfs mounts above; then
# its mount point has to be made in there.
mnt 9p vmout "$out" trans=virtio,version=9p2000.L,msize=512000,cache=none ||
	power_off
[ -r "$out/guest.env" ] || { say "error: $out/guest.env missing"; power_off; }
. "$out/guest.env"

echo vm > /proc/sys/kernel/hostname

# The kernel's own modules (run-vm.sh --modules): modprobe and modinfo
# (kmod's, from the host) are pointed at VM_MODULES/lib/modules with their
# -d and -b options, through wrappers first in PATH and as the kernel's
# modprobe, since the read-only root may lack /lib/modules.  The host's
# /etc/modprobe.d and the kernel command line still apply; /etc/modprobe.d
# is made writable (a copy) for scenarios that configure modprobe as an
# administrator would.  The PCI devices' drivers are loaded, as udev would.
if [ -n "${VM_MODULES:-}" ]; then
	mkdir -p /run/vm-bin /run/modprobe.d
	printf '#!/bin/sh\nexec /usr/sbin/modprobe -d %q "$@"\n' "$VM_MODULES" > /run/vm-bin/modprobe
	printf '#!/bin/sh\nexec /usr/sbin/modinfo -b %q "$@"\n' "$VM_MODULES" > /run/vm-bin/modinfo
	chmod 755 /run/vm-bin/modprobe /run/vm-bin/modinfo
	export PATH=/run/vm-bin:$PATH
	echo /run/vm-bin/modprobe > /proc/sys/kernel/modprobe
	[ -d /etc/modprobe.d ] && cp -a /etc/modprobe.d/. /run/modprobe.d/ 2>/dev/null
	mount --bind /run/modprobe.d /etc/modprobe.d ||
		{ say "error: cannot make /etc/modprobe.d writable"; power_off; }
	# What udev does at boot: load the drivers of the devices present,
	# in one modprobe (-a) rather than one each: an exec costs seconds on
	# the debug kernel under TCG.
	aliases=()
	for m in /sys/bus/pci/devices/*/modalias; do
		read -r alias < "$m" && aliases+=("$alias")
	done
	[ ${#aliases[@]} -gt 0 ] && modprobe -q -b -a "${aliases[@]}"
fi

if [ "${VM_HUGEPAGES:-0}" -gt 0 ]; then
	echo "$VM_HUGEPAGES" > /proc/sys/vm/nr_hugepages
	got=$(cat /proc/sys/vm/nr_hugepages)
	[ "$got" = "$VM_HUGEPAGES" ] ||
		say "warning: asked for $VM_HUGEPAGES hugepages, got $got"
fi

cd "$VM_CWD" 2>/dev/null || cd /
if [ -n "$VM_SCENARIO" ]; then
	if [ -x "$VM_SCENARIO" ]; then
		run=("$VM_SCENARIO")
	else
		run=(/bin/bash "$VM_SCENARIO")
	fi
	say "scenario start: $VM_SCENARIO ${VM_ARGS[*]}"
	"${run[@]}" "${VM_ARGS[@]}" </dev/null 2>&1 | tee "$VM_OUT/scenario.log"
	rc=${PIPESTATUS[0]}
	echo "$rc" > "$VM_OUT/exit-code"
	say "scenario exit $rc"
fi
cat /proc/sys/kernel/tainted > "$VM_OUT/tainted"
dmesg > "$VM_OUT/dmesg.txt" 2>/dev/null

if [ "${VM_SHELL:-0}" = 1 ]; then
	say "shell on ttyS0; leave it to power off"
	setsid -c /bin/bash -l <>/dev/ttyS0 >&0 2>&1
fi
say "power off"
power_off
