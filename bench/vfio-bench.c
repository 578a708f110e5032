// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-bench: the timing side of the benchmarks, run inside the test VM on
 * QEMU's edu device (1234:11e8).  Each command prints one JSON object per
 * line on stdout; bench/guest-bench.sh collects them.
 *
 *   vfio-bench irq MECH BDF COUNT
 *	Interrupt latency: a trigger thread writes edu's raise register
 *	(BAR0 0x60) while a waiter thread is blocked on the interrupt's file;
 *	latency = the waiter's wakeup time - the time just before the write.
 *	MECH: vfio-msi (MSI to an eventfd), vfio-intx (INTx to an eventfd,
 *	unmasked with VFIO_IRQ_SET_ACTION_UNMASK), uio (read() on /dev/uioN;
 *	igb_uio's interrupt is re-enabled by writing 1 to /dev/uioN,
 *	uio_pci_generic's INTx, which has no such control, by clearing the
 *	command register's INTx Disable bit through sysfs config).
 *	The interrupt is routed to the waiter's CPU (1), the trigger runs on
 *	CPU 0.  Each interrupt is acked (BAR0 0x64) after the wakeup.
 *
 *   vfio-bench open MECH BDF COUNT
 *	From nothing to a usable device, COUNT times.  vfio: open the
 *	container and the group, VFIO_GROUP_SET_CONTAINER, VFIO_SET_IOMMU(8),
 *	VFIO_GROUP_GET_DEVICE_FD, BAR0's region info, mmap BAR0 and read its
 *	ID register.  uio: open /dev/uioN and sysfs resource0, mmap it and
 *	read the ID register.  The teardown (munmap, close) is timed apart.
 *
 *   vfio-bench cfg BDF COUNT
 *	Config space read latency (4 bytes at 0x08, class and revision, a
 *	register VFIO passes through): pread on the VFIO config region
 *	against pread on sysfs "config", alternating.  Needs vfio-pci.
 *
 *   vfio-bench mmio BDF REPS OPS
 *	MMIO rate on edu's liveness register (BAR0 0x04) through the VFIO
 *	BAR mapping and through sysfs resource0, both mapped at once; REPS
 *	rounds of OPS reads, then OPS writes, per mapping.  Needs vfio-pci.
 *
 *   vfio-bench bind DRIVER STEPS BDF...
 *	Binding at scale: driver_override = DRIVER for every BDF, then bind
 *	them through drivers_probe in cumulative steps (STEPS, e.g. 1,8,32:
 *	the first device, then the next 7, then the next 24), with
 *	/proc/meminfo read around each step; then unbind them all.
 *
 *   vfio-bench pa BDF 2m|4k MIB REPS
 *	Learning the physical addresses of a buffer of MIB MiB, of 2 MiB
 *	hugepages or of 4 KiB pages, populated: BDF's cdev is bound to an
 *	iommufd and attached to an IOAS, the buffer mapped into it (pinned),
 *	then REPS times, in rotating order: /proc/self/pagemap read as
 *	DPDK's rte_mem_virt2phy() reads it, one 8-byte pread per page (per
 *	hugepage; the file is opened once, untimed, where DPDK opens it for
 *	every page); IOMMU_IOAS_NOIOMMU_GET_PA once per page (hugepage), its
 *	length limited to the page; and GET_PA once per physically
 *	contiguous run (the length it returns).  The three must give the
 *	same address for every page, or the command fails.
 *
 *   vfio-bench iomap BDF MIB REPS
 *	IOMMU_IOAS_MAP and IOMMU_IOAS_UNMAP of a populated buffer of MIB MiB
 *	of 4 KiB pages, REPS times, into an IOAS that BDF (on its cdev) is
 *	attached to, which pins every page, and into an IOAS without a
 *	device, which pins nothing (VmPin is checked for both), in
 *	alternating order.
 *
 * Option, before the command: --cdev.  irq (vfio-msi, vfio-intx), open
 * vfio, cfg and mmio then get the device fd from the device cdev
 * (/dev/vfio/devices/noiommu-vfioN, or vfioN) instead of the group: open
 * it and /dev/iommu, VFIO_DEVICE_BIND_IOMMUFD, IOMMU_IOAS_ALLOC,
 * VFIO_DEVICE_ATTACH_IOMMUFD_PT (for open, all of it timed, then BAR0's
 * region info, mmap and the ID read as on the group path).  Their lines
 * say which ("via": "group" or "cdev").
 *
 * Exit status: 0 on success, 1 when something failed (the reason is on
 * stderr and in an "error" key).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/futex.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "vfio-util.h"

#define EDU_ID		0x00
#define EDU_LIVENESS	0x04
#define EDU_RAISE	0x60
#define EDU_ACK		0x64
#define EDU_IRQ_BIT	0x1

#define CFG_PROBE	0x08	/* class code and revision: not virtualized */

#define SZ_2M		(2ul << 20)

/* Device fds from the cdev and an iommufd rather than from the group. */
static int use_cdev;

static const char *via(void)
{
	return use_cdev ? "cdev" : "group";
}

static const char *prog_cmd = "?";

static void fail(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "vfio-bench %s: %s\n", prog_cmd, msg);
	printf("{\"test\":\"%s\",\"error\":\"", prog_cmd);
	for (const char *p = msg; *p; p++)
		putchar(*p == '"' || *p == '\\' ? '\'' : *p);
	printf("\"}\n");
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* "name":{"n":..,"median":..,"p99":..,...} of a sample of nanoseconds */
static void print_stats(const char *name, uint64_t *v, size_t n)
{
	double sum = 0;

	qsort(v, n, sizeof(*v), cmp_u64);
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	printf("\"%s\":{\"n\":%zu,\"min\":%" PRIu64 ",\"p10\":%" PRIu64
	       ",\"median\":%" PRIu64 ",\"p90\":%" PRIu64 ",\"p99\":%" PRIu64
	       ",\"max\":%" PRIu64 ",\"mean\":%.0f}",
	       name, n, v[0], v[n / 10], v[n / 2], v[(n * 9) / 10],
	       v[(size_t)((n - 1) * 0.99)], v[n - 1], sum / n);
}

