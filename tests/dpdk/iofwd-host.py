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
import socket
import sys

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
from hostlib import (Receiver, Sync, log, port_clash, send_sequence,
                     sequence_args, vm_out, write_result)


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
    sequence_args(ap, ready_wait=120)
    a = ap.parse_args()
    out = vm_out()
    sync = Sync(out)
    result = os.path.join(out, "iofwd-host.txt")
    dst = bytes.fromhex(a.mac_a.replace(":", ""))
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
        "window %d" % (a.to_a, a.from_b, a.from_a, a.frames, a.window))

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

    ok, why, seq = send_sequence(tx, to_a, rx_b, [rx_a], dst, a.frames,
                                 a.window, a.stall, a.ready_wait)
    res.update(seq)
    res["into_a"] = seq["into"]
    clash = port_clash([a.to_a, a.to_b])
    if clash:
        res["clash"] = clash
    return finish("ok" if ok and not clash else "fail", why)


if __name__ == "__main__":
    sys.exit(main())
