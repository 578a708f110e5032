#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Host side of the DPDK NIC matrix (guest side: guest-nics.sh).

Runs as vm/run-vm.sh --host-cmd while the VM runs, with VM_OUT set.  The VM
has several NICs of different models, each on a QEMU UDP socket netdev of
its own (a datagram sent to 127.0.0.1:TO arrives as a frame on the NIC, a
frame the NIC sends arrives as a datagram on 127.0.0.1:FROM) with a pcap of
its traffic (filter-dump).  One testpmd in the guest drives them all, with
the "loop" port topology (every port forwards to itself), in two phases:

txonly: once the guest says testpmd transmits, watch the pcaps grow; when
each holds --min frames (or --wait seconds pass), tell the guest to stop
testpmd.  The guest writes each port's number and TX-packets; once every
pcap holds at least that many frames, its records up to then are the
phase's, and every one of them is checked with tshark's filter of
txonly-host.py (through one pcap of the distinct frames, as txonly sends
the same frame again and again), here also from the NIC's MAC to
testpmd's default peer of its port: at least --min such frames, no other,
and at least testpmd's TX-packets (no more than a ring's worth beyond it,
frames sent between testpmd's last reading of its counters and the stop).

io: once the guest says testpmd forwards, for one NIC after the other send
numbered frames into it and check that they come back out of the same NIC
intact and in order, and that nothing comes out of any other NIC
(hostlib.send_sequence, as iofwd-host.py does between two NICs).

