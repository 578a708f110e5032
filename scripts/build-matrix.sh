#!/bin/bash
# The build matrix of the series, as the kernel test robot would run it.
#
#   build-matrix.sh [-l all|last]
#
# MATRIX_SERIES=REV tests base..REV of build/linux instead of
# base..series (e.g. a commit made in a worktree of it).
#
# 1. Every commit of base..series in build/linux, in order, in two
#    configurations: "vm" (tinyconfig + config/vm.config +
#    config/noiommu.config, the kernel the tests boot) and
#    "iommufd-compat-cdev" (the same with IOMMUFD providing the VFIO
#    container and the device cdev on, so that the iommufd code compiles
#    too): drivers/vfio/ and drivers/iommu/iommufd/ with W=1 and sparse
#    (C=1).  In "vm" the whole kernel is linked as well.  Only warnings
#    that the same build of tag base does not give count; the base's own
#    are listed apart as pre-existing.  A commit that changes nothing the
#    kernel build reads (only tools/, Documentation/, MAINTAINERS) has the
#    kernel of the commit before it: its kernel build is reported as
#    skipped, saying so.  tools/testing/selftests/vfio is built, without
#    warnings, at every commit that changes it.
# 2. The last commit in the other configurations of CONFIGS below
#    (no-IOMMU n, VFIO as modules with and without IOMMUFD as a module,
#    the former with the series' KUnit tests built into vfio.ko,
#    IOMMUFD's container emulation without the cdev, the VFIO container
#    with the cdev, the cdev alone without VFIO groups, no IOMMU_SUPPORT
#    at all, as on a small board's kernel): the same directories with W=1
#    and sparse; where VFIO
#    is a module, the modules too, through modpost, which checks the
#    exports and namespaces between vfio.ko, iommufd.ko and the kernel.
#    Every configuration is checked to hold each option its fragment asks
#    for (the fragments and .configs are kept in build/matrix/configs/).
#    Then Debian's own 6.12 configuration (from "make debian-kernel"):
#    at base and at the series with CONFIG_VFIO_NOIOMMU=y, which must
#    change nothing else, drivers/vfio/ and drivers/iommu/iommufd/ with
#    W=1 and sparse.
# 3. scripts/checkpatch.pl --strict on every patch of patches/series:
#    no error, warning or check (checkpatch's question whether MAINTAINERS
#    needs updating for an added file is answered from MAINTAINERS itself).
#
# Results: build/matrix/results.tap (one TAP line per check, the offending
# lines as TAP comments), build/matrix/summary.txt (the figures) and the
# logs, in build/matrix/.  Exit status 0 only if every check passed.
#
# Cost.  One worktree (build/src/matrix) and two output directories in it,
# named like scripts/build-kernel.sh names its own so that ccache serves
# what "make kernel" and "make kernel-base" compiled: .kbuild-vm for the
# configurations that link or build modules, .kbuild-iommufd for those
# that build only the checked directories.  (Switching IOMMU_SUPPORT, and
# with it IOMMU_DMA, changes headers that nearly every file includes: in
# the directory that links, it would recompile the whole kernel twice a
# run.)  A new commit recompiles only
# what it changed, a new configuration only what depends on the options
# that changed, so each output directory is prepared once.  The checked
# directories are recompiled in full at every step (their objects are
# deleted first): ccache replays the compiler's warnings, so every step
# sees all of them, and sparse takes seconds for the lot.  Generated
# .configs and the base's results are kept in build/src/matrix/.cache,
# under a hash of everything they depend on (commit, fragment, Kconfig
# files, compiler, sparse, this script), so a run whose base did not
# change does not build the base again.
#
# Links.  The kernel is linked (vmlinux) at every patch: with a warm
# cache a patch takes 7-35 s, both configurations and the link included;
# the last patch builds the bzImage (compressing it adds seconds and
# nothing to bisectability).  .kbuild-iommufd never links, since a kernel
# of its configurations would be one more full compile on a fresh
# machine: its module configuration runs modpost against the vmlinux.o of
# .kbuild-vm's vfio-m configuration, which exports nearly the same, and
# compares the unresolved symbols with those of the base in the same
# configuration.  "-l last" (make check) links only the last patch (the
# directories are still built and checked at every patch), and leaves
# out Debian's configuration and the two configurations that build VFIO
# as modules, where time matters more than proving that every commit
# links: make check builds the DKMS package of the same drivers against
# Debian's own kernels, and VFIO and iommufd as modules in its modular
# kernel.
#
# Measured on 2 shared cores with 7 patches: ~3.7 CPU-minutes (4-6 min)
# with a warm ccache and output directories, ~6 CPU-minutes from empty
# output directories.  On a fresh machine after "make kernel kernel-base",
# ~435 compiles more miss the cache (W=1 objects, the intermediate
# commits, the other configurations, host tools), ~0.35 CPU-s each:
# ~8.5 CPU-minutes, about one more build of the VM kernel.
set -eu

