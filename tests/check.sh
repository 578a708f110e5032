#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run every test suite on the kernels and print one table.
#
#   tests/check.sh [-k KERNELS] [-s GLOB]... [-o DIR] [-i DIR] [-v] [-l]
#
# Suites come from tests/suites (and tests/*/suites), expectations from
# tests/expect (and tests/*/expect); both files describe their format.
# Each suite runs in its own VM (vm/run-vm.sh), one after the other, on the
# kernels its line names: series, upstream, base, modular, cdev and debug.
# cdev is the series with the VFIO device cdev alone (VFIO_GROUP=n,
# config/cdev.config), judged by the series column of tests/expect.  debug
# is the series kernel with the kernel's checkers on (config/debug.config:
# KASAN, UBSAN, lockdep, kmemleak, ...), where the reliability suites run
# (tests/faults, tests/fuzz); like modular it is judged by the series
# column of tests/expect.  Helpers of the suites are built first by
# tests/*/build.sh.  debian is Debian's own kernel, unmodified, with and
# without the modules of vfio-noiommu-dkms (tests/debian/suites; "make
# debian-kernel" prepares build/debian): its stock runs report the missing
# feature as TAP TODO, its runs with our modules are judged by the series
# column; its suites name their kernel image and initramfs themselves.
# The table has one row per test and a cell per kernel:
#
#	pass           passed, as expected
#	expected-fail  failed, as expected (TAP TODO, or "fail" in tests/expect)
#	skip           skipped (TAP SKIP)
#	n.a.           not run or not judged on this kernel by design
#	FAIL           failed
#	FAIL:xpass     passed where a failure was expected
#	missing        the suite ran but did not report this test (fails)
#	not run        the kernel image is missing (fails)
#
# Before the last line comes a short reliability summary, measured in this
# run: suites and scenarios run on the debug kernel, the fuzzer's
# iterations and seed, kernel splats and kmemleak leaks found in all runs,
# and the figures of the build matrix (build/matrix/summary.txt) when it
# was written during this "make check".
#
# The last line is "N passed, N failed, N skipped"; the exit status is 0
# only when nothing failed.  Results, logs and the table are kept in DIR
# (default build/check): DIR/KERNEL/SUITE/ holds each run's files.

set -u

here=$(dirname "$(realpath "$0")")
top=$(dirname "$here")
. "$top/scripts/lib.sh"
cd "$top" || exit 2

ALL_KERNELS=(series upstream base modular cdev debug debian)

usage() {
	cat <<EOF
usage: $0 [-k KERNELS] [-s GLOB]... [-o DIR] [-i DIR] [-v] [-l]
  -k, --kernels LIST  comma-separated kernels to run (default: series,upstream,base,modular,cdev,debug,debian)
  -s, --suite GLOB    run only suites whose name matches GLOB (repeatable)
  -o, --out DIR       results directory (default: build/check)
  -i, --images DIR    kernels are DIR/KERNEL/arch/x86/boot/bzImage (default: build/out)
  -v, --verbose       show each guest console as it comes
  -l, --list          list the suites and exit
Environment: VM_KVM=1 runs the VMs with KVM instead of TCG.
EOF
}

kernels=("${ALL_KERNELS[@]}") suite_globs=() out=build/check images=build/out
verbose=0 list=0
while [ $# -gt 0 ]; do
	case "$1" in
	-k|--kernels) [ $# -ge 2 ] || { usage >&2; exit 2; }
		IFS=, read -ra kernels <<< "$2"; shift ;;
	-s|--suite) [ $# -ge 2 ] || { usage >&2; exit 2; }
		suite_globs+=("$2"); shift ;;
	-o|--out) [ $# -ge 2 ] || { usage >&2; exit 2; }
		out=$2; shift ;;
	-i|--images) [ $# -ge 2 ] || { usage >&2; exit 2; }
		images=$2; shift ;;
	-v|--verbose) verbose=1 ;;
	-l|--list) list=1 ;;
	-h|--help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
	shift
done
for k in "${kernels[@]}"; do
	case " ${ALL_KERNELS[*]} " in
	*" $k "*) ;;
	*) echo "check: unknown kernel $k (series, upstream, base, modular, cdev, debug, debian)" >&2; exit 2 ;;
	esac
