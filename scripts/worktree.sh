#!/bin/bash
# Check out a tag of build/linux as a separate source tree, for building a
# kernel of another flavour beside the series: worktree.sh TAG DIR.
# An existing checkout is moved to the tag if the tag moved (make base).
set -eu
top=$(realpath "$(dirname "$0")/..")
. "$top/scripts/lib.sh"
[ $# -eq 2 ] || die "usage: $0 TAG DIR"
tag=$1 dir=$top/$2
tree=$top/build/linux
want=$(git -C "$tree" rev-parse "$tag^{commit}")
if [ -d "$dir" ] && git -C "$dir" rev-parse -q HEAD >/dev/null 2>&1; then
	[ "$(git -C "$dir" rev-parse HEAD)" = "$want" ] && exit 0
	step "moving $2 to $tag"
	git -C "$dir" checkout -q -f --detach "$want"
	exit 0
fi
step "checking out $tag into $2"
rm -rf "$dir"
git -C "$tree" worktree prune
git -C "$tree" worktree add -q -f --detach "$dir" "$want"
