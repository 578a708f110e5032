#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What a process without CAP_SYS_RAWIO can do with a no-IOMMU group, from
# every angle.  Runs in the test VM on the debug kernel with an edu:
#
#	vm/run-vm.sh -k IMAGE -o OUT --edu -- $0
#
# build/faults/vfio-priv runs twice, with two kinds of peer:
#   norawio  root without CAP_SYS_RAWIO;
#   nobody   uid 65534 without any capability, the group node made
#            world-writable (0666) for the test.
# An owner with all capabilities builds each state of the legacy sequence
# and passes its fds to the peer over a unix socket (SCM_RIGHTS).  The
# expectations, with this series:
#   - the peer cannot open the node, attach a passed group to a container,
#     set the IOMMU type of a passed container, or get a device fd from a
#     passed group (EPERM), whatever the node's mode;
#   - it can open /dev/vfio/vfio and ask VFIO_CHECK_EXTENSION, read a
#     passed group's status, and take a passed group out of its container
#     (which only undoes the owner's setup);
#   - with a passed, already open DEVICE fd it can use the device: region
#     info, config space, BAR read/write and mmap, interrupts, reset.  An
#     open device fd is like an open /dev/mem fd: whoever holds it was
#     given the device (documented as such).
# Every answer is one TAP test; the exact errno is in its name.

. "${VM_LIB:-$(dirname "$(realpath "$0")")/../../vm/guest-lib.sh}"
. "$(dirname "$(realpath "$0")")/lib.sh"

faults_init vfio-priv
priv=$(faults_bin vfio-priv)
edu=$(pci_find 1234:11e8) || { echo "Bail out! no edu"; exit 2; }
bind_noiommu "$edu" || { echo "Bail out! edu: $PCI_ERROR"; exit 2; }
node=$(vfio_group_node "$edu")
mode0=$(stat -c %a "$node")

# NAME EXPECTED WHAT: EXPECTED is OK, an errno name, REFUSED (any error) or
# NOT-EPERM (anything but a refusal for lack of privilege: the edu has no
# reset method, so VFIO_DEVICE_RESET says EINVAL to anybody).
expect=(
	"node.open EPERM opening the group node"
	"container.open OK opening /dev/vfio/vfio"
	"container.check_extension_new OK VFIO_CHECK_EXTENSION(VFIO_NOIOMMU_IOMMU) on its own container"
	"group.get_status OK VFIO_GROUP_GET_STATUS on a passed group fd"
	"group.set_container EPERM VFIO_GROUP_SET_CONTAINER of a passed group fd"
	"group.get_device_fd_unattached EINVAL VFIO_GROUP_GET_DEVICE_FD before any container"
	"container.set_iommu_noiommu EPERM VFIO_SET_IOMMU(VFIO_NOIOMMU_IOMMU) on a passed container"
	"container.set_iommu_type1v2 REFUSED VFIO_SET_IOMMU(VFIO_TYPE1v2_IOMMU) on a passed container"
	"group.get_device_fd_no_iommu_set EINVAL VFIO_GROUP_GET_DEVICE_FD before VFIO_SET_IOMMU"
	"container.check_extension OK VFIO_CHECK_EXTENSION on a passed, set-up container"
	"container.map_dma ENOTTY VFIO_IOMMU_MAP_DMA on a passed no-IOMMU container"
	"group.get_device_fd EPERM VFIO_GROUP_GET_DEVICE_FD from a passed, set-up group"
	"group.unset_container OK VFIO_GROUP_UNSET_CONTAINER of a passed group (undoes the owner's setup only)"
	"device.get_info OK VFIO_DEVICE_GET_INFO on a passed device fd"
	"device.get_region_info OK VFIO_DEVICE_GET_REGION_INFO on a passed device fd"
	"device.config_read OK config space read through a passed device fd"
	"device.config_write OK config space write through a passed device fd"
	"device.bar_read OK BAR0 read through a passed device fd"
	"device.bar_write OK BAR0 write through a passed device fd"
	"device.bar_mmap OK BAR0 mmap through a passed device fd"
	"device.set_irqs_msi OK VFIO_DEVICE_SET_IRQS (MSI to an eventfd) on a passed device fd"
	"device.reset NOT-EPERM VFIO_DEVICE_RESET on a passed device fd"
)

# (bash builtins only below: every exec costs under TCG with KASAN)
for peer in norawio nobody; do
	out=$("$priv" "$peer" "$edu" 2>&1)
	rc=$?
	declare -A LINE=() GOT=()
	other=()
	while IFS= read -r l; do
		read -r w1 _ w3 w4 _ <<< "$l"
		if [ "$w1" = RESULT ]; then
			LINE[$w3]=$l GOT[$w3]=$w4
		else
			other+=("$l")
		fi
	done <<< "$out"
	tap_diag "vfio-priv $peer (exit $rc):" "${other[@]}"
	for e in "${expect[@]}"; do
		read -r name want what <<< "$e"
		line=${LINE[$name]:-} got=${GOT[$name]:-}
		case "$want" in
		REFUSED) [ -n "$got" ] && [ "$got" != OK ] ;;
		NOT-EPERM) [ -n "$got" ] && [ "$got" != EPERM ] ;;
		*) [ "$got" = "$want" ] ;;
		esac
		res=$?
		label=$want
		[ "$want" = REFUSED ] && label="refused${got:+ ($got)}"
		[ "$want" = NOT-EPERM ] && label="not refused for privilege${got:+ ($got)}"
		[ "$want" = OK ] && label=allowed
		tap_result $res "$peer: $what: $label" "got: ${line:-no result}"
	done
	[ $rc = 0 ]
	tap_result $? "$peer: the owner's side ran to its end" "exit $rc"
done
[ "$(stat -c %a "$node")" = "$mode0" ]
tap_result $? "the node's mode is back to $mode0" "$(stat -c %a "$node")"

pci_unbind "$edu"
[ "$(vfio_nodes)" = vfio ]
tap_result $? "/dev/vfio holds only vfio at the end" "$(vfio_nodes)"
kmemleak_check "kmemleak: no leaks"
tap_done
