// SPDX-License-Identifier: GPL-2.0
/* The detecting thread's CPU affinity, minus the CPUs of the loops it follows. */
#include <sched.h>
#include <stdlib.h>

#include "base/cpu_avoid.h"

struct cpu_avoid {
	cpu_set_t allowed; /* the creating thread's own, when it was made */
	cpu_set_t applied; /* what the threads run on now */
	pthread_t threads[CPU_AVOID_THREADS];
	int nthreads;
};

static int apply(struct cpu_avoid *a, const cpu_set_t *set)
{
	int i, err = 0;

	for (i = 0; i < a->nthreads; i++)
		err |= pthread_setaffinity_np(a->threads[i], sizeof(*set), set);
	return err;
}

struct cpu_avoid *cpu_avoid_new(void)
{
	struct cpu_avoid *a = calloc(1, sizeof(*a));

	/* More than CPU_SETSIZE (1024) CPUs fails here: nothing avoided, as on one CPU. */
	if (!a || sched_getaffinity(0, sizeof(a->allowed), &a->allowed) || CPU_COUNT(&a->allowed) < 2) {
		free(a);
		return NULL;
	}
	a->applied = a->allowed;
	a->threads[a->nthreads++] = pthread_self();
	return a;
}

void cpu_avoid_add(struct cpu_avoid *a, pthread_t thread)
{
	if (a && a->nthreads < CPU_AVOID_THREADS)
		a->threads[a->nthreads++] = thread;
}

void cpu_avoid_set(struct cpu_avoid *a, const int *cpus, int n)
{
	cpu_set_t want;
	int i;

	if (!a)
		return;
	want = a->allowed;
	for (i = 0; i < n; i++)
		if (cpus[i] >= 0 && cpus[i] < CPU_SETSIZE)
			CPU_CLR(cpus[i], &want);
	if (!CPU_COUNT(&want))
		want = a->allowed;
	if (CPU_EQUAL(&want, &a->applied))
		return;
	/* A CPU gone offline or out of the cpuset since: the whole set again. */
	if (!apply(a, &want))
		a->applied = want;
	else if (!apply(a, &a->allowed))
		a->applied = a->allowed;
}

void cpu_avoid_free(struct cpu_avoid *a)
{
	free(a);
}
