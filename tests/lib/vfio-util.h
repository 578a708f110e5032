/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers shared by the test programs run in the VM: the fault
 * injection programs (tests/faults), the ioctl fuzzer (tests/fuzz) and the
 * benchmarks (bench): errors, sysfs, and the legacy VFIO sequence (group,
 * container, VFIO_SET_IOMMU, device fd) as DPDK runs it.
 * Header only: each program is one .c file plus this.
 */
#ifndef VFIO_UTIL_H
#define VFIO_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/vfio.h>

#ifndef VFIO_NOIOMMU_IOMMU
#define VFIO_NOIOMMU_IOMMU 8
#endif

/* Region offsets in the device fd: index in the top bits (vfio-pci's rule). */
#define VU_REGION_SHIFT 40
#define VU_REGION_OFF(index) ((uint64_t)(index) << VU_REGION_SHIFT)

#define VU_EDU_ID 0x1234
#define VU_EDU_DEV 0x11e8
#define VU_E1000_DEV 0x100e

static const char *vu_prog = "vfio-util";

/* The symbolic name of an errno value, e.g. "EPERM". */
static inline const char *vu_errname(int e)
{
	const char *n;

	if (e < 0)
		e = -e;
	if (e == 0)
		return "OK";
	n = strerrorname_np(e);
	return n ? n : "E?";
}

/*
 * One step's outcome for the scenario to read: "RESULT [WHO ]NAME ERRNAME
 * [DETAIL]", ERRNAME "OK" when err is 0.  who may be NULL.
 */
static inline void vu_vresult(const char *who, const char *name, int err,
			      const char *fmt, va_list ap)
{
	char detail[160] = "";

	if (fmt)
		vsnprintf(detail, sizeof(detail), fmt, ap);
	printf("RESULT %s%s%s %s%s%s\n", who ? who : "", who ? " " : "", name,
	       vu_errname(err), *detail ? " " : "", detail);
}

static inline void vu_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", vu_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static inline uint64_t vu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void vu_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Write STR to the sysfs file PATH; returns 0 or -errno. */
static inline int vu_write_file(const char *path, const char *str)
{
	ssize_t n;
	int fd, e;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, str, strlen(str));
	e = n < 0 ? -errno : 0;
	close(fd);
	return e;
}

/* Read the first line of PATH into BUF (newline dropped); 0 or -errno. */
static inline int vu_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd, e = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		e = -errno;
		n = 0;
	}
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	close(fd);
	return e;
}

/* The IOMMU group number of a PCI device, or -1 if it has none. */
static inline int vu_group_id(const char *bdf)
{
	char path[PATH_MAX], link[PATH_MAX];
	const char *slash;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -1;
	link[n] = 0;
	slash = strrchr(link, '/');
	return atoi(slash ? slash + 1 : link);
}

/* The group node of a device: /dev/vfio/noiommu-N or /dev/vfio/N. */
static inline int vu_group_node(const char *bdf, char *buf, size_t len)
{
	struct stat st;
	int id = vu_group_id(bdf);

	if (id < 0)
		return -ENOENT;
	snprintf(buf, len, "/dev/vfio/noiommu-%d", id);
	if (stat(buf, &st) == 0)
		return 0;
	snprintf(buf, len, "/dev/vfio/%d", id);
	return stat(buf, &st) == 0 ? 0 : -ENOENT;
}

/*
 * The device cdev of a device bound to a VFIO driver, from the vfio-dev
 * directory of its PCI device: /dev/vfio/devices/noiommu-vfioN or
 * /dev/vfio/devices/vfioN.  -ENOENT where the kernel has no device cdev.
 */
static inline int vu_cdev_node(const char *bdf, char *buf, size_t len)
{
	char path[PATH_MAX];
	struct dirent *e;
	struct stat st;
	int r = -ENOENT;
	DIR *dir;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	dir = opendir(path);
	if (!dir)
		return -ENOENT;
	while (r && (e = readdir(dir))) {
		/* vfioN: no name of a device node is longer */
		if (strncmp(e->d_name, "vfio", 4) || strlen(e->d_name) > 15)
			continue;
		snprintf(buf, len, "/dev/vfio/devices/noiommu-%.15s", e->d_name);
		if (stat(buf, &st) == 0) {
			r = 0;
			break;
		}
		snprintf(buf, len, "/dev/vfio/devices/%.15s", e->d_name);
		if (stat(buf, &st) == 0)
			r = 0;
	}
	closedir(dir);
	return r;
}

/* PCI vendor:device of BDF from sysfs, as 0xVVVVDDDD, or 0. */
static inline uint32_t vu_pci_id(const char *bdf)
{
	char path[PATH_MAX], buf[32];
	uint32_t v, d;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", bdf);
	if (vu_read_file(path, buf, sizeof(buf)))
		return 0;
	v = strtoul(buf, NULL, 0);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", bdf);
	if (vu_read_file(path, buf, sizeof(buf)))
		return 0;
	d = strtoul(buf, NULL, 0);
	return v << 16 | d;
}

struct vu_dev {
	int container, group, device;
	const char *step;	/* the step that failed */
	int err;		/* its errno */
};

