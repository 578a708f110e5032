# SPDX-License-Identifier: GPL-2.0
"""Shared pieces of the DPDK suites' host-side programs (txonly-host.py,
iofwd-host.py, nics-host.py): progress lines, the handshake with the guest
through $VM_OUT/sync, a guard against another VM on the same UDP ports,
the count of txonly's frames in a pcap, and numbered frames sent into a
NIC and checked as they come back."""

import os
import random
import socket
import struct
import subprocess
import sys
import threading
import time

T0 = time.monotonic()


def log(msg):
    """A progress line with the seconds since the program started."""
    print("[%6.1fs] %s" % (time.monotonic() - T0, msg), flush=True)


def vm_out():
    """$VM_OUT, the run's directory, which vm/run-vm.sh --host-cmd sets."""
    out = os.environ.get("VM_OUT")
    if not out:
        sys.exit("VM_OUT is not set: run me through vm/run-vm.sh --host-cmd")
    return out


class Sync:
    """Files in $VM_OUT/sync, as vm/guest-lib.sh's vm_signal/vm_wait."""

    def __init__(self, out):
        self.dir = os.path.join(out, "sync")

    def path(self, name):
        return os.path.join(self.dir, name)

    def has(self, name):
        return os.path.exists(self.path(name))

    def signal(self, name):
        os.makedirs(self.dir, exist_ok=True)
        open(self.path(name), "w").close()

    def wait(self, names, secs):
        """The first of NAMES to exist within SECS, or None."""
        end = time.monotonic() + secs
        while time.monotonic() < end:
            for n in names:
                if self.has(n):
                    return n
            time.sleep(0.1)
        return None


def udp_bound(port):
    """How many IPv4 UDP sockets are bound to PORT."""
    n = 0
    with open("/proc/net/udp") as f:
        next(f)
        for line in f:
            local = line.split()[1]
            if int(local.split(":")[1], 16) == port:
                n += 1
    return n


def port_clash(ports):
    """A complaint if one of QEMU's receiving PORTS is bound more than once.

    QEMU binds a socket netdev's localaddr with SO_REUSEADDR, so a second VM
    with the same ports starts fine and then takes the frames meant for the
    first: results would silently mix.
    """
    for p in ports:
        n = udp_bound(p)
        if n > 1:
            return ("127.0.0.1:%d is bound by %d sockets: another VM uses this "
                    "suite's UDP ports (run it with tests/run-suite.sh, "
                    "which picks free ones, or change tests/dpdk/suites)"
                    % (p, n))
    return None


def write_result(path, res):
    """KEY=VALUE lines, replaced atomically."""
    with open(path + ".new", "w") as f:
        for k, v in res.items():
            f.write("%s=%s\n" % (k, v))
    os.rename(path + ".new", path)
    for k, v in res.items():
        log("%s=%s" % (k, v))


def file_openers(path):
    """PIDs of the processes that have PATH open (QEMU's filter-dump)."""
    want = os.path.realpath(path)
    pids = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            for fd in os.listdir("/proc/%s/fd" % pid):
                if os.readlink("/proc/%s/fd/%s" % (pid, fd)) == want:
                    pids.append(int(pid))
                    break
        except OSError:
            continue
    return pids


# ---- txonly's frames in QEMU's pcap ---------------------------------------

def txonly_filter(dst="02:00:00:00:00:00"):
    """A tshark filter for what testpmd's txonly engine builds by default.

    64 bytes, Ethernet to DST (testpmd's default peer of port N is
    02:00:00:00:00:0N; None: any), IPv4 without options 198.18.0.1 ->
    198.18.0.2 with a correct header checksum, UDP 9 -> 9 of 30 bytes.
    """
    return ("frame.len == 64 && eth.type == 0x0800"
            " && ip.version == 4 && ip.hdr_len == 20 && ip.len == 50"
            " && ip.flags.mf == 0 && ip.frag_offset == 0 && ip.proto == 17"
            " && ip.src == 198.18.0.1 && ip.dst == 198.18.0.2"
            " && ip.checksum.status == 1"    # 1: verified good
            " && udp.srcport == 9 && udp.dstport == 9 && udp.length == 30"
            + (" && eth.dst == %s" % dst if dst else ""))


GOOD = txonly_filter()
FRAME_REC = 16 + 64                      # pcap record header + frame


def pcap_walk(path, limit, keep):
    """(KEEP(timestamp, frame) of each, linktype) of PATH's first LIMIT
    complete records; timestamps in s, host clock."""
    out = []
    with open(path, "rb") as f:
        hdr = f.read(24)
        if len(hdr) < 24:
            return out, None
        magic = struct.unpack("<I", hdr[:4])[0]
        if magic in (0xa1b2c3d4, 0xa1b23c4d):
            end = "<"
        else:
            end = ">"
        nano = magic in (0xa1b23c4d, 0x4d3cb2a1)
        linktype = struct.unpack(end + "I", hdr[20:24])[0]
        rec = struct.Struct(end + "IIII")
        div = 1e9 if nano else 1e6
        while len(out) < limit:
            h = f.read(16)
            if len(h) < 16:
                break
            sec, frac, incl, _ = rec.unpack(h)
            data = f.read(incl)
            if len(data) < incl:
                break                    # a record QEMU is still writing
            out.append(keep(sec + frac / div, data))
    return out, linktype