done

# words STRING: split STRING into the array WORDS like xargs does: at
# blanks, with '...' and "..." quoting and no expansion.
words() {
	WORDS=()
	local w
	while IFS= read -r -d '' w; do
		WORDS+=("$w")
	done < <(printf '%s\n' "$1" | xargs -r printf '%s\0')
}

# ---- Suites -------------------------------------------------------------
S_NAME=() S_KERNELS=() S_CMD=() S_FILE=()
for f in tests/suites tests/*/suites; do
	[ -f "$f" ] || continue
	n=0
	while IFS= read -r line || [ -n "$line" ]; do
		n=$((n + 1))
		case "$line" in ''|'#'*) continue ;; esac
		read -r name ks rest <<< "$line"
		[ -n "$rest" ] || { echo "check: $f:$n: want NAME KERNELS OPTIONS -- SCENARIO" >&2; exit 2; }
		case "$name" in
		*[!A-Za-z0-9._-]*) echo "check: $f:$n: bad suite name $name" >&2; exit 2 ;;
		esac
		[ "$ks" = all ] && ks=series,upstream,base
		for s in "${S_NAME[@]}"; do
			[ "$s" = "$name" ] && { echo "check: $f:$n: suite $name defined twice" >&2; exit 2; }
		done
		S_NAME+=("$name") S_KERNELS+=(",$ks,") S_CMD+=("$rest") S_FILE+=("$f:$n")
	done < "$f"
done

selected() {
	local g
	[ ${#suite_globs[@]} = 0 ] && return 0
	for g in "${suite_globs[@]}"; do
		# shellcheck disable=SC2053
		[[ $1 == $g ]] && return 0
	done
	return 1
}

if [ $list = 1 ]; then
	for i in "${!S_NAME[@]}"; do
		printf '%-20s %-24s %s\n' "${S_NAME[i]}" "${S_KERNELS[i]//,/ }" "${S_CMD[i]}"
	done
	exit 0
fi

# ---- Expectations -------------------------------------------------------
X_S=() X_U=() X_B=() X_GLOB=()
for f in tests/expect tests/*/expect; do
	[ -f "$f" ] || continue
	n=0
	while IFS= read -r line || [ -n "$line" ]; do
		n=$((n + 1))
		case "$line" in ''|'#'*) continue ;; esac
		read -r s u b glob <<< "$line"
		for v in "$s" "$u" "$b"; do
			case "$v" in
			pass|fail|n.a.) ;;
			*) echo "check: $f:$n: '$v' is not pass, fail or n.a." >&2; exit 2 ;;
			esac
		done
		[ -n "$glob" ] || { echo "check: $f:$n: no pattern" >&2; exit 2; }
		X_S+=("$s") X_U+=("$u") X_B+=("$b") X_GLOB+=("$glob")
	done < "$f"
done

# expected KERNEL ROW: print pass, fail or n.a.
expected() {
	local k=$1 row=$2 i e=pass
	for i in "${!X_GLOB[@]}"; do
		# shellcheck disable=SC2053
		[[ $row == ${X_GLOB[i]} ]] || continue
		case "$k" in
		series|modular|cdev|debug|debian) e=${X_S[i]} ;;
		upstream) e=${X_U[i]} ;;
		base) e=${X_B[i]} ;;
		esac
	done
	echo "$e"
}

# ---- Results ------------------------------------------------------------
# ROWS: "SUITE/TEST" in the order first seen.  RES[KERNEL|ROW]: ok, notok,
# skip, todo-ok or todo-notok.  WHY[KERNEL|ROW]: a short reason.
ROWS=()
declare -A SEEN RES WHY MISSING_IMAGE

add_row() {
	[ -n "${SEEN[$1]:-}" ] && return
	SEEN[$1]=1
	ROWS+=("$1")
}

