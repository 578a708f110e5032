#!/bin/bash
# Debian packages of the series kernel, made by the kernel's own
# bindeb-pkg, and unpacked for the test VM.
#
#   build-deb.sh [CONFIG]
#
# Without CONFIG: the modular flavour (make kernel-modular), in its output
# directory, so that only the packaging is new work (no headers package).
# The packages go to build/deb/ and are unpacked (dpkg -x, nothing is
# installed on this system) into build/deb/root, which tests/deb boots:
# the kernel from root/boot, its modules from root/lib/modules.
#
# With CONFIG (e.g. a distribution's /boot/config-*, or the one Debian's
# package linux-config-6.12 ships): that configuration, with the series
# and CONFIG_VFIO_NOIOMMU=y, in its own output directory; the packages go
# to build/deb/custom/.  A distribution's configuration builds thousands of
# modules: hours on 2 cores.
set -eu

here=$(dirname "$(realpath "$0")")
top=$(dirname "$here")
. "$here/lib.sh"
tree=$top/build/linux
jobs=${JOBS:-$(nproc)}
kbuild_env

[ $# -le 1 ] || die "usage: $0 [CONFIG]"
if [ $# = 1 ]; then
	config=$(realpath "$1")
	[ -f "$config" ] || die "no configuration $1"
	out=$tree/.kbuild-deb-custom dest=$top/build/deb/custom
	mkdir -p "$out"
	step "configuring $(basename "$config") + CONFIG_VFIO_NOIOMMU=y"
	cp "$config" "$out/.config"
	# A distribution's configuration names its own signing certificates,
	# which are not in this tree: the build makes its own key instead.
	"$tree/scripts/config" --file "$out/.config" --enable VFIO_NOIOMMU \
		--set-str SYSTEM_TRUSTED_KEYS "" --set-str SYSTEM_REVOCATION_KEYS ""
	make -s -C "$tree" O="$out" CC="$cc" olddefconfig
	grep -qx 'CONFIG_VFIO_NOIOMMU=y' "$out/.config" ||
		die "CONFIG_VFIO_NOIOMMU=y does not hold in $out/.config (does VFIO build there?)"
else
	out=$tree/.kbuild-modular dest=$top/build/deb
	# Packages for the test VM: nothing builds against their headers here,
	# so the headers package, the slowest to make, is left out.
	export DEB_BUILD_PROFILES=pkg.linux-upstream.nokernelheaders
	[ -f "$out/.config" ] || die "no modular kernel configured in $out (make kernel-modular)"
fi
kver=$(make -s -C "$tree" O="$out" kernelrelease)

# bindeb-pkg writes the packages next to the output directory.
rm -f "$tree"/linux-*.deb "$tree"/linux-*.buildinfo "$tree"/linux-*.changes
step "building the packages of $kver (bindeb-pkg in $out)"
make -s -C "$tree" O="$out" CC="$cc" -j"$jobs" bindeb-pkg >/dev/null
rm -rf "$dest"
mkdir -p "$dest"
mv "$tree"/linux-*.deb "$tree"/linux-*.buildinfo "$tree"/linux-*.changes "$dest"/
for d in "$dest"/*.deb; do ok "$(basename "$d") ($(du -h "$d" | cut -f1))"; done

[ $# = 0 ] || exit 0
step "unpacking the kernel's package into $dest/root"
img=$(ls "$dest"/linux-image-"$kver"_*.deb)
dpkg -x "$img" "$dest/root"
[ -f "$dest/root/boot/vmlinuz-$kver" ] || die "no boot/vmlinuz-$kver in $img"
# The package's postinst would run depmod; a merged-/usr package keeps
# the modules in usr/lib/modules, which the VM wants as lib/modules.
if [ ! -d "$dest/root/lib/modules/$kver" ] && [ -d "$dest/root/usr/lib/modules/$kver" ]; then
	mkdir -p "$dest/root/lib/modules"
	ln -s "../../usr/lib/modules/$kver" "$dest/root/lib/modules/$kver"
fi
[ -d "$dest/root/lib/modules/$kver/kernel" ] || die "no modules of $kver in $img"
depmod -b "$dest/root" "$kver"
ln -sfn "vmlinuz-$kver" "$dest/root/boot/vmlinuz"
echo "$kver" > "$dest/kver"
ok "$dest/root: vmlinuz-$kver and its modules"
