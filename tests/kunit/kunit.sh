#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The results of in-kernel KUnit suites, as TAP: one line per test case.
# Runs in the test VM on a kernel built with CONFIG_KUNIT_DEBUGFS and booted
# with kunit.enable=1, so that the built-in suites ran at boot:
#
#	vm/run-vm.sh -k IMAGE -o OUT --append kunit.enable=1 -- $0 SUITE...
#
# Each SUITE must have run: a suite missing from
# /sys/kernel/debug/kunit is a failure, not a skip.  A case KUnit skipped
# is reported as skipped, with KUnit's reason.

. "${VM_LIB:-$(dirname "$(realpath "$0")")/../../vm/guest-lib.sh}"

[ $# -gt 0 ] || { echo "Bail out! usage: $0 SUITE..."; exit 2; }
dir=/sys/kernel/debug/kunit

for suite in "$@"; do
	res=$dir/$suite/results
	if [ ! -r "$res" ]; then
		tap_not_ok "$suite" "no $res: suite not built in, or kunit.enable=1 missing"
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
