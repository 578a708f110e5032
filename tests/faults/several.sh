#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Several reliability scenarios in one VM, as one TAP stream, to pay for
# one boot of the (slow) debug kernel instead of one each:
#
#	vm/run-vm.sh ... -- $0 SCENARIO[:ARG,ARG...]... [-- COMMAND...]
#
# Each SCENARIO (a script in tests/faults, or a path) runs in turn; its
# tests are renumbered and named "SCENARIO: TEST".  A scenario that bails
# out or exits non-zero without a failing test adds a failing test of its
# own.  The scenarios skip their own kmemleak scans (FAULTS_NESTED, see
# lib.sh); one scan at the end covers them all, as a last test.
#
# COMMAND (after "--"), if given, runs first in the same way, with its
# TAP passed through under its own name: e.g. tests/scenarios/selftests.sh
# to add a kmemleak scan after the kselftests.
#
# Nothing of VFIO is loaded here: each scenario loads what it needs (the
# faults scenarios through faults_init), and tests/scenarios/modules.sh
# starts from VFIO unloaded.

. "${VM_LIB:-$(dirname "$(realpath "$0")")/../../vm/guest-lib.sh}"
here=$(dirname "$(realpath "$0")")
. "$here/lib.sh"

faults_baseline
export FAULTS_NESTED=1

# run NAME CMD...: run CMD, re-emit its TAP under NAME.
run() {
	local name=$1 line status rest dir n=0 failed=0 bailed= rc pid t0=$SECONDS
	shift
	tap_diag "---- $name: $*"
	# (no process substitution: the guest has no /dev/fd)
	rm -f "$tmp/fifo"
	mkfifo "$tmp/fifo"
	"$@" > "$tmp/fifo" 2>&1 &
	pid=$!
	while IFS= read -r line; do
		case "$line" in
		"ok "[0-9]*|"not ok "[0-9]*)
			status=ok
			[[ $line == not* ]] && status="not ok"
			rest=${line#"$status" }
			rest=${rest#* }			# the number
			rest=${rest#- }
			n=$((n + 1))
			TAP_N=$((TAP_N + 1))
			dir=
			case "$rest" in
			*" # SKIP"*|*" # skip"*) dir=skip ;;
			*" # TODO"*|*" # todo"*) dir=todo ;;
			esac
			case "$status/$dir" in
			ok/skip) TAP_SKIP=$((TAP_SKIP + 1)) ;;
			ok/todo) TAP_FAIL=$((TAP_FAIL + 1)); failed=1 ;;
			ok/) TAP_PASS=$((TAP_PASS + 1)) ;;
			"not ok/todo") TAP_TODO=$((TAP_TODO + 1)) ;;
			*) TAP_FAIL=$((TAP_FAIL + 1)); failed=1 ;;
			esac
			echo "$status $TAP_N - $name: $rest" ;;
		"Bail out!"*)
			bailed=${line#Bail out!} ;;
		1..[0-9]*) ;;
		*) echo "$line" ;;
		esac
	done < "$tmp/fifo"
	wait $pid
	rc=$?
	if [ -n "$bailed" ]; then
		tap_not_ok "$name: bailed out" "$bailed"
	elif [ "$rc" != 0 ] && [ $failed = 0 ]; then
		tap_not_ok "$name: exit code" "exit $rc without a failing test"
	elif [ $n = 0 ]; then
		tap_not_ok "$name: no results" "exit $rc"
	fi
	tap_diag "---- $name: $((SECONDS - t0)) s"
	record scenario "$name $((SECONDS - t0))"
}

tmp=$(mktemp -d)
scen=()
cmd=()
while [ $# -gt 0 ]; do
	if [ "$1" = -- ]; then
		shift
		cmd=("$@")
		break
	fi
	scen+=("$1")
	shift
done
if [ ${#cmd[@]} -gt 0 ]; then
	run "$(basename "${cmd[0]}" .sh)" "${cmd[@]}"
fi
for s in "${scen[@]}"; do
	file=${s%%:*} args=()
	[ "$file" != "$s" ] && IFS=, read -ra args <<< "${s#*:}"
	[ -f "$file" ] || file=$here/$file.sh
	run "$(basename "$file" .sh)" "$file" "${args[@]}"
done
rm -rf "$tmp"
unset FAULTS_NESTED
kmemleak_check "kmemleak: no leaks after all of the above"
tap_done