# collect KERNEL SUITE DIR RC: read a run's TAP output and VM status.
collect() {
	local k=$1 suite=$2 dir=$3 rc=$4 status kind a b c n=0 plan= bail= skipall=
	local -A dup
	status=$(cat "$dir/status" 2>/dev/null || echo "no status")
	add_row "$suite/(vm)"
	while IFS=$'\t' read -r kind a b c; do
		case "$kind" in
		T)	n=$((n + 1))
			local name=$b
			dup[$name]=$(( ${dup[$name]:-0} + 1 ))
			[ "${dup[$name]}" -gt 1 ] && name="$name (${dup[$name]})"
			add_row "$suite/$name"
			RES["$k|$suite/$name"]=$a WHY["$k|$suite/$name"]=$c ;;
		P)	plan=$a skipall=$b ;;
		B)	bail=$a ;;
		esac
	done < <(tr -d '\r' < "$dir/scenario.log" 2>/dev/null | awk '
		/^1\.\.[0-9]+/ {
			n = $0; sub(/^1\.\./, "", n); sub(/[^0-9].*/, "", n)
			why = ""
			if (match($0, /#[ \t]*[Ss][Kk][Ii][Pp]/)) why = substr($0, RSTART + RLENGTH)
			printf "P\t%s\t%s\n", n, why
			next
		}
		/^Bail out!/ { printf "B\t%s\n", substr($0, 10); next }
		/^(not )?ok([ \t]|$)/ {
			res = ($0 ~ /^not /) ? "notok" : "ok"
			s = $0
			sub(/^(not )?ok[ \t]*/, "", s)
			sub(/^[0-9]+[ \t]*/, "", s)
			sub(/^-[ \t]*/, "", s)
			dir = ""; why = ""
			if (match(s, /[ \t]#[ \t]*([Ss][Kk][Ii][Pp]|[Tt][Oo][Dd][Oo])/)) {
				d = substr(s, RSTART, RLENGTH); why = substr(s, RSTART + RLENGTH)
				s = substr(s, 1, RSTART - 1)
				dir = (d ~ /[Ss][Kk][Ii][Pp]/) ? "skip" : "todo"
			}
			sub(/[ \t]+$/, "", s); sub(/^[ \t]+/, "", why)
			if (s == "") s = "(unnamed)"
			if (dir == "skip") res = "skip"
			else if (dir == "todo") res = "todo-" res
			printf "T\t%s\t%s\t%s\n", res, s, why
		}')

	local vres=ok vwhy="$status"
	case "$status" in
	pass|fail)
		if [ -n "$bail" ]; then
			vres=notok vwhy="Bail out!$bail"
		elif [ "$plan" = 0 ] && [ $n = 0 ]; then
			vres=skip vwhy=${skipall:-skipped}
		elif [ $n = 0 ]; then
			[ "$status" = pass ] || vres=notok
			vwhy="no TAP output, scenario exit code $(cat "$dir/exit-code" 2>/dev/null)"
		elif [ -z "$plan" ]; then
			vres=notok vwhy="no TAP plan (scenario ended early?)"
		elif [ "$plan" != $n ]; then
			vres=notok vwhy="plan 1..$plan, $n results"
		fi ;;
	*)	vres=notok
		case "$rc" in
		3) vwhy="timeout" ;;
		4) vwhy="kernel splat: $(head -n1 "$dir/splats" 2>/dev/null)" ;;
		5) vwhy="boot failure, see $dir/console.log" ;;
		*) vwhy="harness error ($status), see $dir" ;;
		esac ;;
	esac
	RES["$k|$suite/(vm)"]=$vres WHY["$k|$suite/(vm)"]=$vwhy
}

