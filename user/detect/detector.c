// SPDX-License-Identifier: GPL-2.0
/* Stall begin/end state machine over the kernel's per-loop state. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attrib/cgroup_cpu.h"
#include "detect/detector.h"
#include "base/duration.h"
#include "detect/samples.h"
#include "trace/loops.h"

#define MAX_OPEN 256

/* A stall reported as begun and not yet ended. */
struct open_stall {
	pid_t tid;
	uint64_t iter_seq;
	uint64_t last_duration_ns;
	bool overdue;		/* reported as lasting kill_after_ns */
	int throttle_err;	/* 0 when throttled_ns0 could be read */
	uint64_t throttled_ns0; /* the cgroup's throttled time when the stall began */
	struct stall_record *begin;
};

struct detector {
	struct tracer *tracer;
	struct attribution *attribution;
	uint64_t threshold_ns;
	uint64_t kill_after_ns;
	struct detector_callbacks cb;
	struct counters *counters;
	struct loops_snapshot loops;
	struct sample_store *samples;
	struct stall_record *scratch;
	struct open_stall open[MAX_OPEN];
	int nopen;
	struct {
		pid_t tid;
		uint64_t count;
	} *ended; /* stalls per loop, for the summary */
	int nended, ended_cap;
};

struct detector *detector_new(struct tracer *t, struct attribution *a, uint64_t threshold_ns, uint64_t kill_after_ns,
			      const struct detector_callbacks *cb, struct counters *counters)
{
	struct detector *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->tracer = t;
	d->attribution = a;
	d->threshold_ns = threshold_ns;
	d->kill_after_ns = kill_after_ns;
	d->cb = *cb;
	d->counters = counters;
	d->scratch = malloc(sizeof(*d->scratch));
	d->samples = sample_store_new();
	if (!d->scratch || !d->samples) {
		detector_free(d);
		return NULL;
	}
	return d;
}

void detector_free(struct detector *d)
{
	int i;

	if (!d)
		return;
	for (i = 0; i < d->nopen; i++)
		free(d->open[i].begin);
	loops_snapshot_free(&d->loops);
	free(d->ended);
	free(d->scratch);
	sample_store_free(d->samples);
	free(d);
}

void detector_sample(struct detector *d, const struct ls_sample *s)
{
	uint64_t ips[STALL_SAMPLE_DEPTH], cpu0 = thread_cpu_ns();
	struct stall_frame code[STALL_SAMPLE_DEPTH];
	int ncode, n = attribution_unwind_sample(d->attribution, s, ips, STALL_SAMPLE_DEPTH, code, &ncode,
						 STALL_SAMPLE_DEPTH);

	samples_add_native(d->samples, s->tid, s->iter_seq, ips, n, code, ncode);
	counter_add(&d->counters->capture_ns, thread_cpu_ns() - cpu0);
}

uint64_t detector_scan_period_ns(const struct detector *d)
{
	uint64_t period = d->threshold_ns / 4;

	if (period > 10000000)
		period = 10000000;
	if (period < 1000000)
		period = 1000000;
	return period;
}

static struct open_stall *find_open(struct detector *d, pid_t tid, uint64_t seq)
{
	int i;

	for (i = 0; i < d->nopen; i++)
		if (d->open[i].tid == tid && d->open[i].iter_seq == seq)
			return &d->open[i];
	return NULL;
}

static void count_stall(struct detector *d, pid_t tid)
{
	int i;

	for (i = 0; i < d->nended; i++) {
		if (d->ended[i].tid == tid) {
			d->ended[i].count++;
			return;
		}
	}
	if (d->nended == d->ended_cap) {
		int cap = d->ended_cap ? 2 * d->ended_cap : 64;
		void *more = realloc(d->ended, cap * sizeof(d->ended[0]));

		if (!more)
			return;
		d->ended = more;
		d->ended_cap = cap;
	}
	d->ended[d->nended].tid = tid;
	d->ended[d->nended++].count = 1;
}

uint64_t detector_stall_count(const struct detector *d, pid_t tid)
{
	int i;

	for (i = 0; i < d->nended; i++)
		if (d->ended[i].tid == tid)
			return d->ended[i].count;
	return 0;
}

static void close_open(struct detector *d, struct open_stall *s)
{
	free(s->begin);
	*s = d->open[--d->nopen];
}

/* The CPU limit's share of a stall: how much longer its cgroup was throttled since it began. */
static void note_throttling(const struct open_stall *s, struct stall_record *r)
{
	uint64_t now;

	if (!s->throttle_err && !cgroup_throttled_ns(r->pid, &now) && now > s->throttled_ns0)
		r->throttled_ns = now - s->throttled_ns0;
}

static void report_begin(struct detector *d, const struct ls_loop *l, uint64_t now)
{
	struct ls_stack stacks[2];
	struct open_stall *s;

	uint64_t cpu0 = thread_cpu_ns();

	if (d->nopen == MAX_OPEN)
		return;
	tracer_read_stacks(d->tracer, l->tid, stacks);
	s = &d->open[d->nopen];
	s->begin = malloc(sizeof(*s->begin));
	if (!s->begin)
		return;
	attribute_live(d->attribution, l, stacks, now, d->threshold_ns, s->begin);
	samples_fill(d->samples, l->tid, l->iter_seq, s->begin);
	s->tid = l->tid;
	s->iter_seq = l->iter_seq;
	s->overdue = false;
	s->throttle_err = cgroup_throttled_ns(l->pid, &s->throttled_ns0);
	s->last_duration_ns = s->begin->duration_ns;
	d->nopen++;
	counter_add(&d->counters->capture_ns, thread_cpu_ns() - cpu0);
	d->cb.stall(d->cb.ctx, s->begin);
}

