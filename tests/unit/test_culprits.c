// SPDX-License-Identifier: GPL-2.0
/* The culprit table: grouping, order, quantiles within their bound, the hint by time, the row past the limit. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/culprits.h"
#include "run_suite.h"

static struct stall_record *rec;
static struct stall_frame frames[4];

/* A stall of pid, ms long, blamed on frames[which]; nothing else, so no rule names it. */
static void add(struct culprit_table *t, int which, pid_t pid, double ms, double start)
{
	struct culprit c = {.at = &frames[which]};

	rec->pid = pid;
	snprintf(rec->comm, sizeof(rec->comm), "w%d", pid % 5);
	rec->duration_ns = (uint64_t)(ms * 1e6);
	rec->cause = which == 1 ? CAUSE_CPU : CAUSE_SYSCALL;
	ck_assert_int_eq(culprit_table_add(t, rec, &c, start), 0);
}

static void setup(void)
{
	int i;

	rec = calloc(1, sizeof(*rec));
	rec->syscall_nr = -1;
	rec->fd = -1;
	for (i = 0; i < 4; i++) {
		frames[i].kind = FRAME_PYTHON;
		snprintf(frames[i].function, sizeof(frames[i].function), "f%d", i);
		snprintf(frames[i].file, sizeof(frames[i].file), "/app/m.py");
		frames[i].line = 10 + i;
	}
}

START_TEST(grouped_by_culprit_and_sorted_by_total)
{
	struct culprit_table *t = culprit_table_new(100);
	struct culprit_row **rows;
	size_t n;
	int i;

	for (i = 0; i < 10; i++)
		add(t, 0, 100 + i, 150, 1000 + i);
	add(t, 1, 7, 2000, 500);
	add(t, 2, 7, 101, 2000);
	rows = culprit_table_sorted(t, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(rows[0]->at.function, "f1");
	ck_assert_str_eq(rows[1]->at.function, "f0");
	ck_assert_uint_eq(rows[1]->count, 10);
	ck_assert_double_eq_tol(rows[1]->total_ms, 1500, 0.01);
	ck_assert_double_eq_tol(rows[1]->first, 1000, 1e-6);
	ck_assert_double_eq_tol(rows[1]->last, 1009.15, 1e-6);
	ck_assert_int_eq(rows[1]->npids, CULPRIT_PIDS);
	ck_assert(rows[1]->more_pids);
	ck_assert_int_eq(rows[1]->ncomms, CULPRIT_COMMS);
	ck_assert_int_eq(culprit_row_cause(rows[0]), CAUSE_CPU);
	ck_assert_int_eq(culprit_row_cause(rows[1]), CAUSE_SYSCALL);
	ck_assert_ptr_null(culprit_row_hint(rows[1], NULL));
	culprit_table_free(t);
}
END_TEST

START_TEST(quantiles_are_within_seven_percent)
{
	struct culprit_table *t = culprit_table_new(10);
	struct culprit_row **rows;
	size_t n;
	int i;

	/* 1..1000 ms: p50 500, p99 990 */
	for (i = 1; i <= 1000; i++)
		add(t, 0, 1, i, i);
	rows = culprit_table_sorted(t, &n);
	ck_assert_double_eq_tol(culprit_row_quantile(rows[0], 0.5), 500, 35);
	ck_assert_double_eq_tol(culprit_row_quantile(rows[0], 0.99), 990, 70);
	ck_assert_double_eq_tol(culprit_row_quantile(rows[0], 1.0), 1000, 1e-9);
	ck_assert_double_eq_tol(rows[0]->max_ms, 1000, 1e-9);
	/* a quantile is never outside what was seen */
	ck_assert_double_le(culprit_row_quantile(rows[0], 0.0), 1000);
	ck_assert_double_ge(culprit_row_quantile(rows[0], 0.0), 1);
	culprit_table_free(t);
}
END_TEST

START_TEST(past_the_limit_one_other_row_last)
{
	struct culprit_table *t = culprit_table_new(2);
	struct culprit_row **rows;
	size_t n;

	add(t, 0, 1, 100, 1);
	add(t, 1, 1, 200, 1);
	add(t, 2, 1, 5000, 1);
	add(t, 3, 1, 5000, 1);
	add(t, 0, 1, 150, 1);
	rows = culprit_table_sorted(t, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert(rows[2]->other);
	ck_assert_uint_eq(rows[2]->count, 2);
	ck_assert_double_eq_tol(rows[2]->total_ms, 10000, 0.01);
	ck_assert_str_eq(rows[0]->at.function, "f0"); /* found again, past the limit */
	ck_assert_uint_eq(rows[0]->count, 2);
	/* sorted twice, still three rows */
	rows = culprit_table_sorted(t, &n);
	ck_assert_uint_eq(n, 3);
	culprit_table_free(t);
}
END_TEST

START_TEST(many_culprits_grow_the_table)
{
	struct culprit_table *t = culprit_table_new(100000);
	struct culprit_row **rows;
	size_t n;
	int i;

	for (i = 0; i < 5000; i++) {
		snprintf(frames[3].function, sizeof(frames[3].function), "g%d", i);
		add(t, 3, 1, 100 + i % 7, i);
	}
	for (i = 0; i < 5000; i++) {
		snprintf(frames[3].function, sizeof(frames[3].function), "g%d", i);
		add(t, 3, 1, 100, i);
	}
	rows = culprit_table_sorted(t, &n);
	ck_assert_uint_eq(n, 5000);
	for (i = 0; i < (int)n; i++)
		ck_assert_uint_eq(rows[i]->count, 2);
	culprit_table_free(t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("culprits");
	TCase *tc = tcase_create("core");

	setup();
	tcase_add_test(tc, grouped_by_culprit_and_sorted_by_total);
	tcase_add_test(tc, quantiles_are_within_seven_percent);
	tcase_add_test(tc, past_the_limit_one_other_row_last);
	tcase_add_test(tc, many_culprits_grow_the_table);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
