#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DPDK io forwarding through VFIO no-IOMMU mode, guest side.  Runs in the
# test VM with two e1000s on QEMU UDP socket netdevs, NIC A (port 0) and
# NIC B (port 1), and tests/dpdk/iofwd-host.py on the host (run-vm.sh
# --host-cmd); tests/dpdk/iofwd.sh starts both, as does tests/check.sh
# (tests/dpdk/suites).
#
# Steps: bind both e1000s to vfio-pci with Debian's dpdk-devbind.py, run
# Debian's dpdk-testpmd in io mode (port 0 rx -> port 1 tx and back) with
# --iova-mode=pa, let the host push a numbered sequence of frames into A and
# check what comes out of B, stop testpmd and compare its counters with
# what the host sent.
#
# Handshake through $VM_OUT/sync (vm_signal/vm_wait):
#   guest: iofwd-forwarding  testpmd started forwarding
#   host:  iofwd-done        the host has sent and checked everything,
#                            $VM_OUT/iofwd-host.txt is written
#   guest: iofwd-abort       nothing to wait for (bind or start failed)
#
# On the base kernel (KERNEL_FLAVOUR=base) vfio-pci refuses the e1000s,
# which have no IOMMU group; that and the tests it prevents are reported as
# TAP TODO, and the scenario ends within seconds of the refusal.
#
# Environment: IOFWD_MAC_A, IOFWD_MAC_B: the NICs' MACs as the suite sets
# them (default 52:54:00:d0:00:0a and 52:54:00:d0:00:0b), to tell A from B;
# IOFWD_FRAMES: the number of frames the host sends (default 10000; only
# for the test's name: give iofwd-host.py --frames the same);
# DPDK_DEMO=1 prints what tests/dpdk/demo.sh shows.

. "${VM_LIB:-$(dirname "$(realpath "$0")")/../../vm/guest-lib.sh}"
. "$(dirname "$(realpath "$0")")/lib-dpdk.sh"

E1000=8086:100e TAINT_USER=6
mac_a=${IOFWD_MAC_A:-52:54:00:d0:00:0a} mac_b=${IOFWD_MAC_B:-52:54:00:d0:00:0b}
log=$VM_OUT/testpmd-iofwd.log
result=$VM_OUT/iofwd-host.txt
demo=${DPDK_DEMO:-0}
frames=${IOFWD_FRAMES:-10000}	# as the suite gives iofwd-host.py --frames
t_host="host: $frames frames sent into NIC A come out of NIC B intact and in order"

flavour_init

# NIC A and B by MAC, while the kernel's e1000 driver still shows it.
dpdk_nics_by_mac $E1000 "$mac_a" "$mac_b" ||
	{ echo "Bail out! $NICS_WHY"; vm_signal iofwd-abort; exit 2; }
a=${NICS[0]} b=${NICS[1]}
tap_diag "flavour $KERNEL_FLAVOUR; NIC A $a ($mac_a), NIC B $b ($mac_b);" \
	"enable_unsafe_noiommu_mode: $(vfio_noiommu_param || echo absent); $(grep HugePages_Total /proc/meminfo)"

later=("both e1000s are in no-IOMMU groups"
	"testpmd starts on the no-IOMMU container (IOMMU type 8, IOVA PA), io mode, NIC A is port 0"
	"$t_host"
	"testpmd counters: port 0 RX = port 1 TX = frames the host sent"
	"kernel tainted (TAINT_USER) by the no-IOMMU devices")
give_up() {
	tap_not_run "$2" "${later[@]:$1}"
	vm_signal iofwd-abort
	testpmd_stop
	tap_done
}

# ---- 1. bind ------------------------------------------------------------
t=$(now_ms)
dpdk_bind "$a" "$b"
rc=$?
tap_feature $rc $((1 - rc)) "dpdk-devbind.py binds both e1000s to vfio-pci" "$BIND_WHY"
tap_diag "devbind took $(( $(now_ms) - t )) ms: $BIND_WHY"
[ $rc = 0 ] || give_up 0 "the e1000s are not bound to vfio-pci"

