#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# No-IOMMU mode on a kernel with VFIO as modules, driven the way a
# distribution's user drives it: modprobe with the mode on the module line
# or in /etc/modprobe.d, dpdk-devbind.py, rmmod.  Runs in the test VM on
# a kernel with VFIO as modules, with an e1000 and an edu: the modular
# kernel (make kernel-modular), or the debug kernel (make kernel-debug,
# under tests/faults/several.sh for a kmemleak scan at the end):
#
#	vm/run-vm.sh -k build/out/modular/arch/x86/boot/bzImage \
#		--modules build/out/modular/mods -o OUT --nic e1000 --edu \
#		[--append vfio.enable_unsafe_noiommu_mode=1] -- $0 [CYCLES [cycles-only]]
#
# Booted without the mode on the kernel command line, it checks each way
# of giving the mode with its refused case next to it, that the VFIO
# modules cannot be unloaded while a group, container or device fd is open
# and can be afterwards, that iommufd's view of the mode follows vfio's
# when vfio is loaded again (where iommufd provides /dev/vfio/vfio), and
# runs CYCLES (default 100) load/bind/unbind/unload cycles alternating the
# mode.  Booted with vfio.enable_unsafe_noiommu_mode=1, it checks that
# modprobe takes the mode from the command line, and that the module line
# still overrides it.
#
# /dev/vfio/vfio comes from the module whose alias names it, as modprobe
# resolves devname:vfio/vfio: iommufd's emulation of the container (the
# modular kernel: a container fd keeps iommufd, which outlives vfio), or
# VFIO's own container in vfio.ko (the debug kernel: a container fd keeps
# vfio; vfio_iommu_type1, which vfio's softdep loads, goes with it).

. "${VM_LIB:-$(dirname "$(realpath "$0")")/../../vm/guest-lib.sh}"

E1000=8086:100e EDU=1234:11e8 VFIO_NOIOMMU_IOMMU=8
CYCLES=${1:-100}
# "cycles-only": the cycles alone, for the debug kernel, where each case
# costs seconds under its checkers and the modular kernel runs them all.
ONLY=${2:-}
CONF=/etc/modprobe.d/vfio-noiommu.conf

e1000=$(pci_find $E1000) || { echo "Bail out! no e1000 in the VM"; exit 2; }
edu=$(pci_find $EDU) || { echo "Bail out! no edu in the VM"; exit 2; }
modinfo -n vfio >/dev/null 2>&1 ||
	{ echo "Bail out! modprobe finds no vfio module for $(uname -r) (run-vm.sh --modules)"; exit 2; }
# The module that provides /dev/vfio/vfio (see above).
CONTAINER=$(modprobe -R devname:vfio/vfio 2>&1)
case "$CONTAINER" in
iommufd|vfio) ;;
*)	echo "Bail out! no single module provides /dev/vfio/vfio" \
		"(modprobe -R devname:vfio/vfio: ${CONTAINER:-nothing})"
	exit 2 ;;
esac
# vfio's users, in the order they must be unloaded: vfio_iommu_type1
# exists where VFIO has its own container.
STACK=(vfio_pci vfio_pci_core)
modinfo -n vfio_iommu_type1 >/dev/null 2>&1 && STACK+=(vfio_iommu_type1)
STACK+=(vfio)

loaded() { [ -e "/sys/module/$1/initstate" ]; }
loaded_list() {
	local m l=
	for m in iommufd "${STACK[@]}"; do loaded "$m" && l+=" $m"; done
	echo "${l# }"
}
# unload: vfio and its users out, iommufd left loaded (so that its view of
# the mode outlives vfio, as on a system where something else uses it).
unload() {
	local d
	for d in "$e1000" "$edu"; do
		[ "$(pci_driver "$d")" = vfio-pci ] && pci_unbind "$d"
	done
	rmmod "${STACK[@]}" 2>&1 | grep -v 'is not currently loaded'
	! loaded vfio
}
ext() { vfio_check_extension $VFIO_NOIOMMU_IOMMU 2>&1 | tail -n1; }

# hold KIND NODE BDF FILE: in the background, open a VFIO fd of KIND
# (container: /dev/vfio/vfio; group: NODE; device: BDF's device fd through
# NODE in a no-IOMMU container) and keep it; FILE says "ready" or the error.
hold() {
	python3 - "$@" <<-'EOF' &
	import fcntl, os, signal, struct, sys
	VFIO_BASE = 0x3b64
	kind, node, bdf, out = sys.argv[1:5]
	try:
	    if kind == "container":
	        fds = [os.open("/dev/vfio/vfio", os.O_RDWR)]
	    else:
	        group = os.open(node, os.O_RDWR)
	        fds = [group]
	        if kind == "device":
	            c = os.open("/dev/vfio/vfio", os.O_RDWR)
	            fcntl.ioctl(group, VFIO_BASE + 4, struct.pack("i", c))
	            fcntl.ioctl(c, VFIO_BASE + 2, 8)
	            fds += [c, fcntl.ioctl(group, VFIO_BASE + 6,
	                                   bytearray(bdf.encode() + b"\0"), True)]
	    with open(out, "w") as f:
	        f.write("ready\n")
	except OSError as e:
	    with open(out, "w") as f:
	        f.write("%s: %s\n" % (kind, e))
	    sys.exit(1)
	signal.pause()
	EOF
	HOLD_PID=$!
	local i
	for i in $(seq 100); do
		[ -s "$4" ] && break
		sleep 0.1
	done
	[ "$(cat "$4" 2>/dev/null)" = ready ]
}

