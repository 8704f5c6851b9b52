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

int main(void)
{
	const TTest *tests[] = {detail_pane_labels_js_frames, culprit_column_names_the_js_function};

	return run_tests("top_view", tests, sizeof(tests) / sizeof(tests[0]));
}
