// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-cycle: bind/unbind stress for no-IOMMU groups.
 *
 *   vfio-cycle cycles [--device] N BDF
 *	N times: bind BDF to vfio-pci, open its group node (with --device
 *	also a VFIO_NOIOMMU_IOMMU container and the device fd), close,
 *	unbind.  Every step must succeed, the node must be gone after each
 *	unbind.
 *
 *   vfio-cycle race [--procs K] SECONDS BDF...
 *	For SECONDS, K processes per device (default 2) bind, open, close
 *	and unbind it as fast as they can, against each other, while one
 *	more process turns enable_unsafe_noiommu_mode on and off every few
 *	milliseconds.  Failures are expected (a bind while the mode is off,
 *	a device another process holds); the kernel must survive.  The mode
 *	is left on.
 *
 * BDF's driver_override must already say vfio-pci and the device must be
 * unbound.  Prints counters, the highest group number seen as
 * "max-group N", and "errors N": steps that failed in a way the mode's
 * rules do not explain (exit 1 when non-zero).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "vfio-util.h"

#define PARAM "/sys/module/vfio/parameters/enable_unsafe_noiommu_mode"
#define BIND "/sys/bus/pci/drivers/vfio-pci/bind"
#define UNBIND "/sys/bus/pci/drivers/vfio-pci/unbind"

/* Counters, shared between the racing processes. */
struct stats {
	long bind_ok, bind_fail, open_ok, open_fail, dev_ok, dev_fail;
	long unbind_ok, unbind_fail, toggles, errors;
	int max_group;
	char last_error[200];
};
static struct stats *st;

static void error(const char *fmt, ...)
{
	va_list ap;

	__atomic_add_fetch(&st->errors, 1, __ATOMIC_RELAXED);
	va_start(ap, fmt);
	vsnprintf(st->last_error, sizeof(st->last_error), fmt, ap);
	va_end(ap);
	printf("error: %s\n", st->last_error);
}

