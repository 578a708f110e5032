#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DPDK io forwarding through VFIO no-IOMMU mode: testpmd in the VM forwards
# between two e1000s bound to vfio-pci; the host sends a numbered sequence
# of frames into one and checks that the other gives back every frame,
# intact and in order.  Options as for run-suite.sh, e.g.
#
#	tests/dpdk/iofwd.sh -k build/out/upstream/arch/x86/boot/bzImage
exec "$(dirname "$(realpath "$0")")/../run-suite.sh" dpdk-iofwd "$@"
