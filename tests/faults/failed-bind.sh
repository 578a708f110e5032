#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A registration that fails leaves the kernel untainted and no group
# behind.  Runs in a fresh VM on a kernel with failslab (the debug kernel),
# with no-IOMMU mode on and an edu device, which no driver claims:
#
#	vm/run-vm.sh -k IMAGE -o OUT --edu \
#		--append vfio.enable_unsafe_noiommu_mode=1 -- $0 [STEP [MAX]]
#
# Binding the edu device to vfio-pci is tried with the Nth slab allocation
# of the binding task made to fail (/proc/self/fail-nth), for N = 1,
# 1 + STEP, 1 + 2 STEP, ... (STEP 3 by default: a binding makes a few
# hundred allocations) until the binding runs without reaching its Nth
# allocation (or after MAX tries).  Failures that the kernel tolerates
# let the binding through, and the device is unbound again; those it does
# not make the binding fail, some of them after the no-IOMMU group was made
# (the IOMMU core logs "Adding to iommu group" for the device).  Every
# failed binding must:
#
#  - leave no IOMMU group and no /dev/vfio/noiommu-* node behind;
#  - not taint.  The taint is sticky and the first tolerated failure comes
#    early, so each attempt is judged by the kernel's own word: the warning
#    that goes with the taint ("... kernel tainted", naming the device)
#    must come only from bindings that went through.  The taint bit itself
#    must be clear before the first binding and set after it.

. "${VM_LIB:-$(dirname "$(realpath "$0")")/../../vm/guest-lib.sh}"

step=${1:-3}
max=${2:-400}
fs=/sys/kernel/debug/failslab
EDU=1234:11e8

bdf=$(pci_find $EDU) || { echo "Bail out! no edu device ($EDU)"; exit 2; }
[ -d $fs ] || { echo "Bail out! no $fs (CONFIG_FAILSLAB, CONFIG_FAULT_INJECTION_DEBUG_FS)"; exit 2; }
[ -w /proc/self/fail-nth ] || { echo "Bail out! no /proc/self/fail-nth"; exit 2; }
# VFIO as modules: vfio-pci loaded as a user loads it, which gives vfio
# the mode of the kernel command line.
load=$(vfio_pci_load) || { echo "Bail out! $load"; exit 2; }
[ -n "$load" ] && tap_diag "$load"
[ "$(vfio_noiommu_param)" = Y ] || { echo "Bail out! no-IOMMU mode is not on"; exit 2; }
kernel_tainted 6 && start_taint=1 || start_taint=0
pci_unbind "$bdf"
echo vfio-pci > "/sys/bus/pci/devices/$bdf/driver_override"

# GFP_KERNEL allocations may fail too; no stack dump for each failure.
echo N > $fs/ignore-gfp-wait
echo 0 > $fs/verbose

# A mark in the kernel log before each try: the log is read once, at the
# end, and each try's lines are those after its mark.
mark() { echo "failed-bind: try $1" > /dev/kmsg; }
bound() { [ -e "/sys/bus/pci/drivers/vfio-pci/$bdf" ]; }
leftover() {
	local n
	[ -e "/sys/bus/pci/devices/$bdf/iommu_group" ] && return 0
	for n in /dev/vfio/noiommu-*; do [ -e "$n" ] && return 0; done
	return 1
}

# try N: bind with the Nth slab allocation failing, in a subshell that
# opens what it needs first, so that the count starts at the binding
# itself; sets INJECTED (0 or 1).
try() {
	local left
	# shellcheck disable=SC2094 # fd 5 sets the count, fd 6 reads it back
	left=$(
		exec 3> /sys/bus/pci/drivers/vfio-pci/bind 4> /dev/null \
			5> /proc/self/fail-nth 6< /proc/self/fail-nth || exit
		echo "$1" >&5
		echo "$bdf" >&3 2>&4
		read -r left <&6
		echo "$left"
	)
	INJECTED=0
	[ "$left" = 0 ] && INJECTED=1
}

n=0 tries=0 failed=0 tolerated=0 leftover=0 first_bound='' taint_after=0
klog=$(mktemp)
dmesg -c > "$klog"
declare -A FAILED
while ((tries < max)); do
	n=$((tries * step + 1)) tries=$((tries + 1))
	# Move the log aside now and then: the kernel's buffer is small.
	((tries % 32)) || dmesg -c >> "$klog"
	mark $n
	try $n
	if bound; then
		if [ -z "$first_bound" ]; then
			first_bound=$n
			kernel_tainted 6 && taint_after=1
		fi
		pci_unbind "$bdf"
		[ $INJECTED = 1 ] || break	# past the last allocation
		tolerated=$((tolerated + 1))
		continue
	fi
	failed=$((failed + 1)) FAILED[$n]=1
	if leftover; then
		leftover=$((leftover + 1))
		[ -n "${first_left:-}" ] || first_left=$n
	fi
done
echo > "/sys/bus/pci/devices/$bdf/driver_override"

# Per try: did the IOMMU core add the device to a group, and did a taint
# warning name it?
late=0 warned=0 first_bad=''
while read -r t added tainted; do
	[ -n "${FAILED[$t]:-}" ] || continue
	[ "$added" = 1 ] && late=$((late + 1))
	if [ "$tainted" = 1 ]; then
		warned=$((warned + 1))
		[ -n "$first_bad" ] || first_bad=$t
	fi
done < <(dmesg -c >> "$klog"; awk -v bdf="$bdf" '
	/failed-bind: try / { if (t) print t, a, w; t = $NF; a = 0; w = 0; next }
	t && index($0, bdf ": Adding to iommu group") { a = 1 }
	t && index($0, bdf ":") && /kernel tainted/ { w = 1 }
	END { if (t) print t, a, w }' "$klog")
rm -f "$klog"

tap_diag "$tries tries up to N=$n: $failed bindings failed ($late after the no-IOMMU group" \
	"was made), $tolerated went through a failed allocation," \
	"the first binding at N=${first_bound:-none}"

[ "$INJECTED" = 0 ] && [ -n "$first_bound" ]
tap_result $? "the binding goes through once N is past its last allocation" \
	"still failing at N=$n after $max tries"
[ "$late" -gt 0 ]
tap_result $? "some bindings failed after the no-IOMMU group was made" \
	"no failure landed between the group's creation and the end of registration"
[ $warned = 0 ]
tap_result $? "failed bindings do not taint (no taint warning for the device)" \
	"$warned failed bindings tainted the kernel, the first at N=$first_bad"
[ $leftover = 0 ]
tap_result $? "failed bindings leave no IOMMU group or noiommu node behind" \
	"$leftover failed bindings left a group or node, the first at N=${first_left:-}"
[ "$start_taint" = 0 ]
tap_result $? "TAINT_USER is clear before the first binding (a fresh VM)" \
	"tainted: $(cat /proc/sys/kernel/tainted) at the end"
[ "$taint_after" = 1 ]
tap_result $? "the first binding that went through tainted the kernel" \
	"TAINT_USER not set after the binding at N=${first_bound:-none}"
tap_done
