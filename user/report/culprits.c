// SPDX-License-Identifier: GPL-2.0
/* The culprit table: an open-addressing hash of rows by culprit key, each with a log-linear histogram. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/culprits.h"

struct culprit_table {
	struct culprit_row **slots; /* nslots, a power of two */
	size_t nslots, nkeyed, max_rows;
	size_t nrows;		   /* the keyed ones and the other row */
	struct culprit_row **rows; /* in insertion order, then sorted; room for nslots */
	struct culprit_row *other; /* in rows too, not in slots */
};

struct culprit_table *culprit_table_new(size_t max_rows)
{
	struct culprit_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->nslots = 1024;
	t->max_rows = max_rows;
	t->slots = calloc(t->nslots, sizeof(*t->slots));
	t->rows = calloc(t->nslots, sizeof(*t->rows));
	if (!t->slots || !t->rows) {
		culprit_table_free(t);
		return NULL;
	}
	return t;
}

void culprit_table_free(struct culprit_table *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nrows; i++)
		free(t->rows[i]);
	free(t->rows);
	free(t->slots);
	free(t);
}

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

/* Bucket of a duration in us: exact below 8, then 8 a power of two. */
static int bucket_of(double ms)
{
	uint64_t us = ms > 0 ? (uint64_t)(ms * 1000) : 0;
	int msb, shift, idx;

	if (us < 8)
		return (int)us;
	msb = 63 - __builtin_clzll(us);
	shift = msb - 3;
	idx = (shift + 1) * 8 + (int)((us >> shift) & 7);
	return idx < CULPRIT_BUCKETS ? idx : CULPRIT_BUCKETS - 1;
}

/* The middle of a bucket, in ms. */
static double bucket_ms(int idx)
{
	int shift;
	uint64_t low;

	if (idx < 8)
		return idx / 1000.0;
	shift = idx / 8 - 1;
	low = (uint64_t)(8 + idx % 8) << shift;
	return (low + ((1ULL << shift) - 1) / 2.0) / 1000.0;
}

static void make_key(const struct culprit *c, bool holds_gil, char *key, size_t len)
{
	const struct stall_frame *f = c->at;

	if (!f)
		snprintf(key, len, "-");
	else
		snprintf(key, len, "%s%s\x1f%s\x1f%s\x1f%d", holds_gil ? "gil\x1f" : "", frame_kind_name(f->kind),
			 f->function, f->file[0] ? f->file : f->module, f->line);
}

