// SPDX-License-Identifier: GPL-2.0
#include <pthread.h>
#include <sched.h>

#include "base/cpu_avoid.h"
#include "run_suite.h"

/* The tests run on the first two CPUs the process may use: Check forks each, so no test sees another's mask. */
static int first_two(int *a, int *b)
{
	cpu_set_t set;
	int cpu, n = 0;

	ck_assert_int_eq(sched_getaffinity(0, sizeof(set), &set), 0);
	for (cpu = 0; cpu < CPU_SETSIZE && n < 2; cpu++)
		if (CPU_ISSET(cpu, &set))
			*(n++ ? b : a) = cpu;
	return n;
}

static void pin_to(int a, int b)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(a, &set);
	CPU_SET(b, &set);
	ck_assert_int_eq(sched_setaffinity(0, sizeof(set), &set), 0);
}

static cpu_set_t mask_of(pthread_t t)
{
	cpu_set_t set;

	ck_assert_int_eq(pthread_getaffinity_np(t, sizeof(set), &set), 0);
	return set;
}

static void *idle(void *arg)
{
	pthread_mutex_lock(arg); /* held by the test until it is done */
	pthread_mutex_unlock(arg);
	return NULL;
}

START_TEST(keeps_every_thread_off_the_cpus_given_and_back)
{
	pthread_mutex_t hold = PTHREAD_MUTEX_INITIALIZER;
	int a, b, cpus[2];
	struct cpu_avoid *avoid;
	pthread_t other;
	cpu_set_t set;

	ck_assert_msg(first_two(&a, &b) == 2, "needs two CPUs");
	pin_to(a, b);
	pthread_mutex_lock(&hold);
	ck_assert_int_eq(pthread_create(&other, NULL, idle, &hold), 0);
	avoid = cpu_avoid_new();
	ck_assert_ptr_nonnull(avoid);
	cpu_avoid_add(avoid, other);

	cpus[0] = a;
	cpu_avoid_set(avoid, cpus, 1);
	set = mask_of(pthread_self());
	ck_assert(CPU_COUNT(&set) == 1 && CPU_ISSET(b, &set));
	set = mask_of(other);
	ck_assert(CPU_COUNT(&set) == 1 && CPU_ISSET(b, &set));

	/* Nowhere left: all of them, not none. Unknown CPUs (-1) and ones past the set change nothing. */
	cpus[1] = b;
	cpu_avoid_set(avoid, cpus, 2);
	set = mask_of(other);
	ck_assert(CPU_COUNT(&set) == 2 && CPU_ISSET(a, &set) && CPU_ISSET(b, &set));
	cpus[0] = -1;
	cpus[1] = CPU_SETSIZE + 5;
	cpu_avoid_set(avoid, cpus, 2);
	set = mask_of(pthread_self());
	ck_assert(CPU_COUNT(&set) == 2);

	/* No loop followed: back where they were. */
	cpus[0] = b;
	cpu_avoid_set(avoid, cpus, 1);
	cpu_avoid_set(avoid, NULL, 0);
	set = mask_of(other);
	ck_assert(CPU_COUNT(&set) == 2 && CPU_ISSET(a, &set) && CPU_ISSET(b, &set));

	pthread_mutex_unlock(&hold);
	pthread_join(other, NULL);
	cpu_avoid_free(avoid);
}
END_TEST

START_TEST(one_cpu_has_nothing_to_avoid_from)
{
	int a, b;
	cpu_set_t set;

	ck_assert_int_ge(first_two(&a, &b), 1);
	CPU_ZERO(&set);
	CPU_SET(a, &set);
	ck_assert_int_eq(sched_setaffinity(0, sizeof(set), &set), 0);
	ck_assert_ptr_null(cpu_avoid_new());
	cpu_avoid_set(NULL, &a, 1); /* a no-op, as the detector calls it */
	set = mask_of(pthread_self());
	ck_assert(CPU_COUNT(&set) == 1 && CPU_ISSET(a, &set));
}
END_TEST

int main(void)
{
	const TTest *tests[] = {keeps_every_thread_off_the_cpus_given_and_back, one_cpu_has_nothing_to_avoid_from};

	return run_tests("cpu_avoid", tests, sizeof(tests) / sizeof(tests[0]));
}
