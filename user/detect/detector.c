// SPDX-License-Identifier: GPL-2.0
/* Stall begin/end state machine over the kernel's per-loop state. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attrib/cgroup_cpu.h"
#include "base/cpu_avoid.h"
#include "base/duration.h"
#include "detect/detector.h"
#include "detect/samples.h"
#include "record/culprit.h"
#include "trace/loops.h"

#define MAX_OPEN 256
#define SPARE_RECORDS 2

/* A busy iteration of a loop, checked at next_ns until it ends. */
struct followed {
	pid_t tid;
	uint64_t iter_seq;
	uint64_t iter_start_ns;
	uint64_t next_ns;
	int cpu; /* the CPU it keeps busy (-1: it left the CPU) */
	char found_by[64]; /* a loop found inside this iteration by a scan: what told it is a loop */
};

/* A stall reported as begun and not yet ended. */
struct open_stall {
	pid_t tid;
	uint64_t iter_seq;
	uint64_t last_duration_ns;
	bool overdue;		/* reported as lasting kill_after_ns */
	int throttle_err;	/* 0 when throttled_ns0 could be read */
	uint64_t throttled_ns0; /* the cgroup's throttled time when the stall began */
	struct cgroup_throttle throttle;
	struct stall_record *begin;
	/*
	 * The blocking calls seen going on (the begin's, and each one caught
	 * blocked at a check): how long each blocked, and its culprit. The one
	 * that blocked longest after the begin is captured whole (held), for
	 * the end record to tell the part that held the loop longest, not its
	 * first moment.
	 */
	struct stall_phase calls[STALL_MAX_PHASES];
	uint64_t call_seqs[STALL_MAX_PHASES];
	int ncalls;
	bool cpu_first;		   /* the begin caught it on CPU: its CPU phase came first */
	struct stall_frame cpu_culprit; /* and the begin's culprit is that phase's */
	struct stall_record *held; /* NULL: the begin's call blocked longest so far */
	uint64_t held_call_seq;
};

struct detector {
	const struct detector_source *src;
	void *ctx;			   /* of src */
	struct detector_wiring wiring; /* the real source's ctx */
	uint64_t threshold_ns;
	uint64_t kill_after_ns;
	struct detector_callbacks cb;
	struct counters *counters;
	struct followed *followed; /* loops the kernel said are busy */
	int nfollowed, followed_cap;
	int *followed_cpus; /* scratch: their CPUs, to keep off (followed_cap of them) */
	/*
	 * followed[] by (tid, iteration): open addressing, an index + 1 a slot
	 * (0: free), twice as many slots as followed_cap. A storm of busy loops
	 * (a thousand a second) is then no quadratic work.
	 */
	int *by_key;
	struct cpu_avoid *avoid;
	struct sample_store *samples;
	struct stall_record *scratch;
	/* Records of closed stalls, for the next: a new one is mapped, faulted in and unmapped (264 KB). */
	struct stall_record *spare[SPARE_RECORDS];
	int nspare;
	struct open_stall open[MAX_OPEN];
	int nopen;
	int max_open;	  /* MAX_OPEN, fewer under a memory limit (a begin and a phase: 2 records each) */
	uint64_t dropped; /* begin records not made, max_open being reached */
	struct {
		pid_t tid;
		uint64_t count;
	} *ended; /* stalls per loop, for the summary */
	int nended, ended_cap;
};

/* The real source: the kernel's loops through the tracer, records through attribution. */
static int kernel_read_loop(void *ctx, pid_t tid, struct ls_loop *out)
{
	return loop_read(((struct detector_wiring *)ctx)->tracer, tid, out);
}

static void kernel_read_stacks(void *ctx, pid_t tid, struct ls_stack out[2])
{
	tracer_read_stacks(((struct detector_wiring *)ctx)->tracer, tid, out);
}

static int kernel_consume(void *ctx)
{
	return tracer_consume(((struct detector_wiring *)ctx)->tracer);
}

