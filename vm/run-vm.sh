#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a test kernel in QEMU and run one scenario script inside it.
#
# The guest has no disk: its root filesystem is the host's, shared read-only
# over virtio-9p, and its init is vm/guest-init.sh, which mounts what a test
# needs, runs the scenario and powers the VM off.  The machine is a q35 PC
# without any virtual IOMMU, so PCI devices have no IOMMU group unless VFIO's
# no-IOMMU mode makes one.  See usage() for the options and exit codes.

set -u

here=$(dirname "$(realpath "$0")")
top=$(dirname "$here")
. "$top/scripts/lib.sh"

# Exit codes, also written as a word to OUT/status.
E_PASS=0 E_FAIL=1 E_USAGE=2 E_TIMEOUT=3 E_SPLAT=4 E_BOOT=5
VIRTIOFSD=${VIRTIOFSD:-/usr/lib/qemu/virtiofsd}

usage() {
	cat <<EOF
usage: $0 [OPTIONS] -k IMAGE -o DIR [--] SCENARIO [ARG...]

Boot IMAGE under QEMU (q35, no IOMMU unless --viommu, TCG) with the host's root filesystem
read-only, run SCENARIO with ARGs as root inside the guest and power off.
SCENARIO is a host path; the guest sees the host's files at the same paths,
except under /tmp, /run, /var/tmp, /dev, /proc and /sys.

  -k, --kernel IMAGE     bzImage to boot (required; the last one given counts)
      --initrd FILE      initramfs for IMAGE, for a kernel that needs modules
                         to mount the root (Debian's own: tests/debian)
      --root-fs KIND     how the guest gets the host's root and DIR: 9p (the
                         default) or virtiofs (QEMU's virtiofsd; for kernels
                         without 9p, which then need an --initrd that mounts
                         both, as tests/debian's does)
      --modules DIR      the kernel's modules, installed with
                         INSTALL_MOD_PATH=DIR: the guest's modprobe and
                         modinfo (the host's kmod, with the host's
                         /etc/modprobe.d, made writable) use
                         DIR/lib/modules, as on a real system
  -o, --out DIR          output directory, shared writable with the guest at
                         the same path (required; earlier results are removed)
  -t, --timeout SECS     hard limit for the whole run (default 300; 0: none)
  -a, --append ARGS      extra kernel command line, e.g.
                         vfio.enable_unsafe_noiommu_mode=1 (repeatable)
  -e, --env NAME=VALUE   environment for the scenario (repeatable)
  -n, --name LABEL       label for progress lines (default: DIR's name)
  -m, --mem SIZE         guest memory (default 2G)
      --smp N            guest CPUs (default 2)
      --hugepages N      reserve N 2 MiB hugepages before the scenario
      --nic SPEC         add a NIC (repeatable); SPEC is MODEL[,KEY=VALUE...]
                         MODEL: e1000, e1000e, vmxnet3 or virtio
                         (virtio-net-pci, transitional unless told
                         disable-legacy=on or disable-modern=on)
                         net=user          QEMU user networking (default)
                         net=udp:QPORT:PPORT  QEMU takes frames for the guest
                                  on 127.0.0.1:QPORT and sends the guest's
                                  frames to 127.0.0.1:PPORT, one frame per
                                  UDP datagram
                         net=none          no backend (link without a peer)
                         dump=FILE         pcap of the NIC's traffic, both
                                           directions (QEMU filter-dump)
                         id=ID bus=BUS addr=SLOT mac=MAC  passed to -device
                         disable-legacy=on|off disable-modern=on|off
                         event_idx=on|off  virtio's, passed to -device
      --edu[=SPEC]       add a QEMU edu device, 1234:11e8 (repeatable);
                         SPEC: id=ID,bus=BUS,addr=SLOT
      --root-ports N     add N PCIe root ports rp0..rpN-1 with hotplug slots;
                         put devices behind one with bus=rpK
      --hotplug KIND     how the root ports' slots are hot-plugged: native
                         (PCIe hotplug, the guest's pciehp; the default) or
                         acpi (QEMU's ACPI hotplug, the guest's acpiphp)
      --viommu intel     an emulated VT-d (QEMU's intel-iommu, without
                         interrupt remapping): the guest's devices DMA
                         through it once the guest turns it on
                         (intel_iommu=on); virtio devices bypass it
      --qmp SOCKET       QMP server on a unix socket (see vm/qmp.py)
      --hmp SOCKET       human monitor on a unix socket
      --host-cmd CMD     run bash -c CMD on the host once QEMU runs, with
                         VM_OUT, VM_QMP, VM_HMP and VM_QEMU_PID set; output
                         in DIR/host-cmd.log; stopped 3 s after the VM ends;
                         a non-zero exit of its own fails the run
      --qemu-arg ARG     extra QEMU argument (repeatable, one word each)
      --ignore REGEX     kernel lines matching REGEX are not splats
      --kvm              use KVM (default: TCG; VM_KVM=1 does the same)
      --shell            interactive: console on this terminal, a shell in
                         the guest after the scenario (SCENARIO optional)
  -v, --verbose          copy the guest console to stdout as it comes
  -h, --help             this text

Exit status (and the word in DIR/status):
  0 pass          the scenario exited 0, no splat
  1 fail          the scenario exited non-zero (or --host-cmd failed)
  2 usage         bad arguments or QEMU could not start
  3 timeout       the run hit --timeout and was killed
  4 splat         the kernel printed a splat (vm/splat-patterns), DIR/splats
  5 boot-failure  the guest ended without a scenario result

Files in DIR: console.log (serial console), scenario.log (scenario's
stdout+stderr), exit-code, dmesg.txt, tainted, boot-time, status, splats,
qemu.log, qemu.cmd, guest.env (and virtiofsd.log with --root-fs virtiofs).
EOF
}

fatal() { printf 'run-vm: %s\n' "$*" >&2; exit $E_USAGE; }

kernel= initrd= modules= rootfs=9p out= timeout=300 name= mem=2G smp=2 hugepages=0
root_ports=0 hotplug=native viommu= qmp= hmp= host_cmd= shell=0 verbose=0
kvm=${VM_KVM:-0}
append=() envs=() nics=() edus=() qemu_extra=() ignores=()

# Options take "--opt VALUE" or "--opt=VALUE".  need "$@": take the value.
need() {
	if [ $has_val = 0 ]; then
		[ $# -ge 2 ] || fatal "$opt needs a value"
		val=$2 shift_by=2
	fi
}
while [ $# -gt 0 ]; do
	opt=$1 val= has_val=0 shift_by=1
	case "$opt" in
	--*=*) val=${opt#*=}; opt=${opt%%=*}; has_val=1 ;;
	esac
	case "$opt" in
	-k|--kernel)	need "$@"; kernel=$val ;;
	--initrd)	need "$@"; initrd=$val ;;
	--modules)	need "$@"; modules=$val ;;
	--root-fs)	need "$@"; rootfs=$val ;;
	-o|--out)	need "$@"; out=$val ;;
	-t|--timeout)	need "$@"; timeout=$val ;;
	-a|--append)	need "$@"; append+=("$val") ;;
	-e|--env)	need "$@"; envs+=("$val") ;;
	-n|--name)	need "$@"; name=$val ;;
	-m|--mem)	need "$@"; mem=$val ;;
	--smp)		need "$@"; smp=$val ;;
	--hugepages)	need "$@"; hugepages=$val ;;
	--nic)		need "$@"; nics+=("$val") ;;
	--edu)		edus+=("$val") ;;
	--root-ports)	need "$@"; root_ports=$val ;;
	--hotplug)	need "$@"; hotplug=$val ;;
	--viommu)	need "$@"; viommu=$val ;;
	--qmp)		need "$@"; qmp=$val ;;
	--hmp)		need "$@"; hmp=$val ;;
	--host-cmd)	need "$@"; host_cmd=$val ;;
	--qemu-arg)	need "$@"; qemu_extra+=("$val") ;;
	--ignore)	need "$@"; ignores+=("$val") ;;
	--kvm)		kvm=1 ;;
	--shell)	shell=1 ;;
	-v|--verbose)	verbose=1 ;;
	-h|--help)	usage; exit 0 ;;
	--)		shift; break ;;
	-*)		usage >&2; fatal "unknown option $opt" ;;
	*)		break ;;
	esac
	shift $shift_by
