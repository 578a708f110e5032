# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shell library for scenarios that run inside the test VM (vm/run-vm.sh).
# Source it:  . "${VM_LIB:-$(dirname "$0")/../../vm/guest-lib.sh}"
#
# PCI devices
#   pci_find VID:DID [INDEX]   print the BDF of the INDEXth (from 0) device
#                              with that ID, e.g. 8086:100e (e1000),
#                              1234:11e8 (edu), 1af4:1000 (virtio-net);
#                              fails if there is none
#   pci_find_all VID:DID       print the BDFs of all such devices
#   pci_driver BDF             print the bound driver's name, or nothing
#   pci_bind BDF DRIVER        bind to DRIVER through driver_override and
#                              drivers_probe; fails unless DRIVER is bound
#                              afterwards; PCI_ERROR then says why
#   pci_unbind BDF             unbind from the current driver, if any
#   pci_bind_default BDF       clear driver_override and let the kernel pick
#                              the normal driver again
#   vfio_pci_load              modprobe vfio-pci unless its driver is there
#                              (a modular kernel); says what it did, if any
#   pci_probe_error BDF [LINE] print the errno of the last "probe of BDF
#                              failed" kernel message (e.g. -22), looking
#                              from dmesg line LINE on; or nothing
#   pci_iommu_group BDF        print the IOMMU group number (the basename of
#                              the iommu_group link); fails if there is none
#
# VFIO
#   vfio_group_node BDF        print /dev/vfio/N or /dev/vfio/noiommu-N for
#                              the device's group, whichever exists
#   vfio_noiommu_param         print Y or N; fails if the kernel has no
#                              enable_unsafe_noiommu_mode parameter
#   vfio_noiommu_set Y|N       write the parameter
#   vfio_check_extension EXT   print VFIO_CHECK_EXTENSION(EXT) on
#                              /dev/vfio/vfio (8: VFIO_NOIOMMU_IOMMU)
#   vfio_open_device NODE BDF TYPE  open group NODE, attach it to a container
#                              with VFIO_SET_IOMMU(TYPE), get BDF's device
#                              fd; prints "device fd N" or the failing step
#                              and errno (e.g. "open ...: EPERM")
#   kernel_tainted BIT         succeed if taint bit BIT is set (6: TAINT_USER)
#
# Kernels with and without the feature
#   flavour_init               set FEATURE_PRESENT from KERNEL_FLAVOUR: 1 on
#                              series, upstream, modular and debug, 0 on base;
#                              "Bail out!" on anything else
#   tap_feature RC ABSENT NAME DETAIL  report a test of something no-IOMMU
#                              mode allows: RC is its result (0: it works),
#                              ABSENT is 0 when the outcome is exactly that
#                              of a kernel without the mode.  Where the mode
#                              is present, ok when RC is 0; on base, a clean
#                              absence is an expected failure (TODO), and a
#                              pass or an unclean failure fails
#
# Processes
#   proc_stop PID              SIGINT, as Ctrl-C would; SIGKILL if PID has
#                              not exited after 30 s; then reap it
#
# TAP output (https://testanything.org), read by tests/check.sh
#   tap_plan N                 print "1..N" (optional; tap_done prints the
#                              plan at the end when it was not given)
#   tap_ok NAME                ok N - NAME
#   tap_not_ok NAME [DIAG...]  not ok N - NAME, then "# DIAG" lines
#   tap_result RC NAME [DIAG...]  ok if RC is 0, else not ok
#   tap_check NAME CMD [ARG...]   run CMD; ok if it succeeds; its output
#                              becomes diagnostics when it fails
#   tap_skip NAME REASON       ok N - NAME # SKIP REASON
#   tap_todo RC NAME REASON    an expected failure: "not ok N - NAME # TODO
#                              REASON" when RC is non-zero; when RC is 0 the
#                              line is "ok ... # TODO", an unexpected pass,
#                              which tests/check.sh counts as a failure
#   tap_diag MSG...            "# MSG" lines
#   tap_done                   print the plan if needed and a summary, and
#                              exit: 0 if nothing failed, else 1
#
# Host handshake (also usable from run-vm.sh --host-cmd on the host, where
# VM_OUT is set as well)
#   vm_signal NAME             create $VM_OUT/sync/NAME
#   vm_wait NAME [SECS]        wait until $VM_OUT/sync/NAME exists (default
#                              60 s); fails on timeout
#
# Environment set by run-vm.sh: VM_OUT (output directory, writable, same
# path as on the host), VM_TOP (project top directory), VM_LIB (this file),
# VM_NAME (run label), plus what was given with --env (tests/check.sh sets
# KERNEL_FLAVOUR to series, upstream, base, modular or debug).

