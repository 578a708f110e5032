# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Guest-side helpers of the interrupt phase of the NIC matrix
# (guest-nics.sh): DPDK's examples l3fwd-power and link_status_interrupt,
# built by tests/dpdk/build.sh, and the kernel's interrupt counts of a
# device.  Sourced after vm/guest-lib.sh and lib-dpdk.sh.
#
#   app_start LOG PROG ARG...    start PROG (a path) in the background with
#                                line-buffered output, each line stamped
#                                with the seconds since its start, in LOG;
#                                APP_PID (its PID); several may run at once
#   app_wait_log LOG FROM ERE SECS [PID]
#                                wait until a line of LOG after its first
#                                FROM lines matches ERE; fails if the
#                                program (APP_PID, or PID) exits or SECS
#                                pass first
#   app_stop [SIGNAL [PID]]      stop it (or the one started as PID) with
#                                SIGNAL (default INT, on which
#                                l3fwd-power closes its ports and exits;
#                                link_status_interrupt has no handler, and
#                                a background job of a script ignores
#                                SIGINT: TERM), SIGKILL after 30 s
#   irq_snap FILE                /proc/interrupts into FILE
#   irq_vfio SNAP BDF            "NAME=COUNT ..." of BDF's vfio interrupts
#                                in the snapshot (vfio-msix[0]=12 ...),
#                                counts summed over the CPUs
#   irq_total SNAP BDF           the sum of those counts (0 if none)
#   irq_moved SNAP1 SNAP2 BDF    "NAME +DELTA ..." of the lines that moved
#   irq_line SNAP IRQ            "COUNT CHIP NAME" of line IRQ (an INTx)
#   log_lines LOG                the number of lines of LOG

EXAMPLES=${DPDK_EXAMPLES:-$VM_TOP/build/dpdk-examples}
L3FWD_POWER=$EXAMPLES/l3fwd-power/build/l3fwd-power
LINK_STATUS=$EXAMPLES/link_status_interrupt/build/link_status_interrupt

APP_PID=
declare -A APP_STAMPER
app_start() {
	local log=$1 prog=$2 t0 fifo=/tmp/app-${1##*/}.fifo stamper
	shift 2
	echo "+ ${prog##*/} $*" > "$log"
	t0=$(now_ms)
	# Stamped through a FIFO, as testpmd's output (lib-dpdk.sh), so that
	# $! is the program's own PID.
	rm -f "$fifo"
	mkfifo "$fifo"
	stamp_lines "$t0" < "$fifo" >> "$log" &
	stamper=$!
	stdbuf -oL -eL "$prog" "$@" </dev/null >"$fifo" 2>&1 &
	APP_PID=$!
	APP_STAMPER[$APP_PID]=$stamper
}

app_wait_log() {
	wait_log "$1" "$2" "$3" "$4" "${5:-$APP_PID}"
}

app_stop() {
	local i pid=${2:-$APP_PID}
	[ -n "$pid" ] || return 0
	kill -"${1:-INT}" "$pid" 2>/dev/null
	# (bash's builtin sleep is not there: each round forks, and the
	# guest forks slowly while an lcore spins)
	for ((i = 0; i < 60; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	kill -KILL "$pid" 2>/dev/null
	# the program, and its line stamper, done at the FIFO's end
	wait "$pid" "${APP_STAMPER[$pid]}" 2>/dev/null
	unset "APP_STAMPER[$pid]"
	[ "$pid" = "$APP_PID" ] && APP_PID=
	return 0
}

irq_snap() {
	local l
	# Builtins alone: no fork, which takes seconds while an lcore spins.
	mapfile -t l < /proc/interrupts
	printf '%s\n' "${l[@]}" > "$1"
}

irq_vfio() {
	awk -v dev="($2)" '
		NR == 1 { ncpu = NF; next }
		index($NF, dev) && $NF ~ /^vfio-/ {
			n = 0
			for (i = 2; i <= ncpu + 1; i++) n += $i
			name = $NF; sub(/\(.*/, "", name)
			printf "%s%s=%d", sep, name, n; sep = " "
		}
		END { print "" }' "$1"
}

irq_total() {
	irq_vfio "$1" "$2" | tr ' ' '\n' | awk -F= '{ n += $2 } END { print n + 0 }'
}

irq_moved() {
	local a b
	a=$(irq_vfio "$1" "$3") b=$(irq_vfio "$2" "$3")
	awk -v a="$a" -v b="$b" 'BEGIN {
		n = split(a, x, " ")
		for (i = 1; i <= n; i++) { split(x[i], kv, "="); was[kv[1]] = kv[2] }
		n = split(b, y, " ")
		for (i = 1; i <= n; i++) {
			split(y[i], kv, "=")
			if (kv[2] != was[kv[1]] + 0) { printf "%s%s +%d", sep, kv[1], kv[2] - was[kv[1]]; sep = " " }
		}
		print ""
	}'
}

irq_line() {
	awk -v irq="$2:" '
		NR == 1 { ncpu = NF; next }
		$1 == irq {
			n = 0
			for (i = 2; i <= ncpu + 1; i++) n += $i
			rest = ""
			for (i = ncpu + 2; i <= NF; i++) rest = rest " " $i
			print n rest
		}' "$1"
}

log_lines() {
	wc -l < "$1"
}