static int grow(struct culprit_table *t)
{
	size_t n = t->nslots * 2, i;
	struct culprit_row **slots = calloc(n, sizeof(*slots));
	struct culprit_row **rows = realloc(t->rows, n * sizeof(*rows));

	if (rows)
		t->rows = rows;
	if (!slots || !rows) {
		free(slots);
		return -ENOMEM;
	}
	for (i = 0; i < t->nrows; i++) {
		size_t s = hash(t->rows[i]->key) & (n - 1);

		if (t->rows[i] == t->other)
			continue;
		while (slots[s])
			s = (s + 1) & (n - 1);
		slots[s] = t->rows[i];
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = n;
	return 0;
}

static struct culprit_row *new_row(const struct culprit *c, bool holds_gil, const char *key)
{
	struct culprit_row *row = calloc(1, sizeof(*row));

	if (!row)
		return NULL;
	snprintf(row->key, sizeof(row->key), "%s", key);
	row->holds_gil = holds_gil;
	if (c && c->at) {
		row->has_at = true;
		row->at = *c->at;
	}
	if (c && c->via)
		snprintf(row->via, sizeof(row->via), "%s", c->via->function);
	return row;
}

static struct culprit_row *find(struct culprit_table *t, const struct culprit *c, bool holds_gil)
{
	char key[sizeof(((struct culprit_row *)0)->key)];
	size_t s;

	make_key(c, holds_gil, key, sizeof(key));
	for (s = hash(key) & (t->nslots - 1); t->slots[s]; s = (s + 1) & (t->nslots - 1))
		if (strcmp(t->slots[s]->key, key) == 0)
			return t->slots[s];
	if (t->nkeyed >= t->max_rows) {
		if (!t->other && (t->other = new_row(NULL, false, "(other)"))) {
			t->other->other = true;
			t->rows[t->nrows++] = t->other;
		}
		return t->other;
	}
	if ((t->nrows + 2) * 10 > t->nslots * 7) {
		if (grow(t))
			return NULL;
		for (s = hash(key) & (t->nslots - 1); t->slots[s]; s = (s + 1) & (t->nslots - 1))
			;
	}
	t->slots[s] = new_row(c, holds_gil, key);
	if (!t->slots[s])
		return NULL;
	t->rows[t->nrows++] = t->slots[s];
	t->nkeyed++;
	return t->slots[s];
}

static void add_process(struct culprit_row *row, const struct stall_record *r)
{
	int i;

	for (i = 0; i < row->npids && row->pids[i] != r->pid; i++)
		;
	if (i == row->npids) {
		if (row->npids < CULPRIT_PIDS)
			row->pids[row->npids++] = r->pid;
		else
			row->more_pids = true;
	}
	for (i = 0; i < row->ncomms && strcmp(row->comms[i], r->comm); i++)
		;
	if (i == row->ncomms && row->ncomms < CULPRIT_COMMS)
		snprintf(row->comms[row->ncomms++], sizeof(row->comms[0]), "%s", r->comm);
	for (i = 0; i < row->nservices && strcmp(row->services[i], r->container.service); i++)
		;
	if (r->container.service[0] && i == row->nservices && row->nservices < CULPRIT_COMMS)
		snprintf(row->services[row->nservices++], sizeof(row->services[0]), "%s", r->container.service);
}

static void add_hint(struct culprit_row *row, const struct stall_record *r, const struct culprit *c, double ms)
{
	const struct hint_rule *h = hint_match(r, c);
	int i;

	if (!h)
		return;
	for (i = 0; i < row->nhints && row->hints[i].rule != h; i++)
		;
	if (i == row->nhints) {
		if (row->nhints == CULPRIT_HINTS)
			return;
		row->hints[row->nhints++].rule = h;
	}
	if (ms >= row->max_ms || !row->hints[i].text[0])
		hint_text(h, r, c, row->hints[i].text, sizeof(row->hints[i].text));
	row->hints[i].ms += ms;
}

int culprit_table_add(struct culprit_table *t, const struct stall_record *r, const struct culprit *c, double start)
{
	/* A loop waiting for the GIL waits for the code holding it: that code is its row. */
	bool holds_gil = r->cause == CAUSE_GIL && strcmp(r->holder.lock, "gil") == 0 && r->holder.frame.function[0];
	struct culprit holder = {.at = &r->holder.frame};
	struct culprit_row *row = find(t, holds_gil ? &holder : c, holds_gil);
	double ms = r->duration_ns / 1e6;

	if (!row)
		return -ENOMEM;
	if (!row->count || ms < row->min_ms)
		row->min_ms = ms;
	add_hint(row, r, c, ms);
	if (ms > row->max_ms)
		row->max_ms = ms;
	if (!row->count || start < row->first)
		row->first = start;
	if (start + ms / 1000 > row->last)
		row->last = start + ms / 1000;
	row->count++;
	row->total_ms += ms;
	if (r->cause <= CAUSE_STOPPED)
		row->cause_ms[r->cause] += ms;
	row->hist[bucket_of(ms)]++;
	add_process(row, r);
	return 0;
}

static int by_total(const void *a, const void *b)
{
	const struct culprit_row *x = *(struct culprit_row *const *)a, *y = *(struct culprit_row *const *)b;

	if (x->other != y->other)
		return x->other ? 1 : -1;
	if (x->total_ms != y->total_ms)
		return x->total_ms < y->total_ms ? 1 : -1;
	return strcmp(x->key, y->key);
}

struct culprit_row **culprit_table_sorted(struct culprit_table *t, size_t *n)
{
	/* The other row, when there is one, last. */
	if (t->nrows)
		qsort(t->rows, t->nrows, sizeof(*t->rows), by_total);
	*n = t->nrows;
	return t->rows;
}

double culprit_row_quantile(const struct culprit_row *row, double q)
{
	uint64_t rank = (uint64_t)(q * (double)row->count + 0.5), seen = 0;
	double v;
	int i;

	if (!row->count)
		return 0;
	if (rank < 1)
		rank = 1;
	for (i = 0; i < CULPRIT_BUCKETS; i++) {
		seen += row->hist[i];
		if (seen >= rank)
			break;
	}
	v = bucket_ms(i < CULPRIT_BUCKETS ? i : CULPRIT_BUCKETS - 1);
	return v < row->min_ms ? row->min_ms : v > row->max_ms ? row->max_ms : v;
}

enum stall_cause culprit_row_cause(const struct culprit_row *row)
{
	int c, best = 0;

	for (c = 1; c <= CAUSE_STOPPED; c++)
		if (row->cause_ms[c] > row->cause_ms[best])
			best = c;
	return best;
}

const char *culprit_row_hint(const struct culprit_row *row, const struct hint_rule **rule)
{
	int i, best = -1;

	for (i = 0; i < row->nhints; i++)
		if (best < 0 || row->hints[i].ms > row->hints[best].ms)
			best = i;
	if (rule)
		*rule = best >= 0 ? row->hints[best].rule : NULL;
	return best >= 0 ? row->hints[best].text : NULL;
}