done

scenario=${1:-}
[ $# -gt 0 ] && shift
scenario_args=("$@")

[ -n "$kernel" ] || { usage >&2; fatal "no kernel image (-k)"; }
[ -n "$out" ] || { usage >&2; fatal "no output directory (-o)"; }
[ -f "$kernel" ] || fatal "kernel image $kernel does not exist"
[ -z "$initrd" ] || [ -f "$initrd" ] || fatal "initramfs $initrd does not exist"
if [ -n "$modules" ]; then
	modules=$(realpath "$modules")
	ls "$modules"/lib/modules/*/modules.dep >/dev/null 2>&1 ||
		fatal "no $modules/lib/modules/*/modules.dep (--modules)"
fi
case "$rootfs" in
9p) ;;
virtiofs) [ -n "$initrd" ] || fatal "--root-fs virtiofs needs an --initrd that mounts it"
	[ -x "$VIRTIOFSD" ] || fatal "$VIRTIOFSD not found" ;;
*) fatal "--root-fs takes 9p or virtiofs" ;;
esac
case "$viommu" in ''|intel) ;; *) fatal "--viommu takes intel" ;; esac
[ -n "$scenario" ] || [ $shell = 1 ] || { usage >&2; fatal "no scenario"; }
case "$timeout$smp$hugepages$root_ports" in
*[!0-9]*) fatal "--timeout, --smp, --hugepages and --root-ports take numbers" ;;
esac
case "$hotplug" in
native|acpi) ;;
*) fatal "--hotplug takes native or acpi" ;;
esac
command -v qemu-system-x86_64 >/dev/null || fatal "qemu-system-x86_64 not found"

