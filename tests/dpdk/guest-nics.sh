#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The DPDK NIC matrix through VFIO no-IOMMU mode, guest side.  Runs in the
# test VM with several NICs of different models, each on a QEMU UDP socket
# netdev with a pcap, and tests/dpdk/nics-host.py on the host (run-vm.sh
# --host-cmd), with the suite line of tests/dpdk/suites.
#
#   guest-nics.sh NAME=BDF=VENDOR:DEVICE...
#
# One dpdk-devbind.py binds every NIC to vfio-pci, and one Debian
# dpdk-testpmd drives them all (--iova-mode=pa, one forwarding lcore, the
# "loop" port topology: each port sends what it receives back out of
# itself), at its prompt, in two phases:
#
#   txonly  every port transmits; the host counts the frames in each pcap
#           and checks every one of them (nics-host.py);
#   io      the host sends numbered frames into one NIC after the other and
#           checks they come back out of the same NIC intact and in order;
#           testpmd's counters of each port must agree.
#
# Then the interrupt phase, on the NICs named in NICS_IRQ (none by
# default: suite dpdk-nics-irq names virtio-modern and e1000e), once
# testpmd has let them go:
#
#   l3fwd-power  DPDK's example in interrupt mode (--interrupt-only) on
#                those NICs: its lcore sleeps until an RX interrupt (MSI-X
#                through an eventfd) wakes it; the guest watches the
#                devices' vfio interrupts in /proc/interrupts through an
#                idle period and while the host sends IPv4 frames, which
#                the example routes (its LPM table) out of the next NIC of
#                the list, where the host checks them;
#   link_status_interrupt  on the same NICs: the host turns the link of
#                each NIC named in NICS_LSC (none by default) off and
#                on (QMP set_link), which must reach the example as link
#                status interrupts;
#   uio_pci_generic  l3fwd-power --interrupt-only again, each NIC bound to
#                uio_pci_generic instead: what DPDK makes of a UIO without
#                MSI-X (refused, or one INTx line), without traffic;
#   igb_uio      the same on DPDK's igb_uio (built for the kernel by
#                tests/dpdk/build.sh, loaded with its default intr_mode,
#                MSI-X): refused, falls back to polling, or one interrupt
#                for the whole device, as measured.
#
# Each NIC has its own three tests: bound to vfio-pci in a no-IOMMU group,
# txonly, io; and those of the interrupt phase.  And, with the NICs named
# virtio-default (QEMU's default virtio-net-pci) and virtio-event-idx-off
# (the same with event_idx=off): DPDK negotiates the same features with
# both, without VIRTIO_RING_F_EVENT_IDX (tests/dpdk/README.md, "The NIC
# matrix").
#
# Handshake through $VM_OUT/sync: see tests/dpdk/nics-host.py.
#
# On the base kernel (KERNEL_FLAVOUR=base) vfio-pci refuses every NIC
# (none has an IOMMU group); that and the tests it prevents are reported
# as TAP TODO, and the scenario ends within seconds of the refusal.
#
# Environment: NICS_MIN (default 20000) and NICS_FRAMES (default 10000),
# for the tests' names: give nics-host.py the same --min and --frames;
# NICS_IRQ and NICS_LSC (space-separated names; give nics-host.py the same
# --irq and --lsc, and the NICs of NICS_LSC their name as QEMU id),
# NICS_IRQ_FRAMES (default 200, nics-host.py's --irq-frames),
# NICS_IDLE (seconds of the idle period, default 3) and NICS_IRQ_NO_MSIX
# (NICs of NICS_IRQ whose RX interrupt QEMU does not deliver to DPDK's
# PMD: their two interrupt tests are TODO where the mode is present).

. "${VM_LIB:-$(dirname "$(realpath "$0")")/../../vm/guest-lib.sh}"
. "$(dirname "$(realpath "$0")")/lib-dpdk.sh"
. "$(dirname "$(realpath "$0")")/lib-irq.sh"

