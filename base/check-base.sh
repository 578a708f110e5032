#!/bin/bash
# Check that the base (tag 'base' in build/linux) builds: the VFIO and
# IOMMUFD code compiles without warnings at W=1 with IOMMUFD providing the
# VFIO container and the device cdev on, the configuration the VM kernel
# (make kernel-base) does not cover.
set -eu
top=$(realpath "$(dirname "$0")/..")
. "$top/scripts/lib.sh"
tree=$top/build/linux
[ "$(git -C "$tree" rev-parse HEAD)" = "$(git -C "$tree" rev-parse base)" ] ||
	die "build/linux is not at tag base"

step "checking that the base builds (IOMMUFD container, device cdev, W=1)"
out=$top/build/out/base-check
frag=$(mktemp)
trap 'rm -f "$frag"' EXIT
cat "$top/config/vm.config" - > "$frag" <<'EOF2'
CONFIG_IOMMU_SUPPORT=y
CONFIG_IOMMUFD=y
CONFIG_IOMMUFD_VFIO_CONTAINER=y
CONFIG_VFIO_CONTAINER=n
CONFIG_VFIO_DEVICE_CDEV=y
EOF2
log=$top/build/base-check.log
if ! BUILD_TARGETS="drivers/vfio/ drivers/iommu/iommufd/" BUILD_FLAGS="W=1" \
	"$top/scripts/build-kernel.sh" "$tree" "$out" "$frag" >"$log" 2>&1; then
	tail -30 "$log" >&2
	die "the base does not build (log: $log)"
fi
if grep -E '\.[chS]:[0-9]+:([0-9]+:)? (warning|error):' "$log" >&2; then
	die "the base builds with warnings (log: $log)"
fi
ok "base builds: $(git -C "$tree" rev-parse --short base)"
