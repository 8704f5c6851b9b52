// SPDX-License-Identifier: GPL-2.0
/*
 * The stall state machine through its seam (struct detector_source): loops,
 * end records and clocks made here, no kernel. Begin at the threshold, a
 * loop found stuck, an iteration that was no stall (closed, parked, no
 * loop), a lost end record, the kill deadline, loopstall stopping.
 */
#include <errno.h>
#include <string.h>

#include "detect/detector.h"
#include "run_suite.h"

#define MS 1000000ULL
#define THRESHOLD (100 * MS)

/* The fake kernel: one loop thread, its end records, what the detector asked of it. */
struct fake {
	struct detector *d;
	struct ls_loop loop; /* tid 0: none */
	struct ls_event end; /* delivered at the next consume when end.type is set */
	unsigned no_stall;   /* what no_stall answers */
	struct ls_ctl ctl;   /* the last loop_ctl */
	int nctl;
	int begins, ends, overdue;
	struct stall_record last; /* the last record the detector gave */
	struct stall_record last_overdue;
};

static struct fake fake;

static int read_loop(void *ctx, pid_t tid, struct ls_loop *out)
{
	struct fake *f = ctx;

	if (!f->loop.tid || (pid_t)f->loop.tid != tid)
		return -ENOENT;
	*out = f->loop;
	return 0;
}

static void read_stacks(void *ctx, pid_t tid, struct ls_stack out[2])
{
	(void)ctx, (void)tid;
	memset(out, 0, 2 * sizeof(*out));
}

static int consume(void *ctx)
{
	struct fake *f = ctx;

	if (f->end.type) {
		struct ls_event e = f->end;

		f->end.type = 0;
		detector_stall_ended(f->d, &e);
		return 1;
	}
	return 0;
}

static int loop_ctl(void *ctx, struct ls_ctl *req)
{
	struct fake *f = ctx;

	f->ctl = *req;
	f->nctl++;
	if ((req->what & LS_CTL_END_ITERATION) && f->loop.iter_seq == req->iter_seq)
		f->loop.iter_start_ns = 0;
	return 0;
}

static void live_record(void *ctx, const struct ls_loop *l, const struct ls_stack stacks[2], uint64_t now_ns,
			uint64_t threshold_ns, struct stall_record *r)
{
	(void)ctx, (void)stacks;
	memset(r, 0, sizeof(*r));
	r->pid = l->pid;
	r->tid = l->tid;
	r->iter_seq = l->iter_seq;
	r->threshold_ns = threshold_ns;
	r->duration_ns = now_ns - l->iter_start_ns;
}

static void end_record(void *ctx, const struct ls_event *e, const struct stall_record *begin, uint64_t threshold_ns,
		       struct stall_record *r)
{
	(void)ctx;
	memset(r, 0, sizeof(*r));
	r->ended = true;
	r->pid = e->pid;
	r->tid = e->tid;
	r->iter_seq = e->iter_seq;
	r->threshold_ns = threshold_ns;
	r->duration_ns = e->end_ns - e->iter_start_ns;
	if (begin)
		memcpy(r->found_by, begin->found_by, sizeof(r->found_by));
}

static unsigned no_stall(void *ctx, const struct ls_loop *l, const struct ls_stack stacks[2], uint64_t *park_futex)
{
	struct fake *f = ctx;

	(void)stacks;
	if (f->no_stall & LS_CTL_PARK)
		*park_futex = l->cur.args[0];
	return f->no_stall;
}

static int runtime_stack(void *ctx, pid_t pid, pid_t tid, struct stall_frame *frames, int max)
{
	(void)ctx, (void)pid, (void)tid, (void)frames, (void)max;
	return 0;
}

static int unwind_sample(void *ctx, const struct ls_sample *s, uint64_t *ips, int max, struct stall_frame *code,
			 int *ncode, int max_code)
{
	(void)ctx, (void)s, (void)ips, (void)max, (void)code, (void)max_code;
	*ncode = 0;
	return 0;
}

