// SPDX-License-Identifier: GPL-2.0
/* The per-process table of containers: read once, looked up by others, forgotten. */
#include <check.h>
#include <string.h>
#include <unistd.h>

#include "attrib/containers.h"
#include "run_suite.h"

START_TEST(read_once_then_peeked)
{
	struct containers *cs = containers_new();
	struct container_info a, b;

	ck_assert_ptr_nonnull(cs);
	ck_assert(!containers_peek(cs, getpid(), &a));
	containers_get(cs, getpid(), &a);
	ck_assert(containers_peek(cs, getpid(), &b));
	ck_assert_mem_eq(&a, &b, sizeof(a));
	containers_forget(cs, getpid());
	ck_assert(!containers_peek(cs, getpid(), &b));
	/* A process that is not there: nothing known, nothing kept. */
	containers_get(cs, 0x3ffffff0, &a);
	ck_assert(!container_known(&a));
	ck_assert(!containers_peek(cs, 0x3ffffff0, &b));
	ck_assert(!containers_peek(NULL, getpid(), &b));
	containers_free(cs);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {read_once_then_peeked};

	return run_tests("containers", tests, sizeof(tests) / sizeof(tests[0]));
}
