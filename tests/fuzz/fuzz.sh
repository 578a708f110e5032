#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The VFIO no-IOMMU ioctl fuzzer (build/faults/vfio-fuzz, from
# tests/fuzz/vfio-fuzz.c) in the test VM, on the debug kernel, with an edu
# and an e1000:
#
#	vm/run-vm.sh -k IMAGE -o OUT --edu --nic e1000 \
#		[--env FUZZ_SEED=N] [--env FUZZ_ITERATIONS=N] -- $0
#
# FUZZ_SEED: the PRNG seed (default: a random one, printed, so that any run
# can be repeated); FUZZ_ITERATIONS: how many operations (default 10000,
# about two minutes under TCG with KASAN).  Both devices are bound to
# vfio-pci in no-IOMMU groups and handed to the fuzzer.  Then:
#   - the fuzzer ran to its end and saw no violation of the mode's rules;
#   - the mode is on (the fuzzer writes the parameter too);
#   - both devices still work: each group opens again and the device
#     answers (config IDs, a BAR0 register), and each can be unbound and
#     bound again;
#   - kmemleak finds nothing.
# Kernel splats fail the run through the harness.  The fuzzer's table of
# results is kept in OUT/fuzz.log.

. "${VM_LIB:-$(dirname "$(realpath "$0")")/../../vm/guest-lib.sh}"
. "$(dirname "$(realpath "$0")")/../faults/lib.sh"

faults_init vfio-fuzz vfio-user
fuzz=$(faults_bin vfio-fuzz)
user=$(faults_bin vfio-user)
seed=${FUZZ_SEED:-$(od -An -tu4 -N4 /dev/urandom | tr -d ' ')}
iterations=${FUZZ_ITERATIONS:-10000}
log=${VM_OUT:-/tmp}/fuzz.log

devs=()
for id in 1234:11e8 8086:100e; do
	d=$(pci_find "$id") && devs+=("$d")
done
[ ${#devs[@]} -gt 0 ] || { echo "Bail out! no edu or e1000"; exit 2; }
for d in "${devs[@]}"; do
	bind_noiommu "$d" || { echo "Bail out! $d: $PCI_ERROR"; exit 2; }
done
tap_diag "seed $seed, $iterations iterations, devices ${devs[*]}"
tap_diag "repeat with: make fuzz FUZZ_SEED=$seed FUZZ_ITERATIONS=$iterations"
record fuzz-seed "$seed"

t0=$SECONDS
"$fuzz" --seed "$seed" --iterations "$iterations" --progress 1000 "${devs[@]}" > "$log" 2>&1
rc=$?
done_n=$(sed -n 's/^iterations \([0-9]*\) in.*/\1/p' "$log")
record fuzz-iterations "${done_n:-0}"
record fuzz-seconds $((SECONDS - t0))
tap_diag "$(sed -n '/^operation/,$p' "$log")"
[ $rc = 0 ] && [ "$done_n" = "$iterations" ]
tap_result $? "the fuzzer ran $iterations iterations to its end (seed $seed)" \
	"exit $rc, iterations done: ${done_n:-none}" "$(tail -n 5 "$log")"
grep -q '^violations 0$' "$log"
tap_result $? "no violation of the no-IOMMU rules" "$(grep -m10 '^violation' "$log")"

[ "$(vfio_noiommu_param)" = Y ]
tap_result $? "the mode is on at the end" "$(vfio_noiommu_param)"
for d in "${devs[@]}"; do
	out=$("$user" --check "$d" 2>&1)
	tap_result $? "$d still works: its group reopens and it answers" "$out"
	pci_unbind "$d"
	bind_noiommu "$d" && out=$("$user" --check "$d" 2>&1)
	tap_result $? "$d unbinds, binds again and answers" "$PCI_ERROR $out"
	pci_unbind "$d"
done
[ "$(vfio_nodes)" = vfio ]
tap_result $? "/dev/vfio holds only vfio at the end" "$(vfio_nodes)"
for d in $(pci_find_all 8086:100e); do pci_bind_default "$d"; done
kmemleak_check "kmemleak: no leaks after the fuzzing"
tap_done