static const struct detector_source source = {
	.read_loop = read_loop,
	.read_stacks = read_stacks,
	.consume = consume,
	.loop_ctl = loop_ctl,
	.live_record = live_record,
	.end_record = end_record,
	.no_stall = no_stall,
	.runtime_stack = runtime_stack,
	.unwind_sample = unwind_sample,
};

static void on_stall(void *ctx, const struct stall_record *r)
{
	struct fake *f = ctx;

	if (r->ended)
		f->ends++;
	else
		f->begins++;
	f->last = *r;
}

static void on_overdue(void *ctx, const struct stall_record *r)
{
	struct fake *f = ctx;

	f->overdue++;
	f->last_overdue = *r;
}

static struct counters counters;

/* A detector over the fake, and one loop (pid 10, tid 11) busy in iteration 5 since start. */
static struct detector *start(uint64_t kill_after, uint64_t start_ns)
{
	struct detector_callbacks cb = {.stall = on_stall, .overdue = on_overdue, .ctx = &fake};

	memset(&fake, 0, sizeof(fake));
	fake.loop.pid = 10;
	fake.loop.tid = 11;
	fake.loop.iter_seq = 5;
	fake.loop.iter_start_ns = start_ns;
	fake.loop.state = LS_BLOCKED;
	fake.loop.cur.nr = LS_NO_SYSCALL;
	fake.d = detector_new_from(&source, &fake, THRESHOLD, kill_after, &cb, &counters);
	ck_assert_ptr_nonnull(fake.d);
	return fake.d;
}

/* The kernel's record of the loop's iteration ending at end_ns. */
static void iteration_ends(uint64_t end_ns)
{
	fake.end = (struct ls_event){.type = LS_EV_STALL_END, .pid = fake.loop.pid, .tid = fake.loop.tid};
	fake.end.iter_seq = fake.loop.iter_seq;
	fake.end.iter_start_ns = fake.loop.iter_start_ns;
	fake.end.end_ns = end_ns;
	fake.loop.iter_start_ns = 0;
}

START_TEST(begins_at_the_threshold_and_ends_with_the_kernels_record)
{
	struct detector *d = start(0, 1000 * MS);

	detector_follow(d, 11, 5, 1000 * MS, -1);
	ck_assert_uint_eq(detector_next_check_ns(d), 1050 * MS); /* half the threshold */
	detector_check(d, 1050 * MS);
	ck_assert_int_eq(fake.begins, 0);
	ck_assert_uint_le(detector_next_check_ns(d), 1100 * MS); /* due at the threshold at the latest */
	detector_check(d, 1100 * MS);
	ck_assert_int_eq(fake.begins, 1);
	ck_assert_uint_eq(fake.last.duration_ns, 100 * MS);
	detector_check(d, 1200 * MS); /* still going on: said once */
	ck_assert_int_eq(fake.begins, 1);
	iteration_ends(1700 * MS);
	detector_check(d, detector_next_check_ns(d));
	ck_assert_int_eq(fake.ends, 1);
	ck_assert(fake.last.ended);
	ck_assert_uint_eq(fake.last.duration_ns, 700 * MS);
	ck_assert_uint_eq(detector_stall_count(d, 11), 1);
	ck_assert_uint_eq(detector_next_check_ns(d), UINT64_MAX); /* nothing followed any more */
	detector_free(d);
}
END_TEST

START_TEST(a_short_iteration_is_never_said)
{
	struct detector *d = start(0, 1000 * MS);

	detector_follow(d, 11, 5, 1000 * MS, -1);
	fake.loop.iter_seq = 6; /* it went back to its wait and on */
	fake.loop.iter_start_ns = 1060 * MS;
	detector_check(d, 1100 * MS);
	ck_assert_int_eq(fake.begins + fake.ends, 0);
	ck_assert_uint_eq(detector_next_check_ns(d), UINT64_MAX);
	detector_free(d);
}
END_TEST

