#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch Debian's own 6.12 kernels, generic and cloud, with their headers,
# into build/debian and unpack them there (dpkg -x, nothing is installed):
#
#	tests/debian/fetch-kernel.sh [FLAVOUR...]	(default: amd64 cloud-amd64)
#
# The metapackages linux-image-6.12-FLAVOUR and linux-headers-6.12-FLAVOUR
# name the versioned packages they depend on; those, linux-headers-*-common
# and linux-kbuild-* are downloaded once into build/debian/debs with
# apt-get download and kept.  Each is unpacked into build/debian/root.
# Afterwards build/debian/FLAVOUR/ holds:
#
#	kver          the kernel release (uname -r), e.g. 6.12.117+deb12-amd64
#	vmlinuz       link to the kernel image
#	headers       link to /usr/src/linux-headers-KVER in the unpacked root,
#	              usable as KDIR (its Makefile includes the unpacked
#	              common headers, not the installed path)
#	modules       link to /lib/modules/KVER in the unpacked root
set -eu
top=$(realpath "$(dirname "$0")/../..")
. "$top/scripts/lib.sh"

dir=$top/build/debian
debs=$dir/debs
root=$dir/root
flavours=("$@")
[ ${#flavours[@]} -gt 0 ] || flavours=(amd64 cloud-amd64)

# depends_on PACKAGE PREFIX: the package PACKAGE depends on whose name
# starts with PREFIX.
depends_on() {
	apt-cache depends "$1" 2>/dev/null |
		sed -n "s/^ *Depends: \($2[^ ]*\)\$/\1/p" | head -n1
}

# Fetched and unpacked before: reuse (remove build/debian to fetch anew).
done_all=1
for f in "${flavours[@]}"; do
	[ -f "$dir/$f/kver" ] && [ -f "$dir/$f/vmlinuz" ] && [ -f "$dir/$f/headers/Makefile" ] ||
		done_all=0
done
if [ $done_all = 1 ]; then
	ok "Debian's kernels ${flavours[*]} are in build/debian: $(cd "$dir" && cat "${flavours[@]/%//kver}" | tr '\n' ' ')"
	exit 0
fi

# The index is needed to resolve the names; update it once if it lacks them.
if [ -z "$(depends_on linux-image-6.12-amd64 linux-image-)" ]; then
	step "apt-get update (the package index does not know linux-image-6.12-amd64)"
	apt-get update -q >/dev/null
fi

pkgs=()
for f in "${flavours[@]}"; do
	img=$(depends_on "linux-image-6.12-$f" linux-image-6.12.)
	hdr=$(depends_on "linux-headers-6.12-$f" linux-headers-6.12.)
	[ -n "$img" ] && [ -n "$hdr" ] ||
		die "cannot resolve linux-image-6.12-$f / linux-headers-6.12-$f (apt-get update?)"
	common=$(depends_on "$hdr" linux-headers-6.12.)
	kbuild=$(depends_on "$hdr" linux-kbuild-6.12.)
	[ -n "$common" ] && [ -n "$kbuild" ] || die "cannot resolve the dependencies of $hdr"
	pkgs+=("$img" "$hdr" "$common" "$kbuild")
done
mapfile -t pkgs < <(printf '%s\n' "${pkgs[@]}" | awk '!seen[$0]++')

mkdir -p "$debs" "$root"
for p in "${pkgs[@]}"; do
	ver=$(apt-cache policy "$p" | sed -n 's/^ *Candidate: //p')
	deb=$(ls "$debs/${p}_"*.deb 2>/dev/null | head -n1 || true)
	if [ -z "$deb" ]; then
		step "downloading $p $ver"
		(cd "$debs" && apt-get download -q -o APT::Sandbox::User=root "$p" >/dev/null)
		deb=$(ls "$debs/${p}_"*.deb | head -n1)
		ok "$(basename "$deb") ($(du -h "$deb" | cut -f1))"
	fi
	stamp=$root/.unpacked-$(basename "$deb" .deb)
	if [ ! -e "$stamp" ]; then
		step "unpacking $(basename "$deb")"
		dpkg -x "$deb" "$root"
		touch "$stamp"
	fi
done

for f in "${flavours[@]}"; do
	img=$(depends_on "linux-image-6.12-$f" linux-image-6.12.)
	kver=${img#linux-image-}
	[ -f "$root/boot/vmlinuz-$kver" ] || die "no $root/boot/vmlinuz-$kver in $img"
	hdr=$root/usr/src/linux-headers-$kver
	[ -f "$hdr/Makefile" ] || die "no headers for $kver"
	# The flavour's Makefile includes the common headers' Makefile by its
	# installed path, /usr/src/...: make it include the unpacked one.
	sed -i 's|^include /usr/src/|include $(dir $(lastword $(MAKEFILE_LIST)))../|' "$hdr/Makefile"
	mkdir -p "$dir/$f"
	echo "$kver" > "$dir/$f/kver"
	ln -sfn "../root/boot/vmlinuz-$kver" "$dir/$f/vmlinuz"
	ln -sfn "../root/usr/src/linux-headers-$kver" "$dir/$f/headers"
	ln -sfn "../root/lib/modules/$kver" "$dir/$f/modules"
	ok "$f: $kver in build/debian/$f"
done
