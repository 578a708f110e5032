#!/bin/bash
# Build the VFIO no-IOMMU kselftests of a kernel tree against that tree's
# own uapi headers, and install them with run_kselftest.sh where the test VM
# runs them from (tests/scenarios/selftests.sh).
#
#   build-selftests.sh TREE DEST
#
# The headers are installed in TREE's series output directory, not in the
# source tree, which must stay clean for out-of-tree kernel builds.
set -eu

[ $# = 2 ] || { echo "usage: $0 TREE DEST" >&2; exit 2; }
here=$(dirname "$(realpath "$0")")
. "$here/lib.sh"
tree=$(realpath "$1") dest=$(realpath -m "$2")
hdr=$tree/.kbuild-headers

[ -d "$tree/tools/testing/selftests/vfio" ] ||
	die "$tree has no tools/testing/selftests/vfio (is the series applied?)"
step "installing the uapi headers of $tree"
make -s -C "$tree" O="$hdr" headers >/dev/null
step "building and installing the vfio selftests into $dest"
rm -rf "$dest"
make -s -C "$tree/tools/testing/selftests" TARGETS=vfio \
	KHDR_INCLUDES="-isystem $hdr/usr/include" \
	INSTALL_PATH="$dest" install >/dev/null
ok "$dest/run_kselftest.sh"