Then the interrupt phase (guest: DPDK's l3fwd-power and
link_status_interrupt on the NICs of --irq): once the guest says
l3fwd-power sleeps in its interrupt loop, send --irq-frames IPv4 frames
into each of those NICs, one at a time (each wakes the sleeping lcore), to
an address the example's LPM table routes out of the next NIC of --irq
(1.1.1.0/24 to its port 0, 2.1.1.0/24 to port 1, ...; the only NIC of
--irq to itself), and check that they come out of it in order, every
byte as l3fwd-power rewrites it (MACs, TTL) but the IPv4 header checksum,
whose values are reported (the example leaves it invalid where the ports
lack RX IPv4 checksum offload: tests/dpdk/README.md), and that nothing
comes out of any other NIC.  Then, once the guest says
link_status_interrupt runs, turn the link of each NIC of --lsc off and on
with QMP set_link (the NIC's QEMU id is its name).  Results in
$VM_OUT/irq-host.txt: irq_NAME, irq_NAME_summary, lsc_NAME.

While txonly runs, each FROM port is bound by a socket with a tiny buffer
that is never read (QEMU's datagrams are dropped there, and no ICMP goes
back); the io phase reads them.  Results go to $VM_OUT/nics-host.txt, KEY=
VALUE lines with keys NAME_txonly, NAME_txonly_summary, NAME_io,
NAME_io_summary and NAME_into (frames sent into the NIC, probes included).

Handshake through $VM_OUT/sync:
  guest: nics-txonly          testpmd transmits on every port
  host:  nics-txonly-enough   every pcap holds --min frames (or it gave up)
  guest: nics-txonly-stopped  testpmd stopped, $VM_OUT/nics-txonly.txt
                              holds tx_NAME=TX-packets of each NIC
  guest: nics-io              testpmd forwards (io mode)
  host:  nics-done            $VM_OUT/nics-host.txt is written
  guest: nics-abort           nothing to wait for (bind or start failed)
  guest: irq-l3fwd            l3fwd-power sleeps in its interrupt loop,
                              $VM_OUT/irq-ports.txt has port_NAME of each
  host:  irq-l3fwd-done       its frames sent and checked
  guest: irq-lsc              link_status_interrupt runs
  host:  irq-lsc-done         the links went off and on again
  guest: irq-abort            an example did not start: nothing more
"""

import argparse
import collections
import os
import random
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
from hostlib import (FRAME_REC, Receiver, Sync, bind_sink, file_openers,
                     ipv4_checksum, ipv4_frame, ipv4_parse, l3fwd_forwarded, log, pcap_walk,
                     pcap_write, port_clash, send_sequence, sequence_args,
                     tshark_matching, txonly_filter, vm_out, write_result)

RING_SLACK = 4096   # frames a NIC may send after testpmd's last TX reading


class Nic:
    def __init__(self, spec):
        try:
            name, mac, to, frm, pcap = spec.split(",")
            self.name, self.mac, self.pcap = name, mac, pcap
            self.to, self.frm = int(to), int(frm)
            self.dst = bytes.fromhex(mac.replace(":", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(
                "--nic wants NAME,MAC,TO,FROM,PCAP, got %r" % spec)
        self.records = 0      # the pcap's records of the txonly phase
        self.frames = None    # how often each distinct frame is among them
        self.tx = 0           # testpmd's TX-packets in that phase
        self.port = ""        # and its port number

    def estimate(self):
        """Frames in the pcap, from its size (txonly's are all 64 bytes)."""
        try:
            return max(0, os.stat(self.pcap).st_size - 24) // FRAME_REC
        except FileNotFoundError:
            return 0


def read_keys(path):
    keys = {}
    try:
        with open(path) as f:
            for line in f:
                k, _, v = line.strip().partition("=")
                keys[k] = v
    except FileNotFoundError:
        pass
    return keys


def txonly_phase(a, out, sync, nics, res):
    """Wait for --min frames in every pcap, stop, fix each pcap's records."""
    end = time.monotonic() + a.wait
    last_report = 0
    reason = "timeout"
    while time.monotonic() < end:
        est = {n.name: n.estimate() for n in nics}
        now = time.monotonic()
        if now - last_report >= 2:
            log("pcaps: " + ", ".join("%s ~%d" % kv for kv in est.items()))
            last_report = now
        if min(est.values()) >= a.min:
            reason = "enough"
            break
        if sync.has("nics-txonly-stopped"):
            reason = "guest stopped"
            break
        time.sleep(0.1)
    log("%s: %s; asking the guest to stop testpmd" % (reason, ", ".join(
        "%s ~%d" % (n.name, n.estimate()) for n in nics)))
    sync.signal("nics-txonly-enough")
    if sync.wait(["nics-txonly-stopped"], 90) is None:
        log("guest did not stop testpmd; analysing what is there")
    keys = read_keys(os.path.join(out, "nics-txonly.txt"))
    # Frames still in a ring reach the pcap after the stop: wait until each
    # holds testpmd's count (all 64 bytes: the size tells), then its
    # records up to now are the phase's.
    end = time.monotonic() + 10
    for n in nics:
        n.tx = int(keys.get("tx_" + n.name) or 0)
        n.port = keys.get("port_" + n.name, "")
        while n.estimate() < n.tx and time.monotonic() < end:
            time.sleep(0.1)
        n.frames = collections.Counter()

        def count(t, d, n=n):
            n.frames[d] += 1
        n.records = len(pcap_walk(n.pcap, 1 << 40, count)[0])
        res[n.name + "_tx_packets"] = n.tx
        res[n.name + "_pcap_frames"] = n.records


def txonly_verdicts(a, out, nics, res):
    """Every txonly frame of each NIC's pcap checked by tshark, as
    txonly-host.py does, through one pcap of the NICs' distinct frames
    (txonly sends one frame again and again): each carries the verdict on
    its copies.  A NIC's frames go from its MAC to testpmd's default peer
    of its port, 02:00:00:00:00:PORT."""
    path = os.path.join(out, "nics-distinct.pcap")
    distinct = [(n, d) for n in nics for d in n.frames]
    try:
        pcap_write(path, [d for _, d in distinct])
        match = tshark_matching(path, txonly_filter(None),
                                ("eth.src", "eth.dst"))
    except (OSError, subprocess.CalledProcessError) as e:
        match, error = {}, "tshark: %s" % e
    else:
        error = None
    for n in nics:
        key = n.name + "_txonly"
        if error or not n.port.isdigit():
            res[key] = "fail"
            res[key + "_summary"] = error or "no port number from the guest"
            continue
        want = (n.mac, "02:00:00:00:00:%02x" % int(n.port))
        ngood, bad = 0, []
        for i, (m, d) in enumerate(distinct, 1):
            if m is not n:
                continue
            if match.get(i) == want:
                ngood += n.frames[d]
            else:
                bad.append("%d x %s" % (n.frames[d], d.hex()))
        total = n.records
        ok = (ngood >= a.min and ngood == total
              and n.tx <= total <= n.tx + RING_SLACK)
        res[key] = "ok" if ok else "fail"
        res[key + "_summary"] = (
            "%d frames in the pcap (%d distinct), %d well-formed from %s to "
            "%s, %d malformed; testpmd's TX-packets %d (need >= %d "
            "well-formed, 0 malformed, TX-packets <= frames <= TX-packets + "
            "%d)" % (total, len(n.frames), ngood, want[0], want[1],
                     total - ngood, n.tx, a.min, RING_SLACK))
        if bad:
            res[key + "_bad_examples"] = " | ".join(bad[:3])


def l3fwd_through(a, tx, n, out, port, rx, run):
    """--irq-frames numbered IPv4 frames into NIC N, one at a time, routed
    by l3fwd-power to its PORT, the NIC OUT: (ok, summary)."""
    r = rx[out.name]
    others = [x for k, x in rx.items() if k != out.name]
    sizes = [60 + (s * 389) % (1514 - 60 + 1) for s in range(a.irq_frames)]
    # 1.1.1.0/24 goes out of port 0, 2.1.1.0/24 out of port 1, ...
    dst_ip = [port + 1, 1, 1, 1]
    sent = []
    t0 = time.monotonic()
    lost_at = None
    for seq in range(a.irq_frames):
        f = ipv4_frame(n.dst, dst_ip, run, seq, sizes[seq])
        tx.sendto(f, ("127.0.0.1", n.to))
        sent.append(f)
        if not r.wait_for(lambda: len(r.frames) > seq, a.stall):
            lost_at = seq
            break
    secs = time.monotonic() - t0
    time.sleep(0.5)               # late duplicates or strays
    back = [d for _, d in r.taken()]
    stray = sum(len(x.taken()) for x in others)
    want = [l3fwd_forwarded(f, port, out.dst) for f in sent]
    ours = [d for d in back if ipv4_parse(d) and ipv4_parse(d)[0] == run]
    # Every byte as the example rewrites it; the IPv4 header checksum
    # (bytes 24-25) apart, whose values are reported.
    intact = sum(1 for w, d in zip(want, ours)
                 if len(w) == len(d) and w[:24] == d[:24] and w[26:] == d[26:])
    exact = sum(1 for w, d in zip(want, ours) if w == d)
    sums = collections.Counter("0x%s (%s)" % (
        d[24:26].hex(), "valid" if ipv4_checksum(d[14:34]) == 0
        else "not valid") for d in ours)
    ok = (lost_at is None and len(back) == len(sent) == len(ours) == intact
          and not stray)
    why = ("%d frames of %d..%d bytes to %s into %s, %d back out of %s "
           "(port %d), %d of them in order with every byte as l3fwd-power "
           "rewrites them (MACs, TTL - 1) but the header checksum%s; "
           "header checksums: %d updated for the TTL, seen: %s; %d other "
           "frames out of %s, %d out of the other NICs; %.1f s"
           % (len(sent), min(sizes), max(sizes), ".".join(map(str, dst_ip)),
              n.name, len(back), out.name, port, intact,
              "" if lost_at is None else
              "; frame %d not back within %ds" % (lost_at, a.stall),
              exact, ", ".join("%d x %s" % (c, k)
                               for k, c in sums.most_common(3)),
              len(back) - len(ours), out.name, stray, secs))
    return ok, why


def irq_phase(a, out, sync, nics, rx, tx):
    """l3fwd-power's frames, then link_status_interrupt's link changes."""
    res = {}
    result = os.path.join(out, "irq-host.txt")
    by_name = {n.name: n for n in nics}
    irq = [by_name[k] for k in a.irq if k in by_name]
    got = sync.wait(["irq-l3fwd", "irq-abort", "nics-abort"], 300)
    if got != "irq-l3fwd":
        log("guest gave up before l3fwd-power (%s)" % got)
        return
    keys = read_keys(os.path.join(out, "irq-ports.txt"))
    log("guest: l3fwd-power sleeps in its interrupt loop: ports %s" % keys)
    run = random.getrandbits(32)
    for i, n in enumerate(irq):
        o = irq[(i + 1) % len(irq)]
        for r in rx.values():
            with r.cond:
                r.frames, r.data, r.probes = [], 0, 0
        port = keys.get("port_" + o.name, "")
        if not port.isdigit():
            ok, why = False, "no port number of %s from the guest" % o.name
        else:
            ok, why = l3fwd_through(a, tx, n, o, int(port), rx, run)
        res["irq_" + n.name] = "ok" if ok else "fail"
        res["irq_%s_summary" % n.name] = why
        log("%s: %s" % (n.name, why))
    write_result(result, res)
    sync.signal("irq-l3fwd-done")

    got = sync.wait(["irq-lsc", "irq-abort"], 300)
    if got != "irq-lsc":
        log("guest gave up before link_status_interrupt (%s)" % got)
        return
    qmp = os.environ.get("VM_QMP", "")
    tool = os.path.join(os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.realpath(__file__)))), "vm", "qmp.py")
    for name in a.lsc:
        said = []
        for up in ("false", "true"):
            p = subprocess.run(
                [tool, qmp, "set_link", '{"name": "%s", "up": %s}' % (name, up)],
                capture_output=True, text=True)
            said.append("set_link %s %s: %s" % (
                name, "on" if up == "true" else "off",
                "done" if p.returncode == 0 else
                (p.stdout + p.stderr).strip() or "exit %d" % p.returncode))
            log(said[-1])
            # The guest's interrupt thread reports the change; under TCG
            # it takes a moment, and the link must be seen down before it
            # comes up again.  The guest waits for the last "up" itself.
            if up == "false":
                time.sleep(a.lsc_pause)
        res["lsc_" + name] = "; ".join(said)
    write_result(result, res)
    sync.signal("irq-lsc-done")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nic", type=Nic, action="append", required=True,
                    metavar="NAME,MAC,TO,FROM,PCAP",
                    help="a NIC: its name, MAC, the UDP port QEMU takes its "
                    "frames on, the one QEMU sends its frames to, its pcap")
    ap.add_argument("--min", type=int, default=20000,
                    help="txonly frames required of each NIC")
    ap.add_argument("--wait", type=float, default=90,
                    help="seconds to wait for them after testpmd starts")
    # io mode, each NIC in turn; --ready-wait is the first NIC's, the
    # others get at most 20 s.
    sequence_args(ap, ready_wait=60)
    ap.add_argument("--irq", default="", metavar="NAME,...",
                    help="the NICs of l3fwd-power, in the guest's order")
    ap.add_argument("--irq-frames", type=int, default=200,
                    help="frames into each of them, one at a time")
    ap.add_argument("--lsc", default="", metavar="NAME,...",
                    help="the NICs whose link to turn off and on (QMP "
                    "set_link; their QEMU id is their name)")
    ap.add_argument("--lsc-pause", type=float, default=2,
                    help="seconds between a link's off and on")
    a = ap.parse_args()
    a.irq = [k for k in a.irq.split(",") if k]
    a.lsc = [k for k in a.lsc.split(",") if k]
    out = vm_out()
    sync = Sync(out)
    result = os.path.join(out, "nics-host.txt")
    nics = a.nic
    res = {}

    def finish(why=None):
        if why:
            log(why)
            for n in nics:
                for k in ("_txonly", "_io"):
                    res.setdefault(n.name + k, "fail")
                    res.setdefault(n.name + k + "_summary", why)
        write_result(result, res)
        sync.signal("nics-done")
        return 0

    # The sinks of the txonly phase: bound, tiny buffer, never read.
    clash = None
    sinks = []
    for n in nics:
        s, why = bind_sink(n.frm)
        clash = clash or why
        sinks.append(s)
    log("%d NICs: %s; want %d txonly frames of each, then %d numbered "
        "frames through each" % (len(nics), " ".join(n.name for n in nics),
                                 a.min, a.frames))

    got = sync.wait(["nics-txonly", "nics-abort"], 600)
    if got != "nics-txonly":
        log("guest gave up before transmitting (%s)" % got)
        return 0
    log("guest: testpmd transmits")
    if not clash:
        # Two VMs dumping into one pcap would mix their frames.
        for n in nics:
            qemus = file_openers(n.pcap)
            if len(qemus) > 1:
                clash = ("%s is open in %d processes: another VM dumps "
                         "into it" % (n.pcap, len(qemus)))
        clash = clash or port_clash([n.to for n in nics])
    if clash:
        sync.signal("nics-txonly-enough")
        sync.wait(["nics-io", "nics-abort"], 120)
        return finish(clash)

    txonly_phase(a, out, sync, nics, res)

    # io: the FROM ports are read from now on.
    for s in sinks:
        s.close()
    try:
        rx = {n.name: Receiver(n.frm) for n in nics}
    except OSError as e:
        sync.wait(["nics-io", "nics-abort"], 120)
        return finish("cannot bind the receiving ports (%s)" % e.strerror)
    for r in rx.values():
        r.start()
    got = sync.wait(["nics-io", "nics-abort"], 180)
    if got != "nics-io":
        log("guest gave up before forwarding (%s)" % got)
        txonly_verdicts(a, out, nics, res)
        return finish()
    log("guest: testpmd forwards (io, loop topology)")
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ready_wait = a.ready_wait
    for n in nics:
        log("%s: %d frames into 127.0.0.1:%d, out of :%d"
            % (n.name, a.frames, n.to, n.frm))
        others = [r for k, r in rx.items() if k != n.name]
        ok, why, seq = send_sequence(
            tx, ("127.0.0.1", n.to), rx[n.name], others, n.dst, a.frames,
            a.window, a.stall, ready_wait, names=(n.name, "the other NICs"))
        # The data path of every port is up once one forwards: the same
        # lcore polls them all.
        if ok:
            ready_wait = min(ready_wait, 20)
        # What came out belongs to this NIC's check: start the next afresh.
        for r in rx.values():
            with r.cond:
                r.frames, r.data, r.probes = [], 0, 0
        res[n.name + "_io"] = "ok" if ok else "fail"
        res[n.name + "_io_summary"] = why
        res[n.name + "_into"] = seq["into"]
        for k in ("fps", "mbit_s", "stalled_at"):
            if k in seq:
                res[n.name + "_io_" + k] = seq[k]
        log("%s: %s" % (n.name, why))
    clash = port_clash([n.to for n in nics])
    txonly_verdicts(a, out, nics, res)
    for n in nics:
        if clash:
            res[n.name + "_io"] = "fail"
            res[n.name + "_io_summary"] = clash
    finish()
    if a.irq:
        irq_phase(a, out, sync, nics, rx, tx)
    # The captures of a NIC that failed stay with the run's results; the
    # others go (tens of MB each; nics-distinct.pcap has what was checked).
    for n in nics:
        keep = os.path.join(out, "nics-%s.pcap" % n.name)
        try:
            if res[n.name + "_txonly"] == "ok" and res[n.name + "_io"] == "ok":
                os.remove(n.pcap)
            else:
                os.replace(n.pcap, keep)
                log("%s: pcap kept in %s" % (n.name, keep))
        except OSError as e:
            log("pcap left at %s (%s)" % (n.pcap, e.strerror))
    return 0


if __name__ == "__main__":
    sys.exit(main())
