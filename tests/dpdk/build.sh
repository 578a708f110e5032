#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the DPDK examples the suites run, from the sources Debian ships in
# dpdk-doc, unmodified, against Debian's libdpdk (pkg-config), with the
# examples' own Makefiles, and DPDK's igb_uio for the kernels built:
#
#	tests/dpdk/build.sh [OUTDIR]		(default build/dpdk-examples)
#
# The test VM runs them from the host's filesystem, as it runs testpmd.
# An example is rebuilt only when its sources are newer than its binary.
# tests/check.sh runs this before the suites.
set -eu
here=$(dirname "$(realpath "$0")")
top=$(dirname "$(dirname "$here")")
. "$top/scripts/lib.sh"
out=${1:-$top/build/dpdk-examples}
src=/usr/share/dpdk/examples

# Each example: its directory under $src, then the programs it makes, each
# in a subdirectory of its own, or "." for an example that is one program
# in its directory (named after it).
examples=(
	"multi_process/client_server_mp mp_server mp_client"
	"l3fwd-power ."
	"link_status_interrupt ."
)

# prog_name DIR PROG: the program's name ("." is DIR's last component).
prog_name() {
	if [ "$2" = . ]; then basename "$1"; else echo "$2"; fi
}

[ -d "$src" ] || die "no $src: the package dpdk-doc is missing (make deps)"
pkg-config --exists libdpdk || die "pkg-config finds no libdpdk (make deps: dpdk-dev)"
built=()
for e in "${examples[@]}"; do
	read -r dir progs <<< "$e"
	stale=0
	for p in $progs; do
		[ -d "$src/$dir/$p" ] || die "no example $dir/$p in $src"
		bin=$out/$dir/$p/build/$(prog_name "$dir" "$p")
		# any source of the example (its shared headers too) newer?
		if [ ! -x "$bin" ] || [ -n "$(find "$src/$dir" -newer "$bin" -type f | head -n1)" ]; then
			stale=1
		fi
	done
	[ $stale = 1 ] || continue
	rm -rf "${out:?}/$dir"
	mkdir -p "$out/$dir"
	cp -r "$src/$dir/." "$out/$dir/"
	for p in $progs; do
		name=$(prog_name "$dir" "$p")
		make -s -C "$out/$dir/$p" >/dev/null 2>"$out/$dir/$p/make.log" ||
			die "cannot build $dir/$p: $(tail -n 5 "$out/$dir/$p/make.log")"
		[ -x "$out/$dir/$p/build/$name" ] || die "building $dir/$p made no build/$name"
		built+=("$name")
	done
done
[ ${#built[@]} = 0 ] || ok "built DPDK's ${built[*]} in ${out#"$top"/}"

# DPDK's igb_uio, for the interrupt phase of the NIC matrix, for each
# kernel it runs on that is built (build/igb_uio/FLAVOUR/igb_uio.ko).
for k in series upstream; do
	[ -f "$top/build/out/$k/include/config/kernel.release" ] || continue
	bash "$top/scripts/build-igb-uio.sh" "$top/build/out/$k" "$top/build/igb_uio/$k"
done
