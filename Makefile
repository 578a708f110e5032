# VFIO no-IOMMU mode: the kernel series, its kernels, VM and tests.
#
# The flow, left to right:
#   Debian's linux-source-6.12 -> make base (tag upstream, then base: the
#   tree without no-IOMMU) -> patches/ (the series) -> make tree (base +
#   series in build/linux) -> make kernel* (build/out/<flavour>) -> the VM
#   (vm/) and the tests (tests/) -> make check / make bench.
#
# Run 'make help' for the targets.

SHELL := /bin/bash
TOP := $(CURDIR)
TREE := build/linux
OUT := build/out
FRAGS := config/vm.config
NOIOMMU_FRAGS := $(FRAGS) config/noiommu.config
KSFT_DIR := build/kselftest

.PHONY: help deps base tree export kernel kernel-base kernel-upstream \
	kernel-modular kernels selftests matrix check demo bench clean

help:
	@echo "make deps             install what the project needs (Debian packages)"
	@echo "make base             build/linux: Debian's tree (tag upstream), no-IOMMU removed (tag base)"
	@echo "make tree             build/linux = base + patches/ (one commit per patch)"
	@echo "make export           patches/ <- the commits on top of base in build/linux"
	@echo "make kernel           the series kernel: $(OUT)/series/arch/x86/boot/bzImage"
	@echo "make kernel-base      the base kernel, without no-IOMMU (negative control)"
	@echo "make kernel-upstream  Debian's own tree with CONFIG_VFIO_NOIOMMU=y (reference)"
	@echo "make kernel-modular   the series with VFIO and iommufd as modules (build/out/modular, modules in its mods/)"
	@echo "make kernel-debug     the series with KASAN, UBSAN, lockdep, kmemleak (reliability)"
	@echo "make matrix           every patch and configuration built: W=1, sparse, checkpatch"
	@echo "make fuzz             the ioctl fuzzer, longer (FUZZ_SEED, FUZZ_ITERATIONS)"
	@echo "make bench-smoke      a short run of the benchmarks (part of check)"
	@echo "make selftests        build tools/testing/selftests/vfio into $(KSFT_DIR)"
	@echo "make check            every test on the three kernels, as one table"
	@echo "make demo             build the series kernel and forward traffic with DPDK through it"
	@echo "make bench            benchmarks (not part of check)"
	@echo "make dkms             the Debian package vfio-noiommu-dkms (build/dkms/), for Debian's own kernel"
	@echo "make deb              Debian packages of the modular kernel (build/deb/), unpacked for the VM"
	@echo "make deb KCONFIG=FILE the same from FILE (e.g. a distribution's config) + CONFIG_VFIO_NOIOMMU=y (build/deb/custom/)"
	@echo "make debian-kernel    Debian's own kernels with vfio-noiommu's modules, for the VM (build/debian, part of check)"

deps:
	@bash scripts/deps.sh

base: deps
	@bash base/make-base.sh

# A tree that does not exist yet is made from base and patches/; one that
# exists is left alone, since it may hold commits not yet exported.
$(TREE)/.git:
	@$(MAKE) --no-print-directory base
	@bash scripts/tree.sh

tree: deps
	@[ -d $(TREE)/.git ] || bash base/make-base.sh
	@bash scripts/tree.sh

export:
	@bash scripts/export.sh

kernel: deps $(TREE)/.git
	@bash scripts/build-kernel.sh $(TREE) $(OUT)/series $(NOIOMMU_FRAGS)

kernel-base: deps $(TREE)/.git
	@bash scripts/worktree.sh base build/src/base
	@bash scripts/build-kernel.sh build/src/base $(OUT)/base $(FRAGS)

kernel-upstream: deps $(TREE)/.git
	@bash scripts/worktree.sh upstream build/src/upstream
	@bash scripts/build-kernel.sh build/src/upstream $(OUT)/upstream $(NOIOMMU_FRAGS)

# The series as distributions build it: VFIO, iommufd (which emulates the
# VFIO container) and their drivers as modules, the device cdev built.
# The modules are installed in $(OUT)/modular/mods (INSTALL_MOD_PATH).
kernel-modular: deps $(TREE)/.git
	@bash scripts/build-kernel.sh $(TREE) $(OUT)/modular $(NOIOMMU_FRAGS) config/modular.config

kernels: kernel kernel-base kernel-upstream kernel-modular kernel-debug

selftests: deps $(TREE)/.git
	@bash scripts/build-selftests.sh $(TREE) $(KSFT_DIR)

# Every patch built in turn and the series in every configuration, with
# W=1, sparse and checkpatch: build/matrix/results.tap and summary.txt.
matrix: deps $(TREE)/.git
	@bash scripts/build-matrix.sh

# The matrix's failures show in the table (suite build-matrix), so the
# table is printed whatever they are.
check: kernels selftests debian-kernel deb
	@t0=$$(date +%s); bash scripts/build-matrix.sh; \
	CHECK_START=$$t0 bash tests/check.sh

demo: kernel
	@bash tests/dpdk/demo.sh $(OUT)/series/arch/x86/boot/bzImage

bench: kernel kernel-upstream
	@bash bench/run.sh

.PHONY: bench-smoke
bench-smoke: kernel kernel-upstream
	@bash bench/run.sh --smoke

clean:
	rm -rf build/out build/src $(KSFT_DIR)

# Reliability: the series kernel with KASAN, UBSAN, lockdep, kmemleak and
# friends (config/debug.config), and the ioctl fuzzer on it.
.PHONY: kernel-debug fuzz
kernel-debug: deps $(TREE)/.git
	@bash scripts/build-kernel.sh $(TREE) $(OUT)/debug $(NOIOMMU_FRAGS) config/debug.config

fuzz: kernel-debug
	@bash tests/fuzz/run.sh

# The series' drivers/vfio as a DKMS package for Debian's own kernel
# (dkms/): build/dkms/vfio-noiommu-dkms_VERSION_all.deb.
.PHONY: dkms
dkms: $(TREE)/.git
	@bash scripts/build-dkms-deb.sh

# Debian's own kernels (generic and cloud) and headers, fetched once, with
# the package's modules built against them as DKMS would and an initramfs:
# what tests/check.sh -k debian boots (tests/debian).
.PHONY: debian-kernel
debian-kernel: deps dkms
	@bash tests/debian/prepare.sh

# Debian packages of the series kernel, made by the kernel's bindeb-pkg
# (scripts/build-deb.sh): the modular flavour into build/deb/, unpacked
# there for the VM (tests/deb), or with KCONFIG=FILE a kernel configured
# from FILE with CONFIG_VFIO_NOIOMMU=y into build/deb/custom/.
.PHONY: deb
ifeq ($(KCONFIG),)
deb: kernel-modular
	@bash scripts/build-deb.sh
else
deb: deps $(TREE)/.git
	@bash scripts/build-deb.sh $(KCONFIG)
endif