tmp=$(mktemp -d)
cmdline_on=0
grep -qw 'vfio.enable_unsafe_noiommu_mode=1' /proc/cmdline && cmdline_on=1
tap_diag "kernel $(uname -r), e1000 $e1000, edu $edu, at boot: $(loaded_list || true)" \
	"(mode on the command line: $cmdline_on)" \
	"/dev/vfio/vfio from $CONTAINER; unloaded in this order: ${STACK[*]}"

# ---- Booted with the mode on the kernel command line -------------------
if [ $cmdline_on = 1 ]; then
	modprobe vfio-pci
	p=$(vfio_noiommu_param)
	[ "$p" = Y ]
	tap_result $? "modprobe vfio-pci takes the mode from the kernel command line" "reads '$p'"
	pci_bind "$edu" vfio-pci && [ -n "$(pci_iommu_group "$edu")" ]
	tap_result $? "the edu binds to vfio-pci in a no-IOMMU group" "$PCI_ERROR"
	unload
	modprobe vfio enable_unsafe_noiommu_mode=0
	p=$(vfio_noiommu_param)
	[ "$p" = N ]
	tap_result $? "the module line overrides the command line (=0)" "reads '$p'"
	unload
	tap_done
fi

# ---- The cases (not with "cycles-only") ----------------------------------
if [ "$ONLY" != cycles-only ]; then
	# ---- Nothing loaded: dpdk-devbind.py ------------------------------------
	! loaded vfio
	tap_result $? "nothing of VFIO is loaded at boot (modules only, no udev)" "loaded: $(loaded_list)"
	out=$(dpdk-devbind.py -b vfio-pci "$e1000" 2>&1 | grep -v libkmod)
	[[ $out == *"'vfio-pci' is not loaded"* ]] && [ "$(pci_driver "$e1000")" != vfio-pci ]
	tap_result $? "dpdk-devbind.py -b vfio-pci refuses while vfio-pci is not loaded (DPDK 22.11 does not load it)" \
		"got: $out; driver $(pci_driver "$e1000")"

	# ---- The module line ----------------------------------------------------
	modprobe vfio-pci
	p=$(vfio_noiommu_param)
	[ "$p" = N ] && ! pci_bind "$edu" vfio-pci
	tap_result $? "modprobe vfio-pci without the mode: reads N, the edu is refused" \
		"reads '$p', bind: ${PCI_ERROR:-bound}"
	e=$(ext)
	[ "$e" = 0 ]
	tap_result $? "mode off: VFIO_CHECK_EXTENSION(VFIO_NOIOMMU_IOMMU) on /dev/vfio/vfio is 0" "got $e"
	unload
	tap_result $? "vfio and its users unload" "still loaded: $(loaded_list)"

	modprobe vfio enable_unsafe_noiommu_mode=1 && modprobe vfio-pci
	p=$(vfio_noiommu_param) e=$(ext)
	pci_bind "$edu" vfio-pci
	rc=$?
	[ "$p" = Y ] && [ "$e" = 1 ] && [ $rc = 0 ] && [ -n "$(pci_iommu_group "$edu")" ]
	tap_result $? "modprobe vfio enable_unsafe_noiommu_mode=1: reads Y, extension 1, the edu binds" \
		"reads '$p', extension $e, bind: ${PCI_ERROR:-bound}"

	# Where iommufd provides /dev/vfio/vfio, it stays loaded: vfio loaded
	# again without the mode must turn the mode off there too.  VFIO's own
	# container goes and comes back with vfio, and nothing else keeps a view
	# of the mode: there is nothing to check.
	unload
	tap_diag "after unloading vfio: $(loaded_list)"
	name="vfio unloaded and loaded again without the mode: reads N, and iommufd's extension is 0"
	if [ "$CONTAINER" = iommufd ]; then
		modprobe vfio
		p=$(vfio_noiommu_param) e=$(ext)
		[ "$p" = N ] && [ "$e" = 0 ]
		tap_result $? "$name" \
			"reads '$p', VFIO_CHECK_EXTENSION(VFIO_NOIOMMU_IOMMU) on /dev/vfio/vfio: $e"
		unload
	else
		tap_skip "$name" "VFIO's own container (vfio.ko) provides /dev/vfio/vfio here, no iommufd outlives vfio"
	fi

	modprobe vfio enable_unsafe_noiommu_mode
	p=$(vfio_noiommu_param)
	[ "$p" = Y ]
	tap_result $? "the bare flag on the module line (modprobe vfio enable_unsafe_noiommu_mode) means Y" \
		"reads '$p'"
	unload

	# ---- /etc/modprobe.d, as a fleet configures it ---------------------------
	echo "options vfio enable_unsafe_noiommu_mode=1" > "$CONF"
	modprobe vfio-pci
	p=$(vfio_noiommu_param)
	out=$(dpdk-devbind.py -b vfio-pci "$e1000" 2>&1 | grep -v libkmod)
	[ "$p" = Y ] && [ "$(pci_driver "$e1000")" = vfio-pci ] && [ -n "$(pci_iommu_group "$e1000")" ]
	tap_result $? "with $CONF: modprobe vfio-pci reads Y, dpdk-devbind.py binds the e1000" \
		"reads '$p', devbind: ${out:-silent}, driver $(pci_driver "$e1000")"
	unload
	rm -f "$CONF"
	modprobe vfio-pci
	p=$(vfio_noiommu_param)
	[ "$p" = N ]
	tap_result $? "without the file: modprobe vfio-pci reads N" "reads '$p'"
	unload

	# ---- Unloading while an fd is open -----------------------------------------
	# held KIND MODULE: with a KIND fd open, MODULE cannot be unloaded (rmmod
	# says it is in use); once it is closed, everything unloads.
	held() {
		local kind=$1 mod=$2 err node
		modprobe vfio enable_unsafe_noiommu_mode=1 && modprobe vfio-pci
		pci_bind "$edu" vfio-pci || { tap_not_ok "$kind fd held: $mod stays" "bind: $PCI_ERROR"; return; }
		node=$(vfio_group_node "$edu")
		rm -f "$tmp/held"
		if ! hold "$kind" "$node" "$edu" "$tmp/held"; then
			tap_not_ok "$kind fd held: $mod cannot be unloaded" "open: $(cat "$tmp/held")"
			kill "$HOLD_PID" 2>/dev/null
			unload
			return
		fi
		err=$(rmmod "${STACK[@]}" 2>&1)
		[ "$mod" = iommufd ] && err=$(rmmod iommufd 2>&1)
		loaded "$mod"
		tap_result $? "$kind fd held: $mod cannot be unloaded" "rmmod: $err; loaded: $(loaded_list)"
		tap_diag "$kind fd held: rmmod says: ${err//$'\n'/; }"
		kill "$HOLD_PID"
		wait "$HOLD_PID" 2>/dev/null
		unload
		tap_result $? "$kind fd closed: vfio and its users unload" "still loaded: $(loaded_list)"
	}
	held device vfio_pci
	held group vfio
	# A container fd keeps the module that provides /dev/vfio/vfio.
	if [ "$CONTAINER" = iommufd ]; then
		held container iommufd
		rmmod iommufd
		! loaded iommufd
		tap_result $? "iommufd unloads once nothing uses it" "loaded: $(loaded_list)"
	else
		held container vfio
	fi