static void pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* ---- devices ------------------------------------------------------- */

struct vfio_dev {
	int container;		/* on the cdev path: the iommufd */
	int group;		/* -1 on the cdev path */
	int device;
	uint32_t ioas;		/* cdev path: the IOAS the device is attached to */
	volatile uint32_t *bar;
	size_t bar_size;
	off_t cfg_off;
};

static void vfio_dev_init(struct vfio_dev *d)
{
	memset(d, 0, sizeof(*d));
	d->container = d->group = d->device = -1;
}

/* The last steps of both paths: BAR0's region info and its mapping. */
static int bar0_map(struct vfio_dev *d, const char **step)
{
	struct vfio_region_info reg = { .argsz = sizeof(reg) };
	void *p;

	*step = "VFIO_DEVICE_GET_REGION_INFO(BAR0)";
	reg.index = VFIO_PCI_BAR0_REGION_INDEX;
	if (ioctl(d->device, VFIO_DEVICE_GET_REGION_INFO, &reg))
		return -errno;
	*step = "mmap BAR0";
	p = mmap(NULL, reg.size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 d->device, reg.offset);
	if (p == MAP_FAILED)
		return -errno;
	d->bar = p;
	d->bar_size = reg.size;
	return 0;
}

/* The sequence a VFIO user runs, up to a mapped BAR0; 0 or -errno. */
static int vfio_open(const char *node, const char *bdf, struct vfio_dev *d,
		     const char **step)
{
	*step = "open /dev/vfio/vfio";
	d->container = open("/dev/vfio/vfio", O_RDWR);
	if (d->container < 0)
		return -errno;
	*step = "open group";
	d->group = open(node, O_RDWR);
	if (d->group < 0)
		return -errno;
	*step = "VFIO_GROUP_SET_CONTAINER";
	if (ioctl(d->group, VFIO_GROUP_SET_CONTAINER, &d->container))
		return -errno;
	*step = "VFIO_SET_IOMMU(8)";
	if (ioctl(d->container, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU))
		return -errno;
	*step = "VFIO_GROUP_GET_DEVICE_FD";
	d->device = ioctl(d->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (d->device < 0)
		return -errno;
	return bar0_map(d, step);
}

/*
 * The cdev path up to an attached device: open the cdev and /dev/iommu,
 * bind, allocate an IOAS and attach to it; 0 or -errno.
 */
static int cdev_attach(const char *node, struct vfio_dev *d, const char **step)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };

	*step = "open cdev";
	d->device = open(node, O_RDWR);
	if (d->device < 0)
		return -errno;
	*step = "open /dev/iommu";
	d->container = open("/dev/iommu", O_RDWR);
	if (d->container < 0)
		return -errno;
	*step = "VFIO_DEVICE_BIND_IOMMUFD";
	bind.iommufd = d->container;
	if (ioctl(d->device, VFIO_DEVICE_BIND_IOMMUFD, &bind))
		return -errno;
	*step = "IOMMU_IOAS_ALLOC";
	if (ioctl(d->container, IOMMU_IOAS_ALLOC, &alloc))
		return -errno;
	d->ioas = alloc.out_ioas_id;
	*step = "VFIO_DEVICE_ATTACH_IOMMUFD_PT";
	attach.pt_id = d->ioas;
	if (ioctl(d->device, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach))
		return -errno;
	return 0;
}

/* Either path, as use_cdev says, up to a mapped BAR0; 0 or -errno. */
static int dev_open(const char *node, const char *bdf, struct vfio_dev *d,
		    const char **step)
{
	int r;

	vfio_dev_init(d);
	if (!use_cdev)
		return vfio_open(node, bdf, d, step);
	r = cdev_attach(node, d, step);
	return r ? r : bar0_map(d, step);
}

static void vfio_close(struct vfio_dev *d)
{
	if (d->bar)
		munmap((void *)d->bar, d->bar_size);
	if (d->device >= 0)
		close(d->device);
	if (d->group >= 0)
		close(d->group);
	if (d->container >= 0)
		close(d->container);
	vfio_dev_init(d);
}

/*
 * The node the device fd comes from: the group's, /dev/vfio/noiommu-N (or
 * /dev/vfio/N), or with --cdev the device's cdev.
 */
static void dev_node(const char *bdf, char *node, size_t len)
{
	if (use_cdev) {
		if (vu_cdev_node(bdf, node, len))
			fail("%s has no VFIO device cdev (not bound to vfio-pci, "
			     "or a kernel without VFIO_DEVICE_CDEV?)", bdf);
	} else if (vu_group_node(bdf, node, len)) {
		fail("%s has no VFIO group node (not bound to vfio-pci?)", bdf);
	}
}

static void vfio_open_or_die(const char *bdf, struct vfio_dev *d)
{
	struct vfio_region_info reg = { .argsz = sizeof(reg) };
	char node[PATH_MAX];
	const char *step;
	int r;

	dev_node(bdf, node, sizeof(node));
	r = dev_open(node, bdf, d, &step);
	if (r)
		fail("%s: %s: %s", bdf, step, strerror(-r));
	reg.index = VFIO_PCI_CONFIG_REGION_INDEX;
	if (ioctl(d->device, VFIO_DEVICE_GET_REGION_INFO, &reg))
		fail("config region info: %s", strerror(errno));
	d->cfg_off = reg.offset;
}

/* Bus mastering on, for MSI: QEMU drops a device's MSI writes without it. */
static void vfio_set_master(struct vfio_dev *d)
{
	uint16_t cmd;

	if (pread(d->device, &cmd, 2, d->cfg_off + 4) != 2)
		fail("config read: %s", strerror(errno));
	cmd |= 0x4;
	if (pwrite(d->device, &cmd, 2, d->cfg_off + 4) != 2)
		fail("config write: %s", strerror(errno));
}

