// SPDX-License-Identifier: GPL-2.0
/* Per-iteration CPU samples of busy loops. */
#include <stdlib.h>
#include <string.h>

#include "detect/samples.h"
#include "record/culprit.h"

#define MAX_SESSIONS  64
#define MAX_RT_FRAMES 64 /* distinct runtime frames counted per iteration */
#define MAX_CODE      48 /* distinct JavaScript frames of native samples per iteration */

struct frame_count {
	struct stall_frame frame;
	uint32_t self;	/* samples in which it was the innermost frame */
	uint32_t count; /* samples in which it was on the stack */
	uint32_t app;	/* samples in which it was the innermost application frame */
	int depth;	/* the innermost it was seen at */
};

/* The samples of one busy iteration of one loop thread. */
struct session {
	pid_t tid;
	uint64_t seq;
	uint64_t born; /* for evicting the oldest when full */
	int n_native;
	unsigned taken, stride; /* native samples offered, and one in stride of them kept (samples_take_native) */
	uint8_t depth[STALL_MAX_SAMPLES];
	uint64_t ips[STALL_MAX_SAMPLES][STALL_SAMPLE_DEPTH];
	int ncode; /* what CODE_REF entries of ips point at */
	struct stall_frame code[MAX_CODE];
	int n_runtime;
	/*
	 * The latest runtime stack whose innermost function ran itself the
	 * most so far, of those that hold an application frame where any does
	 * (a deep library recursion can hide it past the depth kept).
	 */
	int ntypical;
	unsigned typical_self;
	bool typical_app;
	struct stall_frame typical[SAMPLE_RUNTIME_DEPTH];
	int ncounts;
	struct frame_count counts[MAX_RT_FRAMES];
};

struct sample_store {
	struct session *sessions[MAX_SESSIONS];
	uint64_t clock;
};

struct sample_store *sample_store_new(void)
{
	return calloc(1, sizeof(struct sample_store));
}

void sample_store_free(struct sample_store *st)
{
	int i;

	if (!st)
		return;
	for (i = 0; i < MAX_SESSIONS; i++)
		free(st->sessions[i]);
	free(st);
}

static struct session *find(struct sample_store *st, pid_t tid, uint64_t seq, bool create)
{
	int i, slot = -1;

	for (i = 0; i < MAX_SESSIONS; i++) {
		struct session *s = st->sessions[i];

		if (s && s->tid == tid && s->seq == seq)
			return s;
		/* A free slot, else the oldest session (a thread that exited mid-stall). */
		if (slot < 0 || (st->sessions[slot] && (!s || s->born < st->sessions[slot]->born)))
			slot = i;
	}
	if (!create)
		return NULL;
	free(st->sessions[slot]);
	st->sessions[slot] = calloc(1, sizeof(struct session));
	if (st->sessions[slot]) {
		st->sessions[slot]->tid = tid;
		st->sessions[slot]->seq = seq;
		st->sessions[slot]->born = ++st->clock;
		st->sessions[slot]->stride = 1;
	}
	return st->sessions[slot];
}

bool samples_take_native(struct sample_store *st, pid_t tid, uint64_t seq)
{
	struct session *s = find(st, tid, seq, true);
	int i;

	if (!s || s->taken++ % s->stride)
		return false;
	if (s->n_native < STALL_MAX_SAMPLES)
		return true;
	/* Full: every other sample kept, and from now on every other one taken. */
	for (i = 0; 2 * i < s->n_native; i++) {
		s->depth[i] = s->depth[2 * i];
		memcpy(s->ips[i], s->ips[2 * i], sizeof(s->ips[i]));
	}
	s->n_native = i;
	s->stride *= 2;
	s->taken = 1;
	return true;
}

/*
 * ip, a CODE_REF into table (n entries) when it is one, as an entry of into:
 * 0 when into is full (or the reference is bad): the stack ends there.
 */
static uint64_t move_ref(uint64_t ip, const struct stall_frame *table, int n, struct stall_frame *into, int *ninto,
			 int max)
{
	uint64_t i = ip & ~CODE_REF;
	int at;

	if (!is_code_ref(ip))
		return ip;
	if (i >= (uint64_t)n)
		return 0;
	at = code_table_add(into, ninto, max, &table[i]);
	return at < 0 ? 0 : CODE_REF | (uint64_t)at;
}

void samples_add_native(struct sample_store *st, pid_t tid, uint64_t seq, const uint64_t *ips, int n,
			const struct stall_frame *code, int ncode)
{
	struct session *s = find(st, tid, seq, true);
	int i;

	if (!s || s->n_native == STALL_MAX_SAMPLES)
		return;
	if (n > STALL_SAMPLE_DEPTH)
		n = STALL_SAMPLE_DEPTH;
	for (i = 0; i < n; i++) {
		s->ips[s->n_native][i] = move_ref(ips[i], code, ncode, s->code, &s->ncode, MAX_CODE);
		if (!s->ips[s->n_native][i])
			break;
	}
	s->depth[s->n_native++] = i;
}

/*
 * Frames are counted by function, not by line: a handler seen at two lines
 * (the loop around its calls, the call) is one function that spent the time.
 */
static bool same_function(const struct stall_frame *a, const struct stall_frame *b)
{
	return strcmp(a->function, b->function) == 0 && strcmp(a->file, b->file) == 0;
}

