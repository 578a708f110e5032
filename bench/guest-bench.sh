#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmarks, guest side: one round on one kernel, inside the test VM
# that bench/run.sh starts (two e1000s wired to each other through host
# UDP sockets, an edu device at 00:0f.0 and 32 more for the scale part).
# Every measurement is one JSON object per line in $VM_OUT/results.jsonl,
# tagged with the kernel and the round; bench/report.py reads them.  On
# stdout: TAP, one test per part that produced its numbers (no timing is
# judged here).
#
# Parts, in this order (BENCH_PARTS picks some; a kernel runs only its
# own):
#   scale    bind the 32 scale edus to vfio-pci in steps of 1, 8, 32: time
#            and /proc/meminfo deltas; cycle 0 is the first binding of the
#            boot, BENCH_BIND_CYCLES more (default 4) rebind for the time
#   edu      on the benchmark edu: interrupt latency, open-to-usable,
#            config reads and MMIO rate; vfio-pci, then on the series
#            kernel uio_pci_generic and igb_uio as well
#   data     dpdk-testpmd txonly (NIC A) and io forwarding (A <-> B) packet
#            rates, per driver: vfio-pci; on the series kernel also
#            uio_pci_generic and igb_uio; the order rotates with the round
#   nics     io forwarding on a pair of each NIC model of BENCH_NICS
#            (virtio-net modern, e1000e, vmxnet3), wired as the e1000s
#            are: vfio-pci, and on the series kernel uio_pci_generic,
#            which each of their PMDs supports; in rounds 1 to
#            BENCH_NIC_ROUNDS only (default 3; 0 leaves the part out)
#   wake     DPDK's l3fwd-power in interrupt mode on each wake NIC
#            (BENCH_WAKE), woken by each of the frames that
#            bench/wake-host.py sends it one at a time: the round trip as
#            the host measures it, and whether l3fwd-power slept and woke;
#            vfio-pci, and on the series kernel igb_uio, whose outcome
#            (woken, polling, or l3fwd-power's refusal) is recorded either
#            way
# and on the modular kernel (the device cdev beside the group), instead:
#   pa       the physical addresses of a buffer of BENCH_PA_MB MiB of 2 MiB
#            hugepages, then of 4 KiB pages, through GET_PA on the edu's
#            cdev against /proc/self/pagemap
#   iomap    IOMMU_IOAS_MAP and UNMAP of BENCH_IOMAP_MB MiB into an IOAS
#            the edu is attached to (pinning) and into one without device
#   cdev     the edu's interrupt latency (vfio MSI), open-to-usable,
#            config reads and MMIO rate with the device fd from the group,
#            from the cdev and from the group again (the A/A pass,
#            "group-aa"); the baseline "group" pass comes before the cdev
#            pass in odd rounds and after it in even ones
#
# Environment (bench/run.sh sets it): KERNEL_FLAVOUR (series, upstream or
# modular), BENCH_KERNEL_TAG (the name the results carry, default the
# flavour; "series-aa" for the A/A run), BENCH_ROUND, BENCH_BIN
# (vfio-bench), BENCH_IGB_UIO (igb_uio.ko built for the series kernel),
# BENCH_EDU (the benchmark edu's BDF), sizes BENCH_IRQ_N, BENCH_OPEN_N,
# BENCH_CFG_N, BENCH_MMIO_REPS, BENCH_MMIO_OPS, BENCH_DP_WINDOW (periods of
# 1 s measured per testpmd run), BENCH_DP_FLOOR (pps below which a period
# counts as "no traffic yet"), BENCH_PA_MB, BENCH_PA_REPS, BENCH_IOMAP_MB,
# BENCH_IOMAP_REPS, BENCH_NICS, BENCH_NIC_ROUNDS, BENCH_WAKE.

. "${VM_LIB:-$(dirname "$(realpath "$0")")/../vm/guest-lib.sh}"

