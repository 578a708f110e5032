#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DPDK's multi-process model through VFIO no-IOMMU mode, guest side: a
# primary process that owns the NICs and a secondary process that gets
# their VFIO group fds from it, over DPDK's socket, and asks those groups
# for the devices itself.  Runs in the test VM with two e1000s on QEMU UDP
# socket netdevs, NIC A and NIC B, and tests/dpdk/iofwd-host.py on the
# host (run-vm.sh --host-cmd), with the suite line of tests/dpdk/suites.
#
# The programs are DPDK's client_server_mp example as Debian ships it in
# dpdk-doc, built unmodified by tests/dpdk/build.sh: mp_server, the
# primary, receives on both ports and hands every frame to mp_client, the
# secondary, which sends it out of the other port.  The secondary runs
# without CAP_SYS_RAWIO, as a helper process that a privileged primary
# trusts with its devices: it cannot open /dev/vfio/noiommu-N itself, so
# the group fds it holds are the primary's, and the device fds it gets
# from them show the rule of both containers: a device's first open needs
# CAP_SYS_RAWIO, more fds of an open device follow the group fd.  Its
# refused case comes first: a primary without CAP_SYS_RAWIO gets no
# device.
#
# Handshake through $VM_OUT/sync, that of tests/dpdk/guest-iofwd.sh:
#   guest: iofwd-forwarding  both processes are up and forwarding
#   host:  iofwd-done        $VM_OUT/iofwd-host.txt is written
#   guest: iofwd-abort       nothing to wait for
#
# On the base kernel (KERNEL_FLAVOUR=base) vfio-pci refuses the e1000s;
# that and the tests it prevents are reported as TAP TODO.
#
# Environment: IOFWD_MAC_A, IOFWD_MAC_B, IOFWD_FRAMES as for
# tests/dpdk/guest-iofwd.sh; DPDK_EXAMPLES: where build.sh put the
# examples (default build/dpdk-examples).

. "${VM_LIB:-$(dirname "$(realpath "$0")")/../../vm/guest-lib.sh}"
. "$(dirname "$(realpath "$0")")/lib-dpdk.sh"

E1000=8086:100e TAINT_USER=6 CAP_SYS_RAWIO=17
top=$(realpath "$(dirname "$(realpath "$0")")/../..")
mp=${DPDK_EXAMPLES:-$top/build/dpdk-examples}/multi_process/client_server_mp
server_bin=$mp/mp_server/build/mp_server client_bin=$mp/mp_client/build/mp_client
mac_a=${IOFWD_MAC_A:-52:54:00:d0:00:0a} mac_b=${IOFWD_MAC_B:-52:54:00:d0:00:0b}
frames=${IOFWD_FRAMES:-10000}
result=$VM_OUT/iofwd-host.txt
slog=$VM_OUT/mp-server.log clog=$VM_OUT/mp-client.log rlog=$VM_OUT/mp-server-norawio.log
t_host="host: $frames frames sent into NIC A come out of NIC B intact and in order"
# EAL: one file prefix shared by the two processes, PA as IOVA; the
# primary's second lcore only prints statistics, the secondary polls on it.
prefix=vfio-noiommu-mp
eal=(-n 1 --iova-mode=pa --file-prefix="$prefix")

flavour_init
[ -x "$server_bin" ] && [ -x "$client_bin" ] ||
	{ echo "Bail out! no DPDK client_server_mp in $mp (tests/dpdk/build.sh)"; vm_signal iofwd-abort; exit 2; }

# NIC A and B by MAC, while the kernel's e1000 driver still shows it.
dpdk_nics_by_mac $E1000 "$mac_a" "$mac_b" ||
	{ echo "Bail out! $NICS_WHY"; vm_signal iofwd-abort; exit 2; }
a=${NICS[0]} b=${NICS[1]}
tap_diag "flavour $KERNEL_FLAVOUR; NIC A $a ($mac_a), NIC B $b ($mac_b);" \
	"enable_unsafe_noiommu_mode: $(vfio_noiommu_param || echo absent); $(grep HugePages_Total /proc/meminfo)"

