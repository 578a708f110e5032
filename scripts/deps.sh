#!/bin/bash
# Install what the project needs from Debian's archive.  Idempotent: when
# every package is already there it only asks dpkg and returns.
set -eu
. "$(dirname "$0")/lib.sh"

pkgs=(
	# the kernel source and its build
	linux-source-6.12 gcc make flex bison bc libelf-dev libssl-dev cpio
	dwarves kmod xz-utils lz4 rsync git ccache python3
	# its Debian packages (make deb: bindeb-pkg)
	dpkg-dev fakeroot debhelper
	# patch and code checks
	sparse perl python3-ply python3-git
	# the test VM and what runs inside it (from the host's root)
	qemu-system-x86 busybox-static pciutils iproute2 procps kmod
	dpdk dpdk-dev
	# DPDK's examples as source (tests/dpdk/build.sh builds them as shipped)
	dpdk-doc pkgconf
	# host-side traffic checks
	tshark python3-scapy
	# benchmarks: igb_uio, built against our kernels; the chart
	dpdk-kmods-dkms python3-matplotlib
	# Debian's own kernel: DKMS builds vfio-noiommu-dkms (tests/debian)
	dkms
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
		grep -q '^install ok installed$' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

step "installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; the answer does not matter.
echo "wireshark-common wireshark-common/install-setuid boolean false" |
	debconf-set-selections
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
ok "packages installed"
