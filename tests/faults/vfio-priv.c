// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-priv: what a process without CAP_SYS_RAWIO can do with a no-IOMMU
 * group, from every angle.
 *
 *   vfio-priv norawio|nobody BDF
 *
 * Forks a peer before opening anything.  The peer drops its privileges:
 *   norawio  stays root but loses CAP_SYS_RAWIO (effective, permitted,
 *            inheritable and bounding sets);
 *   nobody   becomes uid/gid 65534 with no capabilities at all; the group
 *            node is made world-writable (mode 0666) for the test and put
 *            back after it.
 * The parent (root, all capabilities) then builds each state of the legacy
 * VFIO sequence and hands its fds to the peer over a unix socket
 * (SCM_RIGHTS); the peer tries what a user would try next.  Every attempt
 * is printed as
 *
 *	RESULT <peer> <name> <OK|ERRNO> [detail]
 *
 * and the scenario compares them with what the series promises.  The
 * parent prints its own setup failures as "error: ..." and exits 2.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>

#include "vfio-util.h"

static const char *peer_name;
static const char *bdf;

static void result(const char *name, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vu_vresult(peer_name, name, err, fmt, ap);
	va_end(ap);
}

/* ioctl returning 0 or errno */
#define TRY(fd, cmd, arg) (ioctl((fd), (cmd), (arg)) < 0 ? errno : 0)

/* ---- fd passing ---------------------------------------------------------- */

#define MAX_FDS 4

static void send_msg(int sock, const char *tag, const int *fds, int n)
{
	char cbuf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
	struct iovec iov = { (void *)tag, strlen(tag) + 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (n) {
		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * n);
	}
	if (sendmsg(sock, &mh, 0) < 0)
		vu_die("sendmsg: %s", vu_errname(errno));
}

/* Returns the number of fds received into FDS; the tag into TAG. */
static int recv_msg(int sock, char *tag, size_t len, int *fds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
	struct iovec iov = { tag, len - 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	ssize_t r;
	int n = 0;

	r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	if (r <= 0)
		return -1;
	tag[r] = 0;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
			n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			memcpy(fds, CMSG_DATA(cm), sizeof(int) * n);
		}
	}
	return n;
}

/* ---- the peer ------------------------------------------------------------ */

static int capget_eff(uint64_t *eff)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -errno;
	*eff = d[0].effective | (uint64_t)d[1].effective << 32;
	return 0;
}

static void drop_privileges(const char *how)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	uint64_t eff = 0;
	int c;

	if (!strcmp(how, "norawio")) {
		if (prctl(PR_CAPBSET_DROP, CAP_SYS_RAWIO, 0, 0, 0))
			vu_die("PR_CAPBSET_DROP: %s", vu_errname(errno));
		if (syscall(SYS_capget, &h, d))
			vu_die("capget: %s", vu_errname(errno));
		for (c = 0; c < 2; c++) {
			uint32_t bit = c == CAP_SYS_RAWIO / 32 ?
				       1u << (CAP_SYS_RAWIO % 32) : 0;

			d[c].effective &= ~bit;
			d[c].permitted &= ~bit;
			d[c].inheritable &= ~bit;
		}
		if (syscall(SYS_capset, &h, d))
			vu_die("capset: %s", vu_errname(errno));
	} else {
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			vu_die("becoming nobody: %s", vu_errname(errno));
	}
	if (capget_eff(&eff))
		vu_die("capget: %s", vu_errname(errno));
	if (eff & (1ULL << CAP_SYS_RAWIO))
		vu_die("still has CAP_SYS_RAWIO");
	printf("# peer %s: uid %d, effective capabilities %#llx\n", how,
	       getuid(), (unsigned long long)eff);
}