fi

# ---- Cycles -----------------------------------------------------------------
# driver_override steers the edu to vfio-pci, which then binds it as it
# loads (with the mode on) and lets it go as it unloads: load, bind,
# unbind and unload in three commands a cycle.
bad=() t0=$SECONDS d=/sys/bus/pci/devices/$edu
pci_unbind "$edu"
echo vfio-pci > "$d/driver_override"
for i in $(seq "$CYCLES"); do
	mode=$((i % 2))
	modprobe vfio enable_unsafe_noiommu_mode=$mode && modprobe vfio-pci ||
		{ bad+=("cycle $i: modprobe failed"); break; }
	got=0 g=
	[ -e "$d/driver" ] && got=1
	[ -e "$d/iommu_group" ] && g=1
	[ $got = $mode ] && [ "$g" = "${got/0/}" ] ||
		bad+=("cycle $i: mode $mode, bound $got, group ${g:-none}")
	rmmod "${STACK[@]}" || { bad+=("cycle $i: unload failed: $(loaded_list)"); break; }
	[ -e "$d/iommu_group" ] && bad+=("cycle $i: group left after unload")
	[ ${#bad[@]} -ge 5 ] && break
done
echo > "$d/driver_override"
tap_diag "$CYCLES cycles in $((SECONDS - t0)) s"
[ ${#bad[@]} = 0 ]
tap_result $? "$CYCLES cycles of load, bind, unbind, unload, the mode alternating" "${bad[@]}"
[ "$(ls /dev/vfio)" = vfio ] || [ -z "$(ls /dev/vfio 2>/dev/null)" ]
tap_result $? "/dev/vfio holds no group at the end" "$(ls /dev/vfio)"
rm -rf "$tmp"
tap_done
