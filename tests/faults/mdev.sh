#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The mdev sample (mtty) used beside no-IOMMU groups.  Runs in the test VM
# on the debug kernel with an edu and an e1000:
#
#	vm/run-vm.sh -k IMAGE -o OUT --edu --nic e1000 -- $0
#
# Binds both PCI devices to vfio-pci (no-IOMMU groups), creates an mtty
# mdev (an "emulated IOMMU" group, /dev/vfio/N) and runs
# build/faults/vfio-mdev, which uses the edu in a VFIO_NOIOMMU_IOMMU
# container while the mdev works in a VFIO_TYPE1v2_IOMMU container (type1
# keeps emulated groups without any IOMMU), checks that neither container
# takes the other kind of group, and uses both devices in turns.  Then the
# mdev is removed, the devices unbound; nothing is left in /dev/vfio, and
# kmemleak finds nothing.

. "${VM_LIB:-$(dirname "$(realpath "$0")")/../../vm/guest-lib.sh}"
. "$(dirname "$(realpath "$0")")/lib.sh"

faults_init vfio-mdev
mdevbin=$(faults_bin vfio-mdev)
edu=$(pci_find 1234:11e8) || { echo "Bail out! no edu"; exit 2; }
nic=$(pci_find 8086:100e) || { echo "Bail out! no e1000"; exit 2; }
types=/sys/class/mdev_bus/mtty/mdev_supported_types
# A modular kernel: nothing loads the mtty sample by itself.
if [ ! -d /sys/class/mdev_bus/mtty ] && modinfo mtty >/dev/null 2>&1; then
	modprobe mtty && tap_diag "modprobe mtty: loaded"
fi
[ -d "$types/mtty-1" ] || { echo "Bail out! no mtty mdev type (CONFIG_SAMPLE_VFIO_MDEV_MTTY)"; exit 2; }

bind_noiommu "$edu" || { echo "Bail out! edu: $PCI_ERROR"; exit 2; }
bind_noiommu "$nic" || { echo "Bail out! e1000: $PCI_ERROR"; exit 2; }

uuid=$(cat /proc/sys/kernel/random/uuid)
rc=0
echo "$uuid" > "$types/mtty-1/create" || rc=1
tap_result $rc "an mtty mdev is created" "$uuid"
mgroup=$(readlink "/sys/bus/mdev/devices/$uuid/iommu_group")
mnode=/dev/vfio/${mgroup##*/}
[ -c "$mnode" ]
tap_result $? "its group is $mnode, beside the no-IOMMU groups" "/dev/vfio: $(vfio_nodes)"
tap_diag "/dev/vfio: $(vfio_nodes)"

out=$("$mdevbin" "$edu" "$nic" "$mnode" "$uuid" 2>&1)
rc=$?
tap_diag "vfio-mdev (exit $rc):" "$(grep -v '^RESULT' <<< "$out")"

expect=(
	"noiommu.open OK the edu opens in a no-IOMMU container"
	"noiommu.mmio OK the edu answers through its BAR mmap"
	"mdev.open_group OK the mdev's group opens"
	"mdev.into_noiommu_container EPERM the no-IOMMU container refuses the mdev's group"
	"mdev.set_container OK the mdev's group joins a container of its own"
	"mdev.set_iommu_type1v2 OK that container takes VFIO_TYPE1v2_IOMMU"
	"mdev.get_device_fd OK the mdev's device fd"
	"mdev.config_id OK the mdev's config space (mtty's IDs)"
	"mdev.bar0_info OK the mdev's BAR0 region"
	"mdev.uart_echo OK a byte through mtty's UART comes back"
	"noiommu.into_type1_container EPERM the type1 container refuses the e1000's no-IOMMU group"
	"noiommu.second_group_same_container OK the no-IOMMU container takes the e1000's group too"
	"mdev.container_check_noiommu OK VFIO_CHECK_EXTENSION on the type1 container"
	"both.in_turns OK the edu and the mdev used in turns"
	"closed OK everything closed"
)
# (bash builtins only: every exec costs under TCG with KASAN)
declare -A LINE=() GOT=()
while IFS= read -r l; do
	read -r w1 w2 w3 _ <<< "$l"
	[ "$w1" = RESULT ] && LINE[$w2]=$l GOT[$w2]=$w3
done <<< "$out"
for e in "${expect[@]}"; do
	read -r name want what <<< "$e"
	line=${LINE[$name]:-}
	[ "${GOT[$name]:-}" = "$want" ]
	tap_result $? "$what ($want)" "got: ${line:-no result}"
done

echo 1 > "/sys/bus/mdev/devices/$uuid/remove"
[ ! -e "/sys/bus/mdev/devices/$uuid" ] && [ ! -e "$mnode" ]
tap_result $? "removing the mdev removes its group" "/dev/vfio: $(vfio_nodes)"
pci_unbind "$edu"
pci_unbind "$nic"
[ "$(vfio_nodes)" = vfio ]
tap_result $? "/dev/vfio holds only vfio at the end" "$(vfio_nodes)"
pci_bind_default "$nic"
kmemleak_check "kmemleak: no leaks"
tap_done