static void peer_group_free(int group)
{
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	int c, e;

	e = TRY(group, VFIO_GROUP_GET_STATUS, &gs);
	result("group.get_status", e, "flags %#x", gs.flags);
	c = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (c < 0) {
		result("group.set_container", errno, "own container: open failed");
	} else {
		e = TRY(group, VFIO_GROUP_SET_CONTAINER, &c);
		result("group.set_container", e, NULL);
		if (!e)
			ioctl(group, VFIO_GROUP_UNSET_CONTAINER);
		close(c);
	}
	e = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	result("group.get_device_fd_unattached", e < 0 ? errno : 0, NULL);
	if (e >= 0)
		close(e);
}

static void peer_group_attached(int group, int container)
{
	int e;

	e = TRY(container, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU);
	result("container.set_iommu_noiommu", e, NULL);
	e = TRY(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU);
	result("container.set_iommu_type1v2", e, NULL);
	e = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	result("group.get_device_fd_no_iommu_set", e < 0 ? errno : 0, NULL);
	if (e >= 0)
		close(e);
}

static void peer_group_ready(int group, int container)
{
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	int e, fd;

	e = ioctl(container, VFIO_CHECK_EXTENSION, VFIO_NOIOMMU_IOMMU);
	result("container.check_extension", e < 0 ? errno : 0, "returns %d", e);
	e = TRY(container, VFIO_IOMMU_MAP_DMA, &map);
	result("container.map_dma", e, NULL);
	fd = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	result("group.get_device_fd", fd < 0 ? errno : 0, NULL);
	if (fd >= 0)
		close(fd);
	/* Last: taking the group out of the owner's container */
	e = TRY(group, VFIO_GROUP_UNSET_CONTAINER, 0);
	result("group.unset_container", e, NULL);
}

static void peer_device(int dev)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vfio_region_info ri;
	uint32_t v = 0, id;
	void *map;
	int e, efd;

	e = TRY(dev, VFIO_DEVICE_GET_INFO, &di);
	result("device.get_info", e, "%u regions, %u irqs", di.num_regions,
	       di.num_irqs);
	e = vu_region_info(dev, VFIO_PCI_BAR0_REGION_INDEX, &ri);
	result("device.get_region_info", e, "BAR0 size %#llx",
	       (unsigned long long)ri.size);
	e = vu_cfg_read(dev, 0, &id, 4);
	result("device.config_read", e, "%08x", id);
	e = vu_cfg_read(dev, 0x0d, &v, 1);
	if (!e)
		e = vu_cfg_write(dev, 0x0d, &v, 1);	/* latency timer, same value */
	result("device.config_write", e, NULL);
	e = pread(dev, &v, 4, ri.offset) == 4 ? 0 : errno;
	result("device.bar_read", e, "BAR0[0] %08x", v);
	v = 0x12345678;
	e = pwrite(dev, &v, 4, ri.offset + 4) == 4 ? 0 : errno;	/* edu liveness */
	result("device.bar_write", e, NULL);
	map = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, dev,
		   ri.offset);
	if (map == MAP_FAILED) {
		result("device.bar_mmap", errno, NULL);
	} else {
		result("device.bar_mmap", 0, "BAR0[0] %08x",
		       *(volatile uint32_t *)map);
		munmap(map, ri.size);
	}
	efd = eventfd(0, EFD_CLOEXEC);
	e = vu_irq_eventfd(dev, VFIO_PCI_MSI_IRQ_INDEX, efd);
	result("device.set_irqs_msi", e, NULL);
	if (!e)
		vu_irq_eventfd(dev, VFIO_PCI_MSI_IRQ_INDEX, -1);
	close(efd);
	e = TRY(dev, VFIO_DEVICE_RESET, 0);
	result("device.reset", e, NULL);
}

