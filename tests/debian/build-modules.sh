#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build vfio-noiommu-dkms's modules for Debian's own kernel with DKMS itself,
# against the headers unpacked by fetch-kernel.sh, and lay out two module
# trees for the VM; nothing is installed on this machine:
#
#	tests/debian/build-modules.sh FLAVOUR	(amd64 or cloud-amd64)
#
# The package is build/dkms/vfio-noiommu-dkms_*.deb (make dkms), unpacked
# in build/debian/FLAVOUR/pkg.  "dkms add" and "dkms build" run with a tree
# of their own (--dkmstree, --sourcetree), so DKMS reads the package's
# dkms.conf and runs its make command exactly as on a Debian machine; what
# "dkms install" installs them into the VM's tree (--installtree), in
# updates/dkms, and depmod runs on that tree.  "dkms remove", the package's
# prerm, is tried on a copy of it.
# In build/debian/FLAVOUR:
#
#	modules-stock/lib/modules/KVER      Debian's modules, depmod'ed
#	modules-noiommu/lib/modules/KVER    the same plus ours in updates/dkms,
#	                                    and extra/mtty.ko
#	dkms-tree/                          DKMS's tree (the build's make.log)
#	dkms.log                            what dkms said
#	dkms-remove.txt                     what dkms remove left of ours
#	exports.txt                         "SYMBOL CRC" of each symbol our
#	                                    modules export (MODVERSIONS)
#	mtty-build/                         where mtty.ko is built
#
# mtty is a test helper, not part of the package: the mdev sample driver
# (samples/vfio-mdev/mtty.c of tag base, i.e. Debian's source) that the
# selftests use to put an mdev group beside no-IOMMU groups.  Debian does
# not build it; it is built here with our headers where the kernel has
# mdev (CONFIG_VFIO_MDEV=m: not the cloud flavour).
# Nothing is redone when the package, the kernel and this script did not
# change.
set -eu
top=$(realpath "$(dirname "$0")/../..")
. "$top/scripts/lib.sh"

