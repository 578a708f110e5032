#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Host side of the DPDK txonly test (guest side: guest-txonly.sh).

Runs as vm/run-vm.sh --host-cmd while the VM runs, with VM_OUT set.  QEMU
writes every frame of the guest's e1000 to a pcap (--nic ...,dump=PCAP) and
sends it to 127.0.0.1:SINK, where a socket that is never read swallows it
(no ICMP, nothing leaves the loopback).

Once the guest says testpmd is forwarding, watch the pcap grow; when it
holds --min frames (or --wait seconds pass), tell the guest to stop
testpmd; when it has, count the frames with tshark: a well-formed frame is
what testpmd's txonly engine builds by default, 64 bytes, Ethernet to the
default peer 02:00:00:00:00:00, IPv4 without options 198.18.0.1 ->
198.18.0.2, a correct header checksum, UDP 9 -> 9 of 30 bytes.  Write the
verdict and the numbers to $VM_OUT/txonly-host.txt for the guest to report.
"""

import argparse
import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
from hostlib import (FRAME_REC, Sync, bind_sink, file_openers, log,
                     pcap_times, tshark_bad, tshark_count, vm_out,
                     write_result)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pcap", required=True, help="QEMU's filter-dump file")
    ap.add_argument("--sink", type=int, required=True,
                    help="UDP port QEMU sends the NIC's frames to")
    ap.add_argument("--min", type=int, default=100000,
                    help="well-formed frames required (default 100000)")
    ap.add_argument("--wait", type=float, default=150,
                    help="seconds to wait for them after testpmd starts")
    ap.add_argument("--limit", type=int, default=3000000,
                    help="frames to analyse at most")
    a = ap.parse_args()
    out = vm_out()
    sync = Sync(out)
    result = os.path.join(out, "txonly-host.txt")

    # The sink: bound, tiny buffer, never read.
    sink, clash = bind_sink(a.sink)
    log("sink on 127.0.0.1:%d, pcap %s, want %d frames"
        % (a.sink, a.pcap, a.min))

    got = sync.wait(["txonly-forwarding", "txonly-abort"], 600)
    if got != "txonly-forwarding":
        log("guest gave up before forwarding (%s)" % got)
        return 0
    # Two VMs dumping into one pcap would mix their frames.
    qemus = file_openers(a.pcap)
    if len(qemus) > 1:
        clash = ("%s is open in %d processes (%s): another VM dumps into it"
                 % (a.pcap, len(qemus), " ".join(map(str, qemus))))
    if clash:
        log(clash)
        sync.signal("txonly-enough")
        sync.wait(["txonly-stopped"], 90)
        write_result(result, {"verdict": "fail", "summary": clash})
        sync.signal("txonly-verdict")
        return 0
    t_fwd = os.stat(sync.path("txonly-forwarding")).st_mtime
    try:
        t_launch = os.stat(sync.path("txonly-launch")).st_mtime
    except FileNotFoundError:
        t_launch = t_fwd
    log("guest: testpmd forwarding")

    # Wait for traffic: poll the pcap's size, never sleep blindly.
    end = time.monotonic() + a.wait
    first_seen = None
    last_report = 0
    est = 0
    reason = "timeout"
    while time.monotonic() < end:
        try:
            size = os.stat(a.pcap).st_size
        except FileNotFoundError:
            size = 0
        est = max(0, size - 24) // FRAME_REC
        now = time.monotonic()
        if est and first_seen is None:
            first_seen = now
            log("first frames in the pcap")
        if now - last_report >= 2:
            log("pcap: ~%d frames" % est)
            last_report = now
        if est >= a.min:
            reason = "enough"
            break
        if sync.has("txonly-stopped"):
            reason = "guest stopped"
            break
        time.sleep(0.1)
    log("%s: ~%d frames; asking the guest to stop testpmd" % (reason, est))
    sync.signal("txonly-enough")
    if sync.wait(["txonly-stopped"], 90) is None:
        log("guest did not stop testpmd; analysing what is there")

    # Count.
    log("analysing %s with tshark" % a.pcap)
    res = {}
    try:
        times, linktype = pcap_times(a.pcap, a.limit)
        total, good = tshark_count(a.pcap, a.limit)
    except (OSError, RuntimeError, subprocess.CalledProcessError) as e:
        times, linktype, total, good = [], None, 0, 0
        res["error"] = str(e).strip().replace("\n", " ")[:300]
    bad = total - good
    res.update(frames=total, good=good, bad=bad, linktype=linktype)
    if times:
        first, last = times[0], times[-1]
        # Sync files are made through 9p: their mtimes are host times,
        # as are QEMU's pcap timestamps.
        res["first_frame_s_after_testpmd_launch"] = "%.2f" % (first - t_launch)
        res["first_frame_s_after_forwarding_seen"] = "%.2f" % (first - t_fwd)
        span = max(last - first, 1e-6)
        res["avg_rate_fps"] = int((len(times) - 1) / span) if len(times) > 1 else 0
        # Frames per whole second since the first frame.
        per = {}
        for t in times:
            s = int(t - first)
            per[s] = per.get(s, 0) + 1
        secs = [per.get(s, 0) for s in range(int(last - first) + 1)]
        res["per_second"] = " ".join(str(x) for x in secs[:30])
        peak = max(secs)
        res["peak_fps"] = peak
        full = next((i for i, x in enumerate(secs) if x >= peak // 2), 0)
        res["seconds_to_half_peak"] = full
    if bad:
        res["bad_examples"] = " | ".join(tshark_bad(a.pcap, a.limit))
    ok = linktype == 1 and good >= a.min and bad == 0
    res["verdict"] = "ok" if ok else "fail"
    res["summary"] = ("%d frames in the pcap, %d well-formed, %d malformed "
                      "(need >= %d well-formed, 0 malformed)"
                      % (total, good, bad, a.min))
    write_result(result, res)
    sync.signal("txonly-verdict")
    # Keep the capture with the run's results when it can move there.
    keep = os.path.join(out, "txonly.pcap")
    try:
        os.replace(a.pcap, keep)
        log("pcap moved to %s" % keep)
    except OSError as e:
        log("pcap left at %s (%s)" % (a.pcap, e.strerror))
    return 0


if __name__ == "__main__":
    sys.exit(main())
