#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The VFIO no-IOMMU kselftests (tools/testing/selftests/vfio in the series),
# run inside the test VM from their installed copy:
#
#	make selftests		# installs them into build/kselftest
#	vm/run-vm.sh -k IMAGE -o OUT --nic e1000 --edu \
#		--append vfio.enable_unsafe_noiommu_mode=1 \
#		--env KERNEL_FLAVOUR=series -- $0 [BINARY...]
#
# BINARY names one of the test programs (default: all of them, in the order
# of kselftest-list.txt).  Every test case becomes one TAP line
# "BINARY: CASE", with the program's own output before it as "#" lines.
# KSFT_DIR overrides where the tests are installed ($VM_TOP/build/kselftest).
#
# The tests only touch the PCI devices named in VFIO_SELFTESTS_BDF.  Unless
# it is set already, this scenario names the VM's e1000 (8086:100e) and edu
# (1234:11e8) devices, the ones run-vm.sh adds with --nic e1000 and --edu.
#
# noiommu_group_test's bind_taints_kernel can only judge the first
# no-IOMMU group of a boot (a taint stays): it runs first, alone, before
# any other test has bound a device, and is left out of its program's
# full run.
#
# KERNEL_FLAVOUR (optional) is series, upstream or base.  On base, the tree
# without no-IOMMU mode, the cases that prove the feature exists
# (noiommu_param_test: param.present, and noiommu_group_test:
# group.bind_taints_kernel, which does not skip there) must fail, and every
# case that skips with the reason "kernel has no VFIO no-IOMMU mode" finds
# the feature missing: both are reported as TAP TODO (expected failures).
# The rest must pass there too.

. "${VM_LIB:-$(dirname "$(realpath "$0")")/../../vm/guest-lib.sh}"

ksft=${KSFT_DIR:-${VM_TOP:-$(dirname "$(realpath "$0")")/../..}/build/kselftest}
dir=$ksft/vfio
flavour=${KERNEL_FLAVOUR:-}

# Cases that must fail on a kernel without the feature.
base_todo=" noiommu_param_test:param.present noiommu_group_test:group.bind_taints_kernel "
# The case that must run first in a fresh boot: BINARY TEST.
first_bin=noiommu_group_test first_test=bind_taints_kernel
# The reason the tests give when they skip for want of the feature
# (NIO_NO_SUPPORT in vfio_noiommu_lib.h).
no_support="kernel has no VFIO no-IOMMU mode (/sys/module/vfio/parameters/enable_unsafe_noiommu_mode missing)"

if [ ! -d "$dir" ]; then
	echo "Bail out! no installed selftests in $dir (run 'make selftests')"
	exit 2
fi

timeout=300
if [ -r "$dir/settings" ]; then
	while IFS='=' read -r k v; do
		[ "$k" = timeout ] && timeout=$v
	done < "$dir/settings"
fi

bins=("$@")
if [ ${#bins[@]} = 0 ]; then
	while IFS=: read -r coll bin; do
		[ "$coll" = vfio ] && bins+=("$bin")
	done < "$ksft/kselftest-list.txt"
fi
# Runs, in order: "BINARY" (all its cases) or "BINARY:-t:CASE" (that case
# alone) or "BINARY:-T:CASE" (all but that case).
runs=()
for bin in "${bins[@]}"; do
	[ "$bin" = "$first_bin" ] && runs=("$bin:-t:$first_test" "${runs[@]}") &&
		bin="$bin:-T:$first_test"
	runs+=("$bin")
done

if [ -z "${VFIO_SELFTESTS_BDF+set}" ]; then
	VFIO_SELFTESTS_BDF=$({ pci_find_all 8086:100e; pci_find_all 1234:11e8; } |
		paste -sd ' ')
fi
export VFIO_SELFTESTS_BDF

# A modular kernel: the tests expect vfio-pci loaded, as a user has it,
# and the mdev cases the mtty sample, which nothing loads by itself.
loaded=$(vfio_pci_load) && [ -n "$loaded" ] && tap_diag "$loaded"
if [ ! -d /sys/class/mdev_bus/mtty ] && modinfo mtty >/dev/null 2>&1; then
	modprobe mtty && tap_diag "modprobe mtty: loaded"
fi
tap_diag "kernel $(uname -r), flavour ${flavour:-unspecified}," \
	"enable_unsafe_noiommu_mode at start: $(vfio_noiommu_param 2>/dev/null || echo absent)," \
	"tainted at start: $(cat /proc/sys/kernel/tainted)"
tap_diag "VFIO_SELFTESTS_BDF=$VFIO_SELFTESTS_BDF"

log=$(mktemp)
for run in "${runs[@]}"; do
	bin=${run%%:*} args=()
	[ "$bin" != "$run" ] && IFS=: read -r _ opt case <<< "$run" &&
		args=("$opt" "$case")
	if [ ! -x "$dir/$bin" ]; then
		tap_not_ok "$bin" "not installed in $dir"
		continue
	fi
	timeout -k 10 "$timeout" "$dir/$bin" "${args[@]}" > "$log" 2>&1
	rc=$?
	sed 's/^/# /' "$log"

	cases=0
	while IFS= read -r line; do
		case "$line" in
		"ok "[0-9]*|"not ok "[0-9]*) ;;
		*) continue ;;
		esac
		status=${line%% [0-9]*}
		rest=${line#"$status" }
		rest=${rest#* }			# drop the number
		name=${rest%% # *}
		directive=
		[ "$name" != "$rest" ] && directive=${rest#* # }
		cases=$((cases + 1))
		tname="$bin: $name"

		if [ "$flavour" = base ] && [[ $base_todo == *" $bin:$name "* ]]; then
			if [ "$status" = ok ]; then
				tap_todo 0 "$tname" "no-IOMMU mode absent on base"
			else
				tap_todo 1 "$tname" "no-IOMMU mode absent on base"
			fi
			continue
		fi
		# On base every test that needs the feature finds it missing:
		# that is the expected failure, shown as such, not a skip.
		if [ "$flavour" = base ] && [ "$status:${directive#SKIP }" = \
			"ok:$no_support" ]; then
			tap_todo 1 "$tname" "no-IOMMU mode absent on base"
			continue
		fi
		case "$status:$directive" in
		"ok:SKIP"*)	tap_skip "$tname" "${directive#SKIP }" ;;
		"ok:"*)		tap_ok "$tname" ;;
		"not ok:XFAIL"*) tap_ok "$tname" ;;
		*)		tap_not_ok "$tname" "$directive" ;;
		esac
	done < "$log"

	if [ $cases = 0 ]; then
		tap_not_ok "$bin" "no results (exit code $rc)"
	elif [ $rc = 124 ] || [ $rc = 137 ]; then
		tap_not_ok "$bin" "timed out after ${timeout}s"
	fi
done
rm -f "$log"

# The tests put things back: show what they left.
tap_diag "enable_unsafe_noiommu_mode at end: $(vfio_noiommu_param 2>/dev/null || echo absent)," \
	"tainted at end: $(cat /proc/sys/kernel/tainted)"
for id in 8086:100e 1234:11e8; do
	for bdf in $(pci_find_all $id); do
		tap_diag "$id at $bdf: driver '$(pci_driver "$bdf")'"
	done
done
tap_done
