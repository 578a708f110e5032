// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-user: a user of one no-IOMMU device, for the fault scenarios.
 *
 *   vfio-user [OPTIONS] BDF
 *
 * Opens BDF's group (/dev/vfio/noiommu-N unless --node), attaches it to a
 * VFIO_NOIOMMU_IOMMU container and gets the device fd, then does what the
 * options ask until it is told to stop, killed, or --hold runs out:
 *
 *   --check          prove the device answers (config ID, BAR0 register)
 *                    and exit
 *   --req            arm the device request (VFIO_PCI_REQ_IRQ_INDEX) with
 *                    an eventfd; on a request, act as --on-req says
 *   --on-req ACT     close: close everything at once and exit 0 (default)
 *                    ignore: keep going (the kernel asks again)
 *                    late=MS: wait MS milliseconds, then close and exit
 *   --mmio           keep reading and writing edu's liveness register
 *                    through an mmap of BAR0
 *   --dma            keep edu DMA transfers from RAM to the device running
 *                    (the device only reads memory: nothing it does can
 *                    corrupt the guest once the process is gone)
 *   --msi            arm MSI vector 0 with an eventfd, raise edu's
 *                    interrupt and wait for the eventfd each round
 *   --ready FILE     create FILE once everything is armed
 *   --hold MS        stop after MS milliseconds (default: never)
 *
 * Output: "ready", "request N" for each request seen, "mmio N dma N msi N"
 * counters every second, "closed" and a final "done"; errors name the step
 * and errno.  Exit 0 on success, 1 on a failed check, 2 on setup errors.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

#include "vfio-util.h"

#define EDU_LIVENESS 0x04
#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK 0x64
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_CNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_DMA_BUF 0x40000
#define EDU_CMD_START 0x1
#define PCI_COMMAND_OFF 0x04

static size_t bar0_size;

static volatile uint32_t *bar0;
static int dev_fd = -1;

static uint32_t mmio_rd(unsigned int off)
{
	return bar0[off / 4];
}

static void mmio_wr(unsigned int off, uint32_t v)
{
	bar0[off / 4] = v;
}

static void mmio_wr64(unsigned int off, uint64_t v)
{
	*(volatile uint64_t *)((volatile char *)bar0 + off) = v;
}

/* The physical address of a locked page of ours, from /proc/self/pagemap. */
static uint64_t phys_of(void *p)
{
	uint64_t ent, vpn = (uintptr_t)p / getpagesize();
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		vu_die("open pagemap: %s", vu_errname(errno));
	if (pread(fd, &ent, 8, vpn * 8) != 8)
		vu_die("read pagemap: %s", vu_errname(errno));
	close(fd);
	if (!(ent >> 63) || !(ent & ((1ULL << 55) - 1)))
		vu_die("page not present or PFN hidden (pagemap %016llx)",
		       (unsigned long long)ent);
	return (ent & ((1ULL << 55) - 1)) * getpagesize();
}

static void enable_bus_master(void)
{
	uint16_t cmd;
	int e;

	e = vu_cfg_read(dev_fd, PCI_COMMAND_OFF, &cmd, 2);
	if (!e) {
		cmd |= 0x4;
		e = vu_cfg_write(dev_fd, PCI_COMMAND_OFF, &cmd, 2);
	}
	if (e)
		vu_die("bus master enable: %s", vu_errname(e));
}

/* Everything that holds the device: the fds and the BAR mapping. */
static void close_all(struct vu_dev *d)
{
	if (bar0) {
		munmap((void *)bar0, bar0_size);
		bar0 = NULL;
	}
	vu_close(d);
}

