// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-race: many processes open the same VFIO group node at once.
 *
 *   vfio-race ROUNDS PROCS NODE
 *
 * Each round forks PROCS processes that wait on a common barrier (a pipe
 * whose write end the parent closes), then all open NODE together.  A
 * winner keeps its fd until every process has tried.  Exactly one open
 * must succeed per round and every other must fail with EBUSY.  Prints
 * one line per round that breaks the rule, then
 * "rounds R winners W ebusy B other O" and exits 0 only when W == R and
 * O == 0.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/wait.h>

#include "vfio-util.h"

struct slot {
	int done;
	int err;	/* 0: opened, else errno */
};

int main(int argc, char **argv)
{
	long winners = 0, ebusy = 0, other = 0;
	int rounds, procs, r, i;
	struct slot *slots;
	const char *node;

	vu_prog = "vfio-race";
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 4)
		vu_die("usage: vfio-race ROUNDS PROCS NODE");
	rounds = atoi(argv[1]);
	procs = atoi(argv[2]);
	node = argv[3];
	slots = mmap(NULL, sizeof(*slots) * procs, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (slots == MAP_FAILED)
		vu_die("mmap: %s", vu_errname(errno));

	for (r = 0; r < rounds; r++) {
		int go[2], release[2], w = 0, b = 0, o = 0, status;
		pid_t pids[procs];
		char c;

		if (pipe(go) || pipe(release))
			vu_die("pipe: %s", vu_errname(errno));
		memset(slots, 0, sizeof(*slots) * procs);
		for (i = 0; i < procs; i++) {
			pids[i] = fork();
			if (pids[i] < 0)
				vu_die("fork: %s", vu_errname(errno));
			if (pids[i] == 0) {
				int fd;

				close(go[1]);
				close(release[1]);
				(void)!read(go[0], &c, 1);	/* EOF: go */
				fd = open(node, O_RDWR | O_CLOEXEC);
				slots[i].err = fd < 0 ? errno : 0;
				__atomic_store_n(&slots[i].done, 1, __ATOMIC_RELEASE);
				if (fd >= 0)
					(void)!read(release[0], &c, 1);
				_exit(0);
			}
		}
		close(go[0]);
		close(release[0]);
		close(go[1]);		/* everyone opens now */
		for (i = 0; i < procs; i++)
			while (!__atomic_load_n(&slots[i].done, __ATOMIC_ACQUIRE))
				vu_sleep_ms(1);
		close(release[1]);	/* the winner closes */
		for (i = 0; i < procs; i++) {
			waitpid(pids[i], &status, 0);
			if (slots[i].err == 0)
				w++;
			else if (slots[i].err == EBUSY)
				b++;
			else
				o++;
		}
		if (w != 1 || o)
			printf("round %d: %d opened, %d EBUSY, %d other (e.g. %s)\n",
			       r, w, b, o, vu_errname(slots[0].err ? slots[0].err :
							slots[procs - 1].err));
		winners += w == 1;
		ebusy += b;
		other += o + (w > 1 ? w - 1 : 0);
	}
	printf("rounds %d winners %ld ebusy %ld other %ld\n", rounds, winners,
	       ebusy, other);
	return winners == rounds && !other ? 0 : 1;
}