static size_t resource0_size(const char *bdf)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource0", bdf);
	if (stat(path, &st))
		fail("%s: %s", path, strerror(errno));
	return st.st_size;
}

static volatile uint32_t *map_resource0(const char *bdf, size_t size, int *fdp)
{
	char path[PATH_MAX];
	void *p;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource0", bdf);
	fd = open(path, O_RDWR | O_SYNC);
	if (fd < 0)
		fail("%s: %s", path, strerror(errno));
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		fail("mmap %s: %s", path, strerror(errno));
	if (fdp)
		*fdp = fd;
	else
		close(fd);
	return p;
}

/* /dev/uioN of BDF */
static void uio_node(const char *bdf, char *node, size_t len)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *dir;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/uio", bdf);
	dir = opendir(path);
	if (!dir)
		fail("%s has no uio device (not bound to a UIO driver?)", bdf);
	while ((e = readdir(dir)))
		if (!strncmp(e->d_name, "uio", 3)) {
			snprintf(node, len, "/dev/%s", e->d_name);
			closedir(dir);
			return;
		}
	fail("%s: no uioN in %s", bdf, path);
}

/* ---- irq ------------------------------------------------------------- */

static _Atomic uint32_t w_ready, w_done;
static _Atomic uint64_t w_time;
static int w_fd;
static int w_size;	/* bytes per read: 8 (eventfd) or 4 (uio) */
static _Atomic int w_error;

static void futex_wake(_Atomic uint32_t *addr)
{
	syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

/* wait until *addr == want, at most ms milliseconds; 0 or -1 */
static int wait_for(_Atomic uint32_t *addr, uint32_t want, int ms)
{
	uint64_t end = now_ns() + (uint64_t)ms * 1000000;
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	for (;;) {
		uint32_t v = atomic_load(addr);

		if (v == want)
			return 0;
		if (now_ns() > end)
			return -1;
		syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, v, &ts, NULL, 0);
	}
}

static void *waiter(void *arg)
{
	uint64_t buf;

	(void)arg;
	pin_cpu(1);
	for (uint32_t i = 1;; i++) {
		atomic_store(&w_ready, i);
		futex_wake(&w_ready);
		if (read(w_fd, &buf, w_size) != w_size) {
			atomic_store(&w_error, errno ? errno : EIO);
			atomic_store(&w_done, i);
			futex_wake(&w_done);
			return NULL;
		}
		atomic_store(&w_time, now_ns());
		atomic_store(&w_done, i);
		futex_wake(&w_done);
	}
	return NULL;
}

/* Interrupts of irq N so far, all CPUs. */
static uint64_t irq_count(int irq)
{
	char line[4096];
	uint64_t total = 0;
	FILE *f = fopen("/proc/interrupts", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *end;
		long n = strtol(p, &end, 10);

		if (end == p || *end != ':' || n != irq)
			continue;
		p = end + 1;
		for (;;) {
			unsigned long long c = strtoull(p, &end, 10);

			if (end == p)
				break;
			total += c;
			p = end;
		}
	}
	fclose(f);
	return total;
}

/* The device's interrupt: its MSI vector if it has one, else its INTx. */
static int device_irq(const char *bdf)
{
	char path[PATH_MAX], buf[64];
	struct dirent *e;
	DIR *dir;
	int irq = -1;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/msi_irqs", bdf);
	dir = opendir(path);
	if (dir) {
		while ((e = readdir(dir)))
			if (e->d_name[0] >= '0' && e->d_name[0] <= '9')
				irq = atoi(e->d_name);
		closedir(dir);
	}
	if (irq >= 0)
		return irq;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/irq", bdf);
	if (vu_read_file(path, buf, sizeof(buf)))
		return -1;
	return atoi(buf);
}

static void vfio_irq_setup(struct vfio_dev *d, int index, int fd)
{
	int r = vu_irq_eventfd(d->device, index, fd);

	if (r)
		fail("VFIO_DEVICE_SET_IRQS(%s): %s",
		     index == VFIO_PCI_MSI_IRQ_INDEX ? "MSI" : "INTx", strerror(-r));
}

static void vfio_intx_unmask(struct vfio_dev *d)
{
	struct vfio_irq_set set = {
		.argsz = sizeof(set),
		.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK,
		.index = VFIO_PCI_INTX_IRQ_INDEX,
		.start = 0,
		.count = 1,
	};

	if (ioctl(d->device, VFIO_DEVICE_SET_IRQS, &set))
		fail("INTx unmask: %s", strerror(errno));
}

/* Clear the INTx Disable bit (command register bit 10) through sysfs. */
static void uio_intx_enable(int cfg_fd)
{
	uint16_t cmd;

	if (pread(cfg_fd, &cmd, 2, 4) != 2)
		fail("config read: %s", strerror(errno));
	cmd &= ~0x400;
	if (pwrite(cfg_fd, &cmd, 2, 4) != 2)
		fail("config write: %s", strerror(errno));
}

