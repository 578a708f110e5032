#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# VFIO no-IOMMU mode, present or absent.  Runs in the test VM (q35, no
# IOMMU) with one e1000 NIC:
#
#	vm/run-vm.sh -k IMAGE -o OUT --nic e1000 --env KERNEL_FLAVOUR=base \
#		[--append vfio.enable_unsafe_noiommu_mode=1] -- $0
#
# The e1000 has no IOMMU group.  With the mode off, vfio-pci must refuse it;
# with the mode on (vfio.enable_unsafe_noiommu_mode=1 at boot, or written to
# /sys/module/vfio/parameters at run time) vfio-pci takes it in a fake group
# /dev/vfio/noiommu-N, VFIO_CHECK_EXTENSION(VFIO_NOIOMMU_IOMMU) says 1 and
# the kernel is tainted.  Each refused case is reported next to its allowed
# case.
#
# KERNEL_FLAVOUR says what the kernel should do: "series" and "upstream"
# have the mode; "base" is the tree with it removed, where the allowed cases
# must fail in exactly the way an absent feature fails (no parameter, bind
# refused, no group, extension 0, no taint).  Those are reported as TAP TODO
# (expected failure); any other outcome on base is a plain failure, and the
# feature working on base is an unexpected pass.

. "${VM_LIB:-$(dirname "$(realpath "$0")")/../../vm/guest-lib.sh}"

E1000=8086:100e
VFIO_TYPE1_IOMMU=1 VFIO_NOIOMMU_IOMMU=8 TAINT_USER=6

flavour_init

# The mode at boot, as the command line asked for it.
boot_on=0
for w in $(cat /proc/cmdline); do
	case "$w" in
	vfio.enable_unsafe_noiommu_mode=[1Yy]*) boot_on=1 ;;
	vfio.enable_unsafe_noiommu_mode) boot_on=1 ;;
	vfio.enable_unsafe_noiommu_mode=*) boot_on=0 ;;
	esac
done
boot_mode=N; [ $boot_on = 1 ] && boot_mode=Y

noiommu_nodes() {
	local n all=
	for n in /dev/vfio/noiommu-*; do
		[ -e "$n" ] && all+=" ${n##*/}"
	done
	echo "${all# }"
}

# ---- Facts before anything is bound ------------------------------------
bdf=$(pci_find $E1000) || { echo "Bail out! no e1000 ($E1000) in the VM"; exit 2; }
start_group=$(pci_iommu_group "$bdf")
start_driver=$(pci_driver "$bdf")
kernel_tainted $TAINT_USER && start_taint=1 || start_taint=0
param=$(vfio_noiommu_param) && have_param=1 || have_param=0
# A kernel may lack the NIC's own driver (Debian's cloud kernel has no
# e1000): the device then has nothing to go back to.
have_e1000=1
[ -d /sys/bus/pci/drivers/e1000 ] || modinfo e1000 >/dev/null 2>&1 || have_e1000=0
tap_diag "flavour $KERNEL_FLAVOUR, e1000 at $bdf (driver ${start_driver:-none})," \
	"mode at boot $boot_mode, parameter: ${param:-absent}"