static int kernel_loop_ctl(void *ctx, struct ls_ctl *req)
{
	return tracer_loop_ctl(((struct detector_wiring *)ctx)->tracer, req);
}

static void live_record(void *ctx, const struct ls_loop *l, const struct ls_stack stacks[2], uint64_t now_ns,
			uint64_t threshold_ns, struct stall_record *r)
{
	attribute_live(((struct detector_wiring *)ctx)->attribution, l, stacks, now_ns, threshold_ns, r);
}

static void end_record(void *ctx, const struct ls_event *e, const struct stall_record *begin, uint64_t threshold_ns,
		       struct stall_record *r)
{
	attribute_end(((struct detector_wiring *)ctx)->attribution, e, begin, threshold_ns, r);
}

static unsigned no_stall(void *ctx, const struct ls_loop *l, const struct ls_stack stacks[2], uint64_t *park_futex)
{
	return attribution_no_stall(((struct detector_wiring *)ctx)->attribution, l, stacks, park_futex);
}

static int sample_runtime_stack(void *ctx, const struct ls_sample *s, struct stall_frame *frames, int max)
{
	return attribution_sample_runtime_stack(((struct detector_wiring *)ctx)->attribution, s, frames, max);
}

static int runtime_stack(void *ctx, pid_t pid, pid_t tid, struct stall_frame *frames, int max)
{
	return attribution_runtime_stack(((struct detector_wiring *)ctx)->attribution, pid, tid, frames, max);
}

static int unwind_sample(void *ctx, const struct ls_sample *s, uint64_t *ips, int max, struct stall_frame *code,
			 int *ncode, int max_code)
{
	return attribution_unwind_sample(((struct detector_wiring *)ctx)->attribution, s, ips, max, code, ncode,
					 max_code);
}

static const struct detector_source kernel_source = {
	.read_loop = kernel_read_loop,
	.read_stacks = kernel_read_stacks,
	.consume = kernel_consume,
	.loop_ctl = kernel_loop_ctl,
	.live_record = live_record,
	.end_record = end_record,
	.no_stall = no_stall,
	.runtime_stack = runtime_stack,
	.unwind_sample = unwind_sample,
	.sample_runtime_stack = sample_runtime_stack,
};

struct detector *detector_new(struct tracer *t, struct attribution *a, uint64_t threshold_ns, uint64_t kill_after_ns,
			      const struct detector_callbacks *cb, struct counters *counters)
{
	struct detector *d = detector_new_from(&kernel_source, NULL, threshold_ns, kill_after_ns, cb, counters);

	if (d) {
		d->wiring = (struct detector_wiring){t, a};
		d->ctx = &d->wiring;
	}
	return d;
}

struct detector *detector_new_from(const struct detector_source *src, void *ctx, uint64_t threshold_ns,
				   uint64_t kill_after_ns, const struct detector_callbacks *cb,
				   struct counters *counters)
{
	struct detector *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->src = src;
	d->ctx = ctx;
	d->max_open = MAX_OPEN;
	d->threshold_ns = threshold_ns;
	d->kill_after_ns = kill_after_ns;
	d->cb = *cb;
	d->counters = counters;
	d->scratch = malloc(sizeof(*d->scratch));
	d->samples = sample_store_new();
	d->avoid = cpu_avoid_new(); /* made on the detecting thread: its CPUs */
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
	for (i = 0; i < d->nopen; i++) {
		free(d->open[i].begin);
		free(d->open[i].held);
	}
	while (d->nspare)
		free(d->spare[--d->nspare]);
	free(d->followed);
	free(d->followed_cpus);
	free(d->by_key);
	cpu_avoid_free(d->avoid);
	free(d->ended);
	free(d->scratch);
	sample_store_free(d->samples);
	free(d);
}

void detector_keep_off_with(struct detector *d, pthread_t thread)
{
	cpu_avoid_add(d->avoid, thread);
}

