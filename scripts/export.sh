#!/bin/bash
# Write the commits on top of 'base' in build/linux to patches/ as
# 'git format-patch' output, with the cover letter and the series file.
# Deterministic: the same commits give byte-identical files (no commit ids,
# no signature, the cover letter dated like the last patch).
set -eu
top=$(realpath "$(dirname "$0")/..")
. "$top/scripts/lib.sh"
tree=$top/build/linux
patches=$top/patches

git -C "$tree" rev-parse -q --verify base >/dev/null 2>&1 ||
	die "no base in build/linux: run 'make base' and 'make tree'"
[ -z "$(git -C "$tree" status --porcelain --untracked-files=no)" ] ||
	die "build/linux has uncommitted changes: commit them first"
n=$(git -C "$tree" rev-list --count base..HEAD)
[ "$n" -gt 0 ] || die "no commits on top of base in build/linux"

branch=$(git -C "$tree" symbolic-ref -q --short HEAD || echo series)
desc=$(git -C "$tree" config "branch.$branch.description" || true)
[ -n "$desc" ] || desc=$(git -C "$tree" config branch.series.description || true)
[ -n "$desc" ] || die "no cover letter: set it with 'git -C build/linux branch --edit-description'"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
last_author=$(git -C "$tree" log -1 --format='%an%n%ae' HEAD)
git -C "$tree" -c "branch.$branch.description=$desc" \
	-c user.name="$(echo "$last_author" | sed -n 1p)" \
	-c user.email="$(echo "$last_author" | sed -n 2p)" \
	-c diff.noprefix=false -c format.signature= \
	format-patch -q --zero-commit --no-signature --cover-letter \
	--cover-from-description=subject --subject-prefix=PATCH \
	--abbrev=12 --no-renames -o "$tmp" base..HEAD
python3 "$top/scripts/cover-letter.py" fix "$tmp/0000-cover-letter.patch" \
	"$(git -C "$tree" log -1 --format=%aD HEAD)"

rm -f "$patches"/*.patch "$patches/series"
mkdir -p "$patches"
cp "$tmp"/*.patch "$patches/"
(cd "$patches" && ls [0-9]*.patch | grep -v '^0000-' > series)
ok "exported $n patches and the cover letter to patches/"