START_TEST(a_loop_found_stuck_is_said_at_once_with_what_found_it)
{
	/* Found by a scan at 5000 ms, off its CPU since 2000 ms: 3 s in already. */
	struct detector *d = start(0, 2000 * MS);

	fake.loop.flags = LS_LOOP_FOUND;
	fake.loop.iter_seq = 1;
	detector_follow_found(d, 11, 1, 2000 * MS, -1, "python: asyncio.run on its stack");
	ck_assert_uint_le(detector_next_check_ns(d), 5000 * MS);
	detector_check(d, 5000 * MS);
	ck_assert_int_eq(fake.begins, 1);
	ck_assert_uint_eq(fake.last.duration_ns, 3000 * MS);
	ck_assert_str_eq(fake.last.found_by, "python: asyncio.run on its stack");
	iteration_ends(6000 * MS);
	detector_check(d, 5010 * MS);
	ck_assert_int_eq(fake.ends, 1);
	ck_assert_str_eq(fake.last.found_by, "python: asyncio.run on its stack");
	detector_free(d);
}
END_TEST

START_TEST(a_closed_loop_is_no_stall_and_forgets_its_home)
{
	struct detector *d = start(0, 1000 * MS);

	fake.no_stall = LS_CTL_FORGET_HOME;
	detector_follow(d, 11, 5, 1000 * MS, -1);
	detector_check(d, 1100 * MS);
	ck_assert_int_eq(fake.begins, 0);
	ck_assert_int_eq(fake.nctl, 1);
	ck_assert_uint_eq(fake.ctl.what, LS_CTL_FORGET_HOME | LS_CTL_END_ITERATION);
	ck_assert_uint_eq(fake.ctl.iter_seq, 5);
	ck_assert_uint_eq(detector_next_check_ns(d), UINT64_MAX);
	detector_free(d);
}
END_TEST

START_TEST(a_parked_worker_is_no_stall_and_its_park_is_learned)
{
	struct detector *d = start(0, 1000 * MS);

	fake.no_stall = LS_CTL_PARK;
	fake.loop.cur.nr = 202; /* futex */
	fake.loop.cur.args[0] = 0x5588ff345be8;
	detector_follow(d, 11, 5, 1000 * MS, -1);
	detector_check(d, 1100 * MS);
	ck_assert_int_eq(fake.begins, 0);
	ck_assert_uint_eq(fake.ctl.what, LS_CTL_PARK | LS_CTL_END_ITERATION);
	ck_assert_uint_eq(fake.ctl.park_futex, 0x5588ff345be8);
	detector_free(d);
}
END_TEST

START_TEST(a_sync_clients_poll_is_no_loop)
{
	struct detector *d = start(0, 1000 * MS);

	fake.no_stall = LS_CTL_FORGET_HOME;
	detector_follow(d, 11, 5, 1000 * MS, -1);
	detector_check(d, 1100 * MS);
	ck_assert_int_eq(fake.begins + fake.ends, 0);
	ck_assert_uint_eq(fake.ctl.what, LS_CTL_FORGET_HOME | LS_CTL_END_ITERATION);
	detector_free(d);
}
END_TEST

START_TEST(a_stall_whose_end_record_was_lost_ends_all_the_same)
{
	struct detector *d = start(0, 1000 * MS);

	detector_follow(d, 11, 5, 1000 * MS, -1);
	detector_check(d, 1100 * MS);
	detector_check(d, 1300 * MS);
	ck_assert_int_eq(fake.begins, 1);
	/* It moved on, and the kernel's record never came (a full ring buffer). */
	fake.loop.iter_seq = 6;
	fake.loop.iter_start_ns = 1450 * MS;
	detector_check(d, 1500 * MS);
	ck_assert_int_eq(fake.ends, 1);
	ck_assert(fake.last.ended);
	ck_assert_uint_eq(fake.last.duration_ns, 300 * MS); /* as long as it was last seen */
	detector_free(d);
}
END_TEST

