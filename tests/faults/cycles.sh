#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Bind/unbind cycles, races on the mode and on opening, and leaks.  Runs in
# the test VM on the debug kernel with two edus and an e1000:
#
#	vm/run-vm.sh -k IMAGE -o OUT --edu --edu --nic e1000 -- $0 [CYCLES [SECS]]
#
#   1. CYCLES (default 1000) rounds on one edu: bind to vfio-pci, open and
#      close the group node, unbind; every step must work and the node
#      must go away each time; then 50 rounds that also open a container
#      and the device fd;
#   2. for SECS (default 20) seconds, 3 processes per device bind, open and
#      unbind each of the three devices against each other while another
#      process turns enable_unsafe_noiommu_mode on and off every few ms;
#   3. 8 processes, 20 times, open the same group at the same moment:
#      exactly one wins, all others get EBUSY.
# Afterwards: the IOMMU group count is back to its start, the group
# numbers stayed below the number of devices (ids are reused, not leaked),
# /dev/vfio holds only what is bound, and kmemleak finds nothing.

. "${VM_LIB:-$(dirname "$(realpath "$0")")/../../vm/guest-lib.sh}"
. "$(dirname "$(realpath "$0")")/lib.sh"

faults_init vfio-cycle vfio-race
cycle=$(faults_bin vfio-cycle)
race=$(faults_bin vfio-race)
cycles=${1:-1000} secs=${2:-20}
# shellcheck disable=SC2207 # BDFs have no blanks
devs=($(pci_find_all 1234:11e8; pci_find_all 8086:100e))
[ ${#devs[@]} -ge 2 ] || { echo "Bail out! want at least two devices, have: ${devs[*]}"; exit 2; }
edu=${devs[0]}
groups0=$(iommu_group_count)
tap_diag "devices: ${devs[*]}; IOMMU groups at start: $groups0"

for d in "${devs[@]}"; do
	pci_unbind "$d"
	echo vfio-pci > "/sys/bus/pci/devices/$d/driver_override"
done

# value KEY OUTPUT: the number after KEY in vfio-cycle's report
value() { sed -n "s/^$1 \([0-9-]*\).*/\1/p" <<< "$2" | tail -n1; }

# 1. Cycles
t0=$SECONDS
out=$("$cycle" cycles "$cycles" "$edu" 2>&1)
rc=$?
tap_diag "$(tail -n 4 <<< "$out")"
record bind-cycles "$(sed -n 's/^\([0-9]*\) cycles in.*/\1/p' <<< "$out")"
tap_result $rc "$cycles bind/open/close/unbind cycles of $edu, every step works" \
	"$(grep -m5 '^error' <<< "$out")"
maxg=$(value max-group "$out")
[ -n "$maxg" ] && [ "$maxg" -lt 1 ]
tap_result $? "one device bound at a time: always group 0 (noiommu-0), no id leaked" \
	"highest group seen: $maxg"
out=$("$cycle" cycles --device 50 "${devs[1]}" 2>&1)
rc=$?
tap_diag "$(tail -n 4 <<< "$out")"
tap_result $rc "50 cycles with a container and the device fd each time" \
	"$(grep -m5 '^error' <<< "$out")"
tap_diag "cycles took $((SECONDS - t0)) s"

# 2. Racing binders and the mode toggled under them
out=$("$cycle" race --procs 3 "$secs" "${devs[@]}" 2>&1)
rc=$?
tap_diag "$(tail -n 4 <<< "$out")"
tap_result $rc "racing binders with the mode toggled: nothing unexpected for ${secs}s" \
	"$(grep -m5 '^error' <<< "$out")"
toggles=$(grep -o 'toggles [0-9]*' <<< "$out" | awk '{print $2}')
[ "${toggles:-0}" -gt 10 ]
tap_result $? "the mode was really toggled" "toggles: ${toggles:-none}"
maxg=$(value max-group "$out")
[ -n "$maxg" ] && [ "$maxg" -lt ${#devs[@]} ]
tap_result $? "group numbers stay below the number of devices (${#devs[@]})" \
	"highest group seen: $maxg"
[ "$(vfio_noiommu_param)" = Y ]
tap_result $? "the mode is on again" "$(vfio_noiommu_param)"

# Everything unbound: back to the start
for d in "${devs[@]}"; do pci_unbind "$d"; done
[ "$(iommu_group_count)" = "$groups0" ]
tap_result $? "IOMMU groups back to $groups0 after all unbinds" \
	"$(ls /sys/kernel/iommu_groups)"
[ "$(vfio_nodes)" = vfio ]
tap_result $? "/dev/vfio holds only vfio" "$(vfio_nodes)"

# Bound again: numbered from 0
nodes=()
for d in "${devs[@]}"; do
	bind_noiommu "$d" && nodes+=("$(vfio_group_node "$d")")
done
ids=$(printf '%s\n' "${nodes[@]}" | sed 's/.*noiommu-//' | sort -n | tr '\n' ' ')
[ "$ids" = "$(seq -s ' ' 0 $((${#devs[@]} - 1))) " ]
tap_result $? "bound again, the devices get groups 0..$((${#devs[@]} - 1))" "groups: $ids"
# The groups' nodes, and the devices' cdevs where the kernel makes them.
cdevs=$(for d in "${devs[@]}"; do vfio_cdev_node "$d"; done | sort | tr '\n' ' ')
# shellcheck disable=SC2086 # one word per group
[ "$(vfio_nodes)" = "$(printf 'noiommu-%s ' $ids)vfio${cdevs:+ ${cdevs% }}" ]
tap_result $? "/dev/vfio holds exactly the bound devices' nodes" "$(vfio_nodes)"

# 3. Racing opens
out=$("$race" 20 8 "${nodes[0]}" 2>&1)
rc=$?
tap_diag "$(tail -n 1 <<< "$out")"
tap_result $rc "8 processes open ${nodes[0]} at once, 20 times: one wins, the rest get EBUSY" \
	"$out"

for d in "${devs[@]}"; do
	pci_unbind "$d"
	echo > "/sys/bus/pci/devices/$d/driver_override"
done
[ "$(iommu_group_count)" = "$groups0" ] && [ "$(vfio_nodes)" = vfio ]
tap_result $? "all unbound: groups back to $groups0, /dev/vfio holds only vfio" \
	"groups $(iommu_group_count), /dev/vfio: $(vfio_nodes)"
for d in $(pci_find_all 8086:100e); do pci_bind_default "$d"; done
kmemleak_check "kmemleak: no leaks after the cycles and races"
tap_done