# ---- Run ----------------------------------------------------------------
# make check runs the build matrix just before this: CHECK_START, when set,
# is when that "make check" began.
CHECK_START=${CHECK_START:-$(date +%s)}
mkdir -p "$out" || exit 2
out=$(realpath "$out")
for b in tests/*/build.sh; do
	[ -f "$b" ] || continue
	bash "$b" || { echo "check: $b failed" >&2; exit 2; }
done
runs=0
for k in "${kernels[@]}"; do
	for i in "${!S_NAME[@]}"; do
		selected "${S_NAME[i]}" && [[ ${S_KERNELS[i]} == *,$k,* ]] && runs=$((runs + 1))
	done
done
step "check: ${#S_NAME[@]} suites registered, $runs runs on ${kernels[*]}"

run_n=0 RAN=() RUN_SECS=()
for k in "${kernels[@]}"; do
	img=$images/$k/arch/x86/boot/bzImage
	[ "$k" = debian ] && img=build/debian/amd64/vmlinuz
	if [ ! -f "$img" ]; then
		MISSING_IMAGE[$k]="$img does not exist"
		step "check: $k: not run: $img does not exist"
		continue
	fi
	for i in "${!S_NAME[@]}"; do
		suite=${S_NAME[i]}
		selected "$suite" && [[ ${S_KERNELS[i]} == *,$k,* ]] || continue
		run_n=$((run_n + 1))
		words "${S_CMD[i]}"
		dir=$out/$k/$suite
		step "check: [$run_n/$runs] $k: $suite"
		# figures the scenarios leave for the summary: this run's only
		rm -f "$dir"/{reliability,kmemleak-leaks}
		RAN+=("$k/$suite")
		v=(); [ $verbose = 1 ] && v=(-v)
		# A kernel built with modules brings them (scripts/build-kernel.sh).
		m=(); [ -d "$images/$k/mods/lib/modules" ] && m=(--modules "$images/$k/mods")
		t_run=$(date +%s)
		vm/run-vm.sh -k "$img" -o "$dir" -n "$k/$suite" \
			--env KERNEL_FLAVOUR="$k" "${m[@]}" "${v[@]}" "${WORDS[@]}" 2>&1 |
			sed 's/^/    /'
		rc=${PIPESTATUS[0]}
		RUN_SECS+=("$(($(date +%s) - t_run)) $k/$suite")
		collect "$k" "$suite" "$dir" "$rc"
	done
done

# ---- Build matrix -------------------------------------------------------
# scripts/build-matrix.sh ran before this (make check): its TAP, one line
# per patch and configuration built and per patch checkpatch'ed, is a
# series-only suite of the table.
if [[ " ${kernels[*]} " == *" series "* ]] && selected build-matrix; then
	S_NAME+=(build-matrix) S_KERNELS+=(,series,) S_CMD+=(scripts/build-matrix.sh) S_FILE+=(Makefile)
	d=$out/series/build-matrix
	mkdir -p "$d"
	if [ -f build/matrix/results.tap ]; then
		cp build/matrix/results.tap "$d/scenario.log"
		echo pass > "$d/status"
	else
		: > "$d/scenario.log"
		echo "no build/matrix/results.tap" > "$d/status"
	fi
	collect series build-matrix "$d" 0
fi

# ---- Benchmark smoke run ------------------------------------------------
# bench/run.sh needs three kernels and host-side builds, so it is no suite
# line: it runs one short round on series, upstream and modular, and each
# VM's TAP (one test per part that produced numbers) lands in its
# kernel's column.  The modular VM runs other parts (the device cdev's
# rows): they are rows of their own, bench-smoke-cdev.
if selected bench-smoke && [[ " ${kernels[*]} " == *" series "* ]]; then
	S_NAME+=(bench-smoke bench-smoke-cdev) S_KERNELS+=(",series,upstream," ",modular,")
	S_CMD+=("bench/run.sh --smoke" "bench/run.sh --smoke") S_FILE+=(bench bench)
	step "check: bench-smoke"
	t_run=$(date +%s)
	bench/run.sh --smoke -o "$out/bench-smoke" 2>&1 | sed 's/^/    /'
	RUN_SECS+=("$(($(date +%s) - t_run)) bench-smoke")
	for k in series upstream modular; do
		[[ " ${kernels[*]} " == *" $k "* ]] || continue
		suite=bench-smoke
		[ $k = modular ] && suite=bench-smoke-cdev
		d=$out/bench-smoke/runs/r1-$k
		case $(cat "$d/status" 2>/dev/null) in
		pass) rc=0 ;; fail) rc=1 ;; timeout) rc=3 ;; splat) rc=4 ;; *) rc=5 ;;
		esac
		RAN+=("bench-smoke/runs/r1-$k")
		collect "$k" "$suite" "$d" "$rc"
	done
fi

# ---- Reliability summary ------------------------------------------------
# From the files the runs of this check left: DIR/KERNEL/SUITE/splats (the
# harness), kmemleak-leaks and reliability (tests/faults/lib.sh).
reliability() {
	local r k f n runs=0 splat_runs=0 expected=0 scans=0 leaks=0 dsuites=0 scen=0 tests=0
	local seed= iters= fuzz_sec= notes=() mtime
	for r in "${RAN[@]}"; do
		f=$out/$r
		runs=$((runs + 1))
		if [ -s "$f/splats" ]; then
			splat_runs=$((splat_runs + 1))
			if [ "${CELL[${r%%/*}|${r#*/}/(vm)]:-}" = expected-fail ]; then
				expected=$((expected + 1))
				notes+=("$r (expected): $(head -n1 "$f/splats")")
			else
				notes+=("$r: $(head -n1 "$f/splats")")
			fi
		fi
		if [ -f "$f/kmemleak-leaks" ]; then
			while read -r n; do
				scans=$((scans + 1)) leaks=$((leaks + n))
			done < "$f/kmemleak-leaks"
		fi
		k=${r%%/*}
		[ "$k" = debug ] || continue
		dsuites=$((dsuites + 1))
		n=$(grep -c '^scenario ' "$f/reliability" 2>/dev/null)
		scen=$((scen + ${n:-0}))
		[ "${n:-0}" = 0 ] && scen=$((scen + 1))
		if grep -q '^fuzz-seed ' "$f/reliability" 2>/dev/null; then
			seed=$(sed -n 's/^fuzz-seed //p' "$f/reliability" | tail -n1)
			iters=$(sed -n 's/^fuzz-iterations //p' "$f/reliability" | tail -n1)
			fuzz_sec=$(sed -n 's/^fuzz-seconds //p' "$f/reliability" | tail -n1)
		fi
	done
	for row in "${ROWS[@]}"; do
		[ "${row#*/}" = "(vm)" ] && continue
		case "${CELL[debug|$row]:-n.a.}" in
		n.a.|"not run"|missing) ;;
		*) tests=$((tests + 1)) ;;
		esac
	done
	echo "Reliability (measured in this run):"
	if [ $dsuites = 0 ]; then
		echo "  debug kernel:    not run"
	else
		echo "  debug kernel:    $dsuites suites, $scen scenarios, $tests tests"
	fi
	if [ -n "$seed" ]; then
		echo "  fuzzer:          ${iters:-0} iterations in ${fuzz_sec:-?} s, seed $seed" \
			"(repeat: make fuzz FUZZ_SEED=$seed FUZZ_ITERATIONS=${iters:-0})"
	else
		echo "  fuzzer:          not run"
	fi
	if [ $splat_runs = 0 ]; then
		echo "  kernel splats:   none in $runs VM runs"
	else
		echo "  kernel splats:   in $splat_runs of $runs VM runs$(
			[ $expected -gt 0 ] && echo " ($expected expected by tests/*/expect)")"
	fi
	printf '    %s\n' "${notes[@]}" | sed '/^ *$/d'
	if [ $scans = 0 ]; then
		echo "  kmemleak leaks:  no scan run"
	else
		echo "  kmemleak leaks:  $leaks in $scans scans"
	fi
	# The build matrix counts only if it was written during this check
	# (CHECK_START: when the "make check" that ran it began).
	f=build/matrix/summary.txt
	if [ ! -f "$f" ]; then
		echo "  build matrix:    not run"
	else
		mtime=$(stat -c %Y "$f")
		if [ "$mtime" -lt "$CHECK_START" ]; then
			echo "  build matrix:    not run in this check ($f is from" \
				"$(date -d "@$mtime" '+%F %T'))"
		else
			echo "  build matrix ($f):"
			grep -v '^[[:space:]]*$' "$f" | head -n 12 | sed 's/^/    /'
		fi
	fi
}