top=$(realpath "$(dirname "$0")/..")
. "$top/scripts/lib.sh"

usage() { die "usage: $0 [-l all|last]"; }
link=all
while [ $# -gt 0 ]; do
	case "$1" in
	-l) [ $# -ge 2 ] || usage; link=$2; shift ;;
	*) usage ;;
	esac
	shift
done
case "$link" in all|last) ;; *) usage ;; esac

tree=$top/build/linux
wt_rel=build/src/matrix
wt=$top/$wt_rel
cache=$wt/.cache
res=$top/build/matrix
dirs=(drivers/vfio/ drivers/iommu/iommufd/)
jobs=${JOBS:-$(nproc)}
declare -A OUTDIR=([vm]=$wt/.kbuild-vm [iommufd]=$wt/.kbuild-iommufd)

# Configurations: NAME|OUTPUT DIRECTORY|EXTRA BUILD|fragment lines added
# to vm.config + noiommu.config (the last line naming an option decides).
# EXTRA BUILD: link (vmlinux), modules or nothing.
mods="CONFIG_VFIO=m CONFIG_VFIO_PCI_CORE=m CONFIG_VFIO_PCI=m CONFIG_VFIO_MDEV=m CONFIG_SAMPLE_VFIO_MDEV_MTTY=m"
compat="CONFIG_IOMMU_SUPPORT=y CONFIG_IOMMUFD=y CONFIG_VFIO_CONTAINER=n CONFIG_IOMMUFD_VFIO_CONTAINER=y"
PER_PATCH=(
"vm|vm|link|"
"iommufd-compat-cdev|iommufd||$compat CONFIG_VFIO_DEVICE_CDEV=y"
)
CONFIGS=(
"noiommu-n|vm||CONFIG_VFIO_NOIOMMU=n"
"vfio-m|vm|modules|$mods CONFIG_KUNIT=y CONFIG_VFIO_NOIOMMU_KUNIT_TEST=y"
"iommufd-compat|iommufd||$compat CONFIG_VFIO_DEVICE_CDEV=n"
"container-cdev|iommufd||CONFIG_IOMMU_SUPPORT=y CONFIG_IOMMUFD=y CONFIG_VFIO_CONTAINER=y CONFIG_IOMMUFD_VFIO_CONTAINER=n CONFIG_VFIO_DEVICE_CDEV=y"
"noiommu-n-iommufd-cdev|iommufd||CONFIG_VFIO_NOIOMMU=n $compat CONFIG_VFIO_DEVICE_CDEV=y"
"vfio-m-iommufd-m|iommufd|modules|$mods CONFIG_IOMMU_SUPPORT=y CONFIG_IOMMUFD=m CONFIG_VFIO_CONTAINER=n CONFIG_IOMMUFD_VFIO_CONTAINER=y CONFIG_VFIO_DEVICE_CDEV=y"
"cdev-only|iommufd||CONFIG_IOMMU_SUPPORT=y CONFIG_IOMMUFD=y CONFIG_VFIO_GROUP=n CONFIG_VFIO_CONTAINER=n CONFIG_VFIO_DEVICE_CDEV=y"
"iommu-support-n|iommufd||CONFIG_INTEL_IOMMU=n CONFIG_IOMMU_SUPPORT=n"
)

kbuild_env
# A fixed build number, or init/version.o misses ccache at every link.
export KBUILD_BUILD_VERSION=1
# checkpatch's SPDX check runs python3 with ply and git: Debian's.
export PATH=/usr/bin:$PATH
tools=$({ gcc --version; sparse --version; sha256sum < "$0"; } 2>&1 | sha256sum | cut -c1-16)

mkdir -p "$res"
exec 9>"$res/.lock"
flock -n 9 || die "another build-matrix.sh is running"
find "$res" -mindepth 1 -maxdepth 1 ! -name .lock -exec rm -rf {} +
mkdir -p "$res/configs"
: > "$res/none.diag"

