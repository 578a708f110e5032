// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-fuzz: a bounded, seeded ioctl fuzzer for VFIO in no-IOMMU mode.
 *
 *   vfio-fuzz [--seed N] [--iterations N] [--progress N] [--verbose] BDF...
 *
 * Each BDF must be bound to vfio-pci in a no-IOMMU group.  The fuzzer opens
 * every group the way DPDK does (group, container, VFIO_NOIOMMU_IOMMU,
 * device fd), then runs ITERATIONS operations chosen by a PRNG seeded with
 * N (default: from the clock; always printed first, so any run can be
 * repeated with --seed):
 *
 *   - VFIO ioctls on the device, group and container fds, built from the
 *     real structures but with random argsz, flags, indices, counts and
 *     fds, and with the argument pointer sometimes NULL, unmapped,
 *     misaligned, read-only, straddling a guard page, or in the kernel;
 *   - SET_CONTAINER with odd fds, SET_IOMMU with every type, GET_DEVICE_FD
 *     with wrong, empty, long and unterminated names;
 *   - raw ioctls: VFIO numbers with wrong direction/size bits, and random
 *     commands, on any of the fds (and on the module parameter's file);
 *   - reads, writes and mmaps of the device regions at random offsets;
 *   - writes of random strings to enable_unsafe_noiommu_mode;
 *   - closing and reopening devices, groups and containers, and forking
 *     children that use the inherited fds and exit;
 *   - where the kernel gives no-IOMMU devices a device cdev
 *     (/dev/vfio/devices/noiommu-vfioN) and has iommufd: opening, binding
 *     with any fd, attaching to and detaching from IOAS IDs and others,
 *     IOAS allocation, destruction, maps and unmaps of the fuzzer's own
 *     buffer, IOMMU_IOAS_NOIOMMU_GET_PA with random IOVAs, lengths, flags
 *     and pointers, hot-reset info on the cdev.
 *
 * What the device can be made to do is bounded, so that only the kernel's
 * robustness is tested, not the no-IOMMU mode's documented lack of DMA
 * protection: writes to BARs go only to registers on an allowlist (edu:
 * liveness, factorial, status, interrupt raise/ack, never its DMA
 * registers; e1000: interrupt and receive-filter registers, never its
 * I/O-port window or DMA engines), through a device's own fds only;
 * ioeventfds follow the same allowlist, and random ioctls cannot register
 * one; config space writes never set Bus Master Enable, so even a DMA
 * started by accident would reach no memory.
 *
 * A few answers are checked as they come ("violations"): a no-IOMMU
 * container must refuse DMA mapping and other IOMMU types, a group must
 * not hand out a device it does not hold; GET_PA must refuse nonzero
 * flags, keep the IOVA's offset in the page and report no more than it
 * was asked for; a bound cdev must refuse hot-reset info.  The end: a table of results,
 * "iterations N", "violations N"; exit 0 unless setup failed (2) or a
 * violation was seen (1).  Kernel splats are the harness's business.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <getopt.h>
#include <setjmp.h>
#include <signal.h>
#include <linux/iommufd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "vfio-util.h"

#define PARAM "/sys/module/vfio/parameters/enable_unsafe_noiommu_mode"
#define MAX_DEVS 4
#define MAX_EXTRA 3
#define BUF_SIZE (64 * 1024)

/* ---- PRNG (xorshift64*, seeded through splitmix64) ---------------------- */

static uint64_t rs;

static uint64_t rnd(void)
{
	rs ^= rs >> 12;
	rs ^= rs << 25;
	rs ^= rs >> 27;
	return rs * 0x2545f4914f6cdd1dULL;
}

static void seed_prng(uint64_t seed)
{
	uint64_t z = seed + 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	rs = z ^ (z >> 31);
	if (!rs)
		rs = 1;
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static int chance(unsigned int pct)
{
	return below(100) < pct;
}

/* A 32-bit value that likes boundaries. */
static uint32_t pick_u32(void)
{
	static const uint32_t edge[] = {
		0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 0xff, 0x100, 0x1000,
		0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
	};

	if (chance(60))
		return edge[below(sizeof(edge) / sizeof(edge[0]))];
	return (uint32_t)rnd();
}

static uint64_t pick_u64(void)
{
	switch (below(4)) {
	case 0: return pick_u32();
	case 1: return ~0ULL - below(16);
	case 2: return 1ULL << below(64);
	default: return rnd();
	}
}

/* ---- memory for arguments ------------------------------------------------ */

static char *buf;		/* BUF_SIZE bytes, read-write */
static char *guard;		/* PROT_NONE page right after buf */
static char *ro_page;		/* read-only page */
static char *unmapped;		/* a page that was unmapped */

static void setup_memory(void)
{
	long ps = getpagesize();
	char *m;

	m = mmap(NULL, BUF_SIZE + 3 * ps, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		vu_die("mmap: %s", vu_errname(errno));
	ro_page = m;
	memset(ro_page, 0x41, ps);
	buf = m + ps;
	guard = buf + BUF_SIZE;
	unmapped = guard + ps;
	if (mprotect(ro_page, ps, PROT_READ) || mprotect(guard, ps, PROT_NONE) ||
	    munmap(unmapped, ps))
		vu_die("mprotect: %s", vu_errname(errno));
}

enum ptr_kind { P_BUF, P_NULL, P_UNMAPPED, P_MISALIGNED, P_READONLY,
		P_STRADDLE, P_KERNEL, P_NONCANON, P_NKINDS };

/*
 * Where an ioctl's structure goes: usually a good buffer holding DATA, now
 * and then a bad pointer.  BAD_PCT: how often it is bad.
 */
static void *place(const void *data, size_t len, unsigned int bad_pct,
		   enum ptr_kind *kind)
{
	static const uint64_t kaddr[] = { 0xffffffff81000000ULL,
		0xffff888000000000ULL, 0xfffffffffffff000ULL };
	enum ptr_kind k = P_BUF;
	char *p;

	if (len > BUF_SIZE / 2)
		len = BUF_SIZE / 2;
	if (chance(bad_pct))
		k = 1 + below(P_NKINDS - 1);
	if (kind)
		*kind = k;
	switch (k) {
	case P_NULL: return NULL;
	case P_UNMAPPED: return unmapped + below(64);
	case P_READONLY: return ro_page;
	case P_KERNEL: return (void *)(uintptr_t)kaddr[below(3)];
	case P_NONCANON: return (void *)(uintptr_t)(0x0000800000000000ULL + below(4096));
	case P_MISALIGNED:
		p = buf + 1 + below(7);
		memmove(p, data, len);
		return p;
	case P_STRADDLE:
		/* starts in the buffer, ends in the guard page */
		p = guard - 1 - below(len ? len : 1);
		memmove(p, data, guard - p);
		return p;
	default:
		memmove(buf, data, len);
		return buf;
	}
}

/* ---- results ------------------------------------------------------------- */

#define MAX_OPS 64
static struct op_stat {
	const char *name;
	unsigned long calls, ok, err[135];
} stats[MAX_OPS];
static unsigned long violations;
static int verbose;
static unsigned long iter;

static struct op_stat *op(const char *name)
{
	int i;

	for (i = 0; i < MAX_OPS && stats[i].name; i++)
		if (stats[i].name == name || !strcmp(stats[i].name, name))
			return &stats[i];
	if (i == MAX_OPS)
		return &stats[MAX_OPS - 1];
	stats[i].name = name;
	return &stats[i];
}

/* Record the result of NAME: RET < 0 means failure with errno. */
static long note(const char *name, long ret, int err)
{
	struct op_stat *s = op(name);

	s->calls++;
	if (ret >= 0)
		s->ok++;
	else if (err > 0 && err < 134)
		s->err[err]++;
	else
		s->err[134]++;
	if (verbose)
		printf("%lu %s -> %ld %s\n", iter, name, ret,
		       ret < 0 ? vu_errname(err) : "");
	return ret;
}

static void violation(const char *fmt, ...)
{
	va_list ap;

	violations++;
	printf("violation at iteration %lu: ", iter);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static long xioctl(const char *name, int fd, unsigned long cmd, void *arg)
{
	long r = ioctl(fd, cmd, arg);

	return note(name, r, r < 0 ? errno : 0);
}

/* ---- the devices and their fds ------------------------------------------- */

enum dev_kind { D_OTHER, D_EDU, D_E1000 };

struct range { uint32_t start, end; };

static const struct range edu_bar0_ok[] = {
	{ 0x04, 0x0c },		/* liveness, factorial */
	{ 0x20, 0x28 },		/* status, interrupt status (read-only) */
	{ 0x60, 0x68 },		/* interrupt raise, acknowledge */
	{ 0, 0 }
};
static const struct range e1000_bar0_ok[] = {
	{ 0x00c4, 0x00cc },	/* ITR, ICS */
	{ 0x00d0, 0x00d4 },	/* IMS */
	{ 0x00d8, 0x00dc },	/* IMC */
	{ 0x5200, 0x5400 },	/* multicast table */
	{ 0x5600, 0x5800 },	/* VLAN filter table */
	{ 0, 0 }
};

struct dev {
	char bdf[32];
	char node[64];
	enum dev_kind kind;
	int container, group, device;
	int attached;		/* fd of the container the group is in; -1 none, -2 unknown */
	int extra[MAX_EXTRA];			/* more device fds */
	uint64_t size[VFIO_PCI_NUM_REGIONS];	/* region sizes, 0: none */
	uint32_t irqs[VFIO_PCI_NUM_IRQS];	/* vectors per IRQ index */
	uint32_t reg_flags[VFIO_PCI_NUM_REGIONS];
	char cdev_node[64];	/* its device cdev, "" if the kernel has none */
	int cdev;		/* the cdev, open; -1 if not */
};

static struct dev devs[MAX_DEVS];
static int ndevs;
static int spare_container = -1, param_fd = -1, devnull = -1;
static int efds[3] = { -1, -1, -1 };
static int closed_fd = -1;

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void dev_info(struct dev *d)
{
	struct vfio_region_info ri;
	unsigned int i;

	for (i = 0; i < VFIO_PCI_NUM_REGIONS; i++) {
		d->size[i] = 0;
		if (!vu_region_info(d->device, i, &ri)) {
			d->size[i] = ri.size;
			d->reg_flags[i] = ri.flags;
		}
	}
	for (i = 0; i < VFIO_PCI_NUM_IRQS; i++) {
		struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = i };

		d->irqs[i] = ioctl(d->device, VFIO_DEVICE_GET_IRQ_INFO, &ii) ? 0 : ii.count;
	}
}

static int dev_open(struct dev *d)
{
	struct vu_dev v;
	int e;

	e = vu_open(&v, d->node, d->bdf, VFIO_NOIOMMU_IOMMU);
	if (e) {
		vu_close(&v);
		return e;
	}
	d->container = v.container;
	d->group = v.group;
	d->device = v.device;
	d->attached = v.container;
	return 0;
}

/* Container fd C is about to be closed: groups in it are in a lost file. */
static void container_closing(int c)
{
	int i;

	for (i = 0; i < ndevs; i++)
		if (c >= 0 && devs[i].attached == c)
			devs[i].attached = -2;
}

static void dev_close(struct dev *d)
{
	int i;

	for (i = 0; i < MAX_EXTRA; i++)
		close_fd(&d->extra[i]);
	close_fd(&d->device);
	close_fd(&d->group);
	d->attached = -1;
	container_closing(d->container);
	close_fd(&d->container);
}

/* Any fd of ours, or an odd number: for arguments that are fds. */
static int pick_fd(void)
{
	struct dev *d = &devs[below(ndevs)];

	switch (below(14)) {
	case 0: return d->container;
	case 1: return d->group;
	case 2: return d->device;
	case 3: return d->extra[below(MAX_EXTRA)];
	case 4: return spare_container;
	case 5: return param_fd;
	case 6: return devnull;
	case 7: case 8: return efds[below(3)];
	case 9: return closed_fd;
	case 10: return -1;
	case 11: return 1000 + below(1000);
	case 12: return INT_MAX;
	default: return (int)pick_u32();
	}
}

/* Is FD a device fd of a device other than D? */
static int other_device_fd(int fd, struct dev *d)
{
	int i, j;

	for (i = 0; i < ndevs; i++) {
		if (&devs[i] == d || fd < 0)
			continue;
		if (devs[i].device == fd)
			return 1;
		for (j = 0; j < MAX_EXTRA; j++)
			if (devs[i].extra[j] == fd)
				return 1;
	}
	return 0;
}

/*
 * A device fd of D: usually the main one, now and then another of its fds
 * or some fd that is no device's.  Never another device's: what may be
 * written where depends on the device.
 */
static int pick_device_fd(struct dev *d)
{
	int i = below(MAX_EXTRA), fd;

	if (chance(20) && d->extra[i] >= 0)
		return d->extra[i];
	if (chance(2)) {
		fd = pick_fd();
		return other_device_fd(fd, d) ? -1 : fd;
	}
	return d->device;
}

/* ---- what the device may be told to do ----------------------------------- */

static int in_ranges(const struct range *r, uint64_t off, uint64_t len)
{
	for (; r->end; r++)
		if (off >= r->start && off + len <= r->end)
			return 1;
	return 0;
}

/*
 * May LEN bytes be written at OFF of region INDEX of D?  Writes the kernel
 * must refuse anyway (no such region, beyond its end) are allowed: that is
 * what is being tested.  Inside a BAR only the allowlist is.
 */
static int write_allowed(struct dev *d, unsigned int index, uint64_t off,
			 uint64_t len)
{
	if (index >= VFIO_PCI_NUM_REGIONS || !d->size[index])
		return 1;
	if (off >= d->size[index])
		return 1;
	if (index == VFIO_PCI_CONFIG_REGION_INDEX)
		return 1;	/* bus master filtered by the caller */
	if (index == VFIO_PCI_ROM_REGION_INDEX)
		return 1;	/* read-only */
	if (index != VFIO_PCI_BAR0_REGION_INDEX)
		return 0;	/* e1000's I/O window reaches every register */
	if (d->kind == D_EDU)
		return in_ranges(edu_bar0_ok, off, len);
	if (d->kind == D_E1000)
		return in_ranges(e1000_bar0_ok, off, len);
	return 0;
}

/* An offset inside D's BAR0 allowlist, aligned to SIZE (or past the BAR). */
static uint64_t allowed_offset(struct dev *d, uint64_t size)
{
	const struct range *r = d->kind == D_EDU ? edu_bar0_ok :
				d->kind == D_E1000 ? e1000_bar0_ok : NULL;
	unsigned int n = 0;

	if (!r)
		return d->size[VFIO_PCI_BAR0_REGION_INDEX];
	while (r[n].end)
		n++;
	r += below(n);
	if (r->end - r->start < size)
		return r->start;
	return (r->start + below(r->end - r->start - size + 1)) & ~(size - 1);
}

/* Config space data about to be written at OFF: never set Bus Master. */
static void no_bus_master(uint64_t off, char *data, uint64_t len)
{
	if (off <= 4 && off + len > 4)
		data[4 - off] &= ~0x04;
}

/* ---- operations on the device fd ---------------------------------------- */

static uint32_t pick_argsz(uint32_t right, uint32_t minsz)
{
	switch (below(20)) {
	case 0: return minsz;
	case 1: return minsz ? minsz - 1 : 0;
	case 2: return 0;
	case 3: return right + 1 + below(64);
	case 4: return pick_u32();
	case 5: return right + below(4096);
	default: return right;
	}
}

static void do_get_info(int fd)
{
	struct vfio_device_info di = { 0 };
	size_t len = sizeof(di) + below(256);

	di.argsz = pick_argsz(len, offsetof(struct vfio_device_info, num_irqs) + 4);
	di.flags = chance(20) ? pick_u32() : 0;
	memset(buf, 0, len);
	xioctl("device.GET_INFO", fd, VFIO_DEVICE_GET_INFO, place(&di, len, 10, NULL));
}

static void do_region_info(int fd)
{
	struct vfio_region_info ri = { 0 };
	size_t len = sizeof(ri) + (chance(50) ? below(512) : 0);

	ri.argsz = pick_argsz(len, offsetof(struct vfio_region_info, offset) + 8);
	ri.index = chance(85) ? below(VFIO_PCI_NUM_REGIONS + 3) : pick_u32();
	ri.flags = chance(10) ? pick_u32() : 0;
	memset(buf, 0, len);
	xioctl("device.GET_REGION_INFO", fd, VFIO_DEVICE_GET_REGION_INFO,
	       place(&ri, len, 10, NULL));
}

static void do_irq_info(int fd)
{
	struct vfio_irq_info ii = { 0 };

	ii.argsz = pick_argsz(sizeof(ii), sizeof(ii));
	ii.index = chance(85) ? below(VFIO_PCI_NUM_IRQS + 2) : pick_u32();
	xioctl("device.GET_IRQ_INFO", fd, VFIO_DEVICE_GET_IRQ_INFO,
	       place(&ii, sizeof(ii), 10, NULL));
}

static void do_set_irqs(int fd, struct dev *d)
{
	static const uint32_t data_types[] = { VFIO_IRQ_SET_DATA_NONE,
		VFIO_IRQ_SET_DATA_BOOL, VFIO_IRQ_SET_DATA_EVENTFD };
	static const uint32_t actions[] = { VFIO_IRQ_SET_ACTION_MASK,
		VFIO_IRQ_SET_ACTION_UNMASK, VFIO_IRQ_SET_ACTION_TRIGGER };
	char data[sizeof(struct vfio_irq_set) + 64 * 4];
	struct vfio_irq_set *s = (void *)data;
	uint32_t n, i, elem;

	memset(data, 0, sizeof(data));
	if (chance(50)) {
		/* well formed: vectors of an index the device has */
		do
			s->index = below(VFIO_PCI_NUM_IRQS);
		while (!d->irqs[s->index] && chance(90));
		s->start = 0;
		s->count = chance(80) ? d->irqs[s->index] : 0;
		s->flags = (!s->count ? VFIO_IRQ_SET_DATA_NONE :
			    chance(60) ? VFIO_IRQ_SET_DATA_EVENTFD : data_types[below(3)]) |
			   (s->index == VFIO_PCI_INTX_IRQ_INDEX && chance(40) ?
			    actions[below(2)] : VFIO_IRQ_SET_ACTION_TRIGGER);
	} else {
		s->index = chance(90) ? below(VFIO_PCI_NUM_IRQS + 1) : pick_u32();
		s->start = chance(80) ? below(3) : pick_u32();
		s->count = chance(85) ? below(4) : pick_u32();
		s->flags = data_types[below(3)] | actions[below(3)];
		if (chance(10))
			s->flags = pick_u32();
		else if (chance(5))
			s->flags |= data_types[below(3)];	/* two data types */
	}
	elem = s->flags & VFIO_IRQ_SET_DATA_EVENTFD ? 4 :
	       s->flags & VFIO_IRQ_SET_DATA_BOOL ? 1 : 0;
	n = s->count < 64 ? s->count : 64;
	for (i = 0; i < n; i++) {
		if (elem == 4) {
			int32_t efd = chance(70) ? efds[below(3)] :
				      chance(50) ? -1 : pick_fd();

			memcpy(s->data + 4 * i, &efd, 4);
		} else {
			s->data[i] = below(3);
		}
	}
	s->argsz = pick_argsz(sizeof(*s) + elem * n, sizeof(*s));
	xioctl("device.SET_IRQS", fd, VFIO_DEVICE_SET_IRQS,
	       place(data, sizeof(*s) + elem * n, 8, NULL));
}

static void do_hot_reset(int fd)
{
	char data[sizeof(struct vfio_pci_hot_reset) + 8 * 4];
	struct vfio_pci_hot_reset *h = (void *)data;
	uint32_t n, i;

	if (chance(50)) {
		struct vfio_pci_hot_reset_info hi = { 0 };
		size_t len = sizeof(hi) + below(4) * sizeof(struct vfio_pci_dependent_device);

		hi.argsz = pick_argsz(len, sizeof(hi));
		hi.flags = chance(10) ? pick_u32() : 0;
		memset(buf, 0, len);
		xioctl("device.GET_PCI_HOT_RESET_INFO", fd,
		       VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, place(&hi, len, 10, NULL));
		return;
	}
	memset(data, 0, sizeof(data));
	h->count = chance(80) ? below(4) : pick_u32();
	h->flags = chance(10) ? pick_u32() : 0;
	n = h->count < 8 ? h->count : 8;
	for (i = 0; i < n; i++) {
		int32_t g = chance(60) ? devs[below(ndevs)].group : pick_fd();

		memcpy((char *)h->group_fds + 4 * i, &g, 4);
	}
	h->argsz = pick_argsz(sizeof(*h) + 4 * n, sizeof(*h));
	xioctl("device.PCI_HOT_RESET", fd, VFIO_DEVICE_PCI_HOT_RESET,
	       place(data, sizeof(*h) + 4 * n, 8, NULL));
}

static void do_ioeventfd(int fd, struct dev *d)
{
	struct vfio_device_ioeventfd ie = { 0 };
	unsigned int index = chance(80) ? VFIO_PCI_BAR0_REGION_INDEX :
			     below(VFIO_PCI_NUM_REGIONS + 2);
	uint64_t off, size;

	ie.argsz = pick_argsz(sizeof(ie), sizeof(ie));
	size = 1ULL << below(4);
	ie.flags = chance(85) ? (uint32_t)size : pick_u32();
	if (ie.flags & VFIO_DEVICE_IOEVENTFD_SIZE_MASK)
		size = 1ULL << __builtin_ctz(ie.flags & VFIO_DEVICE_IOEVENTFD_SIZE_MASK);
	off = index < VFIO_PCI_NUM_REGIONS && d->size[index] && chance(80) ?
	      below(d->size[index]) & ~(size - 1) : pick_u64() & 0xffffffffffULL;
	if (index == VFIO_PCI_BAR0_REGION_INDEX && chance(60))
		off = allowed_offset(d, size);
	/* A registered ioeventfd writes when its eventfd is signalled. */
	if (!write_allowed(d, index, off, 8))
		off = d->size[index] + below(4096);
	ie.offset = VU_REGION_OFF(index) + off;
	ie.data = pick_u64();
	ie.fd = chance(70) ? efds[below(3)] : chance(50) ? -1 : pick_fd();
	xioctl("device.IOEVENTFD", fd, VFIO_DEVICE_IOEVENTFD,
	       place(&ie, sizeof(ie), 8, NULL));
}

static void do_feature(int fd)
{
	char data[sizeof(struct vfio_device_feature) + 64];
	struct vfio_device_feature *f = (void *)data;
	static const uint32_t ops[] = { VFIO_DEVICE_FEATURE_GET,
		VFIO_DEVICE_FEATURE_SET, VFIO_DEVICE_FEATURE_PROBE };
	size_t extra = below(64);
	uint32_t i;

	memset(data, 0, sizeof(data));
	f->flags = (chance(85) ? below(12) : pick_u32() & VFIO_DEVICE_FEATURE_MASK) |
		   ops[below(3)] | (chance(20) ? ops[below(3)] : 0);
	if (chance(5))
		f->flags = pick_u32();
	for (i = 0; i < extra; i++)
		f->data[i] = chance(50) ? 0 : rnd();
	f->argsz = pick_argsz(sizeof(*f) + extra, sizeof(*f));
	xioctl("device.FEATURE", fd, VFIO_DEVICE_FEATURE,
	       place(data, sizeof(*f) + extra, 8, NULL));
}

static void do_device_ioctl(struct dev *d)
{
	int fd = pick_device_fd(d);

	switch (below(20)) {
	case 0: case 1: do_get_info(fd); break;
	case 2: case 3: case 4: do_region_info(fd); break;
	case 5: case 6: do_irq_info(fd); break;
	case 7: case 8: case 9: case 10: case 11: do_set_irqs(fd, d); break;
	case 12: xioctl("device.RESET", fd, VFIO_DEVICE_RESET, NULL); break;
	case 13: case 14: do_hot_reset(fd); break;
	case 15: case 16: do_ioeventfd(fd, d); break;
	case 17: case 18: do_feature(fd); break;
	default: {
		/* the ioctls a group-opened PCI device does not have */
		static const unsigned long cmds[] = {
			VFIO_DEVICE_QUERY_GFX_PLANE, VFIO_DEVICE_GET_GFX_DMABUF,
			_IO(VFIO_TYPE, VFIO_BASE + 18), _IO(VFIO_TYPE, VFIO_BASE + 19),
			_IO(VFIO_TYPE, VFIO_BASE + 20), _IO(VFIO_TYPE, VFIO_BASE + 21),
		};
		uint32_t w[16];
		unsigned int i;

		for (i = 0; i < 16; i++)
			w[i] = pick_u32();
		xioctl("device.other", fd, cmds[below(6)], place(w, sizeof(w), 20, NULL));
	}
	}
}

/* ---- region access -------------------------------------------------------- */

static sigjmp_buf fault_jmp;
static volatile sig_atomic_t in_access;
static unsigned long access_faults;

static void on_fault(int sig)
{
	if (in_access)
		siglongjmp(fault_jmp, sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void pick_region(struct dev *d, unsigned int *index, uint64_t *off,
			uint64_t *len)
{
	static const uint64_t lens[] = { 1, 2, 4, 8, 3, 16, 64, 256, 4096 };
	uint64_t size;

	*index = chance(90) ? below(VFIO_PCI_NUM_REGIONS) : below(256);
	size = *index < VFIO_PCI_NUM_REGIONS ? d->size[*index] : 0;
	*len = chance(90) ? lens[below(6)] : lens[below(9)];
	if (chance(3))
		*len = pick_u32();
	if (size && chance(85)) {
		*off = below(size + 16);
		if (chance(70))
			*off &= ~(*len - 1 < 8 ? *len - 1 : 7);
	} else {
		*off = chance(50) ? pick_u32() : pick_u64() & 0xffffffffffULL;
	}
}

static void do_region_read(struct dev *d)
{
	unsigned int index;
	uint64_t off, len;
	enum ptr_kind k;
	void *p;
	ssize_t r;

	pick_region(d, &index, &off, &len);
	p = place(buf, len < BUF_SIZE ? len : 0, 5, &k);
	if (len > BUF_SIZE && k == P_BUF)
		len = BUF_SIZE;
	r = pread(pick_device_fd(d), p, len, VU_REGION_OFF(index) + off);
	note(index == VFIO_PCI_CONFIG_REGION_INDEX ? "region.read.config" :
	     index <= VFIO_PCI_BAR5_REGION_INDEX ? "region.read.bar" :
	     "region.read.other", r, r < 0 ? errno : 0);
}

static void do_region_write(struct dev *d)
{
	unsigned int index;
	uint64_t off, len, i;
	char data[4096];
	ssize_t r;
	void *p;

	pick_region(d, &index, &off, &len);
	if (chance(40)) {
		index = VFIO_PCI_BAR0_REGION_INDEX;
		len = 1ULL << below(4);
		off = allowed_offset(d, len);
	}
	if (len > sizeof(data))
		len = chance(50) ? sizeof(data) : len;
	if (!write_allowed(d, index, off, len)) {
		/* read it instead */
		r = pread(pick_device_fd(d), buf, len < BUF_SIZE ? len : BUF_SIZE,
			  VU_REGION_OFF(index) + off);
		note("region.write.refused-read", r, r < 0 ? errno : 0);
		return;
	}
	for (i = 0; i < sizeof(data); i++)
		data[i] = rnd();
	if (index == VFIO_PCI_CONFIG_REGION_INDEX)
		no_bus_master(off, data, len < sizeof(data) ? len : sizeof(data));
	p = place(data, len < sizeof(data) ? len : sizeof(data), 5, NULL);
	r = pwrite(pick_device_fd(d), p, len, VU_REGION_OFF(index) + off);
	note(index == VFIO_PCI_CONFIG_REGION_INDEX ? "region.write.config" :
	     index <= VFIO_PCI_BAR5_REGION_INDEX ? "region.write.bar" :
	     "region.write.other", r, r < 0 ? errno : 0);
}

/* A few mappings stay around across operations. */
#define MAX_MAPS 3
static struct map { void *addr; size_t len; struct dev *d; unsigned int index;
		    uint64_t off; } maps[MAX_MAPS];

static void touch_map(struct map *m)
{
	volatile uint32_t *p = m->addr;
	size_t words = m->len / 4, w;
	int i;

	if (sigsetjmp(fault_jmp, 1)) {
		in_access = 0;
		access_faults++;
		note("mmap.access-fault", -1, EFAULT);
		return;
	}
	in_access = 1;
	for (i = 0; i < 4; i++) {
		w = below(words ? words : 1);
		(void)p[w];
		if (write_allowed(m->d, m->index, m->off + w * 4, 4) &&
		    m->index != VFIO_PCI_CONFIG_REGION_INDEX &&
		    m->index != VFIO_PCI_ROM_REGION_INDEX)
			p[w] = rnd();
	}
	in_access = 0;
	note("mmap.access", 0, 0);
}

static void do_mmap(struct dev *d)
{
	static const int prots[] = { PROT_READ, PROT_READ | PROT_WRITE,
		PROT_WRITE, PROT_NONE, PROT_READ | PROT_EXEC };
	long ps = getpagesize();
	struct map *m = &maps[below(MAX_MAPS)];
	unsigned int index;
	uint64_t off, len, size;
	void *a;

	if (m->addr) {
		if (chance(50))
			touch_map(m);
		munmap(m->addr, m->len);
		m->addr = NULL;
		return;
	}
	index = chance(50) ? VFIO_PCI_BAR0_REGION_INDEX :
		chance(90) ? below(VFIO_PCI_NUM_REGIONS) : below(64);
	size = index < VFIO_PCI_NUM_REGIONS ? d->size[index] : 0;
	off = size && chance(80) ? below(size) & ~(uint64_t)(ps - 1) : pick_u32();
	if (chance(10))
		off |= below(ps);
	if (size > off && chance(70))
		len = ps * (1 + below((size - off + ps - 1) / ps));
	else
		len = chance(80) ? ps * (1 + below(size / ps + 1)) : pick_u32();
	if (len > (64ULL << 20))
		len = chance(50) ? len & ((64ULL << 20) - 1) : len;
	a = mmap(NULL, len, prots[below(5)],
		 chance(90) ? MAP_SHARED : MAP_PRIVATE, pick_device_fd(d),
		 VU_REGION_OFF(index) + off);
	note(index <= VFIO_PCI_BAR5_REGION_INDEX ? "mmap.bar" : "mmap.other",
	     a == MAP_FAILED ? -1 : 0, a == MAP_FAILED ? errno : 0);
	if (a == MAP_FAILED)
		return;
	m->addr = a;
	m->len = len;
	m->d = d;
	m->index = index;
	m->off = off;
	/* the mapping may have come out read-only or without access */
	if (mprotect(a, len, PROT_READ | PROT_WRITE) == 0 && chance(70))
		touch_map(m);
}

/* ---- group and container -------------------------------------------------- */

/* Group fd G went into container fd C (-1: out, -2: unknown). */
static void group_moved(int g, int c)
{
	int i;

	for (i = 0; i < ndevs; i++)
		if (g >= 0 && devs[i].group == g)
			devs[i].attached = c;
}

/*
 * The no-IOMMU paths of the container: take D's group out of its
 * container (its device fds must go first), put it into another one (its
 * own, the spare one, another device's, or an odd fd), set an IOMMU type
 * there and get the device fd back.
 */
static void do_group_dance(struct dev *d)
{
	int c, i, r;
	long type;

	for (i = 0; i < MAX_MAPS; i++)
		if (maps[i].addr && maps[i].d == d) {
			munmap(maps[i].addr, maps[i].len);
			maps[i].addr = NULL;
		}
	for (i = 0; i < MAX_EXTRA; i++)
		close_fd(&d->extra[i]);
	close_fd(&d->device);
	r = xioctl("dance.UNSET_CONTAINER", d->group, VFIO_GROUP_UNSET_CONTAINER, NULL);
	if (r >= 0)
		group_moved(d->group, -1);
	switch (below(5)) {
	case 0: c = d->container; break;
	case 1: c = spare_container; break;
	case 2: c = devs[below(ndevs)].container; break;
	case 3: c = chance(50) ? devs[below(ndevs)].group : pick_fd(); break;
	default: c = chance(50) ? d->container : spare_container;
	}
	r = xioctl("dance.SET_CONTAINER", d->group, VFIO_GROUP_SET_CONTAINER, &c);
	if (r >= 0)
		group_moved(d->group, c);
	type = chance(60) ? VFIO_NOIOMMU_IOMMU : (long)below(13);
	r = xioctl("dance.SET_IOMMU", c, VFIO_SET_IOMMU, (void *)type);
	if (r >= 0 && type != VFIO_NOIOMMU_IOMMU)
		for (i = 0; i < ndevs; i++)
			if (devs[i].attached == c)
				violation("SET_IOMMU(%ld) accepted by a container of no-IOMMU groups",
					  type);
	d->device = ioctl(d->group, VFIO_GROUP_GET_DEVICE_FD, d->bdf);
	note("dance.GET_DEVICE_FD", d->device, d->device < 0 ? errno : 0);
	if (d->device >= 0)
		return;
	/* no device: the whole sequence again, in a container of its own */
	dev_close(d);
	r = dev_open(d);
	note("dance.reopen", r, -r);
	if (!r)
		dev_info(d);
}

static void do_group_ioctl(struct dev *d)
{
	int fd = chance(90) ? d->group : pick_fd();
	int arg;
	long r;

	switch (below(10)) {
	case 0: case 1: {
		struct vfio_group_status gs = { 0 };

		gs.argsz = pick_argsz(sizeof(gs), sizeof(gs));
		xioctl("group.GET_STATUS", fd, VFIO_GROUP_GET_STATUS,
		       place(&gs, sizeof(gs), 15, NULL));
		break;
	}
	case 2: case 3: case 4: {
		enum ptr_kind k;

		arg = chance(30) ? d->container : pick_fd();
		r = xioctl("group.SET_CONTAINER", fd, VFIO_GROUP_SET_CONTAINER,
			   place(&arg, sizeof(arg), 10, &k));
		if (r >= 0)
			group_moved(fd, k == P_BUF || k == P_MISALIGNED ? arg : -2);
		break;
	}
	case 5:
		r = xioctl("group.UNSET_CONTAINER", fd, VFIO_GROUP_UNSET_CONTAINER,
			   NULL);
		if (r >= 0)
			group_moved(fd, -1);
		break;
	default: {
		/* GET_DEVICE_FD: right, wrong and malformed names */
		struct dev *other = &devs[below(ndevs)];
		enum ptr_kind k;
		char name[8192];
		size_t n, i;
		char *p;

		switch (below(10)) {
		case 0: case 1: strcpy(name, d->bdf); break;
		case 2: strcpy(name, other->bdf); break;
		case 3: name[0] = 0; break;
		case 4: strcpy(name, "0000:00:00.0"); break;
		case 5: snprintf(name, sizeof(name), "%s%*s", d->bdf,
				 (int)below(4), ""); break;
		case 6:
			/* vfio-pci's options after the name: only for SR-IOV */
			snprintf(name, sizeof(name),
				 "%s vf_token=%08x-1234-5678-9abc-def012345678%s",
				 d->bdf, (uint32_t)rnd(), chance(50) ? "" : " x");
			break;
		case 7: snprintf(name, sizeof(name), "%s vf_token=", d->bdf); break;
		default:
			n = chance(50) ? below(64) : below(sizeof(name) - 1);
			for (i = 0; i < n; i++)
				name[i] = 1 + below(255);
			name[n] = 0;
		}
		n = strlen(name) + 1;
		if (chance(10)) {
			/* unterminated, right up to the guard page */
			p = guard - n + 1;
			memcpy(p, name, n - 1);
			k = P_STRADDLE;
		} else {
			p = place(name, n, 8, &k);
		}
		r = xioctl("group.GET_DEVICE_FD", fd, VFIO_GROUP_GET_DEVICE_FD, p);
		if (r >= 0) {
			struct dev *owner = NULL;
			int i2;

			for (i2 = 0; i2 < ndevs; i2++)
				if (fd == devs[i2].group)
					owner = &devs[i2];
			/* vfio-pci takes "BDF" and "BDF " followed by blanks */
			n = owner ? strlen(owner->bdf) : 0;
			if (!owner || (k != P_BUF && k != P_MISALIGNED) ||
			    strncmp(name, owner->bdf, n) ||
			    name[n + strspn(name + n, " ")])
				violation("GET_DEVICE_FD(\"%.40s\", %s) on fd %d gave a device",
					  name, k == P_BUF ? "buffer" : "other pointer", fd);
			if (owner) {
				i2 = below(MAX_EXTRA);
				close_fd(&owner->extra[i2]);
				owner->extra[i2] = r;
			} else {
				close(r);
			}
		}
	}
	}
}

static void do_container_ioctl(struct dev *d)
{
	int fd = chance(70) ? d->container : chance(50) ? spare_container : pick_fd();
	int holds_noiommu = 0, i;
	long r;

	for (i = 0; i < ndevs; i++)
		if (fd >= 0 && devs[i].attached == fd)
			holds_noiommu = 1;

	switch (below(12)) {
	case 0:
		xioctl("container.GET_API_VERSION", fd, VFIO_GET_API_VERSION, NULL);
		break;
	case 1: case 2:
		xioctl("container.CHECK_EXTENSION", fd, VFIO_CHECK_EXTENSION,
		       (void *)(uintptr_t)(chance(80) ? below(16) : pick_u32()));
		break;
	case 3: case 4: case 5: {
		unsigned long type = chance(85) ? below(13) : pick_u64();

		r = xioctl("container.SET_IOMMU", fd, VFIO_SET_IOMMU,
			   (void *)(uintptr_t)type);
		if (r >= 0 && holds_noiommu && type != VFIO_NOIOMMU_IOMMU)
			violation("SET_IOMMU(%lu) accepted by a container of no-IOMMU groups",
				  type);
		break;
	}
	case 6: case 7: {
		struct vfio_iommu_type1_dma_map m = { 0 };

		m.argsz = pick_argsz(sizeof(m), sizeof(m));
		m.flags = chance(70) ? (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE) :
			  pick_u32();
		m.vaddr = (uintptr_t)buf;
		m.iova = pick_u64();
		m.size = chance(70) ? 4096 : pick_u64();
		r = xioctl("container.MAP_DMA", fd, VFIO_IOMMU_MAP_DMA,
			   place(&m, sizeof(m), 10, NULL));
		if (r >= 0 && holds_noiommu)
			violation("MAP_DMA accepted by a container of no-IOMMU groups");
		break;
	}
	case 8: {
		struct vfio_iommu_type1_dma_unmap u = { 0 };

		u.argsz = pick_argsz(sizeof(u), sizeof(u));
		u.flags = chance(70) ? 0 : pick_u32();
		u.iova = pick_u64();
		u.size = pick_u64();
		xioctl("container.UNMAP_DMA", fd, VFIO_IOMMU_UNMAP_DMA,
		       place(&u, sizeof(u), 10, NULL));
		break;
	}
	case 9: {
		struct vfio_iommu_type1_info ii = { 0 };

		ii.argsz = pick_argsz(sizeof(ii) + 64, sizeof(ii));
		xioctl("container.IOMMU_GET_INFO", fd, VFIO_IOMMU_GET_INFO,
		       place(&ii, sizeof(ii), 10, NULL));
		break;
	}
	default:
		xioctl("container.other", fd,
		       _IO(VFIO_TYPE, VFIO_BASE + 15 + below(8)),
		       place(buf, 64, 20, NULL));
	}
}

/* ---- raw ioctls, the parameter, lifecycles --------------------------------- */

static void do_raw_ioctl(void)
{
	unsigned long cmd;
	void *arg;

	switch (below(4)) {
	case 0: case 1:
		/* a VFIO number, with direction and size bits that it never has */
		cmd = _IOC(below(4), VFIO_TYPE, VFIO_BASE + below(32),
			   chance(50) ? below(64) : below(1 << 14));
		break;
	case 2:
		cmd = _IOC(below(4), below(256), below(256), below(1 << 14));
		break;
	default:
		cmd = (uint32_t)rnd();
	}
	/*
	 * A random structure must not register an ioeventfd: it would write
	 * any value to any register when its eventfd fires (do_ioeventfd()
	 * keeps to the allowlist).  A size in the number makes it unknown.
	 */
	if (cmd == VFIO_DEVICE_IOEVENTFD)
		cmd |= _IOC(0, 0, 0, 4);
	arg = chance(50) ? place(buf, 256, 30, NULL) : (void *)(uintptr_t)pick_u64();
	xioctl("raw.ioctl", pick_fd(), cmd, arg);
}

static void do_param(void)
{
	static const char *const words[] = { "Y", "N", "1", "0", "y", "n",
		"yes", "no", "on", "off", "", "2", "-1", "YY", "Y\n", "N\n",
		" 1", "true", "false" };
	char s[80];
	size_t n, i;
	ssize_t r;

	if (chance(30)) {
		r = pread(param_fd, s, sizeof(s), 0);
		note("param.read", r, r < 0 ? errno : 0);
		return;
	}
	if (chance(80)) {
		strcpy(s, words[below(sizeof(words) / sizeof(words[0]))]);
		n = strlen(s);
	} else {
		n = below(sizeof(s));
		for (i = 0; i < n; i++)
			s[i] = rnd();
	}
	r = pwrite(param_fd, place(s, n, 5, NULL), n, chance(90) ? 0 : below(8));
	note("param.write", r, r < 0 ? errno : 0);
}

/* Unmap D's regions from the fuzzer's address space */
static void dev_unmap_all(struct dev *d)
{
	int i;

	for (i = 0; i < MAX_MAPS; i++)
		if (maps[i].addr && maps[i].d == d) {
			munmap(maps[i].addr, maps[i].len);
			maps[i].addr = NULL;
		}
}

static void do_lifecycle(struct dev *d)
{
	int e, i;

	switch (below(4)) {
	case 0:
		/* a device fd goes, another comes */
		close_fd(&d->device);
		d->device = ioctl(d->group, VFIO_GROUP_GET_DEVICE_FD, d->bdf);
		note("life.device-reopen", d->device, d->device < 0 ? errno : 0);
		break;
	case 1:
		for (i = 0; i < MAX_EXTRA; i++)
			close_fd(&d->extra[i]);
		note("life.extras-closed", 0, 0);
		break;
	default:
		/* everything of this device, and the whole sequence again */
		dev_unmap_all(d);
		dev_close(d);
		e = dev_open(d);
		note("life.reopen", e, -e);
		if (!e)
			dev_info(d);
	}
}

/* ---- the device cdev and iommufd ---------------------------------------- */

#define MAX_IDS 8
static int iommufd = -1;		/* -1: no iommufd in this kernel */
static uint32_t ids[MAX_IDS];		/* IOAS and device IDs seen */
static struct iova_map { uint64_t iova, len; uint32_t ioas; } iovas[MAX_IDS];

static void keep_id(uint32_t id)
{
	ids[below(MAX_IDS)] = id;
}

static uint32_t pick_id(void)
{
	switch (below(8)) {
	case 0: return pick_u32();
	case 1: return 0;
	default: return ids[below(MAX_IDS)];
	}
}

/* An IOVA: one mapped earlier, inside or past it, or any */
static uint64_t pick_iova(void)
{
	struct iova_map *m = &iovas[below(MAX_IDS)];

	if (chance(15) || !m->len)
		return pick_u64();
	return m->iova + below(m->len + 2 * 4096);
}

static void cdev_bind(struct dev *d)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b) };

	b.iommufd = chance(85) ? iommufd : pick_fd();
	b.argsz = pick_argsz(sizeof(b), offsetof(struct vfio_device_bind_iommufd, out_devid) + 4);
	if (chance(3))
		b.flags = pick_u32();
	if (!xioctl("cdev.BIND_IOMMUFD", d->cdev, VFIO_DEVICE_BIND_IOMMUFD,
		    place(&b, sizeof(b), 5, NULL)))
		keep_id(((struct vfio_device_bind_iommufd *)buf)->out_devid);
}

static void cdev_attach(struct dev *d)
{
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a) };
	struct vfio_device_detach_iommufd_pt dt = { .argsz = sizeof(dt) };

	if (chance(30)) {
		if (chance(3))
			dt.flags = pick_u32();
		xioctl("cdev.DETACH_IOMMUFD_PT", d->cdev,
		       VFIO_DEVICE_DETACH_IOMMUFD_PT,
		       place(&dt, sizeof(dt), 5, NULL));
		return;
	}
	a.pt_id = pick_id();
	a.argsz = pick_argsz(sizeof(a), offsetof(struct vfio_device_attach_iommufd_pt, pt_id) + 4);
	if (chance(3))
		a.flags = pick_u32();
	xioctl("cdev.ATTACH_IOMMUFD_PT", d->cdev, VFIO_DEVICE_ATTACH_IOMMUFD_PT,
	       place(&a, sizeof(a), 5, NULL));
}

