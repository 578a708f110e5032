# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Guest-side helpers shared by the DPDK scenarios (guest-txonly.sh,
# guest-iofwd.sh).  Sourced after vm/guest-lib.sh, inside the test VM.
#
# (flavour_init and tap_feature, for kernels with and without no-IOMMU
# mode, are vm/guest-lib.sh's.)
#
#   dpdk_bind BDF...             dpdk-devbind.py -b vfio-pci BDF...; succeeds
#                                if vfio-pci is the driver of each afterwards;
#                                BIND_WHY says what happened either way
#   testpmd_start LOG DEV... -- APP-ARG...
#                                start dpdk-testpmd in the background (EAL:
#                                DPDK_EAL, 2 lcores, --in-memory,
#                                --iova-mode=pa, the given devices) with
#                                line-buffered output in LOG and
#                                --stats-period 1; TESTPMD_PID
#   testpmd_start_interactive LOG DEV... -- APP-ARG...
#                                the same with testpmd's prompt (-i) instead
#                                of periodic statistics, reading the
#                                commands testpmd_cmd gives it
#   testpmd_cmd COMMAND...       one command line to the interactive testpmd
#   testpmd_wait_forwarding LOG SECS
#                                wait until testpmd says forwarding started;
#                                fails if it exits or SECS pass first
#   testpmd_wait_log LOG FROM ERE SECS
#                                wait until a line of LOG after its first
#                                FROM lines matches ERE; fails if testpmd
#                                exits or SECS pass first
#   wait_log LOG FROM ERE SECS PID
#                                the same for the program PID
#   testpmd_stat LOG KIND PORT FIELD
#                                last value of FIELD (RX-packets, TX-packets,
#                                ...) of PORT in the "NIC" (periodic) or
#                                "Forward" (at exit) statistics of LOG
#   testpmd_when LOG ERE         seconds from testpmd's start to the first
#                                line of LOG matching ERE (lines are stamped)
#   testpmd_first_tx LOG PORT    seconds from testpmd's start to the first
#                                periodic statistics with TX-packets > 0
#   testpmd_stop                 SIGINT, as Ctrl-C would (the interactive
#                                one: "quit" first); testpmd prints its
#                                forward statistics, closes the ports and
#                                exits; killed after 30 s
#   now_ms                       guest monotonic-enough clock in ms
#   host_result FILE KEY         value of KEY=... in a result file the host
#                                side wrote into $VM_OUT
#   tap_not_run WHY NAME...       each test NAME as failed, "not run: WHY"
#                                (TAP TODO where the feature is absent)
#   dpdk_nics_by_mac ID MAC...   the PCI addresses of the NICs of vendor:device
#                                ID with these MACs, in that order, in NICS
#                                (while their kernel driver shows the MAC);
#                                fails, saying why in NICS_WHY, if one is missing

DPDK_EAL=(-l 0-1 -n 1 --in-memory --iova-mode=pa)

now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }

