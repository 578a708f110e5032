#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The results of in-kernel KUnit suites, as TAP: one line per test case.
# Runs in the test VM on a kernel built with CONFIG_KUNIT_DEBUGFS and booted
# with kunit.enable=1, so that the built-in suites ran at boot:
#
#	vm/run-vm.sh -k IMAGE -o OUT --append kunit.enable=1 -- $0 \
#		[-m MODULE]... SUITE...
#
# The suites of a module run as it loads: -m MODULE loads MODULE first
# (modprobe, as a user would) unless it is built in or loaded already.
# Each SUITE must have run: a suite missing from
# /sys/kernel/debug/kunit is a failure, not a skip.  A case KUnit skipped
# is reported as skipped, with KUnit's reason.

. "${VM_LIB:-$(dirname "$(realpath "$0")")/../../vm/guest-lib.sh}"

mods=()
while [ "${1:-}" = -m ] && [ $# -ge 2 ]; do
	mods+=("$2")
	shift 2
done
[ $# -gt 0 ] || { echo "Bail out! usage: $0 [-m MODULE]... SUITE..."; exit 2; }
dir=/sys/kernel/debug/kunit

# /sys/module/M is there for a module loaded or built in (with parameters,
# as vfio has); otherwise M is loaded now.  A failure is no verdict of its
# own: the suites it holds are then missing, which fails.
for m in "${mods[@]}"; do
	[ -e "/sys/module/$m" ] && continue
	if out=$(modprobe "$m" 2>&1); then
		tap_diag "modprobe $m: loaded"
	else
		tap_diag "modprobe $m: failed: $out"
	fi
done

for suite in "$@"; do
	res=$dir/$suite/results
	if [ ! -r "$res" ]; then
		tap_not_ok "$suite" "no $res: suite not built (or its module not loaded), or kunit.enable=1 missing"
		continue
	fi
	n=0
	# KTAP: the cases are the indented "ok N name" lines of the suite.
	while IFS= read -r line; do
		case "$line" in
		[[:space:]]*"ok "[0-9]*|[[:space:]]*"not ok "[0-9]*) ;;
		*) continue ;;
		esac
		line=${line#"${line%%[![:space:]]*}"}
		status=${line%% [0-9]*}
		rest=${line#"$status" [0-9]* }
		name=${rest%% # *} why=
		[ "$name" != "$rest" ] && why=${rest#* # }
		n=$((n + 1))
		case "$status:$why" in
		"ok:SKIP"*)	tap_skip "$suite: $name" "${why#SKIP }" ;;
		"ok:"*)		tap_ok "$suite: $name" ;;
		*)		tap_not_ok "$suite: $name" "$why" ;;
		esac
	done < <(grep -E '^[[:space:]]+(not )?ok [0-9]+ ' "$res")
	[ $n -gt 0 ] || tap_not_ok "$suite" "no test cases in $res"
	sed 's/^/# /' "$res"
done
tap_done