static void ioas_op(void)
{
	struct iommu_ioas_alloc al = { .size = sizeof(al) };
	struct iommu_destroy de = { .size = sizeof(de) };
	struct iommu_ioas_map m = { .size = sizeof(m) };
	struct iommu_ioas_unmap u = { .size = sizeof(u) };
	struct iova_map *im = &iovas[below(MAX_IDS)];
	uint64_t off;

	switch (below(6)) {
	case 0:
		if (!xioctl("iommufd.IOAS_ALLOC", iommufd, IOMMU_IOAS_ALLOC,
			    place(&al, sizeof(al), 5, NULL)))
			keep_id(((struct iommu_ioas_alloc *)buf)->out_ioas_id);
		break;
	case 1:
		de.id = pick_id();
		xioctl("iommufd.DESTROY", iommufd, IOMMU_DESTROY,
		       place(&de, sizeof(de), 5, NULL));
		break;
	case 2: case 3:
		/* the second half of the buffer: place() writes the first */
		off = BUF_SIZE / 2 + below(BUF_SIZE / 2 / 4096) * 4096;
		m.user_va = chance(90) ? (uintptr_t)buf + off : pick_u64();
		m.length = chance(90) ? 4096 * (1 + below((BUF_SIZE - off) / 4096)) :
					pick_u64();
		m.flags = chance(90) ? IOMMU_IOAS_MAP_READABLE |
				       IOMMU_IOAS_MAP_WRITEABLE : pick_u32();
		m.ioas_id = pick_id();
		if (!xioctl("iommufd.IOAS_MAP", iommufd, IOMMU_IOAS_MAP,
			    place(&m, sizeof(m), 5, NULL))) {
			im->iova = ((struct iommu_ioas_map *)buf)->iova;
			im->len = m.length;
			im->ioas = m.ioas_id;
		}
		break;
	default:
		u.ioas_id = pick_id();
		u.iova = chance(80) ? im->iova : pick_u64();
		u.length = chance(80) ? im->len : pick_u64();
		if (!xioctl("iommufd.IOAS_UNMAP", iommufd, IOMMU_IOAS_UNMAP,
			    place(&u, sizeof(u), 5, NULL)) && u.iova == im->iova)
			im->len = 0;
	}
}

