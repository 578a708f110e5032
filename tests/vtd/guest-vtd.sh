#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A real IOMMU beside no-IOMMU mode, guest side.  Runs in a VM with QEMU's
# emulated VT-d (run-vm.sh --viommu intel), no-IOMMU mode on at boot, one
# e1000 whose frames QEMU dumps to a pcap on the host, and
# tests/dpdk/txonly-host.py on the host (the handshake and verdict of
# tests/dpdk/guest-txonly.sh).
#
# With intel_iommu=on the mode must change nothing for the e1000, which
# the VT-d translates for: it has its real group before any binding,
# vfio-pci gives it /dev/vfio/N and no noiommu node, the kernel is not
# tainted, VFIO_TYPE1v2_IOMMU drives the group, VFIO_NOIOMMU_IOMMU is
# refused to its container (ENODEV: the no-IOMMU backend is no backend
# for a group with an IOMMU) and its extension check there is 0, and
# DPDK's testpmd transmits with virtual addresses as IOVAs
# (--iova-mode=va), every frame checked on the host, without a DMA
# remapping fault.  DPDK 22.11 itself asks for physical addresses from
# every VFIO device while the module parameter says Y (EAL reads it,
# not the device's group): testpmd --iova-mode=va is refused by EAL
# then, which is shown, and the traffic runs after the parameter is
# written N in the same boot, the e1000's group untouched.
#
# QEMU's VT-d runs without interrupt remapping here (with TCG nothing
# needs it), so the suite boots with
# vfio_iommu_type1.allow_unsafe_interrupts=1, as users of such platforms
# do: type1 refuses a group without isolated MSI otherwise (EPERM).
#
# With intel_iommu=off on the same machine, the VT-d is there but unused,
# as users test the mode on real hardware: no IOMMU is registered, the
# e1000 has no group until vfio-pci gives it a no-IOMMU one, the kernel
# is tainted, the types swap roles (VFIO_NOIOMMU_IOMMU drives the group,
# VFIO_TYPE1v2_IOMMU is refused with ENODEV) and testpmd transmits with
# physical addresses as IOVAs.
#
# Environment: TXONLY_WAIT and TXONLY_MIN as for guest-txonly.sh.

. "${VM_LIB:-$(dirname "$(realpath "$0")")/../../vm/guest-lib.sh}"
. "$(dirname "$(realpath "$0")")/../dpdk/lib-dpdk.sh"

E1000=8086:100e TAINT_USER=6
VFIO_TYPE1v2_IOMMU=3 VFIO_NOIOMMU_IOMMU=8
wait_traffic=${TXONLY_WAIT:-150}
min=${TXONLY_MIN:-100000}
log=$VM_OUT/testpmd-txonly.log
result=$VM_OUT/txonly-host.txt

flavour_init
vtd=off
grep -qw intel_iommu=on /proc/cmdline && vtd=on
bdf=$(pci_find $E1000) || { echo "Bail out! no e1000 ($E1000) in the VM"; vm_signal txonly-abort; exit 2; }
tap_diag "flavour $KERNEL_FLAVOUR, intel_iommu=$vtd, e1000 at $bdf," \
	"enable_unsafe_noiommu_mode: $(vfio_noiommu_param || echo absent)"

# DMA remapping faults the VT-d reported, as the kernel logged them.
dmar_faults() { dmesg | grep -cE 'DMAR: \[(DMA Read|DMA Write|INTR-REMAP)|DMAR:.*[Ff]ault' ; }

# container_probe NODE BDF: the container steps of tests/vtd's checks on
# group NODE, one "KEY=VALUE" per line: the extension check of
# VFIO_NOIOMMU_IOMMU and VFIO_TYPE1v2_IOMMU on the container holding the
# group, VFIO_SET_IOMMU with the type that must be refused and then with
# the one that must work, and the device fd.  VALUE is the result or the
# errno's name.
container_probe() {
	python3 - "$1" "$2" "$vtd" <<-'EOF'
	import errno, fcntl, os, sys
	VFIO_BASE = 0x3b64                   # _IO(';', 100)
	CHECK_EXTENSION, SET_IOMMU = VFIO_BASE + 1, VFIO_BASE + 2
	GROUP_SET_CONTAINER, GROUP_GET_DEVICE_FD = VFIO_BASE + 4, VFIO_BASE + 6
	TYPE1v2, NOIOMMU = 3, 8
	node, bdf, vtd = sys.argv[1:4]
	good, bad = (TYPE1v2, NOIOMMU) if vtd == "on" else (NOIOMMU, TYPE1v2)
	def step(key, fn):
	    try:
	        print("%s=%s" % (key, fn()))
	        return True
	    except OSError as e:
	        print("%s=%s" % (key, errno.errorcode.get(e.errno, e.errno)))
	        return False
	group = os.open(node, os.O_RDWR)
	container = os.open("/dev/vfio/vfio", os.O_RDWR)
	fcntl.ioctl(group, GROUP_SET_CONTAINER, container.to_bytes(4, sys.byteorder))
	step("ext_noiommu", lambda: fcntl.ioctl(container, CHECK_EXTENSION, NOIOMMU))
	step("ext_type1v2", lambda: fcntl.ioctl(container, CHECK_EXTENSION, TYPE1v2))
	step("set_bad", lambda: fcntl.ioctl(container, SET_IOMMU, bad))
	if step("set_good", lambda: fcntl.ioctl(container, SET_IOMMU, good)):
	    step("device_fd", lambda: "ok" if fcntl.ioctl(group, GROUP_GET_DEVICE_FD,
	                                                    bytearray(bdf.encode() + b"\0"), True) >= 0 else "none")
	EOF
}
probe_get() { sed -n "s/^$1=//p" <<< "$PROBE"; }