/* A begun stall whose loop moved on with no end record (lost, or the thread vanished). */
static void end_without_record(struct detector *d, struct open_stall *s)
{
	struct stall_record *r = d->scratch;

	*r = *s->begin;
	r->ended = true;
	r->duration_ns = s->last_duration_ns;
	d->cb.stall(d->cb.ctx, r);
	count_stall(d, r->tid);
	close_open(d, s);
}

static void sample_runtime(struct detector *d, const struct ls_loop *l)
{
	struct stall_frame frames[16];
	int n = attribution_runtime_stack(d->attribution, l->pid, l->tid, frames, 16);

	if (n > 0)
		samples_add_runtime(d->samples, l->tid, l->iter_seq, frames, n);
}

void detector_scan(struct detector *d)
{
	struct {
		pid_t tid;
		uint64_t iter_seq;
	} stale[MAX_OPEN];
	int n, i, j, nstale = 0;
	uint64_t now, busy;

	/* End records first, so a stall that just ended is not taken for a lost one. */
	tracer_consume(d->tracer);
	if (loops_read(d->tracer, &d->loops))
		return;
	n = d->loops.n;
	now = d->loops.now_ns;
	for (i = 0; i < n; i++) {
		const struct ls_loop *l = &d->loops.v[i];
		struct open_stall *s;

		busy = loop_busy_ns(l, now);
		if (busy < d->threshold_ns / 2 || !busy)
			continue;
		/* Busy for half the threshold: sample its runtime's stack while it runs. */
		if (l->state != LS_BLOCKED)
			sample_runtime(d, l);
		if (!loop_is_stalled(l, now, d->threshold_ns))
			continue;
		s = find_open(d, l->tid, l->iter_seq);
		if (!s) {
			report_begin(d, l, now);
			continue;
		}
		s->last_duration_ns = busy;
		if (d->kill_after_ns && s->last_duration_ns >= d->kill_after_ns && !s->overdue) {
			struct ls_stack stacks[2];
			uint64_t cpu0 = thread_cpu_ns();

			s->overdue = true;
			tracer_read_stacks(d->tracer, l->tid, stacks);
			attribute_live(d->attribution, l, stacks, now, d->threshold_ns, d->scratch);
			samples_fill(d->samples, l->tid, l->iter_seq, d->scratch);
			note_throttling(s, d->scratch);
			counter_add(&d->counters->capture_ns, thread_cpu_ns() - cpu0);
			d->cb.overdue(d->cb.ctx, d->scratch);
		}
	}
	/*
	 * A stall whose loop moved on: the kernel submits its end record before
	 * it marks the loop idle, so after one more read of the ring buffer any
	 * stall still open lost its record.
	 */
	for (j = 0; j < d->nopen; j++) {
		struct open_stall *s = &d->open[j];
		bool ongoing = false;

		for (i = 0; i < n && !ongoing; i++)
			ongoing = d->loops.v[i].tid == (__u32)s->tid && d->loops.v[i].iter_seq == s->iter_seq &&
				  d->loops.v[i].iter_start_ns;
		if (!ongoing && nstale < MAX_OPEN) {
			stale[nstale].tid = s->tid;
			stale[nstale++].iter_seq = s->iter_seq;
		}
	}
	if (!nstale)
		return;
	tracer_consume(d->tracer);
	for (j = 0; j < nstale; j++) {
		struct open_stall *s = find_open(d, stale[j].tid, stale[j].iter_seq);

		if (s)
			end_without_record(d, s);
	}
}

void detector_finish(struct detector *d)
{
	uint64_t now = monotonic_ns();
	int i;

	tracer_consume(d->tracer); /* the ones that just ended have their own record */
	for (i = d->nopen - 1; i >= 0; i--) {
		struct open_stall *s = &d->open[i];
		struct stall_record *r = d->scratch;

		*r = *s->begin;
		r->ended = true;
		r->unfinished = true;
		r->duration_ns = s->last_duration_ns;
		for (int j = 0; j < d->loops.n; j++)
			if (d->loops.v[j].tid == (__u32)s->tid && d->loops.v[j].iter_seq == s->iter_seq)
				r->duration_ns = loop_busy_ns(&d->loops.v[j], now);
		samples_fill(d->samples, s->tid, s->iter_seq, r);
		d->cb.stall(d->cb.ctx, r);
		close_open(d, s);
	}
}

void detector_stall_ended(struct detector *d, const struct ls_event *e)
{
	struct open_stall *s = find_open(d, e->tid, e->iter_seq);
	uint64_t cpu0 = thread_cpu_ns();

	attribute_end(d->attribution, e, s ? s->begin : NULL, d->threshold_ns, d->scratch);
	samples_fill(d->samples, e->tid, e->iter_seq, d->scratch);
	if (s)
		note_throttling(s, d->scratch);
	samples_drop_until(d->samples, e->tid, e->iter_seq);
	counter_add(&d->counters->capture_ns, thread_cpu_ns() - cpu0);
	d->cb.stall(d->cb.ctx, d->scratch);
	count_stall(d, e->tid);
	if (s)
		close_open(d, s);
}