# ---- PCI ----------------------------------------------------------------

pci_find_all() {
	local want=$1 d v p
	for d in /sys/bus/pci/devices/*; do
		[ -e "$d/vendor" ] || continue
		read -r v < "$d/vendor"
		read -r p < "$d/device"
		[ "${v#0x}:${p#0x}" = "$want" ] && echo "${d##*/}"
	done
	return 0
}

pci_find() {
	local i=0 bdf
	for bdf in $(pci_find_all "$1"); do
		[ "$i" = "${2:-0}" ] && { echo "$bdf"; return 0; }
		i=$((i + 1))
	done
	return 1
}

pci_driver() {
	local l
	l=$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null) || return 0
	echo "${l##*/}"
}

pci_unbind() {
	local d=/sys/bus/pci/devices/$1
	[ -e "$d/driver" ] || return 0
	echo "$1" > "$d/driver/unbind"
}

PCI_ERROR=
pci_bind() {
	local bdf=$1 drv=$2 d=/sys/bus/pci/devices/$1 err now log_lines
	PCI_ERROR=
	[ -e "$d" ] || { PCI_ERROR="no PCI device $bdf"; return 1; }
	# A driver built as a module is loaded first, as a user would.
	[ -d "/sys/bus/pci/drivers/$drv" ] || modprobe -q "$drv" 2>/dev/null
	[ -d "/sys/bus/pci/drivers/$drv" ] ||
		{ PCI_ERROR="no driver $drv"; return 1; }
	[ "$(pci_driver "$bdf")" = "$drv" ] && return 0
	pci_unbind "$bdf" || { PCI_ERROR="unbind from $(pci_driver "$bdf") failed"; return 1; }
	err=$({ echo "$drv" > "$d/driver_override"; } 2>&1) ||
		{ PCI_ERROR="driver_override: $err"; return 1; }
	log_lines=$(dmesg 2>/dev/null | wc -l)
	err=$({ echo "$bdf" > /sys/bus/pci/drivers_probe; } 2>&1)
	now=$(pci_driver "$bdf")
	[ "$now" = "$drv" ] && return 0
	PCI_ERROR="not bound to $drv (driver: ${now:-none}"
	[ -n "$err" ] && PCI_ERROR+="; drivers_probe: ${err##*: }"
	err=$(pci_probe_error "$bdf" $((log_lines + 1)))
	[ -n "$err" ] && PCI_ERROR+="; probe failed with $err"
	PCI_ERROR+=")"
	return 1
}

# vfio_pci_load: where vfio-pci is a module and not loaded yet, load it as
# the DPDK guide tells users to (modprobe vfio-pci); prints what it did.
vfio_pci_load() {
	local err
	[ -d /sys/bus/pci/drivers/vfio-pci ] && return 0
	if err=$(modprobe vfio-pci 2>&1); then
		echo "modprobe vfio-pci: loaded"
	else
		echo "modprobe vfio-pci: failed: $err"
		return 1
	fi
}

pci_bind_default() {
	local bdf=$1 d=/sys/bus/pci/devices/$1
	pci_unbind "$bdf" || return 1
	echo > "$d/driver_override" || return 1
	echo "$bdf" > /sys/bus/pci/drivers_probe
}