commits=()
tip=${MATRIX_SERIES:-series}
while read -r c; do commits+=("$c"); done < <(git -C "$tree" rev-list --reverse "base..$tip")
[ ${#commits[@]} -gt 0 ] || die "no commits in base..$tip of $tree"
last=${commits[-1]}
base=$(git -C "$tree" rev-parse 'base^{commit}')
mapfile -t pfiles < <(grep -v '^#' "$top/patches/series" | grep .)

[ -e "$wt/.git" ] || bash "$top/scripts/worktree.sh" base "$wt_rel" >/dev/null
mkdir -p "$cache"

# ---- Helpers ------------------------------------------------------------
out=
kmake() { make -C "$wt" O="$out" CC="$cc" HOSTCC="$cc" "$@"; }
checkout() {
	[ "$(git -C "$wt" rev-parse HEAD)" = "$1" ] ||
		git -C "$wt" checkout -q -f --detach "$1"
}

# lookup NAME: C_OUT, C_EXTRA, C_LINES of a configuration.
lookup() {
	local e n
	for e in "${PER_PATCH[@]}" "${CONFIGS[@]}"; do
		IFS='|' read -r n C_OUT C_EXTRA C_LINES <<< "$e"
		[ "$n" = "$1" ] && return 0
	done
	die "no configuration $1"
}

# fragment NAME: build/matrix/configs/NAME.config, the configuration's
# fragment with one line per option.
fragment() {
	lookup "$1"
	{ cat "$top/config/vm.config" "$top/config/noiommu.config"
	  # shellcheck disable=SC2086 # one option per word
	  printf '%s\n' $C_LINES; } | tac | awk '
		match($0, /^CONFIG_[A-Za-z0-9_]+=/) { k = substr($0, 1, RLENGTH - 1) }
		/^# CONFIG_[A-Za-z0-9_]+ is not set/ { k = $2 }
		k == "" || !seen[k]++ { print } { k = "" }' | tac > "$res/configs/$1.config"
}

ntap=0 nfail=0 nskip=0
tap() {	# tap OK|FAIL|SKIP DESCRIPTION [FILE OF DETAILS | REASON]
	ntap=$((ntap + 1))
	if [ "$1" = OK ]; then
		echo "ok $ntap - $2"
	elif [ "$1" = SKIP ]; then
		nskip=$((nskip + 1))
		echo "ok $ntap - $2 # SKIP $3"
	else
		nfail=$((nfail + 1))
		echo "not ok $ntap - $2"
		if [ -n "${3:-}" ] && [ -s "$3" ]; then sed 's/^/#   /' "$3"; fi
	fi >> "$res/tap.body"
	return 0
}

# diag LOG: one line per diagnostic, "KIND<TAB>KEY<TAB>LINE".  KIND is cc
# (compiler, kernel-doc), sparse or other (Kconfig, modpost, objtool, the
# linker); KEY is the line without "../" and line numbers, so that a
# warning is recognised in a commit that moved it.
diag() {
	awk '
	{ l = $0; k = l }
	l ~ /^(\.\.\/)?[^ :]+:[0-9]+(:[0-9]+)?: (sparse: )?(warning|error): / {
		sub(/^\.\.\//, "", k); sub(/:[0-9]+(:[0-9]+)?: /, ": ", k)
		printf "%s\t%s\t%s\n", (l ~ /: sparse: /) ? "sparse" : "cc", k, l
		next
	}
	tolower(l) ~ /(warning|error)[: ]/ && l !~ /^make(\[[0-9]+\])?: \*\*\*/ {
		gsub(/[0-9]+/, "N", k)
		printf "other\t%s\t%s\n", k, l
	}' "$1"
}
# newer BASE CUR: the diagnostics of CUR beyond those of BASE, counting
# repeats (a second copy of an old warning is new).
newer() {
	awk -F'\t' 'FILENAME == ARGV[1] { n[$2]++; next }
		{ if (n[$2] > 0) n[$2]--; else print }' "$1" "$2"
}

# outside_kernel COMMIT: COMMIT changes a file outside tools/,
# Documentation/ and MAINTAINERS, which no kernel build reads.
outside_kernel() {
	git -C "$wt" diff --name-only "$1^" "$1" | grep -qvE '^(tools/|Documentation/|MAINTAINERS$)'
}
# changed_dirs COMMIT: the directories COMMIT changes files in.
changed_dirs() {
	git -C "$wt" diff --name-only "$1^" "$1" | sed 's|/[^/]*$|/|' | sort -u | paste -sd' '
}

# selftests LOG: tools/testing/selftests/vfio of the checked-out commit,
# built from clean against its uapi headers (installed in .kbuild-vm).
selftests() {
	local hdr=${OUTDIR[vm]}/usr/include st=$wt/tools/testing/selftests/vfio
	make -s -C "$wt" O="${OUTDIR[vm]}" headers > "$1" 2>&1 || return 1
	git -C "$wt" clean -qfdx -- "$st"
	make -C "$st" CC="$cc" KHDR_INCLUDES="-isystem $hdr" >> "$1" 2>&1 || return 1
	git -C "$wt" clean -qfdx -- "$st"
}

# configure NAME STRICT: point $out at the configuration's output
# directory and make its .config tinyconfig + vm.config + noiommu.config +
# the configuration's lines; nothing to do when these, the Kconfig files
# of the checked-out commit and the compiler are those of the last time.
# Every option asked for must hold; with STRICT=0 an option the tree does
# not define (the base's CONFIG_VFIO_NOIOMMU) is let go.  Prints what is
# missing.
configure() {
	local name=$1 strict=$2 frag stamp opt line bad=0
	fragment "$name"
	out=${OUTDIR[$C_OUT]}
	mkdir -p "$out"
	frag=$res/configs/$name.config
	stamp=$({ cat "$frag"; gcc --version
		  git -C "$wt" ls-tree -r HEAD | awk -F'\t' '
			$2 ~ /(^|\/)Kconfig[^\/]*$/ || $2 ~ /configs\/tiny/'
		} | sha256sum | cut -c1-16)
	[ "$(cat "$out/.matrix-stamp" 2>/dev/null)" = "$stamp" ] && return 0
	rm -f "$out/.matrix-stamp"
	if [ -f "$cache/config-$stamp" ]; then
		cp "$cache/config-$stamp" "$out/.config"
	else
		kmake -s tinyconfig >/dev/null
		"$wt/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "$frag" >/dev/null
		kmake -s olddefconfig >/dev/null
		cp "$out/.config" "$cache/config-$stamp"
	fi
	cp "$out/.config" "$res/configs/$name.dotconfig"
	# The symbols the checked-out tree defines, read once: a git grep per
	# option took half a minute per configuration.
	local -A defined=()
	while read -r opt; do defined[$opt]=1; done < <(git -C "$wt" grep -hE \
		'^[[:space:]]*(menu)?config [A-Za-z0-9_]+[[:space:]]*$' -- '*Kconfig*' |
		awk '{ print $2 }')
	while IFS= read -r line; do
		opt=${line%%=*}
		if [ -z "${defined[${opt#CONFIG_}]:-}" ]; then
			[ "$strict" = 0 ] || { echo "$name: $opt is not a Kconfig symbol"; bad=1; }
			continue
		fi
		case "$line" in
		*=n) ! grep -q "^$opt=" "$out/.config" ||
			{ echo "$name: not unset: $line"; bad=1; } ;;
		*) grep -qxF "$line" "$out/.config" ||
			{ echo "$name: not set: $line (got: $(grep "^$opt=\|^# $opt " "$out/.config"))"; bad=1; } ;;
		esac
	done < <(grep -E '^CONFIG_[A-Za-z0-9_]+=' "$frag")
	[ $bad = 0 ] || return 1
	echo "$stamp" > "$out/.matrix-stamp"
}

# wcheck LOG: the checked directories with W=1 and sparse, every file
# compiled again (ccache hits) so that the log holds all their warnings.
wcheck() {
	find "$out/drivers/vfio" "$out/drivers/iommu/iommufd" -name '*.o' -delete 2>/dev/null || true
	kmake -j"$jobs" W=1 C=1 CF=-fdiagnostic-prefix "${dirs[@]}" > "$1" 2>&1
}

# extra LOG: the configuration's extra build, appended to LOG.
# modules: the modules through modpost.  In .kbuild-iommufd, against the
# vmlinux.o of .kbuild-vm (see the header), which lacks the few symbols
# that only IOMMUFD's selections export (such as the interval tree's span
# iterator): modpost reports unresolved symbols as
# warnings there, and those the base gives in the same configuration are
# not new.
extra() {
	local m
	case "$C_EXTRA" in
	link) kmake -j"$jobs" vmlinux >> "$1" 2>&1 ;;
	modules)
		if [ "$out" = "${OUTDIR[vm]}" ]; then
			kmake -j"$jobs" vmlinux modules >> "$1" 2>&1 || return 1
		else
			[ -f "${OUTDIR[vm]}/vmlinux.o" ] ||
				{ echo "error: no vmlinux.o in ${OUTDIR[vm]}" >> "$1"; return 1; }
			cp "${OUTDIR[vm]}/vmlinux.o" "$out/vmlinux.o"
			kmake -j"$jobs" KBUILD_MODPOST_WARN=1 modules >> "$1" 2>&1 || return 1
		fi
		for m in drivers/vfio/vfio.ko drivers/vfio/pci/vfio-pci.ko \
			 $([[ " $C_LINES " == *" CONFIG_IOMMUFD=m "* ]] && echo drivers/iommu/iommufd/iommufd.ko); do
			[ -f "$out/$m" ] || { echo "error: $m was not built" >> "$1"; return 1; }
		done ;;
	esac
}

