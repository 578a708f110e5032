#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The initramfs that boots Debian's own kernel in the test VM:
#
#	tests/debian/make-initramfs.sh FLAVOUR	(amd64 or cloud-amd64)
#
# writes build/debian/FLAVOUR/initrd.img: the host's static busybox,
# tests/debian/initramfs-init.sh as /init, and the kernel's modules for a
# 9p root and overlayfs with their dependencies (uncompressed, in load
# order), when the kernel has them as modules: the cloud flavour has no 9p
# at all, and its VMs use virtiofs (built in) instead.  Needs build-modules.sh's modules-stock.
set -eu
top=$(realpath "$(dirname "$0")/../..")
. "$top/scripts/lib.sh"

[ $# = 1 ] || die "usage: $0 FLAVOUR"
flavour=$1
d=$top/build/debian/$flavour
kver=$(cat "$d/kver")
mroot=$d/modules-stock
[ -f "$mroot/lib/modules/$kver/modules.dep" ] || die "no $mroot (tests/debian/build-modules.sh $flavour)"
[ -x /bin/busybox ] || die "no /bin/busybox (busybox-static)"

w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
mkdir -p "$w"/{bin,dev,proc,sys,modules,newroot}
cp /bin/busybox "$w/bin/"
for a in sh mount umount insmod switch_root mkdir cat ls sleep echo; do
	ln -s busybox "$w/bin/$a"
done
sed "s|@FLAVOUR_DIR@|$d|" "$top/tests/debian/initramfs-init.sh" > "$w/init"
chmod 755 "$w/init"

: > "$w/modules/order"
want=()
grep -qx 'CONFIG_9P_FS=m' "$d/headers/.config" && want+=(9p 9pnet_virtio)
grep -qx 'CONFIG_OVERLAY_FS=m' "$d/headers/.config" && want+=(overlay)
if [ ${#want[@]} -gt 0 ]; then
	for m in "${want[@]}"; do
		modprobe -d "$mroot" -S "$kver" --show-depends "$m"
	done |
	while read -r cmd path _; do
		[ "$cmd" = insmod ] || continue
		n=$(basename "$path" .xz)
		grep -qx "$n" "$w/modules/order" && continue
		xz -dc "$path" > "$w/modules/$n"
		echo "$n" >> "$w/modules/order"
	done
fi
(cd "$w" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -9 > "$d/initrd.img"
ok "$flavour: build/debian/$flavour/initrd.img, modules: $(tr '\n' ' ' < "$w/modules/order")"
