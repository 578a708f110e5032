#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# PCIe hot-unplug of a device bound to vfio-pci in no-IOMMU mode while a
# process has it open, and hot-plug of a new one.  Runs in the test VM on
# the debug kernel, the edu behind a hotplug-capable root port, with
# tests/faults/hotplug-host.sh on the host driving QMP:
#
#	vm/run-vm.sh -k IMAGE -o OUT --root-ports 1 --edu=bus=rp0 \
#		--qmp SOCKET \
#		--host-cmd 'tests/faults/hotplug-host.sh 2 edu0' -- $0 2
#
# Each round: bind the edu, start a user that keeps it busy (round 1: just
# the device request armed; round 2 and after: MMIO and MSI too) and
# closes on the device request.  The host asks for the unplug; pciehp
# removes the device, vfio-pci's remove sends the request, the user closes,
# the removal completes and QEMU drops the device.  Then: the group, its
# node and the PCI device are gone; a new edu is plugged, appears, binds
# to vfio-pci in a new no-IOMMU group and answers.  At the end, IOMMU
# groups are back to their number at the start, /dev/vfio holds only
# what is bound, and kmemleak finds nothing.
#
# The slot is hot-plugged natively (pciehp) or through ACPI (acpiphp),
# as vm/run-vm.sh --hotplug chose; the scenario tells which from the
# guest's drivers.
#
# Lockdep: on Debian's 6.12, every pciehp hot-unplug makes lockdep report
# "possible circular locking dependency" (pciehp_unconfigure_device()
# takes ctrl->reset_lock again under pci_rescan_remove_lock, after
# pciehp_ist() took them the other way round), with or without VFIO; with
# vfio-pci resetting the device through the slot, a second chain
# (&group->group_lock, dev_set->lock, reset_lock, pci_rescan_remove_lock,
# vfio.group_lock) is there too.  Both are in the kernel without this
# series, and both go through pciehp's reset_lock.  Lockdep turns itself
# off after its first report, so the first unplug is checked by lockdep
# and the later rounds by the other checkers only.  With lockdep on at
# boot, two more tests come at the end: whether the report came (TODO:
# expected), and that no other splat did.  acpiphp has no reset_lock: its
# runs keep lockdep on throughout and must end with no report at all.

. "${VM_LIB:-$(dirname "$(realpath "$0")")/../../vm/guest-lib.sh}"
. "$(dirname "$(realpath "$0")")/lib.sh"

faults_init vfio-user
user=$(faults_bin vfio-user)
rounds=${1:-2}
lockdep=$(cat /sys/module/lockdep/parameters/prove_locking 2>/dev/null || echo 0)
tmp=$(mktemp -d)
groups0=$(iommu_group_count)

# The edu behind the root port: not on bus 00.
hp_edu() { pci_find_all 1234:11e8 | grep -v '^0000:00:' | head -n1; }

edu=$(hp_edu)
[ -n "$edu" ] || { echo "Bail out! no edu behind a root port"; exit 2; }
# Who drives the slot: pciehp binds the port's hotplug service; acpiphp
# (and pciehp too) registers a slot whose address is on the port's bus.
port=$(basename "$(dirname "$(realpath "/sys/bus/pci/devices/$edu")")")
sec=$(printf '%04x:%02x' 0 "$(cat "/sys/bus/pci/devices/$port/secondary_bus_number")")
if [ -e "/sys/bus/pci_express/drivers/pciehp/$port:pcie004" ]; then
	hp=pciehp