START_TEST(a_stall_reaching_kill_after_is_overdue_once)
{
	struct detector *d = start(1000 * MS, 1000 * MS);

	detector_follow(d, 11, 5, 1000 * MS, -1);
	detector_check(d, 1100 * MS);
	ck_assert_int_eq(fake.begins, 1);
	for (uint64_t t = 1110 * MS; t < 2000 * MS; t += 10 * MS)
		detector_check(d, t);
	ck_assert_int_eq(fake.overdue, 0);
	ck_assert_uint_le(detector_next_check_ns(d), 2000 * MS); /* due at the kill deadline */
	detector_check(d, 2000 * MS);
	ck_assert_int_eq(fake.overdue, 1);
	ck_assert_uint_eq(fake.last_overdue.duration_ns, 1000 * MS);
	detector_check(d, 2500 * MS);
	ck_assert_int_eq(fake.overdue, 1);
	detector_free(d);
}
END_TEST

START_TEST(time_stopped_never_counts_toward_a_kill)
{
	struct detector *d = start(1000 * MS, 1000 * MS);

	detector_follow(d, 11, 5, 1000 * MS, -1);
	detector_check(d, 1100 * MS);
	ck_assert_int_eq(fake.begins, 1);
	/* SIGSTOP at 1200 ms (a debugger, an operator): stopped it is never killed, however long. */
	fake.loop.state = LS_STOPPED;
	fake.loop.state_since_ns = 1200 * MS;
	for (uint64_t t = 1210 * MS; t <= 5000 * MS; t += 10 * MS)
		detector_check(d, t);
	ck_assert_int_eq(fake.overdue, 0);
	/* SIGCONT at 5000 ms: 200 ms of its stall counted so far, 800 to go. */
	fake.loop.state = LS_BLOCKED;
	fake.loop.acct.stopped_ns = 3800 * MS;
	fake.loop.state_since_ns = 5000 * MS;
	detector_check(d, 5010 * MS);
	ck_assert_uint_le(detector_next_check_ns(d), 5800 * MS);
	detector_check(d, 5790 * MS);
	ck_assert_int_eq(fake.overdue, 0);
	detector_check(d, 5800 * MS);
	ck_assert_int_eq(fake.overdue, 1);
	detector_free(d);
}
END_TEST

START_TEST(a_storm_of_busy_loops_is_followed_once_each)
{
	struct detector *d = start(0, 1000 * MS);
	int i;

	/* 3000 loops said busy, each twice (a sample, then the kernel's word): one entry each. */
	for (i = 0; i < 6000; i++)
		detector_follow(d, 1000 + i % 3000, 1, 1000 * MS + (uint64_t)(i % 3000) * MS, -1);
	detector_follow(d, 11, 5, 1000 * MS, -1);
	ck_assert_uint_eq(detector_next_check_ns(d), 1050 * MS);
	/* All but tid 11 are gone (no loop now): the first check drops them, and follows 11 on. */
	detector_check(d, 5000 * MS);
	ck_assert_int_eq(fake.begins, 1);
	ck_assert_uint_eq(fake.last.tid, 11);
	ck_assert_uint_lt(detector_next_check_ns(d), UINT64_MAX);
	detector_free(d);
}
END_TEST

START_TEST(stopping_ends_what_goes_on_as_unfinished)
{
	struct detector *d = start(0, 1000 * MS);

	detector_follow(d, 11, 5, 1000 * MS, -1);
	detector_check(d, 1100 * MS);
	detector_finish(d, 1900 * MS);
	ck_assert_int_eq(fake.ends, 1);
	ck_assert(fake.last.unfinished);
	ck_assert_uint_eq(fake.last.duration_ns, 900 * MS);
	detector_free(d);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
		begins_at_the_threshold_and_ends_with_the_kernels_record,
		a_short_iteration_is_never_said,
		a_loop_found_stuck_is_said_at_once_with_what_found_it,
		a_closed_loop_is_no_stall_and_forgets_its_home,
		a_parked_worker_is_no_stall_and_its_park_is_learned,
		a_sync_clients_poll_is_no_loop,
		a_stall_whose_end_record_was_lost_ends_all_the_same,
		a_stall_reaching_kill_after_is_overdue_once,
		time_stopped_never_counts_toward_a_kill,
		a_storm_of_busy_loops_is_followed_once_each,
		stopping_ends_what_goes_on_as_unfinished,
	};

	return run_tests("detector", tests, sizeof(tests) / sizeof(tests[0]));
}