void detector_sample(struct detector *d, const struct ls_sample *s)
{
	uint64_t ips[STALL_SAMPLE_DEPTH], cpu0 = thread_cpu_ns();
	struct stall_frame code[STALL_SAMPLE_DEPTH];
	int ncode, n;

	if (samples_take_native(d->samples, s->tid, s->iter_seq)) {
		n = d->src->unwind_sample(d->ctx, s, ips, STALL_SAMPLE_DEPTH, code, &ncode, STALL_SAMPLE_DEPTH);
		samples_add_native(d->samples, s->tid, s->iter_seq, ips, n, code, ncode);
		/* a JVM's Java frames, walked from the sample's registers */
		if (d->src->sample_runtime_stack && (n = d->src->sample_runtime_stack(d->ctx, s, code, SAMPLE_RUNTIME_DEPTH)) > 0)
			samples_add_runtime(d->samples, s->tid, s->iter_seq, code, n);
		counter_add(&d->counters->capture_ns, thread_cpu_ns() - cpu0);
	}
	detector_follow(d, s->tid, s->iter_seq, s->iter_start_ns, s->cpu);
}

/* The detecting thread keeps off the followed loops' CPUs: it is to run at their threshold. */
static void avoid_followed_cpus(struct detector *d)
{
	int i;

	if (!d->avoid)
		return;
	for (i = 0; i < d->nfollowed; i++)
		d->followed_cpus[i] = d->followed[i].cpu;
	cpu_avoid_set(d->avoid, d->followed_cpus, d->nfollowed);
}

/* How often a followed loop busy for half the threshold is checked (and its runtime's stack read). */
static uint64_t check_period_ns(const struct detector *d)
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

void detector_set_max_open(struct detector *d, int stalls)
{
	d->max_open = stalls > 0 && stalls < MAX_OPEN ? stalls : MAX_OPEN;
}

uint64_t detector_dropped(const struct detector *d)
{
	return d->dropped;
}

uint64_t detector_stall_count(const struct detector *d, pid_t tid)
{
	int i;

	for (i = 0; i < d->nended; i++)
		if (d->ended[i].tid == tid)
			return d->ended[i].count;
	return 0;
}

static struct stall_record *record_get(struct detector *d)
{
	return d->nspare ? d->spare[--d->nspare] : malloc(sizeof(struct stall_record));
}

static void record_put(struct detector *d, struct stall_record *r)
{
	if (r && d->nspare < SPARE_RECORDS)
		d->spare[d->nspare++] = r;
	else
		free(r);
}

static void close_open(struct detector *d, struct open_stall *s)
{
	record_put(d, s->held);
	record_put(d, s->begin);
	*s = d->open[--d->nopen];
}

/* The CPU limit's share of a stall: how much longer its cgroup was throttled since it began. */
static void note_throttling(const struct open_stall *s, struct stall_record *r)
{
	uint64_t now;

	if (!s->throttle_err && !cgroup_throttle_read(&s->throttle, &now) && now > s->throttled_ns0)
		r->throttled_ns = now - s->throttled_ns0;
}

/* The record of loop l's stall as it is at now: its stacks, what it waits for, its samples so far. */
static void capture(struct detector *d, const struct ls_loop *l, uint64_t now, struct stall_record *r)
{
	struct ls_stack stacks[2];

	d->src->read_stacks(d->ctx, l->tid, stacks);
	d->src->live_record(d->ctx, l, stacks, now, d->threshold_ns, r);
	samples_fill(d->samples, l->tid, l->iter_seq, r);
}

/* How long loop l has blocked in the call it is in, at now. */
static uint64_t blocked_in_call(const struct ls_loop *l, uint64_t now)
{
	return l->cur.blocked_ns + (l->state == LS_BLOCKED && now > l->state_since_ns ? now - l->state_since_ns : 0);
}