static int cmd_irq(const char *mech, const char *bdf, long count)
{
	enum { VFIO_MSI, VFIO_INTX, UIO } m;
	struct vfio_dev d;
	volatile uint32_t *bar;
	char node[300], path[PATH_MAX], aff[16] = "";
	uint64_t *lat, irqs0, irqs1, t0;
	const uint32_t one = 1;
	long warm = count / 20 + 10;
	const char *reenable = "none";
	pthread_t th;
	int irq, cfg_fd = -1;

	if (!strcmp(mech, "vfio-msi"))
		m = VFIO_MSI;
	else if (!strcmp(mech, "vfio-intx"))
		m = VFIO_INTX;
	else if (!strcmp(mech, "uio"))
		m = UIO;
	else
		fail("unknown mechanism %s", mech);

	vfio_dev_init(&d);
	pin_cpu(0);
	if (m == UIO) {
		uio_node(bdf, node, sizeof(node));
		w_fd = open(node, O_RDWR);
		if (w_fd < 0)
			fail("%s: %s", node, strerror(errno));
		w_size = 4;
		bar = map_resource0(bdf, resource0_size(bdf), NULL);
		/*
		 * igb_uio re-enables its interrupt when 1 is written to
		 * /dev/uioN (irqcontrol); uio_pci_generic has no irqcontrol
		 * (ENOSYS): its handler sets the command register's INTx
		 * Disable bit and the user clears it through sysfs config.
		 */
		if (write(w_fd, &one, 4) == 4) {
			reenable = "irqcontrol";
		} else if (errno == ENOSYS) {
			snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
			cfg_fd = open(path, O_RDWR);
			if (cfg_fd < 0)
				fail("%s: %s", path, strerror(errno));
			uio_intx_enable(cfg_fd);
			reenable = "config";
		} else {
			fail("enable %s: %s", node, strerror(errno));
		}
	} else {
		vfio_open_or_die(bdf, &d);
		bar = d.bar;
		vfio_set_master(&d);
		w_fd = eventfd(0, 0);
		w_size = 8;
		vfio_irq_setup(&d, m == VFIO_MSI ? VFIO_PCI_MSI_IRQ_INDEX :
			       VFIO_PCI_INTX_IRQ_INDEX, w_fd);
	}
	bar[EDU_ACK / 4] = 0xffffffff;	/* nothing pending */

	irq = device_irq(bdf);
	if (irq < 0)
		fail("%s: no interrupt number in sysfs", bdf);
	snprintf(path, sizeof(path), "/proc/irq/%d/smp_affinity_list", irq);
	if (vu_write_file(path, "1"))
		strcpy(aff, "not set");
	else
		vu_read_file(path, aff, sizeof(aff));

	lat = calloc(count, sizeof(*lat));
	if (!lat)
		fail("out of memory");
	irqs0 = irq_count(irq);
	if (pthread_create(&th, NULL, waiter, NULL))
		fail("pthread_create");

	for (long i = 1; i <= warm + count; i++) {
		uint64_t spin_end;

		if (wait_for(&w_ready, i, 2000))
			fail("waiter not ready for interrupt %ld", i);
		/* let it block in read() before the interrupt */
		spin_end = now_ns() + 100000;
		while (now_ns() < spin_end)
			;
		if (atomic_load(&w_done) >= i)
			fail("wakeup %ld came before its interrupt was raised", i);
		t0 = now_ns();
		bar[EDU_RAISE / 4] = EDU_IRQ_BIT;
		if (wait_for(&w_done, i, 2000))
			fail("no wakeup within 2 s of raising interrupt %ld "
			     "(irq %d, %" PRIu64 " delivered so far)", i, irq,
			     irq_count(irq) - irqs0);
		if (atomic_load(&w_error))
			fail("read: %s", strerror(atomic_load(&w_error)));
		if (i > warm)
			lat[i - warm - 1] = atomic_load(&w_time) - t0;
		bar[EDU_ACK / 4] = EDU_IRQ_BIT;
		if (cfg_fd >= 0) {
			uio_intx_enable(cfg_fd);
		} else if (m == UIO) {
			if (write(w_fd, &one, 4) != 4)
				fail("re-enable: %s", strerror(errno));
		} else if (m == VFIO_INTX) {
			vfio_intx_unmask(&d);
		}
	}
	irqs1 = irq_count(irq);

	printf("{\"test\":\"irq\",\"mech\":\"%s\",\"via\":\"%s\",\"bdf\":\"%s\","
	       "\"irq\":%d,\"affinity\":\"%s\",\"reenable\":\"%s\",\"raised\":%ld,"
	       "\"delivered\":%" PRIu64 ",", mech, m == UIO ? "uio" : via(), bdf,
	       irq, aff, reenable, warm + count, irqs1 - irqs0);
	print_stats("latency_ns", lat, count);
	printf("}\n");
	fflush(stdout);
	_exit(0);	/* the waiter is blocked in read() */
}

/* ---- open ------------------------------------------------------------ */

static int cmd_open(const char *mech, const char *bdf, long count)
{
	uint64_t *setup = calloc(count, sizeof(uint64_t));
	uint64_t *teardown = calloc(count, sizeof(uint64_t));
	int vfio = !strcmp(mech, "vfio");
	char node[PATH_MAX], res[PATH_MAX];
	size_t size = 0;

	if (!setup || !teardown)
		fail("out of memory");
	if (vfio) {
		dev_node(bdf, node, sizeof(node));
	} else if (!strcmp(mech, "uio")) {
		uio_node(bdf, node, sizeof(node));
		size = resource0_size(bdf);
		snprintf(res, sizeof(res), "/sys/bus/pci/devices/%s/resource0", bdf);
	} else {
		fail("unknown mechanism %s", mech);
	}
	pin_cpu(0);
	for (long i = 0; i < count; i++) {
		uint64_t t0, t1, t2;
		uint32_t id;

		if (vfio) {
			struct vfio_dev d;
			const char *step;
			int r;

			t0 = now_ns();
			r = dev_open(node, bdf, &d, &step);
			if (r)
				fail("%s: %s: %s", bdf, step, strerror(-r));
			id = d.bar[EDU_ID / 4];
			t1 = now_ns();
			vfio_close(&d);
			t2 = now_ns();
		} else {
			volatile uint32_t *bar;
			void *p;
			int ufd, rfd;

			t0 = now_ns();
			ufd = open(node, O_RDWR);
			if (ufd < 0)
				fail("%s: %s", node, strerror(errno));
			rfd = open(res, O_RDWR | O_SYNC);
			if (rfd < 0)
				fail("%s: %s", res, strerror(errno));
			p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, rfd, 0);
			if (p == MAP_FAILED)
				fail("mmap %s: %s", res, strerror(errno));
			bar = p;
			id = bar[EDU_ID / 4];
			t1 = now_ns();
			munmap(p, size);
			close(rfd);
			close(ufd);
			t2 = now_ns();
		}
		if ((id & 0xff) != 0xed)
			fail("BAR0 ID register reads %#x, not edu's", id);
		setup[i] = t1 - t0;
		teardown[i] = t2 - t1;
	}
	printf("{\"test\":\"open\",\"mech\":\"%s\",\"via\":\"%s\",\"bdf\":\"%s\",",
	       mech, vfio ? via() : "uio", bdf);
	print_stats("setup_ns", setup, count);
	putchar(',');
	print_stats("teardown_ns", teardown, count);
	printf("}\n");
	return 0;
}