pci_probe_error() {
	# Older wording "DRV: probe of BDF failed with error -N", current one
	# "DRV BDF: probe with driver DRV failed with error -N".
	dmesg 2>/dev/null | tail -n +"${2:-1}" | sed -n -E \
		-e "s/.*: probe of $1 failed with error (-[0-9]+).*/\1/p" \
		-e "s/.* $1: probe with driver .* failed with error (-[0-9]+).*/\1/p" |
		tail -n 1
}

pci_iommu_group() {
	local l
	l=$(readlink "/sys/bus/pci/devices/$1/iommu_group" 2>/dev/null) || return 1
	echo "${l##*/}"
}

# ---- VFIO ---------------------------------------------------------------

vfio_group_node() {
	local g
	g=$(pci_iommu_group "$1") || return 1
	if [ -c "/dev/vfio/noiommu-$g" ]; then
		echo "/dev/vfio/noiommu-$g"
	elif [ -c "/dev/vfio/$g" ]; then
		echo "/dev/vfio/$g"
	else
		return 1
	fi
}

VFIO_NOIOMMU_PARAM=/sys/module/vfio/parameters/enable_unsafe_noiommu_mode

vfio_noiommu_param() {
	[ -e "$VFIO_NOIOMMU_PARAM" ] || return 1
	cat "$VFIO_NOIOMMU_PARAM"
}

vfio_noiommu_set() {
	[ -e "$VFIO_NOIOMMU_PARAM" ] || return 1
	echo "$1" > "$VFIO_NOIOMMU_PARAM"
}

vfio_check_extension() {
	python3 - "$1" <<-'EOF'
	import fcntl, os, sys
	VFIO_CHECK_EXTENSION = 0x3b65        # _IO(';', 100 + 1)
	fd = os.open("/dev/vfio/vfio", os.O_RDWR)
	print(fcntl.ioctl(fd, VFIO_CHECK_EXTENSION, int(sys.argv[1])))
	EOF
}

# vfio_open_device NODE BDF IOMMU_TYPE: the legacy VFIO sequence a user
# such as DPDK runs: open the group NODE, check it is viable, attach it to a
# new container, VFIO_SET_IOMMU(IOMMU_TYPE) and get BDF's device fd.
# Prints "device fd N", or the failing step and its errno, e.g.
# "open /dev/vfio/noiommu-0: EPERM"; fails unless all steps succeed.
vfio_open_device() {
	python3 - "$@" <<-'EOF'
	import errno, fcntl, os, struct, sys
	VFIO_BASE = 0x3b64                   # _IO(';', 100)
	SET_IOMMU = VFIO_BASE + 2
	GROUP_GET_STATUS = VFIO_BASE + 3
	GROUP_SET_CONTAINER = VFIO_BASE + 4
	GROUP_GET_DEVICE_FD = VFIO_BASE + 6
	GROUP_FLAGS_VIABLE = 1
	node, bdf, iommu_type = sys.argv[1], sys.argv[2], int(sys.argv[3])
	step = "open " + node
	try:
	    group = os.open(node, os.O_RDWR)
	    step = "VFIO_GROUP_GET_STATUS"
	    status = bytearray(struct.pack("II", 8, 0))
	    fcntl.ioctl(group, GROUP_GET_STATUS, status, True)
	    if not struct.unpack("II", status)[1] & GROUP_FLAGS_VIABLE:
	        print("group not viable")
	        sys.exit(1)
	    step = "open /dev/vfio/vfio"
	    container = os.open("/dev/vfio/vfio", os.O_RDWR)
	    step = "VFIO_GROUP_SET_CONTAINER"
	    fcntl.ioctl(group, GROUP_SET_CONTAINER, struct.pack("i", container))
	    step = "VFIO_SET_IOMMU(%d)" % iommu_type
	    fcntl.ioctl(container, SET_IOMMU, iommu_type)
	    step = "VFIO_GROUP_GET_DEVICE_FD"
	    name = bytearray(bdf.encode() + b"\0")
	    print("device fd %d" % fcntl.ioctl(group, GROUP_GET_DEVICE_FD, name, True))
	except OSError as e:
	    print("%s: %s" % (step, errno.errorcode.get(e.errno, e.errno)))
	    sys.exit(1)
	EOF
}