static void get_pa(void)
{
	struct iommu_ioas_noiommu_get_pa g = { .size = sizeof(g) }, *r;
	struct iova_map *im = &iovas[below(MAX_IDS)];
	enum ptr_kind k;
	uint64_t want;
	long ret;

	/* Mostly somewhere mapped, in the IOAS it was mapped in */
	if (im->len && chance(70)) {
		g.ioas_id = im->ioas;
		g.iova = im->iova + below(im->len);
	} else {
		g.ioas_id = pick_id();
		g.iova = pick_iova();
	}
	g.length = chance(50) ? 0 : below(3 * 4096);
	if (chance(5))
		g.flags = pick_u32();
	if (chance(5))
		g.__reserved = pick_u32();
	if (chance(5))
		g.size = pick_argsz(sizeof(g), offsetof(struct iommu_ioas_noiommu_get_pa, out_phys) + 8);
	want = g.length;
	r = place(&g, sizeof(g), 5, &k);
	ret = xioctl("iommufd.NOIOMMU_GET_PA", iommufd,
		     IOMMU_IOAS_NOIOMMU_GET_PA, r);
	if (!ret && (g.flags || g.__reserved))
		violation("GET_PA took flags %#x, __reserved %#x", g.flags,
			  g.__reserved);
	if (ret || (k != P_BUF && k != P_MISALIGNED))
		return;
	if ((r->out_phys ^ g.iova) & 4095)
		violation("GET_PA of IOVA %#llx gave %#llx: another page offset",
			  (unsigned long long)g.iova,
			  (unsigned long long)r->out_phys);
	if (!r->length || (want && r->length > want))
		violation("GET_PA reported %llu bytes, %llu asked for",
			  (unsigned long long)r->length,
			  (unsigned long long)want);
}

