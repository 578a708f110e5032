#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DPDK txonly through VFIO no-IOMMU mode: testpmd in the VM transmits on an
# e1000 bound to vfio-pci; the host counts well-formed frames in QEMU's pcap
# of the NIC.  Options as for run-suite.sh, e.g.
#
#	tests/dpdk/txonly.sh -k build/out/upstream/arch/x86/boot/bzImage
exec "$(dirname "$(realpath "$0")")/../run-suite.sh" dpdk-txonly "$@"
