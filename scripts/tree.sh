#!/bin/bash
# Rebuild build/linux as base + the series: one commit per patch, in the
# order of patches/series.  Stops at, and names, the first patch that does
# not apply.  The cover letter's subject and text become the branch's
# description, from which 'make export' writes the cover letter again.
#
# 'make export' right after this rewrites patches/ byte for byte: the patch
# files hold no commit ids and no committer, only what 'git am' read.
set -eu
top=$(realpath "$(dirname "$0")/..")
. "$top/scripts/lib.sh"
tree=$top/build/linux
patches=$top/patches

git -C "$tree" rev-parse -q --verify base >/dev/null 2>&1 ||
	die "no base in build/linux: run 'make base'"
if [ -n "$(git -C "$tree" status --porcelain --untracked-files=no)" ] &&
   [ "${FORCE:-0}" != 1 ]; then
	git -C "$tree" status --short --untracked-files=no | head >&2
	die "build/linux has uncommitted changes; commit and 'make export' them, or FORCE=1 to drop them"
fi
git -C "$tree" am --abort >/dev/null 2>&1 || true
git -C "$tree" checkout -q -f -B series base

n=0
if [ -f "$patches/series" ]; then
	while read -r p; do
		case "$p" in ''|'#'*) continue ;; esac
		[ -f "$patches/$p" ] || die "patches/series names $p, which is missing"
		if ! git -C "$tree" -c user.name="series" \
			-c user.email="series@build.invalid" \
			am -q --committer-date-is-author-date --keep-cr \
			"$patches/$p" >/dev/null 2>"$top/build/am.log"; then
			cat "$top/build/am.log" >&2
			git -C "$tree" am --abort >/dev/null 2>&1 || true
			die "patch $p does not apply"
		fi
		n=$((n + 1))
	done < "$patches/series"
fi
cover=$patches/0000-cover-letter.patch
if [ -f "$cover" ]; then
	python3 "$top/scripts/cover-letter.py" read "$cover" |
		git -C "$tree" config branch.series.description "$(cat)"
fi
ok "build/linux: base + $n patches, on branch series"
