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
TIMED := bash scripts/timed.sh
# When this make began: tests/check.sh reports the build steps timed since.
MAKE_START := $(shell date +%s)

.PHONY: help deps base tree export kernel kernel-base kernel-upstream \
	kernel-modular kernel-cdev kernels selftests matrix check demo bench \
	clean

help:
	@echo "make deps             install what the project needs (Debian packages)"
	@echo "make base             build/linux: Debian's tree (tag upstream), no-IOMMU removed (tag base)"
	@echo "make tree             build/linux = base + patches/ (one commit per patch)"
	@echo "make export           patches/ <- the commits on top of base in build/linux"
	@echo "make kernel           the series kernel: $(OUT)/series/arch/x86/boot/bzImage"
	@echo "make kernel-base      the base kernel, without no-IOMMU (negative control)"
	@echo "make kernel-upstream  Debian's own tree with CONFIG_VFIO_NOIOMMU=y (reference)"
	@echo "make kernel-modular   the series with VFIO and iommufd as modules (build/out/modular, modules in its mods/)"
	@echo "make kernel-cdev      the series with the VFIO device cdev alone (VFIO_GROUP=n), iommufd built in"
	@echo "make kernel-debug     the series with KASAN, UBSAN, lockdep, kmemleak (reliability)"
	@echo "make matrix           every patch and configuration built: W=1, sparse, checkpatch"
	@echo "make fuzz             the ioctl fuzzer, longer (FUZZ_SEED, FUZZ_ITERATIONS)"
	@echo "make bench-smoke      a short run of the benchmarks (part of check)"
	@echo "make selftests        build tools/testing/selftests/vfio into $(KSFT_DIR)"
	@echo "make check            every test on the series, reference, control, modular, cdev and Debian kernels, as one table"
	@echo "make check-debug      the reliability suites on the debug kernel (KASAN, lockdep, kmemleak), as one table"
	@echo "make demo             build the series kernel and forward traffic with DPDK through it"
	@echo "make bench            benchmarks (not part of check)"
	@echo "make dkms             the Debian package vfio-noiommu-dkms (build/dkms/), for Debian's own kernel"
	@echo "make deb              Debian packages of the modular kernel (build/deb/), unpacked for the VM"
	@echo "make deb KCONFIG=FILE the same from FILE (e.g. a distribution's config) + CONFIG_VFIO_NOIOMMU=y (build/deb/custom/)"
	@echo "make debian-kernel    Debian's own kernels with vfio-noiommu's modules, for the VM (build/debian, part of check)"

deps:
	@bash scripts/deps.sh

base: deps
	@$(TIMED) base bash base/make-base.sh

# A tree that does not exist yet is made from base and patches/; one that
# exists is left alone, since it may hold commits not yet exported.  The
# base's build check is left to the build matrix (make check), which
# builds the base in its configuration and more.
$(TREE)/.git:
	@BASE_CHECK=0 $(MAKE) --no-print-directory base
	@$(TIMED) tree bash scripts/tree.sh

tree: deps
	@[ -d $(TREE)/.git ] || bash base/make-base.sh
	@bash scripts/tree.sh

export:
	@bash scripts/export.sh

kernel: deps $(TREE)/.git
	@$(TIMED) kernel bash scripts/build-kernel.sh $(TREE) $(OUT)/series $(NOIOMMU_FRAGS)

kernel-base: deps $(TREE)/.git
	@bash scripts/worktree.sh base build/src/base
	@$(TIMED) kernel-base bash scripts/build-kernel.sh build/src/base $(OUT)/base $(FRAGS)

kernel-upstream: deps $(TREE)/.git
	@bash scripts/worktree.sh upstream build/src/upstream
	@$(TIMED) kernel-upstream bash scripts/build-kernel.sh build/src/upstream $(OUT)/upstream $(NOIOMMU_FRAGS)

# The series as distributions build it: VFIO, iommufd (which emulates the
# VFIO container) and their drivers as modules, the device cdev built.
# The modules are installed in $(OUT)/modular/mods (INSTALL_MOD_PATH).
kernel-modular: deps $(TREE)/.git
	@$(TIMED) kernel-modular bash scripts/build-kernel.sh $(TREE) $(OUT)/modular $(NOIOMMU_FRAGS) config/modular.config

