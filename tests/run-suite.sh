#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run one suite (of tests/suites or tests/*/suites, those by hand too) on one
# kernel, exactly as tests/check.sh would, and show its progress:
# vm/run-vm.sh's steps, the guest's TAP lines and the host side's log as
# they come, each with the time elapsed.
#
#   run-suite.sh SUITE [-k IMAGE] [-f FLAVOUR] [-o DIR] [-v] [-- RUN-VM-OPTION...]
#
#   -k IMAGE    kernel (default: build/out/series/arch/x86/boot/bzImage)
#   -f FLAVOUR  the kernel's name in tests/check.sh (series, upstream,
#               base, ..., debian; default: the directory under build/out/
#               that IMAGE is in, else series).  A suite whose line names
#               its own kernel (-k, as Debian's do) boots that one.
#   -o DIR      output directory (default: build/tests/SUITE-FLAVOUR)
#   -v          also copy the guest console
#   extra options after -- go to vm/run-vm.sh (e.g. --env TXONLY_WAIT=60)
#
# Exit status: vm/run-vm.sh's (0 pass, 1 fail, 3 timeout, 4 splat, ...).
set -u

here=$(dirname "$(realpath "$0")")
top=$(realpath "$here/..")
. "$top/scripts/lib.sh"

usage() { sed -n '/^#   run-suite/,/^# Exit/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 1 ] || usage
suite=$1
shift
kernel=$top/build/out/series/arch/x86/boot/bzImage flavour= out= verbose=()
while [ $# -gt 0 ]; do
	case "$1" in
	-k) kernel=$2; shift 2 ;;
	-f) flavour=$2; shift 2 ;;
	-o) out=$2; shift 2 ;;
	-v) verbose=(-v); shift ;;
	--) shift; break ;;
	*) usage ;;
	esac
done
extra=("$@")

[ -f "$kernel" ] || die "no kernel image $kernel"
# build/out/NAME links to a .kbuild-NAME directory (scripts/build-kernel.sh)
if [ -z "$flavour" ]; then
	case "$kernel" in
	*/out/*/arch/*) flavour=${kernel%%/arch/*} flavour=${flavour##*/} ;;
	*/.kbuild-*/arch/*) flavour=${kernel%%/arch/*} flavour=${flavour##*/.kbuild-} ;;
	*) flavour=series ;;
	esac
fi
kernel=$(realpath "$kernel")
out=${out:-$top/build/tests/$suite-$flavour}
mkdir -p "$out" && out=$(realpath "$out")

# The suite's line: NAME KERNELS RUN-VM-ARGS... -- SCENARIO [ARG...], split
# as tests/check.sh does (blanks, '...' and "..." quoting, no expansion).
line=$(cat "$top"/tests/suites "$top"/tests/*/suites | grep -E "^${suite}[[:space:]]") ||
	die "no suite $suite in tests/suites or tests/*/suites"
# The suite's fixed UDP ports and pcap path would clash with another run of
# it on the same machine (tests/check.sh elsewhere, say): give this run
# free ports and a pcap in its own directory.
mapfile -d '' words < <(python3 - "$line" "$out" <<'PY'
import os, re, shlex, socket, sys
words = shlex.split(sys.argv[1], comments=False, posix=True)
out = sys.argv[2]
ports, socks, sub = [], [], {}
for w in words:
    for q, p in re.findall(r"net=udp:(\d+):(\d+)", w):
        ports += [q, p]
    for path in re.findall(r"dump=([^,]+)", w):
        sub[path] = os.path.join(out, os.path.basename(path))
for p in dict.fromkeys(ports):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))      # unused by anyone, QEMU's REUSEADDR ones too
    socks.append(s)
    sub[p] = str(s.getsockname()[1])
for w in words:
    for old, new in sub.items():
        w = re.sub(r"(?<![\w/.])" + re.escape(old) + r"(?![\w/.])", new, w)
    sys.stdout.write(w + "\0")
PY
)
args=("${words[@]:2}")
for ((i = 0; i < ${#args[@]}; i++)); do
	[ "${args[$i]}" = -- ] && break
done
opts=("${args[@]:0:$i}") scen=("${args[@]:$i}")

# Hard limit: run-vm.sh's own -t, plus a margin for its shutdown.
limit=600
for ((i = 0; i < ${#opts[@]}; i++)); do
	[ "${opts[$i]}" = -t ] && limit=$(( ${opts[$((i + 1))]} + 60 ))
done

cd "$top" || exit 2
rm -f "$out/scenario.log" "$out/host-cmd.log"
: > "$out/scenario.log"; : > "$out/host-cmd.log"
step "$suite on $flavour: ${kernel#"$top"/}, results in ${out#"$top"/}"
t0=$(date +%s)
timeout -k 10 "$limit" "$top/vm/run-vm.sh" -k "$kernel" -o "$out" -n "$suite-$flavour" \
	--env KERNEL_FLAVOUR="$flavour" "${verbose[@]}" "${opts[@]}" "${extra[@]}" "${scen[@]}" &
rpid=$!
trap 'kill -TERM $rpid 2>/dev/null' INT TERM HUP
# follow FILE PREFIX: its lines as they come, until run-vm.sh has ended.
follow() {
	tail -n +1 -F --pid=$rpid "$1" 2>/dev/null | while IFS= read -r l; do
		step "$2$l"
	done
}
follow "$out/scenario.log" "guest: " &
follow "$out/host-cmd.log" "host:  " &
wait $rpid
rc=$?
wait
[ $rc = 124 ] && step "$suite on $flavour: hard limit of ${limit}s hit"

echo "---- $suite on $flavour: TAP ($out/scenario.log) ----"
grep -E '^(not )?ok |^1\.\.|^# [0-9]+ passed' "$out/scenario.log"
echo "---- $suite on $flavour: $(cat "$out/status" 2>/dev/null || echo "no status"), $(( $(date +%s) - t0 )) s ----"
exit $rc
