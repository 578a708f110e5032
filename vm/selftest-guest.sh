#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest half of vm/selftest.sh: checks the devices, mounts and host links
# run-vm.sh promises.  Expects: --nic e1000,net=udp:... --nic virtio --edu
# --edu=bus=rp1 --root-ports 2 --hugepages 64 and vm/selftest.sh's host
# command on the other side.

. "$VM_LIB"

tap_plan 13

e1000=$(pci_find 8086:100e)
tap_result $? "e1000 present" "$e1000"
virtio=$(pci_find 1af4:1000 || pci_find 1af4:1041)
tap_result $? "virtio-net present" "$virtio"
[ "$(pci_find_all 1234:11e8 | wc -l)" = 2 ]
tap_result $? "two edu devices" "$(pci_find_all 1234:11e8)"
pci_find_all 1234:11e8 | grep -q -v '^0000:00:'
tap_result $? "one edu behind a root port" "$(pci_find_all 1234:11e8)"

[ "$(awk '/^HugePages_Total/ {print $2}' /proc/meminfo)" = 64 ] &&
	grep -q ' /dev/hugepages hugetlbfs ' /proc/mounts
tap_result $? "64 hugepages reserved, hugetlbfs mounted" \
	"$(grep -i huge /proc/meminfo)"

out=$(dpdk-devbind.py --status-dev net 2>&1)
echo "$out" | grep -q "$e1000"
tap_result $? "dpdk-devbind.py runs" "$out"

w=$(mktemp) && [ -w /run ] && [ -w /var/tmp ] && [ "$HOME" = /tmp ]
tap_result $? "writable /tmp, /run, /var/tmp" "$w"

# A frame each way through the e1000's UDP backend.
iface=$(ls "/sys/bus/pci/devices/$e1000/net")
ip link set "$iface" up
res=$(python3 - "$iface" <<'EOF'
import socket, sys, time
ETH_P = 0x88b5                     # local experimental ethertype
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P))
s.bind((sys.argv[1], ETH_P))
mac = s.getsockname()[4]
s.send(b"\xff" * 6 + mac + ETH_P.to_bytes(2, "big") + b"guest-to-host".ljust(46))
s.settimeout(30)
end = time.monotonic() + 30
while time.monotonic() < end:
    frame = s.recv(2048)
    if b"host-to-guest" in frame:
        print("received")
        break
EOF
)
[ "$res" = received ]
tap_result $? "frame sent to and received from the host over UDP" "$res"

# Hot unplug and replug of the edu behind the root port.
vm_signal hotplug-ready
vm_wait host-deleted 60
tap_result $? "host removed the edu (device_del)"
[ -z "$(pci_find_all 1234:11e8 | grep -v '^0000:00:')" ]
tap_result $? "guest no longer sees it" "$(pci_find_all 1234:11e8)"
vm_signal guest-saw-removal
vm_wait host-added 60
tap_result $? "host added it back (device_add)"
for _ in $(seq 50); do
	[ -n "$(pci_find_all 1234:11e8 | grep -v '^0000:00:')" ] && break
	sleep 0.2
done
[ -n "$(pci_find_all 1234:11e8 | grep -v '^0000:00:')" ]
tap_result $? "guest sees it again" "$(pci_find_all 1234:11e8)"
pci_bind "$(pci_find_all 1234:11e8 | grep -v '^0000:00:')" vfio-pci
rc=$?
# Without no-IOMMU mode vfio-pci must refuse it; this checks pci_bind's
# report rather than the kernel.
[ $rc != 0 ] && [ -n "$PCI_ERROR" ]
tap_result $? "pci_bind explains a refusal" "$PCI_ERROR"
tap_diag "pci_bind: $PCI_ERROR"

tap_done
