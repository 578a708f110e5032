#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host side of tests/faults/hotplug.sh, run by vm/run-vm.sh --host-cmd
# (VM_OUT and VM_QMP set):
#
#	hotplug-host.sh [ROUNDS [ID]]
#
# ROUNDS times (default 2), when the guest says "ready-N", unplug the edu
# ID (default edu0, run-vm.sh's name for the first --edu) behind root port
# rp0 with QMP device_del,
# wait for QEMU's DEVICE_DELETED (which comes only once the guest has
# released the device and powered the slot off), say "deleted-N", wait for
# "gone-N", plug a new edu in the same slot and say "added-N".
set -u
here=$(dirname "$(realpath "$0")")
top=$(dirname "$(dirname "$here")")
. "$top/vm/guest-lib.sh"
rounds=${1:-2} id=${2:-edu0}
log() { echo "[$(date +%T)] $*"; }

for n in $(seq "$rounds"); do
	vm_wait "ready-$n" 300 || { log "guest never ready for round $n"; exit 1; }
	log "round $n: device_del $id"
	t0=$(date +%s%N)
	"$top/vm/qmp.py" "$VM_QMP" device_del "{\"id\": \"$id\"}" \
		--event DEVICE_DELETED --wait 120 || { log "device_del failed"; exit 1; }
	log "round $n: DEVICE_DELETED after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
	vm_signal "deleted-$n"
	vm_wait "gone-$n" 120 || { log "guest did not see the removal"; exit 1; }
	"$top/vm/qmp.py" "$VM_QMP" device_add \
		"{\"driver\": \"edu\", \"id\": \"$id\", \"bus\": \"rp0\", \"dma_mask\": 18446744073709551615}" ||
		{ log "device_add failed"; exit 1; }
	log "round $n: device_add $id"
	vm_signal "added-$n"
done
log "done"
