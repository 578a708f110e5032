#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmarks: the series kernel against Debian's own no-IOMMU mode
# (upstream) and against UIO (uio_pci_generic, igb_uio), in one run, on one
# VM configuration, and a table of ratios.
#
#   bench/run.sh [--smoke] [-r ROUNDS] [-o DIR]
#
# Builds bench/vfio-bench.c (against the series' uapi headers) and igb_uio
# (DPDK's, from dpdk-kmods-dkms, against the series kernel), then runs
# ROUNDS rounds (default 7).  A round is four VMs, each running
# bench/guest-bench.sh, every part once: the series kernel, upstream and
# the series kernel again (the A/A run, "series-aa", whose ratios to the
# first give the noise floor), the two series runs trading places from
# round to round (series, upstream, series-aa; then series-aa, upstream,
# series); then the modular kernel (VFIO, vfio-pci and iommufd as
# modules, with the device cdev), where the cdev and iommufd parts run.
# Then bench/report.py prints the table and writes DIR/results.md,
# DIR/results.json and DIR/ratios.png.
#
# --smoke: one round with tiny sizes (a few minutes), without the A/A run
# (three VMs), into build/bench-smoke; checks that every part produced
# numbers and prints TAP ("1..N", "ok N - ..."); no timing is judged.  The
# exit status is 0 when every part produced its numbers (with --smoke:
# when every TAP test passed).
#
# Environment: BENCH_ROUNDS (as -r), BENCH_KERNELS (default
# build/out/{series,upstream}/arch/x86/boot/bzImage as
# "SERIES_IMAGE UPSTREAM_IMAGE"), BENCH_MODULAR (the modular kernel's
# build directory, with arch/x86/boot/bzImage and its modules installed in
# mods/; default build/out/modular), BENCH_PARTS (the parts to run, of
# bench/guest-bench.sh's; each VM runs those of its kernel),
# BENCH_NIC_ROUNDS (the rounds that run the other NIC models, default 3;
# 0 in the smoke run), BENCH_WAKE_NICS (the wake part's NICs,
# NAME:MODEL:VFIO-INTR..., default
# "virtio:virtio,disable-legacy=on: e1000:e1000:legacy e1000e:e1000e:msi"),
# VM_KVM=1 to use KVM.
set -u

here=$(dirname "$(realpath "$0")")
top=$(dirname "$here")
. "$top/scripts/lib.sh"
cd "$top" || exit 2

smoke=0 rounds=${BENCH_ROUNDS:-7} out=
usage() { sed -n '/^#   bench\/run.sh/,/^# Environment/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
	case "$1" in
	--smoke) smoke=1 ;;
	-r|--rounds) [ $# -ge 2 ] || usage; rounds=$2; shift ;;
	-o|--out) [ $# -ge 2 ] || usage; out=$2; shift ;;
	-h|--help) usage ;;
	*) usage ;;
	esac
	shift
done
case "$rounds" in ''|*[!0-9]*|0) die "rounds: want a positive number, got '$rounds'" ;; esac

if [ $smoke = 1 ]; then
	out=${out:-build/bench-smoke}
	rounds=1
	# Tiny sizes: every part runs, nothing is meant to be precise.
	sizes=(BENCH_IRQ_N=300 BENCH_OPEN_N=30 BENCH_CFG_N=300 BENCH_MMIO_REPS=2
		BENCH_MMIO_OPS=100000 BENCH_DP_WINDOW=1 BENCH_BIND_CYCLES=1
		BENCH_PA_MB=16 BENCH_PA_REPS=1 BENCH_IOMAP_MB=16 BENCH_IOMAP_REPS=1
		BENCH_NIC_ROUNDS="${BENCH_NIC_ROUNDS:-0}")
	pa_mb=16 aa=0 wake_frames=20
	vm_timeout=300
else
	out=${out:-build/bench}
	sizes=(BENCH_IRQ_N=10000 BENCH_OPEN_N=1000 BENCH_CFG_N=10000 BENCH_MMIO_REPS=7
		BENCH_MMIO_OPS=2000000 BENCH_DP_WINDOW=6 BENCH_BIND_CYCLES=4
		BENCH_PA_MB=256 BENCH_PA_REPS=5 BENCH_IOMAP_MB=1024 BENCH_IOMAP_REPS=3
		BENCH_NIC_ROUNDS="${BENCH_NIC_ROUNDS:-3}")
	pa_mb=256 aa=1 wake_frames=200
	vm_timeout=600