/* ---- cfg ------------------------------------------------------------- */

static int cmd_cfg(const char *bdf, long count)
{
	uint64_t *v = calloc(count, sizeof(uint64_t));
	uint64_t *s = calloc(count, sizeof(uint64_t));
	char path[PATH_MAX];
	struct vfio_dev d;
	uint32_t a, b;
	int fd;

	if (!v || !s)
		fail("out of memory");
	vfio_open_or_die(bdf, &d);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		fail("%s: %s", path, strerror(errno));
	pin_cpu(0);
	for (long i = 0; i < count; i++) {
		uint64_t t0, t1, t2;

		t0 = now_ns();
		if (pread(d.device, &a, 4, d.cfg_off + CFG_PROBE) != 4)
			fail("VFIO config read: %s", strerror(errno));
		t1 = now_ns();
		if (pread(fd, &b, 4, CFG_PROBE) != 4)
			fail("sysfs config read: %s", strerror(errno));
		t2 = now_ns();
		if (a != b)
			fail("config 0x08: VFIO reads %#x, sysfs %#x", a, b);
		v[i] = t1 - t0;
		s[i] = t2 - t1;
	}
	printf("{\"test\":\"cfg\",\"via\":\"%s\",\"bdf\":\"%s\",\"offset\":%d,",
	       via(), bdf, CFG_PROBE);
	print_stats("vfio_ns", v, count);
	putchar(',');
	print_stats("sysfs_ns", s, count);
	printf("}\n");
	return 0;
}

/* ---- mmio ------------------------------------------------------------ */

static double mmio_rate(volatile uint32_t *bar, long ops, int wr)
{
	uint64_t t0 = now_ns(), t;
	uint32_t sink = 0;

	if (wr) {
		for (long i = 0; i < ops; i++)
			bar[EDU_LIVENESS / 4] = (uint32_t)i;
	} else {
		for (long i = 0; i < ops; i++)
			sink += bar[EDU_LIVENESS / 4];
	}
	t = now_ns() - t0;
	(void)sink;
	return ops * 1e9 / (double)t;
}

static void print_rates(const char *name, double *r, int n)
{
	printf("\"%s\":[", name);
	for (int i = 0; i < n; i++)
		printf("%s%.0f", i ? "," : "", r[i]);
	printf("]");
}

static int cmd_mmio(const char *bdf, int reps, long ops)
{
	double *vr = calloc(reps, sizeof(double)), *sr = calloc(reps, sizeof(double));
	double *vw = calloc(reps, sizeof(double)), *sw = calloc(reps, sizeof(double));
	volatile uint32_t *sys;
	struct vfio_dev d;
	uint32_t x;

	if (!vr || !sr || !vw || !sw)
		fail("out of memory");
	vfio_open_or_die(bdf, &d);
	sys = map_resource0(bdf, resource0_size(bdf), NULL);
	/* both mappings reach the same register */
	d.bar[EDU_LIVENESS / 4] = 0x12345678;
	x = sys[EDU_LIVENESS / 4];
	if (x != ~0x12345678u)
		fail("liveness through sysfs reads %#x after writing 0x12345678 "
		     "through VFIO", x);
	pin_cpu(0);
	mmio_rate(d.bar, ops / 10, 0);	/* warm up both */
	mmio_rate(sys, ops / 10, 0);
	for (int i = 0; i < reps; i++) {
		/* alternate which goes first */
		if (i & 1) {
			sr[i] = mmio_rate(sys, ops, 0);
			vr[i] = mmio_rate(d.bar, ops, 0);
			sw[i] = mmio_rate(sys, ops, 1);
			vw[i] = mmio_rate(d.bar, ops, 1);
		} else {
			vr[i] = mmio_rate(d.bar, ops, 0);
			sr[i] = mmio_rate(sys, ops, 0);
			vw[i] = mmio_rate(d.bar, ops, 1);
			sw[i] = mmio_rate(sys, ops, 1);
		}
	}
	printf("{\"test\":\"mmio\",\"via\":\"%s\",\"bdf\":\"%s\",\"ops\":%ld,",
	       via(), bdf, ops);
	print_rates("vfio_read_ops_s", vr, reps);
	putchar(',');
	print_rates("sysfs_read_ops_s", sr, reps);
	putchar(',');
	print_rates("vfio_write_ops_s", vw, reps);
	putchar(',');
	print_rates("sysfs_write_ops_s", sw, reps);
	printf("}\n");
	return 0;
}

/* ---- bind ------------------------------------------------------------ */

static const char *mem_keys[] = {
	"MemFree", "MemAvailable", "Slab", "SReclaimable", "SUnreclaim",
	"KernelStack", "PageTables", "VmallocUsed", "Percpu",
};
#define NKEYS (sizeof(mem_keys) / sizeof(mem_keys[0]))

struct meminfo {
	long total;
	long v[NKEYS];
};

/*
 * /proc/meminfo after folding every CPU's pending counter updates into the
 * totals (vm.stat_refresh): without that, deltas of a few pages stay in
 * per-CPU counters and never show.
 */
