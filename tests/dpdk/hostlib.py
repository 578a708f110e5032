# SPDX-License-Identifier: GPL-2.0
"""Shared pieces of the DPDK suites' host-side programs (txonly-host.py,
iofwd-host.py): progress lines, the handshake with the guest through
$VM_OUT/sync, and a guard against another VM on the same UDP ports."""

import os
import time

T0 = time.monotonic()


def log(msg):
    """A progress line with the seconds since the program started."""
    print("[%6.1fs] %s" % (time.monotonic() - T0, msg), flush=True)


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
                    "suite's UDP ports (run it with tests/dpdk/run-suite.sh, "
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