static void do_cdev(struct dev *d)
{
	char hr[sizeof(struct vfio_pci_hot_reset_info) + 64];
	struct vfio_pci_hot_reset_info *h = (void *)hr;

	if (!d->cdev_node[0] || iommufd < 0)
		return;
	if (d->cdev < 0 || chance(3)) {
		close_fd(&d->cdev);
		d->cdev = open(d->cdev_node, O_RDWR | O_CLOEXEC);
		note("cdev.open", d->cdev, d->cdev < 0 ? errno : 0);
		return;
	}
	switch (below(8)) {
	case 0:
		cdev_bind(d);
		break;
	case 7:
		/* hand the device from its group to its cdev */
		if (d->device >= 0) {
			dev_unmap_all(d);
			dev_close(d);
			note("cdev.group-closed", 0, 0);
		}
		cdev_bind(d);
		break;
	case 1:
		cdev_attach(d);
		break;
	case 2: case 3:
		ioas_op();
		break;
	case 4: case 5:
		get_pa();
		break;
	default:
		memset(hr, 0, sizeof(hr));
		h->argsz = sizeof(hr);
		/* refused on a bound cdev, and on one not bound */
		if (!xioctl("cdev.PCI_HOT_RESET_INFO", d->cdev,
			    VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, h))
			violation("%s: hot-reset info through the no-IOMMU cdev",
				  d->bdf);
	}
}

