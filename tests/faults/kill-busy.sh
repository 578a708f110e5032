#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kill -9 of a process in the middle of using a no-IOMMU device.  Runs in
# the test VM on the debug kernel with an edu:
#
#	vm/run-vm.sh -k build/out/debug/arch/x86/boot/bzImage \
#		--modules build/out/debug/mods -o OUT --edu -- $0
#
# The process (build/faults/vfio-user) keeps the edu busy: MMIO through an
# mmap of BAR0, DMA transfers from its memory to the device (the direction
# that only reads RAM), MSI armed to an eventfd and raised by the device,
# the device request armed.  It is killed with SIGKILL at random moments,
# several times.  Each time: it dies at once, its interrupts are released
# (no vfio entries left in /proc/interrupts), Bus Master is off again, the
# group can be opened at once and the device answers.  Then an unbind does
# not wait for anybody, and a fresh bind works.  kmemleak finds nothing.

. "${VM_LIB:-$(dirname "$(realpath "$0")")/../../vm/guest-lib.sh}"
. "$(dirname "$(realpath "$0")")/lib.sh"

faults_init vfio-user
user=$(faults_bin vfio-user)
edu=$(pci_find 1234:11e8) || { echo "Bail out! no edu"; exit 2; }
tmp=$(mktemp -d)
ROUNDS=${KILL_ROUNDS:-3}

# Bus Master Enable of BDF, from sysfs (config space byte 4, bit 2).
bus_master() {
	local b
	b=$(od -An -tu1 -j4 -N1 "/sys/bus/pci/devices/$1/config" | tr -d ' ')
	echo $(( (b >> 2) & 1 ))
}

vfio_irqs() { grep -c vfio /proc/interrupts; }

bind_noiommu "$edu" || { echo "Bail out! edu: $PCI_ERROR"; exit 2; }
node=$(vfio_group_node "$edu")
tap_diag "edu $edu in $node"

# One round: start a busy user, kill it after DELAY ms, check.
fails=0 detail=() busy_fails=()
for r in $(seq "$ROUNDS"); do
	delay=$(( 1000 + RANDOM % 2000 ))
	rm -f "$tmp/ready"
	"$user" --mmio --dma --msi --req --on-req ignore --ready "$tmp/ready" \
		"$edu" > "$tmp/user.log" 2>&1 &
	pid=$!
	if ! wait_for "[ -e $tmp/ready ]" 30; then
		detail+=("round $r: user never got ready: $(cat "$tmp/user.log")")
		fails=$((fails + 1))
		kill -9 $pid 2>/dev/null
		wait $pid 2>/dev/null
		continue
	fi
	sleep "$((delay / 1000)).$((delay % 1000))"
	irqs_busy=$(vfio_irqs) bm_busy=$(bus_master "$edu")
	t0=$(date +%s%N)
	kill -9 $pid
	wait $pid 2>/dev/null
	rc=$?
	dead_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	last=$(grep '^mmio' "$tmp/user.log" | tail -n1)
	check=$("$user" --check "$edu" 2>&1)
	crc=$?
	irqs=$(vfio_irqs) bm=$(bus_master "$edu")
	line="round $r: killed after ${delay} ms (${last:-no counters yet}; vfio irqs $irqs_busy," \
	line+=" bus master $bm_busy), gone in ${dead_ms} ms (rc $rc); after: vfio irqs $irqs,"
	line+=" bus master $bm; reopen: $check"
	tap_diag "$line"
	if [ $rc != 137 ] || [ $crc != 0 ] || [ "$irqs" != 0 ] || [ "$bm" != 0 ] ||
	   [ "$irqs_busy" = 0 ] || [ "$bm_busy" != 1 ] || [ $dead_ms -gt 5000 ]; then
		fails=$((fails + 1))
		detail+=("$line")
	fi
	[[ $last =~ ^mmio\ [1-9][0-9]*\ dma\ [1-9][0-9]*\ msi\ [1-9] ]] ||
		busy_fails+=("round $r: ${last:-no counters}")
done
tap_result ${#busy_fails[@]} "each user was really busy: MMIO, DMA and MSI all counted" \
	"${busy_fails[@]}"
tap_result $fails "kill -9 in mid-use, $ROUNDS times: dies at once, interrupts and bus master released, group reopens" \
	"${detail[@]}"

# The device is free: unbinding does not wait for anybody.
t0=$(date +%s%N)
pci_unbind "$edu"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ -z "$(pci_driver "$edu")" ] && [ ! -e "$node" ] && [ $ms -lt 3000 ]
tap_result $? "unbind after the kills is immediate and removes the group" \
	"took $ms ms, driver '$(pci_driver "$edu")', node $(ls "$node" 2>&1)"

bind_noiommu "$edu"
tap_result $? "bind again: a new no-IOMMU group" "$PCI_ERROR"
check=$("$user" --check "$edu" 2>&1)
tap_result $? "the device answers in its new group" "$check"
tap_diag "$check"
pci_unbind "$edu"
[ "$(vfio_nodes)" = vfio ]
tap_result $? "/dev/vfio holds only vfio at the end" "$(vfio_nodes)"

kmemleak_check "kmemleak: no leaks after the kills"
rm -rf "$tmp"
tap_done
