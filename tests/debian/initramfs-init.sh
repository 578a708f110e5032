#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the initramfs that boots Debian's own kernel in the test VM
# (tests/debian/make-initramfs.sh puts it there, busybox runs it).  Debian's
# kernel has 9p as modules: load them (the list is in /modules/order),
# mount the root the kernel command line of vm/run-vm.sh names (root=,
# rootfstype=9p or virtiofs, rootflags=), lay the module tree of this run
# over /usr/lib (overlayfs, loaded here too), and hand over to the init= of the command line,
# vm/guest-init.sh, with this script's arguments (the output directory),
# as the kernel would without an initramfs.
#
# vmmodules=stock|noiommu on the command line picks the module tree:
# Debian's modules alone, or with vfio-noiommu's in updates/dkms
# (tests/debian/build-modules.sh).  With virtiofs, the output directory is
# a virtiofs share too (tag vmout) and is mounted here, where
# vm/guest-init.sh, which mounts it over 9p otherwise, finds it mounted.

export PATH=/bin
FLAVOUR_DIR=@FLAVOUR_DIR@

say() { echo "vm-initramfs: $*"; }
fail() {
	say "error: $*"
	echo b > /proc/sysrq-trigger
	sleep 10
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

root='' fstype='' flags='' init='' mods=''
for w in $(cat /proc/cmdline); do
	case "$w" in
	root=*) root=${w#root=} ;;
	rootfstype=*) fstype=${w#rootfstype=} ;;
	rootflags=*) flags=${w#rootflags=} ;;
	init=*) init=${w#init=} ;;
	vmmodules=*) mods=${w#vmmodules=} ;;
	--) break ;;
	esac
done
[ -n "$root" ] && [ -n "$init" ] || fail "no root= or init= on the command line"
case "$mods" in
stock|noiommu) ;;
*) fail "vmmodules=stock or vmmodules=noiommu wanted on the command line, got '$mods'" ;;
esac

while read -r m; do
	insmod "/modules/$m" || fail "cannot load $m"
done < /modules/order

mkdir -p /newroot
case "$fstype" in
9p) mount -t 9p -o "ro,$flags" "$root" /newroot ;;
virtiofs) mount -t virtiofs -o ro "$root" /newroot ;;
*) fail "rootfstype $fstype: want 9p or virtiofs" ;;
esac || fail "cannot mount the root ($fstype $root)"

# The host may have no /lib/modules to bind the tree on: lay the tree's
# lib/ over /usr/lib (merged /usr: /lib is usr/lib) as a read-only overlay.
tree=$FLAVOUR_DIR/modules-$mods/lib
[ -d "/newroot$tree/modules" ] || fail "no module tree $tree/modules"
mount -t overlay overlay -o "ro,lowerdir=/newroot$tree:/newroot/usr/lib" /newroot/usr/lib ||
	fail "cannot lay $tree over /usr/lib"
if [ "$fstype" = virtiofs ]; then
	[ -n "${1:-}" ] || fail "no output directory after -- on the command line"
	mount -t virtiofs vmout "/newroot$1" || fail "cannot mount the output directory $1"
fi
say "root $root ($fstype), modules $mods: $(ls /newroot/usr/lib/modules)"

umount /proc /sys /dev
exec switch_root /newroot "$init" "$@"