/* The cdev of D, "" where the kernel has none */
static void cdev_find(struct dev *d)
{
	d->cdev = -1;
	if (vu_cdev_node(d->bdf, d->cdev_node, sizeof(d->cdev_node)))
		d->cdev_node[0] = 0;
}

static void one_op(void);

static void do_fork(void)
{
	uint64_t child_seed = rnd();
	pid_t pid = fork();
	int status, i;

	if (pid == 0) {
		seed_prng(child_seed);
		verbose = 0;
		for (i = 0; i < 20; i++)
			one_op();
		_exit(0);
	}
	if (pid < 0) {
		note("life.fork", -1, errno);
		return;
	}
	waitpid(pid, &status, 0);
	note("life.fork", WIFEXITED(status) ? 0 : -1, WIFEXITED(status) ? 0 : EINTR);
}

static void one_op(void)
{
	struct dev *d = &devs[below(ndevs)];
	unsigned int w = below(1000);

	/* The cdev, where there is one, gets an eighth of the operations */
	if (d->cdev_node[0] && iommufd >= 0 && chance(12)) {
		do_cdev(d);
		return;
	}
	if (d->device < 0 && w >= 600 && w < 960) {
		/* nothing to do with a device that is not open: reopen */
		do_lifecycle(d);
		return;
	}
	if (w < 330)
		do_device_ioctl(d);
	else if (w < 440)
		do_group_ioctl(d);
	else if (w < 540)
		do_container_ioctl(d);
	else if (w < 620)
		do_raw_ioctl();
	else if (w < 760)
		do_region_read(d);
	else if (w < 860)
		do_region_write(d);
	else if (w < 940)
		do_mmap(d);
	else if (w < 960)
		do_param();
	else if (w < 975)
		do_group_dance(d);
	else if (w < 995)
		do_lifecycle(d);
	else
		do_fork();
}