# ---- Times --------------------------------------------------------------
# How long the build steps of the make that ran this check took
# (scripts/timed.sh notes them in build/times.txt; BUILD_START: when that
# make began), and the runs of this check, the slowest first.
time_summary() {
	local end name secs rc line steps= total=0 n=0
	if [ -n "${BUILD_START:-}" ] && [ -f build/times.txt ]; then
		while read -r end name secs rc; do
			[ "$end" -ge "$BUILD_START" ] 2>/dev/null || continue
			[ "$rc" = 0 ] && rc= || rc=" (exit $rc)"
			steps+=" $name ${secs}s$rc,"
		done < build/times.txt
	fi
	echo "Times:"
	[ -n "${BUILD_START:-}" ] &&
		echo "  this make:  $(($(date +%s) - BUILD_START)) s in all"
	[ -n "$steps" ] && echo "  build steps:${steps%,}"
	for line in "${RUN_SECS[@]}"; do
		total=$((total + ${line%% *})) n=$((n + 1))
	done
	echo "  runs:       $n in $total s${RUN_SECS[*]:+; the slowest:}"
	[ $n = 0 ] || printf '%s\n' "${RUN_SECS[@]}" | sort -rn | head -n 12 |
		while read -r secs name; do
			printf '    %5d s  %s\n' "$secs" "$name"
		done
}

