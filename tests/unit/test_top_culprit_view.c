// SPDX-License-Identifier: GPL-2.0
/* top's culprit view (key c): a row's columns and how a long culprit is cut to the screen. */
#include <check.h>
#include <string.h>

#include "run_suite.h"
#include "top/top_view.h"

static struct top_culprit row(const char *culprit)
{
	struct top_culprit c = {.stalls = 3,
				.total_ms = 1800,
				.p50_ms = 600,
				.p99_ms = 610,
				.max_ms = 612,
				.cause = "syscall",
				.processes = 2};

	snprintf(c.culprit, sizeof(c.culprit), "%s", culprit);
	return c;
}

START_TEST(a_row_has_every_column)
{
	const char *want =
		"   1.80s       3   600ms   610ms   612ms syscall       2  nap (app.py:9) [coroutine] via time.sleep";
	struct top_culprit c = row("nap (app.py:9) [coroutine] via time.sleep");
	char buf[512];

	view_culprit_row(&c, 120, buf, sizeof(buf));
	/* padded to the width, as every line of the screen */
	ck_assert_int_eq(strlen(buf), 120);
	ck_assert_int_eq(strncmp(buf, want, strlen(want)), 0);
	ck_assert_int_eq(strspn(buf + strlen(want), " "), 120 - strlen(want));
	c.more_processes = true;
	view_culprit_row(&c, 120, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, " 2+  nap"));
}
END_TEST

START_TEST(a_long_culprit_is_cut_to_the_width)
{
	char name[300], buf[512];
	struct top_culprit c;

	memset(name, 'f', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	c = row(name);
	view_culprit_row(&c, 80, buf, sizeof(buf));
	ck_assert_int_le(strlen(buf), 80);
	ck_assert_int_ge(strlen(buf), 70);
	view_culprit_row(&c, 10, buf, sizeof(buf)); /* never narrower than its numbers */
	ck_assert_int_le(strlen(buf), 60);
	ck_assert_ptr_nonnull(strstr(buf, "syscall"));
}
END_TEST

int main(void)
{
	const TTest *tests[] = {a_row_has_every_column, a_long_culprit_is_cut_to_the_width};

	return run_tests("top_culprit_view", tests, sizeof(tests) / sizeof(tests[0]));
}