/* Call call_seq of stall s has blocked ns so far; captured (r, while it blocks) the first time it is seen. */
static void note_call(struct open_stall *s, uint64_t call_seq, const struct stall_record *r, uint64_t ns)
{
	struct culprit c;
	int i;

	for (i = 0; i < s->ncalls; i++) {
		if (s->call_seqs[i] == call_seq) {
			s->calls[i].ns = ns;
			return;
		}
	}
	if (!r || s->ncalls == STALL_MAX_PHASES - 1) /* one left for the CPU */
		return;
	i = s->ncalls++;
	s->call_seqs[i] = call_seq;
	s->calls[i].syscall_nr = r->syscall_nr;
	s->calls[i].ns = ns;
	c = culprit_of(r);
	memset(&s->calls[i].culprit, 0, sizeof(s->calls[i].culprit));
	if (c.at)
		s->calls[i].culprit = *c.at;
}

/*
 * While a stall goes on: a blocking call blocked for a check period, and
 * longer than any other after the begin, is captured whole while it still
 * blocks (its stack is there only now).
 */
static void follow_phases(struct detector *d, struct open_stall *s, const struct ls_loop *l, uint64_t now)
{
	uint64_t ns = blocked_in_call(l, now), cpu0;
	int i;

	if (l->state != LS_BLOCKED || l->cur.nr == LS_NO_SYSCALL || ns < check_period_ns(d))
		return;
	for (i = 0; i < s->ncalls && s->call_seqs[i] != l->cur.call_seq; i++)
		;
	if (i < s->ncalls) {
		s->calls[i].ns = ns;
		if (l->cur.call_seq == s->held_call_seq || i == 0)
			return;
	}
	for (i = 0; i < s->ncalls; i++)
		if (s->call_seqs[i] != l->cur.call_seq && s->calls[i].ns >= ns)
			return; /* another one blocked longer: keep that */
	cpu0 = thread_cpu_ns();
	if (!s->held && !(s->held = record_get(d)))
		return;
	capture(d, l, now, s->held);
	s->held_call_seq = l->cur.call_seq;
	note_call(s, l->cur.call_seq, s->held, ns);
	counter_add(&d->counters->capture_ns, thread_cpu_ns() - cpu0);
}

/*
 * The end record's phases, in turn: the calls seen and the time on CPU.
 * Its base: what the part that held the loop longest looked like, the held
 * call's capture when the kernel's longest-blocked syscall is its.
 */
static const struct stall_record *phases_of(const struct open_stall *s, const struct ls_event *e, struct stall_record *r)
{
	uint64_t cpu = e->acct.cpu_ns + e->acct.runq_ns; /* running, or wanting to */
	int i;

	if (cpu * 10 < e->end_ns - e->iter_start_ns)
		cpu = 0; /* a tenth of the stall or less: no part of its own */
	r->nphases = 0;
	if (s->cpu_first && cpu)
		r->phases[r->nphases++] = (struct stall_phase){.syscall_nr = -1, .ns = cpu, .culprit = s->cpu_culprit};
	for (i = 0; i < s->ncalls && r->nphases < STALL_MAX_PHASES; i++)
		r->phases[r->nphases++] = s->calls[i];
	if (!s->cpu_first && cpu && r->nphases < STALL_MAX_PHASES)
		r->phases[r->nphases++] = (struct stall_phase){.syscall_nr = -1, .ns = cpu};
	if (s->held && e->top.nr == s->held->syscall_nr && s->held_call_seq <= e->top.call_seq)
		return s->held;
	return s->begin;
}

static void report_begin(struct detector *d, const struct followed *f, const struct ls_loop *l, uint64_t now)
{
	uint64_t cpu0 = thread_cpu_ns();
	struct open_stall *s;

	if (d->nopen >= d->max_open) {
		d->dropped++;
		return;
	}
	s = &d->open[d->nopen];
	s->begin = record_get(d);
	if (!s->begin)
		return;
	capture(d, l, now, s->begin);
	if (l->flags & LS_LOOP_FOUND)
		snprintf(s->begin->found_by, sizeof(s->begin->found_by), "%s", f->found_by[0] ? f->found_by : "a scan");
	s->tid = l->tid;
	s->iter_seq = l->iter_seq;
	s->overdue = false;
	s->ncalls = 0;
	s->held = NULL;
	s->cpu_first = l->state != LS_BLOCKED || l->cur.nr == LS_NO_SYSCALL;
	memset(&s->cpu_culprit, 0, sizeof(s->cpu_culprit));
	if (!s->cpu_first) {
		note_call(s, l->cur.call_seq, s->begin, blocked_in_call(l, now));
	} else {
		struct culprit c = culprit_of(s->begin);

		if (c.at)
			s->cpu_culprit = *c.at;
	}
	s->throttle_err = cgroup_throttle_find(l->pid, &s->throttle, &s->throttled_ns0);
	s->last_duration_ns = s->begin->duration_ns;
	d->nopen++;
	counter_add(&d->counters->capture_ns, thread_cpu_ns() - cpu0);
	d->cb.stall(d->cb.ctx, s->begin);
}