/*
 * The legacy sequence: open NODE, check the group is viable, attach it to a
 * new container, VFIO_SET_IOMMU(TYPE), get BDF's device fd.  Returns 0, or
 * -errno with d->step naming the failing step; what was opened stays open
 * in *d (-1 otherwise) so a caller can go on testing with it.
 */
static inline int vu_open(struct vu_dev *d, const char *node, const char *bdf,
			  int type)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };

	d->container = d->group = d->device = -1;
	d->err = 0;
	d->step = "open group";
	d->group = open(node, O_RDWR | O_CLOEXEC);
	if (d->group < 0)
		goto fail;
	d->step = "VFIO_GROUP_GET_STATUS";
	if (ioctl(d->group, VFIO_GROUP_GET_STATUS, &st))
		goto fail;
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		errno = EINVAL;
		d->step = "group not viable";
		goto fail;
	}
	d->step = "open /dev/vfio/vfio";
	d->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (d->container < 0)
		goto fail;
	d->step = "VFIO_GROUP_SET_CONTAINER";
	if (ioctl(d->group, VFIO_GROUP_SET_CONTAINER, &d->container))
		goto fail;
	d->step = "VFIO_SET_IOMMU";
	if (ioctl(d->container, VFIO_SET_IOMMU, type))
		goto fail;
	d->step = "VFIO_GROUP_GET_DEVICE_FD";
	d->device = ioctl(d->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (d->device < 0)
		goto fail;
	d->step = NULL;
	return 0;
fail:
	d->err = errno;
	return -d->err;
}

static inline void vu_close(struct vu_dev *d)
{
	if (d->device >= 0)
		close(d->device);
	if (d->group >= 0)
		close(d->group);
	if (d->container >= 0)
		close(d->container);
	d->container = d->group = d->device = -1;
}

static inline int vu_region_info(int device, unsigned int index,
				 struct vfio_region_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->argsz = sizeof(*ri);
	ri->index = index;
	return ioctl(device, VFIO_DEVICE_GET_REGION_INFO, ri) ? -errno : 0;
}

/* Config space access through the device fd; 0 or -errno. */
static inline int vu_cfg_read(int device, unsigned int off, void *buf, size_t len)
{
	ssize_t n = pread(device, buf, len,
			  VU_REGION_OFF(VFIO_PCI_CONFIG_REGION_INDEX) + off);

	return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EIO;
}

static inline int vu_cfg_write(int device, unsigned int off, const void *buf,
			       size_t len)
{
	ssize_t n = pwrite(device, buf, len,
			   VU_REGION_OFF(VFIO_PCI_CONFIG_REGION_INDEX) + off);

	return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EIO;
}

/* Arm IRQ INDEX's vector 0 with eventfd EFD (-1 disarms); 0 or -errno. */
static inline int vu_irq_eventfd(int device, unsigned int index, int efd)
{
	struct {
		struct vfio_irq_set set;
		int32_t fd;
	} s;

	memset(&s, 0, sizeof(s));
	s.set.argsz = sizeof(s);
	s.set.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	s.set.index = index;
	s.set.start = 0;
	s.set.count = 1;
	s.fd = efd;
	return ioctl(device, VFIO_DEVICE_SET_IRQS, &s) ? -errno : 0;
}

/*
 * A quick proof that the device answers: its config space vendor/device
 * match sysfs and, for edu, BAR0's identification register reads
 * 0x010000ed; for e1000, BAR0's STATUS register is not all ones.  Returns
 * 0 or -errno / -EIO, with a line in WHY.
 */
static inline int vu_probe_device(int device, const char *bdf, char *why,
				  size_t len)
{
	uint32_t id = 0, want = vu_pci_id(bdf), reg = 0;
	uint16_t vd[2];
	uint64_t off;
	int e;

	e = vu_cfg_read(device, 0, vd, sizeof(vd));
	if (e) {
		snprintf(why, len, "config read: %s", vu_errname(e));
		return e;
	}
	id = (uint32_t)vd[0] << 16 | vd[1];
	if (id != want) {
		snprintf(why, len, "config ID %08x, sysfs says %08x", id, want);
		return -EIO;
	}
	off = VU_REGION_OFF(VFIO_PCI_BAR0_REGION_INDEX);
	if ((id & 0xffff) == VU_EDU_DEV && id >> 16 == VU_EDU_ID) {
		if (pread(device, &reg, 4, off) != 4) {
			snprintf(why, len, "BAR0 read: %s", vu_errname(errno));
			return -errno;
		}
		if (reg != 0x010000ed) {
			snprintf(why, len, "edu ID register %08x", reg);
			return -EIO;
		}
	} else {
		/* e1000 STATUS at 0x8 */
		if (pread(device, &reg, 4, off + 8) != 4) {
			snprintf(why, len, "BAR0 read: %s", vu_errname(errno));
			return -errno;
		}
		if (reg == 0xffffffff) {
			snprintf(why, len, "BAR0 STATUS reads all ones");
			return -EIO;
		}
	}
	snprintf(why, len, "config %08x, BAR0 register %08x", id, reg);
	return 0;
}

#endif
