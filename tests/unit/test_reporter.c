// SPDX-License-Identifier: GPL-2.0
/*
 * The reporter thread (user/pipeline/reporter.c) with a sink of the test's:
 * records keep their order, a full queue drops and counts, a process is
 * forgotten after the warming queued before, an exited thread's end keeps
 * what its begin named.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/reporter.h"
#include "run_suite.h"

#define NO_PID 0x3ffffff0 /* no such process: nothing of it to read */

/* What the sink saw, in order: 's' stall, 'k' kill, 'l' loss, 'u' summary; and each stall's tid. */
struct seen {
	struct sink sink;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	char kinds[64];
	pid_t tids[64];
	char first_frame[64][128];
	int n;
	bool gate_closed; /* the first stall waits until the test opens it */
	bool in_sink;
};

static void note(struct seen *s, char kind, pid_t tid, const char *frame)
{
	pthread_mutex_lock(&s->lock);
	if (s->n < 64) {
		s->kinds[s->n] = kind;
		s->tids[s->n] = tid;
		snprintf(s->first_frame[s->n], sizeof(s->first_frame[0]), "%s", frame ? frame : "");
		s->n++;
	}
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&s->lock);
}

static void on_stall(struct sink *sink, const struct stall_record *r)
{
	struct seen *s = (struct seen *)sink;

	pthread_mutex_lock(&s->lock);
	s->in_sink = true;
	pthread_cond_broadcast(&s->changed);
	while (s->gate_closed)
		pthread_cond_wait(&s->changed, &s->lock);
	pthread_mutex_unlock(&s->lock);
	note(s, 's', r->tid, r->nframes ? r->frames[0].function : NULL);
}

static void on_kill(struct sink *sink, const struct kill_record *k)
{
	note((struct seen *)sink, 'k', k->tid, NULL);
}

static void on_summary(struct sink *sink, const struct loop_summary *ls)
{
	note((struct seen *)sink, 'u', ls->tid, NULL);
}

static void on_loss(struct sink *sink, const struct loss_record *l)
{
	(void)l;
	note((struct seen *)sink, 'l', 0, NULL);
}

static void on_destroy(struct sink *sink)
{
	(void)sink; /* the test's, freed by the test */
}

static const struct sink_ops seen_ops = {
	.name = "test",
	.stall = on_stall,
	.kill = on_kill,
	.summary = on_summary,
	.loss = on_loss,
	.destroy = on_destroy,
};

static struct seen *seen_new(void)
{
	struct seen *s = calloc(1, sizeof(*s));

	s->sink.ops = &seen_ops;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->changed, NULL);
	return s;
}

static struct stall_record *record(pid_t tid, bool ended)
{
	struct stall_record *r = calloc(1, sizeof(*r));

	r->pid = NO_PID;
	r->tid = tid;
	r->iter_seq = 7;
	r->ended = ended;
	return r;
}

static struct reporter *start(struct seen *s, struct counters *c, const struct detector_cache *cache)
{
	struct reporter *rep = reporter_new(&s->sink, c, cache, NULL);

	ck_assert_ptr_nonnull(rep);
	return rep;
}

START_TEST(records_keep_their_order)
{
	struct seen *s = seen_new();
	struct counters c = {0};
	struct reporter *rep = start(s, &c, NULL);
	struct stall_record *begin = record(101, false), *end = record(101, true);
	struct kill_record *k = calloc(1, sizeof(*k));
	struct loss_record l = {.kernel_events = 1};
	struct loop_summary sum = {.pid = NO_PID, .tid = 101};

	k->pid = NO_PID;
	k->tid = 101;
	reporter_stall(rep, begin);
	reporter_kill(rep, k);
	reporter_stall(rep, end);
	reporter_loss(rep, &l);
	reporter_summary(rep, &sum);
	ck_assert_uint_eq(reporter_dropped(rep), 0);
	reporter_free(rep); /* delivers what is queued first */
	ck_assert_int_eq(s->n, 5);
	ck_assert(memcmp(s->kinds, "skslu", 5) == 0);
	ck_assert_int_eq(c.records, 3); /* stalls and kills */
	free(begin), free(end), free(k), free(s);
}
END_TEST

START_TEST(a_full_queue_drops_and_counts)
{
	struct seen *s = seen_new();
	struct counters c = {0};
	struct reporter *rep = start(s, &c, NULL);
	struct stall_record *r = record(200, false);

	reporter_set_queue_limit(rep, 2);
	s->gate_closed = true;
	reporter_stall(rep, r); /* taken by the thread, which waits in the sink */
	pthread_mutex_lock(&s->lock);
	while (!s->in_sink)
		pthread_cond_wait(&s->changed, &s->lock);
	pthread_mutex_unlock(&s->lock);
	for (int i = 1; i <= 5; i++) {
		r->tid = 200 + i;
		reporter_stall(rep, r); /* two fit, three are dropped */
	}
	ck_assert_uint_eq(reporter_dropped(rep), 3);
	pthread_mutex_lock(&s->lock);
	s->gate_closed = false;
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&s->lock);
	reporter_free(rep);
	ck_assert_int_eq(s->n, 3);
	ck_assert_int_eq(s->tids[0], 200);
	ck_assert_int_eq(s->tids[1], 201);
	ck_assert_int_eq(s->tids[2], 202);
	free(r), free(s);
}
END_TEST

/* The detecting thread's cache, warmed and forgotten from the reporter thread. */
struct calls {
	char what[16];
	int n;
};

static void cache_warm(void *ctx, pid_t pid)
{
	struct calls *c = ctx;

	(void)pid;
	c->what[c->n++] = 'w';
}

static void cache_forget(void *ctx, pid_t pid)
{
	struct calls *c = ctx;

	(void)pid;
	c->what[c->n++] = 'f';
}

START_TEST(a_process_is_forgotten_after_the_warming_queued_before)
{
	struct seen *s = seen_new();
	struct counters c = {0};
	struct calls calls = {0};
	struct detector_cache cache = {cache_warm, cache_forget, &calls};
	struct reporter *rep = start(s, &c, &cache);

	reporter_warm(rep, NO_PID);
	reporter_forget(rep, NO_PID); /* warming it after this would bring back a process that is gone */
	reporter_warm(rep, NO_PID + 1);
	reporter_free(rep);
	ck_assert_int_eq(calls.n, 3);
	ck_assert(memcmp(calls.what, "wfw", 3) == 0);
	free(s);
}
END_TEST

START_TEST(an_exited_threads_end_keeps_what_its_begin_named)
{
	struct seen *s = seen_new();
	struct counters c = {0};
	struct reporter *rep = start(s, &c, NULL);
	struct stall_record *begin = record(300, false), *end = record(300, true);

	begin->nframes = 1;
	begin->frames[0].kind = FRAME_PYTHON;
	snprintf(begin->frames[0].function, sizeof(begin->frames[0].function), "handler");
	end->exited = true; /* nothing of it left to read */
	reporter_stall(rep, begin);
	reporter_stall(rep, end);
	reporter_free(rep);
	ck_assert_int_eq(s->n, 2);
	ck_assert_str_eq(s->first_frame[1], "handler");
	free(begin), free(end), free(s);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {records_keep_their_order, a_full_queue_drops_and_counts,
				a_process_is_forgotten_after_the_warming_queued_before,
				an_exited_threads_end_keeps_what_its_begin_named};

	return run_tests("reporter", tests, sizeof(tests) / sizeof(tests[0]));
}