/* A begun stall whose loop moved on with no end record (lost, or the thread vanished). */
static void end_without_record(struct detector *d, struct open_stall *s)
{
	struct stall_record *r = d->scratch;

	stall_record_copy(r, s->begin);
	r->ended = true;
	r->duration_ns = s->last_duration_ns;
	d->cb.stall(d->cb.ctx, r);
	count_stall(d, r->tid);
	close_open(d, s);
}

static void sample_runtime(struct detector *d, const struct ls_loop *l)
{
	struct stall_frame frames[SAMPLE_RUNTIME_DEPTH];
	int n = d->src->runtime_stack(d->ctx, l->pid, l->tid, frames, SAMPLE_RUNTIME_DEPTH);

	if (n > 0)
		samples_add_runtime(d->samples, l->tid, l->iter_seq, frames, n);
}

/* What a due check of one followed loop found. */
enum check_result { FOLLOW_ON, MOVED_ON };

/*
 * Never a stall claimed for a loop that is not stalled (attribution_no_stall
 * says why): the kernel ends that iteration, counted nowhere, and learns
 * what settles it. True when it was no stall.
 */
static bool no_stall_after_all(struct detector *d, const struct ls_loop *l)
{
	struct ls_ctl req = {.tid = l->tid, .iter_seq = l->iter_seq};
	uint64_t cpu0 = thread_cpu_ns(), park = 0;
	struct ls_stack stacks[2];

	d->src->read_stacks(d->ctx, l->tid, stacks);
	req.what = d->src->no_stall(d->ctx, l, stacks, &park);
	req.park_futex = park;
	if (req.what) {
		req.what |= LS_CTL_END_ITERATION;
		d->src->loop_ctl(d->ctx, &req); /* -ESRCH: it moved on meanwhile, and is no stall either */
	}
	counter_add(&d->counters->capture_ns, thread_cpu_ns() - cpu0);
	return req.what != 0;
}

/* Time loop l has spent stopped (SIGSTOP, a debugger) in its iteration, up to now. */
static uint64_t stopped_ns(const struct ls_loop *l, uint64_t now)
{
	return l->acct.stopped_ns + (l->state == LS_STOPPED && now > l->state_since_ns ? now - l->state_since_ns : 0);
}

static enum check_result check_loop(struct detector *d, struct followed *f, uint64_t now)
{
	uint64_t thr = d->threshold_ns, busy, active, period = check_period_ns(d);
	struct open_stall *s;
	struct ls_loop l;