# reference NAME: build/matrix/base-NAME.diag (and base-NAME-extra.diag),
# the diagnostics of the base in configuration NAME, from the cache or
# built; REF_HOW says which.
reference() {
	local name=$1 key f
	fragment "$name"
	key=$({ echo "$base $tools"; cat "$res/configs/$name.config"; } | sha256sum | cut -c1-16)
	f=$cache/ref-$name-$key
	if [ ! -f "$f.diag" ] || { [ -n "$C_EXTRA" ] && [ ! -f "$f-extra.diag" ]; }; then
		checkout "$base"
		configure "$name" 0 > "$res/base-$name-config.log" ||
			die "the base in $name: $(cat "$res/base-$name-config.log")"
		wcheck "$res/base-$name.log" ||
			die "the base does not build in $name (log: $res/base-$name.log)"
		diag "$res/base-$name.log" > "$f.diag"
		if [ -n "$C_EXTRA" ]; then
			extra "$res/base-$name-extra.log" ||
				die "the base's $C_EXTRA fails in $name (log: $res/base-$name-extra.log)"
			diag "$res/base-$name-extra.log" > "$f-extra.diag"
		fi
		REF_HOW=built
	else
		REF_HOW=cached
	fi
	cp "$f.diag" "$res/base-$name.diag"
	[ -z "$C_EXTRA" ] || cp "$f-extra.diag" "$res/base-$name-extra.diag"
}

