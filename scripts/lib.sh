# shellcheck shell=bash
# Shared helpers for the project's shell scripts: progress and failure.
# Sourced, not run.

_t0=${_t0:-$(date +%s)}

# step MSG: say what starts now, with the time since the script began.
step() { printf '[%4ss] %s\n' "$(( $(date +%s) - _t0 ))" "$*"; }
ok() { printf '[%4ss] done: %s\n' "$(( $(date +%s) - _t0 ))" "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# kbuild_env: the environment every kernel build of the project uses.  cc
# is the compiler command (through ccache when it is installed); the build
# strings are fixed so that the same sources give the same objects in
# every tree and run, which is what lets ccache serve them.
kbuild_env() {
	local top
	top=$(realpath "$(dirname "${BASH_SOURCE[0]}")/..")
	cc=gcc
	command -v ccache >/dev/null && cc="ccache gcc"
	export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$top}
	export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
	export CCACHE_NOHASHDIR=1
	export KBUILD_BUILD_USER=vfio-noiommu KBUILD_BUILD_HOST=vm
	export KBUILD_BUILD_TIMESTAMP="1970-01-01"
}

# uapi_headers [TREE]: install the uapi headers of TREE (default
# build/linux, the series) into TREE/.kbuild-headers, again only where
# they changed, and print their include directory, for -isystem.  The
# source tree stays clean for out-of-tree builds.  Debian 12's own headers
# predate iommufd's no-IOMMU ioctl.
uapi_headers() {
	local tree=${1:-$(realpath "$(dirname "${BASH_SOURCE[0]}")/..")/build/linux}
	make -s -C "$tree" O="$tree/.kbuild-headers" headers >/dev/null || return 1
	echo "$tree/.kbuild-headers/usr/include"
}
