#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A registration that fails leaves the kernel untainted.  Runs in a fresh
# VM (nothing tainted yet) on a kernel with failslab (the debug kernel),
# with no-IOMMU mode on and an edu device, which no driver claims:
#
#	vm/run-vm.sh -k IMAGE -o OUT --edu \
#		--append vfio.enable_unsafe_noiommu_mode=1 -- $0 [MAX_ATTEMPTS]
#
# Binding the edu device to vfio-pci is tried again and again, each time
# with failslab failing one slab allocation of the binding process, a few
# bytes further into the binding than the time before (failslab's "space"
# budget), until a binding goes through.  Every binding that failed must
# leave TAINT_USER clear and no IOMMU group or /dev/vfio/noiommu-* node
# behind.  Some of them must have failed after the no-IOMMU group was made
# (the IOMMU core logs "Adding to iommu group" for the device), or the run
# proved nothing.  The binding that went through must taint.

. "${VM_LIB:-$(dirname "$(realpath "$0")")/../../vm/guest-lib.sh}"

max=${1:-3000}
step=8
fs=/sys/kernel/debug/failslab
EDU=1234:11e8

bdf=$(pci_find $EDU) || { echo "Bail out! no edu device ($EDU)"; exit 2; }
[ -d $fs ] || { echo "Bail out! no $fs (CONFIG_FAILSLAB, CONFIG_FAULT_INJECTION_DEBUG_FS)"; exit 2; }
[ "$(vfio_noiommu_param)" = Y ] || { echo "Bail out! no-IOMMU mode is not on"; exit 2; }
if kernel_tainted 6; then
	echo "Bail out! TAINT_USER already set: this must run in a fresh VM"
	exit 2
fi
pci_unbind "$bdf"
echo vfio-pci > "/sys/bus/pci/devices/$bdf/driver_override"

# Fail only in tasks that ask for it, GFP_KERNEL allocations included, one
# allocation per attempt, quietly.
echo Y > $fs/task-filter
echo N > $fs/ignore-gfp-wait
echo 100 > $fs/probability
echo 1 > $fs/interval
echo 0 > $fs/verbose

added() { dmesg | grep -c "$bdf: Adding to iommu group"; }
nodes() { local n; for n in /dev/vfio/noiommu-*; do [ -e "$n" ] && echo "${n##*/}"; done; }

attempts=0 failed=0 late=0 bad_taint=0 leftover=0 bound=0 first_bad=
for ((space = 0; attempts < max; space += step)); do
	attempts=$((attempts + 1))
	before=$(added)
	echo 1 > $fs/times
	echo $space > $fs/space
	# A subshell of its own: only it fails allocations.
	(echo 1 > /proc/self/make-it-fail && echo "$bdf" > /sys/bus/pci/drivers/vfio-pci/bind) 2>/dev/null
	injected=0
	[ "$(cat $fs/times)" = 0 ] && injected=1
	if [ "$(pci_driver "$bdf")" = vfio-pci ]; then
		bound=1
		break
	fi
	failed=$((failed + 1))
	[ "$(added)" -gt "$before" ] && late=$((late + 1))
	if kernel_tainted 6; then
		bad_taint=$((bad_taint + 1))
		[ -n "$first_bad" ] || first_bad="space $space"
	fi
	if [ -n "$(pci_iommu_group "$bdf")" ] || [ -n "$(nodes)" ]; then
		leftover=$((leftover + 1))
		[ -n "$first_bad" ] || first_bad="space $space (leftover)"
	fi
	[ $injected = 1 ] || tap_diag "space $space: binding failed without an injected failure"
done
echo 0 > $fs/probability

tap_diag "$attempts attempts in steps of $step bytes: $failed bindings failed," \
	"$late of them after the no-IOMMU group was made; bound at the end: $bound"

[ $bound = 1 ]
tap_result $? "a binding goes through once the failures are past it" \
	"not bound after $attempts attempts"
[ $late -gt 0 ]
tap_result $? "some bindings failed after the no-IOMMU group was made" \
	"no failure landed between the group's creation and the end of registration"
[ $bad_taint = 0 ]
tap_result $? "failed bindings leave TAINT_USER clear" \
	"$bad_taint failed bindings tainted the kernel, the first at $first_bad"
[ $leftover = 0 ]
tap_result $? "failed bindings leave no IOMMU group or noiommu node behind" \
	"$leftover failed bindings left a group or node, the first at $first_bad"
if [ $bound = 1 ]; then
	kernel_tainted 6
	tap_result $? "the binding that went through taints the kernel (TAINT_USER)" \
		"tainted: $(cat /proc/sys/kernel/tainted)"
	pci_unbind "$bdf"
fi
echo > "/sys/bus/pci/devices/$bdf/driver_override"
tap_done