[ $# = 1 ] || die "usage: $0 FLAVOUR"
flavour=$1
d=$top/build/debian/$flavour
[ -f "$d/kver" ] || die "no $d/kver: run tests/debian/fetch-kernel.sh first"
kver=$(cat "$d/kver")
kdir=$(realpath "$d/headers")
root=$top/build/debian/root
command -v dkms >/dev/null || die "dkms is not installed (make deps)"

mapfile -t debs < <(ls "$top"/build/dkms/vfio-noiommu-dkms_*_all.deb 2>/dev/null)
[ ${#debs[@]} = 1 ] || die "want one build/dkms/vfio-noiommu-dkms_*.deb (make dkms), found ${#debs[@]}"
deb=${debs[0]}

# ---- The package's sources ----------------------------------------------
rm -rf "$d/pkg"
dpkg -x "$deb" "$d/pkg"
src=$(ls -d "$d"/pkg/usr/src/vfio-noiommu-*)
version=${src##*/vfio-noiommu-}
# Up to date when the sources (not the package's date), the kernel and
# this script are those of the last build.
want="$(cd "$src" && find . -type f | LC_ALL=C sort | xargs sha1sum | sha1sum | cut -c1-16) $kver $(sha1sum < "$0" | cut -c1-8)"
if [ "$(cat "$d/modules.stamp" 2>/dev/null)" = "$want" ]; then
	ok "$flavour: modules of vfio-noiommu $version for $kver are up to date"
	exit 0
fi
rm -rf "$d/modules.stamp" "$d/dkms-tree" "$d/dkms-build"

# ---- DKMS ------------------------------------------------------------------
tree=$d/dkms-tree
dk=(-m vfio-noiommu -v "$version" --dkmstree "$tree" --sourcetree "$d/pkg/usr/src")
mkdir -p "$tree"
step "$flavour: dkms add, dkms build for $kver"
t0=$(date +%s)
dkms add "${dk[@]}" > "$d/dkms.log" 2>&1 || { cat "$d/dkms.log" >&2; die "$flavour: dkms add failed"; }
if ! dkms build "${dk[@]}" -k "$kver" --kernelsourcedir "$kdir" >> "$d/dkms.log" 2>&1; then
	cat "$d/dkms.log" >&2
	log=$(ls "$tree"/vfio-noiommu/"$version"/build/make.log 2>/dev/null || true)
	[ -n "$log" ] && tail -n 30 "$log" >&2
	die "$flavour: dkms build failed (${d#"$top"/}/dkms.log)"
fi
built=$tree/vfio-noiommu/$version/$kver/x86_64/module
mapfile -t kos < <(cd "$built" && ls)
[ ${#kos[@]} -gt 0 ] || die "$flavour: dkms built no module"
ok "$flavour: DKMS built ${kos[*]} in $(( $(date +%s) - t0 )) s"

# ---- Module trees --------------------------------------------------------
# newtree DIR: Debian's modules of KVER under DIR/lib/modules/KVER (hard links).
newtree() {
	rm -rf "$1"
	mkdir -p "$1/lib/modules"
	cp -al "$root/lib/modules/$kver" "$1/lib/modules/"
}
newtree "$d/modules-stock"
# depmod reads every module: the stock tree's runs beside the rest.
depmod -b "$d/modules-stock" "$kver" &
stock_depmod=$!

# dkms install, into the VM's tree (--installtree) and without depmod,
# which runs below with that tree as its base.
newtree "$d/modules-noiommu"
dkms install "${dk[@]}" -k "$kver" --kernelsourcedir "$kdir" \
	--installtree "$d/modules-noiommu/lib/modules" --no-depmod >> "$d/dkms.log" 2>&1 ||
	{ tail -n 20 "$d/dkms.log" >&2; die "$flavour: dkms install failed"; }
upd=$d/modules-noiommu/lib/modules/$kver/updates/dkms
mapfile -t kos < <(cd "$upd" && ls)
[ ${#kos[@]} -gt 0 ] || die "$flavour: dkms installed nothing in ${upd#"$top"/}"

# dkms remove (what the package's prerm runs), on a copy of that tree:
# what it leaves of ours in updates/dkms goes to dkms-remove.txt, for
# modules.sh.  DKMS forgets the build then; the tree keeps the modules.
scratch=$d/modules-removed
rm -rf "$scratch"
cp -al "$d/modules-noiommu/lib/modules" "$scratch"
if dkms remove "${dk[@]}" -k "$kver" --installtree "$scratch" --no-depmod >> "$d/dkms.log" 2>&1; then
	echo "removed, left in updates/dkms: $(cd "$scratch/$kver/updates/dkms" 2>/dev/null && ls)" > "$d/dkms-remove.txt"
else
	echo "dkms remove failed (see ${d#"$top"/}/dkms.log)" > "$d/dkms-remove.txt"
fi
rm -rf "$scratch"

: > "$d/exports.txt"
for ko in "${kos[@]}"; do
	case "$ko" in
	*.ko) f=$upd/$ko ;;
	*.ko.xz) f=$d/crc.ko; xz -dc "$upd/$ko" > "$f" ;;
	*) die "$flavour: unexpected file $ko in DKMS's modules" ;;
	esac
	# The CRC of each export: __crc_SYMBOL is its offset in __kcrctab or
	# __kcrctab_gpl, which hold the 32-bit CRCs.
	readelf -S -W "$f" | sed -n 's/^ *\[ *\([0-9]*\)\] \(__kcrctab[a-z_]*\) .*/\1 \2/p' |
	while read -r idx sec; do
		objcopy -O binary --only-section="$sec" "$f" "$d/crctab.bin"
		readelf -s -W "$f" | awk -v idx="$idx" '$7 == idx && $8 ~ /^__crc_/ {
				print substr($8, 7), $2 }' |
		while read -r sym off; do
			printf '%s 0x%s\n' "$sym" \
				"$(od -An -tx4 -j $((16#$off)) -N4 "$d/crctab.bin" | tr -d ' ')"
		done
	done >> "$d/exports.txt"
done
rm -f "$d/crctab.bin" "$d/crc.ko"
[ -s "$d/exports.txt" ] || die "$flavour: no exported symbol CRCs found in our modules"

# The mdev sample, with our headers (its imports are checked against the
# kernel's Module.symvers, whose CRCs ours keep: modules.sh checks that).
if grep -qx 'CONFIG_VFIO_MDEV=m' "$kdir/.config"; then
	mb=$d/mtty-build
	rm -rf "$mb"
	mkdir -p "$mb"
	git -C "$top/build/linux" show base:samples/vfio-mdev/mtty.c > "$mb/mtty.c"
	echo 'obj-m := mtty.o' > "$mb/Kbuild"
	make -C "$kdir" M="$mb" \
		NOSTDINC_FLAGS="-nostdinc -I$src/include -I$src/include/uapi" \
		modules > "$mb/make.log" 2>&1 ||
		{ tail -n 20 "$mb/make.log" >&2; die "$flavour: mtty (test helper) does not build"; }
	mkdir -p "$d/modules-noiommu/lib/modules/$kver/extra"
	xz --check=crc32 --lzma2=dict=1MiB -c "$mb/mtty.ko" > \
		"$d/modules-noiommu/lib/modules/$kver/extra/mtty.ko.xz"
fi
depmod -b "$d/modules-noiommu" "$kver"
wait $stock_depmod || die "$flavour: depmod of the stock tree failed"
echo "$want" > "$d/modules.stamp"
ok "$flavour: module trees in build/debian/$flavour: modules-stock, modules-noiommu (updates/dkms: $(cd "$upd" && echo *)), $(wc -l < "$d/exports.txt") exports"