# A path the guest sees as the host does: not on one of its own mounts,
# unless it is in the project, which the guest binds back (guest-init.sh).
guest_visible() {
	case "$1" in
	"$(dirname "$here")"/*) return 0 ;;
	esac
	case "$1" in
	/tmp|/tmp/*|/run|/run/*|/var/tmp|/var/tmp/*|/var/run|/var/run/*|\
	/dev|/dev/*|/proc|/proc/*|/sys|/sys/*) return 1 ;;
	esac
	return 0
}

kernel=$(realpath "$kernel")
mkdir -p "$out" || fatal "cannot create $out"
out=$(realpath "$out")
case "$out" in
*[[:space:]]*) fatal "output directory path must not contain spaces: $out" ;;
esac
name=${name:-$(basename "$out")}
if [ -n "$scenario" ]; then
	[ -f "$scenario" ] || fatal "scenario $scenario does not exist"
	scenario=$(realpath "$scenario")
	guest_visible "$scenario" ||
		fatal "scenario $scenario is on a path the guest mounts over"
fi
guest_visible "$here/guest-init.sh" ||
	fatal "the harness itself must not live under /tmp, /run, ..."
for e in "${envs[@]}"; do
	case "$e" in
	[A-Za-z_]*=*) n=${e%%=*}
		case "$n" in *[!A-Za-z0-9_]*) fatal "bad --env $e" ;; esac ;;
	*) fatal "--env wants NAME=VALUE, got: $e" ;;
	esac
done

# Fresh results; keep anything else the caller put in DIR.
rm -rf "$out/sync"
rm -f "$out"/{console.log,scenario.log,exit-code,dmesg.txt,tainted} \
      "$out"/{boot-time,status,splats,qemu.log,qemu.cmd,guest.env} \
      "$out"/host-cmd.{log,exit-code} "$out"/virtiofsd.log

# --- What the guest runs: OUT/guest.env, sourced by guest-init.sh --------
{
	echo "# Written by run-vm.sh for vm/guest-init.sh."
	printf 'VM_SCENARIO=%q\n' "$scenario"
	printf 'VM_ARGS=('
	[ ${#scenario_args[@]} -gt 0 ] && printf ' %q' "${scenario_args[@]}"
	echo ' )'
	printf 'VM_CWD=%q\n' "$PWD"
	printf 'VM_HUGEPAGES=%q\n' "$hugepages"
	printf 'export VM_MODULES=%q\n' "$modules"
	printf 'VM_SHELL=%q\n' "$shell"
	printf 'export VM_NAME=%q\n' "$name"
	printf 'export VM_OUT=%q\n' "$out"
	printf 'export VM_TOP=%q\n' "$top"
	printf 'export VM_LIB=%q\n' "$here/guest-lib.sh"
	for e in "${envs[@]}"; do
		printf 'export %s=%q\n' "${e%%=*}" "${e#*=}"
	done
} > "$out/guest.env"

# --- QEMU command line -----------------------------------------------------
# 9p caches: the root is read-only and never changes under the guest during
# a run, so "loose" caching is safe and makes exec/mmap of host binaries
# fast; the output share is uncached so both sides see each write at once.
rootflags=trans=virtio,version=9p2000.L,msize=512000,cache=${VM_ROOT_CACHE:-loose}
if [ "$rootfs" = virtiofs ]; then
	cmdline="console=ttyS0 root=vmroot rootfstype=virtiofs ro"
else
	cmdline="console=ttyS0 root=vmroot rootfstype=9p rootflags=$rootflags ro"
fi
cmdline+=" panic=-1 oops=panic init=$here/guest-init.sh"
cmdline+=" ${append[*]} -- $out"

qemu=(qemu-system-x86_64 -machine q35 -smp "$smp" -m "$mem"
	-nodefaults -no-user-config -nographic -no-reboot
	-kernel "$kernel" -append "$cmdline")
[ -n "$initrd" ] && qemu+=(-initrd "$(realpath "$initrd")")
if [ "$rootfs" = virtiofs ]; then
	# virtiofsd serves / (cached) and DIR (uncached) over vhost-user,
	# which needs the guest's memory shared with it.
	vfs_dir=$(mktemp -d /tmp/run-vm-virtiofs.XXXXXX)
	qemu+=(-object "memory-backend-memfd,id=mem,size=$mem,share=on"
		-numa node,memdev=mem
		-chardev "socket,id=vfsroot,path=$vfs_dir/root.sock"
		-device vhost-user-fs-pci,chardev=vfsroot,tag=vmroot
		-chardev "socket,id=vfsout,path=$vfs_dir/out.sock"
		-device vhost-user-fs-pci,chardev=vfsout,tag=vmout)
else
	qemu+=(-fsdev local,id=fsroot,path=/,readonly=on,security_model=none,multidevs=remap
		-device virtio-9p-pci,fsdev=fsroot,mount_tag=vmroot
		-fsdev "local,id=fsout,path=$out,security_model=none"
		-device virtio-9p-pci,fsdev=fsout,mount_tag=vmout)
fi
if [ "$kvm" = 1 ]; then
	qemu+=(-accel kvm -cpu host)
else
	qemu+=(-accel tcg,thread=multi -cpu max)
fi

# The IOMMU comes before the devices it translates for.  Interrupt
# remapping would need a split irqchip; nothing here needs it.
[ "$viommu" = intel ] && qemu+=(-device intel-iommu,intremap=off)

# q35 hands the root ports' hotplug to ACPI by default (the guest's _OSC
# then gets no native control, and acpiphp drives the slots); --hotplug
# native turns that off, so that the slots are pciehp's.
[ "$root_ports" -gt 0 ] && [ "$hotplug" = native ] &&
	qemu+=(-global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off)
for ((i = 0; i < root_ports; i++)); do
	qemu+=(-device "pcie-root-port,id=rp$i,bus=pcie.0,chassis=$((i + 1)),slot=$((i + 1))")
done

nic_n=0
for spec in "${nics[@]}"; do
	model=${spec%%,*} rest=
	[ "$model" = "$spec" ] || rest=${spec#*,}
	case "$model" in
	e1000) dev=e1000 ;;
	e1000e|vmxnet3) dev=$model ;;
	virtio|virtio-net) dev=virtio-net-pci ;;
	*) fatal "--nic: unknown model $model (e1000, e1000e, vmxnet3, virtio)" ;;
	esac
	net=user dump= devopts= id=nic$nic_n
	IFS=, read -ra kvs <<< "$rest"
	for kv in "${kvs[@]}"; do
		case "$kv" in
		net=*) net=${kv#net=} ;;
		dump=*) dump=${kv#dump=} ;;
		id=*) id=${kv#id=} ;;
		bus=*|addr=*|mac=*) devopts+=",$kv" ;;
		disable-legacy=*|disable-modern=*|event_idx=*)
			[ "$dev" = virtio-net-pci ] || fatal "--nic: $kv is for virtio only"
			devopts+=",$kv" ;;
		*) fatal "--nic: unknown key in $kv" ;;
		esac
	done
	case "$net" in
	user) qemu+=(-netdev "user,id=$id-net") ;;
	udp:*:*) q=${net#udp:}; p=${q#*:}; q=${q%%:*}
		qemu+=(-netdev "socket,id=$id-net,udp=127.0.0.1:$p,localaddr=127.0.0.1:$q") ;;
	none) qemu+=(-netdev "hubport,id=$id-net,hubid=$nic_n") ;;
	*) fatal "--nic: net=$net: want user, udp:QPORT:PPORT or none" ;;
	esac
	if [ -n "$dump" ]; then
		case "$dump" in /*) ;; *) dump=$PWD/$dump ;; esac
		qemu+=(-object "filter-dump,id=$id-dump,netdev=$id-net,file=$dump")
	fi
	qemu+=(-device "$dev,id=$id,netdev=$id-net$devopts")
	nic_n=$((nic_n + 1))
done

edu_n=0
for spec in "${edus[@]}"; do
	# dma_mask: QEMU's default 28-bit mask makes the device refuse most
	# guest addresses; a full mask lets DMA reach any RAM.
	opts=id=edu$edu_n
	[ -n "$spec" ] && opts=$opts,$spec
	qemu+=(-device "edu,dma_mask=0xffffffffffffffff,$opts")
	edu_n=$((edu_n + 1))
done

[ -n "$qmp" ] && qemu+=(-qmp "unix:$qmp,server=on,wait=off")
if [ $shell = 1 ]; then
	# Console and monitor share the terminal (Ctrl-A C switches, Ctrl-A X
	# quits); the console is logged all the same.
	qemu+=(-chardev "stdio,id=con0,mux=on,signal=off,logfile=$out/console.log"
		-serial chardev:con0)
	if [ -n "$hmp" ]; then
		qemu+=(-monitor "unix:$hmp,server=on,wait=off")
	else
		qemu+=(-mon chardev=con0,mode=readline)
	fi
	[ "$timeout" = 300 ] && timeout=0
else
	qemu+=(-chardev "file,id=con0,path=$out/console.log" -serial chardev:con0)
	if [ -n "$hmp" ]; then
		qemu+=(-monitor "unix:$hmp,server=on,wait=off")
	else
		qemu+=(-monitor none)
	fi
fi
qemu+=("${qemu_extra[@]}")
printf '%q ' "${qemu[@]}" > "$out/qemu.cmd"; echo >> "$out/qemu.cmd"

# --- Splat scan ------------------------------------------------------------
# Print the kernel lines of FILEs that match vm/splat-patterns.
scan_splats() {
	local pats ign
	pats=$(grep -v -e '^#' -e '^[[:space:]]*$' "$here/splat-patterns")
	ign=$(printf '%s\n' "${ignores[@]}")
	cat "$@" 2>/dev/null | tr -d '\r' |
		grep -oE '\[ *[0-9]+\.[0-9]{6}\] .*' |
		sed -E 's/^\[ *[0-9]+\.[0-9]+\] //' |
		grep -E -e "$pats" |
		{ if [ -n "$ign" ]; then grep -vE -e "$ign"; else cat; fi; } |
		awk '!seen[$0]++'
}

# --- Run -------------------------------------------------------------------
qpid= hpid= tpid= vfs_pids=()
cleanup() {
	[ ${#vfs_pids[@]} -gt 0 ] && kill "${vfs_pids[@]}" 2>/dev/null
	[ -n "$hpid" ] && kill -TERM -- -"$hpid" 2>/dev/null
	[ -n "$tpid" ] && kill "$tpid" 2>/dev/null
	[ -n "$qpid" ] && kill -TERM "$qpid" 2>/dev/null
}
trap 'cleanup; exit 130' INT TERM HUP

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
secs() { printf '%d.%d' $(( $1 / 1000 )) $(( $1 % 1000 / 100 )); }

accel=TCG; [ "$kvm" = 1 ] && accel=KVM
step "$name: booting ${kernel#"$top"/} ($accel, timeout ${timeout}s)"
t0=$(now_ms)

# virtiofsd_start TAG DIR CACHE: serve DIR on $vfs_dir/TAG.sock.
virtiofsd_start() {
	"$VIRTIOFSD" --socket-path="$vfs_dir/$1.sock" -o source="$2" \
		-o cache="$3" -o sandbox=chroot </dev/null >>"$out/virtiofsd.log" 2>&1 &
	vfs_pids+=($!)
}
if [ "$rootfs" = virtiofs ]; then
	: > "$out/virtiofsd.log"
	virtiofsd_start root / always
	virtiofsd_start out "$out" none
	for _ in $(seq 50); do
		[ -S "$vfs_dir/root.sock" ] && [ -S "$vfs_dir/out.sock" ] && break
		sleep 0.1
	done
fi

if [ $shell = 1 ]; then
	"${qemu[@]}" 2>"$out/qemu.log"
	qrc=$?
else
	"${qemu[@]}" </dev/null >>"$out/qemu.log" 2>&1 &
	qpid=$!
	[ $verbose = 1 ] && { tail -n +1 -F --pid="$qpid" "$out/console.log" 2>/dev/null & tpid=$!; }

	if [ -n "$host_cmd" ]; then
		VM_OUT=$out VM_QMP=$qmp VM_HMP=$hmp VM_QEMU_PID=$qpid \
			setsid bash -c "$host_cmd; echo \$? > '$out/host-cmd.exit-code'" \
			</dev/null >"$out/host-cmd.log" 2>&1 &
		hpid=$!
	fi

	stage=booting timed_out=0 next_report=10000 boot_ms=
	while kill -0 "$qpid" 2>/dev/null; do
		el=$(( $(now_ms) - t0 ))
		if [ -z "$boot_ms" ] && grep -q '^vm-init: up' "$out/console.log" 2>/dev/null; then
			boot_ms=$el
			guest_up=$(grep -m1 '^vm-init: up' "$out/console.log" | tr -d '\r' | awk '{print $3}')
			echo "host ${boot_ms} ms, guest uptime ${guest_up} s at init" > "$out/boot-time"
			step "$name: userspace up after $(secs "$boot_ms") s (guest uptime ${guest_up} s)"
		fi
		new=$stage
		if grep -q '^vm-init: scenario exit' "$out/console.log" 2>/dev/null; then
			new="scenario finished, powering off"
		elif grep -q '^vm-init: scenario start' "$out/console.log" 2>/dev/null; then
			new="scenario running"
		elif [ -n "$boot_ms" ]; then
			new="guest init preparing"
		fi
		if [ "$new" != "$stage" ]; then
			stage=$new
			[ "$stage" = "guest init preparing" ] || step "$name: $stage"
		fi
		if [ "$el" -ge "$next_report" ]; then
			last=$({ tr -d '\r' < "$out/scenario.log"; } 2>/dev/null |
				grep -v '^[[:space:]]*$' | tail -n1 | cut -c1-70)
			step "$name: $stage, $(secs "$el") s elapsed${last:+ (last: $last)}"
			next_report=$(( next_report + 15000 ))
		fi
		if [ "$timeout" -gt 0 ] && [ "$el" -ge $(( timeout * 1000 )) ]; then
			step "$name: timeout after ${timeout}s, stopping QEMU"
			timed_out=1
			kill -TERM "$qpid" 2>/dev/null
			for _ in 1 2 3 4 5 6 7 8 9 10; do
				kill -0 "$qpid" 2>/dev/null || break
				sleep 0.5
			done
			kill -KILL "$qpid" 2>/dev/null
			break
		fi
		if [ -z "$boot_ms" ]; then sleep 0.1; else sleep 0.5; fi
	done
	wait "$qpid"
	qrc=$?
	qpid=
fi
elapsed=$(( $(now_ms) - t0 ))
if [ ${#vfs_pids[@]} -gt 0 ]; then
	kill "${vfs_pids[@]}" 2>/dev/null
	wait "${vfs_pids[@]}" 2>/dev/null
	vfs_pids=()
	rm -rf "$vfs_dir"
fi

# The host command gets a short grace period after QEMU's end, e.g. to
# read a pcap file that QEMU completes when it exits.
host_rc=
if [ -n "$hpid" ]; then
	for _ in $(seq 30); do
		[ -f "$out/host-cmd.exit-code" ] && break
		sleep 0.1
	done
	if [ -f "$out/host-cmd.exit-code" ]; then
		host_rc=$(cat "$out/host-cmd.exit-code")
	else
		step "$name: stopping the host command"
		kill -TERM -- -"$hpid" 2>/dev/null
	fi
	wait "$hpid" 2>/dev/null
	hpid=
fi
[ -n "$tpid" ] && { sleep 0.3; kill "$tpid" 2>/dev/null; wait "$tpid" 2>/dev/null; tpid=; }

# --- Verdict ---------------------------------------------------------------
scan_splats "$out/console.log" "$out/dmesg.txt" > "$out/splats"
rc_file=$(cat "$out/exit-code" 2>/dev/null)

if [ -s "$out/splats" ]; then
	status=splat code=$E_SPLAT why="kernel splat: $(head -n1 "$out/splats")"
elif [ "${timed_out:-0}" = 1 ]; then
	status=timeout code=$E_TIMEOUT why="no result within ${timeout}s"
elif ! grep -q '^vm-init: up' "$out/console.log" 2>/dev/null && [ $shell = 0 ]; then
	status=boot-failure code=$E_BOOT why="guest never reached init (QEMU exit $qrc)"
	grep -q . "$out/qemu.log" 2>/dev/null && why+=", see qemu.log"
elif [ -z "$rc_file" ] && [ -n "$scenario" ]; then
	status=boot-failure code=$E_BOOT why="guest stopped without a scenario result"
elif [ -n "$rc_file" ] && [ "$rc_file" != 0 ]; then
	status=fail code=$E_FAIL why="scenario exit code $rc_file"
elif [ -n "$host_rc" ] && [ "$host_rc" != 0 ]; then
	status=fail code=$E_FAIL why="host command exit code $host_rc"
else
	status=pass code=$E_PASS why="scenario exit code ${rc_file:-none}"
fi
echo "$status" > "$out/status"

if [ $code != 0 ] && [ $verbose = 0 ] && [ $shell = 0 ]; then
	echo "---- last console lines ($out/console.log) ----"
	tail -n 25 "$out/console.log" 2>/dev/null | tr -d '\r'
	echo "----"
	if [ -s "$out/splats" ]; then
		echo "splats:"; sed 's/^/  /' "$out/splats"
		# The first report itself, which the tail above rarely holds.
		first=$(head -n1 "$out/splats")
		echo "---- the first splat ($out/console.log) ----"
		tr -d '\r' < "$out/console.log" | grep -n -F -e "$first" | head -n1 |
			cut -d: -f1 | { read -r l && tr -d '\r' < "$out/console.log" |
				sed -n "$((l > 5 ? l - 5 : 1)),$((l + 45))p"; }
		echo "----"
	fi
fi
step "$name: $status ($why; $(secs "$elapsed") s)"
exit $code