noiommu_nodes() { ls /dev/vfio 2>/dev/null | grep '^noiommu-' | paste -sd' '; }

# ---- 1. the machine's IOMMU ------------------------------------------------
units=$(ls /sys/class/iommu 2>/dev/null | paste -sd' ')
group0=$(pci_iommu_group "$bdf")
if [ $vtd = on ]; then
	[ -n "$units" ]
	tap_result $? "intel_iommu=on: the VT-d is registered (/sys/class/iommu)" "units: ${units:-none}"
	[ -n "$group0" ]
	tap_result $? "intel_iommu=on: the e1000 has an IOMMU group before any binding" "group '${group0:-none}'"
else
	[ -z "$units" ] && [ -e /sys/firmware/acpi/tables/DMAR ]
	tap_result $? "intel_iommu=off: the machine has a VT-d (DMAR table) and no IOMMU is registered" \
		"units: ${units:-none}, DMAR table: $(ls /sys/firmware/acpi/tables/DMAR 2>/dev/null || echo absent)"
	[ -z "$group0" ]
	tap_result $? "intel_iommu=off: the e1000 has no IOMMU group before binding" "group '${group0:-none}'"
fi

# ---- 2. vfio-pci -------------------------------------------------------------
dpdk_bind "$bdf"
rc=$?
tap_result $rc "dpdk-devbind.py binds the e1000 to vfio-pci" "$BIND_WHY"
if [ $rc != 0 ]; then
	tap_not_run "the e1000 is not bound to vfio-pci" "its group node" "the container" \
		"testpmd transmits" "host: the frames"
	vm_signal txonly-abort
	tap_done
fi
node=$(vfio_group_node "$bdf")
if [ $vtd = on ]; then
	[ "$node" = "/dev/vfio/$group0" ] && [ -z "$(noiommu_nodes)" ]
	tap_result $? "intel_iommu=on: its group node is /dev/vfio/$group0, and no noiommu node exists" \
		"node '${node:-none}', noiommu nodes '$(noiommu_nodes)'"
	! kernel_tainted $TAINT_USER
	tap_result $? "intel_iommu=on: the kernel is not tainted (TAINT_USER)" "tainted $(cat /proc/sys/kernel/tainted)"
else
	[[ "$node" == /dev/vfio/noiommu-* ]]
	tap_result $? "intel_iommu=off: its group node is a no-IOMMU group" "node '${node:-none}'"
	kernel_tainted $TAINT_USER
	tap_result $? "intel_iommu=off: the kernel is tainted (TAINT_USER)" "tainted $(cat /proc/sys/kernel/tainted)"
fi

# ---- 3. the container --------------------------------------------------------
PROBE=$(container_probe "$node" "$bdf" 2>&1)
tap_diag "container: $(paste -sd' ' <<< "$PROBE")"
if [ $vtd = on ]; then
	good=VFIO_TYPE1v2_IOMMU bad=VFIO_NOIOMMU_IOMMU ext_bad=$(probe_get ext_noiommu)
else
	good=VFIO_NOIOMMU_IOMMU bad=VFIO_TYPE1v2_IOMMU ext_bad=$(probe_get ext_type1v2)
fi
[ "$ext_bad" = 0 ]
tap_result $? "intel_iommu=$vtd: VFIO_CHECK_EXTENSION($bad) is 0 on the group's container" "got '$ext_bad'"
[ "$(probe_get set_bad)" = ENODEV ]
tap_result $? "intel_iommu=$vtd: VFIO_SET_IOMMU($bad) is refused with ENODEV" "got '$(probe_get set_bad)'"
[ "$(probe_get set_good)" = 0 ] && [ "$(probe_get device_fd)" = ok ]
tap_result $? "intel_iommu=$vtd: VFIO_SET_IOMMU($good) works and the group gives the device fd" \
	"SET_IOMMU '$(probe_get set_good)', device fd '$(probe_get device_fd)'"

