#ifndef LOOPSTALL_COUNTERS_H
#define LOOPSTALL_COUNTERS_H
#include <stdint.h>

/*
 * Process-wide counters that one part writes and the metrics endpoint reads,
 * from other threads: plain atomics, no locks.
 */
struct counters {
	uint64_t kills;
	uint64_t hooks_run;
	uint64_t hooks_failed; /* non-zero exit, killed by a signal, timed out, or could not start */
	uint64_t hooks_dropped; /* over the running limit or a loop's rate limit */
};

static inline void counter_inc(uint64_t *c)
{
	__atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

static inline uint64_t counter_get(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

#endif