E1000=8086:100e EDU=1234:11e8
flavour=${KERNEL_FLAVOUR:-}
ktag=${BENCH_KERNEL_TAG:-$flavour}
round=${BENCH_ROUND:-1}
bin=${BENCH_BIN:-$VM_TOP/build/bench/bin/vfio-bench}
igb=${BENCH_IGB_UIO:-}
edu=${BENCH_EDU:-0000:00:0f.0}
irq_n=${BENCH_IRQ_N:-10000} open_n=${BENCH_OPEN_N:-1000} cfg_n=${BENCH_CFG_N:-10000}
mmio_reps=${BENCH_MMIO_REPS:-7} mmio_ops=${BENCH_MMIO_OPS:-2000000}
bind_cycles=${BENCH_BIND_CYCLES:-4}
window=${BENCH_DP_WINDOW:-6} floor=${BENCH_DP_FLOOR:-2000}
pa_mb=${BENCH_PA_MB:-256} pa_reps=${BENCH_PA_REPS:-5}
iomap_mb=${BENCH_IOMAP_MB:-1024} iomap_reps=${BENCH_IOMAP_REPS:-3}
nic_models=${BENCH_NICS:-virtio e1000e vmxnet3} nic_rounds=${BENCH_NIC_ROUNDS:-3}
# The NIC models of the nics part: vendor:device as the VM has them.
declare -A NIC_ID=([virtio]=1af4:1041 [e1000e]=8086:10d3 [vmxnet3]=15ad:07b0)
results=$VM_OUT/results.jsonl

case "$flavour" in
series) drivers=(vfio-pci uio_pci_generic igb_uio) all="scale edu data nics wake" ;;
upstream) drivers=(vfio-pci) all="scale edu data nics wake" ;;
modular) drivers=(vfio-pci) all="pa iomap cdev" ;;
*) echo "Bail out! KERNEL_FLAVOUR must be series, upstream or modular"; exit 2 ;;
esac
# BENCH_PARTS picks among the parts of this kernel.
parts=" "
for p in ${BENCH_PARTS:-$all}; do
	[[ " $all " == *" $p "* ]] && parts+="$p "
done
[ -x "$bin" ] || { echo "Bail out! no $bin (bench/run.sh builds it)"; exit 2; }
: > "$results"

# Kernel messages (a taint warning per no-IOMMU device, DPDK's binds) stay
# off the emulated serial console, whose output would be part of what is
# timed; they still reach the log, and run-vm.sh scans dmesg for splats.
echo 1 > /proc/sys/kernel/printk

# record OUTPUT: tag OUTPUT's JSON lines with kernel, round, the driver
# in DRIVER and the fields in TAG (if set), keep them.  Succeeds if there
# was at least one line and none carries an "error".
DRIVER= TAG=
record() {
	local out=$1 n=0 bad=0 line
	while IFS= read -r line; do
		case "$line" in
		'{'*) ;;
		*) continue ;;
		esac
		n=$((n + 1))
		case "$line" in *'"error"'*) bad=1 ;; esac
		printf '{"kernel":"%s","round":%s,%s%s%s\n' "$ktag" "$round" \
			"${DRIVER:+\"driver\":\"$DRIVER\",}" "$TAG" "${line#\{}" >> "$results"
	done <<< "$out"
	[ $n -gt 0 ] && [ $bad = 0 ]
}

# run_bench NAME ARGS...: run vfio-bench, record its lines, report in TAP.
run_bench() {
	local name=$1 out rc t0=$SECONDS
	shift
	out=$("$bin" "$@" 2>&1)
	rc=$?
	if record "$out" && [ $rc = 0 ]; then
		tap_ok "$name"
		tap_diag "$name: $((SECONDS - t0)) s"
	else
		tap_not_ok "$name" "vfio-bench $* (exit $rc):" "$out"
	fi
}

bind_or_report() {
	local bdf=$1 drv=$2 what=$3
	pci_bind "$bdf" "$drv" && return 0
	tap_not_ok "$what" "cannot bind $bdf to $drv: $PCI_ERROR"
	return 1
}

tap_diag "kernel $ktag ($(uname -r)), round $round; $(grep -c ^processor /proc/cpuinfo) CPUs," \
	"$(grep HugePages_Total /proc/meminfo | tr -s ' '); clocksource" \
	"$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"

igb_loaded=0
load_igb_uio() {
	[ $igb_loaded = 1 ] && return 0
	[ -d /sys/module/igb_uio ] && { igb_loaded=1; return 0; }
	[ -n "$igb" ] && [ -f "$igb" ] || { PCI_ERROR="no igb_uio.ko (BENCH_IGB_UIO)"; return 1; }
	# MSI for edu; the e1000, which has no MSI, falls back to INTx.
	PCI_ERROR=$(insmod "$igb" intr_mode=msi 2>&1) || return 1
	igb_loaded=1
}

