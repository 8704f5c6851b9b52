// SPDX-License-Identifier: GPL-2.0
/* Folded stacks and speedscope files: order, weights, hostile names, identical stacks counted once. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/stack_export.h"
#include "run_suite.h"

static struct stall_record *rec;

static void push(enum frame_kind kind, const char *function, const char *where, int line, bool interpreter)
{
	struct stall_frame *f = &rec->frames[rec->nframes++];

	memset(f, 0, sizeof(*f));
	f->kind = kind;
	snprintf(f->function, sizeof(f->function), "%s", function);
	if (kind == FRAME_NATIVE)
		snprintf(f->module, sizeof(f->module), "%s", where);
	else
		snprintf(f->file, sizeof(f->file), "%s", where);
	f->line = line;
	f->interpreter = interpreter;
}

/* innermost first, as records hold them */
static void python_stack(pid_t pid, double ms)
{
	memset(rec, 0, sizeof(*rec));
	rec->pid = pid;
	snprintf(rec->comm, sizeof(rec->comm), "python3");
	rec->duration_ns = (uint64_t)(ms * 1e6);
	push(FRAME_NATIVE, "clock_nanosleep", "/lib/libc.so.6", 0, false);
	push(FRAME_NATIVE, "_PyEval_EvalFrameDefault", "/usr/bin/python3.11", 0, true);
	push(FRAME_PYTHON, "handler", "/app/app.py", 9, false);
	push(FRAME_PYTHON, "main", "/app/app.py", 20, false);
}

static char *folded(void)
{
	static char buf[4096];
	FILE *m = fmemopen(buf, sizeof(buf), "w");

	folded_write(m, rec);
	fclose(m);
	return buf;
}

START_TEST(folded_is_outermost_first_weighted_in_ms)
{
	python_stack(1, 1499.6);
	ck_assert_str_eq(folded(), "python3;main (app.py:20);handler (app.py:9);clock_nanosleep (libc.so.6) 1500\n");
	python_stack(1, 0.2);
	rec->nframes = 0;
	ck_assert_str_eq(folded(), "python3 1\n"); /* never a weight of 0 */
}
END_TEST

START_TEST(folded_names_cannot_split_or_break_lines)
{
	python_stack(1, 100);
	snprintf(rec->frames[2].function, sizeof(rec->frames[2].function), "a;b\nc 99");
	snprintf(rec->comm, sizeof(rec->comm), "x;y");
	ck_assert_str_eq(folded(), "x:y;main (app.py:20);a:b\\x0ac 99 (app.py:9);clock_nanosleep (libc.so.6) 100\n");
}
END_TEST

START_TEST(speedscope_one_profile_per_process_identical_stacks_once)
{
	struct speedscope *s = speedscope_new();
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	json_error_t err;
	json_t *doc, *profiles, *p0, *frames;

	python_stack(1, 100);
	ck_assert_int_eq(speedscope_add(s, rec), 0);
	python_stack(1, 50);
	ck_assert_int_eq(speedscope_add(s, rec), 0);
	python_stack(2, 30);
	snprintf(rec->comm, sizeof(rec->comm), "\"odd\"");
	ck_assert_int_eq(speedscope_add(s, rec), 0);
	ck_assert_int_eq(speedscope_write(s, m, "t"), 0);
	fclose(m);
	doc = json_loads(buf, 0, &err);
	ck_assert_msg(doc, "%s: %s", err.text, buf);
	frames = json_object_get(json_object_get(doc, "shared"), "frames");
	ck_assert_uint_eq(json_array_size(frames), 3); /* the interpreter's frame left out */
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(frames, 0), "name")), "main");
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(frames, 0), "line")), 20);
	profiles = json_object_get(doc, "profiles");
	ck_assert_uint_eq(json_array_size(profiles), 2);
	p0 = json_array_get(profiles, 0);
	ck_assert_str_eq(json_string_value(json_object_get(p0, "type")), "sampled");
	ck_assert_str_eq(json_string_value(json_object_get(p0, "unit")), "milliseconds");
	ck_assert_uint_eq(json_array_size(json_object_get(p0, "samples")), 1);
	ck_assert_double_eq_tol(json_number_value(json_array_get(json_object_get(p0, "weights"), 0)), 150, 1e-6);
	ck_assert_double_eq_tol(json_number_value(json_object_get(p0, "endValue")), 150, 1e-6);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(profiles, 1), "name")), "\"odd\" (pid 2)");
	json_decref(doc);
	free(buf);
	speedscope_free(s);
}
END_TEST

int main(void)
{
	const TTest *const tests[] = {folded_is_outermost_first_weighted_in_ms,
				      folded_names_cannot_split_or_break_lines,
				      speedscope_one_profile_per_process_identical_stacks_once};

	rec = calloc(1, sizeof(*rec));
	return run_tests("stack_export", tests, sizeof(tests) / sizeof(tests[0]));
}