	if (d->src->read_loop(d->ctx, f->tid, &l) || l.iter_seq != f->iter_seq || !l.iter_start_ns)
		return MOVED_ON;
	f->iter_start_ns = l.iter_start_ns;
	busy = loop_busy_ns(&l, now);
	if (busy < thr / 2) {
		f->next_ns = l.iter_start_ns + thr / 2;
		return FOLLOW_ON;
	}
	/* Busy for half the threshold: sample its runtime's stack while it runs. */
	if (l.state != LS_BLOCKED)
		sample_runtime(d, &l);
	f->next_ns = now + period;
	if (busy < thr) {
		if (f->next_ns > l.iter_start_ns + thr)
			f->next_ns = l.iter_start_ns + thr; /* the begin record on time */
		return FOLLOW_ON;
	}
	s = find_open(d, l.tid, l.iter_seq);
	if (!s) {
		if (no_stall_after_all(d, &l))
			return MOVED_ON;
		report_begin(d, f, &l, now);
		return FOLLOW_ON;
	}
	s->last_duration_ns = busy;
	follow_phases(d, s, &l, now);
	/* Time stopped (a debugger, an operator's SIGSTOP) never counts toward a kill, nor is a stopped loop killed. */
	active = busy - (stopped_ns(&l, now) < busy ? stopped_ns(&l, now) : busy);
	if (d->kill_after_ns && active < d->kill_after_ns && f->next_ns > now + d->kill_after_ns - active)
		f->next_ns = now + d->kill_after_ns - active;
	if (d->kill_after_ns && active >= d->kill_after_ns && l.state != LS_STOPPED && !s->overdue) {
		uint64_t cpu0 = thread_cpu_ns();

		s->overdue = true;
		capture(d, &l, now, d->scratch);
		note_throttling(s, d->scratch);
		counter_add(&d->counters->capture_ns, thread_cpu_ns() - cpu0);
		d->cb.overdue(d->cb.ctx, d->scratch);
	}
	return FOLLOW_ON;
}

void detector_follow(struct detector *d, pid_t tid, uint64_t iter_seq, uint64_t iter_start_ns, int cpu)
{
	detector_follow_found(d, tid, iter_seq, iter_start_ns, cpu, NULL);
}

static unsigned key_slot(const struct detector *d, pid_t tid, uint64_t iter_seq)
{
	return (unsigned)(((uint64_t)tid * 0x9e3779b97f4a7c15ULL ^ iter_seq) * 0x9e3779b97f4a7c15ULL >> 32) &
	       (2 * d->followed_cap - 1);
}

static void index_followed(struct detector *d, int i)
{
	unsigned slot = key_slot(d, d->followed[i].tid, d->followed[i].iter_seq);

	while (d->by_key[slot])
		slot = (slot + 1) & (2 * d->followed_cap - 1);
	d->by_key[slot] = i + 1;
}

static void reindex_followed(struct detector *d)
{
	int i;

	memset(d->by_key, 0, 2 * d->followed_cap * sizeof(*d->by_key));
	for (i = 0; i < d->nfollowed; i++)
		index_followed(d, i);
}

static struct followed *find_followed(struct detector *d, pid_t tid, uint64_t iter_seq)
{
	unsigned slot;

	if (!d->followed_cap)
		return NULL;
	for (slot = key_slot(d, tid, iter_seq); d->by_key[slot]; slot = (slot + 1) & (2 * d->followed_cap - 1)) {
		struct followed *f = &d->followed[d->by_key[slot] - 1];

		if (f->tid == tid && f->iter_seq == iter_seq)
			return f;
	}
	return NULL;
}

