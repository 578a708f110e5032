#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the C helpers of the reliability suites on the host, for the test
# VM, which runs them from the host's filesystem:
#
#	tests/faults/build.sh [OUTDIR]		(default build/faults)
#
# tests/faults/*.c and tests/fuzz/*.c become OUTDIR/NAME.  Only what is
# older than its source (or tests/lib/vfio-util.h) is rebuilt.  They are
# built against the uapi headers of the series (build/linux; scripts/lib.sh:
# uapi_headers): the host's are older than the ioctls of iommufd and the
# device cdev that the fuzzer calls.
# tests/check.sh runs this before the suites, tests/fuzz/run.sh
# ("make fuzz") too.
set -eu
here=$(dirname "$(realpath "$0")")
top=$(dirname "$(dirname "$here")")
. "$top/scripts/lib.sh"
out=${1:-$top/build/faults}
lib=$top/tests/lib
mkdir -p "$out"

hdr=$(uapi_headers) || die "cannot install the uapi headers of build/linux"
CFLAGS="-O2 -g -Wall -Wextra -Werror -isystem $hdr"
built=()
for src in "$here"/*.c "$top"/tests/fuzz/*.c; do
	[ -f "$src" ] || continue
	bin=$out/$(basename "$src" .c)
	if [ -x "$bin" ] && [ "$bin" -nt "$src" ] && [ "$bin" -nt "$lib/vfio-util.h" ]; then
		continue
	fi
	# shellcheck disable=SC2086
	gcc $CFLAGS -I"$lib" -o "$bin.tmp" "$src" || die "cannot build $src"
	mv "$bin.tmp" "$bin"
	built+=("$(basename "$bin")")
done
[ ${#built[@]} = 0 ] || ok "built ${built[*]} in ${out#"$top"/}"