TAINT_USER=6
min=${NICS_MIN:-20000} frames=${NICS_FRAMES:-10000}
log=$VM_OUT/testpmd-nics.log
result=$VM_OUT/nics-host.txt
t_start="testpmd starts on the no-IOMMU container (IOMMU type 8, IOVA PA) with a port for every NIC"
t_features="virtio: DPDK negotiates the same features with QEMU's default and event_idx=off, without EVENT_IDX"
t_taint="kernel tainted (TAINT_USER) by the no-IOMMU devices"
t_bind=": bound to vfio-pci (dpdk-devbind.py), in a no-IOMMU group"
t_txonly=": txonly: >= $min frames on the host, every one txonly's, as many as testpmd sent"
t_io=": io (loop): $frames numbered frames from the host come back out of it intact and in order, as testpmd counts"
irq_frames=${NICS_IRQ_FRAMES:-200} idle=${NICS_IDLE:-3}
t_wake=": l3fwd-power --interrupt-only: its lcore sleeps and is woken by this port's RX interrupts"
t_msix=": l3fwd-power: the port's vfio-msix interrupts rise with the host's frames"
t_idle=": l3fwd-power: idle for ${idle} s without traffic, its vfio interrupts stay still"
t_fwd=": l3fwd-power: $irq_frames IPv4 frames from the host come back out of its LPM route in order, intact but for what it rewrites"
t_lsc=": link_status_interrupt: set_link off and on from the host reaches it as link status interrupts, down then up"
t_lsc_irq=": link_status_interrupt: the link changes raise the device's vfio interrupts"
t_uio=": uio_pci_generic: l3fwd-power --interrupt-only gets no MSI-X (refused, or one INTx line)"
t_igb=": igb_uio: l3fwd-power --interrupt-only gets no vector per queue (refused, polls, or one interrupt for the device)"
IGB_UIO=${NICS_IGB_UIO:-$VM_TOP/build/igb_uio/$KERNEL_FLAVOUR/igb_uio.ko}

flavour_init
# What an earlier run in this directory left would mix with this one's.
rm -f "$VM_OUT"/testpmd-nics*.log "$VM_OUT"/nics-txonly.txt "$result" \
	"$VM_OUT"/irq-* "$VM_OUT"/l3fwd-power*.log "$VM_OUT"/link-status.log

# ---- the NICs -------------------------------------------------------------
NAMES=()
declare -A BDF ID PORT
for arg in "$@"; do
	IFS='=' read -r name bdf id <<< "$arg"
	[ -n "$id" ] || { echo "Bail out! want NAME=BDF=VENDOR:DEVICE, got '$arg'"; vm_signal nics-abort; exit 2; }
	have=$(cat "/sys/bus/pci/devices/$bdf/vendor" "/sys/bus/pci/devices/$bdf/device" 2>/dev/null |
		sed 's/^0x//' | paste -sd:)
	[ "$have" = "$id" ] ||
		{ echo "Bail out! $name: no $id at $bdf (${have:-nothing there})"; vm_signal nics-abort; exit 2; }
	NAMES+=("$name") BDF[$name]=$bdf ID[$name]=$id
