#ifndef LOOPSTALL_COUNTERS_H
#define LOOPSTALL_COUNTERS_H
#include <stdint.h>
#include <time.h>

/*
 * Process-wide counters that one part writes and the metrics endpoint reads,
 * from other threads: plain atomics, no locks.
 */
struct counters {
	uint64_t kills;
	uint64_t hooks_run;
	uint64_t hooks_failed;	/* non-zero exit, killed by a signal, timed out, or could not start */
	uint64_t hooks_dropped; /* over the running limit or a loop's rate limit */
	/* loopstall's own CPU time spent on reports, by thread (loopstall_report_cpu_seconds_total) */
	uint64_t capture_ns;   /* detecting thread: stacks, fds, Python frames, sample unwinding */
	uint64_t symbolize_ns; /* reporter thread: symbols, sinks */
	uint64_t warm_ns;      /* reporter thread: a new process's symbols and unwind tables, read ahead of its stalls
				  (loopstall_warm_cpu_seconds_total) */
	uint64_t records;      /* stall and kill records produced */
	uint64_t reports_dropped; /* records the reporter's full queue (or a failed allocation) dropped */
};

/* CPU time of the calling thread, for the counters above. */
static inline uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static inline void counter_add(uint64_t *c, uint64_t v)
{
	__atomic_add_fetch(c, v, __ATOMIC_RELAXED);
}

static inline void counter_inc(uint64_t *c)
{
	__atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

static inline uint64_t counter_get(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

#endif
