// SPDX-License-Identifier: GPL-2.0
/* loopstall top's rendering of a stall: the detail pane and the culprit column. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "top/top_view.h"
#include "run_suite.h"

static struct stall_record *node_stall(void)
{
	struct stall_record *r = calloc(1, sizeof(*r));
	struct stall_frame *f;

	r->pid = r->tid = 42;
	snprintf(r->comm, sizeof(r->comm), "node");
	r->cause = CAUSE_SYSCALL;
	r->syscall_nr = SYS_read;
	r->fd = -1;
	r->duration_ns = r->syscall_ns = 300000000;
	f = &r->frames[r->nframes++];
	f->kind = FRAME_NATIVE;
	snprintf(f->function, sizeof(f->function), "read");
	snprintf(f->module, sizeof(f->module), "/usr/lib/x86_64-linux-gnu/libc.so.6");
	f = &r->frames[r->nframes++];
	f->kind = FRAME_JS;
	snprintf(f->function, sizeof(f->function), "JS:~handler /app/server.js:12:3");
	return r;
}

/* The detail pane named JavaScript frames "native". */
START_TEST(detail_pane_labels_js_frames)
{
	struct stall_record *r = node_stall();
	char *report = view_report(r);

	ck_assert_ptr_nonnull(report);
	ck_assert_msg(strstr(report, "#1  js     JS:~handler /app/server.js:12:3"), "%s", report);
	ck_assert_msg(strstr(report, "#0  native read (/usr/lib/x86_64-linux-gnu/libc.so.6)"), "%s", report);
	free(report);
	free(r);
}
END_TEST

START_TEST(culprit_column_names_the_js_function)
{
	struct stall_record *r = node_stall();
	char buf[TOP_CULPRIT_LEN];

	view_culprit(r, buf, sizeof(buf));
	ck_assert_str_eq(buf, "read in JS:~handler /app/server.js:12:3");
	free(r);
}
END_TEST

/* The CONTAINER column is there when a loop runs in a container, escaped; absent otherwise. */
START_TEST(container_column_only_with_containers)
{
	struct top_row rows[2];
	struct top_model m = {.rows = rows, .nrows = 2, .nloops = 2, .selected = -1};
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	memset(rows, 0, sizeof(rows));
	rows[0].pid = rows[0].tid = 7;
	rows[1].pid = rows[1].tid = 8;
	snprintf(rows[0].comm, sizeof(rows[0].comm), "python3");
	snprintf(rows[1].comm, sizeof(rows[1].comm), "node");
	rows[0].runtime = rows[1].runtime = "python";
	f = open_memstream(&text, &len);
	view_batch(f, &m);
	fclose(f);
	ck_assert_msg(!strstr(text, "CONTAINER"), "%s", text);
	free(text);
	snprintf(rows[1].container, sizeof(rows[1].container), "pod shop/web-1\x1b[2J");
	f = open_memstream(&text, &len);
	view_batch(f, &m);
	fclose(f);
	ck_assert_msg(strstr(text, "COMM            CONTAINER"), "%s", text);
	ck_assert_msg(strstr(text, "node            pod shop/web-1\\x1b[2J"), "%s", text);
	ck_assert_msg(!strchr(text, '\x1b'), "%s", text);
	free(text);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {detail_pane_labels_js_frames, culprit_column_names_the_js_function,
				container_column_only_with_containers};

	return run_tests("top_view", tests, sizeof(tests) / sizeof(tests[0]));
}
