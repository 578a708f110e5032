#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the benchmark's measurements into the table of ratios.

    bench/report.py DIR [--smoke]

Reads DIR/runs/*/results.jsonl (bench/guest-bench.sh's lines, one round
on one kernel per directory) and DIR/meta.json; prints the table, writes
DIR/results.md, DIR/results.json and DIR/ratios.png.

Every ratio is "ours / the alternative", ours being VFIO no-IOMMU on the
series kernel (or, on the modular kernel, the device cdev and iommufd).  It
is computed per round, from two numbers measured in the same round (the
same VM for series against UIO and for the modular kernel's rows, the two
VMs of the round for series against upstream), and reported as the median
over the rounds with their minimum and maximum.  Each per-round number is
itself a median (interrupts, open, config reads: over thousands of events;
MMIO, physical addresses, IOAS maps: over the repetitions) or a mean over
the measured window (packet rates).

Beside each ratio stands its A/A floor, the same kind of ratio between two
measurements of the same thing, per round (see floor_of()).  A target is
met when the median ratio is within it, or, failing that, when the ratio
is no further from 1 than the widest per-round A/A ratio is ("within A/A
noise"): such a difference cannot be told from the noise.

With --smoke the targets are not judged; instead TAP says whether every
part produced its numbers on each kernel, and the exit status is 0 only
then.
"""

import glob
import json
import math
import os
import statistics
import sys

KERNELS = ("series", "upstream")
UIO = ("uio_pci_generic", "igb_uio")
S, SAA, U = "series", "series-aa", "upstream"
# The modular kernel: its iommufd parts, and the passes of the cdev part
MOD = "modular"
MG, MC, MGA = "modular/group", "modular/cdev", "modular/group-aa"
PA_KINDS = (("2m", "2 MiB hugepages"), ("4k", "4 KiB pages"))
# The NIC models of the nics part (the e1000s are the data part's).
NIC_MODELS = (("virtio", "virtio-net modern"), ("e1000e", "e1000e"),
              ("vmxnet3", "vmxnet3"))
# The wake part: round trips of the first frames of a pass, while TCG
# translates the code they run through for the first time, are left out.
WAKE_WARMUP = 5
# The wake part's NICs, and what l3fwd-power did on each driver where it
# was not woken by the interrupt: {(kernel, nic, driver): outcome}
WAKE_NICS = (("virtio", "virtio-net modern, MSI-X"),
             ("e1000", "e1000, INTx"), ("e1000e", "e1000e, MSI"))
WAKE_NOT = {}


def load(d):
    recs = []
    for f in sorted(glob.glob(os.path.join(d, "runs", "*", "results.jsonl"))):
        with open(f) as fh:
            for line in fh:
                line = line.strip()
                if not line:
                    continue
                try:
                    recs.append(json.loads(line))
                except json.JSONDecodeError:
                    print("report: bad line in %s: %s" % (f, line[:80]),
                          file=sys.stderr)
    return recs


def metrics(recs):
    """{(kernel, metric): {round: value}}; metric names as in the table."""
    m = {}
    warm = {}

    def put(k, name, r, v):
        if v is None:
            return
        m.setdefault((k, name), {})[r] = v

    for x in recs:
        if "error" in x:
            continue
        k, r, t = x["kernel"], x["round"], x.get("test")
        if "pass" in x:
            k = "%s/%s" % (k, x["pass"])
        if t == "pa":
            kind = x["kind"]
            put(k, "pa/%s/match" % kind, r, 1 if x.get("match") else 0)
            put(k, "pa/%s/mib" % kind, r, x["bytes"] / 2**20)
            put(k, "pa/%s/units" % kind, r, x["units"])
            put(k, "pa/%s/runs" % kind, r, x["runs"])
            for key in ("pagemap", "getpa_page", "getpa_run"):
                put(k, "pa/%s/%s" % (kind, key), r,
                    statistics.median(x[key + "_ns"]))
        elif t == "iomap":
            put(k, "iomap/mib", r, x["bytes"] / 2**20)
            for ioas in ("pinning", "plain"):
                for op in ("map", "unmap"):
                    put(k, "iomap/%s/%s" % (ioas, op), r,
                        statistics.median(x["%s_%s_ns" % (ioas, op)]))
        elif t == "dp":
            nic = "/" + x["nic"] if x.get("nic") else ""
            put(k, "dp/%s/%s%s" % (x["mode"], x["driver"], nic), r,
                statistics.mean(x["pps"]))
        elif t == "wake":
            d = "%s/%s" % (x["driver"], x["nic"])
            if x.get("outcome") == "woken":
                v = [y for y in x["rtt_us"][WAKE_WARMUP:] if y is not None]
                if v:
                    put(k, "wake/median/%s" % d, r, statistics.median(v) * 1e3)
                    put(k, "wake/p99/%s" % d, r,
                        sorted(v)[min(len(v) - 1, int(len(v) * 0.99))] * 1e3)
                put(k, "wake/lost/%s" % d, r, x["lost"])
            elif x.get("outcome") == "polling":
                WAKE_NOT[(k, x["nic"], x["driver"])] = (
                    "runs without the interrupt (polls)")
            else:
                WAKE_NOT[(k, x["nic"], x["driver"])] = "refused: %s" % (
                    (x.get("why") or "no interrupt loop").split(";")[0])
        elif t == "irq":
            mech = {"vfio-msi": "vfio-msi", "vfio-intx": "vfio-intx"}.get(
                x["mech"], x.get("driver", "uio"))
            put(k, "irq/median/%s" % mech, r, x["latency_ns"]["median"])
            put(k, "irq/p99/%s" % mech, r, x["latency_ns"]["p99"])
            put(k, "irq/ok/%s" % mech, r,
                1 if x["delivered"] >= x["raised"] else 0)
        elif t == "open":
            put(k, "open/%s" % x.get("driver", x["mech"]), r,
                x["setup_ns"]["median"])
            put(k, "close/%s" % x.get("driver", x["mech"]), r,
                x["teardown_ns"]["median"])
        elif t == "cfg":
            put(k, "cfg/vfio", r, x["vfio_ns"]["median"])
            put(k, "cfg/sysfs", r, x["sysfs_ns"]["median"])
        elif t == "mmio":
            for key in ("vfio_read", "sysfs_read", "vfio_write", "sysfs_write"):
                put(k, "mmio/%s" % key, r,
                    statistics.median(x[key + "_ops_s"]))
        elif t == "bind":
            n = x["n"]
            if x.get("cycle", 0) == 0:
                put(k, "bind/cold/%d" % n, r, x["bind_ns"])
                put(k, "bind/slab/%d" % n, r, x["mem_kb"]["Slab"] / n)
                put(k, "bind/used/%d" % n, r, x["mem_kb"]["used"] / n)
            else:
                warm.setdefault((k, "bind/time/%d" % n, r), []).append(x["bind_ns"])
        elif t == "unbind":
            warm.setdefault((k, "unbind/time", r), []).append(x["unbind_ns"])
    # Rebinding cycles: the median of the round's cycles.
    for (k, name, r), v in warm.items():
        put(k, name, r, statistics.median(v))
    return m


def fmt(unit, v):
    if v is None:
        return "-"
    if unit == "pps":
        return "%.1f kpps" % (v / 1e3)
    if unit == "ns":
        return "%.1f µs" % (v / 1e3) if v < 1e6 else "%.2f ms" % (v / 1e6)
    if unit == "kB":
        return "%.1f kB" % v
    if unit == "ops":
        return "%.1f M/s" % (v / 1e6)
    return "%g" % v


def spread(unit, vals):
    if not vals:
        return "-"
    med = statistics.median(vals)
    if len(vals) == 1:
        return fmt(unit, med)
    return "%s [%s–%s]" % (fmt(unit, med), fmt(unit, min(vals)),
                           fmt(unit, max(vals)))


class Cmp:
    """One row: ours / alternative, paired per round."""

    def __init__(self, part, label, unit, higher, ours, alt, target=None,
                 target_text="", paired=True, floor=None):
        self.part, self.label, self.unit, self.higher = part, label, unit, higher
        self.ours, self.alt = ours, alt          # (kernel, metric)
        self.target, self.target_text = target, target_text
        self.paired = paired
        # The A/A floor: (mode, {kernel: its A/A twin}), see floor_of()
        self.floor = floor

    def evaluate(self, m):
        o = m.get(self.ours, {})
        a = m.get(self.alt, {})
        self.ours_vals = [o[r] for r in sorted(o)]
        self.alt_vals = [a[r] for r in sorted(a)]
        self.rounds = sorted(set(o) & set(a))
        if self.paired:
            self.ratios = [o[r] / a[r] for r in self.rounds if a[r] != 0]
        else:
            # Unpaired: the ratio of the medians, no per-round ratios.
            self.rounds = []
            om = statistics.median(self.ours_vals) if self.ours_vals else None
            am = statistics.median(self.alt_vals) if self.alt_vals else None
            self.ratios = [om / am] if om is not None and am else []
        if self.ratios:
            self.ratio = statistics.median(self.ratios)
            self.rmin, self.rmax = min(self.ratios), max(self.ratios)
        else:
            self.ratio = self.rmin = self.rmax = None
        self.floors = floor_of(self, m)
        if self.floors:
            self.fmed = statistics.median(self.floors)
            self.fmin, self.fmax = min(self.floors), max(self.floors)
            self.fdev = max(abs(f - 1) for f in self.floors)
        else:
            self.fmed = self.fmin = self.fmax = self.fdev = None
        self.met = None
        self.in_noise = False
        if self.target is not None:
            if self.ratio is not None:
                self.met = (self.ratio >= self.target if self.higher
                            else self.ratio <= self.target)
                if (not self.met and self.fdev is not None and
                        abs(self.ratio - 1) <= self.fdev):
                    self.met = self.in_noise = True
            elif self.ours_vals and self.alt_vals:
                # A zero denominator (memory deltas): compare the medians.
                om = statistics.median(self.ours_vals)
                am = statistics.median(self.alt_vals)
                self.met = om >= am if self.higher else om <= am
        return self

    def spans_target(self):
        """Whether the rounds fall on both sides of the target: per-round
        ratios, or for unpaired rows overlapping ranges of values."""
        if self.target is None or self.ratio is None:
            return False
        if not self.paired:
            return (bool(self.ours_vals) and bool(self.alt_vals) and
                    min(self.ours_vals) <= max(self.alt_vals) and
                    min(self.alt_vals) <= max(self.ours_vals))
        return self.rmin < self.target < self.rmax

    def met_text(self, smoke, md):
        if not self.target_text:
            return ""
        if smoke:
            return "not judged (smoke)" if md else "-"
        if self.met is None:
            return "no data"
        word = "yes" if self.met else "NO"
        if md:
            word = "**%s**" % word
        if self.in_noise:
            word += " (within A/A noise)"
        elif self.spans_target():
            word += (" (rounds on both sides)" if self.paired else
                     " (ranges overlap)")
        return word

    def ratio_text(self):
        if self.ratio is None:
            return "-"
        if not self.paired:
            return "%.3f (of medians)" % self.ratio
        if len(self.ratios) == 1:
            return "%.3f" % self.ratio
        return "%.3f [%.3f–%.3f]" % (self.ratio, self.rmin, self.rmax)

    def floor_text(self):
        if self.fmed is None:
            return "-"
        if len(self.floors) == 1:
            return "%.3f" % self.fmed
        return "%.3f [%.3f–%.3f]" % (self.fmed, self.fmin, self.fmax)

    def json(self):
        return {
            "part": self.part, "comparison": self.label, "unit": self.unit,
            "higher_is_better": self.higher,
            "ours": {"kernel": self.ours[0], "metric": self.ours[1],
                     "per_round": self.ours_vals},
            "alternative": {"kernel": self.alt[0], "metric": self.alt[1],
                            "per_round": self.alt_vals},
            "paired": self.paired, "paired_rounds": self.rounds,
            "ratios": self.ratios if self.paired else [],
            "ratio_median": self.ratio, "ratio_min": self.rmin,
            "ratio_max": self.rmax, "target": self.target_text or None,
            "met": self.met, "met_within_aa_noise": self.in_noise,
            "aa_floor": ({"mode": self.floor[0], "twins": self.floor[1],
                          "per_round": self.floors, "median": self.fmed,
                          "min": self.fmin, "max": self.fmax,
                          "max_deviation": self.fdev}
                         if self.floor else None),
        }


def floor_of(c, m):
    """The A/A floor of row C, per round: a ratio between two measurements
    of the same thing, to set beside C's ratios.

    ("replace", TWINS): the row's own ratio with each kernel in TWINS
    replaced by its twin: series / upstream becomes series / series-aa,
    cdev / group becomes group-aa / group.
    ("repro", TWINS): for a ratio measured inside one VM (series against
    UIO, VFIO against sysfs), how far it moves between two identical boots:
    the ratio in the series VM over the same ratio in the series-aa VM.
    Unpaired rows (memory) use the medians over the rounds instead."""
    if not c.floor:
        return []
    mode, twins = c.floor

    def vals(key):
        return m.get(key, {})

    o, a = vals(c.ours), vals(c.alt)
    o2 = vals((twins.get(c.ours[0], c.ours[0]), c.ours[1]))
    a2 = vals((twins.get(c.alt[0], c.alt[0]), c.alt[1]))
    if not c.paired:
        med = [statistics.median(v.values()) if v else None
               for v in (o, a, o2, a2)]
        o, a, o2, a2 = [{0: x} if x is not None else {} for x in med]
    out = []
    for r in sorted(set(o) & set(a) & set(o2) & set(a2)):
        if not a2[r] or not a[r] or (mode == "repro" and not o2[r]):
            continue
        f = o2[r] / a2[r]
        if mode == "repro":
            f = (o[r] / a[r]) / f
        out.append(f)
    return out


def best_uio(m, fmtname, higher):
    """The UIO driver with the better median for metric FMTNAME % driver."""
    best, bv = None, None
    for d in UIO:
        vals = list(m.get(("series", fmtname % d), {}).values())
        if not vals:
            continue
        v = statistics.median(vals)
        if bv is None or (v > bv if higher else v < bv):
            best, bv = d, v
    return best or UIO[0]


def comparisons(m):
    S, U = "series", "upstream"
    c = []
    for mode, name in (("txonly", "txonly, 1 NIC"), ("io", "io fwd, 2 NICs")):
        key = "dp/%s/%%s" % mode
        b = best_uio(m, key, True)
        c.append(Cmp("data path", "%s: vfio series / vfio upstream" % name,
                     "pps", True, (S, key % "vfio-pci"), (U, key % "vfio-pci"),
                     0.98, ">= 0.98"))
        c.append(Cmp("data path", "%s: vfio series / best UIO (%s)" % (name, b),
                     "pps", True, (S, key % "vfio-pci"), (S, key % b),
                     0.98, ">= 0.98"))
        other = [d for d in UIO if d != b][0]
        c.append(Cmp("data path", "%s: vfio series / %s" % (name, other),
                     "pps", True, (S, key % "vfio-pci"), (S, key % other)))
    # The other NIC models, where the run measured them (the nics part
    # runs in the first rounds of make bench, not in the smoke).
    for nic, label in NIC_MODELS:
        key = "dp/io/%%s/%s" % nic
        if not any(name == key % "vfio-pci" for _, name in m):
            continue
        name = "io fwd, 2 %s" % label
        c.append(Cmp("data path", "%s: vfio series / vfio upstream" % name,
                     "pps", True, (S, key % "vfio-pci"), (U, key % "vfio-pci"),
                     0.98, ">= 0.98"))
        c.append(Cmp("data path", "%s: vfio series / uio_pci_generic" % name,
                     "pps", True, (S, key % "vfio-pci"),
                     (S, key % "uio_pci_generic"), 0.98, ">= 0.98"))
    # l3fwd-power woken by each frame: a ratio where both sides were
    # woken by the interrupt, else the row says what the other side did.
    for nic, label in WAKE_NICS:
        for q in ("median", "p99"):
            key = "wake/%s/%%s/%s" % (q, nic)
            what = "l3fwd-power, %s, a frame's round trip, %s" % (label, q)
            for k, drv, alt in ((U, "vfio-pci", "vfio upstream"),
                                (S, "igb_uio", "igb_uio")):
                if (k, nic, drv) in WAKE_NOT:
                    if q == "median":
                        c.append(Cmp("wake-up", "%s: vfio series / %s, which "
                                     "%s" % (what, alt, WAKE_NOT[(k, nic, drv)]),
                                     "ns", False, (S, key % "vfio-pci"),
                                     (k, key % drv)))
                    continue
                if (S, key % "vfio-pci") not in m and (k, key % drv) not in m:
                    continue
                target = ()
                if q == "median":
                    target = (1.05, "<= 1.05") if k == U else (1.0, "<= 1.00")
                c.append(Cmp("wake-up", "%s: vfio series / %s" % (what, alt),
                             "ns", False, (S, key % "vfio-pci"),
                             (k, key % drv), *target))
    c.append(Cmp("interrupts", "median: vfio MSI series / vfio MSI upstream",
                 "ns", False, (S, "irq/median/vfio-msi"),
                 (U, "irq/median/vfio-msi"), 1.05, "<= 1.05"))
    for d, what in (("uio_pci_generic", "INTx"), ("igb_uio", "MSI")):
        c.append(Cmp("interrupts", "median: vfio MSI series / %s %s" % (d, what),
                     "ns", False, (S, "irq/median/vfio-msi"),
                     (S, "irq/median/%s" % d), 1.0, "<= 1.00"))
    c.append(Cmp("interrupts", "p99: vfio MSI series / vfio MSI upstream",
                 "ns", False, (S, "irq/p99/vfio-msi"), (U, "irq/p99/vfio-msi")))
    for d in UIO:
        c.append(Cmp("interrupts", "p99: vfio MSI series / %s" % d, "ns", False,
                     (S, "irq/p99/vfio-msi"), (S, "irq/p99/%s" % d)))
    c.append(Cmp("interrupts", "median: vfio INTx series / uio_pci_generic INTx",
                 "ns", False, (S, "irq/median/vfio-intx"),
                 (S, "irq/median/uio_pci_generic")))
    c.append(Cmp("control", "open to mapped BAR0: vfio series / vfio upstream",
                 "ns", False, (S, "open/vfio-pci"), (U, "open/vfio-pci")))
    for d in UIO:
        c.append(Cmp("control", "open to mapped BAR0: vfio series / %s" % d,
                     "ns", False, (S, "open/vfio-pci"), (S, "open/%s" % d)))
    c.append(Cmp("control", "close: vfio series / vfio upstream", "ns", False,
                 (S, "close/vfio-pci"), (U, "close/vfio-pci")))
    c.append(Cmp("control", "config read: VFIO region / sysfs config (series)",
                 "ns", False, (S, "cfg/vfio"), (S, "cfg/sysfs")))
    c.append(Cmp("control", "config read: VFIO region series / upstream",
                 "ns", False, (S, "cfg/vfio"), (U, "cfg/vfio")))
    for n in (1, 8, 32):
        c.append(Cmp("scale", "bind %d edus (rebinding): time series / upstream" % n,
                     "ns", False, (S, "bind/time/%d" % n), (U, "bind/time/%d" % n)))
    c.append(Cmp("scale", "bind 32 edus, first of the boot: time series / upstream",
                 "ns", False, (S, "bind/cold/32"), (U, "bind/cold/32")))
    # Memory: the target is judged at N=32, where the granularity of the
    # counters (whole slab pages; free pages move to and from per-CPU lists
    # in batches) weighs least per device.  Unpaired: each boot's deltas
    # are independent of the other kernel's in the same round, and can be
    # 0 or negative, which per-round ratios cannot carry.
    for n in (1, 8, 32):
        c.append(Cmp("scale", "N=%d: Slab per bound device series / upstream" % n,
                     "kB", False, (S, "bind/slab/%d" % n), (U, "bind/slab/%d" % n),
                     *((1.0, "<= 1.00") if n == 32 else ()), paired=False))
    c.append(Cmp("scale", "N=32: MemTotal-MemAvailable per device series / upstream",
                 "kB", False, (S, "bind/used/32"), (U, "bind/used/32"),
                 paired=False))
    c.append(Cmp("scale", "unbind 32 (rebinding): time series / upstream", "ns", False,
                 (S, "unbind/time"), (U, "unbind/time")))
    for op in ("read", "write"):
        c.append(Cmp("mmio", "%s rate: VFIO BAR map / sysfs resource0 (series)" % op,
                     "ops", True, (S, "mmio/vfio_%s" % op), (S, "mmio/sysfs_%s" % op)))
    c.append(Cmp("mmio", "read rate: VFIO BAR map series / upstream", "ops", True,
                 (S, "mmio/vfio_read"), (U, "mmio/vfio_read")))
    c.append(Cmp("mmio", "read rate: sysfs resource0 series / upstream", "ops", True,
                 (S, "mmio/sysfs_read"), (U, "mmio/sysfs_read")))
    # The A/A floor of the series kernel's rows: the A/A run in place of
    # upstream; for ratios inside the series VM, their reproduction in the
    # A/A run.
    for x in c:
        if x.alt[0] == U:
            x.floor = ("replace", {U: SAA})
        else:
            x.floor = ("repro", {S: SAA})

    # The modular kernel: physical addresses, IOAS maps, cdev against group.
    def size(metric, what):
        v = list(m.get((MOD, metric), {}).values())
        return "%g MiB of %s" % (statistics.median(v), what) if v else what

    for kind, what in PA_KINDS:
        sz = size("pa/%s/mib" % kind, what)
        unit = "hugepage" if kind == "2m" else "page"
        c.append(Cmp("phys addr", "%s: GET_PA per %s / pagemap per %s" % (
            sz, unit, unit), "ns", False, (MOD, "pa/%s/getpa_page" % kind),
            (MOD, "pa/%s/pagemap" % kind)))
        runs = sorted(m.get((MOD, "pa/%s/runs" % kind), {}).values())
        runs = ("%d" % runs[0] if runs[0] == runs[-1] else
                "%d-%d" % (runs[0], runs[-1])) if runs else "?"
        c.append(Cmp("phys addr", "%s: GET_PA per contiguous run (runs: %s) / "
                     "pagemap per %s" % (sz, runs, unit), "ns", False,
                     (MOD, "pa/%s/getpa_run" % kind),
                     (MOD, "pa/%s/pagemap" % kind)))
    sz = size("iomap/mib", "4 KiB pages")
    for op in ("map", "unmap"):
        c.append(Cmp("IOAS map", "%s %s: IOAS with a no-IOMMU device (pins) / "
                     "IOAS without device" % (op, sz), "ns", False,
                     (MOD, "iomap/pinning/%s" % op), (MOD, "iomap/plain/%s" % op)))
    cdev = []
    cdev.append(Cmp("cdev", "interrupt median, vfio MSI: cdev / group", "ns",
                    False, (MC, "irq/median/vfio-msi"), (MG, "irq/median/vfio-msi"),
                    1.02, "<= 1.02"))
    cdev.append(Cmp("cdev", "interrupt p99, vfio MSI: cdev / group", "ns",
                    False, (MC, "irq/p99/vfio-msi"), (MG, "irq/p99/vfio-msi")))
    cdev.append(Cmp("cdev", "open to mapped BAR0: cdev / group", "ns", False,
                    (MC, "open/vfio-pci"), (MG, "open/vfio-pci"), 1.02, "<= 1.02"))
    cdev.append(Cmp("cdev", "close: cdev / group", "ns", False,
                    (MC, "close/vfio-pci"), (MG, "close/vfio-pci")))
    cdev.append(Cmp("cdev", "config read: cdev / group", "ns", False,
                    (MC, "cfg/vfio"), (MG, "cfg/vfio"), 1.02, "<= 1.02"))
    for op in ("read", "write"):
        cdev.append(Cmp("cdev", "MMIO %s rate: cdev / group" % op, "ops", True,
                        (MC, "mmio/vfio_%s" % op), (MG, "mmio/vfio_%s" % op),
                        0.98, ">= 0.98"))
    for x in cdev:
        x.floor = ("replace", {MC: MGA})
    c += cdev
    return [x.evaluate(m) for x in c]


# What every round must have produced (the smoke checks these).
def expected():
    e = []
    for k in KERNELS:
        drivers = ["vfio-pci"] + (list(UIO) if k == "series" else [])
        for d in drivers:
            for mode in ("txonly", "io"):
                e.append((k, "dp/%s/%s" % (mode, d)))
        e += [(k, "wake/median/vfio-pci/%s" % nic) for nic, _ in WAKE_NICS]
        for mech in ["vfio-msi", "vfio-intx"] + (list(UIO) if k == "series" else []):
            e.append((k, "irq/median/%s" % mech))
        for d in drivers:
            e.append((k, "open/%s" % d))
        e += [(k, "cfg/vfio"), (k, "cfg/sysfs"), (k, "mmio/vfio_read"),
              (k, "mmio/sysfs_read"), (k, "mmio/vfio_write"),
              (k, "mmio/sysfs_write")]
        e += [(k, "bind/time/%d" % n) for n in (1, 8, 32)]
        e += [(k, "bind/cold/%d" % n) for n in (1, 8, 32)]
        e += [(k, "bind/slab/%d" % n) for n in (1, 8, 32)]
    for kind, _ in PA_KINDS:
        e += [(MOD, "pa/%s/%s" % (kind, key))
              for key in ("match", "pagemap", "getpa_page", "getpa_run")]
    e += [(MOD, "iomap/%s/%s" % (ioas, op))
          for ioas in ("pinning", "plain") for op in ("map", "unmap")]
    for k in (MG, MC, MGA):
        e += [(k, "irq/median/vfio-msi"), (k, "open/vfio-pci"), (k, "cfg/vfio"),
              (k, "mmio/vfio_read"), (k, "mmio/vfio_write")]
    return e


def table(cmps, smoke):
    head = ("| part | comparison (ours / alternative) | ours | alternative "
            "| ratio | A/A floor | better | target | met |")
    lines = [head, "|" + "---|" * 9]
    for c in cmps:
        met = c.met_text(smoke, True)
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            c.part, c.label, spread(c.unit, c.ours_vals),
            spread(c.unit, c.alt_vals), c.ratio_text(), c.floor_text(),
            "higher" if c.higher else "lower", c.target_text, met))
    return "\n".join(lines)


def text_table(cmps, smoke):
    rows = [("part", "comparison (ours / alternative)", "ours (median)",
             "alternative", "ratio [min-max]", "A/A floor", "target", "met")]
    for c in cmps:
        med = lambda v: fmt(c.unit, statistics.median(v)) if v else "-"
        met = c.met_text(smoke, False)
        rows.append((c.part, c.label, med(c.ours_vals), med(c.alt_vals),
                     c.ratio_text().replace("–", "-"),
                     c.floor_text().replace("–", "-"), c.target_text, met))
    w = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for i, r in enumerate(rows):
        out.append("  ".join(s.ljust(w[j]) for j, s in enumerate(r)).rstrip())
        if i == 0:
            out.append("  ".join("-" * x for x in w))
    return "\n".join(out)


def chart(cmps, path, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # A log axis cannot show a ratio <= 0 (a memory delta of 0 over N>0).
    rows = [c for c in cmps if c.ratio is not None and c.rmin > 0]
    fig, ax = plt.subplots(figsize=(13, 0.32 * len(rows) + 1.8))
    ys = list(range(len(rows)))[::-1]
    for y, c in zip(ys, rows):
        if c.met is True:
            color = "#2e8b57"
        elif c.met is False:
            color = "#c0392b"
        else:
            color = "#7f8c8d"
        # bars grow from 1 (no difference) towards the ratio
        ax.barh(y, c.ratio - 1.0, color=color, height=0.6, left=1.0)
        if len(c.ratios) > 1:
            ax.plot([c.rmin, c.rmax], [y, y], color="black", lw=1.2)
            ax.plot([c.rmin] * 2, [y - 0.15, y + 0.15], color="black", lw=1.2)
            ax.plot([c.rmax] * 2, [y - 0.15, y + 0.15], color="black", lw=1.2)
        ax.text(max(c.rmax, c.ratio) * 1.06, y, "%.3f" % c.ratio,
                va="center", fontsize=7)
    ax.set_xscale("log")
    ax.axvline(1.0, color="black", lw=0.8, ls="--")
    ax.set_yticks(ys)
    ax.set_yticklabels(["%s: %s (%s is better%s)" % (
        c.part, c.label, "higher" if c.higher else "lower",
        "" if c.paired else "; ratio of medians") for c in rows], fontsize=7)
    lo = min(min(c.rmin, c.ratio) for c in rows)
    hi = max(max(c.rmax, c.ratio) for c in rows)
    ax.set_xlim(min(0.5, lo / 1.3), max(2.0, hi * 1.6))
    ax.set_xlabel("ratio ours / alternative (log scale); bar: median over "
                  "rounds, whisker: min-max; green/red: target met/missed, "
                  "grey: no target")
    ax.set_title(title, fontsize=9)
    ax.grid(axis="x", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    smoke = "--smoke" in sys.argv[1:]
    if len(args) != 1:
        sys.exit("usage: report.py DIR [--smoke]")
    d = args[0]
    meta = {}
    try:
        with open(os.path.join(d, "meta.json")) as f:
            meta = json.load(f)
    except (OSError, json.JSONDecodeError):
        pass
    recs = load(d)
    errors = [x for x in recs if "error" in x]
    m = metrics(recs)
    cmps = comparisons(m)
    if smoke:
        for c in cmps:
            c.met = None
    rounds = sorted({x["round"] for x in recs})

    title = ("VFIO no-IOMMU (series) against Debian's upstream no-IOMMU and "
             "UIO, and the device cdev against the group (modular kernel): "
             "%d round(s)%s; QEMU TCG" % (len(rounds),
                                         ", SMOKE sizes" if smoke else ""))
    judged = [c for c in cmps if c.target_text]
    summary = ("targets met: %d of %d (%d of them within A/A noise only)" % (
        sum(1 for c in judged if c.met), len(judged),
        sum(1 for c in judged if c.in_noise))
               if not smoke else "targets not judged (smoke)")
    print()
    print(title)
    print(text_table(cmps, smoke))
    print(summary)
    if errors:
        print("errors reported by the guest:")
        for x in errors:
            print("  %s round %s: %s: %s" % (x["kernel"], x["round"],
                                             x.get("test"), x["error"]))

    md = ["# Benchmark: VFIO no-IOMMU mode", "",
          title + ".", "",
          "Ratio = ours (VFIO no-IOMMU on the series kernel) / the "
          "alternative, computed per round from numbers measured in the same "
          "round, then the median [min–max] over the rounds.  \"ours\" and "
          "\"alternative\" are the medians [min–max] of the per-round "
          "values.  Under TCG absolute times mean little; the ratios are "
          "the result.", "",
          "A/A floor: the same kind of ratio between two measurements of the "
          "same thing in the same round, median [min–max]: for series / "
          "upstream, series / series-aa (the series kernel booted again in "
          "the round); for ratios inside the series VM (against UIO, VFIO "
          "against sysfs), the ratio in the series VM over the same ratio in "
          "the series-aa VM; for the cdev rows, group-aa / group (the group "
          "path measured again in the same VM).  A target is met when the "
          "median ratio is within it, or else when it is no further from 1 "
          "than the widest per-round A/A ratio (\"within A/A noise\").  No "
          "floor (\"-\"): no A/A measurement in this run.", "",
          table(cmps, smoke), "", summary + ".", ""]
    if meta:
        md += ["Run: %s s, host load average %s at the start and %s at the "
               "end, %s host CPUs; %s; DPDK %s; VM: %s; modular kernel's VM: "
               "%s; A/A run of the series kernel: %s." % (
                   meta.get("seconds"), meta.get("host_loadavg_start"),
                   meta.get("host_loadavg_end"), meta.get("host_cpus"),
                   meta.get("qemu"), meta.get("dpdk"), meta.get("vm"),
                   meta.get("vm_modular", "-"),
                   "yes" if meta.get("aa") else "no"), ""]
        if meta.get("failed_runs"):
            md += ["Runs that failed: %s." % ", ".join(meta["failed_runs"]), ""]
    with open(os.path.join(d, "results.md"), "w") as f:
        f.write("\n".join(md))

    out = {"meta": meta, "rounds": rounds, "smoke": smoke,
           "comparisons": [c.json() for c in cmps],
           "metrics": {"%s:%s" % k: v for k, v in sorted(m.items())},
           "errors": errors, "records": recs}
    with open(os.path.join(d, "results.json"), "w") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)

    try:
        chart(cmps, os.path.join(d, "ratios.png"), title)
    except ImportError as e:
        print("report: no chart (%s; apt-get install python3-matplotlib)" % e,
              file=sys.stderr)
    print("written: %s/results.md, results.json, ratios.png" % d)

    if smoke:
        exp = expected()
        print("1..%d" % (len(exp) + 2))
        bad = 0
        for i, (k, name) in enumerate(exp, 1):
            vals = list(m.get((k, name), {}).values())
            okv = bool(vals) and all(isinstance(v, (int, float)) and
                                     math.isfinite(v) and
                                     (v > 0 or name.startswith("bind/slab"))
                                     for v in vals)
            if name.startswith("irq/median/"):
                okv = okv and all(m.get((k, "irq/ok/" + name.split("/")[2]),
                                        {}).values())
            print("%s %d - %s: %s measured" % ("ok" if okv else "not ok", i,
                                               k, name))
            bad += not okv
        okc = bool(cmps) and all(c.ratio is not None or not c.target_text or
                                 c.unit == "kB" for c in cmps)
        print("%s %d - every comparison has a ratio" % ("ok" if okc else "not ok",
                                                        len(exp) + 1))
        bad += not okc
        # The smoke has no series-aa run; the cdev rows' floor comes from
        # the modular VM itself.
        okf = all(c.fmed is not None for c in cmps if c.part == "cdev")
        print("%s %d - every cdev row has its A/A floor (group-aa / group)" % (
            "ok" if okf else "not ok", len(exp) + 2))
        bad += not okf
        print("# %d passed, %d failed" % (len(exp) + 2 - bad, bad))
        return 1 if bad or errors else 0
    return 1 if errors or not recs else 0


if __name__ == "__main__":
    sys.exit(main())