fi
read -r img_series img_upstream <<< "${BENCH_KERNELS:-build/out/series/arch/x86/boot/bzImage build/out/upstream/arch/x86/boot/bzImage}"
for img in "$img_series" "$img_upstream"; do
	[ -f "$img" ] || die "no kernel image $img (make kernel kernel-upstream)"
done
modular=${BENCH_MODULAR:-build/out/modular}
img_modular=$modular/arch/x86/boot/bzImage mods_modular=$modular/mods
[ -f "$img_modular" ] && ls "$mods_modular"/lib/modules/*/modules.dep >/dev/null 2>&1 ||
	die "no modular kernel with its modules in $modular (make kernel-modular)"
mkdir -p "$out" && out=$(realpath "$out")
rm -rf "$out/runs" "$out"/results.{md,json} "$out/ratios.png"
mkdir -p "$out/runs" "$out/bin"
t_start=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- tools ------------------------------------------------------------------
# Against the series' uapi headers (scripts/lib.sh: uapi_headers).
step "bench: building vfio-bench"
hdr=$(uapi_headers) || die "cannot install the uapi headers of build/linux"
gcc -O2 -Wall -Wextra -Werror -pthread -I"$top/tests/lib" \
	-isystem "$hdr" \
	-o "$out/bin/vfio-bench" "$here/vfio-bench.c" ||
	die "vfio-bench does not build"

# DPDK's l3fwd-power for the wake part, as the suites build it.
step "bench: building DPDK's examples"
bash "$top/tests/dpdk/build.sh" || die "tests/dpdk/build.sh failed"

# igb_uio from Debian's dpdk-kmods-dkms, as an external module of the
# series kernel's build directory (scripts/build-igb-uio.sh).
kdir=$(dirname "$(dirname "$(dirname "$(dirname "$(realpath "$img_series")")")")")
step "bench: building igb_uio for $(cat "$kdir/include/config/kernel.release")"
bash "$top/scripts/build-igb-uio.sh" "$kdir" "$out/igb_uio" || die "igb_uio does not build"

# ---- the VM -----------------------------------------------------------------
# Two e1000s wired to each other through two host UDP ports (A sends to B's
# port and B to A's): txonly frames from A end in B's socket, where QEMU
# drops them while B is not started; io forwarding loops frames A -> B ->
# A... with no host program in the path.  A pair of each other NIC model
# of the nics part is wired the same way.  Ports are picked free now.
read -r -a ports < <(python3 -c '
import socket
s = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(14)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
vm_opts=(-t "$vm_timeout" --hugepages 256 --append vfio.enable_unsafe_noiommu_mode=1
	--edu=addr=0x0f)
# Slots 0x10-0x17, a pair per model: A on the even slot, B on the odd.
slot=$((0x10))
for model in e1000 virtio,disable-legacy=on e1000e vmxnet3; do
	pa=${ports[0]} pb=${ports[1]}
	ports=("${ports[@]:2}")
	vm_opts+=(--nic "$model,net=udp:$pa:$pb,$(printf 'addr=0x%x,mac=52:54:00:be:00:%02x' $slot $slot)"
		--nic "$model,net=udp:$pb:$pa,$(printf 'addr=0x%x,mac=52:54:00:be:00:%02x' $((slot + 1)) $((slot + 1)))")
	slot=$((slot + 2))
done
# The wake part's NICs: a virtio-net (modern), the cloud's NIC, with
# MSI-X; an e1000, with INTx alone, which igb_uio drives too, and EAL on
# vfio-pci only when told --vfio-intr=legacy; an e1000e, whose PMD gets
# no interrupt from its MSI-X vectors and wakes on vfio-pci with EAL's
# --vfio-intr=msi.  QEMU takes each one's
# frames from bench/wake-host.py on one port and sends them back to it on
# the other.
wake_host="bench/wake-host.py --frames $wake_frames" wake_env=
slot=$((0x1c))
for w in ${BENCH_WAKE_NICS:-virtio:virtio,disable-legacy=on: e1000:e1000:legacy e1000e:e1000e:msi}; do
	IFS=: read -r wname wmodel wintr <<< "$w"
	mac=$(printf '52:54:00:be:00:%02x' $slot)
	vm_opts+=(--nic "$wmodel,net=udp:${ports[0]}:${ports[1]},$(printf 'addr=0x%x' $slot),mac=$mac")
	wake_host+=" --nic $wname,${ports[0]},${ports[1]},$mac"
	wake_env+=" $wname=$(printf '0000:00:%02x.0' $slot)${wintr:+=$wintr}"
	ports=("${ports[@]:2}")
	slot=$((slot + 1))
done
vm_opts+=(--host-cmd "$wake_host")
# 32 more edus for the scale part: four multifunction slots of eight.
for slot in 18 19 1a 1b; do
	for fn in 0 1 2 3 4 5 6 7; do
		if [ $fn = 0 ]; then
			vm_opts+=("--edu=addr=0x$slot.0,multifunction=on")
		else
			vm_opts+=("--edu=addr=0x$slot.$fn")
		fi
	done
done
# The modular kernel's VM: the benchmark edu alone (its parts use nothing
# else), and the hugepages of the physical address part.
vm_opts_modular=(-t "$vm_timeout" --hugepages $((pa_mb / 2))
	--append vfio.enable_unsafe_noiommu_mode=1 --modules "$mods_modular"
	--edu=addr=0x0f)
envs=(-e BENCH_BIN="$out/bin/vfio-bench" -e BENCH_IGB_UIO="$out/igb_uio/igb_uio.ko"
	-e BENCH_EDU=0000:00:0f.0 -e BENCH_WAKE="${wake_env# }")
for s in "${sizes[@]}"; do envs+=(-e "$s"); done
[ -z "${BENCH_PARTS:-}" ] || envs+=(-e BENCH_PARTS="$BENCH_PARTS")

failed=()
for ((r = 1; r <= rounds; r++)); do
	if [ $aa = 0 ]; then
		order=(series upstream)
		[ $((r % 2)) = 1 ] || order=(upstream series)
	elif [ $((r % 2)) = 1 ]; then
		order=(series upstream series-aa)
	else
		order=(series-aa upstream series)
	fi
	order+=(modular)
	for k in "${order[@]}"; do
		flavour=${k%-aa}
		case $k in
		upstream) img=$img_upstream opts=("${vm_opts[@]}") ;;
		modular) img=$img_modular opts=("${vm_opts_modular[@]}") ;;
		*) img=$img_series opts=("${vm_opts[@]}") ;;
		esac
		dir=$out/runs/r$r-$k
		step "bench: round $r/$rounds, $k"
		vm/run-vm.sh -k "$img" -o "$dir" -n "bench r$r $k" "${opts[@]}" \
			-e KERNEL_FLAVOUR="$flavour" -e BENCH_KERNEL_TAG="$k" \
			-e BENCH_ROUND="$r" "${envs[@]}" \
			-- "$here/guest-bench.sh" 2>&1 | sed 's/^/    /'
		rc=${PIPESTATUS[0]}
		grep -E '^(not ok|# )' "$dir/scenario.log" 2>/dev/null | grep -v '^# *$' | sed 's/^/    /' | head -n 40
		[ "$rc" = 0 ] || failed+=("r$r-$k: $(cat "$dir/status" 2>/dev/null || echo "exit $rc")")
	done
done

# ---- report -----------------------------------------------------------------
cat > "$out/meta.json" <<EOF
{"rounds": $rounds, "smoke": $smoke, "seconds": $(( $(date +%s) - t_start )),
 "host_loadavg_start": "$load_start", "host_loadavg_end": "$(cut -d' ' -f1-3 /proc/loadavg)",
 "host_cpus": $(nproc), "qemu": "$(qemu-system-x86_64 --version | head -n1)",
 "dpdk": "$(dpkg-query -W -f='${Version}' dpdk 2>/dev/null)",
 "kernel_series": "$(cat "$kdir/include/config/kernel.release")",
 "vm": "q35, TCG, 2 vCPUs, 2 GiB, 256 hugepages; a UDP-looped pair each of e1000, virtio-net (modern), e1000e, vmxnet3; a virtio-net (modern), an e1000 and an e1000e for the wake part; 33 edu",
 "vm_modular": "q35, TCG, 2 vCPUs, 2 GiB, $((pa_mb / 2)) hugepages; 1 edu",
 "aa": $aa,
 "failed_runs": [$(for f in "${failed[@]}"; do printf '"%s",' "$f"; done | sed 's/,$//')]}
EOF
report_args=("$out")
[ $smoke = 1 ] && report_args+=(--smoke)
/usr/bin/python3 "$here/report.py" "${report_args[@]}"
rc=$?
step "bench: $(( $(date +%s) - t_start )) s in all; results in ${out#"$top"/}"
[ ${#failed[@]} = 0 ] || { step "bench: runs that failed: ${failed[*]}"; rc=1; }
exit $rc
