// SPDX-License-Identifier: GPL-2.0
/* The loops snapshot on a real BPF hash map, and attribution of a torn copy. */
#include <bpf/bpf.h>
#include <check.h>
#include <string.h>
#include <unistd.h>

#include "attrib/attribution.h"
#include "base/duration.h"
#include "trace/loops.h"
#include "run_suite.h"

static int make_map(int cap)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "test_loops", sizeof(__u32), sizeof(struct ls_loop), cap, NULL);

	ck_assert_msg(fd >= 0, "bpf_map_create (run as root)");
	return fd;
}

static void put(int fd, __u32 tid, __u64 seq, __u64 seq_end)
{
	struct ls_loop l = {.tid = tid, .pid = tid, .seq = seq, .seq_end = seq_end};

	ck_assert_int_eq(bpf_map_update_elem(fd, &tid, &l, BPF_ANY), 0);
}

/* Every loop of a map past the old fixed limits (1024 for the summary and /metrics). */
START_TEST(reads_every_loop_the_map_holds)
{
	struct loops_snapshot s = {0};
	int fd = make_map(3000), i;

	for (i = 1; i <= 2500; i++)
		put(fd, i, 2 * i, 2 * i);
	ck_assert_int_eq(loops_read_map(fd, 3000, &s), 0);
	ck_assert_int_eq(s.n, 2500);
	ck_assert_int_eq(s.cap, 3000);
	ck_assert_int_eq(s.torn, 0);
	loops_snapshot_free(&s);
	close(fd);
}
END_TEST

/* A copy an update overlapped is read again; one that never settles is kept and counted. */
START_TEST(torn_copies_are_read_again)
{
	struct loops_snapshot s = {0};
	int fd = make_map(16);

	put(fd, 1, 4, 4);
	put(fd, 2, 6, 7); /* an update that never ends (a lost store): stays torn */
	ck_assert_int_eq(loops_read_map(fd, 16, &s), 0);
	ck_assert_int_eq(s.n, 2);
	ck_assert_int_eq(s.torn, 1);
	loops_snapshot_free(&s);
	close(fd);
}
END_TEST

START_TEST(busy_and_stalled)
{
	struct ls_loop l = {.iter_start_ns = 1000};

	ck_assert_uint_eq(loop_busy_ns(&l, 5000), 4000);
	ck_assert_uint_eq(loop_busy_ns(&l, 500), 0); /* read before the start: not negative */
	ck_assert(loop_is_stalled(&l, 5000, 4000));
	ck_assert(!loop_is_stalled(&l, 4999, 4000));
	l.iter_start_ns = 0;
	ck_assert(!loop_is_stalled(&l, 5000, 1));
}
END_TEST

/*
 * A torn copy can hold blocked_sys_ns > blocked_ns: "other" must not wrap
 * into centuries (it made the cause "other").
 */
START_TEST(torn_accounting_does_not_wrap)
{
	struct runtimes *rt = runtimes_new();
	struct attribution *a = attribution_new(rt);
	struct ls_stack stacks[2];
	struct ls_loop l;
	struct stall_record *r = malloc(sizeof(*r));
	uint64_t now = monotonic_ns();

	memset(&l, 0, sizeof(l));
	memset(stacks, 0, sizeof(stacks));
	l.pid = l.tid = getpid();
	l.iter_start_ns = now - 300000000;
	l.state_since_ns = now - 1000;
	l.state = LS_ON_CPU;
	l.acct.cpu_ns = 200000000;
	l.acct.blocked_ns = 50000000;
	l.acct.blocked_sys_ns = 60000000;
	l.cur.nr = LS_NO_SYSCALL;
	l.top.nr = LS_NO_SYSCALL;
	attribute_live(a, &l, stacks, now, 100000000, r);
	ck_assert_uint_eq(r->other_ns, 0);
	ck_assert_int_eq(r->cause, CAUSE_CPU);
	free(r);
	attribution_free(a);
	runtimes_free(rt);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {reads_every_loop_the_map_holds, torn_copies_are_read_again, busy_and_stalled,
				torn_accounting_does_not_wrap};

	return run_tests("loops", tests, sizeof(tests) / sizeof(tests[0]));
}