# The series with the device cdev alone: no VFIO groups or containers, so
# no-IOMMU devices are reached only as /dev/vfio/devices/noiommu-vfioN,
# bound to iommufd (config/cdev.config).
kernel-cdev: deps $(TREE)/.git
	@$(TIMED) kernel-cdev bash scripts/build-kernel.sh $(TREE) $(OUT)/cdev $(NOIOMMU_FRAGS) config/cdev.config

kernels: kernel kernel-base kernel-upstream kernel-modular kernel-cdev kernel-debug

selftests: deps $(TREE)/.git
	@$(TIMED) selftests bash scripts/build-selftests.sh $(TREE) $(KSFT_DIR)

# Every patch built in turn and the series in every configuration, with
# W=1, sparse and checkpatch: build/matrix/results.tap and summary.txt.
matrix: deps $(TREE)/.git
	@bash scripts/build-matrix.sh

# The matrix's failures show in the table (suite build-matrix), so the
# table is printed whatever they are.  In make check the matrix links the
# kernel at the last patch only (every patch is still compiled and
# checked, in both per-patch configurations): a link per patch cost three
# minutes of a check that must stay within CI's time; make matrix links
# every patch.
#
# The debug kernel's reliability suites are "make check-debug": a kernel
# with KASAN compiles every file again and boots slowly under TCG, which
# took about half an hour of a check that must stay within CI's time.
CHECK_KERNELS := series,upstream,base,modular,cdev,debian
check: kernel kernel-base kernel-upstream kernel-modular kernel-cdev \
		selftests debian-kernel deb
	@t0=$$(date +%s); $(TIMED) matrix bash scripts/build-matrix.sh -l last; \
	CHECK_START=$$t0 BUILD_START=$(MAKE_START) \
		bash tests/check.sh -k $(CHECK_KERNELS)

# The reliability suites (tests/faults/suites) on the debug kernel, as
# one table of their own in build/check-debug.
.PHONY: check-debug
check-debug: kernel-debug selftests
	@BUILD_START=$(MAKE_START) bash tests/check.sh -k debug -o build/check-debug

demo: kernel
	@bash tests/dpdk/demo.sh $(OUT)/series/arch/x86/boot/bzImage

bench: kernel kernel-upstream kernel-modular
	@bash bench/run.sh

.PHONY: bench-smoke
bench-smoke: kernel kernel-upstream kernel-modular
	@bash bench/run.sh --smoke

clean:
	rm -rf build/out build/src $(KSFT_DIR)

# Reliability: the series kernel with KASAN, UBSAN, lockdep, kmemleak and
# friends (config/debug.config), and the ioctl fuzzer on it.
.PHONY: kernel-debug fuzz
kernel-debug: deps $(TREE)/.git
	@$(TIMED) kernel-debug bash scripts/build-kernel.sh $(TREE) $(OUT)/debug $(NOIOMMU_FRAGS) config/debug.config

fuzz: kernel-debug
	@bash tests/fuzz/run.sh

# The series' drivers/vfio as a DKMS package for Debian's own kernel
# (dkms/): build/dkms/vfio-noiommu-dkms_VERSION_all.deb.
.PHONY: dkms
dkms: $(TREE)/.git
	@$(TIMED) dkms bash scripts/build-dkms-deb.sh

# Debian's own kernels (generic and cloud) and headers, fetched once, with
# the package's modules built against them as DKMS would and an initramfs:
# what tests/check.sh -k debian boots (tests/debian).
.PHONY: debian-kernel
debian-kernel: deps dkms
	@$(TIMED) debian-kernel bash tests/debian/prepare.sh

# Debian packages of the series kernel, made by the kernel's bindeb-pkg
# (scripts/build-deb.sh): the modular flavour into build/deb/, unpacked
# there for the VM (tests/deb), or with KCONFIG=FILE a kernel configured
# from FILE with CONFIG_VFIO_NOIOMMU=y into build/deb/custom/.
.PHONY: deb
ifeq ($(KCONFIG),)
deb: kernel-modular
	@$(TIMED) deb bash scripts/build-deb.sh
else
deb: deps $(TREE)/.git
	@bash scripts/build-deb.sh $(KCONFIG)
endif