static void peer(int sock, const char *how, const char *node)
{
	char tag[64];
	int fds[MAX_FDS], n, i, c;

	drop_privileges(how);
	while ((n = recv_msg(sock, tag, sizeof(tag), fds)) >= 0) {
		if (!strcmp(tag, "open")) {
			i = open(node, O_RDWR | O_CLOEXEC);
			result("node.open", i < 0 ? errno : 0, "%s", node);
			if (i >= 0)
				close(i);
			c = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
			result("container.open", c < 0 ? errno : 0, NULL);
			if (c >= 0) {
				i = ioctl(c, VFIO_CHECK_EXTENSION, VFIO_NOIOMMU_IOMMU);
				result("container.check_extension_new",
				       i < 0 ? errno : 0, "returns %d", i);
				close(c);
			}
		} else if (!strcmp(tag, "group-free") && n == 1) {
			peer_group_free(fds[0]);
		} else if (!strcmp(tag, "group-attached") && n == 2) {
			peer_group_attached(fds[0], fds[1]);
		} else if (!strcmp(tag, "group-ready") && n == 2) {
			peer_group_ready(fds[0], fds[1]);
		} else if (!strcmp(tag, "device") && n == 1) {
			peer_device(fds[0]);
		} else if (!strcmp(tag, "end")) {
			break;
		} else {
			printf("error: peer got %s with %d fds\n", tag, n);
		}
		for (i = 0; i < n; i++)
			close(fds[i]);
		fflush(stdout);
		if (write(sock, "k", 1) != 1)
			break;
	}
	_exit(0);
}

/* ---- the owner ----------------------------------------------------------- */

static int sock;

/* Hand FDS to the peer under TAG and wait until it is done with them. */
static void step(const char *tag, const int *fds, int n)
{
	char c;

	fflush(stdout);
	send_msg(sock, tag, fds, n);
	if (read(sock, &c, 1) != 1)
		vu_die("peer went away during %s", tag);
}

int main(int argc, char **argv)
{
	char node[PATH_MAX];
	struct stat sb;
	int sv[2], group, container, dev, e, status;
	pid_t pid;

	vu_prog = "vfio-priv";
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 3 || (strcmp(argv[1], "norawio") && strcmp(argv[1], "nobody")))
		vu_die("usage: vfio-priv norawio|nobody BDF");
	peer_name = argv[1];
	bdf = argv[2];
	if (vu_group_node(bdf, node, sizeof(node)))
		vu_die("%s has no group node", bdf);
	if (stat(node, &sb))
		vu_die("stat %s: %s", node, vu_errname(errno));
	if (!strcmp(peer_name, "nobody") && chmod(node, 0666))
		vu_die("chmod %s: %s", node, vu_errname(errno));

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		vu_die("socketpair: %s", vu_errname(errno));
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		peer(sv[1], peer_name, node);
	}
	close(sv[1]);
	sock = sv[0];

	step("open", NULL, 0);

	group = open(node, O_RDWR | O_CLOEXEC);
	if (group < 0)
		vu_die("owner: open %s: %s", node, vu_errname(errno));
	step("group-free", &group, 1);

	container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (container < 0 || ioctl(group, VFIO_GROUP_SET_CONTAINER, &container))
		vu_die("owner: SET_CONTAINER: %s", vu_errname(errno));
	step("group-attached", (int[]){ group, container }, 2);

	/* The peer may have been allowed to set it: then that is reported. */
	if (ioctl(container, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU) && errno != EBUSY)
		vu_die("owner: SET_IOMMU: %s", vu_errname(errno));
	step("group-ready", (int[]){ group, container }, 2);

	/* The peer may have detached the group: attach it again. */
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) == 0 &&
	    ioctl(container, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU))
		vu_die("owner: SET_IOMMU again: %s", vu_errname(errno));
	dev = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (dev < 0)
		vu_die("owner: GET_DEVICE_FD: %s", vu_errname(errno));
	step("device", &dev, 1);

	send_msg(sock, "end", NULL, 0);
	waitpid(pid, &status, 0);
	close(dev);
	close(group);
	close(container);
	e = chmod(node, sb.st_mode & 07777);
	if (e)
		printf("error: chmod back: %s\n", vu_errname(errno));
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 && !e ? 0 : 2;
}