static void read_meminfo(struct meminfo *m)
{
	char line[256], key[64];
	long val;
	FILE *f;

	vu_write_file("/proc/sys/vm/stat_refresh", "1");
	f = fopen("/proc/meminfo", "r");

	if (!f)
		fail("/proc/meminfo: %s", strerror(errno));
	memset(m, 0, sizeof(*m));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63[^:]: %ld", key, &val) != 2)
			continue;
		if (!strcmp(key, "MemTotal"))
			m->total = val;
		for (size_t i = 0; i < NKEYS; i++)
			if (!strcmp(key, mem_keys[i]))
				m->v[i] = val;
	}
	fclose(f);
}

/* "mem_kb":{"used":..,"Slab":..,...}: deltas b - a */
static void print_mem_delta(const char *name, struct meminfo *a, struct meminfo *b)
{
	long used_a = a->total - a->v[1], used_b = b->total - b->v[1];

	printf("\"%s\":{\"used\":%ld", name, used_b - used_a);
	for (size_t i = 0; i < NKEYS; i++)
		if (i != 1)
			printf(",\"%s\":%ld", mem_keys[i], b->v[i] - a->v[i]);
	printf("}");
}

static int bound_to(const char *bdf, const char *drv)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;
	const char *p;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return 0;
	link[n] = 0;
	p = strrchr(link, '/');
	return !strcmp(p ? p + 1 : link, drv);
}

static int cmd_bind(const char *drv, const char *steps_arg, char **bdfs, int n)
{
	char path[PATH_MAX];
	int steps[16], nsteps = 0, done = 0;
	struct meminfo m0, m;
	uint64_t t_total = 0, t0, t;
	char *s = strdup(steps_arg), *tok, *save;

	for (tok = strtok_r(s, ",", &save); tok && nsteps < 16;
	     tok = strtok_r(NULL, ",", &save))
		steps[nsteps++] = atoi(tok);
	if (!nsteps || steps[nsteps - 1] > n)
		fail("steps %s: need at least %d devices, have %d", steps_arg,
		     nsteps ? steps[nsteps - 1] : 0, n);
	for (int i = 0; i < steps[nsteps - 1]; i++) {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdfs[i]);
		if (!access(path, F_OK))
			fail("%s is already bound to a driver", bdfs[i]);
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
			 bdfs[i]);
		if (vu_write_file(path, drv))
			fail("%s: cannot write %s", path, drv);
	}
	pin_cpu(0);
	read_meminfo(&m0);
	for (int k = 0; k < nsteps; k++) {
		t0 = now_ns();
		for (; done < steps[k]; done++)
			vu_write_file("/sys/bus/pci/drivers_probe", bdfs[done]);
		t = now_ns() - t0;
		t_total += t;
		read_meminfo(&m);
		for (int i = 0; i < done; i++)
			if (!bound_to(bdfs[i], drv))
				fail("%s is not bound to %s after drivers_probe",
				     bdfs[i], drv);
		printf("{\"test\":\"bind\",\"driver\":\"%s\",\"n\":%d,"
		       "\"bind_ns\":%" PRIu64 ",\"step_ns\":%" PRIu64 ",",
		       drv, done, t_total, t);
		print_mem_delta("mem_kb", &m0, &m);
		printf("}\n");
		fflush(stdout);
	}

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/unbind", drv);
	t0 = now_ns();
	for (int i = 0; i < done; i++)
		if (vu_write_file(path, bdfs[i]))
			fail("unbind %s: %s", bdfs[i], strerror(errno));
	t = now_ns() - t0;
	read_meminfo(&m);
	printf("{\"test\":\"unbind\",\"driver\":\"%s\",\"n\":%d,"
	       "\"unbind_ns\":%" PRIu64 ",", drv, done, t);
	print_mem_delta("mem_kb_left", &m0, &m);
	printf("}\n");
	for (int i = 0; i < done; i++) {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
			 bdfs[i]);
		vu_write_file(path, "\n");
	}
	free(s);
	return 0;
}

/* ---- pa, iomap: iommufd and the cdev -------------------------------- */

/* BDF's cdev bound to a new iommufd and attached to a new IOAS, or die. */
static void cdev_attach_or_die(const char *bdf, struct vfio_dev *d)
{
	char node[PATH_MAX];
	const char *step;
	int r;

	use_cdev = 1;
	dev_node(bdf, node, sizeof(node));
	vfio_dev_init(d);
	r = cdev_attach(node, d, &step);
	if (r)
		fail("%s: %s: %s", node, step, strerror(-r));
}

static int ioas_alloc(int iommufd, uint32_t *id)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	if (ioctl(iommufd, IOMMU_IOAS_ALLOC, &a))
		return -errno;
	*id = a.out_ioas_id;
	return 0;
}

static int ioas_map(int iommufd, uint32_t ioas, void *va, size_t len,
		    uint64_t *iova)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas,
		.user_va = (uintptr_t)va,
		.length = len,
	};

	if (ioctl(iommufd, IOMMU_IOAS_MAP, &m))
		return -errno;
	*iova = m.iova;
	return 0;
}

static int ioas_unmap(int iommufd, uint32_t ioas, uint64_t iova, size_t len)
{
	struct iommu_ioas_unmap u = {
		.size = sizeof(u),
		.ioas_id = ioas,
		.iova = iova,
		.length = len,
	};

	return ioctl(iommufd, IOMMU_IOAS_UNMAP, &u) ? -errno : 0;
}

/* GET_PA of @iova; *len in: the most to scan (0: all), out: contiguous */
static int get_pa(int iommufd, uint32_t ioas, uint64_t iova, uint64_t *len,
		  uint64_t *pa)
{
	struct iommu_ioas_noiommu_get_pa g = {
		.size = sizeof(g),
		.ioas_id = ioas,
		.iova = iova,
		.length = *len,
	};

	if (ioctl(iommufd, IOMMU_IOAS_NOIOMMU_GET_PA, &g))
		return -errno;
	*len = g.length;
	*pa = g.out_phys;
	return 0;
}

