#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Assemble the DKMS source tree of vfio-noiommu in DIR:
#
#	scripts/dkms-source.sh DIR
#
# DIR gets drivers/vfio and the include/ files the series touches, taken
# from tag "base" of build/linux and patched with patches/ in the order of
# patches/series (git apply, in DIR: build/linux itself is only read), plus
# dkms/'s Makefile, Kbuild and dkms.conf, and source-version.mk, which
# records the Linux version of base and the package version.  Prints the
# package version on its last line.
set -eu
top=$(realpath "$(dirname "$0")/..")
. "$top/scripts/lib.sh"

[ $# = 1 ] || die "usage: $0 DIR"
out=$1
tree=$top/build/linux
git -C "$tree" rev-parse -q --verify 'base^{commit}' >/dev/null ||
	die "no tag base in $tree (make tree)"
[ -f "$top/patches/series" ] || die "no patches/series"

# Linux version of base: VERSION.PATCHLEVEL.SUBLEVEL of its Makefile.
linux=$(git -C "$tree" show base:Makefile | awk -F' *= *' '
	$1 == "VERSION" { v = $2 } $1 == "PATCHLEVEL" { p = $2 }
	$1 == "SUBLEVEL" { s = $2 } END { print v "." p "." s }')
case "$linux" in
[0-9]*.[0-9]*.[0-9]*) ;;
*) die "cannot read the kernel version of base: $linux" ;;
esac

mapfile -t patches < <(grep -v -e '^#' -e '^[[:space:]]*$' "$top/patches/series")
[ ${#patches[@]} -gt 0 ] || die "patches/series is empty"

# Package version: the kernel's, then when the series last changed in git
# and a hash of its content (so that uncommitted edits differ too).
when=$(git -C "$top" log -1 --format=%cd --date=format:%Y%m%d%H%M -- patches)
hash=$(cd "$top/patches" && cat "${patches[@]}" | sha1sum | cut -c1-8)
version=$linux+noiommu${when:-0}.$hash

# What to take: drivers/vfio, the headers of VFIO's interfaces and every
# header under include/ that the series creates or changes.
mapfile -t headers < <({
	printf '%s\n' include/linux/vfio.h include/uapi/linux/vfio.h include/linux/iommufd.h
	cd "$top/patches" && cat "${patches[@]}" |
		sed -n 's|^diff --git a/\(include/[^ ]*\) b/.*|\1|p'
} | sort -u)
existing=() carried=()
for h in "${headers[@]}"; do
	# The build puts include/, not include/uapi, ahead of the kernel's
	# headers (dkms/Makefile): a uapi header is ours only if the kernel
	# reaches it as <uapi/linux/X.h> from include/linux/X.h.  One that
	# drivers/vfio cannot reach at all (include/linux/X.h exists and does
	# not include it, and drivers/vfio does not name it) is left out: the
	# package builds drivers/vfio alone (e.g. iommufd's uapi header, which
	# only iommufd's own code reads).
	case "$h" in
	include/uapi/*)
		k=include/${h#include/uapi/}
		if ! git -C "$tree" show "base:$k" 2>/dev/null | grep -q "#include <${h#include/}>"; then
			if git -C "$tree" cat-file -e "base:$k" 2>/dev/null &&
			   ! git -C "$tree" grep -q "<${h#include/}>" base -- drivers/vfio &&
			   ! (cd "$top/patches" && cat "${patches[@]}") |
				awk '/^diff --git /{ v = ($3 ~ /^a\/drivers\/vfio\//) } v && /^\+/' |
				grep -q "<${h#include/}>"; then
				continue
			fi
			die "the series changes $h, which no $k includes as <${h#include/}>: the package could not put it ahead of the kernel's copy"
		fi
		;;
	esac
	carried+=("$h")
	git -C "$tree" cat-file -e "base:$h" 2>/dev/null && existing+=("$h")
done
headers=("${carried[@]}")

rm -rf "$out"
mkdir -p "$out"
out=$(realpath "$out")
git -C "$tree" archive --format=tar base -- drivers/vfio "${existing[@]}" |
	tar -x -C "$out"

# git apply outside any repository (DIR may lie inside this one): it then
# patches the files of the current directory, as patch(1) would.
include=(--include='drivers/vfio/*')
for h in "${headers[@]}"; do include+=(--include="$h"); done
for p in "${patches[@]}"; do
	(cd "$out" && GIT_CEILING_DIRECTORIES=$(dirname "$out") \
		git apply "${include[@]}" "$top/patches/$p") ||
		die "patches/$p does not apply to base's drivers/vfio and headers"
done

# The kernel's other modules that use VFIO's exports (i915's kvmgt, ...)
# stay as Debian built them, so the exports must keep their CRCs
# (tests/debian/modules.sh checks them) and struct vfio_device its
# layout.  The series adds one bit to it, noiommu, right after
# cdev_opened: it shares that bit's byte, so the layout is unchanged, but
# genksyms would see it and change the CRC of every export that takes the
# structure.  The package hides the bit from genksyms, as distributions
# do for a backport that keeps the ABI; it refuses to if the bit no
# longer follows cdev_opened.
h=$out/include/linux/vfio.h
if grep -q '^'$'\t''u8 noiommu:1;$' "$h"; then
	awk '/^\tu8 noiommu:1;$/ { exit prev != "\tu8 cdev_opened:1;" }
	     !/^\t\/\*/ { prev = $0 }' "$h" ||
		die "include/linux/vfio.h: noiommu no longer follows cdev_opened; the layout would change"
	sed -i 's|^\tu8 noiommu:1;$|#ifndef __GENKSYMS__ /* takes no room: see scripts/dkms-source.sh */\n&\n#endif|' "$h"
fi

cp "$top/dkms/Makefile" "$top/dkms/Kbuild" "$out/"
chmod -R u+rwX,go+rX,go-w "$out"
sed -e "s|@PACKAGE_VERSION@|$version|g" -e "s|@LINUX_VERSION@|$linux|g" \
	"$top/dkms/dkms.conf.in" > "$out/dkms.conf"
cat > "$out/source-version.mk" <<EOM
# Written by scripts/dkms-source.sh: the kernel source version these
# sources are of, and the package's version.
VFIO_NOIOMMU_LINUX := $linux
VFIO_NOIOMMU_VERSION := $version
EOM
echo "vfio-noiommu $version: drivers/vfio of Linux $linux + ${#patches[@]} patches," \
	"own headers: ${headers[*]}"
echo "$version"
