#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Everything the debian suites (tests/debian/suites) need, for both
# flavours of Debian's kernel ("make debian-kernel", part of "make check"):
# the packages fetched and unpacked once (fetch-kernel.sh), vfio-noiommu's
# modules built against their headers as DKMS would (build-modules.sh, from
# build/dkms's package: run "make dkms" first) and an initramfs
# (make-initramfs.sh).  Steps whose inputs did not change are skipped.
set -eu
here=$(dirname "$(realpath "$0")")
. "$here/../../scripts/lib.sh"

flavours=(amd64 cloud-amd64)
bash "$here/fetch-kernel.sh" "${flavours[@]}"
for f in "${flavours[@]}"; do
	bash "$here/build-modules.sh" "$f"
	bash "$here/make-initramfs.sh" "$f"
done
ok "build/debian ready for tests/check.sh -k debian"