# judge DESCRIPTION REFERENCE-DIAG LOG: a TAP line for LOG's new warnings.
new_total=0
judge() {
	local desc=$1 ref=$2 log=$3 new=${3%.log}.new
	diag "$log" > "${log%.log}.diag"
	newer "$ref" "${log%.log}.diag" | cut -f3 | sort -u > "$new"
	new_total=$((new_total + $(wc -l < "$new")))
	if [ -s "$new" ]; then tap FAIL "$desc" "$new"; else tap OK "$desc"; fi
}
failed() {	# failed DESCRIPTION LOG
	grep -E 'error|Error|\*\*\*|not set|not unset|not a Kconfig' "$2" | tail -20 > "${2%.log}.fail"
	tap FAIL "$1" "${2%.log}.fail"
}

# ---- 1. Every commit ----------------------------------------------------
t1=$(date +%s)
step "matrix: the base's warnings (the reference)"
refs=()
for e in "${PER_PATCH[@]}"; do
	reference "${e%%|*}"
	refs+=("${e%%|*} $REF_HOW")
done
ok "base: $(IFS=,; echo "${refs[*]}")"

linked=0 i=0 kbuilt=0 sbuilt=0
for c in "${commits[@]}"; do
	i=$((i + 1))
	n=$(printf '%04d' $i)
	step "matrix: patch $n/${#commits[@]}: $(git -C "$tree" log -1 --format=%s "$c")"
	checkout "$c"
	strict=0; [ "$c" = "$last" ] && strict=1
	# The selftests, at every patch that changes them.
	if ! git -C "$wt" diff --quiet "$c^" "$c" -- tools/testing/selftests/vfio; then
		desc="patch $n: tools/testing/selftests/vfio builds without warnings"
		log=$res/$n-selftests.log
		sbuilt=$((sbuilt + 1))
		if selftests "$log"; then
			judge "$desc" "$res/none.diag" "$log"
		else
			failed "$desc" "$log"
		fi
	fi
	# A patch that changes only tools/, Documentation/ and MAINTAINERS
	# leaves every file the kernel build reads as the patch before it
	# left them: its kernel is that one.  The last patch is built in full
	# all the same.
	if [ "$c" != "$last" ] && ! outside_kernel "$c"; then
		for e in "${PER_PATCH[@]}"; do
			tap SKIP "patch $n (${e%%|*}): the kernel build" \
				"changes only $(changed_dirs "$c"): kernel sources as at patch $(printf '%04d' $((i - 1)))"
		done
		continue
	fi
	kbuilt=$((kbuilt + 1))
	for e in "${PER_PATCH[@]}"; do
		name=${e%%|*}
		desc="patch $n ($name): ${dirs[*]} build without new warnings (W=1, sparse)"
		log=$res/$n-$name.log
		if ! configure "$name" $strict > "$log"; then
			failed "$desc" "$log"; continue
		elif ! wcheck "$log"; then
			failed "$desc" "$log"; continue
		fi
		judge "$desc" "$res/base-$name.diag" "$log"
		[ "$C_EXTRA" = link ] || continue
		[ "$link" = all ] || [ "$c" = "$last" ] || continue
		target=vmlinux; [ "$c" = "$last" ] && target=bzImage
		desc="patch $n ($name): the kernel links ($target) without new warnings"
		log=$res/$n-$name-link.log
		linked=$((linked + 1))
		if kmake -j"$jobs" $target > "$log" 2>&1; then
			judge "$desc" "$res/base-$name-extra.diag" "$log"
		else
			failed "$desc" "$log"
		fi
	done