int main(int argc, char **argv)
{
	enum { REQ_CLOSE, REQ_IGNORE, REQ_LATE } on_req = REQ_CLOSE;
	int check = 0, req = 0, mmio = 0, dma = 0, msi = 0, late_ms = 0;
	long hold_ms = -1;
	const char *node = NULL, *ready = NULL, *bdf;
	static const struct option opts[] = {
		{ "check", no_argument, NULL, 'c' },
		{ "req", no_argument, NULL, 'r' },
		{ "on-req", required_argument, NULL, 'o' },
		{ "mmio", no_argument, NULL, 'm' },
		{ "dma", no_argument, NULL, 'd' },
		{ "msi", no_argument, NULL, 'i' },
		{ "ready", required_argument, NULL, 'R' },
		{ "hold", required_argument, NULL, 'h' },
		{ "node", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	char nodebuf[PATH_MAX], why[160];
	uint64_t t0, last_report, counts[3] = { 0, 0, 0 }, dma_phys = 0;
	unsigned long requests = 0;
	struct vfio_region_info ri;
	struct vu_dev d;
	int req_fd = -1, msi_fd = -1, c, e;
	void *dma_page = NULL;
	uint32_t live = 0;

	vu_prog = "vfio-user";
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': check = 1; break;
		case 'r': req = 1; break;
		case 'o':
			if (!strcmp(optarg, "close"))
				on_req = REQ_CLOSE;
			else if (!strcmp(optarg, "ignore"))
				on_req = REQ_IGNORE;
			else if (!strncmp(optarg, "late=", 5))
				on_req = REQ_LATE, late_ms = atoi(optarg + 5);
			else
				vu_die("--on-req: close, ignore or late=MS");
			break;
		case 'm': mmio = 1; break;
		case 'd': dma = 1; break;
		case 'i': msi = 1; break;
		case 'R': ready = optarg; break;
		case 'h': hold_ms = atol(optarg); break;
		case 'n': node = optarg; break;
		default: vu_die("bad option (see the comment at the top)");
		}
	}
	if (optind != argc - 1)
		vu_die("usage: vfio-user [OPTIONS] BDF");
	bdf = argv[optind];
	if (!node) {
		if (vu_group_node(bdf, nodebuf, sizeof(nodebuf)))
			vu_die("%s has no VFIO group node", bdf);
		node = nodebuf;
	}

	e = vu_open(&d, node, bdf, VFIO_NOIOMMU_IOMMU);
	if (e) {
		printf("error: %s: %s\n", d.step, vu_errname(e));
		return 2;
	}
	dev_fd = d.device;

	if (check) {
		e = vu_probe_device(dev_fd, bdf, why, sizeof(why));
		printf("%s: %s\n", e ? "check failed" : "check ok", why);
		vu_close(&d);
		return e ? 1 : 0;
	}

	if (mmio || dma || msi) {
		if (vu_region_info(dev_fd, VFIO_PCI_BAR0_REGION_INDEX, &ri))
			vu_die("BAR0 region info: %s", vu_errname(errno));
		bar0_size = ri.size;
		bar0 = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED,
			    dev_fd, ri.offset);
		if (bar0 == MAP_FAILED)
			vu_die("mmap BAR0: %s", vu_errname(errno));
		if (mmio_rd(0) != 0x010000ed)
			vu_die("not an edu (ID %08x)", mmio_rd(0));
	}
	if (dma) {
		dma_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
		if (dma_page == MAP_FAILED)
			vu_die("mmap DMA page: %s", vu_errname(errno));
		memset(dma_page, 0x5a, 4096);
		dma_phys = phys_of(dma_page);
		enable_bus_master();
	}
	if (msi) {
		/* an MSI is a memory write of the device: it needs Bus Master */
		enable_bus_master();
		msi_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		e = vu_irq_eventfd(dev_fd, VFIO_PCI_MSI_IRQ_INDEX, msi_fd);
		if (e)
			vu_die("arm MSI: %s", vu_errname(e));
		/*
		 * edu has no reset: an interrupt a killed user left unacked
		 * would keep the status non-zero and no new one would come.
		 */
		mmio_wr(EDU_IRQ_ACK, mmio_rd(EDU_IRQ_STATUS));
	}
	if (req) {
		req_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		e = vu_irq_eventfd(dev_fd, VFIO_PCI_REQ_IRQ_INDEX, req_fd);
		if (e)
			vu_die("arm the device request: %s", vu_errname(e));
	}

	if (ready) {
		int fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd >= 0)
			close(fd);
	}
	printf("ready: %s, device fd %d\n", node, dev_fd);

	t0 = last_report = vu_now_ms();
	for (;;) {
		struct pollfd pfd[2];
		int npfd = 0, busy = mmio || dma || msi;
		uint64_t now, v;

		if (req_fd >= 0)
			pfd[npfd++] = (struct pollfd){ .fd = req_fd, .events = POLLIN };
		if (msi_fd >= 0 && !mmio && !dma)
			pfd[npfd++] = (struct pollfd){ .fd = msi_fd, .events = POLLIN };
		poll(pfd, npfd, busy ? 0 : 100);

		if (req_fd >= 0 && read(req_fd, &v, 8) == 8) {
			requests += v;
			printf("request %lu\n", requests);
			if (on_req == REQ_LATE) {
				vu_sleep_ms(late_ms);
				on_req = REQ_CLOSE;
			}
			if (on_req == REQ_CLOSE) {
				close_all(&d);
				printf("closed\n");
				break;
			}
		}
		if (mmio) {
			mmio_wr(EDU_LIVENESS, live);
			if (mmio_rd(EDU_LIVENESS) != ~live) {
				printf("error: edu liveness %08x for %08x\n",
				       mmio_rd(EDU_LIVENESS), live);
				return 1;
			}
			live++;
			counts[0]++;
		}
		if (dma && !(mmio_rd(EDU_DMA_CMD) & EDU_CMD_START)) {
			mmio_wr64(EDU_DMA_SRC, dma_phys);
			mmio_wr64(EDU_DMA_DST, EDU_DMA_BUF);
			/* QEMU 7.2's edu refuses a transfer of its whole 4 KiB buffer */
			mmio_wr64(EDU_DMA_CNT, 1024);
			mmio_wr64(EDU_DMA_CMD, EDU_CMD_START);
			counts[1]++;
		}
		if (msi) {
			if (read(msi_fd, &v, 8) == 8) {
				counts[2] += v;
				mmio_wr(EDU_IRQ_ACK, mmio_rd(EDU_IRQ_STATUS));
			}
			if (!mmio_rd(EDU_IRQ_STATUS))
				mmio_wr(EDU_IRQ_RAISE, 1);
		}
		now = vu_now_ms();
		if (busy && now - last_report >= 1000) {
			printf("mmio %llu dma %llu msi %llu\n",
			       (unsigned long long)counts[0],
			       (unsigned long long)counts[1],
			       (unsigned long long)counts[2]);
			last_report = now;
		}
		if (hold_ms >= 0 && now - t0 >= (uint64_t)hold_ms) {
			close_all(&d);
			printf("closed after %ld ms\n", hold_ms);
			break;
		}
	}
	printf("done: %lu requests, mmio %llu dma %llu msi %llu\n", requests,
	       (unsigned long long)counts[0], (unsigned long long)counts[1],
	       (unsigned long long)counts[2]);
	return 0;
}
