#ifndef LOOPSTALL_LOOPS_H
#define LOOPSTALL_LOOPS_H
#include <linux/types.h>
#include <stdbool.h>
#include <stdint.h>

#include "loopstall.h"
#include "trace/tracer.h"

/*
 * One read of the kernel's per-loop map: every loop's state at one moment,
 * as the detector, top, metrics and the summary see it. Sized from the map
 * itself, so no reader misses loops another one sees.
 */
struct loops_snapshot {
	struct ls_loop *v;
	int n;
	int cap;	 /* the map's capacity */
	uint64_t now_ns; /* CLOCK_MONOTONIC when read */
	int torn;	 /* entries that kept changing while copied (kept as last read) */
};

/* Reads every loop into s (its buffer reused between reads). 0 or -errno. */
int loops_read(struct tracer *t, struct loops_snapshot *s);
void loops_snapshot_free(struct loops_snapshot *s);
/* The same from any hash map of struct ls_loop, for tests. */
int loops_read_map(int map_fd, int cap, struct loops_snapshot *s);
/* One loop thread's state, read again while torn. 0, -ENOENT (not a loop now) or -errno. */
int loop_read(struct tracer *t, pid_t tid, struct ls_loop *out);

/* How long l's current iteration has been busy at now (0 while it waits). */
uint64_t loop_busy_ns(const struct ls_loop *l, uint64_t now);
/* Busy for the threshold or longer. */
bool loop_is_stalled(const struct ls_loop *l, uint64_t now, uint64_t threshold_ns);

#endif
