// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: log lines (loopstall report reads files anyone could have
 * written) through the JSON reader, then everything that uses what it
 * read: the hint rules and their text, the culprit table, folded stacks
 * and a speedscope file. Each line of the input is one log line. Seeded
 * with tests/fixtures/records/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/hint.h"
#include "record/record_read.h"
#include "report/culprits.h"
#include "report/stack_export.h"

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