done
[ ${#NAMES[@]} -gt 0 ] || { echo "Bail out! no NICs given"; vm_signal nics-abort; exit 2; }
# The NICs of the interrupt phase, those of NICS_IRQ and NICS_LSC given.
IRQ_NICS=() LSC_NICS=()
for name in ${NICS_IRQ:-}; do
	[ -n "${BDF[$name]:-}" ] && IRQ_NICS+=("$name")
done
for name in ${NICS_LSC:-}; do
	[ -n "${BDF[$name]:-}" ] && LSC_NICS+=("$name")
done
tap_diag "flavour $KERNEL_FLAVOUR; enable_unsafe_noiommu_mode: $(vfio_noiommu_param || echo absent);" \
	"$(grep HugePages_Total /proc/meminfo)"
for name in "${NAMES[@]}"; do
	tap_diag "$name: ${ID[$name]} at ${BDF[$name]}, driver $(pci_driver "${BDF[$name]}")"
done

# The tests that cannot run once an earlier step failed.
later=("$t_start")
for name in "${NAMES[@]}"; do
	later+=("$name$t_txonly" "$name$t_io")
done
later+=("$t_features")
for name in "${IRQ_NICS[@]}"; do
	later+=("$name$t_wake" "$name$t_msix" "$name$t_idle" "$name$t_fwd")
done
for name in "${LSC_NICS[@]}"; do
	later+=("$name$t_lsc" "$name$t_lsc_irq")
done
for name in "${IRQ_NICS[@]}"; do
	later+=("$name$t_uio")
done
for name in "${IRQ_NICS[@]}"; do
	later+=("$name$t_igb")
done
# give_up N WHY: the tests from later[N] on as not run, and the end.
give_up() {
	tap_not_run "$2" "${later[@]:$1}"
	vm_signal nics-abort
	testpmd_stop
	app_stop
	taint_test
	tap_done
}

taint_test() {
	kernel_tainted $TAINT_USER
	local rc=$?
	tap_feature $rc $((1 - rc)) "$t_taint" "tainted $(cat /proc/sys/kernel/tainted)"
}

# ---- 1. bind, all at once -------------------------------------------------
t=$(now_ms)
bdfs=()
for name in "${NAMES[@]}"; do bdfs+=("${BDF[$name]}"); done
dpdk_bind "${bdfs[@]}"
tap_diag "devbind took $(( $(now_ms) - t )) ms: $BIND_WHY"
# dpdk-devbind.py gives up at the first device the kernel refuses: each
# NIC it left untried is bound as it binds (driver_override, then
# drivers_probe), where the kernel says the same yes or no, in a fraction
# of the time (devbind runs lspci each time: 5-10 s here).
for name in "${NAMES[@]}"; do
	[ "$(pci_driver "${BDF[$name]}")" = vfio-pci ] && continue
	pci_bind "${BDF[$name]}" vfio-pci
	tap_diag "$name through sysfs: ${PCI_ERROR:-bound}"
done
bound=()
for name in "${NAMES[@]}"; do
	bdf=${BDF[$name]}
	drv=$(pci_driver "$bdf") node=$(vfio_group_node "$bdf") err=$(pci_probe_error "$bdf")
	[ "$drv" = vfio-pci ] && [[ "$node" == /dev/vfio/noiommu-* ]]
	rc=$?
	# The absence of the mode: vfio-pci refused the device with -EINVAL.
	absent=1
	[ "$drv" != vfio-pci ] && [ "$err" = -22 ] && absent=0
	tap_feature $rc $absent "$name$t_bind" \
		"driver ${drv:-none}, group node '${node:-none}'${err:+, vfio-pci probe failed with $err}"
	[ $rc = 0 ] && bound+=("$bdf")
done
[ ${#bound[@]} = ${#NAMES[@]} ] || give_up 0 "not every NIC is bound to vfio-pci"

# ---- 2. testpmd, txonly ---------------------------------------------------
# Its virtio PMD's init messages say which features it negotiated.
DPDK_EAL+=(--log-level=pmd.net.virtio.init:debug)
testpmd_start_interactive "$log" "${bdfs[@]}" -- --nb-cores=1 --port-topology=loop
# The ports are up when testpmd has checked their links ("Done"), before
# its prompt.
if ! testpmd_wait_log "$log" 0 '\] Done$' 180; then
	tap_feature 1 1 "$t_start" "$(grep -iE 'error|fail|cannot|EAL' "$log" | tail -n 8)"
	give_up 1 "testpmd did not start"
fi

# phase_stop FILE: stop forwarding; FILE gets the log lines of the stop
# (the phase's forward statistics).
phase_stop() {
	local from
	from=$(wc -l < "$log")
	testpmd_cmd stop
	testpmd_wait_log "$log" "$from" 'Done\.' 60 ||
		tap_diag "testpmd did not confirm the stop within 60 s"
	tail -n +"$((from + 1))" "$log" > "$1"
}

# While txonly runs, the guest's other vCPU crawls (TCG, the host's two
# cores busy with the frames): nothing between the start and the stop but
# the wait for the host, which decides when each pcap holds enough frames.
from=$(wc -l < "$log")
testpmd_cmd set fwd txonly
testpmd_cmd start
vm_signal nics-txonly
vm_wait nics-txonly-enough 150 || tap_diag "no word from the host about txonly's frames within 150 s"
phase_stop "$VM_OUT/testpmd-nics-txonly.log"

# fwd_stats FILE: "PORT FIELD VALUE" of each port's forward statistics.
fwd_stats() {
	awk '/Forward statistics for port/ { p = $0; sub(/.*port +/, "", p); sub(/[^0-9].*/, "", p); next }
		/^\[[0-9.]+\] +-+ *$|Accumulated/ { p = "" }
		p != "" { for (i = 2; i < NF; i++) if ($i ~ /^[A-Z][A-Za-z-]*:$/) print p, substr($i, 1, length($i) - 1), $(i + 1) }' "$1"
}
declare -A TXONLY IO HOST
# (here-strings: the guest has no /dev/fd for a process substitution)
while read -r p f v; do TXONLY[$p,$f]=$v; done <<< "$(fwd_stats "$VM_OUT/testpmd-nics-txonly.log")"
# testpmd numbers its ports in the order EAL probes the devices.
# probe_ports LOG ARRAY: ARRAY[NAME]=port of each NIC that EAL probed.
probe_ports() {
	local -n ports=$2
	local bdf p name
	while read -r bdf p; do
		for name in "${NAMES[@]}"; do
			[ "${BDF[$name]}" = "$bdf" ] && ports[$name]=$p
		done
	done <<< "$(awk '/EAL: Probe PCI driver: / { for (i = 1; i < NF; i++) if ($i == "device:") print $(i + 1), n++ }' "$1")"
}
probe_ports "$log" PORT
for name in "${NAMES[@]}"; do
	echo "port_$name=${PORT[$name]:-}"
	echo "tx_$name=${TXONLY[${PORT[$name]:-},TX-packets]:-}"
done > "$VM_OUT/nics-txonly.txt"
vm_signal nics-txonly-stopped

# ---- 3. io forwarding, the host's numbered frames -------------------------
io_from=$(wc -l < "$log")
testpmd_cmd set fwd io
testpmd_cmd start

grep -q "Using IOMMU type 8 (No-IOMMU)" "$log" && grep -q "Selected IOVA mode 'PA'" "$log" &&
	[ "$(grep -cE '\] Port [0-9]+: ([0-9A-F]{2}:){5}[0-9A-F]{2}$' "$log")" = ${#NAMES[@]} ]
tap_feature $? 1 "$t_start" \
	"$(grep -E 'IOMMU type|IOVA mode|\] Port [0-9]+: ' "$log" | cut -d' ' -f2- | tr '\n' ' ')"
tap_diag "testpmd's ports up $(testpmd_when "$log" '\] Done$') s after its start"
fwd_txonly=$(sed -n "$((from + 1)),${io_from}p" "$log" | grep -m1 -o 'txonly packet forwarding - ports=[0-9]*')
tap_diag "testpmd: ${fwd_txonly:-never said it forwards in txonly mode}"

if testpmd_wait_log "$log" "$io_from" 'io packet forwarding - ports=' 60; then
	vm_signal nics-io
	vm_wait nics-done $((60 + 30 * ${#NAMES[@]})) ||
		tap_diag "no verdict from tests/dpdk/nics-host.py (see host-cmd.log)"
	phase_stop "$VM_OUT/testpmd-nics-io.log"
else
	tap_diag "testpmd did not start io forwarding: $(tail -n +"$((io_from + 1))" "$log" | tail -n 5)"
	: > "$VM_OUT/testpmd-nics-io.log"
	vm_signal nics-abort
	vm_wait nics-done 60
fi
testpmd_stop

# ---- 4. the verdicts, NIC by NIC ------------------------------------------
[ -r "$result" ] && sed 's/^/# host: /' "$result"
[ -r "$result" ] && while IFS='=' read -r k v; do HOST[$k]=$v; done < "$result"
while read -r p f v; do IO[$p,$f]=$v; done <<< "$(fwd_stats "$VM_OUT/testpmd-nics-io.log")"
for name in "${NAMES[@]}"; do
	p=${PORT[$name]:-}
	[ "${HOST[${name}_txonly]:-}" = ok ] &&
		[ "$fwd_txonly" = "txonly packet forwarding - ports=${#NAMES[@]}" ]
	tap_feature $? 1 "$name$t_txonly" "${HOST[${name}_txonly_summary]:-no verdict from the host}"
	tap_diag "$name (port $p): txonly TX-packets ${TXONLY[$p,TX-packets]:-?}, TX-dropped (ring full) ${TXONLY[$p,TX-dropped]:-?}"

	rx=${IO[$p,RX-packets]:-} tx=${IO[$p,TX-packets]:-} into=${HOST[${name}_into]:-}
	[ "${HOST[${name}_io]:-}" = ok ] && [ -n "$rx" ] && [ "$rx" = "$tx" ] && [ "$rx" = "$into" ]
	tap_feature $? 1 "$name$t_io" \
		"${HOST[${name}_io_summary]:-no verdict from the host}; testpmd port $p: RX ${rx:-?}, TX ${tx:-?}; host sent ${into:-?}"
done

# ---- 5. virtio's features with and without the event index ------------------
# features LOG BDF WHICH: the virtio PMD's "WHICH = HEX" init message
# (host_features before negotiate, features after negotiate) for BDF.
features() {
	awk -v bdf="$2" -v which="$3" '
		/EAL: Probe PCI driver: / { cur = ""; for (i = 1; i < NF; i++) if ($i == "device:") cur = $(i + 1) }
		/Configuring Port/ { cur = "" }
		cur == bdf && index($0, which " = ") { v = $NF }
		END { if (v != "") print v }' "$1"
}
if [ -n "${BDF[virtio-default]:-}" ] && [ -n "${BDF[virtio-event-idx-off]:-}" ]; then
	EVENT_IDX=29
	hd=$(features "$log" "${BDF[virtio-default]}" "host_features before negotiate")
	ho=$(features "$log" "${BDF[virtio-event-idx-off]}" "host_features before negotiate")
	nd=$(features "$log" "${BDF[virtio-default]}" "features after negotiate")
	no=$(features "$log" "${BDF[virtio-event-idx-off]}" "features after negotiate")
	rc=1
	if [ -n "$hd" ] && [ -n "$ho" ] && [ -n "$nd" ] && [ -n "$no" ]; then
		# Offered by QEMU's default only, negotiated by neither: the
		# two devices run the same protocol with DPDK.
		(( (16#$hd >> EVENT_IDX & 1) == 1 && (16#$ho >> EVENT_IDX & 1) == 0 &&
			(16#$hd ^ 16#$ho) == 1 << EVENT_IDX &&
			16#$nd == 16#$no && (16#$nd >> EVENT_IDX & 1) == 0 ))
		rc=$?
	fi
	tap_feature $rc 1 "$t_features" \
		"QEMU offers: default 0x${hd:-?}, event_idx=off 0x${ho:-?}; negotiated: 0x${nd:-?} and 0x${no:-?}"
else
	tap_skip "$t_features" "no NICs named virtio-default and virtio-event-idx-off"
fi

# ---- 6. interrupts: l3fwd-power, link_status_interrupt, uio_pci_generic ----
# The NICs are bound to vfio-pci still, testpmd gone.  Every program here
# gets the NICs of the phase alone (-a), on one lcore, so that the one
# lcore polls, sleeps and wakes for all of them.
declare -A L3PORT LSCPORT OUTCOME
irq_devs=() irq_config=
for name in "${IRQ_NICS[@]}"; do
	irq_devs+=(-a "${BDF[$name]}")
done
# Queue 0 of each port on lcore 0.
for ((i = 0; i < ${#IRQ_NICS[@]}; i++)); do irq_config+="($i,0,0),"; done
irq_mask=$(printf '0x%x' $(( (1 << ${#IRQ_NICS[@]}) - 1 )))
irq_eal=(-l 0 -n 1 --in-memory --iova-mode=pa)
snap=$VM_OUT/irq

# in_window LOG FROM TO ERE: how many lines FROM+1..TO of LOG match ERE.
in_window() {
	if [ "$3" -le "$2" ]; then echo 0; return; fi
	sed -n "$(($2 + 1)),$3p" "$1" | grep -cE -e "$4"
}

# irq_result RC NAME DETAIL: tap_feature, where a NIC of NICS_IRQ_NO_MSIX
# (whose PMD gets no RX interrupt from QEMU's model: tests/dpdk/README.md)
# fails as a TODO where the mode is present.
irq_result() {
	local nic=${2%%:*}
	if [ "$FEATURE_PRESENT" = 1 ] && [[ " ${NICS_IRQ_NO_MSIX:-} " == *" $nic "* ]]; then
		tap_todo "$1" "$2" "no RX interrupt from QEMU's $nic to DPDK's PMD (README): $3"
	else
		tap_feature "$1" 1 "$2" "$3"
	fi
}

# 6a. l3fwd-power on vfio-pci: idle, then the host's frames.
l3log=$VM_OUT/l3fwd-power.log
if [ ${#IRQ_NICS[@]} -gt 0 ]; then
	t=$(now_ms)
	app_start "$l3log" "$L3FWD_POWER" "${irq_eal[@]}" --file-prefix nics-l3fwd "${irq_devs[@]}" -- \
		-p "$irq_mask" --config "${irq_config%,}" --interrupt-only --parse-ptype
	if app_wait_log "$l3log" 0 'entering main interrupt loop' 120; then
		tap_diag "l3fwd-power in its interrupt loop $(( ($(now_ms) - t) / 1000 )) s after its start"
		probe_ports "$l3log" L3PORT
		for name in "${IRQ_NICS[@]}"; do echo "port_$name=${L3PORT[$name]:-}"; done > "$VM_OUT/irq-ports.txt"
		# The idle period: nothing comes in, nothing may wake it.
		irq_snap "$snap-idle0"; i0=$(log_lines "$l3log")
		sleep "$idle"
		irq_snap "$snap-idle1"; i1=$(log_lines "$l3log")
		vm_signal irq-l3fwd
		vm_wait irq-l3fwd-done $((30 + 30 * ${#IRQ_NICS[@]})) ||
			tap_diag "no word from the host about l3fwd-power's frames"
		irq_snap "$snap-traffic"; i2=$(log_lines "$l3log")
		tap_diag "l3fwd-power's log: idle period lines $((i0 + 1))..$i1, traffic $((i1 + 1))..$i2"
	else
		tap_diag "l3fwd-power did not reach its interrupt loop: $(grep -E 'Cause|rror|fail' "$l3log" | tail -n 4)"
		vm_signal irq-abort
		i0=0 i1=0 i2=0
	fi
	t=$(now_ms)
	app_stop
	tap_diag "l3fwd-power stopped in $(( $(now_ms) - t )) ms"
	[ -r "$VM_OUT/irq-host.txt" ] && sed 's/^/# host: /' "$VM_OUT/irq-host.txt"
	[ -r "$VM_OUT/irq-host.txt" ] && while IFS='=' read -r k v; do HOST[$k]=$v; done < "$VM_OUT/irq-host.txt"
	for name in "${IRQ_NICS[@]}"; do
		bdf=${BDF[$name]} p=${L3PORT[$name]:-x}
		woke=0 slept=0 moved= idle_moved=x idle_woke=x
		if [ -s "$snap-traffic" ]; then
			woke=$(in_window "$l3log" "$i1" "$i2" "waked up from rx interrupt on port $p queue")
			slept=$(in_window "$l3log" "$i1" "$i2" 'sleeps until interrupt triggers')
			moved=$(irq_moved "$snap-idle1" "$snap-traffic" "$bdf")
			idle_moved=$(irq_moved "$snap-idle0" "$snap-idle1" "$bdf")
			idle_woke=$(in_window "$l3log" "$i0" "$i1" "waked up from rx interrupt on port $p queue")
		fi
		[ "$woke" -gt 0 ] && [ "$slept" -gt 0 ]
		irq_result $? "$name$t_wake" \
			"port $p: woken $woke times by its RX interrupt, \"sleeps until interrupt triggers\" $slept times (all ports) while the host sent $irq_frames frames"
		delta=0
		[ -s "$snap-traffic" ] &&
			delta=$(( $(irq_total "$snap-traffic" "$bdf") - $(irq_total "$snap-idle1" "$bdf") ))
		# Only MSI-X vectors may have moved (no MSI, no INTx).
		rc=1
		[ "$delta" -gt 0 ] && [[ " $moved " != *" vfio-msi["* ]] && [[ " $moved " != *" vfio-intx["* ]] && rc=0
		irq_result $rc "$name$t_msix" \
			"${moved:-no vfio interrupt of $bdf moved} ($delta for the host's frames); before: $(irq_vfio "$snap-idle1" "$bdf")"
		[ -n "$(irq_vfio "$snap-idle1" "$bdf")" ] && [ -z "$idle_moved" ] && [ "$idle_woke" = 0 ]
		tap_feature $? 1 "$name$t_idle" \
			"over ${idle} s: ${idle_moved:-no count moved} ($(irq_vfio "$snap-idle1" "$bdf")); woken $idle_woke times on port $p"
		[ "${HOST[irq_$name]:-}" = ok ]
		tap_feature $? 1 "$name$t_fwd" "${HOST[irq_${name}_summary]:-no verdict from the host}"
		OUTCOME[vfio-$name]="woken $woke times by $delta interrupts (${moved:-none}) for $irq_frames frames"
	done
fi

# 6b. link_status_interrupt on vfio-pci: the host turns links off and on.
lsclog=$VM_OUT/link-status.log
if [ ${#LSC_NICS[@]} -gt 0 ]; then
	l0=0 l1=0
	t=$(now_ms)
	# It pairs its ports: an odd number of NICs gets a second port of the
	# last (-q: one lcore polls them all; -T 0: no statistics screens).
	app_start "$lsclog" "$LINK_STATUS" "${irq_eal[@]}" --file-prefix nics-lsc "${irq_devs[@]}" -- \
		-p "$irq_mask" -q "${#IRQ_NICS[@]}" -T 0
	if app_wait_log "$lsclog" 0 'entering main loop' 120; then
		t_up=${EPOCHREALTIME/./}
		# No fork while it spins: the guest forks slowly then (TCG, the
		# spinning vCPU takes a host core).
		irq_snap "$snap-lsc0"; mapfile -t lines < "$lsclog"; l0=${#lines[@]}
		: > "$VM_OUT/sync/irq-lsc"	# vm_signal, without its mkdir
		probe_ports "$lsclog" LSCPORT
		tap_diag "link_status_interrupt in its main loop $(( (t_up / 1000 - t) / 1000 )) s after its start"
		vm_wait irq-lsc-done 60 || tap_diag "no word from the host about the link changes"
		[ -r "$VM_OUT/irq-host.txt" ] &&
			while IFS='=' read -r k v; do HOST[$k]=$v; done < "$VM_OUT/irq-host.txt"
		# The callbacks run in EAL's interrupt thread: wait for the last.
		last=${LSC_NICS[-1]}
		app_wait_log "$lsclog" "$l0" "^\[[0-9.]+\] Port ${LSCPORT[$last]:-x} Link up" 20
		irq_snap "$snap-lsc1"; l1=$(log_lines "$lsclog")
	else
		tap_diag "link_status_interrupt did not start: $(grep -E 'Cause|rror|fail' "$lsclog" | tail -n 4)"
		vm_signal irq-abort
	fi
	t=$(now_ms)
	app_stop TERM
	tap_diag "link_status_interrupt stopped in $(( $(now_ms) - t )) ms"
	for name in "${LSC_NICS[@]}"; do
		bdf=${BDF[$name]} p=${LSCPORT[$name]:-x}
		seen=$(sed -n "$((l0 + 1)),${l1}p" "$lsclog" | grep -E "^\[[0-9.]+\] Port $p Link (up|down)" |
			sed -E 's/^\[([0-9.]+)\] Port [0-9]+ Link (up|down).*/\2@\1/' | tr '\n' ' ')
		events=$(in_window "$lsclog" "$l0" "$l1" 'Event type: LSC interrupt')
		[[ " $seen" == *" down@"*" up@"* ]] && [ "$events" -ge 2 ]
		tap_feature $? 1 "$name$t_lsc" \
			"port $p: ${seen:-no link change reported}; $events LSC callbacks in all; host: ${HOST[lsc_$name]:-no word}"
		moved=
		[ -s "$snap-lsc1" ] && moved=$(irq_moved "$snap-lsc0" "$snap-lsc1" "$bdf")
		[ -n "$moved" ]
		tap_feature $? 1 "$name$t_lsc_irq" "${moved:-no vfio interrupt of $bdf moved} ($(irq_vfio "$snap-lsc1" "$bdf"))"
		OUTCOME[lsc-$name]="link ${seen:-unchanged }through ${moved:-no interrupt}"
	done
fi

# uio_run DRIVER KEY: each NIC of the phase bound to DRIVER and
# l3fwd-power --interrupt-only on each alone, all at once, no traffic:
# UIO_PID[KEY-NAME], or OUTCOME[KEY-NAME] where DRIVER refuses the NIC.
declare -A UIO_PID
uio_run() {
	local drv=$1 key=$2 name bdf t
	t=$(now_ms)
	for name in "${IRQ_NICS[@]}"; do
		bdf=${BDF[$name]}
		if ! pci_bind "$bdf" "$drv"; then
			OUTCOME[$key-$name]="refused by $drv: $PCI_ERROR"
			continue
		fi
		app_start "$VM_OUT/l3fwd-power-$key-$name.log" "$L3FWD_POWER" "${irq_eal[@]}" \
			--file-prefix "nics-$key-$name" -a "$bdf" -- \
			-p 0x1 --config "(0,0,0)" --interrupt-only --parse-ptype
		UIO_PID[$key-$name]=$APP_PID
	done
	tap_diag "$drv bound and l3fwd-power started in $(( $(now_ms) - t )) ms"
	for name in "${IRQ_NICS[@]}"; do
		[ -n "${UIO_PID[$key-$name]:-}" ] || continue
		app_wait_log "$VM_OUT/l3fwd-power-$key-$name.log" 0 'entering main interrupt loop' 90 \
			"${UIO_PID[$key-$name]}"
	done
	# What each does with the interrupt, once in its loop.
	sleep 1
}

# uio_gave_up KEY NAME: OUTCOME[KEY-NAME] where l3fwd-power was refused
# (it exited) or runs without the interrupt (polls); fails where it runs
# on the interrupt, for the caller to say how.
uio_gave_up() {
	local log=$VM_OUT/l3fwd-power-$1-$2.log why
	if ! kill -0 "${UIO_PID[$1-$2]}" 2>/dev/null; then
		why=$(grep -E 'Cause:|not supported|failed to configure' "$log" | cut -d' ' -f2- |
			sed 's/^ *//' | paste -sd';' | sed 's/;/; /g')
		OUTCOME[$1-$2]="refused: ${why:-l3fwd-power exited}"
	elif grep -q "RX interrupt won't enable" "$log"; then
		OUTCOME[$1-$2]="falls back to polling (RX interrupt won't enable)"
	else
		return 1
	fi
}

# 6c. uio_pci_generic, side by side: with DPDK 22.11's e1000 PMD on the
# e1000e's UIO INTx line, the first frame's interrupt storms until the
# kernel disables the line, a kernel report with a call trace
# (tests/dpdk/README.md): no traffic.  Refused is refused at configure.
uio_run uio_pci_generic uio
for name in "${IRQ_NICS[@]}"; do
	bdf=${BDF[$name]} pid=${UIO_PID[uio-$name]:-}
	if [ -z "$pid" ]; then
		tap_feature 0 1 "$name$t_uio" "${OUTCOME[uio-$name]}"
		continue
	fi
	irq_snap "$snap-uio-$name"
	msi=$(find "/sys/bus/pci/devices/$bdf/msi_irqs" -mindepth 1 2>/dev/null | wc -l)
	intx=$(cat "/sys/bus/pci/devices/$bdf/irq" 2>/dev/null)
	line=$(irq_line "$snap-uio-$name" "$intx")
	vfio=$(irq_vfio "$snap-uio-$name" "$bdf")
	rc=0
	if uio_gave_up uio "$name"; then
		[[ ${OUTCOME[uio-$name]} != refused:* ]] ||
			grep -q 'Cause: Cannot configure device' "$VM_OUT/l3fwd-power-uio-$name.log" || rc=1
	else
		OUTCOME[uio-$name]="falls back to one INTx line for the device: IRQ $intx ($line), $msi MSI/MSI-X vectors"
		[ "$msi" = 0 ] && [[ "$line" == *IO-APIC*uio_pci_generic* ]] || rc=1
	fi
	[ -z "$vfio" ] || rc=1
	app_stop INT "$pid"
	tap_feature $rc 1 "$name$t_uio" "${OUTCOME[uio-$name]}"
done

# 6d. igb_uio, the same way: one UIO interrupt for the device at most,
# which DPDK's PMDs take for RX interrupts or do without.
igb_err=
if [ ${#IRQ_NICS[@]} -gt 0 ] && [ ! -d /sys/module/igb_uio ]; then
	igb_err=$(insmod "$IGB_UIO" 2>&1) || igb_err="insmod $IGB_UIO: ${igb_err:-failed}"
fi
[ -n "$igb_err" ] || uio_run igb_uio igb
for name in "${IRQ_NICS[@]}"; do
	bdf=${BDF[$name]} pid=${UIO_PID[igb-$name]:-}
	if [ -n "$igb_err" ]; then
		tap_feature 1 1 "$name$t_igb" "$igb_err"
		continue
	elif [ -z "$pid" ]; then
		tap_feature 0 1 "$name$t_igb" "${OUTCOME[igb-$name]}"
		continue
	fi
	irq_snap "$snap-igb-$name"
	vecs=$(find "/sys/bus/pci/devices/$bdf/msi_irqs" -mindepth 1 2>/dev/null | wc -l)
	vfio=$(irq_vfio "$snap-igb-$name" "$bdf")
	uio_gave_up igb "$name" ||
		OUTCOME[igb-$name]="takes one interrupt for the device ($vecs MSI/MSI-X vectors; $(grep -E 'igb_uio' "$snap-igb-$name" | awk '{ print $NF, $(NF-1) }' | paste -sd' '))"
	[ "$vecs" -le 1 ] && [ -z "$vfio" ]
	rc=$?
	app_stop INT "$pid"
	tap_feature $rc 1 "$name$t_igb" "${OUTCOME[igb-$name]}"
done
for k in "${!OUTCOME[@]}"; do
	tap_diag "interrupts, $k: ${OUTCOME[$k]}"
done | sort

taint_test
tap_done