/* A populated anonymous buffer, of 2 MiB hugepages if @huge. */
static uint8_t *buffer(size_t bytes, int huge)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | (huge ? MAP_HUGETLB : 0),
		       -1, 0);

	if (p == MAP_FAILED)
		fail("mmap of %zu MiB%s: %s", bytes >> 20,
		     huge ? " of hugepages (vm.nr_hugepages?)" : "",
		     strerror(errno));
	memset(p, 0x5a, bytes);
	return p;
}

/*
 * The physical address of @va from /proc/self/pagemap, open as @fd, read
 * as DPDK's rte_mem_virt2phy() reads it: the 8-byte entry of the 4 KiB
 * page that holds @va (of a hugepage too), its PFN, the offset added.
 */
static uint64_t pagemap_pa(int fd, const void *va, long psz)
{
	uintptr_t a = (uintptr_t)va;
	uint64_t ent, pfn;

	if (pread(fd, &ent, sizeof(ent), a / psz * sizeof(ent)) != sizeof(ent))
		fail("pagemap read at %p: %s", va, strerror(errno));
	pfn = ent & ((1ull << 55) - 1);
	if (!(ent & (1ull << 63)) || !pfn)
		fail("pagemap: %p not present or no PFN (entry %#" PRIx64
		     "; CAP_SYS_ADMIN?)", va, ent);
	return pfn * psz + a % psz;
}

static void print_ns_list(const char *name, uint64_t *v, int n)
{
	printf("\"%s\":[", name);
	for (int i = 0; i < n; i++)
		printf("%s%" PRIu64, i ? "," : "", v[i]);
	printf("]");
}

static int cmd_pa(const char *bdf, const char *kind, long mib, int reps)
{
	long psz = sysconf(_SC_PAGESIZE);
	int huge = !strcmp(kind, "2m");
	size_t bytes = (size_t)mib << 20, unit = huge ? SZ_2M : (size_t)psz;
	size_t n = bytes / unit, runs = 0;
	uint64_t *pm, *gp, *gr, *t_pm, *t_gp, *t_gr, iova = 0, t0, map_ns;
	struct vfio_dev d;
	uint8_t *buf;
	int fd;

	if (!huge && strcmp(kind, "4k"))
		fail("unknown page kind %s (2m or 4k)", kind);
	if (!n || bytes % unit)
		fail("%ld MiB is no whole number of %zu-byte pages", mib, unit);
	pm = calloc(n, sizeof(*pm));
	gp = calloc(n, sizeof(*gp));
	gr = calloc(n, sizeof(*gr));
	t_pm = calloc(reps, sizeof(*t_pm));
	t_gp = calloc(reps, sizeof(*t_gp));
	t_gr = calloc(reps, sizeof(*t_gr));
	if (!pm || !gp || !gr || !t_pm || !t_gp || !t_gr)
		fail("out of memory");

	buf = buffer(bytes, huge);
	cdev_attach_or_die(bdf, &d);
	t0 = now_ns();
	if (ioas_map(d.container, d.ioas, buf, bytes, &iova))
		fail("IOMMU_IOAS_MAP of %ld MiB: %s", mib, strerror(errno));
	map_ns = now_ns() - t0;
	/* opened once, outside the timing: DPDK opens it for every page */
	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0)
		fail("/proc/self/pagemap: %s", strerror(errno));
	pin_cpu(0);

	for (int r = 0; r < reps; r++) {
		for (int k = 0; k < 3; k++) {
			/* rotate which of the three goes first */
			int which = (k + r) % 3;
			uint64_t len, pa;
			size_t i;

			t0 = now_ns();
			switch (which) {
			case 0:
				for (i = 0; i < n; i++)
					pm[i] = pagemap_pa(fd, buf + i * unit, psz);
				t_pm[r] = now_ns() - t0;
				break;
			case 1:
				for (i = 0; i < n; i++) {
					len = unit;
					if (get_pa(d.container, d.ioas, iova + i * unit,
						   &len, &pa))
						fail("GET_PA of page %zu: %s", i,
						     strerror(errno));
					if (len != unit)
						fail("GET_PA of page %zu: length %" PRIu64
						     ", asked for %zu", i, len, unit);
					gp[i] = pa;
				}
				t_gp[r] = now_ns() - t0;
				break;
			default:
				runs = 0;
				for (i = 0; i < n; ) {
					len = (n - i) * unit;
					if (get_pa(d.container, d.ioas, iova + i * unit,
						   &len, &pa))
						fail("GET_PA at page %zu: %s", i,
						     strerror(errno));
					if (!len || len % unit || len > (n - i) * unit)
						fail("GET_PA at page %zu: length %" PRIu64,
						     i, len);
					for (size_t j = 0; j < len / unit; j++)
						gr[i + j] = pa + j * unit;
					i += len / unit;
					runs++;
				}
				t_gr[r] = now_ns() - t0;
				break;
			}
		}
		for (size_t i = 0; i < n; i++)
			if (pm[i] != gp[i] || pm[i] != gr[i])
				fail("page %zu of %zu: pagemap %#" PRIx64
				     ", GET_PA per page %#" PRIx64
				     ", GET_PA per run %#" PRIx64, i, n, pm[i],
				     gp[i], gr[i]);
	}

	printf("{\"test\":\"pa\",\"via\":\"cdev\",\"bdf\":\"%s\",\"kind\":\"%s\","
	       "\"bytes\":%zu,\"unit\":%zu,\"units\":%zu,\"runs\":%zu,"
	       "\"match\":true,\"map_ns\":%" PRIu64 ",", bdf, kind, bytes, unit,
	       n, runs, map_ns);
	print_ns_list("pagemap_ns", t_pm, reps);
	putchar(',');
	print_ns_list("getpa_page_ns", t_gp, reps);
	putchar(',');
	print_ns_list("getpa_run_ns", t_gr, reps);
	printf("}\n");

	close(fd);
	if (ioas_unmap(d.container, d.ioas, iova, bytes))
		fail("IOMMU_IOAS_UNMAP: %s", strerror(errno));
	vfio_close(&d);
	munmap(buf, bytes);
	return 0;
}

