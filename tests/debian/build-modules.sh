#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build vfio-noiommu-dkms's modules for Debian's own kernel the way DKMS
# does, against the headers unpacked by fetch-kernel.sh (nothing is
# installed on this machine), and lay out two module trees for the VM:
#
#	tests/debian/build-modules.sh FLAVOUR	(amd64 or cloud-amd64)
#
# The package is build/dkms/vfio-noiommu-dkms_*.deb (make dkms).  Its
# dkms.conf is read as DKMS reads it (kernelver, kernel_source_dir set), its
# sources are copied to a build directory and its MAKE[0] is run there as
# DKMS runs it ("make -jN KERNELRELEASE=KVER ..."); the modules it lists
# must all be built, and are stripped and compressed as DKMS does.
# In build/debian/FLAVOUR:
#
#	modules-stock/lib/modules/KVER      Debian's modules, depmod'ed
#	modules-noiommu/lib/modules/KVER    the same plus ours in updates/dkms,
#	                                    and extra/mtty.ko
#	dkms-build/                         the build directory (make.log)
#	mtty-build/                         where mtty.ko is built
#
# mtty is a test helper, not part of the package: the mdev sample driver
# (samples/vfio-mdev/mtty.c of tag base, i.e. Debian's source) that the
# selftests use to put an mdev group beside no-IOMMU groups.  Debian does
# not build it; it is built here against our modules where the kernel has
# mdev (CONFIG_VFIO_MDEV=m: not the cloud flavour).
# Nothing is redone when the package and the kernel did not change.
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

mapfile -t debs < <(ls "$top"/build/dkms/vfio-noiommu-dkms_*_all.deb 2>/dev/null)
[ ${#debs[@]} = 1 ] || die "want one build/dkms/vfio-noiommu-dkms_*.deb (make dkms), found ${#debs[@]}"
deb=${debs[0]}

# ---- The package's sources, as DKMS gets them --------------------------
rm -rf "$d/pkg"
dpkg -x "$deb" "$d/pkg"
src=$(ls -d "$d"/pkg/usr/src/vfio-noiommu-*)
# Up to date when the sources (not the package's date), the kernel and
# this script are those of the last build.
want="$(cd "$src" && find . -type f | LC_ALL=C sort | xargs sha1sum | sha1sum | cut -c1-16) $kver $(sha1sum < "$0" | cut -c1-8)"
if [ "$(cat "$d/modules.stamp" 2>/dev/null)" = "$want" ]; then
	ok "$flavour: modules of ${src##*/} for $kver are up to date"
	exit 0
fi
rm -rf "$d/modules.stamp" "$d/dkms-build"
cp -a "$src" "$d/dkms-build"
build=$d/dkms-build

# dkms.conf, read as DKMS reads it: a bash script with these variables.
# conf: print the make and clean commands, then one "LOCATION NAME" per
# module.
conf() {
	# shellcheck disable=SC2034 # used by dkms.conf, as in DKMS
	local kernelver=$kver kernel_source_dir=$kdir arch=x86_64
	# shellcheck disable=SC2034
	local dkms_tree=/var/lib/dkms source_tree=/usr/src
	# shellcheck disable=SC1091
	. "$build/dkms.conf"
	local i
	echo "${MAKE[0]}"
	echo "$CLEAN"
	for i in "${!BUILT_MODULE_NAME[@]}"; do
		[ "${DEST_MODULE_LOCATION[i]}" = /updates/dkms ] ||
			die "dkms.conf: ${BUILT_MODULE_NAME[i]} goes to ${DEST_MODULE_LOCATION[i]}, not /updates/dkms"
		echo "${BUILT_MODULE_LOCATION[i]%/} ${BUILT_MODULE_NAME[i]}"
	done
}
mapfile -t lines < <(conf)
make_cmd=${lines[0]} clean_cmd=${lines[1]}
mods=("${lines[@]:2}")
[ ${#mods[@]} -gt 0 ] || die "dkms.conf lists no modules for $kver"

# As DKMS: CC from the headers' .kernelvariables, clean, then MAKE[0] with
# "make" turned into "make -jN KERNELRELEASE=KVER".
CC=$(printf 'show-%%:\n\t@echo $($*)\ninclude %s/.kernelvariables\n' "$kdir" | make -s -f - show-CC)
export CC
jobs=$(nproc)
the_make=${make_cmd/#make/make -j$jobs KERNELRELEASE=$kver}
step "$flavour: building ${#mods[@]} modules for $kver: $the_make"
t0=$(date +%s)
(cd "$build" && eval "$clean_cmd" > make.log 2>&1 && eval "$the_make" >> make.log 2>&1) || {
	tail -n 20 "$build/make.log" >&2
	die "$flavour: the module build failed, see ${build#"$top"/}/make.log"
}
ok "$flavour: modules built in $(( $(date +%s) - t0 )) s"

# ---- Module trees --------------------------------------------------------
# tree DIR: Debian's modules of KVER under DIR/lib/modules/KVER (hard links).
tree() {
	rm -rf "$1"
	mkdir -p "$1/lib/modules"
	cp -al "$root/lib/modules/$kver" "$1/lib/modules/"
}
tree "$d/modules-stock"
# depmod reads every module: the stock tree's runs beside the rest.
depmod -b "$d/modules-stock" "$kver" &
stock_depmod=$!
tree "$d/modules-noiommu"
upd=$d/modules-noiommu/lib/modules/$kver/updates/dkms
mkdir -p "$upd"
for m in "${mods[@]}"; do
	loc=${m% *} name=${m#* }
	ko=$build/$loc/$name.ko
	[ -f "$ko" ] || die "dkms.conf lists $loc/$name.ko, which was not built"
	# DKMS strips the modules and compresses them like the kernel's own.
	cp "$ko" "$upd/"
	strip -g "$upd/$name.ko"
	xz --check=crc32 --lzma2=dict=1MiB -f "$upd/$name.ko"
done

# The mdev sample, against our vfio.h and our modules' symbols.
if grep -qx 'CONFIG_VFIO_MDEV=m' "$kdir/.config"; then
	mb=$d/mtty-build
	rm -rf "$mb"
	mkdir -p "$mb"
	git -C "$top/build/linux" show base:samples/vfio-mdev/mtty.c > "$mb/mtty.c"
	echo 'obj-m := mtty.o' > "$mb/Kbuild"
	make -C "$kdir" M="$mb" KBUILD_EXTRA_SYMBOLS="$build/Module.symvers" \
		NOSTDINC_FLAGS="-nostdinc -I$build/include -I$build/include/uapi" \
		modules > "$mb/make.log" 2>&1 ||
		{ tail -n 20 "$mb/make.log" >&2; die "$flavour: mtty (test helper) does not build"; }
	mkdir -p "$d/modules-noiommu/lib/modules/$kver/extra"
	xz --check=crc32 --lzma2=dict=1MiB -c "$mb/mtty.ko" > \
		"$d/modules-noiommu/lib/modules/$kver/extra/mtty.ko.xz"
fi
depmod -b "$d/modules-noiommu" "$kver"
wait $stock_depmod || die "$flavour: depmod of the stock tree failed"
echo "$want" > "$d/modules.stamp"
ok "$flavour: module trees in build/debian/$flavour: modules-stock, modules-noiommu (updates/dkms: $(cd "$upd" && echo *))"
