#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Host side of the benchmark's wake part (guest side: guest-bench.sh).

Runs as vm/run-vm.sh --host-cmd of a benchmark VM.  The guest runs DPDK's
l3fwd-power in interrupt mode on one wake NIC at a time; QEMU takes each
NIC's frames on 127.0.0.1:TO and sends its frames to 127.0.0.1:SINK
(--nic NAME,TO,SINK,MAC); l3fwd-power routes 1.1.1.0/24 out of its port
0, the same NIC, so each frame comes back.

For every pass the guest asks for (it signals wake-go-NAME-DRIVER once
l3fwd-power sleeps in its interrupt loop on NIC NAME), send --frames IPv4
frames one at a time, each --gap-ms after the previous one came back (or
was given up after --timeout seconds), so that the lcore is asleep when
each arrives: the round trip is mostly the interrupt's way to the
sleeping lcore and back out.  Write $VM_OUT/wake-NAME-DRIVER.json (the
round trips in microseconds, in order, and the frames lost) and signal
wake-done-NAME-DRIVER.  Ends when the guest signals wake-end, or when the
VM ends.
"""

import argparse
import glob
import json
import os
import socket
import sys
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)),
                                "..", "tests", "dpdk"))
from hostlib import Sync, ipv4_frame, ipv4_parse, log, vm_out  # noqa: E402


def one_pass(a, nic, tx, rx, run):
    """Round trips (us) of --frames frames, None for each frame lost."""
    rtt = []
    dst = bytes.fromhex(nic["mac"].replace(":", ""))
    for seq in range(a.frames):
        time.sleep(a.gap_ms / 1000)
        f = ipv4_frame(dst, [1, 1, 1, 1], run, seq, 64)
        t0 = time.monotonic()
        tx.sendto(f, ("127.0.0.1", nic["to"]))
        end = t0 + a.timeout
        got = None
        while got is None:
            left = end - time.monotonic()
            if left <= 0:
                break
            rx.settimeout(left)
            try:
                d = rx.recv(65536)
            except socket.timeout:
                break
            if ipv4_parse(d) == (run, seq):
                got = time.monotonic()
        rtt.append(None if got is None else round((got - t0) * 1e6, 1))
    return rtt


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nic", action="append", required=True,
                    metavar="NAME,TO,SINK,MAC",
                    help="a wake NIC: QEMU takes its frames on TO and "
                    "sends them to SINK")
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--gap-ms", type=float, default=20)
    ap.add_argument("--timeout", type=float, default=2)
    a = ap.parse_args()
    out = vm_out()
    sync = Sync(out)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    nics = {}
    for spec in a.nic:
        name, to, sink, mac = spec.split(",")
        rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        rx.bind(("127.0.0.1", int(sink)))
        nics[name] = {"to": int(to), "rx": rx, "mac": mac}
    done = set()
    run = 0
    while not sync.has("wake-end"):
        todo = [os.path.basename(p)[len("wake-go-"):]
                for p in glob.glob(sync.path("wake-go-*"))]
        todo = [n for n in todo if n not in done]
        if not todo:
            time.sleep(0.2)
            continue
        name = todo[0]
        nic = nics.get(name.split("-")[0])
        run += 1
        if nic is None:
            log("pass %s: no such NIC" % name)
            rtt = [None] * a.frames
        else:
            log("pass %s: %d frames, %g ms apart" % (name, a.frames, a.gap_ms))
            rtt = one_pass(a, nic, tx, nic["rx"], run)
        back = [x for x in rtt if x is not None]
        with open(os.path.join(out, "wake-%s.json" % name), "w") as f:
            json.dump({"frames": a.frames, "gap_ms": a.gap_ms,
                       "lost": len(rtt) - len(back), "rtt_us": rtt}, f)
        log("pass %s: %d back, median %s us" % (
            name, len(back), sorted(back)[len(back) // 2] if back else "-"))
        done.add(name)
        sync.signal("wake-done-" + name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
