#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run one of the project's scenarios on Debian's own kernel in the test VM,
# after loading the modules it needs the way a Debian system would (the VM
# has no udev to load them):
#
#	tests/debian/guest-run.sh MODE [--first SCRIPT] SCENARIO [ARG...]
#
# MODE says which VFIO modules the VM was booted with (vmmodules= on the
# kernel command line, tests/debian/initramfs-init.sh) and how to load
# them:
#
#	stock     Debian's own: modprobe vfio-pci.  The scenario runs with
#	          KERNEL_FLAVOUR=base: no-IOMMU mode must be absent in exactly
#	          the way a kernel without it fails (TAP TODO).
#	noiommu   vfio-noiommu's from updates/dkms, the mode on the module
#	          line: modprobe vfio enable_unsafe_noiommu_mode=1, then
#	          vfio-pci.  The scenario runs with KERNEL_FLAVOUR=series.
#
# e1000 is loaded too where the kernel has it (the cloud flavour has not),
# and with our modules the mdev sample mtty where it was built.
# Everything else is the scenario's: its TAP output is the run's.
#
# --first SCRIPT runs SCRIPT (a TAP scenario too) before anything is
# loaded, in the same VM: its tests come first, the scenario's are
# numbered on after them and the plan counts both (one VM boot less).
# The run fails if either does.

# shellcheck source=vm/guest-lib.sh
. "${VM_LIB:-$(dirname "$(realpath "$0")")/../../vm/guest-lib.sh}"

mode=${1:-}
[ $# -ge 2 ] || { echo "Bail out! usage: $0 stock|noiommu [--first SCRIPT] SCENARIO [ARG...]"; exit 2; }
shift
first=
if [ "$1" = --first ]; then
	[ $# -ge 3 ] || { echo "Bail out! --first needs a script and a scenario"; exit 2; }
	first=$2
	shift 2
fi
# path SCRIPT: SCRIPT, relative to the project's top directory if relative.
path() { case "$1" in /*) echo "$1" ;; *) echo "$VM_TOP/$1" ;; esac; }
booted=
for w in $(cat /proc/cmdline); do
	case "$w" in vmmodules=*) booted=${w#vmmodules=} ;; esac
done
[ "$booted" = "$mode" ] ||
	{ echo "Bail out! $mode wanted, the VM has the module tree '$booted' (vmmodules=)"; exit 2; }

# The first script's TAP, without its plan; its count of tests in $first_n.
first_n=0 first_rc=0
if [ -n "$first" ]; then
	out=$(bash "$(path "$first")" 2>&1)
	first_rc=$?
	printf '%s\n' "$out" | grep -v '^1\.\.[0-9]'
	first_n=$(printf '%s\n' "$out" | grep -cE '^(not )?ok [0-9]+')
fi

# modprobe_diag ARGS: modprobe, saying what happened as TAP diagnostics.
modprobe_diag() {
	local out
	if out=$(modprobe "$@" 2>&1); then
		tap_diag "modprobe $*: ok"
	else
		tap_diag "modprobe $*: failed: $out"
	fi
}

case "$mode" in
stock)	export KERNEL_FLAVOUR=base ;;
noiommu) export KERNEL_FLAVOUR=series
	modprobe_diag vfio enable_unsafe_noiommu_mode=1 ;;
*)	echo "Bail out! unknown mode $mode (stock, noiommu)"; exit 2 ;;
esac
if modinfo e1000 >/dev/null 2>&1; then
	modprobe_diag e1000
else
	tap_diag "$(uname -r) has no e1000 driver"
fi
modprobe_diag vfio-pci
# The mdev sample the selftests put beside no-IOMMU groups: a test helper
# built with our modules (build-modules.sh), where the kernel has mdev.
if [ "$mode" = noiommu ] && modinfo mtty >/dev/null 2>&1; then
	modprobe_diag mtty
fi
for m in vfio vfio_iommu_type1 vfio_pci_core vfio_pci; do
	[ -d "/sys/module/$m" ] || { tap_diag "module $m: not loaded"; continue; }
	tap_diag "module $m: $(modinfo -n "$m" 2>/dev/null), taint '$(cat "/sys/module/$m/taint" 2>/dev/null)'"
done
tap_diag "kernel $(uname -r) ($(uname -v)), KERNEL_FLAVOUR=$KERNEL_FLAVOUR," \
	"enable_unsafe_noiommu_mode: $(vfio_noiommu_param || echo absent)"

scenario=$(path "$1")
shift
[ "$first_n" = 0 ] && [ "$first_rc" = 0 ] && exec bash "$scenario" "$@"
# Number the scenario's tests on after the first script's.
bash "$scenario" "$@" 2>&1 | awk -v k="$first_n" '
	/^1\.\.[0-9]+/ { r = substr($0, 4); match(r, /^[0-9]+/)
		printf "1..%d%s\n", substr(r, 1, RLENGTH) + k, substr(r, RLENGTH + 1); fflush(); next }
	/^(not )?ok [0-9]+/ { p = ($0 ~ /^not /) ? "not ok " : "ok "; r = substr($0, length(p) + 1)
		match(r, /^[0-9]+/)
		printf "%s%d%s\n", p, substr(r, 1, RLENGTH) + k, substr(r, RLENGTH + 1); fflush(); next }
	{ print; fflush() }'
rc=${PIPESTATUS[0]}
[ "$first_rc" = 0 ] || rc=1
exit "$rc"
