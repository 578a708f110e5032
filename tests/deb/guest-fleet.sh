#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The series kernel as a fleet gets it: from its Debian packages (make deb,
# unpacked in build/deb/root), with the mode set in /etc/modprobe.d rather
# than on the kernel command line.  Runs in the test VM booted from the
# package's own files:
#
#	vm/run-vm.sh -k build/deb/root/boot/vmlinuz --modules build/deb/root \
#		... -- $0 SCENARIO [ARG...]
#
# Checks that the running kernel and the VFIO modules modprobe finds are
# the package's, writes the modprobe.d line README gives, then runs
# SCENARIO (e.g. tests/dpdk/guest-txonly.sh), whose TAP is the run's.
# The mode must stay off until vfio is loaded: the line alone turns it on.

# shellcheck source=vm/guest-lib.sh
. "${VM_LIB:-$(dirname "$(realpath "$0")")/../../vm/guest-lib.sh}"

[ $# -ge 1 ] || { echo "Bail out! usage: $0 SCENARIO [ARG...]"; exit 2; }
kver=$(uname -r)
want=$(cat "$VM_TOP/build/deb/kver" 2>/dev/null)
[ "$kver" = "$want" ] ||
	{ echo "Bail out! running $kver, the package holds '$want'"; exit 2; }
f=$(modinfo -n vfio 2>/dev/null)
[[ $f == "$VM_TOP/build/deb/root/lib/modules/$kver/kernel/drivers/vfio/vfio.ko"* ]] ||
	{ echo "Bail out! modprobe finds vfio at '${f:-nowhere}', not in the package's tree"; exit 2; }
grep -qw 'vfio.enable_unsafe_noiommu_mode' /proc/cmdline &&
	{ echo "Bail out! the mode is on the kernel command line; this run sets it in modprobe.d"; exit 2; }
[ -e /sys/module/vfio ] &&
	{ echo "Bail out! vfio is loaded before the modprobe.d line is written"; exit 2; }

conf=/etc/modprobe.d/vfio-noiommu.conf
echo "options vfio enable_unsafe_noiommu_mode=1" > "$conf"
tap_diag "kernel $kver from build/deb ($(ls "$VM_TOP"/build/deb/linux-image-*.deb | xargs -n1 basename))," \
	"vfio from $f; $conf: $(cat "$conf")"

s=$1
shift
case "$s" in /*) ;; *) s=$VM_TOP/$s ;; esac
exec bash "$s" "$@"
