#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Demo: DPDK forwarding traffic through VFIO no-IOMMU mode.
#
#	tests/dpdk/demo.sh [KERNEL]     (default: the series kernel)
#
# Boots KERNEL in QEMU (q35, no IOMMU) with vfio.enable_unsafe_noiommu_mode=1
# and two e1000 NICs, binds both to vfio-pci with dpdk-devbind.py, runs
# Debian's dpdk-testpmd in io mode between them and has the host send
# 10000 numbered frames into one NIC and check them as they come out of the
# other (the dpdk-iofwd suite, tests/dpdk/suites).  Then shows what
# happened: the fake groups /dev/vfio/noiommu-N, testpmd on the no-IOMMU
# container, the frames forwarded and the taint.  Takes about a minute.
set -u

here=$(dirname "$(realpath "$0")")
top=$(realpath "$here/../..")
kernel=${1:-$top/build/out/series/arch/x86/boot/bzImage}
out=$top/build/demo
[ -f "$kernel" ] || { echo "demo: no kernel $kernel (make kernel)" >&2; exit 2; }

echo "== Booting $(realpath --relative-to="$top" "$kernel") with vfio.enable_unsafe_noiommu_mode=1 and two e1000s"
"$here/../run-suite.sh" dpdk-iofwd -k "$kernel" -o "$out" -- --env DPDK_DEMO=1 |
	grep -vE '# host: |guest: # (demo|  )|guest: #  |---- dpdk-iofwd on|^(not )?ok |^1\.\.|^# [0-9]+ passed'
rc=${PIPESTATUS[0]}

s=$out/scenario.log
section() { printf '\n== %s\n' "$1"; }
demo_lines() { # the "# demo: TITLE" block's lines
	awk -v t="# demo: $1" 'index($0, t) == 1 { on = 1; next }
		on && (/^# demo: / || !/^# /) { exit }
		on { sub(/^# /, ""); print "   " $0 }' "$s"
}

section "dpdk-devbind.py --status-dev net (in the guest)"
demo_lines "dpdk-devbind.py --status-dev net:"
section "ls -l /dev/vfio: one fake IOMMU group per NIC"
demo_lines "ls -l /dev/vfio:"
section "testpmd: EAL on the no-IOMMU container"
grep -E 'IOMMU type|IOVA mode|Probe PCI|Port [01]: |packet forwarding - ports' \
	"$out/testpmd-iofwd.log" 2>/dev/null | sed 's/^\[[0-9.]*\] */   /'
section "Traffic: host -> NIC A -> testpmd (port 0 -> port 1) -> NIC B -> host"
grep -E '^# testpmd: port 0 RX' "$s" | sed 's/^# /   /'
sed -n 's/^summary=/   host: /p' "$out/iofwd-host.txt" 2>/dev/null
section "The taint"
grep -E '^# demo: /proc/sys/kernel/tainted' "$s" | sed 's/^# demo: /   /'
demo_lines "kernel log:"
section "Tests"
grep -E '^(not )?ok |^# [0-9]+ passed' "$s" | sed 's/^/   /'
echo
echo "Result: $(cat "$out/status" 2>/dev/null || echo none); everything is in ${out#"$top"/}/"
exit "$rc"
