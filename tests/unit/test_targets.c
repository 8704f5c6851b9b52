// SPDX-License-Identifier: GPL-2.0
/*
 * Finding targets in /proc. Linked with realloc and free wrapped
 * (-Wl,--wrap, see the Makefile), so a failing realloc can be made and the
 * blocks it leaves counted.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/targets.h"
#include "run_suite.h"

void *__real_realloc(void *p, size_t n);
void __real_free(void *p);

static int tracking; /* only the calls under test: Check itself may be linked in statically */
static int fail_at = -1; /* the realloc call that fails, counting from 0; -1: none */
static int calls;
static void *live[64]; /* blocks from realloc not freed yet */

static void forget(void *p)
{
	for (int i = 0; p && i < 64; i++)
		if (live[i] == p)
			live[i] = NULL;
}

void *__wrap_realloc(void *p, size_t n)
{
	void *q;

	if (!tracking)
		return __real_realloc(p, n);
	if (calls++ == fail_at)
		return NULL;
	q = __real_realloc(p, n);
	if (q) {
		forget(p);
		for (int i = 0; i < 64; i++)
			if (!live[i]) {
				live[i] = q;
				break;
			}
	}
	return q;
}

void __wrap_free(void *p)
{
	if (tracking)
		forget(p);
	__real_free(p);
}

static int leaked(void)
{
	int n = 0;

	for (int i = 0; i < 64; i++)
		n += live[i] != NULL;
	return n;
}

static void count(void *ctx, pid_t pid)
{
	(void)pid;
	++*(int *)ctx;
}

START_TEST(descendants_of_init)
{
	int n = 0;

	tracking = 1;
	ck_assert_int_eq(target_for_each_descendant(1, count, &n), 0);
	tracking = 0;
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(leaked(), 0);
}
END_TEST

/* Out of memory while listing processes: -ENOMEM, and nothing left behind. */
START_TEST(failed_realloc_leaks_nothing)
{
	int n = 0, at;

	/* The first realloc of each of the two arrays, and a later growth (over 512 processes here). */
	for (at = 0; at < 2; at++) {
		calls = 0;
		fail_at = at;
		tracking = 1;
		ck_assert_int_eq(target_for_each_descendant(1, count, &n), -ENOMEM);
		tracking = 0;
		ck_assert_int_eq(leaked(), 0);
	}
	fail_at = -1;
}
END_TEST

START_TEST(exists)
{
	ck_assert(target_exists(getpid()));
	ck_assert(!target_exists(0));
	ck_assert(!target_exists(-5));
}
END_TEST

int main(void)
{
	const TTest *tests[] = {descendants_of_init, failed_realloc_leaks_nothing, exists};

	return run_tests("targets", tests, sizeof(tests) / sizeof(tests[0]));
}
