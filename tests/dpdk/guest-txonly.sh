#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DPDK transmit through VFIO no-IOMMU mode, guest side.  Runs in the test VM
# with one e1000 whose frames QEMU dumps to a pcap on the host, and
# tests/dpdk/txonly-host.py running on the host (run-vm.sh --host-cmd);
# tests/dpdk/txonly.sh starts both, as does tests/check.sh (tests/dpdk/suites).
#
# Steps: bind the e1000 to vfio-pci with Debian's dpdk-devbind.py, run
# Debian's dpdk-testpmd in txonly mode with physical addresses as IOVAs
# (--iova-mode=pa: without an IOMMU the device sees guest-physical
# addresses), wait until the host has counted enough frames in the pcap,
# stop testpmd and report the host's verdict on the frames.
#
# Handshake through $VM_OUT/sync (vm_signal/vm_wait):
#   guest: txonly-forwarding  testpmd started forwarding
#   host:  txonly-enough      the pcap holds enough frames (or it gave up)
#   guest: txonly-stopped     testpmd has exited, the pcap is complete
#   host:  txonly-verdict     $VM_OUT/txonly-host.txt is written
#   guest: txonly-abort       nothing to wait for (bind or start failed)
#
# On the base kernel (KERNEL_FLAVOUR=base) vfio-pci refuses the e1000,
# which has no IOMMU group; that and the tests it prevents are reported as
# TAP TODO, and the scenario ends within seconds of the refusal.
#
# Environment: TXONLY_WAIT (s) bounds the wait for traffic (default 150),
# TXONLY_MIN the frames required (default 100000); give txonly-host.py
# the same --wait and --min.

. "${VM_LIB:-$(dirname "$(realpath "$0")")/../../vm/guest-lib.sh}"
. "$(dirname "$(realpath "$0")")/lib-dpdk.sh"

E1000=8086:100e TAINT_USER=6
wait_traffic=${TXONLY_WAIT:-150}	# as the suite gives txonly-host.py --wait
min=${TXONLY_MIN:-100000}		# and --min
t_host="host: pcap holds >= $min well-formed txonly frames, none malformed"
log=$VM_OUT/testpmd-txonly.log
result=$VM_OUT/txonly-host.txt

flavour_init
bdf=$(pci_find $E1000) || { echo "Bail out! no e1000 ($E1000) in the VM"; vm_signal txonly-abort; exit 2; }
tap_diag "flavour $KERNEL_FLAVOUR, e1000 at $bdf (driver $(pci_driver "$bdf")), $(grep HugePages_Total /proc/meminfo)" \
	"enable_unsafe_noiommu_mode: $(vfio_noiommu_param || echo absent)"

# The tests that cannot run once an earlier step failed.
later=("the e1000's group is a no-IOMMU group"
	"testpmd starts on the no-IOMMU container (IOMMU type 8, IOVA PA) in txonly mode"
	"testpmd transmits (TX-packets > 0)"
	"$t_host"
	"kernel tainted (TAINT_USER) by the no-IOMMU device")
give_up() {
	tap_not_run "$2" "${later[@]:$1}"
	vm_signal txonly-abort
	testpmd_stop
	tap_done
}

# ---- 1. bind ------------------------------------------------------------
t=$(now_ms)
dpdk_bind "$bdf"
rc=$?
tap_feature $rc $((1 - rc)) "dpdk-devbind.py binds the e1000 to vfio-pci" "$BIND_WHY"
tap_diag "devbind took $(( $(now_ms) - t )) ms: $BIND_WHY"
[ $rc = 0 ] || give_up 0 "the e1000 is not bound to vfio-pci"

node=$(vfio_group_node "$bdf")
[[ "$node" == /dev/vfio/noiommu-* ]]
tap_feature $? 1 "the e1000's group is a no-IOMMU group" "group node '${node:-none}'"

# ---- 2. testpmd ---------------------------------------------------------
t0=$(now_ms)
vm_signal txonly-launch
testpmd_start "$log" "$bdf" -- --forward-mode=txonly --nb-cores=1
if testpmd_wait_forwarding "$log" 120; then
	vm_signal txonly-forwarding
	t_fwd=$(now_ms)
	grep -q "Using IOMMU type 8 (No-IOMMU)" "$log" && grep -q "Selected IOVA mode 'PA'" "$log"
	tap_feature $? 1 "testpmd starts on the no-IOMMU container (IOMMU type 8, IOVA PA) in txonly mode" \
		"$(grep -E 'IOMMU type|IOVA mode' "$log" | tr '\n' ' ')"
	tap_diag "testpmd forwarding $(( (t_fwd - t0) / 1000 )) s after its start"
else
	tap_feature 1 1 "testpmd starts on the no-IOMMU container (IOMMU type 8, IOVA PA) in txonly mode" \
		"$(tr -d '\033' < "$log" | grep -iE 'error|fail|cannot|EAL' | tail -n 8)"
	give_up 2 "testpmd did not start forwarding"
fi

# ---- 3. traffic ---------------------------------------------------------
# The host decides when enough frames reached the pcap (or gives up).
end=$((SECONDS + wait_traffic + 30))
while [ ! -e "$VM_OUT/sync/txonly-enough" ] && [ $SECONDS -lt $end ]; do
	kill -0 "$TESTPMD_PID" 2>/dev/null || { tap_diag "testpmd exited early"; break; }
	sleep 0.3
done
[ -e "$VM_OUT/sync/txonly-enough" ] || tap_diag "no word from the host within $((wait_traffic + 30))s"
testpmd_stop
vm_signal txonly-stopped
tx=$(testpmd_stat "$log" Forward 0 TX-packets)
[ "${tx:-0}" -gt 0 ]
tap_feature $? 1 "testpmd transmits (TX-packets > 0)" "TX-packets ${tx:-none}"
tap_diag "testpmd: TX-packets ${tx:-none}; seconds since its start:" \
	"  EAL up $(testpmd_when "$log" 'EAL: Detected CPU lcores'), device probed $(testpmd_when "$log" 'EAL: Probe PCI driver')," \
	"  port configured $(testpmd_when "$log" 'Configuring Port'), link checked $(testpmd_when "$log" 'Checking link statuses'),"\
	"  forwarding $(testpmd_when "$log" 'packet forwarding - ports='), first stats with TX > 0 $(testpmd_first_tx "$log" 0)"

# ---- 4. the host's count ------------------------------------------------
if vm_wait txonly-verdict 120; then
	verdict=$(host_result "$result" verdict) why=$(host_result "$result" summary)
	[ "$verdict" = ok ]
	tap_feature $? 1 "$t_host" "$why"
	[ "$verdict" = ok ] && tap_diag "$why"
	sed 's/^/# host: /' "$result"
else
	tap_feature 1 1 "$t_host" \
		"no verdict from tests/dpdk/txonly-host.py (see host-cmd.log)"
fi

kernel_tainted $TAINT_USER
rc=$?
tap_feature $rc $((1 - rc)) "kernel tainted (TAINT_USER) by the no-IOMMU device" \
	"tainted $(cat /proc/sys/kernel/tainted)"

tap_done
