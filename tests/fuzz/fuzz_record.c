// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: log lines (loopstall report reads files anyone could have
 * written) through the JSON reader, then everything that uses what it
 * read: the hint rules and their text, the culprit table, folded stacks
 * and a speedscope file. Each line of the input is one log line. Seeded
 * with tests/fixtures/records/. Each line is read both ways, by the
 * scanner and by jansson, and they must agree: the same answer and, for
 * a record, the same record to the byte.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/hint.h"
#include "record/record_read.h"
#include "report/culprits.h"
#include "report/stack_export.h"

static ptrdiff_t offset_of(const struct read_record *rr, const struct stall_frame *f)
{
	return f ? (const char *)f - (const char *)rr : -1;
}

/* The scanner and jansson read line alike (where the scanner reads it at all). */
static void compare(const char *line, size_t len)
{
	static struct read_record *a, *b;
	int ra, rb;

	if (!a)
		a = malloc(sizeof(*a));
	if (!b)
		b = malloc(sizeof(*b));
	if (!a || !b)
		return;
	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	ra = record_read_scan(line, len, a);
	rb = record_read_jansson(line, len, b);
	if (ra == -EAGAIN)
		return;
	if (ra != rb)
		abort();
	if (ra != 1)
		return;
	if (memcmp(&a->rec, &b->rec, sizeof(a->rec)) || memcmp(&a->at, &b->at, sizeof(a->at)) ||
	    memcmp(&a->via, &b->via, sizeof(a->via)) || memcmp(&a->coroutine, &b->coroutine, sizeof(a->coroutine)) ||
	    a->start != b->start || offset_of(a, a->culprit.at) != offset_of(b, b->culprit.at) ||
	    offset_of(a, a->culprit.via) != offset_of(b, b->culprit.via) ||
	    offset_of(a, a->culprit.coroutine) != offset_of(b, b->culprit.coroutine))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct read_record *rr;
	struct culprit_table *t = culprit_table_new(4);
	struct speedscope *ss = speedscope_new();
	FILE *null = fopen("/dev/null", "w");
	const char *p = (const char *)data, *end = p + size;
	char text[512];
	struct culprit_row **rows;
	size_t n, i;

	if (!rr)
		rr = calloc(1, sizeof(*rr));
	if (!rr || !t || !ss || !null)
		goto out;
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		compare(p, len);
		if (record_read_json(p, len, rr) == 1) {
			const struct hint_rule *h = hint_match(&rr->rec, &rr->culprit);

			if (h)
				hint_text(h, &rr->rec, &rr->culprit, text, sizeof(text));
			culprit_table_add(t, &rr->rec, &rr->culprit, rr->start);
			folded_write(null, &rr->rec);
			speedscope_add(ss, &rr->rec);
		}
		p += len + 1;
	}
	rows = culprit_table_sorted(t, &n);
	for (i = 0; i < n; i++) {
		culprit_row_quantile(rows[i], 0.5);
		culprit_row_quantile(rows[i], 0.99);
		culprit_row_hint(rows[i], NULL);
	}
	speedscope_write(ss, null, "fuzz");
out:
	if (null)
		fclose(null);
	speedscope_free(ss);
	culprit_table_free(t);
	return 0;
}