BIND_WHY=
dpdk_bind() {
	local out bdf drv err bad=0
	# dpdk-devbind.py binds only to a loaded driver: load vfio-pci first
	# on a modular kernel, as the DPDK guide says.
	err=$(vfio_pci_load) || { BIND_WHY=$err; return 1; }
	out=$(dpdk-devbind.py -b vfio-pci "$@" 2>&1 | grep -v 'libkmod')
	out=${out//$'\n'/ / }
	BIND_WHY=
	for bdf in "$@"; do
		drv=$(pci_driver "$bdf")
		if [ "$drv" = vfio-pci ]; then
			BIND_WHY+="$bdf bound to vfio-pci; "
			continue
		fi
		bad=1
		# dpdk-devbind.py exits 0 even when the kernel refuses the
		# bind: it prints an error and gives the device back to its
		# old driver.
		BIND_WHY+="$bdf: driver now ${drv:-none}"
		err=$(pci_probe_error "$bdf")
		[ -n "$err" ] && BIND_WHY+=", vfio-pci probe failed with $err"
		BIND_WHY+="; "
	done
	[ $bad = 1 ] && BIND_WHY="devbind refused: ${out:-no message}; $BIND_WHY"
	BIND_WHY=${BIND_WHY%; }
	return $bad
}

TESTPMD_PID= TESTPMD_T0= TESTPMD_IN=
testpmd_start() {
	testpmd_launch /dev/null "$@" --stats-period 1
}

testpmd_start_interactive() {
	rm -f /tmp/testpmd.in
	mkfifo /tmp/testpmd.in
	# Opened read-write: neither this open nor testpmd's blocks, and
	# testpmd's input does not end while this shell holds it.
	exec {TESTPMD_IN}<>/tmp/testpmd.in
	testpmd_launch /tmp/testpmd.in "$@" -i
}

testpmd_cmd() {
	printf '%s\n' "$*" >&"$TESTPMD_IN"
}

# testpmd_launch INPUT LOG DEV... -- APP-ARG...: testpmd_start's work, with
# testpmd's standard input from INPUT.
testpmd_launch() {
	local in=$1 log=$2 devs=()
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		devs+=(-a "$1")
		shift
	done
	[ "${1:-}" = -- ] && shift
	echo "+ dpdk-testpmd ${DPDK_EAL[*]} ${devs[*]} -- $*" > "$log"
	TESTPMD_T0=$(now_ms)
	# Every line gets the seconds since the start, "[12.345] ...",
	# through a FIFO, so that $! is testpmd's own PID for the signal that
	# stops it (the guest has no /dev/fd for a process substitution).
	rm -f /tmp/testpmd.fifo
	mkfifo /tmp/testpmd.fifo
	stamp_lines "$TESTPMD_T0" < /tmp/testpmd.fifo >> "$log" &
	stdbuf -oL -eL dpdk-testpmd "${DPDK_EAL[@]}" "${devs[@]}" -- \
		"$@" <"$in" >/tmp/testpmd.fifo 2>&1 &
	TESTPMD_PID=$!
}

stamp_lines() {
	local t0=$1 l t
	while IFS= read -r l; do
		t=${EPOCHREALTIME/./}	# no $(now_ms): a fork per line is slow here
		t=$(( t / 1000 - t0 ))
		printf '[%d.%03d] %s\n' $((t / 1000)) $((t % 1000)) "${l//$'\033'/}"
	done
}

# testpmd_when LOG ERE: the stamp (seconds) of LOG's first line matching ERE.
testpmd_when() {
	grep -m1 -E "$2" "$1" | sed -n 's/^\[\([0-9.]*\)\].*/\1/p'
}

# testpmd_first_tx LOG PORT: the stamp of the first periodic statistics
# showing PORT's TX-packets above 0.
testpmd_first_tx() {
	awk -v port="$2" '
		/NIC statistics for port/ { p = $0; sub(/.*port +/, "", p); sub(/[^0-9].*/, "", p); cur = (p == port); next }
		cur && /TX-packets:/ {
			for (i = 1; i < NF; i++) if ($i == "TX-packets:" && $(i + 1) > 0) {
				t = $1; gsub(/[][]/, "", t); print t; exit
			}
		}' "$1"
}

testpmd_wait_forwarding() {
	testpmd_wait_log "$1" 0 'packet forwarding - ports=' "$2"
}

testpmd_wait_log() {
	wait_log "$1" "$2" "$3" "$4" "$TESTPMD_PID"
}

wait_log() {
	local log=$1 from=$2 ere=$3 end=$((SECONDS + $4)) pid=$5
	until tail -n +"$((from + 1))" "$log" 2>/dev/null | grep -qE -e "$ere"; do
		kill -0 "$pid" 2>/dev/null || return 1
		[ $SECONDS -ge $end ] && return 1
		sleep 0.2
	done
}

testpmd_stat() {
	awk -v kind="$2" -v port="$3" -v field="$4" '
		{ sub(/^\[[0-9.]+\] /, "") }
		/statistics for port/ {
			k = ($0 ~ /NIC statistics/) ? "NIC" : ($0 ~ /Forward statistics/) ? "Forward" : ""
			p = $0; sub(/.*statistics for port +/, "", p); sub(/[^0-9].*/, "", p)
			cur = (k == kind && p == port)
			next
		}
		/^ *#+ *$|^ *-+ *$|Accumulated/ { cur = 0 }
		cur {
			for (i = 1; i < NF; i++)
				if ($i == field ":") val = $(i + 1)
		}
		END { if (val != "") print val }' "$1"
}

testpmd_stop() {
	local i
	[ -n "$TESTPMD_PID" ] || return 0
	if [ -n "$TESTPMD_IN" ]; then
		testpmd_cmd quit
		for ((i = 0; i < 150; i++)); do
			kill -0 "$TESTPMD_PID" 2>/dev/null || break
			sleep 0.2
		done
		exec {TESTPMD_IN}>&-
		TESTPMD_IN=
	fi
	proc_stop "$TESTPMD_PID"
	wait	# the line stamper, done at the FIFO's end
	TESTPMD_PID=
}

host_result() {
	sed -n "s/^$2=//p" "$1" 2>/dev/null | tail -n 1
}

NICS=() NICS_WHY=
dpdk_nics_by_mac() {
	local id=$1 mac bdf found have=
	shift
	NICS=()
	for mac in "$@"; do
		found=
		for bdf in $(pci_find_all "$id"); do
			[ "$(cat /sys/bus/pci/devices/"$bdf"/net/*/address 2>/dev/null)" = "$mac" ] &&
				found=$bdf
		done
		[ -n "$found" ] || break
		NICS+=("$found")
	done
	[ ${#NICS[@]} = $# ] && return 0
	for bdf in $(pci_find_all "$id"); do
		have+="$bdf=$(cat /sys/bus/pci/devices/"$bdf"/net/*/address 2>/dev/null) "
	done
	NICS_WHY="need $id NICs with MACs $*; have: ${have:-none}"
	return 1
}

tap_not_run() {
	local why=$1 name
	shift
	for name in "$@"; do
		tap_feature 1 0 "$name" "not run: $why"
	done
}