kernel_tainted() {
	local t
	read -r t < /proc/sys/kernel/tainted
	(( (t >> $1) & 1 ))
}

# ---- Kernels with and without the feature --------------------------------

flavour_init() {
	case "${KERNEL_FLAVOUR:-}" in
	series|upstream|modular|debug) FEATURE_PRESENT=1 ;;
	base) FEATURE_PRESENT=0 ;;
	*)	echo "Bail out! KERNEL_FLAVOUR must be series, upstream, modular, debug or base"
		exit 2 ;;
	esac
}

tap_feature() {
	local rc=$1 absent=$2 name=$3 detail=$4
	if [ "$FEATURE_PRESENT" = 1 ]; then
		tap_result "$rc" "$name" "$detail"
	elif [ "$rc" = 0 ]; then
		tap_todo 0 "$name" "absent on $KERNEL_FLAVOUR, yet: $detail"
	elif [ "$absent" = 0 ]; then
		tap_todo 1 "$name" "absent: $detail"
	else
		tap_not_ok "$name" "neither working nor cleanly absent: $detail"
	fi
}

# ---- Processes ------------------------------------------------------------

proc_stop() {
	local pid=$1 i
	kill -INT "$pid" 2>/dev/null
	for ((i = 0; i < 150; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

# ---- TAP ----------------------------------------------------------------

TAP_N=0 TAP_PASS=0 TAP_FAIL=0 TAP_SKIP=0 TAP_TODO=0 TAP_PLANNED=

tap_plan() { TAP_PLANNED=$1; echo "1..$1"; }

tap_diag() {
	local l
	for l in "$@"; do
		printf '%s\n' "$l" | sed 's/^/# /'
	done
}

tap_ok() {
	TAP_N=$((TAP_N + 1)) TAP_PASS=$((TAP_PASS + 1))
	echo "ok $TAP_N - $1"
}

tap_not_ok() {
	TAP_N=$((TAP_N + 1)) TAP_FAIL=$((TAP_FAIL + 1))
	echo "not ok $TAP_N - $1"
	shift
	tap_diag "$@"
}

tap_result() {
	local rc=$1
	shift
	if [ "$rc" = 0 ]; then tap_ok "$1"; else tap_not_ok "$@"; fi
}

tap_check() {
	local name=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc = 0 ]; then
		tap_ok "$name"
	else
		tap_not_ok "$name" "command failed ($rc): $*" ${out:+"$out"}
	fi
}

tap_skip() {
	TAP_N=$((TAP_N + 1)) TAP_SKIP=$((TAP_SKIP + 1))
	echo "ok $TAP_N - $1 # SKIP $2"
}

tap_todo() {
	TAP_N=$((TAP_N + 1))
	if [ "$1" = 0 ]; then
		TAP_FAIL=$((TAP_FAIL + 1))
		echo "ok $TAP_N - $2 # TODO $3"
		tap_diag "expected to fail here, but passed"
	else
		TAP_TODO=$((TAP_TODO + 1))
		echo "not ok $TAP_N - $2 # TODO $3"
	fi
}

tap_done() {
	[ -n "$TAP_PLANNED" ] || echo "1..$TAP_N"
	if [ -n "$TAP_PLANNED" ] && [ "$TAP_PLANNED" != "$TAP_N" ]; then
		tap_diag "planned $TAP_PLANNED tests, ran $TAP_N"
		TAP_FAIL=$((TAP_FAIL + 1))
	fi
	tap_diag "$TAP_PASS passed, $TAP_FAIL failed, $TAP_SKIP skipped, $TAP_TODO expected failures"
	[ "$TAP_FAIL" = 0 ] && exit 0
	exit 1
}

# ---- Host handshake -----------------------------------------------------

vm_signal() {
	mkdir -p "$VM_OUT/sync" && : > "$VM_OUT/sync/$1"
}

vm_wait() {
	local end=$((SECONDS + ${2:-60}))
	until [ -e "$VM_OUT/sync/$1" ]; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.2
	done
}