void samples_add_runtime(struct sample_store *st, pid_t tid, uint64_t seq, const struct stall_frame *frames, int n)
{
	struct session *s = find(st, tid, seq, true);
	int i, j, k, app;

	if (!s || n <= 0)
		return;
	if (n > SAMPLE_RUNTIME_DEPTH)
		n = SAMPLE_RUNTIME_DEPTH;
	s->n_runtime++;
	for (app = 0; app < n && !frame_is_application(NULL, &frames[app]); app++)
		;
	for (i = 0; i < n; i++) {
		for (k = 0; k < i && !same_function(&frames[k], &frames[i]); k++)
			;
		if (k < i)
			continue; /* recursion: once a sample */
		for (j = 0; j < s->ncounts && !same_function(&s->counts[j].frame, &frames[i]); j++)
			;
		if (j == s->ncounts) {
			if (s->ncounts == MAX_RT_FRAMES)
				continue;
			memset(&s->counts[j], 0, sizeof(s->counts[j]));
			s->counts[j].frame = frames[i];
			s->counts[j].depth = i;
			s->ncounts++;
		}
		if (i == 0 && !s->counts[j].self)
			s->counts[j].frame.line = frames[i].line; /* the line it first ran itself at */
		s->counts[j].count++;
		s->counts[j].self += i == 0;
		s->counts[j].app += i == app;
		if (i < s->counts[j].depth)
			s->counts[j].depth = i;
		if (i == 0 && (app < n) >= s->typical_app &&
		    ((app < n) > s->typical_app || s->counts[j].self >= s->typical_self)) {
			memcpy(s->typical, frames, n * sizeof(frames[0]));
			s->ntypical = n;
			s->typical_self = s->counts[j].self;
			s->typical_app = app < n;
		}
	}
}

/* The next hot frame: the most samples in the frame itself, then in all, then the innermost. */
static bool hotter(const struct frame_count *c, const struct frame_count *b, bool by_app)
{
	if (by_app && c->app != b->app)
		return c->app > b->app;
	if (c->self != b->self)
		return c->self > b->self;
	if (c->count != b->count)
		return c->count > b->count;
	return c->depth < b->depth;
}

/*
 * Moves the hottest counted frame to r->hot: by_app, the innermost
 * application frame of the most samples; else one that ran itself. False
 * when there is none.
 */
static bool pick(struct frame_count *counts, int n, struct stall_record *r, bool by_app)
{
	struct hot_frame *h;
	int best = -1, i;

	for (i = 0; i < n; i++) {
		if (!counts[i].count || !(by_app ? counts[i].app : counts[i].self))
			continue;
		if (best < 0 || hotter(&counts[i], &counts[best], by_app))
			best = i;
	}
	if (best < 0)
		return false;
	h = &r->hot[r->nhot++];
	memset(h, 0, sizeof(*h));
	h->of_runtime = true;
	h->samples = counts[best].count;
	h->self = counts[best].self;
	h->frame = counts[best].frame;
	h->frame.task[0] = 0;
	counts[best].count = 0; /* taken */
	return true;
}

void samples_fill(struct sample_store *st, pid_t tid, uint64_t seq, struct stall_record *r)
{
	struct session *s = find(st, tid, seq, false);
	struct frame_count counts[MAX_RT_FRAMES];
	int i, j;

	r->n_samples = 0;
	r->n_runtime_samples = 0;
	r->nhot = 0;
	if (!s)
		return;
	r->n_samples = s->n_native;
	memcpy(r->sample_depth, s->depth, sizeof(s->depth));
	for (i = 0; i < s->n_native; i++)
		for (j = 0; j < s->depth[i]; j++) {
			r->sample_ips[i][j] = move_ref(s->ips[i][j], s->code, s->ncode, r->code, &r->ncode, STALL_MAX_CODE);
			if (!r->sample_ips[i][j]) {
				r->sample_depth[i] = j;
				break;
			}
		}
	r->n_runtime_samples = s->n_runtime;
	/* On CPU only: a blocked loop's samples may be from before it blocked. */
	if (r->nframes == 0 && s->ntypical && (r->cause == CAUSE_CPU || r->cause == CAUSE_RUNQUEUE)) {
		memcpy(r->frames, s->typical, s->ntypical * sizeof(s->typical[0]));
		r->nframes = s->ntypical;
	}
	/*
	 * Where the time went (the most samples innermost: json's encoder), the
	 * application's function that spent it (the innermost application frame
	 * of the most samples: the handler that called json.dumps, not its
	 * callers, which a sample taken before or after it also holds) when the
	 * first is not the application's own, then the next where time went.
	 * Frames that never ran themselves are only the way there: not listed.
	 */
	memcpy(counts, s->counts, s->ncounts * sizeof(counts[0]));
	pick(counts, s->ncounts, r, false);
	if (r->nhot && !frame_is_application(r, &r->hot[0].frame))
		pick(counts, s->ncounts, r, true);
	while (r->nhot < STALL_MAX_HOT_RT && pick(counts, s->ncounts, r, false))
		;
}

void samples_drop_until(struct sample_store *st, pid_t tid, uint64_t seq)
{
	int i;

	for (i = 0; i < MAX_SESSIONS; i++) {
		struct session *s = st->sessions[i];

		if (s && s->tid == tid && s->seq <= seq) {
			free(s);
			st->sessions[i] = NULL;
		}
	}
}
