# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shell library for the reliability scenarios (tests/faults, tests/fuzz),
# on top of vm/guest-lib.sh.  Source it after guest-lib.sh:
#
#	. "${VM_LIB:-.../vm/guest-lib.sh}"
#	. "$(dirname "$(realpath "$0")")/../faults/lib.sh"
#
#   faults_init [HELPER...]     check the helpers are built, load vfio-pci
#                               where it is a module (modprobe, as a user
#                               does: vfio gets the mode of the kernel
#                               command line), turn no-IOMMU mode on and
#                               call faults_baseline; under
#                               tests/faults/several.sh (FAULTS_NESTED set)
#                               the baseline and the figures of the whole
#                               run are left alone
#   faults_baseline             forget the figures of an earlier run and
#                               clear kmemleak's earlier reports; nothing
#                               of VFIO is loaded for it (several.sh calls
#                               it alone, so that tests/scenarios/modules.sh
#                               finds VFIO unloaded)
#   faults_bin NAME             path of a helper built by tests/faults/build.sh
#   bind_noiommu BDF            bind BDF to vfio-pci; fails (PCI_ERROR) if it
#                               gets no /dev/vfio/noiommu-N node
#   iommu_group_count           number of IOMMU groups in sysfs
#   vfio_nodes                  the nodes of /dev/vfio and /dev/vfio/devices, one line
#   vfio_cdev_node BDF          BDF's device cdev, as vfio_nodes names it
#                               (devices/noiommu-vfioN); fails if it has none
#   wait_for COND SECS          poll the shell command COND every 0.1 s
#   kmemleak_check NAME         scan for leaks and report a TAP test NAME;
#                               the number of leaks is added to
#                               $VM_OUT/kmemleak-leaks (tests/check.sh sums
#                               it up), the reports become diagnostics;
#                               nothing under several.sh, which scans once
#                               at its end
#   record KEY VALUE            append "KEY VALUE" to $VM_OUT/reliability
#                               (figures for the summary of tests/check.sh)

FAULTS_DIR=${VM_TOP:-$(dirname "$(dirname "$(dirname "$(realpath "${BASH_SOURCE[0]}")")")")}/build/faults
KMEMLEAK=/sys/kernel/debug/kmemleak

faults_bin() { echo "$FAULTS_DIR/$1"; }

record() {
	[ -n "${VM_OUT:-}" ] && echo "$1 $2" >> "$VM_OUT/reliability"
	return 0
}

faults_init() {
	local b load
	for b in "$@"; do
		[ -x "$FAULTS_DIR/$b" ] ||
			{ echo "Bail out! $FAULTS_DIR/$b missing (run tests/faults/build.sh)"; exit 2; }
	done
	# VFIO as modules (the debug kernel, like a distribution's): the
	# scenarios start from what a user has after "modprobe vfio-pci".
	load=$(vfio_pci_load) || { echo "Bail out! $load"; exit 2; }
	[ -n "$load" ] && tap_diag "$load"
	vfio_noiommu_param >/dev/null ||
		{ echo "Bail out! this kernel has no no-IOMMU mode"; exit 2; }
	vfio_noiommu_set Y
	[ -n "${FAULTS_NESTED:-}" ] && return 0
	faults_baseline
}

faults_baseline() {
	[ -n "${VM_OUT:-}" ] && rm -f "$VM_OUT/kmemleak-leaks" "$VM_OUT/reliability"
	# "clear" forgets what earlier scans reported.  No scan has run in
	# this boot yet, so it changes nothing: the test's scan judges every
	# object, those allocated at boot included.
	if [ -w "$KMEMLEAK" ]; then
		echo clear > "$KMEMLEAK"
	fi
	return 0
}

bind_noiommu() {
	pci_bind "$1" vfio-pci || return 1
	vfio_group_node "$1" | grep -q '^/dev/vfio/noiommu-' || {
		PCI_ERROR="bound, but no /dev/vfio/noiommu-N node"
		return 1
	}
}

iommu_group_count() {
	local n=0 g
	for g in /sys/kernel/iommu_groups/*; do
		[ -e "$g" ] && n=$((n + 1))
	done
	echo $n
}

vfio_nodes() {
	local all= n
	for n in /dev/vfio/* /dev/vfio/devices/*; do
		[ -e "$n" ] && [ "$n" != /dev/vfio/devices ] && all+=" ${n#/dev/vfio/}"
	done
	echo "${all# }"
}

vfio_cdev_node() {
	local n
	for n in /sys/bus/pci/devices/"$1"/vfio-dev/vfio*; do
		[ -e "$n" ] && echo "devices/noiommu-${n##*/}" && return 0
	done
	return 1
}

wait_for() {
	local cond=$1 end=$((SECONDS + $2))
	until eval "$cond"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.1
	done
}

kmemleak_check() {
	local name=$1 n t0=$SECONDS report
	[ -n "${FAULTS_NESTED:-}" ] && return 0
	if [ ! -w "$KMEMLEAK" ]; then
		tap_skip "$name" "no kmemleak in this kernel"
		return 0
	fi
	# Objects younger than 5 s are never reported, and an object seen
	# only in a register or on a stack can look lost once: wait, scan
	# twice and take the second answer.
	sleep 5
	echo scan > "$KMEMLEAK"
	echo scan > "$KMEMLEAK"
	report=$(cat "$KMEMLEAK")
	n=$(printf '%s\n' "$report" | grep -c '^unreferenced object')
	record kmemleak-scan-seconds $((SECONDS - t0))
	[ -n "${VM_OUT:-}" ] && echo "$n" >> "$VM_OUT/kmemleak-leaks"
	if [ "$n" = 0 ]; then
		tap_ok "$name"
	else
		tap_not_ok "$name" "$n suspected leaks:" "$(printf '%s\n' "$report" | head -n 60)"
	fi
}
