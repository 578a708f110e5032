// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdev: an mdev (the mtty sample) used beside no-IOMMU groups.
 *
 *   vfio-mdev EDU_BDF OTHER_BDF MDEV_NODE MDEV_UUID
 *
 * EDU_BDF (an edu) and OTHER_BDF are bound to vfio-pci in no-IOMMU groups;
 * MDEV_NODE (/dev/vfio/N) is the group of the mtty mdev MDEV_UUID.  In one
 * process:
 *   - the edu's group goes into container A with VFIO_NOIOMMU_IOMMU and
 *     its device fd is used (BAR0 mmap, liveness register);
 *   - the mdev's group is refused by container A;
 *   - it goes into container B with VFIO_TYPE1v2_IOMMU (type1 keeps
 *     "emulated" groups without an IOMMU), its device fd is used: config
 *     space IDs, and a byte through the virtual UART (mtty echoes what is
 *     transmitted back as received data);
 *   - OTHER_BDF's no-IOMMU group is refused by container B, and taken by
 *     container A beside the edu's;
 *   - both devices are then used in turns ROUNDS times (default 200).
 * Prints "RESULT name OK|ERRNO [detail]" per step.
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "vfio-util.h"

static void result(const char *name, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vu_vresult(NULL, name, err, fmt, ap);
	va_end(ap);
}

static int uart_echo(int dev, uint64_t bar, uint8_t ch, uint8_t *got)
{
	uint8_t lsr = 0;

	if (pwrite(dev, &ch, 1, bar + 0) != 1)		/* THR */
		return errno;
	if (pread(dev, &lsr, 1, bar + 5) != 1)		/* LSR */
		return errno;
	if (!(lsr & 0x01))				/* data ready */
		return EIO;
	if (pread(dev, got, 1, bar + 0) != 1)		/* RBR */
		return errno;
	return *got == ch ? 0 : EIO;
}

int main(int argc, char **argv)
{
	const char *edu_bdf, *other_bdf, *mnode, *uuid;
	int rounds = 200, e, i, mgroup, cb, mdev, ogroup;
	struct vfio_region_info ri, mri;
	volatile uint32_t *bar;
	char node[PATH_MAX];
	struct vu_dev a;
	uint32_t id = 0;
	uint8_t got = 0;

	vu_prog = "vfio-mdev";
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 5)
		vu_die("usage: vfio-mdev EDU_BDF OTHER_BDF MDEV_NODE MDEV_UUID [ROUNDS]");
	edu_bdf = argv[1];
	other_bdf = argv[2];
	mnode = argv[3];
	uuid = argv[4];
	if (argc > 5)
		rounds = atoi(argv[5]);

	/* Container A: the edu, no-IOMMU */
	if (vu_group_node(edu_bdf, node, sizeof(node)))
		vu_die("%s has no group node", edu_bdf);
	e = vu_open(&a, node, edu_bdf, VFIO_NOIOMMU_IOMMU);
	result("noiommu.open", e, "%s%s%s", node, e ? ": " : "", e ? a.step : "");
	if (e)
		return 1;
	if (vu_region_info(a.device, VFIO_PCI_BAR0_REGION_INDEX, &ri))
		vu_die("edu BAR0 info: %s", vu_errname(errno));
	bar = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, a.device,
		   ri.offset);
	if (bar == MAP_FAILED)
		vu_die("edu BAR0 mmap: %s", vu_errname(errno));
	bar[1] = 0x5a5a0000;
	result("noiommu.mmio", bar[1] == ~0x5a5a0000u ? 0 : EIO,
	       "ID %08x, liveness %08x", bar[0], bar[1]);

	/* The mdev's group */
	mgroup = open(mnode, O_RDWR | O_CLOEXEC);
	result("mdev.open_group", mgroup < 0 ? errno : 0, "%s", mnode);
	if (mgroup < 0)
		return 1;
	e = ioctl(mgroup, VFIO_GROUP_SET_CONTAINER, &a.container) ? errno : 0;
	result("mdev.into_noiommu_container", e, NULL);
	if (!e)
		ioctl(mgroup, VFIO_GROUP_UNSET_CONTAINER);

	cb = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	e = ioctl(mgroup, VFIO_GROUP_SET_CONTAINER, &cb) ? errno : 0;
	result("mdev.set_container", e, NULL);
	e = ioctl(cb, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) ? errno : 0;
	result("mdev.set_iommu_type1v2", e, NULL);
	mdev = ioctl(mgroup, VFIO_GROUP_GET_DEVICE_FD, uuid);
	result("mdev.get_device_fd", mdev < 0 ? errno : 0, NULL);
	if (mdev < 0)
		return 1;
	e = vu_cfg_read(mdev, 0, &id, 4);
	result("mdev.config_id", e ? -e : id == 0x32534348 ? 0 : EIO, "%08x", id);
	e = vu_region_info(mdev, VFIO_PCI_BAR0_REGION_INDEX, &mri);
	result("mdev.bar0_info", -e, "size %llu", (unsigned long long)mri.size);
	e = uart_echo(mdev, mri.offset, 'N', &got);
	result("mdev.uart_echo", e, "got %#x", got);

	/* A second no-IOMMU group: refused by B, taken by A */
	if (vu_group_node(other_bdf, node, sizeof(node)))
		vu_die("%s has no group node", other_bdf);
	ogroup = open(node, O_RDWR | O_CLOEXEC);
	if (ogroup < 0)
		vu_die("open %s: %s", node, vu_errname(errno));
	e = ioctl(ogroup, VFIO_GROUP_SET_CONTAINER, &cb) ? errno : 0;
	result("noiommu.into_type1_container", e, NULL);
	if (!e)
		ioctl(ogroup, VFIO_GROUP_UNSET_CONTAINER);
	e = ioctl(ogroup, VFIO_GROUP_SET_CONTAINER, &a.container) ? errno : 0;
	result("noiommu.second_group_same_container", e, NULL);
	e = ioctl(cb, VFIO_CHECK_EXTENSION, VFIO_NOIOMMU_IOMMU);
	result("mdev.container_check_noiommu", e < 0 ? errno : 0, "returns %d", e);

	/* Both in use, in turns */
	for (i = 0, e = 0; i < rounds && !e; i++) {
		bar[1] = i;
		if (bar[1] != ~(uint32_t)i)
			e = EIO;
		else
			e = uart_echo(mdev, mri.offset, 'a' + i % 26, &got);
	}
	result("both.in_turns", e, "%d rounds", i);

	munmap((void *)bar, ri.size);
	close(mdev);
	close(mgroup);
	close(cb);
	close(ogroup);
	vu_close(&a);
	result("closed", 0, NULL);
	return 0;
}
