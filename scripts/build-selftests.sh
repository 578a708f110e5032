#!/bin/bash
# Build the VFIO no-IOMMU kselftests of a kernel tree against that tree's
# own uapi headers, and install them with run_kselftest.sh where the test VM
# runs them from (tests/scenarios/selftests.sh).
#
#   build-selftests.sh TREE DEST
#
# The headers are installed by scripts/lib.sh's uapi_headers.
set -eu

[ $# = 2 ] || { echo "usage: $0 TREE DEST" >&2; exit 2; }
here=$(dirname "$(realpath "$0")")
. "$here/lib.sh"
tree=$(realpath "$1") dest=$(realpath -m "$2")

[ -d "$tree/tools/testing/selftests/vfio" ] ||
	die "$tree has no tools/testing/selftests/vfio (is the series applied?)"
step "installing the uapi headers of $tree"
hdr=$(uapi_headers "$tree") || die "cannot install the uapi headers of $tree"
step "building and installing the vfio selftests into $dest"
rm -rf "$dest"
make -s -C "$tree/tools/testing/selftests" TARGETS=vfio \
	KHDR_INCLUDES="-isystem $hdr" \
	INSTALL_PATH="$dest" install >/dev/null
ok "$dest/run_kselftest.sh"