na=$(vfio_group_node "$a") nb=$(vfio_group_node "$b")
[[ "$na" == /dev/vfio/noiommu-* && "$nb" == /dev/vfio/noiommu-* && "$na" != "$nb" ]]
tap_feature $? 1 "both e1000s are in no-IOMMU groups" "A: '${na:-none}', B: '${nb:-none}'"
if [ "$demo" = 1 ]; then
	tap_diag "demo: dpdk-devbind.py --status-dev net:"
	tap_diag "$(dpdk-devbind.py --status-dev net 2>&1 | grep -v libkmod)"
	tap_diag "demo: ls -l /dev/vfio:" "$(ls -l /dev/vfio)"
fi

# ---- 2. testpmd ---------------------------------------------------------
testpmd_start "$log" "$a" "$b" -- --forward-mode=io --nb-cores=1
if testpmd_wait_forwarding "$log" 120; then
	vm_signal iofwd-forwarding
	port0=$(sed -n 's/.*Port 0: \([0-9A-Fa-f:]*\).*/\1/p' "$log" | head -n1)
	grep -q "Using IOMMU type 8 (No-IOMMU)" "$log" && grep -q "Selected IOVA mode 'PA'" "$log" &&
		grep -q "io packet forwarding - ports=2" "$log" && [ "${port0,,}" = "$mac_a" ]
	tap_feature $? 1 "testpmd starts on the no-IOMMU container (IOMMU type 8, IOVA PA), io mode, NIC A is port 0" \
		"$(grep -E 'IOMMU type|IOVA mode|packet forwarding -|Port [01]:' "$log" | cut -d' ' -f2- | tr '\n' ' ')"
	tap_diag "testpmd forwarding $(testpmd_when "$log" 'packet forwarding - ports=') s after its start"
else
	tap_feature 1 1 "testpmd starts on the no-IOMMU container (IOMMU type 8, IOVA PA), io mode, NIC A is port 0" \
		"$(grep -iE 'error|fail|cannot|EAL' "$log" | tail -n 8)"
	give_up 2 "testpmd did not start forwarding"
fi

# ---- 3. traffic, sent and checked by the host ---------------------------
# Bounded: the host needs at most --ready-wait (120 s) for the data path,
# then some seconds per 10000 frames, and gives up after --stall (15 s).
if vm_wait iofwd-done 240; then
	verdict=$(host_result "$result" verdict) why=$(host_result "$result" summary)
else
	verdict=none why="no verdict from tests/dpdk/iofwd-host.py (see host-cmd.log)"
fi
testpmd_stop
[ "$verdict" = ok ]
tap_feature $? 1 "$t_host" "$why"
[ "$verdict" = ok ] && tap_diag "$why"
[ -r "$result" ] && sed 's/^/# host: /' "$result"

rx0=$(testpmd_stat "$log" Forward 0 RX-packets) tx1=$(testpmd_stat "$log" Forward 1 TX-packets)
rx1=$(testpmd_stat "$log" Forward 1 RX-packets) tx0=$(testpmd_stat "$log" Forward 0 TX-packets)
into_a=$(host_result "$result" into_a)
[ -n "$rx0" ] && [ "$rx0" = "$tx1" ] && [ "$rx0" = "$into_a" ] && [ "$rx1" = 0 ] && [ "$tx0" = 0 ]
tap_feature $? 1 "testpmd counters: port 0 RX = port 1 TX = frames the host sent" \
	"port 0 RX ${rx0:-?} TX ${tx0:-?}, port 1 RX ${rx1:-?} TX ${tx1:-?}; host sent ${into_a:-?} into A"
tap_diag "testpmd: port 0 RX ${rx0:-?} -> port 1 TX ${tx1:-?}; port 1 RX ${rx1:-?} -> port 0 TX ${tx0:-?}"

kernel_tainted $TAINT_USER
rc=$?
tap_feature $rc $((1 - rc)) "kernel tainted (TAINT_USER) by the no-IOMMU devices" \
	"tainted $(cat /proc/sys/kernel/tainted)"
if [ "$demo" = 1 ]; then
	tap_diag "demo: /proc/sys/kernel/tainted = $(cat /proc/sys/kernel/tainted) (64 = TAINT_USER, 'U')"
	tap_diag "demo: kernel log:" "$(dmesg | grep -E 'vfio-pci |vfio-noiommu |[Tt]aint' | tail -n 12)"
fi

tap_done