elif grep -qs "^$sec:" /sys/bus/pci/slots/*/address; then
	hp=acpiphp
else
	echo "Bail out! no hotplug driver for the slot behind $port"
	exit 2
fi
tap_diag "edu $edu behind $port, hot-plugged by $hp"

for n in $(seq "$rounds"); do
	opts=(--req --on-req close)
	[ "$n" -gt 1 ] && opts+=(--mmio --msi)
	[ "$n" = 1 ] && tap_diag "reset methods of $edu: $(cat "/sys/bus/pci/devices/$edu/reset_method"), lockdep $lockdep"
	bind_noiommu "$edu" || { tap_not_ok "round $n: bind" "$PCI_ERROR"; break; }
	node=$(vfio_group_node "$edu")
	rm -f "$tmp/ready"
	"$user" "${opts[@]}" --ready "$tmp/ready" "$edu" > "$tmp/user-$n.log" 2>&1 &
	pid=$!
	wait_for "[ -e $tmp/ready ]" 30
	tap_result $? "round $n: a user holds $node (${opts[*]})" "$(cat "$tmp/user-$n.log")"

	vm_signal "ready-$n"
	t0=$SECONDS
	wait_for "[ ! -e /sys/bus/pci/devices/$edu ]" 120
	gone=$?
	tap_result $gone "round $n: the unplug removes the PCI device" \
		"still there after $((SECONDS - t0)) s; user: $(tail -n 3 "$tmp/user-$n.log" | tr '\n' ';')"
	wait_for "! kill -0 $pid 2>/dev/null" 10
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	rc=$?
	log=$(grep -v '^mmio' "$tmp/user-$n.log" | tr '\n' ';')
	tap_diag "round $n: removal took $((SECONDS - t0)) s; user: $log"
	[ $rc = 0 ] && [[ $log == *"request 1"*closed* ]]
	tap_result $? "round $n: the user got the request and closed" "rc $rc: $log"
	[ ! -e "$node" ] && [ "$(vfio_nodes)" = vfio ]
	tap_result $? "round $n: the group's node is gone" "/dev/vfio: $(vfio_nodes)"

	vm_wait "deleted-$n" 120
	tap_result $? "round $n: QEMU reports the device deleted"
	vm_signal "gone-$n"
	vm_wait "added-$n" 60
	tap_result $? "round $n: the host plugs a new edu"
	# shellcheck disable=SC2016 # wait_for evaluates it
	wait_for '[ -n "$(hp_edu)" ]' 60
	edu=$(hp_edu)
	[ -n "$edu" ]
	tap_result $? "round $n: the new edu appears" "$(pci_find_all 1234:11e8)"
	[ -n "$edu" ] || break
	bind_noiommu "$edu"
	tap_result $? "round $n: it binds to vfio-pci in a no-IOMMU group" "$PCI_ERROR"
	check=$("$user" --check "$edu" 2>&1)
	tap_result $? "round $n: the new device answers" "$check"
	pci_unbind "$edu"
done

[ "$(iommu_group_count)" = "$groups0" ] && [ "$(vfio_nodes)" = vfio ]
tap_result $? "IOMMU groups back to $groups0, /dev/vfio holds only vfio" \
	"groups $(iommu_group_count), /dev/vfio: $(vfio_nodes)"
kmemleak_check "kmemleak: no leaks after the unplugs"

dmesg > "$tmp/dmesg" 2>/dev/null
if [ "$lockdep" = 1 ] && [ $hp = acpiphp ]; then
	! grep -q 'possible circular locking dependency detected' "$tmp/dmesg"
	tap_result $? "no lockdep report on an ACPI hot-unplug" \
		"$(grep -A 12 'possible circular locking dependency detected' "$tmp/dmesg")"
elif [ "$lockdep" = 1 ]; then
	# The known report, and anything else: the lines of the report
	# (from its title to the end of its stack trace) are taken out and
	# the rest is matched against the harness's splat patterns.
	! grep -q 'possible circular locking dependency detected' "$tmp/dmesg"
	tap_todo $? "no lockdep report on a PCIe hot-unplug" \
		"known: pciehp reset_lock vs pci_rescan_remove_lock, also without VFIO"
	grep -v -e '^#' -e '^[[:space:]]*$' "$VM_TOP/vm/splat-patterns" > "$tmp/patterns"
	other=$(awk '/possible circular locking dependency detected/ { skip = 1 }
		skip && /<\/TASK>/ { skip = 0; next } !skip' "$tmp/dmesg" |
		sed -n 's/^\[ *[0-9]*\.[0-9]*\] //p' |
		grep -E -f "$tmp/patterns" | head -n 10)
	[ -z "$other" ]
	tap_result $? "no kernel splat besides that report" "$other"
fi
rm -rf "$tmp"
tap_done