/* ---- main ------------------------------------------------------------------ */

static void report(void)
{
	unsigned long calls = 0;
	int i, e;

	printf("%-34s %8s %8s  %s\n", "operation", "calls", "ok", "errors");
	for (i = 0; i < MAX_OPS && stats[i].name; i++) {
		struct op_stat *s = &stats[i];
		char errs[400] = "";
		size_t n = 0;

		calls += s->calls;
		for (e = 1; e < 135 && n < sizeof(errs) - 40; e++)
			if (s->err[e])
				n += snprintf(errs + n, sizeof(errs) - n, "%s%s %lu",
					      n ? ", " : "",
					      e == 134 ? "other" : vu_errname(e),
					      s->err[e]);
		printf("%-34s %8lu %8lu  %s\n", s->name, s->calls, s->ok, errs);
	}
	printf("calls %lu, mmap access faults %lu\n", calls, access_faults);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "progress", required_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	unsigned long iterations = 10000, progress = 0;
	uint64_t seed, t0;
	int c, i, e, have_seed = 0;

	vu_prog = "vfio-fuzz";
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': seed = strtoull(optarg, NULL, 0); have_seed = 1; break;
		case 'n': iterations = strtoul(optarg, NULL, 0); break;
		case 'p': progress = strtoul(optarg, NULL, 0); break;
		case 'v': verbose = 1; break;
		default: vu_die("usage: vfio-fuzz [--seed N] [--iterations N] "
				"[--progress N] [--verbose] BDF...");
		}
	}
	if (optind >= argc || argc - optind > MAX_DEVS)
		vu_die("give 1 to %d devices (BDFs)", MAX_DEVS);
	if (!have_seed) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (uint64_t)ts.tv_sec * 1000003 ^ ts.tv_nsec ^ getpid();
		seed &= 0xffffffffffffULL;
	}
	printf("seed %llu\n", (unsigned long long)seed);
	printf("iterations planned %lu\n", iterations);
	seed_prng(seed);
	setup_memory();
	signal(SIGBUS, on_fault);
	signal(SIGSEGV, on_fault);

	for (i = optind; i < argc; i++) {
		struct dev *d = &devs[ndevs++];
		uint32_t id = vu_pci_id(argv[i]);
		int j;

		snprintf(d->bdf, sizeof(d->bdf), "%s", argv[i]);
		for (j = 0; j < MAX_EXTRA; j++)
			d->extra[j] = -1;
		d->kind = id == ((uint32_t)VU_EDU_ID << 16 | VU_EDU_DEV) ? D_EDU :
			  id == (0x8086u << 16 | VU_E1000_DEV) ? D_E1000 : D_OTHER;
		if (vu_group_node(d->bdf, d->node, sizeof(d->node)) ||
		    strncmp(d->node, "/dev/vfio/noiommu-", 18))
			vu_die("%s is not in a no-IOMMU group", d->bdf);
		e = dev_open(d);
		if (e)
			vu_die("%s: cannot open: %s", d->bdf, vu_errname(e));
		dev_info(d);
		cdev_find(d);
		printf("device %s (%s) %s %s\n", d->bdf,
		       d->kind == D_EDU ? "edu" : d->kind == D_E1000 ? "e1000" : "other",
		       d->node, d->cdev_node[0] ? d->cdev_node : "(no cdev)");
	}
	iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	printf("iommufd %s\n", iommufd < 0 ? vu_errname(errno) : "/dev/iommu");
	spare_container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	param_fd = open(PARAM, O_RDWR | O_CLOEXEC);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (i = 0; i < 3; i++)
		efds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	closed_fd = dup(devnull);
	close(closed_fd);
	if (spare_container < 0 || param_fd < 0 || efds[2] < 0)
		vu_die("setup: %s", vu_errname(errno));

	t0 = vu_now_ms();
	for (iter = 0; iter < iterations; iter++) {
		if (progress && iter && iter % progress == 0)
			printf("iteration %lu, %llu ms\n", iter,
			       (unsigned long long)(vu_now_ms() - t0));
		one_op();
		/* eventfds that an ioeventfd or interrupt has signalled */
		if (chance(2)) {
			uint64_t v = 1;

			if (chance(50))
				(void)!write(efds[below(3)], &v, 8);
			else
				(void)!read(efds[below(3)], &v, 8);
		}
	}

	for (i = 0; i < MAX_MAPS; i++)
		if (maps[i].addr)
			munmap(maps[i].addr, maps[i].len);
	for (i = 0; i < ndevs; i++) {
		dev_close(&devs[i]);
		close_fd(&devs[i].cdev);
	}
	close_fd(&iommufd);
	if (pwrite(param_fd, "1", 1, 0) != 1)
		printf("warning: could not turn the mode back on: %s\n",
		       vu_errname(errno));
	report();
	printf("iterations %lu in %llu ms\n", iter,
	       (unsigned long long)(vu_now_ms() - t0));
	printf("violations %lu\n", violations);
	return violations ? 1 : 0;
}
