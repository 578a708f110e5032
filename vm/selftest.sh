#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Check the test VM harness itself: devices, host links, hotplug, and that
# each kind of ending gets its exit code.
#
#   vm/selftest.sh [IMAGE]    (default: build/out/upstream/.../bzImage)
#
# About ten VM boots; results in build/vm-selftest/.  ONLY=GLOB runs only
# the checks whose names match.

set -u
here=$(dirname "$(realpath "$0")")
top=$(dirname "$here")
. "$top/scripts/lib.sh"
img=${1:-$top/build/out/upstream/arch/x86/boot/bzImage}
out=$top/build/vm-selftest
[ -f "$img" ] || die "no kernel image $img"
mkdir -p "$out"
sock=$(mktemp -d /tmp/vm-selftest.XXXXXX)
trap 'rm -rf "$sock"' EXIT

failed=0
# expect CODE NAME RUN-VM-ARGS...: run a VM, compare its exit code.
expect() {
	local want=$1 name=$2 rc
	shift 2
	# shellcheck disable=SC2053
	[[ $name == ${ONLY:-*} ]] || return 0
	"$here/run-vm.sh" -k "$img" -o "$out/$name" -n "$name" "$@" > "$out/$name.log" 2>&1
	rc=$?
	if [ $rc = "$want" ]; then
		ok "$name: exit $rc"
	else
		step "$name: FAILED, exit $rc, expected $want (see $out/$name.log)"
		tail -n 30 "$out/$name.log"
		failed=$((failed + 1))
	fi
}

scn=$out/scenarios
mkdir -p "$scn"
mk() { printf '#!/bin/bash\n%s\n' "$2" > "$scn/$1"; chmod +x "$scn/$1"; }
mk pass.sh 'echo "WARNING: CPU: 0 PID: 1 at userspace text"; echo "BUG: not a kernel line"; echo "Call Trace:"; exit 0'
mk fail.sh 'exit 7'
mk hang.sh 'sleep 600'
mk backtrace.sh 'echo l > /proc/sysrq-trigger; sleep 1'
mk panic.sh 'echo c > /proc/sysrq-trigger; sleep 5'
mk noexec.sh 'echo never runs'
chmod -x "$scn/noexec.sh"

# Host side of the device test: a frame each way, then hotplug.
qp=$((20000 + RANDOM % 20000)) pp=$((qp + 1))
cat > "$scn/host.sh" <<EOF
set -e
. "$here/guest-lib.sh"
python3 - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", $pp))
s.settimeout(120)
while True:
    frame, _ = s.recvfrom(2048)
    if b"guest-to-host" in frame:
        break
reply = frame[6:12] + b"\\x02\\x00\\x00\\x00\\x00\\x01" + frame[12:14] + b"host-to-guest".ljust(46)
s.sendto(reply, ("127.0.0.1", $qp))
PY
vm_wait hotplug-ready 120
"$here/qmp.py" "\$VM_QMP" device_del '{"id": "edu1"}' --event DEVICE_DELETED --wait 60
vm_signal host-deleted
vm_wait guest-saw-removal 60
"$here/qmp.py" "\$VM_QMP" device_add '{"driver": "edu", "id": "edu1", "bus": "rp1", "dma_mask": 18446744073709551615}'
vm_signal host-added
EOF

expect 0 devices --nic "e1000,net=udp:$qp:$pp,dump=$out/devices.pcap" \
	--nic virtio --edu --edu=bus=rp1 --root-ports 2 --hugepages 64 \
	--qmp "$sock/qmp" --host-cmd "bash $scn/host.sh" -t 240 \
	-- "$here/selftest-guest.sh"
if [[ devices != ${ONLY:-*} ]]; then
	:
elif [ -s "$out/devices.pcap" ] && tshark -r "$out/devices.pcap" 2>/dev/null |
		grep -q 0x88b5; then
	ok "devices: pcap holds the frames"
else
	step "devices: FAILED, no frames in $out/devices.pcap"
	failed=$((failed + 1))
fi
expect 0 userspace-lines-not-splats -- "$scn/pass.sh"
expect 0 not-executable -- "$scn/noexec.sh"
expect 1 scenario-fails -- "$scn/fail.sh"
expect 3 timeout -t 20 -- "$scn/hang.sh"
expect 4 splat-backtrace -- "$scn/backtrace.sh"
expect 0 splat-ignored --ignore 'Call Trace:' -- "$scn/backtrace.sh"
expect 4 splat-panic -- "$scn/panic.sh"
expect 4 init-missing --append init=/nonexistent -t 60 -- "$scn/pass.sh"
expect 5 boot-failure -k /etc/hostname -- "$scn/pass.sh"
expect 2 usage -- /tmp/nonexistent-scenario

[ $failed = 0 ] || die "$failed harness checks failed"
ok "harness self-test passed"