/* Room for one more followed loop: 0, or -ENOMEM (that iteration goes unfollowed). */
static int grow_followed(struct detector *d)
{
	int cap = d->followed_cap ? 2 * d->followed_cap : 64;
	void *more = realloc(d->followed, cap * sizeof(*d->followed));
	int *cpus, *keys;

	if (!more)
		return -ENOMEM;
	d->followed = more; /* larger than followed_cap until all three have grown */
	cpus = realloc(d->followed_cpus, cap * sizeof(*d->followed_cpus));
	if (!cpus)
		return -ENOMEM;
	d->followed_cpus = cpus;
	keys = calloc(2 * cap, sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	free(d->by_key);
	d->by_key = keys;
	d->followed_cap = cap;
	reindex_followed(d);
	return 0;
}

void detector_follow_found(struct detector *d, pid_t tid, uint64_t iter_seq, uint64_t iter_start_ns, int cpu,
			   const char *found_by)
{
	struct followed *f = find_followed(d, tid, iter_seq);

	if (f) {
		if (f->cpu != cpu) { /* it moved */
			f->cpu = cpu;
			avoid_followed_cpus(d);
		}
		return;
	}
	if (d->nfollowed == d->followed_cap && grow_followed(d))
		return;
	f = &d->followed[d->nfollowed++];
	f->tid = tid;
	f->iter_seq = iter_seq;
	f->iter_start_ns = iter_start_ns;
	f->next_ns = iter_start_ns + d->threshold_ns / 2; /* now, if the kernel's word came late */
	f->cpu = cpu;
	snprintf(f->found_by, sizeof(f->found_by), "%s", found_by ? found_by : "");
	index_followed(d, d->nfollowed - 1);
	if (cpu >= 0) /* off its CPU, it changes none of the CPUs to keep off */
		avoid_followed_cpus(d);
}

uint64_t detector_next_check_ns(const struct detector *d)
{
	uint64_t next = UINT64_MAX;
	int i;

	for (i = 0; i < d->nfollowed; i++)
		if (d->followed[i].next_ns < next)
			next = d->followed[i].next_ns;
	return next;
}

void detector_check(struct detector *d, uint64_t now)
{
	struct {
		pid_t tid;
		uint64_t iter_seq;
	} stale[MAX_OPEN];
	int i, j, nstale = 0, moved_on = 0;

	if (detector_next_check_ns(d) > now)
		return;
	/* End records first, so a stall that just ended is not taken for a lost one. */
	d->src->consume(d->ctx);
	for (i = 0; i < d->nfollowed;) {
		struct followed *f = &d->followed[i];

		if (f->next_ns > now || check_loop(d, f, now) == FOLLOW_ON) {
			i++;
			continue;
		}
		/*
		 * The loop moved on. The kernel submits a stall's end record
		 * before it marks the loop idle, so after one more read of the
		 * ring buffer a stall still open lost its record.
		 */
		if (find_open(d, f->tid, f->iter_seq) && nstale < MAX_OPEN) {
			stale[nstale].tid = f->tid;
			stale[nstale++].iter_seq = f->iter_seq;
		}
		*f = d->followed[--d->nfollowed];
		moved_on++;
	}
	if (moved_on) {
		reindex_followed(d);
		avoid_followed_cpus(d);
	}
	if (!nstale)
		return;
	/* All of them, this time: a storm may have left more than one consume delivers. */
	for (j = 0; j < 8 && d->src->consume(d->ctx) > 0; j++)
		;
	for (j = 0; j < nstale; j++) {
		struct open_stall *s = find_open(d, stale[j].tid, stale[j].iter_seq);

		if (s)
			end_without_record(d, s);
	}
}

void detector_finish(struct detector *d, uint64_t now)
{
	struct ls_loop l;
	int i;

	d->src->consume(d->ctx); /* the ones that just ended have their own record */
	for (i = d->nopen - 1; i >= 0; i--) {
		struct open_stall *s = &d->open[i];
		struct stall_record *r = d->scratch;

		stall_record_copy(r, s->begin);
		r->ended = true;
		r->unfinished = true;
		r->duration_ns = s->last_duration_ns;
		if (!d->src->read_loop(d->ctx, s->tid, &l) && l.iter_seq == s->iter_seq)
			r->duration_ns = loop_busy_ns(&l, now);
		samples_fill(d->samples, s->tid, s->iter_seq, r);
		d->cb.stall(d->cb.ctx, r);
		close_open(d, s);
	}
}

void detector_stall_ended(struct detector *d, const struct ls_event *e)
{
	struct open_stall *s = find_open(d, e->tid, e->iter_seq);
	const struct stall_record *base = NULL;
	uint64_t cpu0 = thread_cpu_ns();
	struct stall_phase phases[STALL_MAX_PHASES];
	int nphases = 0;

	if (s) {
		base = phases_of(s, e, d->scratch); /* into scratch first: end_record starts it anew */
		nphases = d->scratch->nphases;
		memcpy(phases, d->scratch->phases, sizeof(phases));
	}
	d->src->end_record(d->ctx, e, base, d->threshold_ns, d->scratch);
	d->scratch->nphases = nphases;
	memcpy(d->scratch->phases, phases, sizeof(phases));
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
