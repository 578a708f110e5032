#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vfio-noiommu-dkms's modules on Debian's own kernel, as DKMS installs
# them: runs in the test VM booted with vmmodules=noiommu (the kernel's
# modules plus ours in updates/dkms, tests/debian/build-modules.sh), before
# any VFIO module is loaded (tests/debian/suites runs it first in the
# selftests' VM, through guest-run.sh --first):
#
#	vm/run-vm.sh -k build/debian/F/vmlinuz --initrd build/debian/F/initrd.img \
#		--append vmmodules=noiommu --env DEBIAN_FLAVOUR=F -- $0
#
# Checks that modprobe picks every one of our modules over the kernel's,
# that they are built for the running kernel, that the mode stays off
# unless asked for and that the modprobe.d line of README turns it on,
# that every symbol the kernel's own drivers/vfio exports keeps its CRC
# (so in-tree users of VFIO, e.g. i915's kvmgt, still load), and that the
# package's Makefile refuses sources of another kernel version.

# shellcheck source=vm/guest-lib.sh
. "${VM_LIB:-$(dirname "$(realpath "$0")")/../../vm/guest-lib.sh}"

kver=$(uname -r)
flavour=${DEBIAN_FLAVOUR:?DEBIAN_FLAVOUR (amd64, cloud-amd64) not set}
d=$VM_TOP/build/debian/$flavour
upd=/lib/modules/$kver/updates/dkms
TAINT_OOT_MODULE=12

mapfile -t ours < <(cd "$upd" 2>/dev/null && ls -- *.ko* | sed 's/\.ko.*//')
tap_diag "kernel $kver, our modules in $upd: ${ours[*]:-none}"
[ ${#ours[@]} -gt 0 ]
tap_result $? "vfio-noiommu's modules are installed in updates/dkms" "nothing in $upd"

# Each one is what modprobe resolves, and is built for this kernel.
bad=() vbad=()
for m in "${ours[@]}"; do
	f=$(modinfo -n "$m" 2>/dev/null)
	[[ $f == "$upd/"* ]] || bad+=("$m: $f")
	v=$(modinfo -F vermagic "$m" 2>/dev/null)
	[[ $v == "$kver "* ]] || vbad+=("$m: $v")
done
[ ${#bad[@]} = 0 ]
tap_result $? "modprobe resolves each of them to updates/dkms, not kernel/drivers/vfio" "${bad[@]}"
[ ${#vbad[@]} = 0 ]
tap_result $? "each is built for the running kernel (vermagic $kver)" "${vbad[@]}"

# Loaded plainly, the mode is off.
modprobe vfio-pci
p=$(vfio_noiommu_param)
tap_result $? "vfio has enable_unsafe_noiommu_mode, loaded by modprobe vfio-pci" \
	"no /sys/module/vfio/parameters/enable_unsafe_noiommu_mode"
[ "$p" = N ]
tap_result $? "the mode is off unless asked for" "reads '$p'"
[ "$(cat /sys/module/vfio/srcversion)" = "$(modinfo -F srcversion "$upd"/vfio.ko*)" ]
tap_result $? "the vfio loaded is ours (srcversion)" \
	"loaded $(cat /sys/module/vfio/srcversion), ours $(modinfo -F srcversion "$upd"/vfio.ko*)"
kernel_tainted $TAINT_OOT_MODULE
tap_result $? "the kernel says so: out-of-tree module taint (O)" \
	"tainted $(cat /proc/sys/kernel/tainted)"

# README's modprobe.d line (here in a directory of its own: /etc is the
# host's, read-only).
modprobe -r vfio-pci vfio-pci-core vfio_iommu_type1 vfio
[ ! -d /sys/module/vfio ]
tap_result $? "modprobe -r unloads vfio" "$(lsmod | grep vfio)"
conf=$(mktemp -d)
echo "options vfio enable_unsafe_noiommu_mode=1" > "$conf/vfio-noiommu.conf"
modprobe -C "$conf" vfio-pci
p=$(vfio_noiommu_param)
[ "$p" = Y ]
tap_result $? "modprobe.d 'options vfio enable_unsafe_noiommu_mode=1' turns the mode on" \
	"reads '$p'"
rm -rf "$conf"

# The kernel's own drivers/vfio exports (its Module.symvers) against ours
# (read from our modules by build-modules.sh): same CRC for each, as
# MODVERSIONS checks at load.
theirs=$d/headers/Module.symvers mine=$d/exports.txt
if [ -r "$theirs" ] && [ -s "$mine" ]; then
	diff=$(awk 'NR == FNR { if ($3 ~ /drivers\/vfio/) want[$2] = $1; next }
		{ have[$1] = $2 }
		END { for (s in want) if (have[s] != want[s])
			printf "%s: kernel %s, ours %s\n", s, want[s], (s in have) ? have[s] : "missing" }' \
		"$theirs" "$mine" | sort)
	n=$(awk '$3 ~ /drivers\/vfio/' "$theirs" | wc -l)
	[ -z "$diff" ] && [ "$n" -gt 0 ]
	tap_result $? "the $n symbols the kernel's drivers/vfio exports keep their CRCs" "$diff"
else
	tap_not_ok "the symbols the kernel's drivers/vfio exports keep their CRCs" \
		"missing $theirs or $mine"
fi
# dkms remove, the package's prerm, tried by build-modules.sh on a copy of
# this tree: it must leave none of ours in updates/dkms, so that modprobe
# finds the kernel's own again (as in the stock runs).
r=$(cat "$d/dkms-remove.txt" 2>/dev/null || echo "no $d/dkms-remove.txt")
[ "$r" = "removed, left in updates/dkms: " ]
tap_result $? "dkms remove (the package's prerm) takes all of ours out of updates/dkms" "$r"

# The package's Makefile, run as DKMS runs it, accepts this kernel's
# headers and refuses them when the sources are of another version (here
# pretended on make's command line); nothing is compiled, nothing written.
src=$(ls -d "$d"/pkg/usr/src/vfio-noiommu-*)
if out=$(make -s -C "$src" KDIR="$d/headers" check-kernel 2>&1); then rc=0; else rc=1; fi
linux=$(sed -n 's/^VFIO_NOIOMMU_LINUX := //p' "$src/source-version.mk")
tap_result $rc "the package's Makefile accepts this kernel's headers (sources of Linux $linux)" "$out"
out=$(make -s -C "$src" KDIR="$d/headers" VFIO_NOIOMMU_LINUX=6.12.0 check-kernel 2>&1)
rc=$?
tap_diag "with sources of 6.12.0 it says:" "$out"
[ $rc != 0 ] && [[ $out == *"refusing to build"*"Linux 6.12.0, the kernel is Linux "* ]]
tap_result $? "and refuses them, saying why, for sources of another version (6.12.0)" \
	"exit $rc: $out"
tap_done
