#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Host side of the DPDK io-forwarding test (guest side: guest-iofwd.sh).

Runs as vm/run-vm.sh --host-cmd while the VM runs, with VM_OUT set.  The VM
has two e1000s on QEMU UDP socket netdevs: a datagram sent to 127.0.0.1:TO_A
arrives as a frame on NIC A, a frame NIC B sends arrives as a datagram on
127.0.0.1:FROM_B (and NIC A's on FROM_A).  testpmd in io mode forwards
port 0 (A) rx -> port 1 (B) tx and back, frames untouched.

Once the guest says testpmd is forwarding, send probe frames one at a time
until one comes out of B (the data path is up), then a numbered sequence
of --frames frames of varying size (60..1514 bytes) and pseudo-random
content, at most --window of them in flight (sent, not yet back), so
neither QEMU's socket buffer nor the NIC's ring can overflow.  Then check
that B gave back exactly that sequence: none lost, duplicated, reordered,
or changed in any byte; and that nothing came out of A.  Results go to
$VM_OUT/iofwd-host.txt for the guest to report.
"""

import argparse
import os
import random
import socket
import struct
import sys
import threading
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
from hostlib import Sync, log, port_clash, write_result

MAGIC = b"VFIONOMM"
ETH_TYPE = 0x88B5                 # IEEE 802 local experimental
HOST_MAC = bytes.fromhex("020000000001")
HDR = struct.Struct("!6s6sH8scII")  # dst src type magic kind run seq
MIN_LEN, MAX_LEN = 60, 1514


def frame(dst, kind, run, seq, size):
    head = HDR.pack(dst, HOST_MAC, ETH_TYPE, MAGIC, kind, run, seq)
    body = random.Random((run << 32) | seq).randbytes(size - len(head))
    return head + body


def parse(data):
    """(kind, run, seq) of one of our frames, or None."""
    if len(data) < HDR.size:
        return None
    _, _, typ, magic, kind, run, seq = HDR.unpack_from(data)
    if typ != ETH_TYPE or magic != MAGIC:
        return None
    return kind, run, seq


class Receiver(threading.Thread):
    """Collects every datagram on one port, with a condition to wait on."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind(("127.0.0.1", port))
        self.cond = threading.Condition()
        self.frames = []          # (kind, data)
        self.data = 0
        self.probes = 0

    def run(self):
        while True:
            d = self.sock.recv(65536)
            p = parse(d)
            kind = p[0] if p else b"?"
            with self.cond:
                self.frames.append((kind, d))
                if kind == b"D":
                    self.data += 1
                elif kind == b"P":
                    self.probes += 1
                self.cond.notify_all()

    def wait_for(self, pred, secs):
        with self.cond:
            return self.cond.wait_for(pred, secs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--to-a", type=int, required=True,
                    help="UDP port where QEMU takes frames for NIC A")
    ap.add_argument("--to-b", type=int, required=True,
                    help="UDP port where QEMU takes frames for NIC B")
    ap.add_argument("--from-a", type=int, required=True,
                    help="UDP port QEMU sends NIC A's frames to")
    ap.add_argument("--from-b", type=int, required=True,
                    help="UDP port QEMU sends NIC B's frames to")
    ap.add_argument("--mac-a", default="52:54:00:d0:00:0a",
                    help="NIC A's MAC, the frames' destination")
    ap.add_argument("--frames", type=int, default=10000)
    ap.add_argument("--window", type=int, default=32,
                    help="frames in flight at most")
    ap.add_argument("--stall", type=float, default=15,
                    help="seconds without progress that count as loss")
    ap.add_argument("--ready-wait", type=float, default=120,
                    help="seconds to wait for a probe to come back")
    a = ap.parse_args()
    out = os.environ.get("VM_OUT")
    if not out:
        sys.exit("VM_OUT is not set: run me through vm/run-vm.sh --host-cmd")
    sync = Sync(out)
    result = os.path.join(out, "iofwd-host.txt")
    dst = bytes.fromhex(a.mac_a.replace(":", ""))
    run = random.getrandbits(32)
    res = {}

    try:
        rx_b = Receiver(a.from_b)
        rx_a = Receiver(a.from_a)
    except OSError as e:
        # Another run of this suite has them: wait for our guest only to
        # tell it so.
        log("cannot bind the receiving ports (%s)" % e.strerror)
        if sync.wait(["iofwd-forwarding", "iofwd-abort"], 600) == "iofwd-forwarding":
            write_result(result, {"verdict": "fail", "into_a": 0, "summary":
                                  "cannot bind 127.0.0.1:%d/%d (%s): another "
                                  "run of this suite?" % (a.from_a, a.from_b,
                                                          e.strerror)})
            sync.signal("iofwd-done")
        return 0
    rx_b.start()
    rx_a.start()
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    to_a = ("127.0.0.1", a.to_a)
    log("into A: 127.0.0.1:%d, out of B: :%d, out of A: :%d; %d frames, "
        "window %d, run id %08x" % (a.to_a, a.from_b, a.from_a, a.frames,
                                    a.window, run))
    sizes = [MIN_LEN + (s * 389) % (MAX_LEN - MIN_LEN + 1)
             for s in range(a.frames)]
    data = [frame(dst, b"D", run, s, sizes[s]) for s in range(a.frames)]

    got = sync.wait(["iofwd-forwarding", "iofwd-abort"], 600)
    if got != "iofwd-forwarding":
        log("guest gave up before forwarding (%s)" % got)
        return 0
    log("guest: testpmd forwarding")

    def finish(verdict, why):
        res["verdict"] = verdict
        res["summary"] = why
        write_result(result, res)
        sync.signal("iofwd-done")
        return 0

    clash = port_clash([a.to_a, a.to_b])
    if clash:
        res["into_a"] = 0
        return finish("fail", clash)

    # Readiness: probes until one is forwarded.
    t_ready = time.monotonic()
    probes = 0
    end = t_ready + a.ready_wait
    while time.monotonic() < end:
        tx.sendto(frame(dst, b"P", run, probes, 64), to_a)
        probes += 1
        if rx_b.wait_for(lambda: rx_b.probes > 0, 1.0):
            break
    res["probes_sent"] = probes
    if rx_b.probes == 0:
        res["into_a"] = probes
        return finish("fail", "no probe came out of B within %ds of %d sent"
                      % (a.ready_wait, probes))
    ready = time.monotonic() - t_ready
    # Probes still in flight come out before the first data frame, or the
    # test reports them (they are told apart from data anyway).
    rx_b.wait_for(lambda: rx_b.probes >= probes, 3.0)
    res["probes_back"] = rx_b.probes
    res["ready_after_s"] = "%.2f" % ready
    log("data path up: probe back %.2fs after forwarding started (%d sent)"
        % (ready, probes))

    # The sequence, windowed.
    t_start = time.monotonic()
    sent = 0
    stalled = False
    last_report = t_start
    while sent < a.frames:
        if not rx_b.wait_for(lambda: sent - rx_b.data < a.window, a.stall):
            stalled = True
            break
        tx.sendto(data[sent], to_a)
        sent += 1
        now = time.monotonic()
        if now - last_report >= 2:
            log("sent %d, back %d" % (sent, rx_b.data))
            last_report = now
    if not stalled:
        rx_b.wait_for(lambda: rx_b.data >= sent, a.stall)
    secs = time.monotonic() - t_start
    time.sleep(0.5)               # late duplicates or strays
    with rx_b.cond:
        frames_b = list(rx_b.frames)
    with rx_a.cond:
        frames_a = list(rx_a.frames)

    # Check: exactly data[0..sent) in order, byte for byte.
    back = [d for k, d in frames_b if k == b"D"]
    foreign = sum(1 for k, _ in frames_b if k == b"?")
    seen = set()
    lost = dup = reordered = corrupt = wrongrun = 0
    high = -1
    for d in back:
        _, r, s = parse(d)
        if r != run or s >= sent:
            wrongrun += 1
            continue
        if s in seen:
            dup += 1
            continue
        seen.add(s)
        if s < high:
            reordered += 1
        high = max(high, s)
        if d != data[s]:
            corrupt += 1
    lost = sent - len(seen)
    identical = back == data[:sent]
    nbytes = sum(sizes[:sent])
    res.update(sent=sent, received=len(back), lost=lost, duplicated=dup,
               reordered=reordered, corrupted=corrupt, stray=wrongrun,
               foreign_out_of_b=foreign, out_of_a=len(frames_a),
               into_a=probes + sent, seconds="%.2f" % secs,
               fps=int(sent / secs) if secs > 0 else 0,
               mbit_s="%.1f" % (nbytes * 8 / secs / 1e6) if secs > 0 else 0)
    if stalled:
        res["stalled_at"] = "%d sent, %d back, no progress for %ds" % (
            sent, rx_b.data, a.stall)
    clash = port_clash([a.to_a, a.to_b])
    if clash:
        res["clash"] = clash
    ok = (identical and sent == a.frames and foreign == 0
          and not frames_a and not clash)
    why = ("%d/%d frames back out of B, %s; lost %d, reordered %d, "
           "corrupted %d, duplicated %d; %d foreign out of B, %d out of A; "
           "%.1fs, %d frames/s" % (len(back), a.frames,
                                   "identical and in order" if identical
                                   else "NOT the sequence sent",
                                   lost, reordered, corrupt, dup, foreign,
                                   len(frames_a), secs, res["fps"]))
    return finish("ok" if ok else "fail", why)


if __name__ == "__main__":
    sys.exit(main())