# ---- scale ------------------------------------------------------------------
if [[ $parts == *" scale "* ]]; then
	scale=()
	for d in $(pci_find_all $EDU); do
		[ "$d" = "$edu" ] || scale+=("$d")
	done
	if [ ${#scale[@]} -lt 32 ]; then
		tap_not_ok "scale: bind 1, 8, 32 edus to vfio-pci" "only ${#scale[@]} scale edus"
	else
		# Cycle 0, the first binding of the boot, gives the memory
		# (later ones reuse what the earlier ones freed); the next
		# cycles give more samples of the time.
		for ((c = 0; c <= bind_cycles; c++)); do
			TAG="\"cycle\":$c,"
			run_bench "scale: bind 1, 8, 32 edus to vfio-pci and unbind, cycle $c" \
				bind vfio-pci 1,8,32 "${scale[@]:0:32}"
		done
		TAG=
	fi
fi

# ---- edu: interrupts, control path, config space, MMIO ----------------------
if [[ $parts == *" edu "* ]]; then
	if bind_or_report "$edu" vfio-pci "edu: bind to vfio-pci"; then
		DRIVER=vfio-pci
		run_bench "irq: vfio MSI -> eventfd, $irq_n interrupts" irq vfio-msi "$edu" "$irq_n"
		run_bench "irq: vfio INTx -> eventfd, $irq_n interrupts" irq vfio-intx "$edu" "$irq_n"
		run_bench "control: vfio open to mapped BAR0, $open_n times" open vfio "$edu" "$open_n"
		run_bench "control: config read, VFIO region and sysfs, $cfg_n each" cfg "$edu" "$cfg_n"
		run_bench "mmio: VFIO and sysfs BAR0 mappings, $mmio_reps x $mmio_ops ops" \
			mmio "$edu" "$mmio_reps" "$mmio_ops"
	fi
	if [ "$flavour" = series ]; then
		if bind_or_report "$edu" uio_pci_generic "edu: bind to uio_pci_generic"; then
			DRIVER=uio_pci_generic
			run_bench "irq: uio_pci_generic INTx -> read(), $irq_n interrupts" irq uio "$edu" "$irq_n"
			run_bench "control: uio_pci_generic open to mapped BAR0, $open_n times" open uio "$edu" "$open_n"
		fi
		if ! load_igb_uio; then
			tap_not_ok "edu: load igb_uio" "$PCI_ERROR"
		elif bind_or_report "$edu" igb_uio "edu: bind to igb_uio"; then
			DRIVER=igb_uio
			run_bench "irq: igb_uio MSI -> read(), $irq_n interrupts" irq uio "$edu" "$irq_n"
			run_bench "control: igb_uio open to mapped BAR0, $open_n times" open uio "$edu" "$open_n"
		fi
	fi
	DRIVER=
	pci_unbind "$edu"
fi

# ---- the device cdev and iommufd (modular kernel) ---------------------------
cdev_ok=0
if [[ $parts == *" pa "* || $parts == *" iomap "* || $parts == *" cdev "* ]]; then
	loaded=$(vfio_pci_load) && [ -n "$loaded" ] && tap_diag "$loaded"
	if bind_or_report "$edu" vfio-pci "cdev: bind the edu to vfio-pci"; then
		cdev_ok=1
		tap_diag "edu $edu: group $(vfio_group_node "$edu" || echo none)," \
			"cdev $(ls "/sys/bus/pci/devices/$edu/vfio-dev" 2>/dev/null || echo none)," \
			"$(ls -d /dev/iommu 2>/dev/null || echo 'no /dev/iommu')"
	else
		cdev_ok=0
	fi
fi

if [[ $parts == *" pa "* ]] && [ "$cdev_ok" = 1 ]; then
	DRIVER=vfio-pci
	run_bench "pa: $pa_mb MiB of 2 MiB hugepages, GET_PA and pagemap, $pa_reps times" \
		pa "$edu" 2m "$pa_mb" "$pa_reps"
	run_bench "pa: $pa_mb MiB of 4 KiB pages, GET_PA and pagemap, $pa_reps times" \
		pa "$edu" 4k "$pa_mb" "$pa_reps"
	DRIVER=
fi

if [[ $parts == *" iomap "* ]] && [ "$cdev_ok" = 1 ]; then
	DRIVER=vfio-pci
	run_bench "iomap: map and unmap $iomap_mb MiB, pinning and not, $iomap_reps times" \
		iomap "$edu" "$iomap_mb" "$iomap_reps"
	DRIVER=
fi

if [[ $parts == *" cdev "* ]] && [ "$cdev_ok" = 1 ]; then
	DRIVER=vfio-pci
	if [ $((round % 2)) = 1 ]; then
		passes=(group cdev group-aa)
	else
		passes=(group-aa cdev group)
	fi
	for pass in "${passes[@]}"; do
		TAG="\"pass\":\"$pass\","
		opt=()
		[ "$pass" = cdev ] && opt=(--cdev)
		run_bench "$pass: irq: vfio MSI -> eventfd, $irq_n interrupts" \
			"${opt[@]}" irq vfio-msi "$edu" "$irq_n"
		run_bench "$pass: control: vfio open to mapped BAR0, $open_n times" \
			"${opt[@]}" open vfio "$edu" "$open_n"
		run_bench "$pass: control: config read, VFIO region and sysfs, $cfg_n each" \
			"${opt[@]}" cfg "$edu" "$cfg_n"
		run_bench "$pass: mmio: VFIO and sysfs BAR0 mappings, $mmio_reps x $mmio_ops ops" \
			"${opt[@]}" mmio "$edu" "$mmio_reps" "$mmio_ops"
	done
	TAG= DRIVER=
fi

# ---- data path: dpdk-testpmd ------------------------------------------------
TESTPMD_PID=
testpmd_stop() {
	[ -n "$TESTPMD_PID" ] || return 0
	proc_stop "$TESTPMD_PID"
	TESTPMD_PID=
}

# periods LOG: one line per complete statistics period of testpmd's
# --stats-period 1 output: "TX-PPS RX-PPS", summed over the ports.  The
# period being printed is left out.
periods() {
	awk '
		/NIC statistics for port/ {
			p = $0; sub(/.*port +/, "", p); sub(/[^0-9].*/, "", p)
			if (p + 0 == 0) n++
			next
		}
		/Tx-pps:/ { for (i = 1; i < NF; i++) if ($i == "Tx-pps:") tx[n] += $(i + 1) }
		/Rx-pps:/ { for (i = 1; i < NF; i++) if ($i == "Rx-pps:") rx[n] += $(i + 1) }
		END { for (i = 1; i < n; i++) printf "%d %d\n", tx[i], rx[i] }' "$1"
}

# window: from the periods on stdin, the measured window: it starts after
# two consecutive periods at or above the floor (traffic is flowing), and
# is invalid, and started again later, if one of its periods falls below a
# quarter of its median.  Prints "first_traffic_period start_period
# TX-PPS..." once WINDOW periods are there, or nothing.
window() {
	awk -v w="$window" -v floor="$floor" '
		{ t[NR] = $1 }
		END {
			first = 0
			for (i = 1; i <= NR; i++) if (t[i] >= floor) { first = i; break }
			if (!first) exit
			s = 0
			for (i = 2; i <= NR; i++) {
				if (s == 0 && t[i - 1] >= floor && t[i] >= floor) s = i + 1
				if (s && i == s + w - 1) {
					n = 0
					for (j = s; j <= i; j++) {
						x = t[j]
						for (k = ++n; k > 1 && v[k - 1] > x; k--) v[k] = v[k - 1]
						v[k] = x
					}
					med = v[int((n + 1) / 2)]
					ok = 1
					for (j = s; j <= i; j++) if (t[j] < med / 4) { ok = 0; last = j }
					if (ok) {
						printf "%d %d", first, s
						for (j = s; j <= i; j++) printf " %d", t[j]
						printf "\n"
						exit
					}
					s = 0	# look for steady traffic again
				}
			}
		}'
}

# dp_run DRIVER MODE BDF...: one testpmd run; records its packet rate.
# DP_NIC names the NIC model when it is not the e1000s' (the nics part).
DP_NIC=
dp_run() {
	local drv=$1 mode=$2 name log extra=() w first start rates end devs=() d
	shift 2
	for d in "$@"; do devs+=(-a "$d"); done
	name="data: $mode, ${DP_NIC:+$DP_NIC, }$drv"
	log=$VM_OUT/testpmd-$mode-${DP_NIC:+$DP_NIC-}$drv.log
	[ "$mode" = io ] && extra=(--tx-first)
	stdbuf -oL -eL dpdk-testpmd -l 0-1 -n 1 --in-memory --iova-mode=pa "${devs[@]}" -- \
		--forward-mode="$mode" --nb-cores=1 --total-num-mbufs=8192 \
		--stats-period 1 "${extra[@]}" </dev/null >"$log" 2>&1 &
	TESTPMD_PID=$!
	end=$((SECONDS + 60 + 3 * window + 30))
	w=
	while [ $SECONDS -lt $end ]; do
		sleep 0.5
		kill -0 "$TESTPMD_PID" 2>/dev/null || break
		w=$(periods "$log" | window)
		[ -n "$w" ] && break
	done
	testpmd_stop
	if [ -z "$w" ]; then
		tap_not_ok "$name" "no steady traffic; last periods (tx rx):" \
			"$(periods "$log" | tail -n 5)" "$(tr -d '\033' < "$log" | grep -iE 'error|fail|cannot' | tail -n 5)"
		return 1
	fi
	read -r first start rates <<< "$w"
	local iova kdrv
	iova=$(sed -n "s/.*Selected IOVA mode '\([A-Z]*\)'.*/\1/p" "$log" | head -n1)
	grep -q 'Using IOMMU type 8' "$log" && kdrv=vfio-noiommu || kdrv=$drv
	record "$(printf '{"test":"dp",%s"driver":"%s","mode":"%s","iova":"%s","path":"%s","first_traffic_s":%d,"window_start_s":%d,"pps":[%s]}' \
		"${DP_NIC:+\"nic\":\"$DP_NIC\",}" "$drv" "$mode" "$iova" "$kdrv" "$first" "$start" "${rates// /,}")"
	tap_ok "$name"
	tap_diag "$name: $(awk '{ s = 0; for (i = 1; i <= NF; i++) s += $i; printf "%.0f", s / NF }' <<< "$rates") pps over $window s (traffic from period $first, window from $start)"
}

if [[ $parts == *" data "* ]]; then
	mapfile -t nics < <(pci_find_all $E1000)
	if [ ${#nics[@]} -lt 2 ]; then
		tap_not_ok "data: two e1000s" "found: ${nics[*]}"
	else
		# Rotate the driver order with the round, so that no driver is
		# always measured first or last.
		n=${#drivers[@]}
		for ((i = 0; i < n; i++)); do
			drv=${drivers[$(( (i + round - 1) % n ))]}
			if [ "$drv" = igb_uio ] && ! load_igb_uio; then
				tap_not_ok "data: load igb_uio" "$PCI_ERROR"
				continue
			fi
			bind_or_report "${nics[0]}" "$drv" "data: bind NIC A to $drv" || continue
			bind_or_report "${nics[1]}" "$drv" "data: bind NIC B to $drv" || continue
			dp_run "$drv" txonly "${nics[0]}"
			dp_run "$drv" io "${nics[0]}" "${nics[1]}"
		done
	fi
fi

# ---- nics: io forwarding on the other NIC models ----------------------------
# io forwarding alone: it is the data path proper, and each testpmd run
# costs half a minute of TCG before traffic flows.  The kernel drivers of
# the NICs (virtio-net here) give them up to pci_bind.
if [[ $parts == *" nics "* ]]; then
	if [ "$round" -gt "$nic_rounds" ]; then
		tap_skip "data: io on each NIC model" "rounds 1 to $nic_rounds only (BENCH_NIC_ROUNDS)"
	else
		udrivers=(vfio-pci)
		[ "$flavour" = series ] && udrivers+=(uio_pci_generic)
		for DP_NIC in $nic_models; do
			mapfile -t pair < <(pci_find_all "${NIC_ID[$DP_NIC]:-none}")
			if [ ${#pair[@]} -lt 2 ]; then
				tap_not_ok "data: two $DP_NIC NICs" "found: ${pair[*]}"
				continue
			fi
			n=${#udrivers[@]}
			for ((i = 0; i < n; i++)); do
				drv=${udrivers[$(( (i + round - 1) % n ))]}
				bind_or_report "${pair[0]}" "$drv" "data: bind $DP_NIC A to $drv" || continue
				bind_or_report "${pair[1]}" "$drv" "data: bind $DP_NIC B to $drv" || continue
				dp_run "$drv" io "${pair[0]}" "${pair[1]}"
			done
		done
		DP_NIC=
	fi
fi

# ---- wake: l3fwd-power woken by the host's frames ---------------------------
# bench/wake-host.py sends the frames and times their way back; l3fwd-power
# routes 1.1.1.0/24 out of its only port, the NIC they came in on.  Each
# wake NIC is NAME=BDF[=VFIO-INTR] in BENCH_WAKE: VFIO-INTR is EAL's
# --vfio-intr for vfio-pci, which a NIC without MSI-X needs (vfio-pci
# lists MSI-X among the device's interrupts with a count of 0, and EAL
# takes it unless told).  The outcome is "woken" when l3fwd-power slept
# and was woken by the port's interrupt, "polling" when it runs without
# the interrupt (RX interrupt won't enable, or it never slept), and
# "refused" when it does not reach its interrupt loop.
if [[ $parts == *" wake "* ]]; then
	. "$VM_TOP/tests/dpdk/lib-dpdk.sh"
	. "$VM_TOP/tests/dpdk/lib-irq.sh"
	wdrivers=(vfio-pci)
	[ "$flavour" = series ] && wdrivers+=(igb_uio)
	[ -x "$L3FWD_POWER" ] || { tap_not_ok "wake: l3fwd-power" "no $L3FWD_POWER (tests/dpdk/build.sh)"; wdrivers=(); }
	for spec in ${BENCH_WAKE:-}; do
		IFS== read -r wnic wake wintr <<< "$spec"
		for drv in "${wdrivers[@]}"; do
			name="wake: l3fwd-power --interrupt-only, $wnic, $drv"
			if [ "$drv" = igb_uio ] && ! load_igb_uio; then
				tap_not_ok "$name" "$PCI_ERROR"
				continue
			fi
			bind_or_report "$wake" "$drv" "$name: bind" || continue
			wlog=$VM_OUT/l3fwd-power-wake-$wnic-$drv.log
			intr=()
			[ "$drv" = vfio-pci ] && [ -n "$wintr" ] && intr=(--vfio-intr="$wintr")
			app_start "$wlog" "$L3FWD_POWER" -l 0 -n 1 --in-memory --iova-mode=pa "${intr[@]}" \
				--file-prefix "wake-$wnic-$drv" -a "$wake" -- \
				-p 0x1 --config "(0,0,0)" --interrupt-only --parse-ptype
			tag="\"test\":\"wake\",\"nic\":\"$wnic\",\"driver\":\"$drv\""
			if ! app_wait_log "$wlog" 0 'entering main interrupt loop' 120; then
				why=$(grep -E 'Cause:|not supported|rror' "$wlog" | tail -n 3 | cut -d' ' -f2- |
					tr -d '"\\' | paste -sd';')
				app_stop
				record "{$tag,\"outcome\":\"refused\",\"why\":\"$why\"}"
				tap_ok "$name: refused (${why:-no interrupt loop within 120 s})"
				continue
			fi
			# Asleep before the first frame.
			sleep 2
			w0=$(grep -c 'waked up from rx interrupt' "$wlog")
			vm_signal "wake-go-$wnic-$drv"
			if vm_wait "wake-done-$wnic-$drv" 600 && [ -s "$VM_OUT/wake-$wnic-$drv.json" ]; then
				app_stop
				wakeups=$(( $(grep -c 'waked up from rx interrupt' "$wlog") - w0 ))
				outcome=woken
				if [ "$wakeups" -le 0 ] || grep -q "RX interrupt won't enable" "$wlog"; then
					outcome=polling
				fi
				res=$(cat "$VM_OUT/wake-$wnic-$drv.json")
				record "{$tag,\"outcome\":\"$outcome\",\"wakeups\":$wakeups,${res#\{}"
				tap_ok "$name"
				tap_diag "$name: $outcome ($wakeups wake-ups), $(python3 -c 'import json,statistics,sys
x = json.load(open(sys.argv[1])); v = [r for r in x["rtt_us"] if r is not None]
print("%d of %d back, median %.0f us" % (len(v), x["frames"], statistics.median(v) if v else 0))' "$VM_OUT/wake-$wnic-$drv.json")"
			else
				app_stop
				tap_not_ok "$name" "no result from bench/wake-host.py (host-cmd.log)"
			fi
		done
	done
fi

# bench/wake-host.py, where it runs, waits for this.
vm_signal wake-end
tap_done
