#!/bin/bash
# Prepare the tree the series applies to, in build/linux:
#
#   tag 'upstream'  Debian's linux-source-6.12, as packaged
#   tag 'base'      the same with VFIO no-IOMMU mode removed by
#                   base/remove-noiommu.py
#
# Commits carry fixed authors and dates, so the same package gives the same
# commit ids on every machine: patches exported from one tree apply and
# export again byte for byte on another.
#
# The removal script checks that no trace of the feature is left;
# base/check-base.sh then checks that the result builds (BASE_CHECK=0:
# not here).
set -eu
top=$(realpath "$(dirname "$0")/..")
. "$top/scripts/lib.sh"

tarball=/usr/src/linux-source-6.12.tar.xz
tree=$top/build/linux
[ -f "$tarball" ] || die "$tarball missing: run 'make deps'"
version=$(dpkg-query -W -f='${Version}' linux-source-6.12)

export GIT_AUTHOR_NAME="Debian kernel source" GIT_AUTHOR_EMAIL="linux-source@debian.invalid"
export GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL
export GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" GIT_COMMITTER_DATE="2000-01-01T00:00:00Z"
g() { git -C "$tree" -c core.autocrlf=false -c commit.gpgsign=false "$@"; }

step "unpacking linux-source-6.12 $version into build/linux"
git -C "$top" worktree prune 2>/dev/null || true
rm -rf "$tree" "$top/build/src"
mkdir -p "$tree"
tar -C "$tree" --strip-components=1 -xf "$tarball"

step "committing the pristine tree (tag upstream)"
g init -q -b master
# Debian's tree ignores its whole top level; the packaging clause goes in a
# commit of its own so the tree's files, and new ones, can be tracked.
g add -f -A
g commit -q -m "Debian linux-source-6.12 $version" \
	-m "Unpacked from $tarball, as packaged."
g tag -f upstream >/dev/null
python3 - "$tree/.gitignore" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
s2 = re.sub(r"\n#\n# Debian packaging:.*?\n/\*\n!/debian/\n", "\n", s, flags=re.S)
if s2 == s:
    sys.exit("make-base: Debian's top-level ignore clause not found in .gitignore")
open(p, "w").write(s2)
PY
g commit -q -a -m "gitignore: track the top level of the tree" \
	-m "Debian's packaging ignores every top-level file, which hides new files from git status."

step "removing VFIO no-IOMMU mode (base/remove-noiommu.py)"
python3 "$top/base/remove-noiommu.py" "$tree"
g add -A
g commit -q -F - <<MSG
vfio: remove no-IOMMU mode

Base for the no-IOMMU series in patches/: Debian's linux-source-6.12
$version with the in-tree implementation of VFIO no-IOMMU mode taken out
by base/remove-noiommu.py.  Emulated-IOMMU (mdev) groups are unchanged.
MSG
g tag -f base >/dev/null

# BASE_CHECK=0 leaves the build check out: make check's build matrix
# builds the base in that configuration and more, and fails if it does not.
[ "${BASE_CHECK:-1}" = 0 ] || "$top/base/check-base.sh"