# ---- 4. testpmd ----------------------------------------------------------------
# DPDK picks the IOVA mode and the container type itself; the mode is
# asked for explicitly, as a user of each kind of machine would.
iova=pa type='IOMMU type 8 \(No-IOMMU\)'
[ $vtd = on ] && iova=va type='IOMMU type 1 \(Type 1\)'
DPDK_EAL=(-l 0-1 -n 1 --in-memory --iova-mode=$iova)
if [ $vtd = on ]; then
	vlog=$VM_OUT/testpmd-va-mode-on.log
	testpmd_start "$vlog" "$bdf" -- --forward-mode=txonly --nb-cores=1
	wait_log "$vlog" 0 "Expecting 'PA' IOVA mode but current mode is 'VA'|packet forwarding - ports=" 120 "$TESTPMD_PID"
	testpmd_stop
	grep -q "Expecting 'PA' IOVA mode but current mode is 'VA', not initializing" "$vlog"
	tap_result $? "intel_iommu=on, the mode on: DPDK's EAL refuses --iova-mode=va for the e1000 (it asks PA of every VFIO device while the parameter is Y)" \
		"$(grep -E 'IOVA mode|No probed' "$vlog" | tr '\n' ' ')"
	vfio_noiommu_set N
	[ "$(vfio_noiommu_param)" = N ] && [ "$(vfio_group_node "$bdf")" = "$node" ]
	tap_result $? "intel_iommu=on: the parameter written N, the e1000's group is still $node" \
		"parameter $(vfio_noiommu_param), node '$(vfio_group_node "$bdf")'"
fi
faults0=$(dmar_faults)
vm_signal txonly-launch
testpmd_start "$log" "$bdf" -- --forward-mode=txonly --nb-cores=1
if testpmd_wait_forwarding "$log" 120; then
	vm_signal txonly-forwarding
	grep -qE "Using $type" "$log" && grep -qi "Selected IOVA mode '$iova'" "$log"
	tap_result $? "intel_iommu=$vtd: testpmd starts with --iova-mode=$iova on ${type//\\/}" \
		"$(grep -E 'IOMMU type|IOVA mode' "$log" | tr '\n' ' ')"
else
	tap_result 1 "intel_iommu=$vtd: testpmd starts with --iova-mode=$iova on ${type//\\/}" \
		"$(tr -d '\033' < "$log" | grep -iE 'error|fail|cannot|EAL' | tail -n 8)"
	tap_not_run "testpmd did not start forwarding" "testpmd transmits" "host: the frames"
	vm_signal txonly-abort
	testpmd_stop
	tap_done
fi
end=$((SECONDS + wait_traffic + 30))
while [ ! -e "$VM_OUT/sync/txonly-enough" ] && [ $SECONDS -lt $end ]; do
	kill -0 "$TESTPMD_PID" 2>/dev/null || { tap_diag "testpmd exited early"; break; }
	sleep 0.3
done
testpmd_stop
vm_signal txonly-stopped
tx=$(testpmd_stat "$log" Forward 0 TX-packets)
[ "${tx:-0}" -gt 0 ]
tap_result $? "intel_iommu=$vtd: testpmd transmits (TX-packets > 0)" "TX-packets ${tx:-none}"
if vm_wait txonly-verdict 120; then
	[ "$(host_result "$result" verdict)" = ok ]
	tap_result $? "intel_iommu=$vtd: host: pcap holds >= $min well-formed txonly frames, none malformed" \
		"$(host_result "$result" summary)"
	sed 's/^/# host: /' "$result"
else
	tap_result 1 "intel_iommu=$vtd: host: pcap holds >= $min well-formed txonly frames, none malformed" \
		"no verdict from tests/dpdk/txonly-host.py (see host-cmd.log)"
fi
faults=$(( $(dmar_faults) - faults0 ))
[ $faults = 0 ]
tap_result $? "intel_iommu=$vtd: no DMA remapping fault while testpmd ran" \
	"$faults new fault lines: $(dmesg | grep -E 'DMAR:.*[Ff]ault' | tail -n 2 | paste -sd' ')"
if [ $vtd = on ]; then
	[ -z "$(noiommu_nodes)" ] && ! kernel_tainted $TAINT_USER
	tap_result $? "intel_iommu=on: still no noiommu node and no taint after testpmd" \
		"noiommu nodes '$(noiommu_nodes)', tainted $(cat /proc/sys/kernel/tainted)"
fi

tap_done