SERVER_PID= CLIENT_PID=
# The secondary has no SIGINT handler, and a background process of a
# script starts with SIGINT ignored: it gets SIGTERM.  The primary closes
# its ports on SIGINT.
stop_all() {
	if [ -n "$CLIENT_PID" ]; then
		kill -TERM "$CLIENT_PID" 2>/dev/null
		wait "$CLIENT_PID" 2>/dev/null
	fi
	[ -n "$SERVER_PID" ] && proc_stop "$SERVER_PID"
	CLIENT_PID= SERVER_PID=
	rm -f /dev/hugepages/"$prefix"*
}
later=("a primary without CAP_SYS_RAWIO is refused the no-IOMMU groups"
	"the primary (mp_server) starts on the no-IOMMU container (IOMMU type 8, IOVA PA)"
	"the secondary (mp_client) starts without CAP_SYS_RAWIO"
	"the secondary holds the primary's group fds and device fds of both NICs"
	"$t_host"
	"counters: primary RX on port 0 = secondary TX on port 1 = frames the host sent"
	"kernel tainted (TAINT_USER) by the no-IOMMU devices")
give_up() {
	tap_not_run "$2" "${later[@]:$1}"
	vm_signal iofwd-abort
	stop_all
	tap_done
}

# wait_log PID LOG ERE SECS: until LOG has a line matching ERE; fails if
# the process exits or SECS pass first.
wait_log() {
	local end=$((SECONDS + $4))
	until grep -aqE "$3" "$2" 2>/dev/null; do
		kill -0 "$1" 2>/dev/null || return 1
		[ $SECONDS -ge $end ] && return 1
		sleep 0.2
	done
}

# The process's capabilities in effect, as a hexadecimal mask.
cap_eff() { sed -n 's/^CapEff:[[:space:]]*//p' "/proc/$1/status"; }
has_cap() { (( (0x$(cap_eff "$1") >> $2) & 1 )); }

# Without CAP_SYS_RAWIO, in the bounding set too, so that exec keeps it out.
norawio=(setpriv --inh-caps=-sys_rawio --bounding-set=-sys_rawio --)

# ---- 1. bind ------------------------------------------------------------
dpdk_bind "$a" "$b"
rc=$?
tap_feature $rc $((1 - rc)) "dpdk-devbind.py binds both e1000s to vfio-pci" "$BIND_WHY"
[ $rc = 0 ] || give_up 0 "the e1000s are not bound to vfio-pci"
na=$(vfio_group_node "$a") nb=$(vfio_group_node "$b")
tap_diag "groups: A $na, B $nb"

# ---- 2. refused: a primary without CAP_SYS_RAWIO --------------------------
timeout 120 "${norawio[@]}" stdbuf -oL -eL "$server_bin" -l 0-1 "${eal[@]}" -a "$a" -a "$b" \
	-- -p 3 -n 1 </dev/null >"$rlog" 2>&1
rc=$?
rm -f /dev/hugepages/"$prefix"*
# It must fail for want of the groups (EPERM opening each), nothing else.
refused=$(grep -acE "Cannot open /dev/vfio/noiommu-[0-9]+: Operation not permitted" "$rlog")
[ $rc != 0 ] && [ $rc != 124 ] && [ "$refused" = 2 ]
tap_feature $? 1 "a primary without CAP_SYS_RAWIO is refused the no-IOMMU groups" \
	"exit $rc; $(grep -aiE 'vfio|noiommu|permitted|error|cannot|bye' "$rlog" | tail -n 4 | tr '\n' ' ')"
tap_diag "without CAP_SYS_RAWIO: exit $rc;" "$(grep -aE 'noiommu|VFIO group' "$rlog")"

# ---- 3. the primary -------------------------------------------------------
stdbuf -oL -eL "$server_bin" -l 0-1 "${eal[@]}" -a "$a" -a "$b" \
	-- -p 3 -n 1 </dev/null >"$slog" 2>&1 &