def pcap_times(path, limit):
    """Timestamps (s, host clock) of the first LIMIT records of a pcap."""
    return pcap_walk(path, limit, lambda t, d: t)


def pcap_write(path, frames):
    """A pcap (Ethernet) of FRAMES, one record each."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for d in frames:
            f.write(struct.pack("<IIII", 0, 0, len(d), len(d)) + d)


def tshark_count(path, limit, good=GOOD):
    """(all frames, frames matching GOOD) among the first LIMIT of PATH."""
    cmd = ["tshark", "-n", "-r", path, "-c", str(limit),
           "-o", "ip.check_checksum:TRUE", "-q",
           "-z", "io,stat,0,frame," + good]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if "<>" in line:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            return int(cells[1]), int(cells[3])
    raise RuntimeError("no io,stat row in tshark output:\n" + out)


def tshark_matching(path, good, fields=()):
    """The frames of PATH that match the filter GOOD: their numbers (from 1)
    and the values of FIELDS, {number: (value, ...)}."""
    cmd = ["tshark", "-n", "-r", path, "-o", "ip.check_checksum:TRUE",
           "-Y", good, "-T", "fields", "-e", "frame.number"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    match = {}
    for line in out.splitlines():
        cells = line.split("\t")
        match[int(cells[0])] = tuple(cells[1:])
    return match


def tshark_bad(path, limit, n=3, good=GOOD):
    """The first N frames among the first LIMIT of PATH not matching GOOD."""
    cmd = ["tshark", "-n", "-r", path, "-c", str(limit),
           "-o", "ip.check_checksum:TRUE", "-Y", "!(%s)" % good,
           "-T", "fields", "-e", "frame.number", "-e", "frame.len",
           "-e", "frame.protocols", "-e", "ip.checksum.status"]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    return out.splitlines()[:n]


# ---- Numbered frames into a NIC, back out of one --------------------------

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

    def taken(self):
        """The frames received so far."""
        with self.cond:
            return list(self.frames)


def bind_sink(port):
    """A UDP socket on 127.0.0.1:PORT with a tiny receive buffer, never
    read: where QEMU sends a NIC's frames when only its pcap matters.
    Returns the socket and None, or the reason the port could not be had
    (another run of the suite?)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    try:
        s.bind(("127.0.0.1", port))
    except OSError as e:
        return s, ("cannot bind 127.0.0.1:%d (%s): another run of this "
                   "suite?" % (port, e.strerror))
    return s, None


def sequence_args(ap, ready_wait):
    """send_sequence's options (--frames, --window, --stall, --ready-wait)
    for an argparse parser."""
    ap.add_argument("--frames", type=int, default=10000,
                    help="numbered frames to send")
    ap.add_argument("--window", type=int, default=32,
                    help="frames in flight at most")
    ap.add_argument("--stall", type=float, default=15,
                    help="seconds without progress that count as loss")
    ap.add_argument("--ready-wait", type=float, default=ready_wait,
                    help="seconds to wait for a probe to come back")


