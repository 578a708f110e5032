#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Send one command to a QEMU QMP socket (vm/run-vm.sh --qmp SOCKET).

    vm/qmp.py SOCKET COMMAND [JSON-ARGUMENTS]
    vm/qmp.py SOCKET hmp 'HUMAN MONITOR COMMAND'

Examples, from a --host-cmd on the host:

    vm/qmp.py "$VM_QMP" device_del '{"id": "nic1"}'
    vm/qmp.py "$VM_QMP" device_add \\
        '{"driver": "e1000", "id": "nic1", "bus": "rp0", "netdev": "nic1-net"}'
    vm/qmp.py "$VM_QMP" hmp 'info pci'

Prints the "return" value as JSON (or the text of an hmp command) and exits
0, or prints the error and exits 1.  Waits up to --wait seconds (default 10)
for the socket to appear.  With --event NAME it then waits up to --wait
seconds for that event, e.g. DEVICE_DELETED after device_del.
"""

import argparse
import json
import os
import socket
import sys
import time


def connect(path, wait):
    end = time.monotonic() + wait
    while True:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            return s
        except OSError:
            s.close()
            if time.monotonic() >= end:
                raise
            time.sleep(0.1)


class Monitor:
    def __init__(self, sock):
        self.file = sock.makefile("rw")
        self.events = []
        json.loads(self.file.readline())        # the greeting
        self.execute("qmp_capabilities")

    def read(self):
        line = self.file.readline()
        if not line:
            raise EOFError("QMP connection closed")
        return json.loads(line)

    def execute(self, cmd, args=None):
        msg = {"execute": cmd}
        if args:
            msg["arguments"] = args
        self.file.write(json.dumps(msg) + "\n")
        self.file.flush()
        while True:
            reply = self.read()
            if "event" in reply:
                self.events.append(reply)
                continue
            return reply

    def wait_event(self, name, wait):
        end = time.monotonic() + wait
        while True:
            for ev in self.events:
                if ev["event"] == name:
                    return ev
            self.events.clear()
            left = end - time.monotonic()
            if left <= 0:
                return None
            try:
                self.events.append(self.read())
            except (OSError, ValueError):
                return None


def main():
    ap = argparse.ArgumentParser(description="Send one QMP command.")
    ap.add_argument("socket")
    ap.add_argument("command")
    ap.add_argument("arguments", nargs="?", default=None)
    ap.add_argument("--wait", type=float, default=10.0)
    ap.add_argument("--event", default=None)
    opt = ap.parse_args()

    sock = connect(opt.socket, opt.wait)
    mon = Monitor(sock)
    if opt.command == "hmp":
        reply = mon.execute("human-monitor-command",
                            {"command-line": opt.arguments or ""})
    else:
        args = json.loads(opt.arguments) if opt.arguments else None
        reply = mon.execute(opt.command, args)
    if "error" in reply:
        print("error: %s" % reply["error"].get("desc", reply["error"]),
              file=sys.stderr)
        return 1
    ret = reply.get("return")
    if opt.command == "hmp":
        sys.stdout.write(ret or "")
    else:
        print(json.dumps(ret))
    if opt.event:
        sock.settimeout(opt.wait)
        ev = mon.wait_event(opt.event, opt.wait)
        if ev is None:
            print("error: no %s event within %gs" % (opt.event, opt.wait),
                  file=sys.stderr)
            return 1
        print(json.dumps(ev))
    return 0


if __name__ == "__main__":
    sys.exit(main())