done
t1=$(( $(date +%s) - t1 ))
ok "matrix: ${#commits[@]} patches built"

# ---- 2. The last commit in the other configurations --------------------
# The reference is the base in the per-patch configuration of the same
# output directory; a warning it does not explain is looked up afterwards
# in the base built in the same configuration.
t2=$(date +%s)
declare -A STATE
checkout "$last"
for e in "${CONFIGS[@]}"; do
	IFS='|' read -r name _ x _ <<< "$e"
	# make check: the configurations that build VFIO as modules need a
	# kernel compiled in full for them (CONFIG_KUNIT changes what nearly
	# every file sees), about a quarter of a cold check's builds.  The
	# modular kernel of make check builds the same modules through
	# modpost, and make check-debug builds the KUnit tests into vfio.ko.
	if [ "$link" = last ] && [ "$x" = modules ]; then
		STATE[$name]=skipped; continue
	fi
	step "matrix: series in configuration $name"
	log=$res/cfg-$name.log
	if ! configure "$name" 1 > "$log"; then
		STATE[$name]=failed; continue
	fi
	if ! wcheck "$log" || ! extra "$log"; then
		STATE[$name]=failed; continue
	fi
	if [ "$C_OUT" = vm ]; then
		cat "$res/base-vm.diag" "$res/base-vm-extra.diag" > "$res/ref-$name.diag"
	else
		cp "$res/base-iommufd-compat-cdev.diag" "$res/ref-$name.diag"
	fi
	diag "$log" > "$res/cfg-$name.diag"
	STATE[$name]=ok
	newer "$res/ref-$name.diag" "$res/cfg-$name.diag" | grep -q . && STATE[$name]=base
done
for e in "${CONFIGS[@]}"; do
	name=${e%%|*}
	[ "${STATE[$name]}" = base ] || continue
	step "matrix: the base in configuration $name, the reference for its warnings"
	reference "$name"
	refs+=("$name $REF_HOW")
	cat "$res/base-$name.diag" "$res/base-$name-extra.diag" > "$res/ref-$name.diag" 2>/dev/null || true
done
for e in "${CONFIGS[@]}"; do
	IFS='|' read -r name _ x _ <<< "$e"
	what="W=1, sparse${x:+, $x}"
	[ "$x" = modules ] && what="$what, modpost"
	desc="series ($name): builds without new warnings ($what)"
	if [ "${STATE[$name]}" = skipped ]; then
		tap SKIP "$desc" "left to make matrix (-l all) for time; make check builds these modules in the modular kernel"
	elif [ "${STATE[$name]}" = failed ]; then
		failed "$desc" "$res/cfg-$name.log"
	else
		judge "$desc" "$res/ref-$name.diag" "$res/cfg-$name.log"
	fi
