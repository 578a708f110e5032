#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "make fuzz": the no-IOMMU ioctl fuzzer (tests/fuzz/vfio-fuzz.c) on the
# debug kernel, for longer than "make check-debug" runs it.
#
#	FUZZ_ITERATIONS=N	operations (default 50000, about ten minutes
#				under TCG with KASAN)
#	FUZZ_SEED=N		the PRNG seed (default: a random one, printed)
#
# Results in build/fuzz/: scenario.log (TAP), fuzz.log (the fuzzer's table),
# console.log, splats.  Exit status: that of vm/run-vm.sh (0 pass, 1 a
# test failed, 3 timeout, 4 kernel splat, ...).
set -u
here=$(dirname "$(realpath "$0")")
top=$(dirname "$(dirname "$here")")
. "$top/scripts/lib.sh"
cd "$top" || exit 2

img=build/out/debug/arch/x86/boot/bzImage
[ -f "$img" ] || die "no debug kernel $img (make kernel-debug)"
bash tests/faults/build.sh || exit 2
iters=${FUZZ_ITERATIONS:-50000}
case "$iters" in ''|*[!0-9]*) die "FUZZ_ITERATIONS must be a number" ;; esac
envs=(--env "FUZZ_ITERATIONS=$iters" --env KERNEL_FLAVOUR=debug)
if [ -n "${FUZZ_SEED:-}" ]; then
	case "$FUZZ_SEED" in *[!0-9]*) die "FUZZ_SEED must be a number" ;; esac
	envs+=(--env "FUZZ_SEED=$FUZZ_SEED")
fi
# The kernel's modules (VFIO), as tests/check.sh gives them.
mods=(); [ -d build/out/debug/mods/lib/modules ] && mods=(--modules build/out/debug/mods)
# about 80 operations a second under TCG with KASAN; twice that time
timeout=$((180 + iters / 40))
vm/run-vm.sh -k "$img" "${mods[@]}" -o build/fuzz -n fuzz -t "$timeout" --edu --nic e1000 \
	"${envs[@]}" -- tests/fuzz/fuzz.sh
rc=$?
echo
grep -E '^(ok|not ok|# seed|# repeat)' build/fuzz/scenario.log 2>/dev/null
sed -n 's/^fuzz-\(seed\|iterations\|seconds\) /  \1: /p' build/fuzz/reliability 2>/dev/null
[ -s build/fuzz/splats ] && { echo "kernel splats:"; sed 's/^/  /' build/fuzz/splats; }
exit $rc