# ---- The two phases ----------------------------------------------------
# phase off|on: set the mode (when the kernel has the parameter), try to
# bind the e1000 to vfio-pci, record what happened in R[], give the device
# back to e1000.
declare -A R
phase() {
	local m=$1 want=N node group
	[ "$m" = on ] && want=Y
	if [ $have_param = 1 ] && [ "$(vfio_noiommu_param)" != $want ]; then
		vfio_noiommu_set $want
	fi
	R[$m.param]=$(vfio_noiommu_param || echo absent)
	if pci_bind "$bdf" vfio-pci; then
		R[$m.bind]=0 R[$m.bind_why]="bound to vfio-pci"
	else
		R[$m.bind]=1 R[$m.bind_why]=$PCI_ERROR
	fi
	group=$(pci_iommu_group "$bdf")
	node=$(vfio_group_node "$bdf")
	R[$m.group]=$group R[$m.node]=$node R[$m.nodes]=$(noiommu_nodes)
	R[$m.ext]=$(vfio_check_extension $VFIO_NOIOMMU_IOMMU 2>&1 | tail -n1)
	kernel_tainted $TAINT_USER && R[$m.taint]=1 || R[$m.taint]=0
	if [ -n "$node" ]; then
		R[$m.norawio]=$(setpriv --bounding-set=-sys_rawio --inh-caps=-sys_rawio \
			bash -c '. "$0"; vfio_open_device "$@"' "$VM_LIB" \
			"$node" "$bdf" $VFIO_NOIOMMU_IOMMU 2>&1)
		R[$m.type1]=$(vfio_open_device "$node" "$bdf" $VFIO_TYPE1_IOMMU 2>&1)
		R[$m.open]=$(vfio_open_device "$node" "$bdf" $VFIO_NOIOMMU_IOMMU 2>&1) &&
			R[$m.open_rc]=0 || R[$m.open_rc]=1
	fi
	pci_unbind "$bdf"
	R[$m.gone_group]=$(pci_iommu_group "$bdf")
	R[$m.gone_nodes]=$(noiommu_nodes)
	back_to_e1000 "$m"
}

# back_to_e1000 PHASE: give the device back to its own driver; R[PHASE.back]
# is the driver it then has, R[PHASE.back_why] what went wrong if that is
# not e1000.
# A first probe that does not take is asked once more after a second, and
# said in a diagnostic either way: a second failure fails the test.
back_to_e1000() {
	local m=$1 lines err try why
	[ $have_e1000 = 1 ] || return 0
	for try in 1 2; do
		lines=$(dmesg 2>/dev/null | wc -l)
		why=
		err=$(pci_bind_default "$bdf" 2>&1) || why="drivers_probe: ${err:-failed}; "
		R[$m.back]=$(pci_driver "$bdf")
		[ "${R[$m.back]}" = e1000 ] && break
		why+="probe error '$(pci_probe_error "$bdf" $((lines + 1)))'"
		why+=", override '$(cat "/sys/bus/pci/devices/$bdf/driver_override")'"
		why+=", kernel: $(dmesg 2>/dev/null | tail -n +$((lines + 1)) |
			grep -F "$bdf" | tail -n 3 | paste -sd'|')"
		tap_diag "phase $m, try $try: the e1000 did not come back: $why"
		R[$m.back_why]+="try $try: $why; "
		sleep 1
	done
	[ "${R[$m.back]}" = e1000 ] && R[$m.back_why]=
}

# Booted with the mode on: use it as booted first, then turn it off.
if [ $boot_on = 1 ]; then
	phase on
	phase off
else
	phase off
	phase on
fi

# ---- Report ------------------------------------------------------------
tap_result "$([ -d /sys/bus/pci/drivers/vfio-pci ]; echo $?)" \
	"vfio-pci driver is registered"
tap_result "$([ -z "$start_group" ]; echo $?)" \
	"e1000 has no IOMMU group before vfio-pci (no virtual IOMMU)" \
	"iommu_group: $start_group"

# The parameter.
if [ $have_param = 1 ]; then
	[ "$param" = $boot_mode ]
	tap_feature $? 1 "enable_unsafe_noiommu_mode parameter exists, reads $boot_mode at boot" \
		"reads $param"
else
	tap_feature 1 0 "enable_unsafe_noiommu_mode parameter exists, reads $boot_mode at boot" \
		"no $VFIO_NOIOMMU_PARAM"
fi

# Binding.
[ "${R[off.bind]}" = 1 ]
tap_result $? "mode off: vfio-pci refuses the e1000" "${R[off.bind_why]}"
tap_diag "mode off: ${R[off.bind_why]}"
tap_feature "${R[on.bind]}" $((1 - ${R[on.bind]})) "mode on: vfio-pci binds the e1000" \
	"${R[on.bind_why]}"

# The group and its node.
[ -z "${R[off.group]}" ] && [ -z "${R[off.nodes]}" ]
tap_result $? "mode off: no IOMMU group, no /dev/vfio/noiommu-* node" \
	"group '${R[off.group]}', nodes '${R[off.nodes]}'"