done
t2=$(( $(date +%s) - t2 ))
ok "matrix: ${#CONFIGS[@]} more configurations built"

# ---- 2b. Debian's own configuration ----------------------------------------
# A user's path: a distribution's configuration with the series and the
# mode turned on.  Debian's 6.12 amd64 configuration (the one its kernel
# package ships, fetched by "make debian-kernel") must take
# CONFIG_VFIO_NOIOMMU=y with nothing else changing, and drivers/vfio/ and
# drivers/iommu/iommufd/ must build there with W=1 and sparse without
# warnings the base does not give in the same configuration.  (Debian
# builds no iommufd: that directory compiles nothing there.)  Its own
# output directory; the full kernel is not built (hours on 2 cores).
t3=$(date +%s)
deb_cfg=$(ls "$top"/build/debian/root/boot/config-*-amd64 2>/dev/null | grep -v cloud | head -n1 || true)
debian_config() {	# debian_config MODE(base|series) LOG
	kmake -s olddefconfig > /dev/null 2>> "$2" || return 1
	cp "$out/.config" "$res/configs/debian-$1.dotconfig"
}
if [ "$link" = last ]; then
	# make check: vfio-noiommu-dkms builds the same drivers against
	# Debian's own headers there (tests/debian), in less time.
	tap SKIP "series (Debian's 6.12 configuration): configures and builds" \
		"left to make matrix (-l all) for time; make check builds the DKMS package against Debian's kernels"
elif [ -z "$deb_cfg" ]; then
	tap SKIP "series (Debian's 6.12 configuration): configures and builds" \
		"no Debian configuration in build/debian/root/boot (make debian-kernel fetches it)"
else
	step "matrix: Debian's configuration ($(basename "$deb_cfg"))"
	out=$wt/.kbuild-debian
	mkdir -p "$out"
	cp "$deb_cfg" "$res/configs/debian.config"
	checkout "$base"
	cp "$deb_cfg" "$out/.config"
	log=$res/debian-base.log
	if ! debian_config base "$log" || ! wcheck "$log"; then
		die "the base does not build in Debian's configuration (log: $log)"
	fi
	diag "$log" > "$res/base-debian.diag"
	checkout "$last"
	cp "$deb_cfg" "$out/.config"
	"$wt/scripts/config" --file "$out/.config" --enable VFIO_NOIOMMU
	log=$res/debian.log
	desc="series (Debian's 6.12 configuration + CONFIG_VFIO_NOIOMMU=y): configures with no other change"
	if debian_config series "$log"; then
		diff "$res/configs/debian-base.dotconfig" "$res/configs/debian-series.dotconfig" |
			grep '^[<>]' > "$res/debian-config.diff" || true
		# The one change wanted, and the KUnit test's prompt (KUNIT is off).
		grep -v -e '^> CONFIG_VFIO_NOIOMMU=y$' -e '^> # CONFIG_VFIO_NOIOMMU_KUNIT_TEST is not set$' \
			-e '^< # CONFIG_VFIO_NOIOMMU is not set$' "$res/debian-config.diff" > "$res/debian-config.new" || true
		grep -qxF 'CONFIG_VFIO_NOIOMMU=y' "$out/.config" ||
			echo "CONFIG_VFIO_NOIOMMU=y did not hold" >> "$res/debian-config.new"
		if [ -s "$res/debian-config.new" ]; then
			tap FAIL "$desc" "$res/debian-config.new"
		else
			tap OK "$desc"
		fi
		desc="series (Debian's 6.12 configuration + CONFIG_VFIO_NOIOMMU=y): ${dirs[*]} build without new warnings (W=1, sparse)"
		if wcheck "$log"; then
			judge "$desc" "$res/base-debian.diag" "$log"
		else
			failed "$desc" "$log"
		fi
	else
		failed "$desc" "$log"
	fi
fi
t3=$(( $(date +%s) - t3 ))

# ---- 3. checkpatch ------------------------------------------------------
# checkpatch warns about every patch that adds a file without touching
# MAINTAINERS, asking whether MAINTAINERS needs updating.  The answer is
# looked up instead: when every file the patch adds is already named by an
# F: line of MAINTAINERS in the series' tree (the file, or a directory
# above it), the question is answered and not counted.

