#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unbinding a device from vfio-pci while a process holds its device fd.
# Runs in the test VM on the debug kernel, with an edu and an e1000:
#
#	vm/run-vm.sh -k build/out/debug/arch/x86/boot/bzImage \
#		--modules build/out/debug/mods -o OUT --edu --nic e1000 -- $0
#
# vfio-pci's remove() cannot take the device from under its user: it asks
# the user to let go through the device request (VFIO_PCI_REQ_IRQ_INDEX,
# an eventfd), again every 10 s, and waits.  Cases:
#   - a user that closes on the request: the unbind ends at once;
#   - a user that closes 3 s after the request: the unbind takes ~3 s;
#   - a user with no request eventfd, closing after 3 s: same, the kernel
#     only logs that it waits;
#   - the unbinding process is killed while it waits: it still ends once
#     the device is released, nothing stays blocked;
#   - the same on the e1000, while the edu's group is open.
# After each: the group, its node and its sysfs entry are gone.  At the end
# kmemleak finds nothing.

. "${VM_LIB:-$(dirname "$(realpath "$0")")/../../vm/guest-lib.sh}"
. "$(dirname "$(realpath "$0")")/lib.sh"

faults_init vfio-user
user=$(faults_bin vfio-user)
edu=$(pci_find 1234:11e8) || { echo "Bail out! no edu"; exit 2; }
nic=$(pci_find 8086:100e) || { echo "Bail out! no e1000"; exit 2; }
tmp=$(mktemp -d)
groups0=$(iommu_group_count)

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# held_unbind NAME BDF HOLDER-OPTIONS... : bind BDF, start a holder with
# the options, unbind while it holds the device.  Sets U_MS (unbind time),
# U_RC (holder exit code), U_LOG (holder output), U_NODE.
held_unbind() {
	local name=$1 bdf=$2 pid upid t0
	shift 2
	rm -f "$tmp/ready" "$tmp/unbound"
	U_MS= U_RC= U_LOG= U_NODE=
	if ! bind_noiommu "$bdf"; then
		U_LOG="bind: $PCI_ERROR"
		return 1
	fi
	U_NODE=$(vfio_group_node "$bdf")
	"$user" --ready "$tmp/ready" "$@" "$bdf" > "$tmp/$name.log" 2>&1 &
	pid=$!
	if ! wait_for "[ -e $tmp/ready ]" 30; then
		kill -9 $pid 2>/dev/null
		wait $pid
		U_LOG=$(cat "$tmp/$name.log")
		return 1
	fi
	sleep 0.5
	t0=$(now_ms)
	( echo "$bdf" > /sys/bus/pci/drivers/vfio-pci/unbind; : > "$tmp/unbound" ) &
	upid=$!
	disown $upid
	[ -n "${KILL_UNBIND:-}" ] && { sleep 1; kill -9 $upid 2>/dev/null; }
	wait_for "[ -e $tmp/unbound ] || ! kill -0 $upid 2>/dev/null" 60
	U_MS=$(( $(now_ms) - t0 ))
	# the killed writer cannot leave a mark: wait for the device instead
	wait_for "[ ! -e /sys/bus/pci/devices/$bdf/driver ]" 60
	[ -n "${KILL_UNBIND:-}" ] && U_MS=$(( $(now_ms) - t0 ))
	for _ in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
	kill -0 $pid 2>/dev/null && { kill -9 $pid; U_LOG="holder still running; "; }
	wait $pid
	U_RC=$?
	U_LOG+=$(tr '\n' ';' < "$tmp/$name.log")
	return 0
}

# gone NODE BDF: the device is unbound, its group and node are gone.
gone() {
	[ -z "$(pci_driver "$2")" ] && [ ! -e "$1" ] && ! pci_iommu_group "$2" >/dev/null
}

# 1. Closes on the request
held_unbind req-close "$edu" --req --on-req close --mmio
tap_diag "closes on request: unbind ${U_MS} ms; holder: $U_LOG"
[ "$U_RC" = 0 ] && [[ $U_LOG == *"request 1"*closed* ]]
tap_result $? "the holder gets the device request and closes" "rc $U_RC: $U_LOG"
[ -n "$U_MS" ] && [ "$U_MS" -lt 5000 ]
tap_result $? "the unbind ends as soon as the holder closes (< 5 s)" "took ${U_MS:-?} ms"
gone "$U_NODE" "$edu"
tap_result $? "group, node and iommu_group link are gone" "node $U_NODE: $(ls -l "$U_NODE" 2>&1)"