[ -n "${R[on.group]}" ] && [ "${R[on.node]}" = "/dev/vfio/noiommu-${R[on.group]}" ]
rc=$?
[ -z "${R[on.group]}" ] && [ -z "${R[on.nodes]}" ]
tap_feature $rc $? "mode on: IOMMU group N with node /dev/vfio/noiommu-N" \
	"group '${R[on.group]}', node '${R[on.node]}', noiommu nodes '${R[on.nodes]}'"

# The container's extension check.
[ "${R[off.ext]}" = 0 ]
tap_result $? "mode off: VFIO_CHECK_EXTENSION(VFIO_NOIOMMU_IOMMU) is 0" \
	"returned ${R[off.ext]}"
[ "${R[on.ext]}" = 1 ]
rc=$?
[ "${R[on.ext]}" = 0 ]
tap_feature $rc $? "mode on: VFIO_CHECK_EXTENSION(VFIO_NOIOMMU_IOMMU) is 1" \
	"returned ${R[on.ext]}"

# The taint.  With the mode on at boot, the "off" phase runs second, after
# the taint; the state before any binding is what counts then.
off_taint=$start_taint
[ $boot_on = 0 ] && off_taint=$((start_taint | ${R[off.taint]}))
[ $off_taint = 0 ]
tap_result $? "mode off: kernel not tainted (TAINT_USER clear)" \
	"tainted: $(cat /proc/sys/kernel/tainted) at the end"
[ "${R[on.taint]}" = 1 ]
rc=$?
tap_feature $rc $((1 - rc)) "mode on: binding taints the kernel (TAINT_USER, 64)" \
	"TAINT_USER bit ${R[on.taint]}, tainted $(cat /proc/sys/kernel/tainted)"

# Using the group the legacy way, as DPDK does.
nogroup="no noiommu group to open"
if [ -n "${R[on.node]}" ]; then
	case "${R[on.norawio]}" in *": EPERM") rc=0 ;; *) rc=1 ;; esac
	tap_result $rc "mode on: opening the group without CAP_SYS_RAWIO is refused" \
		"got: ${R[on.norawio]}"
	case "${R[on.type1]}" in "VFIO_SET_IOMMU($VFIO_TYPE1_IOMMU): "*) rc=0 ;; *) rc=1 ;; esac
	tap_result $rc "mode on: the group's container refuses VFIO_TYPE1_IOMMU" \
		"got: ${R[on.type1]}"
	tap_feature "${R[on.open_rc]}" 1 \
		"mode on: group joins a VFIO_NOIOMMU_IOMMU container, gives a device fd" \
		"got: ${R[on.open]}"
else
	tap_feature 1 0 "mode on: opening the group without CAP_SYS_RAWIO is refused" "$nogroup"
	tap_feature 1 0 "mode on: the group's container refuses VFIO_TYPE1_IOMMU" "$nogroup"
	tap_feature 1 0 "mode on: group joins a VFIO_NOIOMMU_IOMMU container, gives a device fd" \
		"$nogroup"
fi

# Unbinding.
if [ -n "${R[on.group]}" ]; then
	[ -z "${R[on.gone_group]}" ] && [ -z "${R[on.gone_nodes]}" ]
	tap_feature $? 1 "mode on: unbinding from vfio-pci removes the group and its node" \
		"group '${R[on.gone_group]}', nodes '${R[on.gone_nodes]}'"
else
	tap_feature 1 0 "mode on: unbinding from vfio-pci removes the group and its node" \
		"no group was made"
fi
if [ $have_e1000 = 1 ]; then
	[ "${R[off.back]}" = e1000 ] && [ "${R[on.back]}" = e1000 ]
	tap_result $? "e1000 driver takes the device back after each phase" \
		"after mode off: '${R[off.back]}'${R[off.back_why]:+ (${R[off.back_why]})}," \
		"after mode on: '${R[on.back]}'${R[on.back_why]:+ (${R[on.back_why]})}"
else
	tap_skip "e1000 driver takes the device back after each phase" \
		"$(uname -r) has no e1000 driver"
fi

tap_done