/* VmPin of this process in kB */
static long vm_pinned_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		fail("/proc/self/status: %s", strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %ld", &kb) == 1)
			break;
	fclose(f);
	if (kb < 0)
		fail("no VmPin in /proc/self/status");
	return kb;
}

static int cmd_iomap(const char *bdf, long mib, int reps)
{
	size_t bytes = (size_t)mib << 20;
	uint64_t *pmap = calloc(reps, sizeof(uint64_t));
	uint64_t *punmap = calloc(reps, sizeof(uint64_t));
	uint64_t *nmap = calloc(reps, sizeof(uint64_t));
	uint64_t *nunmap = calloc(reps, sizeof(uint64_t));
	long pin0, pinned_kb = 0, plain_kb = 0;
	struct vfio_dev d;
	uint32_t plain = 0;
	uint8_t *buf;

	if (!pmap || !punmap || !nmap || !nunmap)
		fail("out of memory");
	if (mib <= 0)
		fail("size %ld MiB", mib);
	buf = buffer(bytes, 0);
	cdev_attach_or_die(bdf, &d);
	if (ioas_alloc(d.container, &plain))
		fail("IOMMU_IOAS_ALLOC: %s", strerror(errno));
	pin_cpu(0);
	pin0 = vm_pinned_kb();

	for (int r = 0; r < reps; r++) {
		for (int k = 0; k < 2; k++) {
			/* alternate which IOAS goes first */
			int pinning = (k + r) % 2 == 0;
			uint32_t ioas = pinning ? d.ioas : plain;
			uint64_t iova = 0, t0, t1, t2;
			long kb;

			t0 = now_ns();
			if (ioas_map(d.container, ioas, buf, bytes, &iova))
				fail("IOMMU_IOAS_MAP of %ld MiB into the IOAS %s: %s",
				     mib, pinning ? "with the device" :
				     "without a device", strerror(errno));
			t1 = now_ns();
			kb = vm_pinned_kb() - pin0;
			t2 = now_ns();
			if (ioas_unmap(d.container, ioas, iova, bytes))
				fail("IOMMU_IOAS_UNMAP: %s", strerror(errno));
			if (pinning) {
				pmap[r] = t1 - t0;
				punmap[r] = now_ns() - t2;
				pinned_kb = kb;
				if (kb < (long)(bytes >> 10))
					fail("mapped %ld MiB into the IOAS with a "
					     "no-IOMMU device: VmPin grew by %ld kB",
					     mib, kb);
			} else {
				nmap[r] = t1 - t0;
				nunmap[r] = now_ns() - t2;
				plain_kb = kb;
				if (kb)
					fail("mapped %ld MiB into an IOAS without a "
					     "device: VmPin grew by %ld kB", mib, kb);
			}
			if (vm_pinned_kb() != pin0)
				fail("VmPin %ld kB after unmap, %ld kB before map",
				     vm_pinned_kb(), pin0);
		}
	}

	printf("{\"test\":\"iomap\",\"via\":\"cdev\",\"bdf\":\"%s\",\"bytes\":%zu,"
	       "\"vmpin_kb_pinning\":%ld,\"vmpin_kb_plain\":%ld,", bdf, bytes,
	       pinned_kb, plain_kb);
	print_ns_list("pinning_map_ns", pmap, reps);
	putchar(',');
	print_ns_list("pinning_unmap_ns", punmap, reps);
	putchar(',');
	print_ns_list("plain_map_ns", nmap, reps);
	putchar(',');
	print_ns_list("plain_unmap_ns", nunmap, reps);
	printf("}\n");
	vfio_close(&d);
	munmap(buf, bytes);
	return 0;
}

/* ---- main ------------------------------------------------------------ */

static void usage(void)
{
	fprintf(stderr,
		"usage: vfio-bench irq vfio-msi|vfio-intx|uio BDF COUNT\n"
		"       vfio-bench open vfio|uio BDF COUNT\n"
		"       vfio-bench cfg BDF COUNT\n"
		"       vfio-bench mmio BDF REPS OPS\n"
		"       vfio-bench bind DRIVER STEPS BDF...\n"
		"       vfio-bench pa BDF 2m|4k MIB REPS\n"
		"       vfio-bench iomap BDF MIB REPS\n"
		"option, before irq, open, cfg and mmio: --cdev\n");
	exit(2);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "--cdev")) {
		use_cdev = 1;
		argc--;
		argv++;
	}
	if (argc < 2)
		usage();
	prog_cmd = argv[1];
	vu_prog = "vfio-bench";
	if (!strcmp(argv[1], "irq") && argc == 5 && atol(argv[4]) > 0)
		return cmd_irq(argv[2], argv[3], atol(argv[4]));
	if (!strcmp(argv[1], "open") && argc == 5 && atol(argv[4]) > 0)
		return cmd_open(argv[2], argv[3], atol(argv[4]));
	if (!strcmp(argv[1], "cfg") && argc == 4 && atol(argv[3]) > 0)
		return cmd_cfg(argv[2], atol(argv[3]));
	if (!strcmp(argv[1], "mmio") && argc == 5 && atoi(argv[3]) > 0 &&
	    atol(argv[4]) > 0)
		return cmd_mmio(argv[2], atoi(argv[3]), atol(argv[4]));
	if (!strcmp(argv[1], "bind") && argc >= 5)
		return cmd_bind(argv[2], argv[3], argv + 4, argc - 4);
	if (!strcmp(argv[1], "pa") && argc == 6 && atol(argv[4]) > 0 &&
	    atoi(argv[5]) > 0)
		return cmd_pa(argv[2], argv[3], atol(argv[4]), atoi(argv[5]));
	if (!strcmp(argv[1], "iomap") && argc == 5 && atol(argv[3]) > 0 &&
	    atoi(argv[4]) > 0)
		return cmd_iomap(argv[2], atol(argv[3]), atoi(argv[4]));
	usage();
	return 2;
}