# ---- Table --------------------------------------------------------------
# Rows of suites that never ran anywhere (all images missing) still get
# their (vm) row; suites of none of the kernels asked for get none.
for i in "${!S_NAME[@]}"; do
	selected "${S_NAME[i]}" || continue
	for k in "${kernels[@]}"; do
		if [[ ${S_KERNELS[i]} == *,$k,* ]]; then
			add_row "${S_NAME[i]}/(vm)"
			break
		fi
	done
done

passed=0 failed=0 skipped=0
declare -A CELL
notes=()
for row in "${ROWS[@]}"; do
	suite=${row%%/*}
	for j in "${!S_NAME[@]}"; do [ "${S_NAME[j]}" = "$suite" ] && break; done
	for k in "${kernels[@]}"; do
		key=$k\|$row
		if [[ ${S_KERNELS[j]} != *,$k,* ]]; then
			CELL[$key]=n.a.; continue
		fi
		e=$(expected "$k" "$row")
		r=${RES[$key]:-}
		if [ "$e" = n.a. ]; then
			c=n.a.
		elif [ -n "${MISSING_IMAGE[$k]:-}" ]; then
			c="not run"
		elif [ -z "$r" ]; then
			c=missing
		else
			case "$r/$e" in
			skip/*) c=skip ;;
			todo-notok/*|notok/fail) c=expected-fail ;;
			todo-ok/*|ok/fail) c=FAIL:xpass ;;
			notok/*) c=FAIL ;;
			ok/*) c=pass ;;
			esac
		fi
		CELL[$key]=$c
		case "$c" in
		pass|expected-fail) passed=$((passed + 1)) ;;
		skip) skipped=$((skipped + 1)) ;;
		n.a.) ;;
		"not run") failed=$((failed + 1)) ;;
		*) failed=$((failed + 1))
		   w=${WHY[$key]:-}
		   notes+=("$k: $row: $c${w:+ ($w)}") ;;
		esac
	done
done

{
	echo
	for k in "${kernels[@]}"; do
		[ -n "${MISSING_IMAGE[$k]:-}" ] &&
			echo "$k: not run: ${MISSING_IMAGE[$k]}; each of its tests counts as failed"
	done
	w=4
	for row in "${ROWS[@]}"; do
		suite=${row%%/*}
		l=$(( ${#row} - ${#suite} + 1 ))
		[ $l -gt $w ] && w=$l
	done
	printf "%-${w}s" "test"
	for k in "${kernels[@]}"; do printf '  %-13s' "$k"; done
	echo
	cur=
	for row in "${ROWS[@]}"; do
		suite=${row%%/*}
		if [ "$suite" != "$cur" ]; then
			echo "$suite"
			cur=$suite
		fi
		printf "  %-$((w - 2))s" "${row#*/}"
		for k in "${kernels[@]}"; do printf '  %-13s' "${CELL[$k|$row]}"; done
		echo
	done
	echo
	reliability | tee "$out/reliability.txt"
	echo
	time_summary
	# The failures last, where the tail of a long log shows them.
	if [ ${#notes[@]} -gt 0 ]; then
		echo
		echo "Failures:"
		printf '  %s\n' "${notes[@]}"
	fi
	echo "$passed passed, $failed failed, $skipped skipped"
} | sed 's/[[:space:]]*$//' | tee "$out/summary.txt"

for row in "${ROWS[@]}"; do
	for k in "${kernels[@]}"; do
		printf '%s\t%s\t%s\t%s\n' "$k" "$row" "${CELL[$k|$row]}" "${WHY[$k|$row]:-}"
	done
done > "$out/results.tsv"

[ $failed = 0 ]
