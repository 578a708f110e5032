#!/bin/bash
# Build a bzImage from a kernel source tree into its own output directory.
#
#   build-kernel.sh SRC OUT FRAGMENT...
#
# BUILD_TARGETS (default bzImage) and BUILD_FLAGS (e.g. "W=1 C=1") are
# passed to make.
# The configuration is tinyconfig plus the given Kconfig fragments.  It is
# regenerated only when a fragment or the tree's Kconfig changes, so a
# rebuild after editing a .c file only recompiles what changed.  Every
# option a fragment asks for is checked in the final .config: a fragment
# line that Kconfig dropped (a missing dependency) fails the build.
set -eu

usage() { echo "usage: $0 SRC OUT FRAGMENT..." >&2; exit 2; }
[ $# -ge 3 ] || usage
src=$(realpath "$1"); out=$(realpath -m -s "$2"); shift 2
frags=()
for f in "$@"; do frags+=("$(realpath "$f")"); done

here=$(dirname "$(realpath "$0")")
. "$here/lib.sh"

jobs=${JOBS:-$(nproc)}
kbuild_env

# The output lives in a direct subdirectory of the source tree, and OUT is
# a link to it.  Kbuild then names the source tree "..", the same in every
# tree, so the compiler sees the same command lines and paths whichever
# tree it builds: ccache serves the base and upstream kernels from the
# series' objects, except for the files that differ.
real=$src/.kbuild-$(basename "$out")
mkdir -p "$real" "$(dirname "$out")"
if [ "$(readlink "$out" 2>/dev/null)" != "$real" ]; then
	rm -rf "$out"
	ln -s "$real" "$out"
fi
out=$real
stamp=$(cat "${frags[@]}" | sha256sum | cut -c1-16)
if [ ! -f "$out/.config" ] || [ "$(cat "$out/.fragments" 2>/dev/null)" != "$stamp" ]; then
	step "configuring $(basename "$out") (tinyconfig + ${*##*/})"
	make -s -C "$src" O="$out" CC="$cc" tinyconfig >/dev/null
	"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" \
		"${frags[@]}" >/dev/null
	make -s -C "$src" O="$out" CC="$cc" olddefconfig >/dev/null
	# The last fragment to name an option decides its value.
	missing=0
	while IFS= read -r line; do
		opt=${line%%=*}
		case "$line" in
		*=n) grep -q "^$opt=" "$out/.config" &&
			{ echo "  not unset: $line" >&2; missing=1; } ;;
		*) grep -qxF "$line" "$out/.config" ||
			{ echo "  not set: $line" >&2; missing=1; } ;;
		esac
	done < <(cat "${frags[@]}" | grep -E '^CONFIG_[A-Za-z0-9_]+=' |
		 tac | awk -F= '!seen[$1]++' | tac)
	[ $missing = 0 ] || die "configuration of $out lacks options above"
	echo "$stamp" > "$out/.fragments"
fi

# A flavour whose fragments ask for modules builds them too and installs
# them in OUT/mods, as INSTALL_MOD_PATH: what run-vm.sh --modules gives the
# VM.  (A module that an option defaults to, such as tinyconfig's
# X86_PKG_TEMP_THERMAL=m, does not make a flavour modular.)
targets=${BUILD_TARGETS:-bzImage}
modular=0
cat "${frags[@]}" | grep -q '^CONFIG_[A-Za-z0-9_]*=m$' && modular=1
[ $modular = 1 ] || rm -rf "$out/mods"
[ $modular = 1 ] && [ -z "${BUILD_TARGETS:-}" ] && targets="bzImage modules"
step "building $targets in $out"
# shellcheck disable=SC2086 # word splitting of targets and flags intended
make -s -C "$src" O="$out" CC="$cc" -j"$jobs" ${BUILD_FLAGS:-} $targets
if [ $modular = 1 ] && [[ " $targets " == *" modules "* ]]; then
	rm -rf "$out/mods"
	make -s -C "$src" O="$out" INSTALL_MOD_PATH="$out/mods" modules_install >/dev/null
	ok "modules of $(cat "$out/include/config/kernel.release") in $out/mods"
fi
ok "$targets in $out"