# 2. Closes 3 s after the request
held_unbind req-late "$edu" --req --on-req late=3000
tap_diag "closes 3 s after the request: unbind ${U_MS} ms; holder: $U_LOG"
[ "$U_RC" = 0 ] && [[ $U_LOG == *"request 1"*closed* ]] &&
	[ -n "$U_MS" ] && [ "$U_MS" -ge 2900 ] && [ "$U_MS" -lt 9000 ]
tap_result $? "a late close: the unbind waits for it, then ends (3-9 s)" \
	"took ${U_MS:-?} ms, rc $U_RC: $U_LOG"
gone "$U_NODE" "$edu"
tap_result $? "late close: group and node are gone"

# 3. No request channel at all
held_unbind no-req "$edu" --hold 3000
[ "$U_RC" = 0 ] && [[ $U_LOG == *closed* ]] && [[ $U_LOG != *"request 1"* ]] &&
	[ -n "$U_MS" ] && [ "$U_MS" -lt 9000 ]
tap_result $? "no request eventfd: the unbind waits for the close after 3 s" \
	"took ${U_MS:-?} ms, rc $U_RC: $U_LOG"
dmesg | grep -q "blocked until released by user" &&
	tap_diag "kernel: $(dmesg | grep -m1 'blocked until released by user' | sed 's/^\[[^]]*\] //')"
gone "$U_NODE" "$edu"
tap_result $? "no request eventfd: group and node are gone"

# 4. The unbinding process is killed while it waits
KILL_UNBIND=1 held_unbind killed-unbind "$edu" --req --on-req late=3000
[ "$U_RC" = 0 ] && [ -n "$U_MS" ] && [ "$U_MS" -lt 15000 ]
tap_result $? "the waiting unbind survives SIGKILL and ends on release" \
	"took ${U_MS:-?} ms, rc $U_RC: $U_LOG"
gone "$U_NODE" "$edu"
tap_result $? "killed unbind: group and node are gone"
dmesg | grep -q "blocked until device is released" &&
	tap_diag "kernel: $(dmesg | grep -m1 'blocked until device is released' | sed 's/^\[[^]]*\] //')"

# 5. The e1000, while the edu's group is open in another process
bind_noiommu "$edu" || tap_diag "edu bind: $PCI_ERROR"
"$user" --req --on-req ignore --hold 120000 "$edu" > "$tmp/edu-bystander.log" 2>&1 &
bystander=$!
held_unbind e1000 "$nic" --req --on-req close
[ "$U_RC" = 0 ] && [[ $U_LOG == *"request 1"*closed* ]] && [ -n "$U_MS" ] && [ "$U_MS" -lt 5000 ]
tap_result $? "e1000: request, close and unbind while another group is open" \
	"took ${U_MS:-?} ms, rc $U_RC: $U_LOG"
kill -0 $bystander 2>/dev/null
tap_result $? "the other group's user is undisturbed (got no request)" \
	"$(cat "$tmp/edu-bystander.log")"
kill $bystander 2>/dev/null
wait $bystander
! grep -q "^request " "$tmp/edu-bystander.log"
tap_result $? "no request reached the bystander" "$(cat "$tmp/edu-bystander.log")"
pci_unbind "$edu"

# The end state
[ "$(iommu_group_count)" = "$groups0" ] && [ "$(vfio_nodes)" = vfio ]
tap_result $? "IOMMU groups back to $groups0, /dev/vfio holds only vfio" \
	"groups $(iommu_group_count), /dev/vfio: $(vfio_nodes)"
pci_bind_default "$nic"
[ "$(pci_driver "$nic")" = e1000 ]
tap_result $? "e1000 driver takes its device back" "driver: $(pci_driver "$nic")"
kmemleak_check "kmemleak: no leaks after the unbinds"
rm -rf "$tmp"
tap_done