static void note_group(int id)
{
	int cur = __atomic_load_n(&st->max_group, __ATOMIC_RELAXED);

	while (id > cur &&
	       !__atomic_compare_exchange_n(&st->max_group, &cur, id, 0,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

static int is_bound(const char *bdf)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return 0;
	link[n] = 0;
	return !strcmp(strrchr(link, '/') + 1, "vfio-pci");
}

#define COUNT(field) __atomic_add_fetch(&st->field, 1, __ATOMIC_RELAXED)

/*
 * One round on BDF.  STRICT: nobody else touches the device or the mode,
 * so every step must work.
 */
static void round_on(const char *bdf, int device, int strict)
{
	char node[PATH_MAX];
	struct stat sb;
	struct vu_dev d;
	int e, id, fd;

	e = vu_write_file(BIND, bdf);
	if (e) {
		COUNT(bind_fail);
		/* mode off (EINVAL), already bound (EBUSY), being unbound (ENODEV) */
		if (strict || (e != -EINVAL && e != -EBUSY && e != -ENODEV))
			error("bind %s: %s", bdf, vu_errname(e));
		if (strict)
			return;
	} else {
		COUNT(bind_ok);
	}

	id = vu_group_id(bdf);
	if (id >= 0) {
		note_group(id);
		snprintf(node, sizeof(node), "/dev/vfio/noiommu-%d", id);
		if (device) {
			e = vu_open(&d, node, bdf, VFIO_NOIOMMU_IOMMU);
			if (e) {
				COUNT(dev_fail);
				if (strict || (e != -EBUSY && e != -ENOENT && e != -ENODEV))
					error("%s: %s: %s", node, d.step, vu_errname(e));
			} else {
				COUNT(dev_ok);
			}
			vu_close(&d);
		} else {
			fd = open(node, O_RDWR | O_CLOEXEC);
			if (fd < 0) {
				COUNT(open_fail);
				if (strict || (errno != EBUSY && errno != ENOENT &&
					       errno != ENODEV))
					error("open %s: %s", node, vu_errname(errno));
			} else {
				COUNT(open_ok);
				close(fd);
			}
		}
	} else if (strict) {
		error("%s bound to vfio-pci without an IOMMU group", bdf);
	}

	e = vu_write_file(UNBIND, bdf);
	if (e) {
		COUNT(unbind_fail);
		/* someone else unbound it first */
		if (strict || e != -ENODEV)
			error("unbind %s: %s", bdf, vu_errname(e));
	} else {
		COUNT(unbind_ok);
	}
	if (strict) {
		if (is_bound(bdf))
			error("%s still bound after unbind", bdf);
		if (id >= 0 && stat(node, &sb) == 0)
			error("%s still exists after unbind", node);
	}
}

static void report(void)
{
	printf("bind ok %ld fail %ld, group open ok %ld fail %ld, "
	       "device ok %ld fail %ld, unbind ok %ld fail %ld, toggles %ld\n",
	       st->bind_ok, st->bind_fail, st->open_ok, st->open_fail,
	       st->dev_ok, st->dev_fail, st->unbind_ok, st->unbind_fail,
	       st->toggles);
	printf("max-group %d\n", st->max_group);
	printf("errors %ld\n", st->errors);
}

static int cycles(int argc, char **argv)
{
	int device = 0, n, i;
	uint64_t t0;

	if (argc > 1 && !strcmp(argv[1], "--device"))
		device = 1, argc--, argv++;
	if (argc != 3)
		vu_die("usage: vfio-cycle cycles [--device] N BDF");
	n = atoi(argv[1]);
	t0 = vu_now_ms();
	for (i = 0; i < n && st->errors < 10; i++)
		round_on(argv[2], device, 1);
	printf("%d cycles in %llu ms\n", i,
	       (unsigned long long)(vu_now_ms() - t0));
	report();
	return st->errors ? 1 : 0;
}

static int race(int argc, char **argv)
{
	int procs = 2, secs, ndev, i, j, status;
	pid_t toggler, *pids;
	uint64_t end;

	if (argc > 2 && !strcmp(argv[1], "--procs"))
		procs = atoi(argv[2]), argc -= 2, argv += 2;
	if (argc < 3)
		vu_die("usage: vfio-cycle race [--procs K] SECONDS BDF...");
	secs = atoi(argv[1]);
	ndev = argc - 2;
	end = vu_now_ms() + secs * 1000ULL;
	pids = calloc(ndev * procs, sizeof(*pids));

	toggler = fork();
	if (toggler == 0) {
		unsigned int r = getpid();
		int on = 0;

		while (vu_now_ms() < end) {
			int e = vu_write_file(PARAM, on ? "1" : "0");

			if (e)
				error("write %s: %s", PARAM, vu_errname(e));
			COUNT(toggles);
			on = !on;
			vu_sleep_ms(1 + rand_r(&r) % 5);
		}
		_exit(0);
	}
	for (i = 0; i < ndev; i++) {
		for (j = 0; j < procs; j++) {
			pid_t p = fork();

			if (p == 0) {
				while (vu_now_ms() < end)
					round_on(argv[2 + i], j & 1, 0);
				_exit(0);
			}
			pids[i * procs + j] = p;
		}
	}
	waitpid(toggler, &status, 0);
	for (i = 0; i < ndev * procs; i++)
		waitpid(pids[i], &status, 0);

	/* Leave the mode on and every device unbound. */
	i = vu_write_file(PARAM, "1");
	if (i)
		error("write %s: %s", PARAM, vu_errname(i));
	for (i = 0; i < ndev; i++)
		if (is_bound(argv[2 + i]))
			vu_write_file(UNBIND, argv[2 + i]);
	report();
	return st->errors ? 1 : 0;
}

int main(int argc, char **argv)
{
	vu_prog = "vfio-cycle";
	setvbuf(stdout, NULL, _IOLBF, 0);
	st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (st == MAP_FAILED)
		vu_die("mmap: %s", vu_errname(errno));
	st->max_group = -1;
	if (argc >= 2 && !strcmp(argv[1], "cycles"))
		return cycles(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "race"))
		return race(argc - 1, argv + 1);
	vu_die("usage: vfio-cycle cycles|race ...");
	return 2;
}
