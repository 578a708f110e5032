#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build DPDK's igb_uio, from Debian's dpdk-kmods-dkms, as an external
# module of a kernel's build directory:
#
#	scripts/build-igb-uio.sh KDIR OUTDIR
#
# OUTDIR gets a copy of the source and igb_uio.ko; nothing is done when
# OUTDIR's igb_uio.ko is newer than KDIR's kernel.  Kbuild needs KDIR's
# scripts/module.lds (make modules_prepare, once).  A kernel that builds
# no modules has no Module.symvers: its vmlinux.symvers serves; one that
# does has one, which Kbuild reads itself (vmlinux.symvers on top would
# export everything twice).  Used by bench/run.sh and tests/dpdk/build.sh.
set -eu
top=$(realpath "$(dirname "$0")/..")
. "$top/scripts/lib.sh"

[ $# = 2 ] || die "usage: $0 KDIR OUTDIR"
kdir=$(realpath "$1") out=$2
release=$(cat "$kdir/include/config/kernel.release" 2>/dev/null) ||
	die "$kdir is no built kernel (no include/config/kernel.release)"
ko=$out/igb_uio.ko
if [ -f "$ko" ] && [ "$ko" -nt "$kdir/vmlinux" ]; then
	exit 0
fi
igb_src=$(ls -d /usr/src/dpdk-kmods-*/ 2>/dev/null | tail -n1)
[ -n "$igb_src" ] && [ -f "$igb_src/igb_uio.c" ] ||
	die "no igb_uio source in /usr/src/dpdk-kmods-* (apt-get install dpdk-kmods-dkms)"
rm -rf "$out" && mkdir -p "$out" && cp "$igb_src"/* "$out/"
out=$(realpath "$out")
if [ ! -f "$kdir/scripts/module.lds" ]; then
	src=$(realpath "$kdir/source" 2>/dev/null || realpath "$kdir/..")
	make -s -C "$src" O="$kdir" modules_prepare >"$out/prepare.log" 2>&1 ||
		die "modules_prepare in $kdir failed, see $out/prepare.log"
fi
extra=()
[ -f "$kdir/Module.symvers" ] || extra=(KBUILD_EXTRA_SYMBOLS="$kdir/vmlinux.symvers")
make -C "$kdir" M="$out" "${extra[@]}" modules >"$out/build.log" 2>&1 ||
	die "igb_uio does not build for $kdir, see $out/build.log"
vermagic=$(modinfo -F vermagic "$ko" | cut -d' ' -f1)
[ "$vermagic" = "$release" ] ||
	die "igb_uio is for $vermagic, the kernel in $kdir is $release"
ok "igb_uio ($igb_src) for $release in ${out#"$top"/}"