# added PATCH: the files PATCH creates.
added() {
	awk '/^diff --git / { f = $4; sub(/^b\//, "", f) }
		/^new file mode/ { print f }' "$1"
}

# maintained FILE: an F: line of the series' MAINTAINERS covers FILE.
maintained() {
	awk -v f="$1" '$1 == "F:" && ($2 == f || ($2 ~ /\/$/ && index(f, $2) == 1)) { found = 1 }
		END { exit !found }' "$wt/MAINTAINERS"
}

step "matrix: checkpatch --strict on ${#pfiles[@]} patches"
cp_e=0 cp_w=0 cp_c=0
for p in "${pfiles[@]}"; do
	log=$res/checkpatch-${p%%-*}.log
	ignore=()
	new=$(added "$top/patches/$p")
	if [ -n "$new" ]; then
		ignore=(--ignore FILE_PATH_CHANGES)
		for f in $new; do
			maintained "$f" || { ignore=(); break; }
		done
	fi
	(cd "$wt" && perl scripts/checkpatch.pl --strict --no-color \
		"${ignore[@]}" "$top/patches/$p") > "$log" 2>&1 || true
	[ ${#ignore[@]} = 0 ] ||
		echo "MAINTAINERS already covers: $new" >> "$log"
	read -r e w k < <(sed -n 's/^total: \([0-9]*\) errors, \([0-9]*\) warnings, \([0-9]*\) checks.*/\1 \2 \3/p' "$log"; echo) || true
	if [ -z "$e" ]; then
		tap FAIL "checkpatch --strict $p: no verdict" "$log"
		continue
	fi
	cp_e=$((cp_e + e)) cp_w=$((cp_w + w)) cp_c=$((cp_c + k))
	if [ $((e + w + k)) = 0 ]; then
		tap OK "checkpatch --strict $p"
	else
		grep -E '^(ERROR|WARNING|CHECK):' -A3 "$log" > "${log%.log}.new" || true
		tap FAIL "checkpatch --strict $p: $e errors, $w warnings, $k checks" "${log%.log}.new"
	fi
done
ok "matrix: checkpatch done"

# ---- Results ------------------------------------------------------------
{ echo "1..$ntap"; cat "$res/tap.body"; } > "$res/results.tap"
rm -f "$res/tap.body"
for f in "$res"/base-*.diag; do
	[ -s "$f" ] || continue
	f=${f##*/base-} n=${f%.diag} what="W=1, sparse"
	case "$n" in *-extra) n=${n%-extra} what="vmlinux, modules" ;; esac
	echo "# base, configuration $n ($what)"
	cut -f3 "$res/base-$f" | sed 's|^\.\./||' | sort -u
done > "$res/preexisting.txt"
pre() { cut -f1,2 "$res"/base-*.diag | sort -u | grep -c "^$1" || true; }
{
	echo "patches: ${#commits[@]} (base..$tip); $kbuilt changing the kernel, each built in ${#PER_PATCH[@]} configurations with W=1 + sparse on ${dirs[*]}; kernel linked at $linked; the selftests built at $sbuilt (${t1}s)"
	nskipped=0
	for e in "${CONFIGS[@]}"; do [ "${STATE[${e%%|*}]}" = skipped ] && nskipped=$((nskipped + 1)); done
	echo "configurations built: $(( ${#PER_PATCH[@]} + ${#CONFIGS[@]} - nskipped )), the last patch in $(( ${#CONFIGS[@]} - nskipped )) more, $nskipped left to make matrix (${t2}s)"
	[ -n "$deb_cfg" ] && [ "$link" = all ] && echo "Debian's configuration ($(basename "$deb_cfg")): configured and ${dirs[*]} built at base and at the series (${t3}s)"
	echo "new warnings: $new_total"
	echo "pre-existing on base: $(pre cc) compiler, $(pre sparse) sparse, $(pre other) other distinct warnings (build/matrix/preexisting.txt); base references: $(IFS=,; echo "${refs[*]}")"
	echo "checkpatch --strict: ${#pfiles[@]} patches, $cp_e errors, $cp_w warnings, $cp_c checks"
	echo "checks: $((ntap - nfail - nskip)) passed, $nfail failed, $nskip skipped (build/matrix/results.tap)"
	echo "time: $(( $(date +%s) - _t0 ))s, $jobs jobs"
} > "$res/summary.txt"
cat "$res/results.tap" "$res/summary.txt"
[ $nfail = 0 ]