def send_sequence(tx, dest, rx, silent, dst, nframes, window=32, stall=15,
                  ready_wait=120, names=("B", "A")):
    """Numbered frames sent to DEST (host, port) must come back on RX.

    First probe frames, one a second, until one comes back (the data path is
    up), then NFRAMES frames of 60..1514 bytes and pseudo-random content,
    numbered in a run of their own, at most WINDOW of them in flight (sent,
    not back), giving up after STALL seconds without progress.  Then check
    that RX gave back exactly that sequence: none lost, duplicated,
    reordered, or changed in any byte; and that none of the receivers in
    SILENT got anything.  NAMES name RX and SILENT in the summary.

    Returns (ok, summary, results): results has the figures, "into" the
    frames sent to DEST, probes included.
    """
    run = random.getrandbits(32)
    sizes = [MIN_LEN + (s * 389) % (MAX_LEN - MIN_LEN + 1)
             for s in range(nframes)]
    data = [frame(dst, b"D", run, s, sizes[s]) for s in range(nframes)]
    res = {"run": "%08x" % run}

    # Readiness: probes until one is forwarded.
    t_ready = time.monotonic()
    probes = 0
    end = t_ready + ready_wait
    while time.monotonic() < end:
        tx.sendto(frame(dst, b"P", run, probes, 64), dest)
        probes += 1
        if rx.wait_for(lambda: rx.probes > 0, 1.0):
            break
    res["probes_sent"] = probes
    if rx.probes == 0:
        res["into"] = probes
        return False, ("no probe came out of %s within %ds of %d sent"
                       % (names[0], ready_wait, probes)), res
    ready = time.monotonic() - t_ready
    # Probes still in flight come out before the first data frame, or the
    # test reports them (they are told apart from data anyway).
    rx.wait_for(lambda: rx.probes >= probes, 3.0)
    res["probes_back"] = rx.probes
    res["ready_after_s"] = "%.2f" % ready
    log("data path up: probe back %.2fs after the first (%d sent)"
        % (ready, probes))

    # The sequence, windowed.
    t_start = time.monotonic()
    sent = 0
    stalled = False
    last_report = t_start
    while sent < nframes:
        if not rx.wait_for(lambda: sent - rx.data < window, stall):
            stalled = True
            break
        tx.sendto(data[sent], dest)
        sent += 1
        now = time.monotonic()
        if now - last_report >= 2:
            log("sent %d, back %d" % (sent, rx.data))
            last_report = now
    if not stalled:
        rx.wait_for(lambda: rx.data >= sent, stall)
    secs = time.monotonic() - t_start
    time.sleep(0.5)               # late duplicates or strays
    frames_back = rx.taken()
    frames_silent = sum(len(r.taken()) for r in silent)

    # Check: exactly data[0..sent) in order, byte for byte.
    back = [d for k, d in frames_back if k == b"D"]
    foreign = sum(1 for k, _ in frames_back if k == b"?")
    seen = set()
    dup = reordered = corrupt = wrongrun = 0
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
               foreign=foreign, silent_out=frames_silent,
               into=probes + sent, seconds="%.2f" % secs,
               fps=int(sent / secs) if secs > 0 else 0,
               mbit_s="%.1f" % (nbytes * 8 / secs / 1e6) if secs > 0 else 0)
    if stalled:
        res["stalled_at"] = "%d sent, %d back, no progress for %ds" % (
            sent, rx.data, stall)
    ok = identical and sent == nframes and foreign == 0 and not frames_silent
    why = ("%d/%d frames back out of %s, %s; lost %d, reordered %d, "
           "corrupted %d, duplicated %d; %d foreign out of %s, %d out of %s; "
           "%.1fs, %d frames/s" % (len(back), nframes, names[0],
                                   "identical and in order" if identical
                                   else "NOT the sequence sent",
                                   lost, reordered, corrupt, dup, foreign,
                                   names[0], frames_silent, names[1], secs,
                                   res["fps"]))
    return ok, why, res


# ---- IPv4 frames for DPDK's l3fwd-power -------------------------------------

L3_MAGIC = b"VFIOIRQ0"
L3_SRC_IP = bytes([198, 51, 100, 1])
L3_HDR = struct.Struct("!8sII")        # magic run seq, the UDP payload's start


def ipv4_checksum(hdr):
    s = sum(struct.unpack("!%dH" % (len(hdr) // 2), hdr))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ipv4_frame(dst_mac, dst_ip, run, seq, size):
    """A frame of SIZE bytes to DST_MAC: IPv4 (TTL 64, correct header
    checksum) from 198.51.100.1 to DST_IP (4 bytes), UDP 9 -> 9 without a
    checksum, numbered (RUN, SEQ) payload with pseudo-random content."""
    ip_len = size - 14
    pay = L3_HDR.pack(L3_MAGIC, run, seq)
    pay += random.Random((run << 32) | seq).randbytes(ip_len - 28 - len(pay))
    udp = struct.pack("!HHHH", 9, 9, 8 + len(pay), 0) + pay
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, ip_len, seq & 0xffff, 0x4000,
                     64, 17, 0, L3_SRC_IP, bytes(dst_ip))
    ip = ip[:10] + struct.pack("!H", ipv4_checksum(ip)) + ip[12:]
    return dst_mac + HOST_MAC + b"\x08\x00" + ip + udp


def ipv4_parse(data):
    """(run, seq) of one of ipv4_frame's frames, or None."""
    if len(data) < 42 + L3_HDR.size or data[12:14] != b"\x08\x00":
        return None
    magic, run, seq = L3_HDR.unpack_from(data, 42)
    return (run, seq) if magic == L3_MAGIC else None


def l3fwd_forwarded(data, port, mac):
    """FRAME as DPDK's l3fwd-power sends it out of PORT (its MAC MAC): to
    02:00:00:00:00:PORT from MAC, TTL one less, and the header checksum
    plus one as the example adds it for the TTL (++ of the field read
    little-endian).  Where the example checked the checksum in software it
    left the field zeroed before that (tests/dpdk/README.md, "Interrupts"):
    callers compare the checksum apart."""
    ip = bytearray(data[14:34])
    ip[8] -= 1
    c = (ip[10] | ip[11] << 8) + 1          # ++ of a little-endian u16
    ip[10], ip[11] = c & 0xff, (c >> 8) & 0xff
    dst = bytes([2, 0, 0, 0, 0, port])
    return dst + mac + data[12:14] + bytes(ip) + data[34:]