SERVER_PID=$!
if wait_log "$SERVER_PID" "$slog" 'Finished Process Init' 120; then
	grep -aq "Using IOMMU type 8 (No-IOMMU)" "$slog" && grep -aq "Selected IOVA mode 'PA'" "$slog"
	tap_feature $? 1 "the primary (mp_server) starts on the no-IOMMU container (IOMMU type 8, IOVA PA)" \
		"$(grep -aE 'IOMMU type|IOVA mode' "$slog" | tr '\n' ' ')"
else
	tap_feature 1 1 "the primary (mp_server) starts on the no-IOMMU container (IOMMU type 8, IOVA PA)" \
		"$(grep -aiE 'error|fail|cannot|EAL' "$slog" | tail -n 8 | tr '\n' ' ')"
	give_up 2 "the primary did not start"
fi

# ---- 4. the secondary, without CAP_SYS_RAWIO --------------------------------
"${norawio[@]}" stdbuf -oL -eL "$client_bin" -l 1 "${eal[@]}" --proc-type=secondary \
	-a "$a" -a "$b" -- -n 0 </dev/null >"$clog" 2>&1 &
CLIENT_PID=$!
if wait_log "$CLIENT_PID" "$clog" 'Finished Process Init' 120; then
	! has_cap "$CLIENT_PID" $CAP_SYS_RAWIO
	tap_feature $? 1 "the secondary (mp_client) starts without CAP_SYS_RAWIO" \
		"CapEff $(cap_eff "$CLIENT_PID"); $(grep -aE 'secondary|IOMMU|Probe' "$clog" | head -n 4 | tr '\n' ' ')"
else
	tap_feature 1 1 "the secondary (mp_client) starts without CAP_SYS_RAWIO" \
		"$(grep -aiE 'error|fail|cannot|EAL|vfio' "$clog" | tail -n 8 | tr '\n' ' ')"
	give_up 3 "the secondary did not start"
fi

# Its fds: the two group nodes (it could not have opened them itself) and
# a device fd of each NIC.
fds=$(ls -l "/proc/$CLIENT_PID/fd" 2>/dev/null)
ndev=$(grep -c 'anon_inode:\[vfio-device\]' <<< "$fds")
grep -q -- "-> $na\$" <<< "$fds" && grep -q -- "-> $nb\$" <<< "$fds" && [ "$ndev" -ge 2 ]
tap_feature $? 1 "the secondary holds the primary's group fds and device fds of both NICs" \
	"$ndev vfio-device fds; group fds: $(grep -o -- '-> /dev/vfio/.*' <<< "$fds" | tr '\n' ' ')"

# ---- 5. traffic, sent and checked by the host --------------------------------
vm_signal iofwd-forwarding
if vm_wait iofwd-done 300; then
	verdict=$(host_result "$result" verdict) why=$(host_result "$result" summary)
else
	verdict=none why="no verdict from tests/dpdk/iofwd-host.py (see host-cmd.log)"
fi
[ "$verdict" = ok ]
tap_feature $? 1 "$t_host" "$why"
[ -r "$result" ] && sed 's/^/# host: /' "$result"

# The primary prints its statistics every second; the last ones count.
sleep 2
last() { grep -aoE "$1" "$slog" | tail -n 1; }
rx0=$(last 'Port 0 - rx: *[0-9]+' | grep -oE '[0-9]+$')
tx1=$(last 'Port 1 - rx: *[0-9]+[[:space:]]+tx: *[0-9]+' | grep -oE '[0-9]+$')
ctx=$(last 'tx: *[0-9]+, tx_drop' | grep -oE '[0-9]+' | head -n 1)
into_a=$(host_result "$result" into_a)
[ -n "$rx0" ] && [ "$rx0" = "$into_a" ] && [ "$tx1" = "$into_a" ]
tap_feature $? 1 "counters: primary RX on port 0 = secondary TX on port 1 = frames the host sent" \
	"port 0 RX ${rx0:-?}, port 1 TX ${tx1:-?} (client 0 TX ${ctx:-?}); host sent ${into_a:-?} into A"
stop_all

kernel_tainted $TAINT_USER
rc=$?
tap_feature $rc $((1 - rc)) "kernel tainted (TAINT_USER) by the no-IOMMU devices" \
	"tainted $(cat /proc/sys/kernel/tainted)"
tap_done
